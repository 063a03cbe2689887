/*
 * secret.h - people's secrets: password hashes and TOTP codes.
 *
 * Passwords are hashed with scrypt (OpenSSL's EVP_PBE_scrypt, memory-hard:
 * N = 2^15, r = 8, p = 1, 32 MiB per hash) and a random 16-byte salt, in the
 * text form "$scrypt$ln=15,r=8,p=1$<salt>$<hash>" (base64url), so the
 * parameters can grow later without breaking stored hashes.  TOTP is RFC 6238
 * with HMAC-SHA1, 30-second steps and 6 digits, what authenticator apps use.
 */
#ifndef LIASSE_SECRET_H
#define LIASSE_SECRET_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"

#define PASSWD_HASH_MAX 128
#define PASSWD_MIN_LEN 10
#define TOTP_SECRET_LEN 20

int passwd_hash(const char *password, char out[PASSWD_HASH_MAX], struct lerr *e) LERR_WUR;
/* 1: the password matches; 0: it does not, or the hash is malformed. */
int passwd_check(const char *password, const char *hash);
/* A password an administrator may set: PASSWD_MIN_LEN characters at least. */
int passwd_acceptable(const char *password, struct lerr *e) LERR_WUR;

/* The 6-digit code of a secret at time t. */
unsigned totp_code(const uint8_t *secret, size_t len, time_t t);
/* 1 if code (6 digits text) is valid at now, one step either side. */
int totp_check(const uint8_t *secret, size_t len, const char *code, time_t now);
/* RFC 4648 base32 without padding (authenticator apps' form); out: 8*ceil(n/5)/5+1. */
void base32_encode(const uint8_t *p, size_t n, char *out);

#endif
