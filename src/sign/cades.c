/*
 * cades.c - detached CMS signatures (CAdES-BES) for @ctes PDFs, and their
 * verification against the configured anchors.
 */
#include "sign/sign_int.h"

#include <string.h>
#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/err.h>

int
sign_cades(const struct sign_key *k, const void *data, size_t len, int b64, struct buf *out,
	   struct lerr *e)
{
	BIO *in = BIO_new_mem_buf(data, (int)len);
	CMS_ContentInfo *cms = NULL;
	unsigned char *der = NULL;
	int dlen, rc = 0;

	if ((rc = sign_init(e)) || (rc = sign_check_cert_time(k->cert, time(NULL), e)))
		goto out;
	if (!in || !(cms = CMS_sign(k->cert, k->pkey, k->chain, in,
				    CMS_DETACHED | CMS_BINARY | CMS_CADES))) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "CMS signing failed");
		goto out;
	}
	if ((dlen = i2d_CMS_ContentInfo(cms, &der)) <= 0) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot encode the CMS signature");
		goto out;
	}
	buf_reset(out);
	if (b64 ? base64_encode(der, (size_t)dlen, 1, out) : buf_add(out, der, (size_t)dlen))
		rc = lerr_set(e, LERR_TOOLARGE, NULL, "signature larger than the output buffer");
out:
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	ERR_clear_error();
	return rc;
}

static int
all_b64(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n \t",
			    p[i]) || !p[i])
			return 0;
	return n > 0;
}

static CMS_ContentInfo *
read_cms(const void *in, size_t inlen)
{
	BIO *b;
	CMS_ContentInfo *cms = NULL;
	struct buf d;

	if (inlen > 10 && !memcmp(in, "-----BEGIN", 10)) {
		if ((b = BIO_new_mem_buf(in, (int)inlen)))
			cms = PEM_read_bio_CMS(b, NULL, NULL, NULL);
		BIO_free(b);
		return cms;
	}
	buf_init(&d, inlen + 1);
	if (all_b64(in, inlen) && base64_decode(in, inlen, &d) == 0) {
		in = d.data;
		inlen = d.len;
	}
	if ((b = BIO_new_mem_buf(in, (int)inlen)))
		cms = d2i_CMS_bio(b, NULL);
	BIO_free(b);
	buf_fini(&d);
	return cms;
}

static void
cms_time(CMS_SignerInfo *si, struct sign_report *r, int sig, time_t *when)
{
	int i = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *a = i >= 0 ? CMS_signed_get_attr(si, i) : NULL;
	ASN1_TYPE *t = a ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
	struct tm tm;

	if (t && (t->type == V_ASN1_UTCTIME || t->type == V_ASN1_GENERALIZEDTIME) &&
	    ASN1_TIME_to_tm(t->value.utctime, &tm)) {
		*when = timegm(&tm);
		sx_time_iso(*when, r->sigs[sig].signing_time, sizeof(r->sigs[sig].signing_time));
		rep_add(r, sig, "signing_time", 1, 0, "heure de signature déclarée présente",
			"claimed signing time present");
	} else if (r->sigs[sig].signing_time[0]) {
		sx_time_parse(r->sigs[sig].signing_time, when);
		rep_add(r, sig, "signing_time", 1, 0, "heure de signature déclarée (/M du PDF)",
			"claimed signing time (the PDF's /M)");
	} else {
		rep_add(r, sig, "signing_time", 1, 1, "pas d'heure de signature : vérification à "
			"l'heure actuelle", "no signing time: checked at the current time");
	}
}

/* The CMS over data, its signer and chain: checks of signature sig. */
void
cms_check(const struct sign_verify_opts *o, struct trust *t, CMS_ContentInfo *cms,
	  BIO *data, struct sign_report *r, int sig)
{
	STACK_OF(X509) *signers = NULL, *certs = CMS_get1_certs(cms);
	X509 *signer;
	time_t when = 0, tst = 0;
	int ok;

	ok = data && CMS_verify(cms, NULL, NULL, data, NULL,
				CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) == 1;
	rep_add(r, sig, "core", ok, 0, ok ? "empreinte et signature CMS correctes" :
		"la signature CMS ne correspond pas au document", ok ? "CMS digest and signature match" :
		"the CMS signature does not match the data");
	ERR_clear_error();
	signers = CMS_get0_signers(cms);
	if (!(signer = sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : NULL)) {
		rep_add(r, sig, "chain", 0, 0, "un seul signataire attendu", "exactly one signer expected");
		goto out;
	}
	sx_cert_subject(signer, r->sigs[sig].signer, sizeof(r->sigs[sig].signer));
	cms_time(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0), r, sig, &when);
	cms_timestamp(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0), t, r, sig, &tst);
	key_usage_check(signer, r, sig);
	trust_report(t, signer, certs, o->at ? o->at : tst ? tst : when ? when : time(NULL),
		     o->at || tst || !when, sx_ocsp_url(o), r, sig);
out:
	sk_X509_free(signers);
	sk_X509_pop_free(certs, X509_free);
}

int
cades_verify(const struct sign_verify_opts *o, struct trust *t, const void *in, size_t inlen,
	     struct sign_report *r, struct lerr *e)
{
	CMS_ContentInfo *cms = read_cms(in, inlen);
	BIO *data = NULL;

	(void)e;
	snprintf(r->format, sizeof(r->format), "cades");
	if (!cms) {
		rep_add(r, -1, "format", 0, 0, "ni XML ni CMS lisible", "neither XML nor readable CMS");
		goto out;
	}
	rep_sig(r, "cms");
	if (!o->data) {
		rep_add(r, 0, "core", 0, 0, "signature détachée : le document signé est requis",
			"detached signature: the signed data is required");
		goto out;
	}
	data = BIO_new_mem_buf(o->data, (int)o->datalen);
	cms_check(o, t, cms, data, r, 0);
out:
	BIO_free(data);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return 0;
}
