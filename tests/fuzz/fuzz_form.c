/*
 * fuzz_form.c - libFuzzer target of web/form.c: what a browser sends.  The
 * input is "<Content-Type>\n<Cookie>\n<body>"; the body is parsed as the
 * Content-Type says (urlencoded or multipart/form-data) and the cookie read.
 * Every field must be a NUL-terminated value of its length inside the body's
 * bounds (ASan), no more than WEB_MAX_FIELDS.  `make fuzz` builds it (clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/web_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct hdrs {
	char *ctype, *cookie;
};

static const char *
header(void *io, const char *name)
{
	struct hdrs *h = io;

	if (!strcmp(name, "Content-Type"))
		return h->ctype;
	if (!strcmp(name, "Cookie"))
		return h->cookie;
	return NULL;
}

/* The next line of [*p, end) as a C string (a NUL in it ends it early). */
static char *
line(struct arena *a, const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = arena_strndup(a, *p, n);

	*p += nl ? n + 1 : n;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_create();
	const char *p = (const char *)data, *end = p + size;
	struct hdrs h;
	struct web_req w = { .arena = a, .header = header, .io = &h };
	struct page pg = { .w = &w, .a = a };
	size_t blen;
	char *body;
	struct lerr e;

	h.ctype = line(a, &p, end);
	h.cookie = line(a, &p, end);
	blen = (size_t)(end - p);
	body = malloc(blen + 1);       /* http/ hands over a NUL-terminated copy */
	memcpy(body, p, blen);
	body[blen] = '\0';
	w.body = body;
	w.body_len = blen;
	lerr_clear(&e);
	if (form_parse(&pg, &e) == 0) {
		if (pg.form.n < 0 || pg.form.n > WEB_MAX_FIELDS)
			abort();
		for (int i = 0; i < pg.form.n; i++) {
			const struct form_field *f = &pg.form.f[i];

			if (!f->name || !f->value || f->value[f->len] != '\0')
				abort();
			if (form_field(&pg, f->name) == NULL)
				abort();
		}
		(void)form_get(&pg, "csrf");
	} else if (!e.msg[0]) {
		abort();                /* a refusal says why */
	}
	(void)web_cookie(&pg, WEB_COOKIE);
	(void)url_decode(a, body, blen);
	free(body);
	arena_destroy(a);
	return 0;
}
