/* test_webhook.c - webhook URL and address checks, the signature, secrets. */
#include <arpa/inet.h>
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

/*
 * Issue 16, point 6: every range of the IANA IPv4 and IPv6 Special-Purpose
 * Address Registries (and multicast, 240/4, the deprecated IPv4-compatible
 * ::/96, IPv6 outside 2000::/3): first address, last address, and one just
 * outside where that means something.  1 = refused, 0 = a webhook may go
 * there (globally reachable).  Nothing is sent: the addresses are only
 * classified.
 */
static const struct { const char *addr; int refused; } ranges[] = {
	{ "0.0.0.0", 1 }, { "0.255.255.255", 1 }, { "1.0.0.0", 0 },                 /* 0/8 */
	{ "10.0.0.0", 1 }, { "10.255.255.255", 1 }, { "9.255.255.255", 0 }, { "11.0.0.0", 0 },
	{ "100.64.0.0", 1 }, { "100.127.255.255", 1 }, { "100.63.255.255", 0 }, { "100.128.0.0", 0 },
	{ "127.0.0.0", 1 }, { "127.255.255.255", 1 }, { "126.255.255.255", 0 }, { "128.0.0.0", 0 },
	{ "169.254.0.0", 1 }, { "169.254.255.255", 1 }, { "169.253.255.255", 0 }, { "169.255.0.0", 0 },
	{ "172.16.0.0", 1 }, { "172.31.255.255", 1 }, { "172.15.255.255", 0 }, { "172.32.0.0", 0 },
	{ "192.0.0.0", 1 }, { "192.0.0.255", 1 }, { "191.255.255.255", 0 }, { "192.0.1.0", 0 },
	{ "192.0.0.7", 1 }, { "192.0.0.8", 1 },                                      /* /29, dummy */
	{ "192.0.0.9", 0 }, { "192.0.0.10", 0 }, { "192.0.0.11", 1 },               /* PCP, TURN anycast */
	{ "192.0.0.170", 1 }, { "192.0.0.171", 1 },                                  /* NAT64 discovery */
	{ "192.0.2.0", 1 }, { "192.0.2.255", 1 }, { "192.0.3.0", 0 },                /* TEST-NET-1 */
	{ "192.31.196.0", 0 }, { "192.31.196.255", 0 },                              /* AS112-v4: global */
	{ "192.52.193.0", 0 }, { "192.52.193.255", 0 },                              /* AMT: global */
	{ "192.88.99.0", 1 }, { "192.88.99.255", 1 }, { "192.88.98.255", 0 }, { "192.88.100.0", 0 },
	{ "192.88.99.2", 1 },                                                        /* 6a44 relay */
	{ "192.168.0.0", 1 }, { "192.168.255.255", 1 }, { "192.167.255.255", 0 }, { "192.169.0.0", 0 },
	{ "192.175.48.0", 0 }, { "192.175.48.255", 0 },                              /* AS112: global */
	{ "198.18.0.0", 1 }, { "198.19.255.255", 1 }, { "198.17.255.255", 0 }, { "198.20.0.0", 0 },
	{ "198.51.100.0", 1 }, { "198.51.100.255", 1 }, { "198.51.99.255", 0 }, { "198.51.101.0", 0 },
	{ "203.0.113.0", 1 }, { "203.0.113.255", 1 }, { "203.0.112.255", 0 }, { "203.0.114.0", 0 },
	{ "224.0.0.0", 1 }, { "239.255.255.255", 1 }, { "223.255.255.255", 0 },      /* multicast */
	{ "240.0.0.0", 1 }, { "255.255.255.254", 1 }, { "255.255.255.255", 1 },
	{ "8.8.8.8", 0 }, { "193.51.24.1", 0 },

	{ "::", 1 }, { "::1", 1 }, { "::2", 1 },                                     /* ::/128, ::1/128 */
	{ "::127.0.0.1", 1 }, { "::8.8.8.8", 1 }, { "::ffff:ffff", 1 },              /* ::/96 */
	{ "::1:0:0", 1 }, { "::fffe:ffff:ffff", 1 },                                 /* outside 2000::/3 */
	{ "::ffff:0.0.0.0", 1 }, { "::ffff:255.255.255.255", 1 }, { "::ffff:8.8.8.8", 1 },
	{ "64:ff9b::808:808", 0 }, { "64:ff9b::7f00:1", 1 }, { "64:ff9b::a00:1", 1 }, /* NAT64: the IPv4's */
	{ "64:ff9b::", 1 }, { "64:ff9b::ffff:ffff", 1 }, { "64:ff9b::1:0:0", 1 },
	{ "64:ff9b:1::", 1 }, { "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "100::", 1 }, { "100::ffff:ffff:ffff:ffff", 1 },                           /* discard */
	{ "100:0:0:1::", 1 }, { "100:0:0:1:ffff:ffff:ffff:ffff", 1 }, { "100:0:0:2::", 1 },
	{ "2001::", 1 }, { "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },            /* 2001::/23 */
	{ "2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 }, { "2001:200::", 0 },
	{ "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", 1 },                               /* Teredo */
	{ "2001:1::", 1 }, { "2001:1::1", 0 }, { "2001:1::2", 0 }, { "2001:1::3", 0 }, { "2001:1::4", 1 },
	{ "2001:2::", 1 }, { "2001:2:0:ffff:ffff:ffff:ffff:ffff", 1 }, { "2001:2:1::", 1 },
	{ "2001:3::", 0 }, { "2001:3:ffff:ffff:ffff:ffff:ffff:ffff", 0 }, { "2001:4::", 1 },   /* AMT */
	{ "2001:4:112::", 0 }, { "2001:4:112:ffff:ffff:ffff:ffff:ffff", 0 }, { "2001:4:113::", 1 },
	{ "2001:10::", 1 }, { "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", 1 },          /* ex-ORCHID */
	{ "2001:20::", 0 }, { "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", 0 },          /* ORCHIDv2 */
	{ "2001:30::", 0 }, { "2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", 0 }, { "2001:40::", 1 }, /* DET */
	{ "2001:db8::", 1 }, { "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", 0 }, { "2001:db9::", 0 },
	{ "2002::", 1 }, { "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 }, { "2003::", 0 },    /* 6to4 */
	{ "2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
	{ "2620:4f:8000::", 0 }, { "2620:4f:8000:ffff:ffff:ffff:ffff:ffff", 0 },    /* AS112: global */
	{ "3fff::", 1 }, { "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },            /* documentation */
	{ "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 }, { "3fff:1000::", 0 },
	{ "5f00::", 1 }, { "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },           /* SRv6 SIDs */
	{ "5eff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 }, { "5f01::", 1 },       /* outside 2000::/3 too */
	{ "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 }, { "4000::", 1 }, { "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "fc00::", 1 }, { "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 }, { "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "fe80::", 1 }, { "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 }, { "fec0::", 1 },
	{ "ff00::", 1 }, { "ff02::1", 1 }, { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
	{ "2a00:1450:4007:80e::200e", 0 }, { "2606:4700::1111", 0 },
};

static void
range_is(const char *addr, const char *cidr, int refused)
{
	unsigned char a[16];
	int v6 = strchr(addr, ':') != NULL, r = -1;
	const char *got = NULL;

	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, a) == 1)
		got = xmit_webhook_addr_range(v6 ? AF_INET6 : AF_INET, a, &r);
	ok(((!got && !cidr) || (got && cidr && !strcmp(got, cidr))) && r == refused, "%s is in %s (%s): %s", addr,
	   cidr ? cidr : "no special range", refused ? "refused" : "global", got ? got : "none");
}

static void
test_ranges(void)
{
	char url[128];
	struct lerr e;

	range_is("::127.0.0.1", "::/96", 1);
	range_is("::1", "::1/128", 1);
	range_is("::", "::/128", 1);
	range_is("100.64.0.1", "100.64.0.0/10", 1);
	range_is("192.0.0.9", "192.0.0.9/32", 0);
	range_is("192.0.0.20", "192.0.0.0/24", 1);
	range_is("2001:0:4136:e378::1", "2001::/32", 1);
	range_is("2001:1::1", "2001:1::1/128", 0);
	range_is("64:ff9b::808:808", "64:ff9b::/96", 0);
	range_is("64:ff9b::c0a8:1", "64:ff9b::/96", 1);
	range_is("8.8.8.8", NULL, 0);
	range_is("2a00:1450:4007:80e::200e", NULL, 0);
	range_is("4000::1", "outside 2000::/3, reserved by the IETF", 1);
	lerr_clear(&e);
	ok(xmit_webhook_url_check("https://[::127.0.0.1]/", 0, &e) == LERR_INVALID &&
	   strstr(e.detail, "::/96 (deprecated IPv4-compatible)"), "the refusal names the range: %s", e.detail);

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		snprintf(url, sizeof(url), strchr(ranges[i].addr, ':') ? "https://[%s]/hook" : "https://%s/hook",
			 ranges[i].addr);
		ok(url_ok(url, 0) == !ranges[i].refused, "%s %s", ranges[i].addr,
		   ranges[i].refused ? "refused" : "accepted");
	}
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
		"http://[64:ff9b::a00:1]/", "http://[::127.0.0.1]/", "http://[2001:db8::1]/",
		"http://[::ffff:8.8.8.8]/", "http://2130706433/", "http://0x7f.1/", "http://017700000001/",
		"http://localhost/", "http://LOCALHOST:80/", "http://a.localhost/",
		NULL,
	};
	static const char *const public[] = {
		"https://vendor.example/hook", "http://8.8.8.8/", "http://172.15.255.255/", "http://172.32.0.1/",
		"http://100.63.255.255/", "http://100.128.0.1/", "http://198.17.255.255/", "http://198.20.0.1/",
		"http://192.169.0.1/", "http://169.255.0.1/", "http://[2a00:1450:4007:80e::200e]/",
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
	test_ranges();

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
