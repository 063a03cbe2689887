/*
 * verify.c - verification of XML signatures (PES, XAdES) with a report.
 *
 * Each ds:Signature of the document is checked on its own; the document is
 * valid when it has at least one signature and every check passed.  The
 * structure checks (references allowed, QualifyingProperties target,
 * SignedProperties binding, data reference, CertDigest) run before and
 * beside xmlsec, which only tells whether the digests and the signature
 * value match (its status, not just its return code, is read).
 */
#include "sign/sign_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <libxml/c14n.h>
#include <libxml/uri.h>
#include <xmlsec/list.h>

#include "core/config.h"
#include "core/spool.h"
#include "pdf/pdf.h"

struct vsig {
	struct sign_report *r;
	const struct sign_verify_opts *o;
	struct trust *t;
	int idx;
	xmlNodePtr sig, si, qp, sp;
	const char *xa;            /* XAdES namespace of qp */
	char id[128];
	X509 *cert;
	STACK_OF(X509) *certs;
	time_t when;               /* time the chain is checked at */
	int when_proven;           /* when comes from a time-stamp or the operator, not the signer */
	time_t claimed;            /* SigningTime, 0 if none */
	int sha1;
	int refs_ok;
	int uriless;               /* references without URI: the detached data */
	int name_mismatch;         /* the detached reference names another file */
	char detached_uri[512];
	xmlNodePtr target;         /* the signed element (the root for URI="") */
};

#define CHECK(v, id, ok, warn, fr, en) rep_add((v)->r, (v)->idx, id, ok, warn, fr, en)

static char *
prop(xmlNodePtr n, const char *name)
{
	return n ? (char *)xmlGetProp(n, BAD_CAST name) : NULL;
}

static int
is_xades_ns(xmlNodePtr n)
{
	const char *h = n && n->ns ? (const char *)n->ns->href : "";

	return !strcmp(h, NS_X111) || !strcmp(h, NS_X122) || !strcmp(h, NS_X132);
}

static xmlNodePtr
xa_child(xmlNodePtr parent, const char *xa, const char *name)
{
	return xa ? sx_child(parent, xa, name) : NULL;
}

/* The first descendant element of n with this name in ns. */
static xmlNodePtr
find_desc(xmlNodePtr n, const char *ns, const char *name)
{
	xmlNodePtr c, f;

	for (c = n ? n->children : NULL; c; c = c->next) {
		if (sx_is(c, ns, name))
			return c;
		if ((f = find_desc(c, ns, name)))
			return f;
	}
	return NULL;
}

struct sigs {
	xmlNodePtr *v;
	size_t n, cap;
};

static int
collect_sigs(xmlNodePtr n, struct sigs *s)
{
	xmlNodePtr *nv;

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (sx_is(n, NS_DS, "Signature")) {
			if (s->n == s->cap) {
				s->cap = s->cap ? s->cap * 2 : 16;
				if (!(nv = realloc(s->v, s->cap * sizeof(*nv))))
					return -1;
				s->v = nv;
			}
			s->v[s->n++] = n;
			continue;
		}
		if (collect_sigs(n->children, s))
			return -1;
	}
	return 0;
}

/* Does the reference URI name the file the caller gave (escaped or not,
 * with or without a path)? */
static int
names_data(const char *uri, const char *name)
{
	char *u = xmlURIUnescapeString(uri, 0, NULL);
	const char *base = u ? strrchr(u, '/') : NULL;
	int same = !strcmp(uri, name) || (u && (!strcmp(u, name) || (base && !strcmp(base + 1, name))));

	xmlFree(u);
	return same;
}

static int
uri_allowed(struct vsig *v, const char *uri)
{
	const char *p;

	if (!uri) {             /* XMLDSig: the application supplies the data */
		v->uriless += v->o->data != NULL;
		return v->o->data != NULL;
	}
	if (uri[0] == '\0')
		return 1;
	if (uri[0] == '#') {
		for (p = uri + 1; *p; p++)
			if (strchr("()'\" /", *p))
				return 0;   /* no xpointer() expressions */
		return uri[1] != '\0';
	}
	if (!v->o->data || v->detached_uri[0])
		return 0;       /* no data, or a second file */
	if (v->o->data_name && !names_data(uri, v->o->data_name))
		v->name_mismatch = 1;
	snprintf(v->detached_uri, sizeof(v->detached_uri), "%s", uri);
	return 1;
}

static int
is_sp_type(const char *type)
{
	return type && (!strcmp(type, NS_X111 "SignedProperties") ||
			!strcmp(type, NS_X122 "SignedProperties") ||
			!strcmp(type, "http://uri.etsi.org/01903#SignedProperties"));
}

static void
check_references(struct vsig *v)
{
	xmlNodePtr ref;
	char *uri, fr[320], en[320];
	int bad = 0, n = 0;

	for (ref = v->si ? v->si->children : NULL; ref; ref = ref->next) {
		if (!sx_is(ref, NS_DS, "Reference"))
			continue;
		n++;
		uri = prop(ref, "URI");
		if (!bad && !uri_allowed(v, uri)) {
			bad = 1;
			snprintf(fr, sizeof(fr), "URI de référence refusée : \"%.200s\" (seules les "
				 "références internes ou le fichier joint sont admises)", uri ? uri : "(absente)");
			snprintf(en, sizeof(en), "reference URI refused: \"%.200s\" (only same-document "
				 "references or the given detached data)", uri ? uri : "(none)");
		}
		xmlFree(uri);
	}
	v->refs_ok = !bad && n > 0;
	if (n == 0)
		CHECK(v, "references_allowed", 0, 0, "aucune référence signée",
		      "no signed reference");
	else if (bad)
		CHECK(v, "references_allowed", 0, 0, fr, en);
	else
		CHECK(v, "references_allowed", 1, 0, "références internes uniquement",
		      "same-document (or given detached) references only");
}

static int
find_qp(struct vsig *v)
{
	xmlNodePtr o, c;
	int n = 0;
	char *target = NULL, want[160];

	for (o = v->sig->children; o; o = o->next) {
		if (!sx_is(o, NS_DS, "Object"))
			continue;
		for (c = o->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE && is_xades_ns(c) &&
			    !strcmp((const char *)c->name, "QualifyingProperties") && n++ == 0)
				v->qp = c;
	}
	if (n != 1) {
		v->qp = NULL;
		CHECK(v, "qualifying_properties", 0, 0,
		      n ? "plusieurs QualifyingProperties" : "aucune propriété XAdES (QualifyingProperties)",
		      n ? "more than one QualifyingProperties" : "no XAdES QualifyingProperties");
		return -1;
	}
	v->xa = (const char *)v->qp->ns->href;
	target = prop(v->qp, "Target");
	snprintf(want, sizeof(want), "#%s", v->id);
	if (!target || !v->id[0] || strcmp(target, want)) {
		CHECK(v, "qualifying_properties", 0, 0,
		      "la cible des QualifyingProperties n'est pas cette signature",
		      "QualifyingProperties Target is not this signature");
		xmlFree(target);
		v->qp = NULL;
		return -1;
	}
	xmlFree(target);
	CHECK(v, "qualifying_properties", 1, 0, "une seule QualifyingProperties, ciblant la signature",
	      "exactly one QualifyingProperties, targeting the signature");
	return 0;
}

/* The SignedProperties reference must name the SignedProperties of our
 * QualifyingProperties, and that Id must resolve to it. */
static void
check_sp_binding(struct vsig *v)
{
	xmlNodePtr ref, sp = v->qp ? xa_child(v->qp, v->xa, "SignedProperties") : NULL;
	char *type, *uri, *spid = prop(sp, "Id");
	int n = 0, bound = 0;
	xmlAttrPtr a;

	for (ref = v->si ? v->si->children : NULL; ref; ref = ref->next) {
		if (!sx_is(ref, NS_DS, "Reference"))
			continue;
		type = prop(ref, "Type");
		uri = prop(ref, "URI");
		if (is_sp_type(type)) {
			n++;
			a = uri && uri[0] == '#' ? xmlGetID(v->sig->doc, BAD_CAST(uri + 1)) : NULL;
			bound = spid && uri && uri[0] == '#' && !strcmp(uri + 1, spid) && a &&
				a->parent == sp;
		}
		xmlFree(type);
		xmlFree(uri);
	}
	xmlFree(spid);
	v->sp = sp;
	if (n == 1 && bound)
		CHECK(v, "signed_properties_reference", 1, 0,
		      "la référence SignedProperties désigne les propriétés de cette signature",
		      "the SignedProperties reference is bound to this signature's SignedProperties");
	else
		CHECK(v, "signed_properties_reference", 0, 0,
		      n == 1 ? "la référence SignedProperties désigne un autre élément" :
			       "il faut exactement une référence de type SignedProperties",
		      n == 1 ? "the SignedProperties reference points elsewhere" :
			       "exactly one SignedProperties reference is required");
}

static int
is_ancestor(xmlNodePtr anc, xmlNodePtr n)
{
	for (; n; n = n->parent)
		if (n == anc)
			return 1;
	return 0;
}

static int
has_enveloped(xmlNodePtr ref)
{
	xmlNodePtr tr = sx_child(ref, NS_DS, "Transforms"), t;
	char *alg;
	int yes = 0;

	for (t = tr ? tr->children : NULL; t; t = t->next) {
		if (!sx_is(t, NS_DS, "Transform"))
			continue;
		alg = prop(t, "Algorithm");
		yes |= alg && !strcmp(alg, ALG_ENV);
		xmlFree(alg);
	}
	return yes;
}

/* Data reference: an element that encloses the signature (enveloped), the
 * whole document, or the given detached data; never inside the signature. */
static int
data_ref_ok(struct vsig *v, xmlNodePtr ref, const char *uri)
{
	xmlAttrPtr a;
	xmlNodePtr el;

	if (uri[0] == '\0') {
		v->target = xmlDocGetRootElement(v->sig->doc);
		return has_enveloped(ref);
	}
	if (uri[0] != '#')
		return v->o->data != NULL;
	if (!(a = xmlGetID(v->sig->doc, BAD_CAST(uri + 1))) || !(el = a->parent))
		return 0;
	if (is_ancestor(v->sig, el))
		return 0;
	if (has_enveloped(ref) && !is_ancestor(el, v->sig))
		return 0;
	snprintf(v->r->sigs[v->idx].target, sizeof(v->r->sigs[v->idx].target), "%s", uri + 1);
	v->target = el;
	return 1;
}

static void
check_data_ref(struct vsig *v)
{
	xmlNodePtr ref;
	char *type, *uri;
	int n = 0, good = 0;

	for (ref = v->si ? v->si->children : NULL; ref; ref = ref->next) {
		if (!sx_is(ref, NS_DS, "Reference"))
			continue;
		type = prop(ref, "Type");
		uri = prop(ref, "URI");
		if (!is_sp_type(type)) {
			n++;
			good += uri ? data_ref_ok(v, ref, uri) : v->o->data != NULL;
		}
		xmlFree(type);
		xmlFree(uri);
	}
	if (n > 0 && good == n && v->name_mismatch)
		CHECK(v, "data_reference", 1, 1, "la signature désigne un fichier d'un autre nom que "
		      "celui fourni (empreinte vérifiée sur le fichier fourni)", "the signature names a "
		      "file of another name than the one given (digest checked on the given file)");
	else if (n > 0 && good == n)
		CHECK(v, "data_reference", 1, 0, "la référence désigne l'élément signé qui contient la signature",
		      "the data reference resolves to the signed element");
	else
		CHECK(v, "data_reference", 0, 0,
		      n ? "la référence de données ne désigne pas l'élément qui contient la signature "
			  "(signature déplacée ?)" : "aucune référence de données",
		      n ? "the data reference does not resolve to the element enclosing the signature "
			  "(moved signature?)" : "no data reference");
}

static void
push_cert(struct vsig *v, xmlNodePtr n)
{
	struct buf b;
	const unsigned char *p;
	X509 *x;
	xmlChar *s = xmlNodeGetContent(n);

	buf_init(&b, 1 << 20);
	if (s && base64_decode((const char *)s, strlen((const char *)s), &b) == 0 && b.len) {
		p = (const unsigned char *)b.data;
		if ((x = d2i_X509(NULL, &p, (long)b.len)) && !sk_X509_push(v->certs, x))
			X509_free(x);
	}
	xmlFree(s);
	buf_fini(&b);
	ERR_clear_error();
}

static xmlNodePtr
first_cert_node(xmlNodePtr sig)
{
	xmlNodePtr ki = sx_child(sig, NS_DS, "KeyInfo");

	return ki ? find_desc(ki, NS_DS, "X509Data") : NULL;
}

/* CertDigest elements are ds: (1.3.2) or xades: (1.1.1, i-Parapheur 1.2.2). */
static xmlNodePtr
dg_child(xmlNodePtr parent, const char *xa, const char *name)
{
	xmlNodePtr n = sx_child(parent, NS_DS, name);

	return n ? n : sx_child(parent, xa, name);
}

static const EVP_MD *
md_of(const char *alg, int *sha1)
{
	if (!alg)
		return NULL;
	if (!strcmp(alg, ALG_SHA1)) {
		*sha1 = 1;
		return EVP_sha1();
	}
	if (!strcmp(alg, ALG_SHA256))
		return EVP_sha256();
	if (!strcmp(alg, "http://www.w3.org/2001/04/xmldsig-more#sha384"))
		return EVP_sha384();
	if (!strcmp(alg, "http://www.w3.org/2001/04/xmlenc#sha512"))
		return EVP_sha512();
	return NULL;
}

/* Does this xades:Cert describe cert? */
static int
cert_matches(struct vsig *v, xmlNodePtr c, X509 *cert)
{
	xmlNodePtr cd = xa_child(c, v->xa, "CertDigest"), is, sn;
	char *alg = prop(dg_child(cd, v->xa, "DigestMethod"), "Algorithm"), want[128], ser[128];
	xmlChar *val = cd ? xmlNodeGetContent(dg_child(cd, v->xa, "DigestValue")) : NULL, *s;
	const EVP_MD *md = md_of(alg, &v->sha1);
	int ok = md && val && sx_cert_digest(cert, md, want, sizeof(want)) == 0 &&
		 !strcmp(want, (const char *)val);

	xmlFree(alg);
	xmlFree(val);
	if (ok && (is = xa_child(c, v->xa, "IssuerSerial")) &&
	    (sn = sx_child(is, NS_DS, "X509SerialNumber"))) {
		s = xmlNodeGetContent(sn);
		sx_cert_serial(cert, ser, sizeof(ser));
		ok = s && !strcmp(ser, (const char *)s);
		xmlFree(s);
	}
	return ok;
}

static xmlNodePtr
signing_cert_node(struct vsig *v)
{
	xmlNodePtr ssp = v->sp ? xa_child(v->sp, v->xa, "SignedSignatureProperties") : NULL, sc;

	if (!(sc = xa_child(ssp, v->xa, "SigningCertificate")))
		sc = xa_child(ssp, v->xa, "SigningCertificateV2");
	return sc;
}

/* Pick the certificate that SigningCertificate names among those of
 * KeyInfo; fall back to the first one (the CertDigest check then fails). */
static void
choose_cert(struct vsig *v)
{
	xmlNodePtr xd = first_cert_node(v->sig), c, sc = signing_cert_node(v);
	int i;

	for (c = xd ? xd->children : NULL; c; c = c->next)
		if (sx_is(c, NS_DS, "X509Certificate"))
			push_cert(v, c);
	for (i = 0; sc && i < sk_X509_num(v->certs); i++)
		for (c = sc->children; c; c = c->next)
			if (sx_is(c, v->xa, "Cert") && cert_matches(v, c, sk_X509_value(v->certs, i))) {
				v->cert = sk_X509_value(v->certs, i);
				return;
			}
	v->cert = sk_X509_num(v->certs) ? sk_X509_value(v->certs, 0) : NULL;
}

static void
check_cert_digest(struct vsig *v)
{
	xmlNodePtr sc = signing_cert_node(v), c;
	int ok = 0;

	for (c = sc ? sc->children : NULL; c && v->cert && !ok; c = c->next)
		if (sx_is(c, v->xa, "Cert"))
			ok = cert_matches(v, c, v->cert);
	if (ok)
		CHECK(v, "cert_digest", 1, 0, "l'empreinte du certificat signataire (CertDigest) est celle "
		      "du certificat qui vérifie la signature",
		      "CertDigest equals the digest of the certificate that verifies the signature");
	else
		CHECK(v, "cert_digest", 0, 0, sc ? "l'empreinte CertDigest ne correspond pas au certificat "
		      "qui vérifie la signature" : "pas de SigningCertificate",
		      sc ? "CertDigest does not match the certificate that verifies the signature" :
			   "no SigningCertificate");
}

static void
ref_status(xmlSecDSigCtxPtr c, char *bad, size_t badsz)
{
	xmlSecSize i, n = xmlSecPtrListGetSize(&c->signedInfoReferences);
	xmlSecDSigReferenceCtxPtr rc;

	bad[0] = '\0';
	for (i = 0; i < n; i++) {
		rc = xmlSecPtrListGetItem(&c->signedInfoReferences, i);
		if (rc && rc->status != xmlSecDSigStatusSucceeded && !bad[0])
			snprintf(bad, badsz, "%s", rc->uri ? (const char *)rc->uri : "\"\"");
	}
}

/*
 * Signatures whose data reference has no URI (XMLDSig lets the application
 * supply the data; DSS-made detached XAdES do that): xmlsec cannot be told
 * what the data is, so the core check is made here, restricted to what such
 * signatures use: the detached data without transform, same-document "#id"
 * references with c14n transforms only, RSA signature methods.
 */
static int
c14n_mode(const char *alg)
{
	if (alg && !strcmp(alg, ALG_EXC))
		return XML_C14N_EXCLUSIVE_1_0;
	if (alg && !strcmp(alg, "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"))
		return XML_C14N_1_0;
	return -1;
}

static int
ref_mode(xmlNodePtr ref)
{
	xmlNodePtr tr = sx_child(ref, NS_DS, "Transforms"), t;
	int mode = XML_C14N_1_0;
	char *alg;

	for (t = tr ? tr->children : NULL; t; t = t->next) {
		if (!sx_is(t, NS_DS, "Transform"))
			continue;
		alg = prop(t, "Algorithm");
		mode = c14n_mode(alg);
		xmlFree(alg);
		if (mode < 0)
			return -1;
	}
	return mode;
}

static int
ref_ok(struct vsig *v, xmlNodePtr ref)
{
	char *uri = prop(ref, "URI"), *alg = prop(sx_child(ref, NS_DS, "DigestMethod"), "Algorithm");
	xmlChar *val = xmlNodeGetContent(sx_child(ref, NS_DS, "DigestValue"));
	const EVP_MD *md = md_of(alg, &v->sha1);
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	xmlAttrPtr a;
	int mode = ref_mode(ref), ok = 0;
	struct buf b;

	buf_init(&b, 256);
	if (!md || !val)
		goto out;
	if (!uri)
		ok = !sx_child(ref, NS_DS, "Transforms") &&
		     EVP_Digest(v->o->data, v->o->datalen, dg, &n, md, NULL) == 1;
	else if (uri[0] == '#' && mode >= 0 && (a = xmlGetID(v->sig->doc, BAD_CAST(uri + 1))))
		ok = sx_c14n(a->parent, mode, md, dg, &n, NULL, NULL) == 0;
	ok = ok && !base64_encode(dg, n, 0, &b) && !strcmp(b.data, (const char *)val);
out:
	buf_fini(&b);
	xmlFree(uri);
	xmlFree(alg);
	xmlFree(val);
	return ok;
}

static const EVP_MD *
sig_md(const char *alg, int *sha1)
{
	if (!alg)
		return NULL;
	if (!strcmp(alg, "http://www.w3.org/2000/09/xmldsig#rsa-sha1")) {
		*sha1 = 1;
		return EVP_sha1();
	}
	if (!strcmp(alg, ALG_RSA256))
		return EVP_sha256();
	if (!strcmp(alg, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"))
		return EVP_sha384();
	if (!strcmp(alg, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"))
		return EVP_sha512();
	return NULL;
}

static int
sigvalue_ok(struct vsig *v, EVP_PKEY *pk)
{
	char *cm = prop(sx_child(v->si, NS_DS, "CanonicalizationMethod"), "Algorithm");
	char *sm = prop(sx_child(v->si, NS_DS, "SignatureMethod"), "Algorithm");
	xmlChar *sv = xmlNodeGetContent(sx_child(v->sig, NS_DS, "SignatureValue"));
	const EVP_MD *md = sig_md(sm, &v->sha1);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	struct buf si, sig;
	int ok = 0;

	buf_init(&si, 1 << 20);
	buf_init(&sig, 1 << 16);
	if (md && sv && c && EVP_PKEY_base_id(pk) == EVP_PKEY_RSA && c14n_mode(cm) >= 0 &&
	    !sx_c14n(v->si, c14n_mode(cm), NULL, NULL, NULL, &si, NULL) &&
	    !base64_decode((const char *)sv, strlen((const char *)sv), &sig) &&
	    EVP_DigestVerifyInit(c, NULL, md, NULL, pk) == 1)
		ok = EVP_DigestVerify(c, (unsigned char *)sig.data, sig.len,
				      (unsigned char *)si.data, si.len) == 1;
	ERR_clear_error();
	EVP_MD_CTX_free(c);
	buf_fini(&si);
	buf_fini(&sig);
	xmlFree(cm);
	xmlFree(sm);
	xmlFree(sv);
	return ok;
}

static void
check_core_uriless(struct vsig *v, EVP_PKEY *pk)
{
	xmlNodePtr ref;
	char *uri, fr[320], en[320];

	for (ref = v->si->children; ref; ref = ref->next) {
		if (!sx_is(ref, NS_DS, "Reference") || ref_ok(v, ref))
			continue;
		uri = prop(ref, "URI");
		snprintf(fr, sizeof(fr), "l'empreinte de la référence %.150s ne correspond pas "
			 "(document modifié ?)", uri ? uri : "sans URI (le fichier joint)");
		snprintf(en, sizeof(en), "digest mismatch on reference %.150s (document modified?)",
			 uri ? uri : "without URI (the detached data)");
		xmlFree(uri);
		CHECK(v, "core", 0, 0, fr, en);
		return;
	}
	if (sigvalue_ok(v, pk))
		CHECK(v, "core", 1, 0, "empreintes et valeur de signature correctes",
		      "digests and signature value match");
	else
		CHECK(v, "core", 0, 0, "la valeur de signature ne correspond pas",
		      "the signature value does not match");
}

static void
check_core(struct vsig *v)
{
	xmlSecDSigCtxPtr c = NULL;
	char bad[200] = "", fr[320], en[320];
	EVP_PKEY *pk = v->cert ? X509_get0_pubkey(v->cert) : NULL;
	int ret;

	if (!v->refs_ok || !pk) {
		CHECK(v, "core", 0, 0, pk ? "vérification non tentée (références refusées)" :
		      "aucun certificat X509 dans KeyInfo", pk ? "not attempted (references refused)" :
		      "no X509 certificate in KeyInfo");
		return;
	}
	if (v->uriless) {
		check_core_uriless(v, pk);
		return;
	}
	sx_detached_set(v->detached_uri[0] ? v->detached_uri : NULL, v->o->data, v->o->datalen);
	if (!(c = sx_dsig_ctx(pk, v->o->data != NULL))) {
		CHECK(v, "core", 0, 0, "contexte xmlsec impossible", "cannot create the xmlsec context");
		goto out;
	}
	ret = xmlSecDSigCtxVerify(c, v->sig);
	ref_status(c, bad, sizeof(bad));
	if (ret == 0 && c->status == xmlSecDSigStatusSucceeded) {
		CHECK(v, "core", 1, 0, "empreintes et valeur de signature correctes",
		      "digests and signature value match");
		goto out;
	}
	if (bad[0]) {
		snprintf(fr, sizeof(fr), "l'empreinte de la référence %.150s ne correspond pas "
			 "(document modifié ?)", bad);
		snprintf(en, sizeof(en), "digest mismatch on reference %.150s (document modified?)", bad);
	} else if (ret < 0) {
		snprintf(fr, sizeof(fr), "erreur de traitement : %.250s", sx_last_error());
		snprintf(en, sizeof(en), "processing error: %.250s", sx_last_error());
	} else {
		snprintf(fr, sizeof(fr), "la valeur de signature ne correspond pas");
		snprintf(en, sizeof(en), "the signature value does not match");
	}
	CHECK(v, "core", 0, 0, fr, en);
out:
	sx_detached_set(NULL, NULL, 0);
	if (c)
		xmlSecDSigCtxDestroy(c);
}

static void
check_algorithms(struct vsig *v)
{
	xmlNodePtr sm = sx_child(v->si, NS_DS, "SignatureMethod"), ref, dm;
	char *alg = prop(sm, "Algorithm");

	if (alg && strstr(alg, "sha1"))
		v->sha1 = 1;
	xmlFree(alg);
	for (ref = v->si ? v->si->children : NULL; ref; ref = ref->next) {
		if (!sx_is(ref, NS_DS, "Reference") || !(dm = sx_child(ref, NS_DS, "DigestMethod")))
			continue;
		alg = prop(dm, "Algorithm");
		if (alg && !strcmp(alg, ALG_SHA1))
			v->sha1 = 1;
		xmlFree(alg);
	}
	if (v->sha1)
		CHECK(v, "algorithms", 1, 1, "SHA-1 utilisé : accepté pour un fichier ancien, "
		      "plus sûr aujourd'hui", "SHA-1 in use: accepted for an old file, no longer safe");
	else
		CHECK(v, "algorithms", 1, 0, "algorithmes SHA-256 ou plus", "SHA-256 or stronger");
}

static void
check_signing_time(struct vsig *v)
{
	xmlNodePtr ssp = v->sp ? xa_child(v->sp, v->xa, "SignedSignatureProperties") : NULL;
	xmlChar *s = ssp ? xmlNodeGetContent(xa_child(ssp, v->xa, "SigningTime")) : NULL;
	struct sign_sig_info *si = &v->r->sigs[v->idx];
	time_t t;

	if (s && sx_time_parse((const char *)s, &t) == 0) {
		sx_time_iso(t, si->signing_time, sizeof(si->signing_time));
		v->claimed = t;
		if (!v->when)
			v->when = t;
		CHECK(v, "signing_time", 1, 0, "heure de signature déclarée présente",
		      "claimed signing time present");
	} else {
		CHECK(v, "signing_time", 1, 1, "pas d'heure de signature lisible : vérification à "
		      "l'heure actuelle", "no readable SigningTime: checked at the current time");
	}
	xmlFree(s);
}

/* XAdES-EPES: name the policy (a PES signature without one is suspect). */
static void
check_policy(struct vsig *v)
{
	xmlNodePtr ssp = v->sp ? xa_child(v->sp, v->xa, "SignedSignatureProperties") : NULL;
	xmlNodePtr spi = xa_child(ssp, v->xa, "SignaturePolicyIdentifier");
	xmlNodePtr id = spi ? find_desc(spi, v->xa, "Identifier") : NULL;
	xmlChar *s = id ? xmlNodeGetContent(id) : NULL;
	const char *target = v->r->sigs[v->idx].target;
	xmlAttrPtr a = target[0] ? xmlGetID(v->sig->doc, BAD_CAST target) : NULL;
	int pes = a && a->parent && (sx_is(a->parent, NULL, "Bordereau") ||
				      sx_is(a->parent, NS_PES, "PES_Aller"));
	char fr[320], en[320];

	if (s) {
		snprintf(fr, sizeof(fr), "politique de signature %.200s", (const char *)s);
		snprintf(en, sizeof(en), "signature policy %.200s", (const char *)s);
		CHECK(v, "policy", 1, 0, fr, en);
	} else if (pes) {
		CHECK(v, "policy", 1, 1, "signature PES sans politique de signature",
		      "PES signature without a signature policy");
	}
	xmlFree(s);
}

static void
check_timestamp(struct vsig *v)
{
	xmlNodePtr usp = v->qp ? find_desc(v->qp, v->xa, "SignatureTimeStamp") : NULL, et;
	xmlChar *s;
	struct buf b;
	unsigned char dg[32];
	char msg[256], fr[320], en[320];
	time_t gen = 0;

	if (!usp)
		return;
	buf_init(&b, 1 << 20);
	et = xa_child(usp, v->xa, "EncapsulatedTimeStamp");
	s = et ? xmlNodeGetContent(et) : NULL;
	if (!s || base64_decode((const char *)s, strlen((const char *)s), &b) ||
	    xades_exc_c14n_digest(sx_child(v->sig, NS_DS, "SignatureValue"), dg)) {
		CHECK(v, "timestamp", 0, 0, "horodatage illisible", "unreadable time-stamp");
	} else if (tsp_check_token((unsigned char *)b.data, b.len, dg, v->t, &gen, msg, sizeof(msg))) {
		snprintf(fr, sizeof(fr), "horodatage invalide : %.250s", msg);
		snprintf(en, sizeof(en), "invalid time-stamp: %.250s", msg);
		CHECK(v, "timestamp", 0, 0, fr, en);
	} else if (v->claimed && gen + 300 < v->claimed) {
		CHECK(v, "timestamp", 0, 0, "l'horodatage précède l'heure de signature déclarée",
		      "the time-stamp predates the claimed signing time");
	} else {
		v->when = v->o->at ? v->o->at : gen;
		v->when_proven = 1;
		CHECK(v, "timestamp", 1, 0, "horodatage valide sur la valeur de signature",
		      "valid time-stamp over the signature value");
	}
	xmlFree(s);
	buf_fini(&b);
}

int
key_usage_check(X509 *cert, struct sign_report *r, int sig)
{
	uint32_t ku = X509_get_key_usage(cert);

	if (ku == UINT32_MAX) {
		rep_add(r, sig, "key_usage", 1, 1, "le certificat ne restreint pas l'usage de la clé",
			"the certificate does not restrict its key usage");
		return 0;
	}
	if (ku & KU_NON_REPUDIATION) {
		rep_add(r, sig, "key_usage", 1, 0, "usage de clé non-répudiation",
			"key usage nonRepudiation");
		return 0;
	}
	rep_add(r, sig, "key_usage", 0, 0, "le certificat n'a pas l'usage non-répudiation",
		"the certificate lacks the nonRepudiation key usage");
	return -1;
}

static void
check_chain(struct vsig *v)
{
	if (v->o->at) {
		v->when = v->o->at;
		v->when_proven = 1;
	}
	if (!v->when) {
		v->when = time(NULL);
		v->when_proven = 1;
	}
	trust_report(v->t, v->cert, v->certs, v->when, v->when_proven, sx_ocsp_url(v->o), v->r, v->idx);
}

static void
verify_one(struct vsig *v)
{
	char *id = prop(v->sig, "Id");
	struct sign_sig_info *si;

	snprintf(v->id, sizeof(v->id), "%s", id ? id : "");
	xmlFree(id);
	v->idx = rep_sig(v->r, v->id);
	si = &v->r->sigs[v->idx];
	v->si = sx_child(v->sig, NS_DS, "SignedInfo");
	v->certs = sk_X509_new_null();
	check_references(v);
	find_qp(v);
	check_sp_binding(v);
	check_data_ref(v);
	choose_cert(v);
	if (v->cert)
		sx_cert_subject(v->cert, si->signer, sizeof(si->signer));
	check_core(v);
	check_cert_digest(v);
	check_algorithms(v);
	check_signing_time(v);
	check_policy(v);
	check_timestamp(v);
	if (!v->cert) {
		CHECK(v, "chain", 0, 0, "pas de certificat", "no certificate");
	} else {
		key_usage_check(v->cert, v->r, v->idx);
		check_chain(v);
	}
	sk_X509_pop_free(v->certs, X509_free);
}

/*
 * Coverage of a PES_Aller (the signatures being checked one by one above):
 * Hélios reads the bordereaux at PES_Aller/PES_DepenseAller/Bordereau and
 * PES_Aller/PES_RecetteAller/Bordereau (the only places PES_Aller.xsd puts
 * one).  Each of them must be the target of a valid signature of its own,
 * or the whole file (PES_Aller, by its Id or URI="") the target of a valid
 * signature; every block must hold a covered bordereau; a Bordereau or a
 * signed element anywhere else is a wrapping attempt.
 */
#define COV_MAX_LINES 20

struct cov {
	struct sign_report *r;
	xmlNodePtr root;
	xmlNodePtr *signed_el;     /* targets of the valid signatures, sorted */
	size_t nsigned;
	xmlNodePtr *failed_el;     /* targets of the signatures that failed, sorted */
	size_t nfailed;
	int whole;                 /* a valid signature covers the root */
	int nbord, lines, more;
};

static int
is_block(xmlNodePtr n)
{
	return sx_is(n, NULL, "PES_DepenseAller") || sx_is(n, NULL, "PES_RecetteAller");
}

static int
readable_bordereau(const struct cov *c, xmlNodePtr n)
{
	return sx_is(n, NULL, "Bordereau") && is_block(n->parent) && n->parent->parent == c->root;
}

static int
ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const xmlNodePtr *)a, y = (uintptr_t)*(const xmlNodePtr *)b;

	return x < y ? -1 : x > y;
}

/* Sorted so that a PES of many bordereaux costs n log n, not n^2. */
static int
in_set(xmlNodePtr *v, size_t n, xmlNodePtr el)
{
	return n && bsearch(&el, v, n, sizeof(*v), ptr_cmp) != NULL;
}

static int
is_signed(const struct cov *c, xmlNodePtr n)
{
	return in_set(c->signed_el, c->nsigned, n);
}

static void
cov_fail(struct cov *c, const char *fr, const char *en)
{
	if (c->lines++ < COV_MAX_LINES)
		rep_add(c->r, -1, "coverage", 0, 0, fr, en);
	else
		c->more++;
}

static void
cov_bordereau(struct cov *c, xmlNodePtr n)
{
	char *id = prop(n, "Id"), fr[320], en[320];
	const char *pn = n->parent && n->parent->type == XML_ELEMENT_NODE ?
		(const char *)n->parent->name : "(document)";

	if (!readable_bordereau(c, n)) {
		snprintf(fr, sizeof(fr), "un Bordereau (Id %.100s) est placé sous <%.60s>, là où "
			 "Hélios ne le lit pas (tentative de substitution)", id ? id : "absent", pn);
		snprintf(en, sizeof(en), "a Bordereau (Id %.100s) sits under <%.60s>, where Hélios "
			 "does not read it (wrapping attempt)", id ? id : "none", pn);
		c->r->pes_misplaced++;
		cov_fail(c, fr, en);
	} else if (c->nbord++, !c->whole && !is_signed(c, n)) {
		int tried = in_set(c->failed_el, c->nfailed, n);

		if (!tried)
			c->r->pes_unsigned++;

		snprintf(fr, sizeof(fr), "le bordereau %d (Id %.100s) n'est %s", c->nbord,
			 id ? id : "absent", tried ? "couvert par aucune signature valide" : "pas signé");
		snprintf(en, sizeof(en), "bordereau %d (Id %.100s) is %s", c->nbord,
			 id ? id : "none", tried ? "covered by no valid signature" : "not signed");
		cov_fail(c, fr, en);
	}
	xmlFree(id);
}

static int
block_covered(const struct cov *c, xmlNodePtr b)
{
	xmlNodePtr n;

	for (n = b->children; n; n = n->next)
		if (sx_is(n, NULL, "Bordereau") && is_signed(c, n))
			return 1;
	return 0;
}

static void
cov_walk(struct cov *c, xmlNodePtr n)
{
	char fr[320], en[320];
	int nblock = 0;

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || sx_is(n, NS_DS, "Signature"))
			continue;
		if (!strcmp((const char *)n->name, "Bordereau"))
			cov_bordereau(c, n);
		if (n->parent == c->root && is_block(n) && (nblock++, !c->whole) &&
		    !block_covered(c, n)) {
			snprintf(fr, sizeof(fr), "le bloc %s n° %d ne contient aucun bordereau signé",
				 (const char *)n->name, nblock);
			snprintf(en, sizeof(en), "block %s no. %d holds no signed bordereau",
				 (const char *)n->name, nblock);
			cov_fail(c, fr, en);
		}
		cov_walk(c, n->children);
	}
}

/* sigs->v[0..nsigned) are the targets of valid signatures, the rest those
 * of signatures that failed (or NULL). */
static void
check_coverage(struct sign_report *r, xmlDocPtr doc, struct sigs *sigs, size_t nsigned)
{
	struct cov c = { .r = r, .root = xmlDocGetRootElement(doc), .signed_el = sigs->v,
			 .nsigned = nsigned, .failed_el = sigs->v + nsigned,
			 .nfailed = sigs->n - nsigned };
	xmlNodePtr *signed_el = sigs->v;
	char fr[320], en[320], *id;
	size_t i;

	if (!c.root || strcmp((const char *)c.root->name, "PES_Aller") != 0)
		return;
	qsort(c.signed_el, c.nsigned, sizeof(xmlNodePtr), ptr_cmp);
	qsort(c.failed_el, c.nfailed, sizeof(xmlNodePtr), ptr_cmp);
	c.whole = is_signed(&c, c.root);
	for (i = 0; i < nsigned; i++) {
		if (signed_el[i] == c.root || readable_bordereau(&c, signed_el[i]) ||
		    sx_is(signed_el[i], NULL, "Bordereau"))
			continue;       /* a misplaced Bordereau is reported by the walk */
		id = prop(signed_el[i], "Id");
		snprintf(fr, sizeof(fr), "l'élément signé <%.60s> (Id %.100s) n'est ni PES_Aller ni "
			 "un bordereau lu par Hélios", (const char *)signed_el[i]->name, id ? id : "");
		snprintf(en, sizeof(en), "the signed element <%.60s> (Id %.100s) is neither PES_Aller "
			 "nor a bordereau Hélios reads", (const char *)signed_el[i]->name, id ? id : "");
		xmlFree(id);
		r->pes_misplaced++;
		cov_fail(&c, fr, en);
	}
	r->pes_covered = 1;
	cov_walk(&c, c.root->children);
	r->pes_bordereaux = (size_t)c.nbord;
	if (c.more) {
		snprintf(fr, sizeof(fr), "et %d autres éléments non couverts", c.more);
		snprintf(en, sizeof(en), "and %d more elements not covered", c.more);
		rep_add(r, -1, "coverage", 0, 0, fr, en);
	} else if (!c.lines) {
		rep_add(r, -1, "coverage", 1, 0, c.whole ? "le fichier entier est signé" :
			"chaque bordereau est couvert par sa signature",
			c.whole ? "the whole file is signed" : "every bordereau is covered by its signature");
	}
}

static int
verify_xml(const struct sign_verify_opts *o, struct trust *t, const void *in, size_t inlen,
	   struct sign_report *r, struct lerr *e)
{
	xmlDocPtr doc = NULL;
	struct sigs sigs = { 0 };
	size_t i, nsigned = 0;
	char dup[128], fr[320], en[320];
	struct lerr pe;
	int rc = 0;

	snprintf(r->format, sizeof(r->format), "xades");
	lerr_clear(&pe);
	if (sx_parse(in, inlen, &doc, &pe)) {
		snprintf(fr, sizeof(fr), "document XML refusé : %.200s %.80s", pe.msg, pe.detail);
		snprintf(en, sizeof(en), "XML document refused: %.200s %.80s", pe.msg, pe.detail);
		rep_add(r, -1, "xml", 0, 0, fr, en);
		return 0;
	}
	if (sx_register_ids(doc, dup, sizeof(dup))) {
		snprintf(fr, sizeof(fr), "Id \"%.100s\" en double : tentative de substitution "
			 "(signature wrapping)", dup);
		snprintf(en, sizeof(en), "duplicate Id \"%.100s\": signature wrapping attempt", dup);
		rep_add(r, -1, "ids_unique", 0, 0, fr, en);
	} else {
		rep_add(r, -1, "ids_unique", 1, 0, "identifiants uniques", "unique Ids");
	}
	if (collect_sigs(xmlDocGetRootElement(doc), &sigs)) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (sigs.n == 0)
		rep_add(r, -1, "signature_present", 0, 0, "aucune signature XML", "no XML signature");
	for (i = 0; i < sigs.n; i++) {
		struct vsig v = { .r = r, .o = o, .t = t, .sig = sigs.v[i] };

		verify_one(&v);
		/* slot i is free now: valid targets are packed at the front,
		 * failed ones kept behind them */
		if (v.target && r->sigs[v.idx].valid) {
			sigs.v[i] = sigs.v[nsigned];
			sigs.v[nsigned++] = v.target;
		} else {
			sigs.v[i] = v.target;
		}
	}
	if (sigs.n > 0)
		check_coverage(r, doc, &sigs, nsigned);
out:
	free(sigs.v);
	xmlFreeDoc(doc);
	return rc;
}

static int
looks_xml(const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
		i++;
	return i < n && p[i] == '<';
}

/* A PDF given in memory goes the way of one in a file: a memory file. */
static int
pades_verify_mem(const struct sign_verify_opts *o, struct trust *t, const void *in, size_t inlen,
		 struct sign_report *r, struct lerr *e)
{
	int fd = memfd_create("liasse-verify", MFD_CLOEXEC), rc;
	size_t done = 0;
	ssize_t w = 0;

	while (fd >= 0 && done < inlen && (w = write(fd, (const char *)in + done, inlen - done)) > 0)
		done += (size_t)w;
	if (fd < 0 || done < inlen)
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot verify the PDF: no memory file");
	else
		rc = pades_verify_fd(o, t, fd, r, e);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* in (inlen bytes), or the PDF of fd when fd >= 0. */
static int
verify_run(const struct sign_verify_opts *o, const void *in, size_t inlen, int fd,
	   struct sign_report *r, struct lerr *e)
{
	struct trust t;
	const char *dir = o->trust_dir ? o->trust_dir : config_str("trust_dir");
	size_t i;
	int rc;

	if ((rc = sign_init(e)) || (rc = trust_load(&t, dir, e)))
		return rc;
	if (fd >= 0)
		rc = pades_verify_fd(o, &t, fd, r, e);
	else if (looks_xml(in, inlen))
		rc = verify_xml(o, &t, in, inlen, r, e);
	else if (inlen >= 5 && !memcmp(in, "%PDF-", 5))
		rc = pades_verify_mem(o, &t, in, inlen, r, e);
	else
		rc = cades_verify(o, &t, in, inlen, r, e);
	trust_fini(&t);
	r->valid = !rc && r->nsig > 0;
	for (i = 0; i < r->n; i++)
		if (!r->checks[i].ok)
			r->valid = 0;
	return rc;
}

int
sign_verify(const struct sign_verify_opts *o, const void *in, size_t inlen,
	    struct sign_report *r, struct lerr *e)
{
	return verify_run(o, in, inlen, -1, r, e);
}

int
sign_verify_is_pdf(int fd)
{
	char head[5];

	return !spool_read_at(fd, head, sizeof(head), 0) && !memcmp(head, "%PDF-", 5);
}

int
sign_verify_fd(const struct sign_verify_opts *o, int fd, size_t max, struct sign_report *r,
	       struct lerr *e)
{
	char chunk[65536];
	struct stat st;
	struct buf in;
	int rc;

	if (fstat(fd, &st))
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot read the file: %s", strerror(errno));
	if (sign_verify_is_pdf(fd))
		return verify_run(o, NULL, 0, fd, r, e);
	if ((uint64_t)st.st_size > max) {
		lerr_set(e, LERR_TOOLARGE, NULL, "the file is %lld bytes, more than %zu: a signed XML "
			 "or CMS file is verified in memory", (long long)st.st_size, max);
		lerr_hint(e, "only a PDF is verified from its file whatever its size (up to %lu MiB)",
			  LPDF_MAX_DOC >> 20);
		return LERR_TOOLARGE;
	}
	buf_init(&in, max);
	rc = 0;
	for (off_t at = 0; !rc && at < st.st_size; at += (off_t)sizeof(chunk)) {
		size_t n = st.st_size - at < (off_t)sizeof(chunk) ? (size_t)(st.st_size - at) :
			   sizeof(chunk);

		if (spool_read_at(fd, chunk, n, at) || buf_add(&in, chunk, n))
			rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot read the file");
	}
	if (!rc)
		rc = verify_run(o, in.data, in.len, -1, r, e);
	buf_fini(&in);
	return rc;
}

int
sign_verify_buffer(const void *in, size_t inlen, const void *data, size_t datalen,
		   const char *data_name, struct sign_report *r, struct lerr *e)
{
	struct sign_verify_opts o = { .data = data, .datalen = datalen, .data_name = data_name };

	return sign_verify(&o, in, inlen, r, e);
}
