/*
 * sigs.c - the signatures a PDF carries: the signed fields of its AcroForm
 * (as poppler's pdfsig lists them), each with its ByteRange, /Contents and
 * the revision it covers.  Whether the CMS holds is sign/'s question.
 *
 * The PDF is read from its file (fdio.c's pread stream), never whole: the
 * bytes a ByteRange covers are read by the caller through lpdf_sig_read(),
 * a window at a time, and only /Contents is held (MuPDF's string).
 */
#include "pdf/pdf_int.h"

#include <string.h>
#include <unistd.h>

#include "core/spool.h"

#define MAX_DEPTH 32            /* field tree (Kids) */
#define MAX_SIGS 64

#define BLANK_WIN 65536         /* what follows a revision, read this much at a time */

struct walk {
	int fd;
	size_t len;
	lpdf_sig_fn *fn;
	void *arg;
	size_t n;
	struct lerr *e;
	int rc;
};

static int
byte_at(const struct walk *w, size_t at)
{
	unsigned char c;

	return spool_read_at(w->fd, &c, 1, (int64_t)at) ? -1 : c;
}

/* The ByteRange: from 0, two ranges around <hex> /Contents, in the file. */
static int
read_range(fz_context *ctx, pdf_obj *v, const struct walk *w, struct lpdf_sig *s)
{
	pdf_obj *br = pdf_dict_get(ctx, v, PDF_NAME(ByteRange));
	int64_t x[4];

	if (pdf_array_len(ctx, br) != 4)
		return 0;
	for (int i = 0; i < 4; i++) {
		x[i] = pdf_to_int64(ctx, pdf_array_get(ctx, br, i));
		if (x[i] < 0 || (uint64_t)x[i] > w->len)
			return 0;
		s->range[i] = (size_t)x[i];
	}
	if (s->range[0] != 0 || s->range[1] > s->range[2] || s->range[3] > w->len - s->range[2])
		return 0;
	s->revision_end = s->range[2] + s->range[3];
	return s->range[2] - s->range[1] >= 2 && byte_at(w, s->range[1]) == '<' &&
	       byte_at(w, s->range[2] - 1) == '>';
}

/* After the revision only white space, or nothing: nothing changed since
 * (read a window at a time: the rest may be a large later revision). */
static int
rest_blank(fz_context *ctx, const struct walk *w, size_t from)
{
	unsigned char *p = fz_malloc(ctx, BLANK_WIN);
	int blank = 1;

	for (size_t at = from; blank && at < w->len; at += BLANK_WIN) {
		size_t n = w->len - at < BLANK_WIN ? w->len - at : BLANK_WIN;

		if (spool_read_at(w->fd, p, n, (int64_t)at))
			blank = 0;
		for (size_t i = 0; blank && i < n; i++)
			blank = p[i] && strchr(" \t\r\n", p[i]);
	}
	fz_free(ctx, p);
	return blank;
}

static void
claimed_time(fz_context *ctx, pdf_obj *v, struct lpdf_sig *s)
{
	const char *m = pdf_to_text_string(ctx, pdf_dict_get(ctx, v, PDF_NAME(M)));
	int64_t t = pdf_parse_date(ctx, m);
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > 0 && gmtime_r(&tt, &tm))
		strftime(s->claimed, sizeof(s->claimed), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
one_sig(fz_context *ctx, pdf_obj *field, pdf_obj *v, struct walk *w)
{
	struct lpdf_sig s;
	char *name = pdf_field_name(ctx, field);

	memset(&s, 0, sizeof(s));
	snprintf(s.field, sizeof(s.field), "%s", name);
	fz_free(ctx, name);
	snprintf(s.subfilter, sizeof(s.subfilter), "%s",
		 pdf_to_name(ctx, pdf_dict_get(ctx, v, PDF_NAME(SubFilter))));
	claimed_time(ctx, v, &s);
	s.cms = (const unsigned char *)pdf_to_str_buf(ctx, pdf_dict_get(ctx, v, PDF_NAME(Contents)));
	s.cmslen = pdf_to_str_len(ctx, pdf_dict_get(ctx, v, PDF_NAME(Contents)));
	s.fd = w->fd;
	if ((s.range_ok = read_range(ctx, v, w, &s))) {
		s.whole_file = rest_blank(ctx, w, s.revision_end);
		s.covered = s.range[1] + s.range[3];
	}
	w->rc = w->fn(w->arg, w->n++, &s, w->e);
}

static void
walk_fields(fz_context *ctx, pdf_obj *fields, int depth, struct walk *w)
{
	int n = pdf_array_len(ctx, fields);

	if (depth > MAX_DEPTH)
		fz_throw(ctx, FZ_ERROR_SYNTAX, "form fields nested more than %d deep", MAX_DEPTH);
	for (int i = 0; i < n && !w->rc; i++) {
		pdf_obj *f = pdf_array_get(ctx, fields, i), *v;

		if (pdf_mark_obj(ctx, f))
			fz_throw(ctx, FZ_ERROR_SYNTAX, "the form fields form a cycle");
		fz_try(ctx) {
			v = pdf_dict_get_inheritable(ctx, f, PDF_NAME(V));
			if (pdf_name_eq(ctx, pdf_dict_get_inheritable(ctx, f, PDF_NAME(FT)),
					PDF_NAME(Sig)) && pdf_is_dict(ctx, v) &&
			    !pdf_dict_get(ctx, f, PDF_NAME(Kids))) {
				if (w->n >= MAX_SIGS)
					fz_throw(ctx, FZ_ERROR_SYNTAX, "more than %d signatures",
						 MAX_SIGS);
				one_sig(ctx, f, v, w);
			}
			walk_fields(ctx, pdf_dict_get(ctx, f, PDF_NAME(Kids)), depth + 1, w);
		} fz_always(ctx) {
			pdf_unmark_obj(ctx, f);
		} fz_catch(ctx) {
			fz_rethrow(ctx);
		}
	}
}

int
lpdf_signatures_fd(int fd, lpdf_sig_fn *fn, void *arg, size_t *nsig, struct lerr *e)
{
	int64_t len = lpdf_fd_size(fd);
	struct walk w = { fd, len > 0 ? (size_t)len : 0, fn, arg, 0, e, 0 };
	fz_context *ctx;
	pdf_document *doc = NULL;
	fz_stream *stm = NULL;
	int rc = 0;

	*nsig = 0;
	if (len < 0)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot read the PDF's file");
	if ((uint64_t)len > LPDF_MAX_DOC) {
		lerr_set(e, LERR_TOOLARGE, NULL, "the PDF is %lld bytes, more than %lu MiB",
			 (long long)len, LPDF_MAX_DOC >> 20);
		lerr_hint(e, "liasse reads PDFs of at most %lu MiB", LPDF_MAX_DOC >> 20);
		return LERR_TOOLARGE;
	}
	if (!(ctx = lpdf_ctx_new(0)))
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create a MuPDF context");
	fz_var(doc);
	fz_var(stm);
	fz_try(ctx) {
		stm = lpdf_fd_stream(ctx, fd, len);
		doc = lpdf_open_stream(ctx, stm);
		walk_fields(ctx, pdf_dict_getp(ctx, pdf_trailer(ctx, doc), "Root/AcroForm/Fields"),
			    0, &w);
	} fz_always(ctx) {
		pdf_drop_document(ctx, doc);
		fz_drop_stream(ctx, stm);
	} fz_catch(ctx) {
		rc = lpdf_caught(ctx, "unreadable PDF", e);
	}
	lpdf_ctx_free(ctx);
	*nsig = w.n;
	return rc ? rc : w.rc;
}

int
lpdf_signatures(const void *in, size_t len, lpdf_sig_fn *fn, void *arg, size_t *nsig,
		struct lerr *e)
{
	int fd = lpdf_memfd(in, len), rc;

	*nsig = 0;
	if (fd < 0)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot read the PDF: no memory file");
	rc = lpdf_signatures_fd(fd, fn, arg, nsig, e);
	close(fd);
	return rc;
}

int
lpdf_sig_read(const struct lpdf_sig *s, size_t at, void *p, size_t n)
{
	size_t first;

	if (!s->range_ok || at > s->covered || n > s->covered - at)
		return -1;
	first = at < s->range[1] ? s->range[1] - at : 0;
	if (first > n)
		first = n;
	if (first && spool_read_at(s->fd, p, first, (int64_t)at))
		return -1;
	at += first;
	return n - first == 0 ? 0 :
	       spool_read_at(s->fd, (char *)p + first, n - first,
			     (int64_t)(s->range[2] + (at - s->range[1])));
}
