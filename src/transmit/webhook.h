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
 * webhook may not reach loopback, private (RFC 1918, fc00::/7), link-local,
 * carrier-grade NAT, multicast or unspecified addresses.  Literal addresses
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

/* A new random secret. */
int xmit_webhook_secret(char out[WEBHOOK_SECRET_LEN], struct lerr *e) LERR_WUR;

/* The Liasse-Signature value of body sent at unix time t. */
void xmit_webhook_signature(const char *secret, long long t, const char *body, size_t n,
			    char out[96]);

#endif
