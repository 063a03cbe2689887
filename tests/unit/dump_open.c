/*
 * dump_open.c - what a stolen database dump gives: one secret column value
 * taken from a pg_dump, opened with or without the key-encryption key.
 *
 *   dump_open --value HEX --context CTX [--kek FILE]
 *             [--pin PIN --cert-sha256 HEX]
 *
 * Without --kek the value is used as the dump holds it (what an attacker
 * has); with --pin it is then unwrapped as a custody blob (sign/custody.h)
 * under that PIN.  Prints the opened value (hex) or "unwrapped"; exit 1 and
 * one line on stderr when it does not open.  Run without arguments (as a
 * test of its own by make check) it skips.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "core/config.h"
#include "core/kek.h"
#include "core/util.h"
#include "sign/custody.h"

static int
fail(const char *what, const struct lerr *e)
{
	fprintf(stderr, "dump_open: %s: %s\n", what, e->msg);
	return 1;
}

static int
unhex(const char *s, struct buf *out)
{
	uint8_t b;
	char two[3] = { 0 };

	if (!strncmp(s, "\\\\x", 3))
		s += 3;
	else if (!strncmp(s, "\\x", 2))
		s += 2;
	for (; s[0] && s[1]; s += 2) {
		two[0] = s[0];
		two[1] = s[1];
		if (hex_decode(two, &b, 1) || buf_add(out, &b, 1))
			return -1;
	}
	return *s ? -1 : 0;
}

static int
unwrap(const struct buf *blob, const char *pin, const char *sha, struct lerr *e)
{
	uint8_t digest[32];
	EVP_PKEY *pkey = NULL;
	int rc;

	if (hex_decode(sha, digest, sizeof(digest)))
		return lerr_set(e, LERR_INVALID, NULL, "--cert-sha256 is not 64 hex digits");
	rc = custody_unwrap(blob->data, blob->len, digest, pin, &pkey, e);
	EVP_PKEY_free(pkey);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option o[] = { { "value", 1, NULL, 'v' }, { "context", 1, NULL, 'c' },
		{ "kek", 1, NULL, 'k' }, { "pin", 1, NULL, 'p' }, { "cert-sha256", 1, NULL, 's' }, { NULL, 0, NULL, 0 } };
	const char *value = NULL, *ctx = "", *kek = NULL, *pin = NULL, *sha = "";
	struct buf in, pt;
	struct lerr e;
	int ch, rc = 0;

	if (argc == 1)
		return 77;
	while ((ch = getopt_long(argc, argv, "", o, NULL)) != -1) {
		switch (ch) {
		case 'v': value = optarg; break;
		case 'c': ctx = optarg; break;
		case 'k': kek = optarg; break;
		case 'p': pin = optarg; break;
		case 's': sha = optarg; break;
		default: return 2;
		}
	}
	lerr_clear(&e);
	buf_init(&in, 1 << 20);
	buf_init(&pt, 1 << 20);
	if (!value || unhex(value, &in)) {
		fprintf(stderr, "dump_open: --value HEX is required\n");
		rc = 2;
	} else if (config_load(NULL, &e) || (kek && config_set("kek_file", kek, &e)) || kek_configure(&e))
		rc = fail("the key-encryption key", &e);
	else if (kek_open(ctx, in.data, in.len, &pt, &e))
		rc = fail("opening the sealed value", &e);
	else if (pin && unwrap(&pt, pin, sha, &e))
		rc = fail("unwrapping the key with the PIN", &e);
	else if (pin)
		printf("unwrapped\n");
	else {
		for (size_t i = 0; i < pt.len; i++)
			printf("%02x", (unsigned char)pt.data[i]);
		printf("\n");
	}
	buf_fini(&in);
	buf_fini(&pt);
	kek_shutdown();
	return rc;
}
