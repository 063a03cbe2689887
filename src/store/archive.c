/*
 * archive.c - the files of finished documents moved out of the hot tables
 * (034_archive.sql, functions/85_archive.sql, doc/retention.md).
 *
 * A blob's copy is one file in archive_dir, named by its SHA-256 in two
 * levels of directories (ab/cd/abcd…), written to a temporary name, synced,
 * its digest checked against blob.sha256, then renamed and its directory
 * synced: only then does archive_document() delete chunks.  Reading a blob
 * whose chunks are gone reads that file (store_blob_chunk() falls back to
 * archive_chunk()); chunk 0 is served only after the whole file's digest
 * matched, so a damaged copy is an error, never wrong bytes.  The file name
 * is the content's digest: a second document with the same file shares the
 * copy, and moving archive_dir moves the archive.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

static char archive_dir[PATH_MAX];

void
store_archive_set_dir(const char *dir)
{
	snprintf(archive_dir, sizeof(archive_dir), "%s", dir ? dir : "");
}

const char *
store_archive_dir(void)
{
	return archive_dir;
}

/* dir/ab/cd/<hex>; with make, creates the two directories. */
static int
blob_path(const uint8_t sha[32], char *out, size_t n, int make, struct lerr *e)
{
	size_t d = strlen(archive_dir);
	char hex[65];
	int len;

	hex_encode(sha, 32, hex);
	len = snprintf(out, n, "%s/%.2s/%.2s/%s", archive_dir, hex, hex + 2, hex);
	if (len < 0 || (size_t)len >= n)
		return lerr_set(e, LERR_INTERNAL, "archive_dir", "archive_dir is too long");
	for (size_t cut = d + 3; make && cut <= d + 6; cut += 3) {
		out[cut] = '\0';
		if (mkdir(out, 0750) && errno != EEXIST) {
			lerr_set(e, LERR_UNAVAILABLE, NULL, "cannot create the archive directory %s", out);
			lerr_detail(e, "%s", strerror(errno));
			lerr_hint(e, "check that archive_dir exists and that liassed's user may write in it");
			return LERR_UNAVAILABLE;
		}
		out[cut] = '/';
	}
	return 0;
}

static int
sync_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')))
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
io_fail(struct lerr *e, const char *what, const char *path)
{
	lerr_set(e, LERR_UNAVAILABLE, NULL, "cannot %s the archived file %s", what, path);
	lerr_detail(e, "%s", strerror(errno));
	lerr_hint(e, "check archive_dir: free space, permissions");
	return LERR_UNAVAILABLE;
}

/* Writes the blob's chunks to fd, hashing them. */
static int
copy_chunks(struct store_conn *c, const struct store_archive_blob *b, int fd, uint8_t got[32],
	    struct lerr *e)
{
	char *chunk = malloc(STORE_CHUNK_SIZE);
	struct sha256 h = { 0 };
	size_t len;
	int rc = 0;

	if (!chunk || sha256_init(&h)) {
		free(chunk);
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	}
	for (int seq = 0; !rc && seq < b->nchunks; seq++) {
		if ((rc = store_blob_chunk(c, b->id, seq, chunk, &len, e)))
			break;
		sha256_update(&h, chunk, len);
		if (write_all(fd, chunk, len))
			rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "cannot write to archive_dir: %s", strerror(errno));
	}
	if (rc)
		sha256_fini(&h);
	else
		sha256_final(&h, got);
	free(chunk);
	return rc;
}

int
store_archive_copy(struct store_conn *c, const struct store_archive_blob *b, struct lerr *e)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	uint8_t got[32];
	int fd, rc;

	if (!archive_dir[0])
		return lerr_set(e, LERR_INTERNAL, "archive_dir", "archive_dir is not set");
	if ((rc = blob_path(b->sha256, path, sizeof(path), 1, e)))
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		return io_fail(e, "create", tmp);
	rc = copy_chunks(c, b, fd, got, e);
	if (!rc && fsync(fd))
		rc = io_fail(e, "sync", tmp);
	close(fd);
	if (!rc && memcmp(got, b->sha256, 32))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "blob %lld: its chunks do not hash to its SHA-256", b->id);
	if (!rc && rename(tmp, path))
		rc = io_fail(e, "rename", path);
	if (!rc && sync_dir(path))
		rc = io_fail(e, "sync the directory of", path);
	if (rc)
		unlink(tmp);
	return rc;
}

/* The whole file's digest against the blob's (chunk 0 is read first). */
static int
check_copy(int fd, const char *path, const uint8_t want[32], char *buf, struct lerr *e)
{
	struct sha256 h;
	uint8_t got[32];
	ssize_t n;

	if (sha256_init(&h))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	while ((n = read(fd, buf, STORE_CHUNK_SIZE)) > 0)
		sha256_update(&h, buf, (size_t)n);
	if (n < 0) {
		sha256_fini(&h);
		return io_fail(e, "read", path);
	}
	sha256_final(&h, got);
	if (memcmp(got, want, 32)) {
		lerr_set(e, LERR_INTERNAL, NULL, "the archived copy of a file is damaged");
		lerr_detail(e, "%s does not hash to the SHA-256 the database keeps", path);
		e->detail_private = 1;
		return LERR_INTERNAL;
	}
	return 0;
}

int
store_archive_chunk(struct store_conn *c, long long blob_id, int seq, void *out, size_t *len,
		    struct lerr *e)
{
	char id[32], path[PATH_MAX];
	struct sqlp p[1] = { SQLP_TEXT(id) };
	PGresult *r = NULL;
	off_t at = (off_t)seq * STORE_CHUNK_SIZE;
	long long size;
	uint8_t sha[32];
	ssize_t n;
	int fd, rc;

	snprintf(id, sizeof(id), "%lld", blob_id);
	if ((rc = sq_exec_bin(c, "SELECT sha256, size::text::bytea FROM blob"
			      " WHERE id = $1::bigint AND archived_at IS NOT NULL", p, 1, &r, e)))
		return rc;
	if (PQntuples(r) == 0 || PQgetlength(r, 0, 0) != 32 || !archive_dir[0]) {
		PQclear(r);
		return lerr_set(e, LERR_INTERNAL, NULL, "blob %lld has no chunk %d%s", blob_id, seq,
				archive_dir[0] ? "" : " (archive_dir is not set)");
	}
	memcpy(sha, PQgetvalue(r, 0, 0), 32);
	size = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	if ((rc = blob_path(sha, path, sizeof(path), 0, e)))
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return io_fail(e, "open", path);
	if ((n = pread(fd, out, STORE_CHUNK_SIZE, at)) < 0)
		rc = io_fail(e, "read", path);
	else if (n == 0 && at < size)
		rc = lerr_set(e, LERR_INTERNAL, NULL, "the archived copy %s is shorter than the file", path);
	if (!rc)
		*len = (size_t)n;
	close(fd);
	return rc;
}

int
store_blob_verify(struct store_conn *c, long long blob_id, struct lerr *e)
{
	char id[32], path[PATH_MAX];
	struct sqlp p[1] = { SQLP_TEXT(id) };
	PGresult *r = NULL;
	uint8_t sha[32];
	char *buf;
	int fd, rc;

	snprintf(id, sizeof(id), "%lld", blob_id);
	if ((rc = sq_exec_bin(c, "SELECT sha256 FROM blob b WHERE id = $1::bigint AND archived_at IS NOT NULL"
			      " AND nchunks + size > 0 AND NOT EXISTS (SELECT 1 FROM blob_chunk c"
			      " WHERE c.blob_id = b.id AND c.seq = 0)", p, 1, &r, e)))
		return rc;
	if (PQntuples(r) == 0 || PQgetlength(r, 0, 0) != 32) {   /* in the database */
		PQclear(r);
		return 0;
	}
	memcpy(sha, PQgetvalue(r, 0, 0), 32);
	PQclear(r);
	if (!archive_dir[0])
		return lerr_set(e, LERR_INTERNAL, "archive_dir", "a file is archived but archive_dir is not set");
	if ((rc = blob_path(sha, path, sizeof(path), 0, e)))
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return io_fail(e, "open", path);
	if (!(buf = malloc(STORE_CHUNK_SIZE)))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	else
		rc = check_copy(fd, path, sha, buf, e);
	free(buf);
	close(fd);
	return rc;
}

int
store_archive_due(struct store_conn *c, int batch, char (*ids)[37], int *n, struct lerr *e)
{
	char lim[16];
	struct sqlp p[1] = { SQLP_TEXT(lim) };
	PGresult *r = NULL;
	int rc;

	*n = 0;
	snprintf(lim, sizeof(lim), "%d", batch);
	if ((rc = sq_exec(c, "SELECT archive_due($1::int)", p, 1, &r, e)))
		return rc;
	for (int i = 0; i < PQntuples(r) && i < batch; i++)
		snprintf(ids[(*n)++], 37, "%s", PQgetvalue(r, i, 0));
	PQclear(r);
	return 0;
}

/* Copies each blob of the document that has no copy yet. */
static int
copy_blobs(struct store_conn *c, const char *doc, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(doc) };
	PGresult *r = NULL;
	int rc = sq_exec_bin(c, "SELECT id::text::bytea, sha256, size::text::bytea, nchunks::text::bytea"
			     " FROM archive_blobs($1::uuid)", p, 1, &r, e);

	for (int i = 0; !rc && i < PQntuples(r); i++) {
		struct store_archive_blob b = {
			.id = strtoll(PQgetvalue(r, i, 0), NULL, 10),
			.size = strtoll(PQgetvalue(r, i, 2), NULL, 10),
			.nchunks = atoi(PQgetvalue(r, i, 3)),
		};

		if (PQgetlength(r, i, 1) != 32) {
			rc = lerr_set(e, LERR_INTERNAL, NULL, "blob %lld has no digest", b.id);
			break;
		}
		memcpy(b.sha256, PQgetvalue(r, i, 1), 32);
		rc = store_archive_copy(c, &b, e);
	}
	PQclear(r);
	return rc;
}

int
store_archive_document(struct store_conn *c, const char *doc, const char *actor, int *chunks,
		       struct lerr *e)
{
	struct sqlp p[2] = { SQLP_TEXT(doc), SQLP_TEXT(actor) };
	long long n = 0;
	int rc;

	*chunks = 0;
	if ((rc = copy_blobs(c, doc, e)) || (rc = store_begin(c, e)))
		return rc;
	rc = sq_int(c, "SELECT archive_document($1::uuid, $2)", p, 2, &n, e);
	if (!rc)
		rc = store_commit(c, e);
	else
		store_rollback(c);
	*chunks = (int)n;
	return rc;
}
