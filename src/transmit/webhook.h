/*
 * webhook.h - the only code that sends webhooks (libcurl).
 *
 * A delivery is an HTTP POST of one event as JSON with
 *   Content-Type: application/json
 *   Liasse-Event-Id: <event id>
 *   Liasse-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 * the secret being the webhook's secret exactly as shown at creation (its
 * ASCII bytes, "whsec_" included).  2xx within webhook_timeout is success;
 * anything else is retried after webhook_retry_base, doubled each attempt up
 * to webhook_retry_max, until webhook_max_attempts, then marked failed.  A
 * webhook's deliveries go out one at a time, in feed order.
 *
 * Server-side request forgery: unless webhook_allow_private is set, a
 * webhook may reach only globally reachable addresses: every range of the
 * IANA IPv4 and IPv6 Special-Purpose Address Registries that is not marked
 * globally reachable (loopback, private, link-local, shared, documentation,
 * benchmarking, 6to4, Teredo, IPv4-mapped and -compatible, ...), multicast,
 * 240/4 and IPv6 outside 2000::/3 are refused (table in webhook.c).  Literal addresses
 * and localhost names are refused at creation; every delivery resolves the
 * host itself, checks every address, and pins curl to the addresses it
 * checked (no second lookup to rebind), with redirects and proxies off.
 */
#ifndef LIASSE_TRANSMIT_WEBHOOK_H
#define LIASSE_TRANSMIT_WEBHOOK_H

#include <stddef.h>

#include "core/err.h"
#include "store/store.h"

#define WEBHOOK_JOB "webhook"
#define WEBHOOK_SECRET_LEN 50      /* "whsec_" + 43 base64url characters + NUL */
#define WEBHOOK_URL_MAX 2048

/* Job handler (struct job_handler of src/worker.h): sends the due
 * deliveries of one webhook, committing around each HTTP call. */
int xmit_webhook_job(struct store_conn *c, const struct job *j, struct lerr *e) LERR_WUR;

/* A URL a webhook may have: http or https, a host, at most WEBHOOK_URL_MAX
 * bytes, no literal private address unless allow_private.  LERR_INVALID
 * (field "url") with a hint otherwise. */
int xmit_webhook_url_check(const char *url, int allow_private, struct lerr *e) LERR_WUR;

/* The IANA special-purpose range (e.g. "100.64.0.0/10") the address addr
 * (4 bytes for AF_INET, 16 for AF_INET6) falls in, the most specific one,
 * or NULL for an ordinary address; *refused is 1 unless a webhook may go
 * there (the registry's "Globally Reachable", see webhook.c). */
const char *xmit_webhook_addr_range(int family, const void *addr, int *refused);

/* A new random secret. */
int xmit_webhook_secret(char out[WEBHOOK_SECRET_LEN], struct lerr *e) LERR_WUR;

/* The Liasse-Signature value of body sent at unix time t. */
void xmit_webhook_signature(const char *secret, long long t, const char *body, size_t n,
			    char out[96]);

#endif
