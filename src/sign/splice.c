/*
 * splice.c - write a signed PES by splicing, not by re-serialising.
 *
 * libxml2 would rewrite the start tags, the quotes, the line ends and the
 * empty elements of the whole file.  Instead the original bytes are copied
 * and only two kinds of edits are made: the value of InfoDematerialisee/@V,
 * and each ds:Signature (serialised alone, in the document's encoding)
 * inserted just before the end tag of its target.  A scanner finds those
 * places by counting start tags in document order, the order in which
 * sx_number_elements() numbered the tree.  Anything unexpected makes the
 * caller fall back to a plain serialisation.
 */
#include "sign/sign_int.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <libxml/xmlsave.h>

struct edit {
	size_t off, end;          /* replace in[off, end) */
	const char *text;         /* by text (or by the signature sig) */
	size_t len;
	xmlNodePtr sig;
};

struct pos {
	size_t start, gt, etag;   /* '<' of the start tag, its '>', '<' of the end tag */
	int empty;
};

static size_t
number(xmlNodePtr n, size_t k)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		n->_private = (void *)(uintptr_t)++k;
		k = number(n->children, k);
	}
	return k;
}

/* Number every element 1..n in document order (in node->_private). */
void
sx_number_elements(xmlDocPtr doc)
{
	number(xmlDocGetRootElement(doc), 0);
}

static const char *
skip_to(const char *p, const char *end, const char *tok)
{
	size_t tl = strlen(tok);

	for (; p + tl <= end; p++)
		if (!memcmp(p, tok, tl))
			return p + tl;
	return NULL;
}

/* The '>' that ends the tag starting at p, quotes honoured. */
static const char *
tag_end(const char *p, const char *end)
{
	char q = 0;

	for (; p < end; p++) {
		if (q) {
			if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '>') {
			return p;
		}
	}
	return NULL;
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Positions of the wanted elements (by number); want[] sorted ascending. */
static int
scan(const char *in, size_t len, const size_t *want, struct pos *out, size_t nwant)
{
	const char *p = in, *end = in + len, *gt;
	size_t stack[512], depth = 0, count = 0, w = 0;
	const size_t *hit;

	while (p < end && (p = memchr(p, '<', (size_t)(end - p)))) {
		if (end - p >= 4 && !memcmp(p, "<!--", 4))
			p = skip_to(p + 4, end, "-->");
		else if (end - p >= 9 && !memcmp(p, "<![CDATA[", 9))
			p = skip_to(p + 9, end, "]]>");
		else if (end - p >= 2 && (p[1] == '?' || p[1] == '!'))
			p = (gt = tag_end(p, end)) ? gt + 1 : NULL;
		else if (end - p >= 2 && p[1] == '/') {
			if (!depth || !(gt = tag_end(p, end)))
				return -1;
			hit = bsearch(&stack[depth - 1], want, nwant, sizeof(*want), cmp_size);
			if (hit)
				out[hit - want].etag = (size_t)(p - in);
			depth--;
			p = gt + 1;
		} else {
			if (!(gt = tag_end(p, end)))
				return -1;
			count++;
			if (w < nwant && want[w] == count) {
				out[w].start = (size_t)(p - in);
				out[w].gt = (size_t)(gt - in);
				out[w].empty = gt[-1] == '/';
				w++;
			}
			if (gt[-1] != '/') {
				if (depth == sizeof(stack) / sizeof(stack[0]))
					return -1;
				stack[depth++] = count;
			}
			p = gt + 1;
		}
		if (!p)
			return -1;
	}
	return w == nwant && depth == 0 ? 0 : -1;
}

/* In the start tag [s, gt], the value span of attribute V. */
static int
attr_v(const char *in, const struct pos *ps, struct edit *ed)
{
	const char *p = in + ps->start + 1, *gt = in + ps->gt, *v;
	char q;

	while (p < gt && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
		p++;                                /* the element name */
	while (p < gt) {
		while (p < gt && strchr(" \t\r\n", *p))
			p++;
		v = p;
		while (p < gt && *p != '=' && !strchr(" \t\r\n", *p))
			p++;
		int is_v = p - v == 1 && *v == 'V';
		while (p < gt && *p != '"' && *p != '\'')
			p++;
		if (p >= gt)
			return -1;
		q = *p++;
		v = p;
		while (p < gt && *p != q)
			p++;
		if (p >= gt)
			return -1;
		if (is_v) {
			ed->off = (size_t)(v - in);
			ed->end = (size_t)(p - in);
			return 0;
		}
		p++;
	}
	return -1;
}

static int
ascii_compatible(const char *enc)
{
	return !enc || !strcasecmp(enc, "UTF-8") || !strncasecmp(enc, "ISO-8859-", 9) ||
	       !strcasecmp(enc, "US-ASCII") || !strcasecmp(enc, "windows-1252") ||
	       !strcasecmp(enc, "latin1");
}

static int
emit_sig(xmlNodePtr sig, const char *enc, struct buf *out)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlSaveCtxtPtr sc = xb ? xmlSaveToBuffer(xb, enc ? enc : "UTF-8",
						 XML_SAVE_AS_XML | XML_SAVE_NO_DECL) : NULL;
	int rc = -1;

	if (sc && xmlSaveTree(sc, sig) >= 0 && xmlSaveClose(sc) >= 0) {
		sc = NULL;
		rc = buf_add(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
	}
	if (sc)
		xmlSaveClose(sc);
	if (xb)
		xmlBufferFree(xb);
	return rc;
}

static int
cmp_edit(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static size_t
idx(xmlNodePtr n)
{
	return (size_t)(uintptr_t)n->_private;
}

static int
apply(const char *in, size_t len, const char *enc, struct edit *ed, size_t ne, struct buf *out)
{
	size_t i, at = 0;

	qsort(ed, ne, sizeof(*ed), cmp_edit);
	buf_reset(out);
	for (i = 0; i < ne; i++) {
		if (ed[i].off < at || buf_add(out, in + at, ed[i].off - at))
			return -1;
		if (ed[i].sig ? emit_sig(ed[i].sig, enc, out) : buf_add(out, ed[i].text, ed[i].len))
			return -1;
		at = ed[i].end;
	}
	return buf_add(out, in + at, len - at);
}

/* sigs: the new ds:Signature nodes (their parents numbered); vnodes: the
 * InfoDematerialisee elements set to 1.  -1: use sx_serialize instead. */
int
sx_splice(const char *in, size_t len, xmlDocPtr doc, xmlNodePtr *sigs, size_t nsig,
	  xmlNodePtr *vnodes, size_t nv, struct buf *out)
{
	size_t n = nsig + nv, i, j, *want = calloc(n + 1, sizeof(*want));
	struct pos *ps = calloc(n + 1, sizeof(*ps));
	struct edit *ed = calloc(n + 1, sizeof(*ed));
	const char *enc = (const char *)doc->encoding;
	int rc = -1;

	if (!want || !ps || !ed || !ascii_compatible(enc))
		goto out;
	for (i = 0; i < nsig; i++)
		want[i] = idx(sigs[i]->parent);
	for (i = 0; i < nv; i++)
		want[nsig + i] = idx(vnodes[i]);
	qsort(want, n, sizeof(*want), cmp_size);
	for (i = 0; i < n; i++)
		if (!want[i] || (i && want[i] == want[i - 1]))
			goto out;
	if (scan(in, len, want, ps, n))
		goto out;
	for (i = 0; i < n; i++) {
		for (j = 0; j < nsig && idx(sigs[j]->parent) != want[i]; j++)
			;
		if (j < nsig) {
			if (ps[i].empty || !ps[i].etag)
				goto out;
			ed[i].off = ed[i].end = ps[i].etag;
			ed[i].sig = sigs[j];
		} else {
			if (attr_v(in, &ps[i], &ed[i]))
				goto out;
			ed[i].text = "1";
			ed[i].len = 1;
		}
	}
	rc = apply(in, len, enc, ed, n, out);
out:
	free(want);
	free(ps);
	free(ed);
	return rc;
}
