/*
 * acte_class.c - an organisation's @ctes RetourClassification.
 *
 * The prefecture's answer lists the natures and the tree of matières
 * (Matiere1 .. Matiere5, each with a CodeMatiere).  We keep the codes as
 * "1", "1.1", "1.1.2", sorted for lookup.  Parsed with the same SAX2 rules
 * as the PES: no DTD, no entities, no network.
 */
#include "flow/acte.h"
#include "flow/flow_int.h"
#include "core/xmlguard.h"

#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_ACTES "http://www.interieur.gouv.fr/ACTES#v1.1-20040216"
#define CLASS_MAX_SIZE (1024 * 1024)
#define CLASS_MAX_CODES 4096
#define CODE_LEN 16

struct actes_classification {
	char date[16];
	size_t n;
	char (*codes)[CODE_LEN];
};

struct class_parse {
	struct actes_classification *c;
	xmlParserCtxtPtr ctxt;
	int depth, failed, in_date, seen_root;
	int path[5];            /* codes of the open Matiere1..5 */
	struct lerr err;
};

static void
class_refuse(struct class_parse *cp, const char *msg, const char *detail)
{
	if (cp->failed)
		return;
	cp->failed = 1;
	lerr_set(&cp->err, LERR_INVALID, "classification", "%s", msg);
	lerr_detail(&cp->err, "line %d: %s", cp->ctxt ? xmlSAX2GetLineNumber(cp->ctxt) : 0, detail);
	lerr_hint(&cp->err, "use the RetourClassification file received from the prefecture");
	if (cp->ctxt)
		xmlStopParser(cp->ctxt);
}

/* Matiere1..Matiere5 -> 1..5, else 0. */
static int
matiere_level(const xmlChar *name)
{
	const char *s = (const char *)name;

	if (strncmp(s, "Matiere", 7) == 0 && s[7] >= '1' && s[7] <= '5' && s[8] == '\0')
		return s[7] - '0';
	return 0;
}

static int
code_attr(const xmlChar **attrs, int nb)
{
	for (int i = 0; i < nb; i++) {
		const xmlChar **a = attrs + 5 * i;
		size_t len = (size_t)(a[4] - a[3]);
		char v[4];

		if (strcmp((const char *)a[0], "CodeMatiere") != 0 || len < 1 || len > 2)
			continue;
		memcpy(v, a[3], len);
		v[len] = '\0';
		if (strspn(v, "0123456789") == len)
			return atoi(v);
	}
	return -1;
}

static void
add_code(struct class_parse *cp, int level)
{
	struct actes_classification *c = cp->c;
	size_t off = 0;

	if (c->n >= CLASS_MAX_CODES) {
		class_refuse(cp, "classification too large", "more than 4096 matières");
		return;
	}
	for (int i = 0; i < level; i++)
		off += (size_t)snprintf(c->codes[c->n] + off, CODE_LEN - off, "%s%d",
					i ? "." : "", cp->path[i]);
	c->n++;
}

static void
class_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
	    int nb_ns, const xmlChar **ns, int nb_attrs, int nb_def, const xmlChar **attrs)
{
	struct class_parse *cp = ctx;
	int level = matiere_level(name), code;

	if (cp->failed)
		return;
	if (cp->depth++ == 0) {
		cp->seen_root = 1;
		if (strcmp((const char *)name, "RetourClassification") != 0 || !uri ||
		    strcmp((const char *)uri, NS_ACTES) != 0)
			class_refuse(cp, "not an @ctes RetourClassification",
				     "the root element is not actes:RetourClassification");
		return;
	}
	if (cp->depth > 12) {
		class_refuse(cp, "classification nested too deeply", "more than 12 levels");
		return;
	}
	cp->in_date = strcmp((const char *)name, "DateClassification") == 0;
	if (level == 0)
		return;
	code = code_attr(attrs, nb_attrs);
	if (code < 0) {
		class_refuse(cp, "classification has a matière without a code",
			     "a Matiere element has no 1-2 digit CodeMatiere");
		return;
	}
	cp->path[level - 1] = code;
	add_code(cp, level);
}

static void
class_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	struct class_parse *cp = ctx;

	cp->in_date = 0;
	if (cp->depth > 0)
		cp->depth--;
}

static void
class_chars(void *ctx, const xmlChar *ch, int len)
{
	struct class_parse *cp = ctx;
	size_t have = strlen(cp->c->date);

	if (!cp->in_date || have + (size_t)len >= sizeof(cp->c->date))
		return;
	memcpy(cp->c->date + have, ch, (size_t)len);
	cp->c->date[have + (size_t)len] = '\0';
}

static void
class_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	class_refuse(ctx, "classification contains a DTD",
		     "DTDs and entity declarations are refused and never fetched");
}

static void
class_entity(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
	     const xmlChar *sys, xmlChar *content)
{
	class_dtd(ctx, name, pub, sys);
}

static void
class_error(void *ctx, xmlErrorPtr xe)
{
	struct class_parse *cp = ctx;
	char msg[200];

	if (xe == NULL || xe->level < XML_ERR_ERROR || cp->failed)
		return;
	meta_clip(msg, sizeof(msg), xe->message ? xe->message : "parse error");
	msg[strcspn(msg, "\n")] = '\0';
	class_refuse(cp, "classification is not well-formed XML", msg);
}

static xmlSAXHandler class_sax = {
	.initialized = XML_SAX2_MAGIC,
	.startElementNs = class_start,
	.endElementNs = class_end,
	.characters = class_chars,
	.internalSubset = class_dtd,
	.externalSubset = class_dtd,
	.entityDecl = class_entity,
	.serror = class_error,
};

static int
cmp_code(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
actes_classification_parse(const void *xml, size_t n, struct actes_classification **out,
			   struct lerr *e)
{
	struct class_parse cp = { 0 };
	int rc = 0;

	*out = NULL;
	flow_xml_init();
	if (n == 0 || n > CLASS_MAX_SIZE)
		return lerr_set(e, LERR_INVALID, "classification", "classification is %s",
				n ? "larger than 1 MiB" : "empty");
	if (xmlguard_check(xml, n, CLASS_MAX_SIZE, e)) {
		snprintf(e->field, sizeof(e->field), "classification");
		return e->kind;
	}
	cp.c = calloc(1, sizeof(*cp.c));
	if (cp.c == NULL || (cp.c->codes = calloc(CLASS_MAX_CODES, CODE_LEN)) == NULL ||
	    (cp.ctxt = xmlCreatePushParserCtxt(&class_sax, &cp, NULL, 0, NULL)) == NULL) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory parsing a classification");
		goto out;
	}
	xmlCtxtUseOptions(cp.ctxt, XML_PARSE_NONET);
	cp.ctxt->replaceEntities = 0;
	xmlParseChunk(cp.ctxt, xml, (int)n, 1);
	if (!cp.failed && (!cp.seen_root || cp.c->n == 0))
		class_refuse(&cp, "classification lists no matière", "no Matiere1 element");
	if (cp.failed) {
		*e = cp.err;
		rc = LERR_INVALID;
		goto out;
	}
	qsort(cp.c->codes, cp.c->n, CODE_LEN, cmp_code);
	*out = cp.c;
	cp.c = NULL;
out:
	if (cp.ctxt)
		xmlFreeParserCtxt(cp.ctxt);
	actes_classification_free(cp.c);
	return rc;
}

void
actes_classification_free(struct actes_classification *c)
{
	if (c == NULL)
		return;
	free(c->codes);
	free(c);
}

int
actes_classification_has(const struct actes_classification *c, const char *code)
{
	char key[CODE_LEN];

	if (strlen(code) >= CODE_LEN)
		return 0;
	snprintf(key, sizeof(key), "%s", code);
	return bsearch(key, c->codes, c->n, CODE_LEN, cmp_code) != NULL;
}

const char *
actes_classification_date(const struct actes_classification *c)
{
	return c->date;
}

size_t
actes_classification_count(const struct actes_classification *c)
{
	return c->n;
}
