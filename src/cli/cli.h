/*
 * cli.h - the liasse admin CLI: one function per command, each taking the
 * arguments after its name.  Errors: one line on stderr and exit status 1;
 * usage errors: exit status 2.
 */
#ifndef LIASSE_CLI_H
#define LIASSE_CLI_H

#include <stddef.h>

#include "core/err.h"

struct store;

int cli_db_migrate(int argc, char **argv);
int cli_org_add(int argc, char **argv);
int cli_org_list(int argc, char **argv);
int cli_org_set(int argc, char **argv);
int cli_client_add(int argc, char **argv);
int cli_client_list(int argc, char **argv);
int cli_client_revoke(int argc, char **argv);
int cli_client_cert(int argc, char **argv);      /* src/cli/clientcert.c */
int cli_doc_show(int argc, char **argv);
int cli_sign_main(int argc, char **argv);     /* src/cli/sign.c */
int cli_verify_main(int argc, char **argv);
int cli_journal_verify(int argc, char **argv);   /* src/cli/journal.c */

/* Shared helpers (src/liasse.c). */
int cli_fail(const struct lerr *e);                 /* prints one line, returns 1 */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* returns 2 */
int cli_open_store(struct store **s);               /* 0, or prints and returns 1 */

/* Webhooks of API clients (src/cli/webhook.c). */
int cli_webhook_add(int argc, char **argv);
int cli_webhook_list(int argc, char **argv);
int cli_webhook_delete(int argc, char **argv);
struct store_conn;
/* Runs fn(c, arg) with one connection inside a transaction; 0, or prints the
 * error and returns 1 (src/cli/admin.c). */
int cli_in_txn(int (*fn)(struct store_conn *c, void *arg, struct lerr *e), void *arg);
/* Reads one line from stdin into out (no newline); -1 at EOF or too long. */
int cli_read_line(char *out, size_t n);

/* People, roles, routing, delegations (src/cli/people.c). */
int cli_person_add(int argc, char **argv);
int cli_person_passwd(int argc, char **argv);
int cli_person_totp(int argc, char **argv);
int cli_person_list(int argc, char **argv);
int cli_role_add(int argc, char **argv);
int cli_routing_add(int argc, char **argv);
int cli_routing_list(int argc, char **argv);
int cli_routing_remove(int argc, char **argv);
/* Circuits (src/cli/circuit.c). */
int cli_circuit_add(int argc, char **argv);
int cli_circuit_edit(int argc, char **argv);
int cli_circuit_list(int argc, char **argv);
int cli_circuit_delete(int argc, char **argv);
int cli_delegation_add(int argc, char **argv);

/* Signing certificates (src/cli/cert.c). */
int cli_cert_import(int argc, char **argv);
int cli_cert_list(int argc, char **argv);
int cli_cert_enrol(int argc, char **argv);
int cli_cert_unlock(int argc, char **argv);
int cli_cert_revoke(int argc, char **argv);

/* Transmission connectors (src/cli/connector.c). */
int cli_connector_set(int argc, char **argv);
int cli_connector_list(int argc, char **argv);
int cli_connector_kinds(int argc, char **argv);
int cli_connector_test(int argc, char **argv);

/* i-Parapheur types and sub-types (src/cli/ipar.c). */
int cli_ipar_add(int argc, char **argv);
int cli_ipar_list(int argc, char **argv);
int cli_ipar_remove(int argc, char **argv);
/* The key-encryption key (src/cli/secrets.c); cli_kek_lenient: set by the
 * commands that report on sealed data cli_open_store() would refuse. */
extern int cli_kek_lenient;
int cli_secrets_new_key(int argc, char **argv);
int cli_secrets_status(int argc, char **argv);
int cli_secrets_reseal(int argc, char **argv);

#endif
