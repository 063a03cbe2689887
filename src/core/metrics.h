/*
 * metrics.h - counters and histograms for Prometheus, no library.
 *
 * The hot paths (a request's completion, a signature, a login, a send)
 * count into a fixed table of series with atomics; metrics_render() writes
 * them in the text exposition format 0.0.4.  A series is a family (the enum
 * below, one row of the table in metrics.c: name, type, help, label names)
 * plus its label values; callers pass bounded values only (a route template,
 * never a raw path), for each distinct set is a slot for the life of the
 * process.  Gauges read elsewhere at scrape time (the pool, the database) are
 * written by the scraper with metrics_header() and metrics_sample().
 * doc/metrics.md lists every metric.
 */
#ifndef LIASSE_CORE_METRICS_H
#define LIASSE_CORE_METRICS_H

struct buf;

enum metric {
	METRIC_HTTP_REQUESTS,        /* counter {method, route, status} */
	METRIC_HTTP_DURATION,        /* histogram {method, route}, seconds */
	METRIC_SIGNATURES,           /* counter {outcome}: signed, failed */
	METRIC_PIN_ATTEMPTS,         /* counter {outcome}: ok, wrong, locked */
	METRIC_PIN_LOCKOUTS,         /* counter {}: a wrong PIN that locked signing */
	METRIC_LOGINS,               /* counter {outcome}: ok, failed, locked */
	METRIC_TRANSMISSIONS,        /* counter {platform, outcome} */
	METRIC_COUNT
};

/* Adds n to the series of m with the family's label values, in the order of
 * its label names (as many as it has). */
void metrics_add(enum metric m, unsigned long long n, ...);
#define metrics_inc(m, ...) metrics_add((m), 1, __VA_ARGS__)
/* One observation of a histogram (seconds), then its label values. */
void metrics_observe(enum metric m, double value, ...);

/* The counters and histograms, appended to b; -1 when b is full. */
int metrics_render(struct buf *b) __attribute__((warn_unused_result));
/* "# HELP" and "# TYPE" lines of a family written by the caller. */
int metrics_header(struct buf *b, const char *name, const char *type, const char *help)
	__attribute__((warn_unused_result));
/* One sample: name{k1="v1",...} value, label name/value pairs ending with
 * NULL; values are escaped. */
int metrics_sample(struct buf *b, const char *name, double value, ...)
	__attribute__((sentinel, warn_unused_result));

#endif
