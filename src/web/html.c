/*
 * html.c - the HTML writer.  Everything that comes from data is escaped by
 * default: h_fmt's %s escapes, only %S inserts markup, and callers pass %S
 * string literals of their own.  A vendor's title full of markup and script
 * is shown as text.
 */
#include "web/web_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void
put(struct page *p, const char *s, size_t n)
{
	if (p->overflow || buf_add(&p->out, s, n))
		p->overflow = 1;
}

void
h_raw(struct page *p, const char *s)
{
	if (s)
		put(p, s, strlen(s));
}

void
h_text(struct page *p, const char *s)
{
	const char *run = s;

	if (!s)
		return;
	for (; *s; s++) {
		const char *ent;

		switch (*s) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		put(p, run, (size_t)(s - run));
		h_raw(p, ent);
		run = s + 1;
	}
	put(p, run, (size_t)(s - run));
}

char *
h_escape(struct arena *a, const char *s)
{
	struct page tmp = { .a = a };
	char *r;

	buf_init(&tmp.out, WEB_PAGE_MAX);
	h_text(&tmp, s ? s : "");
	r = arena_strndup(a, tmp.out.data ? tmp.out.data : "", tmp.out.len);
	buf_fini(&tmp.out);
	return r;
}

static void
url_component(struct page *p, const char *s)
{
	char enc[4];

	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("-._~", ch)) {
			put(p, s, 1);
		} else {
			snprintf(enc, sizeof(enc), "%%%02X", ch);
			put(p, enc, 3);
		}
	}
}

/* One conversion of h_fmt; returns the characters of fmt it used. */
static int
conv(struct page *p, const char *f, va_list *ap)
{
	char num[32];

	switch (f[0]) {
	case 's': h_text(p, va_arg(*ap, const char *)); return 1;
	case 'S': h_raw(p, va_arg(*ap, const char *)); return 1;
	case 'U': url_component(p, va_arg(*ap, const char *)); return 1;
	case 'd': snprintf(num, sizeof(num), "%d", va_arg(*ap, int)); h_raw(p, num); return 1;
	case 'u': snprintf(num, sizeof(num), "%u", va_arg(*ap, unsigned)); h_raw(p, num); return 1;
	case 'z':
		snprintf(num, sizeof(num), "%zu", va_arg(*ap, size_t));
		h_raw(p, num);
		return 2;
	case 'l':
		if (f[1] == 'l') {
			snprintf(num, sizeof(num), "%lld", va_arg(*ap, long long));
			h_raw(p, num);
			return 3;
		}
		snprintf(num, sizeof(num), "%ld", va_arg(*ap, long));
		h_raw(p, num);
		return 2;
	case '%': put(p, "%", 1); return 1;
	}
	put(p, "%", 1);
	return 0;
}

void
h_fmt(struct page *p, const char *fmt, ...)
{
	va_list ap;
	const char *run = fmt;

	va_start(ap, fmt);
	while (*fmt) {
		if (*fmt != '%') {
			fmt++;
			continue;
		}
		put(p, run, (size_t)(fmt - run));
		fmt++;
		fmt += conv(p, fmt, &ap);
		run = fmt;
	}
	put(p, run, (size_t)(fmt - run));
	va_end(ap);
}

/* "-1234567.5" -> "-1 234 567,50 €" (narrow no-break spaces). */
void
h_euros(struct page *p, const char *amount)
{
	const char *s = amount, *dot;
	size_t nint;
	char frac[3] = "00";

	if (!s || !*s) {
		h_raw(p, "—");
		return;
	}
	if (*s == '-') {
		h_raw(p, "−");
		s++;
	}
	dot = strchr(s, '.');
	nint = dot ? (size_t)(dot - s) : strlen(s);
	if (strspn(s, "0123456789") != nint || nint == 0 || nint > 18) {
		h_text(p, amount);
		return;
	}
	if (dot && dot[1]) {
		frac[0] = dot[1];
		frac[1] = dot[2] ? dot[2] : '0';
	}
	for (size_t i = 0; i < nint; i++) {
		if (i && (nint - i) % 3 == 0)
			h_raw(p, "\u202f");
		put(p, s + i, 1);
	}
	h_fmt(p, ",%s\u00a0€", frac);
}

void
h_when(struct page *p, const char *ts)
{
	int y, mo, d, hh, mm;

	if (!ts || !*ts) {
		h_raw(p, "—");
		return;
	}
	if (sscanf(ts, "%4d-%2d-%2dT%2d:%2d", &y, &mo, &d, &hh, &mm) == 5)
		h_fmt(p, "%S", arena_printf(p->a, "%02d/%02d/%04d %02d:%02d", d, mo, y, hh, mm));
	else if (sscanf(ts, "%4d-%2d-%2d", &y, &mo, &d) == 3)
		h_fmt(p, "%S", arena_printf(p->a, "%02d/%02d/%04d", d, mo, y));
	else
		h_text(p, ts);
}

void
h_date_input(struct page *p, const char *id, const char *name, const char *iso, int required)
{
	int y = 0, mo = 0, d = 0;
	const char *fr = iso && sscanf(iso, "%4d-%2d-%2d", &y, &mo, &d) == 3 ?
		arena_printf(p->a, "%02d/%02d/%04d", d, mo, y) : "";

	h_fmt(p, "<input type=\"text\" id=\"%s\" name=\"%s\" value=\"%s\" inputmode=\"numeric\" "
	      "placeholder=\"jj/mm/aaaa\" pattern=\"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}\" "
	      "title=\"une date jj/mm/aaaa\" autocomplete=\"off\"%S>", id, name, fr, required ? " required" : "");
}

const char *
web_date_iso(struct page *p, const char *typed)
{
	int y, mo, d, n = 0;
	struct tm tm = { 0 };

	if (!typed)
		return NULL;
	if (sscanf(typed, "%2d/%2d/%4d%n", &d, &mo, &y, &n) != 3 || typed[n])
		if (sscanf(typed, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || typed[n] || n != 10)
			return NULL;
	if (y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return NULL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	if (timegm(&tm) == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return NULL;              /* 31/02/2026 */
	return arena_printf(p->a, "%04d-%02d-%02d", y, mo, d);
}

const char *
web_date_fr(struct page *p, const char *iso)
{
	int y, mo, d;

	if (!iso)
		return "";
	return sscanf(iso, "%4d-%2d-%2d", &y, &mo, &d) == 3 ? arena_printf(p->a, "%02d/%02d/%04d", d, mo, y) : iso;
}

const char *
js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}
