/*
 * queue.c - an official's queue: GET /api/v1/queue, a document with its
 * history, rejection with a reason, a visa and the droit de remords at a
 * circuit's step (doc/circuits.md), and the official's delegations.
 * The queue is paged like the vendor listing: next_cursor is the sort key
 * of the page's last document (queue_json() in functions/40_people.sql), so
 * documents signed between two pages move no other one.
 * Signing lives in sign.c.  Every rule (who may see, sign, reject, delegate)
 * is checked by the store's SQL functions, once, for the API and the web.
 */
#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kind.h"
#include "core/util.h"

#define QUEUE_LIMIT 100         /* documents per page when limit is not given */
#define QUEUE_LIMIT_MAX 500

/* Replies status with *json when rc is 0 (json is read after rc is known:
 * pass &json, not json, next to a call that fills it). */
static int
reply(struct req *rq, int rc, unsigned status, char **json)
{
	return rc ? rc : http_reply_json_text(rq, status, *json);
}

static int
bad_id(struct req *rq, struct lerr *e)
{
	if (uuid_valid(rq->params[0]))
		return 0;
	lerr_set(e, LERR_NOTFOUND, "id", "no such document");
	lerr_detail(e, "\"%s\" is not a document id", rq->params[0]);
	lerr_hint(e, "use an id from GET /api/v1/queue");
	return LERR_NOTFOUND;
}

static int
list(struct req *rq, struct store_conn *c, struct lerr *e)
{
	struct queue_filter f = {
		.org = http_query(rq, "organisation"), .kind = http_query(rq, "kind"),
		.client = http_query(rq, "vendor"), .cursor = http_query(rq, "cursor"),
	};
	const char *lim = http_query(rq, "limit");
	char *json = NULL;

	if (f.kind && !doc_kind_get(f.kind)) {
		lerr_set(e, LERR_MALFORMED, "kind", "unknown kind \"%s\"", f.kind);
		lerr_hint(e, "kind is one of %s", doc_kind_names(", "));
		return LERR_MALFORMED;
	}
	if (lim && (strspn(lim, "0123456789") != strlen(lim) || strlen(lim) > 4 ||
		    (f.limit = atoi(lim)) < 1 || f.limit > QUEUE_LIMIT_MAX)) {
		lerr_set(e, LERR_MALFORMED, "limit", "limit must be an integer from 1 to %d", QUEUE_LIMIT_MAX);
		lerr_hint(e, "leave it out for pages of %d; follow next_cursor for the next page", QUEUE_LIMIT);
		return LERR_MALFORMED;
	}
	if (f.cursor && (!*f.cursor || strlen(f.cursor) > 200)) {
		lerr_set(e, LERR_MALFORMED, "cursor", "not a cursor returned by this API");
		lerr_hint(e, "pass next_cursor as is, or leave cursor out for the first page");
		return LERR_MALFORMED;
	}
	return reply(rq, store_queue_json(c, rq->person.id, &f, &json, e), 200, &json);
}

static int
doc(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;

	if (bad_id(rq, e))
		return LERR_NOTFOUND;
	return reply(rq, store_person_doc_json(c, rq->person.id, rq->params[0], &json, e), 200, &json);
}

static int
reject(struct req *rq, struct store_conn *c, struct lerr *e)
{
	json_t *body = http_json_body(rq);
	char *json = NULL;
	int rc;

	if (!body)
		return 0;
	rc = bad_id(rq, e);
	if (!rc)
		rc = store_doc_reject(c, rq->person.id, rq->params[0],
				      json_string_value(json_object_get(body, "reason")), http_actor(rq), &json, e);
	json_decref(body);
	return reply(rq, rc, 200, &json);
}

/* A visa at a circuit's step, with optional annotations (doc/circuits.md). */
static int
visa(struct req *rq, struct store_conn *c, struct lerr *e)
{
	json_t *body = http_json_body(rq);
	json_t *pub, *priv;
	char *json = NULL;
	int rc;

	if (!body)
		return 0;
	pub = json_object_get(body, "public_annotation");
	priv = json_object_get(body, "private_annotation");
	rc = bad_id(rq, e);
	if (!rc && ((pub && !json_is_string(pub) && !json_is_null(pub)) ||
		    (priv && !json_is_string(priv) && !json_is_null(priv)))) {
		rc = lerr_set(e, LERR_INVALID, pub && !json_is_string(pub) && !json_is_null(pub) ?
			      "public_annotation" : "private_annotation", "an annotation is a string");
		lerr_hint(e, "send {\"public_annotation\": \"...\", \"private_annotation\": \"...\"}, "
			  "both optional");
	}
	if (!rc)
		rc = store_doc_visa(c, rq->person.id, rq->params[0], json_string_value(pub),
				    json_string_value(priv), http_actor(rq), &json, e);
	json_decref(body);
	return reply(rq, rc, 200, &json);
}

static int
remord(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;

	if (bad_id(rq, e))
		return LERR_NOTFOUND;
	return reply(rq, store_doc_remord(c, rq->person.id, rq->params[0], http_actor(rq), &json, e),
		     200, &json);
}

/* ---- delegations ---- */

static int
delegations(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *me = NULL;
	json_t *m, *out;
	int rc = store_me_json(c, rq->person.id, &me, e);

	if (rc)
		return rc;
	m = json_loads(me, 0, NULL);
	free(me);
	out = json_pack("{s:O,s:O}", "given", json_object_get(m, "delegations_given"),
			"received", json_object_get(m, "delegations_received"));
	json_decref(m);
	return out ? http_reply_json(rq, 200, out) : lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
}

/* "kinds": ["pes", ...] as an SQL array literal ("" when malformed); the
 * kinds themselves are checked by SQL. */
static const char *
kinds_array(struct req *rq, json_t *kinds, struct lerr *e)
{
	const char *out = "{";
	size_t i;
	json_t *k;

	if (!kinds || json_is_null(kinds))
		return NULL;
	json_array_foreach(kinds, i, k) {
		const char *s = json_string_value(k);

		if (!s || !*s || strspn(s, "abcdefghijklmnopqrstuvwxyz") != strlen(s))
			break;
		out = arena_printf(rq->arena, "%s%s%s", out, i ? "," : "", s);
	}
	if (!json_is_array(kinds) || i != json_array_size(kinds) || !i) {
		lerr_set(e, LERR_INVALID, "kinds", "kinds must be a non-empty array of kinds");
		lerr_hint(e, "such as [\"pes\", \"acte\"], or leave it out for every kind");
		return "";
	}
	return arena_printf(rq->arena, "%s}", out);
}

static int
delegate(struct req *rq, struct store_conn *c, struct lerr *e)
{
	json_t *body = http_json_body(rq);
	struct delegation_in d = { .from_person = rq->person.id, .actor = http_actor(rq) };
	char *json = NULL;
	int rc = 0;

	if (!body)
		return 0;
	d.to_email = json_string_value(json_object_get(body, "to"));
	d.siren = json_string_value(json_object_get(body, "organisation"));
	d.starts_at = json_string_value(json_object_get(body, "starts_at"));
	d.ends_at = json_string_value(json_object_get(body, "ends_at"));
	d.kinds = kinds_array(rq, json_object_get(body, "kinds"), e);
	if (d.kinds && !*d.kinds) {
		rc = LERR_INVALID;
	} else if (!d.to_email || !d.ends_at) {
		rc = lerr_set(e, LERR_INVALID, d.to_email ? "ends_at" : "to", "\"to\" and \"ends_at\" are required");
		lerr_hint(e, "send {\"to\": \"e-mail of the delegate\", \"ends_at\": \"2026-12-31T18:00:00Z\"}"
			  " and optionally starts_at, organisation, kinds");
	} else {
		d.starts_at = d.starts_at ? d.starts_at : "now";
		rc = store_delegation_add(c, &d, &json, e);
	}
	json_decref(body);
	return reply(rq, rc, 201, &json);
}

static int
undelegate(struct req *rq, struct store_conn *c, struct lerr *e)
{
	long long id = atoll(rq->params[0]);
	char *json = NULL;

	if (id <= 0 || strspn(rq->params[0], "0123456789") != strlen(rq->params[0])) {
		lerr_set(e, LERR_NOTFOUND, "id", "no such delegation");
		lerr_hint(e, "GET /api/v1/me/delegations lists yours");
		return LERR_NOTFOUND;
	}
	return reply(rq, store_delegation_revoke(c, rq->person.id, id, http_actor(rq), &json, e), 200, &json);
}

static int
queue(struct req *rq)
{
	return http_with_conn(rq, list);
}

static int
queue_doc(struct req *rq)
{
	return http_with_conn(rq, doc);
}

static int
queue_reject(struct req *rq)
{
	return http_with_conn(rq, reject);
}

static int
queue_visa(struct req *rq)
{
	return http_with_conn(rq, visa);
}

static int
queue_remord(struct req *rq)
{
	return http_with_conn(rq, remord);
}

static int
delegation_list(struct req *rq)
{
	return http_with_conn(rq, delegations);
}

static int
delegation_post(struct req *rq)
{
	return http_with_conn(rq, delegate);
}

static int
delegation_delete(struct req *rq)
{
	return http_with_conn(rq, undelegate);
}

const struct http_handler http_h_queue = { .handle = queue };
const struct http_handler http_h_queue_doc = { .handle = queue_doc };
const struct http_handler http_h_queue_reject = { .handle = queue_reject };
const struct http_handler http_h_queue_visa = { .handle = queue_visa };
const struct http_handler http_h_queue_remord = { .handle = queue_remord };
const struct http_handler http_h_delegations = { .handle = delegation_list };
const struct http_handler http_h_delegation_post = { .handle = delegation_post };
const struct http_handler http_h_delegation_delete = { .handle = delegation_delete };
