/*
 * compat.c - what the drop-in protocols need from the database: the TLS
 * client certificates of vendor clients (029_client_cert.sql) and the
 * S²LOW-compatible API's transaction numbers (030_s2low_transaction.sql).
 * See doc/compat.md.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
store_client_cert_add(struct store_conn *c, const char *client, const uint8_t sha256[32],
		      const char *subject, const char *not_after, const char *siren,
		      const char *actor, struct lerr *e)
{
	struct sqlp p[6] = { SQLP_TEXT(client), SQLP_BIN(sha256, 32), SQLP_TEXT(subject),
			     SQLP_TEXT(not_after), SQLP_TEXT(siren), SQLP_TEXT(actor) };
	long long n = 0;
	int rc = sq_int(c, "WITH k AS (SELECT id FROM api_client WHERE name = $1 AND revoked_at IS NULL),"
			" o AS (SELECT co.org_id FROM api_client_org co JOIN organisation g ON g.id = co.org_id"
			"  WHERE co.client_id = (SELECT id FROM k) AND g.siren = $5),"
			" i AS (INSERT INTO api_client_cert (sha256, client_id, org_id, subject, not_after)"
			"  SELECT $2, k.id, (SELECT org_id FROM o), $3, $4::timestamptz FROM k"
			"  WHERE $5::text IS NULL OR EXISTS (SELECT 1 FROM o) RETURNING client_id, org_id)"
			" SELECT count(journal_append($6, 'client.cert_added', NULL, org_id,"
			"  json_build_object('client', client_id, 'name', $1::text,"
			"   'sha256', encode($2, 'hex'), 'subject', $3::text)::jsonb)) FROM i",
			p, 6, &n, e);

	if (rc == LERR_CONFLICT) {
		lerr_set(e, LERR_CONFLICT, "certificate", "this certificate is already bound to a client");
		lerr_hint(e, "see \"liasse client cert list\"; remove it first to bind it elsewhere");
	} else if (!rc && n == 0) {
		rc = lerr_set(e, LERR_NOTFOUND, "client",
			      siren ? "no live client named \"%s\" serving organisation %s" :
			      "no live client named \"%s\"", client, siren ? siren : "");
		lerr_hint(e, "see \"liasse client list\"");
	}
	return rc;
}

int
store_client_cert_remove(struct store_conn *c, const char *client, const char *sha256_hex,
			 const char *actor, struct lerr *e)
{
	struct sqlp p[3] = { SQLP_TEXT(client), SQLP_TEXT(sha256_hex), SQLP_TEXT(actor) };
	long long n = 0;
	int rc = sq_int(c, "WITH d AS (DELETE FROM api_client_cert k USING api_client a"
			" WHERE a.id = k.client_id AND a.name = $1 AND k.sha256 = decode($2, 'hex')"
			" RETURNING k.client_id, k.org_id)"
			" SELECT count(journal_append($3, 'client.cert_removed', NULL, org_id,"
			"  json_build_object('client', client_id, 'name', $1::text, 'sha256', $2::text)::jsonb))"
			" FROM d", p, 3, &n, e);

	if (!rc && n == 0) {
		rc = lerr_set(e, LERR_NOTFOUND, "certificate", "client \"%s\" has no certificate %s",
			      client, sha256_hex);
		lerr_hint(e, "give the SHA-256 that \"liasse client cert list\" shows");
	}
	return rc;
}

int
store_client_cert_list(struct store_conn *c, const char *client, char **json, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(client) };

	return sq_json(c, "SELECT coalesce(json_agg(json_build_object('client', a.name,"
		       " 'sha256', encode(k.sha256, 'hex'), 'subject', k.subject,"
		       " 'organisation', o.siren, 'not_after', ts_text(k.not_after),"
		       " 'created_at', ts_text(k.created_at)) ORDER BY a.name, k.created_at), '[]')::text"
		       " FROM api_client_cert k JOIN api_client a ON a.id = k.client_id"
		       " LEFT JOIN organisation o ON o.id = k.org_id"
		       " WHERE $1::text IS NULL OR a.name = $1", p, 1, json, e);
}

int
store_client_cert_auth(struct store_conn *c, const uint8_t sha256[32], struct client *out,
		       struct lerr *e)
{
	struct sqlp p[1] = { SQLP_BIN(sha256, 32) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT a.id, a.name, coalesce(o.siren, '') FROM api_client_cert k"
			 " JOIN api_client a ON a.id = k.client_id LEFT JOIN organisation o ON o.id = k.org_id"
			 " WHERE k.sha256 = $1 AND a.revoked_at IS NULL", p, 1, &r, e);

	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		rc = lerr_set(e, LERR_AUTH, NULL, "unknown client certificate");
		lerr_hint(e, "the operator binds a certificate to a client with \"liasse client cert add\"");
	} else {
		out->id = atoll(PQgetvalue(r, 0, 0));
		snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(r, 0, 1));
		snprintf(out->siren, sizeof(out->siren), "%s", PQgetvalue(r, 0, 2));
	}
	PQclear(r);
	return rc;
}

int
store_client_only_org(struct store_conn *c, long long client_id, char siren[10], struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	struct sqlp p[1] = { SQLP_INT(client_id) };
	rc = sq_exec(c, "SELECT o.siren FROM api_client_org co JOIN organisation o ON o.id = co.org_id"
		     " WHERE co.client_id = $1 ORDER BY o.siren LIMIT 2", p, 1, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) != 1) {
		rc = lerr_set(e, LERR_INVALID, "organisation",
			      "this client serves several organisations and its certificate names none");
		lerr_hint(e, "bind a certificate per organisation: liasse client cert add CLIENT CERT.pem --org SIREN");
	} else {
		snprintf(siren, 10, "%s", PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return rc;
}

int
store_routing_exists(struct store_conn *c, const char *siren, const char *kind, int *yes,
		     struct lerr *e)
{
	struct sqlp p[2] = { SQLP_TEXT(siren), SQLP_TEXT(kind) };
	long long n = 0;
	int rc = sq_int(c, "SELECT EXISTS (SELECT 1 FROM routing_rule r JOIN organisation o ON o.id = r.org_id"
			" WHERE o.siren = $1 AND r.kind = $2::doc_kind)", p, 2, &n, e);

	*yes = n != 0;
	return rc;
}

int
store_s2low_tx_add(struct store_conn *c, long long client_id, const char *doc_id, const char *kind,
		   long long *id, struct lerr *e)
{
	struct sqlp p[3] = { SQLP_INT(client_id), SQLP_TEXT(doc_id), SQLP_TEXT(kind) };
	return sq_int(c, "WITH i AS (INSERT INTO s2low_transaction (client_id, doc_id, kind)"
		      " VALUES ($1, $2, $3) ON CONFLICT (doc_id, kind) WHERE letter_id IS NULL DO NOTHING"
		      " RETURNING id)"
		      " SELECT coalesce((SELECT id FROM i), (SELECT id FROM s2low_transaction"
		      "  WHERE doc_id = $2 AND kind = $3 AND letter_id IS NULL))", p, 3, id, e);
}

int
store_s2low_tx_get(struct store_conn *c, long long client_id, long long id, char kind[16],
		   char doc_id[37], struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	struct sqlp p[2] = { SQLP_INT(client_id), SQLP_INT(id) };
	rc = sq_exec(c, "SELECT kind, doc_id FROM s2low_transaction WHERE client_id = $1 AND id = $2",
		     p, 2, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		rc = lerr_set(e, LERR_NOTFOUND, "transaction", "no transaction %lld", id);
	} else {
		snprintf(kind, 16, "%s", PQgetvalue(r, 0, 0));
		snprintf(doc_id, 37, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return rc;
}

/* "SELECT fn($1::bigint, $2::bigint)" style calls: the client and a number. */
static int
client_call(struct store_conn *c, const char *sql, long long client_id, long long n, char **json,
	    long long *out, struct lerr *e)
{
	struct sqlp p[2] = { SQLP_INT(client_id), SQLP_INT(n) };
	if (out)
		return sq_int(c, sql, p, 2, out, e);
	if (json)
		return sq_json(c, sql, p, 2, json, e);
	return sq_exec(c, sql, p, 2, NULL, e);
}

int
store_s2low_prefdocs_json(struct store_conn *c, long long client_id, char **json, struct lerr *e)
{
	return client_call(c, "SELECT s2low_prefdocs_json($1::bigint)::text WHERE $2::bigint = 0", client_id, 0,
			   json, NULL, e);
}

int
store_s2low_prefdoc_json(struct store_conn *c, long long client_id, long long tx, char **json, struct lerr *e)
{
	int rc = client_call(c, "SELECT s2low_prefdoc_json($1::bigint, $2::bigint)::text", client_id, tx, json,
			     NULL, e);

	if (rc == LERR_NOTFOUND)
		lerr_set(e, LERR_NOTFOUND, "id", "no transaction %lld", tx);
	return rc;
}

int
store_s2low_prefdoc_read(struct store_conn *c, long long client_id, long long tx, struct lerr *e)
{
	return client_call(c, "SELECT s2low_prefdoc_read($1::bigint, $2::bigint)", client_id, tx, NULL, NULL, e);
}

int
store_s2low_prefdoc_letter(struct store_conn *c, long long client_id, long long tx, char **json, struct lerr *e)
{
	int rc = client_call(c, "SELECT s2low_prefdoc_letter($1::bigint, $2::bigint)::text", client_id, tx, json,
			     NULL, e);

	if (rc == LERR_NOTFOUND)
		lerr_set(e, LERR_NOTFOUND, "id", "no document of the prefecture %lld", tx);
	return rc;
}

int
store_s2low_reponse_tx(struct store_conn *c, long long client_id, long long letter_id, long long *id,
		       struct lerr *e)
{
	return client_call(c, "SELECT s2low_reponse_tx($1::bigint, $2::bigint)", client_id, letter_id, NULL, id, e);
}

int
store_org_classification_xml(struct store_conn *c, const char *siren, char **xml, size_t *len,
			     struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(siren) };
	PGresult *r = NULL;
	int rc = sq_exec_bin(c, "SELECT classification FROM organisation WHERE siren = $1"
			     " AND classification IS NOT NULL", p, 1, &r, e);

	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		rc = lerr_set(e, LERR_NOTFOUND, "classification", "organisation %s has no classification", siren);
	} else if (!(*xml = malloc((size_t)PQgetlength(r, 0, 0) + 1))) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	} else {
		*len = (size_t)PQgetlength(r, 0, 0);
		memcpy(*xml, PQgetvalue(r, 0, 0), *len);
		(*xml)[*len] = '\0';
	}
	PQclear(r);
	return rc;
}
