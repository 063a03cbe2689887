/*
 * ctx.c - the MuPDF context of one call: allocations capped, warnings
 * dropped, errors turned into lerr; opening a PDF from memory.
 */
#include "pdf/pdf_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Each block carries its size in front so that the total can be kept. */
struct heap {
	size_t used, max;
	int refused;
	int io;                 /* a file could not be read or written (errno) */
};

#define HDR 16

static void *
heap_malloc(void *user, size_t n)
{
	struct heap *h = user;
	unsigned char *p;

	if (n > h->max - h->used || !(p = malloc(n + HDR))) {
		h->refused = 1;
		return NULL;
	}
	h->used += n;
	memcpy(p, &n, sizeof(n));
	return p + HDR;
}

static void
heap_free(void *user, void *ptr)
{
	struct heap *h = user;
	unsigned char *p = ptr;
	size_t n;

	if (!p)
		return;
	memcpy(&n, p - HDR, sizeof(n));
	h->used -= n;
	free(p - HDR);
}

static void *
heap_realloc(void *user, void *ptr, size_t n)
{
	struct heap *h = user;
	unsigned char *p = ptr, *q;
	size_t old;

	if (!p)
		return heap_malloc(user, n);
	memcpy(&old, p - HDR, sizeof(old));
	if (n > old && n - old > h->max - h->used) {
		h->refused = 1;
		return NULL;
	}
	if (!(q = realloc(p - HDR, n + HDR)))
		return NULL;
	h->used = h->used - old + n;
	memcpy(q, &n, sizeof(n));
	return q + HDR;
}

const char *
lpdf_version(void)
{
	return FZ_VERSION;
}

static void
quiet(void *user, const char *msg)
{
	(void)user;
	(void)msg;
}

fz_context *
lpdf_ctx_new(size_t inlen)
{
	struct heap *h = calloc(1, sizeof(*h));
	fz_alloc_context a = { h, heap_malloc, heap_realloc, heap_free };
	fz_context *ctx;

	if (!h)
		return NULL;
	h->max = LPDF_MAX_HEAP;
	(void)inlen;
	/* The store (MuPDF's cache of decoded resources) stays small. */
	if (!(ctx = fz_new_context(&a, NULL, 4u << 20))) {
		free(h);
		return NULL;
	}
	fz_set_warning_callback(ctx, quiet, NULL);
	fz_set_error_callback(ctx, quiet, NULL);
	return ctx;
}

static struct heap *
ctx_heap(fz_context *ctx)
{
	return ctx->alloc.user;
}

void
lpdf_ctx_free(fz_context *ctx)
{
	struct heap *h;

	if (!ctx)
		return;
	h = ctx_heap(ctx);
	fz_drop_context(ctx);
	free(h);
}

/* Every object parsed now: MuPDF repairs a broken cross-reference table
 * when it meets a bad offset, which would otherwise happen in the middle of
 * an edit (where fuzzing found MuPDF 1.21 crashing, pdf_create_annot). */
static void
load_all(fz_context *ctx, pdf_document *doc)
{
	int n = pdf_xref_len(ctx, doc);

	for (int i = 1; i < n && !pdf_was_repaired(ctx, doc); i++) {
		pdf_xref_entry *x = pdf_get_xref_entry_no_null(ctx, doc, i);

		if (x->type == 'n' || x->type == 'o')
			pdf_drop_obj(ctx, pdf_load_object(ctx, doc, i));
	}
}

/* What liasse edits is what the PDF specification says a page is: MuPDF
 * 1.21's annotation code fails badly (pdf_create_annot: a pointer not kept
 * across its error path) on pages that are not, as fuzzing found. */
static void
page_sane(fz_context *ctx, pdf_document *doc)
{
	pdf_obj *pg = pdf_lookup_page_obj(ctx, doc, 0);
	pdf_obj *parent = pdf_dict_get(ctx, pg, PDF_NAME(Parent));
	pdf_obj *annots = pdf_dict_get(ctx, pg, PDF_NAME(Annots));
	pdf_obj *root = pdf_dict_get(ctx, pdf_trailer(ctx, doc), PDF_NAME(Root));
	pdf_obj *form = pdf_dict_get(ctx, root, PDF_NAME(AcroForm));

	if (!pdf_name_eq(ctx, pdf_dict_get(ctx, pg, PDF_NAME(Type)), PDF_NAME(Page)) ||
	    !pdf_name_eq(ctx, pdf_dict_get(ctx, parent, PDF_NAME(Type)), PDF_NAME(Pages)) ||
	    !pdf_name_eq(ctx, pdf_dict_get(ctx, pdf_dict_get(ctx, root, PDF_NAME(Pages)),
					   PDF_NAME(Type)), PDF_NAME(Pages)) ||
	    (annots && !pdf_is_array(ctx, annots)) || (form && !pdf_is_dict(ctx, form)) ||
	    (form && pdf_dict_get(ctx, form, PDF_NAME(Fields)) &&
	     !pdf_is_array(ctx, pdf_dict_get(ctx, form, PDF_NAME(Fields)))))
		fz_throw(ctx, FZ_ERROR_SYNTAX, "the PDF's page tree or form is malformed");
}

/* The stream starts with "%PDF-"; it is left at its start. */
static void
pdf_header(fz_context *ctx, fz_stream *s)
{
	unsigned char h[8];

	fz_seek(ctx, s, 0, SEEK_SET);
	if (fz_read(ctx, s, h, sizeof(h)) < sizeof(h) || memcmp(h, "%PDF-", 5))
		fz_throw(ctx, FZ_ERROR_SYNTAX, "not a PDF (no %%PDF- header)");
	fz_seek(ctx, s, 0, SEEK_SET);
}

pdf_document *
lpdf_open_stream(fz_context *ctx, fz_stream *s)
{
	pdf_document *doc = NULL;

	pdf_header(ctx, s);
	fz_var(doc);
	fz_try(ctx) {
		doc = pdf_open_document_with_stream(ctx, s);
		if (pdf_needs_password(ctx, doc) || doc->crypt ||
		    pdf_dict_get(ctx, pdf_trailer(ctx, doc), PDF_NAME(Encrypt)))
			fz_throw(ctx, FZ_ERROR_GENERIC, "the PDF is encrypted");
		load_all(ctx, doc);
		if (pdf_was_repaired(ctx, doc))
			fz_throw(ctx, FZ_ERROR_SYNTAX, "the PDF is malformed (its cross-reference "
				 "table had to be rebuilt)");
		if (pdf_count_pages(ctx, doc) < 1)
			fz_throw(ctx, FZ_ERROR_SYNTAX, "the PDF has no page");
		/* The page tree walked to its first page (a cycle, a lie). */
		fz_drop_page(ctx, (fz_page *)pdf_load_page(ctx, doc, 0));
		page_sane(ctx, doc);
	} fz_catch(ctx) {
		pdf_drop_document(ctx, doc);
		fz_rethrow(ctx);
	}
	return doc;
}

pdf_document *
lpdf_open(fz_context *ctx, const void *in, size_t len)
{
	fz_stream *s = fz_open_memory(ctx, in, len);
	pdf_document *doc = NULL;

	fz_try(ctx)
		doc = lpdf_open_stream(ctx, s);
	fz_always(ctx)
		fz_drop_stream(ctx, s);
	fz_catch(ctx)
		fz_rethrow(ctx);
	return doc;
}

void
lpdf_io_failed(fz_context *ctx, int err)
{
	ctx_heap(ctx)->io = err ? err : EIO;
}

int
lpdf_caught(fz_context *ctx, const char *what, struct lerr *e)
{
	if (ctx_heap(ctx)->io) {
		lerr_set(e, LERR_UNAVAILABLE, NULL, "%s: its temporary file cannot be written",
			 what);
		lerr_detail(e, "%s", strerror(ctx_heap(ctx)->io));
		lerr_hint(e, "the server's spool directory (spool_dir) is full or unwritable: try "
			  "again later");
		return LERR_UNAVAILABLE;
	}
	if (ctx_heap(ctx)->refused) {
		lerr_set(e, LERR_INVALID, NULL, "%s: it needs more than %lu MiB to read", what,
			 LPDF_MAX_HEAP >> 20);
		lerr_hint(e, "send a simpler PDF (fewer or smaller objects), e.g. printed to PDF again");
		return LERR_INVALID;
	}
	lerr_set(e, LERR_INVALID, NULL, "%s", what);
	lerr_detail(e, "%s", fz_caught_message(ctx));
	lerr_hint(e, "send an unencrypted, well-formed PDF (PDF/A for instance)");
	return LERR_INVALID;
}

int
lpdf_check(const void *in, size_t len, int *pages, struct lerr *e)
{
	fz_context *ctx = lpdf_ctx_new(0);
	pdf_document *doc = NULL;
	int rc = 0;

	if (!ctx)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create a MuPDF context");
	fz_var(doc);
	fz_try(ctx) {
		doc = lpdf_open(ctx, in, len);
		if (pages)
			*pages = pdf_count_pages(ctx, doc);
	} fz_always(ctx) {
		pdf_drop_document(ctx, doc);
	} fz_catch(ctx) {
		rc = lpdf_caught(ctx, "unreadable PDF", e);
	}
	lpdf_ctx_free(ctx);
	return rc;
}
