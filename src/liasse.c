/* liasse - the administration command line. */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "sign/sign.h"
#include "store/store.h"
#include "transmit/tsa.h"

struct command {
	const char *group, *name;   /* "org", "add"; name NULL: the group is the command */
	int (*fn)(int argc, char **argv);
	int needs_config;
	const char *synopsis;
};

static const struct command commands[] = {
	{ "db", "migrate", cli_db_migrate, 1, "apply the pending database migrations" },
	{ "org", "add", cli_org_add, 1, "--siren S --name N [--parent S] [--departement D] ..." },
	{ "org", "list", cli_org_list, 1, "list the organisations, parents first" },
	{ "client", "add", cli_client_add, 1, "--name N --org SIREN [--org SIREN]...  (prints the API key once)" },
	{ "client", "list", cli_client_list, 1, "list the API clients" },
	{ "client", "revoke", cli_client_revoke, 1, "NAME" },
	{ "doc", "show", cli_doc_show, 1, "ID" },
	{ "sign", NULL, cli_sign_main, 1, "--profile pes|xades-bb|xades-bt|cades --p12 F --pass-file F [...] IN OUT" },
	{ "verify", NULL, cli_verify_main, 1, "FILE [--data DATA] --trust DIR [--at TIME] [--json] [--fr]" },
	{ "journal", "verify", cli_journal_verify, 1, "check the hash chain of the journal" },
	{ "cert", "import", cli_cert_import, 1, "EMAIL FILE.p12  (PKCS#12 password on stdin; prints the enrolment code once)" },
	{ "cert", "list", cli_cert_list, 1, "list the signing certificates, nearest expiry first" },
	{ "cert", "enrol", cli_cert_enrol, 1, "EMAIL  (enrolment code and new PIN on stdin, two lines)" },
	{ "cert", "unlock", cli_cert_unlock, 1, "EMAIL  (after five wrong PINs)" },
	{ "cert", "revoke", cli_cert_revoke, 1, "EMAIL  (the current certificate can no longer sign)" },
	{ "webhook", "add", cli_webhook_add, 1, "--client NAME --url URL  (prints the signing secret once)" },
	{ "webhook", "list", cli_webhook_list, 1, "[--client NAME]  list the webhooks" },
	{ "webhook", "delete", cli_webhook_delete, 1, "ID  stop sending to a webhook" },
	{ "person", "add", cli_person_add, 1, "--email E --name N [--operator] [--no-password]  (password on stdin)" },
	{ "person", "passwd", cli_person_passwd, 1, "EMAIL  (new password on stdin)" },
	{ "person", "totp", cli_person_totp, 1, "EMAIL [--remove]  (prints the otpauth:// address once)" },
	{ "person", "list", cli_person_list, 1, "list people with their roles and delegations (JSON)" },
	{ "role", "add", cli_role_add, 1, "EMAIL --org SIREN --role signer|agent|org_admin [--function F]" },
	{ "routing", "add", cli_routing_add, 1, "--org SIREN --kind K [--nature N] --person EMAIL" },
	{ "routing", "list", cli_routing_list, 1, "list the routing rules (JSON)" },
	{ "connector", "set", cli_connector_set, 1, "--org SIREN --kind KIND key=value...  (kinds: connector kinds)" },
	{ "connector", "list", cli_connector_list, 1, "[--org SIREN]  the connectors and their settings" },
	{ "connector", "kinds", cli_connector_kinds, 0, "[--kind KIND]  each connector, what it carries, its settings" },
	{ "connector", "test", cli_connector_test, 1, "--org SIREN  reach the platforms without sending anything" },
	{ "delegation", "add", cli_delegation_add, 1, "--from E --to E [--starts T] --ends T [--kind K]... [--org SIREN]" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: liasse [-c FILE] [-o key=value]... COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s%s%s  %s\n", commands[i].group, commands[i].name ? " " : "",
			commands[i].name ? commands[i].name : "", commands[i].synopsis);
}

int
cli_fail(const struct lerr *e)
{
	char line[1600];

	lerr_oneline(e, line, sizeof(line));
	fprintf(stderr, "liasse: %s\n", line);
	return 1;
}

int
cli_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("liasse: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

int
cli_open_store(struct store **s)
{
	struct lerr e;

	lerr_clear(&e);
	return app_store(s, 1, &e) ? cli_fail(&e) : 0;
}

static const struct command *
find(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];

		if (strcmp(argv[0], c->group))
			continue;
		if (!c->name) {
			*used = 1;
			return c;
		}
		if (argc > 1 && !strcmp(argv[1], c->name)) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 },
	};
	char *overrides[64];
	const char *conf = NULL;
	const struct command *cmd;
	int nover = 0, used = 0, ch;
	struct lerr e;

	while ((ch = getopt_long(argc, argv, "+c:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'o': if (nover < 64) overrides[nover++] = optarg; break;
		case 'V': printf("liasse %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	if (!(cmd = find(argc, argv, &used)))
		return cli_usage("unknown command \"%s%s%s\" (liasse --help lists them)", argv[0],
				 argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	lerr_clear(&e);
	if (cmd->needs_config && app_config(conf, overrides, nover, &e))
		return cli_fail(&e);
	log_set_level(LOG_LVL_WARN);   /* the CLI prints results; the log only warns */
	sign_set_http_post(xmit_post_bytes);   /* time-stamps and OCSP (liasse sign, verify) */
	/* The command sees its own arguments with argv[0] = its name. */
	return cmd->fn(argc - used + 1, argv + used - 1);
}
