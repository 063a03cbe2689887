/* certkey.c - an official's certificate and wrapped key (see certkey.h). */
#include "sign/certkey.h"

#include <pthread.h>
#include <string.h>
#include <sys/prctl.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/log.h"
#include "sign/sign_int.h"

static pthread_once_t harden_once = PTHREAD_ONCE_INIT;

static void
harden(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		log_warn("cannot make the process non-dumpable: core files could hold keys");
}

void
certkey_harden(void)
{
	pthread_once(&harden_once, harden);
}

static int
asn1_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

static int
info_of(X509 *x, struct certkey_info *info, struct lerr *e)
{
	int rc;

	memset(info, 0, sizeof(*info));
	sx_cert_subject(x, info->subject, sizeof(info->subject));
	sx_cert_issuer_text(x, info->issuer, sizeof(info->issuer));
	sx_cert_serial(x, info->serial, sizeof(info->serial));
	if (asn1_time(X509_get0_notBefore(x), &info->not_before) ||
	    asn1_time(X509_get0_notAfter(x), &info->not_after))
		return lerr_set(e, LERR_INVALID, NULL, "the certificate's validity dates cannot be read");
	rc = custody_cert_digest(x, info->sha256, e);
	return rc;
}

static int
add_der(X509 *x, struct buf *out, struct lerr *e)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der), rc = 0;

	if (n <= 0)
		rc = lerr_set(e, LERR_INVALID, NULL, "cannot encode the certificate");
	else if (buf_add(out, der, (size_t)n))
		rc = lerr_set(e, LERR_TOOLARGE, NULL, "certificate chain too large");
	OPENSSL_free(der);
	return rc;
}

/* Keys the signers use (xades.c, cades.c): RSA of 2048 bits or more, ECDSA
 * on the NIST curves the signature policies accept. */
static int
key_supported(EVP_PKEY *pk, struct lerr *e)
{
	char group[64] = "";
	int bits = EVP_PKEY_get_bits(pk);

	if (EVP_PKEY_base_id(pk) == EVP_PKEY_RSA && bits >= 2048)
		return 0;
	if (EVP_PKEY_base_id(pk) == EVP_PKEY_EC &&
	    EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL) &&
	    (!strcmp(group, "prime256v1") || !strcmp(group, "secp384r1") || !strcmp(group, "secp521r1")))
		return 0;
	ERR_clear_error();
	lerr_set(e, LERR_INVALID, "file", "unsupported signing key: %s of %d bits",
		 EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "unknown", bits);
	lerr_hint(e, "an RGS signing certificate has an RSA key of 2048 bits or more, or an ECDSA"
		  " key on P-256, P-384 or P-521");
	return LERR_INVALID;
}

int
certkey_import(const void *p12, size_t len, const char *pass, struct certkey_info *info,
	       struct buf *cert_der, struct buf *chain_der, struct buf *blob,
	       char code[CUSTODY_CODE_SIZE], struct lerr *e)
{
	struct sign_key k;
	int rc, i;

	certkey_harden();
	if ((rc = sign_init(e)) || (rc = sign_key_from_p12(&k, p12, len, pass, e)))
		return rc;
	if ((rc = key_supported(k.pkey, e)) || (rc = info_of(k.cert, info, e)) ||
	    (rc = add_der(k.cert, cert_der, e)))
		goto out;
	for (i = 0; k.chain && i < sk_X509_num(k.chain); i++)
		if ((rc = add_der(sk_X509_value(k.chain, i), chain_der, e)))
			goto out;
	if ((rc = custody_enrolment_code(code, e)))
		goto out;
	rc = custody_wrap(NULL, k.pkey, info->sha256, code, blob, e);
out:
	if (rc)
		OPENSSL_cleanse(code, CUSTODY_CODE_SIZE);
	sign_key_fini(&k);
	return rc;
}

static int
cert_from_der(const void *der, size_t len, X509 **out, struct lerr *e)
{
	const unsigned char *p = der;

	*out = d2i_X509(NULL, &p, (long)len);
	if (!*out || p != (const unsigned char *)der + len) {
		X509_free(*out);
		*out = NULL;
		ERR_clear_error();
		return lerr_set(e, LERR_INVALID, NULL, "the stored certificate cannot be read");
	}
	return 0;
}

int
certkey_info(const void *cert_der, size_t len, struct certkey_info *info, struct lerr *e)
{
	X509 *x = NULL;
	int rc = cert_from_der(cert_der, len, &x, e);

	if (!rc)
		rc = info_of(x, info, e);
	X509_free(x);
	return rc;
}

int
certkey_key_info(const struct sign_key *k, struct certkey_info *info, struct lerr *e)
{
	if (!k->cert)
		return lerr_set(e, LERR_INVALID, NULL, "no certificate");
	return info_of(k->cert, info, e);
}

int
certkey_enrol(const void *cert_der, size_t certlen, const void *blob, size_t bloblen,
	      const char *code, const char *pin, struct buf *newblob, struct lerr *e)
{
	unsigned char dg[CUSTODY_CERT_DIGEST_LEN];
	X509 *x = NULL;
	int rc;

	certkey_harden();
	if ((rc = cert_from_der(cert_der, certlen, &x, e)) || (rc = custody_cert_digest(x, dg, e)))
		goto out;
	rc = custody_rewrap(NULL, blob, bloblen, dg, code, pin, newblob, e);
out:
	X509_free(x);
	return rc;
}

static int
chain_from_der(const void *der, size_t len, STACK_OF(X509) **out, struct lerr *e)
{
	const unsigned char *p = der, *end = p + len;

	*out = NULL;
	if (len == 0)
		return 0;
	if (!(*out = sk_X509_new_null()))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	while (p < end) {
		X509 *x = d2i_X509(NULL, &p, (long)(end - p));

		if (!x || !sk_X509_push(*out, x)) {
			X509_free(x);
			ERR_clear_error();
			return lerr_set(e, LERR_INVALID, NULL, "the stored certificate chain cannot be read");
		}
	}
	return 0;
}

static int
check_time(X509 *x, time_t now, struct lerr *e)
{
	struct certkey_info in;
	char t[32];
	int rc = info_of(x, &in, e);

	if (rc)
		return rc;
	if (now < in.not_before || now >= in.not_after) {
		int early = now < in.not_before;

		sx_time_iso(early ? in.not_before : in.not_after, t, sizeof(t));
		rc = lerr_set(e, LERR_FORBIDDEN, NULL, "the signing certificate is %s",
			      early ? "not valid yet" : "expired");
		lerr_detail(e, "certificate \"%s\" is valid %s %s", in.subject,
			    early ? "from" : "until", t);
		lerr_hint(e, "ask an administrator to import a valid certificate");
	}
	return rc;
}

int
certkey_open(const void *cert_der, size_t certlen, const void *chain_der, size_t chainlen,
	     const void *blob, size_t bloblen, const char *pin, time_t now,
	     struct sign_key *k, struct lerr *e)
{
	unsigned char dg[CUSTODY_CERT_DIGEST_LEN];
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	int rc;

	memset(k, 0, sizeof(*k));
	certkey_harden();
	if ((rc = sign_init(e)) || (rc = cert_from_der(cert_der, certlen, &x, e)) ||
	    (rc = check_time(x, now ? now : time(NULL), e)) ||
	    (rc = chain_from_der(chain_der, chainlen, &chain, e)) ||
	    (rc = custody_cert_digest(x, dg, e)))
		goto out;
	if ((rc = custody_unwrap(blob, bloblen, dg, pin, &pkey, e)))
		goto out;
	rc = sign_key_set(k, pkey, x, chain, e);
out:
	EVP_PKEY_free(pkey);
	X509_free(x);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}
