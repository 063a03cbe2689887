/*
 * circuit.c - liasse circuit add|edit|list|delete: an organisation's
 * circuits (visa steps, then a signature; doc/circuits.md), the same SQL
 * functions as the admin API (functions/45_circuit.sql).  A step is written
 * ACTION:WHO, ACTION visa or signature, WHO an e-mail address (a person) or
 * an office (maire, dgs...).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "store/store.h"

struct circuit_args {
	const char *siren, *name;
	long long id;
	char *steps;                 /* JSON text (malloc'd) */
};

/* "visa:dgs" "signature:maire@x.fr" ... as [{"action", "office"|"person"}];
 * NULL when one is not ACTION:WHO.  The actions and who are checked by SQL. */
static char *
steps_json(int n, char **argv)
{
	json_t *a = json_array();
	char *out = NULL;

	for (int i = 0; i < n; i++) {
		const char *colon = strchr(argv[i], ':');

		if (!colon || colon == argv[i] || !colon[1])
			goto out;
		json_array_append_new(a, json_pack("{s:s%, s:s}", "action", argv[i], (size_t)(colon - argv[i]),
						   strchr(colon, '@') ? "person" : "office", colon + 1));
	}
	out = json_dumps(a, JSON_COMPACT);
out:
	json_decref(a);
	return out;
}

static int
save(struct store_conn *c, void *arg, struct lerr *e)
{
	struct circuit_args *a = arg;
	char *json = NULL;
	int rc = store_circuit_save(c, a->id, a->siren, a->name, a->steps, "cli", &json, e);

	if (!rc)
		printf("%s\n", json);
	free(json);
	return rc;
}

/* add: --org SIREN --name NAME STEP...; edit: ID [--name NAME] STEP... */
static int
parse(int argc, char **argv, int edit, struct circuit_args *a)
{
	static const struct option o[] = {
		{ "org", 1, NULL, 'o' }, { "name", 1, NULL, 'n' }, { NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (ch == 'o' && !edit)
			a->siren = optarg;
		else if (ch == 'n')
			a->name = optarg;
		else
			return 2;
	}
	if (edit && optind < argc && (a->id = atoll(argv[optind])) > 0)
		optind++;
	if (optind >= argc || (edit ? a->id <= 0 : !a->siren || !a->name))
		return 2;
	a->steps = steps_json(argc - optind, argv + optind);
	return a->steps ? 0 : 2;
}

int
cli_circuit_add(int argc, char **argv)
{
	struct circuit_args a = { 0 };
	int rc = parse(argc, argv, 0, &a);

	if (!rc)
		rc = cli_in_txn(save, &a);
	else
		cli_usage("usage: liasse circuit add --org SIREN --name NAME visa:WHO... signature:WHO"
			  " (WHO: an office or an e-mail address)");
	free(a.steps);
	return rc;
}

int
cli_circuit_edit(int argc, char **argv)
{
	struct circuit_args a = { 0 };
	int rc = parse(argc, argv, 1, &a);

	if (!rc)
		rc = cli_in_txn(save, &a);
	else
		cli_usage("usage: liasse circuit edit ID [--name NAME] visa:WHO... signature:WHO"
			  " (WHO: an office or an e-mail address)");
	free(a.steps);
	return rc;
}

static int
list(struct store_conn *c, void *arg, struct lerr *e)
{
	char *json = NULL;
	int rc = store_circuits_json(c, arg, &json, e);

	if (!rc)
		printf("%s\n", json);
	free(json);
	return rc;
}

int
cli_circuit_list(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--org"))
		return cli_in_txn(list, argv[2]);
	if (argc != 1)
		return cli_usage("usage: liasse circuit list [--org SIREN]");
	return cli_in_txn(list, NULL);
}

static int
retire(struct store_conn *c, void *arg, struct lerr *e)
{
	char *json = NULL;
	int rc = store_circuit_retire(c, *(long long *)arg, "cli", &json, e);

	if (!rc)
		printf("%s\n", json);
	free(json);
	return rc;
}

int
cli_circuit_delete(int argc, char **argv)
{
	long long id = argc == 2 ? atoll(argv[1]) : 0;

	if (id <= 0)
		return cli_usage("usage: liasse circuit delete ID");
	return cli_in_txn(retire, &id);
}
