/*
 * bench/sign - throughput of sign/: PES signatures per second (a
 * one-bordereau PES and a 5 MB PES, 1 and 2 threads), verifications per
 * second, peak memory, and the ratio of one-bordereau PES signing to
 * `openssl speed -seconds 3 rsa2048` signs/s measured in the same run.
 *
 *   make bench/sign && bench/sign [SECONDS [all|small|big|verify|pades [PES]]]
 *   (default 3 s per figure; with a name, that figure only, for profiling;
 *   PES: a one-bordereau file to use instead of the generated one, e.g. to
 *   compare with node bench/sign-npm.mjs on the same document)
 *
 * The PES and a throwaway RSA-2048 key are made in memory; nothing is
 * read from the fixtures.  Not run by make check.
 *
 * "pades": PAdES B-B signatures/s (visible block) of a 1-page and a 200-page
 * PDF made here, against openssl speed rsa2048 in the same run, and the
 * peak RSS of one signature of a 150 MiB PDF in a child process, from
 * file to file as the daemon signs (sign_pades_fd), beyond what the child
 * holds before.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/spool.h"
#include "sign/sign.h"

static const char head[] =
	"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
	"<n:PES_Aller xmlns:n=\"http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller\" Id=\"PES1\">\n"
	" <Enveloppe><Parametres><Version V=\"1\"/><TypFic V=\"PESALR2\"/><NomFic V=\"bench\"/>"
	"</Parametres></Enveloppe>\n"
	" <EnTetePES><DteStr V=\"2026-01-15\"/><IdPost V=\"034000\"/><IdColl V=\"12345678912345\"/>"
	"<CodCol V=\"123\"/><CodBud V=\"12\"/><LibelleColBud V=\"COMMUNE\"/></EnTetePES>\n"
	" <PES_DepenseAller>\n  <EnTeteDepense><IdVer V=\"1\"/><InfoDematerialisee V=\"0\"/></EnTeteDepense>\n"
	"  <Bordereau Id=\"BORD1\">\n   <BlocBordereau><Exer V=\"2026\"/><IdBord V=\"1\"/>"
	"<DteBordEm V=\"2026-01-15\"/><TypBord V=\"01\"/><NbrPce V=\"1\"/></BlocBordereau>\n";
static const char piece[] =
	"   <Piece><BlocPiece><InfoPce><IdPce V=\"%d\"/><TypPce V=\"01\"/><NatPce V=\"01\"/>"
	"<Obj V=\"FOURNITURES SCOLAIRES \xc9""COLE\"/></InfoPce></BlocPiece><LigneDePiece>"
	"<BlocLignePiece><InfoLignePce><IdLigne V=\"1\"/><Nature V=\"6067\"/><Fonction V=\"212\"/>"
	"<LibVir1 V=\"FACTURE %d\"/><ModRegl V=\"03\"/><MtHT V=\"1234.56\"/></InfoLignePce>"
	"</BlocLignePiece><Tiers><InfoTiers><RefTiers V=\"%d\"/><CatTiers V=\"01\"/><NatJur V=\"01\"/>"
	"<Nom V=\"LIBRAIRIE DU CENTRE\"/></InfoTiers></Tiers></LigneDePiece></Piece>\n";
static const char tail[] = "  </Bordereau>\n </PES_DepenseAller>\n</n:PES_Aller>\n";

/* A PDF of n pages, page 1's content padded to about pad bytes, with a
 * correct cross-reference table. */
static int
make_pdf(struct buf *b, int n, size_t pad)
{
	size_t *off = calloc((size_t)(2 * n + 4), sizeof(*off)), xref;
	int o = 0, rc = 0;

	buf_init(b, pad + (size_t)n * 512 + (1 << 20));
	rc |= buf_printf(b, "%%PDF-1.7\n");
	off[++o] = b->len;
	rc |= buf_printf(b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[++o] = b->len;
	rc |= buf_printf(b, "2 0 obj\n<< /Type /Pages /Count %d /Kids [", n);
	for (int i = 0; i < n; i++)
		rc |= buf_printf(b, "%d 0 R ", 4 + 2 * i);
	rc |= buf_printf(b, "] >>\nendobj\n");
	off[++o] = b->len;
	rc |= buf_printf(b, "3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n");
	for (int i = 0; i < n; i++) {
		size_t len = 60 + (i == 0 ? pad : 0);

		off[++o] = b->len;
		rc |= buf_printf(b, "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
				 "/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>\nendobj\n", o, o + 1);
		off[++o] = b->len;
		rc |= buf_printf(b, "%d 0 obj\n<< /Length %zu >>\nstream\n", o, len);
		rc |= buf_printf(b, "BT /F1 18 Tf 72 760 Td (Arrete page %5d) Tj ET\n%%", i + 1);
		for (size_t k = 0; k < len - 46; k++)
			rc |= buf_add(b, k % 70 == 69 ? "\n" : "x", 1);
		rc |= buf_printf(b, "\nendstream\nendobj\n");
	}
	xref = b->len;
	rc |= buf_printf(b, "xref\n0 %d\n0000000000 65535 f \n", o + 1);
	for (int i = 1; i <= o; i++)
		rc |= buf_printf(b, "%010zu 00000 n \n", off[i]);
	rc |= buf_printf(b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", o + 1, xref);
	free(off);
	return rc;
}

static struct sign_key key;
static char trust[128];
static double seconds = 3;

static int
make_pes(struct buf *b, size_t target)
{
	char p[1024];
	int i;

	buf_init(b, 64 << 20);
	if (buf_addstr(b, head))
		return -1;
	for (i = 1; i == 1 || b->len + sizeof(tail) < target; i++) {
		snprintf(p, sizeof(p), piece, i, i, i);
		if (buf_addstr(b, p))
			return -1;
	}
	return buf_addstr(b, tail);
}

static int
make_key(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);
	char path[256];
	struct lerr e;
	FILE *f;

	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (unsigned char *)"bench", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	snprintf(trust, sizeof(trust), "/tmp/liasse-bench-sign-XXXXXX");
	if (!mkdtemp(trust))
		return -1;
	snprintf(path, sizeof(path), "%s/bench.pem", trust);
	if (!(f = fopen(path, "w")))
		return -1;
	PEM_write_X509(f, x);
	fclose(f);
	if (sign_key_set(&key, k, x, NULL, &e))
		return -1;
	EVP_PKEY_free(k);
	X509_free(x);
	return 0;
}

static int
read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;

	if (!f)
		return -1;
	buf_reset(b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n)) {
			fclose(f);
			return -1;
		}
	fclose(f);
	return 0;
}

struct job {
	const struct buf *in;
	int verify;
	long done;
	int failed;
	double cpu;             /* CPU seconds (user + system) of the thread */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct sign_pes_opts po = { .city = "Montpellier", .postal_code = "34000" };
	struct sign_verify_opts vo = { .trust_dir = trust };
	struct sign_report r;
	struct buf out;
	struct lerr e;
	double end = now_s() + seconds;

	buf_init(&out, 128 << 20);
	while (now_s() < end) {
		if (j->verify == 1) {
			sign_report_init(&r);
			if (sign_verify(&vo, j->in->data, j->in->len, &r, &e) || !r.valid) {
				if (!j->failed && sign_report_failed(&r))
					fprintf(stderr, "bench: %s: %s\n", sign_report_failed(&r)->id,
						sign_report_failed(&r)->reason_en);
				j->failed = 1;
			}
			sign_report_fini(&r);
		} else if (j->verify == 2) {
			struct sign_pades_opts pa = { .text = "Signé par Bench, Maire de Test, le 01/01/2026 à 12:00",
						      .x = 36, .y = 36, .w = 260, .h = 54 };

			if (sign_pades(&key, &pa, j->in->data, j->in->len, &out, &e)) {
				if (!j->failed)
					fprintf(stderr, "bench: %s %s\n", e.msg, e.detail);
				j->failed = 1;
			}
		} else if (sign_pes(&key, &po, j->in->data, j->in->len, &out, &e)) {
			j->failed = 1;
		}
		j->done++;
	}
	buf_fini(&out);
	{
		struct rusage ru;

		getrusage(RUSAGE_THREAD, &ru);
		j->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
			 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	}
	return NULL;
}

static double last_cpu_rate;   /* operations per CPU second of the last rate() */

static double
rate(const struct buf *in, int threads, int verify)
{
	pthread_t t[8];
	struct job j[8];
	double t0 = now_s(), el;
	long total = 0;
	double cpu = 0;
	int i;

	for (i = 0; i < threads; i++) {
		j[i] = (struct job){ .in = in, .verify = verify };
		pthread_create(&t[i], NULL, worker, &j[i]);
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		total += j[i].done;
		cpu += j[i].cpu;
		if (j[i].failed)
			fprintf(stderr, "bench: a %s failed\n", verify ? "verification" : "signature");
	}
	el = now_s() - t0;
	last_cpu_rate = cpu > 0 ? (double)total / cpu : 0;
	return (double)total / el;
}

/* signs/s of `openssl speed -seconds 3 rsa2048` */
static double
openssl_speed(void)
{
	FILE *p = popen("openssl speed -seconds 3 rsa2048 2>/dev/null", "r");
	char line[512];
	double sign_s = 0, a, b, c;

	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p))
		if (sscanf(line, "rsa 2048 bits %lfs %lfs %lf", &a, &b, &c) == 3)
			sign_s = c;
	pclose(p);
	return sign_s;
}

/* A field of /proc/self/status in kB (VmRSS, VmHWM), -1 if absent. */
static double
proc_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double v = -1;
	size_t n = strlen(field);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = strtod(line + n + 1, NULL);
	if (f)
		fclose(f);
	return v;
}

/* VmHWM back to the current RSS (Linux: clear_refs 5). */
static void
reset_peak(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

/* Peak RSS (MB) of one PAdES signature of a PDF of about mib MiB made from
 * file to file as the daemon does (sign_pades_fd), in a child, beyond its
 * RSS once the input is written to its file and freed; -1 on failure. */
static double
pades_peak(size_t mib)
{
	int fd[2];
	pid_t pid;
	double mb = -1;

	if (pipe(fd) || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		struct sign_pades_opts pa = { .text = "Signé par Bench", .x = 36, .y = 36 };
		struct buf in;
		struct lerr e;
		double base, peak = -1;
		int fi = -1, fo = -1;
		size_t olen;

		lerr_clear(&e);
		if (make_pdf(&in, 1, mib << 20) == 0 && (fi = spool_tmpfile(&e)) >= 0 &&
		    (fo = spool_tmpfile(&e)) >= 0 &&
		    pwrite(fi, in.data, in.len, 0) == (ssize_t)in.len) {
			buf_fini(&in);
			/* The input's memory freed: the peak starts again here. */
			reset_peak();
			base = proc_kb("VmRSS") / 1024;
			if (!sign_pades_fd(&key, &pa, fi, fo, &olen, &e))
				peak = proc_kb("VmHWM") / 1024 - base;
		}
		if (e.kind)
			fprintf(stderr, "bench: %s %s\n", e.msg, e.detail);
		if (write(fd[1], &peak, sizeof(peak)) != sizeof(peak))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (read(fd[0], &mb, sizeof(mb)) != (ssize_t)sizeof(mb))
		mb = -1;
	close(fd[0]);
	waitpid(pid, NULL, 0);
	return mb;
}

static int
bench_pades(void)
{
	struct buf one, many;
	double r1, r1cpu, r200, peak, ossl;

	if (make_pdf(&one, 1, 0) || make_pdf(&many, 200, 0)) {
		fprintf(stderr, "bench: cannot make the PDFs\n");
		return 1;
	}
	printf("PDF sizes: 1 page %zu bytes, 200 pages %zu bytes; %.0f s per figure\n", one.len,
	       many.len, seconds);
	r1 = rate(&one, 1, 2);
	r1cpu = last_cpu_rate;
	printf("PAdES B-B, 1-page PDF, 1 thread  : %8.1f signatures/s (%.1f per CPU second)\n", r1, r1cpu);
	r200 = rate(&many, 1, 2);
	printf("PAdES B-B, 200-page PDF, 1 thread: %8.1f signatures/s\n", r200);
	ossl = openssl_speed();
	printf("openssl speed -seconds 3 rsa2048 : %8.1f signs/s\n", ossl);
	if (ossl > 0)
		printf("ratio PAdES 1-page / openssl rsa2048 sign: %.2f per CPU second\n", r1cpu / ossl);
	peak = pades_peak(150);
	printf("PAdES of a 150 MiB PDF, file to file: peak RSS +%.1f MB (target < 64 MiB)\n", peak);
	buf_fini(&one);
	buf_fini(&many);
	return 0;
}

int
main(int argc, char **argv)
{
	struct buf small, big, signed_small;
	struct sign_pes_opts po = { 0 };
	struct rusage ru;
	struct lerr e;
	double s1, s1cpu, s2, b1, b2, v1, ossl;
	char cmd[200];

	if (argc > 1)
		seconds = atof(argv[1]);
	log_set_level(LOG_LVL_WARN);
	if (sign_init(&e) || make_key() || make_pes(&small, 0) || make_pes(&big, 5 << 20) ||
	    (argc > 3 && read_file(argv[3], &small))) {
		fprintf(stderr, "bench: set-up failed\n");
		return 1;
	}
	buf_init(&signed_small, 1 << 20);
	if (sign_pes(&key, &po, small.data, small.len, &signed_small, &e)) {
		fprintf(stderr, "bench: %s %s\n", e.msg, e.detail);
		return 1;
	}
	printf("PES sizes: small %zu bytes, large %zu bytes; %.0f s per figure\n", small.len, big.len,
	       seconds);
	if (argc > 2 && !strcmp(argv[2], "pades"))
		return bench_pades();
	if (argc > 2 && strcmp(argv[2], "all")) {  /* one figure only: small, big or verify */
		printf("%s: %.2f/s\n", argv[2], rate(!strcmp(argv[2], "big") ? &big : !strcmp(argv[2],
		       "verify") ? &signed_small : &small, 1, !strcmp(argv[2], "verify")));
		return 0;
	}
	s1 = rate(&small, 1, 0);
	s1cpu = last_cpu_rate;
	printf("sign one-bordereau PES, 1 thread : %8.1f signatures/s (%.1f per CPU second)\n", s1,
	       s1cpu);
	s2 = rate(&small, 2, 0);
	printf("sign one-bordereau PES, 2 threads: %8.1f signatures/s\n", s2);
	b1 = rate(&big, 1, 0);
	printf("sign 5 MB PES, 1 thread          : %8.2f signatures/s\n", b1);
	b2 = rate(&big, 2, 0);
	printf("sign 5 MB PES, 2 threads         : %8.2f signatures/s\n", b2);
	v1 = rate(&signed_small, 1, 1);
	printf("verify one-bordereau PES, 1 thread: %7.1f verifications/s\n", v1);
	ossl = openssl_speed();
	printf("openssl speed -seconds 3 rsa2048 : %8.1f signs/s (openssl counts user CPU time)\n", ossl);
	if (ossl > 0)
		printf("ratio PES signing / openssl rsa2048 sign: %.2f per CPU second, %.2f wall clock "
		       "(target >= 0.6)\n", s1cpu / ossl, s1 / ossl);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS: %.1f MB\n", (double)ru.ru_maxrss / 1024);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", trust);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", trust);
	sign_key_fini(&key);
	buf_fini(&small);
	buf_fini(&big);
	buf_fini(&signed_small);
	return 0;
}
