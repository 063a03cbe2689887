/*
 * event.c - the change feed and the webhooks of API clients (006_events.sql).
 *
 * Events are written by a trigger on document; event_seal() gives the
 * committed ones their feed position and queues their webhook deliveries.
 * A webhook's deliveries are sent by one job at a time, in feed order:
 * store_webhook_next() hands the job its next delivery and leases the job,
 * the caller commits (no lock is held during the HTTP call), sends, then
 * records the attempt with store_webhook_record().
 */
#include "store/store_int.h"
#include "core/kek.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
dup_result(PGresult *r, int row, int col, char **out, struct lerr *e)
{
	const char *v = sq_str(r, row, col);

	if (!(*out = strdup(v ? v : "null")))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	return 0;
}

static int
no_webhook(struct lerr *e, const char *id)
{
	lerr_set(e, LERR_NOTFOUND, NULL, "no such webhook");
	lerr_detail(e, "this client has no webhook %s", id);
	lerr_hint(e, "GET /api/v1/webhooks lists them");
	return LERR_NOTFOUND;
}

int
store_event_seal(struct store_conn *c, int *n, struct lerr *e)
{
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT event_seal()", NULL, 0, &r, e);

	if (rc)
		return rc;
	*n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

int
store_event_list(struct store_conn *c, long long client_id, long long after, int limit,
		 char **items_json, int *count, long long *last, long long *purged, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	struct sqlp p[3] = { SQLP_INT(client_id), SQLP_INT(after), SQLP_INT(limit) };
	rc = sq_exec(c, "SELECT coalesce(jsonb_agg(j ORDER BY seq), '[]')::text, count(*),"
		     " coalesce(max(seq), $2::bigint),"
		     " coalesce((SELECT upto FROM event_purged WHERE client_id = $1::bigint), 0)"
		     " FROM (SELECT event_json(ev) AS j, ev.seq FROM event ev"
		     "  WHERE ev.client_id = $1::bigint AND ev.seq > $2::bigint"
		     "  AND ev.org_id IN (SELECT org_id FROM api_client_org WHERE client_id = $1::bigint)"
		     "  ORDER BY ev.seq LIMIT $3::int) page", p, 3, &r, e);
	if (rc)
		return rc;
	*count = atoi(PQgetvalue(r, 0, 1));
	*last = atoll(PQgetvalue(r, 0, 2));
	*purged = atoll(PQgetvalue(r, 0, 3));
	rc = dup_result(r, 0, 0, items_json, e);
	PQclear(r);
	return rc;
}

int
store_webhook_add(struct store_conn *c, long long client_id, const char *client_name,
		  const char *url, const char *secret, const char *actor, char **json, struct lerr *e)
{
	char id[24] = "", ctx[64];
	struct buf sealed;
	PGresult *r = NULL;
	int rc;

	/* The id first: the sealed secret is bound to its row (kek_context). */
	rc = sq_exec(c, "SELECT nextval(pg_get_serial_sequence('webhook', 'id'))", NULL, 0, &r, e);
	if (!rc)
		snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	r = NULL;
	kek_context(ctx, sizeof(ctx), "webhook.secret", id);
	buf_init(&sealed, 1024);
	if (rc || (rc = kek_seal_text(ctx, secret, &sealed, e))) {
		buf_fini(&sealed);
		return rc;
	}
	struct sqlp p[7] = { SQLP_INT(client_id), SQLP_TEXT(client_name), SQLP_TEXT(url), SQLP_TEXT(sealed.data),
			     SQLP_INT(STORE_WEBHOOKS_MAX), SQLP_TEXT(actor), SQLP_TEXT(id) };
	rc = sq_exec(c, "WITH cl AS (SELECT id, name FROM api_client WHERE revoked_at IS NULL"
		     "  AND (id = $1::bigint OR ($1::bigint = 0 AND name = $2)))"
		     ", ins AS (INSERT INTO webhook (id, client_id, url, secret) OVERRIDING SYSTEM VALUE"
		     "  SELECT $7::bigint, cl.id, $3, $4 FROM cl"
		     "  WHERE (SELECT count(*) FROM webhook w WHERE w.client_id = cl.id AND w.deleted_at IS NULL)"
		     "  < $5::int RETURNING *)"
		     ", j AS (SELECT journal_append($6, 'webhook.created', NULL, NULL, jsonb_build_object("
		     "  'webhook', ins.id, 'client', cl.name, 'url', ins.url)) FROM ins JOIN cl ON cl.id = ins.client_id)"
		     " SELECT (SELECT count(*) FROM cl), (SELECT webhook_json(ins)::text FROM ins),"
		     " (SELECT count(*) FROM j)", p, 7, &r, e);
	buf_fini(&sealed);
	if (rc)
		return rc;
	if (atoi(PQgetvalue(r, 0, 0)) == 0) {
		rc = lerr_set(e, LERR_NOTFOUND, "client", "no such client");
		lerr_detail(e, "no live API client is named \"%s\"", client_name ? client_name : "");
		lerr_hint(e, "liasse client list shows them");
	} else if (PQgetisnull(r, 0, 1)) {
		rc = lerr_set(e, LERR_CONFLICT, NULL, "too many webhooks");
		lerr_detail(e, "a client may have at most %d webhooks", STORE_WEBHOOKS_MAX);
		lerr_hint(e, "delete one first (DELETE /api/v1/webhooks/{id})");
	} else {
		rc = dup_result(r, 0, 1, json, e);
	}
	PQclear(r);
	return rc;
}

int
store_webhook_list(struct store_conn *c, long long client_id, char **json, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_INT(client_id) };

	return sq_json(c, "SELECT coalesce(jsonb_agg(webhook_json(w) || jsonb_build_object('client', a.name)"
		       " ORDER BY w.id), '[]')::text FROM webhook w JOIN api_client a ON a.id = w.client_id"
		       " WHERE w.deleted_at IS NULL AND ($1::bigint = 0 OR w.client_id = $1::bigint)", p, 1, json, e);
}

/* A webhook id from a URL: digits only, or LERR_NOTFOUND. */
static int
webhook_id_ok(const char *id, struct lerr *e)
{
	size_t n = strspn(id, "0123456789");

	if (n == 0 || n > 18 || id[n])
		return no_webhook(e, id);
	return 0;
}

int
store_webhook_delete(struct store_conn *c, long long client_id, const char *id, const char *actor,
		     struct lerr *e)
{
	PGresult *r = NULL;
	int rc = webhook_id_ok(id, e);

	if (rc)
		return rc;
	struct sqlp p[3] = { SQLP_TEXT(id), SQLP_INT(client_id), SQLP_TEXT(actor) };
	rc = sq_exec(c, "WITH del AS (UPDATE webhook SET deleted_at = now() WHERE id = $1::bigint"
		     "  AND ($2::bigint = 0 OR client_id = $2::bigint) AND deleted_at IS NULL RETURNING id, url)"
		     ", j AS (SELECT journal_append($3, 'webhook.deleted', NULL, NULL,"
		     "  jsonb_build_object('webhook', id, 'url', url)) FROM del)"
		     " SELECT (SELECT count(*) FROM del), (SELECT count(*) FROM j)", p, 3, &r, e);
	if (rc)
		return rc;
	if (atoi(PQgetvalue(r, 0, 0)) == 0)
		rc = no_webhook(e, id);
	PQclear(r);
	return rc;
}

int
store_webhook_deliveries(struct store_conn *c, long long client_id, const char *id, int limit,
			 char **json, struct lerr *e)
{
	int rc = webhook_id_ok(id, e);

	if (rc)
		return rc;
	struct sqlp p[3] = { SQLP_TEXT(id), SQLP_INT(client_id), SQLP_INT(limit) };
	rc = sq_json(c, "SELECT (SELECT coalesce(jsonb_agg(x.j ORDER BY x.at DESC, x.d DESC, x.n DESC), '[]')::text"
		     " FROM (SELECT jsonb_build_object('event', ev.seq, 'attempt', a.n, 'at', ts_text(a.at),"
		     "   'http_status', a.http_status, 'error', a.error, 'duration_ms', a.duration_ms,"
		     "   'outcome', a.outcome, 'delivery', d.state) AS j, a.at, d.id AS d, a.n"
		     "  FROM webhook_delivery d JOIN webhook_attempt a ON a.delivery_id = d.id"
		     "  JOIN event ev ON ev.id = d.event_id WHERE d.webhook_id = w.id"
		     "  ORDER BY a.at DESC, d.id DESC, a.n DESC LIMIT $3::int) x)"
		     " FROM webhook w WHERE w.id = $1::bigint AND w.client_id = $2::bigint"
		     " AND w.deleted_at IS NULL", p, 3, json, e);
	return rc == LERR_NOTFOUND ? no_webhook(e, id) : rc;    /* no such webhook of the client */
}

/* A webhook's secret, opened into out (n bytes). */
static int
open_secret(const char *webhook_id, const char *sealed, char *out, size_t n, struct lerr *e)
{
	char ctx[64];
	struct buf b;
	int rc;

	kek_context(ctx, sizeof(ctx), "webhook.secret", webhook_id);
	buf_init(&b, n - 1);
	rc = kek_open_text(ctx, sealed, &b, e);
	if (!rc)
		snprintf(out, n, "%s", b.data);
	buf_fini(&b);
	return rc;
}

int
store_webhook_next(struct store_conn *c, long long job_id, int lease_s, int more,
		   struct webhook_send *out, int *found, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	struct sqlp p[3] = { SQLP_INT(job_id), SQLP_INT(lease_s), SQLP_TEXT(more ? "true" : "false") };
	memset(out, 0, sizeof(*out));
	rc = sq_exec(c, "SELECT n.delivery_id, n.attempt, n.url, n.secret, n.event_seq, n.body, d.webhook_id"
		     " FROM webhook_next($1::bigint, $2::int, $3::boolean) n"
		     " JOIN webhook_delivery d ON d.id = n.delivery_id", p, 3, &r, e);
	if (rc)
		return rc;
	*found = PQntuples(r) > 0;
	if (*found) {
		out->delivery_id = atoll(PQgetvalue(r, 0, 0));
		out->attempt = atoi(PQgetvalue(r, 0, 1));
		snprintf(out->url, sizeof(out->url), "%s", PQgetvalue(r, 0, 2));
		out->event_seq = atoll(PQgetvalue(r, 0, 4));
		rc = open_secret(PQgetvalue(r, 0, 6), PQgetvalue(r, 0, 3), out->secret, sizeof(out->secret), e);
		if (!rc)
			rc = dup_result(r, 0, 5, &out->body, e);
	}
	PQclear(r);
	return rc;
}

void
store_webhook_send_fini(struct webhook_send *s)
{
	free(s->body);
	explicit_bzero(s->secret, sizeof(s->secret));
	s->body = NULL;
}

int
store_webhook_record(struct store_conn *c, long long delivery_id, int http_status,
		     const char *error, int duration_ms, int ok, int retry_s, struct lerr *e)
{
	char st[16];

	snprintf(st, sizeof(st), "%d", http_status);
	struct sqlp p[6] = { SQLP_INT(delivery_id), SQLP_TEXT(http_status > 0 ? st : NULL), SQLP_TEXT(error),
			     SQLP_INT(duration_ms), SQLP_TEXT(ok ? "true" : "false"), SQLP_INT(retry_s) };
	return sq_exec(c, "SELECT webhook_record($1::bigint, $2::int, $3, $4::int, $5::boolean, $6::int)",
		       p, 6, NULL, e);
}
