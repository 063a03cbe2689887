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

unsigned
lerr_http_status(enum lerr_kind kind)
{
	switch (kind) {
	case LERR_OK: return 200;
	case LERR_MALFORMED: return 400;
	case LERR_INVALID: return 422;
	case LERR_AUTH: return 401;
	case LERR_FORBIDDEN: return 403;
	case LERR_NOTFOUND: return 404;
	case LERR_CONFLICT: return 409;
	case LERR_TOOLARGE: return 413;
	case LERR_MEDIATYPE: return 415;
	case LERR_RANGE: return 416;
	case LERR_GONE: return 410;
	case LERR_UNAVAILABLE: return 503;
	case LERR_INTERNAL: break;
	}
	return 500;
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
