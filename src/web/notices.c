/*
 * notices.c - the pages of the e-mail notifications (doc/notifications.md):
 * "Mon compte" (/compte), where every person chooses how they are told that
 * documents wait for them, and the operators' list of the notifications
 * whose sending fails (/admin/notifications), each with its error.
 */
#include "web/web_int.h"

#include <stdio.h>
#include <string.h>

static const char *const modes[][3] = {
	{ "immediate", "Un message pour chaque document",
	  "dès qu’un document arrive dans mon parapheur" },
	{ "digest", "Un récapitulatif par jour",
	  "un seul message le matin, s’il y a des documents qui m’attendent" },
	{ "none", "Aucun message", "je consulte mon parapheur moi-même" },
};

static void
account_page(struct page *p, unsigned status)
{
	json_t *j = web_json_mine(p, store_notice_pref_json);
	const char *mode;

	if (!j)
		return;
	mode = js(j, "mode");
	page_begin(p, "Mon compte", "compte");
	h_fmt(p, "<section class=\"card\"><h2>Mes coordonnées</h2><p>%s</p><p>Adresse électronique : %s</p></section>",
	      p->me.name, js(j, "email"));
	h_raw(p, "<form class=\"card\" method=\"post\" action=\"/compte\"><fieldset>"
	      "<legend>Être prévenu par courriel des documents qui m’attendent</legend>");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		h_fmt(p, "<label><input type=\"radio\" name=\"notifications\" value=\"%S\"%S> "
		      "<strong>%s</strong> : %s</label>", modes[i][0],
		      !strcmp(mode, modes[i][0]) ? " checked" : "", modes[i][1], modes[i][2]);
	page_csrf_field(p);
	h_raw(p, "</fieldset><p class=\"muted\">Les messages contiennent un lien vers chaque document, "
	      "jamais le document lui-même.</p><div class=\"actions\"><button type=\"submit\">"
	      "Enregistrer mes préférences</button></div></form>");
	json_decref(j);
	page_end(p);
	page_send(p, status);
}

void
web_account(struct page *p)
{
	account_page(p, 200);
}

void
web_account_post(struct page *p)
{
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	rc = store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_notice_pref_set(c, p->me.id, form_get(p, "notifications"), page_actor(p), &e);
	store_release(p->w->store, c);
	page_flash(p, rc ? "error" : "ok", rc ? "Choisissez l’une des trois façons d’être prévenu." :
		   "Vos préférences sont enregistrées.");
	account_page(p, rc ? 400 : 200);
}

/* ---- the operators' list ---- */

static void
failed_row(struct page *p, json_t *x)
{
	h_fmt(p, "<tr><td data-label=\"Destinataire\">%s</td><td class=\"long\" data-label=\"Objet\">",
	      js(x, "person"));
	if (!strcmp(js(x, "kind"), "digest"))
		h_fmt(p, "Récapitulatif du %s", js(x, "day"));
	else
		h_fmt(p, "<a href=\"/documents/%U\">%s</a>", js(x, "doc"), js(x, "title"));
	h_fmt(p, "</td><td data-label=\"Essais\">%lld</td><td class=\"long\" data-label=\"Erreur\">%s</td>"
	      "<td data-label=\"Prochain essai\">", (long long)json_integer_value(json_object_get(x, "attempts")),
	      js(x, "error"));
	if (!strcmp(js(x, "state"), "failed")) {    /* an SMTP 5xx: final, unless sent again */
		h_raw(p, "<strong>aucun : refusé définitivement</strong>");
		h_fmt(p, "<form method=\"post\" action=\"/admin/notifications/%lld/renvoyer\">",
		      (long long)json_integer_value(json_object_get(x, "id")));
		page_csrf_field(p);
		h_raw(p, "<button type=\"submit\">Renvoyer</button></form>");
	} else {
		h_when(p, js(x, "next_attempt"));
	}
	h_raw(p, "</td></tr>");
}

static void
notices_page(struct page *p, int status)
{
	json_t *j = web_json_all(p, store_notice_failed_json), *x;
	size_t i;

	if (!j)
		return;
	page_begin(p, "Notifications en échec", "admin");
	web_admin_nav(p, "/admin/notifications");
	if (!json_array_size(j))
		h_raw(p, "<p class=\"muted\">Aucune notification en échec : tous les courriels sont partis.</p>");
	else
		h_raw(p, "<table class=\"stack\"><caption>Courriels que le serveur de messagerie n’a pas pris : "
		      "réessayés automatiquement, sauf ceux qu’il a refusés définitivement (réponse 5xx)</caption><thead><tr><th scope=\"col\">Destinataire</th>"
		      "<th scope=\"col\">Objet</th><th scope=\"col\">Essais</th><th scope=\"col\">Dernière erreur</th>"
		      "<th scope=\"col\">Prochain essai</th></tr></thead><tbody>");
	json_array_foreach(j, i, x)
		failed_row(p, x);
	if (json_array_size(j))
		h_raw(p, "</tbody></table>");
	json_decref(j);
	page_end(p);
	page_send(p, status);
}

void
web_admin_notices(struct page *p)
{
	notices_page(p, 200);
}

/* "Renvoyer": a notification refused for good sent again, once the address
 * or the server is fixed (the same as POST /api/v1/admin/notifications/{id}/resend). */
void
web_admin_notice_resend(struct page *p)
{
	struct store_conn *c = NULL;
	char *end = NULL;
	long long id = strtoll(p->params[0], &end, 10);
	struct lerr e;
	int rc;

	lerr_clear(&e);
	rc = !end || *end || id <= 0 ? lerr_set(&e, LERR_NOTFOUND, NULL, "no such notification") :
	     store_acquire(p->w->store, &c, &e);
	if (!rc)
		rc = store_notice_resend(c, id, page_actor(p), &e);
	store_release(p->w->store, c);
	if (e.kind == LERR_CONFLICT)
		page_flash(p, "error", "Cette notification n’a pas été refusée définitivement : "
			   "les tâches la réessaient d’elles-mêmes.");
	else if (rc)
		page_flash(p, "error", "Notification introuvable : elle a peut-être été purgée.");
	else
		page_flash(p, "ok", "Notification renvoyée : elle part au prochain passage des tâches.");
	notices_page(p, rc ? lerr_http_status(e.kind) : 200);
}
