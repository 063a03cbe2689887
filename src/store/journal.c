/*
 * journal.c - verification of the journal's hash chain.
 *
 * The chain is recomputed here, in C, independently of the SQL functions
 * that built it (001_init.sql): an attacker who can rewrite rows, or even
 * journal_canonical(), does not control this definition.  Entry n's hash is
 * SHA-256(prev_hash || canonical), canonical being the UTF-8 text
 *   seq|epoch microseconds of at|actor|action|doc_id or ''|org_id or ''|detail
 * PostgreSQL hands over each piece as UTF-8 bytes (convert_to), so the bytes
 * hashed here are exactly those journal_seal() hashed, whatever the client
 * encoding.  The chain is read in seq order, one batch at a time (keyset
 * pagination), inside one REPEATABLE READ snapshot.
 */
#include "store/store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define BATCH 1000
#define STR(x) #x
#define XSTR(x) STR(x)
#define NPIECES 7

/* Pieces 0..6 are the canonical text's fields; 7 and 8 prev_hash and hash. */
static const char journal_page_sql[] =
	"SELECT convert_to(seq::text, 'UTF8'),"
	" convert_to(((extract(epoch FROM at) * 1000000)::bigint)::text, 'UTF8'),"
	" convert_to(actor, 'UTF8'), convert_to(action, 'UTF8'),"
	" convert_to(coalesce(doc_id::text, ''), 'UTF8'),"
	" convert_to(coalesce(org_id::text, ''), 'UTF8'),"
	" convert_to(detail::text, 'UTF8'), prev_hash, hash"
	" FROM journal WHERE seq > $1::bigint ORDER BY seq LIMIT " XSTR(BATCH);

static void LERR_PRINTF(4, 5)
fault(struct journal_report *r, long long seq, int kind, const char *fmt, ...)
{
	va_list ap;

	r->bad_seq = seq;
	r->fault = kind;
	va_start(ap, fmt);
	vsnprintf(r->what, sizeof(r->what), fmt, ap);
	va_end(ap);
}

/* The seq of a row (piece 0: decimal digits); -1 if unreadable. */
static long long
row_seq(PGresult *res, int row)
{
	char buf[24];
	int len = PQgetlength(res, row, 0);
	char *end;
	long long v;

	if (PQgetisnull(res, row, 0) || len <= 0 || len >= (int)sizeof(buf))
		return -1;
	memcpy(buf, PQgetvalue(res, row, 0), (size_t)len);
	buf[len] = '\0';
	v = strtoll(buf, &end, 10);
	return *end ? -1 : v;
}

/* SHA-256(prev || canonical text of the row). */
static int
row_hash(PGresult *res, int row, const uint8_t prev[SHA256_LEN], uint8_t out[SHA256_LEN])
{
	struct sha256 h;

	if (sha256_init(&h))
		return -1;
	sha256_update(&h, prev, SHA256_LEN);
	for (int i = 0; i < NPIECES; i++) {
		if (i)
			sha256_update(&h, "|", 1);
		sha256_update(&h, PQgetvalue(res, row, i), (size_t)PQgetlength(res, row, i));
	}
	sha256_final(&h, out);
	return 0;
}

static int
same_hash(PGresult *res, int row, int col, const uint8_t want[SHA256_LEN])
{
	return !PQgetisnull(res, row, col) && PQgetlength(res, row, col) == SHA256_LEN &&
	       memcmp(PQgetvalue(res, row, col), want, SHA256_LEN) == 0;
}

/* Checks one row against the chain so far (r->entries, r->head): 0 if it
 * holds, 1 after filling the fault, -1 if the digest cannot be computed. */
static int
check_row(PGresult *res, int row, struct journal_report *r)
{
	long long seq = row_seq(res, row), want = r->entries + 1;
	uint8_t h[SHA256_LEN];

	if (seq != want) {
		if (seq > want)
			fault(r, want, JOURNAL_GAP, "entry %lld is missing (deleted): the chain "
			      "jumps from %lld to %lld", want, want - 1, seq);
		else
			fault(r, want, JOURNAL_GAP, "entry %lld is missing: the chain continues "
			      "with seq %lld", want, seq);
		return 1;
	}
	if (!same_hash(res, row, 7, r->head)) {
		fault(r, seq, JOURNAL_LINK, "entry %lld does not follow entry %lld: its prev_hash is not "
		      "that entry's hash (entry inserted, reordered or a predecessor re-hashed)", seq, seq - 1);
		return 1;
	}
	if (row_hash(res, row, r->head, h))
		return -1;
	if (!same_hash(res, row, 8, h)) {
		fault(r, seq, JOURNAL_HASH, "entry %lld was altered: its hash does not match "
		      "its content", seq);
		return 1;
	}
	memcpy(r->head, h, SHA256_LEN);
	r->entries = seq;
	return 0;
}

/* Reads and checks the sealed chain, batch after batch, until its end or
 * the first fault. */
static int
walk(struct store_conn *c, struct journal_report *r, struct lerr *e)
{
	PGresult *res = NULL;
	char after[24];
	struct sqlp p[1] = { SQLP_TEXT(after) };
	int rc, n, bad = 0;

	do {
		snprintf(after, sizeof(after), "%lld", r->entries);
		if ((rc = sq_exec_bin(c, journal_page_sql, p, 1, &res, e)))
			return rc;
		n = PQntuples(res);
		for (int i = 0; i < n && !bad; i++)
			bad = check_row(res, i, r);
		PQclear(res);
	} while (!bad && n == BATCH);
	return bad < 0 ? lerr_set(e, LERR_INTERNAL, NULL, "cannot compute SHA-256") : 0;
}

int
store_journal_verify(struct store_conn *c, struct journal_report *r, struct lerr *e)
{
	int sealed = 0, own = !store_in_txn(c), rc;

	memset(r, 0, sizeof(*r));
	if ((rc = store_journal_seal(c, &sealed, e)))
		return rc;
	r->sealed = sealed;
	if (own) {
		if ((rc = sq_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL, 0, NULL, e)))
			return rc;
		c->in_txn = 1;
	}
	rc = walk(c, r, e);
	if (own)
		store_rollback(c);   /* read only: nothing to keep */
	return rc;
}
