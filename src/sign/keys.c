/* keys.c - signing keys (PKCS#12, PEM, bare EVP_PKEY) and certificate facts. */
#include "sign/sign_int.h"

#include <stdio.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

/* OpenSSL's last error as e's detail, and the error queue cleared. */
void
sx_ssl_detail(struct lerr *e)
{
	char tmp[256];
	unsigned long code = ERR_peek_last_error();

	if (code) {
		ERR_error_string_n(code, tmp, sizeof(tmp));
		lerr_detail(e, "%s", tmp);
	}
	ERR_clear_error();
}

static int
key_matches(struct sign_key *k, struct lerr *e)
{
	if (!k->pkey || !k->cert)
		return lerr_set(e, LERR_INVALID, NULL, "the key file holds no %s",
				k->pkey ? "certificate" : "private key");
	if (X509_check_private_key(k->cert, k->pkey) != 1) {
		lerr_set(e, LERR_INVALID, NULL, "the private key does not match the certificate");
		sx_ssl_detail(e);
		return e->kind;
	}
	return 0;
}

/* Whether pass opens p12's integrity MAC (none: nothing to check); PKCS12_parse
 * tries "" and no password alike, so does this. */
static int
p12_pass_ok(PKCS12 *p12, const char *pass)
{
	if (!PKCS12_mac_present(p12))
		return 1;
	if (PKCS12_verify_mac(p12, pass, -1))
		return 1;
	return !*pass && PKCS12_verify_mac(p12, NULL, 0);
}

int
sign_key_from_p12(struct sign_key *k, const void *der, size_t len, const char *pass,
		  struct lerr *e)
{
	BIO *b = BIO_new_mem_buf(der, (int)len);
	PKCS12 *p12 = NULL;
	int rc = 0;

	memset(k, 0, sizeof(*k));
	if (!pass)
		pass = "";
	if (!b || !(p12 = d2i_PKCS12_bio(b, NULL))) {
		rc = lerr_set(e, LERR_INVALID, "file", "not a PKCS#12 file");
		sx_ssl_detail(e);
		lerr_hint(e, "give the .p12 or .pfx file the certification authority delivered");
		goto out;
	}
	if (!p12_pass_ok(p12, pass)) {
		ERR_clear_error();
		rc = lerr_set(e, LERR_INVALID, "password", "wrong password for the PKCS#12 file");
		lerr_hint(e, "give the password the file was exported with");
		goto out;
	}
	if (!PKCS12_parse(p12, pass, &k->pkey, &k->cert, &k->chain)) {
		rc = lerr_set(e, LERR_INVALID, "file", "the PKCS#12 file cannot be read");
		sx_ssl_detail(e);
		lerr_hint(e, "it may use an obsolete encryption (RC2, 3DES): export it again with"
			  " \"openssl pkcs12 -export -keypbe AES-256-CBC -certpbe AES-256-CBC\"");
		goto out;
	}
	if ((rc = key_matches(k, e))) {
		snprintf(e->field, sizeof(e->field), "file");
		lerr_hint(e, "export the certificate with its own private key: \"openssl pkcs12 -export"
			  " -inkey KEY.pem -in CERT.pem -out FILE.p12\"");
	}
out:
	if (rc)
		sign_key_fini(k);
	PKCS12_free(p12);
	BIO_free(b);
	return rc;
}

static int
pem_certs(struct sign_key *k, const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x;

	if (!b)
		return -1;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (!k->cert) {
			k->cert = x;
			continue;
		}
		if (!k->chain && !(k->chain = sk_X509_new_null())) {
			X509_free(x);
			break;
		}
		if (!sk_X509_push(k->chain, x))
			X509_free(x);
	}
	ERR_clear_error();
	BIO_free(b);
	return 0;
}

int
sign_key_from_pem(struct sign_key *k, const char *key_pem, size_t keylen,
		  const char *cert_pem, size_t certlen, const char *pass, struct lerr *e)
{
	BIO *b = BIO_new_mem_buf(key_pem, (int)keylen);
	int rc = 0;

	memset(k, 0, sizeof(*k));
	if (!b || !(k->pkey = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)(pass ? pass : "")))) {
		rc = lerr_set(e, LERR_INVALID, NULL, "cannot read the PEM private key");
		sx_ssl_detail(e);
		lerr_hint(e, "an encrypted key needs its password");
		goto out;
	}
	if (pem_certs(k, cert_pem ? cert_pem : key_pem, cert_pem ? certlen : keylen)) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	rc = key_matches(k, e);
out:
	if (rc)
		sign_key_fini(k);
	BIO_free(b);
	return rc;
}

int
sign_key_set(struct sign_key *k, EVP_PKEY *pkey, X509 *cert, STACK_OF(X509) *chain,
	     struct lerr *e)
{
	memset(k, 0, sizeof(*k));
	if (!pkey || !cert)
		return lerr_set(e, LERR_INVALID, NULL, "a key and a certificate are required");
	EVP_PKEY_up_ref(pkey);
	X509_up_ref(cert);
	k->pkey = pkey;
	k->cert = cert;
	if (chain && !(k->chain = X509_chain_up_ref(chain))) {
		sign_key_fini(k);
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	}
	return key_matches(k, e);
}

void
sign_key_fini(struct sign_key *k)
{
	EVP_PKEY_free(k->pkey);
	X509_free(k->cert);
	sk_X509_pop_free(k->chain, X509_free);
	memset(k, 0, sizeof(*k));
}

int
sx_cert_digest(X509 *cert, const EVP_MD *md, char *b64, size_t b64sz)
{
	unsigned char *der = NULL, dg[EVP_MAX_MD_SIZE];
	unsigned dglen = 0;
	int len = i2d_X509(cert, &der), rc = -1;
	struct buf b;

	buf_init(&b, 256);
	if (len > 0 && EVP_Digest(der, (size_t)len, dg, &dglen, md, NULL) == 1 &&
	    base64_encode(dg, dglen, 0, &b) == 0 && b.len < b64sz) {
		memcpy(b64, b.data, b.len + 1);
		rc = 0;
	}
	buf_fini(&b);
	OPENSSL_free(der);
	return rc;
}

static void
name_text(X509_NAME *name, unsigned long flags, char *out, size_t outsz)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	out[0] = '\0';
	if (!b)
		return;
	X509_NAME_print_ex(b, name, 0, flags);
	n = BIO_get_mem_data(b, &p);
	snprintf(out, outsz, "%.*s", (int)n, p);
	BIO_free(b);
}

/* The issuer in RFC 2253 form, as XAdES IssuerSerial wants it. */
void
sx_cert_issuer(X509 *cert, char *out, size_t outsz)
{
	name_text(X509_get_issuer_name(cert), XN_FLAG_RFC2253, out, outsz);
}

/* The issuer for people (stored with a certificate, shown in the pages and
 * the admin API): RFC 2253 order, UTF-8 left readable ("Autorité", not
 * "Autorit\C3\A9"). */
void
sx_cert_issuer_text(X509 *cert, char *out, size_t outsz)
{
	name_text(X509_get_issuer_name(cert), XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB, out, outsz);
}

/* The subject for people: RFC 2253 order, UTF-8 left readable. */
void
sx_cert_subject(X509 *cert, char *out, size_t outsz)
{
	name_text(X509_get_subject_name(cert), XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB, out, outsz);
}

void
sx_cert_serial(X509 *cert, char *out, size_t outsz)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *dec = bn ? BN_bn2dec(bn) : NULL;

	snprintf(out, outsz, "%s", dec ? dec : "");
	OPENSSL_free(dec);
	BN_free(bn);
}

void
sx_time_iso(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ISO 8601 "YYYY-MM-DDTHH:MM:SS" with optional fraction and Z or +hh:mm. */
int
sx_time_parse(const char *s, time_t *t)
{
	struct tm tm;
	const char *p;
	int sign, hh, mm;

	memset(&tm, 0, sizeof(tm));
	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	*t = timegm(&tm);
	if (*p == 'Z' && p[1] == '\0')
		return 0;
	if (*p == '\0')
		return 0;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2) {
		sign = *p == '+' ? 1 : -1;
		*t -= sign * (hh * 3600 + mm * 60);
		return 0;
	}
	return -1;
}

