/*
 * tls.c - what the HTTPS connectors (@ctes, S²LOW) share beyond
 * xmit_curl_open(): a file part of a multipart POST read from a spool file,
 * the POST itself, and the check that the platform accepts our client certificate (a TLS
 * handshake, nothing sent).  Kept apart from xmit.c's connector table.
 */
#include "transmit/xmit_int.h"

static size_t
read_spool(char *p, size_t sz, size_t n, void *arg)
{
	return fread(p, sz, n, (FILE *)arg);
}

static int
seek_spool(void *arg, curl_off_t off, int origin)
{
	return fseek((FILE *)arg, (long)off, origin) ? CURL_SEEKFUNC_FAIL : CURL_SEEKFUNC_OK;
}

int
xmit_mime_spool(curl_mime *m, const char *field, const char *filename, const char *type, FILE *f,
		long long size, struct lerr *e)
{
	curl_mimepart *p = curl_mime_addpart(m);

	if (!p || curl_mime_name(p, field) != CURLE_OK || curl_mime_filename(p, filename) != CURLE_OK ||
	    curl_mime_type(p, type) != CURLE_OK ||
	    curl_mime_data_cb(p, (curl_off_t)size, read_spool, seek_spool, NULL, f) != CURLE_OK)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot build the multipart body (%s)", field);
	return 0;
}

enum xmit_outcome
xmit_mime_post(struct xmit_curl *xc, const char *url, curl_mime *m, const char *what, long *status,
	       struct lerr *e)
{
	CURLcode cc;

	curl_easy_setopt(xc->h, CURLOPT_URL, url);
	curl_easy_setopt(xc->h, CURLOPT_MIMEPOST, m);
	cc = curl_easy_perform(xc->h);
	curl_easy_getinfo(xc->h, CURLINFO_RESPONSE_CODE, status);
	if (cc == CURLE_OK)
		return XMIT_SENT;
	xmit_curl_error(xc, cc, what, e);
	return xmit_curl_unsent(cc) ? XMIT_UNSENT : XMIT_UNCERTAIN;
}

int
xmit_tls_handshake(json_t *settings, const char *url, const char *what, struct lerr *e)
{
	struct xmit_curl xc;
	CURLcode cc;
	int rc = xmit_curl_open(&xc, settings, "", "https", 20, 0, e);

	if (!rc) {
		curl_easy_setopt(xc.h, CURLOPT_URL, url);
		curl_easy_setopt(xc.h, CURLOPT_CONNECT_ONLY, 1L);
		if ((cc = curl_easy_perform(xc.h)) != CURLE_OK)
			rc = xmit_curl_error(&xc, cc, what, e);
	}
	xmit_curl_close(&xc);
	return rc;
}
