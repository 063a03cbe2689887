/*
 * ingest - how fast liassed takes in documents, against raw PostgreSQL.
 *
 * Phase 1: N threads, each with its own libcurl easy handle (kept-alive
 * connection), post `acte` documents whose main file is a PDF of SIZE bytes
 * (every file different: blobs are content-addressed) to
 * POST /api/v1/documents, and time every request.
 * Phase 2 (the baseline): N threads, each with its own libpq connection,
 * insert the same bytes as one bytea row per document into a scratch table,
 * each INSERT committed on its own (autocommit).
 * Both phases run for the same count (-n) or the same duration (-d); the
 * report gives documents/s, p50 and p99 latency of each and the ratio.
 *
 * First, WARM documents (-w, default 2000; 0: none) are posted through the
 * API untimed and the database analyzed, as autovacuum does within its first
 * minute: on tables never analyzed, the plans PL/pgSQL caches for the
 * session are those of empty tables (sequential scans), and every document
 * would cost more than the one before until autovacuum's first ANALYZE.
 * After each API phase, the jobs it queued (the acts' transmissions) are
 * left to finish before the raw phase starts, so that they do not run
 * during it; how long that took is reported, not counted.
 * With -P (the postmaster's pid) and -L (liassed's), the CPU time each
 * spent per document (the postmaster and all its children; liassed's
 * threads) is reported for both phases: a figure the machine's other load
 * disturbs less than throughput.
 *
 * Usage: ingest -u URL -k KEY -o SIREN -D CONNINFO [-c CLIENTS] [-n COUNT | -d SECONDS] [-s BYTES]
 *               [-P PID -L PID]
 * The same values may come from LIASSE_URL, LIASSE_KEY, LIASSE_ORG, LIASSE_DB.
 */
#include <dirent.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct opts {
	const char *url, *key, *org, *db;
	int clients, rounds;
	long warm;
	long pg_pid, liassed_pid;
	long count;          /* documents per phase, or 0 */
	double seconds;      /* duration per phase, when count is 0 */
	size_t size;
};

struct worker {
	const struct opts *o;
	int n;
	double *lat;         /* seconds per request */
	long done, cap, errors;
	char err[512];
};

static struct opts opt = { .clients = 8, .rounds = 3, .seconds = 10, .size = 100 * 1024, .warm = 2000 };
static atomic_long next_doc;
static double t_end;
static long phase_limit;   /* claim() stops at this document number (count mode) */
static int count_mode;     /* the phase runs for a count of documents, not a duration */
static char today[11];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Claims the next document number; -1 when the phase is over. */
static long
claim(void)
{
	long i = atomic_fetch_add(&next_doc, 1);

	if (count_mode ? i >= phase_limit : now() >= t_end)
		return -1;
	return i;
}

/* A PDF-looking file of opt.size bytes, unique per (phase, document), its
 * body pseudo-random like the compressed streams of real PDFs (so neither
 * side gains from PostgreSQL's TOAST compression). */
static void
fill_pdf(char *p, int phase, long i)
{
	static const char tail[] = "\n%%EOF\n";
	int n = snprintf(p, opt.size, "%%PDF-1.4\n%% liasse bench phase %d document %ld\n", phase, i);
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)phase << 56) ^ (uint64_t)i;
	size_t end = opt.size - (sizeof(tail) - 1);

	for (size_t k = n; k < end; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[k] = (char)(x >> 24);
	}
	memcpy(p + end, tail, sizeof(tail) - 1);
}

static void
record(struct worker *w, double dt)
{
	if (w->done == w->cap) {
		long cap = w->cap ? w->cap * 2 : 4096;
		double *l = realloc(w->lat, cap * sizeof(*l));

		if (!l) {
			perror("ingest: realloc");
			exit(1);
		}
		w->lat = l;
		w->cap = cap;
	}
	w->lat[w->done++] = dt;
}

static size_t
sink(char *p, size_t sz, size_t n, void *arg)
{
	struct worker *w = arg;
	size_t have = strlen(w->err);

	if (have + 1 < sizeof(w->err))
		snprintf(w->err + have, sizeof(w->err) - have, "%.*s", (int)(sz * n), p);
	return sz * n;
}

/* The act numbers of this run: @ctes (and liasse's door) refuse a second act
 * with the same number and date in one organisation, and one database may
 * see several runs a day (bench/scale runs 1 then 8 clients). */
static unsigned long run_id;

/* The multipart body of document i: metadata, then the PDF. */
static size_t
build_body(char *body, size_t cap, const char *pdf, int t, long i)
{
	size_t n = snprintf(body, cap,
		"--liassebench\r\nContent-Disposition: form-data; name=\"metadata\"\r\n"
		"Content-Type: application/json\r\n\r\n"
		"{\"kind\":\"acte\",\"organisation\":\"%s\",\"title\":\"Bench %d-%ld\",\"acte\":{"
		"\"nature\":1,\"numero_interne\":\"R%04lX_%d_%ld\",\"objet\":\"Benchmark\","
		"\"date_decision\":\"%s\",\"classification\":\"1.1\"}}\r\n"
		"--liassebench\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.pdf\"\r\n"
		"Content-Type: application/pdf\r\n\r\n", opt.org, t, i, run_id, t, i, today);

	memcpy(body + n, pdf, opt.size);
	n += opt.size;
	n += snprintf(body + n, cap - n, "\r\n--liassebench--\r\n");
	return n;
}

static void *
http_worker(void *arg)
{
	struct worker *w = arg;
	size_t cap = opt.size + 4096;
	char *pdf = malloc(opt.size), *body = malloc(cap), auth[256], url[1024];
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	long i, status;

	if (!pdf || !body || !c)
		goto out;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", opt.key);
	snprintf(url, sizeof(url), "%s/api/v1/documents", opt.url);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: multipart/form-data; boundary=liassebench");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	while ((i = claim()) >= 0) {
		size_t len;
		double t0;

		fill_pdf(pdf, 1, i);
		len = build_body(body, cap, pdf, w->n, i);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		w->err[0] = '\0';
		t0 = now();
		status = 0;
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status != 201) {
			if (!w->errors++)
				fprintf(stderr, "ingest: HTTP %ld: %.300s\n", status, w->err);
			continue;
		}
		record(w, now() - t0);
	}
out:
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(body);
	free(pdf);
	return NULL;
}

static void *
pg_worker(void *arg)
{
	struct worker *w = arg;
	char *pdf = malloc(opt.size);
	PGconn *conn = PQconnectdb(opt.db);
	long i;

	if (!pdf || PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "ingest: %s", PQerrorMessage(conn));
		w->errors++;
		goto out;
	}
	while ((i = claim()) >= 0) {
		const char *v[1] = { pdf };
		int len[1] = { (int)opt.size }, fmt[1] = { 1 };
		PGresult *r;
		double t0;

		fill_pdf(pdf, 2, i);
		t0 = now();
		r = PQexecParams(conn, "INSERT INTO liasse_bench_raw (data) VALUES ($1)", 1, NULL, v, len, fmt, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			if (!w->errors++)
				fprintf(stderr, "ingest: %s", PQerrorMessage(conn));
		} else {
			record(w, now() - t0);
		}
		PQclear(r);
	}
out:
	PQfinish(conn);
	free(pdf);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* CPU seconds (user + system) of process pid, or of pid and all its
 * children when tree is set (PostgreSQL's backends are the postmaster's
 * children); 0 when pid is 0. */
static double
cpu_of(long pid, int tree)
{
	DIR *d;
	struct dirent *de;
	double sum = 0;

	if (!pid || !(d = opendir("/proc")))
		return 0;
	while ((de = readdir(d))) {
		char path[64], buf[1024], *p;
		long self = strtol(de->d_name, &p, 10), ppid;
		unsigned long ut, st;
		FILE *f;

		if (*p || self <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", self);
		if (!(f = fopen(path, "r")))
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		/* after "pid (comm)": state ppid ... utime (14th field) stime (15th) */
		if (!p || sscanf(p + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				 &ppid, &ut, &st) != 3)
			continue;
		if (self == pid || (tree && ppid == pid))
			sum += (double)(ut + st) / sysconf(_SC_CLK_TCK);
	}
	closedir(d);
	return sum;
}

/* Waits (at most 120 s) until no job is left to run; returns the seconds. */
static double
drain_jobs(void)
{
	PGconn *c = PQconnectdb(opt.db);
	double t0 = now();

	while (PQstatus(c) == CONNECTION_OK && now() - t0 < 120) {
		PGresult *r = PQexec(c, "SELECT count(*) FROM job WHERE done_at IS NULL AND run_at <= now()");
		int left = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : 0;

		PQclear(r);
		if (!left)
			break;
		usleep(50000);
	}
	PQfinish(c);
	return now() - t0;
}

/* What one phase measured, summed over the rounds. */
struct result {
	double secs, *lat;
	double cpu_pg, cpu_liassed, drain;   /* CPU seconds; seconds to drain the jobs */
	long done, errors, cap;
	long next;           /* next document number of this phase */
};

static void
run_phase(void *(*fn)(void *), long count, double seconds, struct result *res)
{
	struct worker *w = calloc(opt.clients, sizeof(*w));
	pthread_t *th = calloc(opt.clients, sizeof(*th));
	double t0;

	if (!w || !th) {
		perror("ingest");
		exit(1);
	}
	double pg0 = cpu_of(opt.pg_pid, 1), l0 = cpu_of(opt.liassed_pid, 0);

	atomic_store(&next_doc, res->next);
	count_mode = count > 0;
	phase_limit = res->next + count;
	t0 = now();
	t_end = t0 + seconds;
	for (int i = 0; i < opt.clients; i++) {
		w[i].o = &opt;
		w[i].n = i;
		pthread_create(&th[i], NULL, fn, &w[i]);
	}
	for (int i = 0; i < opt.clients; i++)
		pthread_join(th[i], NULL);
	res->secs += now() - t0;
	if (fn == http_worker)
		res->drain += drain_jobs();
	res->cpu_pg += cpu_of(opt.pg_pid, 1) - pg0;
	res->cpu_liassed += cpu_of(opt.liassed_pid, 0) - l0;
	res->next = atomic_load(&next_doc);
	for (int i = 0; i < opt.clients; i++) {
		if (res->done + w[i].done > res->cap) {
			res->cap = 2 * (res->done + w[i].done);
			res->lat = realloc(res->lat, res->cap * sizeof(*res->lat));
			if (!res->lat) {
				perror("ingest");
				exit(1);
			}
		}
		memcpy(res->lat + res->done, w[i].lat, w[i].done * sizeof(*res->lat));
		res->done += w[i].done;
		res->errors += w[i].errors;
		free(w[i].lat);
	}
	free(th);
	free(w);
}

static void
report(const char *what, struct result *r)
{
	double p50 = 0, p99 = 0;

	qsort(r->lat, r->done, sizeof(*r->lat), cmp_double);
	if (r->done) {
		p50 = r->lat[(long)(0.50 * (r->done - 1))] * 1000;
		p99 = r->lat[(long)(0.99 * (r->done - 1))] * 1000;
	}
	printf("%s: %8.1f documents/s  p50 %7.2f ms  p99 %7.2f ms  (%ld ok, %ld errors, %.1f s)\n",
	       what, r->secs > 0 ? r->done / r->secs : 0, p50, p99, r->done, r->errors, r->secs);
	if (opt.pg_pid && r->done)
		printf("                CPU per document: PostgreSQL %.2f ms, liassed %.2f ms\n",
		       r->cpu_pg * 1000 / r->done, r->cpu_liassed * 1000 / r->done);
	if (r->drain > 0.05)
		printf("                jobs left after the phase ran %.1f s more (not counted)\n", r->drain);
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int
scratch_table(const char *sql)
{
	PGconn *c = PQconnectdb(opt.db);
	PGresult *r;
	int rc = 0;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "ingest: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	PQsetNoticeProcessor(c, quiet, NULL);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "ingest: %s", PQerrorMessage(c));
		rc = -1;
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: ingest -u URL -k KEY -o SIREN -D CONNINFO [-c CLIENTS] "
		"[-n COUNT | -d SECONDS] [-s BYTES] [-r ROUNDS] [-w WARM] [-P PID -L PID]\n");
	exit(2);
}

static void
parse_args(int argc, char **argv)
{
	int ch;

	opt.url = getenv("LIASSE_URL");
	opt.key = getenv("LIASSE_KEY");
	opt.org = getenv("LIASSE_ORG");
	opt.db = getenv("LIASSE_DB");
	while ((ch = getopt(argc, argv, "u:k:o:D:c:n:d:s:r:w:P:L:")) != -1) {
		switch (ch) {
		case 'u': opt.url = optarg; break;
		case 'k': opt.key = optarg; break;
		case 'o': opt.org = optarg; break;
		case 'D': opt.db = optarg; break;
		case 'c': opt.clients = atoi(optarg); break;
		case 'n': opt.count = atol(optarg); break;
		case 'd': opt.seconds = atof(optarg); break;
		case 's': opt.size = strtoul(optarg, NULL, 10); break;
		case 'r': opt.rounds = atoi(optarg); break;
		case 'w': opt.warm = atol(optarg); break;
		case 'P': opt.pg_pid = atol(optarg); break;
		case 'L': opt.liassed_pid = atol(optarg); break;
		default: usage();
		}
	}
	if (!opt.url || !opt.key || !opt.org || !opt.db || opt.clients < 1 || opt.clients > 1024 ||
	    opt.rounds < 1 || opt.rounds > 100 || opt.warm < 0 || opt.warm > 100000 ||
	    opt.size < 64 || opt.size > 64 * 1024 * 1024 || (!opt.count && opt.seconds <= 0))
		usage();
}

int
main(int argc, char **argv)
{
	struct result api = { 0 }, raw = { 0 };
	time_t t = time(NULL);
	struct tm tm;
	long count;
	double secs;

	parse_args(argc, argv);
	run_id = ((unsigned long)t ^ ((unsigned long)getpid() << 4)) & 0xFFFF;  /* R1A2B_3_45: 15 at most */
	gmtime_r(&t, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	count = opt.count / opt.rounds;
	secs = opt.seconds / opt.rounds;
	printf("ingest: %d clients, %zu-byte PDFs posted as acte documents, %d rounds of ", opt.clients,
	       opt.size, opt.rounds);
	if (opt.count)
		printf("%ld documents per phase\n", count);
	else
		printf("%.1f s per phase\n", secs);
	fflush(stdout);
	if (scratch_table("DROP TABLE IF EXISTS liasse_bench_raw; "
	    "CREATE TABLE liasse_bench_raw (id bigserial PRIMARY KEY, data bytea NOT NULL)"))
		return 1;
	if (opt.warm) {
		/* numbered from 900000: act numbers of their own (15 characters at most) */
		struct result w = { .next = 900000 };

		run_phase(http_worker, opt.warm, 0, &w);
		if (w.errors || scratch_table("ANALYZE"))
			return 1;
		printf("warm-up       : %ld documents posted in %.1f s (not counted), then ANALYZE\n",
		       w.done, w.secs);
		free(w.lat);
	}
	/* Alternate the phases so that a change in the machine's load hits both. */
	for (int r = 0; r < opt.rounds; r++) {
		run_phase(http_worker, count, secs, &api);
		run_phase(pg_worker, count, secs, &raw);
	}
	report("liassed API   ", &api);
	report("raw PostgreSQL", &raw);
	if (scratch_table("DROP TABLE liasse_bench_raw"))
		return 1;
	printf("ratio         : %.2f (issue 17: >= 0.75 at 8 clients, >= 0.7 at 1)\n",
	       raw.done && api.secs ? (api.done / api.secs) / (raw.done / raw.secs) : 0);
	free(api.lat);
	free(raw.lat);
	curl_global_cleanup();
	return api.errors || raw.errors ? 1 : 0;
}
