/*
 * notice.c - the store's half of e-mail notifications (025_notification.sql,
 * functions/85_notify.sql): what a 'notify' job has to send, its outcome,
 * the daily digests' plan, each person's preference, the failed ones.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

int
store_notice_claim(struct store_conn *c, long long job, int lease_s, char **json, struct lerr *e)
{
	struct sqlp p[] = { SQLP_INT(job), SQLP_INT(lease_s) };
	return sq_json(c, "SELECT notification_claim($1::bigint, $2::int)::text", p, 2, json, e);
}

int
store_notice_record(struct store_conn *c, long long id, const char *outcome, const char *message_id,
		    int ndocs, const char *error, struct lerr *e)
{
	struct sqlp p[] = { SQLP_INT(id), SQLP_TEXT(outcome), SQLP_TEXT(message_id), SQLP_INT(ndocs),
			    SQLP_TEXT(error) };
	return sq_exec(c, "SELECT notification_record($1::bigint, $2, $3, $4::int, $5)", p, 5, NULL, e);
}

int
store_notice_skipped(struct store_conn *c, long long id, const char *why, struct lerr *e)
{
	struct sqlp p[] = { SQLP_INT(id), SQLP_TEXT(why) };
	return sq_exec(c, "UPDATE notification SET skipped = $2, done_at = now(), lease_until = NULL"
		       " WHERE id = $1::bigint", p, 2, NULL, e);
}

int
store_notice_plan_digests(struct store_conn *c, int hour, const char *tz, int *planned,
			  struct lerr *e)
{
	long long n = 0;
	int rc;

	struct sqlp p[] = { SQLP_INT(hour), SQLP_TEXT(tz) };
	rc = sq_int(c, "SELECT notification_digest_plan($1::int, $2)", p, 2, &n, e);
	*planned = (int)n;
	return rc;
}

int
store_notice_pref_json(struct store_conn *c, long long person, char **json, struct lerr *e)
{
	struct sqlp p[] = { SQLP_INT(person) };
	return sq_json(c, "SELECT json_build_object('mode', notify_mode, 'email', email)::text"
		       " FROM person WHERE id = $1::bigint", p, 1, json, e);
}

int
store_notice_pref_set(struct store_conn *c, long long person, const char *mode, const char *actor,
		      struct lerr *e)
{
	if (!mode || (strcmp(mode, "immediate") && strcmp(mode, "digest") && strcmp(mode, "none"))) {
		lerr_set(e, LERR_INVALID, "mode", "unknown notification mode \"%s\"", mode ? mode : "");
		lerr_hint(e, "use \"immediate\" (one e-mail per document), \"digest\" (one e-mail a day)"
			  " or \"none\"");
		return LERR_INVALID;
	}
	struct sqlp p[] = { SQLP_INT(person), SQLP_TEXT(mode), SQLP_TEXT(actor) };
	return sq_exec(c, "WITH u AS (UPDATE person SET notify_mode = $2 WHERE id = $1::bigint"
		       " RETURNING id) SELECT journal_append($3, 'person.notifications', NULL, NULL,"
		       " jsonb_build_object('mode', $2::text)) FROM u", p, 3, NULL, e);
}

int
store_notice_failed_json(struct store_conn *c, char **json, struct lerr *e)
{
	return sq_json(c, "SELECT coalesce(json_agg(json_build_object('id', f.id, 'kind', f.kind,"
		       " 'person', f.email, 'doc', f.doc_id, 'title', f.title, 'day', f.day,"
		       " 'created_at', ts_text(f.created_at), 'attempts', f.attempts,"
		       " 'error', f.last_error, 'next_attempt', ts_text(f.next_attempt),"
		       " 'state', CASE WHEN f.failed_at IS NULL THEN 'retrying' ELSE 'failed' END,"
		       " 'failed_at', ts_text(f.failed_at))"
		       " ORDER BY f.id DESC), '[]')::text"
		       " FROM (SELECT * FROM notification_failed ORDER BY id DESC LIMIT 500) f",
		       NULL, 0, json, e);
}

int
store_notice_resend(struct store_conn *c, long long id, const char *actor, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	struct sqlp p[2] = { SQLP_INT(id), SQLP_TEXT(actor) };
	if ((rc = sq_exec(c, "SELECT notification_resend($1::bigint, $2)", p, 2, &r, e)))
		return rc;
	const char *out = PQgetvalue(r, 0, 0);

	if (!strcmp(out, "unknown"))
		rc = lerr_set(e, LERR_NOTFOUND, NULL, "no notification %lld", id);
	else if (!strcmp(out, "not-failed"))
		rc = lerr_set(e, LERR_CONFLICT, NULL, "notification %lld was not refused for good", id);
	if (rc)
		lerr_hint(e, "only a notification the mail server refused for good (state failed in "
			  "GET /api/v1/admin/notifications) is sent again; the others are retried by the workers");
	PQclear(r);
	return rc;
}
