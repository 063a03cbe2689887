/* documents.c - reading documents back: one, a page of them, their files; cancel. */
#include "http/http_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/kind.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"
#include "http/params.h"
#include "transmit/xmit.h"

static int
doc_id_param(struct req *rq, struct lerr *e)
{
	if (uuid_valid(rq->params[0]))
		return 0;
	lerr_set(e, LERR_NOTFOUND, NULL, "no such document");
	lerr_detail(e, "\"%s\" is not a document id", rq->params[0]);
	lerr_hint(e, "document ids are UUIDs, as returned by POST /api/v1/documents");
	return LERR_NOTFOUND;
}

static int
get_one(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;
	int rc = doc_id_param(rq, e);

	if (!rc)
		rc = store_doc_json(c, rq->params[0], rq->client.id, &json, e);
	return rc ? rc : http_reply_raw(rq, 200, "application/json", json, strlen(json));
}

static int
doc_get(struct req *rq)
{
	return http_with_conn(rq, get_one);
}

/* ---- list ---- */

/* The cursor (http/params.h) of the last item seen. */
static int
parse_cursor(struct req *rq, const char *cur, struct doc_filter *f, struct lerr *e)
{
	char ts[32], id[40];
	int rc = http_cursor_parse(cur, ts, id);

	if (rc == HTTP_CURSOR_RANGE)
		return http_bad_query(e, "cursor", "not a cursor returned by this API: its time is out of range",
				      "pass next_cursor as is");
	if (rc)
		return http_bad_query(e, "cursor", "not a cursor returned by this API", "pass next_cursor as is");
	f->after_ts = arena_strdup(rq->arena, ts);
	f->after_id = arena_strdup(rq->arena, id);
	return 0;
}

static int
parse_filter(struct req *rq, struct doc_filter *f, struct lerr *e)
{
	const char *limit = http_query(rq, "limit"), *cur = http_query(rq, "cursor");
	char *end;

	memset(f, 0, sizeof(*f));
	f->state = http_query(rq, "state");
	f->kind = http_query(rq, "kind");
	f->updated_since = http_query(rq, "updated_since");
	f->limit = 50;
	if (f->state && !doc_state_get(f->state))
		return http_bad_query(e, "state", "unknown state", arena_printf(rq->arena, "use %s",
									       doc_state_names(", ", " or ")));
	if (f->kind && !doc_kind_get(f->kind))
		return http_bad_query(e, "kind", "unknown kind", arena_printf(rq->arena, "use one of %s",
									       doc_kind_names(", ")));
	if (f->updated_since && !http_timestamp_valid(f->updated_since))
		return http_bad_query(e, "updated_since", "not an RFC 3339 timestamp",
				 "write e.g. 2026-11-28T17:00:00Z");
	if (limit) {
		errno = 0;
		long v = strtol(limit, &end, 10);

		if (errno || *end || v < 1 || v > 200)
			return http_bad_query(e, "limit", "not an integer between 1 and 200", "e.g. limit=50");
		f->limit = (int)v;
	}
	return cur ? parse_cursor(rq, cur, f, e) : 0;
}

static int
list(struct req *rq, struct store_conn *c, struct lerr *e)
{
	struct doc_filter f;
	char *items = NULL, *page = NULL, pos[STORE_POS_LEN], cursor[STORE_POS_LEN * 4 / 3 + 8] = "null";
	int count, n, rc = parse_filter(rq, &f, e);

	if (!rc)
		rc = store_doc_list(c, rq->client.id, &f, &items, &count, pos, e);
	if (rc)
		return rc;
	/* The items are JSON text from the store already: wrap, do not re-parse. */
	if (count == f.limit) {
		cursor[0] = '"';
		base64url_encode((const uint8_t *)pos, strlen(pos), cursor + 1);
		strcat(cursor, "\"");
	}
	n = asprintf(&page, "{\"items\":%s,\"next_cursor\":%s}", items, cursor);
	free(items);
	if (n < 0)
		abort();
	return http_reply_raw(rq, 200, "application/json", page, (size_t)n);
}

static int
doc_list(struct req *rq)
{
	return http_with_conn(rq, list);
}

/* ---- cancel ---- */

static int
cancel(struct req *rq, struct store_conn *c, struct lerr *e)
{
	int rc = doc_id_param(rq, e);

	if (!rc)
		rc = store_begin(c, e);
	if (!rc)
		rc = store_doc_event(c, rq->params[0], rq->client.id, "cancel",
				     arena_printf(rq->arena, "client:%s", rq->client.name), NULL, e);
	if (!rc)
		rc = store_commit(c, e);
	if (rc == LERR_CONFLICT)
		lerr_hint(e, "a document handed to a state platform can be cancelled once the prefecture"
			  " has acknowledged it (an act: the annulation is then sent)");
	return rc ? rc : get_one(rq, c, e);
}

static int
doc_cancel(struct req *rq)
{
	return http_with_conn(rq, cancel);
}

/* ---- the publication date of an act ("Publié le" on the stamped act) ---- */

static int
publication(struct req *rq, struct store_conn *c, struct lerr *e)
{
	json_t *body = http_json_body(rq), *date;
	char *json = NULL;
	int rc;

	if (!body)
		return 0;
	date = json_object_get(body, "date");
	rc = doc_id_param(rq, e);
	if (!rc)        /* the client's document, else 404 */
		rc = store_doc_json(c, rq->params[0], rq->client.id, &json, e);
	free(json);
	if (!rc && !json_is_string(date)) {
		rc = lerr_set(e, LERR_INVALID, "date", "date must be a string YYYY-MM-DD");
		lerr_hint(e, "send {\"date\": \"2026-12-06\"}, the day the act was published");
	}
	if (!rc && !(rc = store_begin(c, e))) {
		rc = xmit_publish_acte(c, rq->params[0], json_string_value(date),
				       arena_printf(rq->arena, "client:%s", rq->client.name), e);
		rc = rc ? (store_rollback(c), rc) : store_commit(c, e);
	}
	json_decref(body);
	return rc ? rc : get_one(rq, c, e);
}

static int
doc_publication(struct req *rq)
{
	return http_with_conn(rq, publication);
}

const struct http_handler http_h_doc_publication = { .handle = doc_publication };
const struct http_handler http_h_doc_get = { .handle = doc_get };
const struct http_handler http_h_doc_list = { .handle = doc_list };
const struct http_handler http_h_doc_cancel = { .handle = doc_cancel };
