/*
 * fdio.c - PDFs in files: a MuPDF stream that reads a file descriptor with
 * pread (the input, and the output read back by MuPDF's signing pass), and
 * an fz_output that writes one (buffered, seekable, truncatable), so that
 * neither the original nor the signed file is ever held in memory.
 */

#include "pdf/pdf_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "core/spool.h"

#define FD_BUF (64u << 10)

/* ---- reading ---- */

/* After a seek (MuPDF parsing objects here and there) a read is 4 KiB, as
 * MuPDF's own file stream reads; reading on (a copy, a hash), each read
 * doubles up to 64 KiB.  max is only a hint (1 for a byte). */
#define FD_FIRST 4096u

struct fdin {
	int fd;
	int64_t len;                    /* the bytes readable: [0, len) */
	size_t step;                    /* the next read's size */
	unsigned char buf[FD_BUF];
};

static int
fdin_next(fz_context *ctx, fz_stream *stm, size_t max)
{
	struct fdin *s = stm->state;
	size_t want = s->step;
	ssize_t n = 0;

	(void)max;
	if (s->step < FD_BUF)
		s->step *= 2;
	if (stm->pos >= s->len)
		return EOF;
	if ((int64_t)want > s->len - stm->pos)
		want = (size_t)(s->len - stm->pos);
	do
		n = pread(s->fd, s->buf, want, (off_t)stm->pos);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		lpdf_io_failed(ctx, errno);
		fz_throw(ctx, FZ_ERROR_GENERIC, "cannot read the PDF's file: %s", strerror(errno));
	}
	stm->rp = s->buf;
	stm->wp = s->buf + n;
	stm->pos += n;
	if (n == 0)
		return EOF;
	return *stm->rp++;
}

static void
fdin_seek(fz_context *ctx, fz_stream *stm, int64_t off, int whence)
{
	struct fdin *s = stm->state;
	int64_t base = whence == SEEK_END ? s->len : whence == SEEK_CUR ? stm->pos : 0;

	if (base + off < 0)
		fz_throw(ctx, FZ_ERROR_GENERIC, "seek before the start of the PDF");
	stm->pos = base + off > s->len ? s->len : base + off;
	stm->rp = stm->wp = s->buf;
	s->step = FD_FIRST;
}

static void
fdin_drop(fz_context *ctx, void *state)
{
	fz_free(ctx, state);
}

fz_stream *
lpdf_fd_stream(fz_context *ctx, int fd, int64_t len)
{
	struct fdin *s = fz_malloc_struct(ctx, struct fdin);
	fz_stream *stm;

	s->fd = fd;
	s->len = len;
	s->step = FD_FIRST;
	stm = fz_new_stream(ctx, s, fdin_next, fdin_drop);
	stm->seek = fdin_seek;
	return stm;
}

/* ---- writing ---- */

struct fdout {
	int fd;
	int64_t pos, end, max;          /* write position, file length, cap */
	int64_t at;                     /* where buf goes */
	size_t fill;
	unsigned char buf[FD_BUF];
};

static void
put_all(fz_context *ctx, int fd, const void *p, size_t n, int64_t at)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)at);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			lpdf_io_failed(ctx, w < 0 ? errno : ENOSPC);
			fz_throw(ctx, FZ_ERROR_GENERIC, "cannot write the PDF's file: %s",
				 w < 0 ? strerror(errno) : "no space");
		}
		p = (const char *)p + w;
		n -= (size_t)w;
		at += w;
	}
}

static void
fdout_flush(fz_context *ctx, struct fdout *o)
{
	if (o->fill)
		put_all(ctx, o->fd, o->buf, o->fill, o->at);
	o->fill = 0;
}

static void
fdout_write(fz_context *ctx, void *state, const void *data, size_t n)
{
	struct fdout *o = state;

	if (o->pos + (int64_t)n > o->max)
		fz_throw(ctx, FZ_ERROR_GENERIC, "the PDF written would be larger than %lld bytes",
			 (long long)o->max);
	if (o->fill && (o->at + (int64_t)o->fill != o->pos || o->fill + n > FD_BUF))
		fdout_flush(ctx, o);
	if (n >= FD_BUF) {
		put_all(ctx, o->fd, data, n, o->pos);
	} else {
		if (!o->fill)
			o->at = o->pos;
		memcpy(o->buf + o->fill, data, n);
		o->fill += n;
	}
	o->pos += (int64_t)n;
	if (o->pos > o->end)
		o->end = o->pos;
}

static void
fdout_seek(fz_context *ctx, void *state, int64_t off, int whence)
{
	struct fdout *o = state;
	int64_t base = whence == SEEK_CUR ? o->pos : whence == SEEK_END ? o->end : 0;

	if (base + off < 0 || base + off > o->end)
		fz_throw(ctx, FZ_ERROR_GENERIC, "seek outside the written PDF");
	fdout_flush(ctx, o);
	o->pos = base + off;
}

static int64_t
fdout_tell(fz_context *ctx, void *state)
{
	return ((struct fdout *)state)->pos;
}

static void
fdout_truncate(fz_context *ctx, void *state)
{
	struct fdout *o = state;

	fdout_flush(ctx, o);
	if (ftruncate(o->fd, (off_t)o->pos)) {
		lpdf_io_failed(ctx, errno);
		fz_throw(ctx, FZ_ERROR_GENERIC, "cannot truncate the PDF's file: %s", strerror(errno));
	}
	o->end = o->pos;
}

/* Read back what is written (MuPDF's signing pass hashes the ByteRange). */
static fz_stream *
fdout_stream(fz_context *ctx, void *state)
{
	struct fdout *o = state;

	fdout_flush(ctx, o);
	return lpdf_fd_stream(ctx, o->fd, o->end);
}

static void
fdout_close(fz_context *ctx, void *state)
{
	fdout_flush(ctx, state);
}

static void
fdout_drop(fz_context *ctx, void *state)
{
	fz_free(ctx, state);
}

void
lpdf_save_incremental_fd(fz_context *ctx, pdf_document *doc, int fd, int64_t max, int64_t *len)
{
	pdf_write_options wo = pdf_default_write_options;
	struct fdout *st = NULL;
	fz_output *o = NULL;

	fz_var(o);
	fz_var(st);
	if (ftruncate(fd, 0)) {
		lpdf_io_failed(ctx, errno);
		fz_throw(ctx, FZ_ERROR_GENERIC, "cannot empty the output file: %s", strerror(errno));
	}
	wo.do_incremental = 1;
	fz_try(ctx) {
		st = fz_malloc_struct(ctx, struct fdout);
		st->fd = fd;
		st->max = max;
		o = fz_new_output(ctx, 0, st, fdout_write, fdout_close, fdout_drop);
		st = NULL;      /* the output's now */
		o->seek = fdout_seek;
		o->tell = fdout_tell;
		o->as_stream = fdout_stream;
		o->truncate = fdout_truncate;
		pdf_write_document(ctx, doc, o, &wo);
		fz_close_output(ctx, o);
		*len = ((struct fdout *)o->state)->end;
	} fz_always(ctx) {
		fz_drop_output(ctx, o);
		fz_free(ctx, st);
	} fz_catch(ctx) {
		fz_rethrow(ctx);
	}
}

/* ---- checks on the files ---- */

int64_t
lpdf_fd_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : (int64_t)st.st_size;
}

/* 0 when out's first len bytes are in's (incremental update), chunk by chunk. */
int
lpdf_fd_same_prefix(int in, int out, int64_t len)
{
	unsigned char *a = malloc(FD_BUF), *b = malloc(FD_BUF);
	int rc = a && b ? 0 : -1;

	for (int64_t at = 0; !rc && at < len; at += FD_BUF) {
		size_t n = len - at < FD_BUF ? (size_t)(len - at) : FD_BUF;

		rc = spool_read_at(in, a, n, at) || spool_read_at(out, b, n, at) || memcmp(a, b, n) ? -1 : 0;
	}
	free(a);
	free(b);
	return rc;
}

/* The last occurrence of pat in [from, end) of the file, -1 if none; the
 * range is read whole (it is a revision: small). */
int64_t
lpdf_fd_find_last(int fd, int64_t from, int64_t end, const char *pat)
{
	size_t m = strlen(pat), n = (size_t)(end - from);
	unsigned char *p;
	int64_t at = -1;

	if (end < from || n > LPDF_MAX_HEAP || !(p = malloc(n ? n : 1)))
		return -1;
	if (!spool_read_at(fd, p, n, from))
		for (size_t i = n >= m ? n - m + 1 : 0; at < 0 && i-- > 0;)
			if (p[i] == (unsigned char)pat[0] && !memcmp(p + i, pat, m))
				at = from + (int64_t)i;
	free(p);
	return at;
}

int
lpdf_fd_write_at(int fd, const void *p, size_t n, int64_t at)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)at);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p = (const char *)p + w;
		n -= (size_t)w;
		at += w;
	}
	return 0;
}

/* ---- the in-memory interface over the same path ---- */

/* An anonymous file (memfd) holding len bytes of p, -1 on failure. */
int
lpdf_memfd(const void *p, size_t len)
{
	int fd = memfd_create("liasse-pdf", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (lpdf_fd_write_at(fd, p, len, 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The file's len bytes into out (out->max honoured): 0, or -1. */
int
lpdf_fd_to_buf(int fd, int64_t len, struct buf *out)
{
	char *chunk = malloc(FD_BUF);
	int rc = chunk ? 0 : -1;

	buf_reset(out);
	for (int64_t at = 0; !rc && at < len; at += FD_BUF) {
		size_t n = len - at < FD_BUF ? (size_t)(len - at) : FD_BUF;

		rc = spool_read_at(fd, chunk, n, at) || buf_add(out, chunk, n) ? -1 : 0;
	}
	free(chunk);
	if (rc)
		buf_reset(out);
	return rc;
}

int
lpdf_in_memory(lpdf_fd_fn *fn, const void *arg, const char *what, const void *in, size_t len,
	       struct buf *out, struct lerr *e)
{
	int fi = lpdf_memfd(in, len), fo = lpdf_memfd("", 0), rc;
	size_t olen = 0;

	buf_reset(out);
	if (fi < 0 || fo < 0)
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot make the %s PDF: no memory file", what);
	else if (!(rc = fn(arg, fi, fo, &olen, e)) && lpdf_fd_to_buf(fo, (int64_t)olen, out))
		rc = lerr_set(e, LERR_TOOLARGE, NULL, "the %s PDF would be larger than %zu bytes", what,
			      out->max);
	if (fi >= 0)
		close(fi);
	if (fo >= 0)
		close(fo);
	return rc;
}
