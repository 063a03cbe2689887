/* custody.c - private keys wrapped under a PIN: scrypt, AES-256-GCM (see custody.h). */
#include "sign/custody.h"
#include "sign/sign_int.h"

#include <stdint.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "core/util.h"

/* Largest scrypt working set accepted (128 * r * N bytes). */
#define MAX_MEM ((uint64_t)256 * 1024 * 1024)

#define OFF_SALT  5
#define OFF_NONCE (OFF_SALT + CUSTODY_SALT_LEN)
#define OFF_CHECK (OFF_NONCE + CUSTODY_NONCE_LEN)
#define OFF_TAG   (OFF_CHECK + CUSTODY_CHECK_LEN)
#define AAD_LEN   OFF_TAG       /* version .. PIN check */

/* The derived key: the AES key, then the part whose digest is the PIN check. */
struct derived {
	unsigned char aes[32];
	unsigned char chk[32];
};

static const struct custody_params defaults = { CUSTODY_LOG2_N, CUSTODY_R, CUSTODY_P };

static int
ssl_fail(struct lerr *e, const char *what)
{
	lerr_set(e, LERR_INTERNAL, NULL, "%s failed", what);
	sx_ssl_detail(e);
	return e->kind;
}

static int
params_ok(const struct custody_params *kp)
{
	if (kp->log2_n < 10 || kp->log2_n > 20 || kp->r < 1 || kp->r > 32 ||
	    kp->p < 1 || kp->p > 16)
		return 0;
	return ((uint64_t)128 * kp->r << kp->log2_n) <= MAX_MEM;
}

static int
derive(const char *secret, const unsigned char *salt, const struct custody_params *kp,
       struct derived *d, struct lerr *e)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	uint64_t n = (uint64_t)1 << kp->log2_n, maxmem = MAX_MEM + 16 * 1024 * 1024;
	uint32_t r = kp->r, p = kp->p;
	OSSL_PARAM prm[] = {
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)secret, strlen(secret)),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, CUSTODY_SALT_LEN),
		OSSL_PARAM_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
		OSSL_PARAM_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		OSSL_PARAM_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
		OSSL_PARAM_END
	};
	int rc = 0;

	if (!ctx || EVP_KDF_derive(ctx, (unsigned char *)d, sizeof(*d), prm) != 1)
		rc = ssl_fail(e, "the scrypt key derivation");
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

static int
digest16(const void *p, size_t n, unsigned char out[16])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1)
		return -1;
	memcpy(out, md, 16);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

/* AES-256-GCM over in with the blob header (AAD_LEN bytes) and the
 * certificate digest as associated data; tag is written (enc) or checked.
 * Returns 1 on success, 0 on a tag mismatch, -1 on a library failure. */
static int
gcm(int enc, const unsigned char key[32], const unsigned char *hdr,
    const unsigned char *cert_digest, const unsigned char *in, size_t len,
    unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok = -1;

	if (!c || EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, CUSTODY_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, hdr + OFF_NONCE, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, hdr, AAD_LEN) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, cert_digest, CUSTODY_CERT_DIGEST_LEN) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, CUSTODY_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + n, &n) != 1) {
		ok = enc ? -1 : 0;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, CUSTODY_TAG_LEN, tag) != 1)
		goto out;
	ok = 1;
out:
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* PKCS#8 DER of pkey in OPENSSL_malloc'ed memory (free with OPENSSL_clear_free). */
static int
pkcs8_encode(struct evp_pkey_st *pkey, unsigned char **der, size_t *len, struct lerr *e)
{
	PKCS8_PRIV_KEY_INFO *p8 = pkey ? EVP_PKEY2PKCS8(pkey) : NULL;
	int n;

	*der = NULL;
	if (!p8) {
		lerr_set(e, LERR_INVALID, NULL, "the key cannot be exported as PKCS#8");
		sx_ssl_detail(e);
		lerr_hint(e, "the private key must be in memory (not on a token)");
		return e->kind;
	}
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, der);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (n <= 0)
		return ssl_fail(e, "PKCS#8 encoding");
	*len = (size_t)n;
	if (*len > CUSTODY_MAX_KEY) {
		OPENSSL_clear_free(*der, *len);
		*der = NULL;
		return lerr_set(e, LERR_TOOLARGE, NULL, "the private key is too large to wrap");
	}
	return 0;
}

/* Header fields and randomness of a new blob; hdr has CUSTODY_HEADER_LEN bytes. */
static int
header_new(unsigned char *hdr, const struct custody_params *kp, struct lerr *e)
{
	hdr[0] = CUSTODY_VERSION;
	hdr[1] = CUSTODY_KDF_SCRYPT;
	hdr[2] = (unsigned char)kp->log2_n;
	hdr[3] = (unsigned char)kp->r;
	hdr[4] = (unsigned char)kp->p;
	if (RAND_bytes(hdr + OFF_SALT, CUSTODY_SALT_LEN + CUSTODY_NONCE_LEN) != 1)
		return ssl_fail(e, "random generation");
	return 0;
}

static int
seal(const struct custody_params *kp, const unsigned char *pt, size_t len,
     const unsigned char *cert_digest, const char *secret, struct buf *out, struct lerr *e)
{
	unsigned char *blob = OPENSSL_malloc(len + CUSTODY_OVERHEAD);
	struct derived d;
	size_t total = len + CUSTODY_OVERHEAD;
	int rc;

	if (!blob)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	if ((rc = header_new(blob, kp, e)) || (rc = derive(secret, blob + OFF_SALT, kp, &d, e)))
		goto out;
	if (digest16(d.chk, sizeof(d.chk), blob + OFF_CHECK) ||
	    gcm(1, d.aes, blob, cert_digest, pt, len, blob + CUSTODY_HEADER_LEN,
		blob + OFF_TAG) != 1 ||
	    digest16(blob, total - CUSTODY_SUM_LEN, blob + total - CUSTODY_SUM_LEN)) {
		rc = ssl_fail(e, "AES-256-GCM encryption");
		goto out;
	}
	if (buf_add(out, blob, total))
		rc = lerr_set(e, LERR_TOOLARGE, NULL, "the wrapped key does not fit its buffer");
out:
	OPENSSL_cleanse(&d, sizeof(d));
	OPENSSL_free(blob);
	return rc;
}

int
custody_wrap(const struct custody_params *kp, struct evp_pkey_st *pkey,
	     const unsigned char cert_digest[CUSTODY_CERT_DIGEST_LEN], const char *secret,
	     struct buf *out, struct lerr *e)
{
	unsigned char *der = NULL;
	size_t len = 0;
	int rc;

	if (!kp)
		kp = &defaults;
	if (!params_ok(kp))
		return lerr_set(e, LERR_INVALID, NULL, "scrypt parameters out of bounds");
	if (!secret || !*secret)
		return lerr_set(e, LERR_INVALID, "pin", "an empty secret cannot wrap a key");
	if ((rc = pkcs8_encode(pkey, &der, &len, e)))
		return rc;
	rc = seal(kp, der, len, cert_digest, secret, out, e);
	OPENSSL_clear_free(der, len);
	return rc;
}

/* Format checks that need no secret: version, KDF, bounds, checksum. */
static int
parse(const unsigned char *b, size_t len, struct custody_params *kp, struct lerr *e)
{
	unsigned char sum[CUSTODY_SUM_LEN];

	if (len <= CUSTODY_OVERHEAD || len > CUSTODY_MAX_KEY + CUSTODY_OVERHEAD)
		return lerr_set(e, LERR_INVALID, NULL, "the wrapped key has a wrong length");
	if (b[0] != CUSTODY_VERSION || b[1] != CUSTODY_KDF_SCRYPT) {
		lerr_set(e, LERR_INVALID, NULL, "unknown wrapped key format");
		lerr_detail(e, "version %u, KDF %u", b[0], b[1]);
		return e->kind;
	}
	kp->log2_n = b[2];
	kp->r = b[3];
	kp->p = b[4];
	if (!params_ok(kp))
		return lerr_set(e, LERR_INVALID, NULL, "the wrapped key has scrypt parameters out of bounds");
	if (digest16(b, len - CUSTODY_SUM_LEN, sum))
		return ssl_fail(e, "SHA-256");
	if (CRYPTO_memcmp(sum, b + len - CUSTODY_SUM_LEN, sizeof(sum)) != 0) {
		lerr_set(e, LERR_INVALID, NULL, "the wrapped key is damaged");
		lerr_detail(e, "its checksum does not match");
		return e->kind;
	}
	return 0;
}

static int
pkcs8_decode(const unsigned char *der, size_t len, struct evp_pkey_st **pkey, struct lerr *e)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);

	*pkey = p8 ? EVP_PKCS82PKEY(p8) : NULL;
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (!*pkey) {
		lerr_set(e, LERR_INVALID, NULL, "the unwrapped key cannot be read");
		sx_ssl_detail(e);
		return e->kind;
	}
	return 0;
}

/* Derive, check the PIN, decrypt into pt (len - CUSTODY_OVERHEAD bytes). */
static int
open_blob(const unsigned char *b, size_t len, const struct custody_params *kp,
	  const unsigned char *cert_digest, const char *secret, unsigned char *pt,
	  struct lerr *e)
{
	unsigned char chk[CUSTODY_CHECK_LEN], tag[CUSTODY_TAG_LEN];
	struct derived d;
	int rc, ok;

	if ((rc = derive(secret, b + OFF_SALT, kp, &d, e)))
		goto out;
	if (digest16(d.chk, sizeof(d.chk), chk)) {
		rc = ssl_fail(e, "SHA-256");
		goto out;
	}
	if (CRYPTO_memcmp(chk, b + OFF_CHECK, sizeof(chk)) != 0) {
		rc = lerr_set(e, LERR_AUTH, "pin", "wrong PIN");
		goto out;
	}
	memcpy(tag, b + OFF_TAG, sizeof(tag));
	ok = gcm(0, d.aes, b, cert_digest, b + CUSTODY_HEADER_LEN, len - CUSTODY_OVERHEAD,
		 pt, tag);
	if (ok < 0)
		rc = ssl_fail(e, "AES-256-GCM decryption");
	else if (ok == 0) {
		rc = lerr_set(e, LERR_INVALID, NULL, "the wrapped key does not belong to this certificate");
		lerr_detail(e, "authentication of the wrapped key failed: another certificate, or altered data");
	}
out:
	OPENSSL_cleanse(&d, sizeof(d));
	OPENSSL_cleanse(chk, sizeof(chk));
	return rc;
}

int
custody_unwrap(const void *blob, size_t len,
	       const unsigned char cert_digest[CUSTODY_CERT_DIGEST_LEN], const char *secret,
	       struct evp_pkey_st **pkey, struct lerr *e)
{
	struct custody_params kp;
	unsigned char *pt = NULL;
	size_t ptlen = 0;
	int rc;

	*pkey = NULL;
	if ((rc = parse(blob, len, &kp, e)))
		return rc;
	if (!secret || !*secret)
		return lerr_set(e, LERR_AUTH, "pin", "wrong PIN");
	ptlen = len - CUSTODY_OVERHEAD;
	if (!(pt = OPENSSL_malloc(ptlen)))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	rc = open_blob(blob, len, &kp, cert_digest, secret, pt, e);
	if (!rc)
		rc = pkcs8_decode(pt, ptlen, pkey, e);
	OPENSSL_clear_free(pt, ptlen);
	return rc;
}

int
custody_rewrap(const struct custody_params *kp, const void *blob, size_t len,
	       const unsigned char cert_digest[CUSTODY_CERT_DIGEST_LEN], const char *code,
	       const char *new_pin, struct buf *out, struct lerr *e)
{
	char canon[CUSTODY_CODE_SIZE], typed[CUSTODY_CODE_SIZE];
	EVP_PKEY *pkey = NULL;
	int rc;

	if ((rc = custody_pin_acceptable(new_pin, e)))
		return rc;
	if ((rc = custody_code_normalise(code, canon, e)))
		goto out;
	if ((rc = custody_code_normalise(new_pin, typed, e)) == 0 && strcmp(typed, canon) == 0) {
		rc = lerr_set(e, LERR_INVALID, "pin", "the new PIN is the enrolment code");
		lerr_hint(e, "choose a PIN of your own");
		goto out;
	}
	lerr_clear(e);
	if ((rc = custody_unwrap(blob, len, cert_digest, canon, &pkey, e))) {
		if (rc == LERR_AUTH)
			rc = lerr_set(e, LERR_AUTH, "code", "wrong enrolment code");
		goto out;
	}
	rc = custody_wrap(kp, pkey, cert_digest, new_pin, out, e);
out:
	EVP_PKEY_free(pkey);
	OPENSSL_cleanse(canon, sizeof(canon));
	OPENSSL_cleanse(typed, sizeof(typed));
	return rc;
}

/* ---- Enrolment codes ---- */

int
custody_enrolment_code(char out[CUSTODY_CODE_SIZE], struct lerr *e)
{
	static const char alpha[] = CUSTODY_CODE_ALPHABET;
	unsigned char rnd[16];
	size_t i, o = 0;

	_Static_assert(sizeof(alpha) - 1 == 32, "the alphabet must have 32 letters");
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return ssl_fail(e, "random generation");
	for (i = 0; i < sizeof(rnd); i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = alpha[rnd[i] & 31];
	}
	out[o] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}

int
custody_code_normalise(const char *typed, char out[CUSTODY_CODE_SIZE], struct lerr *e)
{
	size_t n = 0, o = 0;
	const char *s;
	int c;

	for (s = typed ? typed : ""; *s; s++) {
		if (*s == ' ' || *s == '-' || *s == '\t')
			continue;
		c = (*s >= 'a' && *s <= 'z') ? *s - 'a' + 'A' : *s;
		if (!strchr(CUSTODY_CODE_ALPHABET, c) || n == 16)
			goto bad;
		if (n && n % 4 == 0)
			out[o++] = '-';
		out[o++] = (char)c;
		n++;
	}
	out[o] = '\0';
	if (n == 16)
		return 0;
bad:
	OPENSSL_cleanse(out, CUSTODY_CODE_SIZE);
	lerr_set(e, LERR_INVALID, "code", "not an enrolment code");
	lerr_hint(e, "an enrolment code has 16 characters, e.g. ABCD-EFGH-JKLM-NPQR "
		  "(no 0, 1, I or O)");
	return e->kind;
}

/* ---- PIN rule ---- */

static int
all_same(const char *s, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (s[i] != s[0])
			return 0;
	return 1;
}

static int
sequence(const char *s, size_t n)
{
	size_t i;
	int step = (unsigned char)s[1] - (unsigned char)s[0];

	if (step != 1 && step != -1)
		return 0;
	for (i = 2; i < n; i++)
		if ((unsigned char)s[i] - (unsigned char)s[i - 1] != step)
			return 0;
	return 1;
}

/* A repetition of a block of 2 or 3 characters ("121212", "123123"). */
static int
repeated_block(const char *s, size_t n)
{
	size_t b, i;

	for (b = 2; b <= 3; b++) {
		if (n % b)
			continue;
		for (i = b; i < n && s[i] == s[i - b]; i++)
			;
		if (i == n)
			return 1;
	}
	return 0;
}

static int
pin_chars_ok(const char *pin, size_t n)
{
	const unsigned char *p = (const unsigned char *)pin;
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return utf8_valid(pin, n);
}

static int
pin_refuse(struct lerr *e, const char *why)
{
	lerr_set(e, LERR_INVALID, "pin", "PIN too weak: %s", why);
	lerr_hint(e, "choose %d to %d characters, not a single repeated character, not a "
		  "sequence such as 123456 and not a repeated pattern such as 121212",
		  CUSTODY_PIN_MIN, CUSTODY_PIN_MAX);
	return e->kind;
}

int
custody_pin_acceptable(const char *pin, struct lerr *e)
{
	size_t n = pin ? strlen(pin) : 0;

	if (n < CUSTODY_PIN_MIN)
		return pin_refuse(e, "too short");
	if (n > CUSTODY_PIN_MAX)
		return pin_refuse(e, "too long");
	if (!pin_chars_ok(pin, n))
		return pin_refuse(e, "control characters or invalid UTF-8");
	if (all_same(pin, n))
		return pin_refuse(e, "one character repeated");
	if (sequence(pin, n))
		return pin_refuse(e, "a simple sequence");
	if (repeated_block(pin, n))
		return pin_refuse(e, "a repeated pattern");
	return 0;
}

/* ---- Certificates ---- */

int
custody_cert_digest(struct x509_st *cert, unsigned char out[CUSTODY_CERT_DIGEST_LEN],
		    struct lerr *e)
{
	unsigned char *der = NULL;
	unsigned int mdlen = 0;
	int n = cert ? i2d_X509(cert, &der) : -1;
	int rc = 0;

	if (n <= 0)
		return lerr_set(e, LERR_INVALID, NULL, "no certificate to bind the key to");
	if (EVP_Digest(der, (size_t)n, out, &mdlen, EVP_sha256(), NULL) != 1)
		rc = ssl_fail(e, "SHA-256");
	OPENSSL_free(der);
	return rc;
}
