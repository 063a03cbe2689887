/*
 * test_metrics.c - core/metrics: the exposition of counters and histograms
 * (label escaping, cumulative buckets, +Inf = _count), a series per label
 * set, concurrent increments from threads, and a full table that drops new
 * series rather than failing.
 */
#include "core/buf.h"
#include "core/metrics.h"
#include "tap.h"

#include <pthread.h>

#define THREADS 4
#define PER_THREAD 20000

static char *
render(struct buf *b)
{
	buf_reset(b);
	if (metrics_render(b))
		return NULL;
	return b->data;
}

static void *
hammer(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++)
		metrics_inc(METRIC_HTTP_REQUESTS, "GET", "/race", "200");
	return NULL;
}

static void
test_counters(struct buf *b)
{
	pthread_t t[THREADS];
	const char *s;

	metrics_inc(METRIC_HTTP_REQUESTS, "GET", "/api/v1/documents/{id}", "404");
	metrics_add(METRIC_HTTP_REQUESTS, 2, "GET", "/api/v1/documents/{id}", "404");
	metrics_inc(METRIC_LOGINS, "a\"b\\c\nd");
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, hammer, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	s = render(b);
	ok(s && strstr(s, "# TYPE liasse_http_requests_total counter\n"), "TYPE line");
	ok(s && strstr(s, "\nliasse_http_requests_total{method=\"GET\",route=\"/api/v1/documents/{id}\","
		       "status=\"404\"} 3\n"), "one series per label set, counts added");
	ok(s && strstr(s, "\nliasse_logins_total{outcome=\"a\\\"b\\\\c\\nd\"} 1\n"),
	   "label values escaped (\\\", \\\\, \\n)");
	ok(s && strstr(s, "status=\"200\"} 80000\n"), "no increment lost across %d threads", THREADS);
	ok(s && strstr(s, "\nliasse_pin_lockouts_total 0\n"), "a family without labels shows 0");
}

static void
test_histogram(struct buf *b)
{
	const double v[] = { 0.001, 0.003, 0.02, 0.7, 0.7, 100 };
	const char *s;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		metrics_observe(METRIC_HTTP_DURATION, v[i], "POST", "/h");
	s = render(b);
	ok(s && strstr(s, "# TYPE liasse_http_request_duration_seconds histogram\n"), "histogram TYPE");
	ok(s && strstr(s, "_bucket{method=\"POST\",route=\"/h\",le=\"0.005\"} 2\n"), "le=0.005: 2");
	ok(s && strstr(s, "_bucket{method=\"POST\",route=\"/h\",le=\"0.025\"} 3\n"), "le=0.025: 3 (cumulative)");
	ok(s && strstr(s, "_bucket{method=\"POST\",route=\"/h\",le=\"1\"} 5\n"), "le=1: 5");
	ok(s && strstr(s, "_bucket{method=\"POST\",route=\"/h\",le=\"60\"} 5\n"), "le=60: 5");
	ok(s && strstr(s, "_bucket{method=\"POST\",route=\"/h\",le=\"+Inf\"} 6\n"), "+Inf: 6");
	ok(s && strstr(s, "_count{method=\"POST\",route=\"/h\"} 6\n"), "_count equals +Inf");
	ok(s && strstr(s, "_sum{method=\"POST\",route=\"/h\"} 101.424000\n"), "_sum");
}

static void
test_samples(struct buf *b)
{
	buf_reset(b);
	ok(!metrics_sample(b, "x", 3, "a", "1", "b", "q\"", (char *)NULL) &&
	   !metrics_sample(b, "y", 0.25, (char *)NULL), "samples written");
	is_str(b->data, "x{a=\"1\",b=\"q\\\"\"} 3\ny 0.250000\n", "gauge samples");
}

static void
test_full(struct buf *b)
{
	char route[32];
	const char *s;

	for (int i = 0; i < 1100; i++) {
		snprintf(route, sizeof(route), "/r%d", i);
		metrics_inc(METRIC_TRANSMISSIONS, route, "sent");
	}
	s = render(b);
	ok(s != NULL, "a full table still renders");
	ok(s && !strstr(s, "liasse_metrics_dropped_series_total 0\n"), "new series dropped and counted");
}

int
main(void)
{
	struct buf b;

	buf_init(&b, 4 << 20);
	test_counters(&b);
	test_histogram(&b);
	test_samples(&b);
	test_full(&b);
	buf_fini(&b);
	return tap_done();
}
