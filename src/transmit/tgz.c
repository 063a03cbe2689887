/*
 * tgz.c - the @ctes archive: ustar entries through gzip (zlib), written to
 * a stream file; and the reading of the small archives the prefecture sends
 * back.
 */
#include "transmit/xmit_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define TAR_BLOCK 512
#define TGZ_READ_MAX (64u << 20)

struct xmit_tgz {
	FILE *out;
	z_stream z;
	size_t entry_left, entry_pad;
	unsigned char obuf[16384];
};

static int
deflate_some(struct xmit_tgz *t, const void *p, size_t n, int flush, struct lerr *e)
{
	t->z.next_in = (unsigned char *)(uintptr_t)p;
	t->z.avail_in = (uInt)n;
	do {
		int zr;

		t->z.next_out = t->obuf;
		t->z.avail_out = sizeof(t->obuf);
		zr = deflate(&t->z, flush);
		if (zr == Z_STREAM_ERROR)
			return lerr_set(e, LERR_INTERNAL, NULL, "gzip failed");
		size_t have = sizeof(t->obuf) - t->z.avail_out;
		if (have && fwrite(t->obuf, 1, have, t->out) != have)
			return lerr_set(e, LERR_INTERNAL, NULL, "cannot write the archive (disk full?)");
	} while (t->z.avail_out == 0 || (flush == Z_FINISH && t->z.avail_in));
	return 0;
}

int
xmit_tgz_open(struct xmit_tgz **out, FILE *f, struct lerr *e)
{
	struct xmit_tgz *t = calloc(1, sizeof(*t));

	if (!t)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	/* windowBits 15 + 16: a gzip wrapper. */
	if (deflateInit2(&t->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(t);
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot start gzip");
	}
	t->out = f;
	*out = t;
	return 0;
}

static void
octal(char *field, size_t width, unsigned long long v)
{
	snprintf(field, width, "%0*llo", (int)width - 1, v);
}

int
xmit_tgz_begin(struct xmit_tgz *t, const char *name, unsigned long long size, long long mtime,
	       struct lerr *e)
{
	unsigned char h[TAR_BLOCK];
	unsigned sum = 0;

	if (strlen(name) >= 100)
		return lerr_set(e, LERR_INTERNAL, NULL, "archive member name too long: %s", name);
	memset(h, 0, sizeof(h));
	memcpy(h, name, strlen(name));
	octal((char *)h + 100, 8, 0644);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, size);
	octal((char *)h + 136, 12, (unsigned long long)mtime);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	t->entry_left = size;
	t->entry_pad = (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
	return deflate_some(t, h, sizeof(h), Z_NO_FLUSH, e);
}

int
xmit_tgz_write(struct xmit_tgz *t, const void *p, size_t n, struct lerr *e)
{
	if (n > t->entry_left)
		return lerr_set(e, LERR_INTERNAL, NULL, "archive member longer than announced");
	t->entry_left -= n;
	return deflate_some(t, p, n, Z_NO_FLUSH, e);
}

int
xmit_tgz_end(struct xmit_tgz *t, struct lerr *e)
{
	static const unsigned char zero[TAR_BLOCK];

	if (t->entry_left)
		return lerr_set(e, LERR_INTERNAL, NULL, "archive member shorter than announced");
	return deflate_some(t, zero, t->entry_pad, Z_NO_FLUSH, e);
}

int
xmit_tgz_add(struct xmit_tgz *t, const char *name, const void *p, size_t n, long long mtime,
	     struct lerr *e)
{
	int rc = xmit_tgz_begin(t, name, n, mtime, e);

	if (!rc)
		rc = xmit_tgz_write(t, p, n, e);
	return rc ? rc : xmit_tgz_end(t, e);
}

int
xmit_tgz_close(struct xmit_tgz *t, struct lerr *e)
{
	static const unsigned char zero[2 * TAR_BLOCK];
	int rc = 0;

	if (!t)
		return 0;
	if (e)
		rc = deflate_some(t, zero, sizeof(zero), Z_FINISH, e);
	deflateEnd(&t->z);
	if (!rc && e && fflush(t->out))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot write the archive");
	free(t);
	return rc;
}

/* ---- reading ---- */

static int
gunzip(const void *p, size_t n, struct buf *out, struct lerr *e)
{
	z_stream z;
	unsigned char tmp[16384];
	int zr = Z_OK, rc = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 32) != Z_OK)    /* gzip or zlib, detected */
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot start gunzip");
	z.next_in = (unsigned char *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	while (!rc && zr != Z_STREAM_END) {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END)
			rc = lerr_set(e, LERR_INVALID, NULL, "not a gzip archive");
		else if (buf_add(out, tmp, sizeof(tmp) - z.avail_out))
			rc = lerr_set(e, LERR_TOOLARGE, NULL, "archive larger than %u bytes once unpacked",
				      TGZ_READ_MAX);
		else if (zr == Z_OK && z.avail_in == 0 && z.avail_out != 0)
			rc = lerr_set(e, LERR_INVALID, NULL, "truncated gzip archive");
	}
	inflateEnd(&z);
	return rc;
}

int
xmit_tgz_each(const void *gz, size_t n,
	      int (*fn)(void *arg, const char *name, const void *data, size_t len), void *arg,
	      struct lerr *e)
{
	struct buf tar;
	size_t off = 0;
	int rc;

	buf_init(&tar, TGZ_READ_MAX);
	rc = gunzip(gz, n, &tar, e);
	while (!rc && off + TAR_BLOCK <= tar.len && tar.data[off]) {
		const char *h = tar.data + off;
		char name[101], sz[13];
		unsigned long long size;

		memcpy(name, h, 100);
		name[100] = '\0';
		memcpy(sz, h + 124, 12);
		sz[12] = '\0';
		size = strtoull(sz, NULL, 8);
		off += TAR_BLOCK;
		if (size > tar.len - off) {
			rc = lerr_set(e, LERR_INVALID, NULL, "truncated tar member %s", name);
			break;
		}
		if (h[156] == '0' || h[156] == '\0')
			rc = fn(arg, name, tar.data + off, (size_t)size);
		off += (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	}
	buf_fini(&tar);
	return rc;
}
