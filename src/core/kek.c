/* kek.c - sealing secrets at rest under a key-encryption key (see kek.h). */
#include "core/kek.h"
#include "core/kek_int.h"
#include "core/config.h"
#include "core/log.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define MAGIC "LKS1"
#define MAX_KEYS 8

struct key {
	unsigned char id[KEK_ID_LEN];
	unsigned char aes[32];        /* a file key */
	struct kek_p11 *tok;          /* else a token key: tok, handle */
	unsigned long handle;
};

struct ring {
	int n, current;               /* current: k[0] seals */
	struct key k[MAX_KEYS];
	struct kek_p11 *tok;
};

static struct ring *ring;
static pthread_rwlock_t ring_lock = PTHREAD_RWLOCK_INITIALIZER;

static void
ring_free(struct ring *r)
{
	if (!r)
		return;
	kek_p11_close(r->tok);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

static void
key_id(const char *domain, const void *p, size_t n, const char *more, unsigned char *id)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int len = 0;

	memset(md, 0, sizeof(md));
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, domain, strlen(domain) + 1) == 1 && EVP_DigestUpdate(c, p, n) == 1 &&
	    (!more || EVP_DigestUpdate(c, more, strlen(more) + 1) == 1))
		(void)EVP_DigestFinal_ex(c, md, &len);
	EVP_MD_CTX_free(c);
	memcpy(id, md, KEK_ID_LEN);
}

/* Who must own a key file: the user we run as; when root, the configured
 * "user" liassed switches to (it re-reads the file on SIGHUP); root with no
 * "user" (the CLI run by an administrator) reads any owner's file. */
static uid_t
reader_uid(void)
{
	const char *name = config_str("user");
	struct passwd *pw;

	if (geteuid() == 0 && *name && (pw = getpwnam(name)))
		return pw->pw_uid;
	return geteuid();
}

static int
parse_key(char *text, size_t n, unsigned char aes[32])
{
	text[n] = '\0';
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	return hex_decode(text, aes, 32);
}

/* A key file: 64 hex digits, mode 0600 (nothing for group or others),
 * owned by the user reading it (or read by root). */
static int
read_key_file(const char *path, unsigned char aes[32], struct lerr *e)
{
	char text[80];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = LERR_INVALID;

	if (fd < 0) {
		lerr_set(e, LERR_INVALID, "kek_file", "cannot open the key-encryption key file %s: %s", path,
			 strerror(errno));
		return LERR_INVALID;
	}
	if (fstat(fd, &st) || (st.st_mode & 077))
		lerr_set(e, LERR_INVALID, "kek_file", "the key-encryption key file %s has mode %03o: it must be 0600"
			 " (chmod 600 %s)", path, (unsigned)(st.st_mode & 0777), path);
	else if (st.st_uid != reader_uid() && !(geteuid() == 0 && !*config_str("user")))
		lerr_set(e, LERR_INVALID, "kek_file", "the key-encryption key file %s belongs to uid %u, not to"
			 " uid %u that runs liasse (chown it)", path, (unsigned)st.st_uid, (unsigned)reader_uid());
	else if ((n = read(fd, text, sizeof(text) - 1)) < 0 || parse_key(text, (size_t)n, aes))
		lerr_set(e, LERR_INVALID, "kek_file", "the key-encryption key file %s does not hold 64 hex digits"
			 " (make one with liasse secrets new-key FILE)", path);
	else
		rc = 0;
	close(fd);
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

static int
add_file_key(struct ring *r, const char *path, struct lerr *e)
{
	struct key *k = &r->k[r->n];
	int rc;

	if (r->n == MAX_KEYS)
		return lerr_set(e, LERR_INVALID, "kek_previous_files", "at most %d key-encryption keys", MAX_KEYS);
	if ((rc = read_key_file(path, k->aes, e)))
		return rc;
	key_id("liasse kek file", k->aes, sizeof(k->aes), NULL, k->id);
	r->n++;
	return 0;
}

static int
add_token_key(struct ring *r, const char *label, struct lerr *e)
{
	struct key *k = &r->k[r->n];
	const char *tok = config_str("kek_pkcs11_token");
	int rc;

	if (r->n == MAX_KEYS)
		return lerr_set(e, LERR_INVALID, "kek_pkcs11_previous_keys", "at most %d key-encryption keys", MAX_KEYS);
	if (!r->tok && (rc = kek_p11_open(config_str("kek_pkcs11_module"), tok,
					  config_str("kek_pkcs11_pin_file"), &r->tok, e)))
		return rc;
	if ((rc = kek_p11_key(r->tok, label, &k->handle, e)))
		return rc;
	k->tok = r->tok;
	key_id("liasse kek pkcs11", tok, strlen(tok), label, k->id);
	r->n++;
	return 0;
}

/* Each space-separated word of list, added by fn. */
static int
add_list(struct ring *r, const char *list, int (*fn)(struct ring *, const char *, struct lerr *),
	 struct lerr *e)
{
	char word[1024];
	int rc = 0;

	while (!rc && *list) {
		size_t n = strcspn(list, " \t");

		if (n && n < sizeof(word)) {
			memcpy(word, list, n);
			word[n] = '\0';
			rc = fn(r, word, e);
		} else if (n)
			rc = lerr_set(e, LERR_INVALID, NULL, "a key-encryption key name is too long");
		list += n;
		list += strspn(list, " \t");
	}
	return rc;
}

static int
ring_load(struct ring *r, struct lerr *e)
{
	const char *file = config_str("kek_file"), *label = config_str("kek_pkcs11_key");
	int rc = 0;

	if (*file && *label)
		return lerr_set(e, LERR_INVALID, "kek_file", "kek_file and kek_pkcs11_key are both set:"
				" one current key-encryption key only (the other goes into the previous keys)");
	if (*file)
		rc = add_file_key(r, file, e);
	else if (*label)
		rc = add_token_key(r, label, e);
	r->current = r->n == 1;
	if (!rc)
		rc = add_list(r, config_str("kek_previous_files"), add_file_key, e);
	if (!rc)
		rc = add_list(r, config_str("kek_pkcs11_previous_keys"), add_token_key, e);
	for (int i = 1; !rc && i < r->n; i++)
		for (int j = 0; j < i; j++)
			if (!memcmp(r->k[i].id, r->k[j].id, KEK_ID_LEN))
				rc = lerr_set(e, LERR_INVALID, NULL, "the same key-encryption key is configured twice");
	return rc;
}

int
kek_configure(struct lerr *e)
{
	struct ring *r = calloc(1, sizeof(*r)), *old;
	int rc;

	if (!r)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	if ((rc = ring_load(r, e))) {
		ring_free(r);
		return rc;
	}
	if (!r->n) {
		ring_free(r);
		r = NULL;
	}
	if ((!r || !r->current) && config_int("secrets_require_sealed")) {
		ring_free(r);
		lerr_set(e, LERR_INVALID, "secrets_require_sealed", "secrets_require_sealed is on but no current"
			 " key-encryption key is configured");
		lerr_hint(e, "set kek_file or kek_pkcs11_key (doc/secrets.md), or secrets_require_sealed = no");
		return LERR_INVALID;
	}
	pthread_rwlock_wrlock(&ring_lock);
	old = ring;
	ring = r;
	pthread_rwlock_unlock(&ring_lock);
	ring_free(old);
	return 0;
}

void
kek_shutdown(void)
{
	pthread_rwlock_wrlock(&ring_lock);
	ring_free(ring);
	ring = NULL;
	pthread_rwlock_unlock(&ring_lock);
	kek_p11_unload();
}

int
kek_enabled(void)
{
	int on;

	pthread_rwlock_rdlock(&ring_lock);
	on = ring && ring->current;
	pthread_rwlock_unlock(&ring_lock);
	return on;
}

void
kek_current_id(char *out)
{
	pthread_rwlock_rdlock(&ring_lock);
	if (ring && ring->current)
		hex_encode(ring->k[0].id, KEK_ID_LEN, out);
	else
		*out = '\0';
	pthread_rwlock_unlock(&ring_lock);
}

static const struct key *
find_key(const unsigned char *id)
{
	for (int i = 0; ring && i < ring->n; i++)
		if (!memcmp(ring->k[i].id, id, KEK_ID_LEN))
			return &ring->k[i];
	return NULL;
}

int
kek_known(const char *hexid)
{
	unsigned char id[KEK_ID_LEN];
	int found;

	if (hex_decode(hexid, id, KEK_ID_LEN))
		return 0;
	pthread_rwlock_rdlock(&ring_lock);
	found = find_key(id) != NULL;
	pthread_rwlock_unlock(&ring_lock);
	return found;
}

int
kek_new_file(const char *path, struct lerr *e)
{
	unsigned char key[32];
	char hex[65];
	int fd, rc = 0;

	if (RAND_bytes(key, sizeof(key)) != 1)
		return lerr_set(e, LERR_INTERNAL, NULL, "no random bytes for a new key");
	hex_encode(key, sizeof(key), hex);
	hex[64] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, hex, sizeof(hex)) != (ssize_t)sizeof(hex) || fsync(fd))
		rc = lerr_set(e, LERR_INVALID, NULL, "cannot write a new key file %s: %s", path,
			      errno == EEXIST ? "it exists (a key file is never overwritten)" : strerror(errno));
	if (fd >= 0 && close(fd) && !rc)
		rc = lerr_set(e, LERR_INVALID, NULL, "cannot write a new key file %s: %s", path, strerror(errno));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}

void
kek_context(char *out, size_t n, const char *column, const char *rowkey)
{
	snprintf(out, n, "%s:%s", column, rowkey);
}

int
kek_is_sealed(const void *in, size_t n)
{
	return n >= KEK_OVERHEAD && !memcmp(in, MAGIC, 4);
}

/* AES-256-GCM with a file key; the same contract as kek_p11_gcm. */
static int
evp_gcm(const unsigned char *key, int enc, const unsigned char *iv, const unsigned char *aad,
	size_t aadlen, const unsigned char *in, size_t n, unsigned char *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len, ok = -1;

	if (!c || EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &len, aad, (int)aadlen) != 1 ||
	    EVP_CipherUpdate(c, out, &len, in, (int)n) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KEK_TAG_LEN, (void *)(in + n)) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + len, &len) != 1) {
		ok = enc ? -1 : 0;
		goto out;
	}
	ok = enc ? EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, KEK_TAG_LEN, out + n) == 1 ? 1 : -1 : 1;
out:
	EVP_CIPHER_CTX_free(c);
	return ok;
}

static int
key_gcm(const struct key *k, int enc, const unsigned char *hdr, const char *ctx,
	const unsigned char *in, size_t n, unsigned char *out)
{
	unsigned char aad[KEK_HEADER_LEN + 256];
	size_t cl = strlen(ctx);

	if (cl > 256)
		return -1;
	memcpy(aad, hdr, KEK_HEADER_LEN);
	memcpy(aad + KEK_HEADER_LEN, ctx, cl);
	if (k->tok)
		return kek_p11_gcm(k->tok, k->handle, enc, hdr + 4 + KEK_ID_LEN, aad, KEK_HEADER_LEN + cl,
				   in, n, out);
	return evp_gcm(k->aes, enc, hdr + 4 + KEK_ID_LEN, aad, KEK_HEADER_LEN + cl, in, n, out);
}

static int
seal_locked(const char *ctx, const void *pt, size_t n, struct buf *out, struct lerr *e)
{
	unsigned char *v = malloc(n + KEK_OVERHEAD);
	int rc = 0;

	if (!v)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	memcpy(v, MAGIC, 4);
	memcpy(v + 4, ring->k[0].id, KEK_ID_LEN);
	if (RAND_bytes(v + 4 + KEK_ID_LEN, KEK_NONCE_LEN) != 1 ||
	    key_gcm(&ring->k[0], 1, v, ctx, pt, n, v + KEK_HEADER_LEN) != 1)
		rc = lerr_set(e, LERR_INTERNAL, NULL, "sealing a secret under the key-encryption key failed");
	else if (buf_add(out, v, n + KEK_OVERHEAD))
		rc = lerr_set(e, LERR_TOOLARGE, NULL, "a sealed secret does not fit its buffer");
	OPENSSL_cleanse(v, n + KEK_OVERHEAD);
	free(v);
	return rc;
}

int
kek_seal(const char *ctx, const void *pt, size_t n, struct buf *out, struct lerr *e)
{
	int rc;

	if (n > KEK_MAX_PLAIN)
		return lerr_set(e, LERR_TOOLARGE, NULL, "a secret to seal is larger than %d bytes", KEK_MAX_PLAIN);
	pthread_rwlock_rdlock(&ring_lock);
	if (ring && ring->current)
		rc = seal_locked(ctx, pt, n, out, e);
	else
		rc = buf_add(out, pt, n) ? lerr_set(e, LERR_TOOLARGE, NULL, "a secret does not fit its buffer") : 0;
	pthread_rwlock_unlock(&ring_lock);
	return rc;
}

static int
open_locked(const char *ctx, const unsigned char *in, size_t n, struct buf *out, struct lerr *e)
{
	const struct key *k = find_key(in + 4);
	size_t len = n - KEK_OVERHEAD;
	unsigned char *v;
	char hex[2 * KEK_ID_LEN + 1];
	int ok, rc = 0;

	if (!k) {
		hex_encode(in + 4, KEK_ID_LEN, hex);
		lerr_set(e, LERR_UNAVAILABLE, NULL, "a secret is sealed under the key-encryption key %s,"
			 " which is not configured", hex);
		lerr_hint(e, ring ? "add it to kek_previous_files or kek_pkcs11_previous_keys"
			  : "configure kek_file or kek_pkcs11_key (doc/secrets.md)");
		return LERR_UNAVAILABLE;
	}
	if (!(v = malloc(len + KEK_TAG_LEN)))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	ok = key_gcm(k, 0, in, ctx, in + KEK_HEADER_LEN, len, v);
	if (ok != 1) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "a sealed secret does not open (%s)", ctx);
		lerr_detail(e, ok ? "the key-encryption key failed" : "altered, or moved from another row");
	} else if (buf_add(out, v, len))
		rc = lerr_set(e, LERR_TOOLARGE, NULL, "an opened secret does not fit its buffer");
	OPENSSL_cleanse(v, len + KEK_TAG_LEN);
	free(v);
	return rc;
}

/* A value in clear where a sealed one belongs, with secrets_require_sealed
 * on: refused, the table, column and row logged, never the value. */
static int
clear_refused(const char *ctx, struct lerr *e)
{
	const char *row = strchr(ctx, ':');

	log_warn("secrets: the value of %.*s in row %s is in clear: refused (secrets_require_sealed = yes)",
		 row ? (int)(row - ctx) : (int)strlen(ctx), ctx, row ? row + 1 : "?");
	lerr_set(e, LERR_INTERNAL, NULL, "a secret is stored in clear (%s) and secrets_require_sealed is on", ctx);
	lerr_detail(e, "a value in clear was written without the key-encryption key: before sealing was"
		    " configured, or by someone who can write to the database");
	lerr_hint(e, "if the value is genuine, liasse secrets reseal seals it; liasse secrets status counts"
		  " the values left in clear");
	return LERR_INTERNAL;
}

static int
open_value(const char *ctx, const void *in, size_t n, int any, struct buf *out, struct lerr *e)
{
	int rc;

	if (!kek_is_sealed(in, n)) {
		if (!any && config_int("secrets_require_sealed"))
			return clear_refused(ctx, e);
		return buf_add(out, in, n) ? lerr_set(e, LERR_TOOLARGE, NULL, "a secret does not fit its buffer") : 0;
	}
	pthread_rwlock_rdlock(&ring_lock);
	rc = open_locked(ctx, in, n, out, e);
	pthread_rwlock_unlock(&ring_lock);
	return rc;
}

int
kek_open(const char *ctx, const void *in, size_t n, struct buf *out, struct lerr *e)
{
	return open_value(ctx, in, n, 0, out, e);
}

int
kek_open_any(const char *ctx, const void *in, size_t n, struct buf *out, struct lerr *e)
{
	return open_value(ctx, in, n, 1, out, e);
}

int
kek_seal_text(const char *ctx, const char *pt, struct buf *out, struct lerr *e)
{
	struct buf b;
	int rc;

	if (!kek_enabled())
		return buf_addstr(out, pt) ? lerr_set(e, LERR_TOOLARGE, NULL, "a secret does not fit its buffer") : 0;
	buf_init(&b, KEK_MAX_PLAIN + KEK_OVERHEAD);
	rc = kek_seal(ctx, pt, strlen(pt), &b, e);
	if (!rc && (buf_addstr(out, KEK_TEXT_PREFIX) || base64_encode(b.data, b.len, 0, out)))
		rc = lerr_set(e, LERR_TOOLARGE, NULL, "a sealed secret does not fit its buffer");
	buf_fini(&b);
	return rc;
}

static int
open_text(const char *ctx, const char *in, int any, struct buf *out, struct lerr *e)
{
	size_t pl = strlen(KEK_TEXT_PREFIX);
	struct buf b;
	int rc;

	if (strncmp(in, KEK_TEXT_PREFIX, pl)) {
		if (!any && config_int("secrets_require_sealed"))
			return clear_refused(ctx, e);
		return buf_addstr(out, in) ? lerr_set(e, LERR_TOOLARGE, NULL, "a secret does not fit its buffer") : 0;
	}
	buf_init(&b, KEK_MAX_PLAIN + KEK_OVERHEAD);
	if (base64_decode(in + pl, strlen(in + pl), &b) || !kek_is_sealed(b.data, b.len))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "a sealed secret is not valid base64 (%s)", ctx);
	else
		rc = open_value(ctx, b.data, b.len, any, out, e);
	buf_fini(&b);
	return rc;
}

int
kek_open_text(const char *ctx, const char *in, struct buf *out, struct lerr *e)
{
	return open_text(ctx, in, 0, out, e);
}

int
kek_open_text_any(const char *ctx, const char *in, struct buf *out, struct lerr *e)
{
	return open_text(ctx, in, 1, out, e);
}
