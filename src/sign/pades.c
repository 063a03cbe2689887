/*
 * pades.c - PAdES (ETSI EN 319 142-1) baseline B-B and B-T: the CMS of the
 * signature, made here with OpenSSL over the SHA-256 pdf/ computes of the
 * ByteRange; the PDF revision around it is pdf/'s (MuPDF).  Verification of
 * each signature a PDF carries.  doc/pades.md.
 */
#include "sign/sign_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include "pdf/pdf.h"

struct pades_ctx {
	const struct sign_key *k;
	const struct sign_tsa *tsa;
};

/* B-T: the time-stamp token over the signature value, unsigned attribute
 * id-aa-signatureTimeStampToken (RFC 3161 appendix A). */
static int
add_timestamp(CMS_SignerInfo *si, const struct sign_tsa *tsa, struct lerr *e)
{
	ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
	unsigned char md[32];
	struct buf tok;
	time_t at;
	int rc;

	SHA256(ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv), md);
	buf_init(&tok, 64 * 1024);
	if (!(rc = sign_timestamp(tsa, md, NULL, &tok, &at, e)) &&
	    !CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
					   tok.data, (int)tok.len))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot add the time-stamp to the CMS");
	buf_fini(&tok);
	return rc;
}

static int
der_cmp(const void *a, const void *b)
{
	const struct buf *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->data, y->data, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* DER length octets of n into p (at most 5), their count. */
static size_t
der_len(size_t n, unsigned char *p)
{
	size_t k = 0;

	if (n < 128) {
		p[0] = (unsigned char)n;
		return 1;
	}
	for (size_t m = n; m; m >>= 8)
		k++;
	p[0] = (unsigned char)(0x80 | k);
	for (size_t i = 0; i < k; i++)
		p[1 + i] = (unsigned char)(n >> (8 * (k - 1 - i)));
	return k + 1;
}

/* The signed attributes as the signature covers them: SET OF Attribute,
 * DER (elements sorted by their encodings). */
static int
signed_attrs_der(CMS_SignerInfo *si, struct buf *out)
{
	int n = CMS_signed_get_attr_count(si), rc = 0;
	struct buf el[16];
	size_t total = 0, hl;
	unsigned char hdr[6] = { 0x31 };

	if (n < 1 || n > 16)
		return -1;
	for (int i = 0; i < n; i++) {
		unsigned char *d = NULL;
		int l = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &d);

		buf_init(&el[i], 1 << 16);
		if (l <= 0 || buf_add(&el[i], d, (size_t)l))
			rc = -1;
		OPENSSL_free(d);
		total += el[i].len;
	}
	qsort(el, (size_t)n, sizeof(el[0]), der_cmp);
	hl = 1 + der_len(total, hdr + 1);
	rc |= buf_add(out, hdr, hl);
	for (int i = 0; i < n; i++) {
		rc |= buf_add(out, el[i].data, el[i].len);
		buf_fini(&el[i]);
	}
	return rc;
}

/* PAdES baseline: no CMS signing-time (the claimed time is the PDF's /M;
 * EN 319 142-1, 5.4.2 / 6.3).  OpenSSL's CMS_SignerInfo_sign() always adds
 * one: it is removed and the SignerInfo signed again over the DER of what
 * is left (RSA PKCS#1 v1.5 or ECDSA with SHA-256, as CMS_add1_signer chose). */
static int
drop_signing_time(CMS_SignerInfo *si, EVP_PKEY *pkey)
{
	int i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	struct buf der;
	int rc = -1;

	if (i < 0)
		return 0;
	X509_ATTRIBUTE_free(CMS_signed_delete_attr(si, i));
	buf_init(&der, 1 << 20);
	if (signed_attrs_der(si, &der) || !(md = EVP_MD_CTX_new()) ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (unsigned char *)der.data, der.len) != 1 ||
	    !(sig = OPENSSL_malloc(siglen)) ||
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)der.data, der.len) != 1 ||
	    !ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)siglen))
		goto out;
	rc = 0;
out:
	OPENSSL_free(sig);
	EVP_MD_CTX_free(md);
	buf_fini(&der);
	return rc;
}

/* SignedData, detached, signed attributes contentType, messageDigest (the
 * given digest), signingCertificateV2 (CAdES); no signingTime (PAdES). */
static CMS_ContentInfo *
cms_over_digest(const struct sign_key *k, const unsigned char md[32], CMS_SignerInfo **psi)
{
	const unsigned flags = CMS_PARTIAL | CMS_DETACHED | CMS_BINARY;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	CMS_SignerInfo *si;

	if (!cms || !(si = CMS_add1_signer(cms, k->cert, k->pkey, EVP_sha256(),
					   flags | CMS_CADES | CMS_NOSMIMECAP)))
		goto fail;
	for (int i = 0; k->chain && i < sk_X509_num(k->chain); i++)
		if (!CMS_add1_cert(cms, sk_X509_value(k->chain, i)))
			goto fail;
	if (!CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
					 OBJ_nid2obj(NID_pkcs7_data), -1) ||
	    !CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING,
					 md, 32) ||
	    CMS_SignerInfo_sign(si) != 1 || drop_signing_time(si, k->pkey))
		goto fail;
	*psi = si;
	return cms;
fail:
	CMS_ContentInfo_free(cms);
	return NULL;
}

static int
pades_cms(void *arg, const unsigned char md[32], struct buf *out, struct lerr *e)
{
	struct pades_ctx *c = arg;
	CMS_SignerInfo *si = NULL;
	CMS_ContentInfo *cms = cms_over_digest(c->k, md, &si);
	unsigned char *der = NULL;
	int len, rc = 0;

	if (!cms) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "CMS signing failed");
		sx_ssl_detail(e);
		goto out;
	}
	if (c->tsa && (rc = add_timestamp(si, c->tsa, e)))
		goto out;
	if ((len = i2d_CMS_ContentInfo(cms, &der)) <= 0)
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot encode the CMS signature");
	else if (buf_add(out, der, (size_t)len))
		rc = lerr_set(e, LERR_TOOLARGE, NULL, "CMS of %d bytes: more than the %zu reserved "
			      "in the PDF", len, out->max);
out:
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}

void
sign_key_cn(const struct sign_key *k, char *out, size_t outsz)
{
	X509_NAME *n = X509_get_subject_name(k->cert);
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)) : NULL;
	unsigned char *u = NULL;

	out[0] = 0;
	if (s && ASN1_STRING_to_UTF8(&u, s) >= 0)
		snprintf(out, outsz, "%s", u);
	OPENSSL_free(u);
}

/* The options as pdf/ takes them; 0, or the certificate's time refused. */
static int
pades_opts(const struct sign_key *k, const struct sign_pades_opts *o, struct pades_ctx *c,
	   char *cn, size_t cnsz, struct lpdf_sign_opts *po, struct lerr *e)
{
	int rc;

	if ((rc = sign_init(e)) || (rc = sign_check_cert_time(k->cert, time(NULL), e)))
		return rc;
	sign_key_cn(k, cn, cnsz);
	*c = (struct pades_ctx){ k, o->tsa };
	*po = (struct lpdf_sign_opts){ .signer = cn, .text = o->text, .page = o->page, .x = o->x,
				       .y = o->y, .w = o->w, .h = o->h, .when = o->now,
				       .logo = o->logo, .logo_len = o->logo_len,
				       .cms = pades_cms, .arg = c };
	return 0;
}

int
sign_pades(const struct sign_key *k, const struct sign_pades_opts *o, const void *in,
	   size_t len, struct buf *out, struct lerr *e)
{
	struct pades_ctx c;
	struct lpdf_sign_opts po;
	char cn[256];
	int rc = pades_opts(k, o, &c, cn, sizeof(cn), &po, e);

	return rc ? rc : lpdf_sign(&po, in, len, out, e);
}

int
sign_pades_fd(const struct sign_key *k, const struct sign_pades_opts *o, int in, int out,
	      size_t *outlen, struct lerr *e)
{
	struct pades_ctx c;
	struct lpdf_sign_opts po;
	char cn[256];
	int rc = pades_opts(k, o, &c, cn, sizeof(cn), &po, e);

	*outlen = 0;
	return rc ? rc : lpdf_sign_fd(&po, in, out, outlen, e);
}

/* ---- verification ---- */

void
cms_timestamp(CMS_SignerInfo *si, struct trust *t, struct sign_report *r, int sig, time_t *tst)
{
	int i = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
	X509_ATTRIBUTE *a = i >= 0 ? CMS_unsigned_get_attr(si, i) : NULL;
	ASN1_TYPE *ty = a ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
	ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
	unsigned char md[32];
	char msg[256] = "";

	if (!ty)
		return;
	SHA256(ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv), md);
	if (ty->type != V_ASN1_SEQUENCE ||
	    tsp_check_token(ty->value.sequence->data, (size_t)ty->value.sequence->length, md, t,
			    tst, msg, sizeof(msg))) {
		*tst = 0;
		rep_add(r, sig, "timestamp", 0, 0, "horodatage de la signature invalide",
			"the signature time-stamp does not verify");
		return;
	}
	rep_add(r, sig, "timestamp", 1, 0, "horodatage de la signature valide",
		"signature time-stamp valid");
}

struct pv {
	const struct sign_verify_opts *o;
	struct trust *t;
	struct sign_report *r;
};

static void
coverage(const struct lpdf_sig *s, struct sign_report *r, int sig)
{
	char fr[320], en[320];

	if (!s->range_ok) {
		rep_add(r, sig, "byte_range", 0, 0, "ByteRange incorrect : il doit couvrir tout le "
			"fichier sauf /Contents", "bad ByteRange: it must cover the whole file but "
			"/Contents");
		return;
	}
	snprintf(fr, sizeof(fr), "ByteRange couvre la révision sauf /Contents : octets 0 à %zu "
		 "sauf %zu à %zu (%zu octets signés)", s->revision_end, s->range[1], s->range[2],
		 s->covered);
	snprintf(en, sizeof(en), "ByteRange covers the revision but /Contents: bytes 0 to %zu "
		 "except %zu to %zu (%zu bytes signed)", s->revision_end, s->range[1], s->range[2],
		 s->covered);
	rep_add(r, sig, "byte_range", 1, 0, fr, en);
}

/* After the CMS check: changed bytes (core failed), or later revisions. */
static void
modified(const struct lpdf_sig *s, struct sign_report *r, int sig)
{
	const struct sign_check *core = sign_report_find(r, "core", sig);
	char fr[320], en[320];

	if (!s->range_ok || !core)
		return;
	if (!core->ok) {
		rep_add(r, sig, "modified", 0, 0, "document modifié après signature : les octets "
			"signés ont changé", "document modified after signing: the signed bytes "
			"changed");
		return;
	}
	if (s->whole_file) {
		rep_add(r, sig, "modified", 1, 0, "document non modifié depuis cette signature",
			"document not modified since this signature");
		return;
	}
	snprintf(fr, sizeof(fr), "document modifié après cette signature : elle couvre la "
		 "révision des octets 0 à %zu (des révisions suivantes l'ont complété)",
		 s->revision_end);
	snprintf(en, sizeof(en), "document modified after this signature: it covers the revision "
		 "of bytes 0 to %zu (later revisions were appended)", s->revision_end);
	rep_add(r, sig, "modified", 1, 1, fr, en);
}

/* The bytes a ByteRange covers as a BIO that OpenSSL's CMS_verify digests
 * as it reads: read from the PDF's file through lpdf_sig_read, RANGE_WIN
 * at a time (never the whole revision in memory). */
#define RANGE_WIN (64u << 10)

struct range_bio {
	const struct lpdf_sig *s;
	size_t pos;                     /* next byte of the covered ones */
	size_t off, fill;               /* what of win is left to hand out */
	unsigned char win[RANGE_WIN];
};

static int
range_read(BIO *b, char *out, int outl)
{
	struct range_bio *rb = BIO_get_data(b);
	size_t n;

	if (outl <= 0)
		return 0;
	if (rb->off == rb->fill) {
		n = rb->s->covered - rb->pos < RANGE_WIN ? rb->s->covered - rb->pos : RANGE_WIN;
		if (n == 0)
			return 0;
		if (lpdf_sig_read(rb->s, rb->pos, rb->win, n))
			return -1;
		rb->pos += n;
		rb->off = 0;
		rb->fill = n;
	}
	n = rb->fill - rb->off < (size_t)outl ? rb->fill - rb->off : (size_t)outl;
	memcpy(out, rb->win + rb->off, n);
	rb->off += n;
	return (int)n;
}

static long
range_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct range_bio *rb = BIO_get_data(b);

	(void)num;
	(void)ptr;
	if (cmd == BIO_CTRL_FLUSH)
		return 1;
	if (cmd == BIO_CTRL_EOF)
		return rb->pos == rb->s->covered && rb->off == rb->fill;
	return 0;
}

static BIO_METHOD *range_meth;
static pthread_once_t range_once = PTHREAD_ONCE_INIT;

static void
range_meth_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOURCE_SINK | 0x70, "PDF ByteRange");

	if (m && (!BIO_meth_set_read(m, range_read) || !BIO_meth_set_ctrl(m, range_ctrl))) {
		BIO_meth_free(m);
		m = NULL;
	}
	range_meth = m;
}

/* A BIO over s's covered bytes (rb its state, the caller's), NULL if none. */
static BIO *
range_bio(const struct lpdf_sig *s, struct range_bio *rb)
{
	BIO *b;

	pthread_once(&range_once, range_meth_init);
	if (!range_meth || !(b = BIO_new(range_meth)))
		return NULL;
	rb->s = s;
	rb->pos = rb->off = rb->fill = 0;
	BIO_set_data(b, rb);
	BIO_set_init(b, 1);
	return b;
}

static int
one_pdf_sig(void *arg, size_t idx, const struct lpdf_sig *s, struct lerr *e)
{
	struct pv *v = arg;
	int sig = rep_sig(v->r, s->field);
	const unsigned char *p = s->cms;
	CMS_ContentInfo *cms = s->cmslen ? d2i_CMS_ContentInfo(NULL, &p, (long)s->cmslen) : NULL;
	struct range_bio *rb = malloc(sizeof(*rb));
	BIO *data = NULL;

	(void)idx;
	(void)e;
	snprintf(v->r->sigs[sig].signing_time, sizeof(v->r->sigs[sig].signing_time), "%s",
		 s->claimed);
	coverage(s, v->r, sig);
	if (strcmp(s->subfilter, "ETSI.CAdES.detached") && strcmp(s->subfilter, "adbe.pkcs7.detached"))
		rep_add(v->r, sig, "format", 0, 0, "SubFilter non pris en charge",
			"unsupported SubFilter (ETSI.CAdES.detached or adbe.pkcs7.detached)");
	else if (!cms)
		rep_add(v->r, sig, "format", 0, 0, "/Contents n'est pas une signature CMS lisible",
			"/Contents is not a readable CMS signature");
	else if (s->range_ok && (!rb || !(data = range_bio(s, rb))))
		rep_add(v->r, sig, "core", 0, 0, "octets signés illisibles", "cannot read the signed bytes");
	else if (s->range_ok)
		cms_check(v->o, v->t, cms, data, v->r, sig);
	modified(s, v->r, sig);
	BIO_free(data);
	free(rb);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return 0;
}

int
pades_verify_fd(const struct sign_verify_opts *o, struct trust *t, int fd, struct sign_report *r,
		struct lerr *e)
{
	struct pv v = { o, t, r };
	size_t n = 0;
	int rc;

	snprintf(r->format, sizeof(r->format), "pades");
	if ((rc = lpdf_signatures_fd(fd, one_pdf_sig, &v, &n, e)))
		return rc;
	if (!n)
		rep_add(r, -1, "signature_present", 0, 0, "aucune signature dans le PDF",
			"no signature in the PDF");
	return 0;
}
