/*
 * fuzz_params.c - libFuzzer target of http/params.c: the Range header, the
 * page cursor and the updated_since timestamp.  The input is one string;
 * its first byte also picks the file size the range is read against.  A
 * range taken must lie inside the file; a cursor taken must be digits and a
 * UUID, and a cursor this API would write from them must read back the
 * same.  `make fuzz` builds it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "http/params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int64_t sizes[] = {
	0, 1, 2, 100, 4096, 1000000, 150LL << 20, INT64_MAX / 2, INT64_MAX,
};

static void
range(const char *s, int64_t size)
{
	int64_t first = -1, last = -1;
	int rc = http_range_parse(s, size, &first, &last);

	if (rc == 0 && !(first >= 0 && first <= last && last < size))
		abort();
	if (rc != 0 && rc != 1 && rc != HTTP_RANGE_UNSATISFIABLE)
		abort();
}

static void
cursor(const char *s)
{
	char ts[32], id[40], ts2[32], id2[40], text[96], enc[200];
	int rc = http_cursor_parse(s, ts, id);

	if (rc == HTTP_CURSOR_BAD || rc == HTTP_CURSOR_RANGE)
		return;
	if (rc != 0 || !ts[0] || strspn(ts, "0123456789") != strlen(ts) || strlen(ts) > 18 || !uuid_valid(id) ||
	    strtoll(ts, NULL, 10) > HTTP_CURSOR_MAX_US)
		abort();
	snprintf(text, sizeof(text), "%s %s", ts, id);
	base64url_encode((const uint8_t *)text, strlen(text), enc);
	if (http_cursor_parse(enc, ts2, id2) || strcmp(ts, ts2) || strcmp(id, id2))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 7), *h;

	memcpy(s, "bytes=", 6);
	memcpy(s + 6, data, size);
	s[size + 6] = '\0';
	h = size && data[0] == 'b' ? s + 6 : s;   /* mostly "bytes=" + input */
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		range(h, sizes[i]);
	range(NULL, 10);
	cursor(s + 6);
	if (http_timestamp_valid(s + 6) && (strlen(s + 6) < 20 || s[6 + 10] != 'T'))
		abort();                /* at least YYYY-MM-DDTHH:MM:SSZ */
	free(s);
	return 0;
}
