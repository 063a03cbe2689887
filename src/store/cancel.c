/*
 * cancel.c - the rows of the annulation of an acknowledged act
 * (011_cancel_classification.sql, functions/75_cancel.sql): what the job
 * "cancel" (src/transmit/cancel.c) reads and records, with the same
 * exactly-once bookkeeping as the first send (src/transmit/README).
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

void
sq_act_send(PGresult *r, int col, const char *doc_id, struct act_send *s)
{
	copy(s->doc_id, sizeof(s->doc_id), doc_id);
	s->org_id = atoll(PQgetvalue(r, 0, col));
	copy(s->siren, sizeof(s->siren), PQgetvalue(r, 0, col + 1));
	copy(s->connector, sizeof(s->connector), PQgetvalue(r, 0, col + 2));
	copy(s->remote_id, sizeof(s->remote_id), PQgetvalue(r, 0, col + 3));
	copy(s->idacte, sizeof(s->idacte), PQgetvalue(r, 0, col + 4));
	copy(s->state, sizeof(s->state), PQgetvalue(r, 0, col + 5));
	copy(s->name, sizeof(s->name), PQgetvalue(r, 0, col + 6));
	s->sends = atoi(PQgetvalue(r, 0, col + 7));
	s->tries = atoi(PQgetvalue(r, 0, col + 8));
	s->sending_age_s = atoll(PQgetvalue(r, 0, col + 9));
}

int
store_cancel_load(struct store_conn *c, const char *doc_id, struct cancel_row *k, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(doc_id) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT d.state, d.org_id, o.siren, coalesce(t.connector, ''), coalesce(t.remote_id, ''),"
			 " coalesce(t.match_key, ''), coalesce(k.state, ''), coalesce(k.remote_name, ''),"
			 " coalesce(k.sends, 0), coalesce(k.tries, 0),"
			 " coalesce(extract(epoch FROM now() - k.sending_since)::bigint, 0)"
			 " FROM document d JOIN organisation o ON o.id = d.org_id"
			 " LEFT JOIN transmission t ON t.doc_id = d.id LEFT JOIN cancellation k ON k.doc_id = d.id"
			 " WHERE d.id = $1::uuid FOR UPDATE OF d", p, 1, &r, e);

	if (rc)
		return rc;
	memset(k, 0, sizeof(*k));
	if (PQntuples(r) == 0)
		rc = lerr_set(e, LERR_NOTFOUND, NULL, "no document %s", doc_id);
	else {
		copy(k->doc_state, sizeof(k->doc_state), PQgetvalue(r, 0, 0));
		sq_act_send(r, 1, doc_id, &k->s);
	}
	PQclear(r);
	return rc;
}

int
store_cancel_start_send(struct store_conn *c, const struct act_send *s, long long job_id, int lease_s,
			struct lerr *e)
{
	struct sqlp p[2] = { SQLP_TEXT(s->doc_id), SQLP_TEXT(s->name) };
	int rc = sq_exec(c, "UPDATE cancellation SET state = 'sending', sends = sends + 1, remote_name = $2,"
			 " sending_since = now(), updated_at = now() WHERE doc_id = $1::uuid", p, 2, NULL, e);

	return rc ? rc : sq_job_lease(c, job_id, lease_s, e);
}

/* sent, new (certainly not sent) or refused (the document back to
 * acknowledged, with the platform's answer as its reason). */
int
store_cancel_outcome(struct store_conn *c, const char *doc_id, const char *state, const char *error,
		     struct lerr *e)
{
	struct sqlp p[3] = { SQLP_TEXT(doc_id), SQLP_TEXT(state), SQLP_TEXT(error) };
	int rc = sq_exec(c, "UPDATE cancellation SET state = $2, last_error = coalesce($3, last_error),"
			 " sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END,"
			 " answered_at = CASE WHEN $2 = 'refused' THEN now() ELSE answered_at END,"
			 " updated_at = now() WHERE doc_id = $1::uuid", p, 3, NULL, e);

	if (!rc && !strcmp(state, "refused"))
		rc = store_doc_event(c, doc_id, 0, "cancel_refused", "transmit", error, e);
	return rc;
}

int
store_cancel_settle(struct store_conn *c, const struct act_send *s, const char *state, const char *name,
		    const char *error, struct lerr *e)
{
	(void)name;
	return store_cancel_outcome(c, s->doc_id, state, error, e);
}

int
store_cancel_retry_later(struct store_conn *c, const struct act_send *s, const char *error, int delay_s,
			 struct lerr *e)
{
	struct sqlp p[2] = { SQLP_TEXT(s->doc_id), SQLP_TEXT(error) };
	int rc = sq_exec(c, "UPDATE cancellation SET tries = tries + 1, last_error = $2, updated_at = now()"
			 " WHERE doc_id = $1::uuid", p, 2, NULL, e);

	return rc ? rc : sq_job_later(c, "cancel", s->doc_id, error, delay_s, e);
}

/* The ARAnnulation came: the document cancelled, unless it cannot take it
 * (a second 6-2: the file only). */
int
store_cancel_answer(struct store_conn *c, const char *doc_id, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(doc_id) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT document_next(d.state, 'cancelled_ack') IS NOT NULL FROM document d"
			 " WHERE d.id = $1::uuid", p, 1, &r, e);
	int apply = !rc && PQntuples(r) > 0 && !strcmp(PQgetvalue(r, 0, 0), "t");

	PQclear(r);
	if (!rc)
		rc = sq_exec(c, "UPDATE cancellation SET state = 'acknowledged', answered_at = now(),"
			     " updated_at = now() WHERE doc_id = $1::uuid", p, 1, NULL, e);
	if (!rc && apply)
		rc = store_doc_event(c, doc_id, 0, "cancelled_ack", "transmit", NULL, e);
	return rc;
}

/* The document whose annulation archive the returned envelope names
 * (AnomalieEnveloppe ANO_<envelope>): doc_id "" if none. */
int
store_cancel_find(struct store_conn *c, long long org_id, const char *envelope, char doc_id[37], struct lerr *e)
{
	struct sqlp p[2] = { SQLP_INT(org_id), SQLP_TEXT(envelope) };
	return sq_doc_id(c, "SELECT doc_id FROM cancellation WHERE org_id = $1::bigint"
			 " AND remote_name LIKE '___-' || $2 || '.tar.gz' LIMIT 1", p, 2, doc_id, e);
}

int
store_cancel_s2low_each(struct store_conn *c, long long org_id,
			void (*fn)(void *arg, const char *doc_id, const char *cancel_id), void *arg, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	struct sqlp p[1] = { SQLP_INT(org_id) };
	rc = sq_exec(c, "SELECT k.doc_id, substr(k.remote_name, 7) FROM cancellation k"
		     " JOIN document d ON d.id = k.doc_id WHERE k.org_id = $1::bigint AND k.state = 'sent'"
		     " AND k.remote_name LIKE 's2low:%' AND d.state = 'cancelling' ORDER BY k.sent_at LIMIT 500",
		     p, 1, &r, e);
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r); i++)
		fn(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	return 0;
}
