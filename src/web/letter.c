/*
 * letter.c - a letter of the prefecture about an act, for the agents of
 * its organisation (doc/actes-letters.md): what it says, its files, the
 * legal deadline of an answer; the answer given, or a form to give it
 * (the kind of answer, the PDF or the pieces).  The answer is checked as
 * the API checks it (flow/letter.c) and sent by the job "letter_answer".
 *   GET  /documents/{id}/courriers/{lid}
 *   POST /documents/{id}/courriers/{lid}   multipart: reponse, fichier...
 */
#include "web/web_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "flow/acte.h"

#define ANSWER_FILES 20

struct larg {
	long long person, lid;
	const char *doc;
};

static int
letter_read(struct store_conn *c, void *arg, char **json, struct lerr *e)
{
	struct larg *l = arg;

	return store_web_letter(c, l->person, l->doc, l->lid, json, e);
}

static const char *
answer_state(const char *s)
{
	return !strcmp(s, "new") ? "enregistrée, en attente d’envoi" : !strcmp(s, "sending") ? "en cours d’envoi" :
	       !strcmp(s, "sent") ? "envoyée à la préfecture" : !strcmp(s, "refused") ? "refusée par la plateforme" :
	       !strcmp(s, "acknowledged") ? "reçue par la préfecture (accusé de réception)" : s;
}

/* The file number n of an API href .../files/<n>. */
static long long
file_n(const char *href)
{
	const char *slash = strrchr(href, '/');

	return slash ? strtoll(slash + 1, NULL, 10) : -1;
}

static void
letter_files(struct page *p, json_t *l)
{
	json_t *f;
	size_t i;

	h_raw(p, "<h2>Fichiers reçus</h2>");
	if (!json_array_size(json_object_get(l, "files")))
		return h_raw(p, "<p class=\"muted\">Aucun fichier.</p>");
	h_raw(p, "<ul class=\"files\">");
	json_array_foreach(json_object_get(l, "files"), i, f)
		h_fmt(p, "<li><a href=\"/documents/%s/fichiers/%lld\">%s</a></li>", js(l, "doc"), file_n(js(f, "href")),
		      js(f, "name"));
	h_raw(p, "</ul>");
}

static void
answer_shown(struct page *p, json_t *a)
{
	json_t *f;
	size_t i;

	h_fmt(p, "<h2>Réponse</h2><p class=\"card\">%s (%s) : <strong>%s</strong>", js(a, "label"), js(a, "code"),
	      answer_state(js(a, "state")));
	if (*js(a, "error"))
		h_fmt(p, "<br><span class=\"muted\">Motif : %s</span>", js(a, "error"));
	h_raw(p, "</p><ul class=\"files\">");
	json_array_foreach(json_object_get(a, "files"), i, f)
		h_fmt(p, "<li>%s</li>", js(f, "name"));
	h_raw(p, "</ul>");
}

static const char *
code_label(const char *code)
{
	return !strcmp(code, "2-2") ? "Réponse au courrier" : !strcmp(code, "3-2") ?
	       "Transmettre les pièces demandées" : !strcmp(code, "3-3") ? "Refuser de transmettre les pièces" :
	       !strcmp(code, "4-2") ? "Répondre aux observations" : "Refuser de répondre aux observations";
}

static void
answer_form(struct page *p, json_t *l)
{
	json_t *c;
	size_t i;

	h_fmt(p, "<h2>Répondre</h2><form class=\"card\" method=\"post\" action=\"/documents/%s/courriers/%s\" "
	      "enctype=\"multipart/form-data\">", js(l, "doc"), js(l, "id"));
	page_csrf_field(p);
	h_raw(p, "<label for=\"r-code\">Réponse</label><select id=\"r-code\" name=\"reponse\" required>");
	json_array_foreach(json_object_get(l, "answers"), i, c)
		h_fmt(p, "<option value=\"%s\">%s (%s)</option>", json_string_value(c),
		      code_label(json_string_value(c)), json_string_value(c));
	h_raw(p, "</select><label for=\"r-file\">Fichier PDF (plusieurs pour des pièces complémentaires)</label>"
	      "<input type=\"file\" id=\"r-file\" name=\"fichier\" accept=\"application/pdf,.pdf\" multiple required>"
	      "<div class=\"actions\"><button type=\"submit\">Envoyer la réponse</button></div></form>");
}

static int
ids(struct page *p, struct larg *l)
{
	char *end;

	errno = 0;
	l->doc = p->params[0];
	l->person = p->me.id;
	l->lid = strtoll(p->params[1], &end, 10);
	return uuid_valid(l->doc) && !errno && !*end && l->lid > 0;
}

void
web_letter(struct page *p)
{
	struct larg a;
	json_t *l, *ans;

	if (!ids(p, &a))
		return page_error(p, 404, "Introuvable", "Ce courrier n’existe pas.");
	if (!(l = web_json(p, letter_read, &a)))
		return;
	page_begin(p, js(l, "label"), "suivi");
	if (web_query(p, "repondu"))
		page_flash(p, "ok", "Votre réponse est enregistrée ; elle part vers la préfecture.");
	h_fmt(p, "<p><a href=\"/documents/%s\">%s</a> — %s</p><dl class=\"card\"><dt>Acte</dt><dd>%s</dd>"
	      "<dt>Date du courrier</dt><dd>", js(l, "doc"), js(l, "title"), js(l, "org"), js(l, "idacte"));
	h_when(p, js(l, "date"));
	h_raw(p, "</dd><dt>Délai de réponse</dt><dd>");
	if (*js(l, "deadline")) {
		h_raw(p, "avant le ");
		h_when(p, js(l, "deadline"));
		h_raw(p, " (sans réponse, refus implicite)");
	} else {
		h_raw(p, "aucun délai légal");
	}
	h_raw(p, "</dd>");
	if (*js(l, "text"))
		h_fmt(p, "<dt>Objet</dt><dd>%s</dd>", js(l, "text"));
	h_raw(p, "</dl>");
	letter_files(p, l);
	ans = json_object_get(l, "answer");
	if (json_is_object(ans))
		answer_shown(p, ans);
	if (!json_array_size(json_object_get(l, "answers")))
		h_raw(p, "<p class=\"card\">Ce courrier ne se répond pas par @ctes.</p>");
	else if (!json_is_object(ans) || !strcmp(js(ans, "state"), "refused"))
		answer_form(p, l);
	json_decref(l);
	page_end(p);
	page_send(p, 200);
}

static int
answer_store(struct page *p, struct larg *a, const char *code, const struct acte_answer_file *f, int n,
	     struct lerr *e)
{
	struct store_conn *c = NULL;
	char *json = NULL;
	int rc = store_acquire(p->w->store, &c, e);

	rc = rc ? rc : store_web_letter(c, a->person, a->doc, a->lid, &json, e);   /* may this agent? */
	free(json);
	rc = rc ? rc : store_begin(c, e);
	rc = rc ? rc : store_letter_answer_begin(c, a->doc, 0, a->lid, code, page_actor(p), e);
	for (int i = 0; !rc && i < n; i++)
		rc = store_letter_answer_file(c, a->lid, f[i].name, "application/pdf", f[i].data, f[i].len, e);
	rc = rc ? rc : store_commit(c, e);
	if (rc && c)
		store_rollback(c);
	store_release(p->w->store, c);
	return rc;
}

void
web_letter_post(struct page *p)
{
	struct acte_answer_file f[ANSWER_FILES];
	const char *code = form_get(p, "reponse");
	struct larg a;
	struct lerr e;
	int n = 0;

	if (!ids(p, &a))
		return page_error(p, 404, "Introuvable", "Ce courrier n’existe pas.");
	for (int i = 0; i < p->form.n; i++) {
		const struct form_field *x = &p->form.f[i];

		if (strcmp(x->name, "fichier") || !x->filename || !x->len)
			continue;
		if (n == ANSWER_FILES)
			return page_error(p, 422, "Trop de fichiers", "Une réponse porte au plus 20 fichiers.");
		f[n++] = (struct acte_answer_file){ x->filename, x->value, x->len };
	}
	lerr_clear(&e);
	if (acte_answer_check(code, f, n, &e) || answer_store(p, &a, code, f, n, &e))
		return page_lerr(p, &e);
	page_redirect(p, arena_printf(p->a, "/documents/%s/courriers/%lld?repondu=1", a.doc, a.lid));
}
