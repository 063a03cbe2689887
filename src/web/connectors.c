/*
 * connectors.c - the operator's page of transmission connectors: the
 * settings of each organisation's connectors (secrets masked), a form to
 * change them with the keys each connector takes, and "Tester la
 * connexion", which reaches the platforms without sending anything
 * (xmit_connector_test, the same check as `liasse connector test`).  The
 * connectors, their keys and which are secret come from transmit/ (xmit.h).
 */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>

#include "transmit/xmit.h"

struct list {
	struct page *p;
	int n;
};

static void
settings_cell(struct page *p, const struct xmit_connector_info *ci, const char *json)
{
	json_t *o = json_loads(json ? json : "{}", 0, NULL), *v;
	const char *k;

	json_object_foreach(o, k, v) {
		char *txt = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);

		h_fmt(p, "<code>%s</code> = %s<br>", k, xmit_setting_masked(ci, k) ? "••••••" : txt ? txt : "");
		free(txt);
	}
	json_decref(o);
}

static void
conn_row(void *arg, long long org_id, const char *siren, const char *kind, const char *settings)
{
	struct list *l = arg;
	struct page *p = l->p;
	const struct xmit_connector_info *ci = xmit_connector_info(kind);

	(void)org_id;
	l->n++;
	h_fmt(p, "<tr><td data-label=\"Organisation\">%s</td><td data-label=\"Connecteur\">%s"
	      "<br><span class=\"muted\">%s</span></td><td class=\"long\" data-label=\"Réglages\">", siren, kind,
	      ci ? ci->label : "connecteur inconnu");
	settings_cell(p, ci, settings);
	h_fmt(p, "</td><td><form method=\"post\" action=\"/admin/connecteurs\"><input type=\"hidden\" name=\"tester\" "
	      "value=\"%s\">", siren);
	page_csrf_field(p);
	h_fmt(p, "<button type=\"submit\" class=\"secondary\">Tester la connexion<span class=\"sr-only\"> de %s</span>"
	      "</button></form></td></tr>", siren);
}

/* What each connector takes: its keys, what they mean, which are secret. */
static void
conn_keys(struct page *p)
{
	const struct xmit_connector_info *ci;

	for (size_t i = 0; (ci = xmit_connector_at(i)); i++) {
		const struct doc_kind *k;
		int n = 0;

		h_fmt(p, "<details><summary>Clés du connecteur %s (<code>%s</code>)</summary><p>Transmet : ",
		      ci->label, ci->name);
		for (size_t j = 0; (k = doc_kind_at(j)); j++)
			if (xmit_connector_carries(ci, k->name))
				h_fmt(p, "%S%s", n++ ? ", " : "", k->label);
		h_raw(p, ".</p><dl>");
		for (size_t j = 0; ci->settings[j].key; j++)
			h_fmt(p, "<dt><code>%s</code></dt><dd>%s%S</dd>", ci->settings[j].key, ci->settings[j].help,
			      ci->settings[j].flags & XMIT_SETTING_SECRET ? " (masqué sur cette page)" : "");
		h_raw(p, "</dl></details>");
	}
}

static void
conn_form(struct page *p)
{
	const struct xmit_connector_info *ci;

	h_raw(p, "<h2>Régler un connecteur</h2><form class=\"card\" method=\"post\" action=\"/admin/connecteurs\">");
	page_csrf_field(p);
	h_raw(p, "<label for=\"cn-org\">SIREN de l’organisation</label><input type=\"text\" id=\"cn-org\" name=\"org\" "
	      "required pattern=\"[0-9]{9}\" inputmode=\"numeric\"><label for=\"cn-kind\">Connecteur</label>"
	      "<select id=\"cn-kind\" name=\"type\">");
	for (size_t i = 0; (ci = xmit_connector_at(i)); i++)
		h_fmt(p, "<option value=\"%s\">%s</option>", ci->name, ci->label);
	h_raw(p, "</select><label for=\"cn-set\">Réglages, un par ligne : <code>clé = valeur</code></label>"
	      "<textarea id=\"cn-set\" name=\"reglages\" required></textarea><p class=\"muted\">Les clés absentes "
	      "gardent leur valeur ; les secrets ne sont jamais saisis ici : leurs clés nomment un fichier de "
	      "mode 0600 sur le serveur.</p>");
	conn_keys(p);
	h_raw(p, "<div class=\"actions\"><button type=\"submit\">Enregistrer</button></div></form>");
}

static void
conn_page(struct page *p, const char *results)
{
	struct list l = { p, 0 };
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	page_begin(p, "Connecteurs", "admin");
	web_admin_nav(p, "/admin/connecteurs");
	if (results)
		h_raw(p, results);        /* built with h_fmt, escaped */
	h_raw(p, "<table class=\"stack\"><caption>Connecteurs de transmission par organisation</caption><thead><tr>"
	      "<th scope=\"col\">Organisation</th><th scope=\"col\">Connecteur</th><th scope=\"col\">Réglages</th>"
	      "<th scope=\"col\">Action</th></tr></thead><tbody>");
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_connector_each(c, NULL, conn_row, &l, &e);
	store_release(p->w->store, c);
	if (rc)
		return page_lerr(p, &e);
	h_raw(p, "</tbody></table>");
	if (!l.n)
		h_raw(p, "<p class=\"muted\">Aucun connecteur réglé.</p>");
	conn_form(p);
	page_end(p);
	page_send(p, 200);
}

void
web_admin_connectors(struct page *p)
{
	conn_page(p, NULL);
}

/* The report of a test, as escaped HTML kept in the arena. */
struct report {
	struct page tmp;
	int failed;
};

static void
report_line(void *arg, const char *kind, int ok, const char *line)
{
	struct report *r = arg;

	r->failed |= !ok;
	h_fmt(&r->tmp, "<li class=\"%S\">%s : %s</li>", ok ? "res-ok" : "res-error", kind, line);
}

static void
conn_test(struct page *p, const char *siren)
{
	struct report *r = arena_zalloc(p->a, sizeof(*r));
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	r->tmp.a = p->a;
	buf_init(&r->tmp.out, 1 << 20);
	lerr_clear(&e);
	h_fmt(&r->tmp, "<section class=\"card\" role=\"status\"><h2>Test de %s</h2><ul class=\"results\">", siren);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = xmit_connector_test(c, siren, report_line, r, &e);
	store_release(p->w->store, c);
	if (rc && !r->failed)
		h_fmt(&r->tmp, "<li class=\"res-error\">%s %s</li>", e.msg, e.detail);
	h_fmt(&r->tmp, "</ul><p>%S</p></section>", rc || r->failed ? "Au moins une vérification a échoué." :
	      "Toutes les vérifications ont réussi.");
	conn_page(p, arena_strdup(p->a, r->tmp.out.data ? r->tmp.out.data : ""));
	buf_fini(&r->tmp.out);
}

/* "clé = valeur" lines as a JSON object text; NULL if a line is not one. */
static char *
settings_json(struct page *p, const char *text)
{
	char *copy = arena_strdup(p->a, text), *save = NULL, *res;
	json_t *o = json_object();

	for (char *l = strtok_r(copy, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
		char *eq = strchr(l, '='), *k = l, *v, *end;

		if (!eq) {
			json_decref(o);
			return NULL;
		}
		*eq = '\0';
		v = eq + 1;
		k += strspn(k, " \t");
		for (end = k + strlen(k); end > k && (end[-1] == ' ' || end[-1] == '\t'); end--)
			*(end - 1) = '\0';
		v += strspn(v, " \t");
		for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
			*(end - 1) = '\0';
		if (!*k || strspn(k, "abcdefghijklmnopqrstuvwxyz_") != strlen(k)) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, k, json_string(v));
	}
	res = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return res;
}

/* The connector and its keys, as transmit/ knows them. */
static int
settings_check(const char *kind, const char *json, struct lerr *e)
{
	json_t *o = json_loads(json, 0, NULL);
	int rc = xmit_settings_check(kind, o, e);

	json_decref(o);
	return rc;
}

void
web_admin_connector_post(struct page *p)
{
	const char *test = form_get(p, "tester"), *org = form_get(p, "org"), *kind = form_get(p, "type");
	struct store_conn *c = NULL;
	char *json;
	struct lerr e;
	int rc;

	if (test)
		return conn_test(p, test);
	json = form_get(p, "reglages") ? settings_json(p, form_get(p, "reglages")) : NULL;
	if (!json || !org || !kind) {
		free(json);
		page_flash(p, "error", "Réglages illisibles : une ligne « clé = valeur » par réglage, clés en minuscules.");
		return conn_page(p, NULL);
	}
	lerr_clear(&e);
	rc = settings_check(kind, json, &e);
	if (!rc)
		rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_connector_set(c, org, kind, json, &e);
	if (!rc)
		rc = store_journal(c, page_actor(p), "connector.set", NULL, 0,
				   arena_printf(p->a, "{\"org\":\"%s\",\"kind\":\"%s\"}", org, kind), &e);
	store_release(p->w->store, c);
	free(json);
	page_flash(p, rc ? "error" : "ok", rc ? arena_printf(p->a, "Réglages refusés : %s%s%s%s", e.msg,
		   e.hint[0] ? " (" : "", e.hint, e.hint[0] ? ")" : "") :
		   "Réglages enregistrés.");
	conn_page(p, NULL);
}
