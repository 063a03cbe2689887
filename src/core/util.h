/* util.h - small helpers shared by every module: digests, hex, randomness, text checks. */
#ifndef LIASSE_CORE_UTIL_H
#define LIASSE_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct arena;
struct buf;

/* Incremental SHA-256 (OpenSSL EVP underneath). */
struct sha256 { void *md; };
int sha256_init(struct sha256 *s) __attribute__((warn_unused_result));
void sha256_update(struct sha256 *s, const void *p, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);  /* also releases */
void sha256_fini(struct sha256 *s);                             /* release without result */
void sha256_once(const void *p, size_t n, uint8_t out[SHA256_LEN]);

void hex_encode(const uint8_t *p, size_t n, char *out);        /* out: 2n+1 */
int hex_decode(const char *s, uint8_t *out, size_t n);          /* exactly 2n hex digits */
int hex_digit(char c);                                          /* 0-15, -1 if not hex */
int random_bytes(void *p, size_t n) __attribute__((warn_unused_result));
/* base64 (RFC 4648), the one implementation (OpenSSL's EVP encoder) of
 * every module.  Standard alphabet with padding, appended to out; wrap: a line
 * break every 64 characters (as XML signatures carry it).  -1: out is full. */
int base64_encode(const void *p, size_t n, int wrap, struct buf *out) __attribute__((warn_unused_result));
/* Decodes n characters of standard base64, line breaks and white space
 * allowed (XML, MIME), appended to out; -1 if it is not base64 or out is full. */
int base64_decode(const char *s, size_t n, struct buf *out) __attribute__((warn_unused_result));
/* base64url without padding; out: ceil(4n/3)+1 bytes (43+1 for 32) */
void base64url_encode(const uint8_t *p, size_t n, char *out);
/* Decodes unpadded base64url; -1 on a bad character or more than max bytes. */
int base64url_decode(const char *s, uint8_t *out, size_t max, size_t *len);
/* A Content-Disposition value (kind "attachment" or "inline") for a UTF-8
 * file name, percent-encoded as RFC 6266 and RFC 8187 say; allocated in a. */
char *content_disposition(struct arena *a, const char *kind, const char *name);

int utf8_valid(const char *s, size_t n);
/* A file name we accept from outside: valid UTF-8, 1..255 bytes, no '/', '\\',
 * NUL or control characters, not "." or "..". */
int filename_safe(const char *s);
int uuid_valid(const char *s);
int64_t now_us(void);   /* CLOCK_MONOTONIC microseconds */

#endif
