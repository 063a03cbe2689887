/*
 * notice.c - the e-mail notifications in the API (doc/notifications.md):
 * a person's own preference (GET/PUT /api/v1/me/notifications) and, for
 * operator administrators, the notifications whose sending fails and is
 * retried, with the error (GET /api/v1/admin/notifications), and sends
 * again one the mail server refused for good (POST .../{id}/resend).
 */
#include "http/http_int.h"

static int
pref(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;
	int rc = store_notice_pref_json(c, rq->person.id, &json, e);

	return rc ? rc : http_reply_json_text(rq, 200, json);
}

static int
pref_set(struct req *rq, struct store_conn *c, struct lerr *e)
{
	json_t *body = http_json_body(rq), *mode;
	char *json = NULL;
	int rc;

	if (!body)
		return 0;
	mode = json_object_get(body, "mode");
	if (!json_is_string(mode)) {
		rc = lerr_set(e, LERR_INVALID, "mode", "\"mode\" is missing or not a string");
		lerr_hint(e, "send {\"mode\": \"immediate\"}, {\"mode\": \"digest\"} or {\"mode\": \"none\"}");
	} else {
		rc = store_notice_pref_set(c, rq->person.id, json_string_value(mode), http_actor(rq), e);
	}
	json_decref(body);
	if (!rc)
		rc = store_notice_pref_json(c, rq->person.id, &json, e);
	return rc ? rc : http_reply_json_text(rq, 200, json);
}

static int
failed(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;
	int rc = store_person_is_admin(c, rq->person.id, NULL, e);

	if (!rc)
		rc = store_notice_failed_json(c, &json, e);
	return rc ? rc : http_reply_json_text(rq, 200, json);
}

/* Operators: a notification refused for good (SMTP 5xx), once the address
 * or the server is fixed; 204, the workers send it. */
static int
resend(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *end = NULL;
	long long id = strtoll(rq->params[0], &end, 10);
	int rc = store_person_is_admin(c, rq->person.id, NULL, e);

	if (!rc && (!end || *end || id <= 0))
		rc = lerr_set(e, LERR_NOTFOUND, NULL, "no notification %.40s", rq->params[0]);
	if (!rc)
		rc = store_notice_resend(c, id, http_actor(rq), e);
	return rc ? rc : http_reply_text(rq, 204, "application/json", "", 0);
}

static int
pref_get_h(struct req *rq)
{
	return http_with_conn(rq, pref);
}

static int
pref_put_h(struct req *rq)
{
	return http_with_conn(rq, pref_set);
}

static int
failed_h(struct req *rq)
{
	return http_with_conn(rq, failed);
}

const struct http_handler http_h_me_notifications = { .handle = pref_get_h };
const struct http_handler http_h_me_notifications_put = { .handle = pref_put_h };
static int
resend_h(struct req *rq)
{
	return http_with_conn(rq, resend);
}

const struct http_handler http_h_admin_notifications = { .handle = failed_h };
const struct http_handler http_h_admin_notification_resend = { .handle = resend_h };
