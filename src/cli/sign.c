/*
 * cli/sign.c - "liasse sign" and "liasse verify".
 *
 *   liasse sign --profile pes|xades-bb|xades-bt|cades|pades-bb|pades-bt --p12 FILE
 *               --pass-file FILE
 *               [--xades 1.1.1|1.2.2] [--city C --postal-code P --role R]
 *               [--tsa URL] [--enveloped] [--mime TYPE] [--base64]
 *               [--text TEXT] [--page N] [--x X --y Y] [--trust DIR] IN OUT
 *   liasse verify FILE [--data DATA] --trust DIR [--at TIME] [--json] [--fr]
 *
 * Exit status: 0 signed / valid, 1 error or not valid, 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/spool.h"
#include "sign/sign.h"

#define PASS_MAX 1024

static int
usage(const char *cmd, const char *msg)
{
	fprintf(stderr, "liasse %s: %s (see liasse(1))\n", cmd, msg);
	return 2;
}

static int
fail(const struct lerr *e)
{
	char line[1600];

	lerr_oneline(e, line, sizeof(line));
	fprintf(stderr, "liasse: %s\n", line);
	return 1;
}

static int
read_all(const char *path, size_t max, struct buf *b, struct lerr *e)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int rc = 0;

	if (!f)
		return lerr_set(e, LERR_NOTFOUND, NULL, "cannot open %s: %s", path, strerror(errno));
	buf_init(b, max);
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n))
			rc = lerr_set(e, LERR_TOOLARGE, NULL, "%s is larger than %zu bytes", path, max);
	if (!rc && ferror(f))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot read %s", path);
	explicit_bzero(chunk, sizeof(chunk));
	fclose(f);
	return rc;
}

static int
write_all(const char *path, const struct buf *b, struct lerr *e)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create %s: %s", path, strerror(errno));
	if (fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot write %s", path);
	return 0;
}

static int
load_key(const char *p12, const char *pass_file, struct sign_key *k, struct lerr *e)
{
	char pass[PASS_MAX];
	struct buf der;
	int rc;

	if ((rc = config_read_secret(pass_file, pass, sizeof(pass), e)))
		return rc;
	if (!(rc = read_all(p12, 1 << 20, &der, e)))
		rc = sign_key_from_p12(k, der.data, der.len, pass, e);
	explicit_bzero(pass, sizeof(pass));
	buf_fini(&der);
	return rc;
}

static const char *
mime_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot && !strcasecmp(dot, ".pdf"))
		return "application/pdf";
	if (dot && !strcasecmp(dot, ".xml"))
		return "text/xml";
	return "application/octet-stream";
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

struct sign_args {
	const char *profile, *p12, *pass_file, *xades, *city, *postal, *role, *tsa, *mime;
	const char *text, *trust;
	int enveloped, b64, page;
	float x, y;
};

/* fd's len bytes into the file path, created only now (nothing half-written
 * before: the signature is made in a temporary file). */
static int
copy_out(int fd, size_t len, const char *path, struct lerr *e)
{
	FILE *f = fopen(path, "wb");
	char chunk[65536];
	size_t at = 0;
	ssize_t n = 1;

	if (!f)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create %s: %s", path, strerror(errno));
	while (at < len && n > 0) {
		n = pread(fd, chunk, len - at < sizeof(chunk) ? len - at : sizeof(chunk), (off_t)at);
		if (n > 0 && fwrite(chunk, 1, (size_t)n, f) != (size_t)n)
			n = -1;
		at += n > 0 ? (size_t)n : 0;
	}
	if (fclose(f) != 0 || at != len) {
		unlink(path);
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot write %s", path);
	}
	return 0;
}

/* PAdES from file to file, as the daemon does: neither PDF in memory. */
static int
do_pades(const struct sign_args *a, const struct sign_key *k, const char *in, const char *out,
	 struct lerr *e)
{
	struct sign_tsa tsa = { .url = a->tsa ? a->tsa : config_str("tsa_url") };
	struct sign_pades_opts o = { .text = a->text, .page = a->page, .x = a->x, .y = a->y };
	int fi = open(in, O_RDONLY | O_CLOEXEC), fo = -1, rc;
	size_t olen = 0;

	if (!strcmp(a->profile, "pades-bt"))
		o.tsa = &tsa;
	if (fi < 0)
		return lerr_set(e, LERR_NOTFOUND, NULL, "cannot open %s: %s", in, strerror(errno));
	if ((fo = spool_tmpfile(e)) < 0)
		rc = e->kind;
	else if (!(rc = sign_pades_fd(k, &o, fi, fo, &olen, e)))
		rc = copy_out(fo, olen, out, e);
	close(fi);
	if (fo >= 0)
		close(fo);
	return rc;
}

static int
do_sign(const struct sign_args *a, const char *in, const char *out, struct lerr *e)
{
	struct sign_key k = { 0 };
	struct buf data, res;
	struct sign_pes_opts po = { 0 };
	struct sign_xades_opts xo = { 0 };
	struct sign_tsa tsa = { 0 };
	int rc;

	buf_init(&res, SIGN_MAX_DOC);
	buf_init(&data, 0);
	if ((rc = sign_init(e)) || (rc = load_key(a->p12, a->pass_file, &k, e)))
		goto out;
	if (!strncmp(a->profile, "pades", 5)) {
		rc = do_pades(a, &k, in, out, e);
		goto out;
	}
	if ((rc = read_all(in, SIGN_MAX_DOC, &data, e)))
		goto out;
	if (!strcmp(a->profile, "pes")) {
		po.ver = a->xades && !strcmp(a->xades, "1.2.2") ? SIGN_XADES_122 : SIGN_XADES_111;
		po.city = a->city;
		po.postal_code = a->postal;
		po.role = a->role;
		po.trust_dir = a->trust;
		rc = sign_pes(&k, &po, data.data, data.len, &res, e);
	} else if (!strcmp(a->profile, "cades")) {
		rc = sign_cades(&k, data.data, data.len, a->b64, &res, e);
	} else {
		xo.enveloped = a->enveloped;
		xo.data_name = base_name(in);
		xo.mime_type = a->mime ? a->mime : mime_of(in);
		tsa.url = a->tsa ? a->tsa : config_str("tsa_url");
		if (!strcmp(a->profile, "xades-bt"))
			xo.tsa = &tsa;
		rc = sign_xades(&k, &xo, data.data, data.len, &res, e);
	}
	if (!rc)
		rc = write_all(out, &res, e);
out:
	sign_key_fini(&k);
	buf_fini(&data);
	buf_fini(&res);
	return rc;
}

int
cli_sign_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "profile", 1, 0, 'P' }, { "p12", 1, 0, 'k' }, { "pass-file", 1, 0, 'p' },
		{ "xades", 1, 0, 'x' }, { "city", 1, 0, 'c' }, { "postal-code", 1, 0, 'z' },
		{ "role", 1, 0, 'r' }, { "tsa", 1, 0, 't' }, { "enveloped", 0, 0, 'e' },
		{ "mime", 1, 0, 'm' }, { "base64", 0, 0, 'b' }, { "text", 1, 0, 'T' },
		{ "page", 1, 0, 'g' }, { "x", 1, 0, 'X' }, { "y", 1, 0, 'Y' }, { "trust", 1, 0, 'R' },
		{ 0, 0, 0, 0 } };
	struct sign_args a = { 0 };
	struct lerr e;
	int ch;

	lerr_clear(&e);
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'P': a.profile = optarg; break;
		case 'k': a.p12 = optarg; break;
		case 'R': a.trust = optarg; break;
		case 'p': a.pass_file = optarg; break;
		case 'x': a.xades = optarg; break;
		case 'c': a.city = optarg; break;
		case 'z': a.postal = optarg; break;
		case 'r': a.role = optarg; break;
		case 't': a.tsa = optarg; break;
		case 'e': a.enveloped = 1; break;
		case 'm': a.mime = optarg; break;
		case 'b': a.b64 = 1; break;
		case 'T': a.text = optarg; break;
		case 'g': a.page = atoi(optarg); break;
		case 'X': a.x = strtof(optarg, NULL); break;
		case 'Y': a.y = strtof(optarg, NULL); break;
		default: return usage("sign", "unknown option or missing value");
		}
	}
	if (!a.profile || (strcmp(a.profile, "pes") && strcmp(a.profile, "xades-bb") &&
			   strcmp(a.profile, "xades-bt") && strcmp(a.profile, "cades") &&
			   strcmp(a.profile, "pades-bb") && strcmp(a.profile, "pades-bt")))
		return usage("sign", "--profile pes|xades-bb|xades-bt|cades|pades-bb|pades-bt is required");
	if (a.page < 0)
		return usage("sign", "--page takes a page number from 1");
	if (!a.p12 || !a.pass_file)
		return usage("sign", "--p12 FILE and --pass-file FILE are required");
	if (a.xades && strcmp(a.xades, "1.1.1") && strcmp(a.xades, "1.2.2"))
		return usage("sign", "--xades takes 1.1.1 or 1.2.2");
	if (argc - optind != 2)
		return usage("sign", "expected IN and OUT");
	if (do_sign(&a, argv[optind], argv[optind + 1], &e))
		return fail(&e);
	return 0;
}

static int
parse_at(const char *s, time_t *t)
{
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if (!strcmp(s, "now")) {
		*t = time(NULL);
		return 0;
	}
	if (!(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))) {
		memset(&tm, 0, sizeof(tm));
		p = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!p || (*p && strcmp(p, "Z")))
		return -1;
	*t = timegm(&tm);
	return 0;
}

static void
print_report(const struct sign_report *r, int json, int fr)
{
	json_t *j;

	if (json) {
		j = sign_report_json(r);
		if (j)
			json_dumpf(j, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(j);
	} else {
		sign_report_print(r, stdout, fr);
	}
}

/* FILE verified from its file (a PDF never read whole: any size up to
 * LPDF_MAX_DOC); XML and CMS read into memory, at most SIGN_MAX_DOC. */
static int
do_verify(const char *file, const char *data_path, struct sign_verify_opts *o, int json,
	  int fr, struct lerr *e)
{
	struct buf data;
	struct sign_report r;
	int fd, rc;

	buf_init(&data, 0);
	sign_report_init(&r);
	if ((rc = sign_init(e)))
		return rc;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return lerr_set(e, LERR_NOTFOUND, NULL, "cannot open %s: %s", file, strerror(errno));
	if (data_path) {
		if ((rc = read_all(data_path, SIGN_MAX_DOC, &data, e)))
			goto out;
		o->data = data.data;
		o->datalen = data.len;
		o->data_name = NULL;
	}
	if ((rc = sign_verify_fd(o, fd, SIGN_MAX_DOC, &r, e)))
		goto out;
	print_report(&r, json, fr);
	rc = r.valid ? 0 : -1;
out:
	close(fd);
	sign_report_fini(&r);
	buf_fini(&data);
	return rc;
}

int
cli_verify_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "data", 1, 0, 'd' }, { "trust", 1, 0, 't' }, { "at", 1, 0, 'a' },
		{ "json", 0, 0, 'j' }, { "fr", 0, 0, 'f' }, { 0, 0, 0, 0 } };
	struct sign_verify_opts o = { 0 };
	const char *data = NULL;
	int ch, json = 0, fr = 0, rc;
	struct lerr e;

	lerr_clear(&e);
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 't': o.trust_dir = optarg; break;
		case 'a':
			if (parse_at(optarg, &o.at))
				return usage("verify", "--at takes YYYY-MM-DD[THH:MM:SS[Z]] or now");
			break;
		case 'j': json = 1; break;
		case 'f': fr = 1; break;
		default: return usage("verify", "unknown option or missing value");
		}
	}
	if (argc - optind != 1)
		return usage("verify", "expected one FILE");
	if (!o.trust_dir && !*config_str("trust_dir"))
		return usage("verify", "--trust DIR is required");
	rc = do_verify(argv[optind], data, &o, json, fr, &e);
	if (rc > 0)
		return fail(&e);
	return rc ? 1 : 0;
}
