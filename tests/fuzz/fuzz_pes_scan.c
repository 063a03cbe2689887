/*
 * fuzz_pes_scan.c - libFuzzer target for the PES stream scanner and the
 * @ctes classification parser.  Built only by `make fuzz` (clang); see
 * src/flow/README.  The input is scanned twice, whole and in pieces whose
 * sizes come from the first byte, and both runs must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow/acte.h"
#include "flow/pes_scan.h"

static int
scan(const uint8_t *p, size_t n, size_t step, struct lerr *e)
{
	struct pes_scan *ps = pes_scan_create();
	int rc = 0;

	lerr_clear(e);
	for (size_t off = 0; rc == 0 && off < n; off += step)
		rc = pes_scan_feed(ps, p + off, n - off < step ? n - off : step, e);
	if (rc == 0)
		rc = pes_scan_finish(ps, e);
	if (rc == 0) {
		json_t *j = pes_info_json(pes_scan_info(ps));

		if (j == NULL)
			abort();        /* every value we keep must be valid UTF-8 */
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
	int ra = scan(data, size, size ? size : 1, &a), rb = scan(data, size, step, &b);

	if (ra != rb || strcmp(a.msg, b.msg) != 0)
		abort();        /* the result must not depend on how the bytes arrive */
	if (actes_classification_parse(data, size, &c, &a) == 0)
		actes_classification_free(c);
	return 0;
}
