/*
 * bench/queue-sign-raw - the raw signing engine on a set of PES files: the
 * baseline of bench/queue-sign.mjs.  The key is read from the PKCS#12 and
 * every file into memory first (not timed); then sign_pes() runs on each
 * file in turn, on one thread, with the options flow/signdoc.c uses (city,
 * postal code, country, claimed role).  Prints one JSON line:
 *   {"files":N,"ms":elapsed,"cpu_ms":CPU time of the loop,"bytes":signed bytes}
 *
 *   bench/queue-sign-raw P12 PASSWORD-FILE FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "core/buf.h"
#include "core/err.h"
#include "sign/sign.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU milliseconds (user + system) of this process so far. */
static double
cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int
slurp(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n)) {
			fclose(f);
			return -1;
		}
	fclose(f);
	return 0;
}

static int
load_key(const char *p12, const char *passfile, struct sign_key *k, struct lerr *e)
{
	struct buf der, pass;
	int rc;

	buf_init(&der, 1 << 20);
	buf_init(&pass, 4096);
	if (slurp(p12, &der) || slurp(passfile, &pass)) {
		rc = lerr_set(e, LERR_INVALID, NULL, "cannot read %s or %s", p12, passfile);
		goto out;
	}
	while (pass.len && (pass.data[pass.len - 1] == '\n' || pass.data[pass.len - 1] == '\r'))
		pass.data[--pass.len] = '\0';
	rc = sign_key_from_p12(k, der.data, der.len, pass.data, e);
out:
	buf_fini(&der);
	buf_fini(&pass);
	return rc;
}

int
main(int argc, char **argv)
{
	struct sign_pes_opts o = { .city = "Orléans", .postal_code = "45000", .country = "France",
				   .role = "Maire" };
	struct sign_key k;
	struct buf *in, out;
	struct lerr e;
	size_t total = 0;
	double t0, c0;
	int n = argc - 3;

	if (argc < 4) {
		fprintf(stderr, "usage: queue-sign-raw P12 PASSWORD-FILE FILE...\n");
		return 2;
	}
	lerr_clear(&e);
	if (sign_init(&e) || load_key(argv[1], argv[2], &k, &e)) {
		fprintf(stderr, "queue-sign-raw: %s: %s\n", e.msg, e.detail);
		return 1;
	}
	in = calloc((size_t)n, sizeof(*in));
	for (int i = 0; i < n; i++) {
		buf_init(&in[i], SIGN_MAX_DOC);
		if (slurp(argv[3 + i], &in[i])) {
			fprintf(stderr, "queue-sign-raw: cannot read %s\n", argv[3 + i]);
			return 1;
		}
	}
	buf_init(&out, SIGN_MAX_DOC);
	t0 = now_ms();
	c0 = cpu_ms();
	for (int i = 0; i < n; i++) {
		buf_reset(&out);
		if (sign_pes(&k, &o, in[i].data, in[i].len, &out, &e)) {
			fprintf(stderr, "queue-sign-raw: %s: %s: %s\n", argv[3 + i], e.msg, e.detail);
			return 1;
		}
		total += out.len;
	}
	printf("{\"files\":%d,\"ms\":%.3f,\"cpu_ms\":%.3f,\"bytes\":%zu}\n", n, now_ms() - t0,
	       cpu_ms() - c0, total);
	for (int i = 0; i < n; i++)
		buf_fini(&in[i]);
	free(in);
	buf_fini(&out);
	sign_key_fini(&k);
	return 0;
}
