/*
 * journal.c - liasse journal verify: recompute the journal's hash chain, then
 * check the time-stamps of its head: each must cover the chain's hash at its
 * entry (so re-hashing or removing recent entries shows) and, with a
 * trust_dir, verify as an RFC 3161 token.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/config.h"
#include "sign/sign.h"
#include "store/store.h"

struct stamps {
	long long n, last_seq, bad_seq;
	char last_at[40];
	char why[400];
	int checked;              /* tokens verified against trust_dir */
};

static int
check_stamp(void *arg, long long seq, const uint8_t hash[32], int chain_ok, const void *token,
	    size_t len, const char *at)
{
	struct stamps *st = arg;
	const char *dir = config_str("trust_dir");
	struct lerr e;
	time_t t;

	lerr_clear(&e);
	if (!chain_ok) {
		st->bad_seq = seq;
		snprintf(st->why, sizeof st->why, "the time-stamp of %s covers another hash than the chain's: "
			 "entries were re-hashed or removed", at);
		return 1;
	}
	if (dir && *dir && sign_timestamp_check(token, len, hash, dir, &t, &e)) {
		st->bad_seq = seq;
		snprintf(st->why, sizeof st->why, "its time-stamp does not verify: %s", e.msg);
		return 1;
	}
	st->checked = dir && *dir;
	st->n++;
	st->last_seq = seq;
	snprintf(st->last_at, sizeof st->last_at, "%s", at);
	return 0;
}

int
cli_journal_verify(int argc, char **argv)
{
	struct store *s = NULL;
	struct store_conn *c = NULL;
	struct journal_report r;
	struct stamps st;
	struct lerr e;
	int rc;

	(void)argv;
	memset(&st, 0, sizeof st);
	if (argc != 1)
		return cli_usage("usage: liasse journal verify");
	lerr_clear(&e);
	if (cli_open_store(&s))
		return 1;
	rc = store_acquire(s, &c, &e);
	if (!rc)
		rc = store_journal_verify(c, &r, &e);
	if (!rc && !r.bad_seq)
		rc = store_journal_stamps(c, check_stamp, &st, &e);
	store_release(s, c);
	store_close(s);
	if (rc)
		return cli_fail(&e);
	if (r.bad_seq) {
		fprintf(stderr, "liasse: journal broken at entry %lld: %s (entries 1 to %lld are sound)\n",
			r.bad_seq, r.what, r.entries);
		return 1;
	}
	if (st.bad_seq) {
		fprintf(stderr, "liasse: journal broken at entry %lld: %s\n", st.bad_seq, st.why);
		return 1;
	}
	printf("journal: %lld entries, chain intact", r.entries);
	if (st.n)
		printf("; %lld time-stamp%s of its head match it%s, the latest at entry %lld (%s)", st.n,
		       st.n == 1 ? "" : "s", st.checked ? " and verify" : " (tokens not checked: no trust_dir)",
		       st.last_seq, st.last_at);
	printf("\n");
	return 0;
}
