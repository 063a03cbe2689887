/*
 * image.c - an organisation's logo (PNG or JPEG) as liasse accepts it: the
 * format recognised and the whole image decoded by MuPDF (a truncated or
 * corrupt file fails here, not when a signature is being made), within a
 * size and a pixel cap; and the logo drawn in the visible block of a PAdES
 * signature, beside the text (doc/pades.md).
 */
#include "pdf/pdf_int.h"

#include <string.h>

static const char *
media_type_of(fz_context *ctx, const void *in, size_t len)
{
	unsigned char head[8] = { 0 };

	memcpy(head, in, len < 8 ? len : 8);
	switch (fz_recognize_image_format(ctx, head)) {
	case FZ_IMAGE_PNG:
		return "image/png";
	case FZ_IMAGE_JPEG:
		return "image/jpeg";
	default:
		return NULL;
	}
}

fz_image *
lpdf_image_open(fz_context *ctx, const void *in, size_t len)
{
	fz_buffer *b = fz_new_buffer_from_shared_data(ctx, in, len);
	fz_image *img = NULL;

	fz_try(ctx)
		img = fz_new_image_from_buffer(ctx, b);
	fz_always(ctx)
		fz_drop_buffer(ctx, b);
	fz_catch(ctx)
		fz_rethrow(ctx);
	return img;
}

static int
refuse(struct lerr *e, const char *msg, const char *hint)
{
	lerr_set(e, LERR_INVALID, "logo", "%s", msg);
	lerr_hint(e, "%s", hint);
	return LERR_INVALID;
}

#define REEXPORT "export the image again as PNG or JPEG from an image editor"

/* The pixels decoded (fz_get_pixmap_from_image), which is what finds a
 * corrupt or truncated image; MuPDF's warnings about damage count too. */
static void
decode(fz_context *ctx, fz_image *img)
{
	fz_pixmap *pix = fz_get_pixmap_from_image(ctx, img, NULL, NULL, NULL, NULL);

	fz_drop_pixmap(ctx, pix);
}

struct warned {
	int n;
	char first[160];
};

static void
on_warning(void *user, const char *msg)
{
	struct warned *w = user;

	if (!w->n++)
		snprintf(w->first, sizeof(w->first), "%s", msg);
}

/* Opens and decodes; 0, or the failure's message in why. */
static int
try_decode(fz_context *ctx, const void *in, size_t len, struct lpdf_image *out, char *why,
	   size_t n)
{
	fz_image *img = NULL;
	int failed = 0;

	fz_var(img);
	fz_try(ctx) {
		img = lpdf_image_open(ctx, in, len);
		out->w = img->w;
		out->h = img->h;
		if (img->w > LPDF_LOGO_SIDE || img->h > LPDF_LOGO_SIDE)
			fz_throw(ctx, FZ_ERROR_GENERIC, "too many pixels");
		decode(ctx, img);
	} fz_always(ctx) {
		fz_drop_image(ctx, img);
	} fz_catch(ctx) {
		snprintf(why, n, "%s", fz_caught_message(ctx));
		failed = 1;
	}
	return failed;
}

int
lpdf_image_check(const void *in, size_t len, struct lpdf_image *out, struct lerr *e)
{
	fz_context *ctx;
	struct warned w = { 0 };
	char why[160] = "", msg[256];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (len > LPDF_LOGO_MAX) {
		lerr_set(e, LERR_INVALID, "logo", "the logo is %zu bytes, more than %u KiB", len,
			 LPDF_LOGO_MAX >> 10);
		lerr_hint(e, "send a smaller image: a logo shown some 54 points high needs no more than "
			  "a few hundred pixels");
		return LERR_INVALID;
	}
	if (!(ctx = lpdf_ctx_new(len)))
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create a MuPDF context");
	fz_set_warning_callback(ctx, on_warning, &w);
	if (!(out->media_type = media_type_of(ctx, in, len))) {
		rc = refuse(e, "the logo is not a PNG or JPEG image", "send a PNG or a JPEG file");
	} else if (try_decode(ctx, in, len, out, why, sizeof(why))) {
		if (out->w > LPDF_LOGO_SIDE || out->h > LPDF_LOGO_SIDE) {
			lerr_set(e, LERR_INVALID, "logo", "the logo is %d x %d pixels, more than %d on a side",
				 out->w, out->h, LPDF_LOGO_SIDE);
			lerr_hint(e, "scale the image down (a few hundred pixels are plenty)");
			rc = LERR_INVALID;
		} else {
			snprintf(msg, sizeof(msg), "the logo cannot be decoded: %s", why);
			rc = refuse(e, msg, REEXPORT);
		}
	} else if (w.n) {
		snprintf(msg, sizeof(msg), "the logo is damaged: %s", w.first);
		rc = refuse(e, msg, REEXPORT);
	}
	lpdf_ctx_free(ctx);
	return rc;
}

/* The block: the logo at the left, as high as the block (its aspect kept,
 * at most twice as wide as high), the text in the rest, sized by MuPDF as
 * without a logo.  r's origin is (0, 0); y goes down (MuPDF's way). */
fz_display_list *
lpdf_block_with_logo(fz_context *ctx, fz_rect r, fz_image *img, float logo_w, const char *text)
{
	float h = r.y1 - r.y0, lh = logo_w * (float)img->h / (float)img->w;
	fz_display_list *dl = fz_new_display_list(ctx, r), *tdl = NULL;
	fz_device *dev = NULL;

	fz_var(dev);
	fz_var(tdl);
	fz_try(ctx) {
		dev = fz_new_list_device(ctx, dl);
		fz_fill_image(ctx, dev, img, fz_make_matrix(logo_w, 0, 0, lh, r.x0, r.y0 + (h - lh) / 2),
			      1, fz_default_color_params);
		tdl = pdf_signature_appearance_signed(ctx, fz_make_rect(0, 0, r.x1 - r.x0 - logo_w - 4, h),
						      FZ_LANG_UNSET, NULL, text, NULL, 0);
		fz_run_display_list(ctx, tdl, dev, fz_translate(r.x0 + logo_w + 4, r.y0), fz_infinite_rect,
				    NULL);
		fz_close_device(ctx, dev);
	} fz_always(ctx) {
		fz_drop_display_list(ctx, tdl);
		fz_drop_device(ctx, dev);
	} fz_catch(ctx) {
		fz_drop_display_list(ctx, dl);
		fz_rethrow(ctx);
	}
	return dl;
}

/* The logo's width in a block h high: its aspect kept, at most 2 h. */
float
lpdf_logo_width(fz_image *img, float h)
{
	float w = h * (float)img->w / (float)img->h;

	return w > 2 * h ? 2 * h : w;
}
