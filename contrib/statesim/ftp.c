/*
 * ftp.c - the Hélios gateway's FTP server: the RFC 959 subset that libcurl's
 * FTP client uses (passive mode only), explicit FTPS (AUTH TLS, PBSZ, PROT)
 * when --tls-cert/--tls-key are given, and the SITE P_DEST / P_APPLI / P_MSG
 * commands the DGFiP gateway requires before an upload.
 *
 * A tiny virtual tree: "/" takes the uploads (PESALR2_*.xml, checked and
 * handed to helios.c) and "/retour" is the response directory, where the
 * PES_Acquit files can be listed, downloaded and deleted.  One thread per
 * control connection; faults (statesim_fault_take) apply to STOR.
 */
#include "statesim.h"
#include "helios.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_FTP 4096
#define IO_TIMEOUT_MS 30000
#define PES_MAX_BYTES (128L * 1024 * 1024)

/* A connection, clear or TLS. */
struct chan {
	int fd;
	SSL *ssl;
};

struct ftp_sess {
	struct statesim *s;
	struct chan ctl;
	char in[LINE_MAX_FTP + 2];
	size_t inlen;
	int logged_in, user_given;
	int retour;             /* cwd: 0 "/", 1 "/retour" */
	int pasv_fd;            /* passive listener, -1 if none */
	int prot_private;       /* PROT P: data connections in TLS */
	char dest[128], appli[128], msg[128];
};

static SSL_CTX *tls_ctx;
static int listen_fd;

/* ------------------------------------------------------------------ I/O */

static int
wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, ms) > 0 ? 0 : -1;
}

static ssize_t
chan_read(struct chan *c, void *buf, size_t len)
{
	int n;

	if (!c->ssl) {
		if (wait_fd(c->fd, POLLIN, IO_TIMEOUT_MS))
			return -1;
		return recv(c->fd, buf, len, 0);
	}
	if (SSL_pending(c->ssl) == 0 && wait_fd(c->fd, POLLIN, IO_TIMEOUT_MS))
		return -1;
	n = SSL_read(c->ssl, buf, (int)len);
	if (n <= 0)
		return SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
	return n;
}

static int
chan_write(struct chan *c, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if (c->ssl)
			n = SSL_write(c->ssl, p, (int)len);
		else
			n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
chan_close(struct chan *c, int clean)
{
	if (c->ssl) {
		if (clean)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int
chan_tls(struct chan *c)
{
	c->ssl = SSL_new(tls_ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd) || SSL_accept(c->ssl) != 1) {
		fprintf(stderr, "statesim: helios: TLS handshake failed\n");
		ERR_clear_error();
		return -1;
	}
	return 0;
}

static void reply(struct ftp_sess *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
reply(struct ftp_sess *f, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	memcpy(line + n, "\r\n", 3);
	chan_write(&f->ctl, line, (size_t)n + 2);
}

/* One command line without its CRLF; -1 when the peer left or it is too long. */
static int
read_line(struct ftp_sess *f, char *out)
{
	char *eol;
	ssize_t n;
	size_t len;

	for (;;) {
		eol = memchr(f->in, '\n', f->inlen);
		if (eol) {
			len = (size_t)(eol - f->in);
			memcpy(out, f->in, len);
			out[len] = '\0';
			if (len && out[len - 1] == '\r')
				out[len - 1] = '\0';
			f->inlen -= len + 1;
			memmove(f->in, eol + 1, f->inlen);
			return 0;
		}
		if (f->inlen >= LINE_MAX_FTP)
			return -1;
		n = chan_read(&f->ctl, f->in + f->inlen, LINE_MAX_FTP - f->inlen);
		if (n <= 0)
			return -1;
		f->inlen += (size_t)n;
	}
}

/* ------------------------------------------------------- data connections */

static void
pasv_close(struct ftp_sess *f)
{
	if (f->pasv_fd >= 0)
		close(f->pasv_fd);
	f->pasv_fd = -1;
}

static int
pasv_open(struct ftp_sess *f)
{
	int port = 0;

	pasv_close(f);
	f->pasv_fd = statesim_listen(f->s, &port);
	return f->pasv_fd < 0 ? -1 : port;
}

/* Accept the data connection announced by PASV/EPSV (TLS if PROT P). */
static int
data_accept(struct ftp_sess *f, struct chan *d)
{
	d->ssl = NULL;
	d->fd = -1;
	if (f->pasv_fd < 0) {
		reply(f, "425 Use PASV or EPSV first.");
		return -1;
	}
	if (wait_fd(f->pasv_fd, POLLIN, IO_TIMEOUT_MS) == 0)
		d->fd = accept4(f->pasv_fd, NULL, NULL, SOCK_CLOEXEC);
	pasv_close(f);
	if (d->fd < 0 || (f->prot_private && chan_tls(d))) {
		chan_close(d, 0);
		reply(f, "425 Cannot open the data connection.");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- the tree */

/* Resolve arg against the cwd.  *dir: 0 "/", 1 "/retour"; name may be
 * empty (the directory itself).  -1 for anything else. */
static int
resolve(struct ftp_sess *f, const char *arg, int *dir, char *name, size_t namesz)
{
	char p[PATH_MAX];
	const char *base;

	if (*arg == '/')
		snprintf(p, sizeof(p), "%s", arg);
	else
		snprintf(p, sizeof(p), "%s%s", f->retour ? "/retour/" : "/", arg);
	while (strlen(p) > 1 && p[strlen(p) - 1] == '/')
		p[strlen(p) - 1] = '\0';
	if (strcmp(p, "/") == 0 || strcmp(p, "/.") == 0 || strcmp(p, "/retour/..") == 0) {
		*dir = 0;
		base = "";
	} else if (strcmp(p, "/retour") == 0 || strcmp(p, "/retour/.") == 0) {
		*dir = 1;
		base = "";
	} else if (strncmp(p, "/retour/", 8) == 0) {
		*dir = 1;
		base = p + 8;
	} else {
		*dir = 0;
		base = p + 1;
	}
	if (strchr(base, '/') || strcmp(base, "..") == 0 || strcmp(base, ".") == 0 ||
	    strlen(base) >= namesz)
		return -1;
	snprintf(name, namesz, "%s", base);
	return 0;
}

static int
retour_path(struct ftp_sess *f, const char *arg, char *path, size_t pathsz)
{
	char name[256];
	int dir;

	if (resolve(f, arg, &dir, name, sizeof(name)) || dir != 1 || !*name ||
	    name[0] == '.')
		return -1;
	snprintf(path, pathsz, "%s/" HELIOS_RETOUR "/%s", f->s->dir, name);
	return 0;
}

/* ------------------------------------------------------------- commands */

static void
cmd_cwd(struct ftp_sess *f, const char *arg)
{
	char name[256];
	int dir;

	if (resolve(f, arg, &dir, name, sizeof(name)) || *name) {
		if (!(dir == 0 && strcmp(name, "retour") == 0)) {
			reply(f, "550 %s: no such directory.", arg);
			return;
		}
		dir = 1;
	}
	f->retour = dir;
	reply(f, "250 Directory changed to %s.", dir ? "/retour" : "/");
}

static void
cmd_pasv(struct ftp_sess *f, int extended)
{
	unsigned a, b, c, d;
	int port = pasv_open(f);

	if (port < 0) {
		reply(f, "425 Cannot open a passive port.");
		return;
	}
	if (extended) {
		reply(f, "229 Entering Extended Passive Mode (|||%d|)", port);
		return;
	}
	if (sscanf(f->s->host, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		a = 127, b = 0, c = 0, d = 1;
	reply(f, "227 Entering Passive Mode (%u,%u,%u,%u,%d,%d).", a, b, c, d,
	      port >> 8, port & 0xff);
}

static void
list_line(FILE *out, const char *name, const struct stat *st, int dir, int nlst)
{
	char when[32];
	struct tm tm;

	if (nlst) {
		fprintf(out, "%s\r\n", name);
		return;
	}
	gmtime_r(&st->st_mtime, &tm);
	strftime(when, sizeof(when), "%b %d %H:%M", &tm);
	fprintf(out, "%s 1 helios helios %12lld %s %s\r\n",
		dir ? "drwxr-xr-x" : "-rw-r--r--", (long long)st->st_size, when, name);
}

/* The listing of /retour (or of "/", which holds only "retour"). */
static char *
listing(struct ftp_sess *f, int dir, int nlst, size_t *len)
{
	char path[PATH_MAX], fp[PATH_MAX + 256];
	char *buf = NULL;
	struct dirent *de;
	struct stat st;
	FILE *out;
	DIR *dp;

	out = open_memstream(&buf, len);
	if (!out)
		return NULL;
	snprintf(path, sizeof(path), "%s/" HELIOS_RETOUR, f->s->dir);
	if (dir == 0) {
		if (stat(path, &st) == 0)
			list_line(out, "retour", &st, 1, nlst);
	} else if ((dp = opendir(path))) {
		while ((de = readdir(dp))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(fp, sizeof(fp), "%s/%s", path, de->d_name);
			if (stat(fp, &st) == 0 && S_ISREG(st.st_mode))
				list_line(out, de->d_name, &st, 0, nlst);
		}
		closedir(dp);
	}
	fclose(out);
	return buf;
}

static void
cmd_list(struct ftp_sess *f, const char *arg, int nlst)
{
	struct chan d;
	char name[256], *buf;
	size_t len = 0;
	int dir;

	while (*arg == '-') {           /* "LIST -a": options are ignored */
		arg += strcspn(arg, " ");
		arg += strspn(arg, " ");
	}
	if (resolve(f, arg, &dir, name, sizeof(name)) || *name) {
		if (!(dir == 0 && strcmp(name, "retour") == 0)) {
			reply(f, "550 %s: no such directory.", arg);
			return;
		}
		dir = 1;
	}
	buf = listing(f, dir, nlst, &len);
	if (!buf) {
		reply(f, "451 Cannot list.");
		return;
	}
	reply(f, "150 Here comes the directory listing.");
	if (data_accept(f, &d) == 0) {
		chan_write(&d, buf, len);
		chan_close(&d, 1);
		reply(f, "226 Directory send OK.");
	}
	free(buf);
}

static void
cmd_retr(struct ftp_sess *f, const char *arg)
{
	char path[PATH_MAX], buf[65536];
	struct chan d;
	size_t n;
	FILE *in;
	int bad = 0;

	if (retour_path(f, arg, path, sizeof(path)) || !(in = fopen(path, "rb"))) {
		reply(f, "550 %s: no such file.", arg);
		return;
	}
	reply(f, "150 Opening BINARY mode data connection for %s.", arg);
	if (data_accept(f, &d) == 0) {
		while (!bad && (n = fread(buf, 1, sizeof(buf), in)) > 0)
			bad = chan_write(&d, buf, n);
		chan_close(&d, !bad);
		reply(f, bad ? "426 Connection closed; transfer aborted." :
		      "226 Transfer complete.");
	}
	fclose(in);
}

static void
cmd_size_mdtm(struct ftp_sess *f, const char *arg, int mdtm)
{
	char path[PATH_MAX], when[32];
	struct stat st;
	struct tm tm;

	if (retour_path(f, arg, path, sizeof(path)) || stat(path, &st) ||
	    !S_ISREG(st.st_mode)) {
		reply(f, "550 %s: no such file.", arg);
		return;
	}
	if (!mdtm) {
		reply(f, "213 %lld", (long long)st.st_size);
		return;
	}
	gmtime_r(&st.st_mtime, &tm);
	strftime(when, sizeof(when), "%Y%m%d%H%M%S", &tm);
	reply(f, "213 %s", when);
}

static void
cmd_dele(struct ftp_sess *f, const char *arg)
{
	char path[PATH_MAX];

	if (retour_path(f, arg, path, sizeof(path))) {
		reply(f, "550 %s: permission denied (only /retour files can be deleted).", arg);
		return;
	}
	if (unlink(path)) {
		reply(f, "550 %s: no such file.", arg);
		return;
	}
	reply(f, "250 %s deleted.", arg);
}

static void
site_value(struct ftp_sess *f, char *dst, size_t dstsz, const char *v, const char *what)
{
	v += strspn(v, " ");
	if (!*v || strlen(v) >= dstsz) {
		reply(f, "501 SITE %s needs a value (at most %zu characters).", what, dstsz - 1);
		return;
	}
	snprintf(dst, dstsz, "%s", v);
	reply(f, "200 %s set to %s.", what, v);
}

static void
cmd_site(struct ftp_sess *f, const char *arg)
{
	size_t n = strcspn(arg, " ");

	if (n == 6 && strncasecmp(arg, "P_DEST", n) == 0)
		return site_value(f, f->dest, sizeof(f->dest), arg + n, "P_DEST");
	if (n == 7 && strncasecmp(arg, "P_APPLI", n) == 0)
		return site_value(f, f->appli, sizeof(f->appli), arg + n, "P_APPLI");
	if (n == 5 && strncasecmp(arg, "P_MSG", n) == 0)
		return site_value(f, f->msg, sizeof(f->msg), arg + n, "P_MSG");
	if (n == 4 && strncasecmp(arg, "HELP", n) == 0)
		return reply(f, "214 SITE P_DEST <dest>, SITE P_APPLI <appli>, "
			     "SITE P_MSG PES#<CodCol>#<IdPost>#<CodBud>");
	reply(f, "500 SITE %.*s not understood.", (int)n, arg);
}

/* ------------------------------------------------------------------ STOR */

/* Why STOR of name cannot start, or NULL. */
static const char *
stor_precheck(struct ftp_sess *f, const char *arg, char *name, size_t namesz, char *why,
	      size_t whysz)
{
	int dir;

	if (resolve(f, arg, &dir, name, namesz) || !*name || dir != 0) {
		snprintf(why, whysz, "553 %s: uploads go to / only.", arg);
		return why;
	}
	if (!*f->dest || !*f->appli || !*f->msg) {
		snprintf(why, whysz, "503 SITE P_DEST, SITE P_APPLI and SITE P_MSG are "
			 "required before STOR (missing:%s%s%s).", *f->dest ? "" : " P_DEST",
			 *f->appli ? "" : " P_APPLI", *f->msg ? "" : " P_MSG");
		return why;
	}
	if (helios_check_site(f->s, f->dest, f->appli, f->msg, why + 4, whysz - 4)) {
		memcpy(why, "501 ", 4);
		return why;
	}
	if (helios_check_name(name, why + 4, whysz - 4)) {
		memcpy(why, "553 ", 4);
		return why;
	}
	return NULL;
}

/* Receive the data into path; cut: close everything after the first chunk.
 * 0 complete, 1 cut by us, -1 transfer failed, -2 too large. */
static int
receive(struct ftp_sess *f, struct chan *d, const char *path, int cut)
{
	char buf[65536];
	long total = 0;
	ssize_t n;
	FILE *out = fopen(path, "wb");
	int rc = 0;

	if (!out)
		return -1;
	while ((n = chan_read(d, buf, sizeof(buf))) > 0) {
		total += n;
		if (cut) {
			rc = 1;
			break;
		}
		if (total > PES_MAX_BYTES) {
			rc = -2;
			break;
		}
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n) {
			rc = -1;
			break;
		}
	}
	if (n < 0)
		rc = -1;
	if (fclose(out))
		rc = -1;
	return rc;
}

static void
log_fault(struct ftp_sess *f, enum statesim_fault fault, const char *name)
{
	fprintf(stderr, "statesim: helios: fault %s on STOR %s\n",
		statesim_fault_name(fault), name);
	statesim_count(f->s, "helios.fault", statesim_fault_name(fault));
}

/* The transfer itself and the gateway's processing; cut: close after the
 * first chunk.  0 received, 1 cut, -1 failed (reply sent). */
static int
stor_transfer(struct ftp_sess *f, const char *name, int cut, int delay)
{
	char path[PATH_MAX];
	struct helios_upload up;
	struct chan d;
	int rc;

	snprintf(path, sizeof(path), "%s/" HELIOS_INCOMING "/%s.%lx", f->s->dir, name,
		 (unsigned long)pthread_self());
	reply(f, "150 Ok to send data.");
	if (data_accept(f, &d))
		return -1;
	rc = receive(f, &d, path, cut);
	chan_close(&d, rc == 0);
	if (rc) {
		unlink(path);
		if (rc < 0)
			reply(f, rc == -2 ? "552 %s: larger than 128 MB." :
			      "426 %s: connection closed; transfer aborted.", name);
		return rc == 1 ? 1 : -1;
	}
	memset(&up, 0, sizeof(up));
	snprintf(up.name, sizeof(up.name), "%s", name);
	snprintf(up.path, sizeof(up.path), "%s", path);
	snprintf(up.dest, sizeof(up.dest), "%s", f->dest);
	snprintf(up.appli, sizeof(up.appli), "%s", f->appli);
	snprintf(up.msg, sizeof(up.msg), "%s", f->msg);
	up.delay = delay;
	helios_receive(f->s, &up);
	return 0;
}

/* Returns -1 when the control connection must be dropped. */
static int
cmd_stor(struct ftp_sess *f, const char *arg)
{
	char name[256], why[512];
	enum statesim_fault fault;
	int rc, delay = 0, after = 0;

	if (stor_precheck(f, arg, name, sizeof(name), why, sizeof(why))) {
		statesim_count(f->s, "helios.refused", *name ? name : arg);
		reply(f, "%s", why);
		return 0;
	}
	fault = statesim_fault_take_when(f->s, "helios", &delay, &after);
	if (fault != FAULT_NONE)
		log_fault(f, fault, name);
	if (fault == FAULT_REFUSE) {
		reply(f, "553 %s: transfer refused by the gateway (simulated).", name);
		return 0;
	}
	if (fault == FAULT_500) {
		reply(f, "451 %s: local error in processing (simulated).", name);
		return 0;
	}
	if (fault == FAULT_HANG && !after) {
		statesim_wait(f->s, f->ctl.fd, 24L * 3600 * 1000);
		return -1;
	}
	rc = stor_transfer(f, name, fault == FAULT_CUT && !after,
			   fault == FAULT_DELAY_ACK ? delay : 0);
	if (rc == 1)
		return -1;              /* cut: no final reply, control closed too */
	if (rc == 0 && fault == FAULT_HANG) {
		statesim_wait(f->s, f->ctl.fd, 24L * 3600 * 1000);
		return -1;              /* received and acknowledged, never told */
	}
	if (rc == 0 && fault == FAULT_CUT)
		return -1;
	if (rc == 0)
		reply(f, "226 Transfer complete: %s received.", name);
	return 0;
}

/* ------------------------------------------------------------ dispatch */

static int
cmd_auth(struct ftp_sess *f, const char *arg)
{
	if (!tls_ctx) {
		reply(f, "502 TLS is not configured (no --tls-cert).");
		return 0;
	}
	if (strcasecmp(arg, "TLS") && strcasecmp(arg, "SSL") && strcasecmp(arg, "TLS-C")) {
		reply(f, "504 AUTH %s not supported.", arg);
		return 0;
	}
	if (f->ctl.ssl) {
		reply(f, "503 TLS already active.");
		return 0;
	}
	reply(f, "234 Proceed with negotiation.");
	f->inlen = 0;
	return chan_tls(&f->ctl);
}

static void
cmd_feat(struct ftp_sess *f)
{
	chan_write(&f->ctl, "211-Features:\r\n EPSV\r\n PASV\r\n SIZE\r\n MDTM\r\n", 44);
	if (tls_ctx)
		chan_write(&f->ctl, " AUTH TLS\r\n PBSZ\r\n PROT\r\n", 25);
	reply(f, "211 End");
}

/* Commands allowed before login. */
static int
pre_login(struct ftp_sess *f, const char *verb, const char *arg)
{
	const char *want;

	if (!strcasecmp(verb, "USER")) {
		if (!f->ctl.ssl && *statesim_opt(f->s, "helios.require_tls", "0") == '1')
			return reply(f, "530 This gateway requires AUTH TLS first."), 1;
		want = statesim_opt(f->s, "helios.user", NULL);
		f->user_given = want && strcmp(arg, want) ? -1 : 1;
		reply(f, "331 Please specify the password.");
	} else if (!strcasecmp(verb, "PASS")) {
		if (!f->user_given)
			return reply(f, "503 Login with USER first."), 1;
		want = statesim_opt(f->s, "helios.password", NULL);
		if (f->user_given < 0 || (want && strcmp(arg, want))) {
			f->user_given = 0;
			return reply(f, "530 Login incorrect."), 1;
		}
		f->logged_in = 1;
		reply(f, "230 Login successful.");
	} else if (!strcasecmp(verb, "FEAT")) {
		cmd_feat(f);
	} else if (!strcasecmp(verb, "SYST")) {
		reply(f, "215 UNIX Type: L8");
	} else if (!strcasecmp(verb, "PBSZ")) {
		reply(f, f->ctl.ssl ? "200 PBSZ=0" : "503 PBSZ needs AUTH TLS first.");
	} else if (!strcasecmp(verb, "PROT")) {
		if (!f->ctl.ssl)
			return reply(f, "503 PROT needs AUTH TLS first."), 1;
		f->prot_private = toupper((unsigned char)*arg) == 'P';
		reply(f, "200 PROT now %s.", f->prot_private ? "Private" : "Clear");
	} else if (!strcasecmp(verb, "NOOP")) {
		reply(f, "200 NOOP ok.");
	} else {
		return 0;
	}
	return 1;
}

static int
dispatch(struct ftp_sess *f, const char *verb, const char *arg)
{
	if (!strcasecmp(verb, "QUIT"))
		return reply(f, "221 Goodbye."), -1;
	if (!strcasecmp(verb, "AUTH"))
		return cmd_auth(f, arg);
	if (pre_login(f, verb, arg))
		return 0;
	if (!f->logged_in)
		return reply(f, "530 Please login with USER and PASS."), 0;
	if (!strcasecmp(verb, "PWD") || !strcasecmp(verb, "XPWD"))
		reply(f, "257 \"%s\" is the current directory", f->retour ? "/retour" : "/");
	else if (!strcasecmp(verb, "CWD"))
		cmd_cwd(f, arg);
	else if (!strcasecmp(verb, "CDUP"))
		cmd_cwd(f, "/");
	else if (!strcasecmp(verb, "TYPE") || !strcasecmp(verb, "MODE") ||
		 !strcasecmp(verb, "STRU") || !strcasecmp(verb, "OPTS"))
		reply(f, "200 %s %s ok.", verb, arg);
	else if (!strcasecmp(verb, "PASV"))
		cmd_pasv(f, 0);
	else if (!strcasecmp(verb, "EPSV"))
		strcasecmp(arg, "ALL") ? cmd_pasv(f, 1) : reply(f, "200 EPSV ALL ok.");
	else if (!strcasecmp(verb, "PORT") || !strcasecmp(verb, "EPRT"))
		reply(f, "502 Active mode is not supported; use PASV or EPSV.");
	else if (!strcasecmp(verb, "SITE"))
		cmd_site(f, arg);
	else if (!strcasecmp(verb, "STOR"))
		return cmd_stor(f, arg);
	else if (!strcasecmp(verb, "RETR"))
		cmd_retr(f, arg);
	else if (!strcasecmp(verb, "LIST") || !strcasecmp(verb, "NLST"))
		cmd_list(f, arg, toupper((unsigned char)*verb) == 'N');
	else if (!strcasecmp(verb, "SIZE") || !strcasecmp(verb, "MDTM"))
		cmd_size_mdtm(f, arg, toupper((unsigned char)*verb) == 'M');
	else if (!strcasecmp(verb, "DELE"))
		cmd_dele(f, arg);
	else if (!strcasecmp(verb, "REST"))
		reply(f, strcmp(arg, "0") ? "504 Only REST 0 is supported." : "350 Restarting at 0.");
	else if (!strcasecmp(verb, "ABOR"))
		reply(f, "226 No transfer to abort.");
	else
		reply(f, "502 %s not implemented.", verb);
	return 0;
}

static void *
session(void *arg)
{
	struct ftp_sess *f = arg;
	char line[LINE_MAX_FTP + 1], verb[16];
	const char *a;
	size_t n;

	reply(f, "220 liasse-statesim Helios gateway ready.");
	while (!f->s->stopping && read_line(f, line) == 0) {
		n = strcspn(line, " ");
		if (n == 0 || n >= sizeof(verb)) {
			reply(f, "500 Syntax error.");
			continue;
		}
		memcpy(verb, line, n);
		verb[n] = '\0';
		a = line + n;
		a += strspn(a, " ");
		if (strcasecmp(verb, "PASS") == 0)
			fprintf(stderr, "statesim: helios: < PASS ****\n");
		else
			fprintf(stderr, "statesim: helios: < %s\n", line);
		if (dispatch(f, verb, a))
			break;
	}
	pasv_close(f);
	chan_close(&f->ctl, 0);
	free(f);
	return NULL;
}

static void *
accept_loop(void *arg)
{
	struct statesim *s = arg;
	struct ftp_sess *f;
	int fd;

	while (!s->stopping) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		f = calloc(1, sizeof(*f));
		if (!f) {
			close(fd);
			continue;
		}
		f->s = s;
		f->ctl.fd = fd;
		f->pasv_fd = -1;
		if (statesim_spawn(session, f)) {
			close(fd);
			free(f);
		}
	}
	return NULL;
}

static int
tls_setup(struct statesim *s)
{
	if (!s->tls_cert || !s->tls_key)
		return 0;
	tls_ctx = SSL_CTX_new(TLS_server_method());
	if (!tls_ctx || SSL_CTX_use_certificate_chain_file(tls_ctx, s->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(tls_ctx, s->tls_key, SSL_FILETYPE_PEM) != 1) {
		fprintf(stderr, "statesim: helios: cannot load %s / %s for FTPS\n",
			s->tls_cert, s->tls_key);
		return -1;
	}
	SSL_CTX_set_min_proto_version(tls_ctx, TLS1_2_VERSION);
	return 0;
}

int
helios_start(struct statesim *s)
{
	char url[128];

	if (helios_init(s) || tls_setup(s))
		return -1;
	listen_fd = statesim_listen(s, &s->helios_port);
	if (listen_fd < 0)
		return -1;
	snprintf(url, sizeof(url), "ftp://%s:%d/", s->host, s->helios_port);
	statesim_announce(s, "helios", url);
	return statesim_spawn(accept_loop, s);
}
