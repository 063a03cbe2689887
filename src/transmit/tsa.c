/*
 * tsa.c - the HTTP leg of RFC 3161 (and OCSP) requests: bytes in, bytes out.
 * sign/ builds and checks the messages; this file only speaks HTTP.  sign/
 * reaches it through the poster a program installs (sign_set_http_post()),
 * so libsign does not depend on libtransmit.
 */
#include "transmit/tsa.h"

#include <string.h>
#include <curl/curl.h>

#include "core/log.h"

static size_t
on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct buf *b = ud;

	if (buf_add(b, p, sz * n))
		return 0;   /* over the cap: curl aborts the transfer */
	return sz * n;
}

int
xmit_post_bytes(const char *url, const char *ctype, const void *req, size_t len,
		struct buf *resp, struct lerr *e)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char errbuf[CURL_ERROR_SIZE] = "", hdr[128];
	long status = 0;
	CURLcode cc;
	int rc = 0;

	if (!url || !*url)
		return lerr_set(e, LERR_INVALID, "tsa_url", "no URL configured for this request");
	if (!c)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create an HTTP handle");
	snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
	h = curl_slist_append(h, hdr);
	buf_reset(resp);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK) {
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "request to %s failed", url);
		lerr_detail(e, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else if (status != 200) {
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "%s answered HTTP %ld", url, status);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}
