/*
 * control.c - the simulator's control interface: plain HTTP/1.0 on
 * loopback, one request per connection, no body read beyond what the
 * request announces.  Routes (README has the details):
 *   GET  /counts                              what each service received
 *   POST /fault?service=S&mode=M[&count=N][&seconds=T]
 *   POST /reset                               counts and faults cleared
 *   POST /actes/send?kind=K&idacte=ID         a prefecture message (actes.c);
 *        kind=files&idacte=DIR: the .xml/.pdf files of DIR mailed as they are
 */
#include "statesim.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQ_MAX 8192

struct conn {
	struct statesim *s;
	int fd;
};

static void
reply(int fd, int status, const char *ctype, const char *body)
{
	char head[256];
	const char *reason = status == 200 ? "OK" : status == 400 ? "Bad Request" :
	    status == 404 ? "Not Found" : status == 405 ? "Method Not Allowed" :
	    status == 422 ? "Unprocessable Entity" : status == 501 ? "Not Implemented" :
	    "Error";
	size_t blen = strlen(body);
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.0 %d %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		     status, reason, ctype, blen);
	if (send(fd, head, (size_t)n, MSG_NOSIGNAL) == n)
		send(fd, body, blen, MSG_NOSIGNAL);
}

static void reply_json(int fd, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
reply_json(int fd, int status, const char *fmt, ...)
{
	char body[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	reply(fd, status, "application/json", body);
}

static int
hexval(int c)
{
	if (isdigit(c))
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Copy the decoded value of key from the query string q into out. */
static int
query_get(const char *q, const char *key, char *out, size_t outsz)
{
	size_t klen = strlen(key), o = 0;
	const char *p = q;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			for (p += klen + 1; *p && *p != '&' && o + 1 < outsz; p++) {
				if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
					out[o++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
					p += 2;
				} else {
					out[o++] = *p == '+' ? ' ' : *p;
				}
			}
			out[o] = '\0';
			return 1;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return 0;
}

static int
valid_service(const char *svc)
{
	return strcmp(svc, "helios") == 0 || strcmp(svc, "actes") == 0 ||
	    strcmp(svc, "imap") == 0;
}

static void
do_fault(struct statesim *s, int fd, const char *q)
{
	char svc[32] = "", mode[32] = "", num[32] = "", sec[32] = "", when[16] = "before";
	enum statesim_fault m;
	int count = 1, seconds = 3;

	query_get(q, "service", svc, sizeof(svc));
	query_get(q, "mode", mode, sizeof(mode));
	if (query_get(q, "count", num, sizeof(num)))
		count = atoi(num);
	if (query_get(q, "seconds", sec, sizeof(sec)))
		seconds = atoi(sec);
	query_get(q, "when", when, sizeof(when));
	m = statesim_fault_parse(mode);
	if (!valid_service(svc))
		return reply_json(fd, 400, "{\"error\":\"service must be helios, actes or imap\"}\n");
	if (m == FAULT_NONE)
		return reply_json(fd, 400, "{\"error\":\"mode must be refuse, hang, cut, 500 or delay_ack\"}\n");
	if (count < 1 || count > 1000 || seconds < 0 || seconds > 3600)
		return reply_json(fd, 400, "{\"error\":\"count must be 1..1000, seconds 0..3600\"}\n");
	if (strcmp(when, "before") && strcmp(when, "after"))
		return reply_json(fd, 400, "{\"error\":\"when must be before or after\"}\n");
	statesim_fault_add(s, svc, m, count, seconds, strcmp(when, "after") == 0);
	fprintf(stderr, "statesim: control: next %d %s operation(s): %s (%s)\n", count, svc,
		mode, when);
	reply_json(fd, 200, "{\"ok\":true}\n");
}

static void
do_actes_send(struct statesim *s, int fd, const char *q)
{
	char kind[32] = "", id[1024] = "", msg[512] = "", esc[600];
	size_t i, o = 0;
	int rc;

	if (!s->actes_send)
		return reply_json(fd, 501, "{\"error\":\"the @ctes service is not built in\"}\n");
	query_get(q, "kind", kind, sizeof(kind));
	query_get(q, "idacte", id, sizeof(id));
	rc = s->actes_send(s, kind, id, msg, sizeof(msg));
	for (i = 0; msg[i] && o + 2 < sizeof(esc); i++) {
		if (msg[i] == '"' || msg[i] == '\\')
			esc[o++] = '\\';
		esc[o++] = (unsigned char)msg[i] < 0x20 ? ' ' : msg[i];
	}
	esc[o] = '\0';
	if (rc)
		reply_json(fd, 422, "{\"error\":\"%s\"}\n", esc);
	else
		reply_json(fd, 200, "{\"ok\":true,\"message\":\"%s\"}\n", esc);
}

static void
do_counts(struct statesim *s, int fd)
{
	char *json = statesim_counts_json(s);

	if (!json)
		return reply_json(fd, 500, "{\"error\":\"out of memory\"}\n");
	reply(fd, 200, "application/json", json);
	free(json);
}

static void
route(struct statesim *s, int fd, const char *method, char *target)
{
	char *q = strchr(target, '?');
	int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;

	if (q)
		*q++ = '\0';
	if (strcmp(target, "/counts") == 0 && get)
		return do_counts(s, fd);
	if (strcmp(target, "/fault") == 0 && post)
		return do_fault(s, fd, q);
	if (strcmp(target, "/reset") == 0 && post) {
		statesim_reset(s);
		return reply_json(fd, 200, "{\"ok\":true}\n");
	}
	if (strcmp(target, "/actes/send") == 0 && post)
		return do_actes_send(s, fd, q);
	if (strcmp(target, "/") == 0 && get)
		return reply(fd, 200, "text/plain", "liasse-statesim control\n");
	if (!strcmp(target, "/counts") || !strcmp(target, "/fault") ||
	    !strcmp(target, "/reset") || !strcmp(target, "/actes/send"))
		return reply_json(fd, 405, "{\"error\":\"method not allowed\"}\n");
	reply_json(fd, 404, "{\"error\":\"no such route\"}\n");
}

/* Read the request head; discard a body of at most REQ_MAX bytes. */
static int
read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < cap) {
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return 0;
	}
	return -1;
}

static void *
serve(void *arg)
{
	struct conn *c = arg;
	char buf[REQ_MAX], method[16], target[2048];

	if (read_request(c->fd, buf, sizeof(buf)) == 0 &&
	    sscanf(buf, "%15s %2047s", method, target) == 2)
		route(c->s, c->fd, method, target);
	else
		reply_json(c->fd, 400, "{\"error\":\"bad request\"}\n");
	shutdown(c->fd, SHUT_WR);
	close(c->fd);
	free(c);
	return NULL;
}

static void *
accept_loop(void *arg)
{
	struct conn *l = arg, *c;
	int fd;

	while (!l->s->stopping) {
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->s = l->s;
		c->fd = fd;
		if (statesim_spawn(serve, c)) {
			close(fd);
			free(c);
		}
	}
	return NULL;
}

int
control_start(struct statesim *s)
{
	static struct conn l;
	char url[128];

	l.s = s;
	l.fd = statesim_listen(s, &s->control_port);
	if (l.fd < 0)
		return -1;
	snprintf(url, sizeof(url), "http://%s:%d/", s->host, s->control_port);
	statesim_announce(s, "control", url);
	return statesim_spawn(accept_loop, &l);
}
