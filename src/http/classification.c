/*
 * classification.c - GET /api/v1/organisations/{siren}/classification: the
 * organisation's @ctes classification as the prefecture last sent it (7-2
 * RetourClassification), as JSON: date, natures with their typologies,
 * matières with their labels, received_at (functions/76_classification.sql).
 * For a client of that organisation; 404 while none was received.
 */
#include "http/http_int.h"

#include <string.h>

static int
get(struct req *rq, struct store_conn *c, struct lerr *e)
{
	const char *siren = rq->params[0];
	long long org_id = 0;
	char *json = NULL;
	int rc;

	if (strlen(siren) != 9 || strspn(siren, "0123456789") != 9) {
		lerr_set(e, LERR_NOTFOUND, "siren", "no organisation %.20s", siren);
		lerr_hint(e, "give the organisation's SIREN, 9 digits");
		return LERR_NOTFOUND;
	}
	if ((rc = store_client_org(c, rq->client.id, siren, &org_id, e)) ||
	    (rc = store_org_classification_get(c, org_id, &json, e)))
		return rc;
	return http_reply_json_text(rq, 200, json);
}

static int
org_classification(struct req *rq)
{
	return http_with_conn(rq, get);
}

const struct http_handler http_h_org_classification = { .handle = org_classification };
