/*
 * metrics.c - the table of series behind core/metrics.h.
 *
 * A fixed open-addressing table of METRICS_SLOTS series.  Finding a series
 * reads without a lock (a slot is published with a release store once its
 * family and labels are written, and never changes afterwards); creating
 * one takes a mutex, once per distinct label set.  Counts are atomic
 * integers; a histogram keeps one count per bucket (not cumulative) and its
 * sum in microunits, so that a scrape adds the buckets up itself and its
 * +Inf bucket always equals its _count.  A full table drops new series and
 * counts them in liasse_metrics_dropped_series_total.
 */
#include "core/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"

#define METRICS_SLOTS 1024
#define LABELS_MAX 192
#define MAX_LABELS 3

/* Request durations, seconds: a small GET to a 150 MiB upload. */
static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct family {
	const char *name, *type, *help;
	const char *labels[MAX_LABELS];
};

static const struct family families[METRIC_COUNT] = {
	[METRIC_HTTP_REQUESTS] = { "liasse_http_requests_total", "counter",
		"HTTP requests completed on the API port, by method, route template and status",
		{ "method", "route", "status" } },
	[METRIC_HTTP_DURATION] = { "liasse_http_request_duration_seconds", "histogram",
		"time from a request's first byte to its completion, by method and route template",
		{ "method", "route" } },
	[METRIC_SIGNATURES] = { "liasse_signatures_total", "counter",
		"documents of signing batches: signed, or the error kind that kept one unsigned", { "outcome" } },
	[METRIC_PIN_ATTEMPTS] = { "liasse_pin_attempts_total", "counter",
		"signing PIN attempts: ok, wrong, or refused because signing is locked", { "outcome" } },
	[METRIC_PIN_LOCKOUTS] = { "liasse_pin_lockouts_total", "counter",
		"wrong PINs that locked a signing certificate", { NULL } },
	[METRIC_LOGINS] = { "liasse_logins_total", "counter",
		"person logins: ok, failed, or refused because the login is locked", { "outcome" } },
	[METRIC_TRANSMISSIONS] = { "liasse_transmissions_total", "counter",
		"sends to a state platform by connector and outcome (sent, refused, unsent, uncertain)",
		{ "platform", "outcome" } },
};

struct series {
	atomic_int ready;
	int metric;
	char labels[LABELS_MAX];         /* k1="v1",k2="v2" */
	atomic_ullong count;             /* counter; unused by histograms */
	atomic_ullong bucket[NBUCKETS + 1];  /* the last: above every bound */
	atomic_ullong sum_u;             /* histogram sum, in millionths */
};

static struct series table[METRICS_SLOTS];
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_ullong dropped;

/* Appends v escaped as the exposition format wants (\\, \", \n). */
static size_t
escape(char *out, size_t cap, size_t n, const char *v)
{
	for (; v && *v && n + 3 < cap; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			out[n++] = '\\';
		out[n++] = *v == '\n' ? 'n' : *v;
	}
	out[n] = '\0';
	return n;
}

static void
label_text(enum metric m, va_list ap, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; i < MAX_LABELS && families[m].labels[i]; i++) {
		const char *v = va_arg(ap, const char *);

		n += (size_t)snprintf(out + n, cap - n, "%s%s=\"", i ? "," : "", families[m].labels[i]);
		if (n + 4 >= cap)
			break;
		n = escape(out, cap - 2, n, v);
		out[n++] = '"';
		out[n] = '\0';
	}
}

static uint32_t
hash(enum metric m, const char *s)
{
	uint32_t h = 2166136261u ^ (uint32_t)m;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct series *
scan(enum metric m, const char *labels, uint32_t h, int create)
{
	for (uint32_t i = 0; i < METRICS_SLOTS; i++) {
		struct series *s = &table[(h + i) % METRICS_SLOTS];

		if (!atomic_load_explicit(&s->ready, memory_order_acquire)) {
			if (!create)
				return NULL;
			s->metric = (int)m;
			snprintf(s->labels, sizeof(s->labels), "%s", labels);
			atomic_store_explicit(&s->ready, 1, memory_order_release);
			return s;
		}
		if (s->metric == (int)m && !strcmp(s->labels, labels))
			return s;
	}
	return NULL;
}

static struct series *
find(enum metric m, const char *labels)
{
	uint32_t h = hash(m, labels);
	struct series *s = scan(m, labels, h, 0);

	if (s)
		return s;
	pthread_mutex_lock(&create_lock);
	s = scan(m, labels, h, 1);
	pthread_mutex_unlock(&create_lock);
	if (!s)
		atomic_fetch_add(&dropped, 1);
	return s;
}

void
metrics_add(enum metric m, unsigned long long n, ...)
{
	char labels[LABELS_MAX];
	struct series *s;
	va_list ap;

	va_start(ap, n);
	label_text(m, ap, labels, sizeof(labels));
	va_end(ap);
	if ((s = find(m, labels)))
		atomic_fetch_add_explicit(&s->count, n, memory_order_relaxed);
}

void
metrics_observe(enum metric m, double value, ...)
{
	char labels[LABELS_MAX];
	struct series *s;
	size_t b = 0;
	va_list ap;

	va_start(ap, value);
	label_text(m, ap, labels, sizeof(labels));
	va_end(ap);
	if (!(s = find(m, labels)))
		return;
	if (!(value >= 0))
		value = 0;
	while (b < NBUCKETS && value > buckets[b])
		b++;
	atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_u, (unsigned long long)(value * 1e6 + 0.5),
				  memory_order_relaxed);
}

int
metrics_header(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

int
metrics_sample(struct buf *b, const char *name, double value, ...)
{
	char labels[LABELS_MAX];
	size_t n = 0;
	const char *k;
	va_list ap;

	labels[0] = '\0';
	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) && n + 8 < sizeof(labels)) {
		n += (size_t)snprintf(labels + n, sizeof(labels) - n, "%s%s=\"", n ? "," : "", k);
		if (n + 4 >= sizeof(labels))
			break;
		n = escape(labels, sizeof(labels) - 2, n, va_arg(ap, const char *));
		labels[n++] = '"';
		labels[n] = '\0';
	}
	va_end(ap);
	if (value > -1e15 && value < 1e15 && value == (double)(long long)value)
		return buf_printf(b, "%s%s%s%s %lld\n", name, n ? "{" : "", labels, n ? "}" : "",
				  (long long)value);
	return buf_printf(b, "%s%s%s%s %.6f\n", name, n ? "{" : "", labels, n ? "}" : "", value);
}

static int
render_histogram(struct buf *b, const struct family *f, struct series *s)
{
	unsigned long long cum = 0;
	const char *sep = s->labels[0] ? "," : "";
	int rc = 0;

	for (size_t i = 0; !rc && i <= NBUCKETS; i++) {
		cum += atomic_load_explicit(&s->bucket[i], memory_order_relaxed);
		if (i < NBUCKETS)
			rc = buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", f->name, s->labels, sep,
					buckets[i], cum);
		else
			rc = buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", f->name, s->labels, sep, cum);
	}
	if (!rc)
		rc = buf_printf(b, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", f->name, s->labels,
				(double)atomic_load(&s->sum_u) / 1e6, f->name, s->labels, cum);
	return rc;
}

static int
render_family(struct buf *b, enum metric m)
{
	const struct family *f = &families[m];
	int rc = metrics_header(b, f->name, f->type, f->help);
	int any = 0;

	for (size_t i = 0; !rc && i < METRICS_SLOTS; i++) {
		struct series *s = &table[i];

		if (!atomic_load_explicit(&s->ready, memory_order_acquire) || s->metric != (int)m)
			continue;
		any = 1;
		if (!strcmp(f->type, "histogram"))
			rc = render_histogram(b, f, s);
		else
			rc = buf_printf(b, "%s%s%s%s %llu\n", f->name, s->labels[0] ? "{" : "", s->labels,
					s->labels[0] ? "}" : "", atomic_load(&s->count));
	}
	/* A family without labels is 0 before its first event rather than absent. */
	if (!rc && !any && !f->labels[0])
		rc = buf_printf(b, "%s 0\n", f->name);
	return rc;
}

int
metrics_render(struct buf *b)
{
	int rc = 0;

	for (int m = 0; !rc && m < METRIC_COUNT; m++)
		rc = render_family(b, (enum metric)m);
	if (!rc)
		rc = metrics_header(b, "liasse_metrics_dropped_series_total", "counter",
				    "new label sets not counted because the table of series was full");
	if (!rc)
		rc = buf_printf(b, "liasse_metrics_dropped_series_total %llu\n", atomic_load(&dropped));
	return rc;
}
