/*
 * test_xmlguard.c - the pre-parse guard of outside XML (core/xmlguard):
 * cases as data (document, verdict, words of the message), each fed whole,
 * byte by byte and in pieces of 7 bytes (the verdict must not depend on
 * how the bytes arrive), then the bombs of issue 16 in bounded time.
 */
#include "core/xmlguard.h"
#include "tap.h"

#include <stdint.h>
#include <time.h>

struct gcase {
	const char *name, *doc;
	int rc;                 /* expected kind */
	const char *msg;        /* a word of the message, or NULL */
	const char *detail;     /* a word of the detail, or NULL */
};

static const struct gcase cases[] = {
	{ "plain document", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<a b=\"1\"><c/>t\xe9xt</a>",
	  0, NULL, NULL },
	{ "no declaration, leading blanks", "\n  <a/>", 0, NULL, NULL },
	{ "UTF-8 byte order mark", "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>", 0, NULL, NULL },
	{ "comment and CDATA may hold markup",
	  "<a><!-- <!DOCTYPE x> <b c='1' d='2'> --><![CDATA[<!DOCTYPE y> ]] ]>]]></a>", 0, NULL, NULL },
	{ "'>' and quotes inside values", "<a b=\"x>y\" c='\"' d=\"'/\"><e f=\"/\"/></a>", 0, NULL, NULL },
	{ "processing instruction", "<?xml version='1.0'?><?pi <!DOCTYPE x> ?><a/>", 0, NULL, NULL },
	{ "entity and character references", "<a>&amp;&#13;&#xE9;</a>", 0, NULL, NULL },
	{ "encoding ISO-8859-15", "<?xml version=\"1.0\" encoding=\"iso-8859-15\"?><a/>", 0, NULL, NULL },
	{ "encoding windows-1252", "<?xml version=\"1.0\" encoding='windows-1252' standalone='yes'?><a/>",
	  0, NULL, NULL },

	{ "DOCTYPE with entities (billion laughs)",
	  "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">]>\n<lolz>&lol;</lolz>",
	  LERR_INVALID, "DTD", "line 2: <!DOCTYPE lolz" },
	{ "external DTD", "<!DOCTYPE a SYSTEM \"http://127.0.0.1:9/a.dtd\"><a/>", LERR_INVALID, "DTD",
	  "127.0.0.1:9/a.dtd" },
	{ "doctype in lower case", "<!doctype a><a/>", LERR_INVALID, "DTD", NULL },
	{ "ENTITY outside a DTD", "<a><!ENTITY x \"y\"></a>", LERR_INVALID, "DTD", NULL },
	{ "<!- that is no comment", "<a><!-x--></a>", LERR_INVALID, "DTD", NULL },
	{ "<![ that is no CDATA", "<a><![INCLUDE[ ]]></a>", LERR_INVALID, "DTD", NULL },
	{ "DOCTYPE after a comment", "<!-- hi --><!DOCTYPE a><a/>", LERR_INVALID, "DTD", NULL },
	{ "DOCTYPE cut by the end of the input", "<a/><!DOCTYPE", LERR_INVALID, "DTD", NULL },
	{ "UTF-16 byte order mark", "\xff\xfe<\0a\0/\0>\0", LERR_INVALID, "UTF-16", NULL },
	{ "UTF-16BE byte order mark", "\xfe\xff\0<\0a", LERR_INVALID, "UTF-16", NULL },
	{ "EBCDIC", "\x4c\x6f\xa7\x94", LERR_INVALID, "not XML", NULL },
	{ "text before the root", "hello <a/>", LERR_INVALID, "not XML", NULL },
	{ "broken BOM", "\xef\xbb<a/>", LERR_INVALID, "not XML", NULL },
	{ "UTF-7 declared", "<?xml version=\"1.0\" encoding=\"UTF-7\"?><a>+ADw-!DOCTYPE</a>",
	  LERR_INVALID, "encoding", "UTF-7" },
	{ "EBCDIC declared", "<?xml version=\"1.0\" encoding='IBM037'?><a/>", LERR_INVALID, "encoding",
	  "IBM037" },
	{ "UTF-16 declared", "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>", LERR_INVALID, "encoding",
	  NULL },
};

/* The length of a case: the UTF-16 ones hold NUL bytes. */
static size_t
case_len(const struct gcase *c)
{
	if (!strncmp(c->doc, "\xff\xfe", 2))
		return 10;
	if (!strncmp(c->doc, "\xfe\xff", 2))
		return 6;
	return strlen(c->doc);
}

static int
feed_by(const char *doc, size_t n, size_t step, struct lerr *e)
{
	struct xmlguard g;
	int rc = 0;

	xmlguard_init(&g, SIZE_MAX);
	lerr_clear(e);
	for (size_t o = 0; o < n && !rc; o += step)
		rc = xmlguard_feed(&g, doc + o, n - o < step ? n - o : step, e);
	return rc;
}

static void
test_cases(void)
{
	struct lerr e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct gcase *c = &cases[i];
		size_t steps[] = { SIZE_MAX, 1, 7 };

		for (size_t s = 0; s < 3; s++) {
			int rc = feed_by(c->doc, case_len(c), steps[s], &e);

			is_int(rc, c->rc, "%s (pieces of %zu): %s", c->name, steps[s] == SIZE_MAX ? 0 : steps[s],
			       rc ? e.msg : "accepted");
			if (c->msg && rc)
				ok(strstr(e.msg, c->msg) != NULL, "%s: message \"%s\" names %s", c->name, e.msg,
				   c->msg);
			if (c->detail && rc && steps[s] == SIZE_MAX)   /* what had arrived */
				ok(strstr(e.detail, c->detail) != NULL, "%s: detail \"%s\" names %s", c->name,
				   e.detail, c->detail);
		}
	}
	lerr_clear(&e);
	is_int(xmlguard_check("<a>12345</a>", 12, 11, &e), LERR_TOOLARGE, "a document over max_bytes: %s",
	       e.msg);
	is_int(xmlguard_check("<a>1234</a>", 11, 11, &e), 0, "a document of max_bytes");
}

/* head, then n times pre, a counter and post, then tail. */
static char *
build(const char *head, const char *pre, const char *post, long n, const char *tail, size_t *len)
{
	size_t cap = strlen(head) + strlen(tail) + (size_t)n * (strlen(pre) + strlen(post) + 24) + 1, o = 0;
	char *b = malloc(cap);

	if (!b)
		exit(1);
	o += (size_t)snprintf(b + o, cap - o, "%s", head);
	for (long i = 0; i < n; i++)
		o += (size_t)snprintf(b + o, cap - o, "%s%ld%s", pre, i, post);
	o += (size_t)snprintf(b + o, cap - o, "%s", tail);
	*len = o;
	return b;
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
test_limits(void)
{
	struct lerr e;
	size_t n;
	char *b;
	double t0;

	b = build("<a", " a", "=\"\"", XMLGUARD_MAX_ATTRS, "/>", &n);
	is_int(xmlguard_check(b, n, SIZE_MAX, &e), 0, "%d attributes in one tag are accepted",
	       XMLGUARD_MAX_ATTRS);
	free(b);
	b = build("<a", " a", "=''", XMLGUARD_MAX_ATTRS + 1, "/>", &n);
	is_int(xmlguard_check(b, n, SIZE_MAX, &e), LERR_INVALID, "%d attributes are refused: %s",
	       XMLGUARD_MAX_ATTRS + 1, e.msg);
	ok(strstr(e.msg, "attributes") != NULL, "the message says attributes: %s / %s", e.msg, e.detail);
	free(b);
	b = build("<a", " xmlns:p", "=\"urn:x\"", XMLGUARD_MAX_ATTRS + 1, "/>", &n);
	is_int(xmlguard_check(b, n, SIZE_MAX, &e), LERR_INVALID, "namespace declarations count too");
	free(b);

	/* The attribute bomb of issue 16: 100,000 attributes, 1 MB. */
	b = build("<?xml version=\"1.0\"?>\n<a", " a", "=\"\"", 100000, "/>", &n);
	t0 = now_s();
	is_int(xmlguard_check(b, n, SIZE_MAX, &e), LERR_INVALID, "attribute bomb (%zu bytes) refused", n);
	ok(now_s() - t0 < 0.1, "... in %.3f s", now_s() - t0);
	ok(strstr(e.detail, "line 2") != NULL, "... at line 2: %s", e.detail);
	free(b);

	b = build("<a b=\"", "", "", XMLGUARD_MAX_TAG / 5, "\"/>", &n);
	is_int(xmlguard_check(b, n, SIZE_MAX, &e), LERR_INVALID, "a tag of %zu bytes is refused: %s", n,
	       e.msg);
	free(b);
	b = build("<?pi ", "", "", XMLGUARD_MAX_TAG / 5, "?><a/>", &n);
	is_int(xmlguard_check(b, n, SIZE_MAX, &e), LERR_INVALID, "a PI of %zu bytes is refused", n);
	free(b);
	/* ... but long text, comments and CDATA sections are not tags. */
	b = build("<a>", "", " <!-- x -->\n", 2000000, "</a>", &n);
	t0 = now_s();
	is_int(xmlguard_check(b, n, SIZE_MAX, &e), 0, "%zu bytes of text and comments accepted", n);
	ok(now_s() - t0 < 2, "... in %.3f s", now_s() - t0);
	free(b);
	b = build("<a><!--", "", "", 2000000, "--></a>", &n);
	is_int(xmlguard_check(b, n, SIZE_MAX, &e), 0, "a comment of %zu bytes accepted", n);
	free(b);

	b = build("", "<e", ">", XMLGUARD_MAX_DEPTH, "", &n);
	is_int(xmlguard_check(b, n, SIZE_MAX, &e), 0, "%d levels accepted", XMLGUARD_MAX_DEPTH);
	free(b);
	b = build("", "<e", ">", XMLGUARD_MAX_DEPTH + 1, "", &n);
	is_int(xmlguard_check(b, n, SIZE_MAX, &e), LERR_INVALID, "%d levels refused: %s",
	       XMLGUARD_MAX_DEPTH + 1, e.msg);
	free(b);
	b = build("<r>", "<e", "><f/></e>", 100000, "</r>", &n);
	is_int(xmlguard_check(b, n, SIZE_MAX, &e), 0, "siblings and empty elements do not add depth");
	free(b);
}

int
main(void)
{
	test_cases();
	test_limits();
	return tap_done();
}
