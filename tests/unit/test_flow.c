/*
 * test_flow.c - the validators of src/flow: PES stream scan (with the real
 * Hélios fixtures when ../shared/fixtures is present), media sniffing,
 * metadata helpers and the @ctes checks.
 */
#include "core/kind.h"
#include "flow/acte.h"
#include "flow/door.h"
#include "flow/media.h"
#include "flow/meta.h"
#include "flow/pes_scan.h"
#include "flow/xsd_fr.h"
#include <libxml/xmlschemas.h>
#include "flow/signdoc.h"
#include "transmit/xmit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/resource.h>

#include "tap.h"

#include <time.h>

/* ---------------------------------------------------------------- helpers */

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)n + 1);
		if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		}
		if (p) {
			p[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return p;
}

/* Scan a buffer in pieces of `step` bytes (0 = whole). Returns the lerr kind. */
static int
scan(const char *p, size_t n, size_t step, struct lerr *e, struct pes_info *out)
{
	struct pes_scan *ps = pes_scan_create();
	int rc = 0;

	lerr_clear(e);
	if (step == 0)
		step = n ? n : 1;
	for (size_t off = 0; rc == 0 && off < n; off += step)
		rc = pes_scan_feed(ps, p + off, n - off < step ? n - off : step, e);
	if (rc == 0)
		rc = pes_scan_finish(ps, e);
	if (out) {
		*out = *pes_scan_info(ps);
		out->bordereaux = NULL;   /* owned by ps */
	}
	pes_scan_destroy(ps);
	return rc;
}

static int
scan_str(const char *s, struct lerr *e)
{
	return scan(s, strlen(s), 0, e, NULL);
}

static int
feed_str(struct pes_scan *ps, const char *s, struct lerr *e)
{
	return pes_scan_feed(ps, s, strlen(s), e);
}

static int
has(const char *hay, const char *needle)
{
	return hay && needle && strstr(hay, needle) != NULL;
}

/* A minimal valid PES_Aller around a body. */
#define PES_HEAD "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" \
	"<n:PES_Aller xmlns:n=\"http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller\" Id=\"R1\">" \
	"<Enveloppe><Parametres><Version V=\"2\"/><TypFic V=\"PESALR2\"/><NomFic V=\"F1\"/></Parametres></Enveloppe>"
#define PES_ENTETE "<EnTetePES><DteStr V=\"2024-01-02\"/><IdPost V=\"034000\"/>" \
	"<IdColl V=\"12345678912345\"/><CodCol V=\"123\"/><CodBud V=\"12\"/></EnTetePES>"
#define PES_BORD "<PES_DepenseAller><EnTeteDepense><IdVer V=\"2\"/><InfoDematerialisee V=\"1\"/>" \
	"</EnTeteDepense><Bordereau Id=\"B1\"><BlocBordereau><Exer V=\"2024\"/><IdBord V=\"77\"/>" \
	"</BlocBordereau></Bordereau></PES_DepenseAller>"
#define PES_TAIL "</n:PES_Aller>"

/* b with the first from replaced by to (b keeps the result). */
static const char *
strrepl_first(struct buf *b, const char *from, const char *to)
{
	char *p = strstr(b->data, from);
	struct buf n;

	if (!p)
		return b->data;
	buf_init(&n, b->max);
	if (buf_add(&n, b->data, (size_t)(p - b->data)) || buf_addstr(&n, to) ||
	    buf_addstr(&n, p + strlen(from)))
		return b->data;
	buf_fini(b);
	*b = n;
	return b->data;
}

/* ---------------------------------------------------------------- PES: synthetic */

static void
test_pes_synthetic(void)
{
	struct lerr e;
	struct pes_info pi;
	const char *ok = PES_HEAD PES_ENTETE PES_BORD PES_TAIL;

	is_int(scan(ok, strlen(ok), 0, &e, &pi), 0, "pes: minimal PES_Aller accepted");
	is_str(pi.nomfic, "F1", "pes: NomFic extracted");
	is_str(pi.exercice, "2024", "pes: exercice extracted");
	is_int(pi.n_bordereaux, 1, "pes: one bordereau");
	is_int(pi.demat_depense, PES_DEMAT_YES, "pes: InfoDematerialisee 1");
	ok(pi.root_has_id && strcmp(pi.root_id, "R1") == 0, "pes: root Id seen");
	is_int(pi.n_bordereaux_with_id, 1, "pes: bordereau Id seen");

	{
		struct buf bad;

		buf_init(&bad, 1 << 16);
		ok(!buf_addstr(&bad, ok), "pes: copy");
		is_int(scan_str(strrepl_first(&bad, "Id=\"B1\"", "Id=\"BORD_2/26#42\""), &e), LERR_INVALID,
		       "pes: bordereau Id BORD_2/26#42 refused");
		is_str(e.field, "pes.bordereau.id", "pes: bad Id: field pes.bordereau.id");
		ok(has(e.detail, "BORD_2/26#42") && has(e.detail, "NCName") && e.hint[0],
		   "pes: bad Id: detail and hint (%s / %s)", e.detail, e.hint);
		buf_fini(&bad);
	}

	is_int(scan_str(PES_HEAD PES_ENTETE PES_BORD, &e), LERR_INVALID, "pes: truncated refused");
	ok(has(e.msg, "not well-formed") && has(e.detail, "line"), "pes: truncated: %s / %s", e.msg, e.detail);
	is_str(e.field, "file", "pes: field is file");

	is_int(scan_str(PES_HEAD PES_ENTETE "<Bad></n:PES_Aller>", &e), LERR_INVALID, "pes: mismatched tag");
	ok(has(e.detail, "line 2"), "pes: malformed line number given: %s", e.detail);

	{
		struct pes_scan *ps = pes_scan_create();

		ok(feed_str(ps, ok, &e) == 0 && pes_scan_finish(ps, &e) == 0 && pes_scan_finish(ps, &e) == 0,
		   "pes: finish twice is harmless");
		is_int(feed_str(ps, "<x/>", &e), LERR_INTERNAL, "pes: feeding after finish is a bug");
		pes_scan_destroy(ps);
	}
	is_int(scan_str("", &e), LERR_INVALID, "pes: empty file refused");
	ok(has(e.msg, "empty"), "pes: empty: %s", e.msg);
	is_int(scan_str("hello world, not xml at all", &e), LERR_INVALID, "pes: not xml refused");
}

static void
test_pes_rules(void)
{
	struct lerr e;
	struct pes_info pi;

	is_int(scan_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?><n:PES_Aller xmlns:n=\""
			PES_NS_ALLER "\"/>", &e), LERR_INVALID, "pes: UTF-8 refused");
	ok(has(e.msg, "ISO-8859-1") && has(e.detail, "UTF-8"), "pes: utf8: %s / %s", e.msg, e.detail);
	is_int(scan_str("<PES_Aller><Enveloppe/></PES_Aller>", &e), LERR_INVALID,
	       "pes: no declaration refused");
	ok(has(e.msg, "ISO-8859-1") && has(e.detail, "declares no encoding"), "pes: nodecl: %s", e.detail);
	is_int(scan_str("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><PES_Aller/>", &e),
	       LERR_INVALID, "pes: UTF-8 BOM refused");
	ok(has(e.detail, "byte order mark"), "pes: bom: %s", e.detail);
	is_int(scan_str("<?xml version=\"1.0\" encoding=\"EBCDIC-US\"?><PES_Aller/>", &e), LERR_INVALID,
	       "pes: declared EBCDIC refused before parsing");
	ok(has(e.detail, "EBCDIC-US"), "pes: ebcdic: %s", e.detail);
	is_int(scan("\0\0\0<\0\0\0?", 8, 1, &e, NULL), LERR_INVALID, "pes: UCS-4 bytes refused");
	ok(has(e.msg, "not XML"), "pes: ucs4: %s", e.msg);

	is_int(scan_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><n:PES_Retour xmlns:n=\"x\"/>", &e),
	       LERR_INVALID, "pes: wrong root refused");
	ok(has(e.msg, "not PES_Aller") && has(e.detail, "PES_Retour"), "pes: root: %s", e.detail);
	is_int(scan_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><n:PES_Aller xmlns:n=\"urn:other\"/>", &e),
	       LERR_INVALID, "pes: PES_Aller in another namespace refused");
	is_int(scan_str("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><PES_Aller>"
			"<Enveloppe><Parametres><NomFic V=\"X\"/></Parametres></Enveloppe>"
			PES_ENTETE "<PES_PJ><PJ/></PES_PJ></PES_Aller>", &e), 0,
	       "pes: unqualified root, lower-case encoding, one PJ accepted");

	is_int(scan_str(PES_HEAD PES_BORD PES_TAIL, &e), LERR_INVALID, "pes: no EnTetePES refused");
	ok(has(e.msg, "CodCol is missing") && has(e.detail, "no EnTetePES"), "pes: %s / %s", e.msg, e.detail);
	is_int(scan_str(PES_HEAD "<EnTetePES><IdPost V=\"034000\"/><IdColl V=\"12345678912345\"/>"
			"<CodCol V=\"\"/><CodBud V=\"12\"/></EnTetePES>" PES_BORD PES_TAIL, &e),
	       LERR_INVALID, "pes: empty CodCol refused");
	ok(has(e.msg, "CodCol is empty"), "pes: %s", e.msg);
	is_int(scan_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><PES_Aller>"
			PES_ENTETE PES_BORD "</PES_Aller>", &e), LERR_INVALID, "pes: no Enveloppe refused");
	ok(has(e.msg, "NomFic is missing") && has(e.detail, "no Enveloppe"), "pes: %s / %s", e.msg, e.detail);
	is_int(scan_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><PES_Aller><Enveloppe/>"
			PES_ENTETE PES_BORD "</PES_Aller>", &e), LERR_INVALID, "pes: no Parametres refused");
	ok(has(e.detail, "no Parametres"), "pes: %s", e.detail);
	is_int(scan_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><PES_Aller><Enveloppe><Parametres>"
			"<NomFic V=\"  \"/></Parametres></Enveloppe>" PES_ENTETE PES_BORD "</PES_Aller>", &e),
	       LERR_INVALID, "pes: blank NomFic refused");
	ok(has(e.msg, "NomFic is empty"), "pes: %s", e.msg);
	is_int(scan_str(PES_HEAD "<EnTetePES><IdPost V=\"034000\"/><IdColl V=\"12345678912345\"/>"
			"<CodCol V=\"\xE9\xE9\xE9\"/><CodBud V=\"12\"/></EnTetePES>" PES_BORD PES_TAIL, &e), 0,
	       "pes: CodCol of 3 Latin-1 characters accepted (characters, not bytes)");
	is_int(scan_str(PES_HEAD "<EnTetePES><IdPost V=\"034000\"/><IdColl V=\"123456789123456\"/>"
			"<CodCol V=\"123\"/><CodBud V=\"12\"/></EnTetePES>" PES_BORD PES_TAIL, &e),
	       LERR_INVALID, "pes: IdColl of 15 refused");
	ok(has(e.msg, "IdColl is longer than 14") && has(e.detail, "123456789123456"), "pes: %s", e.detail);
	is_int(scan(PES_HEAD PES_ENTETE PES_TAIL, strlen(PES_HEAD PES_ENTETE PES_TAIL), 0, &e, &pi),
	       LERR_INVALID, "pes: no content refused");
	ok(has(e.msg, "no bordereau, PJ or march"), "pes: %s", e.msg);
	is_int(scan_str(PES_HEAD PES_ENTETE "<PES_Marche><EnTeteMarche/><Marches><Marche/></Marches>"
			"</PES_Marche>" PES_TAIL, &e), 0, "pes: a marché alone accepted");
}

static void
test_pes_hostile(void)
{
	struct lerr e;

	is_int(scan_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!DOCTYPE lolz [\n"
			"<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;\">]>\n"
			"<PES_Aller>&lol2;</PES_Aller>", &e), LERR_INVALID, "pes: billion laughs refused");
	ok(has(e.msg, "DTD") && has(e.detail, "line 2"), "pes: bomb: %s / %s", e.msg, e.detail);
	is_int(scan_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!DOCTYPE PES_Aller SYSTEM "
			"\"http://127.0.0.1:9/evil.dtd\">\n<PES_Aller/>", &e), LERR_INVALID,
	       "pes: external DTD refused");
	ok(has(e.msg, "DTD") && has(e.detail, "127.0.0.1:9"), "pes: ext dtd: %s", e.detail);
	is_int(scan_str("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<!DOCTYPE PES_Aller [\n"
			"<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<PES_Aller>&xxe;</PES_Aller>", &e),
	       LERR_INVALID, "pes: XXE refused");
	ok(has(e.msg, "DTD") && !has(e.detail, "root:"), "pes: xxe: %s", e.detail);
	is_int(scan_str(PES_HEAD PES_ENTETE "<PES_PJ>&xxe;</PES_PJ>" PES_TAIL, &e), LERR_INVALID,
	       "pes: undeclared entity refused");
	ok(has(e.detail, "xxe"), "pes: entity: %s", e.detail);
}

/* A listening socket on 127.0.0.1: the parser must never connect to it. */
static int
listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) || fcntl(fd, F_SETFL, O_NONBLOCK)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static void
test_pes_never_fetch(void)
{
	char doc[1024];
	struct lerr e;
	int port, fd = listener(&port), c;

	if (fd < 0) {
		ok(1, "# SKIP no loopback socket");
		return;
	}
	snprintf(doc, sizeof(doc), "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
		 "<!DOCTYPE PES_Aller SYSTEM \"http://127.0.0.1:%d/pes.dtd\">\n<PES_Aller/>", port);
	is_int(scan_str(doc, &e), LERR_INVALID, "fetch: external DTD refused");
	snprintf(doc, sizeof(doc), "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
		 "<!DOCTYPE PES_Aller [<!ENTITY %% p SYSTEM \"http://127.0.0.1:%d/p\"> %%p;\n"
		 "<!ENTITY x SYSTEM \"http://127.0.0.1:%d/x\">]>\n<PES_Aller>&x;</PES_Aller>", port, port);
	is_int(scan_str(doc, &e), LERR_INVALID, "fetch: external parameter and general entities refused");
	c = accept(fd, NULL, NULL);
	ok(c < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "fetch: nothing connected to port %d", port);
	if (c >= 0)
		close(c);
	close(fd);
}

/* Nesting, long constructs, byte-by-byte equivalence. */
static void
test_pes_bounds(void)
{
	struct lerr e, e1;
	struct pes_info a, b;
	const char *ok = PES_HEAD PES_ENTETE PES_BORD PES_TAIL;
	size_t n = 0;
	char *deep = malloc(200 * 8 + 1000), *big;

	n = (size_t)sprintf(deep, "%s%s", PES_HEAD, PES_ENTETE);
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(deep + n, "<a>");
	is_int(scan(deep, n, 0, &e, NULL), LERR_INVALID, "pes: 100 levels refused");
	ok(has(e.msg, "nested too deeply"), "pes: deep: %s", e.msg);
	free(deep);

	big = malloc(3 * 1024 * 1024);
	n = (size_t)sprintf(big, "%s%s<x v=\"", PES_HEAD, PES_ENTETE);
	memset(big + n, 'a', 2 * 1024 * 1024);
	n += 2 * 1024 * 1024;
	is_int(scan(big, n, 65536, &e, NULL), LERR_INVALID, "pes: 2 MiB attribute refused");
	ok(has(e.msg, "too large"), "pes: long tag: %s", e.msg);
	/* Issue 16: libxml2's start-tag parser is quadratic in the number of
	 * attributes; 100,000 of them (1 MB, under the 1 MiB construct bound)
	 * cost seconds.  core/xmlguard refuses them before libxml2 sees them. */
	n = (size_t)sprintf(big, "%s%s<x", PES_HEAD, PES_ENTETE);
	for (int i = 0; i < 100000; i++)
		n += (size_t)sprintf(big + n, " a%d=''", i);
	n += (size_t)sprintf(big + n, "/>");
	{
		clock_t c0 = clock();

		is_int(scan(big, n, 65536, &e, NULL), LERR_INVALID, "pes: attribute bomb (%zu bytes) refused", n);
		ok(has(e.msg, "attributes"), "pes: attribute bomb: %s / %s", e.msg, e.detail);
		ok(clock() - c0 < CLOCKS_PER_SEC / 2, "pes: attribute bomb refused in %.3f s CPU",
		   (double)(clock() - c0) / CLOCKS_PER_SEC);
	}
	free(big);

	is_int(scan(ok, strlen(ok), 1, &e1, &a), 0, "pes: byte by byte accepted");
	is_int(scan(ok, strlen(ok), 0, &e, &b), 0, "pes: whole accepted");
	ok(strcmp(a.nomfic, b.nomfic) == 0 && a.n_bordereaux == b.n_bordereaux &&
	   strcmp(a.encoding, b.encoding) == 0 && strcmp(a.encoding, "ISO-8859-1") == 0,
	   "pes: same info fed 1 byte at a time");
}

/* ---------------------------------------------------------------- PES: fixtures */

struct fixture_case {
	const char *path;
	int kind;            /* expected lerr kind */
	const char *msg;     /* substring of the message */
};

static const struct fixture_case fixture_cases[] = {
	{ "s2low/helios/fixtures/pes_aller_ok.xml", 0, NULL },
	{ "s2low/helios/fixtures/pes_aller_utf8.xml", LERR_INVALID, "encoding is not ISO-8859-1" },
	{ "s2low/helios/fixtures/pes_aller_CodColTropLong.xml", LERR_INVALID, "CodCol is longer than 3" },
	{ "s2low/helios/fixtures/pes_aller_IdColl_trop_long.xml", LERR_INVALID, "IdColl is longer than 14" },
	{ "s2low/helios/fixtures/pes_aller_PasDeNomFic.xml", LERR_INVALID, "NomFic is missing" },
	{ "s2low/helios/fixtures/pes_aller_empty.xml", LERR_INVALID, "no bordereau, PJ or march" },
	{ "s2low/helios/fixtures/wrong_root.xml", LERR_INVALID, "root element is not PES_Aller" },
	{ "s2low/helios/fixtures/pes_acquit.xml", LERR_INVALID, "root element is not PES_Aller" },
	{ "s2low/lib/fixtures/NoEnTete.xml", LERR_INVALID, "root element is not PES_Aller" },
	{ "s2low/lib/fixtures/test.xml", LERR_INVALID, "root element is not PES_Aller" },
	{ "s2low/lib/fixtures/HELIOS_SIMU_ALR2_NoCodBud.xml", LERR_INVALID, "CodBud is missing" },
	{ "s2low/lib/fixtures/HELIOS_SIMU_ALR2_NoCodColl.xml", LERR_INVALID, "CodCol is missing" },
	{ "s2low/lib/fixtures/HELIOS_SIMU_ALR2_NoIdPost.xml", LERR_INVALID, "IdPost is missing" },
	{ "s2low/lib/fixtures/PES_ALLER_MauvaisCodCol.xml", LERR_INVALID, "CodCol is longer than 3" },
	{ "s2low/lib/fixtures/PES_ALLER_MauvaisCodBud.xml", 0, NULL },
	{ "s2low/lib/fixtures/PES_ALLER_MauvaisIdPost.xml", 0, NULL },
	{ "s2low/helios/fixtures/pes_aller.xml", 0, NULL },
	{ "s2low/lib/fixtures/signature_bordereau2.xml", 0, NULL },
	{ "s2low/lib/fixtures/signature_bordereau_double.xml", 0, NULL },
	{ "s2low/class/fixtures/pes_no_id.xml", 0, NULL },
	{ "parapheur-v5/files/xml/PESALR1_unsigned.xml", LERR_INVALID, "encoding is not ISO-8859-1" },
};

static int
scan_fixture(const char *rel, size_t step, struct lerr *e, struct pes_info *pi)
{
	char path[1024];
	size_t n = 0;
	char *p;
	int rc;

	if (!tap_fixture(path, sizeof(path), rel) || !(p = slurp(path, &n)))
		return -1;
	rc = scan(p, n, step, e, pi);
	free(p);
	return rc;
}

static void
test_pes_fixtures(void)
{
	char path[1024];
	struct lerr e, e1;
	struct pes_info pi, p1;

	if (!tap_fixture(path, sizeof(path), "s2low/helios/fixtures/pes_aller_ok.xml")) {
		ok(1, "# SKIP fixtures absent (LIASSE_FIXTURES)");
		return;
	}
	for (size_t i = 0; i < sizeof(fixture_cases) / sizeof(fixture_cases[0]); i++) {
		const struct fixture_case *c = &fixture_cases[i];
		int rc = scan_fixture(c->path, 4096, &e, NULL), rc1;

		is_int(rc, c->kind, "fixture %s: %s", c->path, c->kind ? c->msg : "accepted");
		if (c->kind)
			ok(has(e.msg, c->msg) && strcmp(e.field, "file") == 0,
			   "fixture %s: message \"%s\" (%s)", c->path, e.msg, e.detail);
		rc1 = scan_fixture(c->path, 1, &e1, NULL);
		ok(rc1 == rc && strcmp(e.msg, e1.msg) == 0 && strcmp(e.detail, e1.detail) == 0,
		   "fixture %s: same result fed 1 byte at a time", c->path);
	}

	is_int(scan_fixture("s2low/helios/fixtures/pes_aller_ok.xml", 0, &e, &pi), 0, "ok: accepted");
	is_str(pi.nomfic, "03f432a4f6d35110bf309fb525eb61f7", "ok: nomfic");
	is_str(pi.codcol, "123", "ok: codcol");
	is_str(pi.idcoll, "12345678912345", "ok: idcoll");
	is_str(pi.idpost, "034000", "ok: idpost");
	is_str(pi.codbud, "12", "ok: codbud");
	is_str(pi.exercice, "2009", "ok: exercice");
	is_str(pi.encoding, "ISO-8859-1", "ok: encoding");
	is_int(pi.n_bordereaux, 1, "ok: one bordereau");
	is_int(pi.n_bordereaux_with_id, 1, "ok: bordereau has an Id");
	ok(pi.root_has_id && !strcmp(pi.root_id, "c78a9729c1eb89ff9b47401bd7cd9d7e"), "ok: root Id");
	is_int(pi.demat_depense, PES_DEMAT_NO, "ok: InfoDematerialisee 0");
	is_int(pi.demat_recette, PES_DEMAT_ABSENT, "ok: no recette");
	ok(!pi.is_signed, "ok: not signed");
	is_int(pi.n_warnings, 0, "ok: no warning");

	is_int(scan_fixture("s2low/lib/fixtures/PES_ALLER_MauvaisCodBud.xml", 0, &e, &pi), 0,
	       "MauvaisCodBud accepted");
	ok(pi.n_warnings == 1 && has(pi.warnings[0], "CodBud \"123\""), "MauvaisCodBud: warning: %s",
	   pi.n_warnings ? pi.warnings[0] : "none");
	is_int(scan_fixture("s2low/lib/fixtures/PES_ALLER_MauvaisIdPost.xml", 0, &e, &pi), 0,
	       "MauvaisIdPost accepted (the XSD allows 7 digits)");
	is_str(pi.idpost, "0340000", "MauvaisIdPost: idpost");
	is_int(scan_fixture("s2low/lib/fixtures/signature_bordereau_double.xml", 0, &e, &pi), 0,
	       "signed PES accepted");
	ok(pi.is_signed && pi.n_signatures == 2, "signed PES: 2 signatures seen (%zu)", pi.n_signatures);
	is_int(scan_fixture("s2low/helios/fixtures/pes_aller_CodColTropLong.xml", 0, &e, &pi),
	       LERR_INVALID, "CodColTropLong refused");
	ok(has(e.detail, "\"1234\" (4 characters)"), "CodColTropLong: detail names the value: %s", e.detail);
	is_int(scan_fixture("parapheur-v5/files/xml/PESALR1_unsigned.xml", 0, &e1, &p1), LERR_INVALID,
	       "PESALR1_unsigned refused");
	ok(has(e1.detail, "encoding=\"UTF-8\""), "PESALR1_unsigned: because of its UTF-8 prolog: %s", e1.detail);
}

/* ---------------------------------------------------------------- PES: memory */

static long
maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* A 50 MB PES generated on the fly, 64 KiB at a time: peak RSS barely moves. */
static void
test_pes_memory(void)
{
	static char chunk[65536];
	struct pes_scan *ps = pes_scan_create();
#define BORD_FMT "<Bordereau Id=\"B%06zu\"><BlocBordereau><Exer V=\"2024\"/><IdBord V=\"%zu\"/>" \
		"</BlocBordereau><Piece><BlocPiece><InfoPce><IdPce V=\"1\"/><Obj V=\"OBJET DE LA PIECE " \
		"NUMERO %zu AVEC DU TEXTE\"/></InfoPce></BlocPiece><LigneDePiece><BlocLignePiece>" \
		"<InfoLignePce><IdLigne V=\"1\"/><MtHT V=\"12.50\"/></InfoLignePce></BlocLignePiece>" \
		"</LigneDePiece></Piece></Bordereau>\n"
	struct lerr e;
	size_t total = 0, nb = 0, len;
	long before, after;
	int rc;

	lerr_clear(&e);
	rc = feed_str(ps, PES_HEAD PES_ENTETE "<PES_DepenseAller><EnTeteDepense><IdVer V=\"2\"/>"
		      "</EnTeteDepense>", &e);
	before = maxrss_kib();
	while (rc == 0 && total < 50UL * 1000 * 1000) {
		len = 0;
		while (len + 600 < sizeof(chunk)) {
			len += (size_t)snprintf(chunk + len, sizeof(chunk) - len, BORD_FMT, nb, nb, nb);
			nb++;
		}
		rc = pes_scan_feed(ps, chunk, len, &e);
		total += len;
	}
	if (rc == 0)
		rc = feed_str(ps, "</PES_DepenseAller>" PES_TAIL, &e);
	if (rc == 0)
		rc = pes_scan_finish(ps, &e);
	after = maxrss_kib();
	is_int(rc, 0, "memory: 50 MB PES accepted (%s)", e.msg);
	is_int(pes_scan_info(ps)->n_bordereaux, nb, "memory: %zu bordereaux counted", nb);
	is_int(pes_scan_info(ps)->n_bordereaux_kept, PES_BORD_KEPT, "memory: first %d IdBord kept",
	       PES_BORD_KEPT);
	ok_rss(after - before < 4 * 1024, "memory: peak RSS grew by %ld KiB (< 4 MiB) over %zu bytes",
	   after - before, total);
	pes_scan_destroy(ps);
}

/* A 20 MB element text (an embedded PJ) does not stay in memory either. */
static void
test_pes_big_text(void)
{
	static char chunk[65536];
	struct pes_scan *ps = pes_scan_create();
	struct lerr e;
	long before, after;
	int rc;

	memset(chunk, 'A', sizeof(chunk));
	lerr_clear(&e);
	rc = feed_str(ps, PES_HEAD PES_ENTETE "<PES_PJ><EnTetePES_PJ><IdVer V=\"1\"/></EnTetePES_PJ>"
		      "<PJ><Contenu><Fichier MIMEType=\"application/pdf\">", &e);
	before = maxrss_kib();
	for (int i = 0; rc == 0 && i < 320; i++)
		rc = pes_scan_feed(ps, chunk, sizeof(chunk), &e);
	if (rc == 0)
		rc = feed_str(ps, "</Fichier></Contenu></PJ></PES_PJ>" PES_TAIL, &e);
	if (rc == 0)
		rc = pes_scan_finish(ps, &e);
	after = maxrss_kib();
	is_int(rc, 0, "big text: 20 MiB PJ content accepted (%s %s)", e.msg, e.detail);
	is_int(pes_scan_info(ps)->n_pj, 1, "big text: one PJ");
	ok_rss(after - before < 4 * 1024, "big text: peak RSS grew by %ld KiB (< 4 MiB)", after - before);
	pes_scan_destroy(ps);
}


/* ---------------------------------------------------------------- media */

/* Append a zip local file header (stored) for name with data. */
static size_t
zip_entry(unsigned char *p, const char *name, const char *data)
{
	size_t nl = strlen(name), dl = strlen(data);

	memset(p, 0, 30);
	memcpy(p, "PK\3\4", 4);
	p[4] = 20;
	p[18] = (unsigned char)dl;          /* compressed size (small) */
	p[22] = (unsigned char)dl;
	p[26] = (unsigned char)nl;
	memcpy(p + 30, name, nl);
	memcpy(p + 30 + nl, data, dl);
	return 30 + nl + dl;
}

static void
test_media(void)
{
	static const char *list = "application/pdf application/xml text/xml "
		"application/vnd.oasis.opendocument.text " MEDIA_DOCX;
	unsigned char odt[512], docx[512], ods[512], zip[512];
	size_t nodt, ndocx, nods, nzip;
	const char *eff;
	struct lerr e;

	nodt = zip_entry(odt, "mimetype", MEDIA_ODT);
	nodt += zip_entry(odt + nodt, "content.xml", "<x/>");
	ndocx = zip_entry(docx, "[Content_Types].xml", "<Types/>");
	ndocx += zip_entry(docx + ndocx, "_rels/.rels", "<r/>");
	ndocx += zip_entry(docx + ndocx, "word/document.xml", "<w/>");
	nods = zip_entry(ods, "mimetype", "application/vnd.oasis.opendocument.spreadsheet");
	nzip = zip_entry(zip, "notes.txt", "hello");

	is_str(media_sniff("%PDF-1.7\n%\xE2\xE3", 12), MEDIA_PDF, "media: PDF");
	is_str(media_sniff("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), MEDIA_PNG, "media: PNG");
	is_str(media_sniff("\xFF\xD8\xFF\xE0\0\x10JFIF", 10), MEDIA_JPEG, "media: JPEG");
	is_str(media_sniff("<?xml version=\"1.0\"?><a/>", 25), MEDIA_XML, "media: XML with declaration");
	is_str(media_sniff("\xEF\xBB\xBF\n <root/>", 12), MEDIA_XML, "media: XML with BOM, no declaration");
	is_str(media_sniff(odt, nodt), MEDIA_ODT, "media: ODT by its mimetype entry");
	is_str(media_sniff(ods, nods), "application/vnd.oasis.opendocument.spreadsheet", "media: ODS");
	is_str(media_sniff(docx, ndocx), MEDIA_DOCX, "media: DOCX by its part names");
	is_str(media_sniff(zip, nzip), MEDIA_ZIP, "media: plain zip");
	ok(media_sniff("MZ\x90\0\3\0\0\0", 8) == NULL, "media: an executable is not recognised");
	ok(media_sniff("hello", 5) == NULL, "media: text is not recognised");
	ok(media_sniff("", 0) == NULL, "media: empty is not recognised");

	is_int(media_check("application/pdf", "%PDF-1.4", 8, list, &eff, &e), 0, "media: PDF declared PDF");
	is_str(eff, MEDIA_PDF, "media: effective PDF");
	is_int(media_check(NULL, "%PDF-1.4", 8, list, &eff, &e), 0, "media: undeclared PDF");
	is_str(eff, MEDIA_PDF, "media: effective from content");
	is_int(media_check("application/octet-stream", odt, nodt, list, &eff, &e), 0, "media: octet-stream ODT");
	is_str(eff, MEDIA_ODT, "media: ODT effective");
	is_int(media_check("text/xml; charset=ISO-8859-1", "<a/>", 4, list, &eff, &e), 0,
	       "media: text/xml with parameters");
	is_str(eff, "text/xml", "media: text/xml kept");
	is_int(media_check(NULL, "<a/>", 4, "text/xml", &eff, &e), 0, "media: XML accepted as text/xml");
	is_str(eff, "text/xml", "media: the accepted spelling is used");
	is_int(media_check("application/pdf", docx, ndocx, list, &eff, &e), LERR_INVALID,
	       "media: DOCX declared PDF refused");
	ok(has(e.msg, "does not match") && has(e.detail, MEDIA_DOCX), "media: %s: %s", e.msg, e.detail);
	is_str(e.field, "file", "media: field file");
	is_int(media_check("image/png", "%PDF-1.4", 8, list, &eff, &e), LERR_INVALID,
	       "media: PDF declared PNG refused");
	is_int(media_check(NULL, "\x89PNG\r\n\x1a\n", 8, list, &eff, &e), LERR_MEDIATYPE,
	       "media: PNG not in the list refused");
	ok(has(e.msg, "not accepted") && has(e.detail, "image/png"), "media: %s: %s", e.msg, e.detail);
	is_int(media_check(NULL, ods, nods, list, &eff, &e), LERR_MEDIATYPE, "media: ODS not in the list");
	is_int(media_check(NULL, "MZ\x90\0", 4, list, &eff, &e), LERR_MEDIATYPE, "media: unknown content");
	ok(has(e.msg, "not recognised"), "media: %s", e.msg);
	is_int(media_check("application/x-msdownload", "%PDF-1.4", 8, list, &eff, &e), LERR_INVALID,
	       "media: unknown declared type contradicts PDF content");
	is_int(media_check("application/zip", docx, ndocx, list, &eff, &e), 0, "media: zip declared, DOCX content");
	is_str(eff, MEDIA_DOCX, "media: the specific type wins over zip");
	ok(media_in_list("text/xml", "application/pdf  TEXT/XML") && !media_in_list("text/x", "text/xml"),
	   "media: list matching is by whole words, case-insensitive");
}

/* ---------------------------------------------------------------- meta */

static void
test_meta(void)
{
	static const char *const keys[] = { "title", "sign", "due_date", "acte", NULL };
	json_error_t je;
	json_t *o = json_loads("{\"title\":\"D\\u00e9lib\\u00e9ration\",\"sign\":true,"
			       "\"due_date\":\"2024-02-29\",\"acte\":{\"x\":1}}", 0, &je);
	json_t *bad = json_loads("{\"title\":\"a\",\"colour\":\"red\"}", 0, &je), *sub;
	const char *s;
	int b = -1;
	struct meta_date d, d2;
	struct lerr e;
	char buf[16];

	is_int(meta_check_object(o, keys, "", &e), 0, "meta: known keys accepted");
	is_int(meta_check_object(bad, keys, "", &e), LERR_INVALID, "meta: unknown key refused");
	is_str(e.field, "colour", "meta: unknown key named");
	is_int(meta_check_object(json_object_get(o, "acte"), keys, "acte", &e), LERR_INVALID,
	       "meta: unknown nested key refused");
	is_str(e.field, "acte.x", "meta: nested field path");
	is_int(meta_check_object(json_object_get(o, "title"), keys, "acte", &e), LERR_INVALID,
	       "meta: a string is not an object");

	is_int(meta_get_string(o, "title", "", META_REQUIRED, 1, 12, &s, &e), 0,
	       "meta: string of 12 characters (14 bytes) read with max 12");
	is_str(s, "D\xC3\xA9lib\xC3\xA9ration", "meta: string value");
	is_int(meta_get_string(o, "title", "", META_REQUIRED, 1, 11, &s, &e), LERR_INVALID,
	       "meta: 12 characters > 11 refused");
	ok(has(e.msg, "too long") && has(e.detail, "12 characters"), "meta: %s: %s", e.msg, e.detail);
	is_int(meta_get_string(o, "missing", "", META_REQUIRED, 1, 10, &s, &e), LERR_INVALID,
	       "meta: required string missing");
	ok(has(e.msg, "is required") && !strcmp(e.field, "missing"), "meta: %s", e.msg);
	is_int(meta_get_string(o, "missing", "", 0, 1, 10, &s, &e), 0, "meta: optional string absent");
	ok(s == NULL, "meta: absent gives NULL");
	is_int(meta_get_string(o, "sign", "", 0, 1, 10, &s, &e), LERR_INVALID, "meta: bool is not a string");
	ok(has(e.detail, "a boolean"), "meta: %s", e.detail);
	json_object_set_new(bad, "nl", json_string("a\nb"));
	is_int(meta_get_string(bad, "nl", "x", 0, 1, 10, &s, &e), LERR_INVALID, "meta: newline refused");
	is_str(e.field, "x.nl", "meta: field path of the newline");
	is_int(meta_get_string(bad, "nl", "x", META_MULTILINE, 1, 10, &s, &e), 0, "meta: newline multiline");
	json_object_set_new(bad, "nul", json_stringn("a\0b", 3));
	is_int(meta_get_string(bad, "nul", "", 0, 1, 10, &s, &e), LERR_INVALID, "meta: NUL refused");

	is_int(meta_get_bool(o, "sign", "", 1, &b, &e), 0, "meta: bool read");
	is_int(b, 1, "meta: bool value");
	b = 7;
	is_int(meta_get_bool(o, "transmit", "", 0, &b, &e), 0, "meta: optional bool absent");
	is_int(b, 7, "meta: default kept");
	is_int(meta_get_bool(o, "title", "", 0, &b, &e), LERR_INVALID, "meta: string is not a bool");

	is_int(meta_get_date(o, "due_date", "", 1, &d, &e), 0, "meta: 2024-02-29 is a date");
	is_int(d.day, 29, "meta: day");
	json_object_set_new(bad, "d", json_string("2023-02-29"));
	is_int(meta_get_date(bad, "d", "", 1, &d, &e), LERR_INVALID, "meta: 2023-02-29 refused");
	ok(has(e.detail, "2023-02-29"), "meta: %s", e.detail);
	ok(meta_date_parse("2024-13-01", &d) && meta_date_parse("2024-1-01", &d) &&
	   meta_date_parse("2024-01-01x", &d) && meta_date_parse("2024-04-31", &d) &&
	   meta_date_parse("1900-02-29", &d) && !meta_date_parse("2000-02-29", &d),
	   "meta: date edge cases");
	meta_date_parse("2024-03-01", &d);
	meta_date_parse("2024-02-29", &d2);
	ok(meta_date_cmp(&d, &d2) > 0 && meta_date_cmp(&d2, &d) < 0 && meta_date_cmp(&d, &d) == 0,
	   "meta: date comparison");
	meta_date_format(&d2, buf);
	is_str(buf, "2024-02-29", "meta: date format");
	is_int(meta_get_object(o, "acte", "", 1, &sub, &e), 0, "meta: object read");
	ok(sub == json_object_get(o, "acte"), "meta: borrowed object");
	meta_clip(buf, 8, "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9");
	is_str(buf, "\xC3\xA9\xC3\xA9...", "meta: clip at a character boundary");
	json_decref(o);
	json_decref(bad);
}

/* ---------------------------------------------------------------- acte */

static json_t *
acte_json(const char *extra)
{
	char buf[2048];
	json_error_t je;

	snprintf(buf, sizeof(buf), "{\"nature\":1,\"numero_interne\":\"D2024_017\","
		 "\"objet\":\"Vote du budget primitif \\u00e9t\\u00e9 2024\",\"date_decision\":\"2024-03-28\","
		 "\"classification\":\"7.1\"%s%s}", extra[0] ? "," : "", extra);
	return json_loads(buf, 0, &je);
}

/* acte_check on the base object with one field replaced or added. */
static int
acte_with(const char *key, json_t *value, const struct actes_classification *cls,
	  struct acte_meta *m, struct lerr *e)
{
	json_t *a = acte_json("");
	int rc;

	if (value)
		json_object_set_new(a, key, value);
	else
		json_object_del(a, key);
	rc = acte_check(a, cls, m, e);
	json_decref(a);
	return rc;
}

static void
test_acte_fields(void)
{
	static struct acte_meta m;
	struct lerr e;
	json_t *a = acte_json("\"document_papier\":true,\"annexes_types\":[\"22_DE\",\"99_AU\"]"), *j;

	is_int(acte_check(a, NULL, &m, &e), 0, "acte: valid acte accepted (%s)", e.msg);
	is_int(m.nature, 1, "acte: nature");
	is_str(m.numero_interne, "D2024_017", "acte: numero_interne");
	is_str(m.type_piece, "99_DE", "acte: type_piece defaults to 99_DE for a délibération");
	ok(m.type_piece_defaulted && m.document_papier && m.n_annexes_types == 2 &&
	   !strcmp(m.annexes_types[1], "99_AU"), "acte: defaulted, papier, annexes types");
	is_int(acte_check_annexes(&m, 2, &e), 0, "acte: 2 annexes for 2 types");
	is_int(acte_check_annexes(&m, 1, &e), LERR_INVALID, "acte: 1 annexe for 2 types refused");
	is_str(e.field, "metadata.acte.annexes_types", "acte: annexes field");
	j = acte_meta_json(&m);
	is_str(json_string_value(json_object_get(j, "type_piece")), "99_DE", "acte: json type_piece");
	is_int(json_integer_value(json_object_get(j, "nature")), 1, "acte: json nature is an integer");
	is_str(json_string_value(json_object_get(j, "date_decision")), "2024-03-28", "acte: json date");
	json_decref(j);
	json_decref(a);
}

static void
test_acte_refusals(void)
{
	static struct acte_meta m;
	struct meta_date today;
	struct lerr e;
	char date[11], objet[600];

	is_int(acte_with("nature", json_string("BF"), NULL, &m, &e), 0, "acte: nature code BF");
	is_int(m.nature, 5, "acte: BF is 5");
	is_str(m.type_piece, "99_BU", "acte: BF defaults to 99_BU");
	is_int(acte_with("nature", json_string("CC"), NULL, &m, &e), 0, "acte: nature CC");
	is_str(m.type_piece, "99_DC", "acte: CC defaults to 99_DC");
	is_int(acte_with("nature", json_integer(7), NULL, &m, &e), LERR_INVALID, "acte: nature 7 refused");
	is_str(e.field, "metadata.acte.nature", "acte: nature field");
	is_int(acte_with("nature", json_string("de"), NULL, &m, &e), LERR_INVALID, "acte: nature de refused");
	is_int(acte_with("nature", NULL, NULL, &m, &e), LERR_INVALID, "acte: nature missing");
	ok(has(e.msg, "required"), "acte: %s", e.msg);

	is_int(acte_with("numero_interne", json_string("d-2024/17"), NULL, &m, &e), LERR_INVALID,
	       "acte: numero with '-' '/' and lower case refused");
	ok(!strcmp(e.field, "metadata.acte.numero_interne") && has(e.detail, "d-2024/17"), "acte: %s", e.detail);
	is_int(acte_with("numero_interne", json_string("A"), NULL, &m, &e), LERR_INVALID, "acte: numero of 1");
	is_int(acte_with("numero_interne", json_string("ABCDEFGHIJKLMNOP"), NULL, &m, &e), LERR_INVALID,
	       "acte: numero of 16");
	is_int(acte_with("numero_interne", json_string("AB_0123456789CD"), NULL, &m, &e), 0, "acte: numero of 15");

	memset(objet, 'a', 499);
	objet[499] = '\0';
	is_int(acte_with("objet", json_string(objet), NULL, &m, &e), 0, "acte: objet of 499");
	objet[499] = 'a';
	objet[500] = '\0';
	is_int(acte_with("objet", json_string(objet), NULL, &m, &e), LERR_INVALID, "acte: objet of 500");
	is_str(e.field, "metadata.acte.objet", "acte: objet field");
	is_int(acte_with("objet", json_string(""), NULL, &m, &e), LERR_INVALID, "acte: empty objet");
	is_int(acte_with("objet", json_string("L\xE2\x80\x99" "achat"), NULL, &m, &e), LERR_INVALID,
	       "acte: U+2019 in objet refused (no ISO-8859-1 form)");
	ok(has(e.detail, "U+2019") && has(e.detail, "character 2"), "acte: %s", e.detail);
	is_int(acte_with("objet", json_string("\xC3\xA9t\xC3\xA9 \xC2\xAB ok \xC2\xBB"), NULL, &m, &e), 0,
	       "acte: Latin-1 accents accepted");

	is_int(acte_with("date_decision", json_string("2024-02-30"), NULL, &m, &e), LERR_INVALID,
	       "acte: 30 February refused");
	is_str(e.field, "metadata.acte.date_decision", "acte: date field");
	meta_date_today(&today, 0);
	meta_date_format(&today, date);
	is_int(acte_with("date_decision", json_string(date), NULL, &m, &e), 0, "acte: today accepted");
	meta_date_today(&today, 3);
	meta_date_format(&today, date);
	is_int(acte_with("date_decision", json_string(date), NULL, &m, &e), LERR_INVALID,
	       "acte: in 3 days refused");
	ok(has(e.msg, "future"), "acte: %s", e.msg);

	is_int(acte_with("classification", json_string("7.1.2.3.4"), NULL, &m, &e), 0, "acte: 5 levels");
	is_int(m.levels, 5, "acte: levels");
	is_int(acte_with("classification", json_string("07.01"), NULL, &m, &e), 0, "acte: 07.01");
	is_str(m.classification, "7.1", "acte: canonical classification");
	is_int(acte_with("classification", json_string("7.1.2.3.4.5"), NULL, &m, &e), LERR_INVALID,
	       "acte: 6 levels refused");
	is_int(acte_with("classification", json_string("7..1"), NULL, &m, &e), LERR_INVALID, "acte: 7..1");
	is_int(acte_with("classification", json_string("123"), NULL, &m, &e), LERR_INVALID, "acte: 123");
	is_str(e.field, "metadata.acte.classification", "acte: classification field");

	is_int(acte_with("type_piece", json_string("41_NC"), NULL, &m, &e), 0, "acte: type_piece 41_NC");
	ok(!m.type_piece_defaulted && !strcmp(m.type_piece, "41_NC"), "acte: given type kept");
	is_int(acte_with("type_piece", json_string("99-DE"), NULL, &m, &e), LERR_INVALID, "acte: 99-DE");
	is_str(e.field, "metadata.acte.type_piece", "acte: type field");
	is_int(acte_with("annexes_types", json_pack("[s,s]", "99_AU", "bad"), NULL, &m, &e), LERR_INVALID,
	       "acte: bad annexe type");
	is_str(e.field, "metadata.acte.annexes_types[1]", "acte: annexe type index named");
	is_int(acte_with("document_papier", json_string("N"), NULL, &m, &e), LERR_INVALID,
	       "acte: document_papier must be a boolean");
	is_int(acte_with("numero", json_string("X"), NULL, &m, &e), LERR_INVALID, "acte: unknown key");
	is_str(e.field, "metadata.acte.numero", "acte: unknown key named");
}

static void
test_acte_files(void)
{
	const char *t = NULL;
	struct lerr e;

	is_int(acte_file_check("main", "%PDF-1.7\n", 9, &t, &e), 0, "acte file: PDF main");
	is_str(t, MEDIA_PDF, "acte file: media type");
	is_int(acte_file_check("main", "\x89PNG\r\n\x1a\n", 8, &t, &e), LERR_INVALID, "acte file: PNG main refused");
	ok(!strcmp(e.field, "file") && has(e.msg, "PDF") && has(e.detail, "image/png"), "acte file: %s / %s",
	   e.msg, e.detail);
	is_int(acte_file_check("main", "  %PDF-1.7", 10, &t, &e), LERR_INVALID,
	       "acte file: main must start with %%PDF-");
	is_int(acte_file_check("annexe", "\x89PNG\r\n\x1a\n", 8, &t, &e), 0, "acte file: PNG annexe");
	is_int(acte_file_check("annexe", "\xFF\xD8\xFF\xE0", 4, &t, &e), 0, "acte file: JPEG annexe");
	is_str(t, MEDIA_JPEG, "acte file: JPEG type");
	is_int(acte_file_check("annexe", "<?xml version=\"1.0\"?>", 21, &t, &e), LERR_INVALID,
	       "acte file: XML annexe refused");
	is_str(e.field, "annexe", "acte file: annexe field");
}

static void
test_acte_classification(void)
{
	char path[1024];
	char *xml;
	size_t n = 0;
	struct actes_classification *c = NULL;
	static struct acte_meta m;
	struct lerr e;
	const char *dtd = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x/>";

	is_int(actes_classification_parse(dtd, strlen(dtd), &c, &e), LERR_INVALID, "class: DTD refused");
	ok(c == NULL && has(e.msg, "DTD"), "class: %s", e.msg);
	is_int(actes_classification_parse("<a/>", 4, &c, &e), LERR_INVALID, "class: wrong root");
	is_int(actes_classification_parse("<a", 2, &c, &e), LERR_INVALID, "class: malformed");
	if (!tap_fixture(path, sizeof(path), "s2low/class/fixtures/classification.xml") ||
	    !(xml = slurp(path, &n))) {
		ok(1, "# SKIP classification fixture absent");
		return;
	}
	is_int(actes_classification_parse(xml, n, &c, &e), 0, "class: fixture parsed (%s %s)", e.msg, e.detail);
	free(xml);
	if (!c)
		return;
	is_str(actes_classification_date(c), "2004-04-01", "class: DateClassification");
	ok(actes_classification_count(c) > 60, "class: %zu matières", actes_classification_count(c));
	ok(actes_classification_has(c, "1") && actes_classification_has(c, "1.7") &&
	   actes_classification_has(c, "7.1") && !actes_classification_has(c, "1.9") &&
	   !actes_classification_has(c, "99"), "class: lookups");
	is_int(acte_with("classification", json_string("7.1"), c, &m, &e), 0, "class: acte 7.1 accepted");
	is_int(acte_with("classification", json_string("1.9"), c, &m, &e), LERR_INVALID,
	       "class: acte 1.9 refused by the classification");
	ok(has(e.msg, "not in the authority's classification") && has(e.detail, "2004-04-01"),
	   "class: %s / %s", e.msg, e.detail);
	actes_classification_free(c);
}

/* ---- the table of document kinds, the doors, the connectors ---- */

/* has() of xmit_connector_pick: the names in a comma-separated list. */
static int
configured(void *arg, const char *name)
{
	char want[40];

	snprintf(want, sizeof(want), ",%s,", name);
	return strstr(arg, want) != NULL;
}

static void
test_kinds(void)
{
	const struct doc_kind *k, *pes = doc_kind_get("pes"), *acte = doc_kind_get("acte"),
		*doc = doc_kind_get("document");
	const struct xmit_connector_info *ci;
	struct door d;
	struct lerr e;

	ok(pes && acte && doc, "pes, acte and document are kinds");
	ok(!doc_kind_get("PES") && !doc_kind_get("") && !doc_kind_get(NULL) && !doc_kind_get("actes"),
	   "unknown kinds are not found (case, empty, NULL, a connector's name)");
	is_str(doc_kind_names(", "), "pes, acte, document", "kind names in table order");
	is_str(doc_kind_label("pes"), "Flux comptable (PES)", "French label");
	is_str(doc_kind_label("bogus"), "bogus", "an unknown kind labels as itself");
	is_str(doc_kind_label(NULL), "", "no kind, no label");
	for (size_t i = 0; (k = doc_kind_at(i)); i++) {
		ok(k->profiles[0] && doc_kind_profile_allowed(k, doc_kind_profile(k)),
		   "%s: a default profile, and it is allowed", k->name);
		for (size_t j = 0; k->profiles[j]; j++)
			ok(signdoc_profile_known(k->profiles[j]), "%s: profile %s has a signer", k->name,
			   k->profiles[j]);
		for (size_t j = 0; k->connectors[j]; j++)
			ok(xmit_connector_info(k->connectors[j]) != NULL, "%s: connector %s exists", k->name,
			   k->connectors[j]);
		ok(k->sign || k->transmit, "%s: something to do by default", k->name);
		ok(!k->transmit || doc_kind_transmittable(k), "%s: transmitted by default only if it can be",
		   k->name);
	}
	ok(!doc_kind_at(3), "three kinds");
	is_str(doc_kind_profile(pes), "pes-xades-epes", "pes signs XAdES-EPES enveloped");
	is_str(doc_kind_profile(acte), "cades", "acte signs CAdES detached");
	is_str(doc_kind_profile(doc), "xades-baseline", "document signs XAdES baseline");
	ok(!doc_kind_profile_allowed(acte, "pes-xades-epes") && !doc_kind_profile_allowed(pes, "cades") &&
	   !doc_kind_profile_allowed(doc, "cades"), "other kinds' profiles are not allowed");
	ok(!doc_kind_profile_allowed(pes, NULL) && !doc_kind_profile_allowed(NULL, "cades") &&
	   !doc_kind_profile(NULL), "NULL kind or profile");
	ok(signdoc_profile_known("pades") && !signdoc_profile_known(NULL), "a PAdES signer (issue 15)");
	ok(doc_kind_profile_allowed(acte, "pades") && doc_kind_profile_allowed(doc, "pades") &&
	   !doc_kind_profile_allowed(pes, "pades"), "PAdES for actes and documents, not for PES");
	ok(doc_kind_transmittable(pes) && doc_kind_transmittable(acte) && !doc_kind_transmittable(doc),
	   "pes and acte are transmitted, document is not");
	ok(pes->sign && pes->transmit && !acte->sign && acte->transmit && doc->sign && !doc->transmit,
	   "defaults: pes signed and sent, acte sent, document signed");
	ok(!pes->annexes && acte->annexes && doc->annexes, "annexes: acte and document only");
	ok(!doc_kind_alias("s2low", "actes") && !doc_kind_alias(NULL, NULL), "no foreign names yet");

	/* the doors */
	ok(door_complete_table(), "every kind has its door checks");
	lerr_clear(&e);
	is_int(door_init(&d, "facture", &e), LERR_INVALID, "door: unknown kind refused");
	is_str(e.field, "metadata.kind", "door: on metadata.kind");
	ok(strstr(e.hint, "pes, acte, document") != NULL, "door: the hint lists the kinds");
	door_fini(&d);
	ok(door_init(&d, "pes", &e) == 0 && d.kind == pes, "door: pes");
	is_int(door_file_limit(&d, 0), 128LL << 20, "door: a PES is at most 128 MiB");
	is_int(door_file_begin(&d, 0, &e), LERR_INVALID, "door: a PES takes no annexe");
	is_str(e.field, "annexe", "door: on annexe");
	door_fini(&d);
	ok(door_init(&d, "acte", &e) == 0, "door: acte");
	is_int(door_file_limit(&d, 100LL << 20), 50LL << 20, "door: @ctes counts all files (150 MiB)");
	{
		json_t *m = json_pack("{s:s, s:b, s:b}", "kind", "acte", "sign", 0, "transmit", 0);
		int sign = -1, transmit = -1;

		is_int(door_meta(&d, m, &sign, &transmit, &e), LERR_INVALID, "door: nothing to do refused");
		json_object_set_new(m, "transmit", json_true());
		is_int(door_meta(&d, m, &sign, &transmit, &e), LERR_INVALID, "door: an acte needs its object");
		is_str(e.field, "metadata.acte", "door: on metadata.acte");
		json_object_set_new(m, "document", json_object());
		is_int(door_meta(&d, m, &sign, &transmit, &e), LERR_INVALID, "door: another kind's object");
		is_str(e.field, "metadata.document", "door: on metadata.document");
		json_decref(m);
	}
	door_fini(&d);
	ok(door_init(&d, "document", &e) == 0, "door: document");
	{
		json_t *m = json_pack("{s:s, s:b}", "kind", "document", "transmit", 1);
		int sign = -1, transmit = -1;

		is_int(door_meta(&d, m, &sign, &transmit, &e), LERR_INVALID, "door: a document is not transmitted");
		is_str(e.field, "metadata.transmit", "door: on metadata.transmit");
		json_object_del(m, "transmit");
		is_int(door_meta(&d, m, &sign, &transmit, &e), 0, "door: document defaults");
		ok(sign == 1 && transmit == 0, "door: a document is signed, not transmitted");
		json_decref(m);
	}
	door_fini(&d);

	/* the connectors */
	is_str(xmit_connector_names(", "), "actes, helios, s2low", "connector names");
	ok(!xmit_connector_info("ftp") && !xmit_connector_info(NULL) && !xmit_connector_info("pes"),
	   "unknown connectors are not found");
	for (size_t i = 0; (ci = xmit_connector_at(i)); i++) {
		int carries = 0;

		ok(ci->label && ci->label[0] && ci->settings[0].key, "%s: a label and settings", ci->name);
		ok(xmit_connector_setting(ci, "url") != NULL, "%s: takes url", ci->name);
		for (size_t j = 0; (k = doc_kind_at(j)); j++)
			carries += xmit_connector_carries(ci, k->name);
		ok(carries > 0, "%s: carries at least one kind", ci->name);
	}
	ci = xmit_connector_info("helios");
	ok(xmit_connector_carries(ci, "pes") && !xmit_connector_carries(ci, "acte") &&
	   !xmit_connector_carries(ci, "document"), "helios carries PES only");
	ci = xmit_connector_info("s2low");
	ok(xmit_connector_carries(ci, "pes") && xmit_connector_carries(ci, "acte"), "s2low carries both");
	ok(xmit_setting_masked(ci, "password_file") && xmit_setting_masked(ci, "key") &&
	   !xmit_setting_masked(ci, "url") && !xmit_setting_masked(ci, "pin"), "secret files are masked");
	ok(xmit_setting_masked(ci, "password"), "an unknown key is masked");
	is_str(xmit_connector_pick("pes", configured, ",helios,actes,"), "helios", "pes -> helios");
	is_str(xmit_connector_pick("acte", configured, ",helios,actes,"), "actes", "acte -> actes");
	is_str(xmit_connector_pick("pes", configured, ",helios,s2low,"), "s2low", "s2low first for pes");
	is_str(xmit_connector_pick("acte", configured, ",s2low,actes,"), "s2low", "s2low first for acte");
	ok(!xmit_connector_pick("acte", configured, ",helios,"), "acte without actes or s2low: none");
	ok(!xmit_connector_pick("document", configured, ",helios,actes,s2low,"), "a document: none");
	ok(!xmit_connector_pick("bogus", configured, ",helios,"), "unknown kind: none");
	{
		json_t *s = json_pack("{s:s, s:s}", "url", "ftp://h/", "password_file", "/p");

		is_int(xmit_settings_check("helios", s, &e), 0, "helios settings accepted");
		is_int(xmit_settings_check("ftp", s, &e), LERR_INVALID, "unknown connector refused");
		ok(strstr(e.hint, "actes, helios, s2low") != NULL, "the hint lists the connectors");
		json_object_set_new(s, "colour", json_string("blue"));
		is_int(xmit_settings_check("helios", s, &e), LERR_INVALID, "unknown key refused");
		is_str(e.field, "settings", "on settings");
		json_decref(s);
	}
}

/* A PES belongs to its collectivité: the header against the organisation's
 * Hélios identifiers, field by field (the fixtures: tests/integration/pes-owner). */
static void
test_pes_owner(void)
{
	struct pes_info pi;
	struct lerr e;
	struct door_owner o = { .siren = "214500999", .idcoll = "12345678912345", .codcol = "123",
				.idpost = "034000", .codbuds = "01,12" };
	struct door_owner none = { .siren = "214500998", .idcoll = "", .codcol = "", .idpost = "",
				   .codbuds = "" };

	memset(&pi, 0, sizeof(pi));
	strcpy(pi.idcoll, "12345678912345");
	strcpy(pi.codcol, "123");
	strcpy(pi.idpost, "034000");
	strcpy(pi.codbud, "12");
	lerr_clear(&e);
	is_int(door_pes_owner(&pi, &o, &e), 0, "owner: every identifier matches, CodBud among the budgets");
	strcpy(pi.codbud, "1");
	is_int(door_pes_owner(&pi, &o, &e), LERR_INVALID, "owner: CodBud 1 is not 01 nor 12");
	is_str(e.field, "pes.codbud", "owner: names pes.codbud");
	is_str(e.detail, "the file says 1, organisation 214500999 has 01, 12", "owner: both values, the list readable");
	strcpy(pi.codbud, "12");
	strcpy(pi.idpost, "0340000");
	is_int(door_pes_owner(&pi, &o, &e), LERR_INVALID, "owner: IdPost of 7 digits differs");
	is_str(e.field, "pes.idpost", "owner: names pes.idpost");
	strcpy(pi.codcol, "400");
	is_int(door_pes_owner(&pi, &o, &e), LERR_INVALID, "owner: CodCol differs");
	is_str(e.field, "pes.codcol", "owner: CodCol before IdPost");
	strcpy(pi.idcoll, "21450099900012");
	is_int(door_pes_owner(&pi, &o, &e), LERR_INVALID, "owner: IdColl differs");
	is_str(e.field, "pes.idcoll", "owner: IdColl first");
	is_str(e.detail, "the file says 21450099900012, organisation 214500999 has 12345678912345",
	       "owner: the issue's detail");
	ok(e.hint[0] != '\0', "owner: a hint");
	is_int(door_pes_owner(&pi, &none, &e), LERR_INVALID, "owner: no identifiers configured");
	is_str(e.field, "metadata.organisation", "owner: names the organisation");
	ok(strstr(e.hint, "liasse org set 214500998") != NULL, "owner: the hint says how to configure");
}

/* ---- XSD deviations in French (flow/xsd_fr.c) through real libxml2 ---- */

#define XSD_FR_SCHEMA "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">" \
	"<xs:element name=\"B\"><xs:complexType><xs:sequence>" \
	"<xs:element name=\"CodCol\"><xs:complexType><xs:attribute name=\"V\" use=\"required\">" \
	"<xs:simpleType><xs:restriction base=\"xs:string\"><xs:length value=\"3\"/></xs:restriction>" \
	"</xs:simpleType></xs:attribute></xs:complexType></xs:element>" \
	"<xs:element name=\"TypBord\"><xs:complexType><xs:attribute name=\"V\">" \
	"<xs:simpleType><xs:restriction base=\"xs:string\"><xs:enumeration value=\"01\"/>" \
	"<xs:enumeration value=\"02\"/></xs:restriction></xs:simpleType></xs:attribute>" \
	"</xs:complexType></xs:element>" \
	"<xs:element name=\"Dte\"><xs:complexType><xs:attribute name=\"V\" type=\"xs:date\"/>" \
	"</xs:complexType></xs:element>" \
	"<xs:element name=\"IdPost\"><xs:complexType><xs:attribute name=\"V\" use=\"required\"/>" \
	"</xs:complexType></xs:element>" \
	"</xs:sequence></xs:complexType></xs:element></xs:schema>"

static char xsd_fr_out[8][1200];
static int xsd_fr_n;

static void
xsd_fr_collect(void *arg, xmlErrorPtr err)
{
	(void)arg;
	if (xsd_fr_n < 8)
		xsd_error_fr(err, xsd_fr_out[xsd_fr_n++], sizeof(xsd_fr_out[0]));
}

static void
xsd_fr_validate(xmlSchemaPtr s, const char *xml)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
	xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(s);

	xsd_fr_n = 0;
	xmlSchemaSetValidStructuredErrors(v, xsd_fr_collect, NULL);
	(void)xmlSchemaValidateDoc(v, doc);
	xmlSchemaFreeValidCtxt(v);
	xmlFreeDoc(doc);
}

static void
test_xsd_fr(void)
{
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewMemParserCtxt(XSD_FR_SCHEMA, (int)strlen(XSD_FR_SCHEMA));
	xmlSchemaPtr s = xmlSchemaParse(pc);

	xmlSchemaFreeParserCtxt(pc);
	ok(s != NULL, "xsd_fr: the test schema compiles");
	if (!s)
		return;
	xsd_fr_validate(s, "<B>\n<CodCol V=\"1234\"/>\n<TypBord V=\"99\"/>\n<Dte V=\"2026-13-45\"/>\n<IdPost/>\n</B>");
	is_int(xsd_fr_n, 4, "xsd_fr: four deviations");
	ok(strstr(xsd_fr_out[0], "XSD, ligne 2, élément « CodCol », attribut V : la valeur « 1234 » a 4 "
		  "caractères, il en faut exactement 3. [libxml2, line 2: Element 'CodCol', attribute 'V': "
		  "[facet 'length']") == xsd_fr_out[0], "xsd_fr: length, element, line, expected: %s", xsd_fr_out[0]);
	ok(strstr(xsd_fr_out[1], "ligne 3, élément « TypBord », attribut V : la valeur « 99 » n’est pas dans "
		  "la liste permise : '01', '02'") != NULL, "xsd_fr: enumeration lists the values: %s", xsd_fr_out[1]);
	ok(strstr(xsd_fr_out[2], "ligne 4, élément « Dte », attribut V : la valeur « 2026-13-45 » n’est pas "
		  "du type attendu (xs:date)") != NULL, "xsd_fr: a type: %s", xsd_fr_out[2]);
	ok(strstr(xsd_fr_out[3], "ligne 5, élément « IdPost », attribut V : l’attribut obligatoire « V » "
		  "est absent") != NULL, "xsd_fr: a required attribute: %s", xsd_fr_out[3]);
	xsd_fr_validate(s, "<B>\n<CodCol V=\"123\"/>\n<Intrus/>\n</B>");
	ok(xsd_fr_n >= 1 && strstr(xsd_fr_out[0], "ligne 3, élément « Intrus » : cet élément n’est pas "
		  "attendu à cet endroit ; le schéma attend TypBord") != NULL,
	   "xsd_fr: an unexpected element, what was expected: %s", xsd_fr_out[0]);
	xsd_fr_validate(s, "<B>\n<CodCol V=\"123\"/>\n</B>");
	ok(xsd_fr_n >= 1 && strstr(xsd_fr_out[0], "ligne 1, élément « B » : il manque un élément à "
		  "l’intérieur ; le schéma attend TypBord") != NULL,
	   "xsd_fr: a missing element: %s", xsd_fr_out[0]);
	xmlSchemaFree(s);
}

int
main(void)
{
	test_pes_memory();      /* first: nothing else has inflated the peak yet */
	test_pes_big_text();
	test_pes_synthetic();
	test_pes_rules();
	test_pes_hostile();
	test_pes_never_fetch();
	test_pes_bounds();
	test_pes_fixtures();
	test_media();
	test_meta();
	test_acte_fields();
	test_acte_refusals();
	test_acte_files();
	test_acte_classification();
	test_kinds();
	test_pes_owner();
	test_xsd_fr();
	return tap_done();
}
