/*
 * http.h - the HTTP server (libmicrohttpd): routing, authentication,
 * request parsing, JSON and problem+json replies.  Handlers validate, store
 * and enqueue; they never wait on a remote platform.
 */
#ifndef LIASSE_HTTP_H
#define LIASSE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct store;
struct http_server;

struct http_opts {
	const char *address;
	int port;                    /* 0: any free port */
	int max_connections;
	int max_per_address;         /* connections from one address (0: no limit) */
	int timeout_s;               /* idle connection */
	int header_timeout_s;        /* request line and headers, from the connection or the last reply (0: none) */
	int body_timeout_s;          /* each HTTP_BODY_PART bytes of a body (0: none) */
	size_t header_limit;
	uint64_t max_request;
	const char *openapi;         /* the OpenAPI document served (kept by the caller) */
	size_t openapi_len;
	struct store *store;
	int session_idle_s;          /* a session unused this long expires */
	int session_lifetime_s;      /* and every session after this long */
	const char *trusted_proxies; /* addresses/CIDRs whose client-certificate header is believed */
};

/* The body deadline is per part of this size: a large upload from a client
 * that keeps sending is never cut, a body that stalls is. */
#define HTTP_BODY_PART (64 * 1024)

int http_start(const struct http_opts *o, struct http_server **out, struct lerr *e) LERR_WUR;
int http_port(const struct http_server *h);
/* Stop accepting new connections; requests in flight go on. */
void http_quiesce(struct http_server *h);
/* Requests between their first byte and their completion. */
int http_in_flight(const struct http_server *h);
void http_stop(struct http_server *h);
/* GET /metrics (Prometheus) on its own daemon at listen, "ADDRESS:PORT"
 * (src/http/metrics.c, doc/metrics.md); never on the API port. */
struct http_metrics;
int http_metrics_check(const char *listen, struct lerr *e) LERR_WUR;
int http_metrics_start(const char *listen, struct store *s, struct http_metrics **out,
		       struct lerr *e) LERR_WUR;
int http_metrics_port(const struct http_metrics *m);
void http_metrics_stop(struct http_metrics *m);
/* At shutdown: the long polls of GET /api/v1/events answer now (src/http/events.c). */
void http_events_stop(void);

/* trusted_proxies: addresses or CIDR blocks, spaces or commas between. */
int http_proxies_check(const char *list, struct lerr *e) LERR_WUR;

enum http_auth {
	HTTP_AUTH_NONE = 0,
	HTTP_AUTH_CLIENT = 1,        /* a vendor's API key: rq->client */
	HTTP_AUTH_PERSON = 2,        /* a person's session (token or cookie + CSRF): rq->person */
};

/* The route table, exported for the test that compares it with the OpenAPI document. */
struct http_route {
	const char *method;
	const char *pattern;         /* "/api/v1/documents/{id}" */
	int auth;                    /* enum http_auth */
	const struct http_handler *handler;
};
extern const struct http_route http_routes[];
extern const size_t http_nroutes;
/* The drop-in protocols' paths (S2LOW: src/http/s2low.c), documented in
 * doc/compat.md and only listed under "x-compat" in the OpenAPI document. */
extern const struct http_route http_compat_routes[];
extern const size_t http_ncompat_routes;

#endif
