/*
 * mail.c - e-mail through libcurl's SMTP client (mail.h).
 *
 * libcurl speaks ESMTP (EHLO, STARTTLS, AUTH PLAIN/LOGIN/..., MAIL FROM,
 * RCPT TO, DATA with dot-stuffing) and builds the MIME structure
 * (curl_mime_*, as its docs/examples/smtp-mime.c does); we only write the
 * header values, each one line, non-ASCII phrases as RFC 2047 words.
 */
#include "transmit/mail.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"

#define WORD_BYTES 45            /* 60 base64 characters: 72-character words */

void
xmit_mail_oneline(const char *in, char *out, size_t n)
{
	size_t o = 0;

	if (!n)
		return;
	for (const unsigned char *s = (const unsigned char *)(in ? in : ""); *s && o + 1 < n; s++) {
		unsigned char ch = *s < 0x20 || *s == 0x7f ? ' ' : *s;

		if (ch == ' ' && (o == 0 || out[o - 1] == ' '))
			continue;
		out[o++] = (char)ch;
	}
	if (in && strlen(in) >= n)       /* cut: never in the middle of a character */
		while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
			o--;
	if (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0xc0)
		o--;                     /* a lead byte whose continuation was cut */
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

static int
plain_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || strchr("()<>[]:;@\\,.\"=?", *s))
			return 0;
	return 1;
}

/* Length of the longest prefix of s (at most max bytes) that ends on a
 * character boundary. */
static size_t
utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	if (n < len)
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	return n ? n : (len < max ? len : max);
}

int
xmit_mail_phrase(const char *text, struct buf *out)
{
	size_t len = strlen(text);

	if (plain_ascii(text))
		return buf_addstr(out, text);
	for (size_t off = 0; off < len;) {
		size_t n = utf8_prefix(text + off, len - off, WORD_BYTES);

		if ((off && buf_addstr(out, " ")) || buf_addstr(out, "=?UTF-8?B?") ||
		    base64_encode(text + off, n, 0, out) || buf_addstr(out, "?="))
			return -1;
		off += n;
	}
	return 0;
}

void
xmit_mail_date(time_t t, char out[40])
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
		 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
xmit_mail_addr_ok(const char *addr)
{
	const char *at = addr ? strchr(addr, '@') : NULL;

	if (!at || at == addr || !at[1] || strchr(at + 1, '@') || strlen(addr) > 254)
		return 0;
	for (const char *s = addr; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || strchr("<>()[],;:\\\"", *s))
			return 0;
	return 1;
}

/* "Phrase <addr>" as a header value. */
static int
mailbox(struct buf *b, const char *header, const char *name, const char *addr)
{
	char line[256];

	xmit_mail_oneline(name, line, sizeof(line));
	if (buf_printf(b, "%s: ", header))
		return -1;
	if (*line && (xmit_mail_phrase(line, b) || buf_addstr(b, " ")))
		return -1;
	return buf_printf(b, "<%s>", addr);
}

static struct curl_slist *
add_header(struct curl_slist *l, struct buf *b, int *bad)
{
	struct curl_slist *n;

	if (*bad || buf_add(b, "", 1) || !(n = curl_slist_append(l, b->data))) {
		*bad = 1;
		return l;
	}
	buf_reset(b);
	return n;
}

/* Date, From, To, Subject, Message-ID, Auto-Submitted. */
static struct curl_slist *
headers(const struct xmit_mail *m, const char *from, const char *mid, int *bad)
{
	struct curl_slist *l = NULL;
	char date[40], subject[400];
	struct buf b;

	buf_init(&b, 4096);
	xmit_mail_date(time(NULL), date);
	xmit_mail_oneline(m->subject, subject, sizeof(subject));
	*bad = buf_printf(&b, "Date: %s", date);
	l = add_header(l, &b, bad);
	*bad = *bad || mailbox(&b, "From", "Parapheur électronique", from);
	l = add_header(l, &b, bad);
	*bad = *bad || mailbox(&b, "To", m->to_name, m->to);
	l = add_header(l, &b, bad);
	*bad = *bad || buf_addstr(&b, "Subject: ") || xmit_mail_phrase(subject, &b);
	l = add_header(l, &b, bad);
	*bad = *bad || buf_printf(&b, "Message-ID: %s", mid);
	l = add_header(l, &b, bad);
	*bad = *bad || buf_addstr(&b, "Auto-Submitted: auto-generated");
	l = add_header(l, &b, bad);
	buf_fini(&b);
	return l;
}

static int
text_part(curl_mime *alt, const char *type, const char *body)
{
	curl_mimepart *p = curl_mime_addpart(alt);

	return !p || curl_mime_data(p, body, CURL_ZERO_TERMINATED) != CURLE_OK ||
	       curl_mime_type(p, type) != CURLE_OK ||
	       curl_mime_encoder(p, "quoted-printable") != CURLE_OK;
}

/* The body: multipart/mixed holding one inline multipart/alternative. */
static curl_mime *
body(CURL *h, const struct xmit_mail *m, struct curl_slist **inline_hdr)
{
	curl_mime *mime = curl_mime_init(h), *alt = curl_mime_init(h);
	curl_mimepart *part;

	*inline_hdr = curl_slist_append(NULL, "Content-Disposition: inline");
	if (!mime || !alt || !*inline_hdr || text_part(alt, "text/plain; charset=utf-8", m->text) ||
	    (m->html && text_part(alt, "text/html; charset=utf-8", m->html)) ||
	    !(part = curl_mime_addpart(mime)) || curl_mime_subparts(part, alt) != CURLE_OK) {
		curl_mime_free(alt);
		curl_mime_free(mime);
		return NULL;
	}
	curl_mime_type(part, "multipart/alternative");
	curl_mime_headers(part, *inline_hdr, 0);
	return mime;
}

/* <random.time@domain of the sender>. */
static int
message_id(const char *from, char out[XMIT_MAIL_ID_MAX])
{
	unsigned char r[12];
	char hex[25];

	if (random_bytes(r, sizeof(r)))
		return -1;
	hex_encode(r, sizeof(r), hex);
	snprintf(out, XMIT_MAIL_ID_MAX, "<%s.%lld@%.80s>", hex, (long long)time(NULL), strchr(from, '@') + 1);
	return 0;
}

/* User name (first line) and password (second line) of the credentials file. */
static int
credentials(CURL *h, struct lerr *e)
{
	const char *file = config_str("notify_smtp_credentials_file");
	char secret[1024], *nl;
	int rc;

	if (!file || !*file)
		return 0;
	if ((rc = config_read_secret(file, secret, sizeof(secret), e)))
		return rc;
	if (!(nl = strchr(secret, '\n')) || nl == secret) {
		explicit_bzero(secret, sizeof(secret));
		lerr_set(e, LERR_INVALID, "notify_smtp_credentials_file",
			 "the SMTP credentials file %s does not hold a user name and a password", file);
		lerr_hint(e, "write the user name on the first line and the password on the second");
		return LERR_INVALID;
	}
	*nl = '\0';
	if (nl > secret && nl[-1] == '\r')
		nl[-1] = '\0';
	curl_easy_setopt(h, CURLOPT_USERNAME, secret);
	curl_easy_setopt(h, CURLOPT_PASSWORD, nl + 1);
	explicit_bzero(secret, sizeof(secret));
	return 0;
}

static void
transport(CURL *h, const char *url)
{
	const char *ca = config_str("notify_smtp_ca_file");
	long timeout = (long)config_int("notify_smtp_timeout");

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout < 10 ? timeout : 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(h, CURLOPT_USE_SSL, config_int("notify_smtp_starttls") ?
			 (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca && *ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
}

static int
config_check(const char *url, const char *from, const struct xmit_mail *m, struct lerr *e)
{
	if (strncmp(url, "smtp://", 7) && strncmp(url, "smtps://", 8)) {
		lerr_set(e, LERR_INVALID, "notify_smtp_url", "notify_smtp_url must start with smtp:// or smtps://");
		lerr_hint(e, "smtp://host:587 (STARTTLS) or smtps://host:465");
		return LERR_INVALID;
	}
	if (!xmit_mail_addr_ok(from)) {
		lerr_set(e, LERR_INVALID, "notify_from", "notify_from is not an e-mail address: \"%s\"", from);
		lerr_hint(e, "set notify_from to the sender's address, such as parapheur@opsn.example.org");
		return LERR_INVALID;
	}
	if (!xmit_mail_addr_ok(m->to)) {
		lerr_set(e, LERR_INVALID, "to", "cannot send to \"%s\": not a plain e-mail address", m->to);
		return LERR_INVALID;
	}
	return 0;
}

int
xmit_mail_permanent(long code)
{
	return code >= 500 && code <= 599 && code != 530 && code != 534 && code != 535 && code != 538;
}

/* The server's last error answer (a 4xx or 5xx line of CURLINFO_HEADER_IN),
 * for the error: never what we send (HEADER_OUT carries the AUTH exchange). */
struct answer {
	char line[320];
};

static int
on_debug(CURL *h, curl_infotype type, char *data, size_t n, void *arg)
{
	struct answer *a = arg;
	char raw[sizeof(a->line)];
	size_t k = n < sizeof(raw) - 1 ? n : sizeof(raw) - 1;

	(void)h;
	if (type != CURLINFO_HEADER_IN || !n || (data[0] != '4' && data[0] != '5'))
		return 0;                /* not an error answer (the QUIT's 221 comes after it) */
	memcpy(raw, data, k);
	raw[k] = '\0';
	xmit_mail_oneline(raw, a->line, sizeof(a->line));
	return 0;
}

/* A 5xx answer to MAIL, RCPT or DATA is final (RFC 5321 section 4.2.1);
 * a refused AUTH or STARTTLS is liasse's configuration, retried. */
static int
perform(CURL *h, int *permanent, struct lerr *e)
{
	char err[CURL_ERROR_SIZE] = "";
	struct answer a = { "" };
	long code = 0;
	CURLcode cc;

	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &a);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	cc = curl_easy_perform(h);
	if (cc == CURLE_OK)
		return 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	*permanent = xmit_mail_permanent(code) && cc != CURLE_LOGIN_DENIED && cc != CURLE_USE_SSL_FAILED;
	lerr_set(e, LERR_UNAVAILABLE, NULL, *permanent ? "the mail server refused the message for good" :
		 "the mail server did not take the message");
	if (code && *a.line)
		lerr_detail(e, "%s (SMTP %ld); the server answered: %s", *err ? err : curl_easy_strerror(cc),
			    code, a.line);
	else if (code)
		lerr_detail(e, "%s (SMTP %ld)", *err ? err : curl_easy_strerror(cc), code);
	else
		lerr_detail(e, "%s", *err ? err : curl_easy_strerror(cc));
	lerr_hint(e, "%s", *permanent ? "it is not tried again: correct the address (or the server's rules)"
		  " and the next notification goes" : "it is tried again later; check notify_smtp_url and the"
		  " server's log");
	return LERR_UNAVAILABLE;
}

int
xmit_mail_send(const struct xmit_mail *m, char mid[XMIT_MAIL_ID_MAX], int *permanent, struct lerr *e)
{
	const char *url = config_str("notify_smtp_url"), *from = config_str("notify_from");
	struct curl_slist *hdr = NULL, *rcpt = NULL, *inl = NULL;
	curl_mime *mime = NULL;
	char addr[300];
	CURL *h = NULL;
	int rc, bad = 0;

	*permanent = 0;
	if ((rc = config_check(url, from, m, e)))
		return rc;
	if (message_id(from, mid) || !(h = curl_easy_init())) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot prepare an e-mail");
		goto out;
	}
	transport(h, url);
	if ((rc = credentials(h, e)))
		goto out;
	snprintf(addr, sizeof(addr), "<%s>", from);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, addr);
	snprintf(addr, sizeof(addr), "<%s>", m->to);
	hdr = headers(m, from, mid, &bad);
	if (bad || !(rcpt = curl_slist_append(NULL, addr)) || !(mime = body(h, m, &inl))) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot build the e-mail");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
	rc = perform(h, permanent, e);
out:
	curl_easy_cleanup(h);
	curl_mime_free(mime);
	curl_slist_free_all(inl);
	curl_slist_free_all(rcpt);
	curl_slist_free_all(hdr);
	return rc;
}
