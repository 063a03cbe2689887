/*
 * events.c - what a vendor learns: the change feed (GET /api/v1/events) and
 * its webhooks (/api/v1/webhooks...).  Events and their positions come from
 * the store (006_events.sql); deliveries from src/transmit/webhook.c.
 */
#include "http/http_int.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "transmit/webhook.h"

#define FEED_LIMIT 100
#define FEED_LIMIT_MAX 500
#define WAIT_MAX 30             /* a stopping liassed waits for requests in flight */
#define WAIT_TICK_MS 250

static atomic_int stopping;     /* set at SIGTERM: long polls answer at once */

void
http_events_stop(void)
{
	atomic_store(&stopping, 1);
}

/* An optional integer query parameter in [lo, hi]. */
static int
int_param(struct req *rq, const char *name, long long lo, long long hi, long long *out,
	  const char *hint, struct lerr *e)
{
	const char *v = http_query(rq, name);
	char *end, why[96];
	long long n;

	if (!v)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || !*v || *end || n < lo || n > hi) {
		snprintf(why, sizeof(why), "\"%.32s\" is not an integer between %lld and %lld", v, lo, hi);
		return http_bad_query(e, name, why, hint);
	}
	*out = n;
	return 0;
}

/* Takes malloc'd JSON array text; replies {"items": ...<extra>}. */
static int
reply_items(struct req *rq, unsigned status, char *items, const char *extra)
{
	char *page = NULL;
	int n = asprintf(&page, "{\"items\":%s%s}", items, extra ? extra : "");

	free(items);
	if (n < 0)
		abort();
	return http_reply_raw(rq, status, "application/json", page, (size_t)n);
}

/* ---- the feed ---- */

struct feed_query {
	long long after, limit, wait;
};

static int
feed_params(struct req *rq, struct feed_query *q, struct lerr *e)
{
	q->after = 0;
	q->limit = FEED_LIMIT;
	q->wait = 0;
	if (int_param(rq, "after", 0, 999999999999999999LL, &q->after,
		      "pass the next_after of the previous page (0 or absent: from the start)", e) ||
	    int_param(rq, "limit", 1, FEED_LIMIT_MAX, &q->limit, "e.g. limit=100", e) ||
	    int_param(rq, "wait", 0, WAIT_MAX, &q->wait,
		      "seconds to wait for an event when there is none yet, e.g. wait=30", e))
		return LERR_MALFORMED;
	return 0;
}

/* A reader whose position predates what retention purged has lost events:
 * 410, naming `after` and where the feed now starts. */
static int
gone(const struct feed_query *q, long long purged, struct lerr *e)
{
	lerr_set(e, LERR_GONE, "after", "events after %lld were purged", q->after);
	lerr_detail(e, "events up to position %lld are past their retention period (retention_events)"
		    " and were deleted; the oldest position available is after=%lld", purged, purged);
	lerr_hint(e, "resynchronise the documents (GET /api/v1/documents?updated_since=...), then read"
		  " the feed from after=%lld", purged);
	return LERR_GONE;
}

/* One look: seal what committed, then read a page. */
static int
feed_once(struct req *rq, const struct feed_query *q, char **items, int *count, long long *last,
	  struct lerr *e)
{
	struct store_conn *c = NULL;
	long long purged = 0;
	int n, rc = store_acquire(http_store(rq), &c, e);

	if (!rc)
		rc = store_event_seal(c, &n, e);
	if (!rc)
		rc = store_event_list(c, rq->client.id, q->after, (int)q->limit, items, count, last, &purged, e);
	store_release(http_store(rq), c);
	if (!rc && q->after < purged) {
		free(*items);
		*items = NULL;
		rc = gone(q, purged, e);
	}
	return rc;
}

/* Long poll: look again every WAIT_TICK_MS until an event or the deadline,
 * holding no database connection in between. */
static int
events(struct req *rq)
{
	struct timespec tick = { 0, WAIT_TICK_MS * 1000000L };
	struct feed_query q;
	char *items = NULL, extra[48];
	long long last = 0;
	int count = 0, rc;
	time_t deadline;
	struct lerr e;

	lerr_clear(&e);
	if ((rc = feed_params(rq, &q, &e)))
		return http_reply_problem(rq, &e);
	deadline = time(NULL) + (time_t)q.wait;
	while (!(rc = feed_once(rq, &q, &items, &count, &last, &e)) && count == 0 && time(NULL) < deadline &&
	       !atomic_load(&stopping)) {
		free(items);
		items = NULL;
		nanosleep(&tick, NULL);
	}
	if (rc)
		return http_reply_problem(rq, &e);
	snprintf(extra, sizeof(extra), ",\"next_after\":%lld", last);
	return reply_items(rq, 200, items, extra);
}

/* ---- webhooks ---- */

/* The body {"url": "..."}: the URL, or a problem in e. */
static int
webhook_body(struct req *rq, char *url, size_t n, struct lerr *e)
{
	json_error_t jerr;
	json_t *j = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len, JSON_REJECT_DUPLICATES, &jerr);
	const char *key, *v;
	json_t *val;
	int rc = 0;

	if (!json_is_object(j)) {
		rc = lerr_set(e, LERR_MALFORMED, NULL, "the body must be a JSON object");
		lerr_hint(e, "send {\"url\": \"https://vendor.example/liasse/events\"}");
	}
	if (!rc) {
		json_object_foreach(j, key, val) {
			if (strcmp(key, "url") && !rc) {
				rc = lerr_set(e, LERR_INVALID, key, "unknown field %s", key);
				lerr_hint(e, "a webhook has only a url");
			}
		}
	}
	if (!rc && !(v = json_string_value(json_object_get(j, "url")))) {
		rc = lerr_set(e, LERR_INVALID, "url", "url is missing or not a string");
		lerr_hint(e, "send {\"url\": \"https://vendor.example/liasse/events\"}");
	}
	if (!rc && !(rc = xmit_webhook_url_check(v, (int)config_int("webhook_allow_private"), e)))
		snprintf(url, n, "%s", v);
	json_decref(j);
	return rc;
}

static int
add(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char url[WEBHOOK_URL_MAX + 1], secret[WEBHOOK_SECRET_LEN], *json = NULL, *out;
	json_error_t jerr;
	json_t *w;
	int rc = webhook_body(rq, url, sizeof(url), e);

	if (!rc)
		rc = xmit_webhook_secret(secret, e);
	if (!rc)
		rc = store_webhook_add(c, rq->client.id, NULL, url, secret,
				       arena_printf(rq->arena, "client:%s", rq->client.name), &json, e);
	if (rc)
		return rc;
	/* The secret is shown this once. */
	w = json_loads(json, 0, &jerr);
	free(json);
	json_object_set_new(w, "secret", json_string(secret));
	explicit_bzero(secret, sizeof(secret));
	out = json_dumps(w, JSON_COMPACT);
	json_decref(w);
	if (!out)
		abort();
	return http_reply_raw(rq, 201, "application/json", out, strlen(out));
}

static int
webhook_post(struct req *rq)
{
	return http_with_conn(rq, add);
}

static int
list(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;
	int rc = store_webhook_list(c, rq->client.id, &json, e);

	return rc ? rc : reply_items(rq, 200, json, NULL);
}

static int
webhook_list(struct req *rq)
{
	return http_with_conn(rq, list);
}

static int
del(struct req *rq, struct store_conn *c, struct lerr *e)
{
	int rc = store_webhook_delete(c, rq->client.id, rq->params[0],
				      arena_printf(rq->arena, "client:%s", rq->client.name), e);

	return rc ? rc : http_reply_text(rq, 204, "application/json", "", 0);
}

static int
webhook_delete(struct req *rq)
{
	return http_with_conn(rq, del);
}

static int
deliveries(struct req *rq, struct store_conn *c, struct lerr *e)
{
	long long limit = 50;
	char *json = NULL;
	int rc = int_param(rq, "limit", 1, 500, &limit, "e.g. limit=50", e);

	if (!rc)
		rc = store_webhook_deliveries(c, rq->client.id, rq->params[0], (int)limit, &json, e);
	return rc ? rc : reply_items(rq, 200, json, NULL);
}

static int
webhook_deliveries(struct req *rq)
{
	return http_with_conn(rq, deliveries);
}

const struct http_handler http_h_events = { .handle = events };
const struct http_handler http_h_webhook_post = { .handle = webhook_post };
const struct http_handler http_h_webhook_list = { .handle = webhook_list };
const struct http_handler http_h_webhook_delete = { .handle = webhook_delete };
const struct http_handler http_h_webhook_deliveries = { .handle = webhook_deliveries };
