/*
 * mime.c - the attachments of an e-mail (see mime.h).  Every scan is bounded
 * by the length of the part it reads: the message comes from outside.
 */
#include "transmit/mime.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/util.h"

int
xmit_mime_param(const char *h, size_t hl, const char *param, char *out, size_t n)
{
	size_t pl = strlen(param);

	for (size_t i = 0; i + pl + 1 < hl; i++) {
		const char *v;
		size_t k = 0;

		if (strncasecmp(h + i, param, pl) || h[i + pl] != '=' || (i && isalnum((unsigned char)h[i - 1])))
			continue;
		v = h + i + pl + 1;
		if (*v == '"') {
			for (v++; v < h + hl && *v != '"' && k + 1 < n; v++)
				out[k++] = *v;
		} else {
			for (; v < h + hl && !strchr(";\r\n \t", *v) && k + 1 < n; v++)
				out[k++] = *v;
		}
		out[k] = '\0';
		return 1;
	}
	return 0;
}

/* The blank line that ends the headers (LF LF or CRLF CRLF); its length in
 * *skip. */
static const char *
find_blank(const char *p, size_t n, size_t *skip)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] == '\n' && p[i + 1] == '\n') {
			*skip = 2;
			return p + i;
		}
		if (i + 3 < n && !memcmp(p + i, "\r\n\r\n", 4)) {
			*skip = 4;
			return p + i;
		}
	}
	return NULL;
}

/* 1 when the n bytes at h hold word, in any case. */
static int
holds(const char *h, size_t n, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i + wl <= n; i++)
		if (!strncasecmp(h + i, word, wl))
			return 1;
	return 0;
}

struct walk {
	int (*fn)(void *arg, const char *name, const void *data, size_t len);
	void *arg;
};

static int entity(struct walk *w, const char *p, size_t n, int depth);

/* The parts between the delimiters --bound of body[0, bl). */
static int
parts(struct walk *w, const char *bound, const char *body, size_t bl, int depth)
{
	const char *end = body + bl, *cur;
	char delim[210];
	size_t dl;
	int rc = 0;

	snprintf(delim, sizeof(delim), "--%s", bound);
	dl = strlen(delim);
	cur = memmem(body, bl, delim, dl);
	while (!rc && cur) {
		const char *start = cur + dl, *next;

		if (end - start >= 2 && !memcmp(start, "--", 2))
			break;
		/* the line break after the delimiter, within the body */
		for (int k = 0; k < 2 && start < end && (*start == '\r' || *start == '\n'); k++)
			start++;
		next = memmem(start, (size_t)(end - start), delim, dl);
		if (!next)
			break;
		rc = entity(w, start, (size_t)(next - start), depth + 1);
		cur = next;
	}
	return rc;
}

static int
entity(struct walk *w, const char *p, size_t n, int depth)
{
	size_t skip = 0, hl, bl;
	const char *blank = find_blank(p, n, &skip), *body;
	char bound[200], name[256] = "";
	struct buf out;
	int rc;

	if (!blank || depth > XMIT_MIME_DEPTH)
		return 0;
	hl = (size_t)(blank - p);
	body = blank + skip;
	bl = n - (size_t)(body - p);
	if (xmit_mime_param(p, hl, "boundary", bound, sizeof(bound)))
		return parts(w, bound, body, bl, depth);
	if (!xmit_mime_param(p, hl, "filename", name, sizeof(name)) &&
	    !xmit_mime_param(p, hl, "name", name, sizeof(name)))
		return 0;   /* a body, not an attachment */
	if (!holds(p, hl, "base64"))
		return w->fn(w->arg, name, body, bl);
	buf_init(&out, bl / 4 * 3 + 4);
	if (base64_decode(body, bl, &out))
		rc = w->fn(w->arg, name, NULL, 0);
	else
		rc = w->fn(w->arg, name, out.data ? out.data : "", out.len);
	buf_fini(&out);
	return rc;
}

int
xmit_mime_each(const char *msg, size_t n,
	       int (*fn)(void *arg, const char *name, const void *data, size_t len), void *arg)
{
	struct walk w = { fn, arg };

	return entity(&w, msg, n, 0);
}
