/*
 * verify.c - POST /api/v1/verify: a signed file (and, for a detached
 * signature, the signed data) in, the verification report out.  Verifying
 * needs the whole document in memory, so both parts are bounded by
 * verify_max_size.
 */
#include "http/http_int.h"

#include <string.h>

#include "core/config.h"
#include "sign/sign.h"

struct vreq {
	struct MHD_PostProcessor *pp;
	struct buf file, data;
	struct buf *cur;
	const char *data_name;
};

static enum MHD_Result
part_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
	const char *ctype, const char *encoding, const char *p, uint64_t off, size_t n)
{
	struct req *rq = cls;
	struct vreq *v = rq->state;
	struct lerr e;

	if (rq->failed)
		return MHD_NO;
	if (off == 0) {
		if (!strcmp(key, "file")) {
			v->cur = &v->file;
		} else if (!strcmp(key, "data")) {
			v->cur = &v->data;
			v->data_name = filename ? arena_strdup(rq->arena, filename) : NULL;
		} else {
			lerr_set(&e, LERR_MALFORMED, key, "unexpected part \"%s\"", key);
			lerr_hint(&e, "send the signed file as \"file\" and, for a detached signature, "
				  "the signed data as \"data\"");
			return http_fail(rq, &e), MHD_NO;
		}
	}
	if (buf_add(v->cur, p, n)) {
		lerr_set(&e, LERR_TOOLARGE, key, "part \"%s\" is too large to verify here", key);
		lerr_detail(&e, "the limit is %lld bytes", config_int("verify_max_size"));
		lerr_hint(&e, "use \"liasse verify\" on the command line for larger files");
		return http_fail(rq, &e), MHD_NO;
	}
	return MHD_YES;
}

static int
verify_begin(struct req *rq)
{
	struct vreq *v = arena_zalloc(rq->arena, sizeof(*v));
	size_t max = (size_t)config_int("verify_max_size");

	rq->state = v;
	buf_init(&v->file, max);
	buf_init(&v->data, max);
	v->pp = http_multipart_open(rq, part_cb, "post the signed file as a \"file\" part, e.g. curl -F file=@signed.xml");
	return 0;
}

static int
verify_data(struct req *rq, const char *p, size_t n)
{
	struct vreq *v = rq->state;

	return http_multipart_feed(rq, v->pp, p, n);
}

static int
verify_end(struct req *rq)
{
	struct vreq *v = rq->state;
	struct sign_report r;
	struct lerr e;
	json_t *body;
	int rc;

	lerr_clear(&e);
	if (http_multipart_close(rq, &v->pp))
		return 0;
	if (v->file.len == 0) {
		lerr_set(&e, LERR_INVALID, "file", "missing \"file\" part");
		lerr_hint(&e, "send the signed file as a \"file\" part");
		return http_reply_problem(rq, &e);
	}
	sign_report_init(&r);
	rc = sign_verify_buffer(v->file.data, v->file.len, v->data.len ? v->data.data : NULL,
				v->data.len, v->data_name, &r, &e);
	body = rc ? NULL : sign_report_json(&r);
	sign_report_fini(&r);
	if (rc)
		return http_reply_problem(rq, &e);
	return http_reply_json(rq, 200, body);
}

static void
verify_done(struct req *rq)
{
	struct vreq *v = rq->state;

	if (!v)
		return;
	if (v->pp)
		MHD_destroy_post_processor(v->pp);
	buf_fini(&v->file);
	buf_fini(&v->data);
}

const struct http_handler http_h_verify = {
	.begin = verify_begin, .data = verify_data, .end = verify_end, .done = verify_done,
};
