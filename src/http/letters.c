/*
 * letters.c - the prefecture's letters about an act and the answers to
 * them (doc/actes-letters.md):
 *   GET  /api/v1/documents/{id}/letters                 the letters, with deadlines
 *   GET  /api/v1/documents/{id}/letters/{lid}           one
 *   POST /api/v1/documents/{id}/letters/{lid}/answer    multipart: "code" (2-2,
 *        3-2, 3-3, 4-2, 4-3) and one "file" (a PDF; several for a 3-2)
 * The answer is recorded and its job sends it (src/transmit/letters.c);
 * 202 with the letter, its answer 'new'.
 */
#include "http/http_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "flow/acte.h"

#define ANSWER_FILES 20
#define ANSWER_MAX (64u << 20)   /* all the files of one answer */

/* The document id, and the letter's when lid is not NULL. */
static int
ids(struct req *rq, long long *lid, struct lerr *e)
{
	char *end = NULL;

	errno = 0;
	if (lid)
		*lid = strtoll(rq->params[1], &end, 10);
	if (uuid_valid(rq->params[0]) && (!lid || (!errno && end && !*end && *lid > 0)))
		return 0;
	lerr_set(e, LERR_NOTFOUND, NULL, "no such letter");
	lerr_detail(e, "\"%s\" is not a document id%s%s%s", rq->params[0], lid ? " or \"" : "",
		    lid ? rq->params[1] : "", lid ? "\" not a letter id" : "");
	lerr_hint(e, "GET /api/v1/documents/{id}/letters lists an act's letters and their ids");
	return LERR_NOTFOUND;
}

static int
list(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;
	int rc = ids(rq, NULL, e);

	if (!rc)
		rc = store_letters_json(c, rq->params[0], rq->client.id, &json, e);
	return rc ? rc : http_reply_raw(rq, 200, "application/json", json, strlen(json));
}

static int
one(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;
	long long lid;
	int rc = ids(rq, &lid, e);

	if (!rc)   /* visible to this client? */
		rc = store_letters_json(c, rq->params[0], rq->client.id, &json, e);
	free(json);
	json = NULL;
	if (!rc)
		rc = store_letter_json(c, rq->params[0], lid, &json, e);
	return rc ? rc : http_reply_raw(rq, 200, "application/json", json, strlen(json));
}

static int
letters_get(struct req *rq)
{
	return http_with_conn(rq, list);
}

static int
letter_get(struct req *rq)
{
	return http_with_conn(rq, one);
}

/* ---- the answer ---- */

struct areq {
	struct MHD_PostProcessor *pp;
	char code[8];
	size_t code_len, total;
	struct buf files[ANSWER_FILES];
	const char *names[ANSWER_FILES];
	int nfiles;
	struct buf *cur;
};

static enum MHD_Result
part_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
	const char *ctype, const char *encoding, const char *p, uint64_t off, size_t n)
{
	struct req *rq = cls;
	struct areq *a = rq->state;
	struct lerr e;

	(void)kind, (void)ctype, (void)encoding;
	if (rq->failed)
		return MHD_NO;
	if (!strcmp(key, "code")) {
		if (a->code_len + n >= sizeof(a->code)) {
			lerr_set(&e, LERR_INVALID, "code", "the answer's code is too long");
			lerr_hint(&e, "code is one of 2-2, 3-2, 3-3, 4-2, 4-3");
			return http_fail(rq, &e), MHD_NO;
		}
		memcpy(a->code + a->code_len, p, n);
		a->code[a->code_len += n] = '\0';
		return MHD_YES;
	}
	if (strcmp(key, "file")) {
		lerr_set(&e, LERR_MALFORMED, key, "unexpected part \"%s\"", key);
		lerr_hint(&e, "send the answer's code as \"code\" and each PDF as a \"file\" part");
		return http_fail(rq, &e), MHD_NO;
	}
	if (off == 0) {
		if (a->nfiles == ANSWER_FILES) {
			lerr_set(&e, LERR_INVALID, "file", "more than %d files in one answer", ANSWER_FILES);
			return http_fail(rq, &e), MHD_NO;
		}
		a->cur = &a->files[a->nfiles];
		buf_init(a->cur, ANSWER_MAX);
		a->names[a->nfiles++] = arena_strdup(rq->arena, filename && *filename ? filename : "reponse.pdf");
	}
	a->total += n;
	if (a->total > ANSWER_MAX || buf_add(a->cur, p, n)) {
		lerr_set(&e, LERR_TOOLARGE, "file", "the answer's files are too large");
		lerr_detail(&e, "the limit is %u bytes for all the files of one answer", ANSWER_MAX);
		return http_fail(rq, &e), MHD_NO;
	}
	return MHD_YES;
}

static int
answer_begin(struct req *rq)
{
	struct areq *a = arena_zalloc(rq->arena, sizeof(*a));

	rq->state = a;
	a->pp = http_multipart_open(rq, part_cb, "post the answer as multipart/form-data, e.g. "
				    "curl -F code=2-2 -F file=@reponse.pdf");
	return 0;
}

static int
answer_data(struct req *rq, const char *p, size_t n)
{
	struct areq *a = rq->state;

	return http_multipart_feed(rq, a->pp, p, n);
}

static int
answer_store(struct req *rq, struct store_conn *c, struct lerr *e)
{
	struct areq *a = rq->state;
	char *json = NULL;
	long long lid;
	int rc = ids(rq, &lid, e);

	struct acte_answer_file f[ANSWER_FILES];

	for (int i = 0; i < a->nfiles; i++)
		f[i] = (struct acte_answer_file){ a->names[i], a->files[i].data, a->files[i].len };
	rc = rc ? rc : acte_answer_check(a->code, f, a->nfiles, e);
	rc = rc ? rc : store_begin(c, e);
	if (!rc)
		rc = store_letter_answer_begin(c, rq->params[0], rq->client.id, lid, a->code,
					       arena_printf(rq->arena, "client:%s", rq->client.name), e);
	for (int i = 0; !rc && i < a->nfiles; i++)
		rc = store_letter_answer_file(c, lid, a->names[i], "application/pdf", a->files[i].data,
					      a->files[i].len, e);
	rc = rc ? rc : store_commit(c, e);
	if (rc) {
		store_rollback(c);
		return rc;
	}
	if ((rc = store_letter_json(c, rq->params[0], lid, &json, e)))
		return rc;
	return http_reply_raw(rq, 202, "application/json", json, strlen(json));
}

static int
answer_end(struct req *rq)
{
	struct areq *a = rq->state;

	if (http_multipart_close(rq, &a->pp))
		return 0;
	return http_with_conn(rq, answer_store);
}

static void
answer_done(struct req *rq)
{
	struct areq *a = rq->state;

	if (!a)
		return;
	if (a->pp)
		MHD_destroy_post_processor(a->pp);
	for (int i = 0; i < a->nfiles; i++)
		buf_fini(&a->files[i]);
}

const struct http_handler http_h_letters = { .handle = letters_get };
const struct http_handler http_h_letter = { .handle = letter_get };
const struct http_handler http_h_letter_answer = {
	.begin = answer_begin, .data = answer_data, .end = answer_end, .done = answer_done,
};
