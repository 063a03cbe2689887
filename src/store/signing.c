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

#include "core/buf.h"
#include "core/util.h"

static void
copy(char *dst, size_t n, PGresult *r, int col)
{
	snprintf(dst, n, "%s", PQgetisnull(r, 0, col) ? "" : PQgetvalue(r, 0, col));
}

static void
fill_claim(PGresult *r, struct sign_claim *o)
{
	o->status = atoi(PQgetvalue(r, 0, 0));
	copy(o->state, sizeof(o->state), r, 1);
	copy(o->kind, sizeof(o->kind), r, 2);
	o->signed_for = PQgetisnull(r, 0, 3) ? 0 : atoll(PQgetvalue(r, 0, 3));
	copy(o->for_name, sizeof(o->for_name), r, 4);
	copy(o->by_name, sizeof(o->by_name), r, 5);
	copy(o->signed_at, sizeof(o->signed_at), r, 6);
	o->want_transmit = !strcmp(PQgetvalue(r, 0, 7), "true");
	copy(o->meta, sizeof(o->meta), r, 8);
	copy(o->city, sizeof(o->city), r, 9);
	copy(o->postal_code, sizeof(o->postal_code), r, 10);
	copy(o->role_function, sizeof(o->role_function), r, 11);
	copy(o->file_name, sizeof(o->file_name), r, 12);
	copy(o->media_type, sizeof(o->media_type), r, 13);
	o->blob_id = atoll(PQgetvalue(r, 0, 14));
	o->nchunks = atoi(PQgetvalue(r, 0, 15));
	o->size = atoll(PQgetvalue(r, 0, 16));
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
	char pid[24];
	PGresult *r = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(pid, sizeof(pid), "%lld", person_id);
	struct sqlp p[] = { SQLP_TEXT(pid), SQLP_TEXT(doc_id) };
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
	char pid[24], fid[24], bid[24];
	uint8_t sha[32];
	long long blob_id = 0;
	PGresult *r = NULL;
	int rc, inline_ok = d->len <= STORE_CHUNK_SIZE;

	if (!inline_ok && (rc = big_blob(c, d->data, d->len, &blob_id, e)))
		return rc;
	if (inline_ok)
		sha256_once(d->data, d->len, sha);
	snprintf(pid, sizeof(pid), "%lld", d->person_id);
	snprintf(fid, sizeof(fid), "%lld", d->signed_for);
	snprintf(bid, sizeof(bid), "%lld", blob_id);
	struct sqlp p[] = {
		SQLP_TEXT(pid), SQLP_TEXT(fid), SQLP_TEXT(d->doc_id), SQLP_TEXT(d->role),
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
