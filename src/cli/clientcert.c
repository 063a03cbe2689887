/*
 * clientcert.c - liasse client cert add|list|remove: the TLS client
 * certificates a vendor client authenticates with (through the reverse
 * proxy, trusted_proxies; doc/compat.md).  Only the certificate's SHA-256,
 * subject and end of validity are kept.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/x509id.h"
#include "store/store.h"

struct cert_cmd {
	const char *client, *siren, *sha256_hex;
	struct x509id id;
	char *json;
};

static int
add(struct store_conn *c, void *arg, struct lerr *e)
{
	struct cert_cmd *k = arg;

	return store_client_cert_add(c, k->client, k->id.sha256, k->id.subject,
				     k->id.not_after[0] ? k->id.not_after : NULL, k->siren, "cli", e);
}

static int
list(struct store_conn *c, void *arg, struct lerr *e)
{
	struct cert_cmd *k = arg;

	return store_client_cert_list(c, k->client, &k->json, e);
}

static int
del(struct store_conn *c, void *arg, struct lerr *e)
{
	struct cert_cmd *k = arg;

	return store_client_cert_remove(c, k->client, k->sha256_hex, "cli", e);
}

static int
read_pem(const char *path, struct x509id *id)
{
	FILE *f = fopen(path, "r");
	struct buf b;
	char chunk[4096];
	size_t n;
	struct lerr e;
	int rc = 0;

	lerr_clear(&e);
	if (!f) {
		lerr_set(&e, LERR_INVALID, "certificate", "cannot read %s", path);
		lerr_hint(&e, "give the path of the client's certificate in PEM form");
		return cli_fail(&e);
	}
	buf_init(&b, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && !rc)
		rc = buf_add(&b, chunk, n);
	fclose(f);
	if (rc || x509id_from_pem(b.data ? b.data : "", b.len, id, &e)) {
		if (!e.kind)
			lerr_set(&e, LERR_INVALID, "certificate", "%s is larger than 1 MiB", path);
		lerr_detail(&e, "in %s", path);
		rc = cli_fail(&e);
	}
	buf_fini(&b);
	return rc;
}

static int
cert_add(int argc, char **argv)
{
	static const struct option o[] = { { "org", 1, NULL, 'o' }, { NULL, 0, NULL, 0 } };
	struct cert_cmd k = { 0 };
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (ch != 'o')
			return 2;
		k.siren = optarg;
	}
	if (argc - optind != 2)
		return cli_usage("usage: liasse client cert add CLIENT CERT.pem [--org SIREN]");
	k.client = argv[optind];
	if (read_pem(argv[optind + 1], &k.id) || cli_in_txn(add, &k))
		return 1;
	printf("%s\t%s\n", k.id.sha256_hex, k.id.subject);
	return 0;
}

static int
cert_list(int argc, char **argv)
{
	struct cert_cmd k = { 0 };
	json_error_t jerr;
	json_t *a, *it;
	size_t i;

	if (argc > 3)
		return cli_usage("usage: liasse client cert list [CLIENT]");
	k.client = argc == 3 ? argv[2] : NULL;
	if (cli_in_txn(list, &k))
		return 1;
	a = json_loads(k.json, 0, &jerr);
	json_array_foreach(a, i, it)
		printf("%s\t%s\t%s\t%s\t%s\n", json_string_value(json_object_get(it, "client")),
		       json_string_value(json_object_get(it, "sha256")),
		       json_string_value(json_object_get(it, "subject")),
		       json_is_string(json_object_get(it, "organisation")) ?
		       json_string_value(json_object_get(it, "organisation")) : "-",
		       json_is_string(json_object_get(it, "not_after")) ?
		       json_string_value(json_object_get(it, "not_after")) : "-");
	json_decref(a);
	free(k.json);
	return 0;
}

static int
cert_remove(int argc, char **argv)
{
	struct cert_cmd k = { 0 };
	uint8_t sha[SHA256_LEN];

	if (argc != 4)
		return cli_usage("usage: liasse client cert remove CLIENT SHA256");
	if (hex_decode(argv[3], sha, sizeof(sha))) {
		struct lerr e;

		lerr_set(&e, LERR_INVALID, "certificate", "\"%s\" is not a SHA-256 (64 hex digits)", argv[3]);
		lerr_hint(&e, "copy it from \"liasse client cert list\"");
		return cli_fail(&e);
	}
	k.client = argv[2];
	k.sha256_hex = argv[3];
	return cli_in_txn(del, &k);
}

int
cli_client_cert(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "add"))
		return cert_add(argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return cert_list(argc, argv);
	if (!strcmp(sub, "remove"))
		return cert_remove(argc, argv);
	return cli_usage("usage: liasse client cert add CLIENT CERT.pem [--org SIREN] | list [CLIENT] | "
			 "remove CLIENT SHA256");
}
