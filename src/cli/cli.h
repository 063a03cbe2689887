/* cli.h - the liasse admin CLI: one function per command group. */
#ifndef LIASSE_CLI_H
#define LIASSE_CLI_H
#endif
