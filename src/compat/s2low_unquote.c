/* s2low_unquote.c - quoting the bare part names of Pastell's hand-written
 * multipart bodies (s2low.h). */
#include "compat/s2low.h"

#include <stdlib.h>
#include <string.h>

#define PAT "\nContent-Disposition: form-data; name="
#define PATLEN (sizeof(PAT) - 1)
#define TOKMAX 200

/* The end of the bare name at tok (';', CR or LF), NULL when not in w yet. */
static const char *
name_end(const char *tok, const char *end)
{
	for (const char *q = tok; q < end && q < tok + TOKMAX; q++)
		if (*q == ';' || *q == '\r' || *q == '\n')
			return q;
	return NULL;
}

static int
carry(struct s2low_unquote *u, const char *p, size_t n)
{
	memmove(u->carry, p, n);
	u->n = n;
	return 0;
}

/* Quotes the bare names of w (len bytes); what may still be the start of a
 * part header is kept for the next chunk. */
static int
filter(struct s2low_unquote *u, const char *w, size_t len, s2low_emit_fn emit, void *arg)
{
	const char *pos = w, *i = w, *end = w + len, *hit, *tok, *stop;
	size_t keep;
	int rc;

	while ((hit = memmem(i, (size_t)(end - i), PAT, PATLEN))) {
		tok = hit + PATLEN;
		if (tok < end && *tok == '"') {
			i = tok;
			continue;
		}
		if (tok >= end || (!(stop = name_end(tok, end)) && end - tok < TOKMAX))
			return (rc = emit(arg, pos, (size_t)(hit - pos))) ? rc : carry(u, hit, (size_t)(end - hit));
		if (!stop) {            /* too long for a name: left as it is */
			i = tok;
			continue;
		}
		if ((rc = emit(arg, pos, (size_t)(tok - pos))) || (rc = emit(arg, "\"", 1)) ||
		    (rc = emit(arg, tok, (size_t)(stop - tok))) || (rc = emit(arg, "\"", 1)))
			return rc;
		pos = i = stop;
	}
	keep = (size_t)(end - pos) < PATLEN - 1 ? (size_t)(end - pos) : PATLEN - 1;
	if ((rc = emit(arg, pos, (size_t)(end - pos) - keep)))
		return rc;
	return carry(u, end - keep, keep);
}

int
s2low_unquote_feed(struct s2low_unquote *u, const char *p, size_t n, s2low_emit_fn emit, void *arg)
{
	char *w = malloc(u->n + n + 1);
	int rc;

	if (!w)
		return -1;
	memcpy(w, u->carry, u->n);
	memcpy(w + u->n, p, n);
	rc = filter(u, w, u->n + n, emit, arg);
	free(w);
	return rc;
}

int
s2low_unquote_end(struct s2low_unquote *u, s2low_emit_fn emit, void *arg)
{
	int rc = u->n ? emit(arg, u->carry, u->n) : 0;

	u->n = 0;
	return rc;
}
