/*
 * custody.h - officials' private keys wrapped under a PIN or an enrolment code.
 *
 * An administrator imports an official's PKCS#12; the private key is stored
 * only wrapped under a key derived from a secret the administrator does not
 * know: first a one-time enrolment code (custody_enrolment_code()) handed to
 * the official, who exchanges it for a signing PIN of their own
 * (custody_rewrap()).  To sign, the official gives the PIN, custody_unwrap()
 * returns the EVP_PKEY and the caller makes a struct sign_key of it with
 * sign_key_set().  Pure cryptography: storage, failure counting and locking
 * are the caller's.
 *
 * Scheme: scrypt(secret, salt, N, r, p) gives 64 bytes; the first 32 are the
 * AES-256-GCM key, SHA-256 of the last 32 (truncated to 16) is stored as a
 * PIN check, so that a wrong secret (LERR_AUTH, to be counted) is told apart
 * from a damaged blob or another certificate (LERR_INVALID).  The plaintext is
 * the PKCS#8 DER (PrivateKeyInfo) of the key; the associated data is bytes
 * 0..48 of the blob followed by the SHA-256 of the certificate's DER, so a
 * wrapped key cannot be moved onto another certificate nor its parameters
 * changed.
 *
 * Blob format, version 1 (all of it goes into one bytea column):
 *
 *   offset  length  field
 *   0       1       version, 1
 *   1       1       KDF id, 1 = scrypt
 *   2       1       log2(N), 10..20
 *   3       1       r, 1..32
 *   4       1       p, 1..16   (and 128 * r * N at most 256 MiB)
 *   5       16      salt (random)
 *   21      12      GCM nonce (random)
 *   33      16      PIN check: SHA-256(k_check)[0..16]
 *   49      16      GCM tag
 *   65      n       ciphertext (n = PKCS#8 DER length, 1..16384)
 *   65+n    16      checksum: SHA-256(bytes 0..65+n)[0..16]
 *
 * The checksum is not a security measure (GCM is): it lets a blob damaged
 * by any single flipped byte, salt included, be refused as LERR_INVALID
 * without a costly derivation and without counting as a wrong PIN.
 * A deliberate forgery (checksum recomputed) that alters the salt or the
 * parameters reads as a wrong PIN; no forgery ever yields a key.
 *
 * PIN rule (custody_pin_acceptable): 6 to 64 bytes of valid UTF-8 without
 * control characters; not one character repeated ("000000"); not a run of
 * consecutive characters up or down ("123456", "987654", "abcdef"); not a
 * repetition of a block of 2 or 3 characters ("121212", "123123").
 *
 * Enrolment codes: "XXXX-XXXX-XXXX-XXXX", 16 characters from the 32-letter
 * alphabet CUSTODY_CODE_ALPHABET (no 0, 1, I, O), 80 random bits.
 *
 * Intermediates (derived keys, PKCS#8 plaintext) are wiped with
 * OPENSSL_cleanse before they are freed; the caller wipes its secrets.
 */
#ifndef LIASSE_SIGN_CUSTODY_H
#define LIASSE_SIGN_CUSTODY_H

#include <stddef.h>
#include "core/err.h"
#include "core/buf.h"

struct evp_pkey_st;
struct x509_st;

#define CUSTODY_VERSION         1
#define CUSTODY_KDF_SCRYPT      1
#define CUSTODY_SALT_LEN        16
#define CUSTODY_NONCE_LEN       12
#define CUSTODY_CHECK_LEN       16
#define CUSTODY_TAG_LEN         16
#define CUSTODY_SUM_LEN         16
#define CUSTODY_HEADER_LEN      65      /* version .. tag */
#define CUSTODY_OVERHEAD        (CUSTODY_HEADER_LEN + CUSTODY_SUM_LEN)
#define CUSTODY_MAX_KEY         16384   /* PKCS#8 DER bytes */
#define CUSTODY_CERT_DIGEST_LEN 32

/* Defaults: 32 MiB of memory, 0.1 to 0.3 s per derivation on one core
 * (test_custody prints the time measured). */
#define CUSTODY_LOG2_N          15
#define CUSTODY_R               8
#define CUSTODY_P               1

#define CUSTODY_PIN_MIN         6
#define CUSTODY_PIN_MAX         64
#define CUSTODY_CODE_ALPHABET   "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#define CUSTODY_CODE_SIZE       20      /* "XXXX-XXXX-XXXX-XXXX" and its NUL */

struct custody_params {
	unsigned log2_n;        /* 10..20 */
	unsigned r;             /* 1..32 */
	unsigned p;             /* 1..16 */
};

/* Wrap pkey under secret, bound to the certificate whose DER has SHA-256
 * cert_digest; kp NULL means the defaults above.  out receives the blob
 * (appended; out->max is honoured). */
int custody_wrap(const struct custody_params *kp, struct evp_pkey_st *pkey,
		 const unsigned char cert_digest[CUSTODY_CERT_DIGEST_LEN],
		 const char *secret, struct buf *out, struct lerr *e) LERR_WUR;

/* Unwrap: *pkey is a new key the caller frees.  LERR_AUTH: wrong secret
 * (count it); LERR_INVALID: damaged blob, unknown version or parameters out
 * of bounds, or a blob wrapped for another certificate. */
int custody_unwrap(const void *blob, size_t len,
		   const unsigned char cert_digest[CUSTODY_CERT_DIGEST_LEN],
		   const char *secret, struct evp_pkey_st **pkey, struct lerr *e) LERR_WUR;

/* The enrolment exchange: unwrap blob with the enrolment code (as typed:
 * case, spaces and dashes do not matter) and wrap the key under new_pin,
 * which must be acceptable and differ from the code.  Weak PIN or malformed
 * code: LERR_INVALID (nothing tried, not a failure to count); wrong code:
 * LERR_AUTH.  The caller then replaces the stored blob, which retires the
 * code. */
int custody_rewrap(const struct custody_params *kp, const void *blob, size_t len,
		   const unsigned char cert_digest[CUSTODY_CERT_DIGEST_LEN],
		   const char *code, const char *new_pin, struct buf *out,
		   struct lerr *e) LERR_WUR;

/* A fresh one-time code "XXXX-XXXX-XXXX-XXXX" (RAND_bytes). */
int custody_enrolment_code(char out[CUSTODY_CODE_SIZE], struct lerr *e) LERR_WUR;

/* The canonical form of a code as typed, LERR_INVALID if it cannot be one. */
int custody_code_normalise(const char *typed, char out[CUSTODY_CODE_SIZE],
			   struct lerr *e) LERR_WUR;

/* 0 when pin follows the rule above, else LERR_INVALID with a hint. */
int custody_pin_acceptable(const char *pin, struct lerr *e) LERR_WUR;

/* SHA-256 of the certificate's DER, the binding custody_wrap() expects. */
int custody_cert_digest(struct x509_st *cert, unsigned char out[CUSTODY_CERT_DIGEST_LEN],
			struct lerr *e) LERR_WUR;

#endif
