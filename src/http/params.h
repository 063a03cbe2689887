/*
 * params.h - the parsers of request parameters that need no connection:
 * a Range header, a page cursor, a timestamp filter.  Pure functions (no microhttpd, no
 * arena), so tests/fuzz/fuzz_params drives them alone.
 */
#ifndef LIASSE_HTTP_PARAMS_H
#define LIASSE_HTTP_PARAMS_H

#include <stdint.h>

/* Parses "bytes=a-b", "bytes=a-", "bytes=-n" against size.  0: a range
 * (0 <= first <= last < size), 1: no usable Range header (serve all),
 * HTTP_RANGE_UNSATISFIABLE: the range lies outside the file. */
#define HTTP_RANGE_UNSATISFIABLE 2
int http_range_parse(const char *h, int64_t size, int64_t *first, int64_t *last);

/* The cursor is base64url("<microseconds> <uuid>") of the last item seen.
 * 0: ts (digits, at most 9999-12-31T23:59:59.999999Z) and id (a UUID);
 * HTTP_CURSOR_BAD: not a cursor; HTTP_CURSOR_RANGE: its time is too far. */
#define HTTP_CURSOR_BAD 1
#define HTTP_CURSOR_RANGE 2
#define HTTP_CURSOR_MAX_US 253402300799999999LL
int http_cursor_parse(const char *cur, char ts[32], char id[40]);

/* 1 when s is an RFC 3339 date-time PostgreSQL takes as it is (a day that
 * exists, hours, minutes and seconds in range, an offset within 15:59). */
int http_timestamp_valid(const char *s);

#endif
