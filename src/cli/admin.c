/* admin.c - the administration commands: database, organisations, API clients, documents. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/util.h"
#include "pdf/pdf.h"
#include "store/store.h"

int
cli_in_txn(int (*fn)(struct store_conn *c, void *arg, struct lerr *e), void *arg)
{
	struct store *s = NULL;
	struct store_conn *c = NULL;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	if (cli_open_store(&s))
		return 1;
	rc = store_acquire(s, &c, &e);
	if (!rc && !(rc = store_begin(c, &e)) && !(rc = fn(c, arg, &e)))
		rc = store_commit(c, &e);
	store_release(s, c);
	store_close(s);
	return rc ? cli_fail(&e) : 0;
}

int
cli_db_migrate(int argc, char **argv)
{
	struct store *s = NULL;
	struct lerr e;
	int applied = 0, rc;

	if (argc != 1)
		return cli_usage("usage: liasse db migrate");
	lerr_clear(&e);
	cli_kek_lenient = 1;   /* a schema change needs no secret */
	if (cli_open_store(&s))
		return 1;
	rc = app_migrate(s, &applied, &e);
	store_close(s);
	if (rc)
		return cli_fail(&e);
	printf("%d migration(s) applied\n", applied);
	return 0;
}

/* ---- organisations ---- */

static int
copy_opt(char *dst, size_t n, const char *src, const char *what)
{
	if (strlen(src) >= n)
		return cli_usage("%s is too long (at most %zu characters)", what, n - 1);
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

/* --codbud, repeated or comma-separated: the organisation's budgets. */
static int
add_codbud(struct org *o, const char *v)
{
	size_t n = strlen(o->codbuds);

	if (n + 1 + strlen(v) >= sizeof(o->codbuds))
		return cli_usage("--codbud: at most %d budgets", STORE_ORG_BUDGETS);
	snprintf(o->codbuds + n, sizeof(o->codbuds) - n, "%s%s", n ? "," : "", v);
	if (!store_org_codbuds_valid(o->codbuds))
		return cli_usage("--codbud \"%s\": a CodBud is 1 or 2 letters or digits, each given once", v);
	return 0;
}

static int
org_insert(struct store_conn *c, void *arg, struct lerr *e)
{
	return store_org_insert(c, arg, "cli", e);
}

int
cli_org_add(int argc, char **argv)
{
	static const struct option o[] = {
		{ "siren", 1, NULL, 's' }, { "name", 1, NULL, 'n' }, { "parent", 1, NULL, 'p' },
		{ "departement", 1, NULL, 'd' }, { "arrondissement", 1, NULL, 'a' },
		{ "nature-actes", 1, NULL, 'N' }, { "idcoll", 1, NULL, 'i' }, { "codcol", 1, NULL, 'C' },
		{ "idpost", 1, NULL, 'P' }, { "codbud", 1, NULL, 'b' }, { "city", 1, NULL, 'y' },
		{ "postal-code", 1, NULL, 'z' }, { "p-dest", 1, NULL, 'D' }, { NULL, 0, NULL, 0 },
	};
	struct org org;
	int ch, rc = 0;

	store_org_init(&org);
	optind = 0;
	while (!rc && (ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (ch) {
		case 's': rc = copy_opt(org.siren, sizeof(org.siren), optarg, "--siren"); break;
		case 'n': rc = copy_opt(org.name, sizeof(org.name), optarg, "--name"); break;
		case 'p': rc = copy_opt(org.parent_siren, sizeof(org.parent_siren), optarg, "--parent"); break;
		case 'd': rc = copy_opt(org.departement, sizeof(org.departement), optarg, "--departement"); break;
		case 'a': org.arrondissement = atoi(optarg); break;
		case 'N': org.nature_actes = atoi(optarg); break;
		case 'i': rc = copy_opt(org.idcoll, sizeof(org.idcoll), optarg, "--idcoll"); break;
		case 'C': rc = copy_opt(org.codcol, sizeof(org.codcol), optarg, "--codcol"); break;
		case 'P': rc = copy_opt(org.idpost, sizeof(org.idpost), optarg, "--idpost"); break;
		case 'b': rc = add_codbud(&org, optarg); break;
		case 'y': rc = copy_opt(org.city, sizeof(org.city), optarg, "--city"); break;
		case 'z': rc = copy_opt(org.postal_code, sizeof(org.postal_code), optarg, "--postal-code"); break;
		case 'D': rc = copy_opt(org.p_dest, sizeof(org.p_dest), optarg, "--p-dest"); break;
		default: return 2;
		}
	}
	if (rc)
		return rc;
	if (optind != argc || !org.siren[0] || !org.name[0])
		return cli_usage("usage: liasse org add --siren SIREN --name NAME [--parent SIREN] ...");
	if (cli_in_txn(org_insert, &org))
		return 1;
	printf("%s\n", org.siren);
	return 0;
}

struct org_set {
	const char *siren;
	struct org o;
	int signature;          /* --acte-signature or --pades-position given */
	const char *logo;       /* --logo FILE */
	int no_logo;            /* --no-logo */
	struct buf img;         /* the file of --logo */
	struct lpdf_image info; /* what MuPDF found in it */
};

static int
org_set(struct store_conn *c, void *arg, struct lerr *e)
{
	struct org_set *a = arg;
	int rc = store_org_set_helios(c, a->siren, &a->o, "cli", e);

	if (!rc && a->signature)
		rc = store_org_set_signature(c, a->siren, &a->o, "cli", e);
	if (!rc && a->logo)
		rc = store_org_logo_set(c, a->siren, a->info.media_type, a->info.w, a->info.h,
					a->img.data, a->img.len, "cli", e);
	if (!rc && a->no_logo)
		rc = store_org_logo_delete(c, a->siren, "cli", e);
	return rc;
}

/* --logo FILE read and checked before anything is written. */
static int
logo_file(struct org_set *a)
{
	struct lerr e;
	FILE *f = fopen(a->logo, "rb");
	char chunk[65536];
	size_t n, total = 0;
	int over = 0;

	lerr_clear(&e);
	if (!f) {
		lerr_set(&e, LERR_NOTFOUND, "logo", "cannot open %s: %s", a->logo, strerror(errno));
		return cli_fail(&e);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		total += n;
		over = over || buf_add(&a->img, chunk, n);
	}
	fclose(f);
	/* More than the cap: lpdf_image_check says so with the file's size. */
	if (lpdf_image_check(a->img.data, over ? total : a->img.len, &a->info, &e))
		return cli_fail(&e);
	return 0;
}

/* --pades-position PAGE,X,Y (points from the bottom left), or "none". */
static int
pades_position(struct org *o, const char *v)
{
	char end;

	if (!strcmp(v, "none")) {
		o->pades_page = -1;
		return 0;
	}
	if (sscanf(v, "%d,%f,%f%c", &o->pades_page, &o->pades_x, &o->pades_y, &end) != 3 ||
	    o->pades_page < 1 || o->pades_x < 0 || o->pades_y < 0 || o->pades_x > 14400 ||
	    o->pades_y > 14400)
		return cli_usage("--pades-position takes PAGE,X,Y (page from 1, x and y in points "
				 "from the bottom left, 0 to 14400) or none");
	return 0;
}

int
cli_org_set(int argc, char **argv)
{
	static const struct option o[] = {
		{ "idcoll", 1, NULL, 'i' }, { "codcol", 1, NULL, 'C' }, { "idpost", 1, NULL, 'P' },
		{ "codbud", 1, NULL, 'b' }, { "p-dest", 1, NULL, 'D' }, { "archive-after", 1, NULL, 'A' },
		{ "acte-signature", 1, NULL, 'S' }, { "pades-position", 1, NULL, 'X' },
		{ "logo", 1, NULL, 'L' }, { "no-logo", 0, NULL, 'W' }, { NULL, 0, NULL, 0 },
	};
	struct org_set a = { 0 };
	int ch, rc = 0;

	store_org_init(&a.o);
	optind = 0;
	while (!rc && (ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (ch) {
		case 'i': rc = copy_opt(a.o.idcoll, sizeof(a.o.idcoll), optarg, "--idcoll"); break;
		case 'C': rc = copy_opt(a.o.codcol, sizeof(a.o.codcol), optarg, "--codcol"); break;
		case 'P': rc = copy_opt(a.o.idpost, sizeof(a.o.idpost), optarg, "--idpost"); break;
		case 'b': rc = add_codbud(&a.o, optarg); break;
		case 'D': rc = copy_opt(a.o.p_dest, sizeof(a.o.p_dest), optarg, "--p-dest"); break;
		case 'A': rc = copy_opt(a.o.archive_after, sizeof(a.o.archive_after), optarg, "--archive-after"); break;
		case 'S':
			if (strcmp(optarg, "cades") && strcmp(optarg, "pades"))
				return cli_usage("--acte-signature takes cades or pades");
			snprintf(a.o.acte_signature, sizeof(a.o.acte_signature), "%s", optarg);
			a.signature = 1;
			break;
		case 'X': rc = pades_position(&a.o, optarg); a.signature = 1; break;
		case 'L': a.logo = optarg; break;
		case 'W': a.no_logo = 1; break;
		default: return 2;
		}
	}
	if (rc)
		return rc;
	if (optind + 1 != argc || (a.logo && a.no_logo))
		return cli_usage("usage: liasse org set SIREN [--idcoll I] [--codcol C] [--idpost P] "
				 "[--codbud B]... [--p-dest D] [--archive-after DURATION|never] "
				 "[--acte-signature cades|pades] [--pades-position PAGE,X,Y|none] "
				 "[--logo FILE.png|FILE.jpg | --no-logo]");
	a.siren = argv[optind];
	buf_init(&a.img, LPDF_LOGO_MAX);
	rc = a.logo ? logo_file(&a) : 0;
	if (!rc && cli_in_txn(org_set, &a))
		rc = 1;
	buf_fini(&a.img);
	if (rc)
		return rc;
	printf("%s\n", a.siren);
	return 0;
}

static void
print_org(void *arg, const struct org *o)
{
	printf("%s\t%s\t%s\n", o->siren, o->name, o->parent_siren[0] ? o->parent_siren : "-");
}

static int
org_list(struct store_conn *c, void *arg, struct lerr *e)
{
	return store_org_each(c, print_org, NULL, e);
}

int
cli_org_list(int argc, char **argv)
{
	if (argc != 1)
		return cli_usage("usage: liasse org list");
	return cli_in_txn(org_list, NULL);
}

/* ---- API clients ---- */

struct client_add {
	const char *name;
	const char *orgs[64];
	int norgs;
	char key[STORE_CLIENT_KEY_SIZE];
};

static int
client_create(struct store_conn *c, void *arg, struct lerr *e)
{
	struct client_add *a = arg;

	return store_client_create(c, a->name, a->orgs, a->norgs, "cli", a->key, NULL, e);
}

int
cli_client_add(int argc, char **argv)
{
	static const struct option o[] = {
		{ "name", 1, NULL, 'n' }, { "org", 1, NULL, 'o' }, { NULL, 0, NULL, 0 },
	};
	struct client_add a = { 0 };
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		if (ch == 'n')
			a.name = optarg;
		else if (ch == 'o' && a.norgs < 64)
			a.orgs[a.norgs++] = optarg;
		else
			return 2;
	}
	if (optind != argc || !a.name || a.norgs == 0)
		return cli_usage("usage: liasse client add --name NAME --org SIREN [--org SIREN]...");
	if (cli_in_txn(client_create, &a))
		return 1;
	printf("%s\n", a.key);
	fprintf(stderr, "liasse: API key of client \"%s\" printed above; it is shown only once\n", a.name);
	explicit_bzero(a.key, sizeof(a.key));
	return 0;
}

static void
print_client(void *arg, const char *name, const char *orgs, const char *created, int revoked)
{
	printf("%s\t%s\t%s\t%s\n", name, orgs, created, revoked ? "revoked" : "active");
}

static int
client_list(struct store_conn *c, void *arg, struct lerr *e)
{
	return store_client_each(c, print_client, NULL, e);
}

int
cli_client_list(int argc, char **argv)
{
	if (argc != 1)
		return cli_usage("usage: liasse client list");
	return cli_in_txn(client_list, NULL);
}

static int
client_revoke(struct store_conn *c, void *arg, struct lerr *e)
{
	return store_client_revoke(c, arg, "cli", e);
}

int
cli_client_revoke(int argc, char **argv)
{
	if (argc != 2)
		return cli_usage("usage: liasse client revoke NAME");
	return cli_in_txn(client_revoke, argv[1]);
}

/* ---- documents ---- */

static int
doc_show(struct store_conn *c, void *arg, struct lerr *e)
{
	char *json = NULL;
	int rc = store_doc_json(c, arg, 0, &json, e);

	if (!rc)
		printf("%s\n", json);
	free(json);
	return rc;
}

int
cli_doc_show(int argc, char **argv)
{
	struct lerr e;

	if (argc != 2)
		return cli_usage("usage: liasse doc show ID");
	if (!uuid_valid(argv[1])) {
		lerr_set(&e, LERR_INVALID, NULL, "\"%s\" is not a document id", argv[1]);
		lerr_hint(&e, "document ids are UUIDs");
		return cli_fail(&e);
	}
	return cli_in_txn(doc_show, argv[1]);
}
