/*
 * xmlguard.c - the pre-parse guard of outside XML (see xmlguard.h).
 *
 * One byte at a time, except in character data where memchr() finds the
 * next '<'.  The states follow the markup of XML 1.0: character data,
 * "<" then one of "!" (comment, CDATA, or a refused declaration), "?"
 * (processing instruction, the XML declaration first), "/" (end tag) or a
 * start tag, whose quoted values may hold '>' and '/'.
 */
#include "config.h"
#include "core/xmlguard.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
	ST_START,    /* before the first '<' (a UTF-8 BOM and blanks allowed) */
	ST_TEXT,
	ST_LT,       /* just after '<' */
	ST_BANG,     /* after "<!": which of "--" and "[CDATA[" */
	ST_COMMENT,  /* sub = trailing '-' seen */
	ST_CDATA,    /* sub = trailing ']' seen */
	ST_PI,       /* sub = 1 after '?' */
	ST_STAG,
	ST_ETAG,
	ST_DECL,     /* a refused "<!...": its first bytes, for the message */
};

static const char *const encodings[] = {
	"UTF-8", "UTF8", "ISO-8859-1", "ISO_8859-1", "ISO-LATIN-1", "LATIN1", "ISO-8859-15",
	"ISO_8859-15", "LATIN-9", "WINDOWS-1252", "CP1252", "US-ASCII", "ASCII", NULL
};

void
xmlguard_init(struct xmlguard *g, size_t max_bytes)
{
	memset(g, 0, sizeof(*g));
	g->max_bytes = max_bytes;
	g->line = 1;
	g->state = ST_START;
}

static int
refuse(struct xmlguard *g, struct lerr *e, const char *msg, const char *hint)
{
	lerr_set(e, LERR_INVALID, NULL, "%s", msg);
	if (hint)
		lerr_hint(e, "%s", hint);
	g->state = -1;
	return e->kind;
}

static int
blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The encoding named by the XML declaration must be ASCII-compatible. */
static int
check_decl(struct xmlguard *g, struct lerr *e)
{
	char *p, *q, v[64];
	size_t n;

	g->decl[g->decllen] = '\0';
	if (strncmp(g->decl, "xml", 3) || !blank((unsigned char)g->decl[3]) ||
	    !(p = strstr(g->decl, "encoding")))
		return 0;
	for (p += 8; blank((unsigned char)*p); p++)
		;
	if (*p++ != '=')
		return 0;   /* malformed: libxml2 says so */
	while (blank((unsigned char)*p))
		p++;
	if ((*p != '"' && *p != '\'') || !(q = strchr(p + 1, *p)))
		return 0;
	n = (size_t)(q - p - 1);
	snprintf(v, sizeof(v), "%.*s", (int)(n < sizeof(v) ? n : sizeof(v) - 1), p + 1);
	for (int i = 0; encodings[i]; i++)
		if (!strcasecmp(v, encodings[i]))
			return 0;
	refuse(g, e, "the declared encoding is not accepted",
	       "send the document in UTF-8 or ISO-8859-1");
	lerr_detail(e, "line 1: encoding=\"%s\"; only ASCII-compatible encodings (UTF-8, ISO-8859-1, "
		    "ISO-8859-15, windows-1252, US-ASCII) are read", v);
	return e->kind;
}

static int
too_long(struct xmlguard *g, struct lerr *e)
{
	refuse(g, e, "a tag of the document is too large",
	       "no element of the documents liasse handles needs such a tag");
	lerr_detail(e, "line %lu: a tag, processing instruction or declaration longer than %d bytes",
		    g->line, XMLGUARD_MAX_TAG);
	return e->kind;
}

static int
refuse_decl(struct xmlguard *g, struct lerr *e)
{
	g->mark[g->sub] = '\0';
	refuse(g, e, "document type declarations (DTD) are refused",
	       "send the document without its <!DOCTYPE ...> declaration");
	lerr_detail(e, "line %lu: <!%s...; a DOCTYPE can declare entities (billion laughs, external "
		    "entities) and IDs that change what is read or signed", g->tagline, g->mark);
	return e->kind;
}

/* After "<!": a comment, a CDATA section, or a refusal, made once the
 * declaration's first line is read (or at the end of this feed: the bytes
 * never reach libxml2). */
static int
bang(struct xmlguard *g, unsigned char c, struct lerr *e)
{
	if (g->state == ST_DECL) {
		if (c == '[' || c == '>' || c == '\n' || g->sub >= (int)sizeof(g->mark) - 1)
			return refuse_decl(g, e);
		g->mark[g->sub++] = (char)c;
		return 0;
	}
	g->mark[g->sub++] = (char)c;
	if (!strncmp(g->mark, "--", (size_t)g->sub)) {
		if (g->sub == 2)
			g->state = ST_COMMENT, g->sub = 0;
		return 0;
	}
	if (!strncmp(g->mark, "[CDATA[", (size_t)g->sub)) {
		if (g->sub == 7)
			g->state = ST_CDATA, g->sub = 0;
		return 0;
	}
	g->state = ST_DECL;
	return 0;
}

static int
stag(struct xmlguard *g, unsigned char c, struct lerr *e)
{
	if (g->quote) {
		if (c == g->quote)
			g->quote = 0;
		return 0;
	}
	if (c == '"' || c == '\'') {
		g->quote = c;
		if (++g->attrs > XMLGUARD_MAX_ATTRS) {
			refuse(g, e, "an element has too many attributes",
			       "no element of the documents liasse handles has so many attributes");
			lerr_detail(e, "line %lu: more than %d attributes (namespace declarations "
				    "included) in one tag", g->line, XMLGUARD_MAX_ATTRS);
			return e->kind;
		}
	} else if (c == '>') {
		g->state = ST_TEXT;
		if (!g->slash && ++g->depth > XMLGUARD_MAX_DEPTH) {
			refuse(g, e, "elements are nested too deeply", NULL);
			lerr_detail(e, "line %lu: more than %d levels of elements", g->line,
				    XMLGUARD_MAX_DEPTH);
			return e->kind;
		}
	}
	g->slash = c == '/';
	return 0;
}

static int
start(struct xmlguard *g, unsigned char c, struct lerr *e)
{
	static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };

	if (g->nbytes < 3 && g->sub == (int)g->nbytes && c == bom[g->nbytes]) {
		g->sub++;
		return 0;
	}
	if (g->nbytes == 0 && (c == 0xfe || c == 0xff))
		return refuse(g, e, "the document is in UTF-16 or UTF-32",
			      "send the document in UTF-8 or ISO-8859-1");
	if (g->sub != 0 && g->sub != 3)
		return refuse(g, e, "the document is not XML", NULL);
	if (blank(c))
		return 0;
	if (c != '<')
		return refuse(g, e, "the document is not XML",
			      "an XML document starts with '<' (the XML declaration or the root element)");
	g->state = ST_LT;
	g->taglen = 1;
	g->tagline = g->line;
	g->in_decl = 2;   /* the next byte decides */
	return 0;
}

static int
step(struct xmlguard *g, unsigned char c, struct lerr *e)
{
	if (c == '\0')
		return refuse(g, e, "the document holds a NUL byte",
			      "send the document in UTF-8 or ISO-8859-1, not UTF-16");
	if (c == '\n')
		g->line++;
	if (g->state >= ST_LT && g->state != ST_COMMENT && g->state != ST_CDATA &&
	    ++g->taglen > XMLGUARD_MAX_TAG)
		return too_long(g, e);
	switch (g->state) {
	case ST_START:
		return start(g, c, e);
	case ST_TEXT:
		if (c == '<')
			g->state = ST_LT, g->taglen = 1, g->tagline = g->line;
		return 0;
	case ST_LT:
		g->in_decl = g->in_decl == 2 && c == '?';
		g->sub = 0;
		if (c == '!')
			g->state = ST_BANG, memset(g->mark, 0, sizeof(g->mark));
		else if (c == '?')
			g->state = ST_PI, g->decllen = 0;
		else if (c == '/')
			g->state = ST_ETAG;
		else
			g->state = ST_STAG, g->attrs = 0, g->quote = 0, g->slash = 0;
		return 0;
	case ST_BANG:
	case ST_DECL:
		return bang(g, c, e);
	case ST_COMMENT:
		if (c == '>' && g->sub >= 2)
			g->state = ST_TEXT;
		g->sub = c == '-' ? g->sub + 1 : 0;
		return 0;
	case ST_CDATA:
		if (c == '>' && g->sub >= 2)
			g->state = ST_TEXT;
		g->sub = c == ']' ? g->sub + 1 : 0;
		return 0;
	case ST_PI:
		if (c == '>' && g->sub) {
			g->state = ST_TEXT;
			if (g->in_decl && g->decllen > 0)
				g->decllen--;   /* the '?' */
			return g->in_decl ? (g->in_decl = 0, check_decl(g, e)) : 0;
		}
		g->sub = c == '?';
		if (g->in_decl && g->decllen < sizeof(g->decl) - 1)
			g->decl[g->decllen++] = (char)c;
		return 0;
	case ST_STAG:
		return stag(g, c, e);
	case ST_ETAG:
		if (c == '>') {
			g->state = ST_TEXT;
			if (g->depth)
				g->depth--;
		}
		return 0;
	}
	return refuse(g, e, "the document was already refused", NULL);
}

int
xmlguard_feed(struct xmlguard *g, const void *p, size_t n, struct lerr *e)
{
	const unsigned char *b = p, *end = b + n, *lt;
	int rc;

	if (g->state < 0)
		return refuse(g, e, "the document was already refused", NULL);
	if (n > g->max_bytes - g->nbytes) {
		lerr_set(e, LERR_TOOLARGE, NULL, "the XML document is larger than %zu bytes",
			 g->max_bytes);
		g->state = -1;
		return e->kind;
	}
	while (b < end) {
		if (g->state == ST_TEXT) {
			/* Character data: jump to the next '<', counting lines and NULs. */
			lt = memchr(b, '<', (size_t)(end - b));
			for (const unsigned char *q = b; q < (lt ? lt : end); q++) {
				if (*q == '\n')
					g->line++;
				else if (*q == '\0')
					return refuse(g, e, "the document holds a NUL byte", NULL);
			}
			g->nbytes += (size_t)((lt ? lt : end) - b);
			if (!lt)
				break;
			b = lt;
		}
		if ((rc = step(g, *b++, e)))
			return rc;
		g->nbytes++;
	}
	return g->state == ST_DECL ? refuse_decl(g, e) : 0;
}

int
xmlguard_check(const void *p, size_t n, size_t max_bytes, struct lerr *e)
{
	struct xmlguard g;

	xmlguard_init(&g, max_bytes);
	return xmlguard_feed(&g, p, n, e);
}

void
xmlguard_io_init(struct xmlguard_io *io, int (*read)(void *ctx, char *out, int max), void *ctx)
{
	memset(io, 0, sizeof(*io));
	io->read = read;
	io->ctx = ctx;
	xmlguard_init(&io->g, SIZE_MAX);
}

int
xmlguard_io_read(void *ctx, char *out, int max)
{
	struct xmlguard_io *io = ctx;
	int n = io->refused ? -1 : io->read(io->ctx, out, max);

	if (n > 0 && xmlguard_feed(&io->g, out, (size_t)n, &io->refusal)) {
		io->refused = 1;
		return -1;
	}
	return n;
}
