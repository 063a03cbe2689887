/*
 * web.c - hands every request outside the API to the web front end
 * (src/web/), which knows nothing of libmicrohttpd, and turns its reply
 * into a response.  The route is not in http_routes (the API's table,
 * compared with doc/openapi.json).
 */
#include "http/http_int.h"

#include "pdf/pdf.h"

#include <stdlib.h>
#include <string.h>

#include "web/web.h"

static const char *
header_cb(void *io, const char *name)
{
	return http_header(io, name);
}

static const char *
query_cb(void *io, const char *name)
{
	return http_query(io, name);
}

static int
login_cb(void *io, const char *email, const char *password, const char *totp, char token[48],
	 char csrf[33], struct lerr *e)
{
	struct http_login lg;
	int rc = http_login(io, email, password, totp, &lg, e);

	if (!rc) {
		memcpy(token, lg.token, sizeof(lg.token));
		memcpy(csrf, lg.csrf, sizeof(lg.csrf));
	}
	explicit_bzero(&lg, sizeof(lg));
	return rc;
}

static ssize_t
stream_cb(void *cls, uint64_t pos, char *out, size_t max)
{
	struct web_reply *r = cls;
	ssize_t n = r->stream_read(r->stream_cls, pos, out, max);

	return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void
stream_free(void *cls)
{
	struct web_reply *r = cls;

	if (r->stream_release)
		r->stream_release(r->stream_cls);
	free(r);
}

static struct MHD_Response *
response(struct web_reply *r)
{
	struct web_reply *copy;

	if (!r->stream_read) {
		if (r->body_static || !r->body)
			return MHD_create_response_from_buffer(r->len, r->body ? r->body : (char *)"",
							       MHD_RESPMEM_PERSISTENT);
		return MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	}
	copy = malloc(sizeof(*copy));
	if (!copy)
		abort();
	*copy = *r;
	return MHD_create_response_from_callback((uint64_t)r->stream_size, 64 * 1024, stream_cb, copy,
						 stream_free);
}

static int
web(struct req *rq)
{
	const struct http_opts *o = http_opts_of(rq);
	struct web_req w = {
		.arena = rq->arena, .store = http_store(rq), .method = rq->method, .path = rq->url,
		.reqid = rq->id, .header = header_cb, .query = query_cb, .io = rq,
		.body = rq->body.data, .body_len = rq->body.len, .peer = http_client_address(rq),
		.login = login_cb, .session_idle_s = o->session_idle_s,
		.session_lifetime_s = o->session_lifetime_s,
	};
	struct web_reply r;
	struct MHD_Response *resp;

	web_handle(&w, &r);
	resp = response(&r);
	if (r.ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.ctype);
	for (int i = 0; i < r.nheaders; i++)
		MHD_add_response_header(resp, r.headers[i][0], r.headers[i][1]);
	return http_reply_response(rq, r.status, resp);
}

/* The form of an organisation's logo takes the image (a multipart body of
 * up to twice the cap, lpdf_image_check saying what is wrong beyond it);
 * every other page a small body. */
static size_t
web_max_body(struct req *rq)
{
	size_t n = strlen(rq->url);

	if (!strcmp(rq->method, "POST") && !strncmp(rq->url, "/admin/organisations/", 21) && n > 26 &&
	    !strcmp(rq->url + n - 5, "/logo"))
		return 2 * LPDF_LOGO_MAX + HTTP_SMALL_BODY;
	return HTTP_SMALL_BODY;
}

const struct http_handler http_h_web = { .handle = web, .max_body = web_max_body };
const struct http_route http_web_route = { "GET", "/", HTTP_AUTH_NONE, &http_h_web };
