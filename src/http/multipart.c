/* multipart.c - the multipart/form-data reader shared by the upload handlers
 * (libmicrohttpd's post processor, with our refusals). */
#include "http/http_int.h"

#include <string.h>
#include <strings.h>

struct MHD_PostProcessor *
http_multipart_open(struct req *rq, MHD_PostDataIterator cb, const char *hint)
{
	const char *ct = http_header(rq, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct MHD_PostProcessor *pp;

	if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0) {
		lerr_set(&rq->err, LERR_MEDIATYPE, "Content-Type", "expected multipart/form-data");
		lerr_detail(&rq->err, "got %s", ct ? ct : "no Content-Type");
		lerr_hint(&rq->err, "%s", hint);
		http_reply_problem(rq, &rq->err);
		return NULL;
	}
	pp = MHD_create_post_processor(rq->conn, 64 * 1024, cb, rq);
	if (!pp) {
		lerr_set(&rq->err, LERR_MALFORMED, "Content-Type", "unreadable multipart/form-data header");
		lerr_hint(&rq->err, "the Content-Type needs a boundary parameter");
		http_reply_problem(rq, &rq->err);
	}
	return pp;
}

int
http_multipart_feed(struct req *rq, struct MHD_PostProcessor *pp, const char *p, size_t n)
{
	struct lerr e;

	if (MHD_post_process(pp, p, n) == MHD_YES || rq->failed)
		return 0;
	lerr_set(&e, LERR_MALFORMED, NULL, "malformed multipart/form-data body");
	lerr_hint(&e, "check the boundary and the part headers");
	return http_fail(rq, &e);
}

int
http_multipart_close(struct req *rq, struct MHD_PostProcessor **pp)
{
	int complete = MHD_destroy_post_processor(*pp) == MHD_YES;
	struct lerr e;

	*pp = NULL;
	if (complete || rq->failed)
		return rq->failed;
	lerr_set(&e, LERR_MALFORMED, NULL, "truncated multipart/form-data body");
	lerr_hint(&e, "end the body with the closing boundary");
	return http_fail(rq, &e);
}
