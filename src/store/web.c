/*
 * web.c - the reads behind the web pages (src/web/), each one statement
 * whose JSON PostgreSQL builds, scoped to the person asking: an official's
 * queue across organisations and delegations with its filters and counts,
 * a document with its history, what I signed, the organisation's documents
 * for agents, and the administrator's lists (people, journal, jobs).
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
store_web_me(struct store_conn *c, long long person, char **json, struct lerr *e)
{
	struct sqlp p[] = { SQLP_INT(person) };
	return sq_json(c, "SELECT json_build_object('id', p.id, 'email', p.email, 'name', p.name,"
		" 'operator', p.is_operator,"
		" 'signer', EXISTS (SELECT 1 FROM person_role WHERE person_id = p.id AND role = 'signer'),"
		" 'agent', EXISTS (SELECT 1 FROM person_role WHERE person_id = p.id AND role = 'agent'),"
		" 'org_admin', EXISTS (SELECT 1 FROM person_role WHERE person_id = p.id AND role = 'org_admin'),"
		" 'pending', (SELECT count(*) FROM queue_docs(p.id)))::text"
		" FROM person p WHERE p.id = $1::bigint AND p.disabled_at IS NULL", p, 1, json, e);
}

/* A page of "Mon parapheur": queue_slice() (schemas/sql/functions/40_people.sql),
 * the order, cursor and counts of GET /api/v1/queue, then only the columns
 * the page shows, for the page's rows. */
int
store_web_queue(struct store_conn *c, long long person, const struct web_queue_filter *f,
		char **json, struct lerr *e)
{
	struct sqlp p[] = { SQLP_INT(person), SQLP_TEXT(sq_opt(f->siren)), SQLP_TEXT(sq_opt(f->kind)),
			    SQLP_TEXT(sq_opt(f->client)), SQLP_TEXT(sq_opt(f->due_before)),
			    SQLP_INT(f->limit > 0 ? f->limit : 100),
			    SQLP_TEXT(sq_opt(f->cursor)), SQLP_TEXT(f->back ? "true" : "false") };
	return sq_json(c, "SELECT json_build_object('total', s.counts->'total', 'count', s.counts->'matching',"
		" 'first', s.first_pos, 'next', s.next_cursor, 'prev', s.prev_cursor,"
		" 'items', coalesce((SELECT json_agg(json_build_object('id', d.id, 'title', d.title, 'kind', d.kind,"
		"   'siren', o.siren, 'org', o.name, 'vendor', cl.name, 'due_date', d.due_date,"
		"   'created_at', ts_text(d.created_at), 'overdue', d.due_date < current_date,"
		"   'for', CASE WHEN pg.for_person <> $1::bigint THEN (SELECT name FROM person WHERE id = pg.for_person) END,"
		"   'action', circuit_action(d)) ORDER BY pg.rn)"
		"   FROM unnest(s.ids, s.fors) WITH ORDINALITY AS pg(id, for_person, rn)"
		"   JOIN document d ON d.id = pg.id JOIN organisation o ON o.id = d.org_id"
		"   JOIN api_client cl ON cl.id = d.client_id), '[]'),"
		" 'orgs', (SELECT coalesce(json_agg(json_build_object('siren', siren, 'name', name) ORDER BY name), '[]')"
		"   FROM organisation WHERE id = ANY (s.org_ids)),"
		" 'vendors', (SELECT coalesce(json_agg(name ORDER BY name), '[]') FROM api_client"
		"   WHERE id = ANY (s.client_ids)))::text"
		" FROM queue_slice($1::bigint, $2, $3, $4, $5::date, $6::integer, $7, $8::boolean) s",
		p, 8, json, e);
}

int
store_web_doc(struct store_conn *c, long long person, const char *doc_id, char **json, struct lerr *e)
{
	struct sqlp p[] = { SQLP_INT(person), SQLP_TEXT(doc_id) };
	return sq_json(c, "SELECT json_build_object('doc', doc_json(d), 'org', o.name, 'vendor', cl.name,"
		" 'meta', d.meta, 'may_sign', person_may_sign($1::bigint, d.id) IS NOT NULL,"
		" 'for', (SELECT name FROM person WHERE id = person_may_sign($1::bigint, d.id) AND id <> $1::bigint),"
		" 'signer', person_brief(d.signer_id),"
		" 'may_visa', circuit_action(d) = 'visa' AND person_may_act($1::bigint, d.id) IS NOT NULL,"
		" 'may_reject', person_may_act($1::bigint, d.id) IS NOT NULL,"
		" 'act_for', (SELECT name FROM person WHERE id = person_may_act($1::bigint, d.id) AND id <> $1::bigint),"
		" 'may_remord', circuit_may_remord($1::bigint, d),"
		" 'may_annul', d.kind = 'acte' AND d.state = 'acknowledged' AND person_may_manage($1::bigint, d.id),"
		" 'may_publish', d.kind = 'acte' AND d.state = 'acknowledged' AND person_may_manage($1::bigint, d.id),"
		" 'steps', circuit_doc_steps_json($1::bigint, d),"
		" 'history', (SELECT coalesce(json_agg(json_build_object('at', ts_text(j.at), 'actor', j.actor,"
		"   'action', j.action, 'detail', j.detail) ORDER BY j.id), '[]') FROM journal j WHERE j.doc_id = d.id))::text"
		" FROM document d JOIN organisation o ON o.id = d.org_id JOIN api_client cl ON cl.id = d.client_id"
		" WHERE d.id = $2::uuid AND person_may_see($1::bigint, d.id)", p, 2, json, e);
}

int
store_web_file(struct store_conn *c, long long person, const char *doc_id, int n,
	       struct doc_file *out, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	struct sqlp p[] = { SQLP_INT(person), SQLP_TEXT(doc_id) };
	rc = sq_exec(c, "SELECT person_may_see($1::bigint, $2::uuid)", p, 2, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 0), "t")) {
		PQclear(r);
		lerr_set(e, LERR_NOTFOUND, NULL, "no such document");
		return LERR_NOTFOUND;
	}
	PQclear(r);
	return store_doc_file(c, doc_id, 0, n, out, e);
}

int
store_web_signed(struct store_conn *c, long long person, char **json, struct lerr *e)
{
	struct sqlp p[] = { SQLP_INT(person) };
	return sq_json(c, "SELECT coalesce(json_agg(json_build_object('id', d.id, 'title', d.title,"
		" 'kind', d.kind, 'state', d.state, 'org', o.name, 'signed_at', ts_text(d.signed_at),"
		" 'for', (SELECT name FROM person WHERE id = d.signed_for AND id <> $1::bigint))"
		" ORDER BY d.signed_at DESC), '[]')::text"
		" FROM (SELECT * FROM document WHERE signed_by = $1::bigint ORDER BY signed_at DESC LIMIT 500) d"
		" JOIN organisation o ON o.id = d.org_id", p, 1, json, e);
}

int
store_web_follow(struct store_conn *c, long long person, const char *state, const char *siren,
		 char **json, struct lerr *e)
{
	struct sqlp p[] = { SQLP_INT(person), SQLP_TEXT(sq_opt(state)), SQLP_TEXT(sq_opt(siren)) };
	return sq_json(c, "WITH orgs AS (SELECT o.id FROM organisation o, person p WHERE p.id = $1::bigint"
		"   AND (p.is_operator OR o.id IN (SELECT org_id FROM person_role WHERE person_id = p.id"
		"   AND role IN ('agent', 'org_admin')))),"
		" docs AS (SELECT d.* FROM document d WHERE d.org_id IN (SELECT id FROM orgs)"
		"   AND ($2::doc_state IS NULL OR d.state = $2::doc_state)"
		"   AND ($3::text IS NULL OR d.org_id = (SELECT id FROM organisation WHERE siren = $3))"
		"   ORDER BY d.updated_at DESC LIMIT 500)"
		" SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object('id', d.id,"
		"   'title', d.title, 'kind', d.kind, 'state', d.state, 'reason', d.reason, 'org', o.name,"
		"   'updated_at', ts_text(d.updated_at), 'signer', (SELECT name FROM person WHERE id = d.signer_id),"
		"   'letters', (SELECT coalesce(json_agg(json_build_object('n', f.n, 'name', f.name) ORDER BY f.n), '[]')"
		"     FROM document_file f WHERE f.doc_id = d.id AND f.role = 'letter'),"
		"   'courriers', (SELECT coalesce(json_agg(json_build_object('id', l.id, 'label', letter_label(l.code),"
		"     'deadline', l.deadline, 'answer', l.answer_state, 'answers', cardinality(letter_answers(l.code)))"
		"     ORDER BY l.id), '[]') FROM letter l WHERE l.doc_id = d.id))"
		"   ORDER BY d.updated_at DESC) FROM docs d JOIN organisation o ON o.id = d.org_id), '[]'),"
		" 'orgs', (SELECT coalesce(json_agg(json_build_object('siren', siren, 'name', name) ORDER BY name), '[]')"
		"   FROM organisation WHERE id IN (SELECT id FROM orgs)))::text", p, 3, json, e);
}

/* The organisations whose documents (and returns) person follows: agents
 * and organisation administrators of theirs, operators of all. */
#define FOLLOWED_ORGS \
	"SELECT o.id FROM organisation o, person p WHERE p.id = $1::bigint" \
	"   AND (p.is_operator OR o.id IN (SELECT org_id FROM person_role WHERE person_id = p.id" \
	"   AND role IN ('agent', 'org_admin')))"

int
store_web_returns(struct store_conn *c, long long person, const char *siren, char **json,
		  struct lerr *e)
{
	struct sqlp p[] = { SQLP_INT(person), SQLP_TEXT(sq_opt(siren)) };
	return sq_json(c, "WITH orgs AS (" FOLLOWED_ORGS "),"
		" rets AS (SELECT r.* FROM org_return r WHERE r.org_id IN (SELECT id FROM orgs)"
		"   AND ($2::text IS NULL OR r.org_id = (SELECT id FROM organisation WHERE siren = $2))"
		"   ORDER BY r.id DESC LIMIT 500)"
		" SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object('id', r.id::text,"
		"   'kind', r.kind, 'name', r.name, 'size', b.size, 'received_at', ts_text(r.received_at),"
		"   'source', r.source, 'org', o.name, 'siren', o.siren) ORDER BY r.id DESC)"
		"   FROM rets r JOIN blob b ON b.id = r.blob_id JOIN organisation o ON o.id = r.org_id), '[]'),"
		" 'orgs', (SELECT coalesce(json_agg(json_build_object('siren', siren, 'name', name) ORDER BY name), '[]')"
		"   FROM organisation WHERE id IN (SELECT id FROM orgs)))::text", p, 2, json, e);
}

int
store_web_return_file(struct store_conn *c, long long person, const char *return_id,
		      long long *org_id, struct doc_file *out, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	struct sqlp p[] = { SQLP_INT(person), SQLP_TEXT(return_id) };
	rc = sq_exec(c, "SELECT r.org_id FROM org_return r WHERE r.id = $2::bigint"
		     " AND r.org_id IN (" FOLLOWED_ORGS ")", p, 2, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		lerr_set(e, LERR_NOTFOUND, NULL, "no such return");
		return LERR_NOTFOUND;
	}
	*org_id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return store_org_return_file(c, *org_id, return_id, out, e);
}

int
store_web_delegations(struct store_conn *c, long long person, char **json, struct lerr *e)
{
	struct sqlp p[] = { SQLP_INT(person) };
	return sq_json(c, "SELECT json_build_object("
		" 'given', (SELECT coalesce(json_agg(json_build_object('id', g.id, 'who', p.name, 'email', p.email,"
		"   'org', o.name, 'kinds', g.kinds, 'starts_at', ts_text(g.starts_at), 'ends_at', ts_text(g.ends_at),"
		"   'active', now() >= g.starts_at AND now() < g.ends_at) ORDER BY g.starts_at DESC), '[]')"
		"   FROM delegation g JOIN person p ON p.id = g.delegate_id LEFT JOIN organisation o ON o.id = g.org_id"
		"   WHERE g.delegator_id = $1::bigint AND g.revoked_at IS NULL AND g.ends_at > now()),"
		" 'received', (SELECT coalesce(json_agg(json_build_object('id', g.id, 'who', p.name, 'email', p.email,"
		"   'org', o.name, 'kinds', g.kinds, 'starts_at', ts_text(g.starts_at), 'ends_at', ts_text(g.ends_at),"
		"   'active', now() >= g.starts_at AND now() < g.ends_at) ORDER BY g.starts_at DESC), '[]')"
		"   FROM delegation g JOIN person p ON p.id = g.delegator_id LEFT JOIN organisation o ON o.id = g.org_id"
		"   WHERE g.delegate_id = $1::bigint AND g.revoked_at IS NULL AND g.ends_at > now()),"
		" 'orgs', (SELECT coalesce(json_agg(json_build_object('siren', o.siren, 'name', o.name) ORDER BY o.name), '[]')"
		"   FROM organisation o WHERE o.id IN (SELECT org_id FROM person_role WHERE person_id = $1::bigint"
		"   AND role = 'signer')))::text", p, 1, json, e);
}

int
store_web_people(struct store_conn *c, char **json, struct lerr *e)
{
	return sq_json(c, "SELECT coalesce(json_agg(json_build_object('id', p.id, 'email', p.email,"
		" 'name', p.name, 'operator', p.is_operator, 'totp', p.totp_secret IS NOT NULL,"
		" 'locked', p.locked_at IS NOT NULL, 'disabled', p.disabled_at IS NOT NULL,"
		" 'roles', (SELECT coalesce(json_agg(json_build_object('siren', o.siren, 'org', o.name,"
		"   'role', r.role, 'function', r.function) ORDER BY o.name, r.role), '[]')"
		"   FROM person_role r JOIN organisation o ON o.id = r.org_id WHERE r.person_id = p.id))"
		" ORDER BY p.name), '[]')::text FROM person p", NULL, 0, json, e);
}

/* The filters other than the actor's, on journal rows j ($2..$5). */
#define JOURNAL_WHERE \
	" ($2::text IS NULL OR j.action LIKE $2 || '%') AND ($3::uuid IS NULL OR j.doc_id = $3::uuid)" \
	" AND ($4::date IS NULL OR j.at >= $4::date) AND j.id < $5::bigint"
#define JOURNAL_ITEM \
	"json_build_object('id', j.id, 'seq', j.seq, 'at', ts_text(j.at), 'actor', j.actor, 'action', j.action," \
	" 'doc', j.doc_id, 'org', (SELECT name FROM organisation WHERE id = j.org_id), 'detail', j.detail)"

int
store_web_journal(struct store_conn *c, const struct web_journal_filter *f, char **json,
		  struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(sq_opt(f->actor)), SQLP_TEXT(sq_opt(f->action)), SQLP_TEXT(sq_opt(f->doc_id)),
			    SQLP_TEXT(sq_opt(f->since)), SQLP_INT(f->before_id > 0 ? f->before_id : (long long)1 << 62),
			    SQLP_INT(f->limit > 0 && f->limit <= 1000 ? f->limit : 100) };
	if (!sq_opt(f->actor))
		return sq_json(c, "SELECT json_build_object('capped', false, 'items', coalesce(json_agg("
			JOURNAL_ITEM " ORDER BY j.id DESC), '[]'))::text FROM (SELECT * FROM journal j"
			" WHERE $1::text IS NULL AND" JOURNAL_WHERE " ORDER BY j.id DESC LIMIT $6::int) j", p, 6, json, e);
	/* each actor's newest entries from the index (actor, id), then merged */
	return sq_json(c, "WITH a AS (SELECT journal_actors($1) AS actor)"
		" SELECT json_build_object('capped', (SELECT count(*) FROM a) > 100, 'items', coalesce(json_agg("
		JOURNAL_ITEM " ORDER BY j.id DESC), '[]'))::text FROM (SELECT j.* FROM (SELECT actor FROM a"
		" ORDER BY actor LIMIT 100) a CROSS JOIN LATERAL (SELECT * FROM journal j WHERE j.actor = a.actor"
		" AND" JOURNAL_WHERE " ORDER BY j.id DESC LIMIT $6::int) j ORDER BY j.id DESC LIMIT $6::int) j",
		p, 6, json, e);
}

int
store_web_jobs(struct store_conn *c, char **json, struct lerr *e)
{
	return sq_json(c, "SELECT json_build_object("
		" 'failed', (SELECT coalesce(json_agg(json_build_object('id', j.id, 'kind', j.kind, 'doc', j.doc_id,"
		"   'attempts', j.attempts, 'error', j.last_error, 'run_at', ts_text(j.run_at),"
		"   'title', (SELECT title FROM document WHERE id = j.doc_id)) ORDER BY j.id), '[]')"
		"   FROM (SELECT * FROM job WHERE done_at IS NULL AND last_error IS NOT NULL ORDER BY id LIMIT 500) j),"
		" 'stuck', (SELECT coalesce(json_agg(json_build_object('id', j.id, 'kind', j.kind, 'doc', j.doc_id,"
		"   'attempts', j.attempts, 'run_at', ts_text(j.run_at),"
		"   'title', (SELECT title FROM document WHERE id = j.doc_id)) ORDER BY j.id), '[]')"
		"   FROM (SELECT * FROM job WHERE done_at IS NULL AND last_error IS NULL"
		"   AND run_at < now() - interval '10 minutes' ORDER BY id LIMIT 500) j),"
		" 'failed_docs', (SELECT coalesce(json_agg(json_build_object('id', d.id, 'title', d.title,"
		"   'reason', d.reason, 'updated_at', ts_text(d.updated_at)) ORDER BY d.updated_at DESC), '[]')"
		"   FROM (SELECT * FROM document WHERE state = 'failed' ORDER BY updated_at DESC LIMIT 200) d))::text",
		NULL, 0, json, e);
}

int
store_web_job_retry(struct store_conn *c, long long job, const char *actor, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	struct sqlp p[] = { SQLP_INT(job), SQLP_TEXT(actor) };
	rc = sq_exec(c, "WITH j AS (UPDATE job SET run_at = now() WHERE id = $1::bigint AND done_at IS NULL"
		     " RETURNING id, kind, doc_id)"
		     " SELECT journal_append($2, 'job.retried', j.doc_id, NULL,"
		     " jsonb_build_object('job', j.id, 'kind', j.kind)) FROM j", p, 2, &r, e);
	if (rc)
		return rc;
	rc = PQntuples(r) == 1 ? 0 : LERR_NOTFOUND;
	PQclear(r);
	if (rc)
		lerr_set(e, LERR_NOTFOUND, NULL, "no such job waiting");
	return rc;
}

/* A letter of the prefecture (letter_json) with its document's title, for
 * an agent or administrator of the document's organisation (or an
 * operator); LERR_NOTFOUND otherwise. */
int
store_web_letter(struct store_conn *c, long long person, const char *doc_id, long long letter, char **json,
		 struct lerr *e)
{
	int rc;

	struct sqlp p[] = { SQLP_INT(person), SQLP_TEXT(doc_id), SQLP_INT(letter) };
	rc = sq_json(c, "SELECT (letter_json(l.id) || jsonb_build_object('title', d.title, 'org', o.name,"
		" 'doc', d.id))::text FROM letter l JOIN document d ON d.id = l.doc_id"
		" JOIN organisation o ON o.id = d.org_id, person p"
		" WHERE l.id = $3::bigint AND l.doc_id = $2::uuid AND p.id = $1::bigint"
		" AND (p.is_operator OR d.org_id IN (SELECT org_id FROM person_role WHERE person_id = p.id"
		" AND role IN ('agent', 'org_admin')))", p, 3, json, e);
	if (rc == LERR_NOTFOUND)
		lerr_set(e, LERR_NOTFOUND, NULL, "no such letter");
	return rc;
}

int
store_web_may_manage(struct store_conn *c, long long person, const char *doc_id, struct lerr *e)
{
	long long may = 0;
	int rc;

	struct sqlp p[] = { SQLP_INT(person), SQLP_TEXT(doc_id) };
	rc = sq_int(c, "SELECT person_may_manage($1::bigint, $2::uuid)", p, 2, &may, e);
	if (!rc && !may)
		rc = lerr_set(e, LERR_FORBIDDEN, NULL, "only the organisation's agents and administrators "
			      "may do this");
	return rc;
}

int
store_web_doc_cancel(struct store_conn *c, long long person, const char *doc_id, const char *actor,
		     const char *reason, struct lerr *e)
{
	long long may = 0;
	int rc;

	struct sqlp p[] = { SQLP_INT(person), SQLP_TEXT(doc_id) };
	if ((rc = store_begin(c, e)))
		return rc;
	rc = sq_int(c, "SELECT person_may_manage($1::bigint, $2::uuid)", p, 2, &may, e);
	if (!rc && !may)
		rc = lerr_set(e, LERR_FORBIDDEN, NULL, "only the organisation's agents and administrators "
			      "may ask for an annulation");
	if (!rc)
		rc = store_doc_event(c, doc_id, 0, "cancel", actor, reason, e);
	if (!rc)
		rc = store_commit(c, e);
	else
		store_rollback(c);
	return rc;
}
