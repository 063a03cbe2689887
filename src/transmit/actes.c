/*
 * actes.c - the @ctes platform: the archive (envelope EnveloppeCLMISILL, the
 * ISO-8859-1 actes:Acte message, the PDFs, tar.gz), sent by HTTPS POST
 * (multipart) with the transmitter's client certificate, peer and host
 * verified and the server key pinned.  Returns come by e-mail (imap.c).
 *
 * Names (DESIGN.md):
 *   stem      <DDD>-<SIREN>-<YYYYMMDD decision>-<NUMERO>-<NN>   (the IDActe)
 *   message   <stem>-1-1_0.xml
 *   files     <CodeTypePJ>-<stem>-1-1_<n>.<ext>, n = 1 the act, 2.. annexes
 *   envelope  EACT--<SIREN>--<YYYYMMDD sent>-<serial>.xml (TACT when test=1)
 *   archive   <trigramme>-<envelope basename>.tar.gz
 *
 * Settings (liasse connector set --kind actes): url, cert, key, cacert, pin
 * (sha256//... of the server key), trigramme (default LIA), test, email
 * (AdressesRetour, required: no default), referent_nom, referent_telephone, referent_email,
 * classification_date, field (multipart field, default: the archive name),
 * reconcile_wait, and the IMAP keys of imap.c.  ClassificationDateVersion is
 * the date of the organisation's classification (7-2) when one was received,
 * else classification_date, else today.
 */
#include "transmit/xmit_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/log.h"

#define ACTES_MAX_FILES 210
#define MSG_MAX (1u << 20)

struct piece {
	int n, role;                  /* role: 0 act, 1 annexe, 2 signature of the act, 3 of an annexe */
	int sig1;                     /* an annexe: 1 + the index of its signature piece, 0 if none */
	long long blob, size;
	int nchunks;
	char name[200];               /* in the archive */
	char type[8];
};

struct acte_build {
	struct xmit_job *x;
	json_t *meta;
	char stem[96], env[96];
	struct piece p[ACTES_MAX_FILES];
	char class_date[11];          /* the organisation's DateClassification, "" if none */
	int np, annexes;
	int sig;                      /* index of the signature piece, -1 */
	struct lerr *e;
};

/* ---- names ---- */

static const char *
ext_of(const char *media_type)
{
	if (!strcmp(media_type, "application/pdf"))
		return "pdf";
	if (!strcmp(media_type, "image/png"))
		return "png";
	if (!strcmp(media_type, "image/jpeg"))
		return "jpg";
	return "xml";
}

static int
make_stem(struct acte_build *b)
{
	const char *date = json_string_value(json_object_get(b->meta, "date_decision"));
	const char *num = json_string_value(json_object_get(b->meta, "numero_interne"));
	const char *nn = json_string_value(json_object_get(b->meta, "nature_code"));
	char ymd[9] = "";

	if (!date || strlen(date) != 10 || !num || !nn || !b->x->org.departement[0])
		return lerr_set(b->e, LERR_INVALID, NULL, "the act lacks its date, number, nature or département");
	snprintf(ymd, sizeof(ymd), "%.4s%.2s%.2s", date, date + 5, date + 8);
	snprintf(b->stem, sizeof(b->stem), "%s-%s-%s-%s-%s", b->x->org.departement, b->x->t.siren, ymd, num, nn);
	return 0;
}

/* The envelope name: kept in remote_name once given, so a resend is the
 * same archive. */
int
xmit_actes_names(struct xmit_job *x, char *env, size_t envsz, struct lerr *e)
{
	const char *tri = xmit_setting(x->settings, "trigramme", "LIA");
	const char *kind = !strcmp(xmit_setting(x->settings, "test", "0"), "1") ? "TACT" : "EACT";
	long long n = 0;
	char day[9];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	if (x->t.remote_name[0]) {
		const char *dash = strchr(x->t.remote_name, '-');
		size_t len = strlen(x->t.remote_name);

		snprintf(env, envsz, "%.*s.xml", (int)(len - (size_t)(dash - x->t.remote_name) - 8), dash + 1);
		return 0;
	}
	if ((rc = store_xmit_counter(x->c, x->t.org_id, "actes", &n, e)))
		return rc;
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	snprintf(env, envsz, "%s--%s--%s-%lld.xml", kind, x->t.siren, day, n);
	snprintf(x->t.remote_name, sizeof(x->t.remote_name), "%s-%.*s.tar.gz", tri, (int)strlen(env) - 4, env);
	return 0;
}

static const char *
annexe_type(struct acte_build *b, int k)
{
	json_t *types = json_object_get(b->meta, "annexes_types");
	const char *t = json_string_value(json_array_get(types, (size_t)k));

	return t ? t : json_string_value(json_object_get(b->meta, "type_piece"));
}

static void
add_piece(void *arg, int n, const char *role, const char *name, const char *type, long long blob,
	  long long size, int nchunks)
{
	struct acte_build *b = arg;
	struct piece *p;
	char nm[200];
	int kind = !strcmp(role, "main") || !strcmp(role, "signed") ? 0 : !strcmp(role, "annexe") ? 1 :
		   !strcmp(role, "signature") ? 2 : !strcmp(role, "annexe_signature") ? 3 : -1;

	(void)name;
	if (kind < 0 || b->np >= ACTES_MAX_FILES)
		return;
	p = &b->p[b->np];
	for (int i = 0; kind == 0 && i < b->np; i++)
		if (b->p[i].role == 0) {        /* PAdES: the signed PDF is the act itself */
			b->p[i].blob = blob;
			b->p[i].size = size;
			b->p[i].nchunks = nchunks;
			return;
		}
	*p = (struct piece){ .n = n, .role = kind, .blob = blob, .size = size, .nchunks = nchunks };
	snprintf(p->type, sizeof(p->type), "%s", ext_of(type));
	if (kind == 0) {
		snprintf(nm, sizeof(nm), "%s-%s-1-1_1.%s",
			 json_string_value(json_object_get(b->meta, "type_piece")), b->stem, p->type);
	} else if (kind == 1) {
		snprintf(nm, sizeof(nm), "%s-%s-1-1_%d.%s", annexe_type(b, b->annexes), b->stem,
			 b->annexes + 2, p->type);
		b->annexes++;
	} else if (kind == 3) {   /* the vendor's signature of the annexe just before it */
		nm[0] = '\0';
		if (b->np > 0 && b->p[b->np - 1].role == 1)
			b->p[b->np - 1].sig1 = b->np + 1;
	} else {
		nm[0] = '\0';
		b->sig = b->np;
	}
	memcpy(p->name, nm, sizeof(p->name));
	b->np++;
}

/* ---- the XML ---- */

static int
esc(struct buf *o, const char *s)
{
	int rc = 0;

	for (; !rc && s && *s; s++) {
		switch (*s) {
		case '&': rc = buf_addstr(o, "&amp;"); break;
		case '<': rc = buf_addstr(o, "&lt;"); break;
		case '>': rc = buf_addstr(o, "&gt;"); break;
		case '"': rc = buf_addstr(o, "&quot;"); break;
		default: rc = buf_add(o, s, 1);
		}
	}
	return rc;
}

#define NS XMIT_ACTES_NS

static void
collect(void *arg, const void *p, size_t n)
{
	struct buf *b = arg;

	if (buf_add(b, p, n))
		b->max = 0;   /* mark: too large */
}

/* The Signature element of a FichierSigne: the PKCS#7 of piece k, base64. */
static int
sig_element(struct acte_build *b, int idx, struct buf *o)
{
	struct piece *s = &b->p[idx];
	struct buf raw;
	int rc;

	buf_init(&raw, 4u << 20);
	if ((rc = xmit_spool_blob(b->x->c, s->blob, s->nchunks, NULL, collect, &raw, b->e)))
		goto out;
	if (!strncmp(raw.data, "-----BEGIN", 10)) {
		char *body = strchr(raw.data, '\n'), *end = strstr(raw.data, "-----END");

		if (!body || !end || end < body) {
			rc = lerr_set(b->e, LERR_INVALID, NULL, "a signature of the act or an annexe is not a PEM PKCS#7");
			goto out;
		}
		rc = buf_addstr(o, "  <actes:Signature>") || buf_add(o, body + 1, (size_t)(end - body - 1)) ||
		     buf_addstr(o, "</actes:Signature>\n");
	} else {
		char *b64 = malloc(raw.len * 4 / 3 + 8);
		size_t k = 0;
		static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

		for (size_t i = 0; b64 && i < raw.len; i += 3) {
			unsigned v = (unsigned char)raw.data[i] << 16 |
				     (i + 1 < raw.len ? (unsigned char)raw.data[i + 1] << 8 : 0) |
				     (i + 2 < raw.len ? (unsigned char)raw.data[i + 2] : 0);
			b64[k++] = tab[v >> 18 & 63];
			b64[k++] = tab[v >> 12 & 63];
			b64[k++] = i + 1 < raw.len ? tab[v >> 6 & 63] : '=';
			b64[k++] = i + 2 < raw.len ? tab[v & 63] : '=';
		}
		rc = !b64 || buf_addstr(o, "  <actes:Signature>") || buf_add(o, b64, k) ||
		     buf_addstr(o, "</actes:Signature>\n");
		free(b64);
	}
	if (rc && !b->e->kind)
		rc = lerr_set(b->e, LERR_INVALID, NULL, "a signature of the act or an annexe is too large");
out:
	buf_fini(&raw);
	return rc;
}

static int
message_xml(struct acte_build *b, struct buf *o)
{
	json_t *m = b->meta;
	const char *cls = json_string_value(json_object_get(m, "classification"));
	const char *cdate = json_string_value(json_object_get(m, "classification_date"));
	char mat[5][4] = { "0", "0", "0", "0", "0" }, today[11];
	int levels = 0, rc;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	for (const char *p = cls; p && *p && levels < 5; levels++) {
		snprintf(mat[levels], sizeof(mat[levels]), "%d", atoi(p));
		p = strchr(p, '.');
		p = p ? p + 1 : NULL;
	}
	rc = buf_printf(o, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<actes:Acte " NS
			" actes:Date=\"%s\" actes:NumeroInterne=\"%s\" actes:CodeNatureActe=\"%lld\">\n",
			json_string_value(json_object_get(m, "date_decision")),
			json_string_value(json_object_get(m, "numero_interne")),
			(long long)json_integer_value(json_object_get(m, "nature")));
	for (int i = 0; !rc && i < (levels > 2 ? levels : 2); i++)
		rc = buf_printf(o, " <actes:CodeMatiere%d actes:CodeMatiere=\"%s\"/>\n", i + 1, mat[i]);
	rc = rc || buf_addstr(o, " <actes:Objet>") || esc(o, json_string_value(json_object_get(m, "objet"))) ||
	     buf_printf(o, "</actes:Objet>\n <actes:ClassificationDateVersion>%s</actes:ClassificationDateVersion>\n",
			b->class_date[0] ? b->class_date : cdate ? cdate :
			xmit_setting(b->x->settings, "classification_date", today));
	for (int i = 0; !rc && i < b->np; i++) {
		if (b->p[i].role != 0)
			continue;
		rc = buf_printf(o, " <actes:Document>\n  <actes:NomFichier>%s</actes:NomFichier>\n", b->p[i].name) ||
		     (b->sig >= 0 && sig_element(b, b->sig, o)) || buf_addstr(o, " </actes:Document>\n");
	}
	rc = rc || buf_printf(o, " <actes:Annexes actes:Nombre=\"%d\">\n", b->annexes);
	for (int i = 0; !rc && i < b->np; i++)
		if (b->p[i].role == 1)
			rc = buf_printf(o, "  <actes:Annexe>\n   <actes:NomFichier>%s</actes:NomFichier>\n", b->p[i].name) ||
			     (b->p[i].sig1 && sig_element(b, b->p[i].sig1 - 1, o)) || buf_addstr(o, "  </actes:Annexe>\n");
	/* DocumentPapier (O/N), after Annexes as the ministry's later schema and
	 * S²LOW write it (doc/actes-message.md). */
	return rc || buf_printf(o, " </actes:Annexes>\n <actes:DocumentPapier>%s</actes:DocumentPapier>\n"
				"</actes:Acte>\n",
				json_is_true(json_object_get(m, "document_papier")) ? "O" : "N");
}

int
xmit_actes_envelope(struct xmit_job *x, const char *form, struct buf *o)
{
	json_t *s = x->settings;
	const char *nom = xmit_setting(s, "referent_nom", NULL), *tel = xmit_setting(s, "referent_telephone", NULL);
	const char *mail = xmit_setting(s, "referent_email", NULL);
	int rc = buf_printf(o, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<actes:EnveloppeCLMISILL " NS ">\n"
			    " <actes:Emetteur>\n  <actes:IDCL insee:SIREN=\"%s\" actes:Departement=\"%s\""
			    " actes:Arrondissement=\"%d\" actes:Nature=\"%02d\"/>\n", x->t.siren,
			    x->org.departement, x->org.arrondissement > 0 ? x->org.arrondissement : 0,
			    x->org.nature_actes > 0 ? x->org.nature_actes : 0);

	if (!rc && (nom || tel || mail)) {
		rc = buf_addstr(o, "  <actes:Referent>\n");
		if (!rc && nom)
			rc = buf_addstr(o, "   <actes:Nom>") || esc(o, nom) || buf_addstr(o, "</actes:Nom>\n");
		if (!rc && tel)
			rc = buf_addstr(o, "   <actes:Telephone>") || esc(o, tel) || buf_addstr(o, "</actes:Telephone>\n");
		if (!rc && mail)
			rc = buf_addstr(o, "   <actes:Email>") || esc(o, mail) || buf_addstr(o, "</actes:Email>\n");
		rc = rc || buf_addstr(o, "  </actes:Referent>\n");
	}
	rc = rc || buf_addstr(o, " </actes:Emetteur>\n <actes:AdressesRetour>\n  <actes:Email>") ||
	     esc(o, xmit_setting(s, "email", "")) ||
	     buf_printf(o, "</actes:Email>\n </actes:AdressesRetour>\n <actes:FormulairesEnvoyes>\n"
			"  <actes:Formulaire>\n   <actes:NomFichier>%s</actes:NomFichier>\n"
			"  </actes:Formulaire>\n </actes:FormulairesEnvoyes>\n</actes:EnveloppeCLMISILL>\n", form);
	return rc;
}

/* One XML member, written in ISO-8859-1. */
int
xmit_actes_add_xml(struct xmit_tgz *t, const char *name, struct buf *utf8, long long mtime, struct lerr *e)
{
	struct buf latin;
	int rc;

	buf_init(&latin, MSG_MAX);
	if (xmit_utf8_to_latin1(utf8->data, &latin)) {
		buf_fini(&latin);
		return lerr_set(e, LERR_INVALID, NULL, "%s has a character ISO-8859-1 cannot write", name);
	}
	rc = xmit_tgz_add(t, name, latin.data, latin.len, mtime, e);
	buf_fini(&latin);
	return rc;
}

static int return_address_check(json_t *settings, int strict, struct lerr *e);

int
xmit_actes_archive_one(struct xmit_job *x, const char *form, struct buf *msg, struct lerr *e)
{
	return xmit_actes_archive_with(x, form, msg, NULL, NULL, e);
}

int
xmit_actes_archive_with(struct xmit_job *x, const char *form, struct buf *msg, xmit_tgz_more_fn *more,
			void *arg, struct lerr *e)
{
	struct xmit_tgz *t = NULL;
	struct buf env;
	char envname[128];
	long long now = (long long)time(NULL);
	int rc;

	buf_init(&env, MSG_MAX);
	if (return_address_check(x->settings, 0, e)) {   /* the 6-1 and 7-1 need one too */
		rc = e->kind = LERR_UNAVAILABLE;
		goto out;
	}
	if ((rc = xmit_actes_names(x, envname, sizeof(envname), e)))
		goto out;
	if (xmit_actes_envelope(x, form, &env)) {
		rc = lerr_set(e, LERR_INVALID, NULL, "the @ctes envelope of %s is too large", form);
		goto out;
	}
	if ((rc = xmit_tgz_open(&t, x->spool, e)) || (rc = xmit_actes_add_xml(t, envname, &env, now, e)) ||
	    (rc = xmit_actes_add_xml(t, form, msg, now, e)) || (more && (rc = more(arg, t, now, e))))
		goto out;
	rc = xmit_tgz_close(t, e);
	t = NULL;
	x->spool_size = ftell(x->spool);
out:
	xmit_tgz_close(t, NULL);
	buf_fini(&env);
	return rc;
}

static int
add_pieces(struct acte_build *b, struct xmit_tgz *t, long long mtime)
{
	int rc = 0;

	for (int i = 0; !rc && i < b->np; i++) {
		struct piece *p = &b->p[i];

		if (p->role < 2)   /* signatures travel in the message */
			rc = xmit_tgz_add_blob(b->x->c, t, p->name, (long long)p->size, p->blob, p->nchunks,
					       mtime, b->e);
	}
	return rc;
}

static int
build(struct acte_build *b)
{
	struct xmit_job *x = b->x;
	struct xmit_tgz *t = NULL;
	struct buf env, msg;
	char form[160];
	long long now = (long long)time(NULL);
	int rc;

	buf_init(&env, MSG_MAX);
	buf_init(&msg, MSG_MAX);
	if ((rc = store_xmit_files(x->c, x->t.doc_id, add_piece, b, b->e)))
		goto out;
	if (b->np == 0 || b->p[0].role != 0) {
		rc = lerr_set(b->e, LERR_INVALID, NULL, "the act has no main PDF");
		goto out;
	}
	snprintf(form, sizeof(form), "%s-1-1_0.xml", b->stem);
	if ((rc = xmit_actes_envelope(x, form, &env)) || (rc = message_xml(b, &msg))) {
		if (!b->e->kind)
			rc = lerr_set(b->e, LERR_INVALID, NULL, "the @ctes message is too large");
		goto out;
	}
	if ((rc = xmit_tgz_open(&t, x->spool, b->e)) || (rc = xmit_actes_add_xml(t, b->env, &env, now, b->e)) ||
	    (rc = xmit_actes_add_xml(t, form, &msg, now, b->e)) || (rc = add_pieces(b, t, now)))
		goto out;
	rc = xmit_tgz_close(t, b->e);
	t = NULL;
	x->spool_size = ftell(x->spool);
out:
	xmit_tgz_close(t, NULL);
	buf_fini(&env);
	buf_fini(&msg);
	return rc;
}

/* The return address (AdressesRetour/Email) is where the prefecture's
 * answers go: without one no return would ever reach the organisation, and
 * there is no default to guess.  The connector test also wants it to look
 * like an address; the send leaves the rest to the platform's XSD. */
static int
return_address_check(json_t *settings, int strict, struct lerr *e)
{
	const char *mail = xmit_setting(settings, "email", NULL);

	if (mail && *mail && (!strict || (strchr(mail, '@') && !strpbrk(mail, " <>\"\r\n"))))
		return 0;
	if (mail && *mail)
		lerr_set(e, LERR_INVALID, "email", "the @ctes return address \"%.200s\" is not an e-mail address",
			 mail);
	else
		lerr_set(e, LERR_INVALID, "email", "the @ctes return address (AdressesRetour) is not configured");
	lerr_hint(e, "liasse connector set --org <SIREN> --kind actes email=<the mailbox the returns reach>");
	return e->kind;
}

static int
actes_prepare(struct xmit_job *x, struct lerr *e)
{
	struct acte_build *b = calloc(1, sizeof(*b));
	json_error_t jerr;
	int rc;

	if (!b)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	b->x = x;
	b->e = e;
	b->sig = -1;
	b->meta = json_loads(x->t.meta_json, 0, &jerr);
	/* A configuration error, not the act's: the job waits for the fix. */
	if (return_address_check(x->settings, 0, e)) {
		e->kind = LERR_UNAVAILABLE;
		json_decref(b->meta);
		free(b);
		return e->kind;
	}
	/* ClassificationDateVersion: the date of the classification the
	 * prefecture sent (7-2), not today's */
	if (!(rc = make_stem(b)) && !(rc = store_org_classification_date(x->c, x->t.org_id, b->class_date, e)) &&
	    !(rc = xmit_actes_names(x, b->env, sizeof(b->env), e)))
		rc = build(b);
	if (!rc) {
		snprintf(x->t.match_key, sizeof(x->t.match_key), "%s", b->stem);
		if (x->spool_size > 150LL << 20)
			rc = lerr_set(e, LERR_INVALID, NULL, "the @ctes archive is over 150 MiB");
	}
	json_decref(b->meta);
	free(b);
	return rc;
}

/* ---- send ---- */

static enum xmit_outcome
actes_send(struct xmit_job *x, struct lerr *e)
{
	struct xmit_curl xc;
	curl_mime *mime = NULL;
	enum xmit_outcome out = XMIT_UNSENT;
	long status = 0;

	if (xmit_curl_open(&xc, x->settings, "", "https", x->timeout_s, 0, e))
		goto out;
	mime = curl_mime_init(xc.h);
	/* the field is named after the archive, as S²LOW posts it */
	if (xmit_mime_spool(mime, xmit_setting(x->settings, "field", x->t.remote_name), x->t.remote_name,
			    "application/x-gzip", x->spool, x->spool_size, e))
		goto out;
	out = xmit_mime_post(&xc, xmit_setting(x->settings, "url", ""), mime, "the POST to @ctes", &status, e);
	if (out == XMIT_SENT && status != 201 && status != 200) {
		out = status >= 400 && status < 500 ? XMIT_REFUSED : status == 504 ? XMIT_UNCERTAIN : XMIT_UNSENT;
		lerr_set(e, out == XMIT_REFUSED ? LERR_INVALID : LERR_UNAVAILABLE, NULL,
			 "@ctes answered HTTP %ld to %s", status, x->t.remote_name);
		lerr_detail(e, "%.300s", xc.body.len ? xc.body.data : "(no body)");
	}
out:
	curl_mime_free(mime);
	xmit_curl_close(&xc);
	return out;
}

/* The platform answers by e-mail only: read the mailbox first; an answer
 * about this act proves it arrived.  Without one, the archive is sent again
 * (the same envelope, which the ministry recognises) only once
 * reconcile_wait has passed since the interrupted send. */
static int
actes_reconcile(struct xmit_job *x, int *found, struct lerr *e)
{
	struct xmit_poll p = { .c = x->c, .org_id = x->t.org_id, .siren = x->t.siren, .settings = x->settings };
	int rc, returns = 0;

	*found = XMIT_UNKNOWN;
	if (xmit_setting(x->settings, "imap_url", NULL) && (rc = xmit_imap_poll(&p, e)))
		return rc;
	if ((rc = store_inbox_count(x->c, x->t.doc_id, &returns, e)))
		return rc;
	if (returns)
		*found = XMIT_THERE;
	else if (x->t.sending_age_s >= xmit_reconcile_wait(x->settings))
		*found = XMIT_ABSENT;
	else
		*found = XMIT_UNKNOWN;
	return 0;
}

static int
actes_test(struct xmit_poll *p, struct lerr *e)
{
	int rc = return_address_check(p->settings, 1, e);

	if (rc)
		return rc;
	p->report(p->arg, "actes", 1, "return address (AdressesRetour) configured");
	rc = xmit_tls_handshake(p->settings, xmit_setting(p->settings, "url", ""), "the TLS handshake with @ctes", e);

	if (!rc)
		p->report(p->arg, "actes", 1, "TLS handshake with the client certificate and pinned key done");
	if (!rc && xmit_setting(p->settings, "imap_url", NULL))
		rc = xmit_imap_test(p, e);
	return rc;
}

/* The returns by e-mail, then the classification request (7-1) when one
 * is due (doc/actes-classification.md). */
static int
actes_poll(struct xmit_poll *p, struct lerr *e)
{
	int rc = xmit_imap_poll(p, e);

	return rc ? rc : xmit_actes_classification_request(p, e);
}

const struct xmit_connector xmit_actes = {
	.name = "actes",
	.prepare = actes_prepare,
	.send = actes_send,
	.reconcile = actes_reconcile,
	.poll = actes_poll,
	.test = actes_test,
};
