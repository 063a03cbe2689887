/* test_webhook.c - webhook URL and address checks, the signature, secrets. */
#include <string.h>

#include "core/err.h"
#include "transmit/webhook.h"
#include "tap.h"

static int
url_ok(const char *url, int allow)
{
	struct lerr e;

	lerr_clear(&e);
	return xmit_webhook_url_check(url, allow, &e) == 0;
}

static void
refused_field(const char *url)
{
	struct lerr e;

	lerr_clear(&e);
	ok(xmit_webhook_url_check(url, 0, &e) == LERR_INVALID && !strcmp(e.field, "url") && e.hint[0],
	   "%s: 422 on field url with a hint", url);
}

int
main(void)
{
	static const char *const private[] = {
		"http://127.0.0.1/", "http://127.9.9.9:8080/x", "http://10.0.0.1/", "http://172.16.0.1/",
		"http://172.31.255.255/", "http://192.168.0.1/", "http://169.254.169.254/latest/meta-data",
		"http://100.64.0.1/", "http://100.127.255.255/", "http://0.0.0.0/", "http://224.0.0.1/",
		"http://255.255.255.255/", "http://198.18.0.1/", "http://198.19.255.1/", "http://192.0.0.8/",
		"http://[::1]/", "http://[::]/", "http://[fc00::1]/", "http://[fdff::1]/", "http://[fe80::1]/",
		"http://[ff02::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.1.2.3]/",
		"http://[64:ff9b::a00:1]/", "http://2130706433/", "http://0x7f.1/", "http://017700000001/",
		"http://localhost/", "http://LOCALHOST:80/", "http://a.localhost/",
		NULL,
	};
	static const char *const public[] = {
		"https://vendor.example/hook", "http://8.8.8.8/", "http://172.15.255.255/", "http://172.32.0.1/",
		"http://100.63.255.255/", "http://100.128.0.1/", "http://198.17.255.255/", "http://198.20.0.1/",
		"http://192.169.0.1/", "http://169.255.0.1/", "http://[2001:db8::1]/", "http://[::ffff:8.8.8.8]/",
		"https://localhost.example/", "http://mylocalhost/", NULL,
	};
	static const char *const malformed[] = {
		"ftp://vendor.example/", "file:///etc/passwd", "gopher://x/", "vendor.example/hook", "", "http://",
		"javascript:alert(1)", NULL,
	};
	char sig[96], secret[WEBHOOK_SECRET_LEN], other[WEBHOOK_SECRET_LEN];
	char long_url[2100];
	struct lerr e;

	for (int i = 0; private[i]; i++) {
		ok(!url_ok(private[i], 0), "%s refused by default", private[i]);
		ok(url_ok(private[i], 1), "%s accepted with webhook_allow_private", private[i]);
	}
	for (int i = 0; public[i]; i++)
		ok(url_ok(public[i], 0), "%s accepted", public[i]);
	for (int i = 0; malformed[i]; i++) {
		ok(!url_ok(malformed[i], 1), "\"%s\" refused even when private addresses are allowed", malformed[i]);
		refused_field(malformed[i]);
	}
	memcpy(long_url, "https://vendor.example/", 23);
	memset(long_url + 23, 'a', sizeof(long_url) - 24);
	long_url[sizeof(long_url) - 1] = '\0';
	ok(!url_ok(long_url, 1), "a URL over 2048 bytes is refused");
	refused_field("http://10.0.0.1/");

	/* HMAC-SHA256("whsec_test", "1700000000." || body), from openssl dgst -hmac. */
	xmit_webhook_signature("whsec_test", 1700000000LL, "{\"id\":1}", 8, sig);
	is_str(sig, "t=1700000000,v1=2f441ba4b3b2d50d28a9ab9d9fd8880376ecd1eb5d0435401553f5d8d0a5dcf8",
	       "Liasse-Signature is t=<time>,v1=<hex HMAC of time.body>");
	xmit_webhook_signature("whsec_test", 1700000001LL, "{\"id\":1}", 8, sig);
	ok(strstr(sig, "2f441ba4") == NULL, "the time is signed too");

	lerr_clear(&e);
	ok(xmit_webhook_secret(secret, &e) == 0 && xmit_webhook_secret(other, &e) == 0, "secrets are made");
	is_int((long long)strlen(secret), 49, "a secret is whsec_ and 43 characters");
	ok(!strncmp(secret, "whsec_", 6) && strspn(secret + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
						  "0123456789-_") == 43, "base64url after the prefix");
	ok(strcmp(secret, other) != 0, "two secrets differ");
	return tap_done();
}
