/*
 * session.c - people log in and out: POST and DELETE /api/v1/session, and
 * GET /api/v1/me.
 *
 * A session is a random token ("lss_" + 43 base64url characters) of which
 * only the SHA-256 is stored, usable as a bearer token or as the HttpOnly,
 * Secure, SameSite=Strict cookie liasse_session; the CSRF token returned
 * with it must accompany every cookie-authenticated change.  Five failures
 * in a row lock the login for login_lockout (15 minutes by default).  Each
 * try is reserved, and the reservation committed, before the password's
 * scrypt check (functions/40_people.sql, login_reserve): however many tries
 * arrive at once, at most five passwords are checked per lock window.  The
 * web form logs in through http_login() too (http/web.c).
 */
#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/secret.h"
#include "core/util.h"

/* Checked when the e-mail address is unknown, so that the answer takes as
 * long as for a known one. */
static const char decoy_hash[] =
	"$scrypt$ln=15,r=8,p=1$bGlhc3NlLWRlY295LXNhbHQ$Cz1fTm9uZS1vZi10aGlzLWlzLWEtcmVhbC1oYXNoLTEyMw";

static int
lockout_minutes(void)
{
	long long s = config_int("login_lockout");

	return s <= 60 ? 1 : (int)((s + 59) / 60);
}

static int
wrong_credentials(struct lerr *e)
{
	lerr_set(e, LERR_AUTH, NULL, "wrong e-mail address or password");
	lerr_hint(e, "check both; after 5 failures in a row the login is locked for %d minute%s",
		  lockout_minutes(), lockout_minutes() > 1 ? "s" : "");
	return LERR_AUTH;
}

static int
locked_out(struct lerr *e)
{
	lerr_set(e, LERR_FORBIDDEN, NULL, "this login is locked after repeated failures");
	lerr_hint(e, "wait %d minute%s, or ask an administrator to set a new password",
		  lockout_minutes(), lockout_minutes() > 1 ? "s" : "");
	return LERR_FORBIDDEN;
}

/* Checks password and second factor of a known person whose try is reserved;
 * the caller records the outcome. */
static int
check_login(const struct login_info *li, const char *password, const char *totp, struct lerr *e)
{
	if (!passwd_check(password, li->hash))
		return wrong_credentials(e);
	if (li->totplen && !totp_check(li->totp, li->totplen, totp, time(NULL))) {
		lerr_set(e, LERR_AUTH, "totp", totp ? "wrong one-time code" : "a one-time code is required");
		lerr_hint(e, "give the 6-digit code your authenticator application shows now");
		return LERR_AUTH;
	}
	return 0;
}

static int
new_session(struct store_conn *c, long long person_id, int lifetime_s, struct http_login *out,
	    struct lerr *e)
{
	uint8_t tok[32], csrf[24], sha[SHA256_LEN];
	char t64[44];

	if (random_bytes(tok, sizeof tok) || random_bytes(csrf, sizeof csrf))
		return lerr_set(e, LERR_INTERNAL, NULL, "no random bytes for a session");
	base64url_encode(tok, sizeof tok, t64);
	snprintf(out->token, sizeof(out->token), "lss_%s", t64);
	base64url_encode(csrf, sizeof csrf, out->csrf);
	sha256_once(out->token, strlen(out->token), sha);
	OPENSSL_cleanse(tok, sizeof tok);
	out->person_id = person_id;
	return store_session_create(c, person_id, sha, out->csrf, lifetime_s, e);
}

int
http_login(struct req *rq, const char *email, const char *password, const char *totp,
	   struct http_login *out, struct lerr *e)
{
	struct store_conn *c = NULL;
	struct login_info li;
	struct lerr e2;
	int rc, left = -1;

	memset(out, 0, sizeof(*out));
	memset(&li, 0, sizeof li);
	rc = store_acquire(http_store(rq), &c, e);
	if (!rc)
		rc = store_login_lookup(c, email, &li, e);
	if (rc)
		goto out;
	if (!li.id) {             /* as long as for a known address */
		(void)passwd_check(password, decoy_hash);
		metrics_inc(METRIC_LOGINS, "failed");
		rc = wrong_credentials(e);
		goto out;
	}
	if ((rc = store_login_reserve(c, li.id, (int)config_int("login_lockout"), &left, e)))
		goto out;
	if (left < 0) {
		metrics_inc(METRIC_LOGINS, "locked");
		rc = locked_out(e);
		goto out;
	}
	rc = check_login(&li, password, totp, e);
	metrics_inc(METRIC_LOGINS, rc ? "failed" : "ok");
	lerr_clear(&e2);
	if (store_login_outcome(c, li.id, !rc, http_client_address(rq), &e2))
		log_warn("login of %s not recorded: %s", email, e2.msg);
	if (!rc)
		rc = new_session(c, li.id, http_opts_of(rq)->session_lifetime_s, out, e);
out:
	OPENSSL_cleanse(&li, sizeof li);
	store_release(http_store(rq), c);
	return rc;
}

static int
session_post(struct req *rq)
{
	json_t *j = http_json_body(rq), *me = NULL;
	const char *email, *password, *totp;
	struct store_conn *c = NULL;
	struct http_login lg;
	struct lerr e;
	char *mej = NULL;
	int rc;

	if (!j)
		return 0;
	lerr_clear(&e);
	email = json_string_value(json_object_get(j, "email"));
	password = json_string_value(json_object_get(j, "password"));
	totp = json_string_value(json_object_get(j, "totp"));
	if (!email || !password) {
		lerr_set(&e, LERR_INVALID, email ? "password" : "email", "email and password are required");
		lerr_hint(&e, "send {\"email\": \"...\", \"password\": \"...\"} and \"totp\" when you use one");
		rc = LERR_INVALID;
	} else {
		rc = http_login(rq, email, password, totp, &lg, &e);
	}
	if (!rc && !(rc = store_acquire(http_store(rq), &c, &e)))
		rc = store_me_json(c, lg.person_id, &mej, &e);
	store_release(http_store(rq), c);
	json_decref(j);
	if (rc)
		return http_reply_problem(rq, &e);
	me = json_loads(mej, 0, NULL);
	free(mej);
	return http_reply_session(rq, &lg, json_pack("{s:s,s:s,s:i,s:o}", "token", lg.token, "csrf",
						      lg.csrf, "expires_in", http_opts_of(rq)->session_lifetime_s,
						      "person", me ? me : json_null()));
}

int
http_reply_session(struct req *rq, const struct http_login *lg, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct MHD_Response *resp;

	json_decref(body);
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
				arena_printf(rq->arena, HTTP_SESSION_COOKIE "=%s; Path=/; HttpOnly; Secure;"
					     " SameSite=Strict; Max-Age=%d", lg->token,
					     http_opts_of(rq)->session_lifetime_s));
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	return http_reply_response(rq, 201, resp);
}

static int
session_delete(struct req *rq)
{
	const char *h = http_header(rq, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *tok = h && !strncasecmp(h, "Bearer ", 7) ? h + 7 :
		MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, HTTP_SESSION_COOKIE);
	struct store_conn *c = NULL;
	uint8_t sha[SHA256_LEN];
	struct MHD_Response *resp;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	sha256_once(tok ? tok : "", tok ? strlen(tok) : 0, sha);
	rc = store_acquire(http_store(rq), &c, &e);
	if (!rc)
		rc = store_session_delete(c, sha, &e);
	if (!rc)
		rc = store_journal(c, http_actor(rq), "logout", NULL, 0, NULL, &e);
	store_release(http_store(rq), c);
	if (rc)
		return http_reply_problem(rq, &e);
	resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, HTTP_SESSION_COOKIE
				"=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
	return http_reply_response(rq, 204, resp);
}

static int
me(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;
	int rc = store_me_json(c, rq->person.id, &json, e);

	return rc ? rc : http_reply_json_text(rq, 200, json);
}

static int
me_get(struct req *rq)
{
	return http_with_conn(rq, me);
}

const struct http_handler http_h_session_post = { .handle = session_post };
const struct http_handler http_h_session_delete = { .handle = session_delete };
const struct http_handler http_h_me = { .handle = me_get };
