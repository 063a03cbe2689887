/*
 * pades.c - the PAdES signature's revision: a signature field and its
 * widget with the visible block, written by MuPDF as an incremental update;
 * the CMS over the ByteRange comes from the caller (sign/, OpenSSL).
 *
 * MuPDF 1.21 writes /SubFilter /adbe.pkcs7.detached (pdf_signature_set_value)
 * and an edit of the signature dictionary after it breaks the ByteRange of
 * the saved file (measured: a second section, ByteRange past the end).  The
 * PAdES name ETSI.CAdES.detached has the same length, so it is put in place
 * in the bytes: in the signed bytes before the CMS is made, then in the
 * written file at the same offset.  The ByteRange stays right.
 */
#include "pdf/pdf_int.h"

#include <string.h>
#include <unistd.h>

static const char SUB_MUPDF[] = "/SubFilter/adbe.pkcs7.detached";
static const char SUB_PADES[] = "/SubFilter/ETSI.CAdES.detached";

struct signer {
	pdf_pkcs7_signer base;
	const struct lpdf_sign_opts *o;
	struct lerr *e;
	int rc;
	size_t sub_at;          /* offset of SUB_MUPDF in the held-back tail */
};

static pdf_pkcs7_signer *
signer_keep(fz_context *ctx, pdf_pkcs7_signer *s)
{
	return s;
}

static void
signer_drop(fz_context *ctx, pdf_pkcs7_signer *s)
{
}

static pdf_pkcs7_distinguished_name *
signer_name(fz_context *ctx, pdf_pkcs7_signer *s)
{
	struct signer *g = (struct signer *)s;
	pdf_pkcs7_distinguished_name *n = fz_malloc_struct(ctx, pdf_pkcs7_distinguished_name);

	n->cn = fz_strdup(ctx, g->o->signer ? g->o->signer : "");
	return n;
}

static size_t
signer_max(fz_context *ctx, pdf_pkcs7_signer *s)
{
	return LPDF_CMS_MAX;
}

/* The last SUB_MUPDF of the bytes (the new revision's), or (size_t)-1. */
static size_t
find_last(const unsigned char *p, size_t n, const char *pat)
{
	size_t m = strlen(pat);

	for (size_t i = n >= m ? n - m + 1 : 0; i-- > 0;)
		if (p[i] == '/' && !memcmp(p + i, pat, m))
			return i;
	return (size_t)-1;
}

/* Hashes the stream, the last WIN bytes held back until the SubFilter edit
 * is made in them (the signature dictionary is near the end of the file). */
#define WIN (256u << 10)
#define CHUNK (64u << 10)

static void
hash_stream(fz_context *ctx, fz_stream *in, struct signer *g, unsigned char md[32])
{
	unsigned char *w = fz_malloc(ctx, WIN + CHUNK);
	size_t held = 0, n;
	fz_sha256 h;

	fz_sha256_init(&h);
	fz_try(ctx) {
		while ((n = fz_read(ctx, in, w + held, CHUNK)) > 0) {
			held += n;
			if (held > WIN) {
				fz_sha256_update(&h, w, held - WIN);
				memmove(w, w + held - WIN, WIN);
				held = WIN;
			}
		}
		if ((g->sub_at = find_last(w, held, SUB_MUPDF)) == (size_t)-1)
			fz_throw(ctx, FZ_ERROR_GENERIC, "no /SubFilter in the signed revision");
		memcpy(w + g->sub_at, SUB_PADES, strlen(SUB_PADES));
		fz_sha256_update(&h, w, held);
		fz_sha256_final(&h, md);
	} fz_always(ctx) {
		fz_free(ctx, w);
	} fz_catch(ctx) {
		fz_rethrow(ctx);
	}
}

static int
signer_digest(fz_context *ctx, pdf_pkcs7_signer *s, fz_stream *in, unsigned char *out,
	      size_t max)
{
	struct signer *g = (struct signer *)s;
	unsigned char md[32];
	struct buf cms;
	size_t len = 0;

	hash_stream(ctx, in, g, md);
	buf_init(&cms, max);
	if (!(g->rc = g->o->cms(g->o->arg, md, &cms, g->e))) {
		memcpy(out, cms.data, cms.len);
		len = cms.len;
	}
	buf_fini(&cms);
	if (g->rc)
		fz_throw(ctx, FZ_ERROR_GENERIC, "%s", g->e->msg);
	return (int)len;
}

static pdf_annot *
add_widget(fz_context *ctx, pdf_document *doc, pdf_page *page, const struct lpdf_sign_opts *o,
	   float logo_w)
{
	char name[64];
	fz_rect r;
	float w = (o->w > 0 ? o->w : 220) + logo_w, h = o->h > 0 ? o->h : 60;
	pdf_annot *a;

	fz_rect pb = pdf_bound_page(ctx, page);

	pdf_create_field_name(ctx, doc, "Signature", name, sizeof(name));
	a = pdf_create_signature_widget(ctx, page, name);
	/* o->x, o->y from the bottom left (PDF's way); MuPDF's y goes down. */
	r = fz_make_rect(pb.x0 + o->x, pb.y1 - o->y - h, pb.x0 + o->x + w, pb.y1 - o->y);
	if (!o->text)
		r = fz_make_rect(0, 0, 0, 0);
	pdf_set_annot_rect(ctx, a, r);
	return a;
}

/* The block's appearance: MuPDF's text, with the logo at its left if any. */
static fz_display_list *
appearance(fz_context *ctx, const struct lpdf_sign_opts *o, fz_rect r, fz_image *logo,
	   float logo_w)
{
	if (!o->text)
		return NULL;
	if (logo)
		return lpdf_block_with_logo(ctx, r, logo, logo_w, o->text);
	return pdf_signature_appearance_signed(ctx, r, FZ_LANG_UNSET, NULL, o->text, NULL, 0);
}

static void
sign_page(fz_context *ctx, pdf_document *doc, struct signer *g)
{
	const struct lpdf_sign_opts *o = g->o;
	int np = pdf_count_pages(ctx, doc), pno = o->page ? o->page : np;
	pdf_page *page = NULL;
	pdf_annot *a = NULL;
	fz_display_list *dl = NULL;
	fz_image *logo = NULL;
	float logo_w = 0;
	fz_rect r;

	if (pno < 1 || pno > np)
		fz_throw(ctx, FZ_ERROR_GENERIC, "page %d does not exist: the PDF has %d", pno, np);
	fz_var(page);
	fz_var(a);
	fz_var(dl);
	fz_var(logo);
	fz_try(ctx) {
		if (o->logo && o->text) {
			logo = lpdf_image_open(ctx, o->logo, o->logo_len);
			logo_w = lpdf_logo_width(logo, o->h > 0 ? o->h : 60);
		}
		page = pdf_load_page(ctx, doc, pno - 1);
		a = add_widget(ctx, doc, page, o, logo_w);
		r = pdf_bound_annot(ctx, a);
		r = fz_make_rect(0, 0, r.x1 - r.x0, r.y1 - r.y0);
		dl = appearance(ctx, o, r, logo, logo_w);
		pdf_sign_signature_with_appearance(ctx, a, &g->base,
						   o->when ? (int64_t)o->when : (int64_t)time(NULL), dl);
	} fz_always(ctx) {
		fz_drop_display_list(ctx, dl);
		fz_drop_image(ctx, logo);
		pdf_drop_annot(ctx, a);
		fz_drop_page(ctx, (fz_page *)page);
	} fz_catch(ctx) {
		fz_rethrow(ctx);
	}
}

/* The written file: the same SubFilter edit, in the new revision (the last
 * occurrence, as in the signed bytes, which are the file less /Contents),
 * put in place with pwrite. */
static int
fix_subfilter(int out, int64_t inlen, int64_t outlen, struct lerr *e)
{
	int64_t at = lpdf_fd_find_last(out, inlen, outlen, SUB_MUPDF);

	if (at < 0)
		return lerr_set(e, LERR_INTERNAL, NULL, "no /SubFilter in the signed revision");
	if (lpdf_fd_write_at(out, SUB_PADES, strlen(SUB_PADES), at))
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot write the signed PDF's file");
	return 0;
}

int
lpdf_sign_fd(const struct lpdf_sign_opts *o, int in, int out, size_t *outlen, struct lerr *e)
{
	struct signer g = { { signer_keep, signer_drop, signer_name, signer_max, signer_digest },
			    o, e, 0, 0 };
	int64_t len = lpdf_fd_size(in), olen = 0;
	fz_context *ctx = lpdf_ctx_new(0);
	pdf_document *doc = NULL;
	fz_stream *s = NULL;
	int rc = 0;

	*outlen = 0;
	if (!ctx)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create a MuPDF context");
	if (len < 0 || (uint64_t)len > LPDF_MAX_DOC) {
		lpdf_ctx_free(ctx);
		return lerr_set(e, len < 0 ? LERR_INTERNAL : LERR_TOOLARGE, NULL,
				"cannot sign the PDF: %s", len < 0 ? "its file cannot be read" :
				"it is larger than 160 MiB");
	}
	fz_var(doc);
	fz_var(s);
	fz_try(ctx) {
		s = lpdf_fd_stream(ctx, in, len);
		doc = lpdf_open_stream(ctx, s);
		sign_page(ctx, doc, &g);
		lpdf_save_incremental_fd(ctx, doc, out, len + (int64_t)LPDF_MAX_HEAP, &olen);
	} fz_always(ctx) {
		pdf_drop_document(ctx, doc);
		fz_drop_stream(ctx, s);
	} fz_catch(ctx) {
		rc = g.rc ? g.rc : lpdf_caught(ctx, "cannot sign the PDF", e);
	}
	if (!rc && (olen < len || lpdf_fd_same_prefix(in, out, len)))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "the signed PDF does not start with the "
			      "original bytes");
	if (!rc)
		rc = fix_subfilter(out, len, olen, e);
	if (rc && ftruncate(out, 0) == 0)
		olen = 0;               /* nothing half-written */
	*outlen = rc ? 0 : (size_t)olen;
	lpdf_ctx_free(ctx);
	return rc;
}

static int
sign_fd(const void *arg, int in, int out, size_t *outlen, struct lerr *e)
{
	return lpdf_sign_fd(arg, in, out, outlen, e);
}

int
lpdf_sign(const struct lpdf_sign_opts *o, const void *in, size_t len, struct buf *out,
	  struct lerr *e)
{
	return lpdf_in_memory(sign_fd, o, "signed", in, len, out, e);
}
