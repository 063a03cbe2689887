/*
 * clientcert.c - TLS client certificates, as the reverse proxy passes them.
 *
 * liassed speaks plain HTTP; TLS is terminated by a reverse proxy
 * (contrib/nginx/liasse.conf) which verifies the client's certificate and
 * passes it in HTTP_CERT_HEADER (nginx's $ssl_client_escaped_cert, the PEM
 * %-escaped) with the verification's result in HTTP_VERIFY_HEADER
 * ($ssl_client_verify: SUCCESS, NONE, FAILED:reason).  Anyone can write
 * such headers, so they are believed only from the addresses of
 * trusted_proxies (addresses or CIDR blocks, none by default); from anyone
 * else a certificate header is refused (403) and logged.  The proxy
 * overwrites both headers on every request, so its own clients cannot
 * inject them.
 */
#include "http/http_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "core/x509id.h"

#define PEM_MAX (16 * 1024)

struct net {
	int family;
	uint8_t a[16];
	int bits;
};

/* "192.0.2.1", "10.0.0.0/8", "::1", "fd00::/8" */
static int
parse_net(const char *tok, struct net *n)
{
	char host[64], *slash;
	char *end;
	long bits;

	if (strlen(tok) >= sizeof(host))
		return -1;
	strcpy(host, tok);
	slash = strchr(host, '/');
	if (slash)
		*slash++ = '\0';
	n->family = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(n->family, host, n->a) != 1)
		return -1;
	n->bits = n->family == AF_INET ? 32 : 128;
	if (slash) {
		bits = strtol(slash, &end, 10);
		if (!*slash || *end || bits < 0 || bits > n->bits)
			return -1;
		n->bits = (int)bits;
	}
	return 0;
}

static int
net_has(const struct net *n, int family, const uint8_t *a)
{
	int full = n->bits / 8, rest = n->bits % 8;

	if (family != n->family || memcmp(n->a, a, (size_t)full))
		return 0;
	return !rest || ((n->a[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

/* Calls fn on each entry of the list (spaces or commas between); the first
 * entry that is not an address or CIDR block: -1 and *bad points at it. */
static int
each_net(const char *list, int (*fn)(void *arg, const struct net *n), void *arg, char *bad,
	 size_t badsz)
{
	const char *p = list ? list : "";

	while (*p) {
		size_t len = strcspn(p, " ,\t");
		char tok[80];
		struct net n;

		if (len) {
			snprintf(tok, sizeof(tok), "%.*s", (int)(len < 79 ? len : 79), p);
			if (len >= sizeof(tok) || parse_net(tok, &n)) {
				snprintf(bad, badsz, "%.*s", (int)(len < 60 ? len : 60), p);
				return -1;
			}
			if (fn && fn(arg, &n))
				return 1;
		}
		p += len;
		p += strspn(p, " ,\t");
	}
	return 0;
}

int
http_proxies_check(const char *list, struct lerr *e)
{
	char bad[64];

	if (each_net(list, NULL, NULL, bad, sizeof(bad)) < 0) {
		lerr_set(e, LERR_INVALID, "trusted_proxies", "\"%s\" is not an address or CIDR block", bad);
		lerr_hint(e, "list the reverse proxies' addresses, e.g. trusted_proxies = 127.0.0.1, 10.0.0.0/24");
		return LERR_INVALID;
	}
	return 0;
}

struct peer {
	int family;
	uint8_t a[16];
};

static int
peer_in(void *arg, const struct net *n)
{
	const struct peer *p = arg;

	return net_has(n, p->family, p->a);
}

/* 1 when the peer is one of trusted_proxies. */
static int
from_trusted_proxy(struct req *rq)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	struct peer p = { 0 };
	char bad[64];

	if (sa && sa->sa_family == AF_INET) {
		p.family = AF_INET;
		memcpy(p.a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		p.family = AF_INET6;
		memcpy(p.a, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	} else {
		return 0;
	}
	return each_net(http_opts_of(rq)->trusted_proxies, peer_in, &p, bad, sizeof(bad)) == 1;
}

static int
refuse(struct req *rq, enum lerr_kind kind, const char *msg, const char *hint)
{
	lerr_set(&rq->err, kind, HTTP_CERT_HEADER, "%s", msg);
	lerr_hint(&rq->err, "%s", hint);
	return kind;
}

int
http_cert_header_refused(struct req *rq)
{
	const char *h = http_header(rq, HTTP_CERT_HEADER);

	if (!h || !*h || from_trusted_proxy(rq))
		return 0;
	log_warn("%s %s refused: a %s header from %s, which is not one of trusted_proxies",
		 rq->method, rq->url, HTTP_CERT_HEADER, http_client_address(rq));
	rq->plain_problem = 1;
	return refuse(rq, LERR_FORBIDDEN, "client certificate header from an untrusted address",
		      "present the certificate to the TLS reverse proxy (trusted_proxies), not to "
		      "liassed directly");
}

int
http_client_cert(struct req *rq, struct x509id *id, int *present)
{
	const char *h = http_header(rq, HTTP_CERT_HEADER);
	const char *verify = http_header(rq, HTTP_VERIFY_HEADER);
	char *pem;

	*present = h && *h;
	if (!*present)
		return 0;
	if (http_cert_header_refused(rq))
		return LERR_FORBIDDEN;
	if (!verify || strcmp(verify, "SUCCESS")) {
		log_warn("%s %s refused: the proxy did not verify the client certificate (%s)", rq->method,
			 rq->url, verify ? verify : "no " HTTP_VERIFY_HEADER);
		return refuse(rq, LERR_AUTH, "the client certificate was not verified",
			      "present a certificate issued by an authority the proxy trusts");
	}
	pem = arena_alloc(rq->arena, PEM_MAX);
	if (x509id_unescape(h, pem, PEM_MAX) || x509id_from_pem(pem, strlen(pem), id, &rq->err)) {
		rq->plain_problem = 1;
		return refuse(rq, LERR_MALFORMED, "the proxy passed a certificate liassed cannot read",
			      "pass $ssl_client_escaped_cert (contrib/nginx/liasse.conf)");
	}
	return 0;
}
