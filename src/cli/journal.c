/* journal.c - liasse journal verify: recompute the journal's hash chain. */
#include <stdio.h>

#include "cli/cli.h"
#include "store/store.h"

int
cli_journal_verify(int argc, char **argv)
{
	struct store *s = NULL;
	struct store_conn *c = NULL;
	struct journal_report r;
	struct lerr e;
	int rc;

	(void)argv;
	if (argc != 1)
		return cli_usage("usage: liasse journal verify");
	lerr_clear(&e);
	if (cli_open_store(&s))
		return 1;
	rc = store_acquire(s, &c, &e);
	if (!rc)
		rc = store_journal_verify(c, &r, &e);
	store_release(s, c);
	store_close(s);
	if (rc)
		return cli_fail(&e);
	if (r.bad_seq) {
		fprintf(stderr, "liasse: journal broken at entry %lld: %s (entries 1 to %lld are sound)\n",
			r.bad_seq, r.what, r.entries);
		return 1;
	}
	printf("journal: %lld entries, chain intact\n", r.entries);
	return 0;
}
