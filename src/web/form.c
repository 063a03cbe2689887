/*
 * form.c - what a browser sends: urlencoded and multipart/form-data bodies
 * (already buffered and bounded by http/), cookies, query arguments.
 */
#include "web/web_int.h"

#include <string.h>
#include <strings.h>

#include "core/util.h"

const char *
web_header(struct page *p, const char *name)
{
	return p->w->header ? p->w->header(p->w->io, name) : NULL;
}

const char *
web_query(struct page *p, const char *name)
{
	const char *v = p->w->query ? p->w->query(p->w->io, name) : NULL;

	return v && *v ? v : NULL;
}

char *
url_decode(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%' && i + 2 < n && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
			*o++ = (char)(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Cookie: a=1; liasse_session=xyz */
const char *
web_cookie(struct page *p, const char *name)
{
	const char *h = web_header(p, "Cookie");
	size_t nl = strlen(name);

	while (h && *h) {
		h += strspn(h, " ;");
		if (!strncmp(h, name, nl) && h[nl] == '=') {
			const char *v = h + nl + 1;

			return arena_strndup(p->a, v, strcspn(v, ";"));
		}
		h = strchr(h, ';');
	}
	return NULL;
}

static void
add_field(struct form *f, const char *name, const char *value, size_t len, const char *filename)
{
	if (f->n == WEB_MAX_FIELDS)
		return;
	f->f[f->n++] = (struct form_field){ name, value, len, filename };
}

static int
parse_urlencoded(struct page *p, const char *s, size_t n)
{
	const char *end = s + n;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s)), *eq;
		size_t len = amp ? (size_t)(amp - s) : (size_t)(end - s);
		char *v;

		eq = memchr(s, '=', len);
		if (eq && eq > s) {
			v = url_decode(p->a, eq + 1, len - (size_t)(eq + 1 - s));
			add_field(&p->form, url_decode(p->a, s, (size_t)(eq - s)), v, strlen(v), NULL);
		}
		s += len + (amp != NULL);
	}
	return 0;
}

static const char *
memmem_s(const char *h, size_t hn, const char *n, size_t nn)
{
	return memmem(h, hn, n, nn);
}

/* The value of a parameter (name="...") inside a Content-Disposition line. */
static char *
disp_param(struct arena *a, const char *line, size_t n, const char *param)
{
	char *key = arena_printf(a, "%s=\"", param);
	size_t kl = strlen(key);
	const char *k = line, *q;

	/* the parameter itself, not the end of another (name= in filename=) */
	while ((k = memmem_s(k, n - (size_t)(k - line), key, kl)) && k > line && k[-1] != ' ' && k[-1] != ';')
		k++;
	if (!k)
		return NULL;
	k += kl;
	q = memchr(k, '"', n - (size_t)(k - line));
	return q ? arena_strndup(a, k, (size_t)(q - k)) : NULL;
}

static int
parse_part(struct page *p, const char *s, size_t n)
{
	const char *hend = memmem_s(s, n, "\r\n\r\n", 4);
	char *name, *filename, *value;
	size_t vlen;

	if (!hend)
		return -1;
	name = disp_param(p->a, s, (size_t)(hend - s), "name");
	filename = disp_param(p->a, s, (size_t)(hend - s), "filename");
	if (!name)
		return -1;
	vlen = n - (size_t)(hend + 4 - s);
	value = arena_alloc(p->a, vlen + 1);
	memcpy(value, hend + 4, vlen);
	value[vlen] = '\0';
	add_field(&p->form, name, value, vlen, filename);
	return 0;
}

static int
parse_multipart(struct page *p, const char *ctype, const char *s, size_t n, struct lerr *e)
{
	const char *b = strstr(ctype, "boundary="), *end = s + n;
	char *delim;
	size_t dl, bl;

	if (!b)
		return lerr_set(e, LERR_MALFORMED, NULL, "multipart body without a boundary");
	b += 9;
	bl = *b == '"' ? strcspn(++b, "\"") : strcspn(b, "; ");
	if (bl == 0 || bl > 70)         /* RFC 2046: 1 to 70 characters */
		return lerr_set(e, LERR_MALFORMED, NULL, "multipart boundary of %zu characters", bl);
	delim = arena_printf(p->a, "\r\n--%.*s", (int)bl, b);
	dl = strlen(delim);
	/* the first delimiter has no CRLF before it */
	if (n < dl - 2 || memcmp(s, delim + 2, dl - 2))
		return lerr_set(e, LERR_MALFORMED, NULL, "multipart body does not start with its boundary");
	s += dl - 2;
	while (s < end && !(end - s >= 2 && !memcmp(s, "--", 2))) {
		const char *next;

		if (end - s < 2 || memcmp(s, "\r\n", 2))
			return lerr_set(e, LERR_MALFORMED, NULL, "malformed multipart body");
		s += 2;
		next = memmem_s(s, (size_t)(end - s), delim, dl);
		if (!next || parse_part(p, s, (size_t)(next - s)))
			return lerr_set(e, LERR_MALFORMED, NULL, "malformed multipart body");
		s = next + dl;
	}
	return 0;
}

int
form_parse(struct page *p, struct lerr *e)
{
	const char *ct = web_header(p, "Content-Type");

	p->form.n = 0;
	if (p->w->body_truncated)
		return lerr_set(e, LERR_TOOLARGE, NULL, "form too large");
	if (!p->w->body || !ct)
		return 0;
	if (!strncasecmp(ct, "multipart/form-data", 19))
		return parse_multipart(p, ct, p->w->body, p->w->body_len, e);
	if (!strncasecmp(ct, "application/x-www-form-urlencoded", 33))
		return parse_urlencoded(p, p->w->body, p->w->body_len);
	return lerr_set(e, LERR_MEDIATYPE, NULL, "unexpected form content type");
}

const struct form_field *
form_field(const struct page *p, const char *name)
{
	for (int i = 0; i < p->form.n; i++)
		if (!strcmp(p->form.f[i].name, name))
			return &p->form.f[i];
	return NULL;
}

const char *
form_get(const struct page *p, const char *name)
{
	const struct form_field *f = form_field(p, name);

	return f ? f->value : NULL;
}
