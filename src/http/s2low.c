/*
 * s2low.c - the S2LOW-compatible API (issue 14): the paths S2LOW serves,
 * answered as S2LOW's scripts answer, so that a vendor's S2LOW connector
 * (Pastell's connecteur/s2low, ...) works against liasse by a change of URL
 * and credentials.  The protocol's words and mappings are in src/compat/
 * (s2low.h); doc/compat.md names the S2LOW file each answer follows.
 *
 * An act or a PES posted here is an ordinary liasse document: it goes
 * through upload.c (the door of POST /api/v1/documents, http_ingest), is
 * journaled with the client as actor, routed to an official's queue when
 * the organisation has a routing rule for its kind, and transmitted by
 * liasse's own connectors.  Its S2LOW transaction number is a row of
 * s2low_transaction, written in the document's transaction.
 *
 * The organisation: S2LOW has no SIREN parameter (a user belongs to one
 * collectivité): the one the client certificate was bound to ("liasse
 * client cert add --org"), else the client's only organisation.
 *
 * Refusals answer as S2LOW does, with HTTP 200 (5xx kept for outages) and
 * its text ("KO\n<message>\n", ISO-8859-1) or XML, in French.
 */
#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat/s2low.h"
#include "core/log.h"
#include "flow/acte.h"
#include "pdf/pdf.h"
#include "transmit/tgz.h"
#include "transmit/xmit.h"

#define FILE_MAX (1 << 20)          /* an ARActe read into a status answer */
#define FORM_FIELDS 8
#define FORM_VALUE_MAX 1024
#define LATIN1 "text/html; charset=ISO-8859-1"
#define UTF8 "text/html; charset=UTF-8"
#define AUTH_KO "Échec de l'authentification"
#define REPONSE_FILES 21                /* the answer and 20 pieces */
#define REPONSE_MAX (64u << 20)         /* all its files */

struct s2low_req {
	const char *kind;                    /* "acte", "pes" */
	struct s2low_acte_form form;
	const char *pes_name;
	char siren[10];
	int sign;                            /* the organisation routes the kind to an official */
	long long tx;                        /* the transaction made */
	struct s2low_unquote uq;             /* Pastell's bare part names quoted */
	struct reponse *rep;                 /* actes_transac_reponse_create.php */
	/* a small form (cancel) */
	struct MHD_PostProcessor *pp;
	const char *keys[FORM_FIELDS], *values[FORM_FIELDS];
	int nfields;
};

static struct s2low_req *
state(struct req *rq)
{
	if (!rq->compat)
		rq->compat = arena_zalloc(rq->arena, sizeof(struct s2low_req));
	return rq->compat;
}

static unsigned
ko_status(unsigned status)
{
	return status >= 500 ? status : 200;
}

/* ---- S2LOW's forms of an answer ---- */

/* Helpers::returnAndExit() of the API: "OK|KO\n<text>\n" in ISO-8859-1. */
static int
return_and_exit(struct req *rq, unsigned status, int ko, const char *utf8)
{
	size_t n;
	char *t = s2low_latin1(rq->arena, arena_printf(rq->arena, "%s\n%s\n", ko ? "KO" : "OK", utf8), &n);

	return http_reply_text(rq, status, LATIN1, t, n);
}

/* The scripts that echo UTF-8 text. */
static int
echo(struct req *rq, unsigned status, const char *text)
{
	return http_reply_text(rq, status, UTF8, text, strlen(text));
}

/* HeliosAPIResponse: one line of elements under an ISO-8859-1 prolog. */
static int
helios_xml(struct req *rq, unsigned status, const char *root, long long id, const char *resultat,
	   const char *message, const char *st)
{
	size_t n;
	char *t = s2low_latin1(rq->arena, arena_printf(rq->arena,
		"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<%s >\n        <id>%lld</id>"
		"<resultat>%s</resultat><message>%s</message><status>%s</status></%s>\n", root, id,
		resultat, s2low_xml_escape(rq->arena, message), st, root), &n);

	return http_reply_text(rq, status, "text/xml", t, n);
}

/* DOMDocument::save() of <root> with its children, one per line; the
 * importer's message is utf8_encode()d once more, as S2LOW does. */
static int
dom_xml(struct req *rq, unsigned status, const char *root, const char *const *kv, int twice)
{
	char *t = arena_printf(rq->arena, "<?xml version=\"1.0\"?>\n<%s>\n", root);

	for (; kv[0]; kv += 2) {
		const char *v = s2low_xml_escape(rq->arena, kv[1]);

		if (twice && !strcmp(kv[0], "message"))
			v = s2low_utf8(rq->arena, v);
		t = arena_printf(rq->arena, "%s  <%s>%s</%s>\n", t, kv[0], v, kv[0]);
	}
	t = arena_printf(rq->arena, "%s</%s>\n", t, root);
	return http_reply_text(rq, status, "text/xml", t, strlen(t));
}

static int
redirect(struct req *rq, const char *to)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);

	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, to);
	return http_reply_response(rq, 302, resp);
}

/* ---- refusals (struct http_handler.problem) ---- */

static const char *
refusal(struct req *rq, const struct lerr *e)
{
	const struct s2low_req *s = rq->compat;

	if (e->kind == LERR_AUTH || e->kind == LERR_FORBIDDEN)
		log_info("%s %s refused: %s", rq->method, rq->url, e->msg);
	return s2low_refusal(rq->arena, e, s ? s->kind : NULL);
}

static int
ko_latin1(struct req *rq, unsigned status, const struct lerr *e)
{
	return return_and_exit(rq, ko_status(status), 1, refusal(rq, e));
}

static int
ko_utf8(struct req *rq, unsigned status, const struct lerr *e)
{
	return echo(rq, ko_status(status), arena_printf(rq->arena, "KO\n%s", refusal(rq, e)));
}

static int
import_ko(struct req *rq, unsigned status, const struct lerr *e)
{
	const char *kv[] = { "id", "", "resultat", "KO", "message", refusal(rq, e), NULL };

	if (e->kind == LERR_AUTH)
		return ko_utf8(rq, status, e);
	return dom_xml(rq, ko_status(status), "import", kv, 1);
}

static int
helios_status_ko(struct req *rq, unsigned status, const struct lerr *e)
{
	return helios_xml(rq, ko_status(status), "transaction", 0, "KO", refusal(rq, e), "");
}

static int
list_ko(struct req *rq, unsigned status, const struct lerr *e)
{
	const char *kv[] = { "resultat", "KO", "message", refusal(rq, e), NULL };

	return dom_xml(rq, ko_status(status), "liste", kv, 0);
}

static int
retour_ko(struct req *rq, unsigned status, const struct lerr *e)
{
	const char *id = http_query(rq, "id");
	const char *kv[] = { "id", id ? id : "", "resultat", "KO", "message", refusal(rq, e), NULL };

	return dom_xml(rq, ko_status(status), "get_retour", kv, 0);
}

/* The web pages that are not API calls redirect on any failure. */
static int
to_index(struct req *rq, unsigned status, const struct lerr *e)
{
	(void)e;
	return status >= 500 ? echo(rq, status, "KO\n") : redirect(rq, "/modules/helios/index.php");
}

/* ---- the organisation, the transaction ---- */

static int
organisation(struct req *rq, struct store_conn *c, char siren[10], long long *org_id, struct lerr *e)
{
	int rc = 0;

	if (rq->client.siren[0])
		snprintf(siren, 10, "%s", rq->client.siren);
	else
		rc = store_client_only_org(c, rq->client.id, siren, e);
	return rc ? rc : store_client_org(c, rq->client.id, siren, org_id, e);
}

/* A positive transaction number in query parameter name; 0 otherwise. */
static long long
number_param(struct req *rq, const char *name)
{
	const char *v = http_query(rq, name);
	char *end;
	long long n = v ? strtoll(v, &end, 10) : 0;

	return v && *v && !*end && n > 0 ? n : 0;
}

/* The client's transaction id of kind want ("acte" takes "annulation" too):
 * its kind and its document as JSON. */
static int
load(struct req *rq, struct store_conn *c, long long id, const char *want, char kind[16],
     json_t **doc, struct lerr *e)
{
	char doc_id[37], *json = NULL;
	json_error_t jerr;
	int rc = id ? store_s2low_tx_get(c, rq->client.id, id, kind, doc_id, e) :
		lerr_set(e, LERR_NOTFOUND, "transaction", "no transaction number");

	if (!rc && strcmp(kind, want) && !(!strcmp(want, "acte") && !strcmp(kind, "annulation")))
		rc = lerr_set(e, LERR_NOTFOUND, "transaction", "transaction %lld is not of this kind", id);
	if (!rc)
		rc = store_doc_json(c, doc_id, rq->client.id, &json, e);
	if (!rc && !(*doc = json_loads(json, 0, &jerr)))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "unreadable document");
	free(json);
	return rc;
}

/* The number of the document's last file in role, -1 when none. */
static int
file_of(json_t *doc, const char *role)
{
	json_t *files = json_object_get(doc, "files"), *f;
	const char *r;
	size_t i;
	int n = -1;

	json_array_foreach(files, i, f)
		if ((r = json_string_value(json_object_get(f, "role"))) && !strcmp(r, role))
			n = (int)json_integer_value(json_object_get(f, "id"));
	return n;
}

/* A small stored file (an ARActe) read whole into the arena. */
static int
read_file(struct req *rq, struct store_conn *c, const char *doc_id, int n, char **out, size_t *len,
	  struct lerr *e)
{
	struct store_blob_reader r;
	struct doc_file f;
	int got, rc = store_doc_file(c, doc_id, rq->client.id, n, &f, e);

	if (!rc && f.size > FILE_MAX)
		rc = lerr_set(e, LERR_TOOLARGE, NULL, "file %d is too large to answer inline", n);
	if (rc || (rc = store_blob_reader_init(&r, c, f.blob_id, f.nchunks, e)))
		return rc;
	*out = arena_alloc(rq->arena, (size_t)f.size + 1);
	*len = 0;
	while ((got = store_blob_read(&r, *out + *len, (int)((size_t)f.size + 1 - *len))) > 0)
		*len += (size_t)got;
	if (got < 0)
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot read file %d", n);
	store_blob_reader_fini(&r);
	return rc;
}

/* ---- api/test-connexion.php ---- */

static int
test_connexion(struct req *rq)
{
	return echo(rq, 200, "OK");
}

/* ---- actes_classification_fetch.php ---- */

static int
classification(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char siren[10], *xml = NULL;
	long long org_id;
	size_t n = 0;
	int rc = organisation(rq, c, siren, &org_id, e);

	if (!rc && (rc = store_org_classification_xml(c, siren, &xml, &n, e)) == LERR_NOTFOUND) {
		lerr_clear(e);
		return return_and_exit(rq, 200, 1, "Erreur de récupération de la dernière classification.");
	}
	if (!rc)
		http_reply_raw(rq, 200, "text/xml", xml, n);
	return rc;
}

static int
classification_fetch(struct req *rq)
{
	return http_with_conn(rq, classification);
}

/* ---- actes_transac_create.php, helios_importer_fichier.php ---- */

static int
ingest_field(struct req *rq, const char *key, const char *data, size_t n, int first)
{
	struct s2low_req *s = state(rq);

	if (!strcmp(s->kind, "acte"))
		s2low_acte_field(&s->form, rq->arena, key, data, n, first);
	return 0;
}

static const char *
acte_file(struct req *rq, const char *key, const char *filename)
{
	(void)rq;
	(void)filename;
	if (!strcmp(key, "acte_pdf_file"))
		return "file";
	if (!strcmp(key, "acte_attachments[]"))
		return "annexe";
	return NULL;    /* acte_pdf_file_sign: liasse keeps no detached signature of an act */
}

static const char *
pes_file(struct req *rq, const char *key, const char *filename)
{
	if (strcmp(key, "enveloppe"))
		return NULL;      /* the only field S2LOW reads */
	state(rq)->pes_name = arena_strdup(rq->arena, filename);
	return "file";
}

/* The organisation, and whether it routes this kind to an official (then
 * the document is signed in the official's queue before it is sent). */
static int
ingest_prepare(struct req *rq, const char **siren, struct lerr *e)
{
	struct s2low_req *s = state(rq);
	struct store_conn *c = NULL;
	long long org_id;
	int rc = store_acquire(http_store(rq), &c, e);

	if (!rc)
		rc = organisation(rq, c, s->siren, &org_id, e);
	if (!rc)
		rc = store_routing_exists(c, s->siren, s->kind, &s->sign, e);
	store_release(http_store(rq), c);
	*siren = s->siren;
	return rc;
}

static json_t *
ingest_metadata(struct req *rq, struct lerr *e)
{
	struct s2low_req *s = state(rq);

	if (!strcmp(s->kind, "pes"))
		return s2low_pes_metadata(s->siren, s->pes_name, s->sign);
	return s2low_acte_metadata(&s->form, s->siren, s->sign, e);
}

static int
ingest_created(struct req *rq, struct store_conn *c, const char *doc_id, struct lerr *e)
{
	struct s2low_req *s = state(rq);

	return store_s2low_tx_add(c, rq->client.id, doc_id, s->kind, &s->tx, e);
}

static int
ingest_reply(struct req *rq, int status, const char *doc_id)
{
	struct s2low_req *s = state(rq);
	const char *id = arena_printf(rq->arena, "%lld", s->tx);
	const char *kv[] = { "id", id, "resultat", "OK", "message", "Téléchargement du fichier réussi.", NULL };

	(void)status;
	log_info("S2LOW transaction %s: document %s", id, doc_id);
	if (!strcmp(s->kind, "pes"))
		return dom_xml(rq, 200, "import", kv, 1);
	return return_and_exit(rq, 200, 0, arena_printf(rq->arena, "%s\n", id));
}

static const struct http_ingest acte_ingest = {
	.kind = "acte", .prepare = ingest_prepare, .field = ingest_field, .file_role = acte_file, .metadata = ingest_metadata,
	.created = ingest_created, .reply = ingest_reply,
};
static const struct http_ingest pes_ingest = {
	.kind = "pes", .prepare = ingest_prepare, .field = ingest_field, .file_role = pes_file, .metadata = ingest_metadata,
	.created = ingest_created, .reply = ingest_reply,
};

static int
acte_begin(struct req *rq)
{
	state(rq)->kind = "acte";
	return http_upload_begin(rq, &acte_ingest);
}

static int
pes_begin(struct req *rq)
{
	state(rq)->kind = "pes";
	return http_upload_begin(rq, &pes_ingest);
}

static int
unquoted(void *arg, const char *p, size_t n)
{
	return n ? http_upload_data(arg, p, n) : 0;
}

static int
acte_data(struct req *rq, const char *p, size_t n)
{
	if (s2low_unquote_feed(&state(rq)->uq, p, n, unquoted, rq) < 0) {
		lerr_set(&rq->err, LERR_INTERNAL, NULL, "out of memory");
		return http_fail(rq, &rq->err);
	}
	return 0;
}

static int
acte_end(struct req *rq)
{
	if (!rq->failed && s2low_unquote_end(&state(rq)->uq, unquoted, rq) < 0)
		return 0;
	return http_upload_end(rq);
}

/* ---- actes_transac_get_status.php ---- */

/* An annulation: posted (3) until the prefecture acknowledges it (4). */
static int
annulation_status(const char *state)
{
	return !strcmp(state, "cancelled") ? 4 : !strcmp(state, "cancelling") ? 3 : -1;
}

static int
actes_status(struct req *rq, struct store_conn *c, struct lerr *e)
{
	long long id = number_param(rq, "transaction");
	const char *st, *reason;
	char kind[16], *ack = NULL;
	size_t n = 0, head;
	json_t *doc = NULL;
	int code, rc = load(rq, c, id, "acte", kind, &doc, e);

	if (rc == LERR_NOTFOUND) {
		lerr_clear(e);
		return echo(rq, 200, "KO\nNuméro de transaction invalide.");
	}
	if (rc)
		return rc;
	st = json_string_value(json_object_get(doc, "state"));
	reason = json_string_value(json_object_get(doc, "reason"));
	code = !strcmp(kind, "annulation") ? annulation_status(st) : s2low_actes_status(st);
	if (code == 4 && strcmp(kind, "annulation") && file_of(doc, "ack") >= 0)
		rc = read_file(rq, c, json_string_value(json_object_get(doc, "id")), file_of(doc, "ack"),
			       &ack, &n, e);
	if (!rc && !ack && (code == -1 || code == 6) && reason)
		ack = s2low_latin1(rq->arena, reason, &n);
	if (!rc) {
		char *head_text = arena_printf(rq->arena, "OK\n%d\n", code), *t;

		head = strlen(head_text);
		t = arena_alloc(rq->arena, head + n + 1);
		memcpy(t, head_text, head);
		if (n)
			memcpy(t + head, ack, n);
		http_reply_text(rq, 200, LATIN1, t, head + n);
	}
	json_decref(doc);
	return rc;
}

static int
actes_get_status(struct req *rq)
{
	return http_with_conn(rq, actes_status);
}

/* ---- actes_transac_get_ARActe.php, helios_download_acquit.php ---- */

static int
serve_ack(struct req *rq, struct store_conn *c, const char *want, struct lerr *e)
{
	char kind[16];
	json_t *doc = NULL;
	struct doc_file f;
	int n, rc = load(rq, c, number_param(rq, "id"), want, kind, &doc, e);

	if (!rc && (n = file_of(doc, "ack")) < 0 && (n = file_of(doc, "anomaly")) < 0)
		rc = lerr_set(e, LERR_NOTFOUND, "id", "no acknowledgement yet");
	if (!rc)
		rc = store_doc_file(c, json_string_value(json_object_get(doc, "id")), rq->client.id, n, &f, e);
	json_decref(doc);
	return rc ? rc : http_serve_file(rq, &f);
}

static int
aracte(struct req *rq, struct store_conn *c, struct lerr *e)
{
	int rc = serve_ack(rq, c, "acte", e);

	if (rc == LERR_NOTFOUND) {
		lerr_clear(e);
		return return_and_exit(rq, 200, 1, "Cette transaction n'existe pas");
	}
	return rc;
}

static int
actes_get_aracte(struct req *rq)
{
	return http_with_conn(rq, aracte);
}

static int
acquit(struct req *rq, struct store_conn *c, struct lerr *e)
{
	return serve_ack(rq, c, "pes", e);
}

static int
helios_download_acquit(struct req *rq)
{
	return http_with_conn(rq, acquit);
}

/* ---- actes_transac_get_files_list.php, actes_download_file.php ---- */

/* S2LOW numbers an envelope's files globally; liasse names them after the
 * act's transaction: transaction x FILE_ID_BASE + the document's file
 * number (doc/compat.md). */
#define FILE_ID_BASE 1000

/* One row of ActesTransaction::fetchFilesList(), as PostgreSQL gives it
 * (every value a string, or null). */
static json_t *
files_row(long long tx, json_t *f, const char *code_pj)
{
	char id[32], size[32];

	snprintf(id, sizeof(id), "%lld", tx * FILE_ID_BASE + json_integer_value(json_object_get(f, "id")));
	snprintf(size, sizeof(size), "%lld", (long long)json_integer_value(json_object_get(f, "size")));
	return json_pack("{s:s, s:O, s:O, s:O, s:s, s:n, s:s?}", "id", id, "name", json_object_get(f, "name"),
			 "posted_filename", json_object_get(f, "name"), "mimetype", json_object_get(f, "media_type"),
			 "size", size, "sign", "code_pj", code_pj);
}

/* The act's files as S2LOW lists its envelope: first its XML (liasse keeps
 * the ARActe, not the 1-1 form it sent), then the act, then its annexes. */
static json_t *
files_list(long long tx, json_t *doc)
{
	json_t *a = json_array(), *acte = json_object_get(doc, "acte"), *f;
	json_t *types = json_object_get(acte, "annexes_types");
	const char *role;
	size_t i, k = 0;

	json_array_foreach(json_object_get(doc, "files"), i, f)
		if ((role = json_string_value(json_object_get(f, "role"))) && !strcmp(role, "ack"))
			json_array_append_new(a, files_row(tx, f, NULL));
	json_array_foreach(json_object_get(doc, "files"), i, f)
		if ((role = json_string_value(json_object_get(f, "role"))) && !strcmp(role, "main"))
			json_array_append_new(a, files_row(tx, f, json_string_value(json_object_get(acte, "type_piece"))));
	json_array_foreach(json_object_get(doc, "files"), i, f)
		if ((role = json_string_value(json_object_get(f, "role"))) && !strcmp(role, "annexe"))
			json_array_append_new(a, files_row(tx, f, json_string_value(json_array_get(types, k++))));
	return a;
}

static int
files(struct req *rq, struct store_conn *c, struct lerr *e)
{
	long long id = number_param(rq, "transaction");
	char kind[16], *text;
	json_t *doc = NULL, *list;
	int code, rc = load(rq, c, id, "acte", kind, &doc, e);

	if (rc == LERR_NOTFOUND || (!rc && strcmp(kind, "acte"))) {
		lerr_clear(e);
		json_decref(doc);
		return echo(rq, 200, "KO\nNuméro de transaction invalide.");
	}
	if (rc)
		return rc;
	code = s2low_actes_status(json_string_value(json_object_get(doc, "state")));
	if (code >= 1 && code <= 3 && file_of(doc, "ack") < 0) {
		json_decref(doc);
		return echo(rq, 200, "KO\nPas d'acquittement recu");
	}
	list = files_list(id, doc);
	/* PHP's json_encode(): "\/" and \uXXXX */
	text = json_dumps(list, JSON_COMPACT | JSON_ESCAPE_SLASH | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	rc = text ? echo(rq, 200, arena_strdup(rq->arena, text)) : lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	free(text);
	json_decref(list);
	json_decref(doc);
	return rc;
}

static int
actes_files_list(struct req *rq)
{
	return http_with_conn(rq, files);
}

/* tampon=true&date_affichage=YYYY-MM-DD on the act or a PDF annex (file:
 * its number, -1 the act): stamped now with that day ("Publié le"), as
 * S²LOW's actes_download_file.php passes date_affichage to
 * ActesIncludedFile::setTampon() on every download; nothing is recorded
 * (PUT /api/v1/documents/{id}/publication records it).  A PDF that cannot
 * be stamped: *posted set, to serve the file as posted, as S²LOW's
 * ActeTamponne::tamponnerPDF() falls back to the file's content. */
static int
stamped_now(struct req *rq, struct store_conn *c, const char *doc_id, int file, const char *date,
	    int *posted, struct lerr *e)
{
	char day[11], name[256], *copy;
	struct buf out;
	int rc = 0;

	if (!xmit_publication_day(date, day))
		return lerr_set(e, LERR_INVALID, "date_affichage", "date_affichage is not a day YYYY-MM-DD");
	buf_init(&out, LPDF_MAX_DOC);
	rc = xmit_stamp_make(c, doc_id, file, day, &out, name, e);
	if (rc == LERR_INVALID || rc == LERR_NOTFOUND || rc == LERR_TOOLARGE) {
		log_warn("doc=%s: file %d served as posted, not stamped: %s", doc_id, file, e->msg);
		lerr_clear(e);
		*posted = 1;
		rc = 0;
	} else if (!rc && !(copy = malloc(out.len ? out.len : 1))) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	} else if (!rc) {
		memcpy(copy, out.data, out.len);
		http_reply_raw(rq, 200, "application/pdf", copy, out.len);
	}
	buf_fini(&out);
	return rc;
}

/* The number of the annexe_tamponnee that stamps file n, -1 when none. */
static int
stamped_annex(json_t *doc, int n)
{
	json_t *f, *of;
	const char *r;
	size_t i;

	json_array_foreach(json_object_get(doc, "files"), i, f)
		if ((r = json_string_value(json_object_get(f, "role"))) && !strcmp(r, "annexe_tamponnee") &&
		    json_is_integer(of = json_object_get(f, "stamps")) && json_integer_value(of) == n)
			return (int)json_integer_value(json_object_get(f, "id"));
	return -1;
}

/* The file to serve for tampon=true: the act stamped when the ARActe came
 * (role acte_tamponne, transmit/stamp.c), a PDF annex's stamped copy
 * (annexe_tamponnee); else the file as posted (a PNG annex, a PDF MuPDF
 * could not stamp), as S²LOW serves what it does not stamp. */
static int
stored_stamp(json_t *doc, const char *role, int n)
{
	int m = !strcmp(role, "main") ? file_of(doc, "acte_tamponne") :
		!strcmp(role, "annexe") ? stamped_annex(doc, n) : -1;

	return m >= 0 ? m : n;
}

/* file=ID: the act's file; with tampon=true, the act or a PDF annex
 * stamped (stored_stamp), or stamped now with date_affichage when given. */
static int
download(struct req *rq, struct store_conn *c, struct lerr *e)
{
	long long id = number_param(rq, "file");
	char kind[16], doc_id[37] = "";
	const char *tampon = http_query(rq, "tampon"), *role = NULL, *type = NULL;
	const char *affichage = http_query(rq, "date_affichage");
	json_t *doc = NULL, *f;
	struct doc_file df;
	int n = (int)(id % FILE_ID_BASE), posted = 0, rc = load(rq, c, id / FILE_ID_BASE, "acte", kind, &doc, e);
	size_t i;

	json_array_foreach(json_object_get(doc, "files"), i, f)
		if (json_integer_value(json_object_get(f, "id")) == n) {
			role = json_string_value(json_object_get(f, "role"));
			type = json_string_value(json_object_get(f, "media_type"));
		}
	if (!rc && (strcmp(kind, "acte") || !role || (strcmp(role, "main") && strcmp(role, "annexe") &&
						      strcmp(role, "ack"))))
		rc = lerr_set(e, LERR_NOTFOUND, "file", "no file %lld", id);
	if (!rc)
		snprintf(doc_id, sizeof(doc_id), "%s", json_string_value(json_object_get(doc, "id")));
	if (!rc && tampon && *tampon && strcmp(role, "ack") && type && !strcmp(type, "application/pdf")) {
		if (!affichage || !*affichage) {
			n = stored_stamp(doc, role, n);
		} else if ((rc = stamped_now(rq, c, doc_id, !strcmp(role, "main") ? -1 : n, affichage, &posted,
					     e)) || !posted) {
			json_decref(doc);
			return rc;        /* answered, or failed */
		}
	}
	if (!rc)
		rc = store_doc_file(c, doc_id, rq->client.id, n, &df, e);
	json_decref(doc);
	return rc ? rc : http_serve_file(rq, &df);
}

static int envelope(struct req *rq, struct store_conn *c, struct lerr *e);

static int
actes_download_file(struct req *rq)
{
	if (!http_query(rq, "file") && !http_query(rq, "env"))
		return redirect(rq, "/");
	return http_with_conn(rq, http_query(rq, "file") ? download : envelope);
}

/* actes_download_file.php: any failure sends the browser back home. */
static int
to_home(struct req *rq, unsigned status, const struct lerr *e)
{
	(void)e;
	return status >= 500 ? echo(rq, status, "KO\n") : redirect(rq, "/");
}

/* ---- the prefecture's letters: list_document_prefecture.php,
 * document_prefecture_mark_as_read.php, actes_transac_get_document.php,
 * actes_download_file.php?env= ---- */

/* PHP's json_encode() of what SQL made: "\/" and \uXXXX. */
static int
php_json(struct req *rq, const char *json, struct lerr *e)
{
	json_t *j = json_loads(json, 0, NULL);
	char *t = j ? json_dumps(j, JSON_COMPACT | JSON_ESCAPE_SLASH | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER) : NULL;
	int rc = t ? echo(rq, 200, arena_strdup(rq->arena, t)) : lerr_set(e, LERR_INTERNAL, NULL, "bad JSON");

	free(t);
	json_decref(j);
	return rc;
}

static int
prefdocs(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;
	int rc = store_s2low_prefdocs_json(c, rq->client.id, &json, e);

	if (!rc)
		rc = php_json(rq, json, e);
	free(json);
	return rc;
}

static int
list_document_prefecture(struct req *rq)
{
	return http_with_conn(rq, prefdocs);
}

/* {"result":"ok"} whatever the id, as S2LOW answers. */
static int
mark_read(struct req *rq, struct store_conn *c, struct lerr *e)
{
	long long id = number_param(rq, "transaction_id");
	int rc = id ? store_s2low_prefdoc_read(c, rq->client.id, id, e) : 0;

	return rc ? rc : echo(rq, 200, "{\"result\":\"ok\"}");
}

static int
document_prefecture_mark_as_read(struct req *rq)
{
	return http_with_conn(rq, mark_read);
}

/* For an act: "type-status-id\n" per letter; for a letter: a redirection
 * to its envelope's archive (env = the letter's transaction). */
static int
get_document(struct req *rq, struct store_conn *c, struct lerr *e)
{
	long long id = number_param(rq, "id");
	char *json = NULL, *t = arena_strdup(rq->arena, "");
	json_t *j, *l;
	size_t i;
	int rc = id ? store_s2low_prefdoc_json(c, rq->client.id, id, &json, e) : LERR_NOTFOUND;

	if (rc == LERR_NOTFOUND) {
		lerr_clear(e);
		return http_reply_text(rq, 200, "text/plain", "KO\nNuméro de transaction invalide.",
				       strlen("KO\nNuméro de transaction invalide."));
	}
	if (rc)
		return rc;
	j = json_loads(json, 0, NULL);
	free(json);
	if (strcmp(json_string_value(json_object_get(j, "kind")) ?: "", "acte")) {
		json_decref(j);
		return redirect(rq, arena_printf(rq->arena, "actes_download_file.php?env=%lld", id));
	}
	json_array_foreach(json_object_get(j, "letters"), i, l)
		t = arena_printf(rq->arena, "%s%s-%s-%s\n", t, json_string_value(json_object_get(l, "type")),
				 json_string_value(json_object_get(l, "status")),
				 json_string_value(json_object_get(l, "id")));
	json_decref(j);
	return http_reply_text(rq, 200, "text/plain", t, strlen(t));
}

static int
actes_get_document(struct req *rq)
{
	return http_with_conn(rq, get_document);
}

/* One stored file of the document as an entry of the archive. */
static int
tgz_file(struct req *rq, struct store_conn *c, struct xmit_tgz *t, const char *doc_id, int n, struct lerr *e)
{
	struct store_blob_reader r;
	struct doc_file f;
	char chunk[16384];
	int got, rc = store_doc_file(c, doc_id, rq->client.id, n, &f, e);

	if (rc || (rc = store_blob_reader_init(&r, c, f.blob_id, f.nchunks, e)))
		return rc;
	rc = xmit_tgz_begin(t, f.name, (unsigned long long)f.size, (long long)time(NULL), e);
	while (!rc && (got = store_blob_read(&r, chunk, sizeof(chunk))) > 0)
		rc = xmit_tgz_write(t, chunk, (size_t)got, e);
	if (!rc && got < 0)
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot read file %d", n);
	if (!rc)
		rc = xmit_tgz_end(t, e);
	store_blob_reader_fini(&r);
	return rc;
}

/* env=N: the letter's envelope as S2LOW keeps it, a .tar.gz of the form
 * and the PDFs it names (the files liasse attached to the act). */
static int
envelope(struct req *rq, struct store_conn *c, struct lerr *e)
{
	long long id = number_param(rq, "env");
	char *json = NULL, *out = NULL;
	size_t len = 0, i;
	json_t *j = NULL, *f;
	struct xmit_tgz *t = NULL;
	FILE *mem = NULL;
	int rc = id ? store_s2low_prefdoc_json(c, rq->client.id, id, &json, e) :
		lerr_set(e, LERR_NOTFOUND, "env", "no envelope");

	if (!rc && (!(j = json_loads(json, 0, NULL)) ||
		    strcmp(json_string_value(json_object_get(j, "kind")) ?: "", "courrier")))
		rc = lerr_set(e, LERR_NOTFOUND, "env", "no envelope %lld", id);
	if (!rc && !(mem = open_memstream(&out, &len)))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	if (!rc)
		rc = xmit_tgz_open(&t, mem, e);
	json_array_foreach(json_object_get(j, "files"), i, f)
		if (!rc)
			rc = tgz_file(rq, c, t, json_string_value(json_object_get(j, "doc_id")),
				      (int)json_integer_value(json_object_get(f, "n")), e);
	if (t && xmit_tgz_close(t, rc ? NULL : e) && !rc)
		rc = LERR_INTERNAL;
	if (mem)
		fclose(mem);
	if (!rc) {
		rc = http_reply_raw(rq, 200, "application/x-gzip", out, len);
		out = NULL;   /* the reply owns it */
	}
	free(out);
	free(json);
	json_decref(j);
	return rc;
}

/* ---- actes_transac_reponse_create.php: the answer to a letter ---- */

struct reponse {
	struct MHD_PostProcessor *pp;
	char id[32], type_acte[64], type_envoie[8];
	const char *type_pj[REPONSE_FILES];
	int ntype_pj;
	struct buf files[REPONSE_FILES];  /* [0] acte_pdf_file, then acte_attachments[] */
	const char *names[REPONSE_FILES];
	int nfiles, has_acte;
	size_t total;
	struct buf *cur;
};

static int
reponse_api(struct req *rq)
{
	const char *api = http_query(rq, "api");    /* read from the query string only */

	return api && *api && strcmp(api, "0");
}

/* sortir_atrc(): "KO : <message>" (UTF-8) for ?api=1, else
 * Helpers::returnAndExit(). */
static int
sortir_atrc(struct req *rq, unsigned status, const char *msg)
{
	const char *t;

	if (!reponse_api(rq))
		return return_and_exit(rq, ko_status(status), 1, msg);
	t = arena_printf(rq->arena, "KO : %s", msg);
	return http_reply_text(rq, ko_status(status), "text/plain", t, strlen(t));
}

static int
reponse_ko(struct req *rq, unsigned status, const struct lerr *e)
{
	return sortir_atrc(rq, status, refusal(rq, e));
}

static void
copy_value(char *dst, size_t max, const char *p, uint64_t off, size_t n)
{
	size_t have = strlen(dst);

	if (off == 0)
		have = 0;
	if (have + n < max) {
		memcpy(dst + have, p, n);
		dst[have + n] = '\0';
	}
}

/* A file part: the act (index 0) or an annex. */
static int
reponse_file(struct req *rq, struct reponse *r, const char *key, const char *filename, const char *p,
	     uint64_t off, size_t n)
{
	int acte = !strcmp(key, "acte_pdf_file");

	if (off == 0) {
		int i = acte ? 0 : (r->nfiles ? r->nfiles : 1);

		r->cur = NULL;
		if (i >= REPONSE_FILES || (acte && r->has_acte))
			return 0;    /* S2LOW reads the first act and at most these annexes */
		buf_init(&r->files[i], REPONSE_MAX);
		r->names[i] = arena_strdup(rq->arena, filename);
		r->cur = &r->files[i];
		r->has_acte |= acte;
		r->nfiles = i >= r->nfiles ? i + 1 : r->nfiles;
	}
	r->total += n;
	if (r->total > REPONSE_MAX || (r->cur && buf_add(r->cur, p, n))) {
		lerr_set(&rq->err, LERR_TOOLARGE, NULL, "the answer's files are too large");
		return -1;
	}
	return 0;
}

static enum MHD_Result
reponse_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename, const char *ctype,
	   const char *encoding, const char *p, uint64_t off, size_t n)
{
	struct req *rq = cls;
	struct reponse *r = state(rq)->rep;

	(void)kind, (void)ctype, (void)encoding;
	if (!key)
		return MHD_YES;
	if (filename && (!strcmp(key, "acte_pdf_file") || !strcmp(key, "acte_attachments[]")))
		return reponse_file(rq, r, key, filename, p, off, n) ? MHD_NO : MHD_YES;
	if (!strcmp(key, "id"))
		copy_value(r->id, sizeof(r->id), p, off, n);
	else if (!strcmp(key, "type_acte"))
		copy_value(r->type_acte, sizeof(r->type_acte), p, off, n);
	else if (!strcmp(key, "type_envoie"))
		copy_value(r->type_envoie, sizeof(r->type_envoie), p, off, n);
	else if (!strcmp(key, "type_pj[]") && off == 0 && r->ntype_pj < REPONSE_FILES)
		r->type_pj[r->ntype_pj++] = arena_strndup(rq->arena, p, n);
	return MHD_YES;
}

static int
reponse_begin(struct req *rq)
{
	struct s2low_req *s = state(rq);

	s->kind = "acte";
	s->rep = arena_zalloc(rq->arena, sizeof(*s->rep));
	s->rep->pp = MHD_create_post_processor(rq->conn, 64 * 1024, reponse_cb, rq);
	if (!s->rep->pp) {
		lerr_set(&rq->err, LERR_MALFORMED, "Content-Type", "expected a form");
		return http_fail(rq, &rq->err);
	}
	return 0;
}

static int
reponse_post(void *arg, const char *p, size_t n)
{
	struct req *rq = arg;

	if (!n || rq->failed || MHD_post_process(state(rq)->rep->pp, p, n) == MHD_YES)
		return 0;
	if (!rq->err.kind)
		lerr_set(&rq->err, LERR_MALFORMED, NULL, "malformed form");
	http_fail(rq, &rq->err);
	return 0;
}

static int
reponse_data(struct req *rq, const char *p, size_t n)
{
	if (s2low_unquote_feed(&state(rq)->uq, p, n, reponse_post, rq) < 0) {
		lerr_set(&rq->err, LERR_INTERNAL, NULL, "out of memory");
		return http_fail(rq, &rq->err);
	}
	return 0;
}

static int
is_pdf(const struct buf *b)
{
	return b->len >= 5 && !memcmp(b->data, "%PDF-", 5);
}

/* What S2LOW checks before it builds the envelope, in its order; the
 * answer (0) or the refusal already sent (1). */
static int
reponse_refused(struct req *rq, struct reponse *r)
{
	if (!r->type_acte[0])
		return return_and_exit(rq, 200, 1, "Erreur lors de la réception du fichier : typologie absente"), 1;
	if (!r->has_acte)
		return sortir_atrc(rq, 200, "Envoi de fichier illégal."), 1;
	if (!is_pdf(&r->files[0]))
		return sortir_atrc(rq, 200, arena_printf(rq->arena, "Erreur de validation du fichier de l'acte :\n"
				   "Le fichier %s n'est pas un PDF\n", r->names[0])), 1;
	for (int i = 1; i < r->nfiles; i++) {
		if (i > r->ntype_pj || !*r->type_pj[i - 1])
			return return_and_exit(rq, 200, 1, arena_printf(rq->arena, "Erreur lors de la réception du "
					       "fichier annexe %s : typologie absente", r->names[i])), 1;
		if (!is_pdf(&r->files[i]))
			return sortir_atrc(rq, 200, arena_printf(rq->arena, "Erreur de validation d'un fichier de pièce"
					   " jointe :\nLe fichier %s n'est pas un PDF\n", r->names[i])), 1;
	}
	return 0;
}

/* The letter's answer, as POST .../letters/{lid}/answer records it, and its
 * S2LOW transaction. */
static int
reponse_store(struct req *rq, struct store_conn *c, struct reponse *r, json_t *l, long long *tx, struct lerr *e)
{
	const char *doc = json_string_value(json_object_get(l, "doc_id"));
	long long lid = strtoll(json_string_value(json_object_get(l, "letter")) ?: "0", NULL, 10);
	const char *code = s2low_answer_code(json_string_value(json_object_get(l, "code")), r->type_envoie);
	struct acte_answer_file f[REPONSE_FILES];
	int rc;

	if (!code)
		return lerr_set(e, LERR_CONFLICT, "form.id", "Un déféré au tribunal administratif ne se répond pas "
				"par @ctes");
	for (int i = 0; i < r->nfiles; i++)
		f[i] = (struct acte_answer_file){ r->names[i], r->files[i].data, r->files[i].len };
	if ((rc = acte_answer_check(code, f, r->nfiles, e)) || (rc = store_begin(c, e)))
		return rc;
	rc = store_letter_answer_begin(c, doc, rq->client.id, lid, code, http_actor(rq), e);
	for (int i = 0; !rc && i < r->nfiles; i++)
		rc = store_letter_answer_file(c, lid, r->names[i], "application/pdf", r->files[i].data,
					      r->files[i].len, e);
	if (!rc && !(rc = store_s2low_reponse_tx(c, rq->client.id, lid, tx, e)))
		rc = store_commit(c, e);
	if (rc)
		store_rollback(c);
	return rc;
}

static int
reponse(struct req *rq, struct store_conn *c, struct lerr *e)
{
	struct reponse *r = state(rq)->rep;
	long long id = strtoll(r->id, NULL, 10), tx = 0;
	char *json = NULL;
	json_t *l = NULL;
	int rc;

	if (reponse_refused(rq, r))
		return 0;
	rc = id > 0 ? store_s2low_prefdoc_letter(c, rq->client.id, id, &json, e) : LERR_NOTFOUND;
	if (rc == LERR_NOTFOUND) {
		lerr_clear(e);
		return sortir_atrc(rq, 200, "Erreur lors de l'enregistrement de la transaction :\n"
				   "la transaction n'existe pas");
	}
	if (!rc && !(l = json_loads(json, 0, NULL)))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "bad JSON");
	free(json);
	if (!rc && (rc = reponse_store(rq, c, r, l, &tx, e)) && rc != LERR_INTERNAL && rc != LERR_UNAVAILABLE) {
		rc = sortir_atrc(rq, 200, arena_printf(rq->arena, "Erreur lors de l'enregistrement de la transaction"
				 " :\n%s", refusal(rq, e)));
		lerr_clear(e);
	} else if (!rc && reponse_api(rq)) {
		const char *t = arena_printf(rq->arena, "OK : id généré : %lld\n", tx);

		rc = http_reply_text(rq, 200, "text/plain", t, strlen(t));
	} else if (!rc) {
		rc = return_and_exit(rq, 200, 0, arena_printf(rq->arena, "%lld\n", tx));
	}
	json_decref(l);
	return rc;
}

static int
reponse_end(struct req *rq)
{
	if (!rq->failed && s2low_unquote_end(&state(rq)->uq, reponse_post, rq) < 0)
		return 0;
	if (rq->failed)
		return 0;
	return http_with_conn(rq, reponse);
}

static void
reponse_done(struct req *rq)
{
	struct s2low_req *s = rq->compat;

	if (!s || !s->rep)
		return;
	if (s->rep->pp)
		MHD_destroy_post_processor(s->rep->pp);
	for (int i = 0; i < s->rep->nfiles; i++)
		buf_fini(&s->rep->files[i]);
}

/* ---- helios_transac_get_status.php ---- */

static int
helios_status(struct req *rq, struct store_conn *c, struct lerr *e)
{
	long long id = number_param(rq, "transaction");
	char kind[16], code[16];
	json_t *doc = NULL;
	int st, rc;

	if (!id)
		return helios_xml(rq, 200, "transaction", 0, "KO", "Pas de numéro de transaction.", "");
	if ((rc = load(rq, c, id, "pes", kind, &doc, e)) == LERR_NOTFOUND) {
		lerr_clear(e);
		return helios_xml(rq, 200, "transaction", id, "KO", "Numéro de transaction invalide", "");
	}
	if (rc)
		return rc;
	st = s2low_helios_status(json_string_value(json_object_get(doc, "state")));
	snprintf(code, sizeof(code), "%d", st);
	json_decref(doc);
	return helios_xml(rq, 200, "transaction", id, "OK", s2low_helios_words(st), code);
}

static int
helios_get_status(struct req *rq)
{
	return http_with_conn(rq, helios_status);
}

/* ---- actes_transac_cancel.php: a form of api=1 and id ---- */

static enum MHD_Result
form_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
	const char *ctype, const char *encoding, const char *data, uint64_t off, size_t size)
{
	struct req *rq = cls;
	struct s2low_req *s = state(rq);

	(void)kind, (void)filename, (void)ctype, (void)encoding;
	if (!key || off + size > FORM_VALUE_MAX)
		return MHD_YES;
	if (off == 0 && s->nfields < FORM_FIELDS) {
		s->keys[s->nfields] = arena_strdup(rq->arena, key);
		s->values[s->nfields++] = arena_strndup(rq->arena, data, size);
	} else if (s->nfields && !strcmp(s->keys[s->nfields - 1], key)) {
		s->values[s->nfields - 1] = arena_printf(rq->arena, "%s%.*s", s->values[s->nfields - 1],
							 (int)size, data);
	}
	return MHD_YES;
}

static const char *
form_value(struct req *rq, const char *key)
{
	struct s2low_req *s = state(rq);

	for (int i = 0; i < s->nfields; i++)
		if (!strcmp(s->keys[i], key))
			return s->values[i];
	return NULL;
}

static int
form_begin(struct req *rq)
{
	struct s2low_req *s = state(rq);

	s->kind = "acte";
	s->pp = MHD_create_post_processor(rq->conn, 16 * 1024, form_cb, rq);
	if (!s->pp) {
		lerr_set(&rq->err, LERR_MALFORMED, "Content-Type", "expected a form");
		return http_reply_problem(rq, &rq->err);
	}
	return 0;
}

static int
form_data(struct req *rq, const char *p, size_t n)
{
	if (MHD_post_process(state(rq)->pp, p, n) == MHD_YES)
		return 0;
	lerr_set(&rq->err, LERR_MALFORMED, NULL, "malformed form");
	return http_fail(rq, &rq->err);
}

static void
form_done(struct req *rq)
{
	struct s2low_req *s = rq->compat;

	if (s && s->pp)
		MHD_destroy_post_processor(s->pp);
}

/* Only an acknowledged act (4) is cancelled, by an annulation of its own. */
static int
cancel(struct req *rq, struct store_conn *c, struct lerr *e)
{
	const char *v = form_value(rq, "id");
	long long id = v ? strtoll(v, NULL, 10) : 0, ann = 0;
	char kind[16];
	json_t *doc = NULL;
	const char *st;
	int rc;

	if (!v || !*v)
		return return_and_exit(rq, 200, 1, "Pas d'identifiant de transaction à annuler spécifié.");
	if ((rc = load(rq, c, id, "acte", kind, &doc, e)) == LERR_NOTFOUND) {
		lerr_clear(e);
		return return_and_exit(rq, 200, 1, "Erreur d'initialisation de la transaction.");
	}
	if (rc)
		return rc;
	st = json_string_value(json_object_get(doc, "state"));
	if (!strcmp(kind, "annulation"))
		rc = return_and_exit(rq, 200, 1, "Ce type de transaction ne peut pas être annulé.");
	else if (!strcmp(st, "cancelling") || !strcmp(st, "cancelled"))
		rc = return_and_exit(rq, 200, 1, "Une demande d'annulation est déjà en cours pour cette transaction.");
	else if (strcmp(st, "acknowledged"))
		rc = return_and_exit(rq, 200, 1, "Impossible d'annuler une transaction qui n'est pas en état « Acquittement reçu ».");
	else if (!(rc = store_begin(c, e)) &&
		 !(rc = store_doc_event(c, json_string_value(json_object_get(doc, "id")), rq->client.id,
					"cancel", http_actor(rq), NULL, e)) &&
		 !(rc = store_s2low_tx_add(c, rq->client.id, json_string_value(json_object_get(doc, "id")),
					   "annulation", &ann, e)) && !(rc = store_commit(c, e)))
		rc = return_and_exit(rq, 200, 0, arena_printf(rq->arena, "%lld\n", ann));
	json_decref(doc);
	return rc;
}

static int
form_end(struct req *rq)
{
	return http_with_conn(rq, cancel);
}

/* ---- helios_get_list.php, helios_get_retour.php, helios_change_status.php ---- */

static int
retours(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char siren[10], *json = NULL, now[32];
	long long org_id;
	json_error_t jerr;
	json_t *j = NULL, *it;
	size_t i;
	time_t t = time(NULL);
	struct tm tm;
	int rc = organisation(rq, c, siren, &org_id, e);

	if (!rc)
		rc = store_org_returns_json(c, org_id, &json, e);
	if (rc)
		return rc;
	j = json_loads(json, 0, &jerr);
	free(json);
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S", &tm);
	char *x = arena_printf(rq->arena, "<?xml version=\"1.0\"?>\n<liste>\n  <idColl>%s</idColl>\n"
			       "  <resultat/>\n  <message>liste réussi</message>\n  <dateDemande>%s</dateDemande>\n",
			       siren, now);
	json_array_foreach(json_object_get(j, "items"), i, it)
		if (!strcmp(json_string_value(json_object_get(it, "kind")) ?: "", "PES_Retour"))
			x = arena_printf(rq->arena, "%s  <pes_retour>\n    <id>%s</id>\n    <nom>%s</nom>\n"
					 "    <date>%.10s</date>\n  </pes_retour>\n", x,
					 json_string_value(json_object_get(it, "id")),
					 s2low_xml_escape(rq->arena, json_string_value(json_object_get(it, "name")) ?: ""),
					 json_string_value(json_object_get(it, "received_at")) ?: "");
	json_decref(j);
	x = arena_printf(rq->arena, "%s</liste>\n", x);
	return http_reply_text(rq, 200, "text/xml", x, strlen(x));
}

static int
helios_get_list(struct req *rq)
{
	return http_with_conn(rq, retours);
}

static int
retour(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char siren[10];
	long long org_id;
	struct doc_file f;
	const char *id = http_query(rq, "id");
	int rc = organisation(rq, c, siren, &org_id, e);

	if (!rc && (!id || !*id || strspn(id, "0123456789") != strlen(id)))
		rc = lerr_set(e, LERR_NOTFOUND, "form.id", "retour id n'est pas correcte");
	if (!rc && (rc = store_org_return_file(c, org_id, id, &f, e)) == LERR_NOTFOUND)
		lerr_set(e, LERR_NOTFOUND, "form.id", "retour id n'est pas correcte");
	return rc ? rc : http_serve_file(rq, &f);
}

static int
helios_get_retour(struct req *rq)
{
	return http_with_conn(rq, retour);
}

/* liasse keeps no "read" mark on a PES_Retour: every one stays listed; an
 * unknown id is refused as S2LOW refuses it. */
static int
change_status(struct req *rq, struct store_conn *c, struct lerr *e)
{
	const char *id = http_query(rq, "id");
	char siren[10];
	long long org_id;
	struct doc_file f;
	int rc = organisation(rq, c, siren, &org_id, e);
	const char *ok[] = { "idRetour", id, "resultat", "OK", "message", "reussi de changer status", NULL };
	const char *ko[] = { "idRetour", id ? id : "", "resultat", "KO", "message",
			     id && *id ? "Changement de status est echoué." : "retour id est vide ou incorrecte.", NULL };

	if (rc)
		return rc;
	if (!id || !*id || strspn(id, "0123456789") != strlen(id) ||
	    (rc = store_org_return_file(c, org_id, id, &f, e)) == LERR_NOTFOUND) {
		lerr_clear(e);
		return dom_xml(rq, 200, "transaction", ko, 0);
	}
	return rc ? rc : dom_xml(rq, 200, "transaction", ok, 0);
}

static int
helios_change_status(struct req *rq)
{
	return http_with_conn(rq, change_status);
}

/* ---- the handlers ---- */

const struct http_handler http_h_s2low_test = { .handle = test_connexion, .problem = ko_latin1 };
const struct http_handler http_h_s2low_classification = { .handle = classification_fetch,
							   .problem = ko_latin1 };
const struct http_handler http_h_s2low_acte_create = {
	.begin = acte_begin, .data = acte_data, .end = acte_end,
	.done = http_upload_done, .problem = ko_latin1,
};
const struct http_handler http_h_s2low_acte_status = { .handle = actes_get_status, .problem = ko_utf8 };
const struct http_handler http_h_s2low_acte_aracte = { .handle = actes_get_aracte, .problem = ko_latin1 };
const struct http_handler http_h_s2low_acte_files = { .handle = actes_files_list, .problem = ko_utf8 };
const struct http_handler http_h_s2low_acte_file = { .handle = actes_download_file, .problem = to_home };
const struct http_handler http_h_s2low_prefdocs = { .handle = list_document_prefecture, .problem = ko_utf8 };
const struct http_handler http_h_s2low_prefdoc_read = { .handle = document_prefecture_mark_as_read,
							 .problem = ko_utf8 };
const struct http_handler http_h_s2low_get_document = { .handle = actes_get_document, .problem = ko_latin1 };
const struct http_handler http_h_s2low_reponse = {
	.begin = reponse_begin, .data = reponse_data, .end = reponse_end, .done = reponse_done,
	.problem = reponse_ko,
};
const struct http_handler http_h_s2low_acte_cancel = {
	.begin = form_begin, .data = form_data, .end = form_end, .done = form_done, .problem = ko_latin1,
};
const struct http_handler http_h_s2low_pes_import = {
	.begin = pes_begin, .data = http_upload_data, .end = http_upload_end,
	.done = http_upload_done, .problem = import_ko,
};
const struct http_handler http_h_s2low_pes_status = { .handle = helios_get_status,
						       .problem = helios_status_ko };
const struct http_handler http_h_s2low_pes_acquit = { .handle = helios_download_acquit,
						       .problem = to_index };
const struct http_handler http_h_s2low_retour_list = { .handle = helios_get_list, .problem = list_ko };
const struct http_handler http_h_s2low_retour_get = { .handle = helios_get_retour, .problem = retour_ko };
const struct http_handler http_h_s2low_retour_read = { .handle = helios_change_status,
							.problem = retour_ko };

const struct http_route http_compat_routes[] = {
	{ "GET", "/api/test-connexion.php", HTTP_AUTH_CLIENT, &http_h_s2low_test },
	{ "GET", "/modules/actes/actes_classification_fetch.php", HTTP_AUTH_CLIENT, &http_h_s2low_classification },
	{ "POST", "/modules/actes/actes_transac_create.php", HTTP_AUTH_CLIENT, &http_h_s2low_acte_create },
	{ "GET", "/modules/actes/actes_transac_get_status.php", HTTP_AUTH_CLIENT, &http_h_s2low_acte_status },
	{ "GET", "/modules/actes/actes_transac_get_ARActe.php", HTTP_AUTH_CLIENT, &http_h_s2low_acte_aracte },
	{ "POST", "/modules/actes/actes_transac_cancel.php", HTTP_AUTH_CLIENT, &http_h_s2low_acte_cancel },
	{ "GET", "/modules/actes/actes_transac_get_files_list.php", HTTP_AUTH_CLIENT, &http_h_s2low_acte_files },
	{ "GET", "/modules/actes/actes_download_file.php", HTTP_AUTH_CLIENT, &http_h_s2low_acte_file },
	{ "GET", "/modules/actes/api/list_document_prefecture.php", HTTP_AUTH_CLIENT, &http_h_s2low_prefdocs },
	{ "GET", "/modules/actes/api/document_prefecture_mark_as_read.php", HTTP_AUTH_CLIENT,
	  &http_h_s2low_prefdoc_read },
	{ "GET", "/modules/actes/actes_transac_get_document.php", HTTP_AUTH_CLIENT, &http_h_s2low_get_document },
	{ "POST", "/modules/actes/actes_transac_reponse_create.php", HTTP_AUTH_CLIENT, &http_h_s2low_reponse },
	{ "POST", "/modules/helios/api/helios_importer_fichier.php", HTTP_AUTH_CLIENT, &http_h_s2low_pes_import },
	{ "GET", "/modules/helios/api/helios_transac_get_status.php", HTTP_AUTH_CLIENT, &http_h_s2low_pes_status },
	{ "GET", "/modules/helios/helios_download_acquit.php", HTTP_AUTH_CLIENT, &http_h_s2low_pes_acquit },
	{ "GET", "/modules/helios/api/helios_get_list.php", HTTP_AUTH_CLIENT, &http_h_s2low_retour_list },
	{ "GET", "/modules/helios/api/helios_get_retour.php", HTTP_AUTH_CLIENT, &http_h_s2low_retour_get },
	{ "GET", "/modules/helios/api/helios_change_status.php", HTTP_AUTH_CLIENT, &http_h_s2low_retour_read },
};
const size_t http_ncompat_routes = sizeof(http_compat_routes) / sizeof(http_compat_routes[0]);
