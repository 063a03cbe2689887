/*
 * signdoc.c - an official signs documents of their queue (see signdoc.h).
 *
 * Order of a batch: the current certificate is read and judged (state,
 * dates) without touching the PIN counter; one attempt is reserved and
 * committed; the key is unwrapped (scrypt, once); the outcome is committed;
 * then the documents go through claim -> sign -> finish in groups, all in
 * one transaction for the batch, each document recorded in its own
 * subtransaction (see "the batch" below).  The private key lives in one
 * struct sign_key for the length of the batch and is freed (OpenSSL clears
 * RSA/EC key material on free).
 */
#include "flow/signdoc.h"

#include <ctype.h>
#include <pthread.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/kind.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/spool.h"
#include "core/util.h"
#include "pdf/pdf.h"
#include "sign/certkey.h"
#include "sign/sign.h"
#include "store/store.h"

/* ---- the certificate ---- */

static int
cert_usable(const struct cert_row *cr, struct lerr *e)
{
	time_t now = time(NULL);

	if (!strcmp(cr->state, "revoked")) {
		lerr_set(e, LERR_FORBIDDEN, NULL, "your signing certificate is revoked");
		lerr_detail(e, "certificate \"%s\" was revoked by an administrator", cr->subject);
		lerr_hint(e, "ask an administrator to import a new certificate");
		return LERR_FORBIDDEN;
	}
	if (!strcmp(cr->state, "enrolment")) {
		lerr_set(e, LERR_FORBIDDEN, NULL, "your signing certificate awaits enrolment");
		lerr_detail(e, "the key is still wrapped under the one-time enrolment code");
		lerr_hint(e, "choose your PIN with the enrolment code the administrator gave you");
		return LERR_FORBIDDEN;
	}
	if (now < cr->not_before || now >= cr->not_after) {
		lerr_set(e, LERR_FORBIDDEN, NULL, "your signing certificate is %s",
			 now < cr->not_before ? "not valid yet" : "expired");
		lerr_detail(e, "certificate \"%s\" is valid from %lld to %lld (Unix time)", cr->subject,
			    cr->not_before, cr->not_after);
		lerr_hint(e, "ask an administrator to import a valid certificate");
		return LERR_FORBIDDEN;
	}
	return 0;
}

static void
wrong_secret(struct lerr *e, const char *field, const char *what, int left)
{
	lerr_set(e, LERR_FORBIDDEN, field, "wrong %s", what);
	if (left > 0) {
		lerr_detail(e, "%d attempt%s left before signing is locked", left, left > 1 ? "s" : "");
		lerr_hint(e, "check your %s; after %d wrong attempts only an administrator can unlock",
			  what, SIGNDOC_MAX_PIN_FAILURES);
	} else {
		lerr_detail(e, "0 attempts left: signing is now locked");
		lerr_hint(e, "ask an administrator to unlock your certificate");
	}
}

/* One attempt at the secret: reserve, try (try_fn), record the outcome. */
struct attempt {
	struct store_conn *c;
	const struct cert_row *cr;
	const char *actor;
	int left, locked;
};

static int
attempt_begin(struct attempt *a, struct lerr *e)
{
	int rc = store_cert_pin_reserve(a->c, a->cr->id, &a->left, e);

	if (rc == LERR_FORBIDDEN && !strcmp(e->field, "pin")) {
		a->locked = 1;
		metrics_inc(METRIC_PIN_ATTEMPTS, "locked");
	}
	return rc;
}

/* rc: the unwrap's result. */
static int
attempt_end(struct attempt *a, int rc, const char *field, const char *what, struct lerr *e)
{
	struct lerr e2;
	const char *outcome = rc == 0 ? "ok" : rc == LERR_AUTH ? "wrong" : "void";
	int left = a->left;

	lerr_clear(&e2);
	if (store_cert_pin_outcome(a->c, a->cr->id, outcome, a->actor, &left, &e2))
		log_error("certificate %lld: cannot record the PIN attempt: %s", a->cr->id, e2.msg);
	if (rc == 0 || rc == LERR_AUTH)
		metrics_inc(METRIC_PIN_ATTEMPTS, rc ? "wrong" : "ok");
	if (rc != LERR_AUTH)
		return rc;
	if (left <= 0)
		metrics_add(METRIC_PIN_LOCKOUTS, 1);
	a->left = left;
	wrong_secret(e, field, what, left);
	return LERR_FORBIDDEN;
}

static int
open_key(struct store_conn *c, struct signdoc_batch *b, struct sign_key *k, struct lerr *e)
{
	struct cert_row cr;
	struct attempt a = { c, &cr, b->actor, 0, 0 };
	int rc = store_cert_current(c, b->person_id, &cr, e);

	if (rc)
		return rc;
	if ((rc = cert_usable(&cr, e)) || (rc = attempt_begin(&a, e)))
		goto out;
	rc = certkey_open(cr.der, cr.derlen, cr.chain, cr.chainlen, cr.blob, cr.bloblen, b->pin, 0, k, e);
	rc = attempt_end(&a, rc, "pin", "PIN", e);
out:
	b->attempts_left = rc ? a.left : SIGNDOC_MAX_PIN_FAILURES;
	b->locked = a.locked;
	store_cert_row_fini(&cr);
	return rc;
}

/* ---- one document ---- */

static int
claim_refusal(const struct sign_claim *cl, const char *id, struct lerr *e)
{
	if (cl->status == 404) {
		lerr_set(e, LERR_NOTFOUND, "documents", "no such document");
		lerr_detail(e, "document %s does not exist or is not visible to you", id);
		return LERR_NOTFOUND;
	}
	if (cl->status == 403) {
		lerr_set(e, LERR_FORBIDDEN, "documents", "not yours to sign");
		lerr_detail(e, "document %s awaits another official's signature", id);
		lerr_hint(e, "a delegation from that official would let you sign it");
		return LERR_FORBIDDEN;
	}
	if (cl->by_name[0]) {
		lerr_set(e, LERR_CONFLICT, "documents", "already signed");
		lerr_detail(e, "document %s was signed by %s at %s; it is now %s", id, cl->by_name,
			    cl->signed_at, cl->state);
		return LERR_CONFLICT;
	}
	lerr_set(e, LERR_CONFLICT, "documents", "the document is not awaiting a signature");
	lerr_detail(e, "document %s is %s", id, cl->state);
	return LERR_CONFLICT;
}

/* "ordonnateur" -> "Ordonnateur"; "" -> NULL (the configured role). */
static const char *
claimed_role(const char *fn, char *out, size_t n)
{
	if (!fn[0])
		return NULL;
	snprintf(out, n, "%s", fn);
	for (char *p = out; *p; p++)
		if (*p == '_')
			*p = ' ';
	out[0] = (char)toupper((unsigned char)out[0]);
	return out;
}

static int
meta_enveloped(const char *meta)
{
	json_t *m = json_loads(meta, 0, NULL);
	const char *s = json_string_value(json_object_get(m, "signature"));
	int env = s && !strcmp(s, "enveloped");

	json_decref(m);
	return env;
}

struct signed_file {
	const char *role, *media_type;
	char name[600];
};

/* A document's bytes and its signer's output: in memory (in, out), or for
 * PAdES in two temporary files (in_fd, out_fd: neither PDF in memory). */
struct sign_io {
	struct buf in, out;
	int in_fd, out_fd;
	size_t out_len;
	const struct buf *logo;         /* the organisation's, for a PAdES block (the batch's) */
};

static int
sign_pes_doc(const struct sign_key *k, const struct sign_claim *cl, struct sign_io *io,
	     struct signed_file *f, struct lerr *e)
{
	struct sign_pes_opts o = { 0 };
	char role[48];

	o.city = cl->city[0] ? cl->city : NULL;
	o.postal_code = cl->postal_code[0] ? cl->postal_code : NULL;
	o.country = o.city ? "France" : NULL;
	o.role = claimed_role(cl->role_function, role, sizeof(role));
	f->role = "signed";
	f->media_type = cl->media_type;
	snprintf(f->name, sizeof(f->name), "%s", cl->file_name);
	return sign_pes(k, &o, io->in.data, io->in.len, &io->out, e);
}

static int
sign_generic_doc(const struct sign_key *k, const struct sign_claim *cl, struct sign_io *io,
		 struct signed_file *f, struct lerr *e)
{
	struct sign_xades_opts o = { 0 };
	struct sign_tsa tsa = { 0 };
	const char *url = config_str("tsa_url");

	o.enveloped = meta_enveloped(cl->meta) && strstr(cl->media_type, "xml") != NULL;
	o.data_name = cl->file_name;
	o.mime_type = cl->media_type;
	if (url && url[0]) {
		tsa.url = url;
		o.tsa = &tsa;
	}
	f->role = o.enveloped ? "signed" : "signature";
	f->media_type = o.enveloped ? cl->media_type : "application/xml";
	snprintf(f->name, sizeof(f->name), o.enveloped ? "%s" : "%s.xades.xml", cl->file_name);
	return sign_xades(k, &o, io->in.data, io->in.len, &io->out, e);
}

static int
sign_cades_doc(const struct sign_key *k, const struct sign_claim *cl, struct sign_io *io,
	       struct signed_file *f, struct lerr *e)
{
	f->role = "signature";
	f->media_type = "application/pkcs7-signature";
	snprintf(f->name, sizeof(f->name), "%s.p7s", cl->file_name);
	return sign_cades(k, io->in.data, io->in.len, 0, &io->out, e);
}

/* French legal time (Europe/Paris): UTC+1, UTC+2 from the last Sunday of
 * March to the last Sunday of October at 01:00 UTC (EU rule since 1996).
 * Computed here: glibc converts to another zone only through TZ, which is
 * process-wide and not for a threaded daemon. */
static time_t
last_sunday_1h(int year, int mon)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = mon, .tm_mday = 31, .tm_hour = 1 };
	time_t t = timegm(&tm);
	struct tm g;

	gmtime_r(&t, &g);
	return t - (time_t)g.tm_wday * 86400;
}

static void
paris_time(time_t t, struct tm *out)
{
	struct tm g;

	gmtime_r(&t, &g);
	t += 3600;
	if (t - 3600 >= last_sunday_1h(g.tm_year + 1900, 2) &&
	    t - 3600 < last_sunday_1h(g.tm_year + 1900, 9))
		t += 3600;
	gmtime_r(&t, out);
}

/* "Signé par Prénom Nom, Maire de Ville, le jj/mm/aaaa à hh:mm" (the name
 * is the certificate's, the office the person's function in the
 * organisation); under delegation ", pour Prénom Nom". */
static void
pades_text(const struct sign_key *k, const struct sign_claim *cl, time_t now, char *out,
	   size_t n)
{
	char cn[200] = "", fn[48], office[160] = "", dlg[220] = "";
	const char *f = claimed_role(cl->role_function, fn, sizeof(fn));
	struct tm tm;

	sign_key_cn(k, cn, sizeof(cn));
	if (f)
		snprintf(office, sizeof(office), ", %s%s%s", f, cl->city[0] ? " de " : "", cl->city);
	if (cl->for_name[0])
		snprintf(dlg, sizeof(dlg), ", pour %s", cl->for_name);
	paris_time(now, &tm);
	snprintf(out, n, "Signé par %s%s%s, le %02u/%02u/%04u à %02u:%02u", cn, office, dlg,
		 (unsigned)tm.tm_mday % 100u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u);
}

/* metadata.signature_position, else the bottom left of the last page. */
static void
pades_position(const char *meta, struct sign_pades_opts *o)
{
	json_t *m = json_loads(meta, 0, NULL), *pos = json_object_get(m, "signature_position");

	o->page = (int)json_integer_value(json_object_get(pos, "page"));
	o->x = pos ? (float)json_number_value(json_object_get(pos, "x")) : 36;
	o->y = pos ? (float)json_number_value(json_object_get(pos, "y")) : 36;
	o->w = 260;
	o->h = 54;
	json_decref(m);
}

static int
sign_pades_doc(const struct sign_key *k, const struct sign_claim *cl, struct sign_io *io,
	       struct signed_file *f, struct lerr *e)
{
	struct sign_pades_opts o = { 0 };
	struct sign_tsa tsa = { 0 };
	const char *url = config_str("tsa_url");
	char text[1024];

	o.now = time(NULL);
	pades_text(k, cl, o.now, text, sizeof(text));
	o.text = text;
	pades_position(cl->meta, &o);
	if (io->logo && io->logo->len) {
		o.logo = io->logo->data;
		o.logo_len = io->logo->len;
	}
	if (url && url[0]) {
		tsa.url = url;
		o.tsa = &tsa;
	}
	f->role = "signed";
	f->media_type = "application/pdf";
	snprintf(f->name, sizeof(f->name), "%s", cl->file_name);
	if ((io->out_fd = spool_tmpfile(e)) < 0)
		return e->kind;
	return sign_pades_fd(k, &o, io->in_fd, io->out_fd, &io->out_len, e);
}

/* The signature profiles a kind may name (core/kind.c): the signer of each
 * and the files it makes.  A new profile: one line here, its signer in its
 * own file under sign/. */
static const struct {
	const char *name;
	int (*sign)(const struct sign_key *k, const struct sign_claim *cl, struct sign_io *io,
		    struct signed_file *f, struct lerr *e);
	int files;                      /* the signer reads and writes files (sign_io) */
} profiles[] = {
	{ "pes-xades-epes", sign_pes_doc, 0 },    /* enveloped XAdES-EPES of the PES_Aller (Hélios) */
	{ "cades", sign_cades_doc, 0 },           /* detached CAdES, <file>.p7s (@ctes) */
	{ "xades-baseline", sign_generic_doc, 0 }, /* XAdES-B-B/B-T, enveloped or <file>.xades.xml */
	{ "pades", sign_pades_doc, 1 },           /* PAdES B-B/B-T, the signed PDF (role signed) */
};

int
signdoc_profile_known(const char *name)
{
	for (size_t i = 0; name && i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (!strcmp(profiles[i].name, name))
			return 1;
	return 0;
}

/* metadata.signature_profile when the kind allows it (the door checked),
 * else the kind's default. */
static const char *
profile_of(const struct sign_claim *cl)
{
	const struct doc_kind *kind = doc_kind_get(cl->kind);
	json_t *m = json_loads(cl->meta, 0, NULL);
	const char *p = json_string_value(json_object_get(m, "signature_profile"));
	const char *name = doc_kind_profile(kind);

	for (size_t i = 0; p && i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (!strcmp(profiles[i].name, p) && doc_kind_profile_allowed(kind, p))
			name = profiles[i].name;
	json_decref(m);
	return name;
}

/* Whether the document's signer works on files (PAdES). */
static int
profile_files(const struct sign_claim *cl)
{
	const char *name = profile_of(cl);

	for (size_t i = 0; name && i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (!strcmp(profiles[i].name, name))
			return profiles[i].files;
	return 0;
}

/* The document's profile: its signer and its name for the journal. */
static int
sign_by_kind(const struct sign_key *k, const struct sign_claim *cl, struct sign_io *io,
	     struct signed_file *f, const char **profile, struct lerr *e)
{
	const char *name = profile_of(cl);

	for (size_t i = 0; name && i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		if (strcmp(profiles[i].name, name))
			continue;
		*profile = profiles[i].name;
		return profiles[i].sign(k, cl, io, f, e);
	}
	return lerr_set(e, LERR_INTERNAL, NULL, "no signature profile for kind \"%s\"", cl->kind);
}

static char *
journal_detail(json_t *cert, const char *profile, const char *role)
{
	json_t *j = json_pack("{s:s, s:s, s:O*}", "profile", profile, "file_role", role, "certificate", cert);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

/* The signing certificate as the journal names it. */
static json_t *
cert_json(const struct sign_key *k)
{
	struct certkey_info ci;
	struct lerr e;

	lerr_clear(&e);
	if (certkey_key_info(k, &ci, &e))
		return NULL;
	return json_pack("{s:s, s:s}", "subject", ci.subject, "serial", ci.serial);
}

/* ---- the batch ----
 *
 * One transaction for the batch: documents are claimed in groups of
 * SIGNDOC_GROUP in one statement (locked in id order, so that concurrent
 * batches cannot deadlock), signed, and recorded in one statement, each
 * document in its own subtransaction; one commit at the end.  Claims and
 * records run in a database thread while this one signs (pipeline()).
 * Signed files of more than one chunk are recorded one by one.
 *
 * Groups grow from SIGNDOC_EDGE (8, 16, then 32): the signatures start
 * after a short first claim while the next, larger group is claimed; at the
 * end they shrink (at most half of what is left, down to SIGNDOC_EDGE), so
 * that what is left to record after the last signature is short.  Both ends
 * of the pipeline are on the batch's critical path; the middle overlaps.
 * (A model of the pipeline with the per-document costs of liassed's log,
 * claim 0.2 ms, record 0.45 ms, signature 0.7 ms, puts 100 documents at
 * 91 ms in fixed groups of 32 and 82 ms in these.)
 */
#define SIGNDOC_GROUP 32
#define SIGNDOC_EDGE 8

struct item {
	size_t idx;                     /* place in b->docs and b->results */
	struct sign_claim cl;
	struct sign_io io;
	long long blob_id;              /* the signed file streamed into a blob (record) */
	struct signed_file f;
	char *detail;
	int ok;                         /* signed, to be recorded */
};

/* An organisation's logo, read once in a batch (for its documents signed in
 * PAdES), freed when the batch ends.  Only the database thread adds one;
 * items point at it, and it never changes once added. */
struct logo {
	long long org_id;
	struct buf img;                 /* len 0: the organisation has none */
	struct logo *next;
};

struct run {
	struct store_conn *c;
	const struct sign_key *k;
	struct signdoc_batch *b;
	json_t *cert;
	struct item *items;
	size_t n;                       /* distinct valid ids, sorted */
	size_t *bounds, ngroups;        /* group k is items[bounds[k] .. bounds[k + 1]) */
	struct logo *logos;             /* those read in the batch */
	int64_t us_claim, us_sign, us_record;   /* time spent, for the log */
};

static int
cmp_item(const void *x, const void *y, void *arg)
{
	const struct signdoc_batch *b = arg;
	const struct item *a = x, *c = y;

	return strcasecmp(b->docs[a->idx], b->docs[c->idx]);
}

static struct signdoc_result *
res(struct run *rn, const struct item *it)
{
	return &rn->b->results[it->idx];
}

/* The batch's ids: invalid ones and repeats answered now, the rest sorted. */
static int
plan(struct run *rn, struct lerr *e)
{
	struct signdoc_batch *b = rn->b;
	size_t n = 0;

	if (!(rn->items = calloc(b->ndocs, sizeof(*rn->items))))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	for (size_t i = 0; i < b->ndocs; i++) {
		struct signdoc_result *r = &b->results[i];

		memset(r, 0, sizeof(*r));
		snprintf(r->id, sizeof(r->id), "%s", b->docs[i]);
		if (!uuid_valid(b->docs[i])) {
			lerr_set(&r->err, LERR_NOTFOUND, "documents", "no such document");
			lerr_detail(&r->err, "\"%s\" is not a document id", r->id);
			continue;
		}
		rn->items[n++].idx = i;
	}
	qsort_r(rn->items, n, sizeof(*rn->items), cmp_item, b);
	rn->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (rn->n && !strcasecmp(b->docs[rn->items[rn->n - 1].idx], b->docs[rn->items[i].idx])) {
			struct signdoc_result *r = &b->results[rn->items[i].idx];

			lerr_set(&r->err, LERR_CONFLICT, "documents", "already signed");
			lerr_detail(&r->err, "document %s is listed twice in the batch", r->id);
			continue;
		}
		rn->items[rn->n++] = rn->items[i];
	}
	for (size_t i = 0; i < rn->n; i++) {
		buf_init(&rn->items[i].io.in, SIGN_MAX_DOC);
		buf_init(&rn->items[i].io.out, SIGN_MAX_DOC + 1024 * 1024);
		rn->items[i].io.in_fd = rn->items[i].io.out_fd = -1;
	}
	return 0;
}

/* Closing a temporary file frees it (spool_tmpfile: it has no name). */
static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void
item_free(struct item *it)
{
	buf_fini(&it->io.in);
	buf_fini(&it->io.out);
	close_fd(&it->io.in_fd);
	close_fd(&it->io.out_fd);
	free(it->detail);
	it->detail = NULL;
}

/* A signed file of one chunk goes back to memory, to be recorded with the
 * group's others in one statement; a larger one stays in its file and is
 * streamed into a blob by record(). */
static int
small_back(struct sign_io *io, struct lerr *e)
{
	char piece[16384];
	ssize_t n = 1;

	if (io->out_len > STORE_CHUNK_SIZE)
		return 0;
	buf_reset(&io->out);
	while (io->out.len < io->out_len && n > 0) {
		size_t want = io->out_len - io->out.len;

		n = pread(io->out_fd, piece, want < sizeof(piece) ? want : sizeof(piece),
			  (off_t)io->out.len);
		if (n > 0 && buf_add(&io->out, piece, (size_t)n))
			n = -1;
	}
	if (io->out.len != io->out_len)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot read the signed file back");
	close_fd(&io->out_fd);
	return 0;
}

/* Claimed (its main file in memory or in a file already): sign it. */
static int
sign_item(struct run *rn, struct item *it, struct lerr *e)
{
	const char *id = rn->b->docs[it->idx], *profile = NULL;
	int rc;

	snprintf(res(rn, it)->state, sizeof(res(rn, it)->state), "%s", it->cl.state);
	if (it->cl.status)
		return claim_refusal(&it->cl, id, e);
	rc = sign_by_kind(rn->k, &it->cl, &it->io, &it->f, &profile, e);
	close_fd(&it->io.in_fd);        /* the original's file: freed as soon as possible */
	if (!rc && it->io.out_fd >= 0)
		rc = small_back(&it->io, e);
	if (rc) {
		close_fd(&it->io.out_fd);
		return rc;
	}
	it->detail = journal_detail(rn->cert, profile, it->f.role);
	return 0;
}

static void
done_of(struct run *rn, const struct item *it, struct sign_done *d)
{
	*d = (struct sign_done){ .person_id = rn->b->person_id, .signed_for = it->cl.signed_for,
		.doc_id = rn->b->docs[it->idx], .role = it->f.role, .name = it->f.name,
		.media_type = it->f.media_type, .data = it->io.out.data, .len = it->io.out.len,
		.blob_id = it->blob_id,
		.actor = rn->b->actor, .detail_json = it->detail };
}

/* Records the signed files of the group's items marked ok (ok[i]). */
static int
record(struct run *rn, struct item *g, int n, int *ok, struct lerr *e)
{
	struct sign_done *d = calloc((size_t)n, sizeof(*d));
	struct lerr *errs = calloc((size_t)n, sizeof(*errs));
	char (*states)[24] = calloc((size_t)n, sizeof(*states));
	struct item **which = calloc((size_t)n, sizeof(*which));
	int m = 0, rc = 0;

	if (!d || !errs || !states || !which) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		if (g[i].io.out_fd >= 0 || g[i].io.out.len > STORE_CHUNK_SIZE) {  /* a blob, alone */
			struct sign_done big;

			if (g[i].io.out_fd >= 0 &&
			    (rc = store_blob_from_fd(rn->c, g[i].io.out_fd, (int64_t)g[i].io.out_len,
						     &g[i].blob_id, e)))
				goto out;
			close_fd(&g[i].io.out_fd);
			done_of(rn, &g[i], &big);
			if ((rc = store_sign_finish(rn->c, &big, res(rn, &g[i])->state, e)))
				goto out;
			res(rn, &g[i])->ok = 1;
			continue;
		}
		which[m] = &g[i];
		done_of(rn, &g[i], &d[m++]);
	}
	if (m && (rc = store_sign_finish_many(rn->c, rn->b->person_id, rn->b->actor, d, m, states,
					      errs, e)))
		goto out;
	for (int i = 0; i < m; i++) {
		struct signdoc_result *r = res(rn, which[i]);

		if (errs[i].kind) {
			r->err = errs[i];
			continue;
		}
		snprintf(r->state, sizeof(r->state), "%s", states[i]);
		r->ok = 1;
	}
out:
	free(d);
	free(errs);
	free(states);
	free(which);
	return rc;
}

/* Every document not answered yet gets e (the batch's transaction failed). */
static void
fail_rest(struct run *rn, const struct lerr *e)
{
	for (size_t i = 0; i < rn->n; i++) {
		struct signdoc_result *r = res(rn, &rn->items[i]);

		if (!r->err.kind) {
			r->ok = 0;
			r->err = *e;
		}
	}
}

/* The main file of a claimed document where its signer wants it: a
 * temporary file for PAdES (from the claim's bytes, or streamed from its
 * blob), memory for the others (a file of more than one chunk read now).
 * On the database thread: the connection is its own while it runs. */
static int
claim_input(struct run *rn, struct item *it, struct lerr *e)
{
	struct sign_io *io = &it->io;
	int64_t len = 0;

	if (it->cl.status)
		return 0;
	if (!profile_files(&it->cl))
		return it->cl.nchunks > 1 ? store_sign_read_main(rn->c, &it->cl, &io->in, e) : 0;
	if ((io->in_fd = spool_tmpfile(e)) < 0)
		return e->kind;
	if (it->cl.nchunks > 1)
		return store_blob_to_fd(rn->c, it->cl.blob_id, it->cl.nchunks, io->in_fd, &len, e);
	for (size_t off = 0; off < io->in.len;) {
		ssize_t w = pwrite(io->in_fd, io->in.data + off, io->in.len - off, (off_t)off);

		if (w <= 0)
			return lerr_set(e, LERR_UNAVAILABLE, NULL, "cannot write the temporary file");
		off += (size_t)w;
	}
	buf_reset(&io->in);
	return 0;
}

/* The logo of the organisation org_id (empty when it has none), read at its
 * first document in the batch. */
static int
org_logo(struct run *rn, long long org_id, const struct buf **out, struct lerr *e)
{
	struct logo *l;

	for (l = rn->logos; l && l->org_id != org_id; l = l->next)
		;
	if (!l) {
		if (!(l = calloc(1, sizeof(*l))))
			return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
		l->org_id = org_id;
		buf_init(&l->img, LPDF_LOGO_MAX);
		if (store_org_logo_of(rn->c, org_id, &l->img, e)) {
			buf_fini(&l->img);   /* not kept as "no logo" for the batch's next documents */
			free(l);
			return e->kind;
		}
		l->next = rn->logos;
		rn->logos = l;
	}
	*out = &l->img;
	return 0;
}

static void
logos_free(struct run *rn)
{
	for (struct logo *l = rn->logos, *next; l; l = next) {
		next = l->next;
		buf_fini(&l->img);
		free(l);
	}
	rn->logos = NULL;
}

/* Claims the n items of g in one statement (their inputs land in g[i].io). */
static int
claim_group(struct run *rn, struct item *g, int n, struct lerr *e)
{
	struct sign_claim *cl = calloc((size_t)n, sizeof(*cl));
	const char **ids = calloc((size_t)n, sizeof(*ids));
	struct buf *ins = calloc((size_t)n, sizeof(*ins));
	int64_t t = now_us();
	int rc = 0;

	if (!cl || !ids || !ins) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		ids[i] = rn->b->docs[g[i].idx];
		ins[i] = g[i].io.in;
	}
	rc = store_sign_claim_many(rn->c, rn->b->person_id, ids, n, cl, ins, e);
	for (int i = 0; i < n; i++) {
		g[i].io.in = ins[i];
		g[i].cl = cl[i];
	}
	for (int i = 0; !rc && i < n; i++)
		rc = claim_input(rn, &g[i], e);
	for (int i = 0; !rc && i < n; i++)       /* the block's logo, PAdES only */
		if (!g[i].cl.status && !strcmp(profile_of(&g[i].cl), "pades"))
			rc = org_logo(rn, g[i].cl.org_id, &g[i].io.logo, e);
out:
	rn->us_claim += now_us() - t;
	free(cl);
	free(ids);
	free(ins);
	return rc;
}

static void
sign_group(struct run *rn, struct item *g, int n)
{
	int64_t t = now_us();

	for (int i = 0; i < n; i++)
		g[i].ok = sign_item(rn, &g[i], &res(rn, &g[i])->err) == 0;
	rn->us_sign += now_us() - t;
}

/*
 * The batch as a pipeline of groups over one connection and one transaction:
 * a database thread claims group k+1 and records group k-1 while this
 * thread signs group k, so that PostgreSQL's work (on the other core) and
 * the signatures overlap.  Only the database thread uses the connection
 * until it is joined.
 */
struct pipe {
	struct run *rn;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t ngroups, claimed, signed_, stop;
	int rc;
	struct lerr err;
};

static struct item *
group_at(struct run *rn, size_t k, int *n)
{
	*n = (int)(rn->bounds[k + 1] - rn->bounds[k]);
	return rn->items + rn->bounds[k];
}

/* The groups' bounds: SIGNDOC_EDGE, twice that..., up to SIGNDOC_GROUP, and
 * at the end at most half of what is left, down to SIGNDOC_EDGE (100
 * documents: 8 16 32 22 11 8 3; see "the batch" above). */
static int
plan_groups(struct run *rn, struct lerr *e)
{
	size_t at = 0, g = 0, sz;

	if (!(rn->bounds = calloc(rn->n / SIGNDOC_EDGE + 3, sizeof(*rn->bounds))))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	while (at < rn->n) {
		size_t left = rn->n - at;

		sz = g < 3 ? (size_t)SIGNDOC_EDGE << g : SIGNDOC_GROUP;
		if (sz > SIGNDOC_GROUP)
			sz = SIGNDOC_GROUP;
		if (left <= SIGNDOC_EDGE)
			sz = left;
		else if (sz > (left + 1) / 2)
			sz = (left + 1) / 2 > SIGNDOC_EDGE ? (left + 1) / 2 : SIGNDOC_EDGE;
		rn->bounds[++g] = at += sz;
	}
	rn->ngroups = g;
	return 0;
}

/* The database thread waits until group k is signed (or the batch stops). */
static int
wait_signed(struct pipe *p, size_t k)
{
	int go;

	pthread_mutex_lock(&p->mu);
	while (p->signed_ <= k && !p->stop)
		pthread_cond_wait(&p->cv, &p->mu);
	go = p->signed_ > k;
	pthread_mutex_unlock(&p->mu);
	return go;
}

static void
db_step_done(struct pipe *p, int claimed, int rc, const struct lerr *e)
{
	pthread_mutex_lock(&p->mu);
	if (rc && !p->rc) {
		p->rc = rc;
		p->err = *e;
		p->stop = 1;
	}
	p->claimed += (size_t)claimed;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static int
record_group(struct pipe *p, size_t k, struct lerr *e)
{
	int n, ok[SIGNDOC_GROUP], rc;
	struct item *g = group_at(p->rn, k, &n);
	int64_t t = now_us();

	for (int i = 0; i < n; i++)
		ok[i] = g[i].ok;
	rc = record(p->rn, g, n, ok, e);
	for (int i = 0; i < n; i++)
		item_free(&g[i]);
	p->rn->us_record += now_us() - t;
	return rc;
}

static void *
db_thread(void *arg)
{
	struct pipe *p = arg;
	struct lerr e;
	int rc = 0, n;

	lerr_clear(&e);
	for (size_t k = 0; !rc && k <= p->ngroups; k++) {
		if (k < p->ngroups) {
			struct item *g = group_at(p->rn, k, &n);

			rc = claim_group(p->rn, g, n, &e);
			db_step_done(p, 1, rc, &e);
		}
		if (!rc && k > 0) {
			if (!wait_signed(p, k - 1))
				break;
			rc = record_group(p, k - 1, &e);
			db_step_done(p, 0, rc, &e);
		}
	}
	return NULL;
}

static int
pipeline(struct run *rn, struct lerr *e)
{
	struct pipe p = { .rn = rn };
	pthread_t t;
	int n;

	if (plan_groups(rn, e))
		return LERR_INTERNAL;
	p.ngroups = rn->ngroups;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if (pthread_create(&t, NULL, db_thread, &p))
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot start the signing pipeline");
	for (size_t k = 0; k < p.ngroups; k++) {
		pthread_mutex_lock(&p.mu);
		while (p.claimed <= k && !p.stop)
			pthread_cond_wait(&p.cv, &p.mu);
		pthread_mutex_unlock(&p.mu);
		if (p.stop)
			break;
		struct item *g = group_at(rn, k, &n);

		sign_group(rn, g, n);
		pthread_mutex_lock(&p.mu);
		p.signed_ = k + 1;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
	}
	pthread_mutex_lock(&p.mu);
	p.stop = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	pthread_join(t, NULL);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	if (p.rc)
		*e = p.err;
	return p.rc;
}

static int
sign_all(struct run *rn, struct lerr *e)
{
	int rc;

	if (rn->n == 0)
		return 0;
	if ((rc = store_begin(rn->c, e)))
		return rc;
	rc = pipeline(rn, e);
	if (!rc)
		rc = store_commit(rn->c, e);
	if (rc) {
		store_rollback(rn->c);
		log_error("signing batch of %s failed: %s", rn->b->actor, e->msg);
		fail_rest(rn, e);
	}
	return rc;
}

static int
check_batch(const struct signdoc_batch *b, struct lerr *e)
{
	if (b->ndocs == 0 || b->ndocs > SIGNDOC_MAX_BATCH) {
		lerr_set(e, LERR_INVALID, "documents", "give 1 to %d documents to sign", SIGNDOC_MAX_BATCH);
		lerr_detail(e, "%zu documents were given", b->ndocs);
		return LERR_INVALID;
	}
	if (!b->pin || !b->pin[0]) {
		lerr_set(e, LERR_INVALID, "pin", "the PIN is required");
		return LERR_INVALID;
	}
	return 0;
}

int
signdoc_batch(struct store *s, struct signdoc_batch *b, struct lerr *e)
{
	struct run rn = { .b = b };
	struct sign_key k = { 0 };
	struct lerr e2;
	int64_t t0 = now_us(), t1;
	int rc;

	b->nsigned = 0;
	b->locked = 0;
	b->attempts_left = 0;
	if ((rc = check_batch(b, e)) || (rc = store_acquire(s, &rn.c, e)))
		return rc;
	if ((rc = open_key(rn.c, b, &k, e)) || (rc = plan(&rn, e)))
		goto out;
	t1 = now_us();
	rn.k = &k;
	rn.cert = cert_json(&k);
	lerr_clear(&e2);
	(void)sign_all(&rn, &e2);       /* its failure is in every document's result */
	for (size_t i = 0; i < b->ndocs; i++) {
		b->nsigned += b->results[i].ok;
		metrics_inc(METRIC_SIGNATURES, b->results[i].ok ? "signed" :
			    lerr_kind_name(b->results[i].err.kind));
		if (b->results[i].ok)
			log_info("doc=%s signed by %s (%s)", b->results[i].id, b->actor, b->results[i].state);
	}
	log_info("batch by %s: %d of %zu documents signed in %lld ms (key opened in %lld ms;"
		 " claims %lld ms, signatures %lld ms, records %lld ms)", b->actor, b->nsigned, b->ndocs,
		 (long long)(now_us() - t0) / 1000, (long long)(t1 - t0) / 1000,
		 (long long)rn.us_claim / 1000, (long long)rn.us_sign / 1000,
		 (long long)rn.us_record / 1000);
out:
	for (size_t i = 0; rn.items && i < rn.n; i++)
		item_free(&rn.items[i]);
	free(rn.items);
	free(rn.bounds);
	logos_free(&rn);
	json_decref(rn.cert);
	sign_key_fini(&k);
	store_release(s, rn.c);
	return rc;
}

/* ---- import and enrolment ---- */

/* An expired certificate could never sign: refused at import rather than
 * enrolled to fail at the first signature.  (One not valid yet is kept: an
 * authority may deliver a renewal ahead of its start.) */
static int
import_valid(const struct certkey_info *ci, struct lerr *e)
{
	char t[32];
	struct tm tm;

	if (time(NULL) < ci->not_after)
		return 0;
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&ci->not_after, &tm));
	lerr_set(e, LERR_INVALID, "file", "the certificate has expired");
	lerr_detail(e, "certificate \"%s\" was valid until %s", ci->subject, t);
	lerr_hint(e, "import the renewed certificate the certification authority delivered");
	return LERR_INVALID;
}

int
signdoc_import_ex(struct store *s, long long admin_id, const char *email, const void *p12,
		  size_t len, const char *password, const char *actor, long long *id,
		  long long *replaced, char code[CUSTODY_CODE_SIZE], struct lerr *e)
{
	struct certkey_info ci;
	struct buf der, chain, blob;
	struct store_conn *c = NULL;
	struct cert_new n = { 0 };
	int rc;

	buf_init(&der, 64 * 1024);
	buf_init(&chain, 256 * 1024);
	buf_init(&blob, 64 * 1024);
	*id = *replaced = 0;
	if ((rc = certkey_import(p12, len, password, &ci, &der, &chain, &blob, code, e)) ||
	    (rc = import_valid(&ci, e)) || (rc = store_acquire(s, &c, e)))
		goto out;
	n = (struct cert_new){ .admin_id = admin_id, .email = email, .der = der.data,
		.derlen = der.len, .chain = chain.data, .chainlen = chain.len, .blob = blob.data,
		.bloblen = blob.len, .sha256 = ci.sha256, .subject = ci.subject, .issuer = ci.issuer,
		.serial = ci.serial, .not_before = ci.not_before, .not_after = ci.not_after,
		.actor = actor };
	rc = store_cert_add(c, &n, id, replaced, e);
out:
	if (rc)
		explicit_bzero(code, CUSTODY_CODE_SIZE);
	store_release(s, c);
	buf_fini(&der);
	buf_fini(&chain);
	buf_fini(&blob);
	return rc;
}

int
signdoc_import(struct store *s, long long admin_id, const char *email, const void *p12,
	       size_t len, const char *password, const char *actor, long long *id,
	       char code[CUSTODY_CODE_SIZE], struct lerr *e)
{
	long long replaced;

	return signdoc_import_ex(s, admin_id, email, p12, len, password, actor, id, &replaced, code, e);
}

static int
enrol_with(struct store_conn *c, struct cert_row *cr, const char *code, const char *pin,
	   const char *actor, char **json, int *left, struct lerr *e)
{
	struct attempt a = { c, cr, actor, 0, 0 };
	struct buf blob;
	int rc;

	buf_init(&blob, 64 * 1024);
	/* Weak PINs and malformed codes are refused before an attempt is spent. */
	if ((rc = custody_pin_acceptable(pin, e)) || (rc = attempt_begin(&a, e)))
		goto out;
	rc = certkey_enrol(cr->der, cr->derlen, cr->blob, cr->bloblen, code, pin, &blob, e);
	rc = attempt_end(&a, rc, "code", "enrolment code", e);
	if (!rc)
		rc = store_cert_enrolled(c, cr->id, blob.data, blob.len, actor, json, e);
out:
	*left = a.left;
	buf_fini(&blob);
	return rc;
}

int
signdoc_enrol(struct store *s, long long person_id, const char *code, const char *pin,
	      const char *actor, char **json, int *attempts_left, struct lerr *e)
{
	struct store_conn *c = NULL;
	struct cert_row cr = { 0 };
	char canon[CUSTODY_CODE_SIZE];
	int rc;

	*attempts_left = 0;
	if ((rc = custody_code_normalise(code ? code : "", canon, e)) ||
	    (rc = store_acquire(s, &c, e)) || (rc = store_cert_pending(c, person_id, &cr, e)))
		goto out;
	rc = enrol_with(c, &cr, canon, pin ? pin : "", actor, json, attempts_left, e);
out:
	explicit_bzero(canon, sizeof(canon));
	store_cert_row_fini(&cr);
	store_release(s, c);
	return rc;
}
