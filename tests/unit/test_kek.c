/* test_kek.c - core/kek: sealing and opening secrets under file keys. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/kek.h"
#include "tap.h"

static char dir[] = "/tmp/test_kek.XXXXXX";

static const char *
path(const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static int
set(const char *key, const char *value)
{
	struct lerr e;

	lerr_clear(&e);
	return config_set(key, value, &e);
}

static int
configure(struct lerr *e)
{
	lerr_clear(e);
	return kek_configure(e);
}

static void
test_clear_without_key(void)
{
	struct buf b;
	struct lerr e;

	buf_init(&b, 1024);
	ok(!configure(&e) && !kek_enabled(), "no key configured: sealing is off");
	ok(!kek_seal("t:1", "abc", 3, &b, &e) && b.len == 3 && !memcmp(b.data, "abc", 3),
	   "without a key a value is written as it is");
	buf_fini(&b);
}

static void
test_seal_open(void)
{
	struct buf s, o;
	struct lerr e;
	char id[2 * KEK_ID_LEN + 1];

	lerr_clear(&e);
	ok(!kek_new_file(path("a.key"), &e), "new-key writes a key file");
	ok(kek_new_file(path("a.key"), &e) != 0, "new-key never overwrites");
	ok(!set("kek_file", path("a.key")) && !configure(&e) && kek_enabled(), "the file key is loaded");
	kek_current_id(id);
	ok(strlen(id) == 16 && kek_known(id), "the current key has an id: %s", id);
	buf_init(&s, 4096);
	buf_init(&o, 4096);
	ok(!kek_seal("certificate.key_blob:aa", "secret value", 12, &s, &e), "seal");
	ok(kek_is_sealed(s.data, s.len) && s.len == 12 + KEK_OVERHEAD && !memmem(s.data, s.len, "secret", 6),
	   "the sealed value carries no clear text");
	ok(!kek_open("certificate.key_blob:aa", s.data, s.len, &o, &e) && o.len == 12 &&
	   !memcmp(o.data, "secret value", 12), "open gives the value back");
	buf_reset(&o);
	ok(kek_open("certificate.key_blob:bb", s.data, s.len, &o, &e) == LERR_INTERNAL,
	   "another row's context does not open it: %s", e.msg);
	s.data[s.len - 1] ^= 1;
	buf_reset(&o);
	ok(kek_open("certificate.key_blob:aa", s.data, s.len, &o, &e) == LERR_INTERNAL, "an altered value does not open");
	buf_fini(&s);
	buf_fini(&o);
}

static void
test_text_and_rotation(void)
{
	struct buf s, s2, o;
	struct lerr e;

	buf_init(&s, 4096);
	buf_init(&s2, 4096);
	buf_init(&o, 4096);
	ok(!kek_seal_text("webhook.secret:7", "whsec_abcdefghijklmnop", &s, &e) &&
	   !strncmp(s.data, KEK_TEXT_PREFIX, 5), "a text value is sealed as lks1:base64");
	ok(!kek_new_file(path("b.key"), &e), "a second key");
	ok(!set("kek_file", path("b.key")) && !set("kek_previous_files", path("a.key")) && !configure(&e),
	   "b current, a previous");
	ok(!kek_open_text("webhook.secret:7", s.data, &o, &e) && !strcmp(o.data, "whsec_abcdefghijklmnop"),
	   "a value sealed under the previous key still opens");
	ok(!kek_seal_text("webhook.secret:7", "whsec_abcdefghijklmnop", &s2, &e) && strcmp(s.data, s2.data),
	   "new values are sealed under the current key");
	ok(!set("kek_previous_files", "") && !configure(&e), "a removed");
	buf_reset(&o);
	ok(kek_open_text("webhook.secret:7", s.data, &o, &e) == LERR_UNAVAILABLE && strstr(e.msg, "not configured"),
	   "a value under a removed key: %s", e.msg);
	buf_reset(&o);
	ok(!kek_open_text("webhook.secret:7", "whsec_clear", &o, &e) && !strcmp(o.data, "whsec_clear"),
	   "a value written before sealing reads as it is");
	buf_fini(&s);
	buf_fini(&s2);
	buf_fini(&o);
}

static void
test_bad_files(void)
{
	struct lerr e;

	ok(!set("kek_previous_files", "") && !set("kek_file", path("a.key")) && !configure(&e), "a again");
	chmod(path("a.key"), 0640);
	ok(configure(&e) && strstr(e.msg, "mode 640") && strstr(e.msg, "0600"), "mode 0640 refused: %s", e.msg);
	ok(kek_enabled(), "a failed reload keeps the keys in use");
	chmod(path("a.key"), 0600);
	ok(!set("kek_file", path("none.key")) && configure(&e) && strstr(e.msg, "cannot open"),
	   "a missing file: %s", e.msg);
	int fd = open(path("short.key"), O_WRONLY | O_CREAT, 0600);
	ok(fd >= 0 && write(fd, "abcd\n", 5) == 5 && !close(fd), "a short file");
	ok(!set("kek_file", path("short.key")) && configure(&e) && strstr(e.msg, "64 hex digits"),
	   "not a key: %s", e.msg);
	ok(!set("kek_file", path("a.key")) && !set("kek_pkcs11_key", "k") && configure(&e) &&
	   strstr(e.msg, "both set"), "two current keys refused");
	ok(!set("kek_pkcs11_key", ""), "reset");
}

#define SOFTHSM "/usr/lib/softhsm/libsofthsm2.so"

/* A SoftHSM2 token in dir/softhsm with one AES-256 key "kek-1". */
static int
make_token(void)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/softhsm/tokens && printf 'directories.tokendir = %s/softhsm/tokens\\n"
		 "objectstore.backend = file\\nlog.level = ERROR\\n' > %s/softhsm/conf && "
		 "SOFTHSM2_CONF=%s/softhsm/conf softhsm2-util --init-token --free --label unit --pin 123456 "
		 "--so-pin 654321 >/dev/null && SOFTHSM2_CONF=%s/softhsm/conf pkcs11-tool --module " SOFTHSM
		 " --token-label unit --login --pin 123456 --keygen --key-type AES:32 --label kek-1 >/dev/null 2>&1",
		 dir, dir, dir, dir, dir);
	if (system(cmd))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/softhsm/conf", dir);
	setenv("SOFTHSM2_CONF", cmd, 1);
	snprintf(cmd, sizeof(cmd), "printf '123456\\n' > %s/softhsm/pin && chmod 600 %s/softhsm/pin", dir, dir);
	return system(cmd) ? -1 : 0;
}

static void
test_token(void)
{
	struct buf s, o;
	struct lerr e;

	if (access(SOFTHSM, R_OK) || make_token()) {
		ok(1, "# SKIP no SoftHSM2 (" SOFTHSM ", softhsm2-util, pkcs11-tool)");
		return;
	}
	buf_init(&s, 4096);
	buf_init(&o, 4096);
	ok(!set("kek_file", "") && !set("kek_previous_files", path("a.key")) && !set("kek_pkcs11_module", SOFTHSM) &&
	   !set("kek_pkcs11_token", "unit") && !set("kek_pkcs11_pin_file", path("softhsm/pin")) &&
	   !set("kek_pkcs11_key", "kek-1") && !configure(&e), "the token key is current: %s", e.msg);
	ok(!kek_seal("webhook.secret:3", "whsec_token", 11, &s, &e) && kek_is_sealed(s.data, s.len),
	   "sealed by the token");
	ok(!kek_open("webhook.secret:3", s.data, s.len, &o, &e) && o.len == 11 && !memcmp(o.data, "whsec_token", 11),
	   "opened by the token");
	buf_reset(&o);
	ok(kek_open("webhook.secret:4", s.data, s.len, &o, &e) == LERR_INTERNAL, "another row's context: %s", e.msg);
	ok(!set("kek_pkcs11_key", "kek-2") && configure(&e) && strstr(e.msg, "no AES key labelled \"kek-2\""),
	   "an unknown key label: %s", e.msg);
	ok(!set("kek_pkcs11_key", "kek-1") && !set("kek_pkcs11_token", "nope") && configure(&e) &&
	   strstr(e.msg, "no PKCS#11 token labelled"), "an unknown token: %s", e.msg);
	/* a token session logged in (the keyring in use) logs in every other one:
	 * a wrong PIN shows from a process that holds none */
	kek_shutdown();
	ok(!set("kek_pkcs11_token", "unit") && !set("kek_pkcs11_pin_file", path("a.key")) && configure(&e) &&
	   strstr(e.msg, "C_Login"), "a wrong PIN: %s", e.msg);
	ok(!set("kek_pkcs11_pin_file", path("softhsm/pin")) && !configure(&e), "the token again");
	buf_reset(&o);
	ok(!kek_open("webhook.secret:3", s.data, s.len, &o, &e) && o.len == 11, "still opens after a reload");
	ok(!set("kek_pkcs11_key", "") && !set("kek_previous_files", "") && !set("kek_pkcs11_token", ""), "reset");
	buf_fini(&s);
	buf_fini(&o);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* What sealing adds to a signature: opening an official's blob (about
 * 1.4 kB for an RSA-2048 PKCS#8 under custody) with a file key. */
static void
test_cost(void)
{
	unsigned char blob[1400];
	struct buf s, o;
	struct lerr e;
	double t0, seal_us, open_us;
	int n = 2000, fails = 0;

	memset(blob, 0x5a, sizeof(blob));
	buf_init(&s, 4096);
	buf_init(&o, 4096);
	ok(!set("kek_file", path("a.key")) && !configure(&e), "the file key for the measure");
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		buf_reset(&s);
		fails += kek_seal("certificate.key_blob:aa", blob, sizeof(blob), &s, &e) != 0;
	}
	seal_us = (now_us() - t0) / n;
	t0 = now_us();
	for (int i = 0; i < n; i++) {
		buf_reset(&o);
		fails += kek_open("certificate.key_blob:aa", s.data, s.len, &o, &e) != 0;
	}
	open_us = (now_us() - t0) / n;
	ok(!fails, "%d seals and opens of a 1400-byte blob", n);
	printf("# file key: seal %.1f us, open %.1f us per 1400-byte value\n", seal_us, open_us);
	buf_fini(&s);
	buf_fini(&o);
}

int
main(void)
{
	struct lerr e;

	lerr_clear(&e);
	if (!mkdtemp(dir) || config_load(NULL, &e))
		return 1;
	test_clear_without_key();
	test_seal_open();
	test_text_and_rotation();
	test_bad_files();
	test_cost();
	test_token();
	kek_shutdown();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 1;
	return tap_done();
}
