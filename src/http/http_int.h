/* http_int.h - private to http/: the request, handlers, replies. */
#ifndef LIASSE_HTTP_INT_H
#define LIASSE_HTTP_INT_H

#include <microhttpd.h>
#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/http.h"
#include "store/store.h"

#define HTTP_MAX_PARAMS 2
#define HTTP_SMALL_BODY (64 * 1024)
/* Seconds a client waits before retrying a 503 (a database restart, a full
 * disk being cleared): short, for most outages are a restart. */
#define HTTP_RETRY_AFTER "5"
/* The most of a body read and dropped so that a client refused with a 503
 * before its body (the database is down) reads the answer (server.c). */
#define HTTP_DISCARD_MAX (16 * 1024 * 1024)

struct http_ingest_out;

struct req {
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct arena *arena;
	const struct http_route *route;
	const char *method, *url;
	char *params[HTTP_MAX_PARAMS];
	struct client client;        /* when route->auth is HTTP_AUTH_CLIENT */
	struct person person;        /* when route->auth is HTTP_AUTH_PERSON */
	uint64_t received;           /* body bytes so far */
	struct buf body;             /* small bodies of non-streaming routes */
	void *state;                 /* the handler's own (upload) */
	void *compat;                /* a drop-in protocol's own (src/http/s2low.c) */
	int replied;                 /* a response is queued */
	unsigned status;             /* its status (0: none yet) */
	int64_t t0;                  /* now_us() at the first byte, for the metrics */
	struct lerr err;             /* a failure waiting to be replied at the end of the body */
	int failed;
	uint64_t discard_max;        /* a failed body is dropped up to this (0: twice max_request) */
	const char *content_range;   /* Content-Range of a 416 answer */
	const char *allow;           /* Allow of a 405 answer */
	int plain_problem;           /* a refusal answered as problem+json even on a compat route */
	char id[20];
	struct http_ingest_out *capture;  /* http_ingest_parts() running: answers are captured */
};

/* A handler: either a whole-request function (body, if any, is buffered up to
 * HTTP_SMALL_BODY), or a streaming upload (begin once, data per chunk, end). */
struct http_handler {
	int (*handle)(struct req *rq);
	int (*begin)(struct req *rq);
	int (*data)(struct req *rq, const char *p, size_t n);
	int (*end)(struct req *rq);
	void (*done)(struct req *rq);  /* completion, success or not: release resources */
	/* A drop-in protocol's own form of a refusal (S2LOW's "KO\n..."), used by
	 * http_reply_problem*() instead of problem+json; NULL: problem+json. */
	int (*problem)(struct req *rq, unsigned status, const struct lerr *e);
	/* The most of a whole-request body, when more than HTTP_SMALL_BODY (an
	 * organisation's logo); NULL: HTTP_SMALL_BODY. */
	size_t (*max_body)(struct req *rq);
};

struct store *http_store(struct req *rq);
const struct http_opts *http_opts_of(struct req *rq);

/* Replies (each returns 0 so handlers can "return http_reply_...(...)"). */
int http_reply_json(struct req *rq, unsigned status, json_t *body);   /* steals body */
int http_reply_text(struct req *rq, unsigned status, const char *ctype, const char *text, size_t n);
int http_reply_raw(struct req *rq, unsigned status, const char *ctype, char *text, size_t n); /* takes malloc'd text */
int http_reply_problem(struct req *rq, const struct lerr *e);
int http_reply_problem_status(struct req *rq, unsigned status, const struct lerr *e);
int http_reply_response(struct req *rq, unsigned status, struct MHD_Response *resp);
/* The problem+json object of e (title, detail, field, hint) with status. */
json_t *http_problem_json(unsigned status, const struct lerr *e);
/* A query parameter refused: LERR_MALFORMED on field name, with why and hint. */
int http_bad_query(struct lerr *e, const char *name, const char *why, const char *hint);
/* Failure in the middle of a body: remembered, replied when the body ends. */
int http_fail(struct req *rq, const struct lerr *e);

/* multipart/form-data: open (replies 415/400 and returns NULL when the
 * request is not one), feed body bytes, close (fails the request when the
 * body was cut short). */
struct MHD_PostProcessor *http_multipart_open(struct req *rq, MHD_PostDataIterator cb, const char *hint);
int http_multipart_feed(struct req *rq, struct MHD_PostProcessor *pp, const char *p, size_t n);
int http_multipart_close(struct req *rq, struct MHD_PostProcessor **pp);

const char *http_header(struct req *rq, const char *name);

/* POST /api/v1/documents from parts in memory, for the compatibility entry
 * points (http/ipar.c): the same checks at the door, the same creation, with
 * the request's client as the actor.  Nothing is replied: what the upload
 * would have answered is in out (status 201/200 with the document's id and
 * JSON body, malloc'd; or the problem's status and lerr).  Returns 0 for
 * 201/200, else the lerr kind. */
struct http_ingest_file {
	const char *key;             /* "file" (first) or "annexe" */
	const char *name, *ctype;
	const void *data;
	size_t len;
};
struct http_ingest_out {
	unsigned status;
	char id[37];
	char *body;                  /* free() */
	struct lerr err;
};
int http_ingest_parts(struct req *rq, json_t *meta, const struct http_ingest_file *files, int nfiles,
		      const char *key, struct http_ingest_out *out) LERR_WUR;

#define HTTP_SESSION_COOKIE "liasse_session"
/* 1 if token is the CSRF token of the request's session (constant time). */
int http_csrf_ok(struct req *rq, const char *token);
/* Runs fn with a pooled connection; fn replies on success, and its error
 * (a non-zero lerr kind) is replied as a problem. */
int http_with_conn(struct req *rq, int (*fn)(struct req *rq, struct store_conn *c, struct lerr *e));
/* 200/201... with malloc'd JSON text (taken). */
int http_reply_json_text(struct req *rq, unsigned status, char *json);
/* "person:<email>" or "client:<name>": who acts, for the journal. */
const char *http_actor(struct req *rq);
/* The small JSON body of a request as an object, or a 400/422 reply sent and NULL. */
json_t *http_json_body(struct req *rq);
const char *http_query(struct req *rq, const char *name);

/* Logging in (session.c), shared by the API and the web pages. */
struct http_login {
	long long person_id;
	char token[48];              /* "lss_" + 43 base64url */
	char csrf[33];
};
int http_login(struct req *rq, const char *email, const char *password, const char *totp,
	       struct http_login *out, struct lerr *e) LERR_WUR;
/* 201 with the session cookie set and body (stolen). */
int http_reply_session(struct req *rq, const struct http_login *lg, json_t *body);
/* The peer's address as text ("" when unknown). */
const char *http_client_address(struct req *rq);

/*
 * A drop-in protocol's post of a document (S2LOW's actes_transac_create.php,
 * helios_importer_fichier.php) through the same door as POST
 * /api/v1/documents (upload.c): its form fields make the metadata, its file
 * parts are the document's files, its refusals go through the handler's
 * problem(), its answer through reply().
 */
struct http_ingest {
	const char *kind;            /* the documents' kind */
	/* At the first file part (or the end of a form without one): the
	 * organisation's SIREN, kept by the protocol for the request. */
	int (*prepare)(struct req *rq, const char **siren, struct lerr *e);
	/* A form field's bytes; first: the start of a new value. */
	int (*field)(struct req *rq, const char *key, const char *data, size_t n, int first);
	/* The role of a file part: "file", "annexe", or "" / NULL to ignore it. */
	const char *(*file_role)(struct req *rq, const char *key, const char *filename);
	/* The metadata (as POST /api/v1/documents takes it), at the end of the
	 * form; NULL and e set to refuse. */
	json_t *(*metadata)(struct req *rq, struct lerr *e);
	/* In the document's transaction, once it is created (may be NULL). */
	int (*created)(struct req *rq, struct store_conn *c, const char *doc_id, struct lerr *e);
	/* The answer once the document is created (201) or replayed (200). */
	int (*reply)(struct req *rq, int status, const char *doc_id);
};
int http_upload_begin(struct req *rq, const struct http_ingest *in);
int http_upload_data(struct req *rq, const char *p, size_t n);
int http_upload_end(struct req *rq);
void http_upload_done(struct req *rq);

/* TLS client certificates passed by the reverse proxy (clientcert.c). */
#define HTTP_CERT_HEADER "X-SSL-Client-Cert"
#define HTTP_VERIFY_HEADER "X-SSL-Client-Verify"
struct x509id;
/* *present: the request carries HTTP_CERT_HEADER; then id is the proxy's
 * verified certificate.  Fails (rq->err set, logged) when the header comes
 * from outside trusted_proxies or the proxy did not verify it. */
int http_client_cert(struct req *rq, struct x509id *id, int *present) LERR_WUR;
/* On any route: 1 (rq->err set, logged) when the request carries
 * HTTP_CERT_HEADER from outside trusted_proxies. */
int http_cert_header_refused(struct req *rq);
/* Serves a stored file of a document (files.c), ranges included. */
struct doc_file;
int http_serve_file(struct req *rq, const struct doc_file *f);

/* The web pages (web.c): every path outside the API goes there. */
extern const struct http_route http_web_route;

/* Handlers. */
extern const struct http_handler http_h_health, http_h_ready, http_h_openapi;
extern const struct http_handler http_h_doc_post, http_h_doc_get, http_h_doc_list,
	http_h_doc_file, http_h_doc_cancel, http_h_doc_publication, http_h_verify, http_h_org_returns, http_h_org_return_file;
extern const struct http_handler http_h_session_post, http_h_session_delete, http_h_me,
	http_h_queue, http_h_queue_doc, http_h_queue_reject, http_h_delegations,
	http_h_delegation_post, http_h_delegation_delete, http_h_admin_people,
	http_h_admin_person_post, http_h_admin_role_post, http_h_admin_routing,
	http_h_admin_routing_post, http_h_admin_routing_delete, http_h_queue_visa, http_h_queue_remord, http_h_admin_circuits,
	http_h_admin_circuit_post, http_h_admin_circuit_put, http_h_admin_circuit_delete,
	http_h_admin_orgs, http_h_admin_org_post, http_h_admin_org_put, http_h_admin_org_logo,
	http_h_admin_org_logo_put, http_h_admin_org_logo_delete;

/* ipar.c: the i-Parapheur web services (doc/compat.md). */
extern const struct http_handler http_h_ipar, http_h_ipar_wsdl;

/* sign.c (custody): signing from the queue, certificates. */
extern const struct http_handler http_h_queue_sign, http_h_me_certificate, http_h_me_enrol,
	http_h_admin_certs, http_h_admin_cert_post, http_h_admin_cert_unlock,
	http_h_admin_cert_revoke;

#endif
