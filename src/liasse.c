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
#include "pdf/pdf.h"
#include "sign/sign.h"
#include "store/store.h"
#include "transmit/tsa.h"

/*
 * The one table of commands: dispatch and every help text come from it.
 * "liasse help" (or --help) lists everything; "liasse help GROUP",
 * "liasse GROUP --help" or a bare "liasse GROUP" (on stderr, exit 2, as git
 * does) list a group's commands; "--help" after a command prints its usage.
 */
struct command {
	const char *group, *name;   /* "org", "add"; name NULL: the group is the command */
	int (*fn)(int argc, char **argv);
	int needs_config;
	const char *args;           /* its arguments, "" when none */
	const char *summary;        /* what it does, one line */
};

static const struct command commands[] = {
	{ "db", "migrate", cli_db_migrate, 1, "", "apply the pending database migrations" },
	{ "org", "add", cli_org_add, 1, "--siren S --name N [--parent S] [--departement D] ...",
	  "add an organisation (a local authority, a grouping)" },
	{ "org", "list", cli_org_list, 1, "", "list the organisations, parents first" },
	{ "org", "set", cli_org_set, 1, "SIREN [--idcoll I] [--codcol C] [--idpost P] [--codbud B]... "
	  "[--p-dest D] [--archive-after DURATION|never] [--acte-signature cades|pades] [--pades-position P,X,Y]",
	  "set an organisation's Hélios identifiers, budgets, archiving policy, acts' signature and logo" },
	{ "client", "add", cli_client_add, 1, "--name N --org SIREN [--org SIREN]...",
	  "add a vendor's API client (prints the API key once)" },
	{ "client", "list", cli_client_list, 1, "", "list the API clients" },
	{ "client", "revoke", cli_client_revoke, 1, "NAME", "revoke an API client's key" },
	{ "client", "cert", cli_client_cert, 1, "add CLIENT CERT.pem [--org SIREN] | list [CLIENT] | remove CLIENT SHA256",
	  "bind (list, unbind) the TLS client certificates of an API client" },
	{ "doc", "show", cli_doc_show, 1, "ID", "show a document (JSON)" },
	{ "sign", NULL, cli_sign_main, 1, "--profile pes|xades-bb|xades-bt|cades|pades-bb|pades-bt --p12 F --pass-file F [...] IN OUT",
	  "sign a file with a PKCS#12 key" },
	{ "verify", NULL, cli_verify_main, 1, "FILE [--data DATA] --trust DIR [--at TIME] [--json] [--fr]",
	  "verify the signatures of a file" },
	{ "journal", "verify", cli_journal_verify, 1, "", "check the hash chain of the journal" },
	{ "cert", "import", cli_cert_import, 1, "EMAIL FILE.p12",
	  "import a signing certificate (PKCS#12 password on stdin; prints the enrolment code once)" },
	{ "cert", "list", cli_cert_list, 1, "", "list the signing certificates, nearest expiry first" },
	{ "cert", "enrol", cli_cert_enrol, 1, "EMAIL",
	  "set the PIN of an imported certificate (enrolment code and new PIN on stdin, two lines)" },
	{ "cert", "unlock", cli_cert_unlock, 1, "EMAIL", "unlock a certificate after five wrong PINs" },
	{ "cert", "revoke", cli_cert_revoke, 1, "EMAIL", "revoke the current certificate: it can no longer sign" },
	{ "webhook", "add", cli_webhook_add, 1, "--client NAME --url URL",
	  "add a webhook to an API client (prints the signing secret once)" },
	{ "webhook", "list", cli_webhook_list, 1, "[--client NAME]", "list the webhooks" },
	{ "webhook", "delete", cli_webhook_delete, 1, "ID", "stop sending to a webhook" },
	{ "person", "add", cli_person_add, 1, "--email E --name N [--operator] [--no-password]",
	  "add a person who logs in (password on stdin)" },
	{ "person", "passwd", cli_person_passwd, 1, "EMAIL", "set a person's password (new password on stdin)" },
	{ "person", "totp", cli_person_totp, 1, "EMAIL [--remove]",
	  "turn on (or off) the second factor (prints the otpauth:// address once)" },
	{ "person", "list", cli_person_list, 1, "", "list people with their roles and delegations (JSON)" },
	{ "role", "add", cli_role_add, 1, "EMAIL --org SIREN --role signer|agent|org_admin [--function F]",
	  "give a person a role in an organisation" },
	{ "routing", "add", cli_routing_add, 1, "--org SIREN --kind K [--nature N] --person EMAIL|--circuit NAME",
	  "send an organisation's documents of a kind to a person's queue, or along a circuit" },
	{ "routing", "list", cli_routing_list, 1, "", "list the routing rules (JSON)" },
	{ "routing", "remove", cli_routing_remove, 1, "--org SIREN --kind K [--nature N]",
	  "remove the routing rule of a kind (and acte nature)" },
	{ "circuit", "add", cli_circuit_add, 1, "--org SIREN --name NAME visa:WHO... signature:WHO",
	  "add a circuit: visas, then the signature (WHO: an office or an e-mail address)" },
	{ "circuit", "edit", cli_circuit_edit, 1, "ID [--name NAME] visa:WHO... signature:WHO",
	  "write a circuit's next version (documents on their way keep theirs)" },
	{ "circuit", "list", cli_circuit_list, 1, "[--org SIREN]", "list the current circuits (JSON)" },
	{ "circuit", "delete", cli_circuit_delete, 1, "ID", "retire a circuit (documents on their way go on)" },
	{ "connector", "set", cli_connector_set, 1, "--org SIREN --kind KIND key=value...",
	  "set an organisation's connection to a state platform (KIND: see connector kinds)" },
	{ "connector", "list", cli_connector_list, 1, "[--org SIREN]", "list the connectors and their settings" },
	{ "connector", "kinds", cli_connector_kinds, 0, "[--kind KIND]",
	  "each connector, what it carries, its settings" },
	{ "connector", "test", cli_connector_test, 1, "--org SIREN", "reach the platforms without sending anything" },
	{ "delegation", "add", cli_delegation_add, 1, "--from E --to E [--starts T] --ends T [--kind K]... [--org SIREN]",
	  "let another person sign in one's stead for a period" },
	{ "iparapheur", "add", cli_ipar_add, 1,
	  "--org SIREN --type TYPE --sous-type SOUS_TYPE --kind KIND [--circuit NAME]",
	  "map an i-Parapheur TypeTechnique/SousType to a kind and circuit (doc/compat.md)" },
	{ "iparapheur", "list", cli_ipar_list, 1, "", "list the i-Parapheur types of every organisation" },
	{ "iparapheur", "remove", cli_ipar_remove, 1, "--org SIREN --type TYPE --sous-type SOUS_TYPE",
	  "remove an i-Parapheur type" },
	{ "secrets", "new-key", cli_secrets_new_key, 0, "FILE",
	  "write a new key-encryption key (64 hex digits) into a new file of mode 0600" },
	{ "secrets", "status", cli_secrets_status, 1, "",
	  "count the secrets at rest by the key-encryption key that sealed them" },
	{ "secrets", "reseal", cli_secrets_reseal, 1, "[--batch N]",
	  "seal every secret under the current key-encryption key (rotation; clear ones too)" },
	{ "help", NULL, NULL, 0, "[COMMAND]", "list the commands, or those of one group" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
print_command(FILE *f, const struct command *c)
{
	char name[64];

	snprintf(name, sizeof(name), "%s%s%s", c->group, c->name ? " " : "", c->name ? c->name : "");
	fprintf(f, "  %-18s %s\n", name, c->summary);
	if (*c->args)
		fprintf(f, "  %-18s   %s\n", "", c->args);
}

/* Every command, or those of one group. */
static void
list_commands(FILE *f, const char *group)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!group || !strcmp(commands[i].group, group))
			print_command(f, &commands[i]);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: liasse [-c FILE] [-o key=value]... COMMAND [ARGS]\n"
		"  -c, --config FILE   configuration file (default $LIASSE_CONF or %s/liasse.conf)\n"
		"  -o key=value        override one configuration key\n"
		"  -h, --help          this list; COMMAND --help: that command's usage\n"
		"  --version           print the version and exit\n\ncommands:\n", LIASSE_SYSCONFDIR);
	list_commands(f, NULL);
}

static int
is_group(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].group, name))
			return 1;
	return 0;
}

static void
group_usage(FILE *f, const char *group)
{
	fprintf(f, "usage: liasse %s COMMAND [ARGS]\n\ncommands:\n", group);
	list_commands(f, group);
}

/* "--help" or "-h" among the command's own arguments (up to "--"). */
static int
wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

/* liasse help [GROUP [COMMAND]] */
static int
help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	if (!is_group(argv[1]))
		return cli_usage("unknown command \"%s\" (liasse help lists them)", argv[1]);
	for (size_t i = 0; argc > 2 && i < NCOMMANDS; i++)
		if (!strcmp(commands[i].group, argv[1]) && commands[i].name && !strcmp(commands[i].name, argv[2])) {
			print_command(stdout, &commands[i]);
			return 0;
		}
	if (argc > 2)
		return cli_usage("unknown command \"%s %s\" (liasse help %s lists them)", argv[1], argv[2], argv[1]);
	group_usage(stdout, argv[1]);
	return 0;
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
	if (app_store(s, 1, &e))
		return cli_fail(&e);
	if (app_kek(*s, !cli_kek_lenient, &e)) {
		store_close(*s);
		*s = NULL;
		return cli_fail(&e);
	}
	return 0;
}

static const struct command *
find(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
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
		case 'V': printf("liasse %s (MuPDF %s, static)\n", PACKAGE_VERSION, lpdf_version()); return 0;
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
	if (!strcmp(argv[0], "help"))
		return help(argc, argv);
	if (!(cmd = find(argc, argv, &used))) {
		if (!is_group(argv[0]))
			return cli_usage("unknown command \"%s\" (liasse help lists them)", argv[0]);
		if (argc > 1 && wants_help(argc - 1, argv + 1)) {
			group_usage(stdout, argv[0]);
			return 0;
		}
		if (argc == 1) {
			group_usage(stderr, argv[0]);
			return 2;
		}
		return cli_usage("unknown command \"%s %s\" (liasse help %s lists them)", argv[0], argv[1], argv[0]);
	}
	if (wants_help(argc - used, argv + used)) {
		printf("usage: liasse %s%s%s%s%s\n  %s\n", cmd->group, cmd->name ? " " : "",
		       cmd->name ? cmd->name : "", *cmd->args ? " " : "", cmd->args, cmd->summary);
		return 0;
	}
	lerr_clear(&e);
	if (cmd->needs_config && app_config(conf, overrides, nover, &e))
		return cli_fail(&e);
	log_set_level(LOG_LVL_WARN);   /* the CLI prints results; the log only warns */
	sign_set_http_post(xmit_post_bytes);   /* time-stamps and OCSP (liasse sign, verify) */
	/* The command sees its own arguments with argv[0] = its name. */
	return cmd->fn(argc - used + 1, argv + used - 1);
}
