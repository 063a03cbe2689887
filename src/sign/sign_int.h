/* sign_int.h - helpers shared by the files of sign/ (not for other modules). */
#ifndef LIASSE_SIGN_INT_H
#define LIASSE_SIGN_INT_H

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmldsig.h>

#include "core/util.h"
#include "sign/sign.h"

#define NS_DS     "http://www.w3.org/2000/09/xmldsig#"
#define NS_X111   "http://uri.etsi.org/01903/v1.1.1#"
#define NS_X122   "http://uri.etsi.org/01903/v1.2.2#"
#define NS_X132   "http://uri.etsi.org/01903/v1.3.2#"
#define NS_PES    "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
#define ALG_EXC   "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_ENV   "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define ALG_RSA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define ALG_SHA1  "http://www.w3.org/2000/09/xmldsig#sha1"

/* sign.c: XML in and out, xmlsec contexts */
int sx_parse(const void *in, size_t len, xmlDocPtr *doc, struct lerr *e) LERR_WUR;
int sx_serialize(xmlDocPtr doc, struct buf *out, struct lerr *e) LERR_WUR;
/* Register every Id attribute as an ID; returns the number of duplicates
 * and copies the first duplicated value into dup. */
int sx_register_ids(xmlDocPtr doc, char *dup, size_t dupsz);
int sx_set_id(xmlNodePtr node, const char *id, struct lerr *e) LERR_WUR;
xmlSecDSigCtxPtr sx_dsig_ctx(EVP_PKEY *pkey, int remote_ok);
void sx_detached_set(const char *name, const void *data, size_t len);
const char *sx_last_error(void);
xmlNodePtr sx_child(xmlNodePtr parent, const char *ns, const char *name);
int sx_is(xmlNodePtr n, const char *ns, const char *name);
xmlNodePtr sx_add(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text);
int sx_c14n(xmlNodePtr node, int mode, const EVP_MD *md, unsigned char *dg, unsigned *dglen,
	    struct buf *out, xmlNodePtr exclude);

/* splice.c: the signed PES written by editing the original bytes */
void sx_number_elements(xmlDocPtr doc);
int sx_splice(const char *in, size_t len, xmlDocPtr doc, xmlNodePtr *sigs, size_t nsig,
	      xmlNodePtr *vnodes, size_t nv, struct buf *out) LERR_WUR;

/* keys.c: certificate facts */
int sx_cert_digest(X509 *cert, const EVP_MD *md, char *b64, size_t b64sz);
void sx_ssl_detail(struct lerr *e);
void sx_cert_issuer(X509 *cert, char *out, size_t outsz);
void sx_cert_serial(X509 *cert, char *out, size_t outsz);
void sx_cert_subject(X509 *cert, char *out, size_t outsz);
void sx_cert_issuer_text(X509 *cert, char *out, size_t outsz);
int sign_check_cert_time(X509 *cert, time_t now, struct lerr *e) LERR_WUR;
void sx_time_iso(time_t t, char *out, size_t outsz);
int sx_time_parse(const char *s, time_t *t);

/* xades.c: the XAdES signature, built and signed (libxml2 C14N, OpenSSL) */
struct xades_params {
	enum sign_xades_ver ver;
	const char *sig_id;            /* ds:Signature/@Id */
	const char *ref_uri;           /* data reference URI */
	int enveloped;                 /* enveloped-signature + exc-c14n transforms */
	const char *mime_type;         /* DataObjectFormat (1.3.2) */
	const char *policy_oid, *policy_hash, *policy_uri, *policy_desc;
	const char *city, *postal_code, *country, *role;
	const struct sign_tsa *tsa;
	const void *data;              /* detached data (ref_uri names it) */
	size_t datalen;
	time_t now;
};
int xades_sign_at(const struct sign_key *k, const struct xades_params *p,
		  xmlNodePtr parent, struct lerr *e) LERR_WUR;

/* trust.c: a store of configured anchors */
struct trust {
	X509_STORE *store;
	STACK_OF(X509) *certs;
	STACK_OF(X509_CRL) *crls;
};
int trust_load(struct trust *t, const char *dir, struct lerr *e) LERR_WUR;
void trust_fini(struct trust *t);
/* 0 ok, else the X509_V_ERR code; msg gets the reason. */
int trust_verify(struct trust *t, X509 *cert, STACK_OF(X509) *untrusted, time_t at,
		 int purpose_tsa, X509 **issuer, char *msg, size_t msgsz);
/* proven: `at` comes from a time-stamp or the operator.  A revocation after
 * a time the signer merely claims proves nothing (a stolen key can claim any
 * time): it fails the signature. */
void trust_report(struct trust *t, X509 *cert, STACK_OF(X509) *untrusted, time_t at, int proven,
		  const char *ocsp_url, struct sign_report *r, int sig);
/* ocsp.c */
void ocsp_report(struct trust *t, X509 *cert, X509 *issuer, STACK_OF(X509) *untrusted,
		 time_t at, int proven, const char *url, struct sign_report *r, int sig);
/* The revocation check's verdict for a certificate revoked at rev. */
void revoked_report(time_t rev, time_t at, int proven, const char *how, struct sign_report *r, int sig);
const char *sx_ocsp_url(const struct sign_verify_opts *o);
/* POST through the poster of sign_set_http_post() (tsp.c). */
int sx_http_post(const char *url, const char *ctype, const void *req, size_t len,
		 struct buf *resp, struct lerr *e) LERR_WUR;

/* tsp.c */
int tsp_check_token(const unsigned char *tok, size_t len, const unsigned char digest[32],
		    struct trust *t, time_t *gentime, char *msg, size_t msgsz);
int xades_exc_c14n_digest(xmlNodePtr node, unsigned char out[32]);

/* report.c */
void rep_add(struct sign_report *r, int sig, const char *id, int ok, int warning,
	     const char *fr, const char *en);
int rep_sig(struct sign_report *r, const char *id);

/* verify.c / cades.c */
struct CMS_ContentInfo_st;
struct CMS_SignerInfo_st;
/* The CMS over the signed data read from the BIO data (NULL: no data, the
 * core check fails), its signer and chain: checks of signature sig. */
void cms_check(const struct sign_verify_opts *o, struct trust *t, struct CMS_ContentInfo_st *cms,
	       BIO *data, struct sign_report *r, int sig);
/* pades.c: the signature time-stamp (unsigned attribute) of a SignerInfo. */
void cms_timestamp(struct CMS_SignerInfo_st *si, struct trust *t,
		   struct sign_report *r, int sig, time_t *tst);
/* A PDF's signatures, the PDF read from its file fd (never whole). */
int pades_verify_fd(const struct sign_verify_opts *o, struct trust *t, int fd,
		    struct sign_report *r, struct lerr *e) LERR_WUR;
int cades_verify(const struct sign_verify_opts *o, struct trust *t, const void *in,
		 size_t inlen, struct sign_report *r, struct lerr *e) LERR_WUR;
int key_usage_check(X509 *cert, struct sign_report *r, int sig);

#endif
