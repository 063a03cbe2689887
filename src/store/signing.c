/*
 * signing.c - the store's half of signing a document (005_certificate.sql):
 * claim it (row lock, permission and state, the main file), then record the
 * signature (file, signer, state, journal, transmit job), both inside the
 * caller's transaction, one round trip each for files of one chunk.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/util.h"

static void
copy(char *dst, size_t n, PGresult *r, int row, int col)
{
	snprintf(dst, n, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

/* Columns from status on, starting at column k of row. */
static void
fill_claim_at(PGresult *r, int row, int k, struct sign_claim *o)
{
	o->status = atoi(PQgetvalue(r, row, k));
	copy(o->state, sizeof(o->state), r, row, k + 1);
	copy(o->kind, sizeof(o->kind), r, row, k + 2);
	o->signed_for = PQgetisnull(r, row, k + 3) ? 0 : atoll(PQgetvalue(r, row, k + 3));
	copy(o->for_name, sizeof(o->for_name), r, row, k + 4);
	copy(o->by_name, sizeof(o->by_name), r, row, k + 5);
	copy(o->signed_at, sizeof(o->signed_at), r, row, k + 6);
	o->want_transmit = !strcmp(PQgetvalue(r, row, k + 7), "true");
	copy(o->meta, sizeof(o->meta), r, row, k + 8);
	copy(o->city, sizeof(o->city), r, row, k + 9);
	copy(o->postal_code, sizeof(o->postal_code), r, row, k + 10);
	copy(o->role_function, sizeof(o->role_function), r, row, k + 11);
	copy(o->file_name, sizeof(o->file_name), r, row, k + 12);
	copy(o->media_type, sizeof(o->media_type), r, row, k + 13);
	o->blob_id = atoll(PQgetvalue(r, row, k + 14));
	o->nchunks = atoi(PQgetvalue(r, row, k + 15));
	o->size = atoll(PQgetvalue(r, row, k + 16));
}

static void
fill_claim(PGresult *r, struct sign_claim *o)
{
	fill_claim_at(r, 0, 0, o);
}

static void
fill_claim_row(PGresult *r, int row, struct sign_claim *o)
{
	fill_claim_at(r, row, 1, o);
}

/* The main file's chunks after the claim, one round trip each. */
static int
read_chunks(struct store_conn *c, const struct sign_claim *o, struct buf *data, struct lerr *e)
{
	char *chunk = malloc(STORE_CHUNK_SIZE);
	size_t n;
	int rc = 0;

	if (!chunk)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	for (int seq = 0; !rc && seq < o->nchunks; seq++) {
		if ((rc = store_blob_chunk(c, o->blob_id, seq, chunk, &n, e)))
			break;
		if (buf_add(data, chunk, n))
			rc = lerr_set(e, LERR_TOOLARGE, "documents", "the document is too large to sign");
	}
	free(chunk);
	return rc;
}

int
store_sign_claim(struct store_conn *c, long long person_id, const char *doc_id,
		 struct sign_claim *out, struct buf *data, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	struct sqlp p[] = { SQLP_INT(person_id), SQLP_TEXT(doc_id) };
	/* Binary results so that the file comes as bytes: the rest as text. */
	rc = sq_exec_bin(c, "SELECT status::text, state, kind, signed_for::text, for_name, by_name,"
			 " signed_at, coalesce(want_transmit, false)::text, meta::text, city, postal_code,"
			 " role_function, file_name, media_type, coalesce(blob_id, 0)::text,"
			 " coalesce(nchunks, 0)::text, coalesce(size, 0)::text, data"
			 " FROM sign_claim($1::bigint, $2::uuid)", p, 2, &r, e);
	if (rc)
		return rc;
	fill_claim(r, out);
	buf_reset(data);
	if (out->status == 0 && !PQgetisnull(r, 0, 17)) {
		if (buf_add(data, PQgetvalue(r, 0, 17), (size_t)PQgetlength(r, 0, 17)))
			rc = lerr_set(e, LERR_TOOLARGE, "documents", "the document is too large to sign");
	} else if (out->status == 0) {
		rc = read_chunks(c, out, data, e);
	}
	PQclear(r);
	return rc;
}

static int
same_conn(void *arg, struct store_conn **c, struct lerr *e)
{
	(void)e;
	*c = arg;
	return 0;
}

/* A signed file larger than a chunk: streamed into a blob first. */
static int
big_blob(struct store_conn *c, const void *data, size_t len, long long *blob_id, struct lerr *e)
{
	struct store_blob_writer w;
	uint8_t sha[32];
	int64_t size;
	int rc = store_blob_begin(&w, (int64_t)len, same_conn, c, e);

	if (rc)
		return rc;
	if (!(rc = store_blob_write(&w, data, len, e)))
		rc = store_blob_end(&w, 0, blob_id, sha, &size, e);
	store_blob_abort(&w);
	return rc;
}

int
store_sign_finish(struct store_conn *c, const struct sign_done *d, char state[24], struct lerr *e)
{
	char bid[24];
	uint8_t sha[32];
	long long blob_id = d->blob_id;
	PGresult *r = NULL;
	int rc, inline_ok = !blob_id && d->len <= STORE_CHUNK_SIZE;

	if (!inline_ok && !blob_id && (rc = big_blob(c, d->data, d->len, &blob_id, e)))
		return rc;
	if (inline_ok)
		sha256_once(d->data, d->len, sha);
	snprintf(bid, sizeof(bid), "%lld", blob_id);
	struct sqlp p[] = {
		SQLP_INT(d->person_id), SQLP_INT(d->signed_for), SQLP_TEXT(d->doc_id), SQLP_TEXT(d->role),
		SQLP_TEXT(d->name), SQLP_TEXT(d->media_type),
		inline_ok ? SQLP_BIN(sha, 32) : SQLP_TEXT(NULL),
		inline_ok ? SQLP_BIN(d->data, d->len) : SQLP_TEXT(NULL),
		SQLP_TEXT(inline_ok ? NULL : bid), SQLP_TEXT(d->actor), SQLP_TEXT(d->detail_json),
	};
	rc = sq_exec(c, "SELECT sign_finish($1::bigint, $2::bigint, $3::uuid, $4, $5, $6, $7::bytea,"
		     " $8::bytea, $9::bigint, $10, $11::jsonb)", p, 11, &r, e);
	if (!rc)
		snprintf(state, 24, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

/* ---- a batch at once ---- */

/* A text[] literal of uuids: {a,b,c} (uuids need no quoting). */
static char *
uuid_array(const char *const *ids, int n)
{
	char *s = malloc((size_t)n * 38 + 3), *p = s;

	if (!s)
		return NULL;
	*p++ = '{';
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s%.36s", i ? "," : "", ids[i]);
	*p++ = '}';
	*p = '\0';
	return s;
}

int
store_sign_claim_many(struct store_conn *c, long long person_id, const char *const *ids, int n,
		      struct sign_claim *out, struct buf *data, struct lerr *e)
{
	char *arr = uuid_array(ids, n);
	PGresult *r = NULL;
	int rc;

	if (!arr)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	struct sqlp p[] = { SQLP_INT(person_id), SQLP_TEXT(arr) };
	rc = sq_exec_bin(c, "SELECT ord::text, status::text, state, kind, signed_for::text, for_name,"
			 " by_name, signed_at, coalesce(want_transmit, false)::text, meta::text, city,"
			 " postal_code, role_function, file_name, media_type, coalesce(blob_id, 0)::text,"
			 " coalesce(nchunks, 0)::text, coalesce(size, 0)::text, data, org_id::text"
			 " FROM sign_claim_many($1::bigint, $2::uuid[]) ORDER BY ord", p, 2, &r, e);
	free(arr);
	if (rc)
		return rc;
	if (PQntuples(r) != n)
		rc = lerr_set(e, LERR_INTERNAL, NULL, "%d claims for %d documents", PQntuples(r), n);
	for (int i = 0; !rc && i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		fill_claim_row(r, i, &out[i]);
		out[i].org_id = PQgetisnull(r, i, 19) ? 0 : atoll(PQgetvalue(r, i, 19));
		buf_reset(&data[i]);
		if (out[i].status == 0 && !PQgetisnull(r, i, 18) &&
		    buf_add(&data[i], PQgetvalue(r, i, 18), (size_t)PQgetlength(r, i, 18)))
			rc = lerr_set(e, LERR_TOOLARGE, "documents", "the document is too large to sign");
	}
	PQclear(r);
	return rc;
}

int
store_sign_read_main(struct store_conn *c, const struct sign_claim *cl, struct buf *data,
		     struct lerr *e)
{
	buf_reset(data);
	return read_chunks(c, cl, data, e);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* PostgreSQL's binary form of a one-dimension bytea[] (array_recv). */
static int
bytea_array(const struct sign_done *d, int n, struct buf *out)
{
	unsigned char h[20];

	put32(h, 1);            /* dimensions */
	put32(h + 4, 0);        /* no NULLs */
	put32(h + 8, 17);       /* bytea's OID */
	put32(h + 12, (uint32_t)n);
	put32(h + 16, 1);       /* lower bound */
	if (buf_add(out, h, 20))
		return -1;
	for (int i = 0; i < n; i++) {
		put32(h, (uint32_t)d[i].len);
		if (buf_add(out, h, 4) || buf_add(out, d[i].data, d[i].len))
			return -1;
	}
	return 0;
}

static char *
items_json(const struct sign_done *d, int n)
{
	json_t *a = json_array();
	char *s;

	for (int i = 0; i < n; i++) {
		json_t *detail = d[i].detail_json ? json_loads(d[i].detail_json, 0, NULL) : NULL;

		json_array_append_new(a, json_pack("{s:s, s:I, s:s, s:s, s:s, s:o*}", "id", d[i].doc_id,
			"for", (json_int_t)d[i].signed_for, "role", d[i].role, "name", d[i].name,
			"media_type", d[i].media_type, "detail", detail));
	}
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

int
store_sign_finish_many(struct store_conn *c, long long person_id, const char *actor,
		       const struct sign_done *d, int n, char (*states)[24], struct lerr *errs,
		       struct lerr *e)
{
	char *items = items_json(d, n);
	struct buf arr;
	PGresult *r = NULL;
	int rc = 0;

	buf_init(&arr, (size_t)1 << 31);
	if (!items || bytea_array(d, n, &arr)) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	struct sqlp p[] = { SQLP_INT(person_id), SQLP_TEXT(actor), SQLP_TEXT(items), SQLP_BIN(arr.data, arr.len) };
	if ((rc = sq_exec(c, "SELECT ord, state, error, code FROM sign_finish_many($1::bigint, $2,"
			  " $3::jsonb, $4::bytea[]) ORDER BY ord", p, 4, &r, e)))
		goto out;
	for (int i = 0; i < n && i < PQntuples(r); i++) {
		lerr_clear(&errs[i]);
		snprintf(states[i], 24, "%s", PQgetisnull(r, i, 1) ? "" : PQgetvalue(r, i, 1));
		if (!PQgetisnull(r, i, 2)) {
			lerr_set(&errs[i], strncmp(PQgetvalue(r, i, 3), "LQ409", 5) ? LERR_INTERNAL :
				 LERR_CONFLICT, "documents", "%s", PQgetvalue(r, i, 2));
		}
	}
out:
	PQclear(r);
	free(items);
	buf_fini(&arr);
	return rc;
}
