/*
 * fuzz_pdf.c - libFuzzer target for pdf/ (MuPDF): the input is opened as
 * signing would (lpdf_check), its signature fields listed with their
 * ByteRange and /Contents (lpdf_signatures, what verification reads: the
 * covered bytes read back from its file by lpdf_sig_read), and,
 * when it opens, stamped (lpdf_stamp); the stamped output must start with
 * the input's bytes.  The same input is also read as an organisation's
 * logo (lpdf_image_check: PNG/JPEG recognised and decoded by MuPDF).  MuPDF's allocations are capped (LPDF_MAX_HEAP): an
 * input that needs more is refused, not an OOM.  Built by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "pdf/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

static int
each(void *arg, size_t idx, const struct lpdf_sig *s, struct lerr *e)
{
	size_t *sum = arg;
	unsigned char win[4096];

	(void)idx;
	(void)e;
	if (s->range_ok && s->covered != s->range[1] + s->range[3])
		abort();        /* the covered bytes are the two ranges */
	/* read from the file as verification reads them, a window at a time,
	 * and not one byte beyond */
	for (size_t at = 0; s->range_ok && at < s->covered; at += sizeof(win))
		if (lpdf_sig_read(s, at, win, s->covered - at < sizeof(win) ? s->covered - at :
				  sizeof(win)))
			abort();
	if (!lpdf_sig_read(s, s->covered, win, 1))
		abort();
	*sum += s->cmslen;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static const char *const lines[] = { "Envoyé en préfecture le 01/01/2026", "ID : fuzz" };
	struct lerr e;
	struct buf out;
	size_t nsig = 0, sum = 0;
	int pages = 0;
	struct lpdf_image im;

	log_set_level(LOG_LVL_ERROR);
	lerr_clear(&e);
	if (!lpdf_image_check(p, n, &im, &e) && (im.w < 1 || im.h < 1 || im.w > LPDF_LOGO_SIDE ||
						 im.h > LPDF_LOGO_SIDE))
		abort();        /* a logo taken is within the caps */
	lerr_clear(&e);
	if (lpdf_check(p, n, &pages, &e))
		return 0;
	if (lpdf_signatures(p, n, each, &sum, &nsig, &e))
		return 0;
	buf_init(&out, LPDF_MAX_DOC);
	if (!lpdf_stamp(p, n, lines, 2, &out, &e) && (out.len < n || memcmp(out.data, p, n)))
		abort();        /* an incremental update keeps the input */
	buf_fini(&out);
	return 0;
}
