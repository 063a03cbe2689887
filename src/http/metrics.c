/*
 * metrics.c - GET /metrics (Prometheus text format 0.0.4) on its own
 * libmicrohttpd daemon, bound to metrics_listen, never on the API port.
 *
 * No authentication: the address must stay private (loopback, or a network
 * only the monitoring reaches; doc/metrics.md).  A scrape writes the
 * counters and histograms of core/metrics.c, the pool's numbers, and the
 * gauges read from the database (store_metrics_scrape), whose text is
 * cached for SCRAPE_CACHE_S seconds: a storm of scrapes runs one query per
 * period, and a scrape that finds another refreshing the cache serves the
 * previous text rather than waiting.
 */
#include "http/http_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"

#define SCRAPE_CACHE_S 5
#define METRICS_MAX (4 << 20)

struct http_metrics {
	struct MHD_Daemon *d;
	struct store *store;
	int port;
	pthread_mutex_t lock;        /* held while the cache is refreshed */
	pthread_mutex_t text_lock;   /* guards db_text */
	struct buf db_text;          /* the database gauges, rendered */
	int64_t db_at;               /* now_us() of the refresh; 0: never */
	int db_up;
};

/* ---- the database gauges ---- */

struct scrape {
	struct buf *b;
	long long signature, transmission, jobs;
	int rc;
	const char *family;          /* the family being written (rows come grouped) */
};

static const struct {
	const char *family, *name, *help, *l1, *l2;
} db_families[] = {
	{ "documents", "liasse_documents", "documents by kind and state", "kind", "state" },
	{ "jobs", "liasse_jobs", "background jobs not done, by kind; ready to run now or scheduled later",
	  "kind", "state" },
	{ "transmissions", "liasse_transmissions_in_flight",
	  "transmissions sending or sent and awaiting the platform's answer", "platform", "state" },
	{ "locked", "liasse_locked", "logins (15-minute lockout) and signing certificates locked now",
	  "what", NULL },
};

static void
scrape_row(void *arg, const char *family, const char *a, const char *b, long long n)
{
	struct scrape *sc = arg;

	if (!strcmp(family, "documents") && !strcmp(b, "pending_signature"))
		sc->signature += n;
	if (!strcmp(family, "documents") && (!strcmp(b, "queued") || !strcmp(b, "transmitting")))
		sc->transmission += n;
	if (!strcmp(family, "jobs") && !strcmp(b, "ready"))
		sc->jobs += n;
	for (size_t i = 0; !sc->rc && i < sizeof(db_families) / sizeof(db_families[0]); i++) {
		if (strcmp(db_families[i].family, family))
			continue;
		if (!sc->family || strcmp(sc->family, family))
			sc->rc = metrics_header(sc->b, db_families[i].name, "gauge", db_families[i].help);
		sc->family = db_families[i].family;
		if (!sc->rc)
			sc->rc = metrics_sample(sc->b, db_families[i].name, (double)n, db_families[i].l1, a,
						db_families[i].l2, b, (char *)NULL);
	}
}

static int
queue_depths(struct scrape *sc)
{
	struct buf *b = sc->b;
	int rc = metrics_header(b, "liasse_queue_depth", "gauge",
				"work waiting: documents pending signature, documents queued or being "
				"transmitted, jobs ready to run");

	if (!rc)
		rc = metrics_sample(b, "liasse_queue_depth", (double)sc->signature, "queue", "signature",
				    (char *)NULL);
	if (!rc)
		rc = metrics_sample(b, "liasse_queue_depth", (double)sc->transmission, "queue",
				    "transmission", (char *)NULL);
	if (!rc)
		rc = metrics_sample(b, "liasse_queue_depth", (double)sc->jobs, "queue", "jobs", (char *)NULL);
	return rc;
}

/* Runs the query into a new text; swaps it in on success. */
static void
refresh(struct http_metrics *m)
{
	struct buf text;
	struct scrape sc = { .b = &text };
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	buf_init(&text, METRICS_MAX);
	lerr_clear(&e);
	rc = store_acquire(m->store, &c, &e);
	if (!rc)
		rc = store_metrics_scrape(c, scrape_row, &sc, &e);
	store_release(m->store, c);
	if (!rc && !(rc = sc.rc))
		rc = queue_depths(&sc);
	if (rc)
		log_warn("metrics: the database gauges are not refreshed: %s", e.msg[0] ? e.msg : "too long");
	pthread_mutex_lock(&m->text_lock);
	m->db_up = !rc;
	m->db_at = now_us();
	if (!rc) {
		buf_fini(&m->db_text);
		m->db_text = text;
	} else {
		buf_fini(&text);
	}
	pthread_mutex_unlock(&m->text_lock);
}

static int
render_db(struct http_metrics *m, struct buf *b)
{
	int64_t now;
	int rc;

	if (!pthread_mutex_trylock(&m->lock)) {     /* else another scrape refreshes: serve the old */
		if (!m->db_at || now_us() - m->db_at >= SCRAPE_CACHE_S * 1000000LL)
			refresh(m);
		pthread_mutex_unlock(&m->lock);
	}
	pthread_mutex_lock(&m->text_lock);
	now = now_us();
	rc = metrics_header(b, "liasse_database_gauges_up", "gauge",
			    "1 if the last read of the database gauges succeeded");
	if (!rc)
		rc = metrics_sample(b, "liasse_database_gauges_up", m->db_up, (char *)NULL);
	if (!rc)
		rc = metrics_header(b, "liasse_database_gauges_age_seconds", "gauge",
				    "age of the database gauges served (they are cached for 5 s)");
	if (!rc)
		rc = metrics_sample(b, "liasse_database_gauges_age_seconds",
				    m->db_at ? (double)(now - m->db_at) / 1e6 : -1, (char *)NULL);
	if (!rc && m->db_text.len)
		rc = buf_add(b, m->db_text.data, m->db_text.len);
	pthread_mutex_unlock(&m->text_lock);
	return rc;
}

/* ---- the pool ---- */

static int
render_pool(struct http_metrics *m, struct buf *b)
{
	struct store_pool_stats ps;
	int rc;

	store_pool_stats(m->store, &ps);
	rc = metrics_header(b, "liasse_db_pool_connections", "gauge",
			    "database connections of this liassed: in use, idle, and the pool's size (db_pool_size)");
	if (!rc)
		rc = metrics_sample(b, "liasse_db_pool_connections", ps.open - ps.idle, "state", "in_use",
				    (char *)NULL);
	if (!rc)
		rc = metrics_sample(b, "liasse_db_pool_connections", ps.idle, "state", "idle", (char *)NULL);
	if (!rc)
		rc = metrics_sample(b, "liasse_db_pool_connections", ps.size, "state", "max", (char *)NULL);
	if (!rc)
		rc = metrics_header(b, "liasse_db_pool_waiting", "gauge",
				    "callers waiting now for a database connection");
	if (!rc)
		rc = metrics_sample(b, "liasse_db_pool_waiting", ps.waiting, (char *)NULL);
	if (!rc)
		rc = metrics_header(b, "liasse_db_pool_waits_total", "counter",
				    "database connection requests that had to wait for a free one");
	if (!rc)
		rc = metrics_sample(b, "liasse_db_pool_waits_total", (double)ps.waits, (char *)NULL);
	return rc;
}

/* ---- the daemon ---- */

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, char *text, size_t n, int owned)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, text,
		owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ok;

	if (!r) {
		if (owned)
			free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, status == 200 ?
				"text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ok = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	static char not_found[] = "not found: this port serves GET /metrics only\n";
	static int first;
	struct http_metrics *m = cls;
	struct buf b;

	(void)version, (void)upload_data;
	if (!*con_cls) {            /* headers only: answer at the next call */
		*con_cls = &first;
		return MHD_YES;
	}
	if (*upload_data_size) {    /* a body is not wanted: dropped */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") || (strcmp(method, "GET") && strcmp(method, "HEAD")))
		return reply(conn, 404, not_found, strlen(not_found), 0);
	buf_init(&b, METRICS_MAX);
	if (metrics_render(&b) || render_pool(m, &b) || render_db(m, &b)) {
		log_warn("metrics: the exposition exceeds %d bytes", METRICS_MAX);
		buf_fini(&b);
		return reply(conn, 500, "too many metrics\n", 17, 0);
	}
	return reply(conn, 200, b.data ? b.data : strdup(""), b.len, 1);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn("metrics: microhttpd: %s", line);
}

/* "ADDRESS:PORT", IPv4 (as listen_address). */
static int
parse_listen(const char *listen, struct sockaddr_in *sa, struct lerr *e)
{
	const char *colon = listen ? strrchr(listen, ':') : NULL;
	char host[INET_ADDRSTRLEN];
	char *end;
	long port;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (colon && (size_t)(colon - listen) < sizeof(host)) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
		port = strtol(colon + 1, &end, 10);
		if (colon[1] && !*end && port >= 0 && port <= 65535 &&
		    inet_pton(AF_INET, host, &sa->sin_addr) == 1) {
			sa->sin_port = htons((uint16_t)port);
			return 0;
		}
	}
	lerr_set(e, LERR_INVALID, "metrics_listen", "invalid metrics_listen \"%s\"", listen ? listen : "");
	lerr_hint(e, "write ADDRESS:PORT with an IPv4 address, such as 127.0.0.1:9464, or leave it empty");
	return LERR_INVALID;
}

int
http_metrics_check(const char *listen, struct lerr *e)
{
	struct sockaddr_in sa;

	return parse_listen(listen, &sa, e);
}

int
http_metrics_start(const char *listen, struct store *s, struct http_metrics **out, struct lerr *e)
{
	struct http_metrics *m;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	int rc = parse_listen(listen, &sa, e);

	if (rc)
		return rc;
	if (!(m = calloc(1, sizeof(*m))))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	m->store = s;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->text_lock, NULL);
	buf_init(&m->db_text, METRICS_MAX);
	/* One thread per connection, few of them: a scrape waiting for a
	 * database connection does not hold up the others. */
	m->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD |
				MHD_USE_ERROR_LOG, 0, NULL, NULL, access_cb, m,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m,
				MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_CONNECTION_LIMIT, 8u,
				MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
				MHD_OPTION_END);
	if (!m->d) {
		http_metrics_stop(m);
		lerr_set(e, LERR_UNAVAILABLE, "metrics_listen", "cannot listen on %s", listen);
		lerr_hint(e, "is another process using the port? change metrics_listen");
		return LERR_UNAVAILABLE;
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info ? info->port : ntohs(sa.sin_port);
	*out = m;
	return 0;
}

int
http_metrics_port(const struct http_metrics *m)
{
	return m->port;
}

void
http_metrics_stop(struct http_metrics *m)
{
	if (!m)
		return;
	if (m->d)
		MHD_stop_daemon(m->d);
	buf_fini(&m->db_text);
	pthread_mutex_destroy(&m->lock);
	pthread_mutex_destroy(&m->text_lock);
	free(m);
}
