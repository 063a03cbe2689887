/*
 * upload.c - POST /api/v1/documents, streamed.
 *
 * The multipart body goes through libmicrohttpd's post processor part by
 * part.  The metadata part (first) is parsed and checked, and a transaction
 * is opened; each file part is then written to a chunked blob while the
 * kind's validator reads the same bytes (PES: a SAX push parser; acte and
 * document: the first bytes).  Nothing is committed before the last byte has
 * been checked, so a refusal or a client that goes away leaves nothing.
 */
#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "flow/acte.h"
#include "flow/door.h"
#include "flow/meta.h"
#include "flow/pes_xsd.h"

#define MAX_ANNEXES 100
#define MAX_FILES (1 + 2 * MAX_ANNEXES)  /* the main file, the annexes and their signatures */
#define HEAD_SIZE 4096                /* bytes kept for sniffing */
#define META_MAX (64 * 1024)

#define INLINE_MAX (1024 * 1024)     /* small files sent with their document, in all */

struct part {
	const char *role, *name, *media_type;
	long long blob_id;                /* 0: inline (data, size) */
	uint8_t sha[SHA256_LEN];
	int64_t size;
	const void *data;
};

struct upload {
	struct MHD_PostProcessor *pp;
	struct store_conn *c;
	/* metadata */
	struct buf meta;
	json_t *meta_json;
	const char *kind, *org;
	int want_sign, want_transmit;
	struct door door;                 /* the kind's checks (flow/door.h) */
	int owner_done;                   /* door_owner passed while the file streamed in */
	const struct http_ingest *in;     /* a drop-in protocol's form (NULL: the API's) */
	/* the part being read */
	enum { P_NONE, P_META, P_FILE, P_FIELD, P_SKIP } cur;
	const char *cur_key;
	uint64_t cur_bytes;
	struct store_blob_writer w;
	int writing;
	char head[HEAD_SIZE];
	size_t headlen;
	/* parts done */
	struct part files[MAX_FILES];
	int nfiles;
	int64_t total;
	size_t inline_total;
};

static int
fail(struct req *rq, enum lerr_kind kind, const char *field, const char *msg, const char *hint)
{
	struct lerr e;

	lerr_set(&e, kind, field, "%s", msg);
	if (hint)
		lerr_hint(&e, "%s", hint);
	return http_fail(rq, &e);
}

/* ---- metadata ---- */

static const char *const top_keys[] = {
	"kind", "organisation", "title", "signer", "sign", "transmit", "due_date", "external_ref",
	"circuit",
	"signature_profile", "signature_position",
};

/* The keys above and each kind's own object ("acte"...), NULL-ended. */
static const char **
metadata_keys(struct req *rq)
{
	size_t n = sizeof(top_keys) / sizeof(top_keys[0]), o = 0;
	const char **keys = arena_alloc(rq->arena, sizeof(*keys) * (n + 64 + 1));
	const struct doc_kind *k;

	for (; o < n; o++)
		keys[o] = top_keys[o];
	for (size_t i = 0; (k = doc_kind_at(i)) && o < n + 64; i++)
		if (k->meta_key)
			keys[o++] = k->meta_key;
	keys[o] = NULL;
	return keys;
}

/* A circuit (doc/circuits.md) leads to a signature: it replaces the signer
 * and implies "sign" (an act, transmitted only by default, is then signed
 * too); "sign": false with a circuit is a contradiction. */
static int
check_circuit(json_t *m, int *want_sign, struct lerr *e)
{
	if (!json_object_get(m, "circuit"))
		return 0;
	if (json_object_get(m, "signer")) {
		lerr_set(e, LERR_INVALID, "metadata.circuit", "give a circuit or a signer, not both");
		lerr_hint(e, "the circuit names who acts at each step; leave signer out");
		return LERR_INVALID;
	}
	if (json_is_false(json_object_get(m, "sign"))) {
		lerr_set(e, LERR_INVALID, "metadata.circuit", "a circuit leads to a signature, and this "
			 "document is not to be signed (\"sign\": false)");
		lerr_hint(e, "leave \"sign\" out or set it to true, or leave circuit out");
		return LERR_INVALID;
	}
	*want_sign = 1;
	return 0;
}

static int
check_metadata(struct req *rq, struct upload *u, json_t *m, struct lerr *e)
{
	const char *s;
	struct meta_date due;
	int rc;

	if (!json_is_object(m)) {
		lerr_set(e, LERR_INVALID, "metadata", "metadata must be a JSON object");
		lerr_hint(e, "send {\"kind\": ..., \"organisation\": ..., \"title\": ...}");
		return LERR_INVALID;
	}
	if ((rc = meta_check_object(m, metadata_keys(rq), "metadata", e)))
		return rc;
	if ((rc = meta_get_string(m, "kind", "metadata", META_REQUIRED, 1, 16, &u->kind, e)) ||
	    (!u->door.kind && (rc = door_init(&u->door, u->kind, e))))   /* a protocol's: at its first file */
		return rc;
	if ((rc = meta_get_string(m, "organisation", "metadata", META_REQUIRED, 9, 9, &u->org, e)) ||
	    (rc = meta_get_string(m, "title", "metadata", META_REQUIRED, 1, 300, &s, e)) ||
	    (rc = meta_get_string(m, "signer", "metadata", 0, 1, 200, &s, e)) ||
	    (rc = meta_get_string(m, "external_ref", "metadata", 0, 1, 200, &s, e)) ||
	    (rc = meta_get_string(m, "circuit", "metadata", 0, 1, 200, &s, e)) ||
	    (rc = meta_get_date(m, "due_date", "metadata", 0, &due, e)) ||
	    (rc = meta_get_string(m, "circuit", "metadata", 0, 1, 64, &s, e)) ||
	    (rc = door_meta(&u->door, m, &u->want_sign, &u->want_transmit, e)))
		return rc;
	return check_circuit(m, &u->want_sign, e);
}

/* A file larger than one chunk needs the database before its end: a
 * connection, a transaction, and the organisation checked now rather than
 * after the whole upload. */
static int
need_conn(void *arg, struct store_conn **c, struct lerr *e)
{
	struct req *rq = arg;
	struct upload *u = rq->state;
	long long org_id;
	int rc;

	if (!u->c && (rc = store_acquire(http_store(rq), &u->c, e)))
		return rc;
	if (!store_in_txn(u->c) && ((rc = store_begin(u->c, e)) ||
			       (rc = store_client_org(u->c, rq->client.id, u->org, &org_id, e))))
		return rc;
	*c = u->c;
	return 0;
}

static int
meta_end(struct req *rq, struct upload *u)
{
	json_error_t jerr;
	struct lerr e;

	u->meta_json = json_loadb(u->meta.data, u->meta.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!u->meta_json) {
		lerr_set(&e, LERR_MALFORMED, "metadata", "the metadata part is not valid JSON");
		lerr_detail(&e, "%s at line %d, column %d", jerr.text, jerr.line, jerr.column);
		lerr_hint(&e, "send one JSON object, UTF-8 encoded");
		return http_fail(rq, &e);
	}
	lerr_clear(&e);
	if (check_metadata(rq, u, u->meta_json, &e))
		return http_fail(rq, &e);
	return 0;
}

/* A drop-in protocol's form names its fields as it likes and in any order
 * (S2LOW's classif1..5 come after the files): its kind's door is opened at
 * the first file, with the organisation (which a large file's transaction
 * needs at once), and the metadata made from all its fields at the end. */
static int
ingest_door(struct req *rq, struct upload *u)
{
	struct lerr e;

	lerr_clear(&e);
	if (u->in->prepare(rq, &u->org, &e) || door_init(&u->door, u->in->kind, &e))
		return http_fail(rq, &e);
	u->kind = u->in->kind;
	return 0;
}

static int
ingest_meta(struct req *rq, struct upload *u)
{
	struct lerr e;

	lerr_clear(&e);
	if ((!u->door.kind && ingest_door(rq, u)) || rq->failed)
		return -1;
	if (!(u->meta_json = u->in->metadata(rq, &e)) || check_metadata(rq, u, u->meta_json, &e))
		return http_fail(rq, &e);
	return 0;
}

/* ---- files ---- */

static int check_owner(struct req *rq, struct upload *u, struct lerr *e);

/* The annexes among the files (not their signatures). */
static size_t
annexes_of(const struct upload *u)
{
	size_t n = 0;

	for (int i = 0; i < u->nfiles; i++)
		n += !strcmp(u->files[i].role, "annexe");
	return n;
}

static int
file_begin(struct req *rq, struct upload *u, const char *key, const char *filename,
	   const char *ctype)
{
	int64_t limit;
	struct lerr e;
	int main_file = !strcmp(key, "file"), sig = !strcmp(key, "annexe_signature");

	if (!u->meta_json && !u->in)
		return fail(rq, LERR_MALFORMED, "metadata", "the metadata part must come first",
			    "send the \"metadata\" part before the file parts");
	if (sig && (strcmp(u->door.kind->name, "acte") || u->nfiles < 2 ||
		    strcmp(u->files[u->nfiles - 1].role, "annexe")))
		return fail(rq, LERR_INVALID, "annexe_signature", "an annexe's signature must follow its annexe",
			    "send the detached PKCS#7 signature of an act's annexe as an \"annexe_signature\" part "
			    "right after that \"annexe\" part (doc/actes-message.md)");
	if (main_file && u->nfiles > 0)
		return fail(rq, LERR_INVALID, "file", "more than one main file",
			    "send exactly one \"file\" part; extra files are \"annexe\" parts");
	if (!main_file && u->nfiles == 0)
		return fail(rq, LERR_MALFORMED, "annexe", "annexes must come after the main file", NULL);
	if (!sig && door_file_begin(&u->door, main_file, &e))
		return http_fail(rq, &e);
	if (u->nfiles == MAX_FILES || (!main_file && !sig && annexes_of(u) == MAX_ANNEXES))
		return fail(rq, LERR_INVALID, "annexe", "too many annexes", "send at most 100 annexes");
	if (!filename || !filename_safe(filename)) {
		lerr_set(&e, LERR_INVALID, key, "unsafe or missing file name");
		lerr_detail(&e, "a file name must be valid UTF-8, 1 to 255 bytes, without '/', '\\', "
			    "control characters, and not \".\" or \"..\"");
		lerr_hint(&e, "send the part with filename=\"name.ext\"");
		return http_fail(rq, &e);
	}
	limit = door_file_limit(&u->door, u->total);
	if (store_blob_begin(&u->w, limit, need_conn, rq, &e))
		return http_fail(rq, &e);
	u->writing = 1;
	u->headlen = 0;
	u->files[u->nfiles].role = main_file ? "main" : sig ? "annexe_signature" : "annexe";
	u->files[u->nfiles].name = arena_strdup(rq->arena, filename);
	u->files[u->nfiles].media_type = ctype ? arena_strdup(rq->arena, ctype) : NULL;
	return 0;
}

static int
file_data(struct req *rq, struct upload *u, const char *p, size_t n)
{
	struct lerr e;

	if (u->headlen < HEAD_SIZE) {
		size_t take = HEAD_SIZE - u->headlen < n ? HEAD_SIZE - u->headlen : n;

		memcpy(u->head + u->headlen, p, take);
		u->headlen += take;
	}
	if (door_file_feed(&u->door, p, n, &e))
		return http_fail(rq, &e);
	if (store_blob_write(&u->w, p, n, &e)) {
		if (e.kind == LERR_TOOLARGE) {
			snprintf(e.field, sizeof(e.field), "%s", u->cur_key);
			lerr_hint(&e, "%s", u->door.kind->too_large_hint);
		}
		return http_fail(rq, &e);
	}
	/* A file past one chunk holds a connection already (need_conn): once
	 * its header is read, a PES for another organisation is refused now,
	 * not after the whole body arrived. */
	if (!u->owner_done && u->c && door_owner_ready(&u->door)) {
		lerr_clear(&e);
		if (check_owner(rq, u, &e))
			return http_fail(rq, &e);
		u->owner_done = 1;
	}
	return 0;
}

static int
file_end(struct req *rq, struct upload *u)
{
	struct part *f = &u->files[u->nfiles];
	struct lerr e;

	u->writing = 0;
	if (u->cur_bytes == 0) {
		store_blob_abort(&u->w);
		return fail(rq, LERR_INVALID, u->cur_key, "empty file", "send the file's content");
	}
	if (door_file_end(&u->door, f->role, u->head, u->headlen, &f->media_type, &e)) {
		store_blob_abort(&u->w);
		if (!e.field[0])
			snprintf(e.field, sizeof(e.field), "%s", u->cur_key);
		return http_fail(rq, &e);
	}
	if (store_blob_end(&u->w, u->inline_total + u->w.fill <= INLINE_MAX, &f->blob_id, f->sha,
			   &f->size, &e)) {
		store_blob_abort(&u->w);
		return http_fail(rq, &e);
	}
	if (f->blob_id == 0) {   /* small: kept to go with the document */
		f->data = memcpy(arena_alloc(rq->arena, u->w.fill + 1), u->w.chunk, u->w.fill);
		u->inline_total += u->w.fill;
	}
	store_blob_abort(&u->w);
	u->total += f->size;
	u->nfiles++;
	return 0;
}

/* ---- parts ---- */

static int
part_end(struct req *rq, struct upload *u)
{
	int rc = 0;

	if (u->cur == P_META)
		rc = meta_end(rq, u);
	else if (u->cur == P_FILE)
		rc = file_end(rq, u);
	u->cur = P_NONE;
	return rc;
}

/* A part of a drop-in protocol's form: a field, a file in the role the
 * protocol gives it, or a part it ignores. */
static int
ingest_part_begin(struct req *rq, struct upload *u, const char *key, const char *filename,
		  const char *ctype)
{
	const char *role = filename ? u->in->file_role(rq, key, filename) : NULL;

	if (!filename) {
		u->cur = P_FIELD;
		return 0;
	}
	if (!role || !*role) {
		u->cur = P_SKIP;
		return 0;
	}
	if (!u->door.kind && ingest_door(rq, u))
		return -1;
	u->cur = P_FILE;
	return file_begin(rq, u, role, filename, ctype);
}

static int
part_begin(struct req *rq, struct upload *u, const char *key, const char *filename,
	   const char *ctype)
{
	u->cur_key = arena_strdup(rq->arena, key);
	u->cur_bytes = 0;
	if (u->in)
		return ingest_part_begin(rq, u, key, filename, ctype);
	if (!strcmp(key, "metadata")) {
		if (u->meta_json || u->nfiles)
			return fail(rq, LERR_MALFORMED, "metadata", "the metadata part must come first, once", NULL);
		u->cur = P_META;
		return 0;
	}
	if (!strcmp(key, "file") || !strcmp(key, "annexe") || !strcmp(key, "annexe_signature")) {
		u->cur = P_FILE;
		return file_begin(rq, u, key, filename, ctype);
	}
	struct lerr e;
	lerr_set(&e, LERR_MALFORMED, key, "unexpected part \"%s\"", key);
	lerr_hint(&e, "the parts are \"metadata\", \"file\", \"annexe\" and, for an act, \"annexe_signature\"");
	return http_fail(rq, &e);
}

static enum MHD_Result
part_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
	const char *ctype, const char *encoding, const char *data, uint64_t off, size_t size)
{
	struct req *rq = cls;
	struct upload *u = rq->state;

	if (rq->failed)
		return MHD_NO;
	if (off == 0 && (u->cur == P_NONE || u->cur_bytes > 0 || strcmp(key, u->cur_key))) {
		if ((u->cur != P_NONE && part_end(rq, u)) ||
		    part_begin(rq, u, key ? key : "", filename, ctype))
			return MHD_NO;
	}
	u->cur_bytes += size;
	if (u->cur == P_FIELD && u->in->field(rq, u->cur_key, data, size, off == 0))
		return MHD_NO;
	if (u->cur == P_META && buf_add(&u->meta, data, size))
		return fail(rq, LERR_TOOLARGE, "metadata", "the metadata part is larger than 64 KiB",
			    "keep the metadata short; files go in their own parts"),
		       MHD_NO;
	if (u->cur == P_FILE && size && file_data(rq, u, data, size))
		return MHD_NO;
	return MHD_YES;
}

/* ---- the request ---- */

/* 1 to 200 printable ASCII characters. */
static int
idempotency_key_valid(const char *k)
{
	size_t n = strlen(k);

	for (size_t i = 0; i < n; i++)
		if (k[i] < 0x20 || k[i] > 0x7e)
			return 0;
	return n >= 1 && n <= 200;
}

static int
upload_begin(struct req *rq)
{
	return http_upload_begin(rq, NULL);
}

int
http_upload_begin(struct req *rq, const struct http_ingest *in)
{
	struct upload *u = arena_zalloc(rq->arena, sizeof(*u));
	const char *key = in ? NULL : http_header(rq, "Idempotency-Key");

	rq->state = u;
	u->in = in;
	buf_init(&u->meta, META_MAX);
	if (key && !idempotency_key_valid(key)) {
		lerr_set(&rq->err, LERR_MALFORMED, "Idempotency-Key", "invalid Idempotency-Key");
		lerr_hint(&rq->err, "use 1 to 200 printable characters, e.g. a UUID");
		return http_reply_problem(rq, &rq->err);
	}
	u->pp = http_multipart_open(rq, part_cb, "post a \"metadata\" JSON part and a \"file\" part, e.g. curl -F");
	return 0;
}

int
http_upload_data(struct req *rq, const char *p, size_t n)
{
	struct upload *u = rq->state;

	return http_multipart_feed(rq, u->pp, p, n);
}

/* SHA-256 over what the request means, not its bytes: the canonical metadata
 * and, for each file, its role, name and digest.  Two posts of the same
 * document with different multipart boundaries hash the same. */
static void
request_digest(struct upload *u, uint8_t out[SHA256_LEN])
{
	char *meta = json_dumps(u->meta_json, JSON_COMPACT | JSON_SORT_KEYS);
	struct sha256 h;

	if (!meta || sha256_init(&h))
		abort();
	sha256_update(&h, meta, strlen(meta) + 1);
	free(meta);
	for (int i = 0; i < u->nfiles; i++) {
		sha256_update(&h, u->files[i].role, strlen(u->files[i].role) + 1);
		sha256_update(&h, u->files[i].name, strlen(u->files[i].name) + 1);
		sha256_update(&h, u->files[i].sha, SHA256_LEN);
	}
	sha256_final(&h, out);
}

static int
reply_document(struct req *rq, const char *id, char *json, unsigned status)
{
	struct MHD_Response *resp;

	if (rq->capture) {          /* http_ingest_parts(): the caller answers */
		rq->capture->status = status;
		snprintf(rq->capture->id, sizeof(rq->capture->id), "%s", id);
		rq->capture->body = json;
		return 0;
	}
	resp = MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE);

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
				arena_printf(rq->arena, "/api/v1/documents/%s", id));
	return http_reply_response(rq, status, resp);
}

/* No official could be found to sign the document (why: see route_signer()
 * in 004_people.sql). */
static void
unroutable(struct lerr *e, const struct upload *u, const char *why)
{
	const char *hint = json_string_value(json_object_get(u->meta_json, "signer"));

	if (why && !strcmp(why, "ambiguous")) {
		lerr_set(e, LERR_INVALID, "metadata.signer",
			 "several signers of organisation %s hold the office \"%s\"", u->org, hint);
		lerr_hint(e, "name the official by e-mail address");
	} else if (why && !strcmp(why, "unknown")) {
		lerr_set(e, LERR_INVALID, "metadata.signer",
			 "\"%s\" is neither the e-mail address nor the office of a signer of organisation %s",
			 hint, u->org);
		lerr_hint(e, "name a signer's e-mail address or office (maire, president, ordonnateur...), "
			  "or leave signer out to use the organisation's routing rules");
	} else {
		lerr_set(e, LERR_INVALID, "metadata.signer",
			 "organisation %s has no routing rule for %s documents and no signer was named",
			 u->org, u->kind);
		lerr_hint(e, "name the signer (e-mail address or office) in metadata.signer, or ask the "
			  "operator to add a routing rule for this organisation");
	}
}

/* The circuit the vendor named is not one of the organisation's, or nobody
 * holds its first step's office now. */
static void
unknown_circuit(struct lerr *e, const struct upload *u, json_t *j)
{
	const char *name = json_string_value(json_object_get(u->meta_json, "circuit"));
	json_t *known = json_object_get(j, "known"), *k;
	char names[1024] = "";
	const char *why = json_string_value(json_object_get(j, "circuit"));
	size_t i, n = 0;

	if (why && !strcmp(why, "circuit_unresolved")) {
		lerr_set(e, LERR_INVALID, "metadata.circuit",
			 "nobody holds the office of the first step of circuit \"%s\" now", name);
		lerr_hint(e, "ask the organisation's administrator to give that office to one signer");
		return;
	}
	json_array_foreach(known, i, k)
		if (n < sizeof(names))
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s\"%s\"", i ? ", " : "",
					      json_string_value(k));
	lerr_set(e, LERR_INVALID, "metadata.circuit", "organisation %s has no circuit named \"%s\"",
		 u->org, name);
	if (i)
		lerr_hint(e, "its circuits are %s; or leave circuit out to use the routing rules", names);
	else
		lerr_hint(e, "it has no circuit: leave circuit out to use the routing rules");
}

/* What store_doc_create() answered, as an HTTP answer. */
static int
reply_created(struct req *rq, struct upload *u, int status, const char *id, char *body)
{
	json_error_t jerr;
	json_t *j = status == 409 || status == 422 ? json_loads(body, 0, &jerr) : NULL;
	const char *other = json_string_value(json_object_get(j, "doc"));
	struct lerr e;

	lerr_clear(&e);
	if (status == 403) {
		lerr_set(&e, LERR_FORBIDDEN, "metadata.organisation",
			 "organisation %s is not one of this client's organisations", u->org);
		lerr_hint(&e, "use the SIREN of an organisation your API key was issued for");
	} else if (status == 409 && json_object_get(j, "duplicate")) {
		/* document_create() refuses what @ctes would refuse as a duplicate. */
		const char *dup = json_string_value(json_object_get(j, "duplicate"));

		lerr_set(&e, LERR_CONFLICT, ACTE_PATH ".numero_interne",
			 "organisation %s already has an act numbered \"%s\" decided on %s", u->org,
			 json_string_value(json_object_get(u->door.meta, "numero_interne")),
			 json_string_value(json_object_get(u->door.meta, "date_decision")));
		lerr_detail(&e, "document %s carries the same numero_interne and date_decision; @ctes "
			    "refuses a second act with the same number and decision date", dup ? dup : "?");
		lerr_hint(&e, "give the act its own number, or cancel the earlier document first");
	} else if (status == 409) {
		lerr_set(&e, LERR_CONFLICT, "Idempotency-Key", "this Idempotency-Key was used for another request");
		lerr_detail(&e, "it created document %s with different metadata or files", other ? other : "?");
		lerr_hint(&e, "use a new key for a new document");
	} else if (status == 422 && json_object_get(j, "circuit")) {
		unknown_circuit(&e, u, j);
	} else if (status == 422 && json_object_get(j, "signer")) {
		unroutable(&e, u, json_string_value(json_object_get(j, "signer")));
	} else if (status == 422) {
		const struct pes_info *pi = pes_scan_info(u->door.ps);

		lerr_set(&e, LERR_INVALID, "file", "NomFic \"%s\" was already sent for IdColl %s and CodCol %s",
			 pi->nomfic, pi->idcoll, pi->codcol);
		if (other)
			lerr_detail(&e, "document %s carries the same Enveloppe/Parametres/NomFic", other);
		else
			lerr_detail(&e, "a document of another organisation with the same IdColl and CodCol "
				    "carries the same Enveloppe/Parametres/NomFic (Hélios keeps NomFic unique "
				    "per IdColl and CodCol)");
		lerr_hint(&e, "give each PES file its own NomFic, or cancel the earlier document");
	}
	json_decref(j);
	if (e.kind || u->in)
		free(body);
	if (e.kind)
		return http_reply_problem(rq, &e);
	if (u->in)
		return u->in->reply(rq, status, id);
	return reply_document(rq, id, body, (unsigned)status);
}

static void
describe(struct req *rq, struct upload *u, struct doc_file_in *files, const char *key,
	 const uint8_t *digest, struct doc_create *d)
{
	json_t *m = u->meta_json;

	for (int i = 0; i < u->nfiles; i++) {
		struct part *f = &u->files[i];

		files[i] = (struct doc_file_in){
			.role = f->role, .name = f->name, .media_type = f->media_type, .size = f->size,
			.blob_id = f->blob_id, .data = f->data, .len = f->blob_id ? 0 : (size_t)f->size,
		};
		memcpy(files[i].sha256, f->sha, SHA256_LEN);
	}
	*d = (struct doc_create){
		.client_id = rq->client.id, .siren = u->org, .kind = u->kind,
		.title = json_string_value(json_object_get(m, "title")),
		.signer = json_string_value(json_object_get(m, "signer")),
		.circuit = json_string_value(json_object_get(m, "circuit")),
		.due_date = json_string_value(json_object_get(m, "due_date")),
		.external_ref = json_string_value(json_object_get(m, "external_ref")),
		.want_sign = u->want_sign, .want_transmit = u->want_transmit,
		.files = files, .nfiles = u->nfiles, .idem_key = key, .idem_sha256 = digest,
		.actor = arena_printf(rq->arena, "client:%s", rq->client.name),
		.job = u->door.ps && pes_xsd_loaded() ? PES_XSD_JOB : NULL,
	};
}

static int
check_complete(struct req *rq, struct upload *u)
{
	if (!u->meta_json)
		return fail(rq, LERR_MALFORMED, "metadata", "missing \"metadata\" part",
			    "send a \"metadata\" JSON part, then the \"file\" part");
	if (u->nfiles == 0)
		return fail(rq, LERR_INVALID, "file", "missing \"file\" part",
			    "send the document as a \"file\" part");
	if (door_complete(&u->door, annexes_of(u), &rq->err))
		return http_fail(rq, &rq->err);
	return 0;
}

/* The file belongs to the organisation it is posted for (a PES's Hélios
 * identifiers): looked up only for the kinds that compare. */
static int
check_owner(struct req *rq, struct upload *u, struct lerr *e)
{
	struct org o;
	int rc;

	if (!door_wants_owner(&u->door) || u->owner_done)
		return 0;
	if (!u->c && (rc = store_acquire(http_store(rq), &u->c, e)))
		return rc;
	if ((rc = store_client_org_get(u->c, rq->client.id, u->org, &o, e)))
		return rc;
	struct door_owner ow = { .siren = o.siren, .idcoll = o.idcoll, .codcol = o.codcol,
				 .idpost = o.idpost, .codbuds = o.codbuds };
	return door_owner(&u->door, &ow, e);
}

/* The main file's bytes, for the verifier: inline, or read back from the
 * blob streamed in this transaction; NULL (and *cannot) past
 * verify_max_size, the bound of every verification in memory. */
static int
main_bytes(struct req *rq, struct upload *u, struct buf *b, const char **cannot, struct lerr *e)
{
	const struct part *f = &u->files[0];
	struct store_blob_reader r;
	char tmp[65536];
	int n, rc;

	if (f->size > config_int("verify_max_size")) {
		*cannot = arena_printf(rq->arena, "the file (%lld bytes) is over verify_max_size "
				       "(%lld bytes)", (long long)f->size, config_int("verify_max_size"));
		return 0;
	}
	if (!f->blob_id)
		return buf_add(b, f->data, (size_t)f->size) ?
			lerr_set(e, LERR_INTERNAL, NULL, "out of memory") : 0;
	if ((rc = store_blob_reader_init(&r, u->c, f->blob_id,
					  (int)((f->size + STORE_CHUNK_SIZE - 1) / STORE_CHUNK_SIZE), e)))
		return rc;
	while ((n = store_blob_read(&r, tmp, (int)sizeof(tmp))) > 0 && !buf_add(b, tmp, (size_t)n))
		;
	if (r.failed)
		*e = r.err, rc = (int)e->kind;
	else if (n > 0)
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	store_blob_reader_fini(&r);
	return rc;
}

/* A PES's existing signatures: verified, and its state decides
 * (flow/pes_signed.c). */
static int
check_signatures(struct req *rq, struct upload *u, struct lerr *e)
{
	const char *cannot = NULL;
	struct buf b;
	int rc;

	if (!door_wants_signatures(&u->door))
		return 0;
	buf_init(&b, (size_t)config_int("verify_max_size"));
	if (!(rc = pes_scan_info(u->door.ps)->n_signatures ? main_bytes(rq, u, &b, &cannot, e) : 0))
		rc = door_pes_signatures(&u->door, cannot ? NULL : b.data, b.len, cannot,
					 &u->want_sign, &u->want_transmit, e);
	buf_fini(&b);
	return rc;
}

/* An acte to sign without signature_profile takes its organisation's
 * (PAdES when set so), a PAdES block without place the organisation's. */
static int
org_signature(struct req *rq, struct upload *u, struct lerr *e)
{
	struct org o;
	int rc;

	if (!u->want_sign || !door_wants_org_signature(&u->door))
		return 0;
	if (!u->c && (rc = store_acquire(http_store(rq), &u->c, e)))
		return rc;
	if ((rc = store_client_org_get(u->c, rq->client.id, u->org, &o, e)))
		return rc;
	return door_org_signature(&u->door, o.acte_signature, o.pades_page, o.pades_x, o.pades_y, e);
}

/* One statement creates the document (with its small files); large files
 * were streamed in the transaction need_conn opened, which commits with it. */
static int
create(struct req *rq, struct upload *u, const char *key, const uint8_t *digest, int *status,
       char *id, char **body, struct lerr *e)
{
	struct doc_file_in *files = arena_alloc(rq->arena, sizeof(*files) * (size_t)u->nfiles);
	char *json = NULL, *warn = NULL;
	json_t *meta;
	struct doc_create d;
	int rc;

	describe(rq, u, files, key, digest, &d);
	meta = door_meta_json(&u->door);
	d.meta_json = json = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
	json_decref(meta);
	d.warnings_json = warn = u->door.warnings ? json_dumps(u->door.warnings, JSON_COMPACT) : NULL;
	if (!u->c && (rc = store_acquire(http_store(rq), &u->c, e)))
		goto out;
	if (u->in && !store_in_txn(u->c) && (rc = store_begin(u->c, e)))
		goto out;
	rc = store_doc_create(u->c, &d, status, id, body, e);
	if (!rc && *status == 201 && u->in && u->in->created)
		rc = u->in->created(rq, u->c, id, e);
	if (store_in_txn(u->c)) {
		if (!rc && *status == 201)
			rc = store_commit(u->c, e);
		else
			store_rollback(u->c);
	}
out:
	free(json);
	free(warn);
	return rc;
}

/* No file was streamed into a transaction (which a rollback would lose). */
static int
all_inline(const struct upload *u)
{
	for (int i = 0; i < u->nfiles; i++)
		if (u->files[i].blob_id)
			return 0;
	return 1;
}

/* The upload complete: checked, created, answered (key: the idempotency key). */
static int
finish(struct req *rq, struct upload *u, const char *key)
{
	uint8_t digest[SHA256_LEN];
	char *body = NULL, id[37];
	int status = 0, rc;
	struct lerr e;

	if ((u->cur != P_NONE && part_end(rq, u)) ||
	    (u->in && !u->meta_json && ingest_meta(rq, u)) || check_complete(rq, u))
		return 0;
	lerr_clear(&e);
	if (check_owner(rq, u, &e) || check_signatures(rq, u, &e) || org_signature(rq, u, &e))
		return http_reply_problem(rq, &e);
	request_digest(u, digest);
	rc = create(rq, u, key, digest, &status, id, &body, &e);
	/* Twin requests with one new key: the loser replays the winner's answer. */
	if (rc == LERR_CONFLICT && key && all_inline(u))
		rc = create(rq, u, key, digest, &status, id, &body, &e);
	if (rc)
		return http_reply_problem(rq, &e);
	if (status == 201)
		log_info("document %s received (%s, %d file(s), %lld bytes)", id, u->kind, u->nfiles,
			 (long long)u->total);
	return reply_created(rq, u, status, id, body);
}

int
http_upload_end(struct req *rq)
{
	struct upload *u = rq->state;

	if (http_multipart_close(rq, &u->pp))
		return 0;
	return finish(rq, u, http_header(rq, "Idempotency-Key"));
}

void
http_upload_done(struct req *rq)
{
	struct upload *u = rq->state;

	if (!u)
		return;
	if (u->pp)
		MHD_destroy_post_processor(u->pp);
	if (u->writing)
		store_blob_abort(&u->w);
	door_fini(&u->door);
	json_decref(u->meta_json);
	buf_fini(&u->meta);
	store_release(http_store(rq), u->c);   /* rolls back whatever was not committed */
}

const struct http_handler http_h_doc_post = {
	.begin = upload_begin, .data = http_upload_data, .end = http_upload_end, .done = http_upload_done,
};

/* ---- the same upload from parts in memory (http_int.h) ---- */

static int
ingest_part(struct req *rq, struct upload *u, const char *key, const char *name, const char *ctype,
	    const void *data, size_t len)
{
	if (part_cb(rq, MHD_POSTDATA_KIND, key, name, ctype, NULL, data, 0, len) != MHD_YES)
		return -1;
	return part_end(rq, u);
}

int
http_ingest_parts(struct req *rq, json_t *meta, const struct http_ingest_file *files, int nfiles,
	    const char *key, struct http_ingest_out *out)
{
	struct upload *u = arena_zalloc(rq->arena, sizeof(*u));
	char *text = json_dumps(meta, JSON_COMPACT);
	void *saved = rq->state;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	rq->state = u;
	rq->capture = out;
	buf_init(&u->meta, META_MAX);
	if (!text)
		abort();
	for (int i = -1; i < nfiles && !rc; i++)
		rc = i < 0 ? ingest_part(rq, u, "metadata", NULL, "application/json", text, strlen(text)) :
			ingest_part(rq, u, files[i].key, files[i].name, files[i].ctype, files[i].data,
				    files[i].len);
	if (!rc)
		finish(rq, u, key);
	free(text);
	http_upload_done(rq);
	rq->state = saved;
	rq->capture = NULL;
	rq->failed = 0;
	lerr_clear(&rq->err);
	return out->status >= 200 && out->status < 300 ? 0 : out->err.kind ? out->err.kind : LERR_INTERNAL;
}
