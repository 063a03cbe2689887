/*
 * dispatch.c - the page table: who may see each page, the session, the
 * CSRF check of every form, then the page function.
 */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"

enum need {
	N_PUBLIC,    /* static assets, the login page */
	N_LOGGED,    /* anyone logged in (the page checks what they may see) */
	N_SIGNER,    /* an official (a signer role, or documents in their queue) */
	N_STAFF,     /* agents, organisation administrators, operators */
	N_ADMIN,     /* organisation administrators and operators (the page checks which) */
	N_OPERATOR,  /* operator administrators */
};

static const struct web_route {
	const char *method;
	const char *pattern;
	enum need need;
	void (*fn)(struct page *p);
} routes[] = {
	{ "GET", "/", N_LOGGED, web_home },
	{ "GET", "/connexion", N_PUBLIC, web_login_get },
	{ "POST", "/connexion", N_PUBLIC, web_login_post },
	{ "POST", "/deconnexion", N_LOGGED, web_logout },
	{ "GET", "/parapheur", N_SIGNER, web_queue },
	{ "POST", "/parapheur/signer", N_SIGNER, web_queue_sign },
	{ "GET", "/signes", N_SIGNER, web_signed },
	{ "GET", "/delegations", N_SIGNER, web_delegations },
	{ "POST", "/delegations", N_SIGNER, web_delegation_post },
	{ "GET", "/certificat", N_SIGNER, web_mycert },
	{ "POST", "/certificat", N_SIGNER, web_mycert_post },
	{ "GET", "/documents/{id}", N_LOGGED, web_doc },
	{ "GET", "/documents/{id}/fichiers/{n}", N_LOGGED, web_doc_file },
	{ "POST", "/documents/{id}/refus", N_SIGNER, web_doc_reject },
	{ "POST", "/documents/{id}/annulation", N_STAFF, web_doc_annul },
	{ "POST", "/documents/{id}/publication", N_STAFF, web_doc_publication },
	{ "POST", "/documents/{id}/visa", N_SIGNER, web_doc_visa },
	{ "POST", "/documents/{id}/remords", N_SIGNER, web_doc_remord },
	{ "GET", "/suivi", N_STAFF, web_follow },
	{ "GET", "/retours", N_STAFF, web_returns },
	{ "GET", "/retours/{id}/fichier", N_STAFF, web_return_file },
	{ "GET", "/documents/{id}/courriers/{lid}", N_STAFF, web_letter },
	{ "POST", "/documents/{id}/courriers/{lid}", N_STAFF, web_letter_post },
	{ "GET", "/admin", N_ADMIN, web_admin_orgs },
	{ "POST", "/admin", N_OPERATOR, web_admin_org_post },
	{ "GET", "/admin/organisations/{siren}", N_OPERATOR, web_admin_org },
	{ "POST", "/admin/organisations/{siren}", N_OPERATOR, web_admin_org_settings_post },
	{ "GET", "/admin/organisations/{siren}/personnes", N_ADMIN, web_org_people },
	{ "POST", "/admin/organisations/{siren}/personnes", N_ADMIN, web_org_people_post },
	{ "GET", "/admin/organisations/{siren}/routage", N_ADMIN, web_org_routing },
	{ "POST", "/admin/organisations/{siren}/routage", N_ADMIN, web_org_routing_post },
	{ "GET", "/admin/organisations/{siren}/circuits", N_ADMIN, web_org_circuits },
	{ "POST", "/admin/organisations/{siren}/circuits", N_ADMIN, web_org_circuit_post },
	{ "GET", "/admin/organisations/{siren}/logo", N_ADMIN, web_org_logo },
	{ "POST", "/admin/organisations/{siren}/logo", N_ADMIN, web_org_logo_post },
	{ "GET", "/admin/organisations/{siren}/logo/image", N_ADMIN, web_org_logo_image },
	{ "GET", "/admin/personnes", N_OPERATOR, web_admin_people },
	{ "POST", "/admin/personnes", N_OPERATOR, web_admin_people_post },
	{ "GET", "/admin/clients", N_OPERATOR, web_admin_clients },
	{ "POST", "/admin/clients", N_OPERATOR, web_admin_client_post },
	{ "GET", "/admin/certificats", N_OPERATOR, web_admin_certs },
	{ "POST", "/admin/certificats", N_OPERATOR, web_admin_cert_post },
	{ "GET", "/admin/journal", N_OPERATOR, web_admin_journal },
	{ "GET", "/admin/taches", N_OPERATOR, web_admin_jobs },
	{ "POST", "/admin/taches", N_OPERATOR, web_admin_job_post },
	{ "GET", "/admin/connecteurs", N_OPERATOR, web_admin_connectors },
	{ "POST", "/admin/connecteurs", N_OPERATOR, web_admin_connector_post },
	{ "GET", "/compte", N_LOGGED, web_account },
	{ "POST", "/compte", N_LOGGED, web_account_post },
	{ "GET", "/admin/notifications", N_OPERATOR, web_admin_notices },
	{ "POST", "/admin/notifications/{id}/renvoyer", N_OPERATOR, web_admin_notice_resend },
	{ "GET", "/static/{name}", N_PUBLIC, web_asset },
};

int
web_owns(const char *path)
{
	return strncmp(path, "/api/", 5) != 0 && strcmp(path, "/api") != 0 &&
	       strcmp(path, "/healthz") != 0 && strcmp(path, "/readyz") != 0;
}

static int
match(struct page *p, const char *pattern, const char *path)
{
	int np = 0;

	while (*pattern && *path) {
		if (*pattern == '{') {
			size_t n = strcspn(path, "/");

			if (n == 0 || np == WEB_MAX_PARAMS)
				return 0;
			p->params[np++] = arena_strndup(p->a, path, n);
			path += n;
			pattern = strchr(pattern, '}') + 1;
		} else if (*pattern++ != *path++) {
			return 0;
		}
	}
	return !*pattern && !*path;
}

static const struct web_route *
find(struct page *p, int *wrong_method)
{
	*wrong_method = 0;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!match(p, routes[i].pattern, p->w->path))
			continue;
		if (!strcmp(routes[i].method, p->w->method) ||
		    (!strcmp(p->w->method, "HEAD") && !strcmp(routes[i].method, "GET")))
			return &routes[i];
		*wrong_method = 1;
	}
	return NULL;
}

static int
allowed(const struct page *p, enum need need)
{
	switch (need) {
	case N_PUBLIC:
	case N_LOGGED:
		return 1;
	case N_SIGNER:
		return p->me.is_signer || p->me.pending > 0;
	case N_STAFF:
		return p->me.is_agent || p->me.is_org_admin || p->me.is_operator;
	case N_ADMIN:
		return p->me.is_org_admin || p->me.is_operator;
	case N_OPERATOR:
		return p->me.is_operator;
	}
	return 0;
}

/* Not logged in: GET pages go to the login form and come back after. */
static void
to_login(struct page *p)
{
	if (!strcmp(p->w->method, "GET"))
		page_redirect(p, arena_printf(p->a, "/connexion?suite=%s",
					      h_escape(p->a, p->w->path)));
	else
		page_error(p, 401, "Session expirée", "Votre session a expiré : reconnectez-vous.");
}

static void
run(struct page *p, const struct web_route *rt)
{
	struct lerr e;

	lerr_clear(&e);
	if (rt->need != N_PUBLIC && auth_load(p, &e))
		return page_lerr(p, &e);
	if (rt->need != N_PUBLIC && !p->logged)
		return to_login(p);
	if (!allowed(p, rt->need))
		return page_error(p, 403, "Accès refusé", "Cette page n’est pas ouverte à votre rôle.");
	if (!strcmp(p->w->method, "POST")) {
		if (form_parse(p, &e))
			return page_error(p, 400, "Formulaire illisible", e.msg);
		/* the login form has its own token (no session yet) */
		if (rt->fn != web_login_post && !auth_csrf_ok(p)) {
			log_warn("web: %s %s refused: CSRF token missing or wrong", p->w->method, p->w->path);
			return page_error(p, 403, "Requête refusée",
					  "Le jeton de sécurité du formulaire est absent ou périmé. "
					  "Rechargez la page et recommencez.");
		}
	}
	rt->fn(p);
}

void
web_handle(const struct web_req *w, struct web_reply *r)
{
	struct page *p = arena_zalloc(w->arena, sizeof(*p));
	const struct web_route *rt;
	int wrong_method;

	memset(r, 0, sizeof(*r));
	p->w = w;
	p->r = r;
	p->a = w->arena;
	buf_init(&p->out, WEB_PAGE_MAX);
	rt = find(p, &wrong_method);
	if (!rt && wrong_method)
		page_error(p, 405, "Méthode non permise", "Cette adresse ne s’utilise pas ainsi.");
	else if (!rt)
		page_error(p, 404, "Page introuvable", "Cette adresse ne correspond à aucune page.");
	else
		run(p, rt);
	buf_fini(&p->out);
}
