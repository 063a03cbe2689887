/* reply.c - responses: JSON and problem+json (RFC 9457); error kinds become
 * HTTP status codes through lerr_http_status() (core/err.c), which the web
 * pages use too. */
#include "http/http_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"

int
http_reply_response(struct req *rq, unsigned status, struct MHD_Response *resp)
{
	if (rq->replied) {
		MHD_destroy_response(resp);
		return 0;
	}
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	/* Every 503 is "a dependency is down, try again": say when (RFC 9110 10.2.3). */
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE &&
	    !MHD_get_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, HTTP_RETRY_AFTER);
	if (MHD_queue_response(rq->conn, status, resp) != MHD_YES) {
		MHD_destroy_response(resp);
		log_debug("cannot queue a %u response yet for %s %s", status, rq->method, rq->url);
		return -1;
	}
	MHD_destroy_response(resp);
	rq->replied = 1;
	rq->status = status;
	log_info("%s %s -> %u", rq->method, rq->url, status);
	return 0;
}

int
http_reply_raw(struct req *rq, unsigned status, const char *ctype, char *text, size_t n)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	return http_reply_response(rq, status, resp);
}

int
http_reply_text(struct req *rq, unsigned status, const char *ctype, const char *text, size_t n)
{
	char *copy = malloc(n + 1);

	if (!copy)
		abort();
	memcpy(copy, text, n);
	return http_reply_raw(rq, status, ctype, copy, n);
}

int
http_reply_json(struct req *rq, unsigned status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (!text)
		abort();
	return http_reply_raw(rq, status, "application/json", text, strlen(text));
}

json_t *
http_problem_json(unsigned status, const struct lerr *e)
{
	json_t *p = json_pack("{s:s+,s:s,s:i}", "type", "urn:liasse:problem:", lerr_kind_name(e->kind),
			      "title", e->msg[0] ? e->msg : lerr_kind_name(e->kind), "status", status);

	if (e->detail[0] && !e->detail_private)
		json_object_set_new(p, "detail", json_string(e->detail));
	if (e->field[0])
		json_object_set_new(p, "field", json_string(e->field));
	if (e->hint[0])
		json_object_set_new(p, "hint", json_string(e->hint));
	return p;
}

int
http_reply_problem_status(struct req *rq, unsigned status, const struct lerr *e)
{
	json_t *p;
	char *text;
	struct MHD_Response *resp;

	if (rq->capture) {          /* http_ingest_parts(): the caller answers */
		rq->capture->status = status;
		rq->capture->err = *e;
		return 0;
	}
	if (rq->route && rq->route->handler->problem && !rq->plain_problem)
		return rq->route->handler->problem(rq, status, e);
	p = http_problem_json(status, e);
	if (status >= 500 || e->detail_private)   /* the one place a private detail is told */
		log_error("%s %s -> %u %s: %s", rq->method, rq->url, status, e->msg, e->detail);
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (!text)
		abort();
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
	if (status == 401) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"liasse\"");
		/* not on a person's routes: a browser would open its own login box */
		if (rq->route && rq->route->auth == HTTP_AUTH_CLIENT)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
						"Basic realm=\"liasse\", charset=\"UTF-8\"");
	}
	if (rq->content_range)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, rq->content_range);
	if (rq->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rq->allow);
	return http_reply_response(rq, status, resp);
}

int
http_bad_query(struct lerr *e, const char *name, const char *why, const char *hint)
{
	lerr_set(e, LERR_MALFORMED, name, "invalid query parameter %s", name);
	lerr_detail(e, "%s", why);
	lerr_hint(e, "%s", hint);
	return LERR_MALFORMED;
}

int
http_reply_problem(struct req *rq, const struct lerr *e)
{
	return http_reply_problem_status(rq, lerr_http_status(e->kind), e);
}

int
http_fail(struct req *rq, const struct lerr *e)
{
	if (!rq->failed) {
		if (e != &rq->err)
			rq->err = *e;
		rq->failed = 1;
		log_info("%s %s refused: %s", rq->method, rq->url, rq->err.msg);
		http_reply_problem(rq, &rq->err);   /* try now: later if the library wants the body first */
	}
	return rq->err.kind;
}
