/*
 * acquit.c - the PES_Acquit files of the Hélios response directory read
 * element by element (doc/helios-acquit.md), and the names of its listing.
 * Pure parsers (no curl, no database): helios.c fetches, tests/fuzz/fuzz_acquit
 * drives them alone.
 */
#include "transmit/xmit_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "core/xmlguard.h"

/* ---- PES_Acquit ---- */

/* DomaineAck and its label, as CommunAck.xsd (PES V2 v5.17) enumerates them. */
static const struct {
	const char *code, *label;
} domaines[] = {
	{ "0", "Technique" }, { "1", "Signature technique" }, { "2", "Signature globale" },
	{ "3", "Signature Bordereau" }, { "4", "PJ" }, { "5", "Dépense" }, { "6", "Recette" },
	{ "7", "Rôle" }, { "8", "Budget" }, { "9", "Etat Actif" }, { "10", "Etat Passif" },
	{ "11", "Marché" }, { "12", "Facture" }, { "99", "Paramétrage" },
};

#define ACQUIT_REASON_MAX 8192u      /* the refusal's reason, every error */
#define ACQUIT_WARNINGS_MAX 100      /* refused elements listed one by one */

static const char *
domaine_label(const char *code)
{
	for (size_t i = 0; code && i < sizeof(domaines) / sizeof(domaines[0]); i++)
		if (!strcmp(domaines[i].code, code))
			return domaines[i].label;
	return "inconnu";
}

/* The file as a whole was refused: technique, or one of the signature
 * domains (the file cannot be taken in without them). */
static int
domaine_of_file(const char *code)
{
	return code && strlen(code) == 1 && code[0] >= '0' && code[0] <= '3';
}

static const char *
attr_v(xmlNode *n)
{
	xmlAttr *a = xmlHasProp(n, (const xmlChar *)"V");

	return a && a->children ? (const char *)a->children->content : NULL;
}

static int
named(xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static xmlNode *
child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

/* An xs:boolean after whitespace collapse: 1 (1, true), 0 (0, false), -1 neither. */
static int
xs_boolean(const char *v)
{
	size_t n;

	if (!v)
		return -1;
	v += strspn(v, " \t\r\n");
	for (n = strlen(v); n && strchr(" \t\r\n", v[n - 1]); n--)
		;
	if ((n == 1 && v[0] == '1') || (n == 4 && !strncmp(v, "true", 4)))
		return 1;
	if ((n == 1 && v[0] == '0') || (n == 5 && !strncmp(v, "false", 5)))
		return 0;
	return -1;
}

/* Every Erreur child of n, each "NumAnoAck LibelleAnoAck" after where
 * (the piece or line it is about, or nothing), " | " between errors. */
static void
errors_of(struct buf *b, xmlNode *n, const char *where, int *count)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
		const char *num, *lib;

		if (!named(c, "Erreur"))
			continue;
		num = attr_v(child(c, "NumAnoAck"));
		lib = attr_v(child(c, "LibelleAnoAck"));
		(void)!buf_printf(b, "%s%s%s%s%s%s", (*count)++ ? " | " : ": ", where, *where ? " " : "",
				  num ? num : "(sans code)", lib ? " " : "", lib ? lib : "");
	}
}

/* The errors about the element's pieces (DetailPiece) and their lines. */
static void
detail_errors(struct buf *b, xmlNode *el, int *count)
{
	char where[160];

	for (xmlNode *p = el->children; p; p = p->next) {
		const char *piece = attr_v(child(p, "NumPiece"));

		if (!named(p, "DetailPiece"))
			continue;
		snprintf(where, sizeof(where), "pièce %s", piece ? piece : "?");
		errors_of(b, p, where, count);
		for (xmlNode *l = p->children; l; l = l->next) {
			const char *line = attr_v(child(l, "NumLigne"));

			if (!named(l, "DetailLigne"))
				continue;
			snprintf(where, sizeof(where), "pièce %s ligne %s", piece ? piece : "?", line ? line : "?");
			errors_of(b, l, where, count);
		}
	}
}

/* One KO element in words: its domain with the schema's label, its state,
 * what it is about (bordereau, PJ, marché), and every error. */
static void
describe(struct buf *b, xmlNode *el, const char *dom, const char *etat)
{
	const char *bord = attr_v(child(el, "NumBord")), *exer = attr_v(child(el, "ExerciceBord"));
	const char *pj = attr_v(child(el, "IdUnique")), *marche = attr_v(child(el, "IdMarche"));
	int count = 0;

	(void)!buf_printf(b, "DomaineAck %s (%s) EtatAck %s", dom ? dom : "?", domaine_label(dom),
			  etat ? etat : "absent");
	if (bord)
		(void)!buf_printf(b, ", bordereau %s%s%s", bord, exer ? " exercice " : "", exer ? exer : "");
	if (pj)
		(void)!buf_printf(b, ", PJ %s", pj);
	if (marche)
		(void)!buf_printf(b, ", marché %s", marche);
	errors_of(b, el, "", &count);
	detail_errors(b, el, &count);
}

static void
read_element(struct xmit_acquit *a, xmlNode *el)
{
	const char *dom = attr_v(child(el, "DomaineAck")), *etat = attr_v(child(el, "EtatAck"));
	struct buf one;

	a->elements++;
	if (xs_boolean(etat) == 1) {
		a->ok++;
		a->ok_pj += dom && !strcmp(dom, "4");
		return;
	}
	a->ko++;
	a->ko_file += domaine_of_file(dom);
	a->ko_pj += dom && !strcmp(dom, "4");
	buf_init(&one, 2000);
	describe(&one, el, dom, etat);
	if (one.len) {
		(void)!buf_printf(&a->reason, "%s%s", a->reason.len ? "; " : "", one.data);
		if (a->ko <= ACQUIT_WARNINGS_MAX)
			json_array_append_new(a->refused, json_sprintf("PES_Acquit: %s", one.data));
	}
	buf_fini(&one);
}

int
xmit_acquit_parse(const void *data, size_t len, struct xmit_acquit *a, struct lerr *e)
{
	xmlDoc *doc;
	xmlNode *root, *ack;
	const char *nf;

	memset(a, 0, sizeof(*a));
	buf_init(&a->reason, ACQUIT_REASON_MAX);
	a->refused = json_array();
	if (xmlguard_check(data, len, XMIT_MAX_XML_RETURN, e))
		return e->kind;
	doc = xmlReadMemory(data, (int)len, "acquit.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || strcmp((const char *)root->name, "PES_ACQUIT")) {
		xmlFreeDoc(doc);
		return lerr_set(e, LERR_INVALID, NULL, "not a PES_ACQUIT");
	}
	nf = attr_v(child(child(child(root, "Enveloppe"), "Parametres"), "NomFic"));
	snprintf(a->nomfic, sizeof(a->nomfic), "%s", nf ? nf : "");
	ack = child(root, "ACQUIT");
	for (xmlNode *c = ack ? ack->children : NULL; c; c = c->next)
		if (named(c, "ElementACQUIT"))
			read_element(a, c);
	xmlFreeDoc(doc);
	if (a->ko > ACQUIT_WARNINGS_MAX)
		json_array_append_new(a->refused, json_sprintf("PES_Acquit: %d more refused element(s) not listed",
							       a->ko - ACQUIT_WARNINGS_MAX));
	/* Refused: the file as a whole (technique, signatures), or every
	 * bordereau, marché... refused (their PJ alone are no acceptance), or
	 * every element refused.  Else accepted, maybe partially. */
	a->accepted = !a->ko_file && (a->ok - a->ok_pj > 0 || (a->ko - a->ko_pj == 0 && (a->ok > 0 || a->ko == 0)));
	return 0;
}

void
xmit_acquit_fini(struct xmit_acquit *a)
{
	buf_fini(&a->reason);
	json_decref(a->refused);
	a->refused = NULL;
}

int
xmit_acquit_read(const void *data, size_t len, int *accepted, char *reason, size_t n, char *nomfic,
		 struct lerr *e)
{
	struct xmit_acquit a;
	int rc = xmit_acquit_parse(data, len, &a, e);

	if (!rc) {
		*accepted = a.accepted;
		snprintf(reason, n, "%s", a.reason.data ? a.reason.data : "");
		snprintf(nomfic, 128, "%s", a.nomfic);
	}
	xmit_acquit_fini(&a);
	return rc;
}

/* ---- the response directory ---- */

const char *
xmit_ftp_entry(const char *line)
{
	const char *base = strrchr(line, ' ') ? strrchr(line, ' ') + 1 : line;

	return strstr(base, ".xml") || strstr(base, ".XML") ? base : NULL;
}

/* 1 when data is a PES_Retour (payment returns: root PES_Retour, any
 * namespace), read with the same guards as an acquit; idcoll gets its
 * EnTetePES/IdColl (the SIRET of the organisation it is for). */
int
xmit_pes_retour(const void *data, size_t len, char idcoll[32])
{
	struct lerr e;
	xmlDoc *doc;
	xmlNode *root;
	const char *v;
	int yes;

	idcoll[0] = '\0';
	lerr_clear(&e);
	if (xmlguard_check(data, len, XMIT_MAX_XML_RETURN, &e))
		return 0;
	doc = xmlReadMemory(data, (int)len, "retour.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	yes = root && !strcmp((const char *)root->name, "PES_Retour");
	if (yes && (v = attr_v(child(child(root, "EnTetePES"), "IdColl"))))
		snprintf(idcoll, 32, "%s", v);
	xmlFreeDoc(doc);
	return yes;
}
