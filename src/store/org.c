/* org.c - organisations and the API clients bound to them. */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void
store_org_init(struct org *o)
{
	memset(o, 0, sizeof(*o));
	o->arrondissement = -1;
	o->nature_actes = -1;
}

/* Runs fn in a transaction of its own, unless the caller has one. */
static int
atomically(struct store_conn *c, int (*fn)(struct store_conn *, void *, struct lerr *), void *arg,
	   struct lerr *e)
{
	int own = !store_in_txn(c), rc = own ? store_begin(c, e) : 0;

	if (!rc)
		rc = fn(c, arg, e);
	if (own && !rc)
		rc = store_commit(c, e);
	else if (own && store_in_txn(c))
		store_rollback(c);
	return rc;
}

int
store_org_codbuds_valid(const char *codbuds)
{
	const char *p = codbuds;
	int n = 0;

	for (;;) {
		size_t len = strspn(p, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

		if (len < 1 || len > 2 || ++n > STORE_ORG_BUDGETS || (p[len] && p[len] != ','))
			return 0;
		for (const char *q = codbuds; q < p; q += strcspn(q, ",") + 1)
			if (strcspn(q, ",") == len && !strncmp(q, p, len))
				return 0;
		if (!p[len])
			return 1;
		p += len + 1;
	}
}

static int
codbuds_invalid(struct lerr *e, const char *codbuds)
{
	lerr_set(e, LERR_INVALID, "codbud", "invalid list of budgets \"%s\"", codbuds);
	lerr_hint(e, "give each CodBud (1 or 2 letters or digits) once, comma-separated, e.g. 01,02");
	return LERR_INVALID;
}

int
store_org_insert(struct store_conn *c, const struct org *o, const char *actor, struct lerr *e)
{
	char arr[16], nat[16];
	int rc;

	snprintf(arr, sizeof(arr), "%d", o->arrondissement);
	snprintf(nat, sizeof(nat), "%d", o->nature_actes);
	struct sqlp p[] = {
		SQLP_TEXT(o->siren), SQLP_TEXT(o->name), SQLP_TEXT(sq_opt(o->parent_siren)),
		SQLP_TEXT(sq_opt(o->departement)), SQLP_TEXT(o->arrondissement >= 0 ? arr : NULL),
		SQLP_TEXT(o->nature_actes >= 0 ? nat : NULL), SQLP_TEXT(sq_opt(o->idcoll)),
		SQLP_TEXT(sq_opt(o->codcol)), SQLP_TEXT(sq_opt(o->idpost)), SQLP_TEXT(sq_opt(o->codbuds)),
		SQLP_TEXT(sq_opt(o->city)), SQLP_TEXT(sq_opt(o->postal_code)), SQLP_TEXT(sq_opt(o->p_dest)),
	};
	PGresult *r = NULL;

	if (o->codbuds[0] && !store_org_codbuds_valid(o->codbuds))
		return codbuds_invalid(e, o->codbuds);
	rc = sq_exec(c, "INSERT INTO organisation (siren, name, parent_id, departement, arrondissement,"
		     " nature_actes, idcoll, codcol, idpost, codbuds, city, postal_code, p_dest)"
		     " SELECT $1, $2, (SELECT id FROM organisation WHERE siren = $3), $4, $5, $6, $7, $8,"
		     " $9, coalesce(string_to_array($10::text, ','), '{}'), $11, $12, $13"
		     " WHERE $3::text IS NULL OR EXISTS (SELECT 1 FROM organisation WHERE siren = $3)"
		     " RETURNING id, json_build_object('siren', siren, 'name', name)::text", p, 13, &r, e);
	if (rc == LERR_CONFLICT) {
		lerr_set(e, LERR_CONFLICT, "siren", "an organisation with SIREN %s exists already", o->siren);
		return LERR_CONFLICT;
	}
	if (rc == LERR_INVALID) {
		char detail[sizeof(e->detail)];

		memcpy(detail, e->detail, sizeof(detail));
		lerr_set(e, LERR_INVALID, NULL, "invalid organisation");
		lerr_detail(e, "%s", detail);
		lerr_hint(e, "SIREN: 9 digits; département: 3 characters such as 045 or 02A; "
			  "arrondissement 0-9; CodCol at most 3, IdColl at most 14 characters");
		return LERR_INVALID;
	}
	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		lerr_set(e, LERR_NOTFOUND, "parent", "no parent organisation with SIREN %s", o->parent_siren);
		lerr_hint(e, "create the parent first; \"liasse org list\" shows the existing ones");
		return LERR_NOTFOUND;
	}
	rc = store_journal(c, actor, "organisation.created", NULL, atoll(PQgetvalue(r, 0, 0)),
			   PQgetvalue(r, 0, 1), e);
	PQclear(r);
	return rc;
}

#define ORG_COLUMNS "o.id, o.siren, o.name, coalesce(p.siren, ''), coalesce(o.departement, ''), " \
	"coalesce(o.arrondissement, -1), coalesce(o.nature_actes, -1), coalesce(o.idcoll, ''), " \
	"coalesce(o.codcol, ''), coalesce(o.idpost, ''), array_to_string(o.codbuds, ','), " \
	"coalesce(o.city, ''), coalesce(o.postal_code, ''), coalesce(o.p_dest, ''), " \
	"coalesce(o.archive_after::text, ''), " \
	"o.acte_signature, coalesce(o.pades_page, 0), coalesce(o.pades_x, 0), coalesce(o.pades_y, 0)"

static void
org_from_row(PGresult *r, int i, struct org *o)
{
	store_org_init(o);
	o->id = atoll(PQgetvalue(r, i, 0));
	snprintf(o->siren, sizeof(o->siren), "%s", PQgetvalue(r, i, 1));
	snprintf(o->name, sizeof(o->name), "%s", PQgetvalue(r, i, 2));
	snprintf(o->parent_siren, sizeof(o->parent_siren), "%s", PQgetvalue(r, i, 3));
	snprintf(o->departement, sizeof(o->departement), "%s", PQgetvalue(r, i, 4));
	o->arrondissement = atoi(PQgetvalue(r, i, 5));
	o->nature_actes = atoi(PQgetvalue(r, i, 6));
	snprintf(o->idcoll, sizeof(o->idcoll), "%s", PQgetvalue(r, i, 7));
	snprintf(o->codcol, sizeof(o->codcol), "%s", PQgetvalue(r, i, 8));
	snprintf(o->idpost, sizeof(o->idpost), "%s", PQgetvalue(r, i, 9));
	snprintf(o->codbuds, sizeof(o->codbuds), "%s", PQgetvalue(r, i, 10));
	snprintf(o->codbud, sizeof(o->codbud), "%.*s", (int)strcspn(o->codbuds, ","), o->codbuds);
	snprintf(o->city, sizeof(o->city), "%s", PQgetvalue(r, i, 11));
	snprintf(o->postal_code, sizeof(o->postal_code), "%s", PQgetvalue(r, i, 12));
	snprintf(o->p_dest, sizeof(o->p_dest), "%s", PQgetvalue(r, i, 13));
	snprintf(o->archive_after, sizeof(o->archive_after), "%s", PQgetvalue(r, i, 14));
	snprintf(o->acte_signature, sizeof(o->acte_signature), "%s", PQgetvalue(r, i, 15));
	o->pades_page = atoi(PQgetvalue(r, i, 16));
	o->pades_x = strtof(PQgetvalue(r, i, 17), NULL);
	o->pades_y = strtof(PQgetvalue(r, i, 18), NULL);
}

/* The end of an UPDATE of an organisation ... RETURNING: a refusal with
 * hint (unless the SQL's own refusal names its field), or 404 when no
 * organisation has that SIREN. */
static int
org_updated(int rc, PGresult *r, const char *siren, const char *hint, struct lerr *e)
{
	if (rc == LERR_INVALID && !e->field[0])
		lerr_hint(e, "%s", hint);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = lerr_set(e, LERR_NOTFOUND, "siren", "no organisation with SIREN %s", siren);
	PQclear(r);
	return rc;
}

int
store_org_set_signature(struct store_conn *c, const char *siren, const struct org *o,
			const char *actor, struct lerr *e)
{
	char x[32], y[32];
	PGresult *r = NULL;
	int rc;

	snprintf(x, sizeof(x), "%.2f", (double)o->pades_x);
	snprintf(y, sizeof(y), "%.2f", (double)o->pades_y);
	struct sqlp p[] = { SQLP_TEXT(siren), SQLP_TEXT(sq_opt(o->acte_signature)), SQLP_INT(o->pades_page),
			    SQLP_TEXT(x), SQLP_TEXT(y), SQLP_TEXT(actor) };
	rc = sq_exec(c, "WITH u AS (UPDATE organisation SET acte_signature = coalesce($2, acte_signature),"
		     " pades_page = CASE $3::int WHEN 0 THEN pades_page WHEN -1 THEN NULL ELSE $3::int END,"
		     " pades_x = CASE $3::int WHEN 0 THEN pades_x WHEN -1 THEN NULL ELSE $4::real END,"
		     " pades_y = CASE $3::int WHEN 0 THEN pades_y WHEN -1 THEN NULL ELSE $5::real END"
		     " WHERE siren = $1 RETURNING id, siren, acte_signature, pades_page, pades_x, pades_y)"
		     " SELECT journal_append($6, 'organisation.updated', NULL, id, json_build_object("
		     " 'siren', siren, 'acte_signature', acte_signature, 'pades_page', pades_page,"
		     " 'pades_x', pades_x, 'pades_y', pades_y)::jsonb) FROM u", p, 6, &r, e);
	return org_updated(rc, r, siren, "--acte-signature cades or pades; --pades-position PAGE,X,Y with a "
			   "page from 1 and x, y from 0 to 14400 points", e);
}

int
store_org_get(struct store_conn *c, const char *siren, struct org *out, struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(siren) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT " ORG_COLUMNS " FROM organisation o"
			 " LEFT JOIN organisation p ON p.id = o.parent_id WHERE o.siren = $1", p, 1, &r, e);

	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = lerr_set(e, LERR_NOTFOUND, "organisation", "no organisation with SIREN %s", siren);
	else
		org_from_row(r, 0, out);
	PQclear(r);
	return rc;
}

int
store_client_org_get(struct store_conn *c, long long client_id, const char *siren, struct org *out,
		     struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	struct sqlp p[2] = { SQLP_INT(client_id), SQLP_TEXT(siren) };
	rc = sq_exec(c, "SELECT " ORG_COLUMNS " FROM organisation o"
		     " JOIN api_client_org co ON co.org_id = o.id AND co.client_id = $1"
		     " LEFT JOIN organisation p ON p.id = o.parent_id WHERE o.siren = $2", p, 2, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		rc = lerr_set(e, LERR_FORBIDDEN, "metadata.organisation",
			      "organisation %s is not one of this client's organisations", siren);
		lerr_hint(e, "use the SIREN of an organisation your API key was issued for");
	} else {
		org_from_row(r, 0, out);
	}
	PQclear(r);
	return rc;
}

int
store_org_set_helios(struct store_conn *c, const char *siren, const struct org *o, const char *actor,
		     struct lerr *e)
{
	char arr[16], nat[16];

	snprintf(arr, sizeof(arr), "%d", o->arrondissement);
	snprintf(nat, sizeof(nat), "%d", o->nature_actes);
	struct sqlp p[] = {
		SQLP_TEXT(siren), SQLP_TEXT(sq_opt(o->idcoll)), SQLP_TEXT(sq_opt(o->codcol)),
		SQLP_TEXT(sq_opt(o->idpost)), SQLP_TEXT(sq_opt(o->codbuds)), SQLP_TEXT(sq_opt(o->p_dest)),
		SQLP_TEXT(actor), SQLP_TEXT(sq_opt(o->archive_after)), SQLP_TEXT(sq_opt(o->name)),
		SQLP_TEXT(sq_opt(o->departement)), SQLP_TEXT(o->arrondissement >= 0 ? arr : NULL),
		SQLP_TEXT(o->nature_actes >= 0 ? nat : NULL), SQLP_TEXT(sq_opt(o->city)),
		SQLP_TEXT(sq_opt(o->postal_code)),
	};
	PGresult *r = NULL;
	int rc;

	if (o->codbuds[0] && !store_org_codbuds_valid(o->codbuds))
		return codbuds_invalid(e, o->codbuds);
	rc = sq_exec(c, "WITH u AS (UPDATE organisation SET idcoll = coalesce($2, idcoll),"
		     " codcol = coalesce($3, codcol), idpost = coalesce($4, idpost),"
		     " codbuds = coalesce(string_to_array($5::text, ','), codbuds),"
		     " p_dest = coalesce($6, p_dest), archive_after = CASE WHEN $8::text IS NULL THEN archive_after"
		     " WHEN $8 = 'never' THEN NULL ELSE archive_policy($8) END, name = coalesce($9, name),"
		     " departement = coalesce($10, departement), arrondissement = coalesce($11::int, arrondissement),"
		     " nature_actes = coalesce($12::int, nature_actes), city = coalesce($13, city),"
		     " postal_code = coalesce($14, postal_code) WHERE siren = $1"
		     " RETURNING id, siren, idcoll, codcol, idpost, codbuds, p_dest, archive_after, name, departement,"
		     " arrondissement, nature_actes, city, postal_code)"
		     " SELECT journal_append($7, 'organisation.updated', NULL, id, json_build_object("
		     " 'siren', siren, 'name', name, 'departement', departement, 'arrondissement', arrondissement,"
		     " 'nature_actes', nature_actes, 'city', city, 'postal_code', postal_code,"
		     " 'idcoll', idcoll, 'codcol', codcol, 'idpost', idpost,"
		     " 'codbuds', codbuds, 'p_dest', p_dest, 'archive_after', archive_after::text)::jsonb) FROM u",
		     p, 14, &r, e);
	return org_updated(rc, r, siren, "CodCol at most 3, IdColl at most 14, IdPost at most 7 characters; "
			   "département 3 characters such as 045 or 02A; arrondissement 0-9; nature_actes 1-6", e);
}

int
store_org_each(struct store_conn *c, void (*fn)(void *arg, const struct org *o), void *arg,
	       struct lerr *e)
{
	PGresult *r = NULL;
	struct org o;
	int rc = sq_exec(c,
		"WITH RECURSIVE t(id, path) AS ("
		" SELECT id, ARRAY[siren::text] FROM organisation WHERE parent_id IS NULL"
		" UNION ALL SELECT o.id, t.path || o.siren::text FROM organisation o JOIN t ON o.parent_id = t.id)"
		" SELECT " ORG_COLUMNS " FROM t JOIN organisation o ON o.id = t.id"
		" LEFT JOIN organisation p ON p.id = o.parent_id ORDER BY t.path", NULL, 0, &r, e);

	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		org_from_row(r, i, &o);
		fn(arg, &o);
	}
	PQclear(r);
	return 0;
}

struct client_new {
	const char *name, *actor;
	const char *const *sirens;
	int nsirens;
	const uint8_t *digest;
	long long id;
};

static int
client_insert(struct store_conn *c, void *arg, struct lerr *e)
{
	struct client_new *a = arg;
	struct sqlp p[2] = { SQLP_TEXT(a->name), SQLP_BIN(a->digest, SHA256_LEN) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "INSERT INTO api_client (name, key_sha256) VALUES ($1, $2)"
			 " RETURNING id, json_build_object('client', id, 'name', name)::text", p, 2, &r, e);

	if (rc == LERR_CONFLICT)
		return lerr_set(e, LERR_CONFLICT, "name", "a client named \"%s\" exists already", a->name);
	if (rc)
		return rc;
	a->id = atoll(PQgetvalue(r, 0, 0));
	for (int i = 0; i < a->nsirens && !rc; i++) {
		struct sqlp q[2] = { SQLP_INT(a->id), SQLP_TEXT(a->sirens[i]) };
		PGresult *o = NULL;

		rc = sq_exec(c, "INSERT INTO api_client_org (client_id, org_id)"
			     " SELECT $1, id FROM organisation WHERE siren = $2 RETURNING org_id", q, 2, &o, e);
		if (!rc && PQntuples(o) == 0)
			rc = lerr_set(e, LERR_NOTFOUND, "org", "no organisation with SIREN %s", a->sirens[i]);
		if (o)
			PQclear(o);
	}
	if (!rc)
		rc = store_journal(c, a->actor, "client.created", NULL, 0, PQgetvalue(r, 0, 1), e);
	PQclear(r);
	return rc;
}

int
store_client_create(struct store_conn *c, const char *name, const char *const *sirens, int nsirens,
		    const char *actor, char key[STORE_CLIENT_KEY_SIZE], long long *id, struct lerr *e)
{
	uint8_t raw[32], digest[SHA256_LEN];
	struct client_new a = { .name = name, .actor = actor, .sirens = sirens, .nsirens = nsirens,
				.digest = digest };
	int rc;

	if (nsirens <= 0)
		return lerr_set(e, LERR_INVALID, "orgs", "a client serves one organisation at least");
	/* 256 random bits: a plain SHA-256 of the key is enough to store. */
	if (random_bytes(raw, sizeof(raw)))
		return lerr_set(e, LERR_INTERNAL, NULL, "no randomness available");
	memcpy(key, "lsk_", 4);
	base64url_encode(raw, sizeof(raw), key + 4);
	explicit_bzero(raw, sizeof(raw));
	sha256_once(key, strlen(key), digest);
	rc = atomically(c, client_insert, &a, e);
	if (rc)
		explicit_bzero(key, STORE_CLIENT_KEY_SIZE);
	else if (id)
		*id = a.id;
	return rc;
}

int
store_client_revoke(struct store_conn *c, const char *name, const char *actor, struct lerr *e)
{
	struct sqlp p[2] = { SQLP_TEXT(name), SQLP_TEXT(actor) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "WITH c AS (UPDATE api_client SET revoked_at = coalesce(revoked_at, now())"
			 " WHERE name = $1 RETURNING id, name)"
			 " SELECT journal_append($2, 'client.revoked', NULL, NULL,"
			 " json_build_object('client', id, 'name', name)::jsonb) FROM c", p, 2, &r, e);

	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = lerr_set(e, LERR_NOTFOUND, "name", "no client named \"%s\"", name);
	PQclear(r);
	return rc;
}

int
store_client_auth(struct store_conn *c, const uint8_t key_sha256[32], struct client *out,
		  struct lerr *e)
{
	struct sqlp p[1] = { SQLP_BIN(key_sha256, 32) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT id, name FROM api_client WHERE key_sha256 = $1 AND revoked_at IS NULL",
			 p, 1, &r, e);

	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		rc = lerr_set(e, LERR_AUTH, NULL, "unknown or revoked API key");
		lerr_hint(e, "send \"Authorization: Bearer <key>\" with a key from \"liasse client add\"");
	} else {
		out->id = atoll(PQgetvalue(r, 0, 0));
		snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return rc;
}

int
store_client_org(struct store_conn *c, long long client_id, const char *siren, long long *org_id,
		 struct lerr *e)
{
	struct org o;
	int rc = store_client_org_get(c, client_id, siren, &o, e);

	if (!rc)
		*org_id = o.id;
	return rc;
}

int
store_client_each(struct store_conn *c, void (*fn)(void *arg, const char *name, const char *orgs,
		  const char *created, int revoked), void *arg, struct lerr *e)
{
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT c.name, coalesce(string_agg(o.siren, ',' ORDER BY o.siren), ''),"
			 " to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
			 " c.revoked_at IS NOT NULL"
			 " FROM api_client c LEFT JOIN api_client_org co ON co.client_id = c.id"
			 " LEFT JOIN organisation o ON o.id = co.org_id GROUP BY c.id ORDER BY c.name",
			 NULL, 0, &r, e);

	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r); i++)
		fn(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		   PQgetvalue(r, i, 3)[0] == 't');
	PQclear(r);
	return 0;
}

int
store_org_list_json(struct store_conn *c, long long person, const char *siren, char **json,
		    struct lerr *e)
{
	struct sqlp p[] = { SQLP_INT(person), SQLP_TEXT(sq_opt(siren)) };
	return sq_json(c, "SELECT coalesce(json_agg(org_json(o) ORDER BY o.siren), '[]')::text FROM organisation o"
		       " WHERE ($2::text IS NULL OR o.siren = $2) AND ((SELECT is_operator FROM person WHERE id = $1::bigint)"
		       " OR EXISTS (SELECT 1 FROM person_role r WHERE r.person_id = $1::bigint AND r.org_id = o.id"
		       " AND r.role = 'org_admin'))", p, 2, json, e);
}
