/*
 * layout.c - the frame of every page (header, navigation with the count
 * badge, main, footer), replies, redirects, error pages, labels in French.
 */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/state.h"

/* Frames: only our own pages may frame our files (the PDF viewer). */
#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"object-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'"

void
page_header(struct page *p, const char *name, const char *value)
{
	struct web_reply *r = p->r;

	if (r->nheaders == WEB_MAX_HEADERS)
		return;
	r->headers[r->nheaders][0] = name;
	r->headers[r->nheaders][1] = value;
	r->nheaders++;
}

static void
nav_item(struct page *p, const char *cur, const char *id, const char *href, const char *label)
{
	int here = cur && !strcmp(cur, id);

	h_fmt(p, "<li><a href=\"%S\"%S>%s", href, here ? " aria-current=\"page\"" : "", label);
	if (!strcmp(id, "parapheur") && p->me.pending > 0)
		h_fmt(p, " <span class=\"badge\" aria-label=\"%lld document%S à signer\">%lld</span>",
		      p->me.pending, p->me.pending > 1 ? "s" : "", p->me.pending);
	h_raw(p, "</a></li>");
}

static void
nav(struct page *p, const char *cur)
{
	h_raw(p, "<nav aria-label=\"Navigation principale\"><ul class=\"nav\">");
	if (p->me.is_signer || p->me.pending)
		nav_item(p, cur, "parapheur", "/parapheur", "Mon parapheur");
	if (p->me.is_signer) {
		nav_item(p, cur, "signes", "/signes", "Ce que j’ai signé");
		nav_item(p, cur, "delegations", "/delegations", "Délégations");
		nav_item(p, cur, "certificat", "/certificat", "Mon certificat");
	}
	if (p->me.is_agent || p->me.is_org_admin || p->me.is_operator) {
		nav_item(p, cur, "suivi", "/suivi", "Suivi des documents");
		nav_item(p, cur, "retours", "/retours", "Retours Hélios");
	}
	if (p->me.is_operator || p->me.is_org_admin)
		nav_item(p, cur, "admin", "/admin", "Administration");
	nav_item(p, cur, "compte", "/compte", "Mon compte");
	h_raw(p, "</ul></nav>");
}

void
page_begin(struct page *p, const char *title, const char *cur)
{
	h_fmt(p, "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	      "<title>%s — liasse</title><link rel=\"stylesheet\" href=\"/static/liasse.css\">"
	      "<link rel=\"icon\" href=\"/static/logo.svg\" type=\"image/svg+xml\">"
	      "<script src=\"/static/liasse.js\" defer></script></head><body>"
	      "<a class=\"skip\" href=\"#contenu\">Aller au contenu</a>"
	      "<header class=\"top\"><a class=\"brand\" href=\"/\"><img src=\"/static/logo.svg\" alt=\"\" "
	      "width=\"28\" height=\"28\"> liasse</a>", title);
	if (p->logged) {
		nav(p, cur);
		h_fmt(p, "<form class=\"who\" method=\"post\" action=\"/deconnexion\">"
		      "<span>%s</span>", p->me.name);
		page_csrf_field(p);
		h_raw(p, "<button type=\"submit\" class=\"link\">Se déconnecter</button></form>");
	}
	h_fmt(p, "</header><main id=\"contenu\" tabindex=\"-1\"><h1>%s</h1>", title);
	if (p->flash)
		h_fmt(p, "<p class=\"flash %S\" role=\"%S\">%s</p>",
		      p->flash_kind && !strcmp(p->flash_kind, "error") ? "error" : "ok",
		      p->flash_kind && !strcmp(p->flash_kind, "error") ? "alert" : "status", p->flash);
}

void
page_end(struct page *p)
{
	h_raw(p, "</main><footer class=\"foot\"><p>liasse — passerelle de dématérialisation</p>"
	      "</footer></body></html>\n");
}

void
page_flash(struct page *p, const char *kind, const char *msg)
{
	p->flash_kind = kind;
	p->flash = msg;
}

void
page_csrf_field(struct page *p)
{
	h_fmt(p, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", p->me.csrf);
}

static void
security_headers(struct page *p)
{
	page_header(p, "Content-Security-Policy", CSP);
	page_header(p, "X-Frame-Options", "SAMEORIGIN");
	page_header(p, "Referrer-Policy", "same-origin");
}

void
page_send(struct page *p, unsigned status)
{
	if (p->overflow) {
		buf_reset(&p->out);
		p->overflow = 0;
		status = 500;
		h_raw(p, "<!DOCTYPE html><html lang=\"fr\"><title>Page trop grande</title>"
		      "<p>Cette page est trop grande pour être affichée : affinez les filtres.</p></html>");
	}
	security_headers(p);
	p->r->status = status;
	p->r->ctype = "text/html; charset=utf-8";
	p->r->body = p->out.data;
	p->r->len = p->out.len;
	p->out.data = NULL;          /* the HTTP layer frees it */
	buf_fini(&p->out);
}

void
page_redirect(struct page *p, const char *location)
{
	buf_reset(&p->out);
	page_header(p, "Location", location);
	p->r->status = 303;
	p->r->ctype = "text/html; charset=utf-8";
	p->r->body = (char *)"";
	p->r->body_static = 1;
}

void
page_error(struct page *p, unsigned status, const char *title, const char *text)
{
	buf_reset(&p->out);
	p->overflow = 0;
	page_begin(p, title, NULL);
	h_fmt(p, "<p>%s</p><p><a href=\"/\">Retour à l’accueil</a></p>", text);
	page_end(p);
	page_send(p, status);
}

const char *
page_actor(struct page *p)
{
	return arena_printf(p->a, "person:%s", p->me.email);
}

/* The error page of e, with the status the API would answer (lerr_http_status)
 * and, in French, what went wrong. */
void
page_lerr(struct page *p, const struct lerr *e)
{
	static const char *const pages[][2] = {
		[LERR_MALFORMED] = { "Demande illisible", "Le formulaire envoyé n’a pas pu être lu ; rechargez la page "
				     "et recommencez." },
		[LERR_INVALID] = { "Données refusées", "Une valeur saisie ne convient pas" },
		[LERR_AUTH] = { "Connexion requise", "Votre session a pris fin ; reconnectez-vous pour continuer." },
		[LERR_FORBIDDEN] = { "Accès refusé", "Vous n’avez pas les droits nécessaires pour cette action." },
		[LERR_NOTFOUND] = { "Introuvable", "Ce document ou cette page n’existe pas, ou vous n’y avez pas accès." },
		[LERR_CONFLICT] = { "Action impossible", "Cette action ne convient pas à l’état actuel des choses" },
		[LERR_TOOLARGE] = { "Trop volumineux", "Le fichier ou le formulaire dépasse la taille permise." },
		[LERR_MEDIATYPE] = { "Type de fichier refusé", "Ce type de fichier n’est pas accepté ici." },
		[LERR_RANGE] = { "Plage invalide", "La partie demandée du fichier n’existe pas." },
		[LERR_UNAVAILABLE] = { "Service indisponible", "La base de données ne répond pas ; réessayez dans un instant." },
	};
	unsigned k = e->kind;

	if (lerr_http_status(e->kind) >= 500 || e->detail_private)   /* the page says less */
		log_error("page error: %s: %s", e->msg, e->detail);
	if (k == LERR_INVALID || k == LERR_CONFLICT)
		page_error(p, lerr_http_status(e->kind), pages[k][0],
			   arena_printf(p->a, "%s : %s%s%s.", pages[k][1], e->msg, e->hint[0] ? " — " : "", e->hint));
	else if (k < sizeof(pages) / sizeof(pages[0]) && pages[k][0])
		page_error(p, lerr_http_status(e->kind), pages[k][0], pages[k][1]);
	else
		page_error(p, 500, "Erreur", e->msg[0] ? e->msg : "Une erreur inattendue s’est produite.");
}

const char *
state_label(const char *state)
{
	return doc_state_label(state);
}

const char *
kind_label(const char *kind)
{
	return doc_kind_label(kind);
}

const char *
role_label(const char *role)
{
	if (!role)
		return "";
	if (!strcmp(role, "signer"))
		return "Signataire";
	if (!strcmp(role, "agent"))
		return "Agent";
	if (!strcmp(role, "org_admin"))
		return "Administrateur de l’organisation";
	return role;
}

/* The readers of web_json_all() and web_json_mine(): arg holds the store's
 * function (a function pointer does not go through a void *). */
struct reader {
	int (*all)(struct store_conn *, char **, struct lerr *);
	int (*mine)(struct store_conn *, long long, char **, struct lerr *);
	long long person;
};

static int
read_with(struct store_conn *c, void *arg, char **json, struct lerr *e)
{
	const struct reader *r = arg;

	return r->all ? r->all(c, json, e) : r->mine(c, r->person, json, e);
}

json_t *
web_json_all(struct page *p, int (*fn)(struct store_conn *, char **, struct lerr *))
{
	struct reader r = { .all = fn };

	return web_json(p, read_with, &r);
}

json_t *
web_json_mine(struct page *p, int (*fn)(struct store_conn *, long long, char **, struct lerr *))
{
	struct reader r = { .mine = fn, .person = p->me.id };

	return web_json(p, read_with, &r);
}

json_t *
web_json(struct page *p, int (*fn)(struct store_conn *, void *, char **, struct lerr *), void *arg)
{
	struct store_conn *c = NULL;
	char *text = NULL;
	json_t *j = NULL;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = fn(c, arg, &text, &e);
	store_release(p->w->store, c);
	if (!rc && !(j = json_loads(text ? text : "null", JSON_DECODE_ANY, NULL)))
		rc = lerr_set(&e, LERR_INTERNAL, NULL, "unreadable JSON from the store");
	free(text);
	if (rc)
		page_lerr(p, &e);
	return j;
}
