/*
 * actes.c - the @ctes endpoint of liasse-statesim: HTTPS (OpenSSL) that
 * requires a client certificate issued by --tls-ca, takes one archive per
 * multipart POST, answers 201 Created, then checks the archive
 * (actes_check.c) and "answers by e-mail": the ARActe or the anomaly is
 * appended to the IMAP mailbox (mail.c).  POST /actes/send on the control
 * interface mails a prefecture letter for an acknowledged act.
 *
 * Like the ministry's endpoint as S2LOW uses it, the file part's field name
 * is the archive's name and its filename too; the simulator takes the
 * filename, else the field name.  One request per connection.
 * Faults (POST /fault?service=actes&mode=M): refuse (403 before the body),
 * hang (no answer), cut (connection closed mid-body), 500 (body read, 500,
 * nothing kept), delay_ack (201 at once, the e-mail after the delay).
 */
#include "actes_int.h"
#include "actes_tar.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define HEAD_MAX 16384
#define MULTIPART_SLACK (256u * 1024)

struct actes_srv {
	struct statesim *s;
	int fd;
	SSL_CTX *ctx;
};

struct actes_conn {
	struct statesim *s;
	int fd;
	SSL *ssl;
	char head[HEAD_MAX + 1];
	size_t hlen;          /* bytes in head, the head then the start of the body */
	size_t hend;          /* end of the head (after CRLFCRLF) */
	char method[16], target[1024], ctype[512];
	long long clen;       /* -1: none */
	int chunked, expect;
	unsigned char *body;
	size_t blen;
};

static size_t
body_max(struct statesim *s)
{
	return actes_max_size(s) + MULTIPART_SLACK;
}

static int
c_write(struct actes_conn *c, const void *data, size_t len)
{
	const char *p = data;
	int n;

	while (len > 0) {
		n = SSL_write(c->ssl, p, (int)(len > 65536 ? 65536 : len));
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
reply(struct actes_conn *c, int status, const char *reason, const char *body)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nServer: liasse-statesim\r\n"
		     "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n", status, reason, strlen(body));
	if (c_write(c, head, (size_t)n) == 0)
		(void)c_write(c, body, strlen(body));
}

static int
c_read(struct actes_conn *c, void *buf, size_t cap)
{
	int n = SSL_read(c->ssl, buf, (int)(cap > 65536 ? 65536 : cap));

	return n > 0 ? n : -1;
}

static const char *
header(struct actes_conn *c, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name);
	const char *p = strstr(c->head, "\r\n"), *e;

	while (p && p < c->head + c->hend - 2) {
		p += 2;
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			p += nlen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			e = strstr(p, "\r\n");
			snprintf(out, cap, "%.*s", (int)(e ? e - p : 0), p);
			return out;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

static int
read_head(struct actes_conn *c)
{
	char *end, v[128];
	int n;

	while (!(end = strstr(c->head, "\r\n\r\n"))) {
		if (c->hlen >= HEAD_MAX)
			return -1;
		n = c_read(c, c->head + c->hlen, HEAD_MAX - c->hlen);
		if (n < 0)
			return -1;
		c->hlen += (size_t)n;
		c->head[c->hlen] = '\0';
		if (memchr(c->head, '\0', c->hlen))   /* binary before the head's end */
			return -1;
	}
	c->hend = (size_t)(end - c->head) + 4;
	if (sscanf(c->head, "%15s %1023s", c->method, c->target) != 2)
		return -1;
	c->clen = header(c, "Content-Length", v, sizeof(v)) ? atoll(v) : -1;
	c->chunked = header(c, "Transfer-Encoding", v, sizeof(v)) && strcasestr(v, "chunked");
	c->expect = header(c, "Expect", v, sizeof(v)) && strcasestr(v, "100-continue");
	if (!header(c, "Content-Type", c->ctype, sizeof(c->ctype)))
		c->ctype[0] = '\0';
	return 0;
}

/* Read exactly want more raw bytes (after what the head buffer holds). */
static int
read_raw(struct actes_conn *c, unsigned char *dst, size_t want, size_t *have_head)
{
	size_t got = 0, k;
	int n;

	k = c->hlen - c->hend - *have_head;
	if (k > want)
		k = want;
	memcpy(dst, c->head + c->hend + *have_head, k);
	*have_head += k;
	got = k;
	while (got < want) {
		n = c_read(c, dst + got, want - got);
		if (n < 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int
read_line_raw(struct actes_conn *c, char *line, size_t cap, size_t *used)
{
	size_t i = 0;
	unsigned char ch;

	while (i + 1 < cap) {
		if (read_raw(c, &ch, 1, used))
			return -1;
		if (ch == '\n') {
			if (i > 0 && line[i - 1] == '\r')
				i--;
			line[i] = '\0';
			return 0;
		}
		line[i++] = (char)ch;
	}
	return -1;
}

static int
grow(struct actes_conn *c, size_t need)
{
	unsigned char *nb;

	if (need > body_max(c->s))
		return -1;
	nb = realloc(c->body, need + 1);
	if (!nb)
		return -1;
	c->body = nb;
	return 0;
}

/* The body, by Content-Length or chunked; -1 I/O, -2 too large. */
static int
read_body(struct actes_conn *c)
{
	size_t used = 0, size;
	char line[64];

	if (!c->chunked) {
		if (c->clen < 0 || (unsigned long long)c->clen > body_max(c->s))
			return c->clen < 0 ? -1 : -2;
		if (grow(c, (size_t)c->clen))
			return -2;
		c->blen = (size_t)c->clen;
		return read_raw(c, c->body, c->blen, &used);
	}
	for (;;) {
		if (read_line_raw(c, line, sizeof(line), &used))
			return -1;
		size = strtoul(line, NULL, 16);
		if (size == 0)
			break;
		if (grow(c, c->blen + size))
			return -2;
		if (read_raw(c, c->body + c->blen, size, &used) ||
		    read_line_raw(c, line, sizeof(line), &used))
			return -1;
		c->blen += size;
	}
	return read_line_raw(c, line, sizeof(line), &used);
}

/* A parameter of a header value: name="value" or name=value. */
static int
param(const char *h, size_t hlen, const char *name, char *out, size_t cap)
{
	char pat[64];
	const char *p, *e, *end = h + hlen;

	snprintf(pat, sizeof(pat), "%s=", name);
	for (p = h; (p = memmem(p, (size_t)(end - p), pat, strlen(pat))); p++) {
		if (p > h && p[-1] != ' ' && p[-1] != ';' && p[-1] != '\t')
			continue;
		p += strlen(pat);
		if (*p == '"') {
			p++;
			e = memchr(p, '"', (size_t)(end - p));
		} else {
			for (e = p; e < end && *e != ';' && *e != '\r' && *e != ' '; e++)
				;
		}
		if (!e || e - p >= (long)cap)
			return -1;
		snprintf(out, cap, "%.*s", (int)(e - p), p);
		return 0;
	}
	return -1;
}

/* The file part of a multipart/form-data body: the first part with a
 * filename, else the first part (its field name is then the name). */
static int
multipart_file(struct actes_conn *c, char *name, size_t ncap,
	       const unsigned char **data, size_t *len)
{
	char boundary[200], delim[210], field[256] = "";
	const unsigned char *p, *end = c->body + c->blen, *hdr, *hend, *next;
	size_t dl, hl;

	if (strncasecmp(c->ctype, "multipart/form-data", 19) != 0 ||
	    param(c->ctype, strlen(c->ctype), "boundary", boundary, sizeof(boundary)))
		return -1;
	dl = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
	if (c->blen < dl - 2 || memcmp(c->body, delim + 2, dl - 2) != 0)
		return -1;
	*data = NULL;
	for (p = c->body + dl - 2; p + 2 <= end && !(p[0] == '-' && p[1] == '-'); p = next + dl) {
		hdr = p + 2;
		hend = memmem(hdr, (size_t)(end - hdr), "\r\n\r\n", 4);
		next = hend ? memmem(hend + 4, (size_t)(end - hend - 4), delim, dl) : NULL;
		if (!next)
			return -1;
		hl = (size_t)(hend - hdr);
		if (param((const char *)hdr, hl, "filename", name, ncap) == 0 && name[0]) {
			*data = hend + 4;
			*len = (size_t)(next - hend - 4);
			return 0;
		}
		if (!*data && param((const char *)hdr, hl, "name", field, sizeof(field)) == 0) {
			*data = hend + 4;
			*len = (size_t)(next - hend - 4);
		}
	}
	if (!*data || !field[0])
		return -1;
	snprintf(name, ncap, "%s", field);
	return 0;
}

static int
safe_name(const char *n)
{
	size_t i;

	if (!n[0] || n[0] == '.' || strlen(n) > 200)
		return 0;
	for (i = 0; n[i]; i++)
		if (!isalnum((unsigned char)n[i]) && !strchr("._-", n[i]))
			return 0;
	return 1;
}

static void
mail_subject(const struct actes_reply *r, const char *archive, char *out, size_t cap)
{
	static const char *letters[] = { "", "", "Courrier simple", "Demande de pieces complementaires",
		"Lettre d'observations", "Defere au tribunal administratif" };

	if (r->letter)
		snprintf(out, cap, "[ACTES] %s - acte %s", letters[r->letter], r->idacte);
	else if (r->files)
		snprintf(out, cap, "[ACTES] Message de la prefecture");
	else if (r->anomaly == 2)
		snprintf(out, cap, "[ACTES] Anomalie enveloppe - %s", archive);
	else if (r->anomaly == 1)
		snprintf(out, cap, "[ACTES] Anomalie acte - %s", r->idacte);
	else if (r->annulation)
		snprintf(out, cap, "[ACTES] Accuse de reception d'annulation - acte %s", r->idacte);
	else if (r->classification)
		snprintf(out, cap, "[ACTES] Classification - %s", r->idacte);
	else
		snprintf(out, cap, "[ACTES] Accuse de reception - acte %s", r->idacte);
}

/* With --set actes.mail_tgz=1, the files are also attached as one tar.gz
 * (named after the first file); the real platform attaches them one by one. */
static int
with_bundle(struct statesim *s, const struct actes_reply *r, struct mail_part *parts,
	    char *name, size_t ncap, unsigned char **gz)
{
	struct tar_file files[8];
	size_t len = 0;
	int i;

	memcpy(parts, r->parts, (size_t)r->nparts * sizeof(*parts));
	*gz = NULL;
	if (strcmp(statesim_opt(s, "actes.mail_tgz", "0"), "1") != 0 || r->nparts == 0)
		return r->nparts;
	for (i = 0; i < r->nparts; i++) {
		snprintf(files[i].name, sizeof(files[i].name), "%s", r->parts[i].name);
		files[i].data = (unsigned char *)(uintptr_t)r->parts[i].data;
		files[i].len = r->parts[i].len;
	}
	if (tar_gzip(files, r->nparts, gz, &len))
		return r->nparts;
	snprintf(name, ncap, "%.*s.tar.gz", (int)strcspn(r->parts[0].name, "."), r->parts[0].name);
	parts[r->nparts] = (struct mail_part){ name, "application/gzip", *gz, len };
	return r->nparts + 1;
}

static int
send_reply(struct statesim *s, const struct actes_reply *r, const char *archive)
{
	struct mail_part parts[9];
	unsigned char *gz;
	char subject[300], html[2048], tgz[300];
	int n, rc;
	const char *what = r->letter ? "un courrier de la pr&eacute;fecture" :
	    r->anomaly ? "une anomalie" : "l'accus&eacute; de r&eacute;ception";

	mail_subject(r, archive, subject, sizeof(subject));
	snprintf(html, sizeof(html), "<html><head><meta http-equiv=\"Content-Type\" "
		 "content=\"text/html; charset=UTF-8\"></head><body>"
		 "<h2>R&eacute;ponse de la plateforme @ctes (simulateur liasse-statesim)</h2>"
		 "<p>Vous trouverez en pi&egrave;ces jointes %s.</p>"
		 "<p>Archive : %s<br>Acte : %s</p></body></html>\r\n",
		 what, archive, r->idacte[0] ? r->idacte : "-");
	n = with_bundle(s, r, parts, tgz, sizeof(tgz), &gz);
	rc = mail_deliver(s, r->to, subject, html, parts, n, NULL);
	free(gz);
	return rc;
}

static const char *
answer_name(const char *code)
{
	return !strcmp(code, "2-2") ? "ReponseCourrierSimple" : !strcmp(code, "3-2") ? "PieceComplementaire" :
	    !strcmp(code, "3-3") ? "RefusPieceComplementaire" : !strcmp(code, "4-2") ?
	    "ReponseLettreObservations" : "RejetLettreObservations";
}

/* Check the archive and mail the answer (after delay seconds). */
static void
process(struct statesim *s, const char *name, const unsigned char *data, size_t len,
	int delay)
{
	static const char *kinds[] = { "ARActe", "AnomalieActe", "AnomalieEnveloppe" };
	struct actes_reply r;

	if (actes_check(s, name, data, len, &r)) {
		fprintf(stderr, "statesim: actes: %s: out of memory while checking\n", name);
		actes_reply_free(&r);
		return;
	}
	const char *kind = r.anomaly ? kinds[r.anomaly] : r.annulation ? "ARAnnulation" :
			   r.classification ? "RetourClassification" : r.answer_code[0] ? answer_name(r.answer_code) :
			   kinds[0];

	fprintf(stderr, "statesim: actes: %s -> %s%s%s\n", name, kind, r.anomaly ? ": " : "", r.detail);
	if (delay > 0)
		statesim_wait(s, -1, delay * 1000L);
	if (r.nomail || send_reply(s, &r, name) == 0)
		statesim_count(s, "actes", kind);
	actes_reply_free(&r);
}

static void
cut_mid_body(struct actes_conn *c)
{
	unsigned char buf[4096];
	long long want = c->clen > 0 ? c->clen / 2 : 4096;
	int n;

	if (c->expect)
		(void)c_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	while (want > 0 && (n = c_read(c, buf, sizeof(buf))) > 0)
		want -= n;
	fprintf(stderr, "statesim: actes: fault cut: connection closed mid-transfer\n");
}

/* The request after the head; returns the archive to process, if any. */
static int
handle(struct actes_conn *c, char *name, size_t ncap, const unsigned char **data,
       size_t *len, int *delay)
{
	enum statesim_fault f = statesim_fault_take(c->s, "actes", delay);
	int rc;

	if (f != FAULT_DELAY_ACK)
		*delay = 0;
	if (f == FAULT_REFUSE) {
		if (!c->expect)   /* the body is on its way: take it, or the close resets */
			(void)read_body(c);
		return reply(c, 403, "Forbidden", "transmission refusee (simulateur)\n"), -1;
	}
	if (f == FAULT_HANG)
		return statesim_wait(c->s, c->fd, 3600L * 1000), -1;
	if (f == FAULT_CUT)
		return cut_mid_body(c), -1;
	if (strcmp(c->method, "POST") != 0)
		return reply(c, 405, "Method Not Allowed", "POST an archive\n"), -1;
	if (!c->chunked && c->clen > (long long)body_max(c->s))
		return reply(c, 413, "Payload Too Large", "archive too large (actes.max_size)\n"), -1;
	if (c->expect)
		(void)c_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	rc = read_body(c);
	if (rc == -2)
		return reply(c, 413, "Payload Too Large", "archive too large (actes.max_size)\n"), -1;
	if (rc)
		return -1;
	if (f == FAULT_500)
		return reply(c, 500, "Internal Server Error", "erreur interne (simulateur)\n"), -1;
	if (multipart_file(c, name, ncap, data, len))
		return reply(c, 400, "Bad Request", "expected multipart/form-data with one file\n"), -1;
	return 0;
}

static void
log_peer(struct actes_conn *c)
{
	X509 *cert = SSL_get1_peer_certificate(c->ssl);
	char subj[256] = "?";

	if (cert) {
		X509_NAME_oneline(X509_get_subject_name(cert), subj, sizeof(subj));
		X509_free(cert);
	}
	fprintf(stderr, "statesim: actes: %s %s from %s\n", c->method, c->target, subj);
}

static void
serve_request(struct actes_conn *c)
{
	char name[256], rel[300], body[400];
	const unsigned char *data = NULL;
	size_t len = 0;
	int delay = 0;

	if (read_head(c)) {
		reply(c, 400, "Bad Request", "bad request\n");
		return;
	}
	log_peer(c);
	if (handle(c, name, sizeof(name), &data, &len, &delay))
		return;
	if (safe_name(name)) {
		snprintf(rel, sizeof(rel), "actes/received/%s", name);
		(void)statesim_write_file(c->s, rel, data, len);
	}
	statesim_count(c->s, "actes", name);
	snprintf(body, sizeof(body), "archive %s recue (%zu octets)\n", name, len);
	reply(c, 201, "Created", body);
	SSL_shutdown(c->ssl);
	shutdown(c->fd, SHUT_RDWR);
	process(c->s, name, data, len, delay);
}

static void *
actes_serve(void *arg)
{
	struct actes_conn *c = arg;
	struct timeval tv = { .tv_sec = 120 };

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (SSL_accept(c->ssl) == 1) {
		serve_request(c);
		SSL_shutdown(c->ssl);
	} else {
		unsigned long e = ERR_get_error();
		char buf[256];

		ERR_error_string_n(e, buf, sizeof(buf));
		fprintf(stderr, "statesim: actes: TLS handshake refused: %s\n", buf);
	}
	SSL_free(c->ssl);
	close(c->fd);
	free(c->body);
	free(c);
	return NULL;
}

static void *
actes_accept_loop(void *arg)
{
	struct actes_srv *l = arg;
	struct actes_conn *c;
	int fd;

	while (!l->s->stopping) {
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		c = calloc(1, sizeof(*c));
		if (!c || !(c->ssl = SSL_new(l->ctx))) {
			free(c);
			close(fd);
			continue;
		}
		c->s = l->s;
		c->fd = fd;
		SSL_set_fd(c->ssl, fd);
		if (statesim_spawn(actes_serve, c)) {
			SSL_free(c->ssl);
			close(fd);
			free(c);
		}
	}
	return NULL;
}

static SSL_CTX *
actes_tls(struct statesim *s)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	STACK_OF(X509_NAME) *cas;

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, s->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, s->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, s->tls_ca, NULL) != 1 ||
	    !(cas = SSL_load_client_CA_file(s->tls_ca))) {
		fprintf(stderr, "statesim: actes: cannot load --tls-cert %s, --tls-key %s "
			"or --tls-ca %s\n", s->tls_cert, s->tls_key, s->tls_ca);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_client_CA_list(ctx, cas);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	return ctx;
}

static int
actes_send(struct statesim *s, const char *kind, const char *idacte, char *msg,
	   size_t msglen)
{
	struct actes_reply r;
	int rc;

	if (!strcmp(kind, "classification") ? actes_classification_mail(s, idacte, &r, msg, msglen) :
	    !strcmp(kind, "files") ? actes_mail_dir(s, idacte, &r, msg, msglen) :
	    actes_letter(s, kind, idacte, &r, msg, msglen))
		return -1;
	rc = send_reply(s, &r, "-");
	actes_reply_free(&r);
	if (rc)
		return snprintf(msg, msglen, "cannot write the e-mail"), -1;
	statesim_count(s, "actes", kind);
	return 0;
}

int
actes_start(struct statesim *s)
{
	static struct actes_srv l;
	char url[128];

	xmlInitParser();
	if (!s->tls_cert || !s->tls_key || !s->tls_ca) {
		fprintf(stderr, "statesim: actes: disabled (needs --tls-cert, --tls-key and --tls-ca)\n");
		return 0;
	}
	if (mail_init(s) || actes_check_init(s))
		return -1;
	l.s = s;
	l.ctx = actes_tls(s);
	if (!l.ctx)
		return -1;
	l.fd = statesim_listen(s, &s->actes_port);
	if (l.fd < 0)
		return -1;
	s->actes_send = actes_send;
	snprintf(url, sizeof(url), "https://%s:%d/", s->host, s->actes_port);
	statesim_announce(s, "actes", url);
	return statesim_spawn(actes_accept_loop, &l);
}
