/*
 * s2low.c - an S²LOW-compatible tiers de télétransmission, for operators
 * that keep their own: liasse hands the act or the PES to it over its HTTP
 * API and follows the transaction's status.
 *
 *   acts   POST modules/actes/actes_transac_create.php (api=1, the act's
 *          fields, acte_pdf_file, acte_pdf_file_sign, acte_attachments[])
 *          -> "OK\n<transaction>" | "KO\n<message>";
 *          GET modules/actes/actes_transac_get_status.php?transaction=N
 *          -> "OK\n<status>\n..." (4 acquittement reçu, 6 refusé, -1 erreur);
 *          GET modules/actes/actes_transac_get_ARActe.php?id=N -> the ARActe
 *   PES    POST modules/helios/api/helios_importer_fichier.php (enc_file)
 *          -> <import><id>N</id><resultat>OK</resultat>...;
 *          GET modules/helios/api/helios_transac_get_status.php?transaction=N
 *          -> <transaction><resultat>OK</resultat><status>S</status>...
 *          (4 acquitté, 6 refusé, -1 erreur); the PES_Acquit from
 *          modules/helios/helios_download_acquit.php?id=N
 *
 * Settings (--kind s2low): url (https://..., the S²LOW root, ending with
 * "/"), cert, key (the RGS client certificate S²LOW authenticates), cacert,
 * pin, user, password_file (HTTP basic, when S²LOW asks for a login too),
 * reconcile_wait.
 *
 * Reconciliation: S²LOW answers the transaction number only in the reply to
 * the POST.  A send interrupted before that reply is sent again after
 * reconcile_wait; S²LOW refuses a second act with the same number (the
 * refusal then fails the document with S²LOW's message, for a human to
 * look at), so an act is never transmitted twice.
 */
#include "transmit/xmit_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"

#define S2LOW_MAX_PARTS 210
#define ANSWER_MAX (4u << 20)

struct s2low_part {
	FILE *f;
	long long size;
	char field[32];
	char name[200];
	char type[64];
};

struct s2low_parts {
	int n;
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
	int annexes;
	int rc;
	struct lerr *e;
};

static void
take_file(void *arg, int n, const char *role, const char *name, const char *type, long long blob,
	  long long size, int nchunks)
{
	struct collect *c = arg;
	struct s2low_part *p;
	int pes = !strcmp(c->x->t.kind, "pes");
	const char *field = pes ? (n == 0 || !strcmp(role, "signed") ? "enc_file" : NULL) :
			    !strcmp(role, "main") ? "acte_pdf_file" : !strcmp(role, "annexe") ? "acte_attachments[]" :
			    !strcmp(role, "signature") ? "acte_pdf_file_sign" : NULL;

	if (c->rc || !field || c->ps->n >= S2LOW_MAX_PARTS)
		return;
	if (pes && !strcmp(role, "signed") && c->ps->n) {   /* the signed PES replaces the main file */
		fclose(c->ps->p[0].f);
		c->ps->p[0].f = NULL;
		c->ps->n = 0;
	}
	p = &c->ps->p[c->ps->n];
	if (!(p->f = tmpfile())) {
		c->rc = lerr_set(c->e, LERR_INTERNAL, NULL, "cannot create a spool file");
		return;
	}
	c->ps->n++;
	p->size = size;
	snprintf(p->field, sizeof(p->field), "%s", field);
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->type, sizeof(p->type), "%s", type);
	if (!strcmp(role, "annexe"))
		c->annexes++;
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
		snprintf(x->t.remote_name, sizeof(x->t.remote_name), "s2low-%s", x->t.doc_id);
	if ((rc = store_xmit_files(x->c, x->t.doc_id, take_file, &c, e)))
		return rc;
	if (c.rc)
		return c.rc;
	if (ps->n == 0)
		return lerr_set(e, LERR_INVALID, NULL, "the document has no file to transmit");
	return 0;
}

/* ---- send ---- */

static size_t
read_file(char *p, size_t sz, size_t n, void *arg)
{
	return fread(p, sz, n, (FILE *)arg);
}

static int
seek_file(void *arg, curl_off_t off, int origin)
{
	return fseek((FILE *)arg, (long)off, origin) ? CURL_SEEKFUNC_FAIL : CURL_SEEKFUNC_OK;
}

static void
field(curl_mime *m, const char *name, const char *value)
{
	curl_mimepart *p = curl_mime_addpart(m);

	curl_mime_name(p, name);
	curl_mime_data(p, value, CURL_ZERO_TERMINATED);
}

static void
acte_fields(struct xmit_job *x, curl_mime *m)
{
	json_error_t jerr;
	json_t *meta = json_loads(x->t.meta_json, 0, &jerr);
	const char *cls = json_string_value(json_object_get(meta, "classification"));
	json_t *types = json_object_get(meta, "annexes_types");
	char v[32];
	int i = 1;

	field(m, "api", "1");
	snprintf(v, sizeof(v), "%lld", (long long)json_integer_value(json_object_get(meta, "nature")));
	field(m, "nature_code", v);
	field(m, "number", json_string_value(json_object_get(meta, "numero_interne")));
	field(m, "decision_date", json_string_value(json_object_get(meta, "date_decision")));
	field(m, "subject", json_string_value(json_object_get(meta, "objet")));
	field(m, "type_acte", json_string_value(json_object_get(meta, "type_piece")));
	field(m, "document_papier", json_is_true(json_object_get(meta, "document_papier")) ? "1" : "0");
	field(m, "en_attente", "0");
	for (const char *p = cls; p && *p && i <= 5; i++) {
		char k[24];   /* "classif" and any int: no -Wformat-truncation at -O1 */

		snprintf(k, sizeof(k), "classif%d", i);
		snprintf(v, sizeof(v), "%d", atoi(p));
		field(m, k, v);
		p = strchr(p, '.');
		p = p ? p + 1 : NULL;
	}
	for (size_t k = 0; k < json_array_size(types); k++)
		field(m, "type_pj[]", json_string_value(json_array_get(types, k)));
	json_decref(meta);
}

/* "OK\n<id>" (acts) or <resultat>OK</resultat> ... <id>N</id> (PES). */
static int
read_answer(const char *body, char *id, size_t n, char *msg, size_t mn)
{
	const char *r = strstr(body, "<resultat>"), *i = strstr(body, "<id>"), *m = strstr(body, "<message>");

	id[0] = msg[0] = '\0';
	if (r) {
		if (i)
			snprintf(id, n, "%.*s", (int)strcspn(i + 4, "<"), i + 4);
		if (m)
			snprintf(msg, mn, "%.*s", (int)strcspn(m + 9, "<"), m + 9);
		return !strncmp(r + 10, "OK", 2) && id[0];
	}
	if (!strncmp(body, "OK", 2)) {
		snprintf(id, n, "%.*s", (int)strcspn(body + 3, "\r\n"), body + 3);
		return id[0] != '\0';
	}
	snprintf(msg, mn, "%s", body);
	return 0;
}

static enum xmit_outcome
s2low_send(struct xmit_job *x, struct lerr *e)
{
	struct s2low_parts *ps = x->priv;
	int pes = !strcmp(x->t.kind, "pes");
	struct xmit_curl xc;
	curl_mime *m = NULL;
	enum xmit_outcome out = XMIT_UNSENT;
	char url[1200], msg[600];
	long status = 0;
	CURLcode cc;

	if (xmit_curl_open(&xc, x->settings, "", "https", x->timeout_s, ANSWER_MAX, e))
		goto out;
	m = curl_mime_init(xc.h);
	if (!pes)
		acte_fields(x, m);
	for (int i = 0; i < ps->n; i++) {
		curl_mimepart *p = curl_mime_addpart(m);

		curl_mime_name(p, ps->p[i].field);
		curl_mime_filename(p, ps->p[i].name);
		curl_mime_type(p, ps->p[i].type);
		curl_mime_data_cb(p, (curl_off_t)ps->p[i].size, read_file, seek_file, NULL, ps->p[i].f);
	}
	snprintf(url, sizeof(url), "%s%s", xmit_setting(x->settings, "url", ""),
		 pes ? "modules/helios/api/helios_importer_fichier.php" : "modules/actes/actes_transac_create.php");
	curl_easy_setopt(xc.h, CURLOPT_URL, url);
	curl_easy_setopt(xc.h, CURLOPT_MIMEPOST, m);
	cc = curl_easy_perform(xc.h);
	curl_easy_getinfo(xc.h, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		out = xmit_curl_unsent(cc) ? XMIT_UNSENT : XMIT_UNCERTAIN;
		xmit_curl_error(&xc, cc, "the POST to S²LOW", e);
	} else if (status != 200) {
		out = status >= 500 ? XMIT_UNSENT : XMIT_REFUSED;
		lerr_set(e, out == XMIT_REFUSED ? LERR_INVALID : LERR_UNAVAILABLE, NULL, "S²LOW answered HTTP %ld", status);
	} else if (read_answer(xc.body.data ? xc.body.data : "", x->t.remote_id, sizeof(x->t.remote_id), msg, sizeof(msg))) {
		out = XMIT_SENT;
	} else {
		out = XMIT_REFUSED;
		lerr_set(e, LERR_INVALID, NULL, "S²LOW refused the %s", pes ? "PES" : "act");
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

/* ---- poll: the status of each transaction sent ---- */

static int
get(json_t *s, const char *url, struct buf *out, struct lerr *e)
{
	struct xmit_curl xc;
	long status = 0;
	CURLcode cc;
	int rc = xmit_curl_open(&xc, s, "", "https", (long)config_int("transmit_timeout"), ANSWER_MAX, e);

	if (!rc) {
		curl_easy_setopt(xc.h, CURLOPT_URL, url);
		cc = curl_easy_perform(xc.h);
		curl_easy_getinfo(xc.h, CURLINFO_RESPONSE_CODE, &status);
		if (cc != CURLE_OK)
			rc = xmit_curl_error(&xc, cc, "asking S²LOW", e);
		else if (status != 200)
			rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "S²LOW answered HTTP %ld to %s", status, url);
		else if (buf_add(out, xc.body.data ? xc.body.data : "", xc.body.len))
			rc = lerr_set(e, LERR_TOOLARGE, NULL, "S²LOW's answer is too large");
	}
	xmit_curl_close(&xc);
	return rc;
}

struct pending {
	int n;
	struct { char doc[37], kind[16], id[64]; } t[500];
};

static void
take_pending(void *arg, const char *doc, const char *kind, const char *id)
{
	struct pending *p = arg;

	if (p->n < 500 && *id) {
		snprintf(p->t[p->n].doc, 37, "%s", doc);
		snprintf(p->t[p->n].kind, 16, "%s", kind);
		snprintf(p->t[p->n].id, 64, "%s", id);
		p->n++;
	}
}

static int
status_of(const char *body, int pes, char *rest, size_t n)
{
	const char *s;

	if (pes) {
		s = strstr(body, "<status>");
		if (!s || !strstr(body, "<resultat>OK"))
			return -100;
		const char *m = strstr(body, "<message>");
		snprintf(rest, n, "%.*s", m ? (int)strcspn(m + 9, "<") : 0, m ? m + 9 : "");
		return atoi(s + 8);
	}
	if (strncmp(body, "OK", 2))
		return -100;
	s = body + 3;
	snprintf(rest, n, "%s", strchr(s, '\n') ? strchr(s, '\n') + 1 : "");
	return atoi(s);
}

static int
answer_one(struct xmit_poll *p, const char *doc, const char *kind, const char *id, struct lerr *e)
{
	const char *base = xmit_setting(p->settings, "url", "");
	int pes = !strcmp(kind, "pes"), st, rc, accepted = 0;
	char url[1300], rest[900], reason[1000], nomfic[128], name[96];
	struct buf b, ack;

	buf_init(&b, ANSWER_MAX);
	buf_init(&ack, 64u << 20);
	snprintf(url, sizeof(url), "%s%s%s", base, pes ? "modules/helios/api/helios_transac_get_status.php?transaction=" :
		 "modules/actes/actes_transac_get_status.php?transaction=", id);
	if ((rc = get(p->settings, url, &b, e)))
		goto out;
	st = status_of(b.data, pes, rest, sizeof(rest));
	if (st == -1 || st == 6) {
		snprintf(reason, sizeof(reason), "S²LOW transaction %s %s: %s", id, st == 6 ? "refused" : "in error", rest);
		rc = store_xmit_answer(p->c, doc, 0, reason, e);
	} else if (st == 4) {
		snprintf(url, sizeof(url), "%s%s%s", base, pes ? "modules/helios/helios_download_acquit.php?id=" :
			 "modules/actes/actes_transac_get_ARActe.php?id=", id);
		if ((rc = get(p->settings, url, &ack, e)))
			goto out;
		snprintf(name, sizeof(name), "%s-%s.xml", pes ? "PES_Acquit" : "ARActe", id);
		accepted = 1;
		if (pes && xmit_acquit_read(ack.data, ack.len, &accepted, reason, sizeof(reason), nomfic, e))
			goto out;
		rc = xmit_returned(p->c, doc, accepted ? "ack" : "anomaly", name, "application/xml", ack.data,
				   ack.len, accepted, accepted ? NULL : reason, e);
		p->handled++;
	}
out:
	buf_fini(&b);
	buf_fini(&ack);
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
	return rc;
}

static int
s2low_test(struct xmit_poll *p, struct lerr *e)
{
	struct xmit_curl xc;
	CURLcode cc;
	int rc = xmit_curl_open(&xc, p->settings, "", "https", 20, 0, e);

	if (!rc) {
		curl_easy_setopt(xc.h, CURLOPT_URL, xmit_setting(p->settings, "url", ""));
		curl_easy_setopt(xc.h, CURLOPT_CONNECT_ONLY, 1L);
		if ((cc = curl_easy_perform(xc.h)) != CURLE_OK)
			rc = xmit_curl_error(&xc, cc, "the TLS handshake with S²LOW", e);
		else
			p->report(p->arg, "s2low", 1, "TLS handshake with the client certificate done");
	}
	xmit_curl_close(&xc);
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
