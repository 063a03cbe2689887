/*
 * queue.c - the official's pages: "Mon parapheur" (the queue across
 * organisations, vendors and delegations, with filters), batch signing
 * with one PIN (flow/signdoc.h), the visas of circuits' visa steps
 * ("Viser", docpage.c), what I signed, and delegations.
 */
#include "web/web_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/kind.h"
#include "core/log.h"
#include "core/util.h"
#include "flow/signdoc.h"


#define QUEUE_PAGE 100   /* rows per page of the queue */

struct qarg {
	long long person;
	struct web_queue_filter f;
	int bad_cursor;          /* the store did not read f.cursor */
};

static int
queue_read(struct store_conn *c, void *arg, char **json, struct lerr *e)
{
	struct qarg *q = arg;
	int rc = store_web_queue(c, q->person, &q->f, json, e);

	if (rc == LERR_MALFORMED && q->f.cursor) {
		q->bad_cursor = 1;     /* web_queue says it in French */
		return 0;
	}
	return rc;
}

static int
cursor_ok(const char *c)
{
	return !c || (strlen(c) <= 200 && strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
						 "0123456789-_") == strlen(c));
}

static void
select_opt(struct page *p, const char *value, const char *label, const char *cur)
{
	h_fmt(p, "<option value=\"%s\"%S>%s</option>", value,
	      cur && !strcmp(cur, value) ? " selected" : "", label);
}

static void
filters(struct page *p, json_t *q, const struct web_queue_filter *f)
{
	size_t i;
	json_t *v;

	h_raw(p, "<form class=\"card filters\" method=\"get\" action=\"/parapheur\" role=\"search\" "
	      "aria-label=\"Filtrer le parapheur\"><div><label for=\"f-org\">Organisation</label>"
	      "<select id=\"f-org\" name=\"org\"><option value=\"\">Toutes</option>");
	json_array_foreach(json_object_get(q, "orgs"), i, v)
		select_opt(p, json_string_value(json_object_get(v, "siren")),
			   json_string_value(json_object_get(v, "name")), f->siren);
	h_raw(p, "</select></div><div><label for=\"f-kind\">Type</label><select id=\"f-kind\" name=\"type\">"
	      "<option value=\"\">Tous</option>");
	for (size_t n = 0; doc_kind_at(n); n++)
		select_opt(p, doc_kind_at(n)->name, doc_kind_at(n)->label, f->kind);
	h_raw(p, "</select></div><div><label for=\"f-vendor\">Éditeur</label><select id=\"f-vendor\" name=\"editeur\">"
	      "<option value=\"\">Tous</option>");
	json_array_foreach(json_object_get(q, "vendors"), i, v)
		select_opt(p, json_string_value(v), json_string_value(v), f->client);
	h_raw(p, "</select></div><div><label for=\"f-due\">Échéance au plus tard le</label>");
	h_date_input(p, "f-due", "echeance", f->due_before, 0);
	h_raw(p, "</div><div class=\"actions\"><button type=\"submit\">Filtrer</button>"
	      "<a class=\"button secondary\" href=\"/parapheur\">Tout afficher</a></div></form>");
}

/* The row's first cell: a checkbox to sign it with the selection, or, at a
 * visa step of its circuit (doc/circuits.md), the button "Viser" (no PIN:
 * a visa is not a signature; the form's PIN field is not required for it). */
static void
row_action(struct page *p, json_t *d)
{
	const char *id = js(d, "id");

	if (!strcmp(js(d, "action"), "visa")) {
		h_fmt(p, "<td><button type=\"submit\" class=\"secondary\" formaction=\"/documents/%s/visa\" "
		      "formnovalidate data-visa aria-label=\"Viser « %s »\">Viser</button></td>", id, js(d, "title"));
		return;
	}
	h_fmt(p, "<td><input type=\"checkbox\" name=\"doc\" value=\"%s\" id=\"d-%s\" data-title=\"%s\">"
	      "<label class=\"sr-only\" for=\"d-%s\">Sélectionner « %s »</label></td>",
	      id, id, js(d, "title"), id, js(d, "title"));
}

static void
queue_row(struct page *p, json_t *d)
{
	const char *id = js(d, "id"), *forwhom = js(d, "for");

	h_fmt(p, "<tr%S>", json_is_true(json_object_get(d, "overdue")) ? " class=\"overdue\"" : "");
	row_action(p, d);
	h_fmt(p, "<td data-label=\"Document\"><a href=\"/documents/%s\">%s</a>", id, js(d, "title"));
	if (!strcmp(js(d, "action"), "visa"))
		h_raw(p, "<br><span class=\"muted\">à viser</span>");
	if (*forwhom)
		h_fmt(p, "<br><span class=\"muted\">par délégation de %s</span>", forwhom);
	h_fmt(p, "</td><td data-label=\"Organisation\">%s</td><td data-label=\"Type\">%s</td>"
	      "<td data-label=\"Éditeur\">%s</td><td data-label=\"Échéance\">",
	      js(d, "org"), kind_label(js(d, "kind")), js(d, "vendor"));
	h_when(p, js(d, "due_date"));
	if (json_is_true(json_object_get(d, "overdue")))
		h_raw(p, " <strong class=\"warn\">en retard</strong>");
	h_raw(p, "</td><td data-label=\"Reçu le\">");
	h_when(p, js(d, "created_at"));
	h_raw(p, "</td></tr>");
}

static void
sign_box(struct page *p)
{
	h_raw(p, "<div class=\"card\"><p id=\"selcount\" aria-live=\"polite\" class=\"muted\"></p>"
	      "<label for=\"pin\">Code PIN de signature</label>"
	      "<input type=\"password\" id=\"pin\" name=\"pin\" inputmode=\"numeric\" autocomplete=\"off\" "
	      "required aria-describedby=\"pin-aide\">"
	      "<p id=\"pin-aide\" class=\"muted\">Le code est demandé une seule fois pour toute la sélection. "
	      "Après cinq codes erronés, la signature est verrouillée.</p>"
	      "<div class=\"actions\"><button type=\"submit\" data-sign>Signer la sélection</button></div>"
	      "<div id=\"progression\" hidden><progress value=\"0\" max=\"1\" aria-label=\"Documents signés\">"
	      "</progress><p role=\"status\" aria-live=\"polite\"></p><ul class=\"results\" aria-label=\"Résultats\"></ul>"
	      "<button type=\"button\" id=\"recharger\" class=\"secondary\" hidden>Actualiser le parapheur</button>"
	      "</div></div>");
}

/* A link to the page after (dir "apres") or before ("avant") cursor, the
 * filters kept. */
static void
page_link(struct page *p, const struct web_queue_filter *f, const char *dir, const char *cursor)
{
	int next = !strcmp(dir, "apres");

	h_fmt(p, "<a class=\"button secondary\" href=\"/parapheur?%s=%U&amp;org=%U&amp;type=%U&amp;editeur=%U"
	      "&amp;echeance=%U\"%S>%S</a> ", dir, cursor, f->siren ? f->siren : "", f->kind ? f->kind : "",
	      f->client ? f->client : "", f->due_before ? f->due_before : "",
	      next ? " rel=\"next\"" : " rel=\"prev\"", next ? "Page suivante" : "Page précédente");
}

/* "Documents 101 à 200 sur 5000", the pages before and after (keyset
 * cursors of queue_slice(): a document signed meanwhile shifts no other
 * one), filters kept. */
static void
pager(struct page *p, json_t *q, const struct web_queue_filter *f, long long count, size_t shown)
{
	long long first = json_integer_value(json_object_get(q, "first"));
	const char *prev = json_string_value(json_object_get(q, "prev"));
	const char *next = json_string_value(json_object_get(q, "next"));

	if (!prev && !next)
		return;
	h_fmt(p, "<nav class=\"pager\" aria-label=\"Pages du parapheur\"><p>Documents %lld à %lld sur %lld.</p>",
	      first + 1, first + (long long)shown, count);
	if (prev)
		page_link(p, f, "avant", prev);
	if (next)
		page_link(p, f, "apres", next);
	h_raw(p, "</nav>");
}

/* A page past the end (its documents signed since the link was made). */
static void
empty_page(struct page *p, const struct web_queue_filter *f, long long count)
{
	if (!f->cursor || !count) {
		h_raw(p, "<p class=\"card\">Aucun document à signer.</p>");
		return;
	}
	h_fmt(p, "<p class=\"card\">Plus aucun document sur cette page : ils ont été signés ou retirés entre-temps. "
	      "<a href=\"/parapheur?org=%U&amp;type=%U&amp;editeur=%U&amp;echeance=%U\">Revenir à la première "
	      "page</a></p>", f->siren ? f->siren : "", f->kind ? f->kind : "", f->client ? f->client : "",
	      f->due_before ? f->due_before : "");
}

static void
queue_page(struct page *p, json_t *q, const struct web_queue_filter *f)
{
	long long total = json_integer_value(json_object_get(q, "total"));
	long long count = json_integer_value(json_object_get(q, "count"));
	json_t *items = json_object_get(q, "items"), *d;
	size_t i;

	page_begin(p, "Mon parapheur", "parapheur");
	h_fmt(p, "<p class=\"lead\"><strong>%lld</strong> document%S en attente de votre signature ou de votre visa",
	      total, total > 1 ? "s" : "");
	if (count != total)
		h_fmt(p, ", dont <strong>%lld</strong> avec ces filtres", count);
	h_raw(p, ".</p>");
	filters(p, q, f);
	if (!json_array_size(items))
		return empty_page(p, f, count);
	h_raw(p, "<form id=\"file-form\" method=\"post\" action=\"/parapheur/signer\">");
	page_csrf_field(p);
	h_raw(p, "<table class=\"stack\"><caption>Documents à signer, par échéance puis ancienneté</caption>"
	      "<thead><tr><th scope=\"col\"><input type=\"checkbox\" id=\"tout\" aria-label=\"Tout sélectionner\"></th>"
	      "<th scope=\"col\">Document</th><th scope=\"col\">Organisation</th><th scope=\"col\">Type</th>"
	      "<th scope=\"col\">Éditeur</th><th scope=\"col\">Échéance</th><th scope=\"col\">Reçu le</th></tr></thead><tbody>");
	json_array_foreach(items, i, d)
		queue_row(p, d);
	h_raw(p, "</tbody></table>");
	pager(p, q, f, count, json_array_size(items));
	sign_box(p);
	h_raw(p, "</form>");
}

static const char *
valid_kind(const char *k)
{
	return doc_kind_get(k) ? k : NULL;
}

void
web_queue(struct page *p)
{
	struct qarg q = { .person = p->me.id };
	const char *before = web_query(p, "avant"), *after = web_query(p, "apres");
	int64_t t0 = now_us(), t1;
	json_t *j;

	q.f.limit = QUEUE_PAGE;
	q.f.back = before && *before;
	q.f.cursor = q.f.back ? before : after && *after ? after : NULL;
	q.f.siren = web_query(p, "org");
	q.f.kind = valid_kind(web_query(p, "type"));
	q.f.client = web_query(p, "editeur");
	q.f.due_before = web_date_iso(p, web_query(p, "echeance"));
	q.bad_cursor = !cursor_ok(q.f.cursor);
	j = q.bad_cursor ? NULL : web_json(p, queue_read, &q);
	if (q.bad_cursor) {
		json_decref(j);
		return page_error(p, 400, "Lien de page invalide", "Ce lien vers une page du parapheur n’est pas "
				  "valable : revenez à la première page de Mon parapheur.");
	}
	if (!j)
		return;
	t1 = now_us();
	queue_page(p, j, &q.f);
	json_decref(j);
	page_end(p);
	/* what bench/queue-page.mjs reports: the query, then parsing and HTML */
	page_header(p, "Server-Timing", arena_printf(p->a, "db;dur=%.2f, render;dur=%.2f",
						     (double)(t1 - t0) / 1000.0, (double)(now_us() - t1) / 1000.0));
	page_send(p, 200);
}

/* ---- signing ---- */

static const char *
result_text(struct page *p, const struct signdoc_result *r)
{
	if (r->ok)
		return "signé";
	switch (r->err.kind) {
	case LERR_NOTFOUND: return "introuvable";
	case LERR_FORBIDDEN: return "vous ne pouvez pas signer ce document";
	case LERR_CONFLICT: return "déjà signé, ou plus en attente de signature";
	case LERR_INVALID: return arena_printf(p->a, "ce fichier ne peut pas être signé (%s)", r->err.msg);
	default: return arena_printf(p->a, "échec de la signature (%s)", r->err.msg);
	}
}

static const char *
batch_refusal(struct page *p, const struct signdoc_batch *b, const struct lerr *e)
{
	if (b->locked)
		return "La signature est verrouillée après cinq codes PIN erronés : demandez à un "
		       "administrateur de la débloquer.";
	if (e->kind == LERR_FORBIDDEN && !strcmp(e->field, "pin"))
		return arena_printf(p->a, "Code PIN incorrect : il vous reste %d essai%s.", b->attempts_left,
				    b->attempts_left > 1 ? "s" : "");
	if (e->kind == LERR_FORBIDDEN)
		return arena_printf(p->a, "Aucun certificat utilisable pour signer (%s). Contactez votre "
				    "administrateur.", e->msg);
	if (e->kind == LERR_INVALID)
		return "Sélectionnez au moins un document (500 au plus).";
	return arena_printf(p->a, "La signature a échoué : %s", e->msg);
}

static void
sign_json(struct page *p, const struct signdoc_batch *b, const char *stop)
{
	json_t *res = json_array(), *o;

	for (size_t i = 0; !stop && i < b->ndocs; i++)
		json_array_append_new(res, json_pack("{s:s,s:s,s:s,s:s}", "id", b->results[i].id,
			"status", b->results[i].ok ? "signed" : "error", "state", b->results[i].state,
			"message", result_text(p, &b->results[i])));
	o = json_pack("{s:o,s:i}", "results", res, "signed", b->nsigned);
	if (stop)
		json_object_set_new(o, "stop", json_string(stop));
	p->r->body = json_dumps(o, JSON_COMPACT);
	p->r->len = p->r->body ? strlen(p->r->body) : 0;
	p->r->status = stop ? 422 : 200;
	p->r->ctype = "application/json";
	json_decref(o);
}

static void
sign_page(struct page *p, const struct signdoc_batch *b, const char *stop)
{
	page_begin(p, "Résultat de la signature", "parapheur");
	if (stop) {
		h_fmt(p, "<p class=\"flash error\" role=\"alert\">%s</p>", stop);
	} else {
		h_fmt(p, "<p role=\"status\">%d document%S signé%S sur %zu.</p><ul class=\"results\">",
		      b->nsigned, b->nsigned > 1 ? "s" : "", b->nsigned > 1 ? "s" : "", b->ndocs);
		for (size_t i = 0; i < b->ndocs; i++)
			h_fmt(p, "<li class=\"%S\"><a href=\"/documents/%s\">%s</a> : %s</li>",
			      b->results[i].ok ? "res-ok" : "res-error", b->results[i].id, b->results[i].id,
			      result_text(p, &b->results[i]));
		h_raw(p, "</ul>");
	}
	h_raw(p, "<p><a href=\"/parapheur\">Retour au parapheur</a></p>");
	page_end(p);
	page_send(p, stop ? 422 : 200);
}

void
web_queue_sign(struct page *p)
{
	const char **docs = arena_zalloc(p->a, sizeof(*docs) * WEB_MAX_FIELDS);
	struct signdoc_batch b = { .person_id = p->me.id,
		.actor = page_actor(p), .docs = docs };
	const char *pin = form_get(p, "pin"), *stop = NULL;
	struct lerr e;

	lerr_clear(&e);
	for (int i = 0; i < p->form.n; i++)
		if (!strcmp(p->form.f[i].name, "doc") && uuid_valid(p->form.f[i].value))
			docs[b.ndocs++] = p->form.f[i].value;
	b.results = arena_zalloc(p->a, sizeof(*b.results) * (b.ndocs ? b.ndocs : 1));
	b.pin = pin ? pin : "";
	if (!b.ndocs)
		stop = "Sélectionnez au moins un document à signer.";
	else if (!pin || !*pin)
		stop = "Saisissez votre code PIN de signature.";
	else if (signdoc_batch(p->w->store, &b, &e))
		stop = batch_refusal(p, &b, &e);
	if (pin)
		explicit_bzero((char *)pin, strlen(pin));
	if (form_get(p, "reponse") && !strcmp(form_get(p, "reponse"), "json"))
		return sign_json(p, &b, stop);
	sign_page(p, &b, stop);
}

/* ---- what I signed ---- */

void
web_signed(struct page *p)
{
	json_t *j = web_json_mine(p, store_web_signed), *d;
	size_t i;

	if (!j)
		return;
	page_begin(p, "Ce que j’ai signé", "signes");
	if (!json_array_size(j))
		h_raw(p, "<p class=\"card\">Vous n’avez encore rien signé.</p>");
	else
		h_raw(p, "<table class=\"stack\"><caption>Les 500 dernières signatures</caption><thead><tr>"
		      "<th scope=\"col\">Document</th><th scope=\"col\">Organisation</th><th scope=\"col\">Type</th>"
		      "<th scope=\"col\">Signé le</th><th scope=\"col\">État</th></tr></thead><tbody>");
	json_array_foreach(j, i, d) {
		h_fmt(p, "<tr><td data-label=\"Document\"><a href=\"/documents/%s\">%s</a>", js(d, "id"), js(d, "title"));
		if (*js(d, "for"))
			h_fmt(p, "<br><span class=\"muted\">par délégation de %s</span>", js(d, "for"));
		h_fmt(p, "</td><td data-label=\"Organisation\">%s</td><td data-label=\"Type\">%s</td>"
		      "<td data-label=\"Signé le\">", js(d, "org"), kind_label(js(d, "kind")));
		h_when(p, js(d, "signed_at"));
		h_fmt(p, "</td><td data-label=\"État\"><span class=\"state state-%s\">%s</span></td></tr>",
		      js(d, "state"), state_label(js(d, "state")));
	}
	if (json_array_size(j))
		h_raw(p, "</tbody></table>");
	json_decref(j);
	page_end(p);
	page_send(p, 200);
}

/* ---- delegations ---- */

static void
deleg_kinds(struct page *p, json_t *k)
{
	size_t i;
	json_t *v;

	if (!json_array_size(k)) {
		h_raw(p, "tous");
		return;
	}
	json_array_foreach(k, i, v)
		h_fmt(p, "%S%s", i ? ", " : "", kind_label(json_string_value(v)));
}

static void
deleg_table(struct page *p, json_t *list, const char *caption, const char *whohead, int revocable)
{
	size_t i;
	json_t *g;

	if (!json_array_size(list)) {
		h_fmt(p, "<p class=\"muted\">%s : aucune.</p>", caption);
		return;
	}
	h_fmt(p, "<table class=\"stack\"><caption>%s</caption><thead><tr><th scope=\"col\">%s</th>"
	      "<th scope=\"col\">Organisation</th><th scope=\"col\">Types</th><th scope=\"col\">Du</th>"
	      "<th scope=\"col\">Au</th><th scope=\"col\">État</th>%S</tr></thead><tbody>", caption, whohead,
	      revocable ? "<th scope=\"col\">Action</th>" : "");
	json_array_foreach(list, i, g) {
		h_fmt(p, "<tr><td data-label=\"%s\">%s <span class=\"muted\">%s</span></td>"
		      "<td data-label=\"Organisation\">%s</td><td data-label=\"Types\">", whohead, js(g, "who"),
		      js(g, "email"), *js(g, "org") ? js(g, "org") : "toutes");
		deleg_kinds(p, json_object_get(g, "kinds"));
		h_raw(p, "</td><td data-label=\"Du\">");
		h_when(p, js(g, "starts_at"));
		h_raw(p, "</td><td data-label=\"Au\">");
		h_when(p, js(g, "ends_at"));
		h_fmt(p, "</td><td data-label=\"État\">%s</td>",
		      json_is_true(json_object_get(g, "active")) ? "en cours" : "à venir");
		if (revocable) {
			h_fmt(p, "<td><form method=\"post\" action=\"/delegations\"><input type=\"hidden\" name=\"revoquer\" "
			      "value=\"%lld\">", (long long)json_integer_value(json_object_get(g, "id")));
			page_csrf_field(p);
			h_fmt(p, "<button type=\"submit\" class=\"secondary\">Révoquer<span class=\"sr-only\"> la "
			      "délégation à %s</span></button></form></td>", js(g, "who"));
		}
		h_raw(p, "</tr>");
	}
	h_raw(p, "</tbody></table>");
}

static void
deleg_form(struct page *p, json_t *orgs)
{
	size_t i;
	json_t *o;

	h_raw(p, "<h2>Nouvelle délégation</h2><form class=\"card\" method=\"post\" action=\"/delegations\">");
	page_csrf_field(p);
	h_raw(p, "<label for=\"dg-to\">Adresse électronique du délégataire</label>"
	      "<input type=\"email\" id=\"dg-to\" name=\"a\" required>"
	      "<label for=\"dg-from\">Début de la délégation</label>");
	h_date_input(p, "dg-from", "debut", NULL, 1);
	h_raw(p, "<label for=\"dg-until\">Fin de la délégation (jour inclus)</label>");
	h_date_input(p, "dg-until", "fin", NULL, 1);
	h_raw(p, "<label for=\"dg-org\">Organisation</label><select id=\"dg-org\" name=\"org\">"
	      "<option value=\"\">Toutes mes organisations</option>");
	json_array_foreach(orgs, i, o)
		select_opt(p, js(o, "siren"), js(o, "name"), NULL);
	h_raw(p, "</select><fieldset><legend>Types de documents (aucun coché : tous)</legend>");
	for (size_t n = 0; doc_kind_at(n); n++)
		h_fmt(p, "<label><input type=\"checkbox\" name=\"type\" value=\"%s\"> %s</label>",
		      doc_kind_at(n)->name, doc_kind_at(n)->label);
	h_raw(p, "</fieldset><div class=\"actions\"><button type=\"submit\">Déléguer</button></div></form>");
}

void
web_delegations(struct page *p)
{
	json_t *j = web_json_mine(p, store_web_delegations);

	if (!j)
		return;
	page_begin(p, "Délégations", "delegations");
	h_raw(p, "<p>Pendant une absence, un délégataire signe vos documents avec son propre certificat ; "
	      "les documents et le journal indiquent « par délégation de » votre nom.</p>");
	deleg_table(p, json_object_get(j, "given"), "Délégations que j’ai données", "Délégataire", 1);
	deleg_table(p, json_object_get(j, "received"), "Délégations que j’ai reçues", "Délégant", 0);
	deleg_form(p, json_object_get(j, "orgs"));
	json_decref(j);
	page_end(p);
	page_send(p, 200);
}

struct dgarg {
	struct page *p;
	struct delegation_in d;
	long long revoke;
};

static int
deleg_write(struct store_conn *c, void *arg, char **json, struct lerr *e)
{
	struct dgarg *g = arg;

	if (g->revoke)
		return store_delegation_revoke(c, g->p->me.id, g->revoke, g->d.actor, json, e);
	return store_delegation_add(c, &g->d, json, e);
}

static char *
kinds_array(struct page *p)
{
	char *arr = NULL;

	for (int i = 0; i < p->form.n; i++) {
		if (strcmp(p->form.f[i].name, "type") || !valid_kind(p->form.f[i].value))
			continue;
		arr = arr ? arena_printf(p->a, "%s,%s", arr, p->form.f[i].value) : (char *)p->form.f[i].value;
	}
	return arr ? arena_printf(p->a, "{%s}", arr) : NULL;
}

void
web_delegation_post(struct page *p)
{
	struct dgarg g = { .p = p };
	const char *until = web_date_iso(p, form_get(p, "fin"));
	json_t *j;

	g.d.from_person = p->me.id;
	g.d.actor = page_actor(p);
	g.revoke = form_get(p, "revoquer") ? atoll(form_get(p, "revoquer")) : 0;
	g.d.to_email = form_get(p, "a");
	g.d.siren = form_get(p, "org") && *form_get(p, "org") ? form_get(p, "org") : NULL;
	g.d.kinds = kinds_array(p);
	g.d.starts_at = web_date_iso(p, form_get(p, "debut"));
	g.d.ends_at = until ? arena_printf(p->a, "%s 23:59:59", until) : NULL;
	if (!g.revoke && (!g.d.to_email || !g.d.starts_at || !g.d.ends_at))
		return page_error(p, 422, "Délégation incomplète",
				  "Indiquez l’adresse du délégataire et les dates de début et de fin.");
	j = web_json(p, deleg_write, &g);
	if (!j)
		return;
	json_decref(j);
	page_redirect(p, "/delegations");
}

/* ---- my certificate: state, expiry, enrolment (code -> my own PIN) ---- */

static int
mycert_read(struct store_conn *c, void *arg, char **json, struct lerr *e)
{
	return store_cert_list_json(c, 0, *(long long *)arg, json, e);
}

static void
mycert_page(struct page *p, unsigned status)
{
	json_t *j = web_json(p, mycert_read, &p->me.id), *x;
	int enrol = 0;
	size_t i;

	if (!j)
		return;
	page_begin(p, "Mon certificat", "certificat");
	if (!json_array_size(j))
		h_raw(p, "<p class=\"card\">Aucun certificat : demandez à votre administrateur d’importer le vôtre.</p>");
	json_array_foreach(j, i, x) {
		const char *st = js(x, "state");

		enrol |= !strcmp(st, "enrolment");
		h_fmt(p, "<div class=\"card\"><dl class=\"meta\"><dt>Certificat</dt><dd>%s</dd><dt>Émis par</dt><dd>%s</dd>"
		      "<dt>Expire le</dt><dd>", js(x, "subject"), js(x, "issuer"));
		h_when(p, js(x, "not_after"));
		h_fmt(p, "</dd><dt>État</dt><dd>%S%S</dd></dl></div>",
		      !strcmp(st, "enrolment") ? "en attente de votre code PIN" : !strcmp(st, "active") ? "actif" : "révoqué",
		      json_is_true(json_object_get(x, "locked")) ? " — <strong>signature verrouillée</strong>" : "");
	}
	json_decref(j);
	if (enrol) {
		h_raw(p, "<h2>Choisir mon code PIN</h2><form class=\"card\" method=\"post\" action=\"/certificat\">");
		page_csrf_field(p);
		h_raw(p, "<label for=\"en-code\">Code d’enrôlement remis par l’administrateur</label>"
		      "<input type=\"text\" id=\"en-code\" name=\"code\" required autocomplete=\"off\">"
		      "<label for=\"en-pin\">Nouveau code PIN</label><input type=\"password\" id=\"en-pin\" name=\"pin\" "
		      "required autocomplete=\"new-password\"><label for=\"en-pin2\">Nouveau code PIN, à nouveau</label>"
		      "<input type=\"password\" id=\"en-pin2\" name=\"pin2\" required autocomplete=\"new-password\">"
		      "<div class=\"actions\"><button type=\"submit\">Enregistrer mon code PIN</button></div></form>");
	}
	page_end(p);
	page_send(p, status);
}

void
web_mycert(struct page *p)
{
	mycert_page(p, 200);
}

void
web_mycert_post(struct page *p)
{
	const char *code = form_get(p, "code"), *pin = form_get(p, "pin"), *pin2 = form_get(p, "pin2");
	char *json = NULL;
	int left = 0, rc;
	struct lerr e;

	lerr_clear(&e);
	if (!code || !pin || !pin2 || strcmp(pin, pin2)) {
		page_flash(p, "error", "Les deux codes PIN saisis diffèrent.");
		rc = LERR_INVALID;
	} else if ((rc = signdoc_enrol(p->w->store, p->me.id, code, pin,
				       page_actor(p), &json, &left, &e))) {
		page_flash(p, "error", e.kind == LERR_FORBIDDEN ?
			   arena_printf(p->a, "Code d’enrôlement incorrect : il reste %d essai%s.", left, left > 1 ? "s" : "") :
			   arena_printf(p->a, "Code PIN refusé : %s %s", e.msg, e.hint));
	} else {
		page_flash(p, "ok", "Votre code PIN est enregistré : vous pouvez signer.");
	}
	free(json);
	if (pin)
		explicit_bzero((char *)pin, strlen(pin));
	if (pin2)
		explicit_bzero((char *)pin2, strlen(pin2));
	mycert_page(p, rc ? 422 : 200);
}
