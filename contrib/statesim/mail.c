/*
 * mail.c - the mailbox of the simulated @ctes platform: MIME messages as the
 * ministry sends them (an HTML body, then each XML and PDF file as its own
 * base64 attachment) stored one file per message under DIR/mail/INBOX.
 * See actes_int.h for the layout on disk.
 */
#include "actes_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define MAIL_DIR "mail/INBOX"
#define MAIL_MAX (200u * 1024 * 1024)

static pthread_mutex_t mail_mu = PTHREAD_MUTEX_INITIALIZER;

static int
read_small(struct statesim *s, const char *rel, char *buf, size_t cap)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", s->dir, rel);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

static unsigned
read_counter(struct statesim *s, const char *rel, unsigned def)
{
	char buf[32];

	if (read_small(s, rel, buf, sizeof(buf)))
		return def;
	return (unsigned)strtoul(buf, NULL, 10);
}

static int
write_counter(struct statesim *s, const char *rel, unsigned v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%u\n", v);

	return statesim_write_file(s, rel, buf, (size_t)n);
}

int
mail_init(struct statesim *s)
{
	if (statesim_mkdir(s, MAIL_DIR))
		return -1;
	if (read_counter(s, "mail/uidvalidity", 0) == 0 &&
	    write_counter(s, "mail/uidvalidity", (unsigned)time(NULL)))
		return -1;
	if (read_counter(s, "mail/uidnext", 0) == 0 &&
	    write_counter(s, "mail/uidnext", 1))
		return -1;
	return 0;
}

unsigned
mail_uidvalidity(struct statesim *s)
{
	return read_counter(s, "mail/uidvalidity", 1);
}

unsigned
mail_uidnext(struct statesim *s)
{
	unsigned v;

	pthread_mutex_lock(&mail_mu);
	v = read_counter(s, "mail/uidnext", 1);
	pthread_mutex_unlock(&mail_mu);
	return v;
}

char *
mail_base64(const void *data, size_t len, size_t *outlen)
{
	const unsigned char *p = data;
	size_t lines = len / 57 + 1, cap = lines * 80 + 4, o = 0, i, chunk;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	for (i = 0; i < len; i += chunk) {
		chunk = len - i < 57 ? len - i : 57;
		o += (size_t)EVP_EncodeBlock((unsigned char *)out + o, p + i, (int)chunk);
		out[o++] = '\r';
		out[o++] = '\n';
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

/* A growable string for building a message. */
struct sb {
	char *p;
	size_t len, cap;
	int oom;
};

static void
sb_add(struct sb *b, const char *data, size_t len)
{
	char *np;
	size_t ncap;

	if (b->oom)
		return;
	if (b->len + len + 1 > b->cap) {
		ncap = (b->cap ? b->cap * 2 : 4096);
		while (ncap < b->len + len + 1)
			ncap *= 2;
		if (ncap > MAIL_MAX || !(np = realloc(b->p, ncap))) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->oom = 1;
		return;
	}
	sb_add(b, tmp, (size_t)n);
}

static void
build_head(struct sb *b, const char *to, const char *subject, const char *boundary,
	   unsigned uid)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	sb_printf(b, "Return-Path: <actes@statesim.invalid>\r\n"
		  "From: =?UTF-8?Q?Plateforme_=40ctes_=28simulateur=29?= <actes@statesim.invalid>\r\n"
		  "To: <%s>\r\nSubject: %s\r\nDate: %s\r\n"
		  "Message-ID: <%u.%ld@statesim.invalid>\r\nMIME-Version: 1.0\r\n"
		  "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
		  "This is a multi-part message in MIME format.\r\n",
		  to, subject, date, uid, (long)now, boundary);
}

static int
build_message(struct sb *b, const char *to, const char *subject, const char *html,
	      const struct mail_part *parts, int nparts, unsigned uid)
{
	char boundary[64];
	char *enc;
	size_t enclen;
	int i;

	snprintf(boundary, sizeof(boundary), "=_statesim_%u_%ld", uid, (long)time(NULL));
	build_head(b, to, subject, boundary, uid);
	enc = mail_base64(html, strlen(html), &enclen);
	if (!enc)
		return -1;
	sb_printf(b, "\r\n--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
		  "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
	sb_add(b, enc, enclen);
	free(enc);
	for (i = 0; i < nparts; i++) {
		enc = mail_base64(parts[i].data, parts[i].len, &enclen);
		if (!enc)
			return -1;
		sb_printf(b, "\r\n--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
			  "Content-Disposition: attachment; filename=\"%s\"\r\n"
			  "Content-Transfer-Encoding: base64\r\n\r\n",
			  boundary, parts[i].type, parts[i].name, parts[i].name);
		sb_add(b, enc, enclen);
		free(enc);
	}
	sb_printf(b, "\r\n--%s--\r\n", boundary);
	return b->oom ? -1 : 0;
}

int
mail_deliver(struct statesim *s, const char *to, const char *subject,
	     const char *html, const struct mail_part *parts, int nparts,
	     unsigned *uidp)
{
	struct sb b = { 0 };
	char rel[128];
	unsigned uid;
	int rc = -1;

	pthread_mutex_lock(&mail_mu);
	uid = read_counter(s, "mail/uidnext", 1);
	if (build_message(&b, to, subject, html, parts, nparts, uid))
		goto out;
	snprintf(rel, sizeof(rel), MAIL_DIR "/%u-0.eml", uid);
	if (statesim_write_file(s, rel, b.p, b.len) ||
	    write_counter(s, "mail/uidnext", uid + 1))
		goto out;
	if (uidp)
		*uidp = uid;
	rc = 0;
out:
	pthread_mutex_unlock(&mail_mu);
	free(b.p);
	if (rc == 0) {
		statesim_count(s, "imap", "delivered");
		fprintf(stderr, "statesim: mail: uid %u delivered: %s\n", uid, subject);
	}
	return rc;
}

static int
cmp_msg(const void *a, const void *b)
{
	const struct mail_msg *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Parse "<uid>-<flags>.eml". */
static int
parse_name(const char *name, unsigned *uid, unsigned *flags)
{
	char *end;
	unsigned long u = strtoul(name, &end, 10);

	if (end == name || *end != '-' || end[1] < '0' || end[1] > '3' ||
	    strcmp(end + 2, ".eml") != 0 || u == 0 || u > 0xffffffffu)
		return -1;
	*uid = (unsigned)u;
	*flags = (unsigned)(end[1] - '0');
	return 0;
}

static int
list_locked(struct statesim *s, struct mail_msg **out, size_t *n)
{
	char path[PATH_MAX];
	struct mail_msg *v = NULL, *nv;
	size_t len = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	snprintf(path, sizeof(path), "%s/" MAIL_DIR, s->dir);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		struct mail_msg m;

		if (parse_name(de->d_name, &m.uid, &m.flags))
			continue;
		snprintf(path, sizeof(path), "%s/" MAIL_DIR "/%s", s->dir, de->d_name);
		if (stat(path, &st))
			continue;
		m.size = (size_t)st.st_size;
		if (len == cap) {
			cap = cap ? cap * 2 : 32;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -1;
			}
			v = nv;
		}
		v[len++] = m;
	}
	closedir(d);
	if (len)
		qsort(v, len, sizeof(*v), cmp_msg);
	*out = v;
	*n = len;
	return 0;
}

int
mail_list(struct statesim *s, struct mail_msg **out, size_t *n)
{
	int rc;

	pthread_mutex_lock(&mail_mu);
	rc = list_locked(s, out, n);
	pthread_mutex_unlock(&mail_mu);
	return rc;
}

static int
find_flags(struct statesim *s, unsigned uid, unsigned *flags)
{
	char path[PATH_MAX];
	unsigned f;

	for (f = 0; f < 4; f++) {
		snprintf(path, sizeof(path), "%s/" MAIL_DIR "/%u-%u.eml", s->dir, uid, f);
		if (access(path, F_OK) == 0) {
			*flags = f;
			return 0;
		}
	}
	return -1;
}

int
mail_read(struct statesim *s, unsigned uid, char **data, size_t *len)
{
	char path[PATH_MAX];
	unsigned flags;
	struct stat st;
	FILE *f = NULL;
	char *buf = NULL;
	int rc = -1;

	pthread_mutex_lock(&mail_mu);
	if (find_flags(s, uid, &flags))
		goto out;
	snprintf(path, sizeof(path), "%s/" MAIL_DIR "/%u-%u.eml", s->dir, uid, flags);
	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) || (size_t)st.st_size > MAIL_MAX)
		goto out;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
		goto out;
	buf[st.st_size] = '\0';
	*data = buf;
	*len = (size_t)st.st_size;
	buf = NULL;
	rc = 0;
out:
	pthread_mutex_unlock(&mail_mu);
	if (f)
		fclose(f);
	free(buf);
	return rc;
}

int
mail_set_flags(struct statesim *s, unsigned uid, unsigned flags)
{
	char from[PATH_MAX], to[PATH_MAX];
	unsigned old;
	int rc = -1;

	pthread_mutex_lock(&mail_mu);
	if (find_flags(s, uid, &old))
		goto out;
	rc = 0;
	if (old == (flags & 3u))
		goto out;
	snprintf(from, sizeof(from), "%s/" MAIL_DIR "/%u-%u.eml", s->dir, uid, old);
	snprintf(to, sizeof(to), "%s/" MAIL_DIR "/%u-%u.eml", s->dir, uid, flags & 3u);
	rc = rename(from, to) ? -1 : 0;
out:
	pthread_mutex_unlock(&mail_mu);
	return rc;
}

int
mail_expunge(struct statesim *s, unsigned **uids, size_t *n)
{
	struct mail_msg *v = NULL;
	size_t len = 0, i, k = 0;
	char path[PATH_MAX];
	unsigned *out;
	int rc = -1;

	pthread_mutex_lock(&mail_mu);
	if (list_locked(s, &v, &len))
		goto out;
	out = malloc((len + 1) * sizeof(*out));
	if (!out)
		goto out;
	for (i = 0; i < len; i++) {
		if (!(v[i].flags & MAIL_DELETED))
			continue;
		snprintf(path, sizeof(path), "%s/" MAIL_DIR "/%u-%u.eml", s->dir,
			 v[i].uid, v[i].flags);
		if (unlink(path) == 0)
			out[k++] = v[i].uid;
	}
	*uids = out;
	*n = k;
	rc = 0;
out:
	pthread_mutex_unlock(&mail_mu);
	free(v);
	return rc;
}

void
mail_clear(struct statesim *s)
{
	struct mail_msg *v = NULL;
	size_t len = 0, i;
	char path[PATH_MAX];

	pthread_mutex_lock(&mail_mu);
	if (list_locked(s, &v, &len) == 0) {
		for (i = 0; i < len; i++) {
			snprintf(path, sizeof(path), "%s/" MAIL_DIR "/%u-%u.eml",
				 s->dir, v[i].uid, v[i].flags);
			unlink(path);
		}
	}
	pthread_mutex_unlock(&mail_mu);
	free(v);
}
