/*
 * statesim.h - liasse-statesim, the state platforms on loopback.
 *
 * One process, one thread (or more) per service: Hélios (FTP, helios.c and
 * ftp.c), @ctes (HTTPS with a client certificate, actes.c), IMAP (imap.c,
 * mail.c) and the control interface (plain HTTP, control.c) that tests use to
 * read what each service received and to inject faults.  Everything the
 * services share lives in struct statesim and is reached through the
 * functions below, all thread-safe.
 *
 * main.c calls, in this order, helios_start(), actes_start(), imap_start()
 * and control_start(); each binds its listening socket, calls
 * statesim_announce() with its URL, starts its thread(s) and returns 0 (or
 * -1 after printing why on stderr).  main then prints "ready".
 *
 * actes_start() and imap_start() are declared weak: until actes.c and
 * imap.c exist the program builds and runs without those services.  Whoever
 * adds actes.c/imap.c/mail.c appends them to contrib_liasse_statesim_SOURCES
 * in contrib/Makefile.inc (one small edit); nothing else changes.
 *
 * State directory (--dir): helios/in (files received), helios/retour (the
 * PES_Acquit files, the FTP response directory), helios/incoming (transfers
 * in progress), and whatever actes.c and imap.c put under actes/ and mail/.
 */
#ifndef LIASSE_STATESIM_H
#define LIASSE_STATESIM_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

#define STATESIM_MAXOPT 32

enum statesim_fault {
	FAULT_NONE = 0,
	FAULT_REFUSE,     /* refuse the operation (FTP 5xx, HTTP 403, IMAP NO) */
	FAULT_HANG,       /* never answer (until the peer closes or we stop) */
	FAULT_CUT,        /* close the connection in the middle of a transfer */
	FAULT_500,        /* a server error (FTP 451, HTTP 500, IMAP BAD) */
	FAULT_DELAY_ACK,  /* accept, write the acknowledgement only after delay */
};

struct statesim_count;
struct statesim_faultq;

struct statesim {
	/* Options (main.c), read-only once the services are started. */
	const char *dir;          /* state directory, absolute */
	const char *host;         /* "127.0.0.1" */
	int helios_port;          /* asked for (0: any); the bound one after start */
	int actes_port;
	int imap_port;
	int control_port;
	const char *pes_xsd;      /* PES_Aller.xsd, "" or NULL: no XSD check */
	const char *tls_cert;     /* server certificate (PEM) for @ctes/FTPS */
	const char *tls_key;      /* its key (PEM) */
	const char *tls_ca;       /* CA file whose client certificates @ctes accepts */
	/* --set key=value pairs for the services' own options. */
	const char *optk[STATESIM_MAXOPT], *optv[STATESIM_MAXOPT];
	int nopt;

	/* Set by actes_start(): POST /actes/send?kind=..&idacte=.. calls it.
	 * kind is courrier|pieces|observations|defere.  Returns 0 and may write
	 * a short text for the reply body into msg; non-zero with the reason in
	 * msg makes the control answer 422.  NULL: the control answers 501. */
	int (*actes_send)(struct statesim *s, const char *kind, const char *idacte,
			  char *msg, size_t msglen);
	/* Optional, called by POST /reset after counts and faults are cleared. */
	void (*actes_reset)(struct statesim *s);
	void (*imap_reset)(struct statesim *s);

	/* Private to main.c/control.c: use the functions below. */
	pthread_mutex_t mu;
	struct statesim_count *counts;
	struct statesim_faultq *faults;
	volatile sig_atomic_t stopping;
};

/* Start functions; 0 or -1 (reason on stderr). */
int helios_start(struct statesim *s);
void helios_reset(struct statesim *s);   /* POST /reset: forget NomFic seen */
int control_start(struct statesim *s);
int actes_start(struct statesim *s) __attribute__((weak));
int imap_start(struct statesim *s) __attribute__((weak));

/* Print "<service> <url>" on stdout and flush (under the lock). */
void statesim_announce(struct statesim *s, const char *service, const char *url);

/* A listening TCP socket on s->host:*port (0: any free port; *port is set
 * to the bound one).  -1 on failure, reason on stderr. */
int statesim_listen(struct statesim *s, int *port);

/* Start a detached thread running fn(arg); 0 or -1. */
int statesim_spawn(void *(*fn)(void *), void *arg);

/* Value of --set key=value, or def. */
const char *statesim_opt(struct statesim *s, const char *key, const char *def);

/* What a service received: one more of name (a file, an archive, a message
 * id) under service ("helios", "actes", "imap").  GET /counts reports them. */
void statesim_count(struct statesim *s, const char *service, const char *name);
/* How many of name service has received so far. */
int statesim_count_get(struct statesim *s, const char *service, const char *name);

/* The next pending fault for service, if any, consumed (one operation).
 * *seconds receives the delay of FAULT_DELAY_ACK (default 3). */
enum statesim_fault statesim_fault_take(struct statesim *s, const char *service,
					int *seconds);
/* The same, with *after: 1 when the fault was asked with when=after (the
 * operation is carried out first, then the reply is withheld or the
 * connection cut: "received, but the client never heard"). */
enum statesim_fault statesim_fault_take_when(struct statesim *s, const char *service,
					     int *seconds, int *after);

/* For control.c: queue count faults of mode for service; clear counts and
 * faults; the counts as a JSON object {"service":{"name":n,...},...}
 * (malloc'ed, NUL-terminated; NULL when out of memory). */
void statesim_fault_add(struct statesim *s, const char *service,
			enum statesim_fault mode, int count, int seconds, int after);
void statesim_reset(struct statesim *s);
char *statesim_counts_json(struct statesim *s);
/* Name of a fault mode as the control interface spells it, and back
 * (FAULT_NONE when unknown). */
const char *statesim_fault_name(enum statesim_fault mode);
enum statesim_fault statesim_fault_parse(const char *name);

/* Sleep up to ms milliseconds, waking early when the simulator stops or
 * the peer on fd (if >= 0) closes; used for hang and delay. */
void statesim_wait(struct statesim *s, int fd, long ms);

/* mkdir -p of s->dir/rel; 0 or -1. */
int statesim_mkdir(struct statesim *s, const char *rel);

/* Write len bytes to s->dir/rel atomically (temporary file then rename). */
int statesim_write_file(struct statesim *s, const char *rel, const void *data,
			size_t len);

#endif
