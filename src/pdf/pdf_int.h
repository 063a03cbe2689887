/* pdf_int.h - pdf/'s shared internals: the MuPDF context and document. */
#ifndef LIASSE_PDF_INT_H
#define LIASSE_PDF_INT_H

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include "pdf/pdf.h"

/* A context whose allocations are capped at LPDF_MAX_HEAP (the input is
 * read from its file and the output written to another: fdio.c), NULL if
 * none. */
fz_context *lpdf_ctx_new(size_t inlen);
void lpdf_ctx_free(fz_context *ctx);
/* Opens the PDF of s (kept by the document) and refuses what liasse will
 * not sign over: encrypted, repaired, no page.  Throws. */
pdf_document *lpdf_open_stream(fz_context *ctx, fz_stream *s);
/* The same over memory (in not copied: it must outlive the document). */
pdf_document *lpdf_open(fz_context *ctx, const void *in, size_t len);
/* A file of the call could not be read or written (errno err): the caught
 * error is then the server's (LERR_UNAVAILABLE), not the PDF's. */
void lpdf_io_failed(fz_context *ctx, int err);
/* The caught MuPDF error as an lerr (what: "cannot sign the PDF"...). */
int lpdf_caught(fz_context *ctx, const char *what, struct lerr *e);
/* image.c: the image of in (shared, not copied); throws. */
fz_image *lpdf_image_open(fz_context *ctx, const void *in, size_t len);
/* The width of img in a block h high (aspect kept, at most 2 h). */
float lpdf_logo_width(fz_image *img, float h);
/* The visible block r (origin 0, 0): img logo_w wide at the left, the text
 * beside it. */
fz_display_list *lpdf_block_with_logo(fz_context *ctx, fz_rect r, fz_image *img, float logo_w,
				      const char *text);

/* fdio.c: files instead of memory.  A stream over bytes [0, len) of fd
 * (pread: the descriptor's offset is not used). */
fz_stream *lpdf_fd_stream(fz_context *ctx, int fd, int64_t len);
/* Writes doc's bytes and its changes as one incremental update into fd
 * (emptied first; at most max bytes); *len: the file's length.  Throws. */
void lpdf_save_incremental_fd(fz_context *ctx, pdf_document *doc, int fd, int64_t max,
			      int64_t *len);
int64_t lpdf_fd_size(int fd);
/* 0 when out starts with in's first len bytes. */
int lpdf_fd_same_prefix(int in, int out, int64_t len);
/* Offset of the last pat in [from, end) (a revision, read whole), or -1. */
int64_t lpdf_fd_find_last(int fd, int64_t from, int64_t end, const char *pat);
int lpdf_fd_write_at(int fd, const void *p, size_t n, int64_t at);
/* The in-memory interface over the file path: an anonymous file (memfd)
 * holding p, or -1; a file's first len bytes into out (-1: too large). */
int lpdf_memfd(const void *p, size_t len);
int lpdf_fd_to_buf(int fd, int64_t len, struct buf *out);
/* The in-memory form of a file-to-file operation: in put in a memory file,
 * fn(arg, in, out, &outlen, e) run, its output read into out; what names
 * the result in the refusals ("signed", "stamped"). */
typedef int lpdf_fd_fn(const void *arg, int in, int out, size_t *outlen, struct lerr *e);
int lpdf_in_memory(lpdf_fd_fn *fn, const void *arg, const char *what, const void *in, size_t len,
		   struct buf *out, struct lerr *e);

#endif
