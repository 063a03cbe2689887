/*
 * tgz.h - ustar archives through gzip (zlib), as @ctes exchanges them
 * (tgz.c): written entry by entry to a stream, and read back entry by entry.
 * Public for the S²LOW-compatible API (src/http/s2low.c), which hands a
 * letter of the prefecture back as the archive S²LOW would.
 */
#ifndef LIASSE_TRANSMIT_TGZ_H
#define LIASSE_TRANSMIT_TGZ_H

#include <stddef.h>
#include <stdio.h>

#include "core/err.h"

struct xmit_tgz;
int xmit_tgz_open(struct xmit_tgz **out, FILE *f, struct lerr *e) LERR_WUR;
int xmit_tgz_begin(struct xmit_tgz *t, const char *name, unsigned long long size, long long mtime,
		   struct lerr *e) LERR_WUR;
int xmit_tgz_write(struct xmit_tgz *t, const void *p, size_t n, struct lerr *e) LERR_WUR;
int xmit_tgz_end(struct xmit_tgz *t, struct lerr *e) LERR_WUR;
int xmit_tgz_add(struct xmit_tgz *t, const char *name, const void *p, size_t n, long long mtime,
		 struct lerr *e) LERR_WUR;
/* Finishes the stream (e NULL: abandons it) and frees t. */
int xmit_tgz_close(struct xmit_tgz *t, struct lerr *e);
int xmit_tgz_each(const void *gz, size_t n,
		  int (*fn)(void *arg, const char *name, const void *data, size_t len), void *arg,
		  struct lerr *e) LERR_WUR;

#endif
