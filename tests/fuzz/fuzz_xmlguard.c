/*
 * fuzz_xmlguard.c - libFuzzer target of core/xmlguard, differential: when
 * the guard accepts a document, libxml2 (SAX2, the options liasse uses) must
 * report no DOCTYPE, no entity declaration, no tag with more attributes and
 * namespace declarations than XMLGUARD_MAX_ATTRS and no deeper nesting than
 * XMLGUARD_MAX_DEPTH; and the verdict must not depend on how the bytes are
 * split.  `make fuzz` builds it (clang).
 */
#include "core/xmlguard.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>

static int depth;

static void
dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	(void)ctx, (void)name, (void)ext, (void)sys;
	abort();   /* the guard let a DOCTYPE through */
}

static void
entity(void *ctx, const xmlChar *name, int type, const xmlChar *pub, const xmlChar *sys, xmlChar *content)
{
	(void)ctx, (void)name, (void)type, (void)pub, (void)sys, (void)content;
	abort();
}

static void
start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri, int nb_ns,
      const xmlChar **ns, int nb_attrs, int nb_def, const xmlChar **attrs)
{
	(void)ctx, (void)local, (void)prefix, (void)uri, (void)ns, (void)nb_def, (void)attrs;
	if (nb_ns + nb_attrs > XMLGUARD_MAX_ATTRS || ++depth > XMLGUARD_MAX_DEPTH)
		abort();
}

static void
end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	(void)ctx, (void)local, (void)prefix, (void)uri;
	depth--;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static xmlSAXHandler sax;
	struct xmlguard g;
	struct lerr e;
	int whole, pieces = 0;
	xmlParserCtxtPtr ctxt;

	whole = xmlguard_check(data, size, SIZE_MAX, &e);
	xmlguard_init(&g, SIZE_MAX);
	for (size_t o = 0; o < size && !pieces; o += 3)
		pieces = xmlguard_feed(&g, data + o, size - o < 3 ? size - o : 3, &e);
	if (!!whole != !!pieces)
		abort();   /* the verdict depends on the split */
	if (whole)
		return 0;
	if (!sax.initialized) {
		xmlSAXVersion(&sax, 2);
		sax.internalSubset = dtd;
		sax.externalSubset = dtd;
		sax.entityDecl = entity;
		sax.startElementNs = start;
		sax.endElementNs = end;
		sax.error = NULL;
		sax.warning = NULL;
		sax.serror = NULL;
	}
	depth = 0;
	ctxt = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL);
	if (!ctxt)
		return 0;
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlParseChunk(ctxt, (const char *)data, (int)size, 1);
	if (ctxt->myDoc)
		xmlFreeDoc(ctxt->myDoc);
	xmlFreeParserCtxt(ctxt);
	return 0;
}
