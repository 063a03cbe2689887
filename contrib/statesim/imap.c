/*
 * imap.c - the IMAP4rev1 server of the simulated @ctes platform: the subset
 * that libcurl's IMAP client (and a careful poller) uses, over plain TCP and
 * optionally implicit TLS (IMAPS).  One mailbox, INBOX, kept on disk by
 * mail.c.  One thread per connection; see contrib/statesim/README.
 *
 * Commands: CAPABILITY NOOP LOGOUT LOGIN AUTHENTICATE PLAIN (with SASL-IR)
 * LIST LSUB STATUS SELECT EXAMINE CHECK CLOSE UNSELECT EXPUNGE, and
 * [UID] SEARCH, [UID] FETCH, [UID] STORE.  FETCH items: UID FLAGS
 * RFC822.SIZE INTERNALDATE RFC822 RFC822.HEADER RFC822.TEXT FAST and
 * BODY[...] / BODY.PEEK[...] with the sections "", HEADER, TEXT and a
 * top-level part number, and an optional <origin.count>.
 */
#include "actes_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#define LINE_MAX_IMAP 8192

struct imap_conn {
	struct statesim *s;
	int fd;
	SSL *ssl;
	char in[LINE_MAX_IMAP * 2];
	size_t inlen;
	int state;        /* 0 not authenticated, 1 authenticated, 2 selected */
	int readonly;
	unsigned *uids;   /* the selected mailbox: sequence number i+1 is uids[i] */
	size_t nuids;
	int closing;
};

struct imap_listener {
	struct statesim *s;
	int fd;
	SSL_CTX *tls;
};

static int
c_write(struct imap_conn *c, const void *data, size_t len)
{
	const char *p = data;
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

static void __attribute__((format(printf, 2, 3)))
c_printf(struct imap_conn *c, const char *fmt, ...)
{
	char buf[LINE_MAX_IMAP];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(buf) && c_write(c, buf, (size_t)n))
		c->closing = 1;
}

/* One CRLF-terminated line, without the CRLF; -1 on EOF or overlong. */
static int
c_readline(struct imap_conn *c, char *line, size_t cap)
{
	char *nl;
	ssize_t n;
	size_t len;

	for (;;) {
		nl = memchr(c->in, '\n', c->inlen);
		if (nl) {
			len = (size_t)(nl - c->in);
			if (len >= cap)
				return -1;
			memcpy(line, c->in, len);
			line[len] = '\0';
			if (len > 0 && line[len - 1] == '\r')
				line[len - 1] = '\0';
			c->inlen -= len + 1;
			memmove(c->in, nl + 1, c->inlen);
			return 0;
		}
		if (c->inlen == sizeof(c->in))
			return -1;
		if (c->ssl)
			n = SSL_read(c->ssl, c->in + c->inlen, (int)(sizeof(c->in) - c->inlen));
		else
			n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
		if (n <= 0)
			return -1;
		c->inlen += (size_t)n;
	}
}

/* Next argument of a command line: an atom, a "quoted string" or a
 * (parenthesised list) / [bracketed] run kept whole.  Returns NULL at end. */
static char *
next_arg(char **pp)
{
	char *p = *pp, *start, *o;
	int depth = 0;

	while (*p == ' ')
		p++;
	if (!*p)
		return NULL;
	if (*p == '"') {
		start = o = ++p;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			*o++ = *p++;
		}
		if (*p)
			p++;
		*o = '\0';
		*pp = p;
		return start;
	}
	start = p;
	while (*p && (depth > 0 || *p != ' ')) {
		if (*p == '(' || *p == '[')
			depth++;
		else if ((*p == ')' || *p == ']') && depth > 0)
			depth--;
		p++;
	}
	if (*p)
		*p++ = '\0';
	*pp = p;
	return start;
}

static const char *
opt_user(struct statesim *s)
{
	return statesim_opt(s, "imap.user", "liasse");
}

static const char *
opt_pass(struct statesim *s)
{
	return statesim_opt(s, "imap.password", "liasse");
}

/* The capabilities; --set imap.sasl=0 hides AUTH=PLAIN (clients then LOGIN). */
static const char *
caps(struct statesim *s)
{
	return strcmp(statesim_opt(s, "imap.sasl", "1"), "0") ?
	    "IMAP4rev1 SASL-IR AUTH=PLAIN UIDPLUS" : "IMAP4rev1 UIDPLUS";
}

static void
cmd_login(struct imap_conn *c, const char *tag, char *args)
{
	char *user = next_arg(&args), *pass = next_arg(&args);

	if (!user || !pass)
		return c_printf(c, "%s BAD LOGIN needs a user and a password\r\n", tag);
	if (strcmp(user, opt_user(c->s)) || strcmp(pass, opt_pass(c->s)))
		return c_printf(c, "%s NO [AUTHENTICATIONFAILED] Invalid credentials\r\n", tag);
	c->state = 1;
	c_printf(c, "%s OK [CAPABILITY %s] Logged in\r\n", tag, caps(c->s));
}

/* Check a SASL PLAIN response (base64 of authzid NUL authcid NUL passwd). */
static int
plain_ok(struct statesim *s, const char *b64)
{
	unsigned char buf[1024];
	size_t len = strlen(b64), ulen;
	const char *user, *pass;
	int n;

	if (len == 0 || len > 1300)
		return 0;
	n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)len);
	if (n < 0)
		return 0;
	while (len > 0 && b64[len - 1] == '=') {   /* EVP counts padding */
		len--;
		n--;
	}
	buf[n] = '\0';
	user = memchr(buf, '\0', (size_t)n);
	if (!user)
		return 0;
	user++;
	ulen = strnlen(user, (size_t)n - (size_t)(user - (char *)buf));
	pass = user + ulen + 1;
	if ((unsigned char *)pass > buf + n)
		return 0;
	return strcmp(user, opt_user(s)) == 0 && strcmp(pass, opt_pass(s)) == 0;
}

static void
cmd_authenticate(struct imap_conn *c, const char *tag, char *args)
{
	char *mech = next_arg(&args), *ir = next_arg(&args);
	char line[2048];

	if (!mech || strcasecmp(mech, "PLAIN") != 0)
		return c_printf(c, "%s NO Unsupported authentication mechanism\r\n", tag);
	if (!ir) {
		c_printf(c, "+ \r\n");
		if (c_readline(c, line, sizeof(line))) {
			c->closing = 1;
			return;
		}
		ir = line;
	}
	if (strcmp(ir, "*") == 0)
		return c_printf(c, "%s BAD Authentication cancelled\r\n", tag);
	if (!plain_ok(c->s, ir))
		return c_printf(c, "%s NO [AUTHENTICATIONFAILED] Invalid credentials\r\n", tag);
	c->state = 1;
	c_printf(c, "%s OK Logged in\r\n", tag);
}

static int
is_inbox(const char *m)
{
	return m && strcasecmp(m, "INBOX") == 0;
}

static void
cmd_list(struct imap_conn *c, const char *tag, const char *cmd, char *args)
{
	char *ref = next_arg(&args), *pat = next_arg(&args);

	if (!ref || !pat)
		return c_printf(c, "%s BAD %s needs a reference and a pattern\r\n", tag, cmd);
	if (*pat == '\0')
		c_printf(c, "* %s (\\Noselect) \"/\" \"\"\r\n", cmd);
	else if (strcmp(pat, "*") == 0 || strcmp(pat, "%") == 0 || is_inbox(pat))
		c_printf(c, "* %s (\\HasNoChildren) \"/\" INBOX\r\n", cmd);
	c_printf(c, "%s OK %s completed\r\n", tag, cmd);
}

/* Reload the message list; report growth to a selected client. */
static int
snapshot(struct imap_conn *c, int announce)
{
	struct mail_msg *v = NULL;
	size_t n = 0, i, old = c->nuids;
	unsigned *u;

	if (mail_list(c->s, &v, &n))
		return -1;
	u = malloc((n + 1) * sizeof(*u));
	if (!u) {
		free(v);
		return -1;
	}
	for (i = 0; i < n; i++)
		u[i] = v[i].uid;
	free(v);
	free(c->uids);
	c->uids = u;
	c->nuids = n;
	if (announce && n != old)
		c_printf(c, "* %zu EXISTS\r\n", n);
	return 0;
}

static int
msg_flags(struct statesim *s, unsigned uid, unsigned *flags, size_t *size)
{
	struct mail_msg *v = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (mail_list(s, &v, &n))
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i].uid == uid) {
			*flags = v[i].flags;
			if (size)
				*size = v[i].size;
			rc = 0;
			break;
		}
	}
	free(v);
	return rc;
}

static size_t
count_unseen(struct statesim *s, size_t *total)
{
	struct mail_msg *v = NULL;
	size_t n = 0, i, k = 0;

	if (mail_list(s, &v, &n) == 0)
		for (i = 0; i < n; i++)
			k += !(v[i].flags & MAIL_SEEN);
	free(v);
	*total = n;
	return k;
}

static void
cmd_select(struct imap_conn *c, const char *tag, const char *cmd, char *args)
{
	char *mbox = next_arg(&args);

	c->state = 1;
	if (!is_inbox(mbox))
		return c_printf(c, "%s NO [NONEXISTENT] Mailbox doesn't exist: %s\r\n",
				tag, mbox ? mbox : "");
	if (snapshot(c, 0))
		return c_printf(c, "%s NO [SERVERBUG] Cannot read the mailbox\r\n", tag);
	c->readonly = strcasecmp(cmd, "EXAMINE") == 0;
	c->state = 2;
	c_printf(c, "* FLAGS (\\Seen \\Deleted)\r\n"
		 "* OK [PERMANENTFLAGS (%s)] Flags permitted.\r\n"
		 "* %zu EXISTS\r\n* 0 RECENT\r\n"
		 "* OK [UIDVALIDITY %u] UIDs valid\r\n* OK [UIDNEXT %u] Predicted next UID\r\n"
		 "%s OK [%s] %s completed\r\n",
		 c->readonly ? "" : "\\Seen \\Deleted", c->nuids,
		 mail_uidvalidity(c->s), mail_uidnext(c->s), tag,
		 c->readonly ? "READ-ONLY" : "READ-WRITE", cmd);
}

static void
cmd_status(struct imap_conn *c, const char *tag, char *args)
{
	char *mbox = next_arg(&args);
	size_t total, unseen;

	if (!is_inbox(mbox))
		return c_printf(c, "%s NO [NONEXISTENT] Mailbox doesn't exist\r\n", tag);
	unseen = count_unseen(c->s, &total);
	c_printf(c, "* STATUS INBOX (MESSAGES %zu RECENT 0 UIDNEXT %u UIDVALIDITY %u UNSEEN %zu)\r\n"
		 "%s OK STATUS completed\r\n", total, mail_uidnext(c->s),
		 mail_uidvalidity(c->s), unseen, tag);
}

static int
parse_num(const char **p, unsigned star, unsigned long *v)
{
	char *end;

	if (**p == '*') {
		(*p)++;
		*v = star;
		return 0;
	}
	*v = strtoul(*p, &end, 10);
	if (end == *p)
		return -1;
	*p = end;
	return 0;
}

/* Whether v is in the sequence set (star is the value of "*"). */
static int
in_set(const char *set, unsigned v, unsigned star)
{
	const char *p = set;
	unsigned long a, b, t;

	while (*p) {
		if (parse_num(&p, star, &a))
			return 0;
		b = a;
		if (*p == ':') {
			p++;
			if (parse_num(&p, star, &b))
				return 0;
		}
		if (a > b) {
			t = a;
			a = b;
			b = t;
		}
		if (v >= a && v <= b)
			return 1;
		if (*p != ',')
			break;
		p++;
	}
	return 0;
}

static int
valid_set(const char *set)
{
	size_t i;

	if (!set || !*set)
		return 0;
	for (i = 0; set[i]; i++)
		if (!isdigit((unsigned char)set[i]) && !strchr(",:*", set[i]))
			return 0;
	return 1;
}

/* Whether message i (0-based in the snapshot) is in set, by uid or seq. */
static int
selected_by(struct imap_conn *c, size_t i, const char *set, int byuid)
{
	unsigned star;

	if (byuid) {
		star = c->nuids ? c->uids[c->nuids - 1] : 0;
		return in_set(set, c->uids[i], star);
	}
	return in_set(set, (unsigned)(i + 1), (unsigned)c->nuids);
}

/* One SEARCH key against message i; -1 for an unsupported key. */
static int
search_key(struct imap_conn *c, size_t i, const char *key, char **args)
{
	unsigned flags = 0;
	char *arg;

	msg_flags(c->s, c->uids[i], &flags, NULL);
	if (!strcasecmp(key, "ALL"))
		return 1;
	if (!strcasecmp(key, "SEEN"))
		return !!(flags & MAIL_SEEN);
	if (!strcasecmp(key, "UNSEEN") || !strcasecmp(key, "NEW"))
		return !(flags & MAIL_SEEN);
	if (!strcasecmp(key, "DELETED"))
		return !!(flags & MAIL_DELETED);
	if (!strcasecmp(key, "UNDELETED"))
		return !(flags & MAIL_DELETED);
	if (!strcasecmp(key, "RECENT"))
		return 0;
	if (!strcasecmp(key, "UID")) {
		arg = next_arg(args);
		return valid_set(arg) ? selected_by(c, i, arg, 1) : -1;
	}
	if (valid_set(key))
		return selected_by(c, i, key, 0);
	return -1;
}

static void
cmd_search(struct imap_conn *c, const char *tag, int byuid, char *args)
{
	char out[LINE_MAX_IMAP], copy[1024], *p, *key;
	size_t i, o;
	int all, r;

	o = (size_t)snprintf(out, sizeof(out), "* SEARCH");
	for (i = 0; i < c->nuids; i++) {
		snprintf(copy, sizeof(copy), "%s", args);
		p = copy;
		all = 1;
		while ((key = next_arg(&p))) {
			if (!strcasecmp(key, "CHARSET")) {
				next_arg(&p);
				continue;
			}
			r = search_key(c, i, key, &p);
			if (r < 0)
				return c_printf(c, "%s BAD Unsupported SEARCH key %s\r\n", tag, key);
			all &= r;
		}
		if (all && o + 16 < sizeof(out))
			o += (size_t)snprintf(out + o, sizeof(out) - o, " %u",
					      byuid ? c->uids[i] : (unsigned)(i + 1));
	}
	c_printf(c, "%s\r\n%s OK SEARCH completed\r\n", out, tag);
}

static const char *
flags_text(unsigned f)
{
	static const char *t[] = { "", "\\Seen", "\\Deleted", "\\Seen \\Deleted" };

	return t[f & 3u];
}

/* The span of a message's header (up to and with the blank line). */
static size_t
header_len(const char *m, size_t len)
{
	const char *p = memmem(m, len, "\r\n\r\n", 4);

	return p ? (size_t)(p - m) + 4 : len;
}

/* The body of top-level MIME part n (1-based) of a multipart message. */
static int
mime_part(const char *m, size_t len, unsigned n, const char **out, size_t *outlen)
{
	char delim[128];
	const char *b = strcasestr(m, "boundary=\""), *e, *p, *q, *start;
	size_t hl = header_len(m, len);
	unsigned k = 0;

	if (!b || (size_t)(b - m) > hl)
		return -1;
	b += 10;
	e = strchr(b, '"');
	if (!e || e - b > 100)
		return -1;
	snprintf(delim, sizeof(delim), "\r\n--%.*s", (int)(e - b), b);
	for (p = memmem(m, len, delim, strlen(delim)); p; p = q) {
		start = p + strlen(delim);
		if (start + 2 <= m + len && start[0] == '-' && start[1] == '-')
			break;
		q = memmem(start, len - (size_t)(start - m), delim, strlen(delim));
		if (!q)
			break;
		if (++k == n) {
			start = memmem(start, (size_t)(q - start), "\r\n\r\n", 4);
			if (!start)
				return -1;
			*out = start + 4;
			*outlen = (size_t)(q - start - 4);
			return 0;
		}
	}
	return -1;
}

/* Write one "BODY[sec]<o> {n}" item; sets *seen when not a PEEK. */
static int
fetch_body(struct imap_conn *c, const char *item, const char *m, size_t len,
	   int *seen)
{
	const char *sec = strchr(item, '['), *close = strchr(item, ']');
	const char *data = m, *partial;
	size_t dlen = len, origin = 0, count = (size_t)-1;
	char name[128], head[200];

	if (!sec || !close || close < sec || close - sec > 60)
		return -1;
	*seen |= strncasecmp(item, "BODY.PEEK", 9) != 0;
	snprintf(name, sizeof(name), "BODY[%.*s]", (int)(close - sec - 1), sec + 1);
	if (!strncasecmp(sec, "[HEADER]", 8))
		dlen = header_len(m, len);
	else if (!strncasecmp(sec, "[TEXT]", 6)) {
		data = m + header_len(m, len);
		dlen = len - (size_t)(data - m);
	} else if (isdigit((unsigned char)sec[1])) {
		if (mime_part(m, len, (unsigned)atoi(sec + 1), &data, &dlen))
			data = "", dlen = 0;
	} else if (sec[1] != ']')
		return -1;
	partial = close[1] == '<' ? close + 2 : NULL;
	if (partial && sscanf(partial, "%zu.%zu", &origin, &count) >= 1) {
		origin = origin > dlen ? dlen : origin;
		data += origin;
		dlen -= origin;
		dlen = count < dlen ? count : dlen;
		snprintf(name + strlen(name), sizeof(name) - strlen(name), "<%zu>", origin);
	}
	snprintf(head, sizeof(head), "%s {%zu}\r\n", name, dlen);
	return c_write(c, head, strlen(head)) || c_write(c, data, dlen) ? -2 : 0;
}

static int
fetch_simple(struct imap_conn *c, const char *item, const char *m, size_t len,
	     unsigned uid, unsigned flags, int *seen)
{
	const char *data = m;
	size_t dlen = len;

	if (!strcasecmp(item, "UID"))
		return c_printf(c, "UID %u", uid), 0;
	if (!strcasecmp(item, "FLAGS"))
		return c_printf(c, "FLAGS (%s)", flags_text(flags)), 0;
	if (!strcasecmp(item, "RFC822.SIZE"))
		return c_printf(c, "RFC822.SIZE %zu", len), 0;
	if (!strcasecmp(item, "INTERNALDATE"))
		return c_printf(c, "INTERNALDATE \"01-Jan-2026 00:00:00 +0000\""), 0;
	if (!strcasecmp(item, "RFC822.HEADER"))
		dlen = header_len(m, len);
	else if (!strcasecmp(item, "RFC822.TEXT")) {
		data = m + header_len(m, len);
		dlen = len - (size_t)(data - m);
		*seen = 1;
	} else if (!strcasecmp(item, "RFC822"))
		*seen = 1;
	else
		return -1;
	c_printf(c, "%s {%zu}\r\n", item, dlen);
	return c_write(c, data, dlen) ? -2 : 0;
}

/* Expand the FETCH macros and strip the parentheses into items. */
static void
fetch_items(char *spec, char *out, size_t cap)
{
	size_t n = strlen(spec);

	if (n >= 2 && spec[0] == '(' && spec[n - 1] == ')') {
		spec[n - 1] = '\0';
		spec++;
	}
	if (!strcasecmp(spec, "FAST"))
		spec = "FLAGS INTERNALDATE RFC822.SIZE";
	else if (!strcasecmp(spec, "ALL") || !strcasecmp(spec, "FULL"))
		spec = "FLAGS INTERNALDATE RFC822.SIZE";
	snprintf(out, cap, "%s", spec);
}

/* FETCH one message (0-based index i); -1 unsupported item, -2 I/O. */
static int
fetch_one(struct imap_conn *c, size_t i, const char *items, int byuid)
{
	char copy[1024], *p = copy, *item;
	unsigned uid = c->uids[i], flags = 0;
	char *m = NULL;
	size_t len = 0;
	int seen = 0, rc = 0, first = 1;

	if (msg_flags(c->s, uid, &flags, NULL) || mail_read(c->s, uid, &m, &len))
		return 0;   /* expunged by another session meanwhile */
	c_printf(c, "* %zu FETCH (", i + 1);
	if (byuid && !strcasestr(items, "UID")) {
		c_printf(c, "UID %u", uid);
		first = 0;
	}
	snprintf(copy, sizeof(copy), "%s", items);
	while (rc == 0 && (item = next_arg(&p))) {
		if (!first)
			c_write(c, " ", 1);
		first = 0;
		if (!strncasecmp(item, "BODY[", 5) || !strncasecmp(item, "BODY.PEEK[", 10))
			rc = fetch_body(c, item, m, len, &seen);
		else
			rc = fetch_simple(c, item, m, len, uid, flags, &seen);
	}
	if (rc == 0 && seen && !c->readonly && !(flags & MAIL_SEEN)) {
		mail_set_flags(c->s, uid, flags | MAIL_SEEN);
		c_printf(c, " FLAGS (%s)", flags_text(flags | MAIL_SEEN));
	}
	if (rc != -2)
		c_printf(c, ")\r\n");
	free(m);
	return rc;
}

static void
cmd_fetch(struct imap_conn *c, const char *tag, int byuid, char *args)
{
	char *set = next_arg(&args), items[1024];
	size_t i;
	int rc;

	if (!valid_set(set) || !*args)
		return c_printf(c, "%s BAD FETCH needs a sequence set and items\r\n", tag);
	fetch_items(args, items, sizeof(items));
	for (i = 0; i < c->nuids; i++) {
		if (!selected_by(c, i, set, byuid))
			continue;
		rc = fetch_one(c, i, items, byuid);
		if (rc == -2) {
			c->closing = 1;
			return;
		}
		if (rc == -1)
			return c_printf(c, "%s BAD Unsupported FETCH item\r\n", tag);
	}
	c_printf(c, "%s OK %sFETCH completed\r\n", tag, byuid ? "UID " : "");
}

static unsigned
parse_flag_list(const char *list)
{
	unsigned f = 0;

	if (strcasestr(list, "\\Seen"))
		f |= MAIL_SEEN;
	if (strcasestr(list, "\\Deleted"))
		f |= MAIL_DELETED;
	return f;
}

static void
cmd_store(struct imap_conn *c, const char *tag, int byuid, char *args)
{
	char *set = next_arg(&args), *what = next_arg(&args);
	unsigned f, old, nf;
	int silent;
	size_t i;

	if (!valid_set(set) || !what || !*args)
		return c_printf(c, "%s BAD STORE needs a set, an item and flags\r\n", tag);
	if (c->readonly)
		return c_printf(c, "%s NO Mailbox is read-only\r\n", tag);
	silent = strcasestr(what, ".SILENT") != NULL;
	f = parse_flag_list(args);
	for (i = 0; i < c->nuids; i++) {
		if (!selected_by(c, i, set, byuid) || msg_flags(c->s, c->uids[i], &old, NULL))
			continue;
		nf = what[0] == '+' ? old | f : what[0] == '-' ? old & ~f : f;
		if (mail_set_flags(c->s, c->uids[i], nf))
			return c_printf(c, "%s NO Cannot store flags\r\n", tag);
		if (!silent && byuid)
			c_printf(c, "* %zu FETCH (UID %u FLAGS (%s))\r\n", i + 1, c->uids[i], flags_text(nf));
		else if (!silent)
			c_printf(c, "* %zu FETCH (FLAGS (%s))\r\n", i + 1, flags_text(nf));
	}
	c_printf(c, "%s OK STORE completed\r\n", tag);
}

/* Expunge; report each removed message unless quiet (CLOSE). */
static int
do_expunge(struct imap_conn *c, int quiet)
{
	unsigned *gone = NULL;
	size_t n = 0, k, i;

	if (mail_expunge(c->s, &gone, &n))
		return -1;
	for (k = n; k > 0; k--) {   /* highest first: lower numbers stay valid */
		for (i = 0; i < c->nuids && c->uids[i] != gone[k - 1]; i++)
			;
		if (i == c->nuids)
			continue;
		if (!quiet)
			c_printf(c, "* %zu EXPUNGE\r\n", i + 1);
		memmove(c->uids + i, c->uids + i + 1, (c->nuids - i - 1) * sizeof(*c->uids));
		c->nuids--;
	}
	free(gone);
	return 0;
}

static void
cmd_selected(struct imap_conn *c, const char *tag, char *cmd, char *args)
{
	int byuid = 0;

	if (!strcasecmp(cmd, "UID")) {
		byuid = 1;
		cmd = next_arg(&args);
		if (!cmd)
			return c_printf(c, "%s BAD UID needs a command\r\n", tag);
	}
	if (!strcasecmp(cmd, "SEARCH"))
		return cmd_search(c, tag, byuid, args);
	if (!strcasecmp(cmd, "FETCH"))
		return cmd_fetch(c, tag, byuid, args);
	if (!strcasecmp(cmd, "STORE"))
		return cmd_store(c, tag, byuid, args);
	if (byuid)
		return c_printf(c, "%s BAD Unsupported UID command\r\n", tag);
	if (!strcasecmp(cmd, "CHECK"))
		return c_printf(c, "%s OK CHECK completed\r\n", tag);
	if (!strcasecmp(cmd, "EXPUNGE")) {
		if (c->readonly)
			return c_printf(c, "%s NO Mailbox is read-only\r\n", tag);
		if (do_expunge(c, 0))
			return c_printf(c, "%s NO Cannot expunge\r\n", tag);
		return c_printf(c, "%s OK EXPUNGE completed\r\n", tag);
	}
	if (!strcasecmp(cmd, "CLOSE") || !strcasecmp(cmd, "UNSELECT")) {
		if (!strcasecmp(cmd, "CLOSE") && !c->readonly)
			(void)do_expunge(c, 1);
		c->state = 1;
		return c_printf(c, "%s OK %s completed\r\n", tag, cmd);
	}
	c_printf(c, "%s BAD Unknown command %s\r\n", tag, cmd);
}

static void
dispatch(struct imap_conn *c, const char *tag, char *cmd, char *args)
{
	if (!strcasecmp(cmd, "CAPABILITY"))
		return c_printf(c, "* CAPABILITY %s\r\n%s OK CAPABILITY completed\r\n",
				caps(c->s), tag);
	if (!strcasecmp(cmd, "NOOP")) {
		if (c->state == 2)
			snapshot(c, 1);
		return c_printf(c, "%s OK NOOP completed\r\n", tag);
	}
	if (!strcasecmp(cmd, "LOGOUT")) {
		c->closing = 1;
		return c_printf(c, "* BYE Logging out\r\n%s OK LOGOUT completed\r\n", tag);
	}
	if (c->state == 0) {
		if (!strcasecmp(cmd, "LOGIN"))
			return cmd_login(c, tag, args);
		if (!strcasecmp(cmd, "AUTHENTICATE"))
			return cmd_authenticate(c, tag, args);
		return c_printf(c, "%s BAD Log in first\r\n", tag);
	}
	if (!strcasecmp(cmd, "LIST") || !strcasecmp(cmd, "LSUB"))
		return cmd_list(c, tag, !strcasecmp(cmd, "LIST") ? "LIST" : "LSUB", args);
	if (!strcasecmp(cmd, "SELECT") || !strcasecmp(cmd, "EXAMINE"))
		return cmd_select(c, tag, !strcasecmp(cmd, "SELECT") ? "SELECT" : "EXAMINE", args);
	if (!strcasecmp(cmd, "STATUS"))
		return cmd_status(c, tag, args);
	if (c->state != 2)
		return c_printf(c, "%s BAD Select a mailbox first\r\n", tag);
	snapshot(c, 1);
	cmd_selected(c, tag, cmd, args);
}

static int
greet(struct imap_conn *c)
{
	int secs = 3;
	enum statesim_fault f = statesim_fault_take(c->s, "imap", &secs);

	switch (f) {
	case FAULT_REFUSE:
		c_printf(c, "* BYE Service unavailable (simulated refusal)\r\n");
		return -1;
	case FAULT_500:
		c_printf(c, "* BAD Internal server error (simulated)\r\n");
		return -1;
	case FAULT_CUT:
		return -1;
	case FAULT_HANG:
		statesim_wait(c->s, c->fd, 3600L * 1000);
		return -1;
	case FAULT_DELAY_ACK:
		statesim_wait(c->s, c->fd, secs * 1000L);
		break;
	default:
		break;
	}
	c_printf(c, "* OK [CAPABILITY %s] liasse-statesim @ctes mailbox ready\r\n",
		 caps(c->s));
	return c->closing ? -1 : 0;
}

static void *
imap_serve(void *arg)
{
	struct imap_conn *c = arg;
	char line[LINE_MAX_IMAP], *p, *tag, *cmd;

	if (c->ssl && SSL_accept(c->ssl) != 1)
		goto out;
	if (greet(c))
		goto out;
	while (!c->closing && !c->s->stopping && c_readline(c, line, sizeof(line)) == 0) {
		p = line;
		tag = next_arg(&p);
		cmd = next_arg(&p);
		if (!tag || !cmd) {
			c_printf(c, "* BAD Empty command\r\n");
			continue;
		}
		if (strchr(p, '{')) {
			c_printf(c, "%s BAD Literals are not supported here\r\n", tag);
			continue;
		}
		dispatch(c, tag, cmd, p);
	}
out:
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	close(c->fd);
	free(c->uids);
	free(c);
	return NULL;
}

static void *
imap_accept_loop(void *arg)
{
	struct imap_listener *l = arg;
	struct imap_conn *c;
	int fd;

	while (!l->s->stopping) {
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		c = calloc(1, sizeof(*c));
		if (!c || (l->tls && !(c->ssl = SSL_new(l->tls)))) {
			free(c);
			close(fd);
			continue;
		}
		c->s = l->s;
		c->fd = fd;
		if (c->ssl)
			SSL_set_fd(c->ssl, fd);
		if (statesim_spawn(imap_serve, c)) {
			if (c->ssl)
				SSL_free(c->ssl);
			close(fd);
			free(c);
		}
	}
	return NULL;
}

static SSL_CTX *
imaps_ctx(struct statesim *s)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, s->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, s->tls_key, SSL_FILETYPE_PEM) != 1) {
		fprintf(stderr, "statesim: imaps: cannot load %s / %s\n", s->tls_cert, s->tls_key);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int
listen_one(struct statesim *s, struct imap_listener *l, int *port, const char *scheme)
{
	char url[128];

	l->s = s;
	l->fd = statesim_listen(s, port);
	if (l->fd < 0)
		return -1;
	snprintf(url, sizeof(url), "%s://%s:%d/", scheme, s->host, *port);
	statesim_announce(s, scheme, url);
	return statesim_spawn(imap_accept_loop, l);
}

int
imap_start(struct statesim *s)
{
	static struct imap_listener plain, tls;
	static int tls_port;

	if (mail_init(s)) {
		fprintf(stderr, "statesim: imap: cannot create %s/mail\n", s->dir);
		return -1;
	}
	if (listen_one(s, &plain, &s->imap_port, "imap"))
		return -1;
	if (strcmp(statesim_opt(s, "imap.tls", "0"), "1") != 0)
		return 0;
	if (!s->tls_cert || !s->tls_key) {
		fprintf(stderr, "statesim: imap.tls=1 needs --tls-cert and --tls-key\n");
		return -1;
	}
	tls.tls = imaps_ctx(s);
	tls_port = atoi(statesim_opt(s, "imap.tls_port", "0"));
	if (!tls.tls)
		return -1;
	return listen_one(s, &tls, &tls_port, "imaps");
}
