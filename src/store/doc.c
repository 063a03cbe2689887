/* doc.c - documents, their files, their state, idempotency keys, the journal. */
#include "store/store_int.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/kind.h"
#include "core/util.h"

static void
lltoa(long long v, char *out, size_t n)
{
	snprintf(out, n, "%lld", v);
}

static json_t *
files_json(const struct doc_file_in *f, int n, size_t *inline_total)
{
	json_t *a = json_array();
	char hex[65];

	*inline_total = 0;
	for (int i = 0; i < n; i++) {
		json_t *o;

		hex_encode(f[i].sha256, 32, hex);
		o = json_pack("{s:s,s:s,s:s,s:s,s:I}", "role", f[i].role, "name", f[i].name,
			      "media_type", f[i].media_type, "sha256", hex, "size", (json_int_t)f[i].size);
		if (f[i].blob_id) {
			json_object_set_new(o, "blob", json_integer(f[i].blob_id));
		} else {
			json_object_set_new(o, "off", json_integer((json_int_t)*inline_total));
			json_object_set_new(o, "len", json_integer((json_int_t)f[i].len));
			*inline_total += f[i].len;
		}
		json_array_append_new(a, o);
	}
	return a;
}

/* The inline files, end to end, as the one bytea parameter. */
static char *
inline_data(const struct doc_file_in *f, int n, size_t total)
{
	char *data = malloc(total ? total : 1);
	size_t off = 0;

	if (!data)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (f[i].blob_id)
			continue;
		memcpy(data + off, f[i].data, f[i].len);
		off += f[i].len;
	}
	return data;
}

/* A document only to transmit whose organisation has none of its kind's
 * connectors is parked by document_create() with this note on its
 * transmission row, the note the transmit job would have written
 * (core/kind.c), instead of a job that would only write it: connectors ""
 * when the kind is never transmitted or the document is not to transmit. */
static void
park_note(const struct doc_create *d, char *connectors, size_t ccap, char *note, size_t ncap)
{
	const struct doc_kind *k = doc_kind_get(d->kind);
	const char *last = NULL;
	struct lerr why;

	connectors[0] = note[0] = '\0';
	lerr_clear(&why);
	if (!d->want_transmit || d->want_sign || !doc_kind_transmittable(k))
		return;
	doc_kind_connectors(k, ",", connectors, ccap);
	if (doc_kind_no_connector(k, d->siren, &last, &why) == LERR_NOTFOUND)
		lerr_oneline(&why, note, ncap);
}

int
store_doc_create(struct store_conn *c, const struct doc_create *d, int *status, char *id,
		 char **body, struct lerr *e)
{
	char client[24], connectors[200], note[1200], *files = NULL, *data = NULL;
	size_t total = 0;
	json_t *fj = files_json(d->files, d->nfiles, &total);
	PGresult *r = NULL;
	int rc;

	lltoa(d->client_id, client, sizeof(client));
	park_note(d, connectors, sizeof(connectors), note, sizeof(note));
	files = json_dumps(fj, JSON_COMPACT);
	json_decref(fj);
	data = inline_data(d->files, d->nfiles, total);
	if (!files || !data) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	struct sqlp p[] = {
		SQLP_TEXT(client), SQLP_TEXT(d->siren), SQLP_TEXT(d->kind), SQLP_TEXT(d->title),
		SQLP_TEXT(d->signer), SQLP_TEXT(d->want_sign ? "t" : "f"),
		SQLP_TEXT(d->want_transmit ? "t" : "f"), SQLP_TEXT(d->due_date), SQLP_TEXT(d->external_ref),
		SQLP_TEXT(d->meta_json ? d->meta_json : "{}"),
		SQLP_TEXT(d->warnings_json ? d->warnings_json : "[]"), SQLP_TEXT(files),
		SQLP_BIN(data, total), SQLP_TEXT(d->idem_key),
		d->idem_key ? SQLP_BIN(d->idem_sha256, 32) : SQLP_TEXT(NULL), SQLP_TEXT(d->actor),
		SQLP_TEXT(d->job), SQLP_TEXT(d->circuit), SQLP_TEXT(connectors[0] ? connectors : NULL),
		SQLP_TEXT(note[0] ? note : NULL),
	};
	rc = sq_exec(c, "SELECT status, coalesce(out_id::text, ''), body::text FROM document_create($1, $2, $3, $4, $5, $6, $7,"
		     " $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)", p, 20, &r, e);
	if (rc)
		goto out;
	*status = atoi(PQgetvalue(r, 0, 0));
	snprintf(id, 37, "%s", PQgetvalue(r, 0, 1));
	if (!(*body = strdup(PQgetvalue(r, 0, 2))))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	PQclear(r);
out:
	free(files);
	free(data);
	return rc;
}

/* "the client may see it": client 0 is the administrator (CLI). */
#define VISIBLE "($2::bigint = 0 OR d.org_id IN (SELECT org_id FROM api_client_org WHERE client_id = $2))"

static int
not_found(struct lerr *e, const char *doc_id)
{
	lerr_set(e, LERR_NOTFOUND, NULL, "no such document");
	lerr_detail(e, "no document %s is visible to this client", doc_id);
	lerr_hint(e, "check the id returned when the document was posted");
	return LERR_NOTFOUND;
}

int
store_doc_json(struct store_conn *c, const char *doc_id, long long client_id, char **json,
	       struct lerr *e)
{
	char client[24];
	PGresult *r = NULL;
	int rc;

	lltoa(client_id, client, sizeof(client));
	struct sqlp p[2] = { SQLP_TEXT(doc_id), SQLP_TEXT(client) };
	rc = sq_exec(c, "SELECT doc_json(d)::text FROM document d WHERE d.id = $1::uuid AND " VISIBLE,
		     p, 2, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = not_found(e, doc_id);
	else if (!(*json = strdup(PQgetvalue(r, 0, 0))))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	PQclear(r);
	return rc;
}

int
store_doc_list(struct store_conn *c, long long client_id, const struct doc_filter *f,
	       char **items_json, int *count, char last_pos[STORE_POS_LEN], struct lerr *e)
{
	char client[24], limit[16];
	PGresult *r = NULL;
	int rc;

	lltoa(client_id, client, sizeof(client));
	snprintf(limit, sizeof(limit), "%d", f->limit);
	struct sqlp p[] = { SQLP_TEXT(limit), SQLP_TEXT(client), SQLP_TEXT(f->state), SQLP_TEXT(f->kind),
			    SQLP_TEXT(f->updated_since), SQLP_TEXT(f->after_ts), SQLP_TEXT(f->after_id) };
	/* The page's JSON from joins (doc_json_of, as queue_json does), not
	 * doc_json() run once per row: the same document JSON, in one pass. */
	rc = sq_exec(c,
		"WITH page AS MATERIALIZED (SELECT d FROM document d WHERE " VISIBLE
		" AND ($3::doc_state IS NULL OR d.state = $3::doc_state)"
		" AND ($4::doc_kind IS NULL OR d.kind = $4::doc_kind)"
		" AND ($5::timestamptz IS NULL OR d.updated_at >= $5::timestamptz)"
		" AND ($6::bigint IS NULL OR (d.updated_at, d.id) >"
		"      (timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $7::uuid))"
		" ORDER BY d.updated_at, d.id LIMIT $1::int)"
		" SELECT coalesce(jsonb_agg(doc_json_of(p.d, o.siren, fl.files, person_brief_of(pa),"
		"   person_brief_of(pb), person_brief_of(pf)) ORDER BY (p.d).updated_at, (p.d).id), '[]')::text,"
		" count(*), (SELECT (extract(epoch FROM (x.d).updated_at) * 1000000)::bigint || ' ' || (x.d).id"
		"  FROM page x ORDER BY (x.d).updated_at DESC, (x.d).id DESC LIMIT 1)"
		" FROM page p JOIN organisation o ON o.id = (p.d).org_id"
		" LEFT JOIN LATERAL (SELECT jsonb_agg(doc_file_json(f, b) ORDER BY f.n) AS files"
		"   FROM document_file f JOIN blob b ON b.id = f.blob_id WHERE f.doc_id = (p.d).id) fl ON true"
		" LEFT JOIN person pa ON pa.id = (p.d).signer_id LEFT JOIN person pb ON pb.id = (p.d).signed_by"
		" LEFT JOIN person pf ON pf.id = (p.d).signed_for", p, 7, &r, e);
	if (rc)
		return rc;
	*count = atoi(PQgetvalue(r, 0, 1));
	snprintf(last_pos, STORE_POS_LEN, "%s", *count > 0 ? PQgetvalue(r, 0, 2) : "");
	if (!(*items_json = strdup(PQgetvalue(r, 0, 0))))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	PQclear(r);
	return rc;
}

int
store_doc_file(struct store_conn *c, const char *doc_id, long long client_id, int n,
	       struct doc_file *out, struct lerr *e)
{
	char client[24], nt[16];
	PGresult *r = NULL;
	int rc;

	lltoa(client_id, client, sizeof(client));
	snprintf(nt, sizeof(nt), "%d", n);
	struct sqlp p[3] = { SQLP_TEXT(doc_id), SQLP_TEXT(client), SQLP_TEXT(nt) };
	rc = sq_exec(c, "SELECT b.id, b.size, b.nchunks, encode(b.sha256, 'hex'), f.name, f.media_type"
		     " FROM document d JOIN document_file f ON f.doc_id = d.id JOIN blob b ON b.id = f.blob_id"
		     " WHERE d.id = $1::uuid AND " VISIBLE " AND f.n = $3::int", p, 3, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) == 0) {
		rc = lerr_set(e, LERR_NOTFOUND, NULL, "no such file");
		lerr_detail(e, "document %s has no file %d visible to this client", doc_id, n);
		lerr_hint(e, "the document's \"files\" list gives each file's href");
	} else {
		out->blob_id = atoll(PQgetvalue(r, 0, 0));
		out->size = atoll(PQgetvalue(r, 0, 1));
		out->nchunks = atoi(PQgetvalue(r, 0, 2));
		snprintf(out->sha256_hex, sizeof(out->sha256_hex), "%s", PQgetvalue(r, 0, 3));
		snprintf(out->name, sizeof(out->name), "%s", PQgetvalue(r, 0, 4));
		snprintf(out->media_type, sizeof(out->media_type), "%s", PQgetvalue(r, 0, 5));
	}
	PQclear(r);
	return rc;
}

int
store_doc_add_warnings(struct store_conn *c, const char *doc_id, const char *warnings_json,
		       struct lerr *e)
{
	struct sqlp p[2] = { SQLP_TEXT(doc_id), SQLP_TEXT(warnings_json) };

	return sq_exec(c, "UPDATE document SET warnings = warnings || $2::jsonb,"
		       " updated_at = clock_timestamp() WHERE id = $1::uuid", p, 2, NULL, e);
}

int
store_doc_event(struct store_conn *c, const char *doc_id, long long client_id, const char *event,
		const char *actor, const char *reason, struct lerr *e)
{
	char client[24];
	PGresult *r = NULL;
	int rc;

	lltoa(client_id, client, sizeof(client));
	struct sqlp p[] = { SQLP_TEXT(doc_id), SQLP_TEXT(client), SQLP_TEXT(event), SQLP_TEXT(actor),
			    SQLP_TEXT(reason) };
	rc = sq_exec(c, "SELECT document_apply(d.id, $3, $4, $5) FROM document d"
		     " WHERE d.id = $1::uuid AND " VISIBLE, p, 5, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = not_found(e, doc_id);
	PQclear(r);
	return rc;
}

int
store_journal(struct store_conn *c, const char *actor, const char *action, const char *doc_id,
	      long long org_id, const char *detail_json, struct lerr *e)
{
	char org[24];

	lltoa(org_id, org, sizeof(org));
	struct sqlp p[5] = { SQLP_TEXT(actor), SQLP_TEXT(action), SQLP_TEXT(doc_id),
			    SQLP_TEXT(org_id ? org : NULL), SQLP_TEXT(detail_json) };
	return sq_exec(c, "SELECT journal_append($1, $2, $3::uuid, $4::bigint, $5::jsonb)", p, 5, NULL, e);
}

int
store_journal_seal(struct store_conn *c, int *n, struct lerr *e)
{
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT journal_seal()", NULL, 0, &r, e);

	if (!rc) {
		*n = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return rc;
}
