#include "core/util.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"

int
sha256_init(struct sha256 *s)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		s->md = NULL;
		return -1;
	}
	s->md = ctx;
	return 0;
}

void
sha256_update(struct sha256 *s, const void *p, size_t n)
{
	if (n)
		EVP_DigestUpdate(s->md, p, n);
}

void
sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN])
{
	unsigned len = SHA256_LEN;

	EVP_DigestFinal_ex(s->md, out, &len);
	sha256_fini(s);
}

void
sha256_fini(struct sha256 *s)
{
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
}

void
sha256_once(const void *p, size_t n, uint8_t out[SHA256_LEN])
{
	unsigned len = SHA256_LEN;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

void
hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
random_bytes(void *p, size_t n)
{
	return RAND_bytes(p, (int)n) == 1 ? 0 : -1;
}

/* ---- base64: OpenSSL's EVP encoder and decoder ---- */

int
base64_encode(const void *p, size_t n, int wrap, struct buf *out)
{
	/* 48 bytes make a line of 64 characters; 3072 bytes, 64 lines. */
	const size_t step = wrap ? 48 : 3072;
	unsigned char text[4097];
	const unsigned char *in = p;

	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;
		int len = EVP_EncodeBlock(text, in + i, (int)k);

		if ((wrap && i && buf_add(out, "\n", 1)) || buf_add(out, text, (size_t)len))
			return -1;
	}
	return 0;
}

int
base64_decode(const char *s, size_t n, struct buf *out)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	/* Each call writes 3 bytes per 4 characters, with what the context held
	 * back (less than 80 characters) from the call before. */
	unsigned char bin[3 * (4096 + 80) / 4];
	int len, rc = ctx ? 0 : -1;

	if (ctx)
		EVP_DecodeInit(ctx);
	for (size_t i = 0; i < n && !rc; i += 4096) {
		int k = (int)(n - i < 4096 ? n - i : 4096);

		if (EVP_DecodeUpdate(ctx, bin, &len, (const unsigned char *)s + i, k) < 0 ||
		    buf_add(out, bin, (size_t)len))
			rc = -1;
	}
	if (!rc && (EVP_DecodeFinal(ctx, bin, &len) != 1 || buf_add(out, bin, (size_t)len)))
		rc = -1;
	EVP_ENCODE_CTX_free(ctx);
	return rc;
}

void
base64url_encode(const uint8_t *p, size_t n, char *out)
{
	unsigned char text[257];
	size_t o = 0;

	/* 192 bytes (a multiple of 3) at a time: no padding but at the end, and
	 * none of it written to out, which may be just long enough without. */
	for (size_t i = 0; i < n; i += 192) {
		int len = EVP_EncodeBlock(text, p + i, (int)(n - i < 192 ? n - i : 192));

		for (int j = 0; j < len && text[j] != '='; j++)
			out[o++] = text[j] == '+' ? '-' : text[j] == '/' ? '_' : (char)text[j];
	}
	out[o] = '\0';
}

int
base64url_decode(const char *s, uint8_t *out, size_t max, size_t *len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(s), pad = (4 - n % 4) % 4;
	unsigned char *text = malloc(n + pad + 1), *bin = malloc((n + pad) / 4 * 3 + 1);
	int got = -1;

	if (text && bin && n % 4 != 1 && strspn(s, alphabet) == n) {
		for (size_t i = 0; i < n; i++)
			text[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : (unsigned char)s[i];
		memset(text + n, '=', pad);
		got = EVP_DecodeBlock(bin, text, (int)(n + pad));   /* counts the padding's zeros */
		if (got >= 0 && (size_t)got - pad <= max) {
			*len = (size_t)got - pad;
			memcpy(out, bin, *len);
		} else {
			got = -1;
		}
	}
	free(text);
	free(bin);
	return got < 0 ? -1 : 0;
}

char *
content_disposition(struct arena *a, const char *kind, const char *name)
{
	size_t n = strlen(name), o = 0;
	char *enc = arena_alloc(a, 3 * n + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("-._~", ch))
			enc[o++] = (char)ch;
		else
			o += (size_t)snprintf(enc + o, 4, "%%%02X", ch);
	}
	enc[o] = '\0';
	return arena_printf(a, "%s; filename*=UTF-8''%s", kind, enc);
}

int
utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need;
		uint32_t cp;

		if (c < 0x80) { i++; continue; }
		else if ((c & 0xE0) == 0xC0) { need = 1; cp = c & 0x1F; }
		else if ((c & 0xF0) == 0xE0) { need = 2; cp = c & 0x0F; }
		else if ((c & 0xF8) == 0xF0) { need = 3; cp = c & 0x07; }
		else return 0;
		for (unsigned k = 1; k <= need; k++) {
			if (i + k >= n || (s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}

int
filename_safe(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 255 || !utf8_valid(s, n))
		return 0;
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7F || c == '/' || c == '\\')
			return 0;
	}
	return 1;
}

int
uuid_valid(const char *s)
{
	if (strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (hex_digit(s[i]) < 0) {
			return 0;
		}
	}
	return 1;
}

int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
