/*
 * ipar_mtom.c - MTOM/XOP requests (W3C SOAP Message Transmission
 * Optimization Mechanism): a multipart/related body (RFC 2387) whose root
 * part is the envelope (application/xop+xml) and whose other parts are the
 * binaries the envelope's xop:Include elements name by Content-ID.
 *
 * libmicrohttpd's post processor reads only multipart/form-data and
 * transmit/mime.c reads whole e-mail messages in transmit/; this is the
 * smallest splitter of a body already in memory: boundary and start from the
 * Content-Type, parts delimited by CRLF "--" boundary, each part's headers up
 * to the empty line (Content-ID, Content-Type, Content-Transfer-Encoding:
 * binary, 8bit or 7bit only).  The parts point into the body; nothing is
 * copied.  Fuzzed by tests/fuzz/fuzz_soap.c.
 */
#include "compat/ipar.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FIELD_MAX 255
#define HEADERS_MAX (16 * 1024)

static int
bad(struct lerr *e, const char *msg)
{
	lerr_set(e, LERR_MALFORMED, "multipart/related", "%s", msg);
	lerr_hint(e, "send an MTOM request: multipart/related; type=\"application/xop+xml\"; "
		  "boundary=...; start=\"<root>\", the envelope first");
	return LERR_MALFORMED;
}

/* The value of parameter name in a header value (quoted or token), into out. */
static int
param(const char *h, const char *name, char *out, size_t max)
{
	size_t nl = strlen(name);

	for (const char *p = h; (p = strchr(p, ';')); ) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, name, nl) || p[nl] != '=')
			continue;
		p += nl + 1;
		size_t n = 0;
		if (*p == '"') {
			for (p++; *p && *p != '"' && n + 1 < max; p++)
				out[n++] = *p;
			if (*p != '"')
				return -1;
		} else {
			for (; *p && *p != ';' && !isspace((unsigned char)*p) && n + 1 < max; p++)
				out[n++] = *p;
		}
		out[n] = '\0';
		return n ? 0 : -1;
	}
	return -1;
}

static const unsigned char *
find(const unsigned char *p, const unsigned char *end, const char *s, size_t n)
{
	if ((size_t)(end - p) < n)
		return NULL;
	return memmem(p, (size_t)(end - p), s, n);
}

/* Copies a header value (up to CRLF) into the cid storage, <> removed for ids. */
static const char *
keep(struct ipar_req *r, size_t *used, const unsigned char *v, size_t n, int id)
{
	char *dst = r->cids + *used;

	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (id && n >= 2 && v[0] == '<' && v[n - 1] == '>')
		v++, n -= 2;
	if (n > FIELD_MAX || memchr(v, '\0', n))
		return NULL;
	memcpy(dst, v, n);
	dst[n] = '\0';
	*used += n + 1;
	return dst;
}

static int
header(struct ipar_req *r, struct ipar_part *pt, size_t *used, const unsigned char *line, size_t n,
       struct lerr *e)
{
	const unsigned char *colon = memchr(line, ':', n);
	size_t k = colon ? (size_t)(colon - line) : 0, vn = colon ? n - k - 1 : 0;

	if (!colon)
		return bad(e, "a part header line has no colon");
	if (k == 10 && !strncasecmp((const char *)line, "Content-ID", 10)) {
		if (pt->cid)
			return bad(e, "a part has two Content-IDs");
		if (!(pt->cid = keep(r, used, colon + 1, vn, 1)))
			return bad(e, "a Content-ID is longer than 255 bytes");
	} else if (k == 12 && !strncasecmp((const char *)line, "Content-Type", 12)) {
		if (pt->ctype)
			return bad(e, "a part has two Content-Types");
		if (!(pt->ctype = keep(r, used, colon + 1, vn, 0)))
			return bad(e, "a part's Content-Type is longer than 255 bytes");
	} else if (k == 25 && !strncasecmp((const char *)line, "Content-Transfer-Encoding", 25)) {
		char v[16];
		const unsigned char *q = colon + 1;
		size_t m = vn;

		while (m && (*q == ' ' || *q == '\t'))
			q++, m--;
		while (m && (q[m - 1] == ' ' || q[m - 1] == '\t'))
			m--;
		snprintf(v, sizeof(v), "%.*s", (int)(m < 15 ? m : 15), (const char *)q);
		if (m > 6 || (strcasecmp(v, "binary") && strcasecmp(v, "8bit") && strcasecmp(v, "7bit")))
			return bad(e, "a part's Content-Transfer-Encoding is not binary, 8bit or 7bit");
	}
	return 0;
}

/* The headers of the part at p (up to the empty line); *body: its content. */
static int
headers(struct ipar_req *r, struct ipar_part *pt, size_t *used, const unsigned char *p,
	const unsigned char *end, const unsigned char **body, struct lerr *e)
{
	const unsigned char *stop = find(p, end, "\r\n\r\n", 4);
	int rc;

	if (!stop || stop - p > HEADERS_MAX)
		return bad(e, "a part's headers do not end with an empty line");
	*body = stop + 4;
	while (p < stop) {
		const unsigned char *eol = find(p, stop + 2, "\r\n", 2);
		size_t n = (size_t)(eol - p);

		if (n && (rc = header(r, pt, used, p, n, e)))
			return rc;
		p = eol + 2;
	}
	if (!pt->cid)
		pt->cid = "";
	return 0;
}

static int
split(struct ipar_req *r, const unsigned char *p, const unsigned char *end, const char *delim,
      struct lerr *e)
{
	size_t dn = strlen(delim), used = 0;
	const unsigned char *body, *next;
	int rc;

	/* The first delimiter may open the body (no CRLF before it). */
	if ((size_t)(end - p) >= dn - 2 && !memcmp(p, delim + 2, dn - 2))
		p += dn - 2;
	else {
		const unsigned char *f = find(p, end, delim, dn);

		if (!f)
			return bad(e, "the body holds no boundary of the Content-Type");
		p = f + dn;
	}
	for (;;) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return r->nparts ? 0 : bad(e, "the body holds no part");
		if (!(p = find(p, end, "\r\n", 2)))
			return bad(e, "a boundary line does not end");
		if (r->nparts == IPAR_MAX_PARTS)
			return bad(e, "more than 128 parts");
		struct ipar_part *pt = &r->parts[r->nparts];
		if ((rc = headers(r, pt, &used, p + 2, end, &body, e)))
			return rc;
		if (!(next = find(body, end, delim, dn)))
			return bad(e, "the last part is not closed by the boundary");
		pt->data = body;
		pt->len = (size_t)(next - body);
		r->nparts++;
		p = next + dn;
	}
}

int
ipar_mtom_split(struct ipar_req *r, const char *ctype, const void *body, size_t n,
		const struct ipar_part **root, struct lerr *e)
{
	char boundary[80], start[FIELD_MAX + 1], delim[84];
	int rc;

	if (param(ctype, "boundary", boundary, sizeof(boundary)))
		return bad(e, "the Content-Type has no boundary (1 to 70 characters)");
	if (param(ctype, "start", start, sizeof(start)))
		start[0] = '\0';
	snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
	free(r->cids);
	if (!(r->cids = malloc((size_t)IPAR_MAX_PARTS * 2 * (FIELD_MAX + 1))))
		abort();
	if ((rc = split(r, body, (const unsigned char *)body + n, delim, e)))
		return rc;
	*root = &r->parts[0];
	if (start[0]) {
		size_t sn = strlen(start);
		const char *s = start;

		if (sn >= 2 && s[0] == '<' && s[sn - 1] == '>')
			s++, start[sn - 1] = '\0';
		*root = NULL;
		for (size_t i = 0; i < r->nparts && !*root; i++)
			if (!strcmp(r->parts[i].cid, s))
				*root = &r->parts[i];
		if (!*root)
			return bad(e, "no part has the Content-ID named by start");
	}
	return 0;
}
