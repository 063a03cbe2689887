/*
 * ipar.c - liasse iparapheur add|list|remove: each organisation's
 * i-Parapheur types and sub-types (TypeTechnique, SousType) and the liasse
 * kind and circuit they stand for (doc/compat.md, section i-Parapheur).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/kind.h"
#include "store/store.h"

struct ipar_cmd {
	const char *siren;
	struct ipar_type t;
	char *json;
};

static int
parse(int argc, char **argv, struct ipar_cmd *c, int with_kind)
{
	static const struct option o[] = {
		{ "org", 1, NULL, 'o' }, { "type", 1, NULL, 't' }, { "sous-type", 1, NULL, 's' },
		{ "kind", 1, NULL, 'k' }, { "circuit", 1, NULL, 'c' }, { NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (ch) {
		case 'o': c->siren = optarg; break;
		case 't': c->t.type_technique = optarg; break;
		case 's': c->t.sous_type = optarg; break;
		case 'k': if (!with_kind) return -1; c->t.kind = optarg; break;
		case 'c': if (!with_kind) return -1; c->t.circuit = optarg; break;
		default: return -1;
		}
	}
	return optind != argc || !c->siren || !c->t.type_technique || !c->t.sous_type ||
	       (with_kind && !c->t.kind) ? -1 : 0;
}

static int
add(struct store_conn *sc, void *arg, struct lerr *e)
{
	struct ipar_cmd *c = arg;

	return store_ipar_type_add(sc, c->siren, &c->t, "cli", e);
}

int
cli_ipar_add(int argc, char **argv)
{
	struct ipar_cmd c = { 0 };
	struct lerr e;

	if (parse(argc, argv, &c, 1))
		return cli_usage("usage: liasse iparapheur add --org SIREN --type TYPE --sous-type SOUS_TYPE "
				 "--kind KIND [--circuit NAME]");
	if (!doc_kind_get(c.t.kind)) {
		lerr_set(&e, LERR_INVALID, "kind", "unknown kind \"%s\"", c.t.kind);
		lerr_hint(&e, "use one of %s", doc_kind_names(", "));
		return cli_fail(&e);
	}
	if (cli_in_txn(add, &c))
		return 1;
	printf("%s: %s/%s -> %s%s%s\n", c.siren, c.t.type_technique, c.t.sous_type, c.t.kind,
	       c.t.circuit ? ", circuit " : " (routing)", c.t.circuit ? c.t.circuit : "");
	return 0;
}

static int
rm(struct store_conn *sc, void *arg, struct lerr *e)
{
	struct ipar_cmd *c = arg;

	return store_ipar_type_remove(sc, c->siren, c->t.type_technique, c->t.sous_type, "cli", e);
}

int
cli_ipar_remove(int argc, char **argv)
{
	struct ipar_cmd c = { 0 };

	if (parse(argc, argv, &c, 0))
		return cli_usage("usage: liasse iparapheur remove --org SIREN --type TYPE --sous-type SOUS_TYPE");
	return cli_in_txn(rm, &c) ? 1 : 0;
}

static int
list(struct store_conn *sc, void *arg, struct lerr *e)
{
	struct ipar_cmd *c = arg;

	return store_ipar_types_json(sc, 0, &c->json, e);
}

int
cli_ipar_list(int argc, char **argv)
{
	struct ipar_cmd c = { 0 };
	json_t *j, *v;
	size_t i;

	(void)argv;
	if (argc != 1)
		return cli_usage("usage: liasse iparapheur list");
	if (cli_in_txn(list, &c))
		return 1;
	j = json_loads(c.json, 0, NULL);
	json_array_foreach(j, i, v)
		printf("%s\t%s\t%s\t%s\t%s\n", json_string_value(json_object_get(v, "siren")),
		       json_string_value(json_object_get(v, "type")),
		       json_string_value(json_object_get(v, "sous_type")),
		       json_string_value(json_object_get(v, "kind")),
		       json_is_string(json_object_get(v, "circuit")) ?
		       json_string_value(json_object_get(v, "circuit")) : "-");
	json_decref(j);
	free(c.json);
	return 0;
}
