/* tsa.h - carry an RFC 3161 request to a time-stamping authority over HTTP(S). */
#ifndef LIASSE_TRANSMIT_TSA_H
#define LIASSE_TRANSMIT_TSA_H

#include <stddef.h>
#include "core/buf.h"
#include "core/err.h"

/* POST req as application/timestamp-query to url; resp receives the body
 * of a 200 application/timestamp-reply (resp->max bounds it). */
int xmit_tsa_post(const char *url, const void *req, size_t len, struct buf *resp,
		  struct lerr *e) LERR_WUR;
/* The same for any binary POST (OCSP: application/ocsp-request). */
int xmit_post_bytes(const char *url, const char *ctype, const void *req, size_t len,
		    struct buf *resp, struct lerr *e) LERR_WUR;

#endif
