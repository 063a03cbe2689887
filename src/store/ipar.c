/*
 * ipar.c - the i-Parapheur web services' tables (027_iparapheur.sql,
 * functions/85_iparapheur.sql): each organisation's types and sub-types,
 * and the dossiers created through CreerDossier.  See doc/compat.md.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
store_ipar_type_add(struct store_conn *c, const char *siren, const struct ipar_type *t,
		    const char *actor, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;
	struct sqlp p[6] = { SQLP_TEXT(siren), SQLP_TEXT(t->type_technique), SQLP_TEXT(t->sous_type),
			     SQLP_TEXT(t->kind), SQLP_TEXT(t->circuit), SQLP_TEXT(actor) };

	rc = sq_exec(c, "WITH o AS (SELECT id FROM organisation WHERE siren = $1),"
		     " u AS (INSERT INTO ipar_type (org_id, type_technique, sous_type, kind, circuit)"
		     "  SELECT id, $2, $3, $4::doc_kind, $5 FROM o"
		     "  ON CONFLICT (org_id, type_technique, sous_type) DO UPDATE"
		     "  SET kind = excluded.kind, circuit = excluded.circuit RETURNING org_id)"
		     " SELECT journal_append($6, 'iparapheur.type', NULL, org_id,"
		     "  jsonb_build_object('type', $2::text, 'sous_type', $3::text, 'kind', $4::text,"
		     "  'circuit', $5::text)) FROM u", p, 6, &r, e);
	if (!rc && PQntuples(r) == 0) {
		rc = lerr_set(e, LERR_NOTFOUND, "siren", "no organisation %s", siren);
		lerr_hint(e, "create it first: liasse org add");
	}
	PQclear(r);
	return rc;
}

int
store_ipar_type_remove(struct store_conn *c, const char *siren, const char *type_technique,
		       const char *sous_type, const char *actor, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;
	struct sqlp p[4] = { SQLP_TEXT(siren), SQLP_TEXT(type_technique), SQLP_TEXT(sous_type),
			     SQLP_TEXT(actor) };

	rc = sq_exec(c, "WITH d AS (DELETE FROM ipar_type WHERE type_technique = $2 AND sous_type = $3"
		     "  AND org_id = (SELECT id FROM organisation WHERE siren = $1) RETURNING org_id)"
		     " SELECT journal_append($4, 'iparapheur.type_removed', NULL, org_id,"
		     "  jsonb_build_object('type', $2::text, 'sous_type', $3::text)) FROM d", p, 4, &r, e);
	if (!rc && PQntuples(r) == 0)
		rc = lerr_set(e, LERR_NOTFOUND, "sous_type", "organisation %s has no type %s/%s", siren,
			      type_technique, sous_type);
	PQclear(r);
	return rc;
}

int
store_ipar_types_json(struct store_conn *c, long long client_id, char **json, struct lerr *e)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", client_id);
	struct sqlp p[1] = { SQLP_TEXT(id) };
	if (client_id == 0)
		return sq_json(c, "SELECT coalesce(jsonb_agg(jsonb_build_object('siren', o.siren,"
			       " 'type', t.type_technique, 'sous_type', t.sous_type, 'kind', t.kind,"
			       " 'circuit', t.circuit) ORDER BY o.siren, t.type_technique, t.sous_type),"
			       " '[]')::text FROM ipar_type t JOIN organisation o ON o.id = t.org_id",
			       NULL, 0, json, e);
	return sq_json(c, "SELECT ipar_types_json($1::bigint)::text", p, 1, json, e);
}

int
store_ipar_dossier_json(struct store_conn *c, long long client_id, const char *dossier_id,
			char **json, struct lerr *e)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", client_id);
	struct sqlp p[2] = { SQLP_TEXT(id), SQLP_TEXT(dossier_id) };
	return sq_json(c, "SELECT ipar_dossier_json($1::bigint, $2)::text", p, 2, json, e);
}

int
store_ipar_dossier_add(struct store_conn *c, const char *doc_id, long long client_id,
		       const struct ipar_dossier *d, struct lerr *e)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", client_id);
	struct sqlp p[8] = { SQLP_TEXT(doc_id), SQLP_TEXT(id), SQLP_TEXT(d->dossier_id),
			     SQLP_TEXT(d->type_technique), SQLP_TEXT(d->sous_type),
			     SQLP_TEXT(d->annotation_publique), SQLP_TEXT(d->annotation_privee),
			     SQLP_TEXT(d->visibilite) };
	return sq_exec(c, "INSERT INTO ipar_dossier (doc_id, client_id, dossier_id, type_technique,"
		       " sous_type, annotation_publique, annotation_privee, visibilite)"
		       " VALUES ($1::uuid, $2::bigint, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
		       p, 8, NULL, e);
}

int
store_ipar_dossier_archive(struct store_conn *c, long long client_id, const char *dossier_id,
			   struct lerr *e)
{
	char id[24];
	long long n = 0;
	int rc;

	snprintf(id, sizeof(id), "%lld", client_id);
	struct sqlp p[2] = { SQLP_TEXT(id), SQLP_TEXT(dossier_id) };
	rc = sq_int(c, "WITH u AS (UPDATE ipar_dossier SET archived = true"
		    " WHERE doc_id = ipar_find($1::bigint, $2) RETURNING 1) SELECT count(*) FROM u",
		    p, 2, &n, e);
	if (!rc && n == 0)
		rc = lerr_set(e, LERR_NOTFOUND, "DossierID", "no dossier %s", dossier_id);
	return rc;
}

int
store_ipar_search_json(struct store_conn *c, long long client_id, const struct ipar_search *s,
		       char **json, struct lerr *e)
{
	char id[24], lim[24];

	snprintf(id, sizeof(id), "%lld", client_id);
	snprintf(lim, sizeof(lim), "%d", s->limit);
	struct sqlp p[6] = { SQLP_TEXT(id), SQLP_TEXT(s->type_technique), SQLP_TEXT(s->sous_type),
			     SQLP_TEXT(s->states), SQLP_TEXT(s->ids), SQLP_TEXT(s->limit > 0 ? lim : NULL) };
	return sq_json(c, "SELECT ipar_search_json($1::bigint, $2, $3,"
		       " (SELECT array_agg(v) FROM jsonb_array_elements_text($4::jsonb) v),"
		       " (SELECT array_agg(v) FROM jsonb_array_elements_text($5::jsonb) v),"
		       " $6::integer)::text", p, 6, json, e);
}

int
store_ipar_circuit_json(struct store_conn *c, long long client_id, const char *type_technique,
			const char *sous_type, char **json, struct lerr *e)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", client_id);
	struct sqlp p[3] = { SQLP_TEXT(id), SQLP_TEXT(type_technique), SQLP_TEXT(sous_type) };
	return sq_json(c, "SELECT ipar_circuit_json($1::bigint, $2, $3)::text", p, 3, json, e);
}

int
store_ipar_classification(struct store_conn *c, long long client_id, const char *type_technique,
			  void **xml, size_t *len, struct lerr *e)
{
	char id[24];
	PGresult *r = NULL;
	int rc;

	snprintf(id, sizeof(id), "%lld", client_id);
	struct sqlp p[2] = { SQLP_TEXT(id), SQLP_TEXT(type_technique) };
	*xml = NULL;
	*len = 0;
	rc = sq_exec_bin(c, "SELECT o.classification FROM organisation o"
			 " WHERE o.id IN (SELECT org_id FROM api_client_org WHERE client_id = $1::bigint)"
			 "  AND ($2::text IS NULL OR o.id IN (SELECT org_id FROM ipar_type"
			 "   WHERE type_technique = $2::text))"
			 " ORDER BY o.siren LIMIT 1", p, 2, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) == 0 || PQgetisnull(r, 0, 0)) {
		rc = lerr_set(e, LERR_NOTFOUND, "classification", "no classification received");
	} else {
		*len = (size_t)PQgetlength(r, 0, 0);
		if (!(*xml = malloc(*len + 1)))
			abort();
		memcpy(*xml, PQgetvalue(r, 0, 0), *len);
	}
	PQclear(r);
	return rc;
}
