/*
 * sigs.c - the signatures a PDF carries: the signed fields of its AcroForm
 * (as poppler's pdfsig lists them), each with its ByteRange, /Contents and
 * the revision it covers.  Whether the CMS holds is sign/'s question.
 */
#include "pdf/pdf_int.h"

#include <string.h>

#define MAX_DEPTH 32            /* field tree (Kids) */
#define MAX_SIGS 64

struct walk {
	const unsigned char *in;
	size_t len;
	lpdf_sig_fn *fn;
	void *arg;
	size_t n;
	struct lerr *e;
	int rc;
};

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
	return s->range[2] - s->range[1] >= 2 && w->in[s->range[1]] == '<' &&
	       w->in[s->range[2] - 1] == '>';
}

/* After the revision only white space, or nothing: nothing changed since. */
static int
rest_blank(const struct walk *w, size_t from)
{
	for (size_t i = from; i < w->len; i++)
		if (!strchr(" \t\r\n", w->in[i]))
			return 0;
	return 1;
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
	buf_init(&s.data, LPDF_MAX_DOC);
	if ((s.range_ok = read_range(ctx, v, w, &s))) {
		s.whole_file = rest_blank(w, s.revision_end);
		if (buf_add(&s.data, w->in, s.range[1]) ||
		    buf_add(&s.data, w->in + s.range[2], s.range[3]))
			s.range_ok = 0;
	}
	w->rc = w->fn(w->arg, w->n++, &s, w->e);
	buf_fini(&s.data);
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
lpdf_signatures(const void *in, size_t len, lpdf_sig_fn *fn, void *arg, size_t *nsig,
		struct lerr *e)
{
	struct walk w = { in, len, fn, arg, 0, e, 0 };
	fz_context *ctx = lpdf_ctx_new(0);
	pdf_document *doc = NULL;
	int rc = 0;

	if (!ctx)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create a MuPDF context");
	fz_var(doc);
	fz_try(ctx) {
		doc = lpdf_open(ctx, in, len);
		walk_fields(ctx, pdf_dict_getp(ctx, pdf_trailer(ctx, doc), "Root/AcroForm/Fields"),
			    0, &w);
	} fz_always(ctx) {
		pdf_drop_document(ctx, doc);
	} fz_catch(ctx) {
		rc = lpdf_caught(ctx, "unreadable PDF", e);
	}
	lpdf_ctx_free(ctx);
	*nsig = w.n;
	return rc ? rc : w.rc;
}
