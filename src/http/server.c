/*
 * server.c - the libmicrohttpd daemon, routing and the request lifecycle.
 *
 * One thread per connection: handlers may block on PostgreSQL while a large
 * upload streams in, without stalling other clients.  Slow clients are kept
 * from holding those threads by a per-address connection limit and by
 * deadlines (see "Slow clients" below).  A request owns an arena
 * freed in the completion callback; a request that fails in the middle of its
 * body keeps reading (and discarding) the rest, then answers problem+json,
 * because libmicrohttpd queues responses only before or after the body.
 */
#include "http/http_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"
#include "core/x509id.h"
#include "web/web.h"

struct watch;

struct http_server {
	struct MHD_Daemon *d;
	struct http_opts o;
	int port;
	atomic_int in_flight;
	atomic_ulong next_id;
	/* the connections and their deadlines, checked by the reaper thread */
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	struct watch *watches;
	pthread_t reaper;
	int reaper_on, stopping;
};

/* The change feed and webhooks (events.c). */
extern const struct http_handler http_h_events, http_h_webhook_post, http_h_webhook_list,
	http_h_webhook_delete, http_h_webhook_deliveries;
/* The prefecture's letters about an act and the answers (letters.c). */
extern const struct http_handler http_h_letters, http_h_letter, http_h_letter_answer;
/* An organisation's @ctes classification (classification.c). */
extern const struct http_handler http_h_org_classification, http_h_org_classification_request;
/* E-mail notifications: one's preference, the failed ones (notice.c). */
extern const struct http_handler http_h_me_notifications, http_h_me_notifications_put,
	http_h_admin_notifications, http_h_admin_notification_resend;

const struct http_route http_routes[] = {
	{ "GET", "/healthz", 0, &http_h_health },
	{ "GET", "/readyz", 0, &http_h_ready },
	/* i-Parapheur web services (doc/compat.md): the WSDL is public, the calls
	 * authenticate the vendor's client (HTTP Basic, as SoapClient sends it). */
	{ "GET", "/ws-iparapheur", HTTP_AUTH_NONE, &http_h_ipar_wsdl },
	{ "POST", "/ws-iparapheur", HTTP_AUTH_CLIENT, &http_h_ipar },
	{ "POST", "/ws-iparapheur-no-mtom", HTTP_AUTH_CLIENT, &http_h_ipar },
	{ "GET", "/api/v1/openapi.json", 0, &http_h_openapi },
	{ "POST", "/api/v1/documents", 1, &http_h_doc_post },
	{ "GET", "/api/v1/documents", 1, &http_h_doc_list },
	{ "GET", "/api/v1/documents/{id}", 1, &http_h_doc_get },
	{ "GET", "/api/v1/documents/{id}/files/{n}", 1, &http_h_doc_file },
	{ "POST", "/api/v1/documents/{id}/cancel", 1, &http_h_doc_cancel },
	{ "PUT", "/api/v1/documents/{id}/publication", 1, &http_h_doc_publication },
	{ "GET", "/api/v1/documents/{id}/letters", 1, &http_h_letters },
	{ "GET", "/api/v1/documents/{id}/letters/{lid}", 1, &http_h_letter },
	{ "POST", "/api/v1/documents/{id}/letters/{lid}/answer", 1, &http_h_letter_answer },
	{ "GET", "/api/v1/organisations/{siren}/classification", 1, &http_h_org_classification },
	{ "POST", "/api/v1/organisations/{siren}/classification/request", 1, &http_h_org_classification_request },
	{ "POST", "/api/v1/verify", 1, &http_h_verify },
	{ "GET", "/api/v1/organisations/{siren}/returns", 1, &http_h_org_returns },
	{ "GET", "/api/v1/organisations/{siren}/returns/{id}", 1, &http_h_org_return_file },
	{ "GET", "/api/v1/events", 1, &http_h_events },
	{ "GET", "/api/v1/webhooks", 1, &http_h_webhook_list },
	{ "POST", "/api/v1/webhooks", 1, &http_h_webhook_post },
	{ "DELETE", "/api/v1/webhooks/{id}", 1, &http_h_webhook_delete },
	{ "GET", "/api/v1/webhooks/{id}/deliveries", 1, &http_h_webhook_deliveries },
	{ "POST", "/api/v1/session", HTTP_AUTH_NONE, &http_h_session_post },
	{ "DELETE", "/api/v1/session", HTTP_AUTH_PERSON, &http_h_session_delete },
	{ "GET", "/api/v1/me", HTTP_AUTH_PERSON, &http_h_me },
	{ "GET", "/api/v1/me/delegations", HTTP_AUTH_PERSON, &http_h_delegations },
	{ "POST", "/api/v1/me/delegations", HTTP_AUTH_PERSON, &http_h_delegation_post },
	{ "DELETE", "/api/v1/me/delegations/{id}", HTTP_AUTH_PERSON, &http_h_delegation_delete },
	{ "GET", "/api/v1/me/notifications", HTTP_AUTH_PERSON, &http_h_me_notifications },
	{ "PUT", "/api/v1/me/notifications", HTTP_AUTH_PERSON, &http_h_me_notifications_put },
	{ "GET", "/api/v1/admin/notifications", HTTP_AUTH_PERSON, &http_h_admin_notifications },
	{ "POST", "/api/v1/admin/notifications/{id}/resend", HTTP_AUTH_PERSON, &http_h_admin_notification_resend },
	{ "GET", "/api/v1/queue", HTTP_AUTH_PERSON, &http_h_queue },
	{ "GET", "/api/v1/queue/{id}", HTTP_AUTH_PERSON, &http_h_queue_doc },
	{ "GET", "/api/v1/queue/{id}/files/{n}", HTTP_AUTH_PERSON, &http_h_doc_file },
	{ "POST", "/api/v1/queue/{id}/reject", HTTP_AUTH_PERSON, &http_h_queue_reject },
	{ "POST", "/api/v1/queue/{id}/visa", HTTP_AUTH_PERSON, &http_h_queue_visa },
	{ "POST", "/api/v1/queue/{id}/remord", HTTP_AUTH_PERSON, &http_h_queue_remord },
	{ "GET", "/api/v1/admin/people", HTTP_AUTH_PERSON, &http_h_admin_people },
	{ "POST", "/api/v1/admin/people", HTTP_AUTH_PERSON, &http_h_admin_person_post },
	{ "POST", "/api/v1/admin/people/{email}/roles", HTTP_AUTH_PERSON, &http_h_admin_role_post },
	{ "GET", "/api/v1/admin/routing", HTTP_AUTH_PERSON, &http_h_admin_routing },
	{ "POST", "/api/v1/admin/routing", HTTP_AUTH_PERSON, &http_h_admin_routing_post },
	{ "DELETE", "/api/v1/admin/routing", HTTP_AUTH_PERSON, &http_h_admin_routing_delete },
	{ "GET", "/api/v1/admin/organisations", HTTP_AUTH_PERSON, &http_h_admin_orgs },
	{ "POST", "/api/v1/admin/organisations", HTTP_AUTH_PERSON, &http_h_admin_org_post },
	{ "PUT", "/api/v1/admin/organisations/{siren}", HTTP_AUTH_PERSON, &http_h_admin_org_put },
	{ "GET", "/api/v1/admin/organisations/{siren}/logo", HTTP_AUTH_PERSON, &http_h_admin_org_logo },
	{ "PUT", "/api/v1/admin/organisations/{siren}/logo", HTTP_AUTH_PERSON, &http_h_admin_org_logo_put },
	{ "DELETE", "/api/v1/admin/organisations/{siren}/logo", HTTP_AUTH_PERSON,
	  &http_h_admin_org_logo_delete },
	{ "GET", "/api/v1/admin/circuits", HTTP_AUTH_PERSON, &http_h_admin_circuits },
	{ "POST", "/api/v1/admin/circuits", HTTP_AUTH_PERSON, &http_h_admin_circuit_post },
	{ "PUT", "/api/v1/admin/circuits/{id}", HTTP_AUTH_PERSON, &http_h_admin_circuit_put },
	{ "DELETE", "/api/v1/admin/circuits/{id}", HTTP_AUTH_PERSON, &http_h_admin_circuit_delete },
	{ "POST", "/api/v1/queue/sign", HTTP_AUTH_PERSON, &http_h_queue_sign },
	{ "GET", "/api/v1/me/certificate", HTTP_AUTH_PERSON, &http_h_me_certificate },
	{ "POST", "/api/v1/me/certificate/enrol", HTTP_AUTH_PERSON, &http_h_me_enrol },
	{ "GET", "/api/v1/admin/certificates", HTTP_AUTH_PERSON, &http_h_admin_certs },
	{ "POST", "/api/v1/admin/certificates", HTTP_AUTH_PERSON, &http_h_admin_cert_post },
	{ "POST", "/api/v1/admin/certificates/{id}/unlock", HTTP_AUTH_PERSON, &http_h_admin_cert_unlock },
	{ "POST", "/api/v1/admin/certificates/{id}/revoke", HTTP_AUTH_PERSON, &http_h_admin_cert_revoke },
};
const size_t http_nroutes = sizeof(http_routes) / sizeof(http_routes[0]);

struct store *
http_store(struct req *rq)
{
	return rq->srv->o.store;
}

const struct http_opts *
http_opts_of(struct req *rq)
{
	return &rq->srv->o;
}

const char *
http_header(struct req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

int
http_with_conn(struct req *rq, int (*fn)(struct req *rq, struct store_conn *c, struct lerr *e))
{
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	rc = store_acquire(http_store(rq), &c, &e);
	if (!rc)
		rc = fn(rq, c, &e);
	store_release(http_store(rq), c);
	return rc ? http_reply_problem(rq, &e) : 0;
}

int
http_reply_json_text(struct req *rq, unsigned status, char *json)
{
	return http_reply_raw(rq, status, "application/json", json, strlen(json));
}

/* A peer's address as text into out[INET6_ADDRSTRLEN] ("" when unknown). */
static void
address_text(const struct sockaddr *sa, char *out)
{
	out[0] = '\0';
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  INET6_ADDRSTRLEN);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
			  INET6_ADDRSTRLEN);
}

const char *
http_client_address(struct req *rq)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char *out = arena_zalloc(rq->arena, INET6_ADDRSTRLEN);

	address_text(ci ? ci->client_addr : NULL, out);
	return out;
}

const char *
http_actor(struct req *rq)
{
	if (rq->route && rq->route->auth == HTTP_AUTH_PERSON)
		return arena_printf(rq->arena, "person:%s", rq->person.email);
	return arena_printf(rq->arena, "client:%s", rq->client.name);
}

json_t *
http_json_body(struct req *rq)
{
	json_error_t jerr;
	json_t *j = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len,
			       JSON_REJECT_DUPLICATES, &jerr);
	struct lerr e;

	if (j && json_is_object(j))
		return j;
	json_decref(j);
	lerr_clear(&e);
	lerr_set(&e, LERR_MALFORMED, NULL, "the body must be a JSON object");
	if (rq->body.len)
		lerr_detail(&e, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
	lerr_hint(&e, "send Content-Type: application/json and a JSON object");
	http_reply_problem(rq, &e);
	return NULL;
}

const char *
http_query(struct req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Matches url against pattern, capturing {params} into the arena. */
static int
match(struct req *rq, const char *pattern, const char *url)
{
	int np = 0;

	while (*pattern && *url) {
		if (*pattern == '{') {
			const char *end = strchr(url, '/');
			size_t n = end ? (size_t)(end - url) : strlen(url);

			if (n == 0 || np == HTTP_MAX_PARAMS)
				return 0;
			rq->params[np++] = arena_strndup(rq->arena, url, n);
			url += n;
			pattern = strchr(pattern, '}') + 1;
		} else if (*pattern++ != *url++) {
			return 0;
		}
	}
	return !*pattern && !*url;
}

/* The route of rq in table t (n entries), or the methods it allows. */
static int
route_in(struct req *rq, const struct http_route *t, size_t n, char **allow)
{
	for (size_t i = 0; i < n; i++) {
		if (!match(rq, t[i].pattern, rq->url))
			continue;
		if (!strcmp(t[i].method, rq->method)) {
			rq->route = &t[i];
			return 1;
		}
		*allow = *allow ? arena_printf(rq->arena, "%s, %s", *allow, t[i].method) :
			arena_strdup(rq->arena, t[i].method);
	}
	return 0;
}

static int
route(struct req *rq)
{
	char *allow = NULL;

	if (route_in(rq, http_routes, http_nroutes, &allow) ||
	    route_in(rq, http_compat_routes, http_ncompat_routes, &allow))
		return 0;
	if (allow) {
		rq->allow = allow;
		lerr_set(&rq->err, LERR_MALFORMED, NULL, "method %s not allowed on %s", rq->method, rq->url);
		lerr_hint(&rq->err, "use %s", allow);
		return 405;
	}
	if (web_owns(rq->url)) {     /* the web pages (src/web/), outside the API's table */
		rq->route = &http_web_route;
		return 0;
	}
	lerr_set(&rq->err, LERR_NOTFOUND, NULL, "no such resource");
	lerr_detail(&rq->err, "%s %s is not part of the API", rq->method, rq->url);
	lerr_hint(&rq->err, "see /api/v1/openapi.json");
	return 404;
}

/* "Basic base64(name:key)", as the vendors' i-Parapheur and S2LOW connectors
 * send their credentials (RFC 7617): the key must be the named client's.
 * Fills name (the user-id) and returns the key, in the request's arena. */
static const char *
basic_credentials(struct req *rq, const char *h, const char **name)
{
	struct buf b;
	const char *key = NULL;
	char *colon;

	buf_init(&b, 1024);
	if (base64_decode(h, strlen(h), &b) == 0 && b.len && !memchr(b.data, '\0', b.len) &&
	    (colon = strchr(b.data, ':')) && colon > b.data && colon[1]) {
		*colon = '\0';
		*name = arena_strdup(rq->arena, b.data);
		key = arena_strdup(rq->arena, colon + 1);
	}
	buf_fini(&b);
	return key;
}

/* The client whose API key the Authorization header carries (Bearer, or
 * Basic with the client's name as user). */
static int
key_client(struct req *rq, const char *h, struct client *out)
{
	const char *name = NULL, *key = NULL;
	struct store_conn *c = NULL;
	uint8_t digest[SHA256_LEN];
	int rc;

	if (h && !strncasecmp(h, "Bearer ", 7) && h[7])
		key = h + 7;
	else if (h && !strncasecmp(h, "Basic ", 6))
		key = basic_credentials(rq, h + 6, &name);
	if (!key) {
		lerr_set(&rq->err, LERR_AUTH, NULL, "missing API key");
		lerr_hint(&rq->err, "send \"Authorization: Bearer <key>\" (or HTTP Basic with the client's "
			  "name and key, or a client certificate through the TLS proxy) with a key from "
			  "\"liasse client add\"");
		return LERR_AUTH;
	}
	sha256_once(key, strlen(key), digest);
	rc = store_acquire(http_store(rq), &c, &rq->err);
	if (!rc)
		rc = store_client_auth(c, digest, out, &rq->err);
	store_release(http_store(rq), c);
	if (!rc && name && strcmp(name, out->name)) {
		memset(out, 0, sizeof(*out));
		rc = lerr_set(&rq->err, LERR_AUTH, NULL, "unknown or revoked API key");
		lerr_hint(&rq->err, "HTTP Basic: the user name is the client's name, the password its key");
	}
	return rc;
}

/* The client a verified certificate is bound to (liasse client cert add);
 * with an Authorization header too (S2LOW's certificate and login), both
 * must name the same client. */
static int
cert_client(struct req *rq, const struct x509id *id, const char *h)
{
	struct store_conn *c = NULL;
	struct client other;
	int rc = store_acquire(http_store(rq), &c, &rq->err);

	if (!rc)
		rc = store_client_cert_auth(c, id->sha256, &rq->client, &rq->err);
	store_release(http_store(rq), c);
	if (rc) {
		log_warn("%s %s refused: certificate %s (%s) is bound to no client", rq->method, rq->url,
			 id->sha256_hex, id->subject);
		return rc;
	}
	if (h && (rc = key_client(rq, h, &other)) == 0 && other.id != rq->client.id) {
		rc = lerr_set(&rq->err, LERR_AUTH, NULL, "the certificate and the API key are two clients'");
		lerr_hint(&rq->err, "send the key of the client the certificate is bound to, or no key");
	}
	if (rc)
		memset(&rq->client, 0, sizeof(rq->client));
	return rc;
}

/* A vendor client: its verified TLS certificate (from a trusted proxy), else
 * its API key (Bearer, or HTTP Basic as the i-Parapheur and S2LOW
 * connectors send it). */
static int
authenticate_client(struct req *rq, const char *h)
{
	struct x509id id;
	int has_cert = 0;
	int rc = http_client_cert(rq, &id, &has_cert);

	if (!rc)
		rc = has_cert ? cert_client(rq, &id, h) : key_client(rq, h, &rq->client);
	if (!rc)
		log_set_context("req=%s client=%s", rq->id, rq->client.name);
	return rc;
}

/* A person's session: the bearer token, else the session cookie, which then
 * requires the CSRF token on anything but a read. */
static int
authenticate_person(struct req *rq, const char *bearer)
{
	const char *cookie = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, HTTP_SESSION_COOKIE);
	const char *token = bearer ? bearer : cookie;
	struct store_conn *c = NULL;
	uint8_t digest[SHA256_LEN];
	int rc;

	if (!token) {
		lerr_set(&rq->err, LERR_AUTH, NULL, "not logged in");
		lerr_hint(&rq->err, "log in with POST /api/v1/session, then send \"Authorization: Bearer "
			  "<token>\" or the session cookie");
		return LERR_AUTH;
	}
	sha256_once(token, strlen(token), digest);
	rc = store_acquire(http_store(rq), &c, &rq->err);
	if (!rc)
		rc = store_session_auth(c, digest, rq->srv->o.session_idle_s, &rq->person, &rq->err);
	store_release(http_store(rq), c);
	if (rc)
		return rc;
	rq->person.by_cookie = !bearer;
	if (!bearer && strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD") &&
	    !http_csrf_ok(rq, http_header(rq, "X-CSRF-Token"))) {
		lerr_set(&rq->err, LERR_FORBIDDEN, "X-CSRF-Token", "missing or wrong CSRF token");
		lerr_hint(&rq->err, "send the csrf value given at login in the X-CSRF-Token header");
		return LERR_FORBIDDEN;
	}
	log_set_context("req=%s person=%s", rq->id, rq->person.email);
	return 0;
}

static int
authenticate(struct req *rq)
{
	const char *h = http_header(rq, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *bearer = h && !strncasecmp(h, "Bearer ", 7) && h[7] ? h + 7 : NULL;

	if (rq->route->auth == HTTP_AUTH_PERSON)
		return authenticate_person(rq, bearer);
	return authenticate_client(rq, h);
}

int
http_csrf_ok(struct req *rq, const char *token)
{
	size_t n = strlen(rq->person.csrf);

	return token && n && strlen(token) == n && !CRYPTO_memcmp(token, rq->person.csrf, n);
}

static struct req *
req_create(struct http_server *srv, struct MHD_Connection *conn, const char *url,
	   const char *method)
{
	struct arena *a = arena_create();
	struct req *rq = arena_zalloc(a, sizeof(*rq));

	rq->arena = a;
	rq->srv = srv;
	rq->conn = conn;
	rq->url = arena_strdup(a, url);
	rq->method = arena_strdup(a, method);
	snprintf(rq->id, sizeof(rq->id), "%lx", (unsigned long)atomic_fetch_add(&srv->next_id, 1));
	buf_init(&rq->body, HTTP_SMALL_BODY);
	rq->t0 = now_us();
	atomic_fetch_add(&srv->in_flight, 1);
	return rq;
}

/*
 * Request smuggling (issue 16): behind a proxy, a request whose body length
 * two parties can read differently lets a second request hide in the body.
 * libmicrohttpd 0.9.75 takes the first of two Content-Length headers, and
 * Transfer-Encoding over Content-Length, without complaint; such requests
 * are refused here, before anything else, and libmicrohttpd closes the
 * connection of a request answered before its body was read.
 */
struct framing {
	int ncl, nte;
	const char *cl, *te;
};

static enum MHD_Result
framing_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
		f->ncl++, f->cl = value;
	else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		f->nte++, f->te = value;
	return MHD_YES;
}

static int
framing_refused(struct req *rq)
{
	struct framing f = { 0 };
	char why[160];

	MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, framing_header, &f);
	if (f.ncl > 1)
		snprintf(why, sizeof(why), "the request has %d Content-Length headers", f.ncl);
	else if (f.ncl && f.nte)
		snprintf(why, sizeof(why), "the request has both Transfer-Encoding and Content-Length");
	else if (f.nte > 1)
		snprintf(why, sizeof(why), "the request has %d Transfer-Encoding headers", f.nte);
	else if (f.cl && (!f.cl[0] || strspn(f.cl, "0123456789") != strlen(f.cl)))
		snprintf(why, sizeof(why), "Content-Length \"%.40s\" is not a decimal number", f.cl);
	else if (f.te && strcasecmp(f.te, "chunked"))
		snprintf(why, sizeof(why), "Transfer-Encoding \"%.40s\" is not \"chunked\"", f.te);
	else
		return 0;
	lerr_set(&rq->err, LERR_MALFORMED, NULL, "ambiguous request length");
	lerr_detail(&rq->err, "%s", why);
	lerr_hint(&rq->err, "send one Content-Length, or Transfer-Encoding: chunked alone");
	log_warn("%s %s refused: %s", rq->method, rq->url, why);
	return 1;
}

/*
 * A refusal before the body.  libmicrohttpd then closes the connection
 * without reading the body, and a client still sending it sees a broken pipe
 * (EPIPE, ECONNRESET) rather than the answer.  That is fine for a stranger
 * (401) but not for a client turned away because the database is down
 * (503): it must read that it may retry.  Its body, up to HTTP_DISCARD_MAX,
 * is read and dropped and the problem answered after it.  A client that sent
 * "Expect: 100-continue" waits for the answer and sends no body: it gets it
 * at once, as does a body larger than the bound (it may see a broken pipe).
 */
static int
refuse_before_body(struct req *rq)
{
	const char *cl = http_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = http_header(rq, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	const char *expect = http_header(rq, MHD_HTTP_HEADER_EXPECT);
	unsigned long long n = cl ? strtoull(cl, NULL, 10) : 0;

	if (rq->err.kind != LERR_UNAVAILABLE || (!te && !n) || n > HTTP_DISCARD_MAX ||
	    (expect && !strcasecmp(expect, "100-continue")))
		return http_reply_problem(rq, &rq->err);
	rq->failed = 1;
	rq->discard_max = HTTP_DISCARD_MAX;
	log_info("%s %s refused: %s; the body is read and dropped first", rq->method, rq->url,
		 rq->err.msg);
	return 0;
}

/* The first call: headers are in, no body yet. */
static int
first_call(struct req *rq)
{
	const char *cl = http_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
	int status;

	if (framing_refused(rq))
		return http_reply_problem(rq, &rq->err);
	if ((status = route(rq)))
		return http_reply_problem_status(rq, (unsigned)status, &rq->err);
	if (cl && strtoull(cl, NULL, 10) > rq->srv->o.max_request) {
		lerr_set(&rq->err, LERR_TOOLARGE, NULL, "request body too large");
		lerr_detail(&rq->err, "Content-Length is %s bytes; the limit is %llu", cl,
			    (unsigned long long)rq->srv->o.max_request);
		lerr_hint(&rq->err, "split the document or ask the operator to raise max_request_size");
		return http_reply_problem(rq, &rq->err);
	}
	if (http_cert_header_refused(rq))     /* on every route, not only the clients' */
		return http_reply_problem(rq, &rq->err);
	if (rq->route->auth && authenticate(rq))
		return refuse_before_body(rq);
	if (rq->route->handler->max_body)     /* a route taking more than a small body */
		rq->body.max = rq->route->handler->max_body(rq);
	if (rq->route->handler->begin)
		return rq->route->handler->begin(rq);
	return 0;
}

static int
body_chunk(struct req *rq, const char *p, size_t n)
{
	const struct http_handler *h = rq->route->handler;

	rq->received += n;
	if (rq->failed)
		return 0;
	if (rq->received > rq->srv->o.max_request) {
		lerr_set(&rq->err, LERR_TOOLARGE, NULL, "request body too large");
		lerr_detail(&rq->err, "the limit is %llu bytes", (unsigned long long)rq->srv->o.max_request);
		return http_fail(rq, &rq->err);
	}
	if (h->data)
		return h->data(rq, p, n);
	if (buf_add(&rq->body, p, n)) {
		lerr_set(&rq->err, LERR_TOOLARGE, NULL, "request body too large");
		lerr_detail(&rq->err, "this endpoint takes at most %zu bytes", rq->body.max);
		return http_fail(rq, &rq->err);
	}
	return 0;
}

static int
last_call(struct req *rq)
{
	const struct http_handler *h = rq->route->handler;

	if (!rq->failed && h->end)
		h->end(rq);
	else if (!rq->failed && h->handle)
		h->handle(rq);
	if (!rq->replied) {
		if (!rq->failed)
			lerr_set(&rq->err, LERR_INTERNAL, NULL, "the request got no answer");
		http_reply_problem(rq, &rq->err);
	}
	return 0;
}

/*
 * Slow clients (issue 16).  libmicrohttpd's connection_timeout is an idle
 * timeout: a client that sends a header line every few seconds, or a body
 * shorter than its Content-Length a few bytes at a time, would keep its
 * thread and its connection slot for ever.  Each connection is watched from
 * its accept to its close (MHD_OPTION_NOTIFY_CONNECTION) with a deadline for
 * what the server waits for from the client:
 *   - the request line and headers, within header_timeout of the accept or
 *     of the previous answer (which also bounds an idle keep-alive);
 *   - the body, each HTTP_BODY_PART bytes within body_timeout, so that a
 *     large upload at a sane rate is never cut but a stalled body is;
 *   - nothing while a handler works or an answer is sent (the idle timeout
 *     covers a client that does not read).
 * A reaper thread shuts down the socket of a connection past its deadline:
 * shutdown(2), not close, for the descriptor stays libmicrohttpd's.  The
 * connection's thread then reads the end of the stream and closes it; a
 * request in progress ends as a client abort (an upload rolls back).  A
 * watch leaves the list under wlock in the CLOSED notification, which
 * libmicrohttpd sends before it closes the descriptor: the reaper never
 * shuts down a descriptor already reused.  With MHD_OPTION_PER_IP_CONNECTION_LIMIT
 * one address cannot take every slot.
 */
enum wait_for { WAIT_NOTHING, WAIT_HEADERS, WAIT_BODY };

#define REAP_TICK_MS 250

struct watch {
	struct watch *prev, *next;
	MHD_socket fd;
	atomic_llong deadline_us;    /* monotonic; 0: none */
	atomic_int waiting;          /* enum wait_for */
	uint64_t part_end;           /* body bytes ending the current part (connection's thread) */
	atomic_int answered;         /* requests completed on the connection */
	int cut;                     /* shut down (under wlock) */
	char addr[INET6_ADDRSTRLEN];
};

static int
wait_secs(const struct http_server *srv, int what)
{
	return what == WAIT_HEADERS ? srv->o.header_timeout_s :
		what == WAIT_BODY ? srv->o.body_timeout_s : 0;
}

/* From now on the connection waits for what, from from_us. */
static void
watch_await(struct http_server *srv, struct watch *w, enum wait_for what, int64_t from_us)
{
	int secs = wait_secs(srv, what);

	if (!w)
		return;
	atomic_store(&w->waiting, what);
	atomic_store(&w->deadline_us, secs > 0 ? from_us + (int64_t)secs * 1000000 : 0);
}

static struct watch *
watch_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* After a chunk of body: a new part has begun, a new deadline; else the same
 * one, pushed back by the time the server itself spent on the chunk. */
static void
watch_body(struct http_server *srv, struct watch *w, uint64_t received, int64_t t0,
	   long long before)
{
	int64_t now = now_us();

	if (!w)
		return;
	if (received >= w->part_end) {
		w->part_end = (received / HTTP_BODY_PART + 1) * HTTP_BODY_PART;
		watch_await(srv, w, WAIT_BODY, now);
		return;
	}
	atomic_store(&w->waiting, WAIT_BODY);
	atomic_store(&w->deadline_us, before ? before + (now - t0) : 0);
}

static void
connection_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
	      enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	struct watch *w = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ad =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		if (!fd || !(w = calloc(1, sizeof(*w))))
			return;     /* unwatched: the idle timeout still applies */
		w->fd = fd->connect_fd;
		address_text(ad ? ad->client_addr : NULL, w->addr);
		watch_await(srv, w, WAIT_HEADERS, now_us());
		pthread_mutex_lock(&srv->wlock);
		w->next = srv->watches;
		if (w->next)
			w->next->prev = w;
		srv->watches = w;
		pthread_mutex_unlock(&srv->wlock);
		*socket_context = w;
		return;
	}
	if (!w)
		return;
	pthread_mutex_lock(&srv->wlock);
	if (w->prev)
		w->prev->next = w->next;
	else
		srv->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&srv->wlock);
	free(w);
	*socket_context = NULL;
}

/* Shuts down the connections past their deadline (under wlock). */
static void
reap(struct http_server *srv, int64_t now)
{
	for (struct watch *w = srv->watches; w; w = w->next) {
		long long d = atomic_load(&w->deadline_us);
		int what = atomic_load(&w->waiting);

		if (!d || now < d || w->cut)
			continue;
		w->cut = 1;
		shutdown(w->fd, SHUT_RDWR);
		if (what == WAIT_HEADERS && atomic_load(&w->answered))   /* most likely idle */
			log_debug("closed a kept-alive connection from %s: no new request within %d s",
				  w->addr, wait_secs(srv, what));
		else
			log_info("closed a connection from %s: %s not received within %d s", w->addr,
				 what == WAIT_BODY ? "the next 64 KiB of the body" : "the request headers",
				 wait_secs(srv, what));
	}
}

static void *
reaper_main(void *arg)
{
	struct http_server *srv = arg;
	struct timespec ts;

	pthread_mutex_lock(&srv->wlock);
	while (!srv->stopping) {
		reap(srv, now_us());
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += REAP_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&srv->wcond, &srv->wlock, &ts);
	}
	pthread_mutex_unlock(&srv->wlock);
	return NULL;
}

static int
reaper_start(struct http_server *srv)
{
	pthread_condattr_t ca;
	int rc;

	pthread_mutex_init(&srv->wlock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&srv->wcond, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&srv->reaper, NULL, reaper_main, srv);
	srv->reaper_on = !rc;
	return rc;
}

static void
reaper_stop(struct http_server *srv)
{
	if (srv->reaper_on) {
		pthread_mutex_lock(&srv->wlock);
		srv->stopping = 1;
		pthread_cond_signal(&srv->wcond);
		pthread_mutex_unlock(&srv->wlock);
		pthread_join(srv->reaper, NULL);
	}
	pthread_cond_destroy(&srv->wcond);
	pthread_mutex_destroy(&srv->wlock);
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct watch *w = watch_of(conn);
	struct req *rq = *con_cls;
	long long before = w ? atomic_load(&w->deadline_us) : 0;
	int64_t t0 = now_us();

	(void)version;
	watch_await(srv, w, WAIT_NOTHING, 0);    /* the server's turn */
	if (!rq) {
		rq = req_create(srv, conn, url, method);
		*con_cls = rq;
		log_set_context("req=%s", rq->id);
		first_call(rq);
		if (!rq->replied && w) {
			w->part_end = HTTP_BODY_PART;
			watch_await(srv, w, WAIT_BODY, now_us());
		}
		return MHD_YES;
	}
	log_set_context("req=%s%s%s", rq->id, rq->client.id ? " client=" : "", rq->client.name);
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (!rq->replied)      /* else answered before the body: drop the rest */
			body_chunk(rq, upload_data, n);
		else
			rq->received += n;
		watch_body(srv, w, rq->received, t0, before);
		/* libmicrohttpd 0.9 queues no response while a body is coming in:
		 * a refused body is read and dropped so that the client gets its
		 * problem+json at the end, up to twice the limit; beyond that the
		 * connection is closed (the refusal is in the log). */
		if (rq->failed && rq->received > (rq->discard_max ? rq->discard_max :
						  2 * rq->srv->o.max_request))
			return MHD_NO;
		return MHD_YES;
	}
	if (!rq->replied)
		last_call(rq);
	return MHD_YES;
}

/* The request's counters: its route template (never the raw path, whose ids
 * would make a series each), method and status; status "0": no answer sent. */
static void
count_request(const struct req *rq)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS" };
	const char *method = "other", *route;
	char status[12];

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(rq->method, methods[i]))
			method = methods[i];
	route = rq->route == &http_web_route ? "web" : rq->route ? rq->route->pattern : "unmatched";
	snprintf(status, sizeof(status), "%u", rq->status);
	metrics_inc(METRIC_HTTP_REQUESTS, method, route, status);
	metrics_observe(METRIC_HTTP_DURATION, (double)(now_us() - rq->t0) / 1e6, method, route);
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct req *rq = *con_cls;
	struct watch *w = watch_of(conn);

	if (w) {          /* the next request, if any */
		atomic_fetch_add(&w->answered, 1);
		watch_await(srv, w, WAIT_HEADERS, now_us());
	}
	if (!rq)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		log_info("%s %s ended early (code %d): nothing kept", rq->method, rq->url, (int)toe);
	if (rq->route && rq->route->handler->done)
		rq->route->handler->done(rq);
	count_request(rq);
	buf_fini(&rq->body);
	arena_destroy(rq->arena);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->in_flight, 1);
	log_set_context(NULL);
}

/* A connection refused at a limit is logged by libmicrohttpd at each
 * attempt: an attacker would write the log at the rate it can connect.
 * Those lines are summed up, one every LIMIT_LOG_S. */
#define LIMIT_LOG_S 10

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	static atomic_llong limit_logged_us;
	static atomic_int limit_refused;
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '.'))
		line[--n] = '\0';
	if (strcasestr(line, "connection limit")) {
		long long last = atomic_load(&limit_logged_us), now = now_us();

		atomic_fetch_add(&limit_refused, 1);
		if ((last && now - last < LIMIT_LOG_S * 1000000LL) ||
		    !atomic_compare_exchange_strong(&limit_logged_us, &last, now))
			return;
		log_warn("microhttpd: %s; %d refused since the last such line "
			 "(max_connections, max_connections_per_address)", line,
			 atomic_exchange(&limit_refused, 0));
		return;
	}
	log_warn("microhttpd: %s", line);
}

int
http_start(const struct http_opts *o, struct http_server **out, struct lerr *e)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port) };
	const union MHD_DaemonInfo *info;

	if (!srv)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	if (http_proxies_check(o->trusted_proxies, e)) {
		free(srv);
		return LERR_INVALID;
	}
	if (inet_pton(AF_INET, o->address, &sa.sin_addr) != 1) {
		free(srv);
		lerr_set(e, LERR_INVALID, "listen_address", "invalid listen_address \"%s\"", o->address);
		lerr_hint(e, "write an IPv4 address such as 127.0.0.1 or 0.0.0.0");
		return LERR_INVALID;
	}
	srv->o = *o;
	if (reaper_start(srv)) {
		reaper_stop(srv);
		free(srv);
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot start the connection deadline thread");
	}
	srv->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD |
				  MHD_USE_ERROR_LOG, 0, NULL, NULL, access_cb, srv,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
				  MHD_OPTION_SOCK_ADDR, &sa,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_connections,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)o->max_per_address,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout_s,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->header_limit,
				  MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv,
				  MHD_OPTION_NOTIFY_CONNECTION, connection_cb, srv,
				  MHD_OPTION_END);
	if (!srv->d) {
		reaper_stop(srv);
		free(srv);
		lerr_set(e, LERR_UNAVAILABLE, NULL, "cannot listen on %s:%d", o->address, o->port);
		lerr_hint(e, "is another process using the port? change listen_port");
		return LERR_UNAVAILABLE;
	}
	info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : o->port;
	*out = srv;
	return 0;
}

int
http_port(const struct http_server *h)
{
	return h->port;
}

void
http_quiesce(struct http_server *h)
{
	MHD_socket fd = MHD_quiesce_daemon(h->d);

	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

int
http_in_flight(const struct http_server *h)
{
	return atomic_load(&h->in_flight);
}

void
http_stop(struct http_server *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);   /* every connection closed: no watch left */
	reaper_stop(h);
	free(h);
}

/* ---- small handlers ---- */

static int
health(struct req *rq)
{
	return http_reply_json(rq, 200, json_pack("{s:s}", "status", "ok"));
}

/* Ready: the database answers and takes a write that reaches its disk
 * (store_write_probe); a SELECT alone said ready while every upload failed
 * on a full disk. */
static int
ready(struct req *rq)
{
	struct store_conn *c = NULL;
	struct lerr e;
	int rc = store_acquire(http_store(rq), &c, &e);

	if (!rc && (rc = store_ping(c, &e)) == 0 && (rc = store_write_probe(c, &e))) {
		store_release(http_store(rq), c);
		e.kind = LERR_UNAVAILABLE;
		snprintf(e.msg, sizeof(e.msg), "the database refuses writes");
		lerr_hint(&e, "check the database server's disk and its log");
		return http_reply_problem(rq, &e);
	}
	store_release(http_store(rq), c);
	if (rc) {
		lerr_set(&e, LERR_UNAVAILABLE, NULL, "the database is unreachable");
		lerr_hint(&e, "check PostgreSQL and the \"database\" configuration key");
		return http_reply_problem(rq, &e);
	}
	return http_reply_json(rq, 200, json_pack("{s:s}", "status", "ready"));
}

static int
openapi(struct req *rq)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(rq->srv->o.openapi_len,
		(void *)rq->srv->o.openapi, MHD_RESPMEM_PERSISTENT);

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	return http_reply_response(rq, 200, resp);
}

const struct http_handler http_h_health = { .handle = health };
const struct http_handler http_h_ready = { .handle = ready };
const struct http_handler http_h_openapi = { .handle = openapi };
