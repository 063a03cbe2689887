/*
 * docpage.c - one document: the PDF in the page, a PES as a readable
 * summary, annexes and returned files, metadata, history; sign, visa (a
 * circuit's visa step, with annotations), take back (droit de remords) or reject
 * it; its files served to people who may see it.  Also the agents' page
 * of their organisations' documents.
 */
#include "web/web_int.h"

#include "transmit/xmit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/state.h"
#include "core/util.h"

struct darg {
	long long person;
	const char *id;
};

static int
doc_read(struct store_conn *c, void *arg, char **json, struct lerr *e)
{
	struct darg *d = arg;

	return store_web_doc(c, d->person, d->id, json, e);
}

static const char *
file_role(const char *role)
{
	static const char *const roles[][2] = {
		{ "main", "Document principal" }, { "annexe", "Annexe" }, { "signed", "Document signé" },
		{ "signature", "Signature" }, { "ack", "Accusé de réception" }, { "anomaly", "Anomalie" },
		{ "letter", "Courrier de la préfecture" }, { "annexe_signature", "Signature de l’annexe" }, { "cancel_ack", "Accusé de réception de l’annulation" },
		{ "acte_tamponne", "Acte tamponné (reçu en préfecture)" },
		{ "annexe_tamponnee", "Annexe tamponnée (reçue en préfecture)" },
	};

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (!strcmp(role, roles[i][0]))
			return roles[i][1];
	return role;
}

static void
files_list(struct page *p, json_t *doc)
{
	json_t *files = json_object_get(doc, "files"), *f;
	size_t i;

	h_raw(p, "<h2>Fichiers</h2><ul class=\"files\">");
	json_array_foreach(files, i, f)
		h_fmt(p, "<li>%s : <a href=\"/documents/%s/fichiers/%lld\">%s</a> <span class=\"muted\">(%s, %lld octets)"
		      "</span></li>", file_role(js(f, "role")), js(doc, "id"),
		      (long long)json_integer_value(json_object_get(f, "id")), js(f, "name"), js(f, "media_type"),
		      (long long)json_integer_value(json_object_get(f, "size")));
	h_raw(p, "</ul>");
}

static void
meta_item(struct page *p, const char *dt, const char *dd)
{
	if (dd && *dd)
		h_fmt(p, "<dt>%s</dt><dd>%s</dd>", dt, dd);
}

static void
acte_meta(struct page *p, json_t *m)
{
	static const char *const natures[] = { "", "Délibération", "Acte réglementaire", "Acte individuel",
		"Contrat, convention", "Document budgétaire et financier", "Autre" };
	json_int_t n = json_integer_value(json_object_get(m, "nature"));

	if (n >= 1 && n <= 6)
		meta_item(p, "Nature de l’acte", natures[n]);
	meta_item(p, "Numéro", js(m, "numero_interne"));
	meta_item(p, "Objet", js(m, "objet"));
	meta_item(p, "Classification", js(m, "classification"));
	meta_item(p, "Date de décision", web_date_fr(p, js(m, "date_decision")));
}

/* "Publié le", set by the vendor or an agent (publication_form). */
static void
publication_meta(struct page *p, json_t *doc)
{
	meta_item(p, "Publié le", web_date_fr(p, js(doc, "publication_date")));
}

static void pes_signatures(struct page *p, json_t *doc);

static void
metadata(struct page *p, json_t *j)
{
	json_t *doc = json_object_get(j, "doc"), *sig = json_object_get(doc, "signature");
	json_t *w = json_object_get(doc, "warnings"), *v;
	size_t i;

	h_fmt(p, "<h2>Informations</h2><dl class=\"meta\"><dt>État</dt><dd><span class=\"state state-%s\">%s</span></dd>",
	      js(doc, "state"), state_label(js(doc, "state")));
	meta_item(p, "Motif", js(doc, "reason"));
	meta_item(p, "Type", kind_label(js(doc, "kind")));
	meta_item(p, "Organisation", js(j, "org"));
	meta_item(p, "Éditeur", js(j, "vendor"));
	meta_item(p, "Signataire", js(json_object_get(j, "signer"), "name"));
	h_raw(p, "<dt>Échéance</dt><dd>");
	h_when(p, js(doc, "due_date"));
	h_raw(p, "</dd><dt>Reçu le</dt><dd>");
	h_when(p, js(doc, "created_at"));
	h_raw(p, "</dd>");
	meta_item(p, "Référence de l’éditeur", js(doc, "external_ref"));
	if (json_is_object(sig)) {
		h_fmt(p, "<dt>Signé par</dt><dd>%s", js(json_object_get(sig, "by"), "name"));
		if (*js(json_object_get(sig, "on_behalf_of"), "name"))
			h_fmt(p, " par délégation de %s", js(json_object_get(sig, "on_behalf_of"), "name"));
		h_raw(p, ", le ");
		h_when(p, js(sig, "at"));
		h_raw(p, "</dd>");
	}
	if (json_is_object(json_object_get(doc, "acte"))) {  /* the kind's own object */
		acte_meta(p, json_object_get(doc, "acte"));
		publication_meta(p, doc);
	}
	h_raw(p, "</dl>");
	if (json_array_size(w)) {
		h_raw(p, "<h3>Avertissements</h3><ul>");
		json_array_foreach(w, i, v)
			h_fmt(p, "<li class=\"warn\">%s</li>", json_string_value(v));
		h_raw(p, "</ul>");
	}
	pes_signatures(p, doc);
}

/* A PES that arrived signed: the verifier's report stored at the door
 * (flow/pes_signed.c), in French: the state, each signature, what failed. */
static void
pes_signatures(struct page *p, json_t *doc)
{
	json_t *sg = json_object_get(json_object_get(doc, "pes"), "signatures");
	json_t *rep = json_object_get(sg, "report"), *v;
	size_t i;

	if (!json_is_object(sg))
		return;
	h_fmt(p, "<section class=\"signatures-existantes\" aria-labelledby=\"sigex\"><h3 id=\"sigex\">"
	      "Signatures présentes à la réception</h3><p class=\"sig-%s\">%s", js(sg, "state"),
	      js(sg, "summary_fr"));
	if (json_is_integer(json_object_get(sg, "bordereaux")))
		h_fmt(p, " (%lld bordereau(x), dont %lld non signé(s))",
		      (long long)json_integer_value(json_object_get(sg, "bordereaux")),
		      (long long)json_integer_value(json_object_get(sg, "unsigned")));
	h_raw(p, ".</p>");
	meta_item(p, "Motif", js(sg, "reason"));
	h_raw(p, "<ul>");
	json_array_foreach(json_object_get(rep, "signatures"), i, v)
		h_fmt(p, "<li>Signature %lld : %s, le %s — %s</li>", (long long)i + 1, js(v, "signer"),
		      js(v, "signing_time"), json_is_true(json_object_get(v, "valid")) ? "valide" : "non valide");
	json_array_foreach(json_object_get(rep, "checks"), i, v) {
		int ok = json_is_true(json_object_get(v, "ok"));

		if (ok && !json_is_true(json_object_get(v, "warning")))
			continue;
		h_fmt(p, "<li class=\"%s\">", ok ? "muted" : "warn");
		if (json_is_integer(json_object_get(v, "signature")) &&
		    json_integer_value(json_object_get(v, "signature")) >= 0)
			h_fmt(p, "Signature %lld : ", (long long)json_integer_value(json_object_get(v, "signature")) + 1);
		h_fmt(p, "%s</li>", js(v, "reason_fr"));
	}
	h_raw(p, "</ul></section>");
}

/* The droit de remords: who put the last visa takes the document back
 * while the next person has not acted. */
static void
remord_form(struct page *p, const char *id)
{
	h_fmt(p, "<section class=\"card\" aria-labelledby=\"remords\"><h2 id=\"remords\">Droit de remords</h2>"
	      "<p>Vous avez visé ce document ; tant que la personne suivante n’a pas agi, vous pouvez le "
	      "reprendre.</p><form method=\"post\" action=\"/documents/%s/remords\">", id);
	page_csrf_field(p);
	h_raw(p, "<div class=\"actions\"><button type=\"submit\" class=\"secondary\">Reprendre le document"
	      "</button></div></form></section>");
}

/* The circuit (doc/circuits.md): where the document stands, then who did
 * what at each step, with the annotations. */
static void
circuit_box(struct page *p, json_t *doc, json_t *steps)
{
	json_t *c = json_object_get(doc, "circuit"), *st;
	size_t i;

	if (!json_is_object(c))
		return;
	h_fmt(p, "<h2>Circuit « %s »</h2><p>Version %lld, étape %lld sur %lld : %s", js(c, "name"),
	      json_integer_value(json_object_get(c, "version")), json_integer_value(json_object_get(c, "step")),
	      json_integer_value(json_object_get(c, "of")),
	      !strcmp(js(c, "action"), "visa") ? "visa" : "signature");
	if (*js(json_object_get(c, "person"), "name"))
		h_fmt(p, " de %s", js(json_object_get(c, "person"), "name"));
	h_raw(p, ".</p>");
	if (!json_array_size(steps))
		return;
	h_raw(p, "<ol class=\"steps\">");
	json_array_foreach(steps, i, st) {
		h_fmt(p, "<li>Étape %lld : %s par %s", json_integer_value(json_object_get(st, "step")),
		      !strcmp(js(st, "action"), "visa") ? "visa" : "reprise (droit de remords)",
		      js(json_object_get(st, "by"), "name"));
		if (*js(json_object_get(st, "for"), "name"))
			h_fmt(p, " par délégation de %s", js(json_object_get(st, "for"), "name"));
		h_raw(p, ", le ");
		h_when(p, js(st, "at"));
		if (*js(st, "public_annotation"))
			h_fmt(p, "<br>Annotation publique : « %s »", js(st, "public_annotation"));
		if (*js(st, "private_annotation"))
			h_fmt(p, "<br>Annotation privée, pour vous : « %s »", js(st, "private_annotation"));
		h_raw(p, "</li>");
	}
	h_raw(p, "</ol>");
}

/* A journal action in French: a change of state by its state's label. */
static const char *
action_label(struct page *p, const char *a)
{
	static const char *const acts[][2] = {
		{ "document.received", "Reçu de l’éditeur" }, { "document.file_returned", "Fichier reçu de la plateforme" },
		{ "file.downloaded", "Fichier consulté" }, { "document.state", "Changement d’état" },
		{ "document.visa", "Visé" }, { "document.remord", "Repris (droit de remords)" },
		{ "document.published", "Date de publication indiquée" },
		{ "document.file_replaced", "Fichier refait par liasse" },
	};

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (!strcmp(a, acts[i][0]))
			return acts[i][1];
	if (!strncmp(a, "document.", 9) && doc_state_get(a + 9))
		return arena_printf(p->a, "État : %s", doc_state_label(a + 9));
	return a;
}

/* Who acted, for people: a person's address, a vendor, liasse itself. */
static const char *
actor_label(struct page *p, const char *a)
{
	if (!strncmp(a, "person:", 7))
		return a + 7;
	if (!strncmp(a, "client:", 7))
		return arena_printf(p->a, "éditeur %s", a + 7);
	return "liasse";
}

/* The detail of a journal entry in words: "Motif : …", "État précédent : …". */
static void
detail_text(struct page *p, json_t *d)
{
	static const char *const keys[][2] = {
		{ "reason", "Motif" }, { "from", "État précédent" }, { "file", "Fichier n°" },
		{ "signed_by", "Signé par" }, { "delegation", "Délégation" }, { "name", "Fichier" },
		{ "platform", "Plateforme" }, { "connector", "Connecteur" }, { "message", "Message" },
		{ "step", "Étape" }, { "public_annotation", "Annotation publique" },
	};
	const char *k, *sep = "";
	json_t *v;

	json_object_foreach(d, k, v) {
		const char *label = NULL, *text;

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && !label; i++)
			if (!strcmp(k, keys[i][0]))
				label = keys[i][1];
		if (!label)      /* technical (the event's name, identifiers), or private */
			continue;
		text = json_is_string(v) ? json_string_value(v) : json_is_integer(v) ?
			arena_printf(p->a, "%lld", (long long)json_integer_value(v)) : NULL;
		if (!text)
			continue;
		if (!strcmp(k, "from"))
			text = doc_state_label(text);
		h_fmt(p, "%S%s : %s", sep, label, text);
		sep = " ; ";
	}
}

static void
history(struct page *p, json_t *h)
{
	json_t *e;
	size_t i;

	h_raw(p, "<h2>Historique</h2><table class=\"stack\"><thead><tr><th scope=\"col\">Date</th>"
	      "<th scope=\"col\">Action</th><th scope=\"col\">Par</th><th scope=\"col\">Détail</th></tr></thead><tbody>");
	json_array_foreach(h, i, e) {
		h_raw(p, "<tr><td data-label=\"Date\">");
		h_when(p, js(e, "at"));
		h_fmt(p, "</td><td data-label=\"Action\">%s</td><td data-label=\"Par\">%s</td>"
		      "<td class=\"long\" data-label=\"Détail\">", action_label(p, js(e, "action")),
		      actor_label(p, js(e, "actor")));
		detail_text(p, json_object_get(e, "detail"));
		h_raw(p, "</td></tr>");
	}
	h_raw(p, "</tbody></table>");
}

/* A visa at a circuit's visa step, with the optional annotations. */
static void
visa_form(struct page *p, const char *id)
{
	h_fmt(p, "<form method=\"post\" action=\"/documents/%s/visa\">", id);
	page_csrf_field(p);
	h_raw(p, "<label for=\"annotation-publique\">Annotation publique (facultative)</label>"
	      "<textarea id=\"annotation-publique\" name=\"annotation_publique\" maxlength=\"4000\" "
	      "aria-describedby=\"pub-aide\"></textarea><p id=\"pub-aide\" class=\"muted\">Lue par les "
	      "personnes suivantes du circuit et par l’éditeur.</p>"
	      "<label for=\"annotation-privee\">Annotation privée (facultative)</label>"
	      "<textarea id=\"annotation-privee\" name=\"annotation_privee\" maxlength=\"4000\" "
	      "aria-describedby=\"priv-aide\"></textarea><p id=\"priv-aide\" class=\"muted\">Lue par la "
	      "personne suivante seulement.</p><div class=\"actions\"><button type=\"submit\">Viser</button>"
	      "</div></form>");
}

static void
decide(struct page *p, json_t *j)
{
	json_t *doc = json_object_get(j, "doc");
	const char *id = js(doc, "id");

	h_raw(p, "<section class=\"card\" aria-labelledby=\"decider\"><h2 id=\"decider\">Décider</h2>");
	if (*js(j, "act_for"))
		h_fmt(p, "<p>Vous agissez par délégation de %s.</p>", js(j, "act_for"));
	if (json_is_true(json_object_get(j, "may_visa")))
		visa_form(p, id);
	if (json_is_true(json_object_get(j, "may_sign"))) {
		h_fmt(p, "<form method=\"post\" action=\"/parapheur/signer\"><input type=\"hidden\" name=\"doc\" "
		      "value=\"%s\">", id);
		page_csrf_field(p);
		h_raw(p, "<label for=\"pin\">Code PIN de signature</label><input type=\"password\" id=\"pin\" "
		      "name=\"pin\" inputmode=\"numeric\" autocomplete=\"off\" required><div class=\"actions\">"
		      "<button type=\"submit\">Signer ce document</button></div></form>");
	}
	h_fmt(p, "<form method=\"post\" action=\"/documents/%s/refus\">", id);
	page_csrf_field(p);
	h_raw(p, "<label for=\"motif\">Motif du refus</label><textarea id=\"motif\" name=\"motif\" required "
	      "maxlength=\"2000\" aria-describedby=\"motif-aide\"></textarea><p id=\"motif-aide\" class=\"muted\">"
	      "Le motif est transmis à l’éditeur qui a envoyé le document.</p><div class=\"actions\">"
	      "<button type=\"submit\" class=\"danger\">Refuser le document</button></div></form></section>");
}

/* The number of the document's enveloped signed file ("signed"), else 0
 * (the main file as received). */
static int
signed_file(json_t *doc)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(doc, "files"), i, f)
		if (!strcmp(js(f, "role"), "signed"))
			return (int)json_integer_value(json_object_get(f, "id"));
	return 0;
}

/* The main file: a PDF in a frame, a PES summarised, anything else as a link. */
static void
viewer(struct page *p, json_t *doc)
{
	json_t *main = json_array_get(json_object_get(doc, "files"), 0);
	const char *mt = js(main, "media_type"), *id = js(doc, "id");
	struct store_conn *c = NULL;
	struct doc_file f;
	struct lerr e;

	if (!main)
		return;
	if (!strcmp(mt, "application/pdf")) {
		h_fmt(p, "<iframe class=\"viewer\" src=\"/documents/%s/fichiers/0\" title=\"Aperçu de %s\"></iframe>"
		      "<p><a href=\"/documents/%s/fichiers/0\">Ouvrir le PDF</a></p>", id, js(main, "name"), id);
		return;
	}
	if (!json_is_object(json_object_get(doc, "pes")))    /* a PES: its summary */
		return;
	/* once signed, the signed file: that is the one Hélios receives */
	if (!store_acquire(p->w->store, &c, &e) && !store_doc_file(c, id, 0, signed_file(doc), &f, &e))
		pes_summary(p, c, &f);
	else
		h_raw(p, "<p class=\"flash error\">Le flux PES n’a pas pu être lu.</p>");
	store_release(p->w->store, c);
}

static void
annul_form(struct page *p, const char *id)
{
	h_raw(p, "<section class=\"card\" aria-labelledby=\"annuler\"><h2 id=\"annuler\">Annuler l’acte</h2>"
	      "<p>La préfecture a acquitté cet acte. Une demande d’annulation lui est transmise ; l’acte est "
	      "annulé quand elle en accuse réception.</p>");
	h_fmt(p, "<form method=\"post\" action=\"/documents/%s/annulation\" "
	      "data-confirm=\"Demander à la préfecture l’annulation de cet acte ?\">", id);
	page_csrf_field(p);
	h_raw(p, "<label for=\"motif-annulation\">Motif (facultatif, pour l’historique)</label>"
	      "<textarea id=\"motif-annulation\" name=\"motif\" maxlength=\"2000\"></textarea>"
	      "<div class=\"actions\"><button type=\"submit\" class=\"danger\">Demander l’annulation</button>"
	      "</div></form></section>");
}

/* The act's publication date: the stamped act then says "Publié le". */
static void
publication_form(struct page *p, json_t *doc)
{
	h_raw(p, "<section class=\"card\" aria-labelledby=\"publication\"><h2 id=\"publication\">"
	      "Publication</h2><p>Indiquez le jour où l’acte a été publié ou affiché : l’acte tamponné "
	      "portera « Publié le … ».</p>");
	h_fmt(p, "<form method=\"post\" action=\"/documents/%s/publication\">", js(doc, "id"));
	page_csrf_field(p);
	h_raw(p, "<label for=\"date-publication\">Date de publication (jj/mm/aaaa)</label>");
	h_date_input(p, "date-publication", "date", js(doc, "publication_date"), 1);
	h_raw(p, "<div class=\"actions\"><button type=\"submit\">Enregistrer la date</button></div>"
	      "</form></section>");
}

void
web_doc(struct page *p)
{
	struct darg d = { p->me.id, p->params[0] };
	json_t *j, *doc;

	if (!uuid_valid(d.id))
		return page_error(p, 404, "Introuvable", "Ce document n’existe pas.");
	if (!(j = web_json(p, doc_read, &d)))
		return;
	doc = json_object_get(j, "doc");
	page_begin(p, js(doc, "title"), json_is_true(json_object_get(j, "may_reject")) ? "parapheur" : NULL);
	if (web_query(p, "refuse"))
		h_raw(p, "<p class=\"flash ok\" role=\"status\">Le document a été refusé ; l’éditeur est informé du motif.</p>");
	if (web_query(p, "vise"))
		h_raw(p, "<p class=\"flash ok\" role=\"status\">Le document est visé ; il passe à l’étape suivante "
		      "du circuit.</p>");
	if (web_query(p, "annulation"))
		h_raw(p, "<p class=\"flash ok\" role=\"status\">La demande d’annulation est envoyée à la préfecture ; "
		      "l’acte sera annulé à son accusé de réception.</p>");
	if (web_query(p, "publie"))
		h_raw(p, "<p class=\"flash ok\" role=\"status\">La date de publication est enregistrée ; "
		      "l’acte tamponné porte « Publié le ».</p>");
	if (web_query(p, "repris"))
		h_raw(p, "<p class=\"flash ok\" role=\"status\">Le document est repris : il attend de nouveau votre "
		      "visa.</p>");
	h_raw(p, "<div class=\"docgrid\"><div>");
	viewer(p, doc);
	files_list(p, doc);
	h_raw(p, "</div><div>");
	if (json_is_true(json_object_get(j, "may_reject")))
		decide(p, j);
	if (json_is_true(json_object_get(j, "may_remord")))
		remord_form(p, js(doc, "id"));
	if (json_is_true(json_object_get(j, "may_annul")))
		annul_form(p, js(doc, "id"));
	if (json_is_true(json_object_get(j, "may_publish")))
		publication_form(p, doc);
	metadata(p, j);
	circuit_box(p, doc, json_object_get(j, "steps"));
	h_raw(p, "</div></div>");
	history(p, json_object_get(j, "history"));
	json_decref(j);
	page_end(p);
	page_send(p, 200);
}

/* ---- files ---- */

void
web_serve_file(struct page *p, const struct doc_file *f)
{
	struct store_blob_stream *st = store_blob_stream_create(p->w->store, f->blob_id, 0);
	int pdf = !strcmp(f->media_type, "application/pdf");

	if (!st)
		abort();
	p->r->status = 200;
	/* Only PDFs are shown in the page; anything else (XML could carry
	 * script) is a download, sandboxed in case a browser renders it. */
	p->r->ctype = pdf ? "application/pdf" : arena_strdup(p->a, f->media_type);
	page_header(p, "Content-Disposition", content_disposition(p->a, pdf ? "inline" : "attachment", f->name));
	page_header(p, "Content-Security-Policy", pdf ? "frame-ancestors 'self'" :
		    "default-src 'none'; sandbox; frame-ancestors 'none'");
	page_header(p, "X-Frame-Options", "SAMEORIGIN");
	page_header(p, "ETag", arena_printf(p->a, "\"%s\"", f->sha256_hex));
	p->r->stream_size = f->size;
	p->r->stream_read = store_blob_stream_read;
	p->r->stream_release = store_blob_stream_destroy;
	p->r->stream_cls = st;
}

void
web_doc_file(struct page *p)
{
	struct store_conn *c = NULL;
	struct doc_file f;
	struct lerr e;
	char *end;
	long n = strtol(p->params[1], &end, 10);
	int rc;

	if (!uuid_valid(p->params[0]) || *end || n < 0 || n > 1000)
		return page_error(p, 404, "Introuvable", "Ce fichier n’existe pas.");
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_web_file(c, p->me.id, p->params[0], (int)n, &f, &e);
	if (!rc)
		rc = store_journal(c, page_actor(p), "file.downloaded",
				   p->params[0], 0, arena_printf(p->a, "{\"file\":%ld}", n), &e);
	store_release(p->w->store, c);
	if (rc)
		return page_lerr(p, &e);
	web_serve_file(p, &f);
}

/* ---- rejection ---- */

void
web_doc_reject(struct page *p)
{
	const char *reason = form_get(p, "motif"), *id = p->params[0];
	struct store_conn *c = NULL;
	char *json = NULL;
	struct lerr e;
	int rc;

	if (!uuid_valid(id))
		return page_error(p, 404, "Introuvable", "Ce document n’existe pas.");
	if (!reason || !reason[strspn(reason, " \t\r\n")])
		return page_error(p, 422, "Motif manquant", "Un refus doit être motivé : indiquez le motif.");
	lerr_clear(&e);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_doc_reject(c, p->me.id, id, reason, page_actor(p),
				      &json, &e);
	store_release(p->w->store, c);
	free(json);
	if (rc == LERR_CONFLICT)
		return page_error(p, 409, "Refus impossible", "Ce document n’attend plus de signature.");
	if (rc)
		return page_lerr(p, &e);
	page_redirect(p, arena_printf(p->a, "/documents/%s?refuse=1", id));
}

/* An agent asks the prefecture to annul an acknowledged act (the 6-1 of
 * doc/actes-cancel.md), as a vendor's POST .../cancel does. */
void
web_doc_annul(struct page *p)
{
	const char *reason = form_get(p, "motif"), *id = p->params[0];
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	if (!uuid_valid(id))
		return page_error(p, 404, "Introuvable", "Ce document n’existe pas.");
	lerr_clear(&e);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_web_doc_cancel(c, p->me.id, id, page_actor(p),
					  reason && reason[strspn(reason, " \t\r\n")] ? reason : NULL, &e);
	store_release(p->w->store, c);
	if (rc == LERR_CONFLICT)
		return page_error(p, 409, "Annulation impossible", "Seul un acte acquitté par la préfecture peut "
				  "faire l’objet d’une demande d’annulation.");
	if (rc)
		return page_lerr(p, &e);
	page_redirect(p, arena_printf(p->a, "/documents/%s?annulation=1", id));
}

/* An agent gives the act's publication date (as a vendor's PUT
 * .../publication does): recorded, the act stamped again. */
static const char *
publication_refusal(struct page *p, const struct lerr *e)
{
	if (strstr(e->msg, "before the decision"))
		return "la date de publication ne peut pas précéder la date de la décision.";
	if (strstr(e->msg, "in the future"))
		return "la date de publication ne peut pas être dans le futur.";
	if (e->kind == LERR_CONFLICT)
		return "seul un acte acquitté par la préfecture a une date de publication.";
	return arena_printf(p->a, "%s%s%s", e->msg, e->hint[0] ? " — " : "", e->hint);
}

void
web_doc_publication(struct page *p)
{
	const char *id = p->params[0], *day = web_date_iso(p, form_get(p, "date"));
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	if (!uuid_valid(id))
		return page_error(p, 404, "Introuvable", "Ce document n’existe pas.");
	if (!day)
		return page_error(p, 422, "Date refusée", "La date de publication s’écrit jj/mm/aaaa, "
				  "par exemple 06/12/2026.");
	lerr_clear(&e);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc && !(rc = store_begin(c, &e))) {
		rc = store_web_may_manage(c, p->me.id, id, &e);
		if (!rc)
			rc = xmit_publish_acte(c, id, day, page_actor(p), &e);
		rc = rc ? (store_rollback(c), rc) : store_commit(c, &e);
	}
	store_release(p->w->store, c);
	if (rc == LERR_FORBIDDEN)
		return page_error(p, 403, "Accès refusé", "Seuls les agents et administrateurs de "
				  "l’organisation indiquent la date de publication.");
	if (rc == LERR_INVALID || rc == LERR_CONFLICT)
		return page_error(p, lerr_http_status(e.kind), "Date refusée",
				  arena_printf(p->a, "Refusé : %s", publication_refusal(p, &e)));
	if (rc)
		return page_lerr(p, &e);
	page_redirect(p, arena_printf(p->a, "/documents/%s?publie=1", id));
}

/* ---- circuits: a visa, the droit de remords (doc/circuits.md) ---- */

static void
step_done(struct page *p, int rc, struct lerr *e, const char *id, const char *flag)
{
	if (rc == LERR_CONFLICT)
		return page_error(p, 409, "Action impossible", !strcmp(flag, "vise") ?
				  "Ce document n’attend plus votre visa : rechargez-le." :
				  "La personne suivante a déjà agi : le document ne peut plus être repris.");
	if (rc)
		return page_lerr(p, e);
	page_redirect(p, arena_printf(p->a, "/documents/%s?%s=1", id, flag));
}

/* A visa or a remords on the document of the path: one store call, then
 * step_done(); visa 1 for the visa with the form's annotations. */
static void
step(struct page *p, int visa)
{
	const char *id = p->params[0];
	struct store_conn *c = NULL;
	char *json = NULL;
	struct lerr e;
	int rc;

	if (!uuid_valid(id))
		return page_error(p, 404, "Introuvable", "Ce document n’existe pas.");
	lerr_clear(&e);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc && visa)
		rc = store_doc_visa(c, p->me.id, id, form_get(p, "annotation_publique"),
				    form_get(p, "annotation_privee"), page_actor(p), &json, &e);
	else if (!rc)
		rc = store_doc_remord(c, p->me.id, id, page_actor(p), &json, &e);
	store_release(p->w->store, c);
	free(json);
	step_done(p, rc, &e, id, visa ? "vise" : "repris");
}

void
web_doc_visa(struct page *p)
{
	step(p, 1);
}

void
web_doc_remord(struct page *p)
{
	step(p, 0);
}

/* ---- agents: the organisation's documents ---- */

struct farg {
	long long person;
	const char *state, *siren;
};

static int
follow_read(struct store_conn *c, void *arg, char **json, struct lerr *e)
{
	struct farg *f = arg;

	return store_web_follow(c, f->person, f->state, f->siren, json, e);
}

static void
follow_filters(struct page *p, json_t *orgs, const struct farg *f)
{
	const struct doc_state_info *st;
	json_t *o;
	size_t i;

	h_raw(p, "<form class=\"card filters\" method=\"get\" action=\"/suivi\" role=\"search\" aria-label=\"Filtrer\">"
	      "<div><label for=\"s-org\">Organisation</label><select id=\"s-org\" name=\"org\">"
	      "<option value=\"\">Toutes</option>");
	json_array_foreach(orgs, i, o)
		h_fmt(p, "<option value=\"%s\"%S>%s</option>", js(o, "siren"),
		      f->siren && !strcmp(f->siren, js(o, "siren")) ? " selected" : "", js(o, "name"));
	h_raw(p, "</select></div><div><label for=\"s-state\">État</label><select id=\"s-state\" name=\"etat\">"
	      "<option value=\"\">Tous</option>");
	for (i = 0; (st = doc_state_at(i)); i++)
		if (st->queue)
			h_fmt(p, "<option value=\"%s\"%S>%s</option>", st->name,
			      f->state && !strcmp(f->state, st->name) ? " selected" : "", st->label);
	h_raw(p, "</select></div><div class=\"actions\"><button type=\"submit\">Filtrer</button></div></form>");
}

static void
follow_row(struct page *p, json_t *d)
{
	json_t *letters = json_object_get(d, "letters"), *l;
	size_t i;

	h_fmt(p, "<tr><td data-label=\"Document\"><a href=\"/documents/%s\">%s</a></td><td data-label=\"Organisation\">%s</td>"
	      "<td data-label=\"Type\">%s</td><td data-label=\"État\"><span class=\"state state-%s\">%s</span>",
	      js(d, "id"), js(d, "title"), js(d, "org"), kind_label(js(d, "kind")), js(d, "state"),
	      state_label(js(d, "state")));
	if (*js(d, "reason"))
		h_fmt(p, "<br><span class=\"muted\">Motif : %s</span>", js(d, "reason"));
	h_raw(p, "</td><td data-label=\"Courriers\">");
	json_array_foreach(json_object_get(d, "courriers"), i, l) {
		const char *ans = js(l, "answer");

		h_fmt(p, "<a href=\"/documents/%s/courriers/%lld\">%s</a>", js(d, "id"),
		      (long long)json_integer_value(json_object_get(l, "id")), js(l, "label"));
		if (*js(l, "deadline") && !strcmp(ans, "none")) {
			h_raw(p, " <span class=\"muted\">à répondre avant le ");
			h_when(p, js(l, "deadline"));
			h_raw(p, "</span>");
		} else if (strcmp(ans, "none")) {
			h_fmt(p, " <span class=\"muted\">%s</span>", !strcmp(ans, "sent") || !strcmp(ans, "acknowledged") ? "répondu" :
			      !strcmp(ans, "refused") ? "réponse refusée" : "réponse en cours d’envoi");
		}
		h_raw(p, "<br>");
	}
	json_array_foreach(letters, i, l)
		h_fmt(p, "<a href=\"/documents/%s/fichiers/%lld\">%s</a><br>", js(d, "id"),
		      (long long)json_integer_value(json_object_get(l, "n")), js(l, "name"));
	h_raw(p, "</td><td data-label=\"Mis à jour\">");
	h_when(p, js(d, "updated_at"));
	h_raw(p, "</td></tr>");
}

void
web_follow(struct page *p)
{
	struct farg f = { p->me.id, web_query(p, "etat"), web_query(p, "org") };
	json_t *j, *items, *d;
	size_t i;

	if (f.state && (!doc_state_get(f.state) || !doc_state_get(f.state)->queue))
		f.state = NULL;
	if (!(j = web_json(p, follow_read, &f)))
		return;
	items = json_object_get(j, "items");
	page_begin(p, "Suivi des documents", "suivi");
	follow_filters(p, json_object_get(j, "orgs"), &f);
	if (!json_array_size(items))
		h_raw(p, "<p class=\"card\">Aucun document.</p>");
	else
		h_raw(p, "<table class=\"stack\"><caption>Documents de vos organisations (500 au plus, les plus récents "
		      "d’abord)</caption><thead><tr><th scope=\"col\">Document</th><th scope=\"col\">Organisation</th>"
		      "<th scope=\"col\">Type</th><th scope=\"col\">État</th><th scope=\"col\">Courriers de la préfecture</th>"
		      "<th scope=\"col\">Mis à jour</th></tr></thead><tbody>");
	json_array_foreach(items, i, d)
		follow_row(p, d);
	if (json_array_size(items))
		h_raw(p, "</tbody></table>");
	json_decref(j);
	page_end(p);
	page_send(p, 200);
}
