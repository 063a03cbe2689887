/*
 * stamp.c - the stamped act ("acte tamponné"): when the prefecture's ARActe
 * acknowledges an act, its PDF (the PAdES-signed one when there is one) is
 * stamped on its first page as S²LOW stamps it (class/TamponPDF.class.php,
 * called from its actes module with "Envoyé en préfecture le d/m/Y", "Reçu
 * en préfecture le d/m/Y", "Affiché le", "ID : <unique_id>"; doc/pades.md)
 * and kept as a file of the document, role acte_tamponne; each PDF annex
 * is stamped alike (S²LOW's actes_download_file.php stamps every PDF of
 * the envelope with tampon=true) and kept as annexe_tamponnee, with the
 * number of the annex it stamps (document_file.stamps).  pdf/ writes the
 * stamp as an incremental update: the signed revision stays intact.
 */
#include "transmit/xmit_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "core/log.h"
#include "core/spool.h"
#include "core/xmlguard.h"
#include "pdf/pdf.h"

#define ACTES_URI "http://www.interieur.gouv.fr/ACTES#v1.1-20040216"

struct aracte {
	char id[64];            /* IDActe: 0xx-SIREN-AAAAMMJJ-NUMERO-NATURE */
	char received[16];      /* DateReception as dd/mm/yyyy */
};

static int
read_aracte(const void *data, size_t len, struct aracte *a)
{
	struct lerr e;
	xmlDoc *doc;
	xmlNode *root;
	xmlChar *id = NULL, *day = NULL;
	int y, m, d, ok = 0;

	lerr_clear(&e);
	if (xmlguard_check(data, len, XMIT_MAX_XML_RETURN, &e))
		return 0;
	doc = xmlReadMemory(data, (int)len, "aracte.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (root && !strcmp((const char *)root->name, "ARActe") &&
	    (id = xmlGetNsProp(root, BAD_CAST "IDActe", BAD_CAST ACTES_URI)) &&
	    (day = xmlGetNsProp(root, BAD_CAST "DateReception", BAD_CAST ACTES_URI)) &&
	    sscanf((const char *)day, "%4d-%2d-%2d", &y, &m, &d) == 3 && strlen((char *)id) < sizeof(a->id)) {
		snprintf(a->id, sizeof(a->id), "%s", (const char *)id);
		snprintf(a->received, sizeof(a->received), "%02u/%02u/%04u", (unsigned)d % 100u, (unsigned)m % 100u, (unsigned)y % 10000u);
		ok = 1;
	}
	xmlFree(id);
	xmlFree(day);
	xmlFreeDoc(doc);
	return ok;
}

/* One stored file to stamp: the act's PDF or a PDF annex. */
struct target {
	int n;                  /* its file number */
	long long blob;
	int nchunks;
	char name[256];
};

/* The act's PDF (the signed one over the main file), its PDF annexes (in
 * their order: S²LOW stamps the envelope's files whose name ends in .pdf,
 * ActesIncludedFile::sendFile()) and its ARActe (the last file of role
 * ack). */
struct pick {
	struct target act;
	struct target *annex;
	size_t nannex, cap;
	long long ack;
	int ack_chunks, signed_pdf, oom;
};

static void
target_set(struct target *t, int n, const char *name, long long blob_id, int nchunks)
{
	t->n = n;
	t->blob = blob_id;
	t->nchunks = nchunks;
	snprintf(t->name, sizeof(t->name), "%s", name);
}

static void
pick_annex(struct pick *p, int n, const char *name, long long blob_id, int nchunks)
{
	if (p->nannex == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 8;
		struct target *a = realloc(p->annex, cap * sizeof(*a));

		if (!a) {
			p->oom = 1;
			return;
		}
		p->annex = a;
		p->cap = cap;
	}
	target_set(&p->annex[p->nannex++], n, name, blob_id, nchunks);
}

static void
pick_pdf(void *arg, int n, const char *role, const char *name, const char *media_type,
	 long long blob_id, long long size, int nchunks)
{
	struct pick *p = arg;
	int is_signed = !strcmp(role, "signed");

	(void)size;
	if (!strcmp(role, "ack")) {
		p->ack = blob_id;
		p->ack_chunks = nchunks;
		return;
	}
	if (strcmp(media_type, "application/pdf"))
		return;
	if (!strcmp(role, "annexe")) {
		pick_annex(p, n, name, blob_id, nchunks);
		return;
	}
	if ((strcmp(role, "main") && !is_signed) || (p->signed_pdf && !is_signed))
		return;
	target_set(&p->act, n, name, blob_id, nchunks);
	p->signed_pdf = is_signed;
}

static void
append(void *arg, const void *p, size_t n)
{
	if (buf_add(arg, p, n))
		((struct buf *)arg)->len = (size_t)-1 >> 1;     /* marks the overflow */
}

/* What every stamp of the act is made of: the files and S²LOW's lines. */
struct stamping {
	struct pick p;
	char l[4][96];
	const char *lines[4];
	size_t n;
};

/* S²LOW's lines, "Publié le" when the act's publication day is known. */
static int
stamp_lines(struct store_conn *c, const char *doc_id, const struct aracte *a, const char *published,
	    struct stamping *s, struct lerr *e)
{
	char sent[11], day[11] = "";
	int rc = store_xmit_sent_day(c, doc_id, sent, e);

	if (!rc && !published)
		rc = store_doc_published_day(c, doc_id, day, e);
	if (rc)
		return rc;
	snprintf(s->l[0], 96, "Envoyé en préfecture le %s", sent[0] ? sent : a->received);
	snprintf(s->l[1], 96, "Reçu en préfecture le %s", a->received);
	s->n = 2;
	if (published ? published[0] : day[0])
		snprintf(s->l[s->n++], 96, "Publié le %s", published ? published : day);
	snprintf(s->l[s->n++], 96, "ID : %s", a->id);
	for (size_t i = 0; i < 4; i++)
		s->lines[i] = s->l[i];
	return 0;
}

static void
stamped_name(const char *name, char *out, size_t n)
{
	const char *dot = strrchr(name, '.');
	int stem = dot ? (int)(dot - name) : (int)strlen(name);

	snprintf(out, n, "%.*s-tamponne.pdf", stem > 200 ? 200 : stem, name);
}

/* The stored ARActe of the act into a. */
static int
stored_aracte(struct store_conn *c, const struct pick *p, struct aracte *a, struct lerr *e)
{
	struct buf x;
	int rc;

	buf_init(&x, XMIT_MAX_XML_RETURN);
	rc = xmit_spool_blob(c, p->ack, p->ack_chunks, NULL, append, &x, e);
	if (!rc && (x.len > XMIT_MAX_XML_RETURN || !read_aracte(x.data, x.len, a)))
		rc = lerr_set(e, LERR_NOTFOUND, NULL, "the act has no readable acknowledgement (ARActe)");
	buf_fini(&x);
	return rc;
}

/* The act's files and the stamp's lines (ack: the ARActe, else the one
 * stored).  stamping_fini() frees it whatever the result. */
static int
stamping_init(struct store_conn *c, const char *doc_id, const void *ack, size_t acklen,
	      const char *published, struct stamping *s, struct lerr *e)
{
	struct aracte a;
	int rc;

	memset(s, 0, sizeof(*s));
	s->p.act.n = -1;
	if (ack && !read_aracte(ack, acklen, &a))
		return lerr_set(e, LERR_NOTFOUND, NULL, "the acknowledgement is not an ARActe");
	if ((rc = store_xmit_files(c, doc_id, pick_pdf, &s->p, e)))
		return rc;
	if (s->p.oom)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	if (!ack && !s->p.ack)
		return lerr_set(e, LERR_NOTFOUND, NULL, "the act has no acknowledgement (ARActe)");
	if (!ack && (rc = stored_aracte(c, &s->p, &a, e)))
		return rc;
	return stamp_lines(c, doc_id, &a, published, s, e);
}

static void
stamping_fini(struct stamping *s)
{
	free(s->p.annex);
}

/* The file n of the act (-1: the act's PDF) among those to stamp. */
static const struct target *
stamping_target(const struct stamping *s, int n)
{
	if (n < 0)
		return s->p.act.n >= 0 ? &s->p.act : NULL;
	for (size_t i = 0; i < s->p.nannex; i++)
		if (s->p.annex[i].n == n)
			return &s->p.annex[i];
	return NULL;
}

/* One file stamped from file to file into out (neither PDF held in
 * memory: the stored one streamed into a nameless spool file MuPDF reads,
 * the stamp written into out); *olen its length. */
static int
stamp_fd(struct store_conn *c, const struct stamping *s, const struct target *t, int out, size_t *olen,
	 struct lerr *e)
{
	int64_t len = 0;
	int in, rc;

	if ((in = spool_tmpfile(e)) < 0)
		return e->kind;
	if (!(rc = store_blob_to_fd(c, t->blob, t->nchunks, in, &len, e)))
		rc = lpdf_stamp_fd(in, out, s->lines, s->n, olen, e);
	close(in);
	return rc;
}

int
xmit_stamp_make(struct store_conn *c, const char *doc_id, int file, const char *published,
		struct buf *out, char name[256], struct lerr *e)
{
	struct stamping s;
	const struct target *t;
	int fd = -1, rc = stamping_init(c, doc_id, NULL, 0, published, &s, e);
	size_t len = 0;
	char chunk[65536];

	if (!rc && !(t = stamping_target(&s, file)))
		rc = lerr_set(e, LERR_NOTFOUND, NULL, file < 0 ? "the act has no PDF to stamp" : "no PDF annex %d", file);
	if (!rc && (fd = spool_tmpfile(e)) < 0)
		rc = e->kind;
	if (!rc && !(rc = stamp_fd(c, &s, t, fd, &len, e)))
		stamped_name(t->name, name, 256);
	for (size_t at = 0; !rc && at < len; at += sizeof(chunk)) {
		size_t n = len - at < sizeof(chunk) ? len - at : sizeof(chunk);

		if (spool_read_at(fd, chunk, n, (int64_t)at))
			rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "cannot read the stamped file back from spool_dir");
		else if (buf_add(out, chunk, n))
			rc = lerr_set(e, LERR_INVALID, NULL, "the stamped file is too large");
	}
	if (fd >= 0)
		close(fd);
	stamping_fini(&s);
	return rc;
}

/* One file stamped and kept as role (replaced in place when there is one).
 * A PDF MuPDF cannot stamp is logged and skipped: the acknowledgement, the
 * publication and the other files are recorded all the same. */
static int
keep_one(struct store_conn *c, const char *doc_id, const struct stamping *s, const struct target *t,
	 const char *role, struct lerr *e)
{
	char name[256];
	struct lerr se;
	size_t len = 0;
	long long blob = 0;
	int fd = spool_tmpfile(e), rc;

	if (fd < 0)
		return e->kind;
	lerr_clear(&se);
	rc = stamp_fd(c, s, t, fd, &len, &se);
	if (rc == LERR_INVALID || rc == LERR_TOOLARGE) {
		log_warn("doc=%s: file %d (%s) not stamped: %s%s%s", doc_id, t->n, t->name, se.msg,
			 se.detail[0] ? ": " : "", se.detail);
		rc = 0;
	} else if (rc) {
		*e = se;
	} else if (!(rc = store_blob_from_fd(c, fd, (int64_t)len, &blob, e))) {
		stamped_name(t->name, name, sizeof(name));
		rc = store_doc_file_put_blob(c, doc_id, role, name, "application/pdf", blob, t->n, e);
	}
	close(fd);
	return rc;
}

/* Stamps the act as acte_tamponne and each PDF annex as annexe_tamponnee. */
static int
stamp_keep(struct store_conn *c, const char *doc_id, const void *ack, size_t acklen, struct lerr *e)
{
	struct stamping s;
	struct lerr se;
	int rc;

	lerr_clear(&se);
	rc = stamping_init(c, doc_id, ack, acklen, NULL, &s, &se);
	if (rc == LERR_NOTFOUND) {
		log_warn("doc=%s: no stamped act: %s", doc_id, se.msg);
		rc = 0;
	} else if (rc) {
		*e = se;
	} else {
		if (s.p.act.n < 0)
			log_warn("doc=%s: no stamped act: the act has no PDF to stamp", doc_id);
		else
			rc = keep_one(c, doc_id, &s, &s.p.act, "acte_tamponne", e);
		for (size_t i = 0; !rc && i < s.p.nannex; i++)
			rc = keep_one(c, doc_id, &s, &s.p.annex[i], "annexe_tamponnee", e);
	}
	stamping_fini(&s);
	return rc;
}

int
xmit_stamp_acte(struct store_conn *c, const char *doc_id, const void *ack, size_t acklen,
		struct lerr *e)
{
	struct aracte a;

	if (!read_aracte(ack, acklen, &a))
		return 0;
	return stamp_keep(c, doc_id, ack, acklen, e);
}

int
xmit_restamp_acte(struct store_conn *c, const char *doc_id, struct lerr *e)
{
	return stamp_keep(c, doc_id, NULL, 0, e);
}

/* YYYY-MM-DD, digits where digits go, and a day of the calendar. */
static int
day_valid(const char *s)
{
	struct tm tm = { 0 }, g;
	int y, m, d;
	time_t t;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    strspn(s, "0123456789") != 4 || strspn(s + 5, "0123456789") != 2 ||
	    strspn(s + 8, "0123456789") != 2 || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || y < 1900)
		return 0;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &g);
	return g.tm_year == y - 1900 && g.tm_mon == m - 1 && g.tm_mday == d;
}

int
xmit_publish_acte(struct store_conn *c, const char *doc_id, const char *date, const char *actor,
		  struct lerr *e)
{
	int rc;

	if (!day_valid(date)) {
		lerr_set(e, LERR_INVALID, "date", "the publication date must be a day written YYYY-MM-DD");
		lerr_detail(e, "got \"%.40s\"", date ? date : "");
		lerr_hint(e, "give the day the act was published, e.g. {\"date\": \"2026-12-06\"}");
		return LERR_INVALID;
	}
	if ((rc = store_doc_publish(c, doc_id, date, actor, e)))
		return rc;
	return xmit_restamp_acte(c, doc_id, e);
}

int
xmit_publication_day(const char *date, char out[11])
{
	if (!day_valid(date))
		return 0;
	snprintf(out, 11, "%.2s/%.2s/%.4s", date + 8, date + 5, date);
	return 1;
}
