/*
 * tap.h - a tiny TAP producer for the unit programs.
 * ok(cond, "name"), is_int(a, b, "name"), is_str(a, b, "name"); end with
 * return tap_done(); skip a whole program with tap_skip_all("why") (exit 77).
 */
#ifndef LIASSE_TESTS_TAP_H
#define LIASSE_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) tap_ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(a, b, ...) do { long long a_ = (a), b_ = (b); \
	if (!ok(a_ == b_, __VA_ARGS__)) fprintf(stderr, "#   got %lld, expected %lld\n", a_, b_); } while (0)
#define is_str(a, b, ...) do { const char *a_ = (a), *b_ = (b); \
	if (!ok(a_ && b_ && strcmp(a_, b_) == 0, __VA_ARGS__)) \
		fprintf(stderr, "#   got \"%s\", expected \"%s\"\n", a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)

static int __attribute__((format(printf, 4, 5)))
tap_ok_(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		fprintf(stderr, "#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

/* Memory bounds (peak RSS) mean nothing under AddressSanitizer, whose
 * quarantine keeps freed memory: such checks pass as skipped there. */
#if defined(__SANITIZE_ADDRESS__)
#define TAP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TAP_ASAN 1
#endif
#endif
#ifndef TAP_ASAN
#define TAP_ASAN 0
#endif
#define ok_rss(cond, ...) do { if (TAP_ASAN) { printf("ok %d # skip peak RSS under ASan\n", ++tap_n); } \
	else ok(cond, __VA_ARGS__); } while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n# %d passed, %d failed\n", tap_n, tap_n - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

static inline void __attribute__((noreturn))
tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	exit(77);
}

/* Path of a file in the source tree ($top_srcdir or "."). */
static inline const char *
tap_srcpath(char *out, size_t n, const char *rel)
{
	const char *top = getenv("top_srcdir");

	snprintf(out, n, "%s/%s", top ? top : ".", rel);
	return out;
}

/* Path of a fixture, or NULL when ../shared/fixtures is absent. */
static inline const char *
tap_fixture(char *out, size_t n, const char *rel)
{
	const char *dir = getenv("LIASSE_FIXTURES");
	FILE *f;

	snprintf(out, n, "%s/%s", dir ? dir : "../shared/fixtures", rel);
	f = fopen(out, "rb");
	if (!f)
		return NULL;
	fclose(f);
	return out;
}

#endif
