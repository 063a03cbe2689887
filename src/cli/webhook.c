/* webhook.c - liasse webhook add|list|delete: webhooks of API clients. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/config.h"
#include "store/store.h"
#include "transmit/webhook.h"

struct webhook_cmd {
	const char *client, *url;
	char secret[WEBHOOK_SECRET_LEN];
	char *json;
};

static int
add(struct store_conn *c, void *arg, struct lerr *e)
{
	struct webhook_cmd *w = arg;
	int rc = xmit_webhook_url_check(w->url, (int)config_int("webhook_allow_private"), e);

	if (!rc)
		rc = xmit_webhook_secret(w->secret, e);
	if (!rc)
		rc = store_webhook_add(c, 0, w->client, w->url, w->secret, "cli", &w->json, e);
	return rc;
}

int
cli_webhook_add(int argc, char **argv)
{
	static const struct option o[] = {
		{ "client", 1, NULL, 'c' }, { "url", 1, NULL, 'u' }, { NULL, 0, NULL, 0 },
	};
	struct webhook_cmd w = { 0 };
	json_error_t jerr;
	json_t *j;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (ch) {
		case 'c': w.client = optarg; break;
		case 'u': w.url = optarg; break;
		default: return 2;
		}
	}
	if (optind != argc || !w.client || !w.url)
		return cli_usage("usage: liasse webhook add --client NAME --url URL");
	if (cli_in_txn(add, &w))
		return 1;
	j = json_loads(w.json, 0, &jerr);
	fprintf(stderr, "webhook %lld of %s: %s\nits secret (shown once; it keys the Liasse-Signature HMAC):\n",
		(long long)json_integer_value(json_object_get(j, "id")), w.client, w.url);
	printf("%s\n", w.secret);
	explicit_bzero(w.secret, sizeof(w.secret));
	json_decref(j);
	free(w.json);
	return 0;
}

static int
list(struct store_conn *c, void *arg, struct lerr *e)
{
	struct webhook_cmd *w = arg;

	return store_webhook_list(c, 0, &w->json, e);
}

static void
print_row(json_t *it)
{
	printf("%lld\t%s\t%s\t%lld pending\t%lld failed\t%s\n",
	       (long long)json_integer_value(json_object_get(it, "id")),
	       json_string_value(json_object_get(it, "client")),
	       json_string_value(json_object_get(it, "url")),
	       (long long)json_integer_value(json_object_get(it, "pending")),
	       (long long)json_integer_value(json_object_get(it, "failed")),
	       json_string_value(json_object_get(it, "created_at")));
}

int
cli_webhook_list(int argc, char **argv)
{
	static const struct option o[] = { { "client", 1, NULL, 'c' }, { NULL, 0, NULL, 0 } };
	struct webhook_cmd w = { 0 };
	json_error_t jerr;
	json_t *all, *it;
	size_t i;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (ch != 'c')
			return 2;
		w.client = optarg;
	}
	if (optind != argc)
		return cli_usage("usage: liasse webhook list [--client NAME]");
	if (cli_in_txn(list, &w))
		return 1;
	all = json_loads(w.json, 0, &jerr);
	json_array_foreach(all, i, it) {
		if (!w.client || !strcmp(w.client, json_string_value(json_object_get(it, "client"))))
			print_row(it);
	}
	json_decref(all);
	free(w.json);
	return 0;
}

static int
delete(struct store_conn *c, void *arg, struct lerr *e)
{
	struct webhook_cmd *w = arg;

	return store_webhook_delete(c, 0, w->url, "cli", e);
}

int
cli_webhook_delete(int argc, char **argv)
{
	struct webhook_cmd w = { 0 };

	if (argc != 2)
		return cli_usage("usage: liasse webhook delete ID");
	w.url = argv[1];   /* the id */
	if (cli_in_txn(delete, &w))
		return 1;
	printf("webhook %s deleted\n", argv[1]);
	return 0;
}
