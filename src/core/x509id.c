/* x509id.c - a certificate's fingerprint, subject and end of validity (OpenSSL). */
#include "core/x509id.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static void
describe(X509 *x, struct x509id *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	struct tm tm;
	char *p;
	long n;

	out->subject[0] = '\0';
	if (b && X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_get_mem_data(b, &p)) > 0)
		snprintf(out->subject, sizeof(out->subject), "%.*s", (int)n, p);
	BIO_free(b);
	out->not_after[0] = '\0';
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		strftime(out->not_after, sizeof(out->not_after), "%Y-%m-%d %H:%M:%SZ", &tm);
}

int
x509id_from_pem(const char *pem, size_t n, struct x509id *out, struct lerr *e)
{
	BIO *b = n <= 1 << 20 ? BIO_new_mem_buf(pem, (int)n) : NULL;
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned len = 0;
	int rc = 0;

	if (!x || !X509_digest(x, EVP_sha256(), out->sha256, &len) || len != SHA256_LEN) {
		rc = lerr_set(e, LERR_INVALID, "certificate", "not a PEM certificate");
		lerr_hint(e, "give the certificate in PEM form (-----BEGIN CERTIFICATE-----)");
		goto out;
	}
	hex_encode(out->sha256, SHA256_LEN, out->sha256_hex);
	describe(x, out);
out:
	X509_free(x);
	BIO_free(b);
	return rc;
}

int
x509id_unescape(const char *s, char *out, size_t n)
{
	size_t o = 0;

	for (; *s; s++) {
		int c = (unsigned char)*s;

		if (c == '%') {
			int hi = hex_digit(s[1]), lo = hi < 0 ? -1 : hex_digit(s[2]);

			if (lo < 0)
				return -1;
			c = hi * 16 + lo;
			s += 2;
		}
		if (o + 1 >= n)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}
