/* Unit tests of core/: buffers, arena, configuration, errors, helpers. */
#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/util.h"
#include "tap.h"

#include <stdint.h>
#include <string.h>

static void
test_buf(void)
{
	struct buf b;

	buf_init(&b, 8);
	ok(buf_addstr(&b, "12345") == 0, "buf accepts data under its cap");
	ok(buf_addstr(&b, "6789") != 0, "buf refuses data past its cap");
	is_str(b.data, "12345", "a refused add leaves the buffer unchanged");
	ok(buf_printf(&b, "%d", 678) == 0 && b.len == 8, "buf_printf fills up to the cap exactly");
	buf_fini(&b);
}

static int cleaned;
static void cleanup(void *p) { cleaned += *(int *)p; }

static void
test_arena(void)
{
	struct arena *a = arena_create();
	static int one = 1, two = 2;
	char *big = arena_alloc(a, 100000);

	big[99999] = 'x';
	is_str(arena_printf(a, "%s-%d", "doc", 7), "doc-7", "arena_printf formats");
	arena_defer(a, cleanup, &one);
	arena_defer(a, cleanup, &two);
	arena_destroy(a);
	is_int(cleaned, 3, "arena runs every cleanup");
}

static void
test_util(void)
{
	uint8_t d[SHA256_LEN], raw[3] = { 0xfb, 0xff, 0x01 };
	char hex[2 * SHA256_LEN + 1], b64[8];

	sha256_once("abc", 3, d);
	hex_encode(d, sizeof(d), hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of abc");
	base64url_encode(raw, 3, b64);
	is_str(b64, "-_8B", "base64url uses the URL alphabet");
	ok(utf8_valid("Céret", 6), "valid UTF-8 accepted");
	ok(!utf8_valid("C\xe9ret", 5), "Latin-1 byte refused as UTF-8");
	ok(!utf8_valid("\xc0\xaf", 2), "overlong encoding refused");
	ok(!filename_safe("../etc/passwd"), "path traversal refused in file names");
	ok(!filename_safe(".."), "\"..\" refused as a file name");
	ok(!filename_safe("a\\b.pdf"), "backslash refused in file names");
	ok(filename_safe("délibération 12.pdf"), "ordinary accented file name accepted");
	ok(uuid_valid("0b7c2f0e-9a4d-4d3c-8f3e-2b1d6a9e5c11"), "uuid accepted");
	ok(!uuid_valid("0b7c2f0e-9a4d-4d3c-8f3e-2b1d6a9e5c1"), "short uuid refused");
}

/* base64: round trips of every length around the 3-byte groups, line
 * breaks every 64 characters, white space and line breaks on reading. */
static void
test_base64(void)
{
	uint8_t raw[200], back[200];
	char url[300];
	struct buf b, d;
	struct arena *a = arena_create();
	size_t len = 0;
	int good = 1;

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 37 + 11);
	buf_init(&b, 1 << 16);
	buf_init(&d, 1 << 16);
	for (size_t n = 0; n < sizeof(raw) && good; n++) {
		buf_reset(&b);
		buf_reset(&d);
		memset(url, '#', sizeof(url));
		base64url_encode(raw, n, url);
		good = strlen(url) == (4 * n + 2) / 3 && url[strlen(url) + 1] == '#' &&
		       !base64_encode(raw, n, n % 2, &b) && !base64_decode(b.data, b.len, &d) &&
		       d.len == n && !memcmp(d.data, raw, n) && !strchr(url, '=') &&
		       !base64url_decode(url, back, sizeof(back), &len) && len == n && !memcmp(back, raw, n);
	}
	ok(good, "base64 and base64url round trips of 0 to 199 bytes, base64url writing no more than it needs");
	buf_reset(&b);
	ok(!base64_encode(raw, 100, 1, &b) && strchr(b.data, '\n') - b.data == 64 &&
	   b.data[b.len - 1] != '\n', "a line break every 64 characters, none at the end");
	buf_reset(&d);
	ok(!base64_decode(" AQID\r\nBA==\n", 12, &d) && d.len == 4 && !memcmp(d.data, "\1\2\3\4", 4),
	   "white space and line breaks are skipped");
	buf_reset(&d);
	ok(base64_decode("AQ*D", 4, &d) != 0, "a character outside the alphabet is refused");
	ok(base64url_decode("AQ+D", back, sizeof(back), &len) != 0 &&
	   base64url_decode("AQID", back, 2, &len) != 0, "base64url: '+' refused, and more than max bytes");
	is_str(content_disposition(a, "attachment", "délib n°1.pdf"),
	       "attachment; filename*=UTF-8''d%C3%A9lib%20n%C2%B01.pdf", "Content-Disposition, RFC 8187");
	is_int(hex_digit('F'), 15, "hex digit");
	is_int(hex_digit('g'), -1, "not a hex digit");
	buf_fini(&b);
	buf_fini(&d);
	arena_destroy(a);
}

static void
test_config(void)
{
	struct lerr e;

	ok(config_load(NULL, &e) == 0, "defaults load");
	is_int(config_int("listen_port"), 8080, "default port");
	ok(config_set("max_request_size", "2M", &e) == 0, "size with suffix");
	is_int(config_int("max_request_size"), 2 << 20, "2M is 2 MiB");
	ok(config_set("shutdown_timeout", "2m", &e) == 0 && config_int("shutdown_timeout") == 120,
	   "2m is 120 seconds");
	ok(config_set("no_such_key", "1", &e) == LERR_INVALID, "unknown key refused");
	ok(strstr(e.msg, "no_such_key") != NULL, "the error names the key");
	ok(config_set("listen_port", "eighty", &e) == LERR_INVALID, "non-number refused");
}

/* Every key of the table is documented in doc/liasse.conf.sample, and the
 * sample documents no key that does not exist (pgbouncer's optscan). */
static void
test_config_documented(void)
{
	char path[4096], line[2048];
	FILE *f = fopen(tap_srcpath(path, sizeof(path), "doc/liasse.conf.sample"), "r");
	int seen[256] = { 0 }, unknown = 0;

	if (!ok(f != NULL, "doc/liasse.conf.sample exists"))
		return;
	while (fgets(line, sizeof(line), f)) {
		char key[128];
		const char *s = line;

		if (*s == '#')
			s++;
		while (*s == ' ')
			s++;
		if (sscanf(s, "%127[a-z0-9_] =", key) != 1 || !strstr(s, "="))
			continue;
		size_t i;
		for (i = 0; i < config_nkeys; i++)
			if (!strcmp(config_keys[i].name, key))
				break;
		if (i < config_nkeys)
			seen[i] = 1;
		else if (line[0] != '#') {
			fprintf(stderr, "# sample sets unknown key %s\n", key);
			unknown++;
		}
	}
	fclose(f);
	for (size_t i = 0; i < config_nkeys; i++)
		ok(seen[i], "key %s is documented in the sample", config_keys[i].name);
	is_int(unknown, 0, "the sample sets no unknown key");
	struct lerr e;
	ok(config_load(path, &e) == 0, "the sample itself loads");
}

int
main(void)
{
	test_buf();
	test_arena();
	test_util();
	test_base64();
	test_config();
	test_config_documented();
	return tap_done();
}
