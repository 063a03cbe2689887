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
#include "core/util.h"

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

/* ---- time-stamps of the head ---- */

int
store_journal_head(struct store_conn *c, struct journal_head *h, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = sq_exec(c, "SELECT coalesce(max(seq), 0), encode(coalesce((SELECT hash FROM journal"
		     " WHERE seq = (SELECT max(seq) FROM journal)), '\\x'), 'hex'),"
		     " coalesce((SELECT max(seq) FROM journal_stamp), 0) FROM journal", NULL, 0, &r, e);
	if (rc)
		return rc;
	h->seq = atoll(PQgetvalue(r, 0, 0));
	if (h->seq && hex_decode(PQgetvalue(r, 0, 1), h->hash, 32))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "journal head hash unreadable");
	h->stamped_seq = atoll(PQgetvalue(r, 0, 2));
	PQclear(r);
	return rc;
}

int
store_journal_stamp_add(struct store_conn *c, long long seq, const uint8_t hash[32],
			const void *token, size_t len, long long gentime, struct lerr *e)
{
	char s[24], t[24];
	struct sqlp p[] = { SQLP_TEXT(s), SQLP_BIN(hash, 32), SQLP_BIN(token, len), SQLP_TEXT(t) };

	snprintf(s, sizeof s, "%lld", seq);
	snprintf(t, sizeof t, "%lld", gentime);
	return sq_exec(c, "INSERT INTO journal_stamp (seq, hash, token, stamped_at)"
		       " VALUES ($1::bigint, $2, $3, to_timestamp($4::bigint)) ON CONFLICT DO NOTHING",
		       p, 4, NULL, e);
}

int
store_journal_stamps(struct store_conn *c, int (*fn)(void *arg, long long seq, const uint8_t hash[32],
		     int chain_ok, const void *token, size_t len, const char *stamped_at),
		     void *arg, struct lerr *e)
{
	PGresult *r = NULL;
	int rc = sq_exec_bin(c, "SELECT s.seq, s.hash, s.token, ts_text(s.stamped_at)::bytea,"
			     " (j.hash IS NOT DISTINCT FROM s.hash)::text::bytea"
			     " FROM journal_stamp s LEFT JOIN journal j ON j.seq = s.seq ORDER BY s.seq",
			     NULL, 0, &r, e);

	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r) && !rc; i++) {
		const unsigned char *sq = (const unsigned char *)PQgetvalue(r, i, 0);
		long long seq = 0;
		char at[40];

		for (int k = 0; k < 8; k++)
			seq = (seq << 8) | sq[k];
		snprintf(at, sizeof at, "%.*s", PQgetlength(r, i, 3), PQgetvalue(r, i, 3));
		if (PQgetlength(r, i, 1) != 32)
			continue;
		rc = fn(arg, seq, (const uint8_t *)PQgetvalue(r, i, 1), PQgetvalue(r, i, 4)[0] == 't',
			PQgetvalue(r, i, 2), (size_t)PQgetlength(r, i, 2), at);
	}
	PQclear(r);
	return 0;
}
