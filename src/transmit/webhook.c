/*
 * webhook.c - webhook deliveries: URL and address checks, the signature, the
 * HTTP POST, and the job that drives them (see webhook.h for the protocol
 * and the SSRF rules, src/store/event.c for the queue).
 */
#include "config.h"
#include "transmit/webhook.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"

#define BATCH 20              /* deliveries per job run before yielding */
#define MAX_ADDRS 8

/* ---- addresses ---- */

/*
 * The IANA IPv4 and IPv6 Special-Purpose Address Registries (as of 2025),
 * with IPv4 multicast and 240/4 and the deprecated IPv4-compatible ::/96.
 * The most specific range wins; a webhook may go only where the registry
 * says "Globally Reachable: True" (global = 1), or, for the NAT64 prefix,
 * where the embedded IPv4 address may.  IPv6 outside 2000::/3 (reserved or
 * unassigned in the IPv6 Address Space registry) is refused as well.
 * "N/A" in the registry (Teredo, 6to4, ORCHID, 6to4 relays) is refused.
 */
enum { LOCAL = 0, GLOBAL = 1, EMBEDDED_V4 = 2 };

static const struct special {
	const char *cidr, *name;
	int verdict;
} specials[] = {
	{ "0.0.0.0/8", "\"this network\"", LOCAL },
	{ "0.0.0.0/32", "\"this host on this network\"", LOCAL },
	{ "10.0.0.0/8", "private-use", LOCAL },
	{ "100.64.0.0/10", "shared address space (carrier-grade NAT)", LOCAL },
	{ "127.0.0.0/8", "loopback", LOCAL },
	{ "169.254.0.0/16", "link-local", LOCAL },
	{ "172.16.0.0/12", "private-use", LOCAL },
	{ "192.0.0.0/24", "IETF protocol assignments", LOCAL },
	{ "192.0.0.0/29", "IPv4 service continuity prefix", LOCAL },
	{ "192.0.0.8/32", "IPv4 dummy address", LOCAL },
	{ "192.0.0.9/32", "Port Control Protocol anycast", GLOBAL },
	{ "192.0.0.10/32", "TURN anycast", GLOBAL },
	{ "192.0.0.170/32", "NAT64/DNS64 discovery", LOCAL },
	{ "192.0.0.171/32", "NAT64/DNS64 discovery", LOCAL },
	{ "192.0.2.0/24", "documentation (TEST-NET-1)", LOCAL },
	{ "192.31.196.0/24", "AS112-v4", GLOBAL },
	{ "192.52.193.0/24", "AMT", GLOBAL },
	{ "192.88.99.0/24", "deprecated 6to4 relay anycast", LOCAL },
	{ "192.88.99.2/32", "6a44 relay anycast", LOCAL },
	{ "192.168.0.0/16", "private-use", LOCAL },
	{ "192.175.48.0/24", "direct delegation AS112 service", GLOBAL },
	{ "198.18.0.0/15", "benchmarking", LOCAL },
	{ "198.51.100.0/24", "documentation (TEST-NET-2)", LOCAL },
	{ "203.0.113.0/24", "documentation (TEST-NET-3)", LOCAL },
	{ "224.0.0.0/4", "multicast", LOCAL },
	{ "240.0.0.0/4", "reserved", LOCAL },
	{ "255.255.255.255/32", "limited broadcast", LOCAL },

	{ "::/128", "unspecified", LOCAL },
	{ "::1/128", "loopback", LOCAL },
	{ "::/96", "deprecated IPv4-compatible", LOCAL },
	{ "::ffff:0:0/96", "IPv4-mapped", LOCAL },
	{ "64:ff9b::/96", "NAT64 well-known prefix", EMBEDDED_V4 },
	{ "64:ff9b:1::/48", "local-use NAT64 prefix", LOCAL },
	{ "100::/64", "discard-only", LOCAL },
	{ "100:0:0:1::/64", "dummy IPv6 prefix", LOCAL },
	{ "2001::/23", "IETF protocol assignments", LOCAL },
	{ "2001::/32", "Teredo", LOCAL },
	{ "2001:1::1/128", "Port Control Protocol anycast", GLOBAL },
	{ "2001:1::2/128", "TURN anycast", GLOBAL },
	{ "2001:1::3/128", "DNS-SD SRP anycast", GLOBAL },
	{ "2001:2::/48", "benchmarking", LOCAL },
	{ "2001:3::/32", "AMT", GLOBAL },
	{ "2001:4:112::/48", "AS112-v6", GLOBAL },
	{ "2001:10::/28", "deprecated ORCHID", LOCAL },
	{ "2001:20::/28", "ORCHIDv2", GLOBAL },
	{ "2001:30::/28", "drone remote ID entity tags", GLOBAL },
	{ "2001:db8::/32", "documentation", LOCAL },
	{ "2002::/16", "6to4", LOCAL },
	{ "2620:4f:8000::/48", "direct delegation AS112 service", GLOBAL },
	{ "3fff::/20", "documentation", LOCAL },
	{ "5f00::/16", "segment routing (SRv6) SIDs", LOCAL },
	{ "fc00::/7", "unique-local", LOCAL },
	{ "fe80::/10", "link-local", LOCAL },
	{ "fec0::/10", "deprecated site-local", LOCAL },
	{ "ff00::/8", "multicast", LOCAL },
};

static int
prefix_match(const unsigned char *a, const unsigned char *p, int bits)
{
	int bytes = bits / 8, rest = bits % 8;

	return !memcmp(a, p, (size_t)bytes) &&
	       (!rest || ((a[bytes] ^ p[bytes]) & (0xff00 >> rest) & 0xff) == 0);
}

/* The most specific special-purpose range of a (4 or 16 bytes), or NULL. */
static const struct special *
special_of(int family, const unsigned char *a, int *bits)
{
	const struct special *best = NULL;
	unsigned char p[16];
	char net[64];
	int b, best_bits = -1;

	for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
		const char *slash = strchr(specials[i].cidr, '/');
		int v6 = strchr(specials[i].cidr, ':') != NULL;

		if (v6 != (family == AF_INET6))
			continue;
		snprintf(net, sizeof(net), "%.*s", (int)(slash - specials[i].cidr), specials[i].cidr);
		b = atoi(slash + 1);
		if (inet_pton(family, net, p) == 1 && b > best_bits && prefix_match(a, p, b))
			best = &specials[i], best_bits = b;
	}
	*bits = best_bits;
	return best;
}

const char *
xmit_webhook_addr_range(int family, const void *addr, int *refused)
{
	const unsigned char *a = addr;
	const struct special *s;
	int bits;

	if (family != AF_INET && family != AF_INET6) {
		*refused = 1;
		return "not an IP address";
	}
	s = special_of(family, a, &bits);
	if (!s) {
		/* IPv6 outside 2000::/3 is reserved or unassigned. */
		*refused = family == AF_INET6 && (a[0] & 0xe0) != 0x20;
		return *refused ? "outside 2000::/3, reserved by the IETF" : NULL;
	}
	if (s->verdict == EMBEDDED_V4) {
		int sub;

		xmit_webhook_addr_range(AF_INET, a + 12, &sub);
		*refused = sub;
		return s->cidr;
	}
	*refused = s->verdict != GLOBAL;
	return s->cidr;
}

/* The registry's name of the range that refused a, for messages. */
static const char *
range_name(int family, const void *a)
{
	int bits;
	const struct special *s = special_of(family, a, &bits);

	return s ? s->name : "reserved";
}

static int
v4_private(const unsigned char *a)
{
	int refused;

	xmit_webhook_addr_range(AF_INET, a, &refused);
	return refused;
}

static int
v6_private(const unsigned char *a)
{
	int refused;

	xmit_webhook_addr_range(AF_INET6, a, &refused);
	return refused;
}

static int
sa_private(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return v4_private((const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return v6_private(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
	return 1;
}

/* A literal address (v6 may be bracketed): 1 refused, 0 global, -1 a name.
 * why receives "<range> (<name>)" when refused. */
static int
literal_private(const char *host, char *why, size_t whysz)
{
	unsigned char a[16];
	char v6[64];
	size_t n = strlen(host);
	int family = AF_INET, refused;
	const char *cidr;

	if (inet_pton(AF_INET, host, a) != 1) {
		if (host[0] != '[' || n <= 2 || n - 2 >= sizeof(v6))
			return -1;
		memcpy(v6, host + 1, n - 2);
		v6[n - 2] = '\0';
		v6[strcspn(v6, "%")] = '\0';
		if (inet_pton(AF_INET6, v6, a) != 1)
			return -1;
		family = AF_INET6;
	}
	cidr = xmit_webhook_addr_range(family, a, &refused);
	if (refused && why)
		snprintf(why, whysz, "%s (%s)", cidr, range_name(family, a));
	return refused;
}

static int
localhost_name(const char *host)
{
	size_t n = strlen(host);

	return !strcasecmp(host, "localhost") || !strcasecmp(host, "localhost.") ||
	       (n > 10 && !strcasecmp(host + n - 10, ".localhost"));
}

/* ---- URLs ---- */

struct url_parts {
	char scheme[8], host[256], port[8];
};

static int
bad_url(struct lerr *e, const char *why, const char *hint)
{
	lerr_set(e, LERR_INVALID, "url", "invalid webhook URL");
	lerr_detail(e, "%s", why);
	lerr_hint(e, "%s", hint);
	return LERR_INVALID;
}

static int
split_url(const char *url, struct url_parts *p, struct lerr *e)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = 0;

	if (!u)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	if (strlen(url) > WEBHOOK_URL_MAX)
		rc = bad_url(e, "longer than 2048 bytes", "use a shorter URL");
	else if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
		 curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		 curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
		 curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		rc = bad_url(e, "not an absolute URL with a host", "write e.g. https://vendor.example/liasse/events");
	else if (strcmp(scheme, "http") && strcmp(scheme, "https"))
		rc = bad_url(e, "only http and https URLs are accepted", "write e.g. https://vendor.example/liasse/events");
	else if (strlen(host) >= sizeof(p->host) || strlen(port) >= sizeof(p->port))
		rc = bad_url(e, "host name too long", "use a shorter host name");
	if (!rc) {
		snprintf(p->scheme, sizeof(p->scheme), "%s", scheme);
		snprintf(p->host, sizeof(p->host), "%s", host);
		snprintf(p->port, sizeof(p->port), "%s", port);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

int
xmit_webhook_url_check(const char *url, int allow_private, struct lerr *e)
{
	struct url_parts p;
	int rc = split_url(url, &p, e);

	if (rc || allow_private)
		return rc;
	char why[160], msg[256];

	if (literal_private(p.host, why, sizeof(why)) == 1 || localhost_name(p.host)) {
		snprintf(msg, sizeof(msg), "the host is a loopback, private or other special-purpose address%s%s",
			 localhost_name(p.host) ? "" : ": ", localhost_name(p.host) ? "" : why);
		return bad_url(e, msg, "webhooks go to globally reachable addresses; an operator may allow "
			       "private ones with webhook_allow_private = yes");
	}
	return 0;
}

/* Resolves the host and checks every address; fills a CURLOPT_RESOLVE
 * entry "host:port:addr,addr" pinning curl to them.  Literal addresses need
 * no entry (pin[0] = 0). */
static int
resolve_checked(const struct url_parts *p, int allow_private, char *pin, size_t n, char *err, size_t en)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
	char addr[INET6_ADDRSTRLEN];
	size_t o;
	int lit = literal_private(p->host, NULL, 0), k = 0, g;

	pin[0] = '\0';
	if (lit >= 0 || localhost_name(p->host)) {
		if ((lit == 1 || lit < 0) && !allow_private) {
			snprintf(err, en, "%s is a private address (webhook_allow_private is off)", p->host);
			return -1;
		}
		return 0;
	}
	if ((g = getaddrinfo(p->host, p->port, &hints, &res)) != 0) {
		snprintf(err, en, "cannot resolve %s: %s", p->host, gai_strerror(g));
		return -1;
	}
	o = (size_t)snprintf(pin, n, "%s:%s:", p->host, p->port);
	for (struct addrinfo *ai = res; ai && k < MAX_ADDRS && o < n; ai = ai->ai_next) {
		const void *a = ai->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr :
			(const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

		inet_ntop(ai->ai_family, a, addr, sizeof(addr));
		if (sa_private(ai->ai_addr) && !allow_private) {
			snprintf(err, en, "%s resolves to the private address %s (%s; webhook_allow_private "
				 "is off)", p->host, addr, range_name(ai->ai_family, a));
			freeaddrinfo(res);
			return -1;
		}
		o += (size_t)snprintf(pin + o, n - o, ai->ai_family == AF_INET6 ? "%s[%s]" : "%s%s",
				      k++ ? "," : "", addr);
	}
	freeaddrinfo(res);
	return o < n ? 0 : (snprintf(err, en, "too many addresses for %s", p->host), -1);
}

/* ---- signature ---- */

int
xmit_webhook_secret(char out[WEBHOOK_SECRET_LEN], struct lerr *e)
{
	uint8_t raw[32];

	if (random_bytes(raw, sizeof(raw)))
		return lerr_set(e, LERR_INTERNAL, NULL, "no random bytes for the webhook secret");
	memcpy(out, "whsec_", 6);
	base64url_encode(raw, sizeof(raw), out + 6);
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

void
xmit_webhook_signature(const char *secret, long long t, const char *body, size_t n, char out[96])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char hex[2 * 32 + 1] = "", ts[24];
	int tn = snprintf(ts, sizeof(ts), "%lld.", t);
	unsigned char *msg = malloc((size_t)tn + n + 1);

	if (msg) {
		memcpy(msg, ts, (size_t)tn);
		memcpy(msg + tn, body, n);
		if (HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, (size_t)tn + n, mac, &len) && len == 32)
			hex_encode(mac, 32, hex);
		free(msg);
	}
	snprintf(out, 96, "t=%lld,v1=%s", t, hex);
}

/* ---- one POST ---- */

struct post_result {
	long status;                 /* 0: no HTTP answer */
	int ms;
	char error[CURL_ERROR_SIZE + 128];
};

static size_t
discard(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return sz * n;
}

static struct curl_slist *
headers(const struct webhook_send *s, const char *sig)
{
	struct curl_slist *h = NULL;
	char line[160];

	h = curl_slist_append(h, "Content-Type: application/json");
	snprintf(line, sizeof(line), "Liasse-Event-Id: %lld", s->event_seq);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "Liasse-Signature: %s", sig);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "Liasse-Delivery-Attempt: %d", s->attempt);
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "User-Agent: liasse/" PACKAGE_VERSION);
	return curl_slist_append(h, "Expect:");
}

static void
perform(CURL *c, const struct webhook_send *s, const char *pin, struct post_result *r)
{
	long timeout = (long)config_int("webhook_timeout");
	char sig[96], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h, *resolve = NULL;
	int64_t t0 = now_us();
	CURLcode cc;

	xmit_webhook_signature(s->secret, (long long)time(NULL), s->body, strlen(s->body), sig);
	h = headers(s, sig);
	if (pin[0])
		resolve = curl_slist_append(NULL, pin);
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout < 5 ? timeout : 5L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, s->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cc = curl_easy_perform(c);
	r->ms = (int)((now_us() - t0) / 1000);
	if (cc != CURLE_OK)
		snprintf(r->error, sizeof(r->error), "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_slist_free_all(resolve);
}

static void
post(const struct webhook_send *s, struct post_result *r)
{
	int allow = (int)config_int("webhook_allow_private");
	char pin[512];
	struct url_parts p;
	struct lerr e;
	CURL *c;

	memset(r, 0, sizeof(*r));
	lerr_clear(&e);
	if (split_url(s->url, &p, &e)) {
		lerr_oneline(&e, r->error, sizeof(r->error));
		return;
	}
	if (resolve_checked(&p, allow, pin, sizeof(pin), r->error, sizeof(r->error)))
		return;
	if (!(c = curl_easy_init())) {
		snprintf(r->error, sizeof(r->error), "cannot create a curl handle");
		return;
	}
	perform(c, s, pin, r);
	curl_easy_cleanup(c);
}

/* ---- the job ---- */

static int
retry_delay(int attempt)
{
	long long d = config_int("webhook_retry_base"), cap = config_int("webhook_retry_max");

	if (attempt >= config_int("webhook_max_attempts"))
		return -1;
	for (int i = 1; i < attempt && d < cap; i++)
		d *= 2;
	return (int)(d < cap ? d : cap);
}

/* Commits (the job is leased), posts, records the attempt in a new transaction. */
static int
deliver(struct store_conn *c, const struct webhook_send *s, struct lerr *e)
{
	struct post_result r;
	int ok, delay, rc;

	if ((rc = store_commit(c, e)))
		return rc;
	post(s, &r);
	ok = r.status >= 200 && r.status < 300;
	delay = ok ? 0 : retry_delay(s->attempt);
	if (ok)
		log_info("webhook: event %lld delivered (HTTP %ld, %d ms)", s->event_seq, r.status, r.ms);
	else if (r.status)
		log_warn("webhook: event %lld, attempt %d: HTTP %ld; %s", s->event_seq, s->attempt,
			 r.status, delay < 0 ? "giving up" : "will retry");
	else
		log_warn("webhook: event %lld, attempt %d: %s; %s", s->event_seq, s->attempt, r.error,
			 delay < 0 ? "giving up" : "will retry");
	if ((rc = store_begin(c, e)))
		return rc;   /* the lease ends, the delivery is sent again */
	return store_webhook_record(c, s->delivery_id, (int)r.status, r.error[0] ? r.error : NULL, r.ms,
				    ok, delay, e);
}

int
xmit_webhook_job(struct store_conn *c, const struct job *j, struct lerr *e)
{
	int lease = (int)config_int("webhook_timeout") + 60, found = 1, rc = 0;

	for (int sent = 0; !rc && found; sent++) {
		struct webhook_send s;

		rc = store_webhook_next(c, j->id, lease, sent < BATCH, &s, &found, e);
		if (!rc && found)
			rc = deliver(c, &s, e);
		store_webhook_send_fini(&s);
	}
	return rc;
}
