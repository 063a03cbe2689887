/*
 * fuzz_pes_scan.c - libFuzzer target for the PES stream scanner and the
 * @ctes classification parser.  Built only by `make fuzz` (clang); see
 * src/flow/README.  The input is scanned twice, whole and in pieces whose
 * sizes come from the first byte, and both runs must agree: the same
 * verdict, and the same JSON for an accepted file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/acte.h"
#include "flow/pes_scan.h"

/* The verdict, and for an accepted file the JSON of what was read (*info,
 * malloc'd). */
static int
scan(const uint8_t *p, size_t n, size_t step, struct lerr *e, char **info)
{
	struct pes_scan *ps = pes_scan_create();
	int rc = 0;

	*info = NULL;
	lerr_clear(e);
	for (size_t off = 0; rc == 0 && off < n; off += step)
		rc = pes_scan_feed(ps, p + off, n - off < step ? n - off : step, e);
	if (rc == 0)
		rc = pes_scan_finish(ps, e);
	if (rc == 0) {
		json_t *j = pes_info_json(pes_scan_info(ps));

		if (j == NULL)
			abort();        /* every value we keep must be valid UTF-8 */
		*info = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(j);
	}
	pes_scan_destroy(ps);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lerr a, b;
	struct actes_classification *c = NULL;
	size_t step = size ? (size_t)data[0] % 64 + 1 : 1;
	char *ia, *ib;
	int ra = scan(data, size, size ? size : 1, &a, &ia), rb = scan(data, size, step, &b, &ib);

	/* The verdict and what an accepted file gives must not depend on how
	 * the bytes arrive.  Which fault a refusal names may: the guard judges
	 * a piece before libxml2 reads it, and libxml2's push parser reports a
	 * fault when it reaches it, which depends on where pieces end (a NUL
	 * byte after an invalid character: either may come first). */
	if (ra != rb || (ia && ib && strcmp(ia, ib) != 0) || !ia != !ib)
		abort();
	free(ia);
	free(ib);
	if (actes_classification_parse(data, size, &c, &a) == 0)
		actes_classification_free(c);
	return 0;
}
