/* tsa.h - the HTTP leg of RFC 3161 time-stamp and OCSP requests.  sign/ does
 * not call it: a program hands xmit_post_bytes to sign_set_http_post(). */
#ifndef LIASSE_TRANSMIT_TSA_H
#define LIASSE_TRANSMIT_TSA_H

#include <stddef.h>
#include "core/buf.h"
#include "core/err.h"

/* POST req as ctype (application/timestamp-query, application/ocsp-request)
 * to url; resp receives the body of a 200 reply (resp->max bounds it).  Has
 * the type of sign_http_post_fn (sign/sign.h). */
int xmit_post_bytes(const char *url, const char *ctype, const void *req, size_t len,
		    struct buf *resp, struct lerr *e) LERR_WUR;

#endif
