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

/* Digits where tmpl has 'd', the same character elsewhere. */
static int
shaped(const char *s, const char *tmpl)
{
	for (; *tmpl; s++, tmpl++)
		if (*tmpl == 'd' ? !(*s >= '0' && *s <= '9') : *s != *tmpl)
			return 0;
	return 1;
}

static int
num(const char *s, int n)
{
	int v = 0;

	while (n--)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* An RFC 3339 date-time that PostgreSQL takes as it is: a day that exists,
 * hours, minutes and seconds in range, an offset within 15:59 (a value it
 * refuses would be a 500 with its message). */
int
http_timestamp_valid(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d;
	const char *end = s + 19;

	if (!shaped(s, "dddd-dd-ddTdd:dd:dd"))
		return 0;
	y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))) ||
	    num(s + 11, 2) > 23 || num(s + 14, 2) > 59 || num(s + 17, 2) > 59)
		return 0;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (!strcmp(end, "Z"))
		return 1;
	return (end[0] == '+' || end[0] == '-') && shaped(end + 1, "dd:dd") && !end[6] &&
	       num(end + 1, 2) <= 15 && num(end + 4, 2) <= 59;
}
