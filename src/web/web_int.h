/* web_int.h - private to web/: the page being built, the HTML writer, forms. */
#ifndef LIASSE_WEB_INT_H
#define LIASSE_WEB_INT_H

#include <jansson.h>

#include "core/arena.h"
#include "core/kind.h"
#include "core/buf.h"
#include "store/store.h"
#include "web/web.h"

#define WEB_PAGE_MAX (32u * 1024 * 1024)   /* largest page built */
#define WEB_MAX_PARAMS 2
#define WEB_MAX_FIELDS 256
#define WEB_COOKIE "liasse_session"
#define WEB_PRE_COOKIE "liasse_prelogin"   /* CSRF token of the login form */

/* One form field: urlencoded or multipart (then maybe a file). */
struct form_field {
	const char *name;
	const char *value;           /* NUL-terminated (files may hold NULs: use len) */
	size_t len;
	const char *filename;        /* multipart file parts only */
};

struct form {
	struct form_field f[WEB_MAX_FIELDS];
	int n;
};

/* Who is logged in. */
struct web_me {
	long long id;
	char email[255];
	char name[201];
	char csrf[64];
	int is_operator;
	int is_signer, is_agent, is_org_admin;
	long long pending;           /* documents awaiting my signature (badge) */
};

/* The request being answered. */
struct page {
	const struct web_req *w;
	struct web_reply *r;
	struct arena *a;
	struct buf out;              /* the HTML */
	int overflow;                /* out hit WEB_PAGE_MAX */
	struct web_me me;
	int logged;
	char *token;                 /* the session cookie's value */
	char *params[WEB_MAX_PARAMS];
	struct form form;
	const char *flash;           /* a message shown on top (escaped) */
	const char *flash_kind;      /* "ok" or "error" */
};

/* ---- html.c: everything escaped unless asked otherwise ---- */
/* Appends fmt: %s escaped text (NULL: nothing), %S trusted markup (literals
 * only), %U a URL component (percent-encoded), %d %u %ld %lld %zu numbers,
 * %% a percent sign. */
void h_fmt(struct page *p, const char *fmt, ...);
void h_raw(struct page *p, const char *s);
void h_text(struct page *p, const char *s);
/* The string member k of a JSON object, "" when absent or not a string. */
const char *js(json_t *o, const char *k);
/* HTML-escapes s into the arena. */
char *h_escape(struct arena *a, const char *s);
/* Amount in euros with French grouping ("1 234,56 €") from a decimal string. */
void h_euros(struct page *p, const char *amount);
/* "2026-11-28T20:18:20Z" as "28/11/2026 20:18" (UTC); dates "28/11/2026". */
void h_when(struct page *p, const char *ts);
/* A date field in French ("jj/mm/aaaa" whatever the browser's language, which
 * a native date input would follow), its value the ISO date iso shown in
 * French; required: 1 for a required field. */
void h_date_input(struct page *p, const char *id, const char *name, const char *iso, int required);
/* What a person typed in such a field, "jj/mm/aaaa" (or ISO "aaaa-mm-jj"),
 * as an ISO date in the arena; NULL when it is not a real date. */
const char *web_date_iso(struct page *p, const char *typed);
/* An ISO date ("2026-01-15", or the date of a time-stamp) as "15/01/2026";
 * anything else as it is, NULL as "". */
const char *web_date_fr(struct page *p, const char *iso);

/* ---- layout.c ---- */
void page_begin(struct page *p, const char *title, const char *nav_current);
void page_end(struct page *p);
void page_flash(struct page *p, const char *kind, const char *msg);
/* A finished page (200) from p->out. */
void page_send(struct page *p, unsigned status);
void page_redirect(struct page *p, const char *location);   /* 303 See Other */
/* An error page with a title and a sentence. */
void page_error(struct page *p, unsigned status, const char *title, const char *text);
/* The error page for a failed store call, with the status the API would give
 * (lerr_http_status) and what is wrong in French. */
void page_lerr(struct page *p, const struct lerr *e);
/* Who the journal credits for what this page does: "person:<email>" of the
 * logged-in person, as http_actor() writes it for the API. */
const char *page_actor(struct page *p);
void page_header(struct page *p, const char *name, const char *value);
/* The hidden CSRF field of every form. */
void page_csrf_field(struct page *p);
const char *state_label(const char *state);   /* "pending_signature" -> "À signer" */
const char *kind_label(const char *kind);
const char *role_label(const char *role);

/* Runs a store read returning JSON text and parses it; NULL after an error
 * page was sent (page_lerr). */
json_t *web_json(struct page *p, int (*fn)(struct store_conn *, void *, char **, struct lerr *),
		 void *arg);
/* The same for a read without argument (a whole list: store_web_people...). */
json_t *web_json_all(struct page *p, int (*fn)(struct store_conn *, char **, struct lerr *));
/* The same for a read of the logged-in person's (store_web_signed...). */
json_t *web_json_mine(struct page *p, int (*fn)(struct store_conn *, long long, char **, struct lerr *));

/* ---- form.c ---- */
int form_parse(struct page *p, struct lerr *e) LERR_WUR;
const char *form_get(const struct page *p, const char *name);
const struct form_field *form_field(const struct page *p, const char *name);
/* The cookie named name from the Cookie header, or NULL. */
const char *web_cookie(struct page *p, const char *name);
const char *web_query(struct page *p, const char *name);
const char *web_header(struct page *p, const char *name);
char *url_decode(struct arena *a, const char *s, size_t n);

/* ---- auth.c ---- */
/* Reads the session cookie; fills p->me and p->logged. */
int auth_load(struct page *p, struct lerr *e) LERR_WUR;
/* 1 when the form's CSRF token is the session's (constant time). */
int auth_csrf_ok(struct page *p);
void web_login_get(struct page *p);
void web_login_post(struct page *p);
void web_logout(struct page *p);

/* ---- pages ---- */
void web_home(struct page *p);
void web_queue(struct page *p);
void web_queue_sign(struct page *p);
void web_signed(struct page *p);
void web_doc(struct page *p);
void web_doc_file(struct page *p);
void web_doc_reject(struct page *p);
void web_doc_annul(struct page *p);
void web_doc_publication(struct page *p);
void web_doc_visa(struct page *p);
void web_doc_remord(struct page *p);
void web_delegations(struct page *p);
void web_mycert(struct page *p);
void web_mycert_post(struct page *p);
void web_delegation_post(struct page *p);
void web_follow(struct page *p);
void web_returns(struct page *p);
void web_return_file(struct page *p);
/* A stored file sent to the browser (PDF inline, anything else a sandboxed
 * download), read chunk by chunk. */
void web_serve_file(struct page *p, const struct doc_file *f);
void web_letter(struct page *p);
void web_letter_post(struct page *p);
void web_admin_orgs(struct page *p);
void web_org_logo(struct page *p);
void web_org_logo_post(struct page *p);
void web_org_logo_image(struct page *p);
void web_admin_org_post(struct page *p);
void web_admin_org(struct page *p);
void web_admin_org_settings_post(struct page *p);
void web_admin_people(struct page *p);
void web_admin_people_post(struct page *p);
void web_admin_clients(struct page *p);
void web_admin_client_post(struct page *p);
void web_admin_certs(struct page *p);
void web_admin_cert_post(struct page *p);
void web_admin_journal(struct page *p);
void web_admin_jobs(struct page *p);
void web_admin_job_post(struct page *p);
void web_admin_connectors(struct page *p);
/* The administration sub-navigation; cur is the current page's path. */
void web_admin_nav(struct page *p, const char *cur);
void web_admin_connector_post(struct page *p);
/* orgadmin.c: one organisation's people, routing and circuits, for its
 * administrators and the operators */
void web_orgadmin_home(struct page *p);
void web_org_subnav(struct page *p, const char *siren, const char *cur);
void web_org_people(struct page *p);
void web_org_people_post(struct page *p);
void web_org_routing(struct page *p);
void web_org_routing_post(struct page *p);
void web_org_circuits(struct page *p);
void web_org_circuit_post(struct page *p);
void web_asset(struct page *p);
/* notices.c: "Mon compte" (notification preference), failed notifications */
void web_account(struct page *p);
void web_account_post(struct page *p);
void web_admin_notices(struct page *p);
void web_admin_notice_resend(struct page *p);

/* ---- pes_summary.c ---- */
/* A readable summary of a PES_Aller read from a stored file (blob). */
void pes_summary(struct page *p, struct store_conn *c, const struct doc_file *f);
/* The same from any reader (tests): readfn as libxml2's xmlInputReadCallback. */
void pes_summary_io(struct page *p, int (*readfn)(void *ctx, char *out, int max), void *ctx);

#endif
