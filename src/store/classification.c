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
		     "  classification_date = ($3::jsonb->>'date')::date, classification_at = now()"
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
