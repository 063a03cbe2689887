/*
 * letter.c - the rows of the prefecture's letters and of the answers to
 * them (020_letter.sql, functions/77_letter.sql): what imap.c records, what
 * the API and the web pages show and answer, what the job "letter_answer"
 * (src/transmit/letters.c) sends.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VISIBLE "($2::bigint = 0 OR d.org_id IN (SELECT org_id FROM api_client_org WHERE client_id = $2))"

static void
copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

int
store_letter_add(struct store_conn *c, const char *doc_id, const struct letter_in *l, long long *id,
		 struct lerr *e)
{
	struct sqlp p[8] = { SQLP_TEXT(doc_id), SQLP_TEXT(l->code), SQLP_TEXT(l->form), SQLP_TEXT(l->idacte),
			     SQLP_TEXT(l->date), SQLP_TEXT(l->text), SQLP_TEXT(l->files_json), SQLP_TEXT(l->remote_id) };

	return sq_int(c, "SELECT letter_add($1::uuid, $2, $3, $4, nullif($5, '')::date, nullif($6, ''),"
		      " ARRAY(SELECT jsonb_array_elements_text($7::jsonb)), $8)", p, 8, id, e);
}

static int
no_doc(struct lerr *e, const char *doc_id)
{
	lerr_set(e, LERR_NOTFOUND, NULL, "no such document");
	lerr_detail(e, "no document %s is visible to this client", doc_id);
	lerr_hint(e, "check the id returned when the document was posted");
	return LERR_NOTFOUND;
}

int
store_letters_json(struct store_conn *c, const char *doc_id, long long client_id, char **json, struct lerr *e)
{
	struct sqlp p[2] = { SQLP_TEXT(doc_id), SQLP_INT(client_id) };
	int rc = sq_json(c, "SELECT letters_json(d.id)::text FROM document d WHERE d.id = $1::uuid AND " VISIBLE,
			 p, 2, json, e);

	return rc == LERR_NOTFOUND ? no_doc(e, doc_id) : rc;
}

int
store_letter_json(struct store_conn *c, const char *doc_id, long long letter_id, char **json, struct lerr *e)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", letter_id);
	struct sqlp p[2] = { SQLP_TEXT(doc_id), SQLP_TEXT(id) };
	int rc = sq_json(c, "SELECT letter_json(l.id)::text FROM letter l WHERE l.doc_id = $1::uuid"
			 " AND l.id = $2::bigint", p, 2, json, e);

	if (rc == LERR_NOTFOUND)
		lerr_hint(e, "GET /api/v1/documents/%s/letters lists the letters of the act", doc_id);
	return rc;
}

int
store_letter_answer_begin(struct store_conn *c, const char *doc_id, long long client_id, long long letter_id,
			  const char *code, const char *by, struct lerr *e)
{
	char id[24];
	PGresult *r = NULL;
	long long seen = 0;
	int rc, status;

	snprintf(id, sizeof(id), "%lld", letter_id);
	struct sqlp v[2] = { SQLP_TEXT(doc_id), SQLP_INT(client_id) };
	if ((rc = sq_int(c, "SELECT count(*) FROM document d WHERE d.id = $1::uuid AND " VISIBLE, v, 2, &seen, e)))
		return rc;
	if (!seen)
		return no_doc(e, doc_id);
	struct sqlp p[4] = { SQLP_TEXT(doc_id), SQLP_TEXT(id), SQLP_TEXT(code), SQLP_TEXT(by) };
	if ((rc = sq_exec(c, "SELECT status, message FROM letter_answer_begin($1::uuid, $2::bigint, $3, $4)",
			  p, 4, &r, e)))
		return rc;
	status = atoi(PQgetvalue(r, 0, 0));
	if (status == 404)
		rc = lerr_set(e, LERR_NOTFOUND, NULL, "%s", PQgetvalue(r, 0, 1));
	else if (status == 409)
		rc = lerr_set(e, LERR_CONFLICT, NULL, "%s", PQgetvalue(r, 0, 1));
	else if (status == 422)
		rc = lerr_set(e, LERR_INVALID, "code", "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	return rc;
}

int
store_letter_answer_file(struct store_conn *c, long long letter_id, const char *name, const char *media_type,
			 const void *data, size_t len, struct lerr *e)
{
	struct sqlp p[4] = { SQLP_INT(letter_id), SQLP_TEXT(name), SQLP_TEXT(media_type), SQLP_BIN(data, len) };
	return sq_exec(c, "SELECT letter_answer_file_add($1::bigint, $2, $3, $4)", p, 4, NULL, e);
}

int
store_letter_answer_load(struct store_conn *c, const char *doc_id, struct letter_answer_row *a, int *found,
			 struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(doc_id) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT l.id, coalesce(l.remote_id, ''), coalesce(d.meta->>'type_piece', ''), l.answer_code,"
			 " coalesce(l.date_courrier::text, ''), l.org_id, o.siren, coalesce(t.connector, ''),"
			 " coalesce(t.remote_id, ''), l.idacte, l.answer_state, coalesce(l.answer_name, ''),"
			 " l.answer_sends, l.answer_tries,"
			 " coalesce(extract(epoch FROM now() - l.answer_sending_since)::bigint, 0)"
			 " FROM letter l JOIN organisation o ON o.id = l.org_id JOIN document d ON d.id = l.doc_id"
			 " LEFT JOIN transmission t ON t.doc_id = l.doc_id"
			 " WHERE l.doc_id = $1::uuid AND l.answer_state IN ('new', 'sending')"
			 " ORDER BY l.id LIMIT 1 FOR UPDATE OF l", p, 1, &r, e);

	if (rc)
		return rc;
	memset(a, 0, sizeof(*a));
	*found = PQntuples(r) > 0;
	if (*found) {
		sq_act_send(r, 5, doc_id, &a->s);
		a->s.id = atoll(PQgetvalue(r, 0, 0));
		copy(a->letter_remote, sizeof(a->letter_remote), PQgetvalue(r, 0, 1));
		copy(a->type_piece, sizeof(a->type_piece), PQgetvalue(r, 0, 2));
		copy(a->code, sizeof(a->code), PQgetvalue(r, 0, 3));
		copy(a->date, sizeof(a->date), PQgetvalue(r, 0, 4));
	}
	PQclear(r);
	return 0;
}

int
store_letter_answer_files(struct store_conn *c, long long letter_id,
			  void (*fn)(void *arg, int n, const char *name, const char *media_type, long long blob,
				     long long size, int nchunks),
			  void *arg, struct lerr *e)
{
	char id[24];
	PGresult *r = NULL;
	int rc;

	snprintf(id, sizeof(id), "%lld", letter_id);
	struct sqlp p[1] = { SQLP_TEXT(id) };
	if ((rc = sq_exec(c, "SELECT a.n, a.name, a.media_type, a.blob_id, b.size, b.nchunks"
			  " FROM letter_answer_file a JOIN blob b ON b.id = a.blob_id"
			  " WHERE a.letter_id = $1::bigint ORDER BY a.n", p, 1, &r, e)))
		return rc;
	for (int i = 0; i < PQntuples(r); i++)
		fn(arg, atoi(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		   atoll(PQgetvalue(r, i, 3)), atoll(PQgetvalue(r, i, 4)), atoi(PQgetvalue(r, i, 5)));
	PQclear(r);
	return 0;
}

int
store_letter_answer_state(struct store_conn *c, const struct act_send *s, const char *state, const char *name,
			  const char *error, struct lerr *e)
{
	struct sqlp p[4] = { SQLP_INT(s->id), SQLP_TEXT(state), SQLP_TEXT(name), SQLP_TEXT(error) };
	return sq_exec(c, "UPDATE letter SET answer_state = $2, answer_name = coalesce($3, answer_name),"
		       " answer_error = $4,"
		       " answer_sends = answer_sends + CASE WHEN $2 = 'sending' THEN 1 ELSE 0 END,"
		       " answer_sending_since = CASE WHEN $2 = 'sending' THEN now() ELSE answer_sending_since END"
		       " WHERE id = $1::bigint", p, 4, NULL, e);
}

int
store_letter_answer_retry(struct store_conn *c, const struct act_send *s, const char *error, int delay_s,
			  struct lerr *e)
{
	struct sqlp p[2] = { SQLP_INT(s->id), SQLP_TEXT(error) };
	int rc = sq_exec(c, "UPDATE letter SET answer_tries = answer_tries + 1, answer_error = $2 WHERE id = $1::bigint",
			 p, 2, NULL, e);

	return rc ? rc : sq_job_later(c, "letter_answer", s->doc_id, error, delay_s, e);
}

int
store_letter_answer_sending(struct store_conn *c, const struct act_send *s, long long job_id, int lease_s,
			    struct lerr *e)
{
	int rc = store_letter_answer_state(c, s, "sending", s->name, NULL, e);

	return rc ? rc : sq_job_lease(c, job_id, lease_s, e);
}

int
store_letter_answer_ack(struct store_conn *c, const char *doc_id, const char *code, const char *date,
			long long *id, struct lerr *e)
{
	struct sqlp p[3] = { SQLP_TEXT(doc_id), SQLP_TEXT(code), SQLP_TEXT(date) };

	return sq_int(c, "SELECT letter_answer_ack($1::uuid, $2, nullif($3, '')::date)", p, 3, id, e);
}
