/*
 * web.h - the web front end: server-rendered pages in French for officials,
 * agents and administrators, served by liassed next to the API.
 *
 * web/ knows nothing of libmicrohttpd: http/web.c hands it every request
 * that is not for the API (struct web_req) and sends back what it fills in
 * (struct web_reply): a status, headers and either a body or a stream.
 * Pages read and change data through store/ and the signing functions,
 * in the same process.
 */
#ifndef LIASSE_WEB_H
#define LIASSE_WEB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/err.h"

struct arena;
struct store;

#define WEB_MAX_HEADERS 8

struct web_req {
	struct arena *arena;         /* the request's, freed when it completes */
	struct store *store;
	const char *method;
	const char *path;            /* without the query string */
	const char *reqid;
	/* headers and query arguments, from the HTTP layer */
	const char *(*header)(void *io, const char *name);
	const char *(*query)(void *io, const char *name);
	void *io;
	const char *body;            /* the request body (forms), NUL-terminated */
	size_t body_len;
	int body_truncated;          /* the body went beyond what http/ buffers */
	const char *peer;            /* the client's address, for the journal */
	/* sessions: the same as the API's (http/session.c does the checks,
	 * lockout and journal of a login; token and csrf receive the new session) */
	int (*login)(void *io, const char *email, const char *password, const char *totp,
		     char token[48], char csrf[33], struct lerr *e);
	int session_idle_s, session_lifetime_s;
};

struct web_reply {
	unsigned status;
	const char *ctype;
	const char *headers[WEB_MAX_HEADERS][2];
	int nheaders;
	char *body;                  /* malloc'd (freed by the HTTP layer), or static */
	size_t len;
	int body_static;
	/* a streamed body instead (file downloads): read returns bytes, 0 at the
	 * end, -1 on error; release frees cls */
	int64_t stream_size;
	ssize_t (*stream_read)(void *cls, uint64_t pos, char *out, size_t max);
	void (*stream_release)(void *cls);
	void *stream_cls;
};

/* 1 when path belongs to the web front end (everything but /api/, /healthz, /readyz). */
int web_owns(const char *path);
/* Handles one request; always fills r (errors become pages). */
void web_handle(const struct web_req *w, struct web_reply *r);

#endif
