/*
 * liassed - the liasse daemon: HTTP threads and worker threads over one
 * PostgreSQL database.  Scale out by running more of them.
 *
 * Signals are blocked in every thread and taken synchronously by the main
 * thread: SIGHUP re-reads the reloadable keys, SIGTERM/SIGINT stop accepting
 * connections, let requests in flight finish, stop the workers between two
 * jobs, and exit 0.  shutdown_timeout is a hard bound: when it is reached, a
 * watchdog thread logs the requests and jobs still running and exits 0 at
 * once; what it abandons is safe (a job's transaction rolls back and the job
 * runs again; a transmission's exactly-once survives even kill -9, see
 * src/transmit/README).  The service manager is told READY=1 once the listen
 * socket accepts and STOPPING=1 at SIGTERM (src/notify.h).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "core/kek.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "flow/pes_xsd.h"
#include "notify.h"
#include "http/http.h"
#include "pdf/pdf.h"
#include "sign/sign.h"
#include "store/store.h"
#include "transmit/notice.h"
#include "transmit/tsa.h"
#include "transmit/webhook.h"
#include "transmit/xmit.h"
#include "retention.h"
#include "worker.h"

static const struct job_handler job_handlers[] = {
	{ PES_XSD_JOB, pes_xsd_job },
	{ WEBHOOK_JOB, xmit_webhook_job },
	{ XMIT_JOB, xmit_job_transmit },          /* send to @ctes / Hélios, exactly once */
	{ XMIT_CANCEL_JOB, xmit_job_cancel },     /* the 6-1 Annulation of an acknowledged act */
	{ NOTICE_JOB, xmit_notice_job },          /* an e-mail notification (doc/notifications.md) */
	{ XMIT_LETTER_JOB, xmit_job_letter_answer }, /* an answer to a letter of the prefecture */
	{ NULL, NULL },
};

/* The journal's head, time-stamped by the TSA (when one is configured) every
 * journal_stamp_interval, by one worker of this process. */
static void
stamp_journal(struct store_conn *c)
{
	static atomic_llong next;
	const char *url = config_str("tsa_url");
	struct sign_tsa tsa = { .url = url };
	long long now = (long long)time(NULL), due = atomic_load(&next);
	struct journal_head h;
	struct buf tok;
	struct lerr e;
	time_t at = 0;

	if (!url || !*url || now < due ||
	    !atomic_compare_exchange_strong(&next, &due, now + config_int("journal_stamp_interval")))
		return;
	lerr_clear(&e);
	if (store_journal_head(c, &h, &e) || !h.seq || h.seq == h.stamped_seq) {
		if (e.kind)
			log_warn("journal time-stamp: %s %s", e.msg, e.detail);
		return;
	}
	buf_init(&tok, 256 * 1024);
	if (sign_timestamp(&tsa, h.hash, NULL, &tok, &at, &e) ||
	    store_journal_stamp_add(c, h.seq, h.hash, tok.data, tok.len, (long long)at, &e))
		log_warn("journal time-stamp of entry %lld failed: %s %s", h.seq, e.msg, e.detail);
	else
		log_info("journal: head (entry %lld) time-stamped", h.seq);
	buf_fini(&tok);
}

/* Between jobs: chain the journal entries committed since the last time,
 * seal the new events, collect what the state platforms sent back. */
static int
housekeeping(struct store_conn *c, struct lerr *e)
{
	int n = 0, rc = store_journal_seal(c, &n, e);

	if (!rc)
		stamp_journal(c);
	if (!rc && n)
		log_debug("journal: %d entr%s sealed", n, n == 1 ? "y" : "ies");
	/* Events get their feed position and their webhook deliveries. */
	if (!rc && !(rc = store_event_seal(c, &n, e)) && n)
		log_debug("events: %d sealed", n);
	/* What the state platforms sent back; transmissions a dead process left. */
	if (!rc)
		rc = xmit_periodic(c, e);
	if (!rc)   /* events, deliveries, jobs, sessions past their retention (src/retention.c) */
		rc = retention_periodic(c, e);
	if (!rc)   /* today's e-mail digests, during notify_digest_hour */
		rc = xmit_notice_periodic(c, e);
	return rc;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: liassed [-c FILE] [-o key=value]... [--check-config]\n"
		"  -c, --config FILE   configuration file (default $LIASSE_CONF or %s/liasse.conf)\n"
		"  -o key=value        override one configuration key\n"
		"  --check-config      check the configuration and exit\n"
		"  --version           print the version and exit\n", LIASSE_SYSCONFDIR);
}

static void
die(const struct lerr *e)
{
	char line[1600];

	lerr_oneline(e, line, sizeof(line));
	fprintf(stderr, "liassed: %s\n", line);
	exit(1);
}

static int
refuse_bare_root(struct lerr *e)
{
	if (geteuid() != 0 || *config_str("user"))
		return 0;
	lerr_set(e, LERR_INVALID, "user", "refusing to run as root");
	lerr_hint(e, "set \"user = liasse\" (an unprivileged account) in the configuration");
	return LERR_INVALID;
}

/* Started as root: switch to the configured user. */
static int
drop_privileges(struct lerr *e)
{
	const char *name = config_str("user");
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (!(pw = getpwnam(name))) {
		lerr_set(e, LERR_INVALID, "user", "no such user \"%s\"", name);
		return LERR_INVALID;
	}
	if (pw->pw_uid == 0) {
		lerr_set(e, LERR_INVALID, "user", "\"user\" must not be root");
		return LERR_INVALID;
	}
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid) || setuid(0) == 0) {
		lerr_set(e, LERR_INTERNAL, "user", "cannot switch to user %s", name);
		lerr_detail(e, "%s", strerror(errno));
		return LERR_INTERNAL;
	}
	log_info("running as user %s (uid %u)", name, (unsigned)pw->pw_uid);
	return 0;
}

static int
check_config(struct lerr *e)
{
	const char *name = config_str("user");
	const char *pw = config_str("database_password_file");
	char secret[512];
	int rc = 0;

	if (*name && !getpwnam(name))
		rc = lerr_set(e, LERR_INVALID, "user", "no such user \"%s\"", name);
	if (!rc && *pw && !(rc = config_read_secret(pw, secret, sizeof(secret), e)))
		explicit_bzero(secret, sizeof(secret));
	if (!rc)
		rc = kek_configure(e);
	if (!rc && *config_str("metrics_listen"))
		rc = http_metrics_check(config_str("metrics_listen"), e);
	if (!rc)
		rc = http_proxies_check(config_str("trusted_proxies"), e);
	if (!rc && (config_int("listen_port") > 65535 || config_int("db_pool_size") < 1 ||
		    config_int("workers") < 0))
		rc = lerr_set(e, LERR_INVALID, NULL, "listen_port must be 0-65535, db_pool_size >= 1, workers >= 0");
	if (!rc)   /* e-mail notifications: the server, the sender, the credentials file */
		rc = xmit_notice_config_check(1, e);
	return rc;
}

/* The shutdown in progress, read by the watchdog thread. */
static struct {
	struct http_server *http;
	struct worker_pool *workers;
	struct timespec deadline;     /* CLOCK_MONOTONIC */
	long long timeout_s;
} stopping;

/* Sleeps until the shutdown deadline, then ends the process whatever is
 * still running: the stop is bounded by shutdown_timeout. */
static void *
watchdog(void *arg)
{
	char jobs[1024];
	int reqs, busy;

	(void)arg;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &stopping.deadline, NULL) == EINTR)
		;
	reqs = http_in_flight(stopping.http);
	busy = worker_pool_busy(stopping.workers, jobs, sizeof(jobs));
	log_warn("shutdown: shutdown_timeout (%llds) reached, exiting now; abandoned: %d request(s) in flight, "
		 "%d worker(s) busy%s%s", stopping.timeout_s, reqs, busy, busy ? ": " : "", busy ? jobs : "");
	if (busy)
		log_warn("shutdown: the abandoned jobs' transactions roll back; they run again later, "
			 "in this liassed once restarted or in another");
	fflush(NULL);
	_exit(0);
	return NULL;
}

static void
start_watchdog(struct http_server *h, struct worker_pool *wp)
{
	pthread_attr_t attr;
	pthread_t t;

	stopping.http = h;
	stopping.workers = wp;
	stopping.timeout_s = config_int("shutdown_timeout");
	clock_gettime(CLOCK_MONOTONIC, &stopping.deadline);
	stopping.deadline.tv_sec += (time_t)stopping.timeout_s;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, watchdog, NULL) != 0)
		log_warn("shutdown: cannot start the shutdown_timeout watchdog; the stop is not bounded");
	pthread_attr_destroy(&attr);
}

/* Until no request is in flight (the watchdog bounds the wait). */
static void
wait_for_requests(struct http_server *h)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };

	while (http_in_flight(h) > 0)
		nanosleep(&tick, NULL);
}

static int
load_openapi(struct buf *b, struct lerr *e)
{
	const char *path = getenv("LIASSE_OPENAPI") ? getenv("LIASSE_OPENAPI") : LIASSE_PKGDATADIR "/openapi.json";
	char chunk[8192];
	FILE *f = fopen(path, "rb");
	size_t n;
	int rc = 0;

	buf_init(b, 4 << 20);
	if (!f) {
		lerr_set(e, LERR_INVALID, NULL, "cannot open the OpenAPI document %s", path);
		lerr_detail(e, "%s", strerror(errno));
		lerr_hint(e, "install liasse (make install) or set LIASSE_OPENAPI");
		return LERR_INVALID;
	}
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_add(b, chunk, n);
	fclose(f);
	if (rc)
		return lerr_set(e, LERR_INVALID, NULL, "the OpenAPI document %s is too large", path);
	return 0;
}

static void
serve(struct store *s, sigset_t *sigs, const struct buf *openapi)
{
	struct http_opts ho = {
		.address = config_str("listen_address"), .port = (int)config_int("listen_port"),
		.max_connections = (int)config_int("max_connections"),
		.max_per_address = (int)config_int("max_connections_per_address"),
		.timeout_s = (int)config_int("connection_timeout"),
		.header_timeout_s = (int)config_int("header_timeout"),
		.body_timeout_s = (int)config_int("body_timeout"),
		.header_limit = (size_t)config_int("header_limit"),
		.max_request = (uint64_t)config_int("max_request_size"),
		.openapi = openapi->data, .openapi_len = openapi->len,
		.store = s,
		.session_idle_s = (int)config_int("session_idle_timeout"),
		.session_lifetime_s = (int)config_int("session_lifetime"),
		.trusted_proxies = config_str("trusted_proxies"),
	};
	const char *ml = config_str("metrics_listen");
	struct http_metrics *hm = NULL;
	struct worker_pool *wp = NULL;
	struct http_server *h = NULL;
	struct lerr e;
	int sig = 0;

	if ((*ml && http_metrics_start(ml, s, &hm, &e)) || http_start(&ho, &h, &e) ||
	    worker_pool_start(s, (int)config_int("workers"), job_handlers, housekeeping, &wp, &e))
		die(&e);
	if (hm)
		log_info("liassed: metrics on http://%.*s:%d/metrics (no authentication: keep it private)",
			 (int)(strrchr(ml, ':') - ml), ml, http_metrics_port(hm));
	log_info("liassed: listening on http://%s:%d", ho.address, http_port(h));
	if (notify_send("READY=1\nSTATUS=listening on http://%s:%d", ho.address, http_port(h)))
		log_warn("cannot notify the service manager (NOTIFY_SOCKET=%s): %s", getenv("NOTIFY_SOCKET"),
			 strerror(errno));
	for (;;) {
		if (sigwait(sigs, &sig))
			continue;
		if (sig != SIGHUP)
			break;
		(void)notify_send("RELOADING=1\nSTATUS=reloading the configuration");
		if (config_reload(app_config_path(), &e))
			log_error("reload failed, keeping the old configuration: %s", e.msg);
		else if (kek_configure(&e))
			log_error("reload: the key-encryption keys in use are kept: %s", e.msg);
		else
			log_info("configuration reloaded");
		(void)notify_send("READY=1\nSTATUS=listening on http://%s:%d", ho.address, http_port(h));
	}
	log_info("%s: stopping (no new connections; %d request(s) in flight; at most %llds)", strsignal(sig),
		 http_in_flight(h), config_int("shutdown_timeout"));
	(void)notify_send("STOPPING=1\nSTATUS=stopping: %d request(s) in flight", http_in_flight(h));
	start_watchdog(h, wp);
	xmit_stop();   /* a poll of the returns under way ends between two items */
	http_quiesce(h);
	http_events_stop();
	wait_for_requests(h);
	worker_pool_stop(wp);
	http_stop(h);
	http_metrics_stop(hm);
	log_info("stopped");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "check-config", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char *overrides[64];
	const char *conf = NULL;
	int nover = 0, check = 0, ch;
	struct store *s = NULL;
	struct buf openapi;
	struct lerr e;
	sigset_t sigs;

	while ((ch = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'o': if (nover < 64) overrides[nover++] = optarg; break;
		case 'k': check = 1; break;
		case 'V': printf("liassed %s (MuPDF %s, static)\n", PACKAGE_VERSION, lpdf_version()); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "liassed: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	lerr_clear(&e);
	if (app_config(conf, overrides, nover, &e) || (check && check_config(&e)) ||
	    xmit_notice_config_check(0, &e))
		die(&e);
	if (check) {
		printf("configuration OK%s%s\n", app_config_path() ? ": " : " (defaults)",
		       app_config_path() ? app_config_path() : "");
		return 0;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Refuse root early; read what may be readable by root only (secrets,
	 * migrations, the OpenAPI document), then switch user before serving. */
	sign_set_http_post(xmit_post_bytes);
	if (refuse_bare_root(&e) || sign_init(&e) ||
	    (*config_str("pes_xsd") && pes_xsd_load(config_str("pes_xsd"), &e)) || app_store(&s, (int)config_int("db_pool_size"), &e) || app_migrate(s, NULL, &e) ||
	    app_kek(s, 1, &e) ||
	    load_openapi(&openapi, &e) || drop_privileges(&e))
		die(&e);
	serve(s, &sigs, &openapi);
	buf_fini(&openapi);
	pes_xsd_free();
	store_close(s);
	kek_shutdown();
	return 0;
}
