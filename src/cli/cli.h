/*
 * cli.h - the liasse admin CLI: one function per command, each taking the
 * arguments after its name.  Errors: one line on stderr and exit status 1;
 * usage errors: exit status 2.
 */
#ifndef LIASSE_CLI_H
#define LIASSE_CLI_H

#include "core/err.h"

struct store;

int cli_db_migrate(int argc, char **argv);
int cli_org_add(int argc, char **argv);
int cli_org_list(int argc, char **argv);
int cli_client_add(int argc, char **argv);
int cli_client_list(int argc, char **argv);
int cli_client_revoke(int argc, char **argv);
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

/* Transmission connectors (src/cli/connector.c). */
int cli_connector_set(int argc, char **argv);
int cli_connector_list(int argc, char **argv);
int cli_connector_test(int argc, char **argv);

#endif
