/*
 * generic.c - XAdES baseline B-B / B-T for generic documents (EN 319 132-1,
 * namespace 1.3.2): detached (the reference names the file and carries its
 * digest) or, for XML, enveloped in the document's root element.
 */
#include "sign/sign_int.h"

#include <string.h>
#include <libxml/uri.h>

#include "core/util.h"

static int
detached_doc(xmlDocPtr *doc)
{
	xmlNodePtr root;

	if (!(*doc = xmlNewDoc(BAD_CAST "1.0")))
		return -1;
	if (!(root = xmlNewDocNode(*doc, NULL, BAD_CAST "SignedDocument", NULL)))
		return -1;
	xmlDocSetRootElement(*doc, root);
	(*doc)->encoding = xmlStrdup(BAD_CAST "UTF-8");
	return 0;
}

int
sign_xades(const struct sign_key *k, const struct sign_xades_opts *o, const void *data,
	   size_t len, struct buf *out, struct lerr *e)
{
	struct xades_params p = { .ver = SIGN_XADES_132 };
	xmlDocPtr doc = NULL;
	xmlNodePtr parent;
	char *uri = NULL;
	char sig_id[64];
	unsigned char rnd[6];
	int rc;

	p.now = o->now ? o->now : time(NULL);
	if ((rc = sign_init(e)) || (rc = sign_check_cert_time(k->cert, p.now, e)))
		return rc;
	if (random_bytes(rnd, sizeof(rnd)))
		return lerr_set(e, LERR_INTERNAL, NULL, "no randomness");
	strcpy(sig_id, "S");
	hex_encode(rnd, sizeof(rnd), sig_id + 1);
	strcat(sig_id, "_SIG_1");
	p.sig_id = sig_id;
	p.tsa = o->tsa;
	p.mime_type = o->mime_type ? o->mime_type : o->enveloped ? "text/xml" :
		      "application/octet-stream";
	if (o->enveloped) {
		if ((rc = sx_parse(data, len, &doc, e)))
			return rc;
		if (sx_register_ids(doc, NULL, 0)) {
			rc = lerr_set(e, LERR_INVALID, NULL, "duplicate Id attributes in the document");
			goto out;
		}
		p.ref_uri = "";
		p.enveloped = 1;
		parent = xmlDocGetRootElement(doc);
	} else {
		if (!o->data_name || !*o->data_name || strchr(o->data_name, '#')) {
			rc = lerr_set(e, LERR_INVALID, NULL, "a detached signature needs the file name");
			goto out;
		}
		if (detached_doc(&doc)) {
			rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		if (!(uri = (char *)xmlURIEscapeStr(BAD_CAST o->data_name, BAD_CAST ""))) {
			rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		p.ref_uri = uri;
		p.data = data;
		p.datalen = len;
		parent = xmlDocGetRootElement(doc);
	}
	rc = xades_sign_at(k, &p, parent, e);
	if (!rc && !o->enveloped) {
		/* the detached signature document is the ds:Signature itself */
		xmlNodePtr sig = parent->children;

		xmlUnlinkNode(sig);
		xmlFreeNode(xmlDocSetRootElement(doc, sig));
		xmlReconciliateNs(doc, sig);
	}
	if (!rc)
		rc = sx_serialize(doc, out, e);
out:
	xmlFree(uri);
	xmlFreeDoc(doc);
	return rc;
}
