/*
 * notice.c - the e-mail notifications' job and the digests' plan (notice.h).
 */
#include "transmit/notice.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/kind.h"
#include "core/log.h"
#include "transmit/mail.h"

#define DIGEST_LIST_MAX 100      /* titles listed in one digest */
/* A lease is notify_smtp_timeout (curl's bound on the whole exchange) plus
 * this, for composing and the two commits around the exchange. */
#define NOTICE_LEASE_MARGIN_S 60

static const char *
js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* What the person is asked to do: the circuit's step (a visa), else by the
 * state the document waits in. */
static const char *
action(json_t *d)
{
	if (!strcmp(js(d, "step"), "visa"))
		return "viser";
	if (!strcmp(js(d, "state"), "pending_signature"))
		return "signer";
	return "traiter";
}

/* "2027-01-12" as "12/01/2027". */
static void
date_fr(const char *iso, char out[16])
{
	int y, m, d;

	if (sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) == 3)
		snprintf(out, 16, "%02d/%02d/%04d", d, m, y);
	else
		out[0] = '\0';
}

/* HTML text: & < > " escaped. */
static int
html_text(struct buf *b, const char *s)
{
	int rc = 0;

	for (; *s && !rc; s++) {
		switch (*s) {
		case '&': rc = buf_addstr(b, "&amp;"); break;
		case '<': rc = buf_addstr(b, "&lt;"); break;
		case '>': rc = buf_addstr(b, "&gt;"); break;
		case '"': rc = buf_addstr(b, "&quot;"); break;
		default: rc = buf_add(b, s, 1);
		}
	}
	return rc;
}

/* One document: its title, organisation, kind, due date and link. */
static int
doc_lines(json_t *d, const char *base, struct buf *text, struct buf *html)
{
	char title[300], org[300], due[16];
	const char *id = js(d, "id");

	xmit_mail_oneline(js(d, "title"), title, sizeof(title));
	xmit_mail_oneline(js(d, "organisation"), org, sizeof(org));
	date_fr(js(d, "due_date"), due);
	if (buf_printf(text, "- %s\n  %s, %s, à %s%s%s\n  %s/documents/%s\n\n", title, org,
		       doc_kind_label(js(d, "kind")), action(d),
		       *due ? " avant le " : "", due, base, id))
		return -1;
	return buf_addstr(html, "<li><a href=\"") || html_text(html, base) ||
	       buf_printf(html, "/documents/%s\">", id) || html_text(html, title) ||
	       buf_addstr(html, "</a><br>") || html_text(html, org) ||
	       buf_printf(html, ", %s, à %s%s%s</li>\n", doc_kind_label(js(d, "kind")),
			  action(d), *due ? " avant le " : "", due);
}

static int
greeting(json_t *n, struct buf *text, struct buf *html)
{
	char name[256];

	xmit_mail_oneline(js(n, "name"), name, sizeof(name));
	return buf_printf(text, "Bonjour %s,\n\n", name) ||
	       buf_addstr(html, "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
			  "<title>Parapheur</title></head><body>\n<p>Bonjour ") ||
	       html_text(html, name) || buf_addstr(html, ",</p>\n");
}

static int
closing(const char *base, struct buf *text, struct buf *html)
{
	static const char why[] = "Ce message vous est envoyé automatiquement par le parapheur "
		"électronique ; les documents n’y sont pas joints : consultez-les en suivant les liens.";

	return buf_printf(text, "%s\nPour recevoir un récapitulatif par jour, ou aucun message, "
			  "choisissez sur la page « Mon compte » : %s/compte\n", why, base) ||
	       buf_printf(html, "<p>%s</p>\n<p>Pour recevoir un récapitulatif par jour, ou aucun message, "
			  "choisissez sur la page <a href=\"", why) ||
	       html_text(html, base) || buf_addstr(html, "/compte\">Mon compte</a>.</p>\n</body></html>\n");
}

static int
intro(json_t *n, long long total, struct buf *subject, struct buf *text, struct buf *html)
{
	json_t *first = json_array_get(json_object_get(n, "docs"), 0);
	char title[200], line[256];

	if (!strcmp(js(n, "kind"), "document")) {
		xmit_mail_oneline(js(first, "title"), title, sizeof(title));
		snprintf(line, sizeof(line), "Un document attend que vous le %s", action(first));
		return buf_printf(subject, "Document à %s : %s", action(first), title) ||
		       buf_printf(text, "%s :\n\n", line) ||
		       buf_printf(html, "<p>%s :</p>\n<ul>\n", line);
	}
	snprintf(line, sizeof(line), total == 1 ? "%lld document vous attend dans votre parapheur" :
		 "%lld documents vous attendent dans votre parapheur", total);
	return buf_printf(subject, "Récapitulatif : %s", line) ||
	       buf_printf(text, "%s :\n\n", line) ||
	       buf_printf(html, "<p>%s :</p>\n<ul>\n", line);
}

int
xmit_notice_compose(const char *content, const char *base, struct buf *subject, struct buf *text,
		    struct buf *html)
{
	json_t *n = json_loads(content, 0, NULL), *docs = json_object_get(n, "docs"), *d;
	long long total = json_integer_value(json_object_get(n, "total"));
	size_t i;
	int rc;

	if (!n)
		return -1;
	rc = greeting(n, text, html) || intro(n, total, subject, text, html);
	json_array_foreach(docs, i, d)
		if (!rc && i < DIGEST_LIST_MAX)
			rc = doc_lines(d, base, text, html);
	if (!rc && total > (long long)json_array_size(docs)) {
		long long more = total - (long long)json_array_size(docs);

		rc = buf_printf(text, "… et %lld autre%s.\n\n", more, more > 1 ? "s" : "") ||
		     buf_printf(html, "<li>… et %lld autre%s.</li>\n", more, more > 1 ? "s" : "");
	}
	if (!rc)
		rc = buf_addstr(html, "</ul>\n") || closing(base, text, html);
	if (!rc)
		rc = buf_add(subject, "", 1) || buf_add(text, "", 1) || buf_add(html, "", 1);
	json_decref(n);
	return rc ? -1 : 0;
}

/* Why nothing is sent, or NULL when the message goes. */
static const char *
nothing_to_send(json_t *n)
{
	if (!*config_str("notify_smtp_url"))
		return "aucun serveur de messagerie configuré (notify_smtp_url)";
	if (json_is_true(json_object_get(n, "disabled")))
		return "la personne est désactivée";
	if (!json_array_size(json_object_get(n, "docs")))
		return !strcmp(js(n, "kind"), "digest") ? "plus rien n’attend" :
			"le document n’attend plus cette personne";
	return NULL;
}

/* The exchange's outcome, in a new transaction: sent, refused for good
 * (5xx: the notification fails, the job is done) or given back for a retry
 * (committed now: the worker then rolls its own transaction back and
 * schedules the job again with its backoff). */
static int
record(struct store_conn *c, long long id, const char *mid, int ndocs, int sent, int permanent,
       struct lerr *e)
{
	struct lerr ig;
	char line[1200];

	if (sent)
		return store_notice_record(c, id, "sent", mid, ndocs, NULL, e);
	lerr_oneline(e, line, sizeof(line));
	lerr_clear(&ig);
	if (permanent) {
		log_warn("notification %lld refused for good, not retried: %s", id, line);
		lerr_clear(e);
		return store_notice_record(c, id, "failed", NULL, 0, line, e);
	}
	if (store_notice_record(c, id, "retry", NULL, 0, line, &ig) || store_commit(c, &ig) ||
	    store_begin(c, &ig))
		log_warn("notification %lld: cannot give its lease back (%s); it is sent again when the"
			 " lease ends", id, ig.msg);
	return LERR_UNAVAILABLE;
}

/* The SMTP exchange, run with the worker's database session back in the
 * pool (store_lend). */
struct exchange {
	const struct xmit_mail *m;
	char *mid;
	int permanent;
	struct lerr *e;
};

static int
exchange(void *arg)
{
	struct exchange *x = arg;

	return xmit_mail_send(x->m, x->mid, &x->permanent, x->e);
}

/* Composes in the claiming transaction, commits (the notification and its
 * job are leased), talks to the mail server with no transaction open and
 * the database session back in the pool, then records the outcome in a new
 * transaction. */
static int
send_notice(struct store_conn *c, json_t *n, const char *content, struct lerr *e)
{
	const char *base = config_str("public_url");
	long long id = json_integer_value(json_object_get(n, "id"));
	int ndocs = (int)json_integer_value(json_object_get(n, "total")), mailrc = -1, rc;
	struct buf subject, text, html;
	struct lerr ig;
	char mid[XMIT_MAIL_ID_MAX] = "";

	buf_init(&subject, 1024);
	buf_init(&text, 256 * 1024);
	buf_init(&html, 512 * 1024);
	if (xmit_notice_compose(content, *base ? base : "", &subject, &text, &html)) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot write the notification %lld", id);
		goto out;
	}
	struct xmit_mail m = { .to = js(n, "email"), .to_name = js(n, "name"), .subject = subject.data,
			       .text = text.data, .html = html.data };
	struct exchange x = { .m = &m, .mid = mid, .e = e };
	if ((rc = store_commit(c, e)) || (rc = store_lend(c, exchange, &x, &mailrc, &ig)) ||
	    (rc = store_begin(c, &ig))) {
		if (rc && !e->kind)
			*e = ig;
		goto out;            /* not recorded: the lease ends and it is sent again */
	}
	rc = record(c, id, mid, ndocs, !mailrc, x.permanent, e);
	if (!rc && !mailrc)
		log_info("notification %lld (%s) sent to %s as %s", id, js(n, "kind"), m.to, mid);
out:
	buf_fini(&html);
	buf_fini(&text);
	buf_fini(&subject);
	return rc;
}

/* Another worker holds the lease (the job was started again by hand during
 * a send): nothing is sent; the job is tried again after the backoff. */
static int
held(json_t *n, struct lerr *e)
{
	lerr_set(e, LERR_CONFLICT, NULL, "notification %lld is being sent by another worker",
		 (long long)json_integer_value(json_object_get(n, "id")));
	lerr_detail(e, "its lease ends at %s", js(n, "leased_until"));
	return LERR_CONFLICT;
}

int
xmit_notice_job(struct store_conn *c, const struct job *j, struct lerr *e)
{
	int lease = (int)config_int("notify_smtp_timeout") + NOTICE_LEASE_MARGIN_S;
	char *content = NULL;
	const char *why;
	json_t *n;
	int rc = store_notice_claim(c, j->id, lease, &content, e);

	if (rc == LERR_NOTFOUND) {
		lerr_clear(e);
		return 0;                    /* sent, skipped or failed already: nothing to do */
	}
	if (rc)
		return rc;
	if (!(n = json_loads(content, 0, NULL))) {
		free(content);
		return lerr_set(e, LERR_INTERNAL, NULL, "notification content is not JSON");
	}
	if (json_object_get(n, "leased_until"))
		rc = held(n, e);
	else if ((why = nothing_to_send(n)))
		rc = store_notice_skipped(c, json_integer_value(json_object_get(n, "id")), why, e);
	else
		rc = send_notice(c, n, content, e);
	json_decref(n);
	free(content);
	return rc;
}

int
xmit_notice_periodic(struct store_conn *c, struct lerr *e)
{
	static atomic_llong next;
	long long now = (long long)time(NULL), due = atomic_load(&next);
	int planned = 0, rc;

	if (!*config_str("notify_smtp_url") || now < due || !atomic_compare_exchange_strong(&next, &due, now + 10))
		return 0;
	rc = store_notice_plan_digests(c, (int)config_int("notify_digest_hour"), config_str("notify_timezone"),
				       &planned, e);
	if (!rc && planned)
		log_info("notifications: %d daily digest%s planned", planned, planned == 1 ? "" : "s");
	return rc;
}

static int
bad_key(struct lerr *e, const char *key, const char *msg, const char *hint)
{
	lerr_set(e, LERR_INVALID, key, "%s", msg);
	lerr_hint(e, "%s", hint);
	return LERR_INVALID;
}

static int
credentials_ok(struct lerr *e)
{
	const char *file = config_str("notify_smtp_credentials_file");
	char secret[1024], *nl;
	int rc;

	if (!*file || (rc = config_read_secret(file, secret, sizeof(secret), e)))
		return *file ? rc : 0;
	nl = strchr(secret, '\n');
	rc = !nl || nl == secret || !nl[1];
	explicit_bzero(secret, sizeof(secret));
	return rc ? bad_key(e, "notify_smtp_credentials_file", "the SMTP credentials file does not hold a user"
			    " name and a password", "write the user name on the first line and the password on"
			    " the second") : 0;
}

int
xmit_notice_config_check(int read_secrets, struct lerr *e)
{
	const char *url = config_str("notify_smtp_url"), *tz = config_str("notify_timezone");
	long long hour = config_int("notify_digest_hour");
	char zone[512];

	if (hour < 0 || hour > 23)
		return bad_key(e, "notify_digest_hour", "notify_digest_hour must be an hour from 0 to 23",
			       "8 sends the digests between 8:00 and 8:59");
	if (!*url)
		return 0;
	snprintf(zone, sizeof(zone), "/usr/share/zoneinfo/%s", tz);
	if (strcmp(tz, "UTC") && (!*tz || strstr(tz, "..") || access(zone, R_OK)))
		return bad_key(e, "notify_timezone", "notify_timezone is not a known time zone",
			       "use a name of the tz database such as Europe/Paris or UTC");
	if (strncmp(url, "smtp://", 7) && strncmp(url, "smtps://", 8))
		return bad_key(e, "notify_smtp_url", "notify_smtp_url must start with smtp:// or smtps://",
			       "smtp://host:587 (STARTTLS) or smtps://host:465");
	if (!xmit_mail_addr_ok(config_str("notify_from")))
		return bad_key(e, "notify_from", "notify_from must be the sender's e-mail address when"
			       " notify_smtp_url is set", "set notify_from = parapheur@your-domain");
	return read_secrets ? credentials_ok(e) : 0;
}
