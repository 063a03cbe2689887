/*
 * classification.c - GET /api/v1/organisations/{siren}/classification: the
 * organisation's @ctes classification as the prefecture last sent it (7-2
 * RetourClassification), as JSON: date, natures with their typologies,
 * matières with their labels, received_at (functions/76_classification.sql).
 * For a client of that organisation; 404 while none was received.
 * POST .../classification/request: a 7-1 DemandeClassification is sent at the
 * next poll of the organisation's @ctes connector (202).
 */
#include "http/http_int.h"

#include <stdlib.h>
#include <string.h>

static int
org_of(struct req *rq, struct store_conn *c, long long *org_id, struct lerr *e)
{
	const char *siren = rq->params[0];

	if (strlen(siren) != 9 || strspn(siren, "0123456789") != 9) {
		lerr_set(e, LERR_NOTFOUND, "siren", "no organisation %.20s", siren);
		lerr_hint(e, "give the organisation's SIREN, 9 digits");
		return LERR_NOTFOUND;
	}
	return store_client_org(c, rq->client.id, siren, org_id, e);
}

static int
get(struct req *rq, struct store_conn *c, struct lerr *e)
{
	long long org_id = 0;
	char *json = NULL;
	int rc;

	if ((rc = org_of(rq, c, &org_id, e)) || (rc = store_org_classification_get(c, org_id, &json, e)))
		return rc;
	return http_reply_json_text(rq, 200, json);
}

static int
request(struct req *rq, struct store_conn *c, struct lerr *e)
{
	long long org_id = 0;
	int rc, wanted = 0;
	char *json;

	if ((rc = org_of(rq, c, &org_id, e)) || (rc = store_org_classification_want(c, org_id, NULL, &wanted, e)))
		return rc;
	json = strdup("{\"requested\": true}");
	return json ? http_reply_json_text(rq, 202, json) : lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
}

static int
org_classification_request(struct req *rq)
{
	return http_with_conn(rq, request);
}

static int
org_classification(struct req *rq)
{
	return http_with_conn(rq, get);
}

const struct http_handler http_h_org_classification = { .handle = org_classification };
const struct http_handler http_h_org_classification_request = { .handle = org_classification_request };
