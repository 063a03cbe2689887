/*
 * people.c - liasse person|role|routing|delegation: people, their roles, who
 * signs what, and delegations.  Passwords are read from stdin (one line), so
 * they never appear in a process list or a shell history.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/secret.h"
#include "core/util.h"
#include "store/store.h"

int
cli_read_line(char *out, size_t n)
{
	size_t len;

	if (!fgets(out, (int)n, stdin))
		return -1;
	len = strlen(out);
	if (len && out[len - 1] == '\n')
		out[--len] = '\0';
	else if (len == n - 1)
		return -1;
	if (len && out[len - 1] == '\r')
		out[--len] = '\0';
	return 0;
}

/* A password from stdin, hashed; "" when stdin is empty and optional. */
static int
read_password_hash(char hash[PASSWD_HASH_MAX], int optional)
{
	char pw[1100];
	struct lerr e;
	int rc = 0;

	lerr_clear(&e);
	hash[0] = '\0';
	if (cli_read_line(pw, sizeof pw) || !pw[0]) {
		explicit_bzero(pw, sizeof pw);
		if (optional)
			return 0;
		lerr_set(&e, LERR_INVALID, "password", "no password on standard input");
		lerr_hint(&e, "write the password as one line on standard input");
		return cli_fail(&e);
	}
	if (passwd_acceptable(pw, &e) || passwd_hash(pw, hash, &e))
		rc = cli_fail(&e);
	explicit_bzero(pw, sizeof pw);
	return rc;
}

struct person_args {
	const char *email, *name, *siren, *role, *function, *kind, *to, *starts, *ends;
	const char *circuit;         /* routing add --circuit */
	char kinds[64];
	int operator, nature;
	char hash[PASSWD_HASH_MAX];
	uint8_t totp[TOTP_SECRET_LEN];
};

static int
person_add(struct store_conn *c, void *arg, struct lerr *e)
{
	struct person_args *a = arg;

	return store_person_add(c, a->email, a->name, a->hash, a->operator, "cli", NULL, e);
}

int
cli_person_add(int argc, char **argv)
{
	static const struct option o[] = {
		{ "email", 1, NULL, 'e' }, { "name", 1, NULL, 'n' }, { "operator", 0, NULL, 'o' },
		{ "no-password", 0, NULL, 'N' }, { NULL, 0, NULL, 0 },
	};
	struct person_args a = { 0 };
	int ch, nopw = 0, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (ch == 'e')
			a.email = optarg;
		else if (ch == 'n')
			a.name = optarg;
		else if (ch == 'o')
			a.operator = 1;
		else if (ch == 'N')
			nopw = 1;
		else
			return 2;
	}
	if (optind != argc || !a.email || !a.name)
		return cli_usage("usage: liasse person add --email E --name N [--operator] [--no-password]"
				 "  (password on stdin)");
	if (!nopw && read_password_hash(a.hash, 0))
		return 1;
	rc = cli_in_txn(person_add, &a);
	explicit_bzero(a.hash, sizeof a.hash);
	return rc;
}

static int
person_passwd(struct store_conn *c, void *arg, struct lerr *e)
{
	struct person_args *a = arg;

	return store_person_set_password(c, a->email, a->hash, "cli", e);
}

int
cli_person_passwd(int argc, char **argv)
{
	struct person_args a = { 0 };
	int rc;

	if (argc != 2)
		return cli_usage("usage: liasse person passwd EMAIL  (new password on stdin)");
	a.email = argv[1];
	if (read_password_hash(a.hash, 0))
		return 1;
	rc = cli_in_txn(person_passwd, &a);
	explicit_bzero(a.hash, sizeof a.hash);
	return rc;
}

static int
person_totp(struct store_conn *c, void *arg, struct lerr *e)
{
	struct person_args *a = arg;

	return store_person_set_totp(c, a->email, a->operator ? NULL : a->totp, sizeof a->totp, "cli", e);
}

int
cli_person_totp(int argc, char **argv)
{
	struct person_args a = { 0 };
	char b32[40];
	int rc;

	if (argc == 3 && !strcmp(argv[2], "--remove"))
		a.operator = 1;   /* here: remove */
	else if (argc != 2)
		return cli_usage("usage: liasse person totp EMAIL [--remove]");
	a.email = argv[1];
	if (random_bytes(a.totp, sizeof a.totp))
		return cli_usage("no randomness available");
	if ((rc = cli_in_txn(person_totp, &a)) == 0 && !a.operator) {
		base32_encode(a.totp, sizeof a.totp, b32);
		printf("otpauth://totp/liasse:%s?secret=%s&issuer=liasse&digits=6&period=30\n", a.email, b32);
		fprintf(stderr, "liasse: give this address to %s once (as a QR code); it is not shown again\n",
			a.email);
	}
	explicit_bzero(a.totp, sizeof a.totp);
	explicit_bzero(b32, sizeof b32);
	return rc;
}

static int
print_json(struct store_conn *c, void *arg, struct lerr *e)
{
	int (*fn)(struct store_conn *, char **, struct lerr *) = *(int (**)(struct store_conn *, char **,
		struct lerr *))arg;
	char *json = NULL;
	int rc = fn(c, &json, e);

	if (!rc)
		printf("%s\n", json);
	free(json);
	return rc;
}

int
cli_person_list(int argc, char **argv)
{
	int (*fn)(struct store_conn *, char **, struct lerr *) = store_person_list;

	(void)argv;
	if (argc != 1)
		return cli_usage("usage: liasse person list");
	return cli_in_txn(print_json, &fn);
}

static int
role_add(struct store_conn *c, void *arg, struct lerr *e)
{
	struct person_args *a = arg;

	return store_role_add(c, a->email, a->siren, a->role, a->function, "cli", e);
}

int
cli_role_add(int argc, char **argv)
{
	static const struct option o[] = {
		{ "org", 1, NULL, 'o' }, { "role", 1, NULL, 'r' }, { "function", 1, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct person_args a = { 0 };
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (ch == 'o')
			a.siren = optarg;
		else if (ch == 'r')
			a.role = optarg;
		else if (ch == 'f')
			a.function = optarg;
		else
			return 2;
	}
	if (optind != argc - 1 || !a.siren || !a.role)
		return cli_usage("usage: liasse role add EMAIL --org SIREN --role signer|agent|org_admin"
				 " [--function F]");
	a.email = argv[optind];
	return cli_in_txn(role_add, &a);
}

static int
routing_add(struct store_conn *c, void *arg, struct lerr *e)
{
	struct person_args *a = arg;

	if (a->circuit)
		return store_routing_add_circuit(c, a->siren, a->kind, a->nature, a->circuit, "cli", e);
	return store_routing_add(c, a->siren, a->kind, a->nature, a->email, "cli", e);
}

int
cli_routing_add(int argc, char **argv)
{
	static const struct option o[] = {
		{ "org", 1, NULL, 'o' }, { "kind", 1, NULL, 'k' }, { "nature", 1, NULL, 'n' },
		{ "person", 1, NULL, 'p' }, { "circuit", 1, NULL, 'c' }, { NULL, 0, NULL, 0 },
	};
	struct person_args a = { 0 };
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (ch == 'o')
			a.siren = optarg;
		else if (ch == 'k')
			a.kind = optarg;
		else if (ch == 'n' && (a.nature = atoi(optarg)) >= 1 && a.nature <= 6)
			continue;
		else if (ch == 'p')
			a.email = optarg;
		else if (ch == 'c')
			a.circuit = optarg;
		else
			return cli_usage("liasse routing add: bad option (nature is 1 to 6)");
	}
	if (optind != argc || !a.siren || !a.kind || !a.email == !a.circuit)
		return cli_usage("usage: liasse routing add --org SIREN --kind pes|acte|document [--nature N]"
				 " --person EMAIL|--circuit NAME");
	return cli_in_txn(routing_add, &a);
}

static int
routing_remove(struct store_conn *c, void *arg, struct lerr *e)
{
	struct person_args *a = arg;

	return store_routing_remove(c, a->siren, a->kind, a->nature, "cli", e);
}

int
cli_routing_remove(int argc, char **argv)
{
	static const struct option o[] = {
		{ "org", 1, NULL, 'o' }, { "kind", 1, NULL, 'k' }, { "nature", 1, NULL, 'n' }, { NULL, 0, NULL, 0 },
	};
	struct person_args a = { 0 };
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (ch == 'o')
			a.siren = optarg;
		else if (ch == 'k')
			a.kind = optarg;
		else if (ch != 'n' || (a.nature = atoi(optarg)) < 1 || a.nature > 6)
			return cli_usage("liasse routing remove: bad option (nature is 1 to 6)");
	}
	if (optind != argc || !a.siren || !a.kind)
		return cli_usage("usage: liasse routing remove --org SIREN --kind pes|acte|document [--nature N]");
	return cli_in_txn(routing_remove, &a);
}

int
cli_routing_list(int argc, char **argv)
{
	int (*fn)(struct store_conn *, char **, struct lerr *) = store_routing_list;

	(void)argv;
	if (argc != 1)
		return cli_usage("usage: liasse routing list");
	return cli_in_txn(print_json, &fn);
}

static int
delegation_add(struct store_conn *c, void *arg, struct lerr *e)
{
	struct person_args *a = arg;
	struct delegation_in d = {
		.to_email = a->to, .siren = a->siren, .kinds = a->kinds[0] ? a->kinds : NULL,
		.starts_at = a->starts ? a->starts : "now", .ends_at = a->ends, .actor = "cli",
	};
	char *json = NULL;
	int rc;

	if (store_person_id(c, a->email, &d.from_person, e))
		return e->kind;
	rc = store_delegation_add(c, &d, &json, e);
	if (!rc)
		printf("%s\n", json);
	free(json);
	return rc;
}

int
cli_delegation_add(int argc, char **argv)
{
	static const struct option o[] = {
		{ "from", 1, NULL, 'f' }, { "to", 1, NULL, 't' }, { "starts", 1, NULL, 's' },
		{ "ends", 1, NULL, 'e' }, { "kind", 1, NULL, 'k' }, { "org", 1, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct person_args a = { 0 };
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (ch == 'f')
			a.email = optarg;
		else if (ch == 't')
			a.to = optarg;
		else if (ch == 's')
			a.starts = optarg;
		else if (ch == 'e')
			a.ends = optarg;
		else if (ch == 'o')
			a.siren = optarg;
		else if (ch == 'k' && strlen(a.kinds) + strlen(optarg) + 3 < sizeof a.kinds)
			snprintf(a.kinds + strlen(a.kinds), sizeof a.kinds - strlen(a.kinds), "%s%s",
				 a.kinds[0] ? "," : "{", optarg);
		else
			return 2;
	}
	if (optind != argc || !a.email || !a.to || !a.ends)
		return cli_usage("usage: liasse delegation add --from E --to E [--starts T] --ends T"
				 " [--kind K]... [--org SIREN]");
	if (a.kinds[0])
		strcat(a.kinds, "}");
	return cli_in_txn(delegation_add, &a);
}
