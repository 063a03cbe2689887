/*
 * stamp.c - the stamp of an acknowledged act: a framed block of text at the
 * top right of the first page, as the prefecture's receipt is stamped by
 * S²LOW and Pastell (doc/pades.md), added as a locked, printable annotation
 * with its own appearance stream in an incremental update: the bytes of the
 * signed revisions stay as they were and their signatures stay valid.
 */
#include "pdf/pdf_int.h"

#include <string.h>
#include <unistd.h>

#define STAMP_W 300.0f
#define LINE_H 14.0f
#define MARGIN 20.0f

static char *
join_lines(fz_context *ctx, const char *const *lines, size_t n)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < n; i++)
		len += strlen(lines[i]) + 1;
	s = fz_malloc(ctx, len);
	s[0] = 0;
	for (size_t i = 0; i < n; i++) {
		strcat(s, lines[i]);
		if (i + 1 < n)
			strcat(s, "\n");
	}
	return s;
}

static void
stamp_page(fz_context *ctx, pdf_document *doc, const char *text, size_t n)
{
	pdf_page *page = NULL;
	pdf_annot *a = NULL;
	fz_display_list *dl = NULL;
	fz_rect pb, r;
	float h = LINE_H * (float)n + 16;

	fz_var(page);
	fz_var(a);
	fz_var(dl);
	fz_try(ctx) {
		page = pdf_load_page(ctx, doc, 0);
		pb = pdf_bound_page(ctx, page);
		r = fz_make_rect(pb.x1 - MARGIN - STAMP_W, pb.y0 + MARGIN, pb.x1 - MARGIN,
				 pb.y0 + MARGIN + h);
		a = pdf_create_annot(ctx, page, PDF_ANNOT_FREE_TEXT);
		pdf_set_annot_rect(ctx, a, r);
		pdf_set_annot_contents(ctx, a, text);
		pdf_set_annot_flags(ctx, a, PDF_ANNOT_IS_PRINT | PDF_ANNOT_IS_LOCKED |
				    PDF_ANNOT_IS_LOCKED_CONTENTS);
		dl = pdf_signature_appearance_signed(ctx, fz_make_rect(0, 0, STAMP_W, h),
						     FZ_LANG_UNSET, NULL, text, NULL, 0);
		pdf_set_annot_appearance_from_display_list(ctx, a, "N", NULL, fz_identity, dl);
	} fz_always(ctx) {
		fz_drop_display_list(ctx, dl);
		pdf_drop_annot(ctx, a);
		fz_drop_page(ctx, (fz_page *)page);
	} fz_catch(ctx) {
		fz_rethrow(ctx);
	}
}

int
lpdf_stamp_fd(int in, int out, const char *const *lines, size_t n, size_t *outlen,
	      struct lerr *e)
{
	int64_t len = lpdf_fd_size(in), olen = 0;
	fz_context *ctx = lpdf_ctx_new(0);
	pdf_document *doc = NULL;
	fz_stream *s = NULL;
	char *text = NULL;
	int rc = 0;

	*outlen = 0;
	if (!ctx)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create a MuPDF context");
	if (len < 0 || (uint64_t)len > LPDF_MAX_DOC) {
		lpdf_ctx_free(ctx);
		return lerr_set(e, LERR_TOOLARGE, NULL, "cannot stamp the PDF: %s", len < 0 ?
				"its file cannot be read" : "it is larger than 160 MiB");
	}
	fz_var(doc);
	fz_var(s);
	fz_var(text);
	fz_try(ctx) {
		s = lpdf_fd_stream(ctx, in, len);
		doc = lpdf_open_stream(ctx, s);
		text = join_lines(ctx, lines, n);
		stamp_page(ctx, doc, text, n);
		lpdf_save_incremental_fd(ctx, doc, out, len + (int64_t)LPDF_MAX_HEAP, &olen);
	} fz_always(ctx) {
		fz_free(ctx, text);
		pdf_drop_document(ctx, doc);
		fz_drop_stream(ctx, s);
	} fz_catch(ctx) {
		rc = lpdf_caught(ctx, "cannot stamp the PDF", e);
	}
	if (!rc && (olen < len || lpdf_fd_same_prefix(in, out, len)))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "the stamped PDF does not start with the "
			      "original bytes");
	if (rc && ftruncate(out, 0) == 0)
		olen = 0;               /* nothing half-written */
	*outlen = rc ? 0 : (size_t)olen;
	lpdf_ctx_free(ctx);
	return rc;
}

struct stamp_lines {
	const char *const *lines;
	size_t n;
};

static int
stamp_fd(const void *arg, int in, int out, size_t *outlen, struct lerr *e)
{
	const struct stamp_lines *l = arg;

	return lpdf_stamp_fd(in, out, l->lines, l->n, outlen, e);
}

int
lpdf_stamp(const void *in, size_t len, const char *const *lines, size_t n, struct buf *out,
	   struct lerr *e)
{
	struct stamp_lines l = { lines, n };

	return lpdf_in_memory(stamp_fd, &l, "stamped", in, len, out, e);
}
