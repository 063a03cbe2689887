/* cli.h - the liasse admin CLI: one function per command group. */
#ifndef LIASSE_CLI_H
#define LIASSE_CLI_H
int cli_sign_main(int argc, char **argv);     /* src/cli/sign.c */
int cli_verify_main(int argc, char **argv);
#endif
