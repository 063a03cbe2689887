/*
 * test_web.c - the web front end without a database: escaping of
 * everything a vendor sends, amounts and dates in French, forms (urlencoded
 * and multipart), cookies, the page table (404, 405, login redirect, CSRF
 * refusal without a session), static assets, and the PES summary of the
 * real fixtures.
 */
#include "web/web_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/tap.h"

static struct page *
new_page(struct arena *a)
{
	struct page *p = arena_zalloc(a, sizeof(*p));

	p->a = a;
	buf_init(&p->out, WEB_PAGE_MAX);
	return p;
}

static const char *
out(struct page *p)
{
	return p->out.data ? p->out.data : "";
}

static void
test_escape(void)
{
	struct arena *a = arena_create();
	struct page *p = new_page(a);
	const char *evil = "<script>alert('x')</script>\"&<img src=x onerror=alert(1)>";

	h_fmt(p, "<td title=\"%s\">%s</td>", evil, evil);
	ok(!strstr(out(p), "<script>") && !strstr(out(p), "<img"), "markup in data never comes out as markup");
	ok(strstr(out(p), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;&lt;img") != NULL,
	   "escaped as text: %s", out(p));
	buf_reset(&p->out);
	h_fmt(p, "%S|%U|%d|%lld|%zu|%%|%s", "<b>", "a b/é?&=", -3, 1234567890123LL, (size_t)7, (const char *)NULL);
	is_str(out(p), "<b>|a%20b%2F%C3%A9%3F%26%3D|-3|1234567890123|7|%|", "%%S raw, %%U encoded, numbers");
	is_str(h_escape(a, "a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;", "h_escape");
	buf_fini(&p->out);
	arena_destroy(a);
}

static void
test_french(void)
{
	struct arena *a = arena_create();
	struct page *p = new_page(a);

	h_euros(p, "6312190.16");
	is_str(out(p), "6\u202f312\u202f190,16\u00a0€", "amount with grouping and comma");
	buf_reset(&p->out);
	h_euros(p, "-5.5");
	is_str(out(p), "−5,50\u00a0€", "negative, one decimal");
	buf_reset(&p->out);
	h_euros(p, "12<b>");
	is_str(out(p), "12&lt;b&gt;", "not a number: shown escaped");
	buf_reset(&p->out);
	h_when(p, "2026-11-28T20:18:20Z");
	is_str(out(p), "28/11/2026 20:18", "timestamp");
	buf_reset(&p->out);
	h_when(p, "2026-01-05");
	is_str(out(p), "05/01/2026", "date");
	is_str(state_label("pending_signature"), "À signer", "state label");
	buf_fini(&p->out);
	arena_destroy(a);
}

/* ---- a fake HTTP layer ---- */
struct fake {
	const char *cookie, *ctype;
	const char *query[4][2];
};

static const char *
fake_header(void *io, const char *name)
{
	struct fake *f = io;

	if (!strcmp(name, "Cookie"))
		return f->cookie;
	if (!strcmp(name, "Content-Type"))
		return f->ctype;
	return NULL;
}

static const char *
fake_query(void *io, const char *name)
{
	struct fake *f = io;

	for (int i = 0; i < 4 && f->query[i][0]; i++)
		if (!strcmp(f->query[i][0], name))
			return f->query[i][1];
	return NULL;
}

static void
request(struct arena *a, struct fake *f, const char *method, const char *path, const char *body,
	struct web_reply *r)
{
	struct web_req w = { .arena = a, .method = method, .path = path, .reqid = "t",
		.header = fake_header, .query = fake_query, .io = f, .body = body,
		.body_len = body ? strlen(body) : 0, .session_lifetime_s = 60 };

	web_handle(&w, r);
}

static const char *
header(const struct web_reply *r, const char *name)
{
	for (int i = 0; i < r->nheaders; i++)
		if (!strcmp(r->headers[i][0], name))
			return r->headers[i][1];
	return NULL;
}

static void
reply_free(struct web_reply *r)
{
	if (!r->body_static)
		free(r->body);
}

static void
test_dispatch(void)
{
	struct arena *a = arena_create();
	struct fake f = { 0 };
	struct web_reply r;

	ok(web_owns("/parapheur") && web_owns("/") && !web_owns("/api/v1/queue") && !web_owns("/healthz"),
	   "the API, /healthz and /readyz stay with http/");
	request(a, &f, "GET", "/nulle-part", NULL, &r);
	is_int(r.status, 404, "unknown page: 404");
	ok(r.body && strstr(r.body, "lang=\"fr\"") && strstr(r.body, "<title>"), "error pages are French pages");
	ok(header(&r, "Content-Security-Policy") && strstr(header(&r, "Content-Security-Policy"), "frame-ancestors 'self'"),
	   "pages carry a CSP with frame rules");
	reply_free(&r);
	request(a, &f, "DELETE", "/parapheur", NULL, &r);
	is_int(r.status, 405, "wrong method: 405");
	reply_free(&r);
	request(a, &f, "GET", "/parapheur", NULL, &r);
	is_int(r.status, 303, "queue without a session: to the login form");
	is_str(header(&r, "Location"), "/connexion?suite=/parapheur", "and back after");
	reply_free(&r);
	request(a, &f, "POST", "/parapheur/signer", "doc=x&pin=1234", &r);
	is_int(r.status, 401, "a form without a session is refused");
	reply_free(&r);
	request(a, &f, "GET", "/static/liasse.css", NULL, &r);
	ok(r.status == 200 && r.body_static && strstr(r.ctype, "text/css") && r.len > 1000 &&
	   strstr(r.body, ":focus-visible"), "the style sheet is embedded, with a visible focus");
	request(a, &f, "GET", "/static/../../etc/passwd", NULL, &r);
	is_int(r.status, 404, "no path out of the assets");
	reply_free(&r);
	arena_destroy(a);
}

static void
test_login_form(void)
{
	struct arena *a = arena_create();
	struct fake f = { .ctype = "application/x-www-form-urlencoded" };
	struct web_reply r;
	const char *cookie;

	f.query[0][0] = "suite";
	f.query[0][1] = "/documents/x\"><script>";
	request(a, &f, "GET", "/connexion", NULL, &r);
	is_int(r.status, 200, "login form");
	cookie = header(&r, "Set-Cookie");
	ok(cookie && strstr(cookie, "HttpOnly") && strstr(cookie, "Secure") && strstr(cookie, "SameSite=Strict"),
	   "pre-login token cookie: HttpOnly, Secure, SameSite: %s", cookie ? cookie : "none");
	ok(strstr(r.body, "name=\"csrf\"") && strstr(r.body, "<label for=\"email\">") &&
	   strstr(r.body, "autocomplete=\"current-password\""), "labelled fields and a token");
	ok(!strstr(r.body, "<script>") && strstr(r.body, "name=\"suite\" value=\"/\""),
	   "a return path that is not a plain local path is dropped");
	reply_free(&r);
	f.query[0][0] = NULL;
	request(a, &f, "POST", "/connexion", "email=a%40b.fr&password=x&csrf=forged", &r);
	is_int(r.status, 403, "login without the matching pre-login cookie: refused (login CSRF)");
	ok(strstr(r.body, "value=\"a@b.fr\"") != NULL, "the address is kept in the form");
	reply_free(&r);
	arena_destroy(a);
}

static void
test_forms(void)
{
	struct arena *a = arena_create();
	struct page *p = new_page(a);
	struct fake f = { .cookie = "x=1; liasse_session=lss_abc; y=2",
			  .ctype = "multipart/form-data; boundary=XyZ" };
	struct web_req w = { .arena = a, .header = fake_header, .io = &f };
	static const char mp[] = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"p12\"; filename=\"a.p12\"\r\n"
		"Content-Type: application/x-pkcs12\r\n\r\n\x30\x82\x00\x01\r\n--XyZ--\r\n";
	struct lerr e;

	p->w = &w;
	w.body = mp;
	w.body_len = sizeof(mp) - 1;   /* the file holds a NUL byte */
	is_str(web_cookie(p, "liasse_session"), "lss_abc", "cookie read among others");
	ok(web_cookie(p, "liasse") == NULL, "no prefix match");
	ok(form_parse(p, &e) == 0, "multipart parsed");
	is_str(form_get(p, "csrf"), "tok", "text field");
	ok(form_field(p, "p12") && form_field(p, "p12")->len == 4 && !strcmp(form_field(p, "p12")->filename, "a.p12"),
	   "file part with its bytes and name");
	f.ctype = "application/x-www-form-urlencoded";
	w.body = "doc=1&doc=2&motif=Pas+sign%C3%A9+%3A+%3Cb%3E&vide=";
	w.body_len = strlen(w.body);
	ok(form_parse(p, &e) == 0 && p->form.n == 4, "urlencoded: repeated names kept");
	is_str(form_get(p, "motif"), "Pas signé : <b>", "decoded");
	w.body = "--nope\r\n";
	w.body_len = strlen(w.body);
	f.ctype = "multipart/form-data; boundary=XyZ";
	ok(form_parse(p, &e) == LERR_MALFORMED, "a body without its boundary is refused");
	/* seen while writing tests/fuzz/fuzz_form's seeds: a quoted boundary, name= after filename= */
	f.ctype = "multipart/form-data; boundary=\"a b\"";
	w.body = "--a b\r\nContent-Disposition: form-data; filename=\"c.pem\"; name=\"cert\"\r\n\r\nPEM\r\n--a b--\r\n";
	w.body_len = strlen(w.body);
	ok(form_parse(p, &e) == 0 && p->form.n == 1, "a quoted boundary");
	ok(form_field(p, "cert") && !strcmp(form_field(p, "cert")->filename, "c.pem") &&
	   !strcmp(form_get(p, "cert"), "PEM"), "name= after filename=");
	f.ctype = "multipart/form-data; boundary=\"\"";
	w.body = "--\r\n\r\n--\r\n";
	w.body_len = strlen(w.body);
	ok(form_parse(p, &e) == LERR_MALFORMED, "an empty boundary is refused");
	buf_fini(&p->out);
	arena_destroy(a);
}

static int
file_read(void *ctx, char *buf, int max)
{
	return (int)fread(buf, 1, (size_t)max, ctx);
}

static void
summary_of(const char *rel, const char *const *want, int nwant)
{
	struct arena *a = arena_create();
	struct page *p = new_page(a);
	char path[1024];
	FILE *f;

	if (!tap_fixture(path, sizeof(path), rel) || !(f = fopen(path, "rb"))) {
		ok(1, "# SKIP fixture %s absent", rel);
		arena_destroy(a);
		return;
	}
	pes_summary_io(p, file_read, f);
	fclose(f);
	for (int i = 0; i < nwant; i++)
		ok(strstr(out(p), want[i]) != NULL, "%s: summary shows %s", rel, want[i]);
	ok(!strstr(out(p), "partiel"), "%s read in full", rel);
	buf_fini(&p->out);
	arena_destroy(a);
}

static void
test_pes_summary(void)
{
	static const char *const ok1[] = { "COMMUNE", "12345678912345", "Bordereau de dépense n° 12345",
		"exercice 2009", "75\u202f724,75\u00a0€", "39\u202f724,75\u00a0€", "TEST HOMOLOGATION",
		"PAIERIE DEPART. HERAULT", "16/07/2009", "non signé", "<dd>1 (déclarées : 1)</dd>" };
	static const char *const two[] = { "<dt>Bordereaux</dt><dd>2</dd>", ">signé<" };
	static const char *const utf8[] = { "PESALR1", "Bordereau de" };

	summary_of("s2low/helios/fixtures/pes_aller_ok.xml", ok1, 11);
	summary_of("s2low/class/fixtures/pes_signe_bordereau.xml", two, 2);
	summary_of("parapheur-v5/files/xml/PESALR1_unsigned.xml", utf8, 2);
}

/* Error pages answer the status the API would (lerr_http_status) and say in
 * French what is wrong. */
static void
test_error_pages(void)
{
	static const struct { enum lerr_kind kind; unsigned status; const char *says; } cases[] = {
		{ LERR_INVALID, 422, "Une valeur saisie ne convient pas : bad SIREN — 9 digits." },
		{ LERR_CONFLICT, 409, "Cette action ne convient pas à l’état actuel des choses : bad SIREN" },
		{ LERR_NOTFOUND, 404, "Introuvable" }, { LERR_FORBIDDEN, 403, "Accès refusé" },
		{ LERR_UNAVAILABLE, 503, "réessayez" }, { LERR_INTERNAL, 500, "bad SIREN" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct arena *a = arena_create();
		struct page *p = new_page(a);
		struct web_reply r = { 0 };
		struct lerr e;

		p->r = &r;
		lerr_set(&e, cases[i].kind, "siren", "bad SIREN");
		if (cases[i].kind == LERR_INVALID)
			lerr_hint(&e, "9 digits");
		page_lerr(p, &e);
		ok(r.status == lerr_http_status(cases[i].kind) && r.status == cases[i].status &&
		   r.body && strstr(r.body, cases[i].says), "%s: %u, \"%s\"", lerr_kind_name(cases[i].kind),
		   cases[i].status, cases[i].says);
		free(r.body);
		arena_destroy(a);
	}
}

int
main(void)
{
	test_escape();
	test_french();
	test_dispatch();
	test_login_form();
	test_forms();
	test_pes_summary();
	test_error_pages();
	return tap_done();
}
