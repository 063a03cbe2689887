/*
 * cert.c - liasse cert import|list|enrol|unlock|revoke: officials' signing
 * certificates.  Secrets (the PKCS#12 password, the enrolment code, the new
 * PIN) are read from stdin, one per line, so that they appear in no process
 * list nor shell history; the enrolment code is printed once, at import.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "cli/cli.h"
#include "core/err.h"
#include "flow/signdoc.h"
#include "store/store.h"

#define CERT_P12_MAX (256 * 1024)

static int
read_file(const char *path, char **out, size_t *len, struct lerr *e)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;
	char *p = malloc(CERT_P12_MAX + 1);

	if (!f || !p) {
		free(p);
		if (f)
			fclose(f);
		lerr_set(e, LERR_INVALID, NULL, "cannot read %s", path);
		lerr_hint(e, "give the path of the official's PKCS#12 (.p12/.pfx) file");
		return LERR_INVALID;
	}
	n = fread(p, 1, CERT_P12_MAX + 1, f);
	fclose(f);
	if (n > CERT_P12_MAX) {
		free(p);
		return lerr_set(e, LERR_TOOLARGE, NULL, "%s is larger than %d bytes", path, CERT_P12_MAX);
	}
	*out = p;
	*len = n;
	return 0;
}

int
cli_cert_import(int argc, char **argv)
{
	char pass[1024], code[CUSTODY_CODE_SIZE];
	struct store *s = NULL;
	struct lerr e;
	char *p12 = NULL;
	size_t len = 0;
	long long id = 0, replaced = 0;
	int rc;

	if (argc != 3)
		return cli_usage("usage: liasse cert import EMAIL FILE.p12  (PKCS#12 password on stdin)");
	lerr_clear(&e);
	if (cli_read_line(pass, sizeof(pass)))
		pass[0] = '\0';
	if ((rc = read_file(argv[2], &p12, &len, &e)))
		goto out;
	if (cli_open_store(&s)) {
		rc = -1;          /* printed */
		goto out;
	}
	rc = signdoc_import_ex(s, 0, argv[1], p12, len, pass, "cli", &id, &replaced, code, &e);
	if (!rc) {
		printf("%s\n", code);
		if (replaced)
			fprintf(stderr, "certificate %lld, which awaited enrolment, is replaced: it and its"
				" enrolment code are gone\n", replaced);
		fprintf(stderr, "certificate %lld imported for %s; give the enrolment code above to the "
			"official only: it is shown once\n", id, argv[1]);
		explicit_bzero(code, sizeof(code));
	}
out:
	explicit_bzero(pass, sizeof(pass));
	if (p12)
		explicit_bzero(p12, len);
	free(p12);
	store_close(s);
	return rc == 0 ? 0 : rc < 0 ? 1 : cli_fail(&e);
}

static void
print_cert(json_t *c)
{
	json_t *person = json_object_get(c, "person");
	const char *state = json_string_value(json_object_get(c, "state"));
	int locked = json_is_true(json_object_get(c, "locked"));
	int expired = json_is_true(json_object_get(c, "expired"));

	printf("%-5lld %-32s %-10s %-20.19s %5lld %-8s %s\n",
	       (long long)json_integer_value(json_object_get(c, "id")),
	       json_string_value(json_object_get(person, "email")),
	       expired ? "expired" : state,
	       json_string_value(json_object_get(c, "not_after")),
	       (long long)json_integer_value(json_object_get(c, "days_left")),
	       locked ? "locked" : "-", json_string_value(json_object_get(c, "subject")));
}

static int
list_certs(struct store_conn *c, void *arg, struct lerr *e)
{
	char *json = NULL;
	json_t *a, *v;
	size_t i;
	int rc = store_cert_list_json(c, 0, 0, &json, e);

	(void)arg;
	if (rc)
		return rc;
	a = json_loads(json, 0, NULL);
	free(json);
	printf("%-5s %-32s %-10s %-20s %5s %-8s %s\n", "ID", "PERSON", "STATE", "EXPIRES (UTC)",
	       "DAYS", "SIGNING", "SUBJECT");
	json_array_foreach(a, i, v)
		print_cert(v);
	json_decref(a);
	return 0;
}

int
cli_cert_list(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage("usage: liasse cert list");
	return cli_in_txn(list_certs, NULL);
}

struct admin_op {
	const char *op, *email;
};

static int
admin_op(struct store_conn *c, void *arg, struct lerr *e)
{
	struct admin_op *a = arg;
	char *json = NULL;
	json_t *j;
	int rc = store_cert_admin(c, a->op, 0, a->email, 0, "cli", &json, e);

	if (rc)
		return rc;
	j = json_loads(json, 0, NULL);
	printf("certificate %lld of %s: %s%s\n", (long long)json_integer_value(json_object_get(j, "id")),
	       a->email, json_string_value(json_object_get(j, "state")),
	       json_is_true(json_object_get(j, "locked")) ? ", locked" : "");
	json_decref(j);
	free(json);
	return 0;
}

int
cli_cert_unlock(int argc, char **argv)
{
	struct admin_op a = { "unlock", argc == 2 ? argv[1] : NULL };

	if (argc != 2)
		return cli_usage("usage: liasse cert unlock EMAIL");
	return cli_in_txn(admin_op, &a);
}

int
cli_cert_revoke(int argc, char **argv)
{
	struct admin_op a = { "revoke", argc == 2 ? argv[1] : NULL };

	if (argc != 2)
		return cli_usage("usage: liasse cert revoke EMAIL");
	return cli_in_txn(admin_op, &a);
}

static int
person_of(struct store *s, const char *email, long long *id, struct lerr *e)
{
	struct store_conn *c = NULL;
	int rc = store_acquire(s, &c, e);

	if (!rc)
		rc = store_cert_person_id(c, email, id, e);
	store_release(s, c);
	return rc;
}

int
cli_cert_enrol(int argc, char **argv)
{
	char code[128], pin[256];
	struct store *s = NULL;
	long long pid = 0;
	struct lerr e;
	int rc, left = 0;

	if (argc != 2)
		return cli_usage("usage: liasse cert enrol EMAIL  (enrolment code, then new PIN, on stdin)");
	lerr_clear(&e);
	if (cli_read_line(code, sizeof(code)) || cli_read_line(pin, sizeof(pin))) {
		lerr_set(&e, LERR_INVALID, NULL, "give the enrolment code and the new PIN on two lines of stdin");
		rc = LERR_INVALID;
		goto out;
	}
	if (cli_open_store(&s)) {
		rc = -1;          /* printed */
		goto out;
	}
	if ((rc = person_of(s, argv[1], &pid, &e)))
		goto out;
	rc = signdoc_enrol(s, pid, code, pin, "cli", NULL, &left, &e);
	if (!rc)
		printf("%s enrolled: the key is now wrapped under their PIN\n", argv[1]);
out:
	explicit_bzero(code, sizeof(code));
	explicit_bzero(pin, sizeof(pin));
	store_close(s);
	return rc == 0 ? 0 : rc < 0 ? 1 : cli_fail(&e);
}
