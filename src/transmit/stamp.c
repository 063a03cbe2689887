/*
 * stamp.c - the stamped act ("acte tamponné"): when the prefecture's ARActe
 * acknowledges an act, its PDF (the PAdES-signed one when there is one) is
 * stamped on its first page as S²LOW stamps it (class/TamponPDF.class.php,
 * called from its actes module with "Envoyé en préfecture le d/m/Y", "Reçu
 * en préfecture le d/m/Y", "Affiché le", "ID : <unique_id>"; doc/pades.md)
 * and kept as a file of the document, role acte_tamponne.  pdf/ writes the
 * stamp as an incremental update: the signed revision stays intact.
 */
#include "transmit/xmit_int.h"

#include <stdio.h>
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

/* The act's PDF (the signed one over the main file) and its ARActe (the
 * last file of role ack). */
struct pick {
	long long blob, ack;
	int nchunks, ack_chunks, signed_pdf;
	char name[256];
};

static void
pick_pdf(void *arg, int n, const char *role, const char *name, const char *media_type,
	 long long blob_id, long long size, int nchunks)
{
	struct pick *p = arg;
	int is_signed = !strcmp(role, "signed");

	(void)n;
	(void)size;
	if (!strcmp(role, "ack")) {
		p->ack = blob_id;
		p->ack_chunks = nchunks;
		return;
	}
	if (strcmp(media_type, "application/pdf") || (strcmp(role, "main") && !is_signed) ||
	    (p->signed_pdf && !is_signed))
		return;
	p->blob = blob_id;
	p->nchunks = nchunks;
	p->signed_pdf = is_signed;
	snprintf(p->name, sizeof(p->name), "%s", name);
}

static void
append(void *arg, const void *p, size_t n)
{
	if (buf_add(arg, p, n))
		((struct buf *)arg)->len = (size_t)-1 >> 1;     /* marks the overflow */
}

/* S²LOW's lines, "Publié le" when the act's publication day is known. */
static int
stamp_lines(struct store_conn *c, const char *doc_id, const struct aracte *a, const char *published,
	    char l[4][96], size_t *n, struct lerr *e)
{
	char sent[11], day[11] = "";
	int rc = store_xmit_sent_day(c, doc_id, sent, e);

	if (!rc && !published)
		rc = store_doc_published_day(c, doc_id, day, e);
	if (rc)
		return rc;
	snprintf(l[0], 96, "Envoyé en préfecture le %s", sent[0] ? sent : a->received);
	snprintf(l[1], 96, "Reçu en préfecture le %s", a->received);
	*n = 2;
	if (published ? published[0] : day[0])
		snprintf(l[(*n)++], 96, "Publié le %s", published ? published : day);
	snprintf(l[(*n)++], 96, "ID : %s", a->id);
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

/* The act stamped from file to file into out (neither PDF held in memory:
 * the stored one streamed into a nameless spool file MuPDF reads, the
 * stamp written into out); *olen its length, name the stamped file's. */
static int
stamp_fd(struct store_conn *c, const char *doc_id, const void *ack, size_t acklen,
	 const char *published, int out, size_t *olen, char name[256], struct lerr *e)
{
	struct aracte a;
	struct pick p = { 0 };
	char l[4][96];
	const char *lines[4] = { l[0], l[1], l[2], l[3] };
	size_t n = 0;
	int64_t len = 0;
	int in, rc;

	if (ack && !read_aracte(ack, acklen, &a))
		return lerr_set(e, LERR_NOTFOUND, NULL, "the acknowledgement is not an ARActe");
	if ((rc = store_xmit_files(c, doc_id, pick_pdf, &p, e)))
		return rc;
	if (!p.blob || (!ack && !p.ack))
		return lerr_set(e, LERR_NOTFOUND, NULL, p.blob ? "the act has no acknowledgement (ARActe)"
				: "the act has no PDF to stamp");
	if ((!ack && (rc = stored_aracte(c, &p, &a, e))) ||
	    (rc = stamp_lines(c, doc_id, &a, published, l, &n, e)))
		return rc;
	if ((in = spool_tmpfile(e)) < 0)
		return e->kind;
	if (!(rc = store_blob_to_fd(c, p.blob, p.nchunks, in, &len, e)))
		rc = lpdf_stamp_fd(in, out, lines, n, olen, e);
	close(in);
	stamped_name(p.name, name, 256);
	return rc;
}

int
xmit_stamp_make(struct store_conn *c, const char *doc_id, const void *ack, size_t acklen,
		const char *published, struct buf *out, char name[256], struct lerr *e)
{
	int fd = spool_tmpfile(e), rc;
	size_t len = 0;
	char chunk[65536];

	if (fd < 0)
		return e->kind;
	rc = stamp_fd(c, doc_id, ack, acklen, published, fd, &len, name, e);
	for (size_t at = 0; !rc && at < len; at += sizeof(chunk)) {
		size_t n = len - at < sizeof(chunk) ? len - at : sizeof(chunk);

		if (spool_read_at(fd, chunk, n, (int64_t)at))
			rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "cannot read the stamped act back from spool_dir");
		else if (buf_add(out, chunk, n))
			rc = lerr_set(e, LERR_INVALID, NULL, "the stamped act is too large");
	}
	close(fd);
	return rc;
}

/* Stamps and keeps the result as the file acte_tamponne (replaced in place
 * when there is one).  A PDF that cannot be stamped is logged: what called
 * (the acknowledgement, the publication) is recorded all the same. */
static int
stamp_keep(struct store_conn *c, const char *doc_id, const void *ack, size_t acklen, struct lerr *e)
{
	char name[256];
	struct lerr se;
	size_t len = 0;
	long long blob = 0;
	int fd = spool_tmpfile(e), rc;

	if (fd < 0)
		return e->kind;
	lerr_clear(&se);
	rc = stamp_fd(c, doc_id, ack, acklen, NULL, fd, &len, name, &se);
	if (rc == LERR_INVALID || rc == LERR_NOTFOUND) {
		log_warn("doc=%s: no stamped act: %s", doc_id, se.msg);
		rc = 0;
	} else if (rc) {
		*e = se;
	} else if (!(rc = store_blob_from_fd(c, fd, (int64_t)len, &blob, e))) {
		rc = store_doc_file_put_blob(c, doc_id, "acte_tamponne", name, "application/pdf", blob, e);
	}
	close(fd);
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
