#include "core/err.h"

#include <stdio.h>
#include <string.h>

void
lerr_clear(struct lerr *e)
{
	memset(e, 0, sizeof(*e));
}

int
lerr_set(struct lerr *e, enum lerr_kind kind, const char *field,
	 const char *fmt, ...)
{
	va_list ap;

	lerr_clear(e);
	e->kind = kind;
	if (field)
		snprintf(e->field, sizeof(e->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return kind;
}

void
lerr_detail(struct lerr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
}

void
lerr_hint(struct lerr *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->hint, sizeof(e->hint), fmt, ap);
	va_end(ap);
}

const char *
lerr_kind_name(enum lerr_kind kind)
{
	static const char *const names[] = {
		[LERR_OK] = "ok", [LERR_INVALID] = "invalid",
		[LERR_AUTH] = "unauthenticated", [LERR_FORBIDDEN] = "forbidden",
		[LERR_NOTFOUND] = "not-found", [LERR_CONFLICT] = "conflict",
		[LERR_TOOLARGE] = "too-large", [LERR_MEDIATYPE] = "unsupported-media-type",
		[LERR_RANGE] = "range-not-satisfiable",
		[LERR_UNAVAILABLE] = "unavailable", [LERR_INTERNAL] = "internal",
		[LERR_MALFORMED] = "malformed-request", [LERR_GONE] = "gone",
	};

	if ((unsigned)kind >= sizeof(names) / sizeof(names[0]))
		return "internal";
	return names[kind];
}

void
lerr_oneline(const struct lerr *e, char *out, unsigned long outsz)
{
	int n = snprintf(out, outsz, "%s", e->msg[0] ? e->msg : lerr_kind_name(e->kind));

	if (e->field[0] && n > 0 && (unsigned long)n < outsz)
		n += snprintf(out + n, outsz - n, " [%s]", e->field);
	if (e->detail[0] && n > 0 && (unsigned long)n < outsz)
		n += snprintf(out + n, outsz - n, ": %s", e->detail);
	if (e->hint[0] && n > 0 && (unsigned long)n < outsz)
		snprintf(out + n, outsz - n, " (hint: %s)", e->hint);
	/* One line: library messages (libpq's) carry newlines of their own. */
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	for (size_t len = strlen(out); len && out[len - 1] == ' '; len--)
		out[len - 1] = '\0';
}
