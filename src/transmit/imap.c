/*
 * imap.c - the @ctes returns: the prefecture's messages arrive by e-mail;
 * this reads the mailbox over IMAP (libcurl: UID SEARCH ALL, then each new
 * UID fetched), takes the attachments (XML, tar.gz archives of XML, PDF),
 * and attaches each to its act by IDActe (or the file-name stem
 * DDD-SIREN-YYYYMMDD-NUMERO-NN).  ARActe acknowledges the act; AnomalieActe
 * and AnomalieEnveloppe refuse it; letters (courrier simple, pièces
 * complémentaires, lettre d'observations, déféré) are attached only.
 *
 * Bookkeeping: transmit_inbox, source "imap:<SIREN>:<url>", item the UID
 * (and "<uid>/<file>" for each attachment used); a poll asks only for the
 * UIDs above the highest one read ("UID SEARCH UID n:*").  Messages stay in
 * the mailbox; a poll holds an advisory lock on its source.
 *
 * Settings: imap_url (imap:// or imaps://, with the mailbox: .../INBOX),
 * imap_user, imap_password_file, imap_cacert, imap_pin.
 */
#include "transmit/xmit_int.h"
#include "transmit/mime.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "core/config.h"
#include "core/log.h"
#include "core/xmlguard.h"
#include "core/util.h"

#define MAIL_MAX (160u << 20)
#define SEARCH_MAX (1u << 20)

struct mail_ctx {
	struct xmit_poll *p;
	const char *source;
	unsigned long uid;
	int rc;
	struct lerr *e;
};

static int
imap_handle(struct xmit_curl *xc, json_t *s, const char *url, size_t max, struct lerr *e)
{
	int rc = xmit_curl_open(xc, s, "imap_", "imap,imaps", (long)config_int("transmit_timeout"), max, e);

	if (!rc)
		curl_easy_setopt(xc->h, CURLOPT_URL, url);
	return rc;
}

/* The UIDs from `from` on (1: all). */
static int
search_uids(json_t *s, const char *url, long long from, struct buf *out, struct lerr *e)
{
	struct xmit_curl xc;
	char req[64];
	CURLcode cc;
	int rc = imap_handle(&xc, s, url, SEARCH_MAX, e);

	snprintf(req, sizeof(req), "UID SEARCH UID %lld:*", from > 0 ? from : 1);
	if (!rc) {
		curl_easy_setopt(xc.h, CURLOPT_CUSTOMREQUEST, req);
		if ((cc = curl_easy_perform(xc.h)) != CURLE_OK)
			rc = xmit_curl_error(&xc, cc, "searching the @ctes mailbox", e);
		else if (buf_add(out, xc.body.data, xc.body.len))
			rc = lerr_set(e, LERR_TOOLARGE, NULL, "too many messages in the mailbox");
	}
	xmit_curl_close(&xc);
	return rc;
}

static int
fetch_uid(json_t *s, const char *url, unsigned long uid, struct buf *out, struct lerr *e)
{
	struct xmit_curl xc;
	char u[1200];
	CURLcode cc;
	int rc;

	snprintf(u, sizeof(u), "%.*s;UID=%lu", (int)(strlen(url) - (url[strlen(url) - 1] == '/')), url, uid);
	if ((rc = imap_handle(&xc, s, u, MAIL_MAX, e)))
		goto out;
	if ((cc = curl_easy_perform(xc.h)) != CURLE_OK)
		rc = xmit_curl_error(&xc, cc, "fetching a message of the @ctes mailbox", e);
	else if (buf_add(out, xc.body.data, xc.body.len))
		rc = lerr_set(e, LERR_TOOLARGE, NULL, "message %lu is too large", uid);
out:
	xmit_curl_close(&xc);
	return rc;
}

/* ---- the prefecture's messages ---- */

static const char *
local_attr(xmlNode *n, const char *name)
{
	for (xmlAttr *a = n ? n->properties : NULL; a; a = a->next)
		if (!strcmp((const char *)a->name, name) && a->children)
			return (const char *)a->children->content;
	return NULL;
}

static xmlNode *
find_el(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
		xmlNode *r;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp((const char *)c->name, name))
			return c;
		if ((r = find_el(c, name)))
			return r;
	}
	return NULL;
}

/* DDD-SIREN-YYYYMMDD-NUMERO-NN out of a file name
 * [TYPE-]DDD-SIREN-YYYYMMDD-NUMERO-NN-m-s_n.ext; 0 when it is not one. */
static int
name_stem(const char *name, char *out, size_t n)
{
	const char *p = name, *u;
	int dashes = 0;
	size_t len;

	if (strlen(p) > 6 && p[2] == '_' && p[5] == '-')
		p += 6;
	if (!(u = strrchr(p, '_')))
		return 0;
	for (const char *q = u; q > p; q--)
		if (*q == '-' && ++dashes == 2) {
			len = (size_t)(q - p);
			if (len + 1 > n || len < 20)
				return 0;
			memcpy(out, p, len);
			out[len] = '\0';
			return 1;
		}
	return 0;
}

static void
text_of(xmlNode *n, char *out, size_t sz)
{
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;

	snprintf(out, sz, "%s", t ? (const char *)t : "");
	xmlFree(t);
}

struct verdict {
	const char *role;
	int accepted;        /* 1, 0, -1 (no change) */
	int cancelled;       /* a 6-2 ARAnnulation: the act's annulation acknowledged */
	char class_date[16]; /* an ARActe's ClassificationDateVersionEnCours */
	int about_cancel;    /* an anomaly about a 6-1 Annulation (its form is <IDActe>-6-1_0.xml) */
	char reason[900];
	char key[128];
	/* a letter of the prefecture (doc/actes-letters.md) */
	const char *letter;  /* 2-1 3-1 4-1 5-1, NULL */
	const char *ack_of;  /* an AR of our answer to a 3-1 or 4-1, NULL */
	char date[16];       /* DateCourrierPref, DateDepot */
	char text[2000];     /* DescriptionPieces, Motif, NatureIllegalite */
	json_t *files;       /* the NomFichier it lists */
};

static const char *
letter_code(const char *root)
{
	return !strcmp(root, "CourrierSimple") ? "2-1" : !strcmp(root, "DemandePieceComplementaire") ? "3-1" :
	       !strcmp(root, "LettreObservations") ? "4-1" : !strcmp(root, "DefereTA") ? "5-1" : NULL;
}

static void
list_names(xmlNode *n, json_t *out)
{
	char name[256];

	for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp((const char *)c->name, "NomFichier")) {
			text_of(c, name, sizeof(name));
			json_array_append_new(out, json_string(name));
		} else {
			list_names(c, out);
		}
	}
}

/* What the letter says: its date, its text, its files. */
static void
letter_read(xmlNode *root, struct verdict *v)
{
	const char *d = local_attr(root, "DateCourrierPref");
	xmlNode *t = find_el(root, "DescriptionPieces");

	t = t ? t : find_el(root, "Motif");
	t = t ? t : find_el(root, "NatureIllegalite");
	if (d)
		snprintf(v->date, sizeof(v->date), "%s", d);
	else
		text_of(find_el(root, "DateDepot"), v->date, sizeof(v->date));
	text_of(t, v->text, sizeof(v->text));
	if ((v->files = json_array()))
		list_names(root, v->files);
}

static void
judge(xmlNode *root, const char *name, struct verdict *v)
{
	const char *r = (const char *)root->name, *id = local_attr(root, "IDActe");
	char nature[32], detail[700], nf[256];

	v->role = "letter";
	v->accepted = -1;
	if ((v->letter = letter_code(r)))
		letter_read(root, v);
	v->ack_of = !strcmp(r, "ARPieceComplementaire") ? "3-1" : !strcmp(r, "ARReponseRejetLettreObservations") ?
		    "4-1" : NULL;
	if (v->ack_of) {   /* InfosCourrierPref: the act and the letter answered */
		xmlNode *info = find_el(root, "InfosCourrierPref");

		id = local_attr(info, "IDActe");
		snprintf(v->date, sizeof(v->date), "%s", local_attr(info, "DateCourrierPref") ?
			 local_attr(info, "DateCourrierPref") : "");
	}
	if (!strcmp(r, "ARActe")) {
		v->role = "ack";
		v->accepted = 1;
		text_of(find_el(root, "ClassificationDateVersionEnCours"), v->class_date, sizeof(v->class_date));
	} else if (!strcmp(r, "ARAnnulation")) {
		v->role = "cancel_ack";
		v->cancelled = 1;
	} else if (!strcmp(r, "AnomalieActe") || !strcmp(r, "AnomalieEnveloppe")) {
		v->role = "anomaly";
		v->accepted = 0;
		text_of(find_el(root, "Nature"), nature, sizeof(nature));
		text_of(find_el(root, "Detail"), detail, sizeof(detail));
		snprintf(v->reason, sizeof(v->reason), "%s (nature %s): %s", r, nature, detail);
	}
	if (id)
		snprintf(v->key, sizeof(v->key), "%s", id);
	else if (!name_stem(name, v->key, sizeof(v->key))) {
		text_of(find_el(root, "NomFichier"), nf, sizeof(nf));
		v->about_cancel = v->accepted == 0 && strstr(nf, "-6-1_0.xml") != NULL;
		if (!name_stem(nf, v->key, sizeof(v->key)) && !strncmp(name, "ANO_", 4))
			snprintf(v->key, sizeof(v->key), "%.*s", (int)strlen(name + 4) - 4, name + 4);
	}
}

/* Latin-1 text of the prefecture as UTF-8 for the document's reason. */
static void
reason_utf8(struct verdict *v)
{
	char tmp[sizeof(v->reason) * 2];

	if (utf8_valid(v->reason, strlen(v->reason)))
		return;
	xmit_latin1_to_utf8(v->reason, tmp, sizeof(v->reason));
	memcpy(v->reason, tmp, sizeof(v->reason));
}

/* The SIREN a classification file name carries (DDD-SIREN----7-2_0.xml, as
 * S²LOW names the 7-1 it sends: 001-000000000----7-1_0.xml), "" if none. */
static void
name_siren(const char *name, char siren[10])
{
	const char *d = strchr(name, '-');

	siren[0] = '\0';
	if (d && strspn(d + 1, "0123456789") == 9 && d[10] == '-')
		snprintf(siren, 10, "%.9s", d + 1);
}

/* A 7-2 RetourClassification carries no IDActe: it is the organisation's
 * (the one the file name names, when it names one), whose classification it
 * replaces.  The file stays as received; its JSON goes beside it. */
static int
classification_return(struct xmit_poll *p, const char *name, const void *xml, size_t len,
		      const char *source, const char *item, struct lerr *e)
{
	json_t *j = NULL;
	char siren[10], *text;
	struct lerr why;
	int rc;

	name_siren(name, siren);
	if (siren[0] && strcmp(siren, p->siren))
		return 0;   /* another organisation's, read by its own poll */
	lerr_clear(&why);
	if (xmit_actes_classification_json(xml, len, &j, &why)) {
		log_warn("org=%s: classification %s skipped: %s %s", p->siren, name, why.msg, why.detail);
		return 0;
	}
	text = json_dumps(j, JSON_COMPACT);
	rc = text ? store_org_classification_set(p->c, p->org_id, xml, len, text, e) :
		    lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	if (!rc) {
		log_info("org=%s: classification of %s received (%s, %zu matières)", p->siren,
			 json_string_value(json_object_get(j, "date")), name,
			 json_array_size(json_object_get(j, "matieres")));
		p->handled++;
		rc = store_inbox_add(p->c, source, item, NULL, "RetourClassification", e);
	}
	free(text);
	json_decref(j);
	return rc;
}

/* The platform refused the 6-1: the anomaly attached, the act acknowledged
 * again with the platform's words as its reason. */
static int
cancel_refused(struct xmit_poll *p, const char *doc_id, const char *name, const void *xml, size_t len,
	       struct verdict *v, const char *source, const char *item, struct lerr *e)
{
	int rc;

	reason_utf8(v);
	if ((rc = xmit_returned(p->c, doc_id, "anomaly", name, "application/xml", xml, len, -1, NULL, e)) ||
	    (rc = store_cancel_outcome(p->c, doc_id, "refused", v->reason, e)))
		return rc;
	log_warn("doc=%s: the annulation was refused: %s", doc_id, v->reason);
	p->handled++;
	return store_inbox_add(p->c, source, item, doc_id, "anomaly", e);
}

/* Two transmissions wait for an answer with the same IDActe: attaching it
 * to either would be a guess.  Each document's journal says so, the log too,
 * and the message is kept as read (an administrator settles it). */
static int
ambiguous(struct xmit_poll *p, const char *name, const struct verdict *v, const char *doc_id,
	  const char *other, const char *source, const char *item, struct lerr *e)
{
	json_t *d = json_pack("{s:s, s:s, s:[s, s]}", "name", name, "idacte", v->key, "documents", doc_id, other);
	char *detail = d ? json_dumps(d, JSON_COMPACT) : NULL;
	int rc;

	json_decref(d);
	log_error("org=%s: @ctes message %s (%s) answers two transmissions waiting, documents %s and %s:"
		  " attached to neither", p->siren, name, v->key, doc_id, other);
	if (!detail)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	rc = store_journal(p->c, "transmit", "transmit.return_ambiguous", doc_id, p->org_id, detail, e);
	rc = rc ? rc : store_journal(p->c, "transmit", "transmit.return_ambiguous", other, p->org_id, detail, e);
	free(detail);
	return rc ? rc : store_inbox_add(p->c, source, item, NULL, "ambiguous", e);
}

/* The document an answer is about: an ARActe or an anomaly answers the
 * transmission waiting for it (the latest sent with its IDActe or archive
 * name), not an earlier one of the same act already answered; other
 * messages (letters, late copies) go to the latest transmission with the
 * key.  -1 when the answer was set aside as ambiguous. */
static int
answered(struct xmit_poll *p, const char *name, const struct verdict *v, char doc_id[37],
	 const char *source, const char *item, struct lerr *e)
{
	char other[37] = "";
	int rc;

	if (!v->key[0])
		return 0;
	if (v->accepted >= 0 && !v->about_cancel) {
		if ((rc = store_xmit_find_waiting(p->c, p->org_id, v->key, doc_id, other, e)))
			return rc;
		if (other[0])
			return (rc = ambiguous(p, name, v, doc_id, other, source, item, e)) ? rc : -1;
		if (doc_id[0])
			return 0;
	}
	return store_xmit_find(p->c, p->org_id, v->key, doc_id, e);
}

/* A letter of the prefecture: its row, its event (the vendor's feed and
 * webhooks), its deadline (functions/77_letter.sql). */
static int
letter_record(struct xmit_poll *p, const char *doc_id, const char *name, struct verdict *v, const char *remote,
	      struct lerr *e)
{
	char *files = v->files ? json_dumps(v->files, JSON_COMPACT) : NULL;
	struct letter_in l = { .code = v->letter, .form = name, .idacte = v->key, .date = v->date,
			       .text = v->text, .files_json = files ? files : "[]", .remote_id = remote };
	long long id = 0;
	int rc = store_letter_add(p->c, doc_id, &l, &id, e);

	if (!rc && id)
		log_info("doc=%s: letter %s (%s) of the prefecture received as letter %lld", doc_id, name, v->letter,
			 id);
	free(files);
	return rc;
}

/* An answer read (judge()): attached to its act, the act's state moved. */
static int
judged(struct xmit_poll *p, const char *name, const void *xml, size_t len, struct verdict *vp,
       const char *source, const char *item, struct lerr *e)
{
	struct verdict v = *vp;
	char doc_id[37] = "";
	int rc = 0;

	if ((rc = answered(p, name, &v, doc_id, source, item, e)))
		return rc < 0 ? 0 : rc;
	if (doc_id[0] && v.about_cancel)
		return cancel_refused(p, doc_id, name, xml, len, &v, source, item, e);
	if (!doc_id[0] && v.accepted == 0 && v.key[0]) {   /* an anomaly about an annulation's archive */
		if ((rc = store_cancel_find(p->c, p->org_id, v.key, doc_id, e)))
			return rc;
		if (doc_id[0])
			return cancel_refused(p, doc_id, name, xml, len, &v, source, item, e);
	}
	if (!doc_id[0]) {
		log_warn("org=%s: @ctes message %s (%s) matches no act of this organisation", p->siren, name,
			 v.key[0] ? v.key : "no IDActe");
		return 0;
	}
	if (v.accepted == 0)
		reason_utf8(&v);
	if ((rc = xmit_returned(p->c, doc_id, v.role, name, "application/xml", xml, len, v.accepted,
				v.reason, e)))
		return rc;
	if (v.cancelled && (rc = store_cancel_answer(p->c, doc_id, e)))
		return rc;
	if (v.letter && (rc = letter_record(p, doc_id, name, &v, NULL, e)))
		return rc;
	if (v.ack_of) {
		long long lid = 0;

		if ((rc = store_letter_answer_ack(p->c, doc_id, v.ack_of, v.date, &lid, e)))
			return rc;
		if (lid)
			log_info("doc=%s: the answer to letter %lld acknowledged by %s", doc_id, lid, name);
	}
	if (v.class_date[0]) {   /* the prefecture's classification is later than ours: ask for it */
		int wanted = 0;

		if ((rc = store_org_classification_want(p->c, p->org_id, v.class_date, &wanted, e)))
			return rc;
		if (wanted)
			log_info("org=%s: the prefecture's classification is of %s: requesting it", p->siren,
				 v.class_date);
	}
	p->handled++;
	return store_inbox_add(p->c, source, item, doc_id, (const char *)v.role, e);
}

int
xmit_actes_return(struct xmit_poll *p, const char *name, const void *xml, size_t len, const char *source,
		  const char *item, struct lerr *e)
{
	xmlDoc *doc = NULL;
	xmlNode *root;
	struct verdict v = { .role = NULL };
	struct lerr ge;
	int rc = 0;

	if (xmlguard_check(xml, len, XMIT_MAX_XML_RETURN, &ge)) {
		log_warn("org=%s: @ctes message %s skipped: %s %s", p->siren, name, ge.msg, ge.detail);
		return 0;
	}
	doc = xmlReadMemory(xml, (int)len, name, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || !strncmp((const char *)root->name, "Enveloppe", 9)) {
		xmlFreeDoc(doc);
		return 0;   /* the envelope of the message, or not XML: nothing to attach */
	}
	if (!strcmp((const char *)root->name, "RetourClassification")) {
		xmlFreeDoc(doc);
		return classification_return(p, name, xml, len, source, item, e);
	}
	judge(root, name, &v);
	xmlFreeDoc(doc);
	rc = judged(p, name, xml, len, &v, source, item, e);
	json_decref(v.files);
	return rc;
}

/* One file of a letter S²LOW holds for the act doc_id (s2low_letters.c):
 * attached to it (role 'letter'); its form recorded as a letter whose
 * answer goes back through S²LOW's transaction remote. */
int
xmit_actes_letter_file(struct xmit_poll *p, const char *doc_id, const char *name, const void *data, size_t len,
		       const char *remote, struct lerr *e)
{
	size_t n;

	while (!strncmp(name, "./", 2))   /* tar -C dir . */
		name += 2;
	n = strlen(name);
	xmlDoc *doc = NULL;
	xmlNode *root;
	struct verdict v = { .role = NULL };
	struct lerr ge;
	int rc;

	if (n > 4 && !strcasecmp(name + n - 4, ".pdf"))
		return store_xmit_attach(p->c, doc_id, "letter", name, "application/pdf", data, len, e);
	if (n <= 4 || strcasecmp(name + n - 4, ".xml") || xmlguard_check(data, len, XMIT_MAX_XML_RETURN, &ge))
		return 0;
	doc = xmlReadMemory(data, (int)len, name, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || !strncmp((const char *)root->name, "Enveloppe", 9)) {
		xmlFreeDoc(doc);
		return 0;
	}
	judge(root, name, &v);
	xmlFreeDoc(doc);
	rc = store_xmit_attach(p->c, doc_id, "letter", name, "application/xml", data, len, e);
	if (!rc && v.letter)
		rc = letter_record(p, doc_id, name, &v, remote, e);
	json_decref(v.files);
	return rc;
}

/* A PDF of a letter: attached to the act its name points to. */
static int
pdf_return(struct mail_ctx *m, const char *name, const char *data, size_t len, const char *item)
{
	char key[128], doc[37] = "";
	int rc;

	if (!name_stem(name, key, sizeof(key)))
		return 0;
	if ((rc = store_xmit_find(m->p->c, m->p->org_id, key, doc, m->e)) || !doc[0])
		return rc;
	if ((rc = store_xmit_attach(m->p->c, doc, "letter", name, "application/pdf", data, len, m->e)))
		return rc;
	return store_inbox_add(m->p->c, m->source, item, doc, "letter", m->e);
}

static int
tar_member(void *arg, const char *name, const void *data, size_t len)
{
	struct mail_ctx *m = arg;
	char item[400];

	snprintf(item, sizeof(item), "%lu/%s", m->uid, name);
	if (strlen(name) > 4 && !strcasecmp(name + strlen(name) - 4, ".xml"))
		return xmit_actes_return(m->p, name, data, len, m->source, item, m->e);
	if (strlen(name) > 4 && !strcasecmp(name + strlen(name) - 4, ".pdf"))
		return pdf_return(m, name, data, len, item);
	return 0;
}

/* One attachment of a message (transmit/mime.h): a tar.gz of returns, an
 * XML return or a PDF letter. */
static int
attachment(void *arg, const char *name, const void *data, size_t len)
{
	struct mail_ctx *m = arg;
	size_t n = strlen(name);

	if (!data) {
		log_warn("org=%s: attachment %s of message %lu skipped: not base64", m->p->siren, name, m->uid);
		return 0;
	}
	if ((n > 7 && !strcasecmp(name + n - 7, ".tar.gz")) || (n > 4 && !strcasecmp(name + n - 4, ".tgz")))
		m->rc = xmit_tgz_each(data, len, tar_member, m, m->e);
	else
		m->rc = tar_member(m, name, data, len);
	if (m->rc && !m->e->sqlstate[0]) {
		log_warn("org=%s: attachment %s of message %lu skipped: %s %s", m->p->siren, name, m->uid,
			 m->e->msg, m->e->detail);
		m->rc = 0;
	}
	return m->rc;
}

static int
one_message(struct mail_ctx *m, const char *url)
{
	struct buf mail;
	char item[32];
	int rc, seen = 0;

	snprintf(item, sizeof(item), "%lu", m->uid);
	if ((rc = store_inbox_seen(m->p->c, m->source, item, &seen, m->e)) || seen)
		return rc;
	buf_init(&mail, MAIL_MAX);
	if (!(rc = fetch_uid(m->p->settings, url, m->uid, &mail, m->e))) {
		rc = xmit_mime_each(mail.data, mail.len, attachment, m);
	}
	buf_fini(&mail);
	if (!rc)
		rc = store_inbox_add(m->p->c, m->source, item, NULL, "message", m->e);
	return rc;
}

int
xmit_imap_poll(struct xmit_poll *p, struct lerr *e)
{
	const char *url = xmit_setting(p->settings, "imap_url", NULL);
	char source[1100];
	struct buf list;
	struct mail_ctx m = { .p = p, .source = source, .e = e };
	int rc, got = 0;
	long long last = 0;

	if (!url)
		return 0;
	snprintf(source, sizeof(source), "imap:%s:%s", p->siren, url);
	if ((rc = store_inbox_lock(p->c, source, &got, e)) || !got)
		return rc;   /* another poll reads this mailbox now */
	if ((rc = store_inbox_last_uid(p->c, source, &last, e)))
		return rc;
	buf_init(&list, SEARCH_MAX);
	if (!(rc = search_uids(p->settings, url, last + 1, &list, e))) {
		char *s = strstr(list.data, "SEARCH");

		for (char *q = s ? s + 6 : NULL; !rc && q && *q;) {
			char *end;
			unsigned long uid = strtoul(q, &end, 10);

			if (end == q)
				break;
			q = end;
			m.uid = uid;
			rc = one_message(&m, url);
		}
	}
	buf_fini(&list);
	return rc;
}

int
xmit_imap_test(struct xmit_poll *p, struct lerr *e)
{
	struct buf list;
	int rc;

	buf_init(&list, SEARCH_MAX);
	rc = search_uids(p->settings, xmit_setting(p->settings, "imap_url", ""), 1, &list, e);
	if (!rc)
		p->report(p->arg, "actes", 1, "mailbox opened and searched over IMAP");
	buf_fini(&list);
	return rc;
}
