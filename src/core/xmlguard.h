/*
 * xmlguard.h - what an XML document from outside may cost, judged on its
 * bytes before libxml2 sees them.
 *
 * Every entry point that hands outside XML to libxml2 (sign/ sx_parse for
 * signing and /api/v1/verify, the PES scan of POST /api/v1/documents, the
 * Hélios acquits and @ctes returns of transmit/) runs its bytes through this
 * guard first, in one pass, without allocating.  It is a small state machine
 * over the markup (text, tags with quoted values, comments, CDATA sections,
 * processing instructions), not an XML parser: a document it accepts can
 * still be malformed, and libxml2 says so.  What it refuses:
 *
 *   - any "<!" that does not open a comment or a CDATA section, i.e. every
 *     DOCTYPE (with it, entity and attribute-list declarations): no entity
 *     can be declared, so billion laughs and XXE cannot start, and libxml2
 *     never builds a DTD;
 *   - more than XMLGUARD_MAX_ATTRS attributes (namespace declarations
 *     included) in one tag: libxml2's start-tag parser and tree builder are
 *     quadratic in that number (100,000 attributes cost 17 s);
 *   - a tag, processing instruction or declaration longer than
 *     XMLGUARD_MAX_TAG bytes, elements nested deeper than XMLGUARD_MAX_DEPTH;
 *   - a document larger than the caller's max_bytes;
 *   - bytes libxml2 would not read as ASCII-compatible: a NUL byte, a UTF-16
 *     or UTF-32 byte order mark, a first significant byte that is not '<'
 *     (EBCDIC), or an XML declaration naming another encoding than UTF-8,
 *     ISO-8859-1/-15, windows-1252 or US-ASCII (UTF-7 or EBCDIC would hide
 *     a "<!DOCTYPE" from a scan of the bytes).
 *
 * Refusals are LERR_INVALID (LERR_TOOLARGE for the size), with the line.
 * The guard is pure C so that core/ keeps no libxml2 dependency: every
 * module that parses XML links core/.
 */
#ifndef LIASSE_CORE_XMLGUARD_H
#define LIASSE_CORE_XMLGUARD_H

#include <stddef.h>

#include "core/err.h"

#define XMLGUARD_MAX_ATTRS 256
#define XMLGUARD_MAX_DEPTH 256
#define XMLGUARD_MAX_TAG (1024 * 1024)

struct xmlguard {
	size_t max_bytes, nbytes, taglen;
	unsigned long line, tagline;   /* the current line, that of the last '<' */
	unsigned attrs, depth;
	int state, sub;          /* scanner state and its small counter */
	unsigned char quote;     /* the quote that opened the current value */
	unsigned char slash;     /* the last byte of a start tag was '/' */
	unsigned char started;   /* the first significant byte has been seen */
	unsigned char in_decl;   /* the PI being read is the XML declaration */
	char mark[100];          /* the first bytes after "<!" */
	char decl[256];          /* the XML declaration, if any */
	size_t decllen;
};

void xmlguard_init(struct xmlguard *g, size_t max_bytes);
/* Feed the next n bytes; 0 or the kind of the refusal (then stop feeding). */
int xmlguard_feed(struct xmlguard *g, const void *p, size_t n, struct lerr *e)
	__attribute__((warn_unused_result));
/* The whole document at once. */
int xmlguard_check(const void *p, size_t n, size_t max_bytes, struct lerr *e)
	__attribute__((warn_unused_result));

/* A stream of outside XML read through the guard: wraps a reader in the
 * shape of libxml2's xmlInputReadCallback, so that every byte is fed to the
 * guard before libxml2 sees it (xmlReaderForIO(xmlguard_io_read, ...)). */
struct xmlguard_io {
	int (*read)(void *ctx, char *out, int max);  /* the wrapped reader */
	void *ctx;
	struct xmlguard g;
	int refused;                                  /* the guard stopped the stream */
	struct lerr refusal;                          /* why */
};
void xmlguard_io_init(struct xmlguard_io *io, int (*read)(void *ctx, char *out, int max), void *ctx);
/* Reads through io->read; -1 when the wrapped reader fails or the guard refuses. */
int xmlguard_io_read(void *io, char *out, int max);

#endif
