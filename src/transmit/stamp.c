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

/* The act's PDF: the signed one (PAdES) over the main file. */
struct pick {
	long long blob;
	int nchunks, signed_pdf;
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
	if (strcmp(media_type, "application/pdf") || (strcmp(role, "main") && !is_signed) ||
	    (p->signed_pdf && !is_signed))
		return;
	p->blob = blob_id;
	p->nchunks = nchunks;
	p->signed_pdf = is_signed;
	snprintf(p->name, sizeof(p->name), "%s", name);
}

static int
stamp_lines(struct store_conn *c, const char *doc_id, const struct aracte *a,
	    char l[3][96], struct lerr *e)
{
	char sent[11];
	int rc = store_xmit_sent_day(c, doc_id, sent, e);

	if (rc)
		return rc;
	snprintf(l[0], 96, "Envoyé en préfecture le %s", sent[0] ? sent : a->received);
	snprintf(l[1], 96, "Reçu en préfecture le %s", a->received);
	snprintf(l[2], 96, "ID : %s", a->id);
	return 0;
}

static void
stamped_name(const char *name, char *out, size_t n)
{
	const char *dot = strrchr(name, '.');
	int stem = dot ? (int)(dot - name) : (int)strlen(name);

	snprintf(out, n, "%.*s-tamponne.pdf", stem > 200 ? 200 : stem, name);
}

/* The act's PDF stamped from file to file (neither held in memory): 0 with
 * *blob_id the stamped one stored, 0 with *blob_id 0 when MuPDF cannot
 * stamp it (logged), else the store's error. */
static int
stamp_files(struct store_conn *c, const char *doc_id, const struct pick *p,
	    const char *const *lines, long long *blob_id, struct lerr *e)
{
	int in = spool_tmpfile(e), out = in >= 0 ? spool_tmpfile(e) : -1, rc;
	int64_t len = 0;
	size_t olen = 0;
	struct lerr se;

	*blob_id = 0;
	lerr_clear(&se);
	if (in < 0 || out < 0) {
		log_warn("doc=%s: no stamped act: %s", doc_id, e->msg);
		lerr_clear(e);
		rc = 0;
	} else if (!(rc = store_blob_to_fd(c, p->blob, p->nchunks, in, &len, e))) {
		if (lpdf_stamp_fd(in, out, lines, 3, &olen, &se))
			log_warn("doc=%s: no stamped act: %s", doc_id, se.msg);  /* the ack counts all the same */
		else
			rc = store_blob_from_fd(c, out, (int64_t)olen, blob_id, e);
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

int
xmit_stamp_acte(struct store_conn *c, const char *doc_id, const void *ack, size_t acklen,
		struct lerr *e)
{
	struct aracte a;
	struct pick p = { 0 };
	char l[3][96], name[256];
	const char *lines[3] = { l[0], l[1], l[2] };
	long long blob = 0;
	int rc;

	if (!read_aracte(ack, acklen, &a))
		return 0;
	if ((rc = store_xmit_files(c, doc_id, pick_pdf, &p, e)) || !p.blob)
		return rc;
	if ((rc = stamp_lines(c, doc_id, &a, l, e)) ||
	    (rc = stamp_files(c, doc_id, &p, lines, &blob, e)) || !blob)
		return rc;
	stamped_name(p.name, name, sizeof(name));
	return store_xmit_attach_blob(c, doc_id, "acte_tamponne", name, "application/pdf", blob, e);
}
