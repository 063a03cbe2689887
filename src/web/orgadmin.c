/*
 * orgadmin.c - one organisation's administration, for its administrators
 * (role org_admin) and the operators: people and roles, routing rules and
 * circuits (doc/admin-pages.md).  Who may manage an organisation is
 * store_person_is_admin(), the rule the admin API applies; every rule on
 * the values (circuit steps, routing) is in the SQL functions, whose
 * refusals are told here in French.  The circuit editor is a plain form:
 * each button (move up, down, remove, add) posts the steps and gets them
 * back changed, so that it works with the keyboard and without JavaScript.
 */
#include "web/web_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/secret.h"
#include "pdf/pdf.h"

#define MAX_STEPS 20

static const char *const natures[] = {
	"toutes les natures", "Délibérations", "Actes réglementaires", "Actes individuels",
	"Contrats, conventions et avenants", "Documents budgétaires et financiers", "Autres actes",
};

/* ---- who may manage which organisation ---- */

/* 0 when the logged-in person administers siren (and o is filled); else the
 * error page was sent (403 for someone else's organisation). */
static int
org_guard(struct page *p, const char *siren, struct org *o)
{
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_person_is_admin(c, p->me.id, siren, &e);
	if (!rc)
		rc = store_org_get(c, siren, o, &e);
	store_release(p->w->store, c);
	if (rc == LERR_FORBIDDEN)
		page_error(p, 403, "Accès refusé", "Vous n’administrez pas cette organisation.");
	else if (rc)
		page_lerr(p, &e);
	return rc;
}

void
web_org_subnav(struct page *p, const char *siren, const char *cur)
{
	static const char *const items[][2] = {
		{ "", "Réglages" }, { "/personnes", "Personnes et rôles" },
		{ "/routage", "Aiguillage" }, { "/circuits", "Circuits" }, { "/logo", "Logo" },
	};

	h_raw(p, "<nav aria-label=\"Cette organisation\"><ul class=\"nav card\">");
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		if (!i && !p->me.is_operator)
			continue;
		h_fmt(p, "<li><a href=\"/admin/organisations/%s%S\"%S>%s</a></li>", siren, items[i][0],
		      !strcmp(cur, items[i][0]) ? " aria-current=\"page\"" : "", items[i][1]);
	}
	h_raw(p, "</ul></nav>");
}

static void
org_begin(struct page *p, const struct org *o, const char *what, const char *cur)
{
	page_begin(p, arena_printf(p->a, "%s — %s", what, o->name), "admin");
	web_admin_nav(p, "/admin");
	web_org_subnav(p, o->siren, cur);
}

static void
org_end(struct page *p, unsigned status)
{
	page_end(p);
	page_send(p, status);
}

/* /admin for an organisation's administrator: their organisations. */
void
web_orgadmin_home(struct page *p)
{
	json_t *me = web_json_mine(p, store_me_json), *r;
	size_t i;

	if (!me)
		return;
	page_begin(p, "Mes organisations", "admin");
	h_raw(p, "<ul class=\"card\">");
	json_array_foreach(json_object_get(me, "roles"), i, r) {
		if (strcmp(js(r, "role"), "org_admin"))
			continue;
		h_fmt(p, "<li><strong>%s</strong> <span class=\"muted\">SIREN %s</span> : "
		      "<a href=\"/admin/organisations/%s/personnes\">personnes et rôles</a>, "
		      "<a href=\"/admin/organisations/%s/routage\">aiguillage</a>, "
		      "<a href=\"/admin/organisations/%s/circuits\">circuits</a>, "
		      "<a href=\"/admin/organisations/%s/logo\">logo</a></li>",
		      js(r, "organisation_name"), js(r, "organisation"), js(r, "organisation"),
		      js(r, "organisation"), js(r, "organisation"), js(r, "organisation"));
	}
	h_raw(p, "</ul>");
	json_decref(me);
	org_end(p, 200);
}

/* ---- the organisation's signers and offices (choices of the forms) ---- */

/* The role r of person x in siren, or NULL. */
static json_t *
role_in(json_t *x, const char *siren, const char *role)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(x, "roles"), i, r)
		if (!strcmp(js(r, "siren"), siren) && (!role || !strcmp(js(r, "role"), role)))
			return r;
	return NULL;
}

/* <option>s: the offices held by signers of siren, then the signers; sel:
 * the selected value ("fonction:maire", "personne:a@b.fr"). */
static void
who_options(struct page *p, json_t *people, const char *siren, const char *sel, int offices)
{
	json_t *x, *r;
	size_t i;

	json_array_foreach(people, i, x) {
		const char *v;

		if (!offices || !(r = role_in(x, siren, "signer")) || !*js(r, "function"))
			continue;
		v = arena_printf(p->a, "fonction:%s", js(r, "function"));
		h_fmt(p, "<option value=\"%s\"%S>Fonction « %s » (aujourd’hui %s)</option>", v,
		      sel && !strcmp(sel, v) ? " selected" : "", js(r, "function"), js(x, "name"));
	}
	json_array_foreach(people, i, x) {
		const char *v = arena_printf(p->a, "personne:%s", js(x, "email"));

		if (!role_in(x, siren, "signer"))
			continue;
		h_fmt(p, "<option value=\"%s\"%S>%s (%s)</option>", v, sel && !strcmp(sel, v) ? " selected" : "",
		      js(x, "name"), js(x, "email"));
	}
}

/* ---- refusals in French ---- */

/* Step number (1-based) of a field "steps[i]...", 0 if none. */
static int
step_of(const char *field)
{
	return !strncmp(field, "steps[", 6) ? atoi(field + 6) + 1 : 0;
}

static const char *
circuit_refusal(struct page *p, const struct lerr *e)
{
	int n = step_of(e->field);

	if (strstr(e->msg, "1 to 20 steps"))
		return "Un circuit compte de 1 à 20 étapes.";
	if (strstr(e->msg, "signature must be the last"))
		return arena_printf(p->a, "Étape %d : la signature doit être la dernière étape ; les visas "
				    "viennent avant (une seule signature par circuit).", n);
	if (strstr(e->msg, "ends with a signature"))
		return arena_printf(p->a, "Étape %d : un circuit se termine par une signature, pas par un visa.", n);
	if (strstr(e->msg, "each step is"))
		return arena_printf(p->a, "Étape %d : choisissez un visa ou une signature.", n);
	if (strstr(e->msg, "a person or an office"))
		return arena_printf(p->a, "Étape %d : choisissez une personne ou une fonction.", n);
	if (strstr(e->msg, "is not a signer"))
		return arena_printf(p->a, "Étape %d : cette personne n’est pas signataire de l’organisation ; "
				    "donnez-lui d’abord le rôle de signataire.", n);
	if (strstr(e->msg, "holds the office"))
		return arena_printf(p->a, "Étape %d : aucun signataire unique de l’organisation n’occupe cette "
				    "fonction.", n);
	if (strstr(e->msg, "needs a name"))
		return "Le nom du circuit : 1 à 64 lettres minuscules, chiffres, « _ », « - » ou « . » "
		       "(par exemple « deliberation »).";
	if (strstr(e->msg, "has a circuit named"))
		return "L’organisation a déjà un circuit de ce nom : modifiez-le ou choisissez un autre nom.";
	if (e->kind == LERR_NOTFOUND)
		return "Ce circuit n’existe pas ou a été retiré.";
	return arena_printf(p->a, "%s%s%s", e->msg, e->hint[0] ? " — " : "", e->hint);
}

static const char *
routing_refusal(struct page *p, const struct lerr *e)
{
	if (!strcmp(e->field, "person"))
		return "Cette personne n’est pas signataire de l’organisation : donnez-lui d’abord le rôle de "
		       "signataire.";
	if (!strcmp(e->field, "nature"))
		return "Une nature ne précise que l’aiguillage des actes : choisissez « toutes les natures » "
		       "pour un autre type.";
	if (!strcmp(e->field, "circuit"))
		return "Ce circuit n’existe pas ou a été retiré.";
	if (e->kind == LERR_NOTFOUND)
		return "Il n’y a pas de règle pour ce type et cette nature.";
	if (!strcmp(e->field, "kind"))
		return "Choisissez un type de document : actes, PES ou autre document.";
	return arena_printf(p->a, "%s%s%s", e->msg, e->hint[0] ? " — " : "", e->hint);
}

/* ---- routing rules ---- */

static int
circuits_read(struct store_conn *c, void *arg, char **json, struct lerr *e)
{
	return store_circuits_json(c, arg, json, e);
}

static void
rule_row(struct page *p, const char *siren, json_t *r)
{
	json_t *who = json_object_get(r, "signer");
	int nat = (int)json_integer_value(json_object_get(r, "nature"));
	const char *kind = js(r, "kind");
	const char *what = strcmp(kind, "acte") ? kind_label(kind)
					       : arena_printf(p->a, "%s, %s", kind_label(kind), natures[nat % 7]);

	h_fmt(p, "<tr><td data-label=\"Documents\">%s</td><td data-label=\"Vers\">", what);
	if (json_is_object(who))
		h_fmt(p, "%s (%s)", js(who, "name"), js(who, "email"));
	else
		h_fmt(p, "circuit « %s »", js(r, "circuit"));
	h_fmt(p, "</td><td><form method=\"post\" action=\"/admin/organisations/%s/routage\" "
	      "data-confirm=\"Supprimer la règle : %s ?\">", siren, what);
	page_csrf_field(p);
	h_fmt(p, "<input type=\"hidden\" name=\"op\" value=\"supprimer\"><input type=\"hidden\" name=\"type\" "
	      "value=\"%s\"><input type=\"hidden\" name=\"nature\" value=\"%d\"><button type=\"submit\" "
	      "class=\"danger\">Supprimer<span class=\"sr-only\"> la règle %s</span></button></form></td></tr>",
	      js(r, "kind"), nat, what);
}

static void
routing_form(struct page *p, const char *siren, json_t *people, json_t *circuits)
{
	static const char *const kinds[] = { "acte", "pes", "document" };
	json_t *c;
	size_t i;

	h_fmt(p, "<section class=\"card\" aria-labelledby=\"new-rule\"><h2 id=\"new-rule\">Ajouter ou remplacer "
	      "une règle</h2><p class=\"muted\">Une règle pour un type et une nature qui en ont déjà une la "
	      "remplace.</p><form method=\"post\" action=\"/admin/organisations/%s/routage\">", siren);
	page_csrf_field(p);
	h_raw(p, "<input type=\"hidden\" name=\"op\" value=\"ajouter\">"
	      "<label for=\"r-kind\">Type de document</label><select id=\"r-kind\" name=\"type\">");
	for (i = 0; i < 3; i++)
		h_fmt(p, "<option value=\"%s\">%s</option>", kinds[i], kind_label(kinds[i]));
	h_raw(p, "</select><label for=\"r-nature\">Nature de l’acte</label><select id=\"r-nature\" name=\"nature\">");
	for (i = 0; i < 7; i++)
		h_fmt(p, "<option value=\"%zu\">%s</option>", i,
		      i ? arena_printf(p->a, "%zu — %s", i, natures[i]) : "Toutes les natures");
	h_raw(p, "</select><label for=\"r-to\">Vers</label><select id=\"r-to\" name=\"cible\" required>"
	      "<optgroup label=\"Circuits\">");
	json_array_foreach(circuits, i, c)
		h_fmt(p, "<option value=\"circuit:%s\">Circuit « %s »</option>", js(c, "name"), js(c, "name"));
	h_raw(p, "</optgroup><optgroup label=\"Signataires (circuit d’une étape)\">");
	who_options(p, people, siren, NULL, 0);
	h_raw(p, "</optgroup></select><div class=\"actions\"><button type=\"submit\">Enregistrer la règle</button>"
	      "</div></form></section>");
}

static void
routing_page(struct page *p, const struct org *o, unsigned status)
{
	json_t *rules = web_json_all(p, store_routing_list), *people = NULL, *circuits = NULL, *r;
	size_t i;
	int any = 0;

	if (!rules || !(people = web_json_all(p, store_web_people)) ||
	    !(circuits = web_json(p, circuits_read, (void *)o->siren)))
		goto out;
	org_begin(p, o, "Aiguillage", "/routage");
	h_raw(p, "<p>Où va un document que l’éditeur envoie sans nommer de signataire ni de circuit : la règle "
	      "du type et de la nature de l’acte, sinon celle du type.</p><table class=\"stack\"><thead><tr>"
	      "<th scope=\"col\">Documents</th><th scope=\"col\">Vers</th><th scope=\"col\">Action</th></tr>"
	      "</thead><tbody>");
	json_array_foreach(rules, i, r)
		if (!strcmp(js(r, "organisation"), o->siren) && ++any)
			rule_row(p, o->siren, r);
	if (!any)
		h_raw(p, "<tr><td colspan=\"3\">Aucune règle : les éditeurs doivent nommer le signataire.</td></tr>");
	h_raw(p, "</tbody></table>");
	routing_form(p, o->siren, people, circuits);
	org_end(p, status);
out:
	json_decref(rules);
	json_decref(people);
	json_decref(circuits);
}

void
web_org_routing(struct page *p)
{
	struct org o;

	if (!org_guard(p, p->params[0], &o))
		routing_page(p, &o, 200);
}

static int
routing_change(struct page *p, struct store_conn *c, const char *siren, struct lerr *e)
{
	const char *op = form_get(p, "op"), *kind = form_get(p, "type"), *to = form_get(p, "cible");
	const char *n = form_get(p, "nature");
	int nature = n ? atoi(n) : 0;

	if (op && !strcmp(op, "supprimer"))
		return store_routing_remove(c, siren, kind, nature, page_actor(p), e);
	if (to && !strncmp(to, "circuit:", 8))
		return store_routing_add_circuit(c, siren, kind, nature, to + 8, page_actor(p), e);
	if (to && !strncmp(to, "personne:", 9))
		return store_routing_add(c, siren, kind, nature, to + 9, page_actor(p), e);
	return lerr_set(e, LERR_INVALID, "cible", "choose where the documents go");
}

void
web_org_routing_post(struct page *p)
{
	struct store_conn *c = NULL;
	struct org o;
	struct lerr e;
	int rc;

	if (org_guard(p, p->params[0], &o))
		return;
	lerr_clear(&e);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = routing_change(p, c, o.siren, &e);
	store_release(p->w->store, c);
	if (rc && !strcmp(e.field, "cible"))
		page_flash(p, "error", "Règle refusée : choisissez où vont les documents.");
	else if (rc)
		page_flash(p, "error", arena_printf(p->a, "Règle refusée : %s", routing_refusal(p, &e)));
	else
		page_flash(p, "ok", strcmp(form_get(p, "op") ? form_get(p, "op") : "", "supprimer") ?
			   "Règle enregistrée." : "Règle supprimée.");
	routing_page(p, &o, rc ? lerr_http_status(e.kind) : 200);
}

/* ---- circuits: the step editor ---- */

struct step {
	const char *action;          /* "visa" or "signature" */
	const char *who;             /* "fonction:maire" or "personne:a@b.fr" */
};

struct editor {
	long long id;                /* 0: a new circuit */
	const char *name;
	struct step s[MAX_STEPS];
	int n;
	const char *focus;           /* id of the control to focus after a move */
};

/* The steps as the form posted them. */
static void
editor_from_form(struct page *p, struct editor *ed)
{
	const char *n = form_get(p, "etapes"), *id = form_get(p, "id");

	ed->id = id ? atoll(id) : 0;
	ed->name = form_get(p, "nom");
	ed->n = n ? atoi(n) : 0;
	if (ed->n < 0 || ed->n > MAX_STEPS)
		ed->n = 0;
	for (int i = 0; i < ed->n; i++) {
		ed->s[i].action = form_get(p, arena_printf(p->a, "action%d", i));
		ed->s[i].who = form_get(p, arena_printf(p->a, "qui%d", i));
	}
}

/* The steps of a stored circuit. */
static void
editor_from_json(struct page *p, struct editor *ed, json_t *c)
{
	json_t *s;
	size_t i;

	ed->id = json_integer_value(json_object_get(c, "id"));
	ed->name = arena_printf(p->a, "%s", js(c, "name"));
	json_array_foreach(json_object_get(c, "steps"), i, s) {
		json_t *who = json_object_get(s, "person");

		if (ed->n == MAX_STEPS)
			break;
		ed->s[ed->n].action = arena_printf(p->a, "%s", js(s, "action"));
		ed->s[ed->n++].who = json_is_object(who) ? arena_printf(p->a, "personne:%s", js(who, "email"))
							 : arena_printf(p->a, "fonction:%s", js(s, "office"));
	}
}

/* Applies a button other than "save": 1 when the form is shown again. */
static int
editor_apply(struct editor *ed, const char *op, struct page *p)
{
	int i = -1;
	struct step t;

	if (!strcmp(op, "ajouter") && ed->n < MAX_STEPS) {
		ed->s[ed->n] = (struct step){ ed->n ? "visa" : "signature", NULL };
		if (ed->n) {   /* a new visa goes before the signature, the last step */
			ed->s[ed->n] = ed->s[ed->n - 1];
			ed->s[ed->n - 1] = (struct step){ "visa", NULL };
		}
		ed->focus = arena_printf(p->a, "action%d", ed->n > 0 ? ed->n - 1 : 0);
		ed->n++;
		if (ed->n == 1)
			ed->focus = "action0";
		return 1;
	}
	if (sscanf(op, "monter:%d", &i) == 1 && i > 0 && i < ed->n) {
		t = ed->s[i - 1], ed->s[i - 1] = ed->s[i], ed->s[i] = t;
		ed->focus = arena_printf(p->a, i - 1 > 0 ? "monter%d" : "descendre%d", i - 1);
		return 1;
	}
	if (sscanf(op, "descendre:%d", &i) == 1 && i >= 0 && i < ed->n - 1) {
		t = ed->s[i + 1], ed->s[i + 1] = ed->s[i], ed->s[i] = t;
		ed->focus = arena_printf(p->a, i + 1 < ed->n - 1 ? "descendre%d" : "monter%d", i + 1);
		return 1;
	}
	if (sscanf(op, "retirer:%d", &i) == 1 && i >= 0 && i < ed->n) {
		memmove(&ed->s[i], &ed->s[i + 1], sizeof(ed->s[0]) * (size_t)(ed->n - i - 1));
		ed->n--;
		ed->focus = "ajouter";
		return 1;
	}
	return 1;   /* 20 steps already, or a button out of place: shown again as they are */
}

static const char *
autofocus(const struct editor *ed, const char *id)
{
	return ed->focus && !strcmp(ed->focus, id) ? " autofocus" : "";
}

static void
step_button(struct page *p, const struct editor *ed, const char *op, int i, const char *label)
{
	const char *id = arena_printf(p->a, "%s%d", op, i);

	h_fmt(p, "<button type=\"submit\" class=\"secondary\" id=\"%s\" name=\"op\" value=\"%s:%d\"%s>%s"
	      "<span class=\"sr-only\"> l’étape %d</span></button>", id, op, i, autofocus(ed, id), label, i + 1);
}

static void
step_fields(struct page *p, const struct editor *ed, int i, json_t *people, const char *siren)
{
	const struct step *s = &ed->s[i];
	int visa = s->action && !strcmp(s->action, "visa");
	const char *aid = arena_printf(p->a, "action%d", i);

	h_fmt(p, "<fieldset class=\"step\"><legend>Étape %d</legend>", i + 1);
	h_fmt(p, "<label for=\"%s\">Action de l’étape %d</label><select id=\"%s\" name=\"%s\"%s>"
	      "<option value=\"visa\"%S>Visa</option><option value=\"signature\"%S>Signature</option></select>",
	      aid, i + 1, aid, aid, autofocus(ed, aid), visa ? " selected" : "", visa ? "" : " selected");
	h_fmt(p, "<label for=\"qui%d\">Personne ou fonction de l’étape %d</label><select id=\"qui%d\" "
	      "name=\"qui%d\"><option value=\"\">— choisir —</option>", i, i + 1, i, i);
	who_options(p, people, siren, s->who, 1);
	h_raw(p, "</select><div class=\"actions\">");
	if (i > 0)
		step_button(p, ed, "monter", i, "Monter");
	if (i < ed->n - 1)
		step_button(p, ed, "descendre", i, "Descendre");
	step_button(p, ed, "retirer", i, "Retirer");
	h_raw(p, "</div></fieldset>");
}

static void
editor_form(struct page *p, const struct org *o, const struct editor *ed, json_t *people)
{
	h_fmt(p, "<section class=\"card\" aria-labelledby=\"editor\"><h2 id=\"editor\">%s</h2>",
	      ed->id ? arena_printf(p->a, "Modifier le circuit « %s »", ed->name ? ed->name : "")
		     : "Nouveau circuit");
	if (ed->id)
		h_raw(p, "<p class=\"muted\">Enregistrer crée une nouvelle version ; les documents déjà en "
		      "route gardent la leur.</p>");
	h_fmt(p, "<form method=\"post\" action=\"/admin/organisations/%s/circuits\">", o->siren);
	/* first submit button: what Enter in a field does */
	h_raw(p, "<button type=\"submit\" name=\"op\" value=\"enregistrer\" class=\"sr-only\" tabindex=\"-1\" "
	      "aria-hidden=\"true\">Enregistrer</button>");
	page_csrf_field(p);
	h_fmt(p, "<input type=\"hidden\" name=\"id\" value=\"%lld\"><input type=\"hidden\" name=\"etapes\" "
	      "value=\"%d\"><label for=\"c-name\">Nom du circuit (celui que les éditeurs envoient)</label>"
	      "<input type=\"text\" id=\"c-name\" name=\"nom\" value=\"%s\" maxlength=\"64\">",
	      ed->id, ed->n, ed->name ? ed->name : "");
	for (int i = 0; i < ed->n; i++)
		step_fields(p, ed, i, people, o->siren);
	h_fmt(p, "<div class=\"actions\"><button type=\"submit\" class=\"secondary\" id=\"ajouter\" name=\"op\" "
	      "value=\"ajouter\"%s>Ajouter une étape</button><button type=\"submit\" id=\"enregistrer-circuit\" "
	      "name=\"op\" value=\"enregistrer\">Enregistrer le circuit</button>", autofocus(ed, "ajouter"));
	if (ed->id)
		h_fmt(p, "<a href=\"/admin/organisations/%s/circuits\">Annuler</a>", o->siren);
	h_raw(p, "</div></form></section>");
}

static void
circuit_steps_text(struct page *p, json_t *c)
{
	json_t *s, *who;
	size_t i;

	h_raw(p, "<ol class=\"steps\">");
	json_array_foreach(json_object_get(c, "steps"), i, s) {
		who = json_object_get(s, "resolves_to");
		h_fmt(p, "<li>%s — ", !strcmp(js(s, "action"), "visa") ? "Visa" : "Signature");
		if (*js(s, "office"))
			h_fmt(p, "fonction « %s » (%s)", js(s, "office"), json_is_object(who) ? js(who, "name") : "vacante");
		else
			h_fmt(p, "%s", js(json_object_get(s, "person"), "name"));
		h_raw(p, "</li>");
	}
	h_raw(p, "</ol>");
}

static void
circuit_row(struct page *p, const struct org *o, json_t *c)
{
	long long id = json_integer_value(json_object_get(c, "id"));

	h_fmt(p, "<tr><td data-label=\"Nom\">%s</td><td data-label=\"Version\">%lld</td><td data-label=\"Étapes\">",
	      js(c, "name"), json_integer_value(json_object_get(c, "version")));
	circuit_steps_text(p, c);
	h_fmt(p, "</td><td><a id=\"modifier-%s\" href=\"/admin/organisations/%s/circuits?modifier=%lld\">"
	      "Modifier<span class=\"sr-only\"> le circuit %s</span></a> <form method=\"post\" "
	      "action=\"/admin/organisations/%s/circuits\" data-confirm=\"Retirer le circuit %s ? Les documents "
	      "en route le gardent.\">", js(c, "name"), o->siren, id, js(c, "name"), o->siren, js(c, "name"));
	page_csrf_field(p);
	h_fmt(p, "<input type=\"hidden\" name=\"id\" value=\"%lld\"><button type=\"submit\" name=\"op\" "
	      "id=\"retirer-circuit-%s\" value=\"retirer_circuit\" class=\"danger\">Retirer<span "
	      "class=\"sr-only\"> le circuit %s</span></button></form></td></tr>", id, js(c, "name"), js(c, "name"));
}

/* ed NULL: the list and an empty editor (or the one ?modifier= names). */
static void
circuits_page(struct page *p, const struct org *o, struct editor *ed, unsigned status)
{
	json_t *list = web_json(p, circuits_read, (void *)o->siren), *people = NULL, *c;
	const char *edit = web_query(p, "modifier");
	struct editor fresh = { 0 };
	size_t i;

	if (!list || !(people = web_json_all(p, store_web_people)))
		goto out;
	org_begin(p, o, "Circuits", "/circuits");
	h_raw(p, "<table class=\"stack\"><thead><tr><th scope=\"col\">Nom</th><th scope=\"col\">Version</th>"
	      "<th scope=\"col\">Étapes</th><th scope=\"col\">Actions</th></tr></thead><tbody>");
	json_array_foreach(list, i, c) {
		circuit_row(p, o, c);
		if (!ed && edit && json_integer_value(json_object_get(c, "id")) == atoll(edit))
			editor_from_json(p, ed = &fresh, c);
	}
	if (!json_array_size(list))
		h_raw(p, "<tr><td colspan=\"4\">Aucun circuit.</td></tr>");
	h_raw(p, "</tbody></table>");
	if (!ed) {
		fresh.s[0] = (struct step){ "signature", NULL };
		fresh.n = 1;
		ed = &fresh;
	}
	editor_form(p, o, ed, people);
	org_end(p, status);
out:
	json_decref(list);
	json_decref(people);
}

void
web_org_circuits(struct page *p)
{
	struct org o;

	if (!org_guard(p, p->params[0], &o))
		circuits_page(p, &o, NULL, 200);
}

/* The editor's steps as the API's JSON: [{"action", "person" | "office"}]. */
static char *
steps_json(struct page *p, const struct editor *ed)
{
	json_t *a = json_array();
	char *t, *out;

	for (int i = 0; i < ed->n; i++) {
		const char *w = ed->s[i].who ? ed->s[i].who : "";
		json_t *s = json_pack("{s:s}", "action", ed->s[i].action ? ed->s[i].action : "");

		if (!strncmp(w, "personne:", 9))
			json_object_set_new(s, "person", json_string(w + 9));
		else if (!strncmp(w, "fonction:", 9))
			json_object_set_new(s, "office", json_string(w + 9));
		json_array_append_new(a, s);
	}
	t = json_dumps(a, JSON_COMPACT);
	out = arena_printf(p->a, "%s", t ? t : "[]");
	free(t);
	json_decref(a);
	return out;
}

/* A circuit of this organisation (edits and retirements name one by id). */
static int
circuit_here(struct store_conn *c, long long id, const char *siren, struct lerr *e)
{
	char *s = NULL;
	int rc = store_circuit_org(c, id, &s, e);

	if (!rc && strcmp(s, siren))
		rc = lerr_set(e, LERR_NOTFOUND, "id", "no circuit %lld in organisation %s", id, siren);
	free(s);
	return rc;
}

static int
circuit_write(struct page *p, struct store_conn *c, const struct org *o, struct editor *ed, int retire,
	      char **json, struct lerr *e)
{
	int rc = ed->id ? circuit_here(c, ed->id, o->siren, e) : 0;

	if (!rc && retire)
		return store_circuit_retire(c, ed->id, page_actor(p), json, e);
	if (!rc)
		rc = store_circuit_save(c, ed->id, o->siren, ed->name, steps_json(p, ed), page_actor(p), json, e);
	return rc;
}

void
web_org_circuit_post(struct page *p)
{
	const char *op = form_get(p, "op");
	int retire = op && !strcmp(op, "retirer_circuit");
	struct store_conn *c = NULL;
	struct editor ed = { 0 };
	char *json = NULL;
	struct org o;
	struct lerr e;
	int rc;

	if (org_guard(p, p->params[0], &o))
		return;
	editor_from_form(p, &ed);
	if (op && !retire && strcmp(op, "enregistrer") && editor_apply(&ed, op, p))
		return circuits_page(p, &o, &ed, 200);
	lerr_clear(&e);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = circuit_write(p, c, &o, &ed, retire, &json, &e);
	store_release(p->w->store, c);
	free(json);
	if (rc) {
		page_flash(p, "error", arena_printf(p->a, "%s : %s", retire ? "Le circuit n’a pas été retiré" :
						    "Le circuit n’a pas été enregistré", circuit_refusal(p, &e)));
		return circuits_page(p, &o, retire ? NULL : &ed, lerr_http_status(e.kind));
	}
	page_flash(p, "ok", retire ? "Circuit retiré ; les documents en route le gardent." :
		   arena_printf(p->a, "Circuit « %s » enregistré.", ed.name ? ed.name : ""));
	circuits_page(p, &o, NULL, 200);
}

/* ---- people and roles of the organisation ---- */

static void
org_person_row(struct page *p, const char *siren, json_t *x)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(x, "roles"), i, r) {
		if (strcmp(js(r, "siren"), siren))
			continue;
		h_fmt(p, "<tr><td data-label=\"Nom\">%s</td><td data-label=\"Adresse\">%s</td>"
		      "<td data-label=\"Rôle\">%s</td><td data-label=\"Fonction\">%s</td><td>"
		      "<form method=\"post\" action=\"/admin/organisations/%s/personnes\">", js(x, "name"),
		      js(x, "email"), role_label(js(r, "role")), *js(r, "function") ? js(r, "function") : "—", siren);
		page_csrf_field(p);
		h_fmt(p, "<input type=\"hidden\" name=\"op\" value=\"retirer\"><input type=\"hidden\" name=\"email\" "
		      "value=\"%s\"><input type=\"hidden\" name=\"role\" value=\"%s\"><button type=\"submit\" "
		      "class=\"danger\">Retirer<span class=\"sr-only\"> le rôle %s de %s</span></button></form></td></tr>",
		      js(x, "email"), js(r, "role"), role_label(js(r, "role")), js(x, "name"));
	}
}

static void
org_people_forms(struct page *p, const char *siren)
{
	static const char *const roles[] = { "signer", "agent", "org_admin" };

	h_fmt(p, "<section class=\"card\" aria-labelledby=\"give-role\"><h2 id=\"give-role\">Attribuer un rôle</h2>"
	      "<p class=\"muted\">Une personne qui n’a pas encore de compte est créée avec le nom et le mot de "
	      "passe initial indiqués.</p><form method=\"post\" action=\"/admin/organisations/%s/personnes\">", siren);
	page_csrf_field(p);
	h_raw(p, "<input type=\"hidden\" name=\"op\" value=\"attribuer\">"
	      "<label for=\"op-email\">Adresse électronique</label><input type=\"email\" id=\"op-email\" name=\"email\" "
	      "required><label for=\"op-role\">Rôle</label><select id=\"op-role\" name=\"role\">");
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		h_fmt(p, "<option value=\"%s\">%s</option>", roles[i], role_label(roles[i]));
	h_raw(p, "</select><label for=\"op-fn\">Fonction du signataire (maire, dgs, adjoint…)</label>"
	      "<input type=\"text\" id=\"op-fn\" name=\"fonction\" pattern=\"[a-z_]{1,40}\">"
	      "<label for=\"op-name\">Nom (nouvelle personne)</label><input type=\"text\" id=\"op-name\" name=\"nom\" "
	      "maxlength=\"200\"><label for=\"op-pass\">Mot de passe initial (nouvelle personne, 10 caractères au "
	      "moins)</label><input type=\"password\" id=\"op-pass\" name=\"motdepasse\" autocomplete=\"new-password\">"
	      "<div class=\"actions\"><button type=\"submit\">Attribuer le rôle</button></div></form></section>");
}

static void
org_people_page(struct page *p, const struct org *o, unsigned status)
{
	json_t *people = web_json_all(p, store_web_people), *x;
	size_t i;

	if (!people)
		return;
	org_begin(p, o, "Personnes et rôles", "/personnes");
	h_raw(p, "<table class=\"stack\"><thead><tr><th scope=\"col\">Nom</th><th scope=\"col\">Adresse</th>"
	      "<th scope=\"col\">Rôle</th><th scope=\"col\">Fonction</th><th scope=\"col\">Action</th></tr>"
	      "</thead><tbody>");
	json_array_foreach(people, i, x)
		org_person_row(p, o->siren, x);
	h_raw(p, "</tbody></table>");
	json_decref(people);
	org_people_forms(p, o->siren);
	org_end(p, status);
}

void
web_org_people(struct page *p)
{
	struct org o;

	if (!org_guard(p, p->params[0], &o))
		org_people_page(p, &o, 200);
}

/* A new account for a person named by the form who has none yet (as the
 * API's POST /admin/people lets organisation administrators do). */
static int
person_create(struct page *p, struct store_conn *c, const char *email, struct lerr *e)
{
	const char *pw = form_get(p, "motdepasse"), *name = form_get(p, "nom");
	char hash[PASSWD_HASH_MAX];
	int rc;

	if (!name || !*name || !pw || !*pw)
		return lerr_set(e, LERR_INVALID, "nom", "a new person needs a name and an initial password");
	if ((rc = passwd_acceptable(pw, e)) || (rc = passwd_hash(pw, hash, e)))
		return rc;
	rc = store_person_add(c, email, name, hash, 0, page_actor(p), NULL, e);
	explicit_bzero(hash, sizeof(hash));
	return rc;
}

/* The person (created first if need be) and the role, in one transaction:
 * a refused role leaves no account behind. */
static int
role_give(struct page *p, struct store_conn *c, const char *siren, const char *email, struct lerr *e)
{
	long long id;
	int known = store_person_id(c, email, &id, e) != LERR_NOTFOUND;   /* outside: it raises */
	int rc;

	lerr_clear(e);
	rc = store_begin(c, e);
	if (!rc && !known)
		rc = person_create(p, c, email, e);
	if (!rc)
		rc = store_role_add(c, email, siren, form_get(p, "role"), form_get(p, "fonction"), page_actor(p), e);
	if (!rc)
		return store_commit(c, e);
	store_rollback(c);
	return rc;
}

static const char *
people_refusal(struct page *p, const struct lerr *e)
{
	if (!strcmp(e->field, "nom"))
		return "cette personne n’a pas encore de compte ; indiquez son nom et un mot de passe initial.";
	if (!strcmp(e->field, "function"))
		return "une fonction (maire, dgs…) ne se donne qu’à un signataire, en lettres minuscules.";
	if (!strcmp(e->field, "password"))
		return "le mot de passe initial doit compter au moins 10 caractères.";
	if (!strcmp(e->field, "email") && e->kind == LERR_INVALID)
		return "cette adresse électronique n’est pas valable.";
	if (!strcmp(e->field, "name"))
		return "le nom doit compter de 1 à 200 caractères.";
	if (!strcmp(e->field, "role") && e->kind == LERR_NOTFOUND)
		return "cette personne n’a pas ce rôle dans l’organisation.";
	return arena_printf(p->a, "%s%s%s", e->msg, e->hint[0] ? " — " : "", e->hint);
}

void
web_org_people_post(struct page *p)
{
	const char *op = form_get(p, "op"), *email = form_get(p, "email");
	int remove = op && !strcmp(op, "retirer");
	struct store_conn *c = NULL;
	struct org o;
	struct lerr e;
	int rc;

	if (org_guard(p, p->params[0], &o))
		return;
	lerr_clear(&e);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc && !email)
		rc = lerr_set(&e, LERR_INVALID, "email", "the e-mail address is required");
	if (!rc && remove)
		rc = store_role_remove(c, email, o.siren, form_get(p, "role"), page_actor(p), &e);
	else if (!rc)
		rc = role_give(p, c, o.siren, email, &e);
	store_release(p->w->store, c);
	if (rc)
		page_flash(p, "error", arena_printf(p->a, "Refusé : %s", people_refusal(p, &e)));
	else
		page_flash(p, "ok", remove ? "Rôle retiré." : "Rôle attribué.");
	org_people_page(p, &o, rc ? lerr_http_status(e.kind) : 200);
}

/* ---- the logo of the signature block (PAdES, doc/pades.md) ---- */

static int
logo_read(struct page *p, const char *siren, char type[16], struct buf *img, struct lerr *e)
{
	struct store_conn *c = NULL;
	int rc = store_acquire(p->w->store, &c, e);

	if (!rc)
		rc = store_org_logo_get(c, siren, type, img, e);
	store_release(p->w->store, c);
	return rc;
}

static void
logo_page(struct page *p, const struct org *o, unsigned status)
{
	struct buf img;
	char type[16];
	struct lpdf_image im;
	struct lerr e;

	lerr_clear(&e);
	buf_init(&img, LPDF_LOGO_MAX);
	if (logo_read(p, o->siren, type, &img, &e)) {
		buf_fini(&img);
		return page_lerr(p, &e);
	}
	org_begin(p, o, "Logo", "/logo");
	h_raw(p, "<section class=\"card\" aria-labelledby=\"logo-titre\"><h2 id=\"logo-titre\">Logo du bloc "
	      "de signature</h2><p>Le logo apparaît à gauche du bloc visible des signatures PAdES des "
	      "documents de l’organisation, à la hauteur du bloc, proportions gardées. Une image PNG ou "
	      "JPEG de 512 Kio au plus et de 2048 pixels de côté au plus.</p>");
	if (img.len && !lpdf_image_check(img.data, img.len, &im, &e))
		h_fmt(p, "<p><img src=\"/admin/organisations/%s/logo/image\" alt=\"Logo actuel\" "
		      "style=\"max-height:54px\"> <span class=\"muted\">%s, %d × %d pixels, %zu octets</span></p>",
		      o->siren, type, im.w, im.h, img.len);
	else
		h_raw(p, "<p class=\"muted\">Aucun logo : le bloc ne porte que le texte.</p>");
	h_fmt(p, "<form method=\"post\" action=\"/admin/organisations/%s/logo\" "
	      "enctype=\"multipart/form-data\">", o->siren);
	page_csrf_field(p);
	h_raw(p, "<label for=\"logo\">Nouveau logo (PNG ou JPEG)</label>"
	      "<input type=\"file\" id=\"logo\" name=\"logo\" accept=\"image/png,image/jpeg\" required>"
	      "<div class=\"actions\"><button type=\"submit\">Enregistrer le logo</button></div></form>");
	if (img.len) {
		h_fmt(p, "<form method=\"post\" action=\"/admin/organisations/%s/logo\" "
		      "data-confirm=\"Retirer le logo du bloc de signature ?\">", o->siren);
		page_csrf_field(p);
		h_raw(p, "<input type=\"hidden\" name=\"op\" value=\"retirer\"><div class=\"actions\">"
		      "<button type=\"submit\" class=\"danger\">Retirer le logo</button></div></form>");
	}
	h_raw(p, "</section>");
	buf_fini(&img);
	org_end(p, status);
}

void
web_org_logo(struct page *p)
{
	struct org o;

	if (!org_guard(p, p->params[0], &o))
		logo_page(p, &o, 200);
}

void
web_org_logo_image(struct page *p)
{
	struct buf img;
	char type[16];
	struct org o;
	struct lerr e;

	if (org_guard(p, p->params[0], &o))
		return;
	lerr_clear(&e);
	buf_init(&img, LPDF_LOGO_MAX);
	if (logo_read(p, o.siren, type, &img, &e) || !img.len) {
		buf_fini(&img);
		return page_error(p, 404, "Aucun logo", "Cette organisation n’a pas de logo.");
	}
	p->r->status = 200;
	p->r->ctype = arena_strdup(p->a, type);
	p->r->body = img.data;          /* taken: freed with the reply */
	p->r->len = img.len;
}

/* What MuPDF found wrong with the file, in French. */
static const char *
logo_refusal(struct page *p, const struct lerr *e)
{
	if (strstr(e->msg, "not a PNG or JPEG"))
		return "ce fichier n’est pas une image PNG ou JPEG.";
	if (strstr(e->msg, "KiB"))
		return "l’image dépasse 512 Kio ; réduisez-la (quelques centaines de pixels suffisent).";
	if (strstr(e->msg, "pixels"))
		return "l’image dépasse 2048 pixels de côté ; réduisez-la.";
	if (strstr(e->msg, "decoded") || strstr(e->msg, "damaged"))
		return "l’image est endommagée ; enregistrez-la de nouveau en PNG ou en JPEG.";
	if (e->kind == LERR_NOTFOUND)
		return "l’organisation n’a pas de logo.";
	return arena_printf(p->a, "%s%s%s", e->msg, e->hint[0] ? " — " : "", e->hint);
}

static int
logo_change(struct page *p, const char *siren, int remove, struct lerr *e)
{
	const struct form_field *f = form_field(p, "logo");
	struct store_conn *c = NULL;
	struct lpdf_image im;
	int rc = 0;

	if (!remove && (!f || !f->len)) {
		rc = lerr_set(e, LERR_INVALID, "logo", "no file");
		lerr_hint(e, "choisissez un fichier PNG ou JPEG");
	}
	if (!rc && !remove)
		rc = lpdf_image_check(f->value, f->len, &im, e);
	if (!rc)
		rc = store_acquire(p->w->store, &c, e);
	if (!rc && remove)
		rc = store_org_logo_delete(c, siren, page_actor(p), e);
	else if (!rc)
		rc = store_org_logo_set(c, siren, im.media_type, im.w, im.h, f->value, f->len,
					page_actor(p), e);
	store_release(p->w->store, c);
	return rc;
}

void
web_org_logo_post(struct page *p)
{
	const char *op = form_get(p, "op");
	int remove = op && !strcmp(op, "retirer");
	struct org o;
	struct lerr e;
	int rc;

	if (org_guard(p, p->params[0], &o))
		return;
	lerr_clear(&e);
	rc = logo_change(p, o.siren, remove, &e);
	if (rc && !strcmp(e.msg, "no file"))
		page_flash(p, "error", "Refusé : choisissez un fichier PNG ou JPEG.");
	else if (rc)
		page_flash(p, "error", arena_printf(p->a, "Refusé : %s", logo_refusal(p, &e)));
	else
		page_flash(p, "ok", remove ? "Logo retiré." : "Logo enregistré.");
	logo_page(p, &o, rc ? lerr_http_status(e.kind) : 200);
}
