/*
 * fuzz_s2low.c - libFuzzer target of src/compat (S2LOW): the filter that
 * quotes the bare part names of the multipart body Pastell writes by hand,
 * fed the input cut in three at places the input's first bytes choose; the
 * output must not depend on the cuts, and an input without a part header
 * must come out unchanged.  Then the same bytes as %-escaped PEM
 * (x509id_unescape) and as a field of actes_transac_create.php.  `make
 * fuzz` builds it (clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compat/s2low.h"
#include "core/x509id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
	char *p;
	size_t n, cap;
};

static int
emit(void *arg, const char *p, size_t n)
{
	struct out *o = arg;

	if (!n)
		return 0;
	if (o->n + n > o->cap) {
		o->cap = 2 * (o->n + n) + 64;
		o->p = realloc(o->p, o->cap);
		if (!o->p)
			abort();
	}
	memcpy(o->p + o->n, p, n);
	o->n += n;
	return 0;
}

static void
run(const char *in, size_t n, size_t c1, size_t c2, struct out *o)
{
	struct s2low_unquote u = { .n = 0 };

	if (s2low_unquote_feed(&u, in, c1, emit, o) || s2low_unquote_feed(&u, in + c1, c2 - c1, emit, o) ||
	    s2low_unquote_feed(&u, in + c2, n - c2, emit, o) || s2low_unquote_end(&u, emit, o))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t c1 = size ? data[0] % (size + 1) : 0, c2 = size > 1 ? c1 + data[1] % (size - c1 + 1) : c1;
	struct out a = { 0 }, b = { 0 };
	struct arena *ar = arena_create();
	struct s2low_acte_form f = { 0 };
	char *pem = malloc(size + 1);

	run(in, size, c1, c2, &a);
	run(in, size, 0, 0, &b);
	if (a.n != b.n || (a.n && memcmp(a.p, b.p, a.n)))
		abort();
	if (!memmem(in, size, "\nContent-Disposition: form-data; name=", 38) &&
	    (a.n != size || (size && memcmp(a.p, in, size))))
		abort();
	memcpy(pem, in, size);
	pem[size] = '\0';
	(void)x509id_unescape(pem, pem, size + 1);
	s2low_acte_field(&f, ar, "type_pj[]", in, size, 1);
	s2low_acte_field(&f, ar, "subject", in, size, 1);
	if (f.subject && strlen(f.subject) < size + 1)
		(void)s2low_utf8(ar, f.subject);
	free(pem);
	free(a.p);
	free(b.p);
	arena_destroy(ar);
	return 0;
}
