/*
 * files.c - GET /api/v1/documents/{id}/files/{n} (and an organisation's
 * returns, /api/v1/organisations/{siren}/returns/{id}): a blob streamed out chunk by
 * chunk (one chunk in memory), with an ETag from its SHA-256, If-None-Match
 * and single byte ranges.  A connection is taken from the pool per chunk, so
 * a slow reader holds none.
 */
#include "http/http_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "http/params.h"

/* libmicrohttpd's content reader over the stored blob. */
static ssize_t
read_cb(void *cls, uint64_t pos, char *out, size_t max)
{
	ssize_t n = store_blob_stream_read(cls, pos, out, max);

	return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

int
http_serve_file(struct req *rq, const struct doc_file *f)
{
	const char *inm = http_header(rq, MHD_HTTP_HEADER_IF_NONE_MATCH);
	char *etag = arena_printf(rq->arena, "\"%s\"", f->sha256_hex);
	int64_t first = 0, last = f->size - 1;
	int ranged = http_range_parse(http_header(rq, MHD_HTTP_HEADER_RANGE), f->size, &first, &last);
	struct MHD_Response *resp;
	struct store_blob_stream *st;

	if (inm && (strstr(inm, etag) || !strcmp(inm, "*"))) {
		resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
		return http_reply_response(rq, 304, resp);
	}
	if (ranged == HTTP_RANGE_UNSATISFIABLE) {
		lerr_set(&rq->err, LERR_RANGE, "Range", "range not satisfiable");
		lerr_detail(&rq->err, "the file has %lld bytes", (long long)f->size);
		lerr_hint(&rq->err, "ask for bytes between 0 and %lld", (long long)f->size - 1);
		rq->content_range = arena_printf(rq->arena, "bytes */%lld", (long long)f->size);
		return http_reply_problem(rq, &rq->err);
	}
	if (!(st = store_blob_stream_create(http_store(rq), f->blob_id, ranged == 0 ? first : 0)))
		abort();
	resp = MHD_create_response_from_callback(ranged == 0 ? (uint64_t)(last - first + 1) : (uint64_t)f->size,
						 64 * 1024, read_cb, st, store_blob_stream_destroy);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, f->media_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
				content_disposition(rq->arena, "attachment", f->name));
	if (ranged == 0)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE,
					arena_printf(rq->arena, "bytes %lld-%lld/%lld", (long long)first,
						     (long long)last, (long long)f->size));
	return http_reply_response(rq, ranged == 0 ? 206 : 200, resp);
}

static int
doc_file(struct req *rq)
{
	struct store_conn *c = NULL;
	struct doc_file f;
	struct lerr e;
	char *end;
	long n;
	int rc;

	errno = 0;
	n = strtol(rq->params[1], &end, 10);
	if (!uuid_valid(rq->params[0]) || errno || *end || n < 0 || n > 1000) {
		lerr_set(&e, LERR_NOTFOUND, NULL, "no such file");
		lerr_hint(&e, "use the href of an entry of the document's \"files\"");
		return http_reply_problem(rq, &e);
	}
	rc = store_acquire(http_store(rq), &c, &e);
	/* A person sees what person_may_see() allows; a client its organisations'. */
	if (!rc && rq->route->auth == HTTP_AUTH_PERSON)
		rc = store_person_may_see(c, rq->person.id, rq->params[0], &e);
	if (!rc)
		rc = store_doc_file(c, rq->params[0], rq->route->auth == HTTP_AUTH_PERSON ? 0 : rq->client.id,
				    (int)n, &f, &e);
	if (!rc)
		rc = store_blob_verify(c, f.blob_id, &e);
	if (!rc)
		rc = store_journal(c, http_actor(rq), "file.downloaded",
				   rq->params[0], 0, arena_printf(rq->arena, "{\"file\":%ld}", n), &e);
	store_release(http_store(rq), c);
	return rc ? http_reply_problem(rq, &e) : http_serve_file(rq, &f);
}

const struct http_handler http_h_doc_file = { .handle = doc_file };

/* ---- an organisation's returns (PES_Retour) ---- */

/* The organisation of the path, if the client may see it (404 otherwise,
 * as for another client's document). */
static int
client_org(struct req *rq, struct store_conn *c, long long *org_id, struct lerr *e)
{
	int rc = store_client_org(c, rq->client.id, rq->params[0], org_id, e);

	if (rc == LERR_FORBIDDEN) {
		rc = lerr_set(e, LERR_NOTFOUND, NULL, "no organisation %s for this client", rq->params[0]);
		lerr_hint(e, "use the SIREN of an organisation your API key was issued for");
	}
	return rc;
}

static int
returns_list(struct req *rq, struct store_conn *c, struct lerr *e)
{
	long long org_id = 0;
	char *json = NULL;
	int rc = client_org(rq, c, &org_id, e);

	if (!rc)
		rc = store_org_returns_json(c, org_id, &json, e);
	return rc ? rc : http_reply_json_text(rq, 200, json);
}

static int
org_returns(struct req *rq)
{
	return http_with_conn(rq, returns_list);
}

static int
org_return_file(struct req *rq)
{
	struct store_conn *c = NULL;
	struct doc_file f;
	long long org_id = 0;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	if (strspn(rq->params[1], "0123456789") != strlen(rq->params[1]) || strlen(rq->params[1]) > 18 ||
	    !rq->params[1][0]) {
		lerr_set(&e, LERR_NOTFOUND, NULL, "no such return");
		lerr_hint(&e, "use the href of an entry of GET /api/v1/organisations/{siren}/returns");
		return http_reply_problem(rq, &e);
	}
	rc = store_acquire(http_store(rq), &c, &e);
	if (!rc)
		rc = client_org(rq, c, &org_id, &e);
	if (!rc)
		rc = store_org_return_file(c, org_id, rq->params[1], &f, &e);
	if (!rc)
		rc = store_blob_verify(c, f.blob_id, &e);
	if (!rc)
		rc = store_journal(c, http_actor(rq), "return.downloaded", NULL, org_id,
				   arena_printf(rq->arena, "{\"return\":%s}", rq->params[1]), &e);
	store_release(http_store(rq), c);
	return rc ? http_reply_problem(rq, &e) : http_serve_file(rq, &f);
}

const struct http_handler http_h_org_returns = { .handle = org_returns };
const struct http_handler http_h_org_return_file = { .handle = org_return_file };
