/*
 * sign.c - officials sign from their queue, and certificates are managed:
 *
 *   POST /api/v1/queue/sign                    {"documents":[id...],"pin"} -> per-document results
 *   GET  /api/v1/me/certificate                the caller's certificates
 *   POST /api/v1/me/certificate/enrol          {"code","pin"}: the one-time code for a PIN
 *   GET  /api/v1/admin/certificates            certificates the administrator manages
 *   POST /api/v1/admin/certificates            multipart person, file (PKCS#12), password
 *                                              -> the enrolment code, shown this once
 *   POST /api/v1/admin/certificates/{id}/unlock
 *   POST /api/v1/admin/certificates/{id}/revoke
 *
 * The work is flow/signdoc.c's; this file reads requests and chooses statuses.
 * PINs, codes and PKCS#12 passwords are wiped from the request body as soon
 * as they are used, and never logged.
 */
#include "http/http_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "flow/signdoc.h"

/* The request body may hold a PIN: wipe it. */
static void
wipe_body(struct req *rq)
{
	if (rq->body.data)
		explicit_bzero(rq->body.data, rq->body.len);
}

/* jansson keeps its own copy of a secret member: wipe it before the free. */
static void
wipe_member(json_t *body, const char *key)
{
	json_t *v = json_object_get(body, key);
	char *p = (char *)json_string_value(v);

	if (p)
		explicit_bzero(p, json_string_length(v));
}

static json_t *
results_json(const struct signdoc_batch *b)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < b->ndocs; i++) {
		const struct signdoc_result *r = &b->results[i];
		json_t *o = json_pack("{s:s, s:s, s:s*}", "id", r->id, "status",
				      r->ok ? "signed" : "error", "state", r->state[0] ? r->state : NULL);

		if (!r->ok)
			json_object_set_new(o, "problem", http_problem_json(lerr_http_status(r->err.kind), &r->err));
		json_array_append_new(arr, o);
	}
	return json_pack("{s:o, s:i, s:i}", "results", arr, "signed", b->nsigned,
			 "errors", (int)b->ndocs - b->nsigned);
}

static int
read_batch(struct req *rq, json_t *body, struct signdoc_batch *b, struct lerr *e)
{
	json_t *docs = json_object_get(body, "documents"), *v;
	const char **ids;
	size_t i;

	b->pin = json_string_value(json_object_get(body, "pin"));
	if (!json_is_array(docs) || json_array_size(docs) == 0 ||
	    json_array_size(docs) > SIGNDOC_MAX_BATCH) {
		lerr_set(e, LERR_INVALID, "documents", "\"documents\" must list 1 to %d document ids",
			 SIGNDOC_MAX_BATCH);
		lerr_hint(e, "send {\"documents\":[\"<id>\",...],\"pin\":\"...\"}");
		return LERR_INVALID;
	}
	b->ndocs = json_array_size(docs);
	b->docs = ids = arena_zalloc(rq->arena, b->ndocs * sizeof(*ids));
	b->results = arena_zalloc(rq->arena, b->ndocs * sizeof(*b->results));
	json_array_foreach(docs, i, v) {
		if (!json_is_string(v)) {
			lerr_set(e, LERR_INVALID, "documents", "document ids are strings");
			return LERR_INVALID;
		}
		ids[i] = json_string_value(v);
	}
	if (!b->pin || !b->pin[0]) {
		lerr_set(e, LERR_INVALID, "pin", "the signing PIN is required");
		lerr_hint(e, "the PIN is asked once for the whole batch");
		return LERR_INVALID;
	}
	return 0;
}

static int
queue_sign(struct req *rq)
{
	struct signdoc_batch b = { 0 };
	json_t *body = http_json_body(rq);
	struct lerr e;
	int rc;

	if (!body)
		return wipe_body(rq), 0;
	lerr_clear(&e);
	b.person_id = rq->person.id;
	b.actor = http_actor(rq);
	rc = read_batch(rq, body, &b, &e);
	if (!rc)
		rc = signdoc_batch(http_store(rq), &b, &e);
	wipe_member(body, "pin");
	json_decref(body);
	wipe_body(rq);
	if (rc && b.locked) {
		log_info("signing refused: certificate locked for %s", rq->person.email);
		return http_reply_problem_status(rq, 423, &e);
	}
	if (rc)
		return http_reply_problem(rq, &e);
	return http_reply_json(rq, 200, results_json(&b));
}

static int
reply_store_json(struct req *rq, unsigned status, int rc, char *json, struct lerr *e)
{
	if (rc)
		return http_reply_problem(rq, e);
	return http_reply_raw(rq, status, "application/json", json, strlen(json));
}

/* {"certificates": [...]}: those an administrator may manage (admin), or a
 * person's own (person). */
static int
cert_list(struct req *rq, long long admin, long long person)
{
	struct store_conn *c = NULL;
	char *json = NULL, *out = NULL;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	rc = store_acquire(http_store(rq), &c, &e);
	if (!rc)
		rc = store_cert_list_json(c, admin, person, &json, &e);
	store_release(http_store(rq), c);
	if (!rc && asprintf(&out, "{\"certificates\":%s}", json) < 0)
		rc = lerr_set(&e, LERR_INTERNAL, NULL, "out of memory");
	free(json);
	return reply_store_json(rq, 200, rc, out, &e);
}

static int
me_certificate(struct req *rq)
{
	return cert_list(rq, 0, rq->person.id);
}

static int
me_enrol(struct req *rq)
{
	json_t *body = http_json_body(rq);
	char *json = NULL;
	struct lerr e;
	int rc, left = 0;

	if (!body)
		return wipe_body(rq), 0;
	lerr_clear(&e);
	rc = signdoc_enrol(http_store(rq), rq->person.id,
			   json_string_value(json_object_get(body, "code")),
			   json_string_value(json_object_get(body, "pin")), http_actor(rq), &json,
			   &left, &e);
	wipe_member(body, "pin");
	wipe_member(body, "code");
	json_decref(body);
	wipe_body(rq);
	if (rc && !strcmp(e.field, "pin") && e.kind == LERR_FORBIDDEN)
		return http_reply_problem_status(rq, 423, &e);
	return reply_store_json(rq, 200, rc, json, &e);
}

/* ---- administration ---- */

static int
admin_list(struct req *rq)
{
	return cert_list(rq, rq->person.id, 0);
}

static int
admin_op(struct req *rq, const char *op)
{
	struct store_conn *c = NULL;
	char *json = NULL, *end = NULL;
	long long id = strtoll(rq->params[0], &end, 10);
	struct lerr e;
	int rc;

	lerr_clear(&e);
	if (!end || *end || id <= 0) {
		lerr_set(&e, LERR_NOTFOUND, NULL, "no such certificate");
		return http_reply_problem(rq, &e);
	}
	rc = store_acquire(http_store(rq), &c, &e);
	if (!rc)
		rc = store_cert_admin(c, op, id, NULL, rq->person.id, http_actor(rq), &json, &e);
	store_release(http_store(rq), c);
	return reply_store_json(rq, 200, rc, json, &e);
}

static int
admin_unlock(struct req *rq)
{
	return admin_op(rq, "unlock");
}

static int
admin_revoke(struct req *rq)
{
	return admin_op(rq, "revoke");
}

/* POST /api/v1/admin/certificates: multipart person, file, password. */
#define P12_MAX (256 * 1024)

struct imp {
	struct MHD_PostProcessor *pp;
	struct buf file, person, password;
	struct buf *cur;
};

static enum MHD_Result
imp_part(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
	 const char *ctype, const char *encoding, const char *p, uint64_t off, size_t n)
{
	struct req *rq = cls;
	struct imp *im = rq->state;
	struct lerr e;

	(void)kind, (void)filename, (void)ctype, (void)encoding;
	if (rq->failed)
		return MHD_NO;
	if (off == 0) {
		im->cur = !strcmp(key, "file") ? &im->file : !strcmp(key, "person") ? &im->person :
			  !strcmp(key, "password") ? &im->password : NULL;
		if (!im->cur) {
			lerr_set(&e, LERR_MALFORMED, key, "unexpected part \"%s\"", key);
			lerr_hint(&e, "send the parts person (e-mail address), file (PKCS#12) and password");
			return http_fail(rq, &e), MHD_NO;
		}
	}
	if (buf_add(im->cur, p, n)) {
		lerr_set(&e, LERR_TOOLARGE, key, "part \"%s\" is too large", key);
		return http_fail(rq, &e), MHD_NO;
	}
	return MHD_YES;
}

static int
imp_begin(struct req *rq)
{
	struct imp *im = arena_zalloc(rq->arena, sizeof(*im));

	rq->state = im;
	buf_init(&im->file, P12_MAX);
	buf_init(&im->person, 256);
	buf_init(&im->password, 1024);
	im->pp = http_multipart_open(rq, imp_part,
		"post multipart/form-data with person, file (the PKCS#12) and password");
	return 0;
}

static int
imp_data(struct req *rq, const char *p, size_t n)
{
	struct imp *im = rq->state;

	return http_multipart_feed(rq, im->pp, p, n);
}

static int
imp_end(struct req *rq)
{
	struct imp *im = rq->state;
	char code[CUSTODY_CODE_SIZE];
	long long id = 0, replaced = 0;
	json_t *body;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	if (http_multipart_close(rq, &im->pp))
		return 0;
	if (!im->person.len || !im->file.len) {
		lerr_set(&e, LERR_INVALID, im->person.len ? "file" : "person", "missing part \"%s\"",
			 im->person.len ? "file" : "person");
		lerr_hint(&e, "send the parts person (e-mail address), file (PKCS#12) and password");
		return http_reply_problem(rq, &e);
	}
	rc = signdoc_import_ex(http_store(rq), rq->person.id, im->person.data, im->file.data,
			       im->file.len, im->password.len ? im->password.data : "", http_actor(rq),
			       &id, &replaced, code, &e);
	if (rc)
		return http_reply_problem(rq, &e);
	body = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "enrolment_code", code, "note",
			 "give this code to the official only; it is shown once");
	if (replaced) {
		json_object_set_new(body, "replaced", json_integer(replaced));
		json_object_set_new(body, "note", json_sprintf("give this code to the official only; it"
			" is shown once.  It replaces certificate %lld, which awaited enrolment: that"
			" certificate and its enrolment code are gone", replaced));
	}
	rc = http_reply_json(rq, 201, body);
	explicit_bzero(code, sizeof(code));
	return rc;
}

static void
imp_done(struct req *rq)
{
	struct imp *im = rq->state;

	if (!im)
		return;
	if (im->pp)
		MHD_destroy_post_processor(im->pp);
	buf_fini(&im->file);
	buf_fini(&im->person);
	if (im->password.data)
		explicit_bzero(im->password.data, im->password.len);
	buf_fini(&im->password);
}

const struct http_handler http_h_queue_sign = { .handle = queue_sign, .done = wipe_body };
const struct http_handler http_h_me_certificate = { .handle = me_certificate };
const struct http_handler http_h_me_enrol = { .handle = me_enrol, .done = wipe_body };
const struct http_handler http_h_admin_certs = { .handle = admin_list };
const struct http_handler http_h_admin_cert_post = {
	.begin = imp_begin, .data = imp_data, .end = imp_end, .done = imp_done,
};
const struct http_handler http_h_admin_cert_unlock = { .handle = admin_unlock };
const struct http_handler http_h_admin_cert_revoke = { .handle = admin_revoke };
