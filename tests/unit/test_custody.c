/* test_custody.c - wrapped private keys: round trips, refusals, enrolment. */
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tap.h"
#include "core/buf.h"
#include "core/err.h"
#include "sign/custody.h"

#define PIN "482915"

/* Cheap parameters so that hundreds of derivations stay fast. */
static const struct custody_params fast = { 10, 8, 1 };

static X509 *
self_signed(EVP_PKEY *pkey, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
				   (const unsigned char *)"Maire de Test", -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_set_pubkey(x, pkey);
	if (!X509_sign(x, pkey, EVP_sha256())) {
		X509_free(x);
		x = NULL;
	}
	X509_NAME_free(name);
	return x;
}

static int
sign_verify(EVP_PKEY *priv, X509 *cert)
{
	static const char msg[] = "bordereau 42";
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = 0;

	if (EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, priv) == 1 &&
	    EVP_DigestSign(c, sig, &siglen, (const unsigned char *)msg, sizeof(msg)) == 1) {
		EVP_MD_CTX_reset(c);
		ok = EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, X509_get0_pubkey(cert)) == 1 &&
		     EVP_DigestVerify(c, sig, siglen, (const unsigned char *)msg, sizeof(msg)) == 1;
	}
	EVP_MD_CTX_free(c);
	return ok;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* No 16-byte window of the PKCS#8 DER appears in the blob. */
static int
no_window(const struct buf *b, EVP_PKEY *pkey)
{
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey);
	unsigned char *der = NULL;
	int n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1, i, found = 0;

	for (i = 0; n > 16 && i + 16 <= n && !found; i++)
		found = memmem(b->data, b->len, der + i, 16) != NULL;
	if (n > 0)
		OPENSSL_clear_free(der, (size_t)n);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return n > 16 && !found;
}

static void
round_trip(const char *what, EVP_PKEY *pkey)
{
	X509 *cert = self_signed(pkey, 1), *other = self_signed(pkey, 2);
	unsigned char dg[32], dg2[32];
	struct buf b, b2;
	struct lerr e;
	EVP_PKEY *out = NULL;
	int rc;

	buf_init(&b, 1 << 20);
	buf_init(&b2, 1 << 20);
	ok(cert && other && !custody_cert_digest(cert, dg, &e) &&
	   !custody_cert_digest(other, dg2, &e) && memcmp(dg, dg2, 32), "%s: two certificates", what);
	is_int(custody_wrap(&fast, pkey, dg, PIN, &b, &e), 0, "%s: wrap", what);
	ok(b.len > CUSTODY_OVERHEAD && (unsigned char)b.data[0] == CUSTODY_VERSION &&
	   (unsigned char)b.data[2] == 10, "%s: version and parameters in the blob", what);
	rc = custody_unwrap(b.data, b.len, dg, PIN, &out, &e);
	is_int(rc, 0, "%s: unwrap with the PIN", what);
	ok(out && EVP_PKEY_eq(out, pkey) == 1, "%s: the same key comes back", what);
	ok(out && sign_verify(out, cert), "%s: a signature by the unwrapped key verifies with the certificate", what);
	EVP_PKEY_free(out);
	out = NULL;

	rc = custody_unwrap(b.data, b.len, dg, "482916", &out, &e);
	is_int(rc, LERR_AUTH, "%s: wrong PIN refused", what);
	ok(!out && strcmp(e.msg, "wrong PIN") == 0 && strcmp(e.field, "pin") == 0,
	   "%s: wrong PIN says so", what);
	rc = custody_unwrap(b.data, b.len, dg2, PIN, &out, &e);
	is_int(rc, LERR_INVALID, "%s: another certificate refused", what);
	ok(!out, "%s: no key for another certificate", what);

	is_int(custody_wrap(&fast, pkey, dg, PIN, &b2, &e), 0, "%s: second wrap", what);
	ok(b.len == b2.len && memcmp(b.data, b2.data, b.len) != 0 &&
	   memcmp(b.data + 5, b2.data + 5, 16) != 0 && memcmp(b.data + 21, b2.data + 21, 12) != 0,
	   "%s: two wraps differ (salt and nonce)", what);
	ok(no_window(&b, pkey) && no_window(&b2, pkey), "%s: no 16-byte window of the PKCS#8 in the blob", what);

	buf_fini(&b);
	buf_fini(&b2);
	X509_free(cert);
	X509_free(other);
}

/* Every single-bit flip refused as damaged, before any derivation. */
static void
flips(EVP_PKEY *pkey)
{
	unsigned char dg[32] = { 1, 2, 3 };
	struct buf b;
	struct lerr e;
	EVP_PKEY *out = NULL;
	size_t i, bad = 0;
	int bit;

	buf_init(&b, 1 << 20);
	if (custody_wrap(&fast, pkey, dg, PIN, &b, &e))
		ok(0, "wrap for flips: %s", e.msg);
	for (i = 0; i < b.len; i++)
		for (bit = 0; bit < 8; bit += 7) {
			b.data[i] ^= (char)(1 << bit);
			if (custody_unwrap(b.data, b.len, dg, PIN, &out, &e) != LERR_INVALID || out)
				bad++;
			EVP_PKEY_free(out);
			out = NULL;
			b.data[i] ^= (char)(1 << bit);
		}
	is_int(bad, 0, "a flipped bit anywhere in the %zu-byte blob: LERR_INVALID", b.len);
	is_int(custody_unwrap(b.data, b.len - 1, dg, PIN, &out, &e), LERR_INVALID, "truncated blob refused");
	is_int(custody_unwrap(b.data, 10, dg, PIN, &out, &e), LERR_INVALID, "short blob refused");
	buf_fini(&b);
}

static void
resum(struct buf *b)
{
	unsigned char md[32];
	unsigned int n;

	EVP_Digest(b->data, b->len - CUSTODY_SUM_LEN, md, &n, EVP_sha256(), NULL);
	memcpy(b->data + b->len - CUSTODY_SUM_LEN, md, CUSTODY_SUM_LEN);
}

/* With the checksum recomputed (a deliberate forgery), GCM and the PIN check
 * still refuse every flip; past the salt it is always LERR_INVALID. */
static void
forgeries(EVP_PKEY *pkey)
{
	unsigned char dg[32] = { 4, 5, 6 };
	struct buf b;
	struct lerr e;
	EVP_PKEY *out = NULL;
	size_t i, leaked = 0, wrongkind = 0;
	int rc;

	buf_init(&b, 1 << 20);
	if (custody_wrap(&fast, pkey, dg, PIN, &b, &e))
		ok(0, "wrap for forgeries: %s", e.msg);
	for (i = 0; i + CUSTODY_SUM_LEN < b.len; i++) {
		b.data[i] ^= 0x01;
		resum(&b);
		rc = custody_unwrap(b.data, b.len, dg, PIN, &out, &e);
		if (!rc || out)
			leaked++;
		if (i >= 21 && (i < 33 || i >= 49) && rc != LERR_INVALID)
			wrongkind++;
		EVP_PKEY_free(out);
		out = NULL;
		b.data[i] ^= 0x01;
		resum(&b);
	}
	is_int(leaked, 0, "no forged blob (checksum recomputed) yields a key");
	is_int(wrongkind, 0, "forged nonce, tag or ciphertext: LERR_INVALID");
	buf_fini(&b);
}

static void
formats(EVP_PKEY *pkey)
{
	struct custody_params weak = { 8, 8, 1 }, huge = { 20, 32, 1 };
	unsigned char dg[32] = { 0 };
	struct buf b;
	struct lerr e;
	EVP_PKEY *out = NULL;

	buf_init(&b, 1 << 20);
	is_int(custody_wrap(&weak, pkey, dg, PIN, &b, &e), LERR_INVALID, "N=2^8 refused");
	is_int(custody_wrap(&huge, pkey, dg, PIN, &b, &e), LERR_INVALID, "4 GiB of scrypt memory refused");
	is_int(custody_wrap(&fast, pkey, dg, "", &b, &e), LERR_INVALID, "empty secret refused");
	is_int(b.len, 0, "nothing written on refusal");
	if (custody_wrap(&fast, pkey, dg, PIN, &b, &e))
		ok(0, "wrap: %s", e.msg);
	b.data[0] = 2;
	resum(&b);
	is_int(custody_unwrap(b.data, b.len, dg, PIN, &out, &e), LERR_INVALID, "unknown version refused");
	b.data[0] = 1;
	b.data[2] = 24;
	resum(&b);
	is_int(custody_unwrap(b.data, b.len, dg, PIN, &out, &e), LERR_INVALID,
	       "a blob asking for N=2^24 refused without deriving");
	buf_fini(&b);
}

static void
pins(void)
{
	static const char *weak[] = { "", "12345", "000000", "7777777", "aaaaaaaa", "123456", "987654",
				      "abcdef", "121212", "123123", "12\n3456", "\xff\xfe\xfd\xfc\xfb\xfa" };
	static const char *good[] = { "482915", "739204", "correct horse", "Zürich-1871" };
	char longpin[80];
	struct lerr e;
	size_t i;

	for (i = 0; i < sizeof(weak) / sizeof(*weak); i++) {
		lerr_clear(&e);
		is_int(custody_pin_acceptable(weak[i], &e), LERR_INVALID, "weak PIN #%zu refused", i);
		ok(e.hint[0] && strcmp(e.field, "pin") == 0, "weak PIN #%zu: hint \"%s\"", i, e.hint);
	}
	memset(longpin, '7', sizeof(longpin) - 1);
	longpin[0] = '3';
	longpin[sizeof(longpin) - 1] = '\0';
	is_int(custody_pin_acceptable(longpin, &e), LERR_INVALID, "79-character PIN refused");
	for (i = 0; i < sizeof(good) / sizeof(*good); i++)
		is_int(custody_pin_acceptable(good[i], &e), 0, "PIN \"%s\" accepted", good[i]);
}

static int
code_shape(const char *c)
{
	size_t i;

	if (strlen(c) != 19)
		return 0;
	for (i = 0; i < 19; i++)
		if (i % 5 == 4 ? c[i] != '-' : !strchr(CUSTODY_CODE_ALPHABET, c[i]) || !c[i])
			return 0;
	return 1;
}

static void
codes(void)
{
	static char c[200][CUSTODY_CODE_SIZE];
	char n[CUSTODY_CODE_SIZE];
	struct lerr e;
	size_t i, j, dup = 0, shape = 0, err = 0;
	int seen[256] = { 0 }, letters = 0;

	for (i = 0; i < 200; i++) {
		err += custody_enrolment_code(c[i], &e) != 0;
		shape += code_shape(c[i]);
		for (j = 0; j < 19; j++)
			seen[(unsigned char)c[i][j]] = 1;
		for (j = 0; j < i; j++)
			dup += strcmp(c[i], c[j]) == 0;
	}
	for (i = 0; i < 256; i++)
		letters += seen[i] && i != '-';
	is_int(err, 0, "200 enrolment codes generated");
	is_int(shape, 200, "every code is XXXX-XXXX-XXXX-XXXX from the alphabet");
	is_int(dup, 0, "no two codes alike");
	ok(letters > 28, "codes use the whole alphabet (%d letters seen)", letters);
	is_int(custody_code_normalise("abcd efgh-jkmn pqr s", n, &e), 0, "typed code normalised");
	is_str(n, "ABCD-EFGH-JKMN-PQRS", "canonical form");
	is_int(custody_code_normalise("ABCD-EFGH-JKMN-PQRO", n, &e), LERR_INVALID, "O is not in the alphabet");
	is_int(custody_code_normalise("ABCD-EFGH-JKMN-PQR", n, &e), LERR_INVALID, "15 characters refused");
	is_int(custody_code_normalise("ABCD-EFGH-JKMN-PQRST", n, &e), LERR_INVALID, "17 characters refused");
}

static void
enrolment(EVP_PKEY *pkey)
{
	X509 *cert = self_signed(pkey, 7);
	char code[CUSTODY_CODE_SIZE], typed[40];
	unsigned char dg[32];
	struct buf b, nb, x;
	struct lerr e;
	EVP_PKEY *out = NULL;
	size_t i;

	buf_init(&b, 1 << 20);
	buf_init(&nb, 1 << 20);
	buf_init(&x, 1 << 20);
	if (!cert || custody_cert_digest(cert, dg, &e) || custody_enrolment_code(code, &e) ||
	    custody_wrap(&fast, pkey, dg, code, &b, &e))
		ok(0, "enrolment set-up: %s", e.msg);
	for (i = 0; code[i]; i++)       /* as an official might type it */
		typed[i] = code[i] == '-' ? ' ' : (char)(code[i] >= 'A' ? code[i] + 32 : code[i]);
	typed[i] = '\0';

	is_int(custody_rewrap(&fast, b.data, b.len, dg, typed, "111111", &x, &e), LERR_INVALID,
	       "rewrap to a weak PIN refused");
	ok(e.hint[0] && x.len == 0, "with a hint, and nothing written");
	is_int(custody_rewrap(&fast, b.data, b.len, dg, typed, code, &x, &e), LERR_INVALID,
	       "the code itself refused as the new PIN");
	is_int(custody_rewrap(&fast, b.data, b.len, dg, "2222-3333-4444-5555", "739204", &x, &e),
	       LERR_AUTH, "rewrap with a wrong code: LERR_AUTH");
	ok(strcmp(e.field, "code") == 0 && x.len == 0, "wrong code names the code");
	is_int(custody_rewrap(&fast, b.data, b.len, dg, typed, "739204", &nb, &e), 0,
	       "rewrap with the enrolment code to a new PIN");
	is_int(custody_unwrap(nb.data, nb.len, dg, "739204", &out, &e), 0, "unwrap with the new PIN");
	ok(out && sign_verify(out, cert), "the key unwrapped with the new PIN signs");
	EVP_PKEY_free(out);
	out = NULL;
	is_int(custody_unwrap(nb.data, nb.len, dg, code, &out, &e), LERR_AUTH,
	       "the enrolment code no longer opens the new blob");
	is_int(custody_rewrap(&fast, nb.data, nb.len, dg, code, "560381", &x, &e), LERR_AUTH,
	       "the enrolment code cannot be exchanged twice");
	ok(!out && x.len == 0, "no key, nothing written");
	buf_fini(&b);
	buf_fini(&nb);
	buf_fini(&x);
	X509_free(cert);
}

static void
timing(EVP_PKEY *pkey)
{
	unsigned char dg[32] = { 9 };
	struct timespec t0;
	struct buf b;
	struct lerr e;
	EVP_PKEY *out = NULL;
	double wms, ums;

	buf_init(&b, 1 << 20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(custody_wrap(NULL, pkey, dg, PIN, &b, &e), 0, "wrap with the default parameters");
	wms = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(custody_unwrap(b.data, b.len, dg, PIN, &out, &e), 0, "unwrap with the default parameters");
	ums = ms_since(&t0);
	ok(b.len > 2 && (unsigned char)b.data[2] == CUSTODY_LOG2_N && b.data[3] == CUSTODY_R &&
	   b.data[4] == CUSTODY_P, "default parameters stored: N=2^%d r=%d p=%d",
	   CUSTODY_LOG2_N, CUSTODY_R, CUSTODY_P);
	printf("# scrypt N=2^%d r=%d p=%d: wrap %.1f ms, unwrap %.1f ms\n",
	       CUSTODY_LOG2_N, CUSTODY_R, CUSTODY_P, wms, ums);
	EVP_PKEY_free(out);
	buf_fini(&b);
}

int
main(void)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	if (!rsa || !ec)
		tap_skip_all("cannot generate test keys");
	round_trip("RSA-2048", rsa);
	round_trip("EC P-256", ec);
	flips(ec);
	forgeries(ec);
	formats(ec);
	pins();
	codes();
	enrolment(rsa);
	timing(rsa);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	return tap_done();
}
