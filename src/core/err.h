/*
 * err.h - error reports in PostgreSQL's style.
 *
 * A function that can fail returns 0 or a non-zero enum lerr_kind and fills a
 * struct lerr: a short factual message, the facts (detail), what to do (hint)
 * and, for input errors, the name of the offending field.  The kind is all a
 * caller needs to branch on; lerr_http_status() maps it to the HTTP status
 * that the API and the web pages alike answer with.
 */
#ifndef LIASSE_CORE_ERR_H
#define LIASSE_CORE_ERR_H

#include <stdarg.h>

enum lerr_kind {
	LERR_OK = 0,
	LERR_INVALID,      /* a field's value is wrong: 422 */
	LERR_AUTH,         /* who are you?: 401 */
	LERR_FORBIDDEN,    /* not yours: 403 */
	LERR_NOTFOUND,     /* no such thing (or not visible to you): 404 */
	LERR_CONFLICT,     /* state or idempotency conflict: 409 */
	LERR_TOOLARGE,     /* size limit: 413 */
	LERR_MEDIATYPE,    /* wrong content type: 415 */
	LERR_RANGE,        /* unsatisfiable range: 416 */
	LERR_UNAVAILABLE,  /* a dependency is down: 503 */
	LERR_INTERNAL,     /* a bug or an unexpected library failure: 500 */
	LERR_MALFORMED,    /* the request itself cannot be read: 400 */
	LERR_GONE,         /* existed, purged after its retention period: 410 */
};

struct lerr {
	enum lerr_kind kind;
	char field[64];     /* e.g. "metadata.acte.numero_interne"; empty if none */
	char msg[256];
	char detail[768];
	char hint[384];
	char sqlstate[6];   /* filled by store/ when the failure came from SQL */
	int detail_private; /* detail names server internals (paths, a socket): for the
			     * log and the command line, never sent to an API client */
};

#define LERR_WUR __attribute__((warn_unused_result))
#define LERR_PRINTF(a, b) __attribute__((format(printf, a, b)))

void lerr_clear(struct lerr *e);
/* Set kind, field (may be NULL) and message; returns kind so that
 * "return lerr_set(...)" reads naturally. Clears detail and hint. */
int lerr_set(struct lerr *e, enum lerr_kind kind, const char *field,
	     const char *fmt, ...) LERR_PRINTF(4, 5);
void lerr_detail(struct lerr *e, const char *fmt, ...) LERR_PRINTF(2, 3);
void lerr_hint(struct lerr *e, const char *fmt, ...) LERR_PRINTF(2, 3);
const char *lerr_kind_name(enum lerr_kind kind);
/* The one map from error kinds to HTTP statuses (LERR_OK: 200). */
unsigned lerr_http_status(enum lerr_kind kind);
/* One line for a terminal: "msg: detail (hint)". */
void lerr_oneline(const struct lerr *e, char *out, unsigned long outsz);

#endif
