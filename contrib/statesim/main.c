/*
 * main.c - liasse-statesim: options, start-up, the state the services share
 * (counts of what was received, pending faults) and small socket and file
 * helpers.  See statesim.h and contrib/statesim/README.
 */
#include "statesim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct statesim_count {
	struct statesim_count *next;
	char service[32];               /* "helios.ack_partial" and the like */
	char name[240];
	int n;
};

struct statesim_faultq {
	struct statesim_faultq *next;
	char service[16];
	enum statesim_fault mode;
	int count;
	int seconds;
	int after;
};

static const char *fault_names[] = {
	[FAULT_NONE] = "none", [FAULT_REFUSE] = "refuse", [FAULT_HANG] = "hang",
	[FAULT_CUT] = "cut", [FAULT_500] = "500", [FAULT_DELAY_ACK] = "delay_ack",
};

void
statesim_announce(struct statesim *s, const char *service, const char *url)
{
	pthread_mutex_lock(&s->mu);
	printf("%s %s\n", service, url);
	fflush(stdout);
	pthread_mutex_unlock(&s->mu);
}

int
statesim_listen(struct statesim *s, int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)*port);
	if (inet_pton(AF_INET, s->host, &sa.sin_addr) != 1) {
		fprintf(stderr, "statesim: --host %s is not an IPv4 address\n", s->host);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		goto fail;
	*port = ntohs(sa.sin_port);
	return fd;
fail:
	fprintf(stderr, "statesim: cannot listen on %s:%d: %s\n", s->host, *port,
		strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int
statesim_spawn(void *(*fn)(void *), void *arg)
{
	pthread_attr_t a;
	pthread_t t;
	int rc;

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &a, fn, arg);
	pthread_attr_destroy(&a);
	if (rc)
		fprintf(stderr, "statesim: cannot start a thread: %s\n", strerror(rc));
	return rc ? -1 : 0;
}

const char *
statesim_opt(struct statesim *s, const char *key, const char *def)
{
	int i;

	for (i = s->nopt - 1; i >= 0; i--)
		if (strcmp(s->optk[i], key) == 0)
			return s->optv[i];
	return def;
}

static struct statesim_count *
count_find(struct statesim *s, const char *service, const char *name)
{
	struct statesim_count *c;

	for (c = s->counts; c; c = c->next)
		if (strcmp(c->service, service) == 0 && strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void
statesim_count(struct statesim *s, const char *service, const char *name)
{
	struct statesim_count *c;

	pthread_mutex_lock(&s->mu);
	c = count_find(s, service, name);
	if (!c && (c = calloc(1, sizeof(*c)))) {
		snprintf(c->service, sizeof(c->service), "%s", service);
		snprintf(c->name, sizeof(c->name), "%s", name);
		c->next = s->counts;
		s->counts = c;
	}
	if (c)
		c->n++;
	pthread_mutex_unlock(&s->mu);
}

int
statesim_count_get(struct statesim *s, const char *service, const char *name)
{
	struct statesim_count *c;
	int n;

	pthread_mutex_lock(&s->mu);
	c = count_find(s, service, name);
	n = c ? c->n : 0;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* JSON string body: names are file names and ids, escape what JSON needs. */
static void
json_str(FILE *f, const char *p)
{
	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static int
service_seen(struct statesim_count *upto, const char *service)
{
	struct statesim_count *c;

	for (c = upto; c; c = c->next)
		if (strcmp(c->service, service) == 0)
			return 1;
	return 0;
}

char *
statesim_counts_json(struct statesim *s)
{
	struct statesim_count *c, *d;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int first = 1, inner;

	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	fputc('{', f);
	pthread_mutex_lock(&s->mu);
	for (c = s->counts; c; c = c->next) {
		if (service_seen(c->next, c->service))
			continue;       /* printed with its last occurrence */
		fprintf(f, "%s", first ? "" : ",");
		first = 0;
		json_str(f, c->service);
		fputs(":{", f);
		inner = 1;
		for (d = s->counts; d; d = d->next) {
			if (strcmp(d->service, c->service))
				continue;
			fprintf(f, "%s", inner ? "" : ",");
			inner = 0;
			json_str(f, d->name);
			fprintf(f, ":%d", d->n);
		}
		fputc('}', f);
	}
	pthread_mutex_unlock(&s->mu);
	fputs("}\n", f);
	fclose(f);
	return out;
}

const char *
statesim_fault_name(enum statesim_fault mode)
{
	return fault_names[mode];
}

enum statesim_fault
statesim_fault_parse(const char *name)
{
	size_t i;

	for (i = 1; i < sizeof(fault_names) / sizeof(fault_names[0]); i++)
		if (strcmp(name, fault_names[i]) == 0)
			return (enum statesim_fault)i;
	return FAULT_NONE;
}

void
statesim_fault_add(struct statesim *s, const char *service,
		   enum statesim_fault mode, int count, int seconds, int after)
{
	struct statesim_faultq *q, **tail;

	q = calloc(1, sizeof(*q));
	if (!q)
		return;
	snprintf(q->service, sizeof(q->service), "%s", service);
	q->mode = mode;
	q->count = count;
	q->seconds = seconds;
	q->after = after;
	pthread_mutex_lock(&s->mu);
	for (tail = &s->faults; *tail; tail = &(*tail)->next)
		;
	*tail = q;
	pthread_mutex_unlock(&s->mu);
}

enum statesim_fault
statesim_fault_take(struct statesim *s, const char *service, int *seconds)
{
	return statesim_fault_take_when(s, service, seconds, NULL);
}

enum statesim_fault
statesim_fault_take_when(struct statesim *s, const char *service, int *seconds, int *after)
{
	struct statesim_faultq *q, **pp;
	enum statesim_fault mode = FAULT_NONE;

	pthread_mutex_lock(&s->mu);
	for (pp = &s->faults; (q = *pp); pp = &q->next) {
		if (strcmp(q->service, service))
			continue;
		mode = q->mode;
		if (seconds)
			*seconds = q->seconds;
		if (after)
			*after = q->after;
		if (--q->count <= 0) {
			*pp = q->next;
			free(q);
		}
		break;
	}
	pthread_mutex_unlock(&s->mu);
	return mode;
}

void
statesim_reset(struct statesim *s)
{
	struct statesim_count *c;
	struct statesim_faultq *q;

	pthread_mutex_lock(&s->mu);
	while ((c = s->counts)) {
		s->counts = c->next;
		free(c);
	}
	while ((q = s->faults)) {
		s->faults = q->next;
		free(q);
	}
	pthread_mutex_unlock(&s->mu);
	helios_reset(s);
	if (s->actes_reset)
		s->actes_reset(s);
	if (s->imap_reset)
		s->imap_reset(s);
}

void
statesim_wait(struct statesim *s, int fd, long ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	while (ms > 0 && !s->stopping) {
		if (fd >= 0 && poll(&p, 1, 100) > 0) {
			if (recv(fd, &c, 1, MSG_PEEK) <= 0)
				return;         /* the peer closed */
			/* The peer sent something: we do not read it, only wait. */
			usleep(100 * 1000);
		} else if (fd < 0) {
			usleep(100 * 1000);
		}
		ms -= 100;
	}
}

int
statesim_mkdir(struct statesim *s, const char *rel)
{
	char path[PATH_MAX], *p;

	if (snprintf(path, sizeof(path), "%s/%s", s->dir, rel) >= (int)sizeof(path))
		return -1;
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -1;
	return 0;
}

int
statesim_write_file(struct statesim *s, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", s->dir, rel);
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)pthread_self() % 100000);
	f = fopen(tmp, "wb");
	if (!f)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: liasse-statesim --dir DIR [--host 127.0.0.1] [--helios-port N]\n"
	    "       [--actes-port N] [--imap-port N] [--control-port N] [--pes-xsd FILE]\n"
	    "       [--tls-cert PEM --tls-key PEM] [--tls-ca PEM] [--set key=value]...\n"
	    "Ports default to 0 (any free port).  Prints one line \"<service> <url>\"\n"
	    "per service, then \"ready\".  SIGTERM or SIGINT stops it.\n");
}

static int
port_arg(const char *a, int *port)
{
	char *end;
	long v = strtol(a, &end, 10);

	if (*a == '\0' || *end || v < 0 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

static int
set_arg(struct statesim *s, char *a)
{
	char *eq = strchr(a, '=');

	if (!eq || eq == a || s->nopt == STATESIM_MAXOPT)
		return -1;
	*eq = '\0';
	s->optk[s->nopt] = a;
	s->optv[s->nopt++] = eq + 1;
	return 0;
}

static const struct option longopts[] = {
	{ "dir", required_argument, NULL, 'd' },
	{ "host", required_argument, NULL, 'H' },
	{ "helios-port", required_argument, NULL, 'f' },
	{ "actes-port", required_argument, NULL, 'a' },
	{ "imap-port", required_argument, NULL, 'i' },
	{ "control-port", required_argument, NULL, 'c' },
	{ "pes-xsd", required_argument, NULL, 'x' },
	{ "tls-cert", required_argument, NULL, 'C' },
	{ "tls-key", required_argument, NULL, 'K' },
	{ "tls-ca", required_argument, NULL, 'A' },
	{ "set", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
one_option(struct statesim *s, int c, char *arg)
{
	switch (c) {
	case 'd': s->dir = arg; return 0;
	case 'H': s->host = arg; return 0;
	case 'f': return port_arg(arg, &s->helios_port);
	case 'a': return port_arg(arg, &s->actes_port);
	case 'i': return port_arg(arg, &s->imap_port);
	case 'c': return port_arg(arg, &s->control_port);
	case 'x': s->pes_xsd = arg; return 0;
	case 'C': s->tls_cert = arg; return 0;
	case 'K': s->tls_key = arg; return 0;
	case 'A': s->tls_ca = arg; return 0;
	case 's': return set_arg(s, arg);
	case 'h': usage(stdout); exit(0);
	default: return -1;
	}
}

static int
parse_args(struct statesim *s, int argc, char **argv)
{
	static char absdir[PATH_MAX];
	int c, idx = 0;

	while ((c = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		if (one_option(s, c, optarg)) {
			if (c != '?')
				fprintf(stderr, "statesim: bad value for --%s\n",
					longopts[idx].name);
			return -1;
		}
	}
	if (optind != argc || !s->dir) {
		fprintf(stderr, "statesim: --dir is required\n");
		return -1;
	}
	if (mkdir(s->dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "statesim: cannot create %s: %s\n", s->dir, strerror(errno));
		return -1;
	}
	if (!realpath(s->dir, absdir))
		return -1;
	s->dir = absdir;
	return 0;
}

/* The default PES schema: $LIASSE_FIXTURES's DGFiP set, when present. */
static void
default_xsd(struct statesim *s)
{
	static char path[PATH_MAX];
	const char *fx = getenv("LIASSE_FIXTURES");

	if (s->pes_xsd || !fx)
		return;
	snprintf(path, sizeof(path),
		 "%s/parapheur-v5/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd", fx);
	if (access(path, R_OK) == 0)
		s->pes_xsd = path;
}

static int
start_all(struct statesim *s)
{
	if (helios_start(s))
		return -1;
	if (actes_start && actes_start(s))
		return -1;
	if (imap_start && imap_start(s))
		return -1;
	return control_start(s);
}

int
main(int argc, char **argv)
{
	static struct statesim s = { .host = "127.0.0.1" };
	sigset_t set;
	int sig;

	pthread_mutex_init(&s.mu, NULL);
	if (parse_args(&s, argc, argv)) {
		usage(stderr);
		return 2;
	}
	default_xsd(&s);
	/* Every thread inherits the mask; main alone takes the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (start_all(&s))
		return 1;
	pthread_mutex_lock(&s.mu);
	printf("ready\n");
	fflush(stdout);
	pthread_mutex_unlock(&s.mu);
	do {
		if (sigwait(&set, &sig))
			sig = SIGTERM;
	} while (sig == SIGHUP);
	s.stopping = 1;
	fprintf(stderr, "statesim: stopping on signal %d\n", sig);
	/* Files are written whole and renamed: nothing to flush but stdio. */
	fflush(NULL);
	_exit(0);
}
