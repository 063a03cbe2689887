/*
 * transmit.c - connector settings, transmissions and the return channels'
 * bookkeeping (schemas/sql/007_transmit.sql).  The exactly-once protocol is
 * described in src/transmit/README; this file only keeps its rows.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
ll(long long v, char *out, size_t n)
{
	snprintf(out, n, "%lld", v);
}

static void
copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* sql's one integer or boolean into *out. */
static int
int_of(struct store_conn *c, const char *sql, const struct sqlp *p, int np, int *out, struct lerr *e)
{
	long long v = 0;
	int rc = sq_int(c, sql, p, np, &v, e);

	if (!rc)
		*out = (int)v;
	return rc;
}

int
sq_doc_id(struct store_conn *c, const char *sql, const struct sqlp *p, int np, char doc_id[37], struct lerr *e)
{
	PGresult *r = NULL;
	int rc = sq_exec(c, sql, p, np, &r, e);

	if (rc)
		return rc;
	copy(doc_id, 37, PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return 0;
}

/* ---- connectors ---- */

int
store_connector_set(struct store_conn *c, const char *siren, const char *kind,
		    const char *settings_json, struct lerr *e)
{
	struct sqlp p[3] = { SQLP_TEXT(siren), SQLP_TEXT(kind), SQLP_TEXT(settings_json) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "INSERT INTO connector (org_id, kind, settings)"
			 " SELECT id, $2, $3::jsonb FROM organisation WHERE siren = $1"
			 " ON CONFLICT (org_id, kind) DO UPDATE SET"
			 "  settings = connector.settings || EXCLUDED.settings, updated_at = now()"
			 " RETURNING org_id", p, 3, &r, e);

	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		rc = lerr_set(e, LERR_NOTFOUND, "org", "no organisation %s", siren);
		lerr_hint(e, "create it first with \"liasse org add\"");
	}
	PQclear(r);
	/* Documents parked for want of a connector go now. */
	if (!rc)
		rc = sq_exec(c, "INSERT INTO job (kind, doc_id) SELECT 'transmit', d.id FROM document d"
			     " JOIN organisation o ON o.id = d.org_id WHERE o.siren = $1 AND d.state = 'queued'"
			     " AND NOT EXISTS (SELECT 1 FROM job j WHERE j.doc_id = d.id"
			     "  AND j.kind = 'transmit' AND j.done_at IS NULL)", p, 1, NULL, e);
	return rc;
}

int
store_connector_get(struct store_conn *c, long long org_id, const char *kind, char **json,
		    struct lerr *e)
{
	char org[24];
	PGresult *r = NULL;
	int rc;

	ll(org_id, org, sizeof(org));
	struct sqlp p[2] = { SQLP_TEXT(org), SQLP_TEXT(kind) };
	rc = sq_exec(c, "SELECT settings::text FROM connector WHERE org_id = $1::bigint AND kind = $2",
		     p, 2, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = lerr_set(e, LERR_NOTFOUND, "connector", "no %s connector for this organisation", kind);
	else if (!(*json = strdup(PQgetvalue(r, 0, 0))))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	PQclear(r);
	return rc;
}

int
store_connector_each(struct store_conn *c, const char *siren,
		     void (*fn)(void *arg, long long org_id, const char *siren, const char *kind,
				const char *settings_json), void *arg, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(siren) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT o.id, o.siren, k.kind, k.settings::text FROM connector k"
			 " JOIN organisation o ON o.id = k.org_id WHERE $1::text IS NULL OR o.siren = $1"
			 " ORDER BY o.siren, k.kind", p, 1, &r, e);

	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r); i++)
		fn(arg, atoll(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		   PQgetvalue(r, i, 3));
	PQclear(r);
	return 0;
}

/* ---- transmissions ---- */

static void
fill_xmit(PGresult *r, struct xmit_row *t)
{
	memset(t, 0, sizeof(*t));
	copy(t->doc_id, sizeof(t->doc_id), PQgetvalue(r, 0, 0));
	copy(t->kind, sizeof(t->kind), PQgetvalue(r, 0, 1));
	copy(t->doc_state, sizeof(t->doc_state), PQgetvalue(r, 0, 2));
	t->org_id = atoll(PQgetvalue(r, 0, 3));
	copy(t->siren, sizeof(t->siren), PQgetvalue(r, 0, 4));
	copy(t->state, sizeof(t->state), sq_str(r, 0, 5));
	copy(t->connector, sizeof(t->connector), sq_str(r, 0, 6));
	t->sends = atoi(PQgetvalue(r, 0, 7));
	t->tries = atoi(PQgetvalue(r, 0, 8));
	copy(t->remote_name, sizeof(t->remote_name), sq_str(r, 0, 9));
	copy(t->remote_id, sizeof(t->remote_id), sq_str(r, 0, 10));
	copy(t->match_key, sizeof(t->match_key), sq_str(r, 0, 11));
	t->sending_age_s = atoll(PQgetvalue(r, 0, 12));
	copy(t->meta_json, sizeof(t->meta_json), PQgetvalue(r, 0, 13));
	copy(t->title, sizeof(t->title), PQgetvalue(r, 0, 14));
}

int
store_xmit_load(struct store_conn *c, const char *doc_id, struct xmit_row *t, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(doc_id) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT d.id, d.kind, d.state, d.org_id, o.siren, t.state, t.connector,"
			 " coalesce(t.sends, 0), coalesce(t.tries, 0), t.remote_name, t.remote_id, t.match_key,"
			 " coalesce(extract(epoch FROM now() - t.sending_since)::bigint, 0), d.meta::text, d.title"
			 " FROM document d JOIN organisation o ON o.id = d.org_id"
			 " LEFT JOIN transmission t ON t.doc_id = d.id"
			 " WHERE d.id = $1::uuid FOR UPDATE OF d", p, 1, &r, e);

	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = lerr_set(e, LERR_NOTFOUND, NULL, "no document %s", doc_id);
	else
		fill_xmit(r, t);
	PQclear(r);
	return rc;
}

int
store_xmit_find(struct store_conn *c, long long org_id, const char *match_key, char doc_id[37],
		struct lerr *e)
{
	char org[24];

	ll(org_id, org, sizeof(org));
	struct sqlp p[2] = { SQLP_TEXT(org), SQLP_TEXT(match_key) };
	return sq_doc_id(c, "SELECT doc_id FROM transmission WHERE ($1::bigint = 0 OR org_id = $1::bigint)"
			 " AND (match_key = $2 OR remote_name = $2 OR remote_name LIKE '___-' || $2 || '.tar.gz')"
			 " ORDER BY created_at DESC LIMIT 1", p, 2, doc_id, e);
}

int
store_xmit_find_remote(struct store_conn *c, long long org_id, const char *connector, const char *remote_id,
		       char doc_id[37], struct lerr *e)
{
	char org[24];

	ll(org_id, org, sizeof(org));
	struct sqlp p[3] = { SQLP_TEXT(org), SQLP_TEXT(connector), SQLP_TEXT(remote_id) };
	return sq_doc_id(c, "SELECT doc_id FROM transmission WHERE org_id = $1::bigint AND connector = $2"
			 " AND remote_id = $3 ORDER BY created_at DESC LIMIT 1", p, 3, doc_id, e);
}

/* The transmissions waiting for an answer (state sending or sent) that
 * match_key names, the latest sent first: an answer to a transmission is
 * the answer of the latest one sent, older ones being answered already
 * (refused, acknowledged, failed).  doc_id and other are "" when there are
 * fewer; other set means two wait with the same key: the caller must not guess. */
int
store_xmit_find_waiting(struct store_conn *c, long long org_id, const char *match_key, char doc_id[37],
			char other[37], struct lerr *e)
{
	char org[24];
	PGresult *r = NULL;
	int rc;

	ll(org_id, org, sizeof(org));
	struct sqlp p[2] = { SQLP_TEXT(org), SQLP_TEXT(match_key) };
	rc = sq_exec(c, "SELECT doc_id FROM transmission WHERE ($1::bigint = 0 OR org_id = $1::bigint)"
		     " AND (match_key = $2 OR remote_name = $2 OR remote_name LIKE '___-' || $2 || '.tar.gz')"
		     " AND state IN ('sending', 'sent')"
		     " ORDER BY coalesce(sent_at, sending_since, created_at) DESC, created_at DESC LIMIT 2",
		     p, 2, &r, e);
	if (rc)
		return rc;
	doc_id[0] = other[0] = '\0';
	if (PQntuples(r) > 0)
		copy(doc_id, 37, PQgetvalue(r, 0, 0));
	if (PQntuples(r) > 1)
		copy(other, 37, PQgetvalue(r, 1, 0));
	PQclear(r);
	return 0;
}

int
store_xmit_counter(struct store_conn *c, long long org_id, const char *name, long long *n,
		   struct lerr *e)
{
	char org[24];

	ll(org_id, org, sizeof(org));
	struct sqlp p[2] = { SQLP_TEXT(org), SQLP_TEXT(name) };
	return sq_int(c, "SELECT transmit_counter_next($1::bigint, $2)", p, 2, n, e);
}

/* The job that runs this send keeps its row out of reach for lease_s
 * seconds once the transaction commits: a crash mid-send is taken up again
 * by the next attempt after the lease. */
int
store_xmit_start_send(struct store_conn *c, const struct xmit_row *t, long long job_id, int lease_s,
		      struct lerr *e)
{
	char org[24];
	int rc;

	ll(t->org_id, org, sizeof(org));
	struct sqlp p[6] = { SQLP_TEXT(t->doc_id), SQLP_TEXT(org), SQLP_TEXT(t->connector),
			     SQLP_TEXT(t->remote_name), SQLP_TEXT(t->match_key), SQLP_TEXT(t->remote_id[0] ? t->remote_id : NULL) };
	rc = sq_exec(c, "INSERT INTO transmission (doc_id, org_id, connector, state, sends, remote_name,"
		     "  match_key, remote_id, sending_since, holder_pid, holder_start)"
		     " VALUES ($1::uuid, $2::bigint, $3, 'sending', 1, $4, $5, $6, now(), pg_backend_pid(),"
		     "  (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()))"
		     " ON CONFLICT (doc_id) DO UPDATE SET state = 'sending', sends = transmission.sends + 1,"
		     "  connector = EXCLUDED.connector, remote_name = $4, match_key = $5, remote_id = coalesce($6, transmission.remote_id),"
		     "  sending_since = now(), holder_pid = EXCLUDED.holder_pid,"
		     "  holder_start = EXCLUDED.holder_start, updated_at = now()", p, 6, NULL, e);
	if (!rc)   /* taken up again after a crash: already transmitting, a no-op */
		rc = store_doc_event(c, t->doc_id, 0, "send", "transmit", NULL, e);
	return rc ? rc : sq_job_lease(c, job_id, lease_s, e);
}

/* The transmission's state and then, when the document can take the event
 * (document_next(); the transmission row locked first, as everywhere in this
 * file), the document's.  Unless `always`, a document that cannot take it
 * leaves the transmission as it was too; with `always`, it is the caller's
 * LERR_CONFLICT. */
static int
set_state(struct store_conn *c, const char *doc_id, const char *state, const char *error,
	  const char *event, int always, const char *reason, struct lerr *e)
{
	struct sqlp p[5] = { SQLP_TEXT(doc_id), SQLP_TEXT(state), SQLP_TEXT(error), SQLP_TEXT(event),
			     SQLP_TEXT(always ? "t" : "f") };
	PGresult *r = NULL;
	int rc = sq_exec(c, "UPDATE transmission t SET state = $2, last_error = coalesce($3, t.last_error),"
			 " updated_at = now(), holder_pid = NULL,"
			 " answered_at = CASE WHEN $2 IN ('acknowledged', 'refused') THEN now() ELSE t.answered_at END"
			 " FROM document d WHERE t.doc_id = $1::uuid AND d.id = t.doc_id"
			 " AND ($5::boolean OR document_next(d.state, $4) IS NOT NULL)"
			 " RETURNING document_next(d.state, $4) IS NOT NULL", p, 5, &r, e);

	if (rc)
		return rc;
	if (always || (PQntuples(r) > 0 && !strcmp(PQgetvalue(r, 0, 0), "t")))
		rc = store_doc_event(c, doc_id, 0, event, "transmit", reason, e);
	PQclear(r);
	return rc;
}

/* A return may have come (and answered the document) before the send was
 * known to have succeeded: then only the transmission is updated. */
int
store_xmit_sent(struct store_conn *c, const char *doc_id, const char *remote_id, struct lerr *e)
{
	struct sqlp p[2] = { SQLP_TEXT(doc_id), SQLP_TEXT(remote_id && *remote_id ? remote_id : NULL) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "UPDATE transmission t SET remote_id = coalesce($2, t.remote_id), holder_pid = NULL,"
			 " state = CASE WHEN t.state IN ('new', 'sending') THEN 'sent' ELSE t.state END,"
			 " sent_at = coalesce(t.sent_at, now()), updated_at = now() FROM document d"
			 " WHERE t.doc_id = $1::uuid AND d.id = t.doc_id"
			 " RETURNING document_next(d.state, 'sent') IS NOT NULL", p, 2, &r, e);

	if (rc)
		return rc;
	if (PQntuples(r) > 0 && !strcmp(PQgetvalue(r, 0, 0), "t"))
		rc = store_doc_event(c, doc_id, 0, "sent", "transmit", NULL, e);
	PQclear(r);
	return rc;
}

/* A document that cannot take the answer (already answered by a second
 * message, or cancelled) keeps only the file. */
int
store_xmit_answer(struct store_conn *c, const char *doc_id, int accepted, const char *reason,
		  struct lerr *e)
{
	return set_state(c, doc_id, accepted ? "acknowledged" : "refused", accepted ? NULL : reason,
			 accepted ? "acknowledge" : "refuse", 0, accepted ? NULL : reason, e);
}

int
store_xmit_fail(struct store_conn *c, const char *doc_id, const char *reason, struct lerr *e)
{
	return set_state(c, doc_id, "failed", reason, "fail", 1, reason, e);
}

int
store_xmit_retry_later(struct store_conn *c, const char *doc_id, const char *error, int delay_s,
		       struct lerr *e)
{
	struct sqlp p[2] = { SQLP_TEXT(doc_id), SQLP_TEXT(error) };
	int rc = sq_exec(c, "UPDATE transmission SET tries = tries + 1, last_error = $2, holder_pid = NULL,"
			 " updated_at = now() WHERE doc_id = $1::uuid", p, 2, NULL, e);

	return rc ? rc : sq_job_later(c, "transmit", doc_id, error, delay_s, e);
}

/* A transmission never started (the connector is not configured yet, the
 * platform refused the connection before anything was sent): count the try. */
int
store_xmit_note(struct store_conn *c, const struct xmit_row *t, const char *error, struct lerr *e)
{
	char org[24];

	ll(t->org_id, org, sizeof(org));
	struct sqlp p[4] = { SQLP_TEXT(t->doc_id), SQLP_TEXT(org), SQLP_TEXT(t->connector), SQLP_TEXT(error) };
	return sq_exec(c, "INSERT INTO transmission (doc_id, org_id, connector, last_error)"
		       " VALUES ($1::uuid, $2::bigint, $3, $4) ON CONFLICT (doc_id) DO UPDATE"
		       " SET last_error = $4, updated_at = now()", p, 4, NULL, e);
}

/* Certainly not sent (no connection, login refused): no reconciliation needed. */
int
store_xmit_unsent(struct store_conn *c, const char *doc_id, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(doc_id) };

	return sq_exec(c, "UPDATE transmission SET state = 'new', holder_pid = NULL, updated_at = now()"
		       " WHERE doc_id = $1::uuid",
		       p, 1, NULL, e);
}

int
store_xmit_attach(struct store_conn *c, const char *doc_id, const char *role, const char *name,
		  const char *media_type, const void *data, size_t len, struct lerr *e)
{
	struct sqlp p[5] = { SQLP_TEXT(doc_id), SQLP_TEXT(role), SQLP_TEXT(name), SQLP_TEXT(media_type),
			     SQLP_BIN(data, len) };

	return sq_exec(c, "SELECT document_file_attach($1::uuid, $2, $3, $4, $5)", p, 5, NULL, e);
}

/* dd/mm/yyyy of the transmission's sending, French legal time ("" if never sent). */
int
store_xmit_sent_day(struct store_conn *c, const char *doc_id, char day[11], struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(doc_id) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT to_char(sent_at AT TIME ZONE 'Europe/Paris', 'DD/MM/YYYY')"
			 " FROM transmission WHERE doc_id = $1::uuid AND sent_at IS NOT NULL", p, 1, &r, e);

	day[0] = 0;
	if (rc)
		return rc;
	if (PQntuples(r) == 1)
		snprintf(day, 11, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

int
store_xmit_files(struct store_conn *c, const char *doc_id,
		 void (*fn)(void *arg, int n, const char *role, const char *name, const char *media_type,
			    long long blob_id, long long size, int nchunks), void *arg, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(doc_id) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT f.n, f.role, f.name, f.media_type, f.blob_id, b.size, b.nchunks"
			 " FROM document_file f JOIN blob b ON b.id = f.blob_id WHERE f.doc_id = $1::uuid"
			 " ORDER BY f.n", p, 1, &r, e);

	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r); i++)
		fn(arg, atoi(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		   PQgetvalue(r, i, 3), atoll(PQgetvalue(r, i, 4)), atoll(PQgetvalue(r, i, 5)),
		   atoi(PQgetvalue(r, i, 6)));
	PQclear(r);
	return 0;
}

/* How many transmissions of org (0: any) over a connector kind wait for an answer. */
int
store_xmit_waiting(struct store_conn *c, long long org_id, const char *connector, int *n,
		   struct lerr *e)
{
	char org[24];

	ll(org_id, org, sizeof(org));
	struct sqlp p[2] = { SQLP_TEXT(org), SQLP_TEXT(connector) };
	return int_of(c, "SELECT count(*) FROM transmission WHERE org_id = $1::bigint AND connector = $2"
		      " AND state IN ('sending', 'sent')", p, 2, n, e);
}

/* ---- return channels ---- */

int
store_inbox_seen(struct store_conn *c, const char *source, const char *item, int *seen,
		 struct lerr *e)
{
	struct sqlp p[2] = { SQLP_TEXT(source), SQLP_TEXT(item) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT doc_id IS NULL AND what <> 'PES_Retour' FROM transmit_inbox"
			 " WHERE source = $1 AND item = $2",
			 p, 2, &r, e);

	if (rc)
		return rc;
	*seen = PQntuples(r) == 0 ? 0 : !strcmp(PQgetvalue(r, 0, 0), "t") ? 2 : 1;
	PQclear(r);
	return 0;
}

int
store_inbox_add(struct store_conn *c, const char *source, const char *item, const char *doc_id,
		const char *what, struct lerr *e)
{
	struct sqlp p[4] = { SQLP_TEXT(source), SQLP_TEXT(item),
			     SQLP_TEXT(doc_id && *doc_id ? doc_id : NULL), SQLP_TEXT(what) };

	return sq_exec(c, "INSERT INTO transmit_inbox (source, item, doc_id, what)"
		       " VALUES ($1, $2, $3::uuid, $4) ON CONFLICT DO NOTHING", p, 4, NULL, e);
}

/* Transmissions a dead process left 'sending' (transmission_orphans():
 * their job made due now), and, as a last resort, a job for any
 * transmission left 'sending' beyond its lease without one. */
int
store_xmit_recover(struct store_conn *c, int lease_s, struct lerr *e)
{
	char lease[16];
	int rc = sq_exec(c, "SELECT transmission_orphans()", NULL, 0, NULL, e);

	snprintf(lease, sizeof(lease), "%d", lease_s);
	struct sqlp q[1] = { SQLP_TEXT(lease) };
	if (!rc)
		rc = sq_exec(c, "INSERT INTO job (kind, doc_id) SELECT 'transmit', t.doc_id FROM transmission t"
			     " WHERE t.state = 'sending' AND t.sending_since < now() - $1::int * interval '1 second'"
			     " AND NOT EXISTS (SELECT 1 FROM job j WHERE j.doc_id = t.doc_id AND j.kind = 'transmit'"
			     "  AND j.done_at IS NULL)", q, 1, NULL, e);
	return rc;
}

/* How many returns were attached to the document. */
int
store_inbox_count(struct store_conn *c, const char *doc_id, int *n, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(doc_id) };

	return int_of(c, "SELECT count(*) FROM transmit_inbox WHERE doc_id = $1::uuid", p, 1, n, e);
}

/* A transaction-scoped advisory lock on a return channel (not waited for:
 * *got = 0 when another transaction holds it). */
int
store_inbox_lock(struct store_conn *c, const char *source, int *got, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(source) };

	return int_of(c, "SELECT pg_try_advisory_xact_lock(74616362, hashtext($1))", p, 1, got, e);
}

/* The same lock held by the database session, across the commits of a
 * poll that commits each item it reads (not waited for: *got = 0 when
 * another session or transaction holds it).  store_inbox_release() gives it
 * back; a session that ends (liassed killed, the server restarted) drops it. */
int
store_inbox_hold(struct store_conn *c, const char *source, int *got, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(source) };

	return int_of(c, "SELECT pg_try_advisory_lock(74616362, hashtext($1))", p, 1, got, e);
}

int
store_inbox_release(struct store_conn *c, const char *source, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(source) };

	return sq_exec(c, "SELECT pg_advisory_unlock(74616362, hashtext($1))", p, 1, NULL, e);
}

/* The transmissions of org over connector that were sent and wait for
 * their answer. */
int
store_xmit_sent_each(struct store_conn *c, long long org_id, const char *connector,
		     void (*fn)(void *arg, const char *doc_id, const char *kind, const char *remote_id),
		     void *arg, struct lerr *e)
{
	char org[24];
	PGresult *r = NULL;
	int rc;

	ll(org_id, org, sizeof(org));
	struct sqlp p[2] = { SQLP_TEXT(org), SQLP_TEXT(connector) };
	rc = sq_exec(c, "SELECT t.doc_id, d.kind, coalesce(t.remote_id, '') FROM transmission t"
		     " JOIN document d ON d.id = t.doc_id WHERE t.org_id = $1::bigint AND t.connector = $2"
		     " AND t.state = 'sent' ORDER BY t.sent_at LIMIT 500", p, 2, &r, e);
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r); i++)
		fn(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2));
	PQclear(r);
	return 0;
}

/* The highest IMAP UID read from source (0: none). */
int
store_inbox_last_uid(struct store_conn *c, const char *source, long long *uid, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(source) };
	long long v = 0;
	int rc = sq_int(c, "SELECT coalesce(max(item::bigint), 0) FROM transmit_inbox"
			" WHERE source = $1 AND item ~ '^[0-9]{1,18}$'", p, 1, &v, e);

	if (!rc)
		*uid = v;
	return rc;
}

/* Whether source had an item read within the last `seconds`. */
int
store_inbox_recent(struct store_conn *c, const char *source, int seconds, int *any, struct lerr *e)
{
	char sec[16];

	snprintf(sec, sizeof(sec), "%d", seconds);
	struct sqlp p[2] = { SQLP_TEXT(source), SQLP_TEXT(sec) };
	return int_of(c, "SELECT EXISTS (SELECT 1 FROM transmit_inbox WHERE source = $1"
		      " AND seen_at > now() - $2::int * interval '1 second')", p, 2, any, e);
}

/* ---- an organisation's returns (014_org_return.sql) ---- */

int
store_org_return_add(struct store_conn *c, long long org_id, const char *kind, const char *name,
		     const char *media_type, const void *data, size_t len, const char *source, struct lerr *e)
{
	char org[24];

	ll(org_id, org, sizeof(org));
	struct sqlp p[6] = { SQLP_TEXT(org), SQLP_TEXT(kind), SQLP_TEXT(name), SQLP_TEXT(media_type),
			     SQLP_BIN(data, len), SQLP_TEXT(source) };
	return sq_exec(c, "SELECT org_return_add($1::bigint, $2, $3, $4, $5, $6)", p, 6, NULL, e);
}

int
store_org_returns_json(struct store_conn *c, long long org_id, char **json, struct lerr *e)
{
	char org[24];

	ll(org_id, org, sizeof(org));
	struct sqlp p[1] = { SQLP_TEXT(org) };
	return sq_json(c, "SELECT org_returns_json($1::bigint)::text", p, 1, json, e);
}

int
store_org_return_file(struct store_conn *c, long long org_id, const char *id, struct doc_file *out,
		      struct lerr *e)
{
	char org[24];
	PGresult *r = NULL;
	int rc;

	ll(org_id, org, sizeof(org));
	struct sqlp p[2] = { SQLP_TEXT(org), SQLP_TEXT(id) };
	rc = sq_exec(c, "SELECT b.id, b.size, b.nchunks, encode(b.sha256, 'hex'), r.name, r.media_type"
		     " FROM org_return r JOIN blob b ON b.id = r.blob_id"
		     " WHERE r.org_id = $1::bigint AND r.id = $2::bigint", p, 2, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		rc = lerr_set(e, LERR_NOTFOUND, NULL, "no such return");
		lerr_hint(e, "GET /api/v1/organisations/{siren}/returns gives each return's href");
	} else {
		out->blob_id = atoll(PQgetvalue(r, 0, 0));
		out->size = atoll(PQgetvalue(r, 0, 1));
		out->nchunks = atoi(PQgetvalue(r, 0, 2));
		copy(out->sha256_hex, sizeof(out->sha256_hex), PQgetvalue(r, 0, 3));
		copy(out->name, sizeof(out->name), PQgetvalue(r, 0, 4));
		copy(out->media_type, sizeof(out->media_type), PQgetvalue(r, 0, 5));
	}
	PQclear(r);
	return rc;
}

/* Whether source is due for its scheduled reading (every `seconds`); when
 * it is, the slot is taken (polled_at = now()), so that one process reads it. */
int
store_inbox_due(struct store_conn *c, const char *source, int seconds, int *due, struct lerr *e)
{
	char sec[16];
	PGresult *r = NULL;
	int rc;

	snprintf(sec, sizeof(sec), "%d", seconds);
	struct sqlp p[2] = { SQLP_TEXT(source), SQLP_TEXT(sec) };
	rc = sq_exec(c, "INSERT INTO return_channel (source, polled_at) VALUES ($1, now())"
		     " ON CONFLICT (source) DO UPDATE SET polled_at = now()"
		     " WHERE return_channel.polled_at <= now() - $2::int * interval '1 second' RETURNING 1",
		     p, 2, &r, e);
	if (rc)
		return rc;
	*due = PQntuples(r) > 0;
	PQclear(r);
	return 0;
}
