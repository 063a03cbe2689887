/*
 * people.c - people, roles, routing, delegations, sessions and the queue.
 *
 * The rules live in SQL functions (004_people.sql) so that every caller, the
 * API, the CLI and the web pages, gets the same checks and the same JSON;
 * their refusals arrive here as struct lerr with field and hint already set.
 */
#include "store/store_int.h"
#include "core/kek.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
lltoa(long long v, char out[24])
{
	snprintf(out, 24, "%lld", v);
}

int
store_person_add(struct store_conn *c, const char *email, const char *name, const char *hash,
		 int is_operator, const char *actor, long long *id, struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(email), SQLP_TEXT(name), SQLP_TEXT(sq_opt(hash)),
			    SQLP_TEXT(is_operator ? "t" : "f"), SQLP_TEXT(actor) };
	char *json = NULL;
	int rc = sq_json(c, "SELECT person_add($1, $2, $3, $4::boolean, $5)::text", p, 5, &json, e);

	if (!rc && id)
		*id = atoll(json);
	free(json);
	return rc;
}

int
store_person_set_password(struct store_conn *c, const char *email, const char *hash,
			  const char *actor, struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(email), SQLP_TEXT(hash), SQLP_TEXT(actor) };

	return sq_exec(c, "SELECT person_set_password($1, $2, $3)", p, 3, NULL, e);
}

int
store_person_set_totp(struct store_conn *c, const char *email, const uint8_t *secret, size_t len,
		      const char *actor, struct lerr *e)
{
	struct sqlp q[] = { SQLP_TEXT(email) };
	char ctx[64];
	struct buf b;
	PGresult *r = NULL;
	int rc;

	if (!secret) {
		struct sqlp p[] = { SQLP_TEXT(email), SQLP_TEXT(NULL), SQLP_TEXT(actor) };

		return sq_exec(c, "SELECT person_set_totp($1, $2::bytea, $3)", p, 3, NULL, e);
	}
	/* person_id_of() refuses an unknown email with the message of the CLI */
	if ((rc = sq_exec(c, "SELECT person_id_of($1)", q, 1, &r, e)))
		return rc;
	kek_context(ctx, sizeof(ctx), "person.totp_secret", PQgetvalue(r, 0, 0));
	PQclear(r);
	buf_init(&b, 1024);
	if (!(rc = kek_seal(ctx, secret, len, &b, e))) {
		struct sqlp p[] = { SQLP_TEXT(email), SQLP_BIN(b.data, b.len), SQLP_TEXT(actor) };

		rc = sq_exec(c, "SELECT person_set_totp($1, $2::bytea, $3)", p, 3, NULL, e);
	}
	buf_fini(&b);
	return rc;
}

int
store_role_add(struct store_conn *c, const char *email, const char *siren, const char *role,
	       const char *function, const char *actor, struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(email), SQLP_TEXT(siren), SQLP_TEXT(role),
			    SQLP_TEXT(sq_opt(function)), SQLP_TEXT(actor) };

	return sq_exec(c, "SELECT role_add($1, $2, $3, $4, $5)", p, 5, NULL, e);
}

int
store_role_remove(struct store_conn *c, const char *email, const char *siren, const char *role,
		  const char *actor, struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(email), SQLP_TEXT(siren), SQLP_TEXT(role), SQLP_TEXT(actor) };

	return sq_exec(c, "SELECT role_remove($1, $2, $3, $4)", p, 4, NULL, e);
}

int
store_routing_add(struct store_conn *c, const char *siren, const char *kind, int nature,
		  const char *email, const char *actor, struct lerr *e)
{
	char nat[24];
	struct sqlp p[] = { SQLP_TEXT(siren), SQLP_TEXT(kind), SQLP_TEXT(nature > 0 ? nat : NULL),
			    SQLP_TEXT(email), SQLP_TEXT(actor) };

	lltoa(nature, nat);
	return sq_exec(c, "SELECT routing_add($1, $2, $3::smallint, $4, $5)", p, 5, NULL, e);
}

int
store_routing_remove(struct store_conn *c, const char *siren, const char *kind, int nature,
		     const char *actor, struct lerr *e)
{
	char nat[24];
	struct sqlp p[] = { SQLP_TEXT(siren), SQLP_TEXT(kind), SQLP_TEXT(nature > 0 ? nat : NULL),
			    SQLP_TEXT(actor) };

	lltoa(nature, nat);
	return sq_exec(c, "SELECT routing_remove($1, $2, $3::smallint, $4)", p, 4, NULL, e);
}

int
store_person_list(struct store_conn *c, char **json, struct lerr *e)
{
	return sq_json(c, "SELECT coalesce(jsonb_agg(me_json(id) ORDER BY email), '[]')::text FROM person",
		       NULL, 0, json, e);
}

int
store_routing_list(struct store_conn *c, char **json, struct lerr *e)
{
	return sq_json(c, "SELECT coalesce(jsonb_agg(jsonb_build_object('organisation', o.siren,"
		       " 'kind', r.kind, 'nature', r.nature, 'signer', person_brief(r.person_id),"
		       " 'circuit', (SELECT c.name FROM circuit c WHERE c.id = r.circuit_id))"
		       " ORDER BY o.siren, r.kind, r.nature NULLS FIRST), '[]')::text"
		       " FROM routing_rule r JOIN organisation o ON o.id = r.org_id", NULL, 0, json, e);
}

int
store_delegation_add(struct store_conn *c, const struct delegation_in *d, char **json,
		     struct lerr *e)
{
	char from[24];
	struct sqlp p[] = { SQLP_TEXT(from), SQLP_TEXT(d->to_email), SQLP_TEXT(sq_opt(d->siren)),
			    SQLP_TEXT(sq_opt(d->kinds)), SQLP_TEXT(d->starts_at), SQLP_TEXT(d->ends_at),
			    SQLP_TEXT(d->actor) };

	lltoa(d->from_person, from);
	return sq_json(c, "SELECT delegation_add($1::bigint, $2, $3, $4::text[], $5::timestamptz,"
		       " $6::timestamptz, $7)::text", p, 7, json, e);
}

int
store_delegation_revoke(struct store_conn *c, long long person_id, long long id, const char *actor,
			char **json, struct lerr *e)
{
	char pid[24], did[24];
	struct sqlp p[] = { SQLP_TEXT(person_id ? pid : NULL), SQLP_TEXT(did), SQLP_TEXT(actor) };

	lltoa(person_id, pid);
	lltoa(id, did);
	return sq_json(c, "SELECT delegation_revoke($1::bigint, $2::bigint, $3)::text", p, 3, json, e);
}

int
store_me_json(struct store_conn *c, long long person_id, char **json, struct lerr *e)
{
	char pid[24];
	struct sqlp p[] = { SQLP_TEXT(pid) };

	lltoa(person_id, pid);
	return sq_json(c, "SELECT me_json($1::bigint)::text", p, 1, json, e);
}

int
store_queue_json(struct store_conn *c, long long person_id, const struct queue_filter *f,
		 char **json, struct lerr *e)
{
	char pid[24], lim[24];
	struct sqlp p[] = { SQLP_TEXT(pid), SQLP_TEXT(sq_opt(f->org)), SQLP_TEXT(sq_opt(f->kind)),
			    SQLP_TEXT(sq_opt(f->client)), SQLP_TEXT(lim), SQLP_TEXT(sq_opt(f->cursor)) };

	lltoa(person_id, pid);
	lltoa(f->limit > 0 ? f->limit : 100, lim);
	return sq_json(c, "SELECT queue_json($1::bigint, $2, $3, $4, $5::integer, $6)::text", p, 6, json, e);
}

int
store_person_doc_json(struct store_conn *c, long long person_id, const char *doc_id, char **json,
		      struct lerr *e)
{
	char pid[24];
	struct sqlp p[] = { SQLP_TEXT(pid), SQLP_TEXT(doc_id) };

	lltoa(person_id, pid);
	return sq_json(c, "SELECT person_doc_json($1::bigint, $2::uuid)::text", p, 2, json, e);
}

int
store_person_may_see(struct store_conn *c, long long person_id, const char *doc_id, struct lerr *e)
{
	char pid[24];
	struct sqlp p[] = { SQLP_TEXT(pid), SQLP_TEXT(doc_id) };
	char *json = NULL;
	int rc;

	lltoa(person_id, pid);
	rc = sq_json(c, "SELECT 1 WHERE person_may_see($1::bigint, $2::uuid)", p, 2, &json, e);

	free(json);
	if (rc == LERR_NOTFOUND) {
		lerr_set(e, LERR_NOTFOUND, "id", "no document %s for you", doc_id);
		lerr_hint(e, "GET /api/v1/queue lists the documents awaiting your signature");
	}
	return rc;
}

int
store_doc_reject(struct store_conn *c, long long person_id, const char *doc_id, const char *reason,
		 const char *actor, char **json, struct lerr *e)
{
	char pid[24];
	struct sqlp p[] = { SQLP_TEXT(pid), SQLP_TEXT(doc_id), SQLP_TEXT(reason), SQLP_TEXT(actor) };

	lltoa(person_id, pid);
	return sq_json(c, "SELECT document_reject($1::bigint, $2::uuid, $3, $4)::text", p, 4, json, e);
}

/* The TOTP secret of out->id, opened. */
static int
open_totp(struct login_info *out, const char *v, size_t n, struct lerr *e)
{
	char ctx[64], id[24];
	struct buf b;
	int rc;

	snprintf(id, sizeof(id), "%lld", out->id);
	kek_context(ctx, sizeof(ctx), "person.totp_secret", id);
	buf_init(&b, sizeof(out->totp));
	rc = kek_open(ctx, v, n, &b, e);
	if (!rc) {
		memcpy(out->totp, b.data, b.len);
		out->totplen = b.len;
	}
	buf_fini(&b);
	return rc;
}

int
store_login_lookup(struct store_conn *c, const char *email, struct login_info *out, struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(email) };
	PGresult *r = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sq_exec_bin(c, "SELECT id, coalesce(password_hash, ''), totp_secret"
			 " FROM person WHERE email = lower(btrim($1)) AND disabled_at IS NULL",
			 p, 1, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) == 1) {
		const char *id = PQgetvalue(r, 0, 0);   /* int8, big-endian */

		for (int i = 0; i < 8; i++)
			out->id = (out->id << 8) | (unsigned char)id[i];
		snprintf(out->hash, sizeof(out->hash), "%.*s", PQgetlength(r, 0, 1), PQgetvalue(r, 0, 1));
		if (!PQgetisnull(r, 0, 2))
			rc = open_totp(out, PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0, 2), e);
	}
	PQclear(r);
	return rc;
}

int
store_login_reserve(struct store_conn *c, long long person_id, int lock_s, int *left, struct lerr *e)
{
	char pid[24], lock[24];
	struct sqlp p[] = { SQLP_TEXT(pid), SQLP_TEXT(lock) };
	PGresult *r = NULL;
	int rc;

	lltoa(person_id, pid);
	lltoa(lock_s, lock);
	/* Outside any transaction: the reservation is committed before the check. */
	rc = sq_exec(c, "SELECT login_reserve($1::bigint, make_interval(secs => $2::bigint))", p, 2, &r, e);
	if (!rc)
		*left = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? atoi(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	return rc;
}

int
store_login_outcome(struct store_conn *c, long long person_id, int ok, const char *from,
		    struct lerr *e)
{
	char pid[24];
	struct sqlp p[] = { SQLP_TEXT(pid), SQLP_TEXT(ok ? "t" : "f"), SQLP_TEXT(from) };

	lltoa(person_id, pid);
	return sq_exec(c, "SELECT login_outcome($1::bigint, $2::boolean, $3)", p, 3, NULL, e);
}

int
store_session_create(struct store_conn *c, long long person_id, const uint8_t sha[32],
		     const char *csrf, int lifetime_s, struct lerr *e)
{
	char pid[24], life[24];
	struct sqlp p[] = { SQLP_BIN(sha, 32), SQLP_TEXT(pid), SQLP_TEXT(csrf), SQLP_TEXT(life) };

	lltoa(person_id, pid);
	lltoa(lifetime_s, life);
	return sq_exec(c, "INSERT INTO session (token_sha256, person_id, csrf, expires_at)"
		       " VALUES ($1, $2::bigint, $3, now() + $4::integer * interval '1 second')",
		       p, 4, NULL, e);
}

int
store_session_auth(struct store_conn *c, const uint8_t sha[32], int idle_s, struct person *out,
		   struct lerr *e)
{
	char idle[24];
	struct sqlp p[] = { SQLP_BIN(sha, 32), SQLP_TEXT(idle) };
	PGresult *r = NULL;
	int rc;

	lltoa(idle_s, idle);
	rc = sq_exec(c, "SELECT * FROM session_auth($1, $2::integer * interval '1 second')", p, 2, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		lerr_set(e, LERR_AUTH, NULL, "no such session, or it expired");
		lerr_hint(e, "log in again (POST /api/v1/session)");
		return LERR_AUTH;
	}
	memset(out, 0, sizeof(*out));
	out->id = atoll(PQgetvalue(r, 0, 0));
	snprintf(out->email, sizeof(out->email), "%s", PQgetvalue(r, 0, 1));
	snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(r, 0, 2));
	out->is_operator = PQgetvalue(r, 0, 3)[0] == 't';
	snprintf(out->csrf, sizeof(out->csrf), "%s", PQgetvalue(r, 0, 4));
	PQclear(r);
	return 0;
}

int
store_session_delete(struct store_conn *c, const uint8_t sha[32], struct lerr *e)
{
	struct sqlp p[] = { SQLP_BIN(sha, 32) };

	return sq_exec(c, "DELETE FROM session WHERE token_sha256 = $1", p, 1, NULL, e);
}

int
store_person_is_admin(struct store_conn *c, long long person_id, const char *siren, struct lerr *e)
{
	char pid[24];
	struct sqlp p[] = { SQLP_TEXT(pid), SQLP_TEXT(sq_opt(siren)) };
	char *json = NULL;
	int rc;

	lltoa(person_id, pid);
	rc = sq_json(c, "SELECT 1 FROM person p WHERE p.id = $1::bigint AND (p.is_operator OR"
		     " ($2::text IS NOT NULL AND EXISTS (SELECT 1 FROM person_role r JOIN organisation o"
		     " ON o.id = r.org_id WHERE r.person_id = p.id AND r.role = 'org_admin'"
		     " AND (o.siren = $2 OR $2 = '*'))))", p, 2, &json, e);
	free(json);
	if (rc == LERR_NOTFOUND) {
		lerr_set(e, LERR_FORBIDDEN, NULL, "this needs an administrator");
		lerr_hint(e, "ask the operator's administrators");
		return LERR_FORBIDDEN;
	}
	return rc;
}

int
store_person_admin_orgs(struct store_conn *c, long long person_id, char **json, struct lerr *e)
{
	char pid[24];
	struct sqlp p[] = { SQLP_TEXT(pid) };

	lltoa(person_id, pid);
	return sq_json(c, "SELECT coalesce(json_agg(json_build_object('siren', o.siren, 'name', o.name)"
		       " ORDER BY o.siren), '[]')::text FROM person_role r JOIN organisation o ON o.id = r.org_id"
		       " WHERE r.person_id = $1::bigint AND r.role = 'org_admin'", p, 1, json, e);
}

int
store_person_id(struct store_conn *c, const char *email, long long *id, struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(email) };
	char *json = NULL;
	int rc = sq_json(c, "SELECT person_id_of($1)::text", p, 1, &json, e);

	if (!rc)
		*id = atoll(json);
	free(json);
	return rc;
}
