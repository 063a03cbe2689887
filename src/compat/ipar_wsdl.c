/*
 * ipar_wsdl.c - the WSDL served at GET /ws-iparapheur?wsdl, and the one
 * schema it imports.
 *
 * The WSDL is i-Parapheur's own ("Web-Services pour i-Parapheur, version
 * 3.1"), read from the file the operator names (iparapheur_wsdl): it is not
 * liasse's text and has no licence statement where it was found, so liasse
 * does not ship it (doc/compat.md says where to get it).  Served with every
 * soap:address set to liasse's public URL and the xmlmime import pointed at
 * liasse (?xsd=xmlmime) instead of www.w3.org, which a client without network
 * (PHP's SoapClient) cannot fetch.  The xmlmime schema is written here from
 * the W3C note "Describing Media Content of Binary Data in XML"
 * (http://www.w3.org/2005/05/xmlmime): the two attributes and the two types.
 */
#include "compat/ipar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>

#include "core/xmlguard.h"

#define WSDL_MAX (4 * 1024 * 1024)
#define XSD_NS "http://www.w3.org/2001/XMLSchema"
#define WSDL_SOAP_NS "http://schemas.xmlsoap.org/wsdl/soap/"

static int
named(xmlNodePtr n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && !strcmp((const char *)n->ns->href, ns) &&
	       !strcmp((const char *)n->name, name);
}

static void
rewrite(xmlNodePtr n, const char *base)
{
	for (; n; n = n->next) {
		if (named(n, WSDL_SOAP_NS, "address")) {
			xmlChar *loc = xmlGetProp(n, (const xmlChar *)"location");
			int nomtom = loc && strstr((const char *)loc, "no-mtom") != NULL;
			char *u = malloc(strlen(base) + 32);

			if (!u)
				abort();
			strcpy(u, base);
			strcat(u, nomtom ? "/ws-iparapheur-no-mtom" : "/ws-iparapheur");
			xmlSetProp(n, (const xmlChar *)"location", (const xmlChar *)u);
			free(u);
			xmlFree(loc);
		} else if (named(n, XSD_NS, "import")) {
			xmlChar *ns = xmlGetProp(n, (const xmlChar *)"namespace");

			if (ns && !strcmp((const char *)ns, IPAR_XMIME_NS)) {
				char *u = malloc(strlen(base) + 40);

				if (!u)
					abort();
				strcpy(u, base);
				strcat(u, "/ws-iparapheur?xsd=xmlmime");
				xmlSetProp(n, (const xmlChar *)"schemaLocation", (const xmlChar *)u);
				free(u);
			}
			xmlFree(ns);
		}
		if (n->type == XML_ELEMENT_NODE)
			rewrite(n->children, base);
	}
}

static int
dump(xmlDocPtr doc, char **out, size_t *n)
{
	xmlChar *mem = NULL;
	int len = 0;

	xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
	if (!mem || len <= 0)
		return -1;
	*out = malloc((size_t)len + 1);
	if (!*out)
		abort();
	memcpy(*out, mem, (size_t)len);
	(*out)[len] = '\0';
	*n = (size_t)len;
	xmlFree(mem);
	return 0;
}

static int
read_file(const char *path, struct buf *b, struct lerr *e)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;
	int rc = 0;

	if (!f) {
		lerr_set(e, LERR_NOTFOUND, "iparapheur_wsdl", "cannot read the WSDL %s: %s", path,
			 strerror(errno));
		lerr_hint(e, "set iparapheur_wsdl to the path of i-Parapheur's WSDL (doc/compat.md)");
		return LERR_NOTFOUND;
	}
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n))
			rc = lerr_set(e, LERR_INTERNAL, "iparapheur_wsdl", "%s is larger than 4 MiB", path);
	if (!rc && ferror(f))
		rc = lerr_set(e, LERR_INTERNAL, "iparapheur_wsdl", "cannot read %s", path);
	fclose(f);
	return rc;
}

int
ipar_wsdl(const char *path, const char *base, char **out, size_t *n, struct lerr *e)
{
	xmlDocPtr doc;
	struct buf b;
	int rc;

	buf_init(&b, WSDL_MAX);
	if ((rc = read_file(path, &b, e)) || (rc = xmlguard_check(b.data, b.len, WSDL_MAX, e))) {
		buf_fini(&b);
		return rc;
	}
	doc = xmlReadMemory(b.data, (int)b.len, path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	buf_fini(&b);
	if (!doc)
		return lerr_set(e, LERR_INTERNAL, "iparapheur_wsdl", "%s is not well-formed XML", path);
	rewrite(xmlDocGetRootElement(doc), base);
	rc = dump(doc, out, n) ? lerr_set(e, LERR_INTERNAL, NULL, "the WSDL could not be written") : 0;
	xmlFreeDoc(doc);
	return rc;
}

static xmlNodePtr
xs(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *attr, const char *value)
{
	xmlNodePtr n = xmlNewChild(parent, ns, (const xmlChar *)name, NULL);

	if (attr)
		xmlNewProp(n, (const xmlChar *)attr, (const xmlChar *)value);
	return n;
}

/* A binary type of xmlmime: simple content of base, with xmime:contentType. */
static void
binary_type(xmlNodePtr schema, xmlNsPtr ns, const char *name, const char *base)
{
	xmlNodePtr t = xs(schema, ns, "complexType", "name", name);
	xmlNodePtr x = xs(xs(t, ns, "simpleContent", NULL, NULL), ns, "extension", "base", base);

	xs(x, ns, "attribute", "ref", "xmime:contentType");
}

int
ipar_xmlmime_xsd(char **out, size_t *n)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr schema = xmlNewNode(NULL, (const xmlChar *)"schema"), a, r;
	xmlNsPtr ns = xmlNewNs(schema, (const xmlChar *)XSD_NS, (const xmlChar *)"xs");
	int rc;

	xmlSetNs(schema, ns);
	xmlNewNs(schema, (const xmlChar *)IPAR_XMIME_NS, (const xmlChar *)"xmime");
	xmlNewProp(schema, (const xmlChar *)"targetNamespace", (const xmlChar *)IPAR_XMIME_NS);
	xmlDocSetRootElement(doc, schema);
	a = xs(schema, ns, "attribute", "name", "contentType");
	r = xs(xs(a, ns, "simpleType", NULL, NULL), ns, "restriction", "base", "xs:string");
	xs(r, ns, "minLength", "value", "3");
	a = xs(schema, ns, "attribute", "name", "expectedContentTypes");
	xmlNewProp(a, (const xmlChar *)"type", (const xmlChar *)"xs:string");
	binary_type(schema, ns, "base64Binary", "xs:base64Binary");
	binary_type(schema, ns, "hexBinary", "xs:hexBinary");
	rc = dump(doc, out, n);
	xmlFreeDoc(doc);
	return rc;
}
