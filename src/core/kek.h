/*
 * kek.h - the key-encryption key: secrets at rest sealed outside the database.
 *
 * A sealed value is
 *     "LKS1" | key id (8) | nonce (12) | AES-256-GCM ciphertext | tag (16)
 * with associated data "LKS1" | key id | nonce | context, the context naming
 * the row and column the value belongs to ("certificate.key_blob:<sha256>",
 * "person.totp_secret:<id>", "webhook.secret:<id>": kek_context()), so a
 * value copied to another row does not open.  The key is a 32-byte file
 * (kek_file) or an AES key on a PKCS#11 token (kek_pkcs11_*), which then
 * does the GCM itself and never lets the key out.  The keyring holds the
 * current key (seals) and previous ones (open only): rotation re-seals
 * (store_secret_reseal) while both are configured.  Text columns hold
 * "lks1:" + base64 of the same bytes.  doc/secrets.md.
 */
#ifndef LIASSE_CORE_KEK_H
#define LIASSE_CORE_KEK_H

#include <stddef.h>
#include "core/buf.h"
#include "core/err.h"

#define KEK_ID_LEN 8
#define KEK_NONCE_LEN 12
#define KEK_TAG_LEN 16
#define KEK_HEADER_LEN (4 + KEK_ID_LEN + KEK_NONCE_LEN)
#define KEK_OVERHEAD (KEK_HEADER_LEN + KEK_TAG_LEN)
#define KEK_MAX_PLAIN (64 * 1024)
#define KEK_TEXT_PREFIX "lks1:"

/* (Re)loads the keyring from the kek_* configuration keys.  On failure the
 * keyring in use is kept and e says which key could not be read.  No key
 * configured: sealing is off (values are written and read in clear). */
int kek_configure(struct lerr *e) LERR_WUR;
/* Forgets the keys (wiped) and unloads the PKCS#11 module: at exit only. */
void kek_shutdown(void);
/* 1 when a current key is configured (values are sealed when written). */
int kek_enabled(void);
/* Hex id of the current key ("" when none); out: 2 * KEK_ID_LEN + 1. */
void kek_current_id(char *out);
/* 1 when the key of that hex id is in the keyring. */
int kek_known(const char *hexid);
/* A new 32-byte key in hex, in a new file of mode 0600 (refuses to overwrite). */
int kek_new_file(const char *path, struct lerr *e) LERR_WUR;

/* The context of a column's value in a row: "<column>:<row key>". */
void kek_context(char *out, size_t n, const char *column, const char *rowkey);

/* 1 when in (n bytes) is a sealed value. */
int kek_is_sealed(const void *in, size_t n);
/* Seals pt under the current key, appended to out.  With no key configured,
 * pt is appended as it is. */
int kek_seal(const char *ctx, const void *pt, size_t n, struct buf *out, struct lerr *e) LERR_WUR;
/* Opens a sealed value into out; a value that is not sealed (written before
 * sealing was on) is appended as it is.  LERR_UNAVAILABLE: sealed under a
 * key not in the keyring; LERR_INTERNAL: it does not open (altered, or
 * another row's). */
int kek_open(const char *ctx, const void *in, size_t n, struct buf *out, struct lerr *e) LERR_WUR;
/* With secrets_require_sealed on, a value in clear is refused (LERR_INTERNAL,
 * the table, column and row logged, never the value). */
/* The same for text columns: "lks1:" + base64. */
int kek_seal_text(const char *ctx, const char *pt, struct buf *out, struct lerr *e) LERR_WUR;
int kek_open_text(const char *ctx, const char *in, struct buf *out, struct lerr *e) LERR_WUR;
/* kek_open() and kek_open_text() accepting a value in clear whatever
 * secrets_require_sealed says: for liasse secrets reseal, which seals it. */
int kek_open_any(const char *ctx, const void *in, size_t n, struct buf *out, struct lerr *e) LERR_WUR;
int kek_open_text_any(const char *ctx, const char *in, struct buf *out, struct lerr *e) LERR_WUR;

#endif
