/*
 * meta.c - typed getters over jansson objects that name the field on error.
 */
#include "flow/meta.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/util.h"

void
meta_field(char *out, size_t outsz, const char *path, const char *key)
{
	if (path && path[0])
		snprintf(out, outsz, "%s.%s", path, key);
	else
		snprintf(out, outsz, "%s", key);
}

void
meta_clip(char *dst, size_t dstsz, const char *s)
{
	size_t n = strlen(s);

	if (dstsz < 5)
		return;
	if (n < dstsz) {
		memcpy(dst, s, n + 1);
		return;
	}
	n = dstsz - 4;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(dst, s, n);
	memcpy(dst + n, "...", 4);
}

static int
bad(struct lerr *e, const char *path, const char *key, const char *what)
{
	char field[sizeof(e->field)];

	meta_field(field, sizeof(field), path, key);
	return lerr_set(e, LERR_INVALID, field, "%s %s", field, what);
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int
wrong_type(struct lerr *e, const char *path, const char *key, const json_t *v,
	   const char *want)
{
	bad(e, path, key, "has the wrong type");
	lerr_detail(e, "expected %s, got %s", want, type_name(v));
	lerr_hint(e, "send %s as %s", key, want);
	return LERR_INVALID;
}

int
meta_check_object(json_t *obj, const char *const *allowed_keys, const char *path,
		  struct lerr *e)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj)) {
		lerr_set(e, LERR_INVALID, path && path[0] ? path : NULL,
			 "%s must be a JSON object", path && path[0] ? path : "metadata");
		lerr_detail(e, "got %s", obj ? type_name(obj) : "nothing");
		lerr_hint(e, "send a JSON object: {\"key\": value, ...}");
		return LERR_INVALID;
	}
	json_object_foreach(obj, key, v) {
		size_t i;

		for (i = 0; allowed_keys[i]; i++)
			if (strcmp(allowed_keys[i], key) == 0)
				break;
		if (allowed_keys[i])
			continue;
		char name[104];

		meta_clip(name, sizeof(name), key);
		bad(e, path, key, "is not a known field");
		lerr_detail(e, "unknown field \"%s\"", name);
		lerr_hint(e, "remove it; the fields of %s are listed in the API "
			  "documentation (/api/v1/openapi.json)",
			  path && path[0] ? path : "the metadata");
		return LERR_INVALID;
	}
	return 0;
}

size_t
meta_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* 0, or the offending byte + 1. */
static int
control_char(const char *s, size_t n, int multiline)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (multiline && (c == '\n' || c == '\r' || c == '\t'))
			continue;
		if (c < 0x20 || c == 0x7F)
			return c + 1;
	}
	return 0;
}

static json_t *
lookup(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_null(v) ? NULL : v;
}

static int
absent(struct lerr *e, const char *path, const char *key, int required)
{
	if (!required)
		return 0;
	bad(e, path, key, "is required");
	lerr_hint(e, "add the field");
	return LERR_INVALID;
}

int
meta_get_string(json_t *obj, const char *key, const char *path, int flags,
		size_t minchars, size_t maxchars, const char **out, struct lerr *e)
{
	json_t *v = lookup(obj, key);
	const char *s;
	size_t len, chars;
	int c;

	*out = NULL;
	if (v == NULL)
		return absent(e, path, key, flags & META_REQUIRED);
	if (!json_is_string(v))
		return wrong_type(e, path, key, v, "a string");
	s = json_string_value(v);
	len = json_string_length(v);
	if (strlen(s) != len || !utf8_valid(s, len)) {
		bad(e, path, key, "is not valid UTF-8 text");
		lerr_detail(e, "the string contains a NUL byte or invalid UTF-8");
		lerr_hint(e, "send the text UTF-8 encoded, without NUL");
		return LERR_INVALID;
	}
	if ((c = control_char(s, len, flags & META_MULTILINE)) != 0) {
		bad(e, path, key, "contains a control character");
		lerr_detail(e, "character U+%04X is not allowed here", c - 1);
		lerr_hint(e, "remove control characters%s", flags & META_MULTILINE ? " other than line breaks and tabs" : "");
		return LERR_INVALID;
	}
	chars = meta_utf8_len(s);
	if (chars < minchars || chars > maxchars) {
		bad(e, path, key, chars < minchars ? "is too short" : "is too long");
		lerr_detail(e, "%zu characters; %zu to %zu are accepted", chars, minchars, maxchars);
		if (minchars == maxchars)
			lerr_hint(e, "give exactly %zu characters", minchars);
		else
			lerr_hint(e, "give %zu to %zu characters", minchars, maxchars);
		return LERR_INVALID;
	}
	*out = s;
	return 0;
}

int
meta_get_bool(json_t *obj, const char *key, const char *path, int required,
	      int *out, struct lerr *e)
{
	json_t *v = lookup(obj, key);

	if (v == NULL)
		return absent(e, path, key, required);
	if (!json_is_boolean(v))
		return wrong_type(e, path, key, v, "true or false");
	*out = json_is_true(v);
	return 0;
}

int
meta_get_object(json_t *obj, const char *key, const char *path, int required,
		json_t **out, struct lerr *e)
{
	json_t *v = lookup(obj, key);

	*out = NULL;
	if (v == NULL)
		return absent(e, path, key, required);
	if (!json_is_object(v))
		return wrong_type(e, path, key, v, "an object");
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

int
meta_date_parse(const char *s, struct meta_date *out)
{
	static const char shape[] = "dddd-dd-dd";
	struct meta_date d;

	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return -1;
	}
	if (s[10] != '\0')
		return -1;
	d.year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	d.month = (s[5] - '0') * 10 + (s[6] - '0');
	d.day = (s[8] - '0') * 10 + (s[9] - '0');
	if (d.year < 1 || d.month < 1 || d.month > 12 || d.day < 1 ||
	    d.day > days_in_month(d.year, d.month))
		return -1;
	*out = d;
	return 0;
}

void
meta_date_today(struct meta_date *out, int offset_days)
{
	time_t t = time(NULL) + (time_t)offset_days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	out->year = tm.tm_year + 1900;
	out->month = tm.tm_mon + 1;
	out->day = tm.tm_mday;
}

int
meta_date_cmp(const struct meta_date *a, const struct meta_date *b)
{
	if (a->year != b->year)
		return a->year < b->year ? -1 : 1;
	if (a->month != b->month)
		return a->month < b->month ? -1 : 1;
	return a->day < b->day ? -1 : a->day > b->day;
}

void
meta_date_format(const struct meta_date *d, char *out)
{
	unsigned y = (unsigned)d->year % 10000, m = (unsigned)d->month % 100;
	unsigned dd = (unsigned)d->day % 100;

	snprintf(out, 11, "%04u-%02u-%02u", y, m, dd);
}

int
meta_get_date(json_t *obj, const char *key, const char *path, int required,
	      struct meta_date *out, struct lerr *e)
{
	json_t *v = lookup(obj, key);

	memset(out, 0, sizeof(*out));
	if (v == NULL)
		return absent(e, path, key, required);
	if (!json_is_string(v))
		return wrong_type(e, path, key, v, "a date string \"YYYY-MM-DD\"");
	if (meta_date_parse(json_string_value(v), out)) {
		char val[48];

		meta_clip(val, sizeof(val), json_string_value(v));
		bad(e, path, key, "is not a valid date");
		lerr_detail(e, "\"%s\" is not a calendar date written YYYY-MM-DD", val);
		lerr_hint(e, "write the date as YYYY-MM-DD, e.g. 2024-03-31");
		return LERR_INVALID;
	}
	return 0;
}
