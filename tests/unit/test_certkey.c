/*
 * test_certkey.c - sign/certkey.c: a PKCS#12 imported under a one-time code,
 * enrolled under a PIN, opened into a signing key; wrong secrets, certificates
 * out of their validity, and the process made non-dumpable.
 */
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "sign/certkey.h"
#include "tap.h"

/* A self-signed certificate of key k valid from nb to na (days from now) in
 * a PKCS#12; k is freed. */
static int
make_p12_with(EVP_PKEY *k, int nb, int na, const char *pass, struct buf *out)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);
	PKCS12 *p = NULL;
	unsigned char *der = NULL;
	int len, rc = -1;

	ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
	X509_gmtime_adj(X509_getm_notBefore(x), 86400L * nb);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * na);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (unsigned char *)"Marie Test", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_PKEY_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256());
	p = PKCS12_create(pass, "test", k, x, NULL, 0, 0, 0, 0, 0);
	if (p && (len = i2d_PKCS12(p, &der)) > 0 && !buf_add(out, der, (size_t)len))
		rc = 0;
	OPENSSL_free(der);
	PKCS12_free(p);
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

static int
make_p12(int nb, int na, const char *pass, struct buf *out)
{
	return make_p12_with(EVP_RSA_gen(2048), nb, na, pass, out);
}

struct imported {
	struct certkey_info info;
	struct buf der, chain, blob;
	char code[CUSTODY_CODE_SIZE];
};

static int
import(int nb, int na, struct imported *im, struct lerr *e)
{
	struct buf p12;
	int rc;

	buf_init(&p12, 1 << 20);
	buf_init(&im->der, 1 << 20);
	buf_init(&im->chain, 1 << 20);
	buf_init(&im->blob, 1 << 20);
	if (make_p12(nb, na, "secret p12", &p12))
		return -1;
	rc = certkey_import(p12.data, p12.len, "secret p12", &im->info, &im->der, &im->chain,
			    &im->blob, im->code, e);
	buf_fini(&p12);
	return rc;
}

static void
fini(struct imported *im)
{
	buf_fini(&im->der);
	buf_fini(&im->chain);
	buf_fini(&im->blob);
}

static void
test_roundtrip(void)
{
	struct imported im;
	struct buf pinned;
	struct sign_key k;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	ok(prctl(PR_GET_DUMPABLE) == 1, "dumpable before any key");
	rc = import(-1, 365, &im, &e);
	is_int(rc, 0, "import");
	ok(prctl(PR_GET_DUMPABLE) == 0, "not dumpable once a key was handled");
	ok(strlen(im.code) == 19 && im.code[4] == '-', "enrolment code %s", im.code);
	is_str(im.info.serial, "4242", "serial");
	ok(strstr(im.info.subject, "Marie Test") != NULL, "subject %s", im.info.subject);
	ok(im.info.not_after - im.info.not_before > 365 * 86400, "validity dates");
	is_int(im.chain.len, 0, "no intermediates");
	is_int(certkey_open(im.der.data, im.der.len, NULL, 0, im.blob.data, im.blob.len, "wrong-pin-9",
			    0, &k, &e), LERR_AUTH, "a wrong secret is LERR_AUTH (counted)");
	buf_init(&pinned, 1 << 20);
	is_int(certkey_enrol(im.der.data, im.der.len, im.blob.data, im.blob.len, im.code, "111111",
			     &pinned, &e), LERR_INVALID, "a weak PIN is refused before any try");
	is_int(certkey_enrol(im.der.data, im.der.len, im.blob.data, im.blob.len, "2222-3333-4444-5555",
			     "tulipe-42", &pinned, &e), LERR_AUTH, "a wrong code is LERR_AUTH");
	is_int(certkey_enrol(im.der.data, im.der.len, im.blob.data, im.blob.len, im.code, "tulipe-42",
			     &pinned, &e), 0, "enrolment");
	is_int(certkey_open(im.der.data, im.der.len, NULL, 0, pinned.data, pinned.len, im.code, 0, &k,
			    &e), LERR_AUTH, "the code no longer opens the enrolled key");
	rc = certkey_open(im.der.data, im.der.len, NULL, 0, pinned.data, pinned.len, "tulipe-42", 0, &k, &e);
	is_int(rc, 0, "the PIN opens it");
	if (!rc) {
		struct certkey_info ki;

		ok(k.pkey && k.cert, "a signing key with its certificate");
		is_int(certkey_key_info(&k, &ki, &e), 0, "key info");
		is_str(ki.serial, "4242", "same certificate");
		sign_key_fini(&k);
	}
	buf_fini(&pinned);
	fini(&im);
}

static void
test_validity(void)
{
	struct imported im;
	struct buf pinned;
	struct sign_key k;
	struct lerr e;

	lerr_clear(&e);
	buf_init(&pinned, 1 << 20);
	if (import(-30, -1, &im, &e) ||
	    certkey_enrol(im.der.data, im.der.len, im.blob.data, im.blob.len, im.code, "tulipe-42",
			  &pinned, &e)) {
		ok(0, "expired certificate imported: %s", e.msg);
		return;
	}
	is_int(certkey_open(im.der.data, im.der.len, NULL, 0, pinned.data, pinned.len, "tulipe-42", 0,
			    &k, &e), LERR_FORBIDDEN, "an expired certificate cannot sign");
	ok(strstr(e.msg, "expired") != NULL, "%s", e.msg);
	is_int(certkey_open(im.der.data, im.der.len, NULL, 0, pinned.data, pinned.len, "tulipe-42",
			    time(NULL) - 10 * 86400, &k, &e), 0, "it could sign while it was valid");
	sign_key_fini(&k);
	is_int(certkey_open(im.der.data, im.der.len, NULL, 0, pinned.data, pinned.len, "tulipe-42",
			    time(NULL) - 100 * 86400, &k, &e), LERR_FORBIDDEN, "not valid yet");
	ok(strstr(e.msg, "not valid yet") != NULL, "%s", e.msg);
	buf_fini(&pinned);
	fini(&im);
}

/* Only keys the signers can use are imported: RSA >= 2048, ECDSA P-256/384/521. */
static void
test_key_types(void)
{
	static const struct { const char *what; int ok; } cases[] = {
		{ "RSA 1024", 0 }, { "EC P-256", 1 }, { "EC secp256k1", 0 }, { "Ed25519", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_PKEY *k = i == 0 ? EVP_RSA_gen(1024) : i == 1 ? EVP_EC_gen("P-256") :
			i == 2 ? EVP_EC_gen("secp256k1") : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		struct buf p12, der, chain, blob;
		struct certkey_info info;
		char code[CUSTODY_CODE_SIZE];
		struct lerr e;
		int rc;

		lerr_clear(&e);
		buf_init(&p12, 1 << 20);
		buf_init(&der, 1 << 20);
		buf_init(&chain, 1 << 20);
		buf_init(&blob, 1 << 20);
		if (!k || make_p12_with(k, -1, 365, "pw", &p12)) {
			ok(0, "%s: test PKCS#12 made", cases[i].what);
			continue;
		}
		rc = certkey_import(p12.data, p12.len, "pw", &info, &der, &chain, &blob, code, &e);
		if (cases[i].ok)
			is_int(rc, 0, "%s imported", cases[i].what);
		else
			ok(rc == LERR_INVALID && !strcmp(e.field, "file") && blob.len == 0,
			   "%s refused, field file: %s", cases[i].what, e.msg);
		buf_fini(&p12);
		buf_fini(&der);
		buf_fini(&chain);
		buf_fini(&blob);
	}
}

int
main(void)
{
	struct lerr e;

	lerr_clear(&e);
	if (sign_init(&e))
		return 1;
	test_roundtrip();
	test_validity();
	test_key_types();
	return tap_done();
}
