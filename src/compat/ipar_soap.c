/*
 * ipar_soap.c - SOAP 1.1 envelopes of the i-Parapheur web services: the
 * request read (XML guard, then libxml2 without network or entities), the
 * answer built with libxml2's tree API and serialised by it (inline, or as
 * an MTOM package when the request was one).  See ipar.h.
 */
#include "compat/ipar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include "core/util.h"
#include "core/xmlguard.h"

#define ENVELOPE_MAX (256u * 1024 * 1024)

static int
is(xmlNodePtr n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name) &&
	       n->ns && n->ns->href && !strcmp((const char *)n->ns->href, ns);
}

static xmlNodePtr
first_element(xmlNodePtr n)
{
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static int
malformed(struct lerr *e, const char *msg)
{
	lerr_set(e, LERR_MALFORMED, "soap:Envelope", "%s", msg);
	lerr_hint(e, "send a SOAP 1.1 envelope whose Body holds one request of the i-Parapheur WSDL");
	return LERR_MALFORMED;
}

static int
parse_envelope(struct ipar_req *r, const void *p, size_t n, struct lerr *e)
{
	xmlNodePtr env, body;
	int rc;

	if ((rc = xmlguard_check(p, n, ENVELOPE_MAX, e)))
		return rc;
	if (n > (size_t)0x7fffffff)
		return malformed(e, "the envelope is too large");
	r->doc = xmlReadMemory(p, (int)n, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
			       XML_PARSE_NOWARNING | XML_PARSE_HUGE);
	if (!r->doc)
		return malformed(e, "the request is not well-formed XML");
	env = xmlDocGetRootElement(r->doc);
	if (!is(env, IPAR_SOAP_NS, "Envelope"))
		return malformed(e, "the root element is not a SOAP 1.1 Envelope");
	for (body = first_element(env->children); body && !is(body, IPAR_SOAP_NS, "Body");
	     body = first_element(body->next))
		;
	if (!body || !(r->op = first_element(body->children)))
		return malformed(e, "the SOAP Body holds no request element");
	r->op_name = (const char *)r->op->name;
	return 0;
}

int
ipar_parse(struct ipar_req *r, const char *ctype, const void *body, size_t n, struct lerr *e)
{
	const struct ipar_part *root;
	int rc;

	memset(r, 0, sizeof(*r));
	if (ctype && !strncasecmp(ctype, "multipart/related", 17)) {
		r->mtom = 1;
		if ((rc = ipar_mtom_split(r, ctype, body, n, &root, e)))
			return rc;
		return parse_envelope(r, root->data, root->len, e);
	}
	return parse_envelope(r, body, n, e);
}

void
ipar_req_fini(struct ipar_req *r)
{
	xmlFreeDoc(r->doc);
	free(r->cids);
	memset(r, 0, sizeof(*r));
}

xmlNodePtr
ipar_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

static char *
trimmed(char *s)
{
	size_t a = 0, b = s ? strlen(s) : 0;

	if (!s)
		return NULL;
	while (a < b && strchr(" \t\r\n", s[a]))
		a++;
	while (b > a && strchr(" \t\r\n", s[b - 1]))
		b--;
	memmove(s, s + a, b - a);
	s[b - a] = '\0';
	return s;
}

static int
nil(xmlNodePtr n)
{
	xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"nil",
				  (const xmlChar *)"http://www.w3.org/2001/XMLSchema-instance");
	int yes = v && (!strcmp((char *)v, "true") || !strcmp((char *)v, "1"));

	xmlFree(v);
	return yes;
}

char *
ipar_node_text(xmlNodePtr n)
{
	xmlChar *c = n ? xmlNodeGetContent(n) : NULL;
	char *s = c ? strdup((char *)c) : strdup("");

	xmlFree(c);
	if (!s)
		abort();
	return trimmed(s);
}

char *
ipar_text(xmlNodePtr parent, const char *name)
{
	xmlNodePtr c = ipar_child(parent, name);

	if (!c || nil(c))
		return NULL;
	return ipar_node_text(c);
}

/* RFC 2392: a cid: URL is the Content-ID, percent-encoded. */
static char *
cid_of(const char *href)
{
	char *out = malloc(strlen(href) + 1), *o = out;

	if (!out)
		abort();
	if (!strncasecmp(href, "cid:", 4))
		href += 4;
	for (; *href; href++) {
		unsigned v;

		if (*href == '%' && sscanf(href + 1, "%2x", &v) == 1 && v) {
			*o++ = (char)v;
			href += 2;
		} else {
			*o++ = *href;
		}
	}
	*o = '\0';
	return out;
}

static const struct ipar_part *
part_of(const struct ipar_req *r, const char *href)
{
	char *cid = cid_of(href);
	const struct ipar_part *found = NULL;

	for (size_t i = 0; cid && i < r->nparts && !found; i++)
		if (!strcmp(r->parts[i].cid, cid))
			found = &r->parts[i];
	free(cid);
	return found;
}

static int
binary_xop(const struct ipar_req *r, xmlNodePtr inc, const char *name, struct buf *out, struct lerr *e)
{
	xmlChar *href = xmlGetProp(inc, (const xmlChar *)"href");
	const struct ipar_part *p = href && r->mtom ? part_of(r, (const char *)href) : NULL;

	xmlFree(href);
	if (!p) {
		lerr_set(e, LERR_MALFORMED, name, "xop:Include names no part of the MTOM request");
		lerr_hint(e, "give each xop:Include href=\"cid:<Content-ID>\" of a part of the multipart/related body");
		return LERR_MALFORMED;
	}
	if (buf_add(out, p->data, p->len))
		return lerr_set(e, LERR_TOOLARGE, name, "%s is too large", name);
	return 0;
}

int
ipar_binary(const struct ipar_req *r, xmlNodePtr el, struct buf *out, char **ctype, struct lerr *e)
{
	const char *name = (const char *)el->name;
	xmlNodePtr inc = first_element(el->children);
	xmlChar *ct = xmlGetNsProp(el, (const xmlChar *)"contentType", (const xmlChar *)IPAR_XMIME_NS);
	int rc = 0;

	*ctype = ct ? strdup((char *)ct) : NULL;
	xmlFree(ct);
	if (inc && is(inc, IPAR_XOP_NS, "Include"))
		return binary_xop(r, inc, name, out, e);
	xmlChar *text = xmlNodeGetContent(el);
	if (!text || base64_decode((char *)text, strlen((char *)text), out)) {
		lerr_set(e, LERR_MALFORMED, name, "%s is not base64", name);
		lerr_hint(e, "send the file's bytes base64-encoded, or as an MTOM part");
		rc = LERR_MALFORMED;
	}
	xmlFree(text);
	return rc;
}

/* ---- answers ---- */

xmlNodePtr
ipar_resp_begin(struct ipar_resp *w, const char *name, int mtom)
{
	xmlNodePtr env, el;
	xmlNsPtr soap;

	memset(w, 0, sizeof(*w));
	w->mtom = mtom;
	w->doc = xmlNewDoc((const xmlChar *)"1.0");
	env = xmlNewNode(NULL, (const xmlChar *)"Envelope");
	soap = xmlNewNs(env, (const xmlChar *)IPAR_SOAP_NS, (const xmlChar *)"soap");
	xmlSetNs(env, soap);
	xmlDocSetRootElement(w->doc, env);
	w->body = xmlNewChild(env, soap, (const xmlChar *)"Body", NULL);
	el = xmlNewChild(w->body, NULL, (const xmlChar *)name, NULL);
	w->ns = xmlNewNs(el, (const xmlChar *)IPAR_NS, (const xmlChar *)"ns");
	xmlSetNs(el, w->ns);
	return el;
}

void
ipar_resp_fini(struct ipar_resp *w)
{
	xmlFreeDoc(w->doc);
	for (size_t i = 0; i < w->natt; i++) {
		buf_fini(w->att[i]);
		free(w->att[i]);
		free(w->att_type[i]);
	}
	memset(w, 0, sizeof(*w));
}

xmlNodePtr
ipar_resp_text(struct ipar_resp *w, xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr n;

	if (!text)
		return NULL;
	n = xmlNewChild(parent, w->ns, (const xmlChar *)name, NULL);
	xmlNodeAddContent(n, (const xmlChar *)text);   /* escaped by the serialiser */
	return n;
}

int
ipar_resp_binary(struct ipar_resp *w, xmlNodePtr parent, const char *name, const void *p, size_t n,
		 const char *ctype)
{
	xmlNodePtr el = xmlNewChild(parent, w->ns, (const xmlChar *)name, NULL);
	xmlNsPtr xm = xmlNewNs(el, (const xmlChar *)IPAR_XMIME_NS, (const xmlChar *)"xmime");
	struct buf b;

	xmlNewNsProp(el, xm, (const xmlChar *)"contentType",
		     (const xmlChar *)(ctype ? ctype : "application/octet-stream"));
	if (w->mtom && w->natt < IPAR_MAX_PARTS) {
		struct buf *a = calloc(1, sizeof(*a));
		xmlNodePtr inc;
		char href[64];

		if (!a)
			abort();
		buf_init(a, n + 1);
		if (buf_add(a, p, n))
			abort();
		w->att_type[w->natt] = strdup(ctype ? ctype : "application/octet-stream");
		if (!w->att_type[w->natt])
			abort();
		w->att[w->natt++] = a;
		inc = xmlNewChild(el, NULL, (const xmlChar *)"Include", NULL);
		xmlSetNs(inc, xmlNewNs(inc, (const xmlChar *)IPAR_XOP_NS, (const xmlChar *)"xop"));
		snprintf(href, sizeof(href), "cid:part%zu@liasse", w->natt);
		xmlNewProp(inc, (const xmlChar *)"href", (const xmlChar *)href);
		return 0;
	}
	buf_init(&b, n / 3 * 4 + 16 + n / 38);
	if (base64_encode(p, n, 0, &b)) {
		buf_fini(&b);
		return LERR_INTERNAL;
	}
	xmlNodeAddContent(el, (const xmlChar *)b.data);
	buf_fini(&b);
	return 0;
}

void
ipar_resp_retour(struct ipar_resp *w, xmlNodePtr parent, int ok, const char *message)
{
	xmlNodePtr m = xmlNewChild(parent, w->ns, (const xmlChar *)"MessageRetour", NULL);

	ipar_resp_text(w, m, "codeRetour", ok ? "OK" : "KO");
	ipar_resp_text(w, m, "message", message ? message : "");
	ipar_resp_text(w, m, "severite", ok ? "INFO" : "ERROR");
}

void
ipar_resp_fault(struct ipar_resp *w, int client, const char *message)
{
	xmlNodePtr f, n, answer = w->body->children;
	xmlNsPtr soap = w->body->ns;

	xmlUnlinkNode(answer);      /* then body->children no longer names it */
	xmlFreeNode(answer);
	f = xmlNewChild(w->body, soap, (const xmlChar *)"Fault", NULL);
	/* SOAP 1.1: faultcode and faultstring are unqualified (xmlNewChild
	 * would put them in the parent's namespace). */
	n = xmlAddChild(f, xmlNewDocNode(w->doc, NULL, (const xmlChar *)"faultcode", NULL));
	xmlNodeAddContent(n, (const xmlChar *)(client ? "soap:Client" : "soap:Server"));
	n = xmlAddChild(f, xmlNewDocNode(w->doc, NULL, (const xmlChar *)"faultstring", NULL));
	xmlNodeAddContent(n, (const xmlChar *)message);
	xmlNodeSetLang(n, (const xmlChar *)"fr");
	w->ns = NULL;
}

static int
write_buf(void *ctx, const char *p, int n)
{
	return n < 0 || buf_add(ctx, p, (size_t)n) ? -1 : n;
}

static int
close_buf(void *ctx)
{
	(void)ctx;
	return 0;
}

/* Straight into a struct buf, which doubles as it grows (an xmlBuffer
 * reallocates to the exact size at each write: quadratic on a large file). */
static int
serialise(struct ipar_resp *w, struct buf *out)
{
	xmlSaveCtxtPtr s = xmlSaveToIO(write_buf, close_buf, out, "UTF-8", XML_SAVE_AS_XML);

	if (!s)
		return -1;
	if (xmlSaveDoc(s, w->doc) < 0) {
		xmlSaveClose(s);
		return -1;
	}
	return xmlSaveClose(s) < 0 ? -1 : 0;
}

#define MTOM_ROOT "root@liasse"

static int
holds(const struct buf *b, const char *delim)
{
	return b->len && memmem(b->data, b->len, delim, strlen(delim)) != NULL;
}

/* A boundary that no part holds ("liasse-mtom-N", N from 0 up). */
static void
boundary(struct ipar_resp *w, const struct buf *xml, char out[48])
{
	char delim[56];

	for (unsigned n = 0;; n++) {
		int clash = 0;

		snprintf(out, 48, "liasse-mtom-%u", n);
		snprintf(delim, sizeof(delim), "\r\n--%s", out);
		clash = holds(xml, delim);
		for (size_t i = 0; !clash && i < w->natt; i++)
			clash = holds(w->att[i], delim);
		if (!clash)
			return;
	}
}

/* The MTOM package: the envelope as the root part (application/xop+xml),
 * then each binary as its own part, as Spring-WS and CXF answer. */
static int
package(struct ipar_resp *w, struct buf *out, struct buf *xml, const char *b)
{
	int rc = buf_printf(out, "--%s\r\nContent-Type: application/xop+xml; charset=UTF-8; "
			    "type=\"text/xml\"\r\nContent-Transfer-Encoding: binary\r\n"
			    "Content-ID: <%s>\r\n\r\n", b, MTOM_ROOT) ||
		 buf_add(out, xml->data, xml->len);

	for (size_t i = 0; !rc && i < w->natt; i++)
		rc = buf_printf(out, "\r\n--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: binary\r\n"
				"Content-ID: <part%zu@liasse>\r\n\r\n", b, w->att_type[i], i + 1) ||
		     buf_add(out, w->att[i]->data, w->att[i]->len);
	return rc || buf_printf(out, "\r\n--%s--\r\n", b);
}

int
ipar_resp_finish(struct ipar_resp *w, char **out, size_t *n, char **ctype, struct lerr *e)
{
	struct buf xml, all;
	int rc;

	buf_init(&xml, (size_t)1 << 31);
	buf_init(&all, (size_t)1 << 31);
	char b[48] = "";

	rc = serialise(w, &xml);
	if (!rc && w->mtom) {
		boundary(w, &xml, b);
		rc = package(w, &all, &xml, b);
	}
	if (rc) {
		buf_fini(&xml);
		buf_fini(&all);
		return lerr_set(e, LERR_INTERNAL, NULL, "the answer could not be written");
	}
	if (w->mtom) {
		buf_fini(&xml);
		xml = all;
		*ctype = NULL;
		if (asprintf(ctype, "multipart/related; type=\"application/xop+xml\"; boundary=\"%s\"; "
			     "start=\"<" MTOM_ROOT ">\"; start-info=\"text/xml\"", b) < 0)
			*ctype = NULL;
	} else {
		buf_fini(&all);
		*ctype = strdup("text/xml; charset=utf-8");
	}
	*n = xml.len;
	*out = (char *)xml.data;      /* taken */
	if (!*ctype || !*out)
		abort();
	return 0;
}
