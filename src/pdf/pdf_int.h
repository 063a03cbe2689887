/* pdf_int.h - pdf/'s shared internals: the MuPDF context and document. */
#ifndef LIASSE_PDF_INT_H
#define LIASSE_PDF_INT_H

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include "pdf/pdf.h"

/* A context whose allocations are capped at LPDF_MAX_HEAP (the input is
 * read in place and the output written to the caller's buffer), NULL if none. */
fz_context *lpdf_ctx_new(size_t inlen);
void lpdf_ctx_free(fz_context *ctx);
/* Opens in (not copied: it must outlive the document) and refuses what
 * liasse will not sign over: encrypted, repaired, no page.  Throws. */
pdf_document *lpdf_open(fz_context *ctx, const void *in, size_t len);
/* The caught MuPDF error as an lerr (what: "cannot sign the PDF"...). */
int lpdf_caught(fz_context *ctx, const char *what, struct lerr *e);
/* Writes doc's bytes and its changes as one incremental update into out
 * (out->max honoured); throws. */
void lpdf_save_incremental(fz_context *ctx, pdf_document *doc, struct buf *out);
/* image.c: the image of in (shared, not copied); throws. */
fz_image *lpdf_image_open(fz_context *ctx, const void *in, size_t len);
/* The width of img in a block h high (aspect kept, at most 2 h). */
float lpdf_logo_width(fz_image *img, float h);
/* The visible block r (origin 0, 0): img logo_w wide at the left, the text
 * beside it. */
fz_display_list *lpdf_block_with_logo(fz_context *ctx, fz_rect r, fz_image *img, float logo_w,
				      const char *text);

#endif
