/*
 * mime.h - the attachments of an e-mail (the @ctes returns read over IMAP):
 * a pure parser, no curl and no I/O, so tests/fuzz/fuzz_imap drives it alone.
 */
#ifndef LIASSE_XMIT_MIME_H
#define LIASSE_XMIT_MIME_H

#include <stddef.h>

#define XMIT_MIME_DEPTH 4            /* multiparts inside multiparts */

/* Calls fn for each attachment of the message msg (n bytes, headers and
 * body; need not end with a NUL): every part with a filename= or name=
 * parameter, base64-decoded when its headers say base64 (data NULL, len 0
 * when it is not valid base64).  A nonzero return of fn stops the walk and
 * is returned. */
int xmit_mime_each(const char *msg, size_t n,
		   int (*fn)(void *arg, const char *name, const void *data, size_t len), void *arg);

/* The value of param (boundary, name, filename) in the header block h (hl
 * bytes), truncated to n-1 bytes; 0 when it has none. */
int xmit_mime_param(const char *h, size_t hl, const char *param, char *out, size_t n);

#endif
