/* secrets.c - liasse secrets: the key-encryption key sealing secrets at
 * rest (doc/secrets.md): a new key file, what is sealed under which key,
 * and re-sealing everything under the current key (rotation). */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "core/config.h"
#include "core/kek.h"
#include "store/store.h"

int cli_kek_lenient;

int
cli_secrets_new_key(int argc, char **argv)
{
	struct lerr e;

	if (argc != 2)
		return cli_usage("usage: liasse secrets new-key FILE");
	lerr_clear(&e);
	if (kek_new_file(argv[1], &e))
		return cli_fail(&e);
	fprintf(stderr, "a new key-encryption key is in %s (mode 0600): back it up apart from the database\n",
		argv[1]);
	return 0;
}

/* fn(c) with the store opened leniently (sealed data the keyring cannot
 * open does not stop these commands: they report it). */
static int
with_store(int (*fn)(struct store_conn *c, void *arg, struct lerr *e), void *arg)
{
	struct store *s = NULL;
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	cli_kek_lenient = 1;
	lerr_clear(&e);
	if (cli_open_store(&s))
		return 1;
	if (!(rc = store_acquire(s, &c, &e)))
		rc = fn(c, arg, &e);
	store_release(s, c);
	store_close(s);
	return rc ? cli_fail(&e) : 0;
}

static int
status(struct store_conn *c, void *arg, struct lerr *e)
{
	struct secret_inventory inv;
	char cur[2 * KEK_ID_LEN + 1];
	int rc = store_secret_inventory(c, &inv, e);

	(void)arg;
	if (rc)
		return rc;
	kek_current_id(cur);
	printf("current key\t%s\n", *cur ? cur : "(none: secrets are written in clear)");
	printf("sealed under the current key\t%lld\n", inv.current);
	printf("sealed under a previous key\t%lld\n", inv.previous);
	printf("in clear\t%lld\n", inv.clear);
	printf("sealed under a key not configured\t%lld%s%s\n", inv.unknown, inv.unknown ? "\t" : "",
	       inv.unknown ? inv.unknown_kid : "");
	printf("values in clear refused\t%s\n", config_int("secrets_require_sealed") ? "yes" :
	       "no (secrets_require_sealed; turn it on once in clear is 0)");
	return 0;
}

int
cli_secrets_status(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage("usage: liasse secrets status");
	return with_store(status, NULL);
}

static int
reseal(struct store_conn *c, void *arg, struct lerr *e)
{
	struct reseal_stats st;
	int rc = store_secret_reseal(c, *(int *)arg, &st, e);

	if (rc)
		return rc;
	printf("%lld secret(s) sealed under the current key, %lld batch(es)\n", st.resealed, st.batches);
	if (st.changed)
		printf("%lld changed meanwhile: run reseal again\n", st.changed);
	if (st.failed) {
		lerr_set(e, LERR_INVALID, NULL, "%lld secret(s) could not be opened; the first: %s", st.failed,
			 st.first_failure);
		return LERR_INVALID;
	}
	return 0;
}

int
cli_secrets_reseal(int argc, char **argv)
{
	static const struct option o[] = { { "batch", 1, NULL, 'b' }, { NULL, 0, NULL, 0 } };
	int ch, batch = 100;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (ch != 'b' || (batch = atoi(optarg)) < 1 || batch > 10000)
			return cli_usage("usage: liasse secrets reseal [--batch N] (N: 1-10000)");
	}
	if (optind != argc)
		return cli_usage("usage: liasse secrets reseal [--batch N]");
	return with_store(reseal, &batch);
}
