/* test_mail.c - the pure parts of the notification e-mails (transmit/mail.c,
 * transmit/notice.c): one-line header values, RFC 2047 words, the date, the
 * addresses, and the French message of a notification. */
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/util.h"
#include "transmit/mail.h"
#include "transmit/notice.h"
#include "tap.h"

/* Decodes "=?UTF-8?B?...?=" words separated by spaces back to UTF-8. */
static int
decode_words(const char *s, struct buf *out)
{
	while (*s) {
		const char *end;

		if (strncmp(s, "=?UTF-8?B?", 10) || !(end = strstr(s + 10, "?=")))
			return -1;
		if (base64_decode(s + 10, (size_t)(end - s - 10), out))
			return -1;
		if ((size_t)(end + 2 - s) > 75)
			return -1;             /* RFC 2047: 75 characters at most */
		s = end + 2;
		if (*s == ' ')
			s++;
	}
	return buf_add(out, "", 1);
}

static void
test_oneline(void)
{
	char out[64];

	xmit_mail_oneline("Budget\r\nBcc: x@evil.test\tfin", out, sizeof(out));
	is_str(out, "Budget Bcc: x@evil.test fin", "CR, LF and tabs become single spaces");
	xmit_mail_oneline("  a \x01\x7f b  ", out, sizeof(out));
	is_str(out, "a b", "control characters out, spaces trimmed");
	xmit_mail_oneline("ééééé", out, 6);
	is_str(out, "éé", "a cut never splits a character");
	xmit_mail_oneline(NULL, out, sizeof(out));
	is_str(out, "", "NULL is empty");
}

static void
test_phrase(void)
{
	static const char *const cases[] = {
		"Document à signer : Délibération « budget primitif » de la commune de Saint-Éloi-sur-Loire, "
		"séance du conseil municipal",
		"Récapitulatif", "€€€€€€€€€€€€€€€€€€€€€€€€", "a\"b<c>",
	};
	struct buf b, d;

	buf_init(&b, 4096);
	buf_init(&d, 4096);
	ok(xmit_mail_phrase("Parapheur", &b) == 0 && buf_add(&b, "", 1) == 0 && !strcmp(b.data, "Parapheur"),
	   "plain ASCII stays as it is");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_reset(&d);
		ok(xmit_mail_phrase(cases[i], &b) == 0 && buf_add(&b, "", 1) == 0, "encoded %zu", i);
		ok(decode_words(b.data, &d) == 0 && !strcmp(d.data, cases[i]),
		   "%zu: RFC 2047 words of at most 75 characters, each whole UTF-8, decode back", i);
		ok(!strpbrk(b.data, "\r\n"), "%zu: one line", i);
	}
	buf_fini(&d);
	buf_fini(&b);
}

static void
test_date_addr(void)
{
	char date[40];

	xmit_mail_date((time_t)1796562309, date);
	is_str(date, "Sun, 06 Dec 2026 13:05:09 +0000", "RFC 5322 date in UTC, English names");
	ok(xmit_mail_addr_ok("maire@saint-essai.test"), "a plain address");
	ok(!xmit_mail_addr_ok("a@b.test>\r\nRCPT TO:<x@y.test"), "no CR/LF or angle brackets");
	ok(!xmit_mail_addr_ok("a b@c.test") && !xmit_mail_addr_ok("a@b@c") && !xmit_mail_addr_ok("@c.test") &&
	   !xmit_mail_addr_ok("a@") && !xmit_mail_addr_ok("a,b@c.test"), "no spaces, commas, extra @");
}

static void
test_permanent(void)
{
	ok(xmit_mail_permanent(550) && xmit_mail_permanent(552) && xmit_mail_permanent(554) &&
	   xmit_mail_permanent(553), "5xx to MAIL, RCPT, DATA: final");
	ok(!xmit_mail_permanent(451) && !xmit_mail_permanent(421) && !xmit_mail_permanent(452) &&
	   !xmit_mail_permanent(0), "4xx and no answer (connection): retried");
	ok(!xmit_mail_permanent(530) && !xmit_mail_permanent(534) && !xmit_mail_permanent(535) &&
	   !xmit_mail_permanent(538), "AUTH refusals (RFC 4954): liasse's configuration, retried");
	ok(!xmit_mail_permanent(250) && !xmit_mail_permanent(600), "not a refusal");
}

static void
test_compose(void)
{
	struct buf subj, text, html;
	const char *doc = "{\"id\": 7, \"kind\": \"document\", \"name\": \"Marie\\r\\nBcc: x\", \"total\": 1,"
		" \"docs\": [{\"id\": \"0b7e6a2c-0000-4000-8000-000000000001\", \"title\": \"Budget <b>\\r\\nX: y\","
		" \"kind\": \"acte\", \"organisation\": \"Commune\", \"due_date\": \"2027-01-12\","
		" \"state\": \"pending_signature\"}]}";
	const char *dig = "{\"id\": 8, \"kind\": \"digest\", \"name\": \"Paul\", \"total\": 3, \"docs\": ["
		"{\"id\": \"a\", \"title\": \"Un\", \"kind\": \"pes\", \"state\": \"pending_signature\"},"
		"{\"id\": \"b\", \"title\": \"Deux\", \"kind\": \"document\", \"state\": \"pending_signature\", \"step\": \"visa\"}]}";

	buf_init(&subj, 1024);
	buf_init(&text, 65536);
	buf_init(&html, 65536);
	ok(xmit_notice_compose(doc, "https://p.test", &subj, &text, &html) == 0, "a notification is written");
	is_str(subj.data, "Document à signer : Budget <b> X: y", "subject: the action and the title, one line");
	ok(strstr(text.data, "Bonjour Marie Bcc: x,\n") != NULL, "greeting on one line");
	ok(strstr(text.data, "https://p.test/documents/0b7e6a2c-0000-4000-8000-000000000001\n") != NULL,
	   "the link to the document");
	ok(strstr(text.data, "avant le 12/01/2027") != NULL, "the due date in French");
	ok(strstr(html.data, "Budget &lt;b&gt; X: y") != NULL && !strstr(html.data, "<b>"), "HTML escaped");
	buf_reset(&subj);
	buf_reset(&text);
	buf_reset(&html);
	ok(xmit_notice_compose(dig, "https://p.test", &subj, &text, &html) == 0, "a digest is written");
	is_str(subj.data, "Récapitulatif : 3 documents vous attendent dans votre parapheur", "digest subject");
	ok(strstr(text.data, "https://p.test/documents/a") && strstr(text.data, "https://p.test/documents/b") &&
	   strstr(text.data, "à viser") && strstr(text.data, "… et 1 autre."), "digest lists what waits");
	buf_fini(&html);
	buf_fini(&text);
	buf_fini(&subj);
}

int
main(void)
{
	test_oneline();
	test_phrase();
	test_date_addr();
	test_permanent();
	test_compose();
	return tap_done();
}
