/* util.h - small helpers shared by every module: digests, hex, randomness, text checks. */
#ifndef LIASSE_CORE_UTIL_H
#define LIASSE_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* Incremental SHA-256 (OpenSSL EVP underneath). */
struct sha256 { void *md; };
int sha256_init(struct sha256 *s) __attribute__((warn_unused_result));
void sha256_update(struct sha256 *s, const void *p, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);  /* also releases */
void sha256_fini(struct sha256 *s);                             /* release without result */
void sha256_once(const void *p, size_t n, uint8_t out[SHA256_LEN]);

void hex_encode(const uint8_t *p, size_t n, char *out);        /* out: 2n+1 */
int hex_decode(const char *s, uint8_t *out, size_t n);          /* exactly 2n hex digits */
int random_bytes(void *p, size_t n) __attribute__((warn_unused_result));
/* base64url without padding; out: 4*ceil(n/3)+1 */
void base64url_encode(const uint8_t *p, size_t n, char *out);
/* Decodes unpadded base64url; -1 on a bad character or more than max bytes. */
int base64url_decode(const char *s, uint8_t *out, size_t max, size_t *len);

int utf8_valid(const char *s, size_t n);
/* A file name we accept from outside: valid UTF-8, 1..255 bytes, no '/', '\\',
 * NUL or control characters, not "." or "..". */
int filename_safe(const char *s);
int uuid_valid(const char *s);
int64_t now_us(void);   /* CLOCK_MONOTONIC microseconds */

#endif
