/*
 * s2low.c - an S²LOW tiers de télétransmission, for operators that keep
 * their own: liasse hands the act or the PES to it over its HTTP API and
 * follows the transaction's status, as S²LOW's own scripts answer (see
 * doc/s2low.md for the S²LOW and Pastell files each call follows).
 *
 * Every call is authenticated by the client certificate (cert, key; RGS
 * for acts), plus HTTP basic (user, password_file) when several S²LOW
 * users share the certificate.  S²LOW answers HTTP 200 even to a refusal:
 * the answer's text says KO.
 *
 *   test     GET api/test-connexion.php -> "OK"
 *            GET modules/actes/actes_classification_fetch.php?api=1 -> the
 *            RetourClassification XML, or "KO\n<message>" (reported only)
 *   acts     POST modules/actes/actes_transac_create.php (api=1, nature_code,
 *            number, subject, decision_date, en_attente, document_papier,
 *            classif1..5, type_acte, type_pj[], files acte_pdf_file,
 *            acte_pdf_file_sign, acte_attachments[]) -> "OK\n<id>\n" |
 *            "KO\n<message>\n" (ISO-8859-1);
 *            GET modules/actes/actes_transac_get_status.php?transaction=N
 *            -> "OK\n<status>\n<flux retour>": with 4 the ARActe itself;
 *            after 4 (validé, archive states) the ARActe from
 *            modules/actes/actes_transac_get_ARActe.php?id=N
 *   cancel   POST modules/actes/actes_transac_cancel.php (api=1, id) ->
 *            "OK\n<id of the cancellation>\n" (xmit_s2low_cancel(), only for an
 *            act whose status is 4); that transaction's status followed by
 *            the poll: 4 with the ARAnnulation -> cancelled (follow_cancels())
 *   stamped  GET modules/actes/actes_transac_get_files_list.php?transaction=N
 *            -> JSON [{id, name, posted_filename, mimetype, size, sign,
 *            code_pj}] (or "KO\n<message>" before the ARActe), then the act's
 *            PDF stamped by S²LOW from actes_download_file.php?file=ID&
 *            tampon=true (xmit_s2low_stamped(); nothing calls it yet)
 *   prefecture documents (courrier simple, demande de pièces, lettre
 *            d'observations, déféré): GET modules/actes/api/
 *            list_document_prefecture.php -> JSON [{id, type, related_
 *            transaction_id, number, unique_id, last_status_id}] unread;
 *            actes_transac_get_document.php?id=N redirects to
 *            actes_download_file.php?env=E, the archive (tar.gz);
 *            api/document_prefecture_mark_as_read.php?transaction_id=N ->
 *            {"result":"ok"} (xmit_s2low_prefdoc*(), read by the poll:
 *            s2low_letters.c); the answer: POST modules/actes/
 *            actes_transac_reponse_create.php?api=1 -> "OK : id généré : N"
 *            or "KO : <message>" (xmit_s2low_reply(), from letters.c)
 *   returns  GET modules/helios/api/helios_get_list.php -> <liste> of the
 *            unread PES_Retour (<pes_retour><id/><nom/><date/>); the file from
 *            helios_get_retour.php?id=N; helios_change_status.php?id=N marks
 *            it read (xmit_s2low_retour_*(); the poll collects them every
 *            retour_interval seconds: collect_retours())
 *   PES      POST modules/helios/api/helios_importer_fichier.php, the file
 *            in the field "enveloppe" -> <import><id/><resultat/><message/>;
 *            GET modules/helios/api/helios_transac_get_status.php?
 *            transaction=N -> <transaction>...<status>S</status>; once S²LOW
 *            holds the PES_Acquit (4 acquitté, 6 refusé, 8 information
 *            disponible, and the later archive states) it comes from
 *            modules/helios/helios_download_acquit.php?id=N and its EtatAck
 *            decide: every one 1 -> acknowledged, else refused.
 *
 * Settings (--kind s2low): url (https://..., the S²LOW root, ending with
 * "/"), cert, key, cacert, pin, user, password_file, reconcile_wait.
 *
 * Reconciliation: S²LOW answers the transaction number only in the reply to
 * the POST.  A send interrupted before that reply is sent again after
 * reconcile_wait; S²LOW refuses a second act with the same number and a PES
 * with the same SHA-1 (the refusal then fails the document with S²LOW's
 * message, for a human to look at), so nothing is transmitted twice.
 */
#include "transmit/xmit_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/kind.h"
#include "core/log.h"

#define S2LOW_MAX_PARTS 210
#define ANSWER_MAX (4u << 20)
#define RETURN_MAX (64u << 20)

#define P_TEST "api/test-connexion.php"
#define P_CLASSIFICATION "modules/actes/actes_classification_fetch.php?api=1"
#define P_ACTE_POST "modules/actes/actes_transac_create.php"
#define P_ACTE_STATUS "modules/actes/actes_transac_get_status.php?transaction="
#define P_ACTE_ARACTE "modules/actes/actes_transac_get_ARActe.php?id="
#define P_ACTE_CANCEL "modules/actes/actes_transac_cancel.php"
#define P_ACTE_FILES "modules/actes/actes_transac_get_files_list.php?transaction="
#define P_ACTE_FILE "modules/actes/actes_download_file.php?tampon=true&file="
#define P_PES_POST "modules/helios/api/helios_importer_fichier.php"
#define P_PES_STATUS "modules/helios/api/helios_transac_get_status.php?transaction="
#define P_PES_ACQUIT "modules/helios/helios_download_acquit.php?id="
#define P_PREF_LIST "modules/actes/api/list_document_prefecture.php"
#define P_PREF_GET "modules/actes/actes_transac_get_document.php?id="
#define P_PREF_ENVELOPE "modules/actes/actes_download_file.php?env="
#define P_PREF_READ "modules/actes/api/document_prefecture_mark_as_read.php?transaction_id="
#define P_PREF_REPLY "modules/actes/actes_transac_reponse_create.php?api=1"
#define P_RETOUR_LIST "modules/helios/api/helios_get_list.php"
#define P_RETOUR_GET "modules/helios/api/helios_get_retour.php?id="
#define P_RETOUR_READ "modules/helios/api/helios_change_status.php?id="

/* ---- S²LOW's status tables (src/Enum/ActesStatus.php, HeliosStatus.php) ---- */

enum next {
	WAIT,       /* still on its way: ask again later */
	RETURN,     /* the ARActe / PES_Acquit is there: fetch it, it decides */
	REFUSED,    /* refused: the document is refused with S²LOW's words */
	ERROR,      /* S²LOW gave up on it (its message follows the status) */
	GONE,       /* cancelled or destroyed in S²LOW */
	FOREIGN,    /* not a status an act or PES sent by us can have: log it */
};

struct status {
	int code;
	const char *label;
	enum next next;
};

static const struct status actes_status[] = {
	{ -1, "erreur", ERROR }, { 0, "annulé", GONE }, { 1, "posté", WAIT },
	{ 2, "en attente de transmission", WAIT }, { 3, "transmis", WAIT },
	{ 4, "acquittement reçu", RETURN }, { 5, "validé", RETURN }, { 6, "refusé", REFUSED },
	{ 7, "document reçu", FOREIGN }, { 8, "acquittement envoyé", FOREIGN },
	{ 9, "document envoyé", FOREIGN }, { 10, "refus d'envoi", FOREIGN },
	{ 11, "acquittement de document reçu", FOREIGN }, { 12, "envoyé au SAE", RETURN },
	{ 13, "archivé par le SAE", RETURN }, { 14, "erreur lors de l'archivage", RETURN },
	{ 15, "reçu par le SAE", RETURN }, { 16, "détruite", GONE },
	{ 17, "en attente d'être postée", WAIT }, { 18, "en attente d'être signée", WAIT },
	{ 19, "en attente de transmission au SAE", RETURN }, { 20, "erreur lors de l'envoi au SAE", RETURN },
	{ 21, "document reçu (pas d'AR)", FOREIGN }, { 22, "impossible d'envoyer au SAE", RETURN },
	{ 999, "en cours", WAIT },
};

/* A PES has its acquit in S²LOW from 4, 6 or 8 on (ApiHeliosStatusResolver
 * answers 3 while the acquit file cannot be found). */
static const struct status helios_status[] = {
	{ -1, "erreur", ERROR }, { 0, "annulé", GONE }, { 1, "posté", WAIT }, { 2, "en attente", WAIT },
	{ 3, "transmis", WAIT }, { 4, "acquitté", RETURN }, { 5, "validé", RETURN }, { 6, "refusé", RETURN },
	{ 7, "en traitement", WAIT }, { 8, "information disponible", RETURN },
	{ 9, "envoyé au SAE", RETURN }, { 10, "accepté par le SAE", RETURN }, { 11, "refusé par le SAE", RETURN },
	{ 13, "en attente, signé", WAIT }, { 14, "en attente, posté", WAIT },
	{ 19, "en attente de transmission au SAE", RETURN }, { 20, "erreur lors de l'envoi au SAE", RETURN },
	{ 22, "détruite", GONE }, { 24, "transmis sans accusé de réception", WAIT },
};

static const struct status *
status_named(int pes, int code)
{
	const struct status *t = pes ? helios_status : actes_status;
	size_t n = pes ? sizeof(helios_status) / sizeof(*t) : sizeof(actes_status) / sizeof(*t);

	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return &t[i];
	return NULL;
}

/* ---- text from S²LOW ---- */

static int
valid_utf8(const unsigned char *p)
{
	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;

		if (n < 0)
			return 0;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/* UTF-8 that was encoded twice (helios_importer_fichier.php utf8_encode()s
 * a UTF-8 message) decoded once, in place. */
static void
undo_double_utf8(char *s)
{
	struct buf once;

	buf_init(&once, 4096);
	if (xmit_utf8_to_latin1(s, &once) == 0 && buf_add(&once, "", 1) == 0 &&
	    strcmp(once.data, s) && valid_utf8((const unsigned char *)once.data))
		memcpy(s, once.data, once.len);       /* shorter than s */
	buf_fini(&once);
}

/* The entities htmlspecialchars() (S²LOW's get_hecho()) and XML write,
 * decoded in place. */
static void
unescape(char *s)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' }, { "&#039;", '\'' },
		{ "&#39;", '\'' }, { "&apos;", '\'' },
	};
	char *o = s;

	for (const char *p = s; *p;) {
		size_t k = 0;

		if (*p == '&')
			for (; k < sizeof(ents) / sizeof(*ents); k++)
				if (!strncmp(p, ents[k].ent, strlen(ents[k].ent)))
					break;
		if (*p == '&' && k < sizeof(ents) / sizeof(*ents)) {
			*o++ = ents[k].c;
			p += strlen(ents[k].ent);
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
}

/* S²LOW's text answers are ISO-8859-1 (ResponseHelper converts them), with
 * HTML entities; some carry UTF-8 from its database.  UTF-8 either way,
 * decoded, truncated at n. */
static void
to_utf8(const char *in, size_t len, char *out, size_t n)
{
	char tmp[2048];

	snprintf(tmp, sizeof(tmp), "%.*s", (int)(len < sizeof(tmp) ? len : sizeof(tmp) - 1), in);
	unescape(tmp);
	if (valid_utf8((const unsigned char *)tmp)) {
		undo_double_utf8(tmp);
		size_t l = strlen(tmp);

		if (l >= n) {                   /* cut before a whole character */
			l = n - 1;
			while (l && ((unsigned char)tmp[l] & 0xc0) == 0x80)
				l--;
		}
		memcpy(out, tmp, l);
		out[l] = '\0';
	} else
		xmit_latin1_to_utf8(tmp, out, n);
}

/* The text of the first <tag> element of an S²LOW XML answer, decoded;
 * -1 when there is none. */
static int
xml_text(const char *body, const char *tag, char *out, size_t n)
{
	char open[40], raw[2048];
	const char *p;
	size_t len, o = 0;

	snprintf(open, sizeof(open), "<%s>", tag);
	if (!(p = strstr(body, open))) {
		out[0] = '\0';
		return -1;
	}
	p += strlen(open);
	len = strcspn(p, "<");
	o = len < sizeof(raw) ? len : sizeof(raw) - 1;
	memcpy(raw, p, o);
	raw[o] = '\0';
	while (o && (raw[o - 1] == ' ' || raw[o - 1] == '\n' || raw[o - 1] == '\r' || raw[o - 1] == '\t'))
		raw[--o] = '\0';
	to_utf8(raw + strspn(raw, " \r\n\t"), strlen(raw + strspn(raw, " \r\n\t")), out, n);
	return 0;
}

/* Newlines as spaces, none at the end. */
static void
one_line(char *s)
{
	size_t n;

	for (char *p = s; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	for (n = strlen(s); n && s[n - 1] == ' '; n--)
		s[n - 1] = '\0';
}

/* "OK\n..." / "KO\n<message>": 1, 0 or -1 (neither); *rest after the first line. */
static int
text_verdict(const char *body, const char **rest)
{
	int v = !strncmp(body, "OK", 2) ? 1 : !strncmp(body, "KO", 2) ? 0 : -1;

	*rest = body + (v < 0 ? 0 : 2);
	*rest += strspn(*rest, "\r\n");
	return v;
}

/* The refusals that say nothing about the document: our certificate,
 * login or rights; nothing was created, the send may be tried again. */
static int
not_about_document(const char *msg)
{
	return strstr(msg, "authentification") || strstr(msg, "Accès refusé") ||
	       strstr(msg, "Erreur d'initialisation du module") || strstr(msg, "certificat RGS");
}

/* url = the S²LOW root + path + arg (a number: S²LOW's ids are); refused
 * when it does not fit. */
static int
url_of(char *out, size_t n, json_t *settings, const char *path, const char *arg, struct lerr *e)
{
	int len;

	if (arg && (!*arg || strspn(arg, "0123456789") != strlen(arg)))
		return lerr_set(e, LERR_INVALID, NULL, "\"%.64s\" is not an S²LOW id", arg);
	len = snprintf(out, n, "%s%s%s", xmit_setting(settings, "url", ""), path, arg ? arg : "");

	if (len < 0 || (size_t)len >= n)
		return lerr_set(e, LERR_INVALID, "url", "the S²LOW url is too long");
	return 0;
}

/* ---- prepare: the files, spooled ---- */

struct s2low_part {
	FILE *f;
	long long size;
	const char *field;           /* a literal, or fieldbuf */
	char fieldbuf[48];
	char name[256];
	char type[128];
};

struct s2low_parts {
	int n, annexes;
	struct s2low_part p[S2LOW_MAX_PARTS];
};

static void
parts_free(void *arg)
{
	struct s2low_parts *ps = arg;

	for (int i = 0; ps && i < ps->n; i++)
		if (ps->p[i].f)
			fclose(ps->p[i].f);
	free(ps);
}

struct collect {
	struct xmit_job *x;
	struct s2low_parts *ps;
	int rc;
	struct lerr *e;
};

/* S²LOW has two modules: Hélios for the kinds the helios connector carries
 * (PES), @ctes for the others it carries (acts).  From the kinds table. */
static int
helios_side(const char *kind)
{
	return doc_kind_carried_by(doc_kind_get(kind), "helios");
}

/* The form field of a file: a PES goes in "enveloppe" (its signed version
 * replaces the unsigned one); an act's files in S²LOW's act fields. */
static const char *
field_of(const char *kind, int n, const char *role)
{
	if (helios_side(kind))
		return n == 0 || !strcmp(role, "signed") ? "enveloppe" : NULL;
	if (!strcmp(role, "main") || !strcmp(role, "signed"))   /* signed: the PAdES PDF */
		return "acte_pdf_file";
	if (!strcmp(role, "annexe"))
		return "acte_attachments[]";
	if (!strcmp(role, "signature"))
		return "acte_pdf_file_sign";
	if (!strcmp(role, "annexe_signature"))
		return "acte_attachments_sign[]";   /* indexed by take_file() */
	return NULL;
}

/* A file name S²LOW keeps as it is (what Pastell sends for a PES). */
static void
safe_name(char *out, size_t n, const char *name)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < n; i++)
		out[i] = (strchr("._- ", name[i]) || (name[i] >= 'a' && name[i] <= 'z') ||
			  (name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= '0' && name[i] <= '9')) ? name[i] : '_';
	out[i] = '\0';
}

static void
take_file(void *arg, int n, const char *role, const char *name, const char *type, long long blob,
	  long long size, int nchunks)
{
	struct collect *c = arg;
	const char *field = field_of(c->x->t.kind, n, role);
	struct s2low_part *p;

	if (c->rc || !field)
		return;
	if (c->ps->n >= S2LOW_MAX_PARTS) {
		c->rc = lerr_set(c->e, LERR_INVALID, NULL, "over %d files for S²LOW", S2LOW_MAX_PARTS);
		return;
	}
	if (!strcmp(field, "enveloppe") && c->ps->n) {   /* the signed PES replaces the main file */
		fclose(c->ps->p[0].f);
		c->ps->p[0].f = NULL;
		c->ps->n = 0;
	}
	p = &c->ps->p[c->ps->n];
	for (int i = 0; !strcmp(field, "acte_pdf_file") && i < c->ps->n; i++)
		if (!strcmp(c->ps->p[i].field, field)) {     /* the PAdES-signed act replaces it */
			p = &c->ps->p[i];
			fclose(p->f);
			p->f = NULL;
		}
	if (!(p->f = tmpfile())) {
		c->rc = lerr_set(c->e, LERR_INTERNAL, NULL, "cannot create a spool file");
		return;
	}
	if (p == &c->ps->p[c->ps->n])
		c->ps->n++;
	c->ps->annexes += !strcmp(field, "acte_attachments[]");
	p->size = size;
	p->field = field;
	if (!strcmp(field, "acte_attachments_sign[]")) {   /* S²LOW reads it at its annexe's index */
		snprintf(p->fieldbuf, sizeof(p->fieldbuf), "acte_attachments_sign[%d]", c->ps->annexes - 1);
		p->field = p->fieldbuf;
	}
	safe_name(p->name, sizeof(p->name), name);
	snprintf(p->type, sizeof(p->type), "%s", strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789/.+-") ==
		 strlen(type) ? type : "application/octet-stream");
	c->rc = xmit_spool_blob(c->x->c, blob, nchunks, p->f, NULL, NULL, c->e);
	rewind(p->f);
}

static int
s2low_prepare(struct xmit_job *x, struct lerr *e)
{
	struct s2low_parts *ps = calloc(1, sizeof(*ps));
	struct collect c = { .x = x, .ps = ps, .e = e };
	int rc;

	if (!ps)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	x->priv = ps;
	x->priv_free = parts_free;
	if (!x->t.remote_name[0])
		snprintf(x->t.remote_name, sizeof(x->t.remote_name), "s2low-%.36s", x->t.doc_id);
	if ((rc = store_xmit_files(x->c, x->t.doc_id, take_file, &c, e)))
		return rc;
	if (c.rc)
		return c.rc;
	if (ps->n == 0)
		return lerr_set(e, LERR_INVALID, NULL, "the document has no file to transmit");
	return 0;
}

/* ---- send ---- */

static void
field(curl_mime *m, const char *name, const char *value)
{
	curl_mimepart *p = curl_mime_addpart(m);

	curl_mime_name(p, name);
	curl_mime_data(p, value ? value : "", CURL_ZERO_TERMINATED);
}

static void
acte_fields(struct xmit_job *x, curl_mime *m, int annexes)
{
	json_error_t jerr;
	json_t *meta = json_loads(x->t.meta_json, 0, &jerr);
	const char *cls = json_string_value(json_object_get(meta, "classification"));
	json_t *types = json_object_get(meta, "annexes_types");
	struct buf subject;
	char v[32];
	int i = 1;

	field(m, "api", "1");
	snprintf(v, sizeof(v), "%lld", (long long)json_integer_value(json_object_get(meta, "nature")));
	field(m, "nature_code", v);
	field(m, "number", json_string_value(json_object_get(meta, "numero_interne")));
	field(m, "decision_date", json_string_value(json_object_get(meta, "date_decision")));
	/* S²LOW reads the subject in ISO-8859-1 (Pastell utf8_decode()s it) */
	buf_init(&subject, 4096);
	if (xmit_utf8_to_latin1(json_string_value(json_object_get(meta, "objet")) ?
				json_string_value(json_object_get(meta, "objet")) : "", &subject) == 0 &&
	    buf_add(&subject, "", 1) == 0)
		field(m, "subject", subject.data);
	else
		field(m, "subject", json_string_value(json_object_get(meta, "objet")));
	buf_fini(&subject);
	field(m, "type_acte", json_string_value(json_object_get(meta, "type_piece")));
	field(m, "document_papier", json_is_true(json_object_get(meta, "document_papier")) ? "1" : "0");
	field(m, "en_attente", "0");
	for (const char *p = cls; p && *p && i <= 5; i++) {
		static const char *const names[] = { "", "classif1", "classif2", "classif3", "classif4", "classif5" };

		snprintf(v, sizeof(v), "%d", atoi(p));
		field(m, names[i], v);
		p = strchr(p, '.');
		p = p ? p + 1 : NULL;
	}
	/* S²LOW wants the type of each annex (as actes.c: the act's type by default) */
	for (int k = 0; k < annexes; k++) {
		const char *t = json_string_value(json_array_get(types, (size_t)k));

		field(m, "type_pj[]", t ? t : json_string_value(json_object_get(meta, "type_piece")));
	}
	json_decref(meta);
}

/* What S²LOW answered to the POST: its transaction number in id, or why
 * not in msg (UTF-8).  *doc_refused 1 when the refusal is about the
 * document, 0 when it is about us (authentication, rights). */
static int
read_post_answer(const char *body, int pes, char *id, size_t n, char *msg, size_t mn, int *doc_refused)
{
	char resultat[16];
	const char *rest;
	int v;

	id[0] = msg[0] = '\0';
	*doc_refused = 1;
	if (pes && strstr(body, "<import")) {
		xml_text(body, "id", id, n);
		xml_text(body, "message", msg, mn);
		xml_text(body, "resultat", resultat, sizeof(resultat));
		return !strcmp(resultat, "OK") && id[0];
	}
	v = text_verdict(body, &rest);
	if (v == 1) {
		snprintf(id, n, "%.*s", (int)strcspn(rest, "\r\n"), rest);
		return !pes && id[0] && strspn(id, "0123456789") == strlen(id);
	}
	to_utf8(rest, strlen(rest), msg, mn);
	one_line(msg);
	/* a KO in text from the PES import is about authentication or rights */
	*doc_refused = v == 0 && !pes && !not_about_document(msg);
	if (!msg[0])
		snprintf(msg, mn, "unexpected answer: %.200s", body);
	return 0;
}

static enum xmit_outcome
s2low_send(struct xmit_job *x, struct lerr *e)
{
	struct s2low_parts *ps = x->priv;
	int pes = helios_side(x->t.kind), doc_refused;
	struct xmit_curl xc;
	curl_mime *m = NULL;
	enum xmit_outcome out = XMIT_UNSENT;
	char url[1200], msg[600];
	long status = 0;

	if (url_of(url, sizeof(url), x->settings, pes ? P_PES_POST : P_ACTE_POST, NULL, e))
		return XMIT_REFUSED;
	if (xmit_curl_open(&xc, x->settings, "", "https", x->timeout_s, ANSWER_MAX, e))
		goto out;
	m = curl_mime_init(xc.h);
	if (!pes)
		acte_fields(x, m, ps->annexes);
	for (int i = 0; i < ps->n; i++)
		if (xmit_mime_spool(m, ps->p[i].field, ps->p[i].name, ps->p[i].type, ps->p[i].f, ps->p[i].size, e))
			goto out;
	if ((out = xmit_mime_post(&xc, url, m, "the POST to S²LOW", &status, e)) != XMIT_SENT)
		goto out;
	if (status != 200) {
		/* S²LOW answers 200 to its API; anything else is the web server's */
		out = status >= 500 || status == 401 || status == 403 ? XMIT_UNSENT : XMIT_REFUSED;
		lerr_set(e, out == XMIT_REFUSED ? LERR_INVALID : LERR_UNAVAILABLE, NULL, "S²LOW answered HTTP %ld", status);
	} else if (read_post_answer(xc.body.data ? xc.body.data : "", pes, x->t.remote_id, sizeof(x->t.remote_id), msg,
				    sizeof(msg), &doc_refused)) {
		out = XMIT_SENT;
	} else {
		out = doc_refused ? XMIT_REFUSED : XMIT_UNSENT;
		lerr_set(e, doc_refused ? LERR_INVALID : LERR_UNAVAILABLE, NULL, "S²LOW refused the %s",
			 pes ? "PES" : "act");
		lerr_detail(e, "%s", msg);
	}
out:
	curl_mime_free(m);
	xmit_curl_close(&xc);
	return out;
}

static int
s2low_reconcile(struct xmit_job *x, int *found, struct lerr *e)
{
	(void)e;
	if (x->t.remote_id[0])
		*found = XMIT_THERE;
	else
		*found = x->t.sending_age_s >= xmit_reconcile_wait(x->settings) ? XMIT_ABSENT : XMIT_UNKNOWN;
	return 0;
}

/* ---- calls ---- */

/* GET (post NULL) or POST of the url-encoded post; the answer in out. */
static int
call(json_t *s, const char *url, const char *post, struct buf *out, struct lerr *e)
{
	struct xmit_curl xc;
	long status = 0;
	CURLcode cc;
	int rc = xmit_curl_open(&xc, s, "", "https", (long)config_int("transmit_timeout"), out->max, e);

	if (!rc) {
		curl_easy_setopt(xc.h, CURLOPT_URL, url);
		if (post)
			curl_easy_setopt(xc.h, CURLOPT_POSTFIELDS, post);
		cc = curl_easy_perform(xc.h);
		curl_easy_getinfo(xc.h, CURLINFO_RESPONSE_CODE, &status);
		if (cc != CURLE_OK)
			rc = xmit_curl_error(&xc, cc, "asking S²LOW", e);
		else if (status != 200)   /* 302: S²LOW's web pages redirect on error */
			rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW answered HTTP %ld to %s", status, url);
		else if (buf_add(out, xc.body.data ? xc.body.data : "", xc.body.len) || buf_add(out, "", 1))
			rc = lerr_set(e, LERR_TOOLARGE, NULL, "S²LOW's answer is too large");
		else
			out->len--;          /* NUL-terminated, not counted */
	}
	xmit_curl_close(&xc);
	return rc;
}

/* A GET of S²LOW's path with arg (url_of()), the answer in out. */
static int
get(json_t *s, const char *path, const char *arg, struct buf *out, struct lerr *e)
{
	char url[1300];
	int rc = url_of(url, sizeof(url), s, path, arg, e);

	return rc ? rc : call(s, url, NULL, out, e);
}

/* A GET S²LOW answers with a redirection: where to, in location. */
static int
call_redirect(json_t *s, const char *url, char *location, size_t n, struct lerr *e)
{
	struct xmit_curl xc;
	long status = 0;
	char *to = NULL;
	CURLcode cc;
	int rc = xmit_curl_open(&xc, s, "", "https", (long)config_int("transmit_timeout"), ANSWER_MAX, e);

	if (!rc) {
		curl_easy_setopt(xc.h, CURLOPT_URL, url);
		cc = curl_easy_perform(xc.h);
		curl_easy_getinfo(xc.h, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(xc.h, CURLINFO_REDIRECT_URL, &to);
		if (cc != CURLE_OK) {
			rc = xmit_curl_error(&xc, cc, "asking S²LOW", e);
		} else if (status / 100 != 3 || !to) {
			rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW answered HTTP %ld to %s, not a redirection", status, url);
			if (xc.body.len && !buf_add(&xc.body, "", 1)) {
				char msg[600];
				const char *rest;

				text_verdict(xc.body.data, &rest);
				to_utf8(rest, strcspn(rest, "\r\n"), msg, sizeof(msg));
				lerr_detail(e, "%s", msg);
			}
		} else {
			snprintf(location, n, "%s", to);
		}
	}
	xmit_curl_close(&xc);
	return rc;
}

int
xmit_s2low_cancel(json_t *settings, const char *transaction, char *cancel_id, size_t n, struct lerr *e)
{
	char url[1200], post[200], msg[600];
	const char *rest;
	struct buf b;
	int rc;

	buf_init(&b, ANSWER_MAX);
	snprintf(post, sizeof(post), "api=1&id=%.64s", transaction);
	if ((rc = url_of(url, sizeof(url), settings, P_ACTE_CANCEL, NULL, e)) ||
	    (rc = url_of(msg, sizeof(msg), settings, "", transaction, e)) ||
	    (rc = call(settings, url, post, &b, e)))
		goto out;
	if (text_verdict(b.data, &rest) == 1 && rest[0]) {
		snprintf(cancel_id, n, "%.*s", (int)strcspn(rest, "\r\n"), rest);
	} else {
		to_utf8(rest, strcspn(rest, "\r\n"), msg, sizeof(msg));
		rc = lerr_set(e, LERR_INVALID, NULL, "S²LOW refused to cancel transaction %s", transaction);
		lerr_detail(e, "%s", msg);
	}
out:
	buf_fini(&b);
	return rc;
}

/* ---- the act stamped by S²LOW ---- */

/* The id of the act's PDF in S²LOW's list of a transaction's files: the
 * first PDF (the XML message comes before it, the annexes after). */
static int
stamped_file_id(const char *list, char *id, size_t n, struct lerr *e)
{
	json_error_t jerr;
	json_t *files = json_loads(list, 0, &jerr), *f;
	size_t i;
	int rc = 0;

	id[0] = '\0';
	if (!json_is_array(files)) {
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW's list of files is not a JSON array");
		lerr_detail(e, "%.200s", list);
		goto out;
	}
	json_array_foreach(files, i, f) {
		json_t *v = json_object_get(f, "id");

		if (!id[0] && !strcmp(json_string_value(json_object_get(f, "mimetype")) ?
				      json_string_value(json_object_get(f, "mimetype")) : "", "application/pdf")) {
			if (json_is_string(v))
				snprintf(id, n, "%s", json_string_value(v));
			else if (json_is_integer(v))
				snprintf(id, n, "%lld", (long long)json_integer_value(v));
		}
	}
	if (!id[0])
		rc = lerr_set(e, LERR_NOTFOUND, NULL, "S²LOW lists no PDF for the act");
out:
	json_decref(files);
	return rc;
}

int
xmit_s2low_stamped(json_t *settings, const char *transaction, struct buf *pdf, struct lerr *e)
{
	char id[64], msg[600];
	const char *rest;
	struct buf b;
	int rc;

	buf_init(&b, ANSWER_MAX);
	if ((rc = get(settings, P_ACTE_FILES, transaction, &b, e)))
		goto out;
	if (text_verdict(b.data, &rest) == 0) {
		to_utf8(rest, strcspn(rest, "\r\n"), msg, sizeof(msg));
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW gave no files for transaction %s", transaction);
		lerr_detail(e, "%s", msg);
		goto out;
	}
	if ((rc = stamped_file_id(b.data, id, sizeof(id), e)) || (rc = get(settings, P_ACTE_FILE, id, pdf, e)))
		goto out;
	if (pdf->len < 5 || memcmp(pdf->data, "%PDF-", 5))
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW's stamped act is not a PDF");
out:
	buf_fini(&b);
	return rc;
}

/* ---- the prefecture's documents about our acts ---- */

static void
json_field(json_t *o, const char *key, char *out, size_t n)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		snprintf(out, n, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, n, "%lld", (long long)json_integer_value(v));
	else
		out[0] = '\0';
}

int
xmit_s2low_prefdocs(json_t *settings, void (*fn)(void *arg, const struct xmit_s2low_prefdoc *d), void *arg,
		    struct lerr *e)
{
	char msg[600];
	json_error_t jerr;
	json_t *list = NULL, *o;
	const char *rest;
	struct buf b;
	size_t i;
	int rc;

	buf_init(&b, ANSWER_MAX);
	if ((rc = get(settings, P_PREF_LIST, NULL, &b, e)))
		goto out;
	list = json_loads(b.data, 0, &jerr);   /* not inside json_is_array(): a macro that evaluates it twice */
	if (!json_is_array(list)) {
		text_verdict(b.data, &rest);
		to_utf8(rest, strcspn(rest, "\r\n"), msg, sizeof(msg));
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW did not list the prefecture's documents");
		lerr_detail(e, "%s", msg);
		goto out;
	}
	json_array_foreach(list, i, o) {
		struct xmit_s2low_prefdoc d;

		json_field(o, "id", d.id, sizeof(d.id));
		json_field(o, "type", d.type, sizeof(d.type));
		json_field(o, "related_transaction_id", d.related, sizeof(d.related));
		json_field(o, "number", d.number, sizeof(d.number));
		json_field(o, "unique_id", d.unique_id, sizeof(d.unique_id));
		json_field(o, "last_status_id", d.status, sizeof(d.status));
		if (d.id[0])
			fn(arg, &d);
	}
out:
	json_decref(list);
	buf_fini(&b);
	return rc;
}

int
xmit_s2low_prefdoc_get(json_t *settings, const char *id, struct buf *out, struct lerr *e)
{
	char url[1200], to[1200];
	const char *env;
	int rc;

	/* S²LOW redirects to its download of the document's envelope (the
	 * archive): follow it on S²LOW's own url, nowhere else */
	if ((rc = url_of(url, sizeof(url), settings, P_PREF_GET, id, e)) ||
	    (rc = call_redirect(settings, url, to, sizeof(to), e)))
		return rc;
	if (!(env = strstr(to, "actes_download_file.php?env=")))
		return lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW redirected to %.200s, not to the document", to);
	env += strlen("actes_download_file.php?env=");
	snprintf(to, sizeof(to), "%.*s", (int)strspn(env, "0123456789"), env);
	if ((rc = get(settings, P_PREF_ENVELOPE, to, out, e)))
		return rc;
	if (out->len < 2 || (unsigned char)out->data[0] != 0x1f || (unsigned char)out->data[1] != 0x8b)
		return lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW's document %s is not a tar.gz", id);
	return 0;
}

int
xmit_s2low_prefdoc_read(json_t *settings, const char *id, struct lerr *e)
{
	struct buf b;
	int rc;

	buf_init(&b, ANSWER_MAX);
	if (!(rc = get(settings, P_PREF_READ, id, &b, e)) && !strstr(b.data, "\"result\":\"ok\""))
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW did not mark the document %s read", id);
	buf_fini(&b);
	return rc;
}

/* actes_transac_reponse_create.php reads api from the query string only,
 * the rest from the form; it answers "OK : id généré : <id>" or
 * "KO : <message>" (sortir_atrc()), or "KO\n<message>" from
 * Helpers::returnAndExit() (typology missing). */
static enum xmit_outcome
reply_answer(const char *body, char *id, size_t idn, struct lerr *e)
{
	char msg[600];
	const char *rest;
	int v = text_verdict(body, &rest);

	if (v == 1) {
		const char *d = body + strcspn(body, "0123456789");

		snprintf(id, idn, "%.*s", (int)strspn(d, "0123456789"), d);
		if (id[0])
			return XMIT_SENT;
	}
	rest += strspn(rest, " :");
	to_utf8(rest, strlen(rest), msg, sizeof(msg));
	one_line(msg);
	lerr_set(e, v == 0 && !not_about_document(msg) ? LERR_INVALID : LERR_UNAVAILABLE, NULL,
		 "S²LOW refused the answer to the prefecture");
	lerr_detail(e, "%s", msg[0] ? msg : "(no answer)");
	return v == 0 && !not_about_document(msg) ? XMIT_REFUSED : XMIT_UNSENT;
}

enum xmit_outcome
xmit_s2low_reply(json_t *settings, const char *prefdoc, int type_envoie, const char *type_acte,
		 const struct xmit_s2low_file *files, int n, char *id, size_t idn, struct lerr *e)
{
	enum xmit_outcome out = XMIT_UNSENT;
	struct xmit_curl xc;
	curl_mime *m = NULL;
	char url[1200], v[16];
	long status = 0;

	if (url_of(url, sizeof(url), settings, P_PREF_REPLY, NULL, e) || !*prefdoc ||
	    strspn(prefdoc, "0123456789") != strlen(prefdoc))
		return lerr_set(e, LERR_INVALID, NULL, "no S²LOW transaction to answer"), XMIT_REFUSED;
	if (xmit_curl_open(&xc, settings, "", "https", (long)config_int("transmit_timeout"), ANSWER_MAX, e))
		return XMIT_UNSENT;
	m = curl_mime_init(xc.h);
	field(m, "id", prefdoc);
	snprintf(v, sizeof(v), "%d", type_envoie);
	field(m, "type_envoie", v);
	field(m, "type_acte", type_acte);
	for (int i = 0; i < n; i++) {
		if (i)
			field(m, "type_pj[]", type_acte);
		if (xmit_mime_spool(m, i ? "acte_attachments[]" : "acte_pdf_file", files[i].name, "application/pdf",
				    files[i].f, files[i].size, e))
			goto out;
	}
	if ((out = xmit_mime_post(&xc, url, m, "the answer's POST to S²LOW", &status, e)) != XMIT_SENT)
		goto out;
	out = XMIT_UNSENT;
	if (status != 200)
		lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW answered HTTP %ld to the answer", status);
	else if (!buf_add(&xc.body, "", 1))
		out = reply_answer(xc.body.data, id, idn, e);
out:
	curl_mime_free(m);
	xmit_curl_close(&xc);
	return out;
}

/* ---- PES_Retour (the DGFiP's returns S²LOW collected for the organisation) ---- */

/* A "KO" in an S²LOW XML answer: the error with its message. */
static int
xml_ko(const char *body, const char *what, struct lerr *e)
{
	char resultat[16], msg[600];

	if (xml_text(body, "resultat", resultat, sizeof(resultat)) || strcmp(resultat, "KO"))
		return 0;
	xml_text(body, "message", msg, sizeof(msg));
	lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW refused %s", what);
	lerr_detail(e, "%s", msg[0] ? msg : "no message");
	return LERR_UNAVAILABLE;
}

int
xmit_s2low_retours(json_t *settings, void (*fn)(void *arg, const struct xmit_s2low_retour *r), void *arg,
		   struct lerr *e)
{
	struct buf b;
	int rc;

	buf_init(&b, ANSWER_MAX);
	if ((rc = get(settings, P_RETOUR_LIST, NULL, &b, e)))
		goto out;
	if (!strstr(b.data, "<liste")) {
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW's list of PES_Retour is not a <liste>");
		lerr_detail(e, "%.200s", b.data);
		goto out;
	}
	/* the <resultat> of a list is left empty when all went well */
	if ((rc = xml_ko(b.data, "the list of PES_Retour", e)))
		goto out;
	for (char *p = strstr(b.data, "<pes_retour>"); p; p = strstr(p + 1, "<pes_retour>")) {
		struct xmit_s2low_retour r;
		char *end = strstr(p, "</pes_retour>");

		if (!end)
			break;
		*end = '\0';
		xml_text(p, "id", r.id, sizeof(r.id));
		xml_text(p, "nom", r.name, sizeof(r.name));
		xml_text(p, "date", r.date, sizeof(r.date));
		*end = '<';
		if (r.id[0])
			fn(arg, &r);
	}
out:
	buf_fini(&b);
	return rc;
}

int
xmit_s2low_retour_get(json_t *settings, const char *id, struct buf *out, struct lerr *e)
{
	int rc;

	if ((rc = get(settings, P_RETOUR_GET, id, out, e)))
		return rc;
	/* the PES_Retour itself, or S²LOW's <get_retour> saying why not */
	if (strstr(out->data, "<get_retour"))
		return xml_ko(out->data, "the PES_Retour", e) ? LERR_UNAVAILABLE :
		       lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW answered no PES_Retour");
	return 0;
}

int
xmit_s2low_retour_read(json_t *settings, const char *id, struct lerr *e)
{
	char resultat[16];
	struct buf b;
	int rc;

	buf_init(&b, ANSWER_MAX);
	if (!(rc = get(settings, P_RETOUR_READ, id, &b, e)) && !(rc = xml_ko(b.data, "to mark the PES_Retour read", e)) &&
	    (xml_text(b.data, "resultat", resultat, sizeof(resultat)) || strcmp(resultat, "OK")))
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW did not say the PES_Retour is read");
	buf_fini(&b);
	return rc;
}

/* ---- PES_Retour collected on a schedule (issue 12, point 4) ----
 *
 * When the organisation's Hélios connector is S²LOW (kinds.c prefers it),
 * the DGFiP's PES_Retour reach S²LOW, not our response directory: every
 * retour_interval seconds (default 900) the unread ones are listed
 * (helios_get_list.php), each fetched (helios_get_retour.php), kept as a
 * file of the organisation (org_return, the events and webhooks) in its
 * own transaction, then marked read (helios_change_status.php), as Pastell's
 * S2low::getPESRetour() does.  The inbox remembers S²LOW's id: a file whose
 * marking failed is marked again, never stored twice.  An account shared by
 * several organisations lists them all: a PES_Retour whose IdColl is not of
 * this organisation's SIREN stays unread for the other's poll. */

#define RETOURS_PER_POLL 200

struct retours {
	struct xmit_s2low_retour r[RETOURS_PER_POLL];
	int n, more;
};

static void
take_retour(void *arg, const struct xmit_s2low_retour *r)
{
	struct retours *l = arg;

	if (l->n < RETOURS_PER_POLL)
		l->r[l->n++] = *r;
	else
		l->more++;
}

static int
keep_retour(struct xmit_poll *p, const char *source, const struct xmit_s2low_retour *r, const struct buf *data,
	    struct lerr *e)
{
	char name[256];
	int rc;

	safe_name(name, sizeof(name), r->name[0] ? r->name : "PES_Retour.xml");
	rc = store_org_return_add(p->c, p->org_id, "PES_Retour", name, "application/xml", data->data, data->len,
				  source, e);
	if (!rc)
		rc = store_inbox_add(p->c, source, r->id, NULL, "PES_Retour", e);
	if (!rc)
		rc = xmit_poll_commit(p, e);
	if (!rc) {
		log_info("org=%s: PES_Retour %s (S²LOW id %s) collected from S²LOW", p->siren, name, r->id);
		p->handled++;
	}
	return rc;
}

/* One unread PES_Retour: ours and new, kept; ours, marked read. */
static int
one_retour(struct xmit_poll *p, const char *source, const struct xmit_s2low_retour *r, struct lerr *e)
{
	char idcoll[32] = "";
	struct buf data;
	struct lerr why;
	int rc, seen = 0, ours;

	if ((rc = store_inbox_seen(p->c, source, r->id, &seen, e)))
		return rc;
	lerr_clear(&why);
	if (!seen) {
		buf_init(&data, RETURN_MAX);
		if (xmit_s2low_retour_get(p->settings, r->id, &data, &why)) {
			log_warn("org=%s: S²LOW's PES_Retour %s: %s %s", p->siren, r->id, why.msg, why.detail);
			buf_fini(&data);
			return 0;
		}
		ours = xmit_pes_retour(data.data, data.len, idcoll) && strlen(idcoll) >= 9 &&
		       !strncmp(idcoll, p->siren, 9);
		rc = ours ? keep_retour(p, source, r, &data, e) : 0;
		buf_fini(&data);
		if (rc || !ours) {
			if (!ours)
				log_info("org=%s: S²LOW's PES_Retour %s is for IdColl %s, not this organisation",
					 p->siren, r->id, idcoll[0] ? idcoll : "(none)");
			return rc;
		}
	}
	if (xmit_s2low_retour_read(p->settings, r->id, &why))
		log_warn("org=%s: S²LOW did not mark PES_Retour %s read: %s %s", p->siren, r->id, why.msg, why.detail);
	return 0;
}

static int
collect_retours(struct xmit_poll *p, struct lerr *e)
{
	char source[1300];
	struct retours *l;
	struct lerr why;
	int rc, due = 0;

	snprintf(source, sizeof(source), "s2low:%s:%s", p->siren, xmit_setting(p->settings, "url", ""));
	if ((rc = store_inbox_due(p->c, source, atoi(xmit_setting(p->settings, "retour_interval", "900")), &due, e)) ||
	    !due)
		return rc;
	if (!(l = calloc(1, sizeof(*l))))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	lerr_clear(&why);
	if (xmit_s2low_retours(p->settings, take_retour, l, &why))
		log_warn("org=%s: S²LOW's list of PES_Retour: %s %s", p->siren, why.msg, why.detail);
	for (int i = 0; !rc && i < l->n && !xmit_stopping(); i++)
		rc = one_retour(p, source, &l->r[i], e);
	if (l->more)
		log_info("org=%s: %d more PES_Retour in S²LOW, for the next reading", p->siren, l->more);
	free(l);
	return rc;
}

/* ---- poll: the status of each transaction sent ---- */

struct pending {
	int n;
	struct { char doc[37], kind[16], id[64]; } t[500];
};

static void
take_pending(void *arg, const char *doc, const char *kind, const char *id)
{
	struct pending *p = arg;

	if (p->n < 500 && *id) {
		snprintf(p->t[p->n].doc, sizeof(p->t[p->n].doc), "%.36s", doc);
		snprintf(p->t[p->n].kind, sizeof(p->t[p->n].kind), "%.15s", kind);
		snprintf(p->t[p->n].id, sizeof(p->t[p->n].id), "%.63s", id);
		p->n++;
	}
}

/* The status in S²LOW's answer, its message or return (*rest, UTF-8
 * message in msg); 0, or an error when S²LOW said KO. */
static int
status_of(const char *body, int pes, int *st, const char **rest, char *msg, size_t n, struct lerr *e)
{
	char resultat[16], status[16];

	if (pes) {
		xml_text(body, "message", msg, n);
		*rest = "";
		if (xml_text(body, "resultat", resultat, sizeof(resultat)) || strcmp(resultat, "OK") ||
		    xml_text(body, "status", status, sizeof(status)) || !status[0])
			goto ko;
		*st = atoi(status);
		return 0;
	}
	if (text_verdict(body, rest) != 1) {
		to_utf8(*rest, strcspn(*rest, "\r\n"), msg, n);
		goto ko;
	}
	*st = atoi(*rest);
	*rest += strcspn(*rest, "\n");
	*rest += *rest[0] == '\n';
	to_utf8(*rest, strlen(*rest), msg, n);
	return 0;
ko:
	lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW did not give the status");
	lerr_detail(e, "%s", msg[0] ? msg : "unexpected answer");
	return LERR_UNAVAILABLE;
}

/* The ARActe or PES_Acquit of a transaction S²LOW says is answered. */
static int
fetch_return(struct xmit_poll *p, const char *doc, const char *id, int pes, int st, const char *rest,
	     struct lerr *e)
{
	char reason[1000], nomfic[128], name[96];
	int rc, accepted = 1;
	struct buf ret;

	buf_init(&ret, RETURN_MAX);
	snprintf(name, sizeof(name), "%s-%.63s.xml", pes ? "PES_Acquit" : "ARActe", id);
	if (!pes && st == 4 && strchr(rest, '<'))       /* the ARActe comes with status 4 */
		rc = buf_add(&ret, rest, strlen(rest)) ? lerr_set(e, LERR_TOOLARGE, NULL, "ARActe too large") : 0;
	else
		rc = get(p->settings, pes ? P_PES_ACQUIT : P_ACTE_ARACTE, id, &ret, e);
	if (rc)
		goto out;
	reason[0] = '\0';
	if (pes && (rc = xmit_acquit_read(ret.data, ret.len, &accepted, reason, sizeof(reason), nomfic, e)))
		goto out;
	if (pes && st == 6 && accepted) {
		accepted = 0;
		snprintf(reason, sizeof(reason), "S²LOW transaction %.63s refusé (status 6)", id);
	}
	rc = xmit_returned(p->c, doc, accepted ? "ack" : "anomaly", name, "application/xml", ret.data, ret.len,
			   accepted, accepted ? NULL : reason, e);
	p->handled++;
out:
	buf_fini(&ret);
	return rc;
}

static int
answer_one(struct xmit_poll *p, const char *doc, const char *kind, const char *id, struct lerr *e)
{
	int pes = helios_side(kind), st = 0, rc;
	const struct status *s;
	const char *rest;
	char msg[900], reason[1100];
	struct buf b;

	buf_init(&b, RETURN_MAX);
	if ((rc = get(p->settings, pes ? P_PES_STATUS : P_ACTE_STATUS, id, &b, e)) ||
	    (rc = status_of(b.data, pes, &st, &rest, msg, sizeof(msg), e)))
		goto out;
	s = status_named(pes, st);
	switch (s ? s->next : FOREIGN) {
	case WAIT:
		break;
	case RETURN:
		rc = fetch_return(p, doc, id, pes, st, rest, e);
		break;
	case REFUSED: case ERROR: case GONE:
		snprintf(reason, sizeof(reason), "S²LOW transaction %.63s %s (status %d)%s%.900s", id, s->label, st,
			 msg[0] && !strchr(msg, '<') ? ": " : "", strchr(msg, '<') ? "" : msg);
		rc = store_xmit_answer(p->c, doc, 0, reason, e);
		p->handled++;
		break;
	case FOREIGN:
		log_warn("doc=%s: S²LOW transaction %s has status %d (%s), not one of a transmitted %s", doc, id, st,
			 s ? s->label : "unknown", pes ? "PES" : "act");
		break;
	}
out:
	buf_fini(&b);
	return rc;
}

/* ---- the annulations S²LOW sent for us ---- */

/* S²LOW's cancellation transaction (actes_transac_cancel.php created it)
 * has a status of its own, read with actes_transac_get_status.php as an
 * act's: when the ARAnnulation comes, S²LOW sets it to 4 with the
 * ARAnnulation as its return, and the act's own transaction to 0 annulé
 * (ActesAnalyseFichierRecuController::traitementARAnnulation()).  4: the
 * 6-2 attached (role cancel_ack), the act cancelled; -1 or 6: the
 * annulation refused, the act acknowledged again; else wait. */
static int
cancel_one(struct xmit_poll *p, const char *doc, const char *id, struct lerr *e)
{
	char msg[900], reason[1100], name[96];
	const struct status *s;
	const char *rest;
	struct buf b;
	int st = 0, rc;

	buf_init(&b, RETURN_MAX);
	if ((rc = get(p->settings, P_ACTE_STATUS, id, &b, e)) ||
	    (rc = status_of(b.data, 0, &st, &rest, msg, sizeof(msg), e)))
		goto out;
	s = status_named(0, st);
	if (st == 4 && strstr(rest, "ARAnnulation")) {
		snprintf(name, sizeof(name), "ARAnnulation-%.63s.xml", id);
		if (!(rc = xmit_returned(p->c, doc, "cancel_ack", name, "application/xml", rest, strlen(rest), -1, NULL,
					 e)))
			rc = store_cancel_answer(p->c, doc, e);
		p->handled++;
	} else if (st == -1 || st == 6) {
		snprintf(reason, sizeof(reason), "S²LOW cancellation %.63s %s (status %d)%s%.900s", id,
			 s ? s->label : "", st, msg[0] && !strchr(msg, '<') ? ": " : "", strchr(msg, '<') ? "" : msg);
		rc = store_cancel_outcome(p->c, doc, "refused", reason, e);
		p->handled++;
	}
out:
	buf_fini(&b);
	return rc;
}

struct cancels {
	struct { char doc[37], id[64]; } k[100];
	int n;
};

static void
take_cancel(void *arg, const char *doc, const char *id)
{
	struct cancels *c = arg;

	if (c->n < 100 && *id) {
		snprintf(c->k[c->n].doc, sizeof(c->k[c->n].doc), "%.36s", doc);
		snprintf(c->k[c->n].id, sizeof(c->k[c->n].id), "%.63s", id);
		c->n++;
	}
}

static int
follow_cancels(struct xmit_poll *p, struct lerr *e)
{
	struct cancels *c = calloc(1, sizeof(*c));
	int rc = c ? store_cancel_s2low_each(p->c, p->org_id, take_cancel, c, e) :
		 lerr_set(e, LERR_INTERNAL, NULL, "out of memory");

	for (int i = 0; !rc && c && i < c->n; i++) {
		struct lerr why;

		lerr_clear(&why);
		if (cancel_one(p, c->k[i].doc, c->k[i].id, &why)) {
			if (why.sqlstate[0])
				rc = (*e = why).kind;
			else
				log_warn("doc=%s: S²LOW cancellation %s: %s %s", c->k[i].doc, c->k[i].id, why.msg,
					 why.detail);
		}
	}
	free(c);
	return rc;
}

/* The organisation's classification, when one is due
 * (store_org_classification_due(): at the first act, on demand, ...):
 * S²LOW keeps the prefecture's last 7-2 and hands it over as is
 * (actes_classification_fetch.php?api=1; "KO" and a message when it has
 * none).  Stored as the 7-2 read by IMAP is (doc/actes-classification.md). */
static int
fetch_classification(struct xmit_poll *p, struct lerr *e)
{
	char *text = NULL;
	const char *rest;
	struct lerr why;
	struct buf b;
	json_t *j = NULL;
	int rc, due = 0;

	if ((rc = store_org_classification_due(p->c, p->org_id, &due, e)) || !due)
		return rc;
	lerr_clear(&why);
	buf_init(&b, RETURN_MAX);
	if (get(p->settings, P_CLASSIFICATION, NULL, &b, &why)) {
		log_warn("org=%s: S²LOW classification: %s %s", p->siren, why.msg, why.detail);
	} else if (text_verdict(b.data, &rest) == 0) {
		log_warn("org=%s: S²LOW has no classification: %.200s", p->siren, rest);
		rc = store_org_classification_requested(p->c, p->org_id, e);
	} else if (xmit_actes_classification_json(b.data, b.len, &j, &why)) {
		log_warn("org=%s: S²LOW classification unreadable: %s %s", p->siren, why.msg, why.detail);
		rc = store_org_classification_requested(p->c, p->org_id, e);
	} else if (!(text = json_dumps(j, JSON_COMPACT))) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	} else if (!(rc = store_org_classification_requested(p->c, p->org_id, e)) &&
		   !(rc = store_org_classification_set(p->c, p->org_id, b.data, b.len, text, e))) {
		log_info("org=%s: classification of %s fetched from S²LOW", p->siren,
			 json_string_value(json_object_get(j, "date")));
	}
	free(text);
	json_decref(j);
	buf_fini(&b);
	return rc;
}

static int
s2low_poll(struct xmit_poll *p, struct lerr *e)
{
	struct pending *pd = calloc(1, sizeof(*pd));
	int rc = pd ? store_xmit_sent_each(p->c, p->org_id, "s2low", take_pending, pd, e) :
		 lerr_set(e, LERR_INTERNAL, NULL, "out of memory");

	for (int i = 0; !rc && pd && i < pd->n; i++) {
		struct lerr why;

		lerr_clear(&why);
		if (answer_one(p, pd->t[i].doc, pd->t[i].kind, pd->t[i].id, &why)) {
			if (why.sqlstate[0]) {
				*e = why;
				rc = why.kind;
			} else {
				log_warn("doc=%s: S²LOW status of transaction %s: %s %s", pd->t[i].doc, pd->t[i].id,
					 why.msg, why.detail);
			}
		}
	}
	free(pd);
	rc = rc ? rc : follow_cancels(p, e);
	rc = rc ? rc : xmit_s2low_letters_poll(p, e);
	rc = rc ? rc : fetch_classification(p, e);
	return rc ? rc : collect_retours(p, e);
}

/* ---- test: S²LOW's own connection test, then the classification ---- */

static void
test_classification(struct xmit_poll *p)
{
	char line[600], date[64];
	const char *rest;
	struct lerr e;
	struct buf b;

	lerr_clear(&e);
	buf_init(&b, RETURN_MAX);
	if (get(p->settings, P_CLASSIFICATION, NULL, &b, &e)) {
		lerr_oneline(&e, line, sizeof(line));
		p->report(p->arg, "s2low", 0, line);
	} else if (text_verdict(b.data, &rest) == 0) {
		to_utf8(rest, strcspn(rest, "\r\n"), date, sizeof(date));
		snprintf(line, sizeof(line), "no @ctes classification: S²LOW answered KO: %s", date);
		p->report(p->arg, "s2low", 0, line);
	} else {
		xml_text(b.data, "actes:DateClassification", date, sizeof(date));
		snprintf(line, sizeof(line), "@ctes classification of %s (%zu bytes)", date[0] ? date : "unknown date",
			 b.len);
		p->report(p->arg, "s2low", 1, line);
	}
	buf_fini(&b);
}

static int
s2low_test(struct xmit_poll *p, struct lerr *e)
{
	char msg[600];
	const char *rest;
	struct buf b;
	int rc;

	buf_init(&b, ANSWER_MAX);
	if ((rc = get(p->settings, P_TEST, NULL, &b, e)))
		goto out;
	if (text_verdict(b.data, &rest) != 1) {
		to_utf8(rest, strcspn(rest, "\r\n"), msg, sizeof(msg));
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW refused the connection test");
		lerr_detail(e, "%s", msg[0] ? msg : "unexpected answer");
		goto out;
	}
	p->report(p->arg, "s2low", 1, "api/test-connexion.php answered OK (client certificate and login accepted)");
	test_classification(p);
out:
	buf_fini(&b);
	return rc;
}

const struct xmit_connector xmit_s2low = {
	.name = "s2low",
	.prepare = s2low_prepare,
	.send = s2low_send,
	.reconcile = s2low_reconcile,
	.poll = s2low_poll,
	.test = s2low_test,
};
