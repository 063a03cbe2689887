/*
 * connector.c - liasse connector set|list|test: the per-organisation
 * settings of the transmission connectors (@ctes, Hélios, S²LOW) and a
 * check that reaches the platforms without sending anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cli/cli.h"
#include "store/store.h"
#include "transmit/xmit.h"

struct set_args {
	const char *siren, *kind;
	char *json;
};

static int
valid_key(const char *k, size_t n)
{
	if (n == 0 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || k[i] == '_'))
			return 0;
	return 1;
}

static int
do_set(struct store_conn *c, void *arg, struct lerr *e)
{
	struct set_args *a = arg;

	return store_connector_set(c, a->siren, a->kind, a->json, e);
}

static int
parse_org_kind(int argc, char **argv, int *i, const char **siren, const char **kind)
{
	for (; *i + 1 < argc && argv[*i][0] == '-'; *i += 2) {
		if (!strcmp(argv[*i], "--org"))
			*siren = argv[*i + 1];
		else if (!strcmp(argv[*i], "--kind") && kind)
			*kind = argv[*i + 1];
		else
			return -1;
	}
	return 0;
}

int
cli_connector_set(int argc, char **argv)
{
	struct set_args a = { NULL, NULL, NULL };
	json_t *o = json_object();
	int i = 1, rc;

	if (parse_org_kind(argc, argv, &i, &a.siren, &a.kind) || !a.siren || !a.kind || i >= argc ||
	    (strcmp(a.kind, "actes") && strcmp(a.kind, "helios") && strcmp(a.kind, "s2low"))) {
		json_decref(o);
		return cli_usage("usage: liasse connector set --org SIREN --kind actes|helios|s2low key=value...");
	}
	for (; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char key[33];

		if (!eq || !valid_key(argv[i], (size_t)(eq - argv[i]))) {
			json_decref(o);
			return cli_usage("liasse connector set: \"%s\" is not key=value (key: a-z and _)", argv[i]);
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - argv[i]), argv[i]);
		json_object_set_new(o, key, json_string(eq + 1));
	}
	a.json = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	rc = cli_in_txn(do_set, &a);
	free(a.json);
	return rc;
}

static void
print_one(void *arg, long long org_id, const char *siren, const char *kind, const char *settings)
{
	(void)arg;
	(void)org_id;
	printf("%s %s %s\n", siren, kind, settings);
}

static int
do_list(struct store_conn *c, void *arg, struct lerr *e)
{
	return store_connector_each(c, arg, print_one, NULL, e);
}

int
cli_connector_list(int argc, char **argv)
{
	const char *siren = NULL;
	int i = 1;

	if (parse_org_kind(argc, argv, &i, &siren, NULL) || i != argc)
		return cli_usage("usage: liasse connector list [--org SIREN]");
	return cli_in_txn(do_list, (void *)siren);
}

static void
report(void *arg, const char *kind, int ok, const char *line)
{
	(void)arg;
	printf("%s: %s: %s\n", kind, ok ? "ok" : "FAILED", line);
}

static int
do_test(struct store_conn *c, void *arg, struct lerr *e)
{
	return xmit_connector_test(c, arg, report, NULL, e);
}

int
cli_connector_test(int argc, char **argv)
{
	const char *siren = NULL;
	int i = 1;

	if (parse_org_kind(argc, argv, &i, &siren, NULL) || i != argc || !siren)
		return cli_usage("usage: liasse connector test --org SIREN");
	return cli_in_txn(do_test, (void *)siren);
}
