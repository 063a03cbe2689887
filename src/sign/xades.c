/*
 * xades.c - build a XAdES signature under a parent node and sign it.
 *
 * The template is built without any whitespace node (a signed document is
 * never pretty-printed), in the order the XAdES schemas require.  The
 * reference digests and the SignatureValue are computed here with libxml2's
 * C14N and OpenSSL (see sign_signedinfo()); KeyInfo is added after signing
 * (it is not referenced) and, for B-T, the time-stamp token over the
 * exclusive canonical form of ds:SignatureValue.
 */
#include "sign/sign_int.h"

#include <string.h>
#include <libxml/c14n.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "core/config.h"

struct tpl {
	const struct xades_params *p;
	const struct sign_key *k;
	xmlNsPtr ds, xa;
	xmlNodePtr sig, si, sp;
	char id[160];
};

static const char *
xa_ns(enum sign_xades_ver v)
{
	return v == SIGN_XADES_111 ? NS_X111 : v == SIGN_XADES_122 ? NS_X122 : NS_X132;
}

static const char *
sp_type(enum sign_xades_ver v)
{
	return v == SIGN_XADES_111 ? NS_X111 "SignedProperties" :
	       v == SIGN_XADES_122 ? NS_X122 "SignedProperties" :
				     "http://uri.etsi.org/01903#SignedProperties";
}

static xmlNodePtr
add_alg(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *alg)
{
	xmlNodePtr n = sx_add(parent, ns, name, NULL);

	if (n && !xmlSetProp(n, BAD_CAST "Algorithm", BAD_CAST alg))
		return NULL;
	return n;
}

static int
add_reference(struct tpl *t, const char *id, const char *uri, const char *type, int env, int exc)
{
	xmlNodePtr r = sx_add(t->si, t->ds, "Reference", NULL), tr;

	if (!r || (id && !xmlSetProp(r, BAD_CAST "Id", BAD_CAST id)) ||
	    (type && !xmlSetProp(r, BAD_CAST "Type", BAD_CAST type)) ||
	    !xmlSetProp(r, BAD_CAST "URI", BAD_CAST uri))
		return -1;
	if (env || exc) {
		if (!(tr = sx_add(r, t->ds, "Transforms", NULL)))
			return -1;
		if (env && !add_alg(tr, t->ds, "Transform", ALG_ENV))
			return -1;
		if (exc && !add_alg(tr, t->ds, "Transform", ALG_EXC))
			return -1;
	}
	if (!add_alg(r, t->ds, "DigestMethod", ALG_SHA256) || !sx_add(r, t->ds, "DigestValue", NULL))
		return -1;
	return 0;
}

static int
add_digest_pair(struct tpl *t, xmlNodePtr parent, const char *value)
{
	/* 1.1.1 (and i-Parapheur's 1.2.2): xades:DigestMethod; 1.3.2: ds: */
	xmlNsPtr ns = t->p->ver == SIGN_XADES_132 ? t->ds : t->xa;

	if (!add_alg(parent, ns, "DigestMethod", ALG_SHA256) ||
	    !sx_add(parent, ns, "DigestValue", value))
		return -1;
	return 0;
}

static int
add_signing_cert(struct tpl *t, xmlNodePtr ssp)
{
	char dg[128], issuer[1024], serial[128];
	int v2 = t->p->ver == SIGN_XADES_132;
	xmlNodePtr sc, cert, cd, is;

	if (sx_cert_digest(t->k->cert, EVP_sha256(), dg, sizeof(dg)))
		return -1;
	if (!(sc = sx_add(ssp, t->xa, v2 ? "SigningCertificateV2" : "SigningCertificate", NULL)) ||
	    !(cert = sx_add(sc, t->xa, "Cert", NULL)) ||
	    !(cd = sx_add(cert, t->xa, "CertDigest", NULL)) || add_digest_pair(t, cd, dg))
		return -1;
	if (v2)
		return 0;   /* IssuerSerialV2 is not recommended by the baseline profile */
	sx_cert_issuer(t->k->cert, issuer, sizeof(issuer));
	sx_cert_serial(t->k->cert, serial, sizeof(serial));
	if (!(is = sx_add(cert, t->xa, "IssuerSerial", NULL)) ||
	    !sx_add(is, t->ds, "X509IssuerName", issuer) ||
	    !sx_add(is, t->ds, "X509SerialNumber", serial))
		return -1;
	return 0;
}

static const char *
cfg(const char *v, const char *key)
{
	return v ? v : config_str(key);
}

static int
add_policy(struct tpl *t, xmlNodePtr ssp)
{
	const struct xades_params *p = t->p;
	const char *desc = cfg(p->policy_desc, "sign_policy_description");
	xmlNodePtr spi, spid, id, h, q;

	if (!(spi = sx_add(ssp, t->xa, "SignaturePolicyIdentifier", NULL)) ||
	    !(spid = sx_add(spi, t->xa, "SignaturePolicyId", NULL)) ||
	    !(id = sx_add(spid, t->xa, "SigPolicyId", NULL)) ||
	    !sx_add(id, t->xa, "Identifier", cfg(p->policy_oid, "sign_policy_oid")))
		return -1;
	if (desc && *desc && !sx_add(id, t->xa, "Description", desc))
		return -1;
	if (!(h = sx_add(spid, t->xa, "SigPolicyHash", NULL)) ||
	    add_digest_pair(t, h, cfg(p->policy_hash, "sign_policy_hash")))
		return -1;
	if (!(q = sx_add(spid, t->xa, "SigPolicyQualifiers", NULL)) ||
	    !(q = sx_add(q, t->xa, "SigPolicyQualifier", NULL)) ||
	    !sx_add(q, t->xa, "SPURI", cfg(p->policy_uri, "sign_policy_uri")))
		return -1;
	return 0;
}

static int
add_place_role(struct tpl *t, xmlNodePtr ssp)
{
	const struct xades_params *p = t->p;
	const char *role = cfg(p->role, "sign_claimed_role");
	xmlNodePtr pl, r;

	if (p->city || p->postal_code || p->country) {
		if (!(pl = sx_add(ssp, t->xa, "SignatureProductionPlace", NULL)))
			return -1;
		if ((p->city && !sx_add(pl, t->xa, "City", p->city)) ||
		    (p->postal_code && !sx_add(pl, t->xa, "PostalCode", p->postal_code)) ||
		    !sx_add(pl, t->xa, "CountryName", p->country ? p->country : "France"))
			return -1;
	}
	if (role && *role) {
		if (!(r = sx_add(ssp, t->xa, "SignerRole", NULL)) ||
		    !(r = sx_add(r, t->xa, "ClaimedRoles", NULL)) ||
		    !sx_add(r, t->xa, "ClaimedRole", role))
			return -1;
	}
	return 0;
}

static int
add_qualifying(struct tpl *t, struct lerr *e)
{
	char v[200], when[32];
	xmlNodePtr obj, qp, ssp, sdop, dof;

	if (!(obj = sx_add(t->sig, t->ds, "Object", NULL)) ||
	    !(qp = sx_add(obj, NULL, "QualifyingProperties", NULL)) ||
	    !(t->xa = xmlNewNs(qp, BAD_CAST xa_ns(t->p->ver),
			       BAD_CAST(t->p->ver == SIGN_XADES_132 ? "xades" : "xad"))))
		goto oom;
	xmlSetNs(qp, t->xa);
	snprintf(v, sizeof(v), "#%s", t->p->sig_id);
	if (!xmlSetProp(qp, BAD_CAST "Target", BAD_CAST v) ||
	    !(t->sp = sx_add(qp, t->xa, "SignedProperties", NULL)))
		goto oom;
	snprintf(v, sizeof(v), "%s_SP", t->p->sig_id);
	if (sx_set_id(t->sp, v, e))
		return e->kind;
	sx_time_iso(t->p->now, when, sizeof(when));
	if (!(ssp = sx_add(t->sp, t->xa, "SignedSignatureProperties", NULL)) ||
	    !sx_add(ssp, t->xa, "SigningTime", when) || add_signing_cert(t, ssp))
		goto oom;
	if (t->p->ver != SIGN_XADES_132 && (add_policy(t, ssp) || add_place_role(t, ssp)))
		goto oom;
	if (t->p->mime_type) {
		snprintf(v, sizeof(v), "#%s_REF", t->p->sig_id);
		if (!(sdop = sx_add(t->sp, t->xa, "SignedDataObjectProperties", NULL)) ||
		    !(dof = sx_add(sdop, t->xa, "DataObjectFormat", NULL)) ||
		    !xmlSetProp(dof, BAD_CAST "ObjectReference", BAD_CAST v) ||
		    !sx_add(dof, t->xa, "MimeType", t->p->mime_type))
			goto oom;
	}
	return 0;
oom:
	return lerr_set(e, LERR_INTERNAL, NULL, "cannot build the XAdES properties");
}

static int
build(struct tpl *t, xmlNodePtr parent, struct lerr *e)
{
	const struct xades_params *p = t->p;
	int ec = EVP_PKEY_base_id(t->k->pkey) == EVP_PKEY_EC;
	char v[200];
	xmlNodePtr sv;

	if (!(t->sig = xmlNewDocNode(parent->doc, NULL, BAD_CAST "Signature", NULL)) ||
	    !xmlAddChild(parent, t->sig) ||
	    !(t->ds = xmlNewNs(t->sig, BAD_CAST NS_DS, BAD_CAST "ds")))
		goto oom;
	xmlSetNs(t->sig, t->ds);
	if (sx_set_id(t->sig, p->sig_id, e))
		return e->kind;
	if (!(t->si = sx_add(t->sig, t->ds, "SignedInfo", NULL)) ||
	    !add_alg(t->si, t->ds, "CanonicalizationMethod", ALG_EXC) ||
	    !add_alg(t->si, t->ds, "SignatureMethod",
		     ec ? "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" : ALG_RSA256))
		goto oom;
	snprintf(v, sizeof(v), "%s_REF", p->sig_id);
	if (add_reference(t, p->mime_type ? v : NULL, p->ref_uri, NULL, p->enveloped, p->enveloped))
		goto oom;
	snprintf(v, sizeof(v), "#%s_SP", p->sig_id);
	if (add_reference(t, NULL, v, sp_type(p->ver), 0, 1) ||
	    !(sv = sx_add(t->sig, t->ds, "SignatureValue", NULL)))
		goto oom;
	snprintf(v, sizeof(v), "%s_SV", p->sig_id);
	if (sx_set_id(sv, v, e))
		return e->kind;
	return add_qualifying(t, e);
oom:
	return lerr_set(e, LERR_INTERNAL, NULL, "cannot build the signature template");
}

static int
add_keyinfo(struct tpl *t)
{
	xmlNodePtr ki = xmlNewDocNode(t->sig->doc, t->ds, BAD_CAST "KeyInfo", NULL), xd;
	STACK_OF(X509) *ch = t->k->chain;
	int i, n = ch ? sk_X509_num(ch) : 0, len, rc = -1;
	unsigned char *der;
	struct buf b;

	buf_init(&b, 1 << 20);
	if (!ki || !xmlAddPrevSibling(sx_child(t->sig, NS_DS, "Object"), ki) ||
	    !(xd = sx_add(ki, t->ds, "X509Data", NULL)))
		goto out;
	for (i = -1; i < n; i++) {
		der = NULL;
		len = i2d_X509(i < 0 ? t->k->cert : sk_X509_value(ch, i), &der);
		buf_reset(&b);
		if (len <= 0 || base64_encode(der, (size_t)len, 1, &b)) {
			OPENSSL_free(der);
			goto out;
		}
		OPENSSL_free(der);
		if (!sx_add(xd, t->ds, "X509Certificate", b.data))
			goto out;
	}
	rc = 0;
out:
	buf_fini(&b);
	return rc;
}

/* SHA-256 of the exclusive canonical form of node's subtree. */
int
xades_exc_c14n_digest(xmlNodePtr node, unsigned char out[32])
{
	unsigned n = 0;

	return sx_c14n(node, XML_C14N_EXCLUSIVE_1_0, EVP_sha256(), out, &n, NULL, NULL) ||
	       n != 32 ? -1 : 0;
}

static int
add_timestamp(struct tpl *t, struct lerr *e)
{
	unsigned char dg[32];
	struct buf tok, b64;
	time_t gen;
	xmlNodePtr qp = t->sp->parent, usp, ts;
	char id[200];
	int rc;

	buf_init(&tok, 1 << 20);
	buf_init(&b64, 2 << 20);
	if (xades_exc_c14n_digest(sx_child(t->sig, NS_DS, "SignatureValue"), dg)) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot canonicalise ds:SignatureValue");
		goto out;
	}
	if ((rc = sign_timestamp(t->p->tsa, dg, NULL, &tok, &gen, e)))
		goto out;
	snprintf(id, sizeof(id), "%s_TS", t->p->sig_id);
	if (base64_encode((unsigned char *)tok.data, tok.len, 1, &b64) ||
	    !(usp = sx_add(qp, t->xa, "UnsignedProperties", NULL)) ||
	    !(usp = sx_add(usp, t->xa, "UnsignedSignatureProperties", NULL)) ||
	    !(ts = sx_add(usp, t->xa, "SignatureTimeStamp", NULL)) ||
	    !add_alg(ts, t->ds, "CanonicalizationMethod", ALG_EXC) ||
	    !sx_add(ts, t->xa, "EncapsulatedTimeStamp", b64.data)) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot add the time-stamp");
		goto out;
	}
	rc = sx_set_id(ts, id, e);
out:
	buf_fini(&tok);
	buf_fini(&b64);
	return rc;
}

/*
 * The references and the signature value.  The references are digested
 * here (exclusive C14N, the enveloped signature left out of the data
 * reference) and SignedInfo signed with EVP_DigestSign: xmlsec's signing
 * path evaluates an XPointer expression per reference and re-creates its
 * transform chains, which costs a third of a one-bordereau signature.
 * What is produced is checked by xmlsec in verify.c (and in the tests).
 */
static int
ref_digest(struct tpl *t, xmlNodePtr ref, struct buf *b64)
{
	char *uri = (char *)xmlGetProp(ref, BAD_CAST "URI");
	int is_data = !xmlHasProp(ref, BAD_CAST "Type");
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	xmlNodePtr top = NULL;
	xmlAttrPtr a;
	int rc = -1;

	if (!uri)
		goto out;
	if (uri[0] == '\0')
		top = (xmlNodePtr)ref->doc;
	else if (uri[0] == '#' && (a = xmlGetID(ref->doc, BAD_CAST(uri + 1))))
		top = a->parent;
	if (top)
		rc = sx_c14n(top, XML_C14N_EXCLUSIVE_1_0, EVP_sha256(), dg, &n, NULL,
			     is_data && t->p->enveloped ? t->sig : NULL);
	else if (t->p->data)
		rc = EVP_Digest(t->p->data, t->p->datalen, dg, &n, EVP_sha256(), NULL) == 1 ? 0 : -1;
	buf_reset(b64);
	if (!rc)
		rc = base64_encode(dg, n, 0, b64);
out:
	xmlFree(uri);
	return rc;
}

/* XMLDSig wants ECDSA signatures as r || s, OpenSSL gives DER. */
static int
ecdsa_raw(EVP_PKEY *pk, unsigned char *sig, size_t *len)
{
	const unsigned char *p = sig;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)*len);
	const BIGNUM *r, *s;
	int nb = (EVP_PKEY_get_bits(pk) + 7) / 8;

	if (!es)
		return -1;
	ECDSA_SIG_get0(es, &r, &s);
	BN_bn2binpad(r, sig, nb);
	BN_bn2binpad(s, sig + nb, nb);
	*len = (size_t)nb * 2;
	ECDSA_SIG_free(es);
	return 0;
}

static int
sign_value(struct tpl *t, struct buf *si, struct buf *b64)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t len = sizeof(sig);
	int rc = -1;

	if (c && EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, t->k->pkey) == 1 &&
	    EVP_DigestSign(c, sig, &len, (unsigned char *)si->data, si->len) == 1 &&
	    (EVP_PKEY_base_id(t->k->pkey) != EVP_PKEY_EC || !ecdsa_raw(t->k->pkey, sig, &len))) {
		buf_reset(b64);
		rc = base64_encode(sig, len, 1, b64);
	}
	EVP_MD_CTX_free(c);
	return rc;
}

static int
sign_signedinfo(struct tpl *t, struct lerr *e)
{
	xmlNodePtr ref, dv;
	struct buf b, si;
	int rc = -1;

	buf_init(&b, 1 << 16);
	buf_init(&si, 1 << 20);
	for (ref = t->si->children; ref; ref = ref->next) {
		if (!sx_is(ref, NS_DS, "Reference"))
			continue;
		if (ref_digest(t, ref, &b) || !(dv = sx_child(ref, NS_DS, "DigestValue")))
			goto out;
		xmlNodeAddContent(dv, BAD_CAST b.data);
	}
	if (sx_c14n(t->si, XML_C14N_EXCLUSIVE_1_0, NULL, NULL, NULL, &si, NULL) ||
	    sign_value(t, &si, &b))
		goto out;
	xmlNodeAddContent(sx_child(t->sig, NS_DS, "SignatureValue"), BAD_CAST b.data);
	rc = 0;
out:
	if (rc)
		lerr_set(e, LERR_INTERNAL, NULL, "signing failed");
	buf_fini(&b);
	buf_fini(&si);
	ERR_clear_error();
	return rc;
}

int
xades_sign_at(const struct sign_key *k, const struct xades_params *p, xmlNodePtr parent,
	      struct lerr *e)
{
	struct tpl t = { .p = p, .k = k };
	int rc;

	if ((rc = build(&t, parent, e)) || (rc = sign_signedinfo(&t, e)))
		return rc;
	if (add_keyinfo(&t))
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot add the signer's certificate");
	if (p->tsa)
		rc = add_timestamp(&t, e);
	return rc;
}
