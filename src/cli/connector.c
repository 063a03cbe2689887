/*
 * connector.c - liasse connector set|list|kinds|test: the per-organisation
 * settings of the transmission connectors, what each connector takes, and a
 * check that reaches the platforms without sending anything.  The
 * connectors, their settings and the documents they carry come from
 * transmit/ (xmit.h, src/transmit/connectors.c): nothing is listed here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cli/cli.h"
#include "core/kind.h"
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
	struct lerr e;
	int i = 1, rc;

	if (parse_org_kind(argc, argv, &i, &a.siren, &a.kind) || !a.siren || !a.kind || i >= argc) {
		json_decref(o);
		return cli_usage("usage: liasse connector set --org SIREN --kind %s key=value...",
				 xmit_connector_names("|"));
	}
	if (!xmit_connector_info(a.kind)) {
		json_decref(o);
		return cli_usage("connector set: unknown connector kind \"%s\" (known: %s)", a.kind,
				 xmit_connector_names(", "));
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
	lerr_clear(&e);
	if (xmit_settings_check(a.kind, o, &e)) {
		json_decref(o);
		return cli_usage("connector set: %s (%s)", e.msg, e.hint);
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

/* The documents a connector carries, by the kinds' table. */
static void
print_carried(const struct xmit_connector_info *ci)
{
	const struct doc_kind *k;
	int n = 0;

	printf("  documents:");
	for (size_t i = 0; (k = doc_kind_at(i)); i++)
		if (xmit_connector_carries(ci, k->name))
			printf("%s %s", n++ ? "," : "", k->name);
	printf("\n");
}

int
cli_connector_kinds(int argc, char **argv)
{
	const struct xmit_connector_info *ci;
	const char *only = NULL;
	int i = 1;

	for (; i + 1 < argc && !strcmp(argv[i], "--kind"); i += 2)
		only = argv[i + 1];
	if (i != argc)
		return cli_usage("usage: liasse connector kinds [--kind KIND]");
	if (only && !xmit_connector_info(only))
		return cli_usage("connector kinds: unknown connector kind \"%s\" (known: %s)", only,
				 xmit_connector_names(", "));
	for (size_t n = 0; (ci = xmit_connector_at(n)); n++) {
		if (only && strcmp(only, ci->name))
			continue;
		printf("%s\t%s\n", ci->name, ci->label);
		print_carried(ci);
		for (size_t j = 0; ci->settings[j].key; j++)
			printf("  %s%s\t%s\n", ci->settings[j].key,
			       ci->settings[j].flags & XMIT_SETTING_SECRET ? " (secret)" : "", ci->settings[j].help);
	}
	return 0;
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
