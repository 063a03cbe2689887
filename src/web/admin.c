/*
 * admin.c - the operator's pages: organisations tree, people and roles,
 * vendor clients (create, revoke), certificates (import a PKCS#12, list by
 * nearest expiry, revoke, unlock), the journal with filters and chain
 * verification, and jobs (stuck, failed, retry).
 */
#include "web/web_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/secret.h"
#include "core/util.h"
#include "flow/signdoc.h"

void
web_admin_nav(struct page *p, const char *cur)
{
	static const char *const items[][2] = {
		{ "/admin", "Organisations" }, { "/admin/personnes", "Personnes et rôles" },
		{ "/admin/clients", "Clients des éditeurs" }, { "/admin/certificats", "Certificats" },
		{ "/admin/connecteurs", "Connecteurs" }, { "/admin/journal", "Journal" },
		{ "/admin/taches", "Tâches" }, { "/admin/notifications", "Notifications" },
	};

	h_raw(p, "<nav aria-label=\"Administration\"><ul class=\"nav card\">");
	if (!p->me.is_operator)   /* an organisation's administrator */
		h_fmt(p, "<li><a href=\"/admin\"%S>Mes organisations</a></li>",
		      !strcmp(cur, "/admin") ? " aria-current=\"page\"" : "");
	for (size_t i = 0; p->me.is_operator && i < sizeof(items) / sizeof(items[0]); i++)
		h_fmt(p, "<li><a href=\"%S\"%S>%s</a></li>", items[i][0],
		      !strcmp(cur, items[i][0]) ? " aria-current=\"page\"" : "", items[i][1]);
	h_raw(p, "</ul></nav>");
}

static void
admin_begin(struct page *p, const char *title, const char *cur)
{
	page_begin(p, title, "admin");
	web_admin_nav(p, cur);
}

static void
admin_end(struct page *p)
{
	page_end(p);
	page_send(p, 200);
}

/* ---- organisations ---- */

struct orgs {
	struct page *p;
	struct org *o;
	int n, cap;
};

static void
org_collect(void *arg, const struct org *o)
{
	struct orgs *t = arg;

	if (t->n == t->cap)
		return;
	t->o[t->n++] = *o;
}

static void
org_tree(struct page *p, struct orgs *t, const char *parent, int depth)
{
	int any = 0;

	for (int i = 0; i < t->n; i++) {
		struct org *o = &t->o[i];

		if (strcmp(o->parent_siren, parent) || depth > 16)
			continue;
		h_raw(p, any++ ? "" : "<ul>");
		h_fmt(p, "<li><a href=\"/admin/organisations/%s\"><strong>%s</strong></a> <span class=\"muted\">SIREN %s",
		      o->siren, o->name, o->siren);
		if (o->departement[0])
			h_fmt(p, ", département %s", o->departement);
		if (o->codcol[0])
			h_fmt(p, ", Hélios %s/%s/%s, budgets %s", o->idcoll, o->codcol, o->idpost,
			      o->codbuds[0] ? o->codbuds : "aucun");
		h_raw(p, "</span>");
		org_tree(p, t, o->siren, depth + 1);
		h_raw(p, "</li>");
	}
	if (any)
		h_raw(p, "</ul>");
}

/* Creating an organisation: where it sits in the tree, what the signatures
 * say of its place. */
static void
org_create_form(struct page *p, const struct orgs *t)
{
	h_raw(p, "<section class=\"card\" aria-labelledby=\"new-org\"><h2 id=\"new-org\">Nouvelle organisation</h2>"
	      "<form method=\"post\" action=\"/admin\">");
	page_csrf_field(p);
	h_raw(p, "<label for=\"o-siren\">SIREN (9 chiffres)</label><input id=\"o-siren\" name=\"siren\" required "
	      "inputmode=\"numeric\" pattern=\"[0-9]{9}\" maxlength=\"9\">"
	      "<label for=\"o-name\">Nom</label><input id=\"o-name\" name=\"nom\" required maxlength=\"300\">"
	      "<label for=\"o-parent\">Organisation parente</label><select id=\"o-parent\" name=\"parente\">"
	      "<option value=\"\">Aucune (à la racine)</option>");
	for (int i = 0; i < t->n; i++)
		h_fmt(p, "<option value=\"%s\">%s (%s)</option>", t->o[i].siren, t->o[i].name, t->o[i].siren);
	h_raw(p, "</select><label for=\"o-dep\">Département (3 caractères : 045, 02A)</label>"
	      "<input id=\"o-dep\" name=\"departement\" maxlength=\"3\">"
	      "<label for=\"o-city\">Commune, pour le lieu des signatures</label>"
	      "<input id=\"o-city\" name=\"ville\" maxlength=\"100\">"
	      "<label for=\"o-cp\">Code postal</label><input id=\"o-cp\" name=\"code_postal\" maxlength=\"10\">"
	      "<div class=\"actions\"><button type=\"submit\">Créer l’organisation</button></div></form></section>");
}

static void
orgs_page(struct page *p, int status)
{
	struct orgs t = { .p = p, .cap = 20000 };
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	t.o = malloc(sizeof(*t.o) * (size_t)t.cap);
	if (!t.o)
		return page_error(p, 500, "Erreur", "Mémoire insuffisante.");
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_org_each(c, org_collect, &t, &e);
	store_release(p->w->store, c);
	if (rc) {
		free(t.o);
		return page_lerr(p, &e);
	}
	page_begin(p, "Organisations", "admin");
	web_admin_nav(p, "/admin");
	h_fmt(p, "<p>%d organisations.</p><div class=\"card tree\">", t.n);
	org_tree(p, &t, "", 0);
	h_raw(p, "</div>");
	org_create_form(p, &t);
	free(t.o);
	page_end(p);
	page_send(p, status);
}

void
web_admin_orgs(struct page *p)
{
	if (!p->me.is_operator)
		return web_orgadmin_home(p);
	orgs_page(p, 200);
}

/* A refusal in French, with what liasse says of it and what to do. */
static const char *
refusal(struct page *p, const char *what, const struct lerr *e)
{
	return arena_printf(p->a, "%s : %s%s%s%s%s", what, e->msg, e->detail[0] ? " — " : "", e->detail,
			    e->hint[0] ? " — " : "", e->hint);
}

static int
copy_field(struct page *p, const char *name, char *out, size_t n, struct lerr *e)
{
	const char *v = form_get(p, name);

	if (v && strlen(v) >= n)
		return lerr_set(e, LERR_INVALID, name, "%s is too long (%zu characters at most)", name, n - 1);
	snprintf(out, n, "%s", v ? v : "");
	return 0;
}

/* The form fields of an organisation, each into its member of struct org. */
struct org_field {
	const char *form;
	size_t off, size;
};
#define ORG_FIELD(form, member) { form, offsetof(struct org, member), sizeof(((struct org *)0)->member) }
static const struct org_field create_fields[] = {
	ORG_FIELD("siren", siren), ORG_FIELD("nom", name), ORG_FIELD("parente", parent_siren),
	ORG_FIELD("departement", departement), ORG_FIELD("ville", city), ORG_FIELD("code_postal", postal_code),
};
static const struct org_field settings_fields[] = {
	ORG_FIELD("nom", name), ORG_FIELD("departement", departement), ORG_FIELD("ville", city),
	ORG_FIELD("code_postal", postal_code),
	ORG_FIELD("idcoll", idcoll), ORG_FIELD("codcol", codcol), ORG_FIELD("idpost", idpost),
	ORG_FIELD("budgets", codbuds), ORG_FIELD("p_dest", p_dest),
};

static int
copy_fields(struct page *p, struct org *o, const struct org_field *f, size_t n, struct lerr *e)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		rc = copy_field(p, f[i].form, (char *)o + f[i].off, f[i].size, e);
	return rc;
}

void
web_admin_org_post(struct page *p)
{
	struct store_conn *c = NULL;
	struct org o;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	store_org_init(&o);
	rc = copy_fields(p, &o, create_fields, sizeof(create_fields) / sizeof(create_fields[0]), &e);
	if (!rc && (!o.siren[0] || !o.name[0]))
		rc = lerr_set(&e, LERR_INVALID, "siren", "the SIREN and the name are required");
	if (!rc && !(rc = store_acquire(p->w->store, &c, &e)))
		rc = store_org_insert(c, &o, page_actor(p), &e);
	store_release(p->w->store, c);
	if (rc) {
		page_flash(p, "error", refusal(p, "L’organisation n’a pas été créée", &e));
		return orgs_page(p, lerr_http_status(e.kind));
	}
	page_flash(p, "ok", arena_printf(p->a, "Organisation « %s » créée (SIREN %s).", o.name, o.siren));
	orgs_page(p, 200);
}

/* ---- one organisation: Hélios identifiers, archiving, who holds what ---- */

/* Who holds which office (and the other roles) in the organisation. */
static void
org_offices(struct page *p, const char *siren)
{
	json_t *people = web_json_all(p, store_web_people), *x, *r;
	size_t i, k;
	int any = 0;

	if (!people)
		return;
	h_raw(p, "<h2>Fonctions et rôles</h2><table class=\"stack\"><thead><tr><th scope=\"col\">Fonction</th>"
	      "<th scope=\"col\">Titulaire</th><th scope=\"col\">Adresse</th><th scope=\"col\">Rôle</th></tr>"
	      "</thead><tbody>");
	json_array_foreach(people, i, x)
		json_array_foreach(json_object_get(x, "roles"), k, r) {
			if (strcmp(js(r, "siren"), siren))
				continue;
			any = 1;
			h_fmt(p, "<tr><td data-label=\"Fonction\">%s</td><td data-label=\"Titulaire\">%s</td>"
			      "<td data-label=\"Adresse\">%s</td><td data-label=\"Rôle\">%s</td></tr>",
			      *js(r, "function") ? js(r, "function") : "—", js(x, "name"), js(x, "email"),
			      role_label(js(r, "role")));
		}
	if (!any)
		h_raw(p, "<tr><td colspan=\"4\">Personne n’a encore de rôle dans cette organisation "
		      "(<a href=\"/admin/personnes\">Personnes et rôles</a>).</td></tr>");
	h_raw(p, "</tbody></table>");
	json_decref(people);
}

/* After a refusal the form shows what was typed, not what is stored. */
static const char *
typed(struct page *p, const char *field, const char *stored)
{
	const char *v = strcmp(p->w->method, "POST") ? NULL : form_get(p, field);

	return v ? v : stored;
}

static void
org_page(struct page *p, const char *siren, int status)
{
	struct store_conn *c = NULL;
	struct org o;
	struct lerr e;
	int rc = store_acquire(p->w->store, &c, &e);

	if (!rc)
		rc = store_org_get(c, siren, &o, &e);
	store_release(p->w->store, c);
	if (rc)
		return page_lerr(p, &e);
	page_begin(p, o.name, "admin");
	web_admin_nav(p, "/admin");
	web_org_subnav(p, o.siren, "");
	h_fmt(p, "<p class=\"muted\">SIREN %s%S%s</p>", o.siren, o.parent_siren[0] ? ", rattachée à " : "",
	      o.parent_siren);
	h_fmt(p, "<form class=\"card\" method=\"post\" action=\"/admin/organisations/%s\">"
	      "<h2>Identité et @ctes</h2>", o.siren);
	page_csrf_field(p);
	h_fmt(p, "<label for=\"i-name\">Nom</label><input id=\"i-name\" name=\"nom\" value=\"%s\" maxlength=\"300\">"
	      "<label for=\"i-dep\">Département (3 caractères : 045, 02A)</label>"
	      "<input id=\"i-dep\" name=\"departement\" value=\"%s\" maxlength=\"3\">"
	      "<label for=\"i-city\">Commune, pour le lieu des signatures</label>"
	      "<input id=\"i-city\" name=\"ville\" value=\"%s\" maxlength=\"100\">"
	      "<label for=\"i-cp\">Code postal</label><input id=\"i-cp\" name=\"code_postal\" value=\"%s\" "
	      "maxlength=\"10\"><h2>Hélios et archivage</h2>", typed(p, "nom", o.name),
	      typed(p, "departement", o.departement), typed(p, "ville", o.city), typed(p, "code_postal", o.postal_code));
	h_fmt(p, "<label for=\"h-idcoll\">IdColl (SIRET, 14 caractères au plus)</label>"
	      "<input id=\"h-idcoll\" name=\"idcoll\" value=\"%s\" maxlength=\"14\">"
	      "<label for=\"h-codcol\">CodCol (3 caractères au plus)</label>"
	      "<input id=\"h-codcol\" name=\"codcol\" value=\"%s\" maxlength=\"3\">"
	      "<label for=\"h-idpost\">IdPost (poste comptable, 7 caractères au plus)</label>"
	      "<input id=\"h-idpost\" name=\"idpost\" value=\"%s\" maxlength=\"7\">"
	      "<label for=\"h-codbud\">Budgets (CodBud, séparés par des virgules, le principal d’abord)</label>"
	      "<input id=\"h-codbud\" name=\"budgets\" value=\"%s\">"
	      "<label for=\"h-pdest\">Destination Hélios (SITE P_DEST)</label>"
	      "<input id=\"h-pdest\" name=\"p_dest\" value=\"%s\" maxlength=\"64\">"
	      "<label for=\"h-archive\">Archiver les documents terminés après (ex. « 10 years » ; vide : jamais)</label>"
	      "<input id=\"h-archive\" name=\"archivage\" value=\"%s\" maxlength=\"60\">"
	      "<div class=\"actions\"><button type=\"submit\">Enregistrer</button></div></form>",
	      typed(p, "idcoll", o.idcoll), typed(p, "codcol", o.codcol), typed(p, "idpost", o.idpost),
	      typed(p, "budgets", o.codbuds), typed(p, "p_dest", o.p_dest), typed(p, "archivage", o.archive_after));
	org_offices(p, o.siren);
	page_end(p);
	page_send(p, status);
}

void
web_admin_org(struct page *p)
{
	org_page(p, p->params[0], 200);
}

void
web_admin_org_settings_post(struct page *p)
{
	const char *archive = form_get(p, "archivage");
	struct store_conn *c = NULL;
	struct org o;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	store_org_init(&o);
	rc = copy_fields(p, &o, settings_fields, sizeof(settings_fields) / sizeof(settings_fields[0]), &e);
	if (!rc)
		snprintf(o.archive_after, sizeof(o.archive_after), "%s", archive && *archive ? archive : "never");
	if (!rc && !(rc = store_acquire(p->w->store, &c, &e)))
		rc = store_org_set_helios(c, p->params[0], &o, page_actor(p), &e);
	store_release(p->w->store, c);
	if (rc)
		page_flash(p, "error", refusal(p, "Les réglages n’ont pas été enregistrés", &e));
	else
		page_flash(p, "ok", "Réglages enregistrés.");
	org_page(p, p->params[0], rc ? lerr_http_status(e.kind) : 200);
}

/* ---- people ---- */

static void
person_row(struct page *p, json_t *x)
{
	json_t *roles = json_object_get(x, "roles"), *r;
	size_t i;

	h_fmt(p, "<tr><td data-label=\"Nom\">%s</td><td data-label=\"Adresse\">%s</td><td data-label=\"Rôles\">",
	      js(x, "name"), js(x, "email"));
	if (json_is_true(json_object_get(x, "operator")))
		h_raw(p, "Administrateur de l’opérateur<br>");
	json_array_foreach(roles, i, r) {
		h_fmt(p, "%s — %s", role_label(js(r, "role")), js(r, "org"));
		if (*js(r, "function"))
			h_fmt(p, " (%s)", js(r, "function"));
		h_raw(p, "<br>");
	}
	h_fmt(p, "</td><td data-label=\"État\">%S%S%S</td></tr>",
	      json_is_true(json_object_get(x, "disabled")) ? "désactivé " : "",
	      json_is_true(json_object_get(x, "locked")) ? "connexion verrouillée " : "",
	      json_is_true(json_object_get(x, "totp")) ? "double authentification" : "");
}

static void
people_forms(struct page *p)
{
	static const char *const roles[] = { "signer", "agent", "org_admin" };

	h_raw(p, "<h2>Nouvelle personne</h2><form class=\"card\" method=\"post\" action=\"/admin/personnes\">");
	page_csrf_field(p);
	h_raw(p, "<input type=\"hidden\" name=\"action\" value=\"personne\">"
	      "<label for=\"pe-email\">Adresse électronique</label><input type=\"email\" id=\"pe-email\" name=\"email\" required>"
	      "<label for=\"pe-name\">Nom</label><input type=\"text\" id=\"pe-name\" name=\"nom\" required maxlength=\"200\">"
	      "<label for=\"pe-pass\">Mot de passe initial (10 caractères au moins)</label><input type=\"password\" "
	      "id=\"pe-pass\" name=\"motdepasse\" autocomplete=\"new-password\" required minlength=\"10\">"
	      "<label><input type=\"checkbox\" name=\"operateur\" value=\"1\"> Administrateur de l’opérateur</label>"
	      "<div class=\"actions\"><button type=\"submit\">Créer la personne</button></div></form>"
	      "<h2>Attribuer un rôle</h2><form class=\"card\" method=\"post\" action=\"/admin/personnes\">");
	page_csrf_field(p);
	h_raw(p, "<input type=\"hidden\" name=\"action\" value=\"role\">"
	      "<label for=\"ro-email\">Adresse électronique de la personne</label><input type=\"email\" id=\"ro-email\" "
	      "name=\"email\" required><label for=\"ro-org\">SIREN de l’organisation</label><input type=\"text\" "
	      "id=\"ro-org\" name=\"org\" required pattern=\"[0-9]{9}\" inputmode=\"numeric\">"
	      "<label for=\"ro-role\">Rôle</label><select id=\"ro-role\" name=\"role\">");
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		h_fmt(p, "<option value=\"%s\">%s</option>", roles[i], role_label(roles[i]));
	h_raw(p, "</select><label for=\"ro-fn\">Fonction du signataire (maire, president, ordonnateur, adjoint…)</label>"
	      "<input type=\"text\" id=\"ro-fn\" name=\"fonction\" pattern=\"[a-z_]{1,40}\">"
	      "<div class=\"actions\"><button type=\"submit\">Attribuer le rôle</button></div></form>");
}

static void
people_page(struct page *p, unsigned status)
{
	json_t *j = web_json_all(p, store_web_people), *x;
	size_t i;

	if (!j)
		return;
	admin_begin(p, "Personnes et rôles", "/admin/personnes");
	h_raw(p, "<table class=\"stack\"><thead><tr><th scope=\"col\">Nom</th><th scope=\"col\">Adresse</th>"
	      "<th scope=\"col\">Rôles</th><th scope=\"col\">État</th></tr></thead><tbody>");
	json_array_foreach(j, i, x)
		person_row(p, x);
	h_raw(p, "</tbody></table>");
	json_decref(j);
	people_forms(p);
	page_end(p);
	page_send(p, status);
}

void
web_admin_people(struct page *p)
{
	people_page(p, 200);
}

static int
person_create(struct page *p, struct store_conn *c, struct lerr *e)
{
	const char *pw = form_get(p, "motdepasse");
	char hash[PASSWD_HASH_MAX];
	int rc;

	if (!pw || (rc = passwd_acceptable(pw, e)))
		return pw ? rc : lerr_set(e, LERR_INVALID, "password", "a password is required");
	rc = passwd_hash(pw, hash, e);
	explicit_bzero((char *)pw, strlen(pw));
	if (!rc)
		rc = store_person_add(c, form_get(p, "email"), form_get(p, "nom"), hash,
				      form_get(p, "operateur") != NULL, page_actor(p), NULL, e);
	explicit_bzero(hash, sizeof(hash));
	return rc;
}

void
web_admin_people_post(struct page *p)
{
	const char *what = form_get(p, "action");
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	if (!what || !form_get(p, "email"))
		return page_error(p, 422, "Formulaire incomplet", "Indiquez au moins l’adresse électronique.");
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc && !strcmp(what, "personne"))
		rc = person_create(p, c, &e);
	else if (!rc)
		rc = store_role_add(c, form_get(p, "email"), form_get(p, "org"), form_get(p, "role"),
				    form_get(p, "fonction"), page_actor(p), &e);
	store_release(p->w->store, c);
	if (rc)
		page_flash(p, "error", arena_printf(p->a, "Refusé : %s%s%s", e.msg, e.hint[0] ? " — " : "", e.hint));
	else
		page_flash(p, "ok", !strcmp(what, "personne") ? "Personne créée." : "Rôle attribué.");
	people_page(p, lerr_http_status(rc));
}

/* ---- vendor clients ---- */

struct clients {
	struct page *p;
};

static void
client_row(void *arg, const char *name, const char *orgs, const char *created, int revoked)
{
	struct page *p = ((struct clients *)arg)->p;

	h_fmt(p, "<tr><td data-label=\"Nom\">%s</td><td data-label=\"Organisations\">%s</td><td data-label=\"Créé le\">",
	      name, orgs);
	h_when(p, created);
	h_fmt(p, "</td><td data-label=\"État\">%S</td><td>", revoked ? "révoqué" : "actif");
	if (!revoked) {
		h_fmt(p, "<form method=\"post\" action=\"/admin/clients\" data-confirm=\"Révoquer le client %s ? Sa clé "
		      "d’API cessera aussitôt de fonctionner.\"><input type=\"hidden\" name=\"revoquer\" value=\"%s\">",
		      name, name);
		page_csrf_field(p);
		h_fmt(p, "<button type=\"submit\" class=\"danger\">Révoquer<span class=\"sr-only\"> %s</span></button></form>",
		      name);
	}
	h_raw(p, "</td></tr>");
}

static void
clients_page(struct page *p, unsigned status)
{
	struct clients cl = { p };
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	admin_begin(p, "Clients des éditeurs", "/admin/clients");
	h_raw(p, "<table class=\"stack\"><thead><tr><th scope=\"col\">Nom</th><th scope=\"col\">Organisations</th>"
	      "<th scope=\"col\">Créé le</th><th scope=\"col\">État</th><th scope=\"col\">Action</th></tr></thead><tbody>");
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_client_each(c, client_row, &cl, &e);
	store_release(p->w->store, c);
	if (rc)
		return page_lerr(p, &e);
	h_raw(p, "</tbody></table><h2>Nouveau client</h2><form class=\"card\" method=\"post\" action=\"/admin/clients\">");
	page_csrf_field(p);
	h_raw(p, "<label for=\"cl-name\">Nom du logiciel ou de l’éditeur</label><input type=\"text\" id=\"cl-name\" "
	      "name=\"nom\" required maxlength=\"200\"><label for=\"cl-orgs\">SIREN des organisations servies "
	      "(séparés par des espaces)</label><input type=\"text\" id=\"cl-orgs\" name=\"orgs\" required>"
	      "<div class=\"actions\"><button type=\"submit\">Créer le client</button></div></form>");
	page_end(p);
	page_send(p, status);
}

void
web_admin_clients(struct page *p)
{
	clients_page(p, 200);
}

static int
client_create(struct page *p, struct store_conn *c, const char *name, char key[STORE_CLIENT_KEY_SIZE],
	      struct lerr *e)
{
	const char *sirens[64];
	char *list = arena_strdup(p->a, form_get(p, "orgs")), *save = NULL;
	int n = 0;

	for (char *s = strtok_r(list, " ,;\t", &save); s && n < 64; s = strtok_r(NULL, " ,;\t", &save))
		sirens[n++] = s;
	return store_client_create(c, name, sirens, n, page_actor(p), key, NULL, e);
}

void
web_admin_client_post(struct page *p)
{
	const char *revoke = form_get(p, "revoquer"), *name = form_get(p, "nom");
	struct store_conn *c = NULL;
	char key[STORE_CLIENT_KEY_SIZE];
	struct lerr e;
	int rc;

	lerr_clear(&e);
	if (!revoke && (!name || !*name || !form_get(p, "orgs")))
		return page_error(p, 422, "Client incomplet", "Indiquez le nom du client et ses organisations.");
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = revoke ? store_client_revoke(c, revoke, page_actor(p), &e) : client_create(p, c, name, key, &e);
	store_release(p->w->store, c);
	if (rc) {
		page_flash(p, "error", arena_printf(p->a, "%s : %s%s%s", revoke ? "Le client n’a pas été révoqué" :
						    "Le client n’a pas été créé", e.msg, e.detail[0] ? " — " : "",
						    e.detail));
		return clients_page(p, lerr_http_status(e.kind));
	}
	if (revoke) {
		page_flash(p, "ok", arena_printf(p->a, "Le client « %s » est révoqué : sa clé ne fonctionne plus.", revoke));
	} else {
		page_flash(p, "ok", arena_printf(p->a, "Client « %s » créé. Sa clé d’API, affichée une seule fois : %s",
						 name, key));
		explicit_bzero(key, sizeof(key));
	}
	clients_page(p, 200);
}

/* ---- certificates ---- */

static int
certs_read(struct store_conn *c, void *arg, char **json, struct lerr *e)
{
	return store_cert_list_json(c, *(long long *)arg, 0, json, e);
}

static void
cert_actions(struct page *p, json_t *x)
{
	long long id = (long long)json_integer_value(json_object_get(x, "id"));

	if (!strcmp(js(x, "state"), "revoked"))
		return;
	if (json_is_true(json_object_get(x, "locked"))) {
		h_fmt(p, "<form method=\"post\" action=\"/admin/certificats\"><input type=\"hidden\" name=\"debloquer\" "
		      "value=\"%lld\">", id);
		page_csrf_field(p);
		h_raw(p, "<button type=\"submit\" class=\"secondary\">Débloquer le PIN</button></form>");
	}
	h_fmt(p, "<form method=\"post\" action=\"/admin/certificats\" data-confirm=\"Révoquer ce certificat ? "
	      "Son titulaire ne pourra plus signer avec.\"><input type=\"hidden\" name=\"revoquer\" value=\"%lld\">", id);
	page_csrf_field(p);
	h_raw(p, "<button type=\"submit\" class=\"danger\">Révoquer</button></form>");
}

static void
cert_row(struct page *p, json_t *x)
{
	const char *state = js(x, "state");

	h_fmt(p, "<tr><td data-label=\"Titulaire\">%s <span class=\"muted\">%s</span></td>"
	      "<td class=\"long\" data-label=\"Certificat\">%s<br><span class=\"muted\">émis par %s</span></td><td data-label=\"Expire le\">",
	      js(json_object_get(x, "person"), "name"), js(json_object_get(x, "person"), "email"),
	      js(x, "subject"), js(x, "issuer"));
	h_when(p, js(x, "not_after"));
	if (json_is_true(json_object_get(x, "expired")))
		h_raw(p, " <strong class=\"warn\">expiré</strong>");
	else
		h_fmt(p, " <span class=\"muted\">(%lld jours)</span>",
		      (long long)json_integer_value(json_object_get(x, "days_left")));
	h_fmt(p, "</td><td data-label=\"État\">%S%S</td><td>",
	      !strcmp(state, "enrolment") ? "en attente d’enrôlement" : !strcmp(state, "active") ? "actif" : "révoqué",
	      json_is_true(json_object_get(x, "locked")) ? ", <strong>PIN verrouillé</strong>" : "");
	cert_actions(p, x);
	h_raw(p, "</td></tr>");
}

static void
certs_page(struct page *p, unsigned status)
{
	json_t *j = web_json(p, certs_read, &p->me.id), *x;
	size_t i;

	if (!j)
		return;
	admin_begin(p, "Certificats", "/admin/certificats");
	h_raw(p, "<table class=\"stack\"><caption>Certificats des élus, expiration la plus proche d’abord</caption>"
	      "<thead><tr><th scope=\"col\">Titulaire</th><th scope=\"col\">Certificat</th><th scope=\"col\">Expire le</th>"
	      "<th scope=\"col\">État</th><th scope=\"col\">Actions</th></tr></thead><tbody>");
	json_array_foreach(j, i, x)
		cert_row(p, x);
	h_raw(p, "</tbody></table><h2>Importer un certificat (PKCS#12)</h2><form class=\"card\" method=\"post\" "
	      "action=\"/admin/certificats\" enctype=\"multipart/form-data\">");
	page_csrf_field(p);
	h_raw(p, "<label for=\"ce-email\">Adresse électronique du titulaire</label><input type=\"email\" id=\"ce-email\" "
	      "name=\"email\" required><label for=\"ce-file\">Fichier PKCS#12 (.p12, .pfx)</label>"
	      "<input type=\"file\" id=\"ce-file\" name=\"p12\" accept=\".p12,.pfx,application/x-pkcs12\" required>"
	      "<label for=\"ce-pass\">Mot de passe du fichier</label><input type=\"password\" id=\"ce-pass\" "
	      "name=\"motdepasse\" autocomplete=\"off\"><p class=\"muted\">La clé privée est aussitôt chiffrée sous un "
	      "code d’enrôlement à usage unique, à remettre à l’élu qui choisira son propre code PIN.</p>"
	      "<div class=\"actions\"><button type=\"submit\">Importer</button></div></form>");
	json_decref(j);
	page_end(p);
	page_send(p, status);
}

void
web_admin_certs(struct page *p)
{
	certs_page(p, 200);
}

static int
cert_op(struct page *p, const char *op, long long id, struct lerr *e)
{
	struct store_conn *c = NULL;
	char *json = NULL;
	int rc = store_acquire(p->w->store, &c, e);

	if (!rc)
		rc = store_cert_admin(c, op, id, NULL, p->me.id, page_actor(p), &json, e);
	store_release(p->w->store, c);
	free(json);
	return rc;
}

static void
cert_import(struct page *p)
{
	const struct form_field *f = form_field(p, "p12");
	const char *email = form_get(p, "email"), *pass = form_get(p, "motdepasse");
	char code[CUSTODY_CODE_SIZE];
	long long id;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	if (!f || !f->len || !email || !*email) {
		page_flash(p, "error", "Indiquez le titulaire et choisissez un fichier PKCS#12.");
		return certs_page(p, 422);
	}
	rc = signdoc_import(p->w->store, p->me.id, email, f->value, f->len, pass ? pass : "", page_actor(p), &id,
			    code, &e);
	if (pass)
		explicit_bzero((char *)pass, strlen(pass));
	if (rc) {
		page_flash(p, "error", arena_printf(p->a, "Import refusé : %s%s%s", e.msg, e.detail[0] ? " — " : "",
						    e.detail));
		/* LERR_AUTH: the file's password, a field of this form, not the session. */
		return certs_page(p, lerr_http_status(rc == LERR_AUTH ? LERR_INVALID : rc));
	}
	page_flash(p, "ok", arena_printf(p->a, "Certificat importé pour %s. Code d’enrôlement à remettre à l’élu, "
					 "affiché une seule fois : %s", email, code));
	explicit_bzero(code, sizeof(code));
	certs_page(p, 200);
}

void
web_admin_cert_post(struct page *p)
{
	const char *rev = form_get(p, "revoquer"), *unl = form_get(p, "debloquer");
	struct lerr e;
	int rc;

	lerr_clear(&e);
	if (!rev && !unl)
		return cert_import(p);
	if ((rc = cert_op(p, rev ? "revoke" : "unlock", atoll(rev ? rev : unl), &e)))
		page_flash(p, "error", arena_printf(p->a, "Action refusée : %s", e.msg));
	else
		page_flash(p, "ok", rev ? "Certificat révoqué." : "Code PIN débloqué.");
	certs_page(p, lerr_http_status(rc));
}

/* ---- journal ---- */

static int
journal_read(struct store_conn *c, void *arg, char **json, struct lerr *e)
{
	return store_web_journal(c, arg, json, e);
}

static void
journal_verify(struct page *p)
{
	struct store_conn *c = NULL;
	struct journal_report r;
	struct lerr e;
	int rc = store_acquire(p->w->store, &c, &e);

	memset(&r, 0, sizeof(r));
	if (!rc)
		rc = store_journal_verify(c, &r, &e);
	store_release(p->w->store, c);
	if (rc)
		h_fmt(p, "<p class=\"flash error\" role=\"alert\">La vérification n’a pas pu se faire : %s</p>", e.msg);
	else if (r.bad_seq)
		h_fmt(p, "<p class=\"flash error\" role=\"alert\">Chaîne rompue à l’entrée %lld : %s</p>", r.bad_seq, r.what);
	else
		h_fmt(p, "<p class=\"flash ok\" role=\"status\">Chaîne intègre : %lld entrées vérifiées.</p>", r.entries);
}

static void
journal_filters(struct page *p, const struct web_journal_filter *f)
{
	h_fmt(p, "<form class=\"card filters\" method=\"get\" action=\"/admin/journal\" role=\"search\" "
	      "aria-label=\"Filtrer le journal\"><div><label for=\"j-actor\">Acteur (nom, adresse, client)</label><input type=\"text\" "
	      "id=\"j-actor\" name=\"acteur\" value=\"%s\"></div><div><label for=\"j-action\">Action (début)</label>"
	      "<input type=\"text\" id=\"j-action\" name=\"action\" value=\"%s\"></div><div><label for=\"j-doc\">"
	      "Document (identifiant)</label><input type=\"text\" id=\"j-doc\" name=\"document\" value=\"%s\"></div>"
	      "<div><label for=\"j-since\">Depuis le</label>", f->actor ? f->actor : "", f->action ? f->action : "",
	      f->doc_id ? f->doc_id : "");
	h_date_input(p, "j-since", "depuis", f->since, 0);
	h_raw(p, "</div><div class=\"actions\"><button type=\"submit\">Filtrer</button>"
	      "<button type=\"submit\" name=\"verifier\" value=\"1\" class=\"secondary\">Vérifier la chaîne</button>"
	      "</div></form>");
}

void
web_admin_journal(struct page *p)
{
	struct web_journal_filter f = { .actor = web_query(p, "acteur"), .action = web_query(p, "action"),
		.doc_id = web_query(p, "document"), .since = web_query(p, "depuis"), .limit = 200 };
	json_t *all, *j, *x;
	size_t i;

	if (f.doc_id && !uuid_valid(f.doc_id))
		f.doc_id = NULL;
	f.since = web_date_iso(p, f.since);
	f.before_id = web_query(p, "avant") ? atoll(web_query(p, "avant")) : 0;
	if (!(all = web_json(p, journal_read, &f)))
		return;
	j = json_object_get(all, "items");
	admin_begin(p, "Journal", "/admin/journal");
	if (web_query(p, "verifier"))
		journal_verify(p);
	journal_filters(p, &f);
	if (json_is_true(json_object_get(all, "capped")))
		h_fmt(p, "<p class=\"flash\" role=\"status\">Plus de 100 personnes ou clients correspondent à "
		      "« %s » : seuls les 100 premiers (par ordre alphabétique) sont pris en compte. "
		      "Précisez l’acteur (adresse complète ou nom).</p>", f.actor);
	h_raw(p, "<table class=\"stack\"><caption>Entrées, les plus récentes d’abord</caption><thead><tr>"
	      "<th scope=\"col\">N°</th><th scope=\"col\">Date</th><th scope=\"col\">Acteur</th><th scope=\"col\">Action</th>"
	      "<th scope=\"col\">Document</th><th scope=\"col\">Détail</th></tr></thead><tbody>");
	json_array_foreach(j, i, x) {
		char *detail = json_dumps(json_object_get(x, "detail"), JSON_COMPACT);

		h_fmt(p, "<tr><td data-label=\"N°\">%lld</td><td data-label=\"Date\">",
		      (long long)json_integer_value(json_object_get(x, "id")));
		h_when(p, js(x, "at"));
		h_fmt(p, "</td><td data-label=\"Acteur\">%s</td><td data-label=\"Action\">%s</td><td class=\"long\" data-label=\"Document\">",
		      js(x, "actor"), js(x, "action"));
		if (*js(x, "doc"))
			h_fmt(p, "<a href=\"/documents/%s\">%s</a>", js(x, "doc"), js(x, "doc"));
		h_fmt(p, "</td><td class=\"long\" data-label=\"Détail\">%s</td></tr>", detail && strcmp(detail, "{}") ? detail : "");
		free(detail);
	}
	h_raw(p, "</tbody></table>");
	if (json_array_size(j) == 200)    /* the next page keeps the filters */
		h_fmt(p, "<p><a href=\"/admin/journal?acteur=%U&amp;action=%U&amp;document=%U&amp;depuis=%U&amp;"
		      "avant=%lld\">Entrées plus anciennes</a></p>", f.actor, f.action, f.doc_id, f.since,
		      (long long)json_integer_value(json_object_get(json_array_get(j, 199), "id")));
	json_decref(all);
	admin_end(p);
}

/* ---- jobs ---- */

static void
jobs_table(struct page *p, json_t *list, const char *caption, int failed)
{
	json_t *x;
	size_t i;

	if (!json_array_size(list)) {
		h_fmt(p, "<p class=\"muted\">%s : aucune.</p>", caption);
		return;
	}
	h_fmt(p, "<table class=\"stack\"><caption>%s</caption><thead><tr><th scope=\"col\">Tâche</th>"
	      "<th scope=\"col\">Document</th><th scope=\"col\">Essais</th><th scope=\"col\">%S</th>"
	      "<th scope=\"col\">Prochain essai</th><th scope=\"col\">Action</th></tr></thead><tbody>", caption,
	      failed ? "Dernière erreur" : "");
	json_array_foreach(list, i, x) {
		long long id = (long long)json_integer_value(json_object_get(x, "id"));

		h_fmt(p, "<tr><td data-label=\"Tâche\">%lld %s</td><td class=\"long\" data-label=\"Document\">", id, js(x, "kind"));
		if (*js(x, "doc"))
			h_fmt(p, "<a href=\"/documents/%s\">%s</a>", js(x, "doc"), *js(x, "title") ? js(x, "title") : js(x, "doc"));
		h_fmt(p, "</td><td data-label=\"Essais\">%lld</td><td>%s</td><td data-label=\"Prochain essai\">",
		      (long long)json_integer_value(json_object_get(x, "attempts")), js(x, "error"));
		h_when(p, js(x, "run_at"));
		h_fmt(p, "</td><td><form method=\"post\" action=\"/admin/taches\"><input type=\"hidden\" name=\"relancer\" "
		      "value=\"%lld\">", id);
		page_csrf_field(p);
		h_raw(p, "<button type=\"submit\">Relancer maintenant</button></form></td></tr>");
	}
	h_raw(p, "</tbody></table>");
}

static void
jobs_page(struct page *p)
{
	json_t *j = web_json_all(p, store_web_jobs), *x;
	size_t i;

	if (!j)
		return;
	admin_begin(p, "Tâches", "/admin/taches");
	jobs_table(p, json_object_get(j, "failed"), "Tâches en échec, réessayées automatiquement", 1);
	jobs_table(p, json_object_get(j, "stuck"), "Tâches bloquées (en attente depuis plus de 10 minutes)", 0);
	h_raw(p, "<h2>Documents en échec</h2>");
	if (!json_array_size(json_object_get(j, "failed_docs")))
		h_raw(p, "<p class=\"muted\">Aucun.</p>");
	else
		h_raw(p, "<ul>");
	json_array_foreach(json_object_get(j, "failed_docs"), i, x)
		h_fmt(p, "<li><a href=\"/documents/%s\">%s</a> : %s</li>", js(x, "id"), js(x, "title"), js(x, "reason"));
	if (json_array_size(json_object_get(j, "failed_docs")))
		h_raw(p, "</ul>");
	json_decref(j);
	admin_end(p);
}

void
web_admin_jobs(struct page *p)
{
	jobs_page(p);
}

void
web_admin_job_post(struct page *p)
{
	const char *id = form_get(p, "relancer");
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_web_job_retry(c, id ? atoll(id) : 0, page_actor(p), &e);
	store_release(p->w->store, c);
	page_flash(p, rc ? "error" : "ok", rc ? "Cette tâche n’attend plus : rien à relancer." :
		   "La tâche est relancée : un travailleur la reprend dans l’instant.");
	jobs_page(p);
}
