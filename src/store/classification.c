/*
 * classification.c - an organisation's @ctes classification (7-2
 * RetourClassification): the file as received, its date and its JSON
 * (011_cancel_classification.sql, functions/76_classification.sql).
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
store_org_classification_set(struct store_conn *c, long long org_id, const void *xml, size_t len,
			     const char *json, struct lerr *e)
{
	char org[24];
	PGresult *r = NULL;
	int rc;

	snprintf(org, sizeof(org), "%lld", org_id);
	struct sqlp p[3] = { SQLP_TEXT(org), SQLP_BIN(xml, len), SQLP_TEXT(json) };
	rc = sq_exec(c, "WITH u AS (UPDATE organisation SET classification = $2, classification_json = $3::jsonb,"
		     "  classification_date = ($3::jsonb->>'date')::date, classification_at = now(),"
		     "  classification_wanted = NULL"
		     "  WHERE id = $1::bigint RETURNING id)"
		     " SELECT journal_append('transmit', 'organisation.classification', NULL, u.id,"
		     "  jsonb_build_object('date', $3::jsonb->>'date', 'matieres', jsonb_array_length($3::jsonb->'matieres')))"
		     " FROM u", p, 3, &r, e);
	if (!rc && PQntuples(r) == 0)
		rc = lerr_set(e, LERR_NOTFOUND, "org", "no organisation %lld", org_id);
	PQclear(r);
	return rc;
}

int
store_org_classification_get(struct store_conn *c, long long org_id, char **json, struct lerr *e)
{
	char org[24];
	PGresult *r = NULL;
	int rc;

	snprintf(org, sizeof(org), "%lld", org_id);
	struct sqlp p[1] = { SQLP_TEXT(org) };
	*json = NULL;
	if ((rc = sq_exec(c, "SELECT organisation_classification($1::bigint)::text", p, 1, &r, e)))
		return rc;
	if (PQntuples(r) == 0 || PQgetisnull(r, 0, 0)) {
		rc = lerr_set(e, LERR_NOTFOUND, "classification", "no classification received for this organisation");
		lerr_hint(e, "the prefecture sends it (@ctes message 7-2) when it is asked for it");
	} else if (!(*json = strdup(PQgetvalue(r, 0, 0)))) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	}
	PQclear(r);
	return rc;
}

int
store_org_classification_date(struct store_conn *c, long long org_id, char date[11], struct lerr *e)
{
	char org[24];
	PGresult *r = NULL;
	int rc;

	snprintf(org, sizeof(org), "%lld", org_id);
	struct sqlp p[1] = { SQLP_TEXT(org) };
	date[0] = '\0';
	if ((rc = sq_exec(c, "SELECT coalesce(to_char(classification_date, 'YYYY-MM-DD'), '') FROM organisation"
			  " WHERE id = $1::bigint", p, 1, &r, e)))
		return rc;
	if (PQntuples(r) > 0)
		snprintf(date, 11, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static int
org_bool(struct store_conn *c, const char *sql, long long org_id, int np, const char *arg, int *out,
	 struct lerr *e)
{
	char org[24];
	PGresult *r = NULL;
	int rc;

	snprintf(org, sizeof(org), "%lld", org_id);
	struct sqlp p[2] = { SQLP_TEXT(org), SQLP_TEXT(arg) };
	if ((rc = sq_exec(c, sql, p, np, &r, e)))
		return rc;
	if (out)
		*out = PQntuples(r) > 0 && !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	return 0;
}

int
store_org_classification_want(struct store_conn *c, long long org_id, const char *later_than, int *wanted,
			      struct lerr *e)
{
	return org_bool(c, "SELECT organisation_classification_want($1::bigint, $2::date)", org_id, 2,
			later_than && *later_than ? later_than : NULL, wanted, e);
}

int
store_org_classification_due(struct store_conn *c, long long org_id, int *due, struct lerr *e)
{
	return org_bool(c, "SELECT organisation_classification_due($1::bigint)", org_id, 1, NULL, due, e);
}

int
store_org_classification_requested(struct store_conn *c, long long org_id, struct lerr *e)
{
	return org_bool(c, "UPDATE organisation SET classification_requested_at = now() WHERE id = $1::bigint",
			org_id, 1, NULL, NULL, e);
}
