/*
 * mail.h - e-mail through libcurl's SMTP client (the notifications,
 * doc/notifications.md).
 *
 * The message is built with libcurl's MIME API: a multipart/mixed whose one
 * part is an inline multipart/alternative of a text/plain and a text/html
 * body, both UTF-8 and quoted-printable; nothing is ever attached.  The
 * headers (Date, From, To, Subject, Message-ID, Auto-Submitted) are ours:
 * every value is one line (CR, LF and other control characters removed) and
 * every non-ASCII phrase is an RFC 2047 encoded-word, so no document title
 * or person's name can add a header.  The server, TLS, credentials and
 * sender come from the notify_* configuration keys.
 */
#ifndef LIASSE_XMIT_MAIL_H
#define LIASSE_XMIT_MAIL_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"

#define XMIT_MAIL_ID_MAX 128

struct xmit_mail {
	const char *to;         /* address (checked: no space, <, >, quotes, controls) */
	const char *to_name;    /* UTF-8, may be NULL */
	const char *subject;    /* UTF-8 */
	const char *text;       /* UTF-8 text/plain body, lines ending in \n */
	const char *html;       /* UTF-8 text/html body, or NULL */
};

/* Sends m to m->to; message_id receives the Message-ID it was sent with
 * (with its angle brackets).  LERR_UNAVAILABLE with the server's answer when
 * the server could not be reached or refused it, *permanent set when the
 * refusal is final (xmit_mail_permanent()); LERR_INVALID when the
 * configuration or the address is wrong. */
int xmit_mail_send(const struct xmit_mail *m, char message_id[XMIT_MAIL_ID_MAX], int *permanent,
		   struct lerr *e) LERR_WUR;
/* 1 when an SMTP answer code refuses a message for good: 5xx (RFC 5321
 * section 4.2.1), except the AUTH answers 530, 534, 535 and 538 (RFC 4954),
 * which say liasse's credentials or TLS are wrong: retried like a 4xx. */
int xmit_mail_permanent(long code);

/* The pure parts, for tests/unit/test_mail.c. */
/* in as one line of at most n-1 bytes: CR, LF, tabs and other control
 * characters become spaces, runs of spaces one, and a cut never splits a
 * UTF-8 character. */
void xmit_mail_oneline(const char *in, char *out, size_t n);
/* text (one line) as a header phrase: itself when printable ASCII without
 * specials that need quoting, else RFC 2047 "=?UTF-8?B?...?=" words of at
 * most 75 characters separated by spaces, none splitting a UTF-8 character. */
int xmit_mail_phrase(const char *text, struct buf *out) LERR_WUR;
/* RFC 5322 date of t in UTC: "Sun, 06 Dec 2026 13:05:09 +0000". */
void xmit_mail_date(time_t t, char out[40]);
/* 1 when addr is an address we may put in To/RCPT: local@domain, printable
 * ASCII, no space, no "<>()[],;:\\\"". */
int xmit_mail_addr_ok(const char *addr);

#endif
