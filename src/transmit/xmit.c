/*
 * xmit.c - the transmission job (exactly once, see README), the poller of
 * the return channels, and what the connectors share: settings, curl
 * handles, spooling a stored file, attaching what comes back.
 */
#include "transmit/xmit_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/config.h"
#include "core/kind.h"
#include "core/log.h"
#include "core/metrics.h"

#define BODY_MAX (1u << 20)

/* ---- settings ---- */

const char *
xmit_setting(json_t *settings, const char *key, const char *def)
{
	const char *v = json_string_value(json_object_get(settings, key));

	return v && *v ? v : def;
}

int
xmit_setting_secret(json_t *settings, const char *key, char *out, size_t n, struct lerr *e)
{
	const char *path = xmit_setting(settings, key, NULL);

	out[0] = '\0';
	if (!path)
		return 0;
	return config_read_secret(path, out, n, e);
}

long long
xmit_reconcile_wait(json_t *settings)
{
	const char *v = xmit_setting(settings, "reconcile_wait", NULL);

	return v ? atoll(v) : config_int("transmit_reconcile_wait");
}

/* ---- curl ---- */

static size_t
on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct buf *b = ud;

	return buf_add(b, p, sz * n) ? 0 : sz * n;
}

static const char *
key(const char *prefix, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s%s", prefix, name);
	return out;
}

static int
tls_options(struct xmit_curl *xc, json_t *s, const char *prefix)
{
	char k[64];
	const char *v;

	curl_easy_setopt(xc->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(xc->h, CURLOPT_SSL_VERIFYHOST, 2L);
	if ((v = xmit_setting(s, key(prefix, "cacert", k, sizeof(k)), NULL)))
		curl_easy_setopt(xc->h, CURLOPT_CAINFO, v);
	if ((v = xmit_setting(s, key(prefix, "cert", k, sizeof(k)), NULL)))
		curl_easy_setopt(xc->h, CURLOPT_SSLCERT, v);
	if ((v = xmit_setting(s, key(prefix, "key", k, sizeof(k)), NULL)))
		curl_easy_setopt(xc->h, CURLOPT_SSLKEY, v);
	if ((v = xmit_setting(s, key(prefix, "pin", k, sizeof(k)), NULL)))
		curl_easy_setopt(xc->h, CURLOPT_PINNEDPUBLICKEY, v);
	return 0;
}

int
xmit_curl_open(struct xmit_curl *xc, json_t *s, const char *prefix, const char *protocols,
	       long timeout_s, size_t body_max, struct lerr *e)
{
	char k[64], pw[512];
	const char *user;
	int rc;

	memset(xc, 0, sizeof(*xc));
	buf_init(&xc->body, body_max ? body_max : BODY_MAX);
	if (!(xc->h = curl_easy_init()))
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create a curl handle");
	curl_easy_setopt(xc->h, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(xc->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(xc->h, CURLOPT_CONNECTTIMEOUT, timeout_s < 10 ? timeout_s : 10L);
	curl_easy_setopt(xc->h, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(xc->h, CURLOPT_ERRORBUFFER, xc->errbuf);
	curl_easy_setopt(xc->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(xc->h, CURLOPT_WRITEDATA, &xc->body);
	tls_options(xc, s, prefix);
	if ((user = xmit_setting(s, key(prefix, "user", k, sizeof(k)), NULL))) {
		if ((rc = xmit_setting_secret(s, key(prefix, "password_file", k, sizeof(k)), pw, sizeof(pw), e)))
			return rc;
		snprintf(xc->userpwd, sizeof(xc->userpwd), "%s:%s", user, pw);
		explicit_bzero(pw, sizeof(pw));
		curl_easy_setopt(xc->h, CURLOPT_USERPWD, xc->userpwd);
	}
	return 0;
}

void
xmit_curl_close(struct xmit_curl *xc)
{
	if (xc->h)
		curl_easy_cleanup(xc->h);
	curl_slist_free_all(xc->list);
	explicit_bzero(xc->userpwd, sizeof(xc->userpwd));
	buf_fini(&xc->body);
	memset(xc, 0, sizeof(*xc));
}

int
xmit_curl_error(struct xmit_curl *xc, CURLcode cc, const char *what, struct lerr *e)
{
	long code = 0;

	curl_easy_getinfo(xc->h, CURLINFO_RESPONSE_CODE, &code);
	lerr_set(e, LERR_UNAVAILABLE, NULL, "%s failed", what);
	lerr_detail(e, "%s%s (server answer %ld)", xc->errbuf[0] ? xc->errbuf : curl_easy_strerror(cc),
		    cc == CURLE_OPERATION_TIMEDOUT ? ", timed out" : "", code);
	return LERR_UNAVAILABLE;
}

int
xmit_curl_unsent(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_CONNECT: case CURLE_LOGIN_DENIED:
	case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH: case CURLE_SSL_CERTPROBLEM: case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL: case CURLE_URL_MALFORMAT: case CURLE_QUOTE_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* ---- text ---- */

void
xmit_latin1_to_utf8(const char *in, char *out, size_t n)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 3 < n; p++) {
		if (*p < 0x80) {
			out[o++] = (char)*p;
		} else {
			out[o++] = (char)(0xc0 | (*p >> 6));
			out[o++] = (char)(0x80 | (*p & 0x3f));
		}
	}
	out[o] = '\0';
}

int
xmit_utf8_to_latin1(const char *in, struct buf *out)
{
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		unsigned char ch = *p;

		if (ch >= 0x80) {
			if ((ch != 0xc2 && ch != 0xc3) || (p[1] & 0xc0) != 0x80)
				return -1;
			ch = (unsigned char)(((ch & 0x03) << 6) | (p[1] & 0x3f));
			p++;
		}
		if (buf_add(out, &ch, 1))
			return -1;
	}
	return 0;
}

/* ---- stored files ---- */

int
xmit_spool_blob(struct store_conn *c, long long blob_id, int nchunks, FILE *f,
		void (*each)(void *arg, const void *p, size_t n), void *arg, struct lerr *e)
{
	char *chunk = malloc(STORE_CHUNK_SIZE);
	int rc = chunk ? 0 : lerr_set(e, LERR_INTERNAL, NULL, "out of memory");

	for (int seq = 0; !rc && seq < nchunks; seq++) {
		size_t len = 0;

		if ((rc = store_blob_chunk(c, blob_id, seq, chunk, &len, e)))
			break;
		if (each)
			each(arg, chunk, len);
		if (f && fwrite(chunk, 1, len, f) != len)
			rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot write the spool file (disk full?)");
	}
	free(chunk);
	return rc;
}

/* ---- returns ---- */

struct member {
	struct xmit_tgz *t;
	struct lerr *e;
	int rc;
};

static void
member_chunk(void *arg, const void *p, size_t n)
{
	struct member *m = arg;

	if (!m->rc)
		m->rc = xmit_tgz_write(m->t, p, n, m->e);
}

int
xmit_tgz_add_blob(struct store_conn *c, struct xmit_tgz *t, const char *name, long long size, long long blob,
		  int nchunks, long long mtime, struct lerr *e)
{
	struct member m = { t, e, 0 };
	int rc = xmit_tgz_begin(t, name, (unsigned long long)size, mtime, e);

	if (!rc)
		rc = xmit_spool_blob(c, blob, nchunks, NULL, member_chunk, &m, e);
	return rc ? rc : m.rc ? m.rc : xmit_tgz_end(t, e);
}

int
xmit_returned(struct store_conn *c, const char *doc_id, const char *role, const char *name,
	      const char *media_type, const void *data, size_t len, int verdict, const char *reason,
	      struct lerr *e)
{
	int rc = store_xmit_attach(c, doc_id, role, name, media_type, data, len, e);

	if (!rc && verdict >= 0)
		rc = store_xmit_answer(c, doc_id, verdict, reason, e);
	if (!rc && verdict == 1 && !strcmp(role, "ack"))
		rc = xmit_stamp_acte(c, doc_id, data, len, e);
	if (!rc)
		log_info("doc=%s: %s %s came back%s%s", doc_id, role, name,
			 verdict == 1 ? ", acknowledged" : verdict == 0 ? ", refused: " : "",
			 verdict == 0 && reason ? reason : "");
	return rc;
}

/* ---- the connector of a document ---- */

struct has_arg {
	struct xmit_job *x;
	char *json;                  /* the settings of the one found */
	int rc;
	struct lerr *e;
};

/* xmit_connector_pick's question: has the organisation this connector? */
static int
has_connector(void *arg, const char *name)
{
	struct has_arg *h = arg;
	struct lerr why;
	int rc;

	if (h->rc)
		return 0;
	lerr_clear(&why);
	if (!(rc = store_connector_get(h->x->c, h->x->t.org_id, name, &h->json, &why)))
		return 1;
	if (why.kind != LERR_NOTFOUND) {
		*h->e = why;
		h->rc = rc;
	}
	return 0;
}

/* None of the kind's connectors is configured: name the platform's own
 * (the last, core/kind.c), which the parked transmission's row records as
 * before, and how to configure one. */
static int
no_connector(struct xmit_job *x, struct lerr *e)
{
	const char *last = NULL;
	int rc = doc_kind_no_connector(doc_kind_get(x->t.kind), x->t.siren, &last, e);

	if (rc == LERR_NOTFOUND)   /* the note's row names it */
		snprintf(x->t.connector, sizeof(x->t.connector), "%s", last);
	return rc;
}

/* The first of the kind's connectors (core/kind.c: a tiers de
 * télétransmission first, then the platform's own) that the organisation
 * has.  A transmission keeps the connector of its first send; before any
 * send, the connector a parked document's note names (the kind's last) is
 * only the note's, and the choice is made again. */
static int
pick_connector(struct xmit_job *x, const struct xmit_connector **out, struct lerr *e)
{
	struct has_arg h = { .x = x, .e = e };
	json_error_t jerr;
	int rc;

	if (!x->t.connector[0] || x->t.sends == 0) {
		const char *name = xmit_connector_pick(x->t.kind, has_connector, &h);

		if (h.rc)
			return h.rc;
		if (!name)
			return no_connector(x, e);
		snprintf(x->t.connector, sizeof(x->t.connector), "%s", name);
	} else if ((rc = store_connector_get(x->c, x->t.org_id, x->t.connector, &h.json, e))) {
		lerr_hint(e, "configure it: liasse connector set --org %s --kind %s url=...", x->t.siren,
			  x->t.connector);
		return rc;
	}
	x->settings = json_loads(h.json, 0, &jerr);
	free(h.json);
	*out = xmit_connector_named(x->t.connector);
	if (!x->settings || !*out)
		return lerr_set(e, LERR_INTERNAL, NULL, "bad %s connector settings", x->t.connector);
	return 0;
}

/* ---- the transmission job ---- */

static void poll_soon(void);

int
xmit_lease_s(void)
{
	return (int)config_int("transmit_timeout") + 30;
}

int
xmit_backoff_s(int tries)
{
	long long d = config_int("transmit_retry_base"), cap = config_int("transmit_retry_cap");

	for (int i = 0; i < tries && d < cap; i++)
		d *= 2;
	return (int)(d < cap ? d : cap);
}

/* A try that settled nothing: again later, or failed for good once
 * transmit_max_tries is reached. */
static int
again(struct xmit_job *x, const struct lerr *why, struct lerr *e)
{
	char line[1200], reason[1400];
	int delay = xmit_backoff_s(x->t.tries);

	lerr_oneline(why, line, sizeof(line));
	if (x->t.tries + 1 >= config_int("transmit_max_tries")) {
		snprintf(reason, sizeof(reason), "transmission abandoned after %d attempts: %s",
			 x->t.tries + 1, line);
		log_warn("doc=%s: %s", x->t.doc_id, reason);
		return store_xmit_fail(x->c, x->t.doc_id, reason, e);
	}
	log_warn("doc=%s: %s (attempt %d); next attempt in %ds", x->t.doc_id, line, x->t.tries + 1, delay);
	return store_xmit_retry_later(x->c, x->t.doc_id, line, delay, e);
}

static int
refused(struct xmit_job *x, const struct lerr *why, struct lerr *e)
{
	char line[1200];

	lerr_oneline(why, line, sizeof(line));
	log_warn("doc=%s: transmission refused: %s", x->t.doc_id, line);
	return store_xmit_fail(x->c, x->t.doc_id, line, e);
}

/* The send itself, between two transactions: 'sending' is committed first,
 * so a crash from here on leaves a trace that the next attempt reconciles;
 * no row stays locked while the bytes travel. */
static int
send_committed(struct xmit_job *x, const struct xmit_connector *k, long long job_id, struct lerr *e)
{
	enum xmit_outcome out;
	struct lerr why;
	int rc;

	if ((rc = store_xmit_start_send(x->c, &x->t, job_id, xmit_lease_s(), e)) || (rc = store_commit(x->c, e)))
		return rc;
	log_info("doc=%s: sending %s over %s (send %d)", x->t.doc_id, x->t.remote_name, k->name,
		 x->t.sends + 1);
	lerr_clear(&why);
	rewind(x->spool);
	out = k->send(x, &why);
	metrics_inc(METRIC_TRANSMISSIONS, k->name, out == XMIT_SENT ? "sent" : out == XMIT_REFUSED ?
		    "refused" : out == XMIT_UNSENT ? "unsent" : "uncertain");
	if ((rc = store_begin(x->c, e)))
		return rc;   /* the lease runs out, the next attempt reconciles */
	switch (out) {
	case XMIT_SENT:
		log_info("doc=%s: transmitted as %s", x->t.doc_id, x->t.remote_name);
		rc = store_xmit_sent(x->c, x->t.doc_id, x->t.remote_id, e);
		poll_soon();
		return rc;
	case XMIT_REFUSED:
		return refused(x, &why, e);
	case XMIT_UNSENT:
		if ((rc = store_xmit_unsent(x->c, x->t.doc_id, e)))
			return rc;
		/* fall through */
	default:
		return again(x, &why, e);
	}
}

/* queued, or transmitting with a send left unsettled (crash, timeout). */
static int
should_run(const struct xmit_row *t)
{
	if (!doc_kind_transmittable(doc_kind_get(t->kind)))
		return 0;
	if (!strcmp(t->doc_state, "queued"))
		return 1;
	return !strcmp(t->doc_state, "transmitting") && (!strcmp(t->state, "sending") ||
							 !strcmp(t->state, "new") || !t->state[0]);
}

static int
reconcile(struct xmit_job *x, const struct xmit_connector *k, int *found)
{
	struct lerr why;

	lerr_clear(&why);
	*found = XMIT_UNKNOWN;
	if (k->reconcile(x, found, &why)) {
		*found = XMIT_UNKNOWN;
		log_warn("doc=%s: cannot reconcile %s yet: %s %s", x->t.doc_id, x->t.remote_name, why.msg,
			 why.detail);
	}
	log_info("doc=%s: interrupted send of %s reconciled: %s", x->t.doc_id, x->t.remote_name,
		 *found == XMIT_THERE ? "the platform has it" : *found == XMIT_ABSENT ?
		 "the platform does not have it, sending again" : "cannot tell yet");
	return 0;
}

static int
transmit(struct xmit_job *x, long long job_id, struct lerr *e)
{
	const struct xmit_connector *k = NULL;
	struct lerr why;
	int rc, found = XMIT_ABSENT;

	lerr_clear(&why);
	if ((rc = store_org_get(x->c, x->t.siren, &x->org, e)))
		return rc;
	if (pick_connector(x, &k, &why)) {
		char line[1200];

		/* Parked: "liasse connector set" queues the organisation's waiting documents. */
		lerr_oneline(&why, line, sizeof(line));
		log_warn("doc=%s: not transmitted yet: %s", x->t.doc_id, line);
		return why.kind == LERR_NOTFOUND ? store_xmit_note(x->c, &x->t, line, e) : again(x, &why, e);
	}
	if (!strcmp(x->t.state, "sending") && (rc = reconcile(x, k, &found)))
		return rc;
	if (found == XMIT_THERE)
		return store_xmit_sent(x->c, x->t.doc_id, NULL, e);
	if (found == XMIT_UNKNOWN) {
		lerr_set(&why, LERR_UNAVAILABLE, NULL, "the platform has not told yet whether it has %s",
			 x->t.remote_name);
		return again(x, &why, e);
	}
	if (!(x->spool = tmpfile()))
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create a spool file");
	if ((rc = k->prepare(x, &why)))
		return why.kind == LERR_INVALID ? refused(x, &why, e) : (*e = why, rc);
	return send_committed(x, k, job_id, e);
}

int
xmit_job_transmit(struct store_conn *c, const struct job *j, struct lerr *e)
{
	struct xmit_job *x = calloc(1, sizeof(*x));
	int rc;

	if (!x)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	x->c = c;
	x->timeout_s = (long)config_int("transmit_timeout");
	rc = store_xmit_load(c, j->doc_id, &x->t, e);
	if (rc == LERR_NOTFOUND)
		rc = 0;
	else if (!rc && should_run(&x->t))
		rc = transmit(x, j->id, e);
	if (x->spool)
		fclose(x->spool);
	if (x->priv_free)
		x->priv_free(x->priv);
	json_decref(x->settings);
	free(x);
	return rc;
}

/* ---- the poller ---- */

struct conn_list {
	int n;
	struct conn_item { long long org_id; char siren[10], kind[16]; json_t *settings; } items[256];
};

static void
collect(void *arg, long long org_id, const char *siren, const char *kind, const char *settings)
{
	struct conn_list *l = arg;
	struct conn_item *it;
	json_error_t jerr;

	if (l->n >= (int)(sizeof(l->items) / sizeof(l->items[0])))
		return;
	it = &l->items[l->n++];
	it->org_id = org_id;
	snprintf(it->siren, sizeof(it->siren), "%s", siren);
	snprintf(it->kind, sizeof(it->kind), "%s", kind);
	it->settings = json_loads(settings, 0, &jerr);
}

static void
free_list(struct conn_list *l)
{
	for (int i = 0; i < l->n; i++)
		json_decref(l->items[i].settings);
	free(l);
}

static atomic_llong stopped_at;      /* time(NULL) of xmit_stop(); 0: running */

void
xmit_stop(void)
{
	long long none = 0;

	atomic_compare_exchange_strong(&stopped_at, &none, (long long)time(NULL));
}

int
xmit_stopping(void)
{
	return atomic_load(&stopped_at) != 0;
}

long long
xmit_stopped_for(void)
{
	long long at = atomic_load(&stopped_at);

	return at ? (long long)time(NULL) - at : -1;
}

int
xmit_poll_commit(struct xmit_poll *p, struct lerr *e)
{
	int rc = store_commit(p->c, e);

	return rc ? rc : store_begin(p->c, e);
}

/* Each connector's return channel, each in its own transaction (a
 * connector may commit more often: helios.c commits each acquit); one
 * platform down does not stop the others (a database error does). */
static int
poll_all(struct store_conn *c, struct lerr *e)
{
	struct conn_list *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	rc = store_connector_each(c, NULL, collect, l, e);
	for (int i = 0; !rc && i < l->n && !xmit_stopping(); i++) {
		const struct xmit_connector *k = xmit_connector_named(l->items[i].kind);
		struct xmit_poll p = { .c = c, .org_id = l->items[i].org_id, .siren = l->items[i].siren,
				       .settings = l->items[i].settings };
		struct lerr why;

		lerr_clear(&why);
		if (!k || !k->poll || !p.settings)
			continue;
		if (!k->poll(&p, &why)) {
			rc = xmit_poll_commit(&p, e);
		} else if (why.sqlstate[0]) {
			*e = why;
			rc = why.kind;
		} else {
			log_warn("org=%s: reading the %s returns failed: %s %s", p.siren, k->name, why.msg,
				 why.detail);
			rc = xmit_poll_commit(&p, e);
		}
	}
	free_list(l);
	return rc;
}

static atomic_llong last_poll;
static atomic_int soon;

static void
poll_soon(void)
{
	atomic_store(&soon, 1);
}

int
xmit_periodic(struct store_conn *c, struct lerr *e)
{
	long long now = (long long)time(NULL), last = atomic_load(&last_poll);
	int rc;

	if (!atomic_load(&soon) && now - last < config_int("transmit_poll_interval"))
		return 0;
	if (!atomic_compare_exchange_strong(&last_poll, &last, now))
		return 0;   /* another worker of this process polls now */
	atomic_store(&soon, 0);
	if ((rc = store_begin(c, e)))
		return rc;
	/* poll_all commits as it goes and returns in a transaction. */
	if (!(rc = poll_all(c, e)) && !(rc = store_xmit_recover(c, xmit_lease_s(), e)))
		rc = store_commit(c, e);
	if (rc)
		store_rollback(c);
	return rc;
}

int
xmit_connector_test(struct store_conn *c, const char *siren,
		    void (*report)(void *arg, const char *kind, int ok, const char *line), void *arg,
		    struct lerr *e)
{
	struct conn_list *l = calloc(1, sizeof(*l));
	int rc, failed = 0;

	if (!l)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	rc = store_connector_each(c, siren, collect, l, e);
	if (!rc && l->n == 0)
		rc = lerr_set(e, LERR_NOTFOUND, "org", "organisation %s has no connector", siren);
	for (int i = 0; !rc && i < l->n; i++) {
		const struct xmit_connector *k = xmit_connector_named(l->items[i].kind);
		struct xmit_poll p = { .c = c, .org_id = l->items[i].org_id, .siren = l->items[i].siren,
				       .settings = l->items[i].settings, .report = report, .arg = arg };
		struct lerr why;
		char line[1200];

		lerr_clear(&why);
		if (k && k->test && p.settings && k->test(&p, &why)) {
			lerr_oneline(&why, line, sizeof(line));
			report(arg, k->name, 0, line);
			failed++;
		}
	}
	free_list(l);
	if (!rc && failed)
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "%d connector check%s failed", failed,
			      failed == 1 ? "" : "s");
	return rc;
}
