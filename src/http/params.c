/* params.c - Range and cursor parsing (see params.h). */
#include "http/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* Decimal digits only (no sign, no blank, as RFC 9110 writes them); a
 * value past 10^18 counts as 10^18 (beyond any file).  The end in *end;
 * -1 when there is no digit. */
static long long
digits(const char *s, const char **end)
{
	long long v = 0;
	size_t n = 0;

	for (; s[n] >= '0' && s[n] <= '9'; n++)
		v = v >= 100000000000000000LL ? 1000000000000000000LL : v * 10 + (s[n] - '0');
	*end = s + n;
	return n ? v : -1;
}

int
http_range_parse(const char *h, int64_t size, int64_t *first, int64_t *last)
{
	long long a, b = -1;
	const char *p;

	if (!h || strncmp(h, "bytes=", 6) != 0)
		return 1;
	h += 6;
	if (*h == '-') {
		if ((b = digits(h + 1, &p)) < 0 || *p)
			return 1;
		if (b == 0 || size <= 0)
			return HTTP_RANGE_UNSATISFIABLE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 0;
	}
	if ((a = digits(h, &p)) < 0 || *p++ != '-')
		return 1;
	if (*p && ((b = digits(p, &p)) < 0 || *p))
		return 1;       /* several ranges, garbage: serve all */
	if (b < 0)
		b = size - 1;
	if (a >= size || b < a)
		return HTTP_RANGE_UNSATISFIABLE;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return 0;
}

int
http_cursor_parse(const char *cur, char ts[32], char id[40])
{
	char text[96] = "";
	uint8_t raw[sizeof(text)];
	size_t len = 0;

	if (strlen(cur) > 4 * (sizeof(text) - 1) / 3 || base64url_decode(cur, raw, sizeof(text) - 1, &len))
		return HTTP_CURSOR_BAD;
	memcpy(text, raw, len);
	text[len] = '\0';
	if (strlen(text) != len || sscanf(text, "%31[0-9] %39s", ts, id) != 2 || !uuid_valid(id))
		return HTTP_CURSOR_BAD;
	/* microseconds since 1970: at most 9999-12-31T23:59:59.999999Z, as
	 * every cursor this API gives (more would overflow in the query) */
	if (strlen(ts) > 18 || strtoll(ts, NULL, 10) > HTTP_CURSOR_MAX_US)
		return HTTP_CURSOR_RANGE;
	return 0;
}
