/*
 * sign.c - library set-up, XML in and out, restricted xmlsec contexts.
 *
 * xmlsec resolves reference URIs through its own list of input callbacks.
 * sign_init() empties that list and registers one callback that serves
 * only the detached data the current thread handed over with
 * sx_detached_set(): xmlsec can then read no file and no URL at all.
 */
#include "sign/sign_int.h"

#include <pthread.h>
#include <string.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/xmlsave.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/io.h>
#include <xmlsec/openssl/evp.h>

#include "core/log.h"
#include "core/xmlguard.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;
static char init_err[256];

static __thread char last_err[512];
static __thread struct {
	const char *name;
	const unsigned char *data;
	size_t len;
} detached;

struct dreader {
	const unsigned char *p;
	size_t left;
};

static void
xmlsec_errors(const char *file, int line, const char *func, const char *obj,
	      const char *subj, int reason, const char *msg)
{
	(void)file; (void)line;
	snprintf(last_err, sizeof(last_err), "%s: %s%s%s (reason %d)", func ? func : "?",
		 subj ? subj : "", msg ? ": " : "", msg ? msg : "", reason);
	(void)obj;
	log_debug("xmlsec: %s", last_err);
}

const char *
sx_last_error(void)
{
	return last_err;
}

static int
io_match(const char *uri)
{
	return detached.name && uri && strcmp(uri, detached.name) == 0;
}

static void *
io_open(const char *uri)
{
	struct dreader *r;

	if (!io_match(uri) || !(r = calloc(1, sizeof(*r))))
		return NULL;
	r->p = detached.data;
	r->left = detached.len;
	return r;
}

static int
io_read(void *ctx, char *buffer, int len)
{
	struct dreader *r = ctx;
	size_t n = r->left < (size_t)len ? r->left : (size_t)len;

	memcpy(buffer, r->p, n);
	r->p += n;
	r->left -= n;
	return (int)n;
}

static int
io_close(void *ctx)
{
	free(ctx);
	return 0;
}

void
sx_detached_set(const char *name, const void *data, size_t len)
{
	detached.name = name;
	detached.data = data;
	detached.len = len;
}

static void
do_init(void)
{
	xmlInitParser();
	LIBXML_TEST_VERSION
	if (xmlSecInit() < 0) {
		snprintf(init_err, sizeof(init_err), "xmlSecInit failed");
		goto fail;
	}
	if (xmlSecCheckVersion() != 1) {
		snprintf(init_err, sizeof(init_err), "xmlsec library version mismatch");
		goto fail;
	}
	if (xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		snprintf(init_err, sizeof(init_err), "xmlsec OpenSSL backend initialisation failed");
		goto fail;
	}
	xmlSecErrorsSetCallback(xmlsec_errors);
	xmlSecIOCleanupCallbacks();
	if (xmlSecIORegisterCallbacks(io_match, io_open, io_read, io_close) < 0) {
		snprintf(init_err, sizeof(init_err), "xmlsec input callbacks refused");
		goto fail;
	}
	return;
fail:
	init_rc = -1;
}

int
sign_init(struct lerr *e)
{
	pthread_once(&init_once, do_init);
	if (init_rc)
		return lerr_set(e, LERR_INTERNAL, NULL, "signature library initialisation failed: %s",
				init_err);
	return 0;
}

void
sign_fini(void)
{
	if (init_rc)
		return;
	xmlSecCryptoShutdown();
	xmlSecCryptoAppShutdown();
	xmlSecShutdown();
}

/*
 * libxml2 refuses to grow one text node past 10 MB (XML_MAX_TEXT_LENGTH)
 * unless XML_PARSE_HUGE is given, but only when the text reaches
 * xmlSAX2Characters in several pieces: plain base64 comes in one piece, a
 * PJ whose lines end with "&#13;" or whose text is not ASCII in pieces of
 * 300 bytes.  XML_PARSE_HUGE would also lift the entity amplification,
 * depth and name limits, so it is never a parse option: it is set for the
 * time of this one call, which only appends text.  There is no entity
 * (xmlguard refused any DOCTYPE), so a text node is never larger than the
 * input, which SIGN_MAX_DOC bounds.
 */
static void
big_text(void *c, const xmlChar *ch, int len)
{
	xmlParserCtxtPtr ctx = c;
	int opts = ctx->options;

	ctx->options |= XML_PARSE_HUGE;
	xmlSAX2Characters(c, ch, len);
	ctx->options = opts;
}

int
sx_parse(const void *in, size_t len, xmlDocPtr *doc, struct lerr *e)
{
	xmlParserCtxtPtr ctx;
	const xmlError *xe;
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;

	*doc = NULL;
	if (xmlguard_check(in, len, SIGN_MAX_DOC, e))
		return e->kind;
	if (!(ctx = xmlNewParserCtxt()))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	ctx->sax->characters = big_text;
	*doc = xmlCtxtReadMemory(ctx, in, (int)len, "document.xml", NULL, opts);
	xe = xmlCtxtGetLastError(ctx);
	if (!*doc || !ctx->wellFormed) {
		lerr_set(e, LERR_INVALID, NULL, "the document is not well-formed XML");
		if (xe && xe->message)
			lerr_detail(e, "line %d: %s", xe->line, xe->message);
		xmlFreeDoc(*doc);
		*doc = NULL;
	} else if ((*doc)->intSubset || (*doc)->extSubset) {
		/* Cannot happen after xmlguard; kept as the last word. */
		lerr_set(e, LERR_INVALID, NULL, "document type declarations are refused");
		lerr_hint(e, "send the document without its <!DOCTYPE ...> declaration");
		xmlFreeDoc(*doc);
		*doc = NULL;
	}
	xmlFreeParserCtxt(ctx);
	return *doc ? 0 : e->kind;
}

int
sx_serialize(xmlDocPtr doc, struct buf *out, struct lerr *e)
{
	xmlBufferPtr xb;
	xmlSaveCtxtPtr sc;
	const char *enc = doc->encoding ? (const char *)doc->encoding : "UTF-8";
	int rc = 0;

	if (!(xb = xmlBufferCreate()))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	sc = xmlSaveToBuffer(xb, enc, XML_SAVE_AS_XML);
	if (!sc || xmlSaveDoc(sc, doc) < 0 || xmlSaveClose(sc) < 0) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot serialise the signed document in %s",
			      enc);
		goto out;
	}
	buf_reset(out);
	if (buf_add(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb)))
		rc = lerr_set(e, LERR_TOOLARGE, NULL, "signed document larger than %zu bytes",
			      out->max);
out:
	xmlBufferFree(xb);
	return rc;
}

static int
register_walk(xmlDocPtr doc, xmlNodePtr n, char *dup, size_t dupsz)
{
	int ndup = 0;
	xmlAttrPtr a;
	xmlChar *v;

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (a = n->properties; a; a = a->next) {
			if (a->ns || strcmp((const char *)a->name, "Id"))
				continue;
			v = xmlNodeListGetString(doc, a->children, 1);
			if (v && a->atype != XML_ATTRIBUTE_ID && !xmlAddID(NULL, doc, v, a)) {
				if (ndup++ == 0 && dup)
					snprintf(dup, dupsz, "%s", (const char *)v);
			}
			xmlFree(v);
		}
		ndup += register_walk(doc, n->children, ndup ? NULL : dup, dupsz);
	}
	return ndup;
}

int
sx_register_ids(xmlDocPtr doc, char *dup, size_t dupsz)
{
	if (dup && dupsz)
		dup[0] = '\0';
	return register_walk(doc, xmlDocGetRootElement(doc), dup, dupsz);
}

int
sx_set_id(xmlNodePtr node, const char *id, struct lerr *e)
{
	xmlAttrPtr a = xmlSetProp(node, BAD_CAST "Id", BAD_CAST id);

	if (!a || !xmlAddID(NULL, node->doc, BAD_CAST id, a))
		return lerr_set(e, LERR_CONFLICT, NULL, "the Id \"%s\" is already used in the document",
				id);
	return 0;
}

static int
restrict_transforms(xmlSecDSigCtxPtr c)
{
	xmlSecTransformId ref[] = { xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId,
		xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
		xmlSecTransformEnvelopedId, xmlSecTransformSha1Id, xmlSecTransformSha256Id,
		xmlSecTransformSha384Id, xmlSecTransformSha512Id };
	xmlSecTransformId sig[] = { xmlSecTransformExclC14NId, xmlSecTransformInclC14NId,
		xmlSecTransformRsaSha1Id, xmlSecTransformRsaSha256Id, xmlSecTransformRsaSha384Id,
		xmlSecTransformRsaSha512Id, xmlSecTransformEcdsaSha256Id,
		xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id };
	size_t i;

	for (i = 0; i < sizeof(ref) / sizeof(ref[0]); i++)
		if (xmlSecDSigCtxEnableReferenceTransform(c, ref[i]) < 0)
			return -1;
	for (i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
		if (xmlSecDSigCtxEnableSignatureTransform(c, sig[i]) < 0)
			return -1;
	return 0;
}

/* A context restricted to same-document URIs (plus the detached data when
 * remote_ok), whitelisted transforms, and the given key (up-referenced). */
xmlSecDSigCtxPtr
sx_dsig_ctx(EVP_PKEY *pkey, int remote_ok)
{
	xmlSecDSigCtxPtr c = xmlSecDSigCtxCreate(NULL);
	xmlSecKeyDataPtr kd = NULL;

	if (!c)
		return NULL;
	c->enabledReferenceUris = xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument;
	if (remote_ok)
		c->enabledReferenceUris |= xmlSecTransformUriTypeRemote;
	c->flags |= XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS | XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES;
	if (restrict_transforms(c) < 0)
		goto fail;
	if (!(c->signKey = xmlSecKeyCreate()) || EVP_PKEY_up_ref(pkey) != 1)
		goto fail;
	if (!(kd = xmlSecOpenSSLEvpKeyAdopt(pkey))) {
		EVP_PKEY_free(pkey);
		goto fail;
	}
	if (xmlSecKeySetValue(c->signKey, kd) < 0) {
		xmlSecKeyDataDestroy(kd);
		goto fail;
	}
	return c;
fail:
	xmlSecDSigCtxDestroy(c);
	return NULL;
}

int
sx_is(xmlNodePtr n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 &&
	       (ns ? n->ns && strcmp((const char *)n->ns->href, ns) == 0 : !n->ns);
}

xmlNodePtr
sx_child(xmlNodePtr parent, const char *ns, const char *name)
{
	xmlNodePtr c;

	for (c = parent ? parent->children : NULL; c; c = c->next)
		if (sx_is(c, ns, name))
			return c;
	return NULL;
}

xmlNodePtr
sx_add(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	xmlNodePtr n = xmlNewDocNode(parent->doc, ns, BAD_CAST name, NULL);

	if (!n)
		return NULL;
	if (text && *text)
		xmlNodeAddContent(n, BAD_CAST text);
	return xmlAddChild(parent, n);
}

struct c14n_sink {
	EVP_MD_CTX *md;
	struct buf *out;
	xmlNodePtr top;
	xmlNodePtr exclude;     /* the enveloped signature, or NULL */
};

static int
c14n_visible(void *ud, xmlNodePtr node, xmlNodePtr parent)
{
	struct c14n_sink *s = ud;
	xmlNodePtr n = node && node->type != XML_NAMESPACE_DECL ? node : parent;

	if (node && node->type == XML_COMMENT_NODE)
		return 0;
	for (; n; n = n->parent) {
		if (n == s->exclude)
			return 0;
		if (n == s->top)
			return 1;
	}
	return 0;
}

static int
c14n_write(void *ud, const char *p, int len)
{
	struct c14n_sink *s = ud;

	if (s->md && EVP_DigestUpdate(s->md, p, (size_t)len) != 1)
		return -1;
	if (s->out && buf_add(s->out, p, (size_t)len))
		return -1;
	return len;
}

/* Canonical form (mode: XML_C14N_1_0 or XML_C14N_EXCLUSIVE_1_0, without
 * comments) of node's subtree (node may be the document), less the subtree
 * of exclude (the enveloped-signature transform): its digest with md into
 * dg (length *dglen), and/or the bytes into out. */
static int c14n_run(xmlNodePtr node, int mode, const EVP_MD *md, unsigned char *dg,
		    unsigned *dglen, struct buf *out, xmlNodePtr exclude);

/* libxml2 walks the whole document whatever the visible subtree: the
 * exclusive form of a small subtree (SignedProperties, SignedInfo) is made
 * on a copy of it in a document of its own.  Exclusive C14N only renders
 * the namespaces a node uses, so where the copy declares them is moot. */
int
sx_c14n(xmlNodePtr node, int mode, const EVP_MD *md, unsigned char *dg, unsigned *dglen,
	struct buf *out, xmlNodePtr exclude)
{
	xmlDocPtr tmp;
	xmlNodePtr copy;
	int rc;

	if (exclude || mode != XML_C14N_EXCLUSIVE_1_0 || !node || node->type != XML_ELEMENT_NODE)
		return c14n_run(node, mode, md, dg, dglen, out, exclude);
	if (!(tmp = xmlNewDoc(BAD_CAST "1.0")))
		return -1;
	if (!(copy = xmlDocCopyNode(node, tmp, 1))) {
		xmlFreeDoc(tmp);
		return -1;
	}
	xmlDocSetRootElement(tmp, copy);
	rc = c14n_run(copy, mode, md, dg, dglen, out, NULL);
	xmlFreeDoc(tmp);
	return rc;
}

static int
c14n_run(xmlNodePtr node, int mode, const EVP_MD *md, unsigned char *dg, unsigned *dglen,
	 struct buf *out, xmlNodePtr exclude)
{
	struct c14n_sink s = { md ? EVP_MD_CTX_new() : NULL, out, node, exclude };
	xmlOutputBufferPtr ob = NULL;
	int rc = -1;

	if (!node || (md && (!s.md || EVP_DigestInit_ex(s.md, md, NULL) != 1)) ||
	    !(ob = xmlOutputBufferCreateIO(c14n_write, NULL, &s, NULL)))
		goto out;
	if (xmlC14NExecute(node->type == XML_DOCUMENT_NODE ? (xmlDocPtr)node : node->doc,
			   c14n_visible, &s, mode, NULL, 0, ob) < 0)
		goto out;
	if (xmlOutputBufferFlush(ob) < 0 || (md && EVP_DigestFinal_ex(s.md, dg, dglen) != 1))
		goto out;
	rc = 0;
out:
	if (ob)
		xmlOutputBufferClose(ob);
	EVP_MD_CTX_free(s.md);
	return rc;
}
