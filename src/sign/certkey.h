/*
 * certkey.h - an official's certificate and wrapped key, as stored.
 *
 * The glue between a PKCS#12 file, the custody blob (custody.h) and a
 * struct sign_key, so that callers outside sign/ (store/ keeps the bytes,
 * flow/ signs documents, the CLI and http/ import and enrol) never touch
 * OpenSSL:
 *
 *   import:  PKCS#12 + password -> certificate DER, intermediates DER,
 *            facts, blob wrapped under a fresh one-time enrolment code
 *   enrol:   blob + enrolment code + new PIN -> blob wrapped under the PIN
 *   open:    certificate DER + intermediates + blob + PIN -> struct sign_key
 *
 * The first call of any of them makes the process non-dumpable
 * (prctl PR_SET_DUMPABLE 0: no core file, no ptrace by other users), since it
 * is about to hold an official's private key.  PKCS#8 plaintext and derived
 * keys are wiped by custody.c; the PKCS#12 password and PIN are the caller's
 * to wipe.  Errors: LERR_AUTH for a wrong PIN, code or PKCS#12 password
 * (count the first two), LERR_INVALID for anything unreadable.
 */
#ifndef LIASSE_SIGN_CERTKEY_H
#define LIASSE_SIGN_CERTKEY_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "sign/custody.h"
#include "sign/sign.h"

struct certkey_info {
	char subject[512];       /* RFC 2253 */
	char issuer[512];
	char serial[128];        /* decimal */
	time_t not_before, not_after;
	unsigned char sha256[CUSTODY_CERT_DIGEST_LEN];   /* of the certificate DER */
};

/* Read the PKCS#12, wrap its key under a new enrolment code (code receives
 * it: show it once, keep it nowhere).  cert_der, chain_der and blob are
 * appended to. */
int certkey_import(const void *p12, size_t len, const char *pass, struct certkey_info *info,
		   struct buf *cert_der, struct buf *chain_der, struct buf *blob,
		   char code[CUSTODY_CODE_SIZE], struct lerr *e) LERR_WUR;

/* Facts of a certificate DER (for display and checks). */
int certkey_info(const void *cert_der, size_t len, struct certkey_info *info,
		 struct lerr *e) LERR_WUR;

/* Facts of a signing key's certificate. */
int certkey_key_info(const struct sign_key *k, struct certkey_info *info, struct lerr *e) LERR_WUR;

/* The enrolment exchange (custody_rewrap) for the certificate cert_der:
 * newblob receives the key wrapped under pin. */
int certkey_enrol(const void *cert_der, size_t certlen, const void *blob, size_t bloblen,
		  const char *code, const char *pin, struct buf *newblob, struct lerr *e) LERR_WUR;

/* Unwrap under pin and make a signing key (sign_key_fini() it, which frees
 * the private key).  Refuses (LERR_FORBIDDEN) a certificate not valid at now
 * before trying the PIN. */
int certkey_open(const void *cert_der, size_t certlen, const void *chain_der, size_t chainlen,
		 const void *blob, size_t bloblen, const char *pin, time_t now,
		 struct sign_key *k, struct lerr *e) LERR_WUR;

/* Process hardening, done once (idempotent): not dumpable. */
void certkey_harden(void);

#endif
