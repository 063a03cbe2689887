/*
 * x509id.h - a client certificate's identity: the SHA-256 of its DER form,
 * its subject and its end of validity.  Used where a vendor client presents
 * a TLS client certificate (through the reverse proxy: src/http/clientcert.c)
 * and where the operator binds one (liasse client cert add).
 */
#ifndef LIASSE_CORE_X509ID_H
#define LIASSE_CORE_X509ID_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/util.h"

struct x509id {
	uint8_t sha256[SHA256_LEN];
	char sha256_hex[2 * SHA256_LEN + 1];
	char subject[256];           /* RFC 2253, cut to fit */
	char not_after[32];          /* "YYYY-MM-DD HH:MM:SSZ" */
};

/* The first certificate of PEM text pem (n bytes). LERR_INVALID otherwise. */
int x509id_from_pem(const char *pem, size_t n, struct x509id *out, struct lerr *e) LERR_WUR;
/* %XX-decodes s (nginx's $ssl_client_escaped_cert) into out (n bytes); -1 when
 * it does not fit or an escape is broken. */
int x509id_unescape(const char *s, char *out, size_t n);

#endif
