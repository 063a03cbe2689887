/*
 * auth.c - logging in and out of the web pages, with the API's sessions.
 *
 * The password, second factor, lockout and journal are http/session.c's
 * (through web_req.login); here: the forms, the cookie (HttpOnly, Secure,
 * SameSite=Strict, a new token at every login so a planted one is never
 * promoted) and the CSRF token of every form.  The login form itself,
 * before any session exists, carries a random token also set in a
 * short-lived cookie (double submit).
 */
#include "web/web_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"

#define COOKIE_ATTRS "; Path=/; HttpOnly; Secure; SameSite=Strict"

static int
same_secret(const char *a, const char *b)
{
	size_t n;
	unsigned char d = 0;

	if (!a || !b || !*a || (n = strlen(a)) != strlen(b))
		return 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int
auth_csrf_ok(struct page *p)
{
	return p->logged && same_secret(form_get(p, "csrf"), p->me.csrf);
}

static void
me_from_json(struct page *p, const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	if (!j)
		return;
	p->me.is_signer = json_is_true(json_object_get(j, "signer"));
	p->me.is_agent = json_is_true(json_object_get(j, "agent"));
	p->me.is_org_admin = json_is_true(json_object_get(j, "org_admin"));
	p->me.pending = json_integer_value(json_object_get(j, "pending"));
	json_decref(j);
}

int
auth_load(struct page *p, struct lerr *e)
{
	const char *tok = web_cookie(p, WEB_COOKIE);
	struct store_conn *c = NULL;
	uint8_t sha[SHA256_LEN];
	struct person who;
	char *json = NULL;
	int rc;

	if (!tok || strncmp(tok, "lss_", 4))
		return 0;
	sha256_once(tok, strlen(tok), sha);
	rc = store_acquire(p->w->store, &c, e);
	if (!rc)
		rc = store_session_auth(c, sha, p->w->session_idle_s, &who, e);
	if (!rc)
		rc = store_web_me(c, who.id, &json, e);
	store_release(p->w->store, c);
	if (rc == LERR_AUTH || rc == LERR_NOTFOUND)
		return 0;                   /* expired, idle or unknown: log in again */
	if (rc)
		return rc;
	p->me.id = who.id;
	memcpy(p->me.email, who.email, sizeof(p->me.email));
	memcpy(p->me.name, who.name, sizeof(p->me.name));
	memcpy(p->me.csrf, who.csrf, sizeof(p->me.csrf));
	p->me.is_operator = who.is_operator;
	me_from_json(p, json);
	free(json);
	p->token = (char *)tok;
	p->logged = 1;
	log_set_context("req=%s person=%s", p->w->reqid, p->me.email);
	return 0;
}

/* Where to go after logging in: a local path only. */
static const char *
safe_next(const char *s)
{
	if (!s || s[0] != '/' || s[1] == '/' || s[1] == '\\' ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789/-_.") != strlen(s))
		return "/";
	return s;
}

static void
login_form(struct page *p, unsigned status, const char *error, const char *email)
{
	uint8_t raw[24];
	char tok[33];

	if (random_bytes(raw, sizeof(raw)))
		return page_error(p, 500, "Erreur", "Aucune source d’aléa disponible.");
	base64url_encode(raw, sizeof(raw), tok);
	page_header(p, "Set-Cookie", arena_printf(p->a, WEB_PRE_COOKIE "=%s" COOKIE_ATTRS "; Max-Age=1800", tok));
	p->logged = 0;
	page_begin(p, "Connexion", NULL);
	if (error)
		h_fmt(p, "<p class=\"flash error\" role=\"alert\" id=\"erreur\">%s</p>", error);
	h_fmt(p, "<form class=\"card narrow\" method=\"post\" action=\"/connexion\">"
	      "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
	      "<input type=\"hidden\" name=\"suite\" value=\"%s\">"
	      "<label for=\"email\">Adresse électronique</label>"
	      "<input type=\"email\" id=\"email\" name=\"email\" autocomplete=\"username\" required value=\"%s\"%S>"
	      "<label for=\"password\">Mot de passe</label>"
	      "<input type=\"password\" id=\"password\" name=\"password\" autocomplete=\"current-password\" required>"
	      "<label for=\"totp\">Code à usage unique <span class=\"muted\">(si vous avez activé la double "
	      "authentification)</span></label>"
	      "<input type=\"text\" id=\"totp\" name=\"totp\" inputmode=\"numeric\" autocomplete=\"one-time-code\" "
	      "pattern=\"[0-9]{6}\" maxlength=\"6\">"
	      "<div class=\"actions\"><button type=\"submit\">Se connecter</button></div></form>",
	      tok, safe_next(web_query(p, "suite") ? web_query(p, "suite") : form_get(p, "suite")),
	      email ? email : "", error ? " aria-describedby=\"erreur\"" : " autofocus");
	page_end(p);
	page_send(p, status);
}

void
web_login_get(struct page *p)
{
	struct lerr e;

	lerr_clear(&e);
	if (!auth_load(p, &e) && p->logged)
		return page_redirect(p, "/");
	login_form(p, 200, NULL, NULL);
}

static const char *
login_refusal(const struct lerr *e, unsigned *status)
{
	*status = e->kind == LERR_FORBIDDEN ? 403 : e->kind == LERR_AUTH ? 401 : 500;
	if (e->kind == LERR_FORBIDDEN)
		return "Connexion verrouillée après des échecs répétés : réessayez plus tard "
		       "ou demandez à un administrateur un nouveau mot de passe.";
	if (e->kind == LERR_AUTH && !strcmp(e->field, "totp"))
		return "Le code à usage unique est absent ou incorrect : saisissez le code à 6 chiffres "
		       "affiché par votre application.";
	if (e->kind == LERR_AUTH)
		return "Adresse électronique ou mot de passe incorrect.";
	return "La connexion a échoué ; réessayez dans un instant.";
}

/* Drops the session the browser came with (a new one replaces it). */
static void
forget_old_session(struct page *p)
{
	const char *old = web_cookie(p, WEB_COOKIE);
	struct store_conn *c = NULL;
	uint8_t sha[SHA256_LEN];
	struct lerr e;

	if (!old)
		return;
	sha256_once(old, strlen(old), sha);
	if (!store_acquire(p->w->store, &c, &e) && store_session_delete(c, sha, &e))
		log_warn("web: old session not deleted: %s", e.msg);
	store_release(p->w->store, c);
}

void
web_login_post(struct page *p)
{
	const char *email = form_get(p, "email"), *password = form_get(p, "password");
	const char *totp = form_get(p, "totp");
	char token[48], csrf[33];
	unsigned status;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	if (!same_secret(form_get(p, "csrf"), web_cookie(p, WEB_PRE_COOKIE)))
		return login_form(p, 403, "Le formulaire a expiré : saisissez à nouveau vos identifiants.", email);
	if (!email || !*email || !password || !*password || !p->w->login)
		return login_form(p, 422, "Saisissez votre adresse électronique et votre mot de passe.", email);
	rc = p->w->login(p->w->io, email, password, totp && *totp ? totp : NULL, token, csrf, &e);
	if (rc) {
		const char *why = login_refusal(&e, &status);

		return login_form(p, status, why, email);
	}
	forget_old_session(p);
	page_header(p, "Set-Cookie", arena_printf(p->a, WEB_COOKIE "=%s" COOKIE_ATTRS "; Max-Age=%d", token,
						  p->w->session_lifetime_s > 0 ? p->w->session_lifetime_s : 43200));
	page_header(p, "Set-Cookie", WEB_PRE_COOKIE "=" COOKIE_ATTRS "; Max-Age=0");
	explicit_bzero(token, sizeof(token));
	page_redirect(p, safe_next(form_get(p, "suite")));
}

void
web_logout(struct page *p)
{
	struct store_conn *c = NULL;
	uint8_t sha[SHA256_LEN];
	struct lerr e;
	int rc;

	sha256_once(p->token, strlen(p->token), sha);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_session_delete(c, sha, &e);
	if (!rc)
		rc = store_journal(c, page_actor(p), "logout", NULL, 0, NULL, &e);
	store_release(p->w->store, c);
	if (rc)
		return page_lerr(p, &e);
	page_header(p, "Set-Cookie", WEB_COOKIE "=" COOKIE_ATTRS "; Max-Age=0");
	page_redirect(p, "/connexion");
}

void
web_home(struct page *p)
{
	if (p->me.is_signer || p->me.pending)
		return page_redirect(p, "/parapheur");
	if (p->me.is_agent || p->me.is_org_admin)
		return page_redirect(p, "/suivi");
	if (p->me.is_operator)
		return page_redirect(p, "/admin");
	page_begin(p, "Accueil", NULL);
	h_raw(p, "<p>Aucun rôle ne vous est encore attribué : demandez-en un à l’administrateur de votre "
	      "organisation.</p>");
	page_end(p);
	page_send(p, 200);
}
