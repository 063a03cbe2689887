/*
 * actes_xml.c - the XML the simulated ministry sends back, built with the
 * libxml2 tree API and written in ISO-8859-1 like the real platform's files
 * (fixtures: s2low/class/fixtures): the return envelope EnveloppeMISILLCL,
 * ARActe (1-2), AnomalieActe (1-3), AnomalieEnveloppe, CourrierSimple (2-1),
 * DemandePieceComplementaire (3-1), LettreObservations (4-1), DefereTA (5-1),
 * and the small PDF a letter carries.
 */
#include "actes_xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const xmlChar *
X(const char *s)
{
	return (const xmlChar *)s;
}

xmlDocPtr
ax_new(const char *root, xmlNsPtr *ns)
{
	xmlDocPtr doc = xmlNewDoc(X("1.0"));
	xmlNodePtr r;

	if (!doc)
		return NULL;
	r = xmlNewDocNode(doc, NULL, X(root), NULL);
	if (!r) {
		xmlFreeDoc(doc);
		return NULL;
	}
	xmlDocSetRootElement(doc, r);
	*ns = xmlNewNs(r, X(ACTES_NS), X("actes"));
	xmlNewNs(r, X(INSEE_NS), X("insee"));
	xmlSetNs(r, *ns);
	return doc;
}

xmlNodePtr
ax_child(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	return xmlNewTextChild(parent, ns, X(name), text ? X(text) : NULL);
}

void
ax_attr(xmlNodePtr n, xmlNsPtr ns, const char *name, const char *value)
{
	xmlNewNsProp(n, ns, X(name), X(value));
}

static xmlNsPtr
insee_ns(xmlNodePtr n)
{
	return xmlSearchNsByHref(n->doc, n, X(INSEE_NS));
}

/* Remove the (large) Signature elements under n. */
static void
strip_signatures(xmlNodePtr n)
{
	xmlNodePtr c, next;

	for (c = n->children; c; c = next) {
		next = c->next;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(c->name, X("Signature"))) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		} else {
			strip_signatures(c);
		}
	}
}

/* Copy the received actes:Acte under parent as actes:ActeRecu. */
static void
copy_acte(xmlNodePtr parent, xmlNodePtr acte)
{
	xmlNodePtr copy = xmlDocCopyNode(acte, parent->doc, 1);

	if (!copy)
		return;
	xmlNodeSetName(copy, X("ActeRecu"));
	xmlAddChild(parent, copy);
	strip_signatures(copy);
	xmlReconciliateNs(parent->doc, copy);
}

xmlDocPtr
ax_aracte(xmlNodePtr acte, const char *idacte, const char *today, const char *classif)
{
	xmlNsPtr ns;
	xmlDocPtr doc = ax_new("ARActe", &ns);
	xmlNodePtr r;

	if (!doc)
		return NULL;
	r = xmlDocGetRootElement(doc);
	ax_attr(r, ns, "IDActe", idacte);
	ax_attr(r, ns, "DateReception", today);
	copy_acte(r, acte);
	ax_child(r, ns, "ClassificationDateVersionEnCours", classif);
	return doc;
}

xmlDocPtr
ax_arannulation(const char *idacte, const char *today)
{
	xmlNsPtr ns;
	xmlDocPtr doc = ax_new("ARAnnulation", &ns);

	if (!doc)
		return NULL;
	ax_attr(xmlDocGetRootElement(doc), ns, "IDActe", idacte);
	ax_attr(xmlDocGetRootElement(doc), ns, "DateReception", today);
	return doc;
}

xmlDocPtr
ax_anomalie_acte(xmlNodePtr acte, const char *nature, const char *detail,
		 const char *today, const char *classif)
{
	xmlNsPtr ns;
	xmlDocPtr doc = ax_new("AnomalieActe", &ns);
	xmlNodePtr r;

	if (!doc)
		return NULL;
	r = xmlDocGetRootElement(doc);
	ax_child(r, ns, "Date", today);
	ax_child(r, ns, "Nature", nature);
	ax_child(r, ns, "Detail", detail);
	copy_acte(r, acte);
	ax_child(r, ns, "ClassificationDateVersionEnCours", classif);
	return doc;
}

/* A minimal DonneesEnveloppeCLMISILL when the received one is unusable. */
static void
placeholder_envelope(xmlNodePtr er, xmlNsPtr ns, const char *siren)
{
	xmlNodePtr em = ax_child(er, ns, "Emetteur", NULL), idcl, ar;

	idcl = ax_child(em, ns, "IDCL", NULL);
	xmlNewNsProp(idcl, insee_ns(er), X("SIREN"), X(siren && *siren ? siren : "000000000"));
	ax_attr(idcl, ns, "Departement", "000");
	ax_attr(idcl, ns, "Arrondissement", "0");
	ax_attr(idcl, ns, "Nature", "00");
	ar = ax_child(er, ns, "AdressesRetour", NULL);
	ax_child(ar, ns, "Email", "inconnu@invalid.fr");
	ax_child(ax_child(er, ns, "FormulairesEnvoyes", NULL), ns, "Formulaire", NULL);
	ax_child(er->last->last, ns, "NomFichier", "inconnu.xml");
}

xmlDocPtr
ax_anomalie_enveloppe(xmlNodePtr env, const char *siren, const char *nature,
		      const char *detail, const char *today)
{
	xmlNsPtr ns;
	xmlDocPtr doc = ax_new("AnomalieEnveloppe", &ns);
	xmlNodePtr r, er, c, copy;

	if (!doc)
		return NULL;
	r = xmlDocGetRootElement(doc);
	ax_child(r, ns, "Date", today);
	ax_child(r, ns, "Nature", nature);
	ax_child(r, ns, "Detail", detail);
	er = ax_child(r, ns, "EnveloppeRecue", NULL);
	if (!env) {
		placeholder_envelope(er, ns, siren);
		return doc;
	}
	for (c = env->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		copy = xmlDocCopyNode(c, doc, 1);
		if (copy)
			xmlAddChild(er, copy);
	}
	xmlReconciliateNs(doc, er);
	return doc;
}

xmlDocPtr
ax_enveloppe_retour(const char *dept, const char *arr, const char *siren,
		    const char *form)
{
	xmlNsPtr ns;
	xmlDocPtr doc = ax_new("EnveloppeMISILLCL", &ns);
	xmlNodePtr r, sp, f, dest;

	if (!doc)
		return NULL;
	r = xmlDocGetRootElement(doc);
	sp = ax_child(ax_child(r, ns, "Emetteur", NULL), ns, "IDSousPref", NULL);
	ax_attr(sp, ns, "Departement", dept);
	ax_attr(sp, ns, "Arrondissement", arr);
	f = ax_child(ax_child(r, ns, "FormulairesEnvoyes", NULL), ns, "Formulaire", NULL);
	ax_child(f, ns, "NomFichier", form);
	dest = ax_child(r, ns, "Destinataire", NULL);
	xmlNewNsProp(dest, insee_ns(r), X("SIREN"), X(siren));
	return doc;
}

xmlDocPtr
ax_letter(const char *kind, const char *idacte, const char *today, const char *pdfname)
{
	const char *root = !strcmp(kind, "courrier") ? "CourrierSimple" :
	    !strcmp(kind, "pieces") ? "DemandePieceComplementaire" :
	    !strcmp(kind, "observations") ? "LettreObservations" : "DefereTA";
	xmlNsPtr ns;
	xmlDocPtr doc = ax_new(root, &ns);
	xmlNodePtr r, pj;

	if (!doc)
		return NULL;
	r = xmlDocGetRootElement(doc);
	ax_attr(r, ns, "IDActe", idacte);
	if (!strcmp(kind, "defere")) {
		ax_child(r, ns, "DateDepot", today);
		ax_child(r, ns, "NatureIllegalite", "Incompétence de l'auteur de l'acte (simulateur)");
		pj = ax_child(ax_child(r, ns, "PiecesJointes", NULL), ns, "PieceJointe", NULL);
		ax_child(pj, ns, "NomFichier", pdfname);
		return doc;
	}
	ax_attr(r, ns, "DateCourrierPref", today);
	if (!strcmp(kind, "pieces"))
		ax_child(r, ns, "DescriptionPieces", "Merci de transmettre l'annexe citée à l'article 2 (simulateur).");
	else if (!strcmp(kind, "observations"))
		ax_child(r, ns, "Motif", "Observations sur la légalité de l'acte (simulateur).");
	ax_child(ax_child(r, ns, "Document", NULL), ns, "NomFichier", pdfname);
	return doc;
}

int
ax_dump(xmlDocPtr doc, char **out, size_t *len)
{
	xmlChar *buf = NULL;
	int n = 0;

	xmlDocDumpFormatMemoryEnc(doc, &buf, &n, "ISO-8859-1", 1);
	if (!buf || n <= 0)
		return -1;
	*out = malloc((size_t)n);
	if (!*out) {
		xmlFree(buf);
		return -1;
	}
	memcpy(*out, buf, (size_t)n);
	*len = (size_t)n;
	xmlFree(buf);
	return 0;
}

/* Append printf output to a PDF being built; the offset of each object is
 * recorded for the cross-reference table. */
static size_t
pdf_add(char *buf, size_t cap, size_t len, const char *text)
{
	size_t n = strlen(text);

	if (len + n >= cap)
		return len;
	memcpy(buf + len, text, n + 1);
	return len + n;
}

char *
ax_pdf(const char *title, size_t *outlen)
{
	size_t cap = 4096, len = 0, off[6];
	char *buf = malloc(cap), tmp[512], stream[300];
	int i;

	if (!buf)
		return NULL;
	snprintf(stream, sizeof(stream), "BT /F1 14 Tf 72 760 Td (%.200s) Tj ET\n", title);
	len = pdf_add(buf, cap, len, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
	off[1] = len;
	len = pdf_add(buf, cap, len, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = len;
	len = pdf_add(buf, cap, len, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	off[3] = len;
	len = pdf_add(buf, cap, len, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
		      "/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>\nendobj\n");
	off[4] = len;
	snprintf(tmp, sizeof(tmp), "4 0 obj\n<< /Length %zu >>\nstream\n%sendstream\nendobj\n",
		 strlen(stream), stream);
	len = pdf_add(buf, cap, len, tmp);
	off[5] = len;
	len = pdf_add(buf, cap, len, "5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
	snprintf(tmp, sizeof(tmp), "xref\n0 6\n0000000000 65535 f \n");
	off[0] = len;
	len = pdf_add(buf, cap, len, tmp);
	for (i = 1; i <= 5; i++) {
		snprintf(tmp, sizeof(tmp), "%010zu 00000 n \n", off[i]);
		len = pdf_add(buf, cap, len, tmp);
	}
	snprintf(tmp, sizeof(tmp), "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", off[0]);
	len = pdf_add(buf, cap, len, tmp);
	*outlen = len;
	return buf;
}
