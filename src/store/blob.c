/*
 * blob.c - content-addressed blobs stored in chunks.
 *
 * A writer keeps one chunk in memory.  When a second chunk arrives it opens a
 * blob row without a digest (through need_conn, inside the caller's
 * transaction) and appends chunks as the bytes come, so at most one chunk is
 * held; at the end it seals the row with its SHA-256, or, if that digest is
 * known already, drops the new copy and reuses the old blob.  A file of one
 * chunk never touches the database here: it is stored with its document.
 * Nothing is visible before the caller commits: an interrupted upload
 * leaves nothing behind.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/spool.h"
#include "core/util.h"

int
store_blob_begin(struct store_blob_writer *w, int64_t max,
		 int (*need_conn)(void *arg, struct store_conn **c, struct lerr *e), void *arg,
		 struct lerr *e)
{
	struct sha256 *sha = malloc(sizeof(*sha));

	memset(w, 0, sizeof(*w));
	w->chunk = malloc(STORE_CHUNK_SIZE);
	if (!sha || !w->chunk || sha256_init(sha)) {
		free(sha);
		free(w->chunk);
		w->chunk = NULL;
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	}
	w->sha = sha;
	w->max = max;
	w->need_conn = need_conn;
	w->arg = arg;
	return 0;
}

static int
ensure_conn(struct store_blob_writer *w, struct lerr *e)
{
	return w->c ? 0 : w->need_conn(w->arg, &w->c, e);
}

/* Writes the chunk in memory, opening the blob row first if needed. */
static int
flush_chunk(struct store_blob_writer *w, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	if (w->fill == 0)
		return 0;
	if ((rc = ensure_conn(w, e)))
		return rc;
	if (w->blob_id == 0) {
		if ((rc = sq_exec(w->c, "INSERT INTO blob DEFAULT VALUES RETURNING id", NULL, 0, &r, e)))
			return rc;
		w->blob_id = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	struct sqlp p[3] = { SQLP_INT(w->blob_id), SQLP_INT(w->seq), SQLP_BIN(w->chunk, w->fill) };
	rc = sq_exec(w->c, "INSERT INTO blob_chunk (blob_id, seq, data) VALUES ($1, $2, $3)", p, 3, NULL, e);
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
		size_t take;
		int rc;

		/* A full chunk is written only once more bytes come: a file of
		 * exactly one chunk can still be kept inline. */
		if (w->fill == STORE_CHUNK_SIZE && (rc = flush_chunk(w, e)))
			return rc;
		take = STORE_CHUNK_SIZE - w->fill < n ? STORE_CHUNK_SIZE - w->fill : n;
		memcpy(w->chunk + w->fill, s, take);
		w->fill += take;
		s += take;
		n -= take;
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

/* One chunk, stored now (with dedup) by the same SQL function the document
 * creation uses. */
static int
put_small(struct store_blob_writer *w, const uint8_t sha256[32], long long *blob_id, struct lerr *e)
{
	struct sqlp p[2] = { SQLP_BIN(sha256, 32), SQLP_BIN(w->chunk, w->fill) };
	PGresult *r = NULL;
	int rc = ensure_conn(w, e);

	if (!rc)
		rc = sq_exec(w->c, "SELECT blob_put_small($1, $2)", p, 2, &r, e);
	if (!rc) {
		*blob_id = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return rc;
}

/* Seals a blob written in chunks, or drops it for an identical one. */
static int
seal(struct store_blob_writer *w, const uint8_t sha256[32], long long *blob_id, struct lerr *e)
{
	struct sqlp q[1] = { SQLP_BIN(sha256, 32) };
	PGresult *r = NULL;
	int rc;

	/* Two uploads of the same bytes at once: the second waits here for the
	 * first to commit, then finds its blob instead of violating UNIQUE. */
	if ((rc = sq_exec(w->c, "SELECT pg_advisory_xact_lock(('x' || substr(encode($1, 'hex'), 1, 15))::bit(60)::bigint)",
			  q, 1, NULL, e)) ||
	    (rc = sq_exec(w->c, "SELECT id FROM blob WHERE sha256 = $1", q, 1, &r, e)))
		return rc;
	if (PQntuples(r) > 0) {
		struct sqlp d[1] = { SQLP_INT(w->blob_id) };

		*blob_id = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
		return sq_exec(w->c, "DELETE FROM blob WHERE id = $1", d, 1, NULL, e);
	}
	PQclear(r);
	struct sqlp p[4] = { SQLP_INT(w->blob_id), SQLP_BIN(sha256, 32), SQLP_INT(w->size), SQLP_INT(w->seq) };
	*blob_id = w->blob_id;
	return sq_exec(w->c, "UPDATE blob SET sha256 = $2, size = $3, nchunks = $4 WHERE id = $1",
		       p, 4, NULL, e);
}

int
store_blob_end(struct store_blob_writer *w, int keep_inline, long long *blob_id,
	       uint8_t sha256[32], int64_t *size, struct lerr *e)
{
	int rc;

	sha256_final(w->sha, sha256);
	free(w->sha);
	w->sha = NULL;
	*size = w->size;
	*blob_id = 0;
	if (w->blob_id == 0)
		return keep_inline ? 0 : put_small(w, sha256, blob_id, e);
	if ((rc = flush_chunk(w, e)))
		return rc;
	return seal(w, sha256, blob_id, e);
}

int
store_blob_chunk(struct store_conn *c, long long blob_id, int seq, void *out, size_t *len,
		 struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	struct sqlp p[2] = { SQLP_INT(blob_id), SQLP_INT(seq) };
	rc = sq_exec_bin(c, "SELECT data FROM blob_chunk WHERE blob_id = $1::bigint AND seq = $2::int",
			 p, 2, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) == 0) {         /* moved to archive_dir (archive.c) */
		PQclear(r);
		return store_archive_chunk(c, blob_id, seq, out, len, e);
	}
	if (PQgetlength(r, 0, 0) > STORE_CHUNK_SIZE) {
		PQclear(r);
		return lerr_set(e, LERR_INTERNAL, NULL, "blob %lld: chunk %d is too long", blob_id, seq);
	}
	*len = (size_t)PQgetlength(r, 0, 0);
	memcpy(out, PQgetvalue(r, 0, 0), *len);
	PQclear(r);
	return 0;
}

int
store_blob_reader_init(struct store_blob_reader *r, struct store_conn *c, long long blob_id,
		       int nchunks, struct lerr *e)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->blob_id = blob_id;
	r->nchunks = nchunks;
	if (!(r->chunk = malloc(STORE_CHUNK_SIZE)))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	if (store_blob_verify(c, blob_id, e)) {      /* an archived copy, whole, first */
		store_blob_reader_fini(r);
		return e->kind;
	}
	return 0;
}

void
store_blob_reader_fini(struct store_blob_reader *r)
{
	free(r->chunk);
	r->chunk = NULL;
}

int
store_blob_read(void *reader, char *out, int max)
{
	struct store_blob_reader *r = reader;
	size_t n;

	if (r->failed)
		return -1;
	if (r->off == r->len) {
		if (r->seq >= r->nchunks)
			return 0;
		if (store_blob_chunk(r->c, r->blob_id, r->seq, r->chunk, &r->len, &r->err)) {
			r->failed = 1;
			return -1;
		}
		r->seq++;
		r->off = 0;
	}
	n = r->len - r->off < (size_t)max ? r->len - r->off : (size_t)max;
	memcpy(out, r->chunk + r->off, n);
	r->off += n;
	return (int)n;
}

int
store_blob_close(void *reader)
{
	(void)reader;
	return 0;
}

struct store_blob_stream {
	struct store *store;
	long long blob_id;
	int64_t start;               /* first byte of the range in the blob */
	int seq;                     /* chunk held in buf, -1: none */
	size_t len;
	char buf[];                  /* STORE_CHUNK_SIZE bytes */
};

struct store_blob_stream *
store_blob_stream_create(struct store *s, long long blob_id, int64_t start)
{
	struct store_blob_stream *st = malloc(sizeof(*st) + STORE_CHUNK_SIZE);

	if (!st)
		return NULL;
	*st = (struct store_blob_stream){ .store = s, .blob_id = blob_id, .start = start, .seq = -1 };
	return st;
}

ssize_t
store_blob_stream_read(void *stream, uint64_t pos, char *out, size_t max)
{
	struct store_blob_stream *st = stream;
	uint64_t at = (uint64_t)st->start + pos;
	int seq = (int)(at / STORE_CHUNK_SIZE);
	size_t off = at % STORE_CHUNK_SIZE, n;

	if (seq != st->seq) {
		struct store_conn *c = NULL;
		struct lerr e;
		int rc = store_acquire(st->store, &c, &e);

		if (!rc)
			rc = store_blob_chunk(c, st->blob_id, seq, st->buf, &st->len, &e);
		store_release(st->store, c);
		if (rc) {
			log_error("download of blob %lld stopped: %s %s", st->blob_id, e.msg, e.detail);
			return -1;
		}
		st->seq = seq;
	}
	if (off >= st->len)
		return -1;
	n = st->len - off < max ? st->len - off : max;
	memcpy(out, st->buf + off, n);
	return (ssize_t)n;
}

void
store_blob_stream_destroy(void *stream)
{
	free(stream);
}

/* ---- blobs and files (the signing path's temporary files) ---- */

#define FD_PIECE (256 * 1024)

static int
this_conn(void *arg, struct store_conn **c, struct lerr *e)
{
	(void)e;
	*c = arg;
	return 0;
}

int
store_blob_from_fd(struct store_conn *c, int fd, int64_t len, long long *blob_id, struct lerr *e)
{
	struct store_blob_writer w;
	char *piece = malloc(FD_PIECE);
	uint8_t sha[32];
	int64_t size;
	int rc = piece ? store_blob_begin(&w, len, this_conn, c, e) :
		 lerr_set(e, LERR_INTERNAL, NULL, "out of memory");

	if (rc) {
		free(piece);
		return rc;
	}
	for (int64_t at = 0; !rc && at < len; at += FD_PIECE) {
		size_t n = len - at < FD_PIECE ? (size_t)(len - at) : FD_PIECE;

		if (spool_read_at(fd, piece, n, at))
			rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot read the temporary file");
		else
			rc = store_blob_write(&w, piece, n, e);
	}
	if (!rc)
		rc = store_blob_end(&w, 0, blob_id, sha, &size, e);
	store_blob_abort(&w);
	free(piece);
	return rc;
}

int
store_blob_to_fd(struct store_conn *c, long long blob_id, int nchunks, int fd, int64_t *len,
		 struct lerr *e)
{
	char *chunk = malloc(STORE_CHUNK_SIZE);
	int rc = chunk ? 0 : lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	size_t n;

	*len = 0;
	for (int seq = 0; !rc && seq < nchunks; seq++) {
		if ((rc = store_blob_chunk(c, blob_id, seq, chunk, &n, e)))
			break;
		for (size_t off = 0; !rc && off < n;) {
			ssize_t w = pwrite(fd, chunk + off, n - off, (off_t)*len);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "cannot write the temporary file");
				lerr_detail(e, "%s", w < 0 ? strerror(errno) : "no space left");
				break;
			}
			off += (size_t)w;
			*len += w;
		}
	}
	free(chunk);
	return rc;
}
