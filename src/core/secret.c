/* secret.c - password hashes (scrypt) and TOTP codes (RFC 6238). */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/secret.h"
#include "core/util.h"

#define SCRYPT_LN 15
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SALT_LEN 16
#define HASH_LEN 32
#define B64_SALT 23          /* base64url of 16 bytes, unpadded */
#define B64_HASH 44

static int
derive(const char *password, const uint8_t *salt, size_t saltlen, int ln, int r, int p,
       uint8_t out[HASH_LEN])
{
	/* 128 * r * N bytes of memory, plus slack. */
	uint64_t maxmem = 128ULL * (uint64_t)r * (1ULL << ln) + 1024 * 1024;

	return EVP_PBE_scrypt(password, strlen(password), salt, saltlen, 1ULL << ln,
			      (uint64_t)r, (uint64_t)p, maxmem, out, HASH_LEN) == 1 ? 0 : -1;
}

int
passwd_hash(const char *password, char out[PASSWD_HASH_MAX], struct lerr *e)
{
	uint8_t salt[SALT_LEN], h[HASH_LEN];
	char s64[B64_SALT + 2], h64[B64_HASH + 2];

	if (random_bytes(salt, sizeof salt))
		return lerr_set(e, LERR_INTERNAL, NULL, "no random bytes for a password salt");
	if (derive(password, salt, sizeof salt, SCRYPT_LN, SCRYPT_R, SCRYPT_P, h))
		return lerr_set(e, LERR_INTERNAL, NULL, "scrypt failed (out of memory?)");
	base64url_encode(salt, sizeof salt, s64);
	base64url_encode(h, sizeof h, h64);
	OPENSSL_cleanse(h, sizeof h);
	snprintf(out, PASSWD_HASH_MAX, "$scrypt$ln=%d,r=%d,p=%d$%s$%s", SCRYPT_LN, SCRYPT_R,
		 SCRYPT_P, s64, h64);
	return 0;
}

int
passwd_check(const char *password, const char *hash)
{
	int ln, r, p, n = 0, ok;
	char s64[64], h64[64];
	uint8_t salt[48], want[48], got[HASH_LEN];
	size_t saltlen, wantlen;

	if (!hash || sscanf(hash, "$scrypt$ln=%d,r=%d,p=%d$%63[A-Za-z0-9_-]$%63[A-Za-z0-9_-]%n",
			    &ln, &r, &p, s64, h64, &n) != 5 || hash[n])
		return 0;
	if (ln < 10 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 4)
		return 0;
	if (base64url_decode(s64, salt, sizeof salt, &saltlen) ||
	    base64url_decode(h64, want, sizeof want, &wantlen) || wantlen != HASH_LEN)
		return 0;
	if (derive(password, salt, saltlen, ln, r, p, got))
		return 0;
	ok = CRYPTO_memcmp(got, want, HASH_LEN) == 0;
	OPENSSL_cleanse(got, sizeof got);
	return ok;
}

int
passwd_acceptable(const char *password, struct lerr *e)
{
	size_t n = strlen(password);

	if (n < PASSWD_MIN_LEN || n > 1024 || !utf8_valid(password, n)) {
		lerr_set(e, LERR_INVALID, "password", "a password must have %d to 1024 characters",
			 PASSWD_MIN_LEN);
		lerr_hint(e, "choose a longer passphrase");
		return (int)e->kind;
	}
	return 0;
}

unsigned
totp_code(const uint8_t *secret, size_t len, time_t t)
{
	uint64_t step = (uint64_t)t / 30;
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0, off;
	uint32_t bin;

	for (int i = 7; i >= 0; i--, step >>= 8)
		msg[i] = (uint8_t)(step & 0xff);
	if (!HMAC(EVP_sha1(), secret, (int)len, msg, sizeof msg, mac, &maclen) || maclen < 20)
		return 1000000;   /* matches no code */
	off = mac[maclen - 1] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	return bin % 1000000;
}

int
totp_check(const uint8_t *secret, size_t len, const char *code, time_t now)
{
	unsigned want = 0;
	int ok = 0;

	if (!code || strlen(code) != 6 || strspn(code, "0123456789") != 6)
		return 0;
	for (int i = 0; i < 6; i++)
		want = want * 10 + (unsigned)(code[i] - '0');
	for (int d = -1; d <= 1; d++)
		ok |= totp_code(secret, len, now + d * 30) == want;
	return ok;
}

void
base32_encode(const uint8_t *p, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			*out++ = abc[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits)
		*out++ = abc[(acc << (5 - bits)) & 31];
	*out = '\0';
}
