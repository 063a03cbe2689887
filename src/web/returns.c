/*
 * returns.c - "Retours Hélios": the PES_Retour files (payment returns) that
 * Hélios wrote for the organisations an agent follows (issue 12, point 3),
 * the page beside "Suivi des documents".  The same files the vendor lists
 * with GET /api/v1/organisations/{siren}/returns (014_org_return.sql); each
 * download is journalled as "return.downloaded", as through the API.
 */
#include "web/web_int.h"

#include <stdlib.h>
#include <string.h>

struct rarg {
	long long person;
	const char *siren;
};

static int
returns_read(struct store_conn *c, void *arg, char **json, struct lerr *e)
{
	struct rarg *r = arg;

	return store_web_returns(c, r->person, r->siren, json, e);
}

static void
returns_filter(struct page *p, json_t *orgs, const char *siren)
{
	json_t *o;
	size_t i;

	h_raw(p, "<form class=\"card filters\" method=\"get\" action=\"/retours\" role=\"search\" "
	      "aria-label=\"Filtrer\"><div><label for=\"r-org\">Organisation</label>"
	      "<select id=\"r-org\" name=\"org\"><option value=\"\">Toutes</option>");
	json_array_foreach(orgs, i, o)
		h_fmt(p, "<option value=\"%s\"%S>%s</option>", js(o, "siren"),
		      siren && !strcmp(siren, js(o, "siren")) ? " selected" : "", js(o, "name"));
	h_raw(p, "</select></div><div class=\"actions\"><button type=\"submit\">Filtrer</button></div></form>");
}

static const char *
return_label(const char *kind)
{
	return !strcmp(kind, "PES_Retour") ? "Retour de paiement (PES_Retour)" : kind;
}

static void
return_row(struct page *p, json_t *r)
{
	h_raw(p, "<tr><td data-label=\"Reçu le\">");
	h_when(p, js(r, "received_at"));
	h_fmt(p, "</td><td data-label=\"Organisation\">%s</td><td data-label=\"Type\">%s</td>"
	      "<td data-label=\"Fichier\"><a href=\"/retours/%s/fichier\" download>%s</a> "
	      "<span class=\"muted\">(%lld octets)</span></td></tr>", js(r, "org"),
	      return_label(js(r, "kind")), js(r, "id"), js(r, "name"),
	      (long long)json_integer_value(json_object_get(r, "size")));
}

void
web_returns(struct page *p)
{
	struct rarg a = { p->me.id, web_query(p, "org") };
	json_t *j, *items, *r;
	size_t i;

	if (a.siren && (strlen(a.siren) != 9 || strspn(a.siren, "0123456789") != 9))
		a.siren = NULL;
	if (!(j = web_json(p, returns_read, &a)))
		return;
	items = json_object_get(j, "items");
	page_begin(p, "Retours Hélios", "retours");
	h_raw(p, "<p>Les fichiers que la DGFiP (Hélios) renvoie à vos organisations en dehors des "
	      "accusés de réception : retours de paiement (PES_Retour).</p>");
	returns_filter(p, json_object_get(j, "orgs"), a.siren);
	if (!json_array_size(items))
		h_raw(p, "<p class=\"card\">Aucun retour reçu.</p>");
	else
		h_raw(p, "<table class=\"stack\"><caption>Retours de vos organisations (500 au plus, les plus "
		      "récents d’abord)</caption><thead><tr><th scope=\"col\">Reçu le</th>"
		      "<th scope=\"col\">Organisation</th><th scope=\"col\">Type</th>"
		      "<th scope=\"col\">Fichier</th></tr></thead><tbody>");
	json_array_foreach(items, i, r)
		return_row(p, r);
	if (json_array_size(items))
		h_raw(p, "</tbody></table>");
	json_decref(j);
	page_end(p);
	page_send(p, 200);
}

void
web_return_file(struct page *p)
{
	const char *id = p->params[0];
	struct store_conn *c = NULL;
	struct doc_file f;
	long long org_id = 0;
	struct lerr e;
	int rc;

	if (!id[0] || strlen(id) > 18 || strspn(id, "0123456789") != strlen(id))
		return page_error(p, 404, "Introuvable", "Ce retour n’existe pas.");
	lerr_clear(&e);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_web_return_file(c, p->me.id, id, &org_id, &f, &e);
	if (!rc)
		rc = store_journal(c, page_actor(p), "return.downloaded", NULL, org_id,
				   arena_printf(p->a, "{\"return\":%s}", id), &e);
	store_release(p->w->store, c);
	if (rc == LERR_NOTFOUND)
		return page_error(p, 404, "Introuvable", "Ce retour n’existe pas.");
	if (rc)
		return page_lerr(p, &e);
	web_serve_file(p, &f);
}
