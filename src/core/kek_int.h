/* kek_int.h - the PKCS#11 side of kek.c: one logged-in session per token. */
#ifndef LIASSE_CORE_KEK_INT_H
#define LIASSE_CORE_KEK_INT_H

#include <stddef.h>
#include "core/err.h"

struct kek_p11;

/* dlopens module (once per process), finds the token labelled token, logs in
 * with the user PIN held in pinfile (mode 0600). */
int kek_p11_open(const char *module, const char *token, const char *pinfile, struct kek_p11 **out,
		 struct lerr *e) LERR_WUR;
/* The AES secret key labelled label; warns when it is extractable. */
int kek_p11_key(struct kek_p11 *t, const char *label, unsigned long *handle, struct lerr *e) LERR_WUR;
/* AES-GCM on the token: out gets n bytes (+ the 16-byte tag when enc); out
 * has room for n + 16 bytes either way (SoftHSM2 wants it when decrypting).
 * 1: done, 0: the tag does not match, -1: a token failure. */
int kek_p11_gcm(struct kek_p11 *t, unsigned long key, int enc, const unsigned char *iv,
		const unsigned char *aad, size_t aadlen, const unsigned char *in, size_t n,
		unsigned char *out);
void kek_p11_close(struct kek_p11 *t);
/* C_Finalize and dlclose, after the last kek_p11_close (kek_shutdown). */
void kek_p11_unload(void);

#endif
