/*
 * blob.c - content-addressed blobs stored in chunks.
 *
 * An upload opens a blob row without a digest, appends STORE_CHUNK_SIZE
 * chunks as the bytes arrive (so at most one chunk is held in memory) and
 * seals the row with its SHA-256 at the end.  If that digest is known
 * already the new copy is deleted and the old blob reused.  All of it runs in
 * the caller's transaction: an interrupted upload leaves nothing behind.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

int
store_blob_begin(struct store_conn *c, struct store_blob_writer *w, int64_t max, struct lerr *e)
{
	PGresult *r = NULL;
	struct sha256 *sha;
	int rc;

	memset(w, 0, sizeof(*w));
	rc = sq_exec(c, "INSERT INTO blob DEFAULT VALUES RETURNING id", NULL, 0, &r, e);
	if (rc)
		return rc;
	w->blob_id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	sha = malloc(sizeof(*sha));
	w->chunk = malloc(STORE_CHUNK_SIZE);
	if (!sha || !w->chunk || sha256_init(sha)) {
		free(sha);
		free(w->chunk);
		w->chunk = NULL;
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	}
	w->sha = sha;
	w->c = c;
	w->max = max;
	return 0;
}

static int
flush_chunk(struct store_blob_writer *w, struct lerr *e)
{
	char id[32], seq[16];

	if (w->fill == 0)
		return 0;
	snprintf(id, sizeof(id), "%lld", w->blob_id);
	snprintf(seq, sizeof(seq), "%d", w->seq);
	struct sqlp p[3] = { SQLP_TEXT(id), SQLP_TEXT(seq), SQLP_BIN(w->chunk, w->fill) };
	int rc = sq_exec(w->c, "INSERT INTO blob_chunk (blob_id, seq, data) VALUES ($1, $2, $3)",
			 p, 3, NULL, e);

	if (!rc) {
		w->seq++;
		w->fill = 0;
	}
	return rc;
}

int
store_blob_write(struct store_blob_writer *w, const void *p, size_t n, struct lerr *e)
{
	const char *s = p;

	if (w->size + (int64_t)n > w->max) {
		lerr_set(e, LERR_TOOLARGE, NULL, "file too large");
		lerr_detail(e, "the limit is %lld bytes", (long long)w->max);
		return LERR_TOOLARGE;
	}
	sha256_update(w->sha, p, n);
	w->size += (int64_t)n;
	while (n) {
		size_t take = STORE_CHUNK_SIZE - w->fill;

		if (take > n)
			take = n;
		memcpy(w->chunk + w->fill, s, take);
		w->fill += take;
		s += take;
		n -= take;
		if (w->fill == STORE_CHUNK_SIZE) {
			int rc = flush_chunk(w, e);

			if (rc)
				return rc;
		}
	}
	return 0;
}

void
store_blob_abort(struct store_blob_writer *w)
{
	if (w->sha)
		sha256_fini(w->sha);
	free(w->sha);
	free(w->chunk);
	w->sha = NULL;
	w->chunk = NULL;
}

int
store_blob_end(struct store_blob_writer *w, long long *blob_id, uint8_t sha256[32],
	       int64_t *size, struct lerr *e)
{
	char id[32], sz[32], nch[16];
	PGresult *r = NULL;
	int rc = flush_chunk(w, e);

	if (rc)
		goto out;
	sha256_final(w->sha, sha256);
	free(w->sha);
	w->sha = NULL;
	snprintf(id, sizeof(id), "%lld", w->blob_id);
	snprintf(sz, sizeof(sz), "%lld", (long long)w->size);
	snprintf(nch, sizeof(nch), "%d", w->seq);
	struct sqlp q[1] = { SQLP_BIN(sha256, 32) };
	/* Two uploads of the same bytes at once: the second waits here for the
	 * first to commit, then finds its blob instead of violating UNIQUE. */
	rc = sq_exec(w->c, "SELECT pg_advisory_xact_lock(('x' || substr(encode($1, 'hex'), 1, 15))::bit(60)::bigint)",
		     q, 1, NULL, e);
	if (rc)
		goto out;
	rc = sq_exec(w->c, "SELECT id FROM blob WHERE sha256 = $1", q, 1, &r, e);
	if (rc)
		goto out;
	if (PQntuples(r) > 0) {
		struct sqlp d[1] = { SQLP_TEXT(id) };

		*blob_id = atoll(PQgetvalue(r, 0, 0));
		rc = sq_exec(w->c, "DELETE FROM blob WHERE id = $1", d, 1, NULL, e);
		goto out;
	}
	struct sqlp p[4] = { SQLP_TEXT(id), SQLP_BIN(sha256, 32), SQLP_TEXT(sz), SQLP_TEXT(nch) };
	rc = sq_exec(w->c, "UPDATE blob SET sha256 = $2, size = $3, nchunks = $4 WHERE id = $1",
		     p, 4, NULL, e);
	*blob_id = w->blob_id;
out:
	PQclear(r);
	*size = w->size;
	store_blob_abort(w);
	return rc;
}

int
store_blob_chunk(struct store_conn *c, long long blob_id, int seq, void *out, size_t *len,
		 struct lerr *e)
{
	char id[32], sq[16];
	PGresult *r = NULL;
	int rc;

	snprintf(id, sizeof(id), "%lld", blob_id);
	snprintf(sq, sizeof(sq), "%d", seq);
	struct sqlp p[2] = { SQLP_TEXT(id), SQLP_TEXT(sq) };
	rc = sq_exec_bin(c, "SELECT data FROM blob_chunk WHERE blob_id = $1::bigint AND seq = $2::int",
			 p, 2, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) == 0 || PQgetlength(r, 0, 0) > STORE_CHUNK_SIZE) {
		PQclear(r);
		return lerr_set(e, LERR_INTERNAL, NULL, "blob %lld has no chunk %d", blob_id, seq);
	}
	*len = (size_t)PQgetlength(r, 0, 0);
	memcpy(out, PQgetvalue(r, 0, 0), *len);
	PQclear(r);
	return 0;
}
