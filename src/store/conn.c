/* conn.c - the connection pool, transactions, the statement helper, migrations. */
#include "store/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct store {
	char *conninfo, *password;
	int poolsize, open;
	struct store_conn *free;
	int nfree, waiting;          /* idle connections; callers waiting for one */
	unsigned long long waits;    /* store_acquire calls that had to wait */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void
notice(void *arg, const char *msg)
{
	log_debug("postgres: %s", msg);
}

/* libpq's reason names the socket or the host: a private detail, which the
 * command line prints and the API logs but does not send. */
static void
connect_failed(PGconn *pg, struct lerr *e)
{
	lerr_set(e, LERR_UNAVAILABLE, NULL, "cannot connect to the database");
	lerr_detail(e, "%s", PQerrorMessage(pg));
	e->detail[strcspn(e->detail, "\n")] = '\0';
	e->detail_private = 1;
}

static int
connect_one(struct store *s, struct store_conn **out, struct lerr *e)
{
	const char *keys[4] = { "dbname", "application_name" }, *vals[4] = { s->conninfo, "liasse" };
	struct store_conn *c;
	PGconn *pg;

	if (s->password) {
		keys[2] = "password";
		vals[2] = s->password;
	}
	pg = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(pg) != CONNECTION_OK) {
		connect_failed(pg, e);
		lerr_hint(e, "check the \"database\" configuration key and that PostgreSQL is running");
		PQfinish(pg);
		return LERR_UNAVAILABLE;
	}
	PQsetNoticeProcessor(pg, notice, NULL);
	c = calloc(1, sizeof(*c));
	if (!c) {
		PQfinish(pg);
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	}
	c->pg = pg;
	c->owner = s;
	*out = c;
	return 0;
}

int
store_open(struct store **out, const char *conninfo, const char *password, int poolsize,
	   struct lerr *e)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s)
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	s->conninfo = strdup(conninfo);
	s->password = password && *password ? strdup(password) : NULL;
	s->poolsize = poolsize > 0 ? poolsize : 1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	*out = s;
	return 0;
}

void
store_close(struct store *s)
{
	if (!s)
		return;
	while (s->free) {
		struct store_conn *c = s->free;

		s->free = c->next;
		PQfinish(c->pg);
		free(c);
	}
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->conninfo);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

/*
 * An idle connection whose server went away (a restart, a crash, an
 * administrator's pg_terminate_backend) still says CONNECTION_OK until it is
 * used: the server's FATAL message and the end of the stream wait unread in
 * its socket.  Nothing else arrives on an idle pool connection (none
 * LISTENs), so one with anything to read is taken for dead and reset before
 * it is handed out: after a PostgreSQL restart every pooled connection is
 * replaced at its next use, rather than failing one request each.
 */
static int
idle_alive(PGconn *pg)
{
	struct pollfd p = { .fd = PQsocket(pg), .events = POLLIN };

	return PQstatus(pg) == CONNECTION_OK && p.fd >= 0 && poll(&p, 1, 0) == 0 &&
	       PQtransactionStatus(pg) == PQTRANS_IDLE;
}

/* c was pooled but is dead: a new session in its place, or c freed. */
static int
revive(struct store *s, struct store_conn *c, struct lerr *e)
{
	log_info("a pooled database connection was closed by the server; reconnecting");
	PQreset(c->pg);
	c->nprep = 0;   /* a new session has no prepared statements */
	c->in_txn = 0;
	if (PQstatus(c->pg) == CONNECTION_OK) {
		PQsetNoticeProcessor(c->pg, notice, NULL);
		return 0;
	}
	connect_failed(c->pg, e);
	lerr_hint(e, "check the \"database\" configuration key and that PostgreSQL is running");
	PQfinish(c->pg);
	free(c);
	pthread_mutex_lock(&s->lock);
	s->open--;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return LERR_UNAVAILABLE;
}

int
store_acquire(struct store *s, struct store_conn **out, struct lerr *e)
{
	struct store_conn *c;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&s->lock);
	if (!s->free && s->open >= s->poolsize) {
		s->waits++;
		s->waiting++;
		while (!s->free && s->open >= s->poolsize)
			pthread_cond_wait(&s->cond, &s->lock);
		s->waiting--;
	}
	c = s->free;
	if (c) {
		s->free = c->next;
		s->nfree--;
		pthread_mutex_unlock(&s->lock);
		c->next = NULL;
		if (!idle_alive(c->pg) && (rc = revive(s, c, e)))
			return rc;
		*out = c;
		return 0;
	}
	s->open++;
	pthread_mutex_unlock(&s->lock);
	rc = connect_one(s, out, e);
	if (rc) {
		pthread_mutex_lock(&s->lock);
		s->open--;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
	}
	return rc;
}

void
store_release(struct store *s, struct store_conn *c)
{
	if (!c)
		return;
	if (!c->pg) {                /* its session went back to the pool (store_lend) */
		free(c);
		return;
	}
	if (c->in_txn)
		store_rollback(c);
	pthread_mutex_lock(&s->lock);
	if (PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		PQfinish(c->pg);
		free(c);
		s->open--;
	} else {
		c->next = s->free;
		s->free = c;
		s->nfree++;
	}
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

int
store_lend(struct store_conn *c, int (*fn)(void *arg), void *arg, int *fn_rc, struct lerr *e)
{
	struct store_conn *lent, *back = NULL;
	int rc;

	if (c->in_txn || !c->pg)
		return lerr_set(e, LERR_INTERNAL, NULL, "a database session is lent inside a transaction");
	if (!(lent = malloc(sizeof(*lent))))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	*lent = *c;
	lent->next = NULL;
	c->pg = NULL;
	store_release(c->owner, lent);
	*fn_rc = fn(arg);
	if ((rc = store_acquire(c->owner, &back, e)))
		return rc;           /* c stays empty: its statements fail, store_release frees it */
	*c = *back;
	free(back);
	return 0;
}

void
store_pool_stats(struct store *s, struct store_pool_stats *out)
{
	pthread_mutex_lock(&s->lock);
	out->size = s->poolsize;
	out->open = s->open;
	out->idle = s->nfree;
	out->waiting = s->waiting;
	out->waits = s->waits;
	pthread_mutex_unlock(&s->lock);
}

/* A refusal raised on purpose by one of our SQL functions: SQLSTATE "LQnnn"
 * where nnn is the HTTP status; the message, hint and COLUMN (the request
 * field) are meant for the caller as they are. */
static int
map_refusal(PGresult *r, const char *state, struct lerr *e)
{
	static const struct { const char *code; enum lerr_kind kind; } map[] = {
		{ "LQ400", LERR_MALFORMED }, { "LQ403", LERR_FORBIDDEN }, { "LQ404", LERR_NOTFOUND },
		{ "LQ409", LERR_CONFLICT }, { "LQ422", LERR_INVALID }, { "LQ401", LERR_AUTH },
	};
	const char *hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
	const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	const char *field = PQresultErrorField(r, PG_DIAG_COLUMN_NAME);

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(state, map[i].code))
			continue;
		lerr_set(e, map[i].kind, field, "%s", PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
		if (detail)
			lerr_detail(e, "%s", detail);
		if (hint)
			lerr_hint(e, "%s", hint);
		return map[i].kind;
	}
	return 0;
}

/* SQLSTATEs of a database that cannot serve now but may in a moment: the
 * request was fine and the same one may succeed later (503, Retry-After).
 * The first match wins: exact codes before their class. */
static const char *
unavailable_why(const char *state)
{
	static const struct { const char *prefix, *why; } map[] = {
		{ "53100", "the database server's disk is full" },
		{ "53200", "the database server is out of memory" },
		{ "53300", "the database server has too many connections" },
		{ "53", "the database server lacks resources" },
		{ "08", "the connection to the database was lost" },
		{ "57P", "the database server is shutting down or restarting" },
	};

	for (size_t i = 0; state && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strncmp(state, map[i].prefix, strlen(map[i].prefix)))
			return map[i].why;
	return NULL;
}

/* PostgreSQL's own words name files, sockets, constraints and hosts: they go
 * to the log (whose lines carry the request), the caller gets the kind, the
 * SQLSTATE and a sentence of ours.  Integrity violations (23xxx) keep the
 * primary message: it is about the caller's data and names no file. */
static int
map_error(struct store_conn *c, PGresult *r, struct lerr *e)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *why = unavailable_why(state);
	enum lerr_kind kind;
	char full[512];

	if (state && !strncmp(state, "LQ", 2) && (kind = map_refusal(r, state, e)))
		return kind;
	snprintf(full, sizeof(full), "%s", msg ? msg : PQerrorMessage(c->pg));
	full[strcspn(full, "\n")] = '\0';
	kind = LERR_INTERNAL;
	if (PQstatus(c->pg) != CONNECTION_OK && !why)
		why = "the connection to the database was lost";
	if (why)
		kind = LERR_UNAVAILABLE;
	else if (state && !strcmp(state, "23505"))
		kind = LERR_CONFLICT;
	else if (state && !strcmp(state, "23502"))
		kind = LERR_INTERNAL;   /* a NULL we passed into NOT NULL: our bug, not the caller's */
	else if (state && !strncmp(state, "23", 2))
		kind = LERR_INVALID;
	lerr_set(e, kind, NULL, why ? "database unavailable" : "database error");
	if (state)
		snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", state);
	if (kind == LERR_CONFLICT || kind == LERR_INVALID) {
		lerr_detail(e, "%s", full);
		return kind;
	}
	if (why) {
		lerr_detail(e, "%s%s%s%s", why, state ? " (SQLSTATE " : "", state ? state : "",
			    state ? ")" : "");
		lerr_hint(e, "retry later");
	} else {
		lerr_detail(e, "the statement failed%s%s%s; the server's log has the details",
			    state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "");
	}
	log_error("sql failed (%s): %s", state ? state : "-", full);
	return kind;
}

/* The name of sql prepared on this connection ("s<n>"), preparing it on first
 * use; NULL when the cache is full (the statement then runs unprepared). */
static const char *
prepared(struct store_conn *c, const char *sql, int np, char *name, struct lerr *e, int *rc)
{
	PGresult *r;
	int i;

	*rc = 0;
	for (i = 0; i < c->nprep; i++)
		if (c->prep[i] == sql)
			break;
	snprintf(name, 16, "s%d", i);
	if (i < c->nprep)
		return name;
	if (c->nprep == STORE_MAX_PREPARED)
		return NULL;
	r = PQprepare(c->pg, name, sql, np, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		*rc = map_error(c, r, e);
		PQclear(r);
		return NULL;
	}
	PQclear(r);
	c->prep[c->nprep++] = sql;
	return name;
}

static int
exec_fmt(struct store_conn *c, const char *sql, const struct sqlp *p, int np, int resfmt,
	 PGresult **res, struct lerr *e)
{
	const char *vals[STORE_MAX_PARAMS], *stmt;
	int lens[STORE_MAX_PARAMS], fmts[STORE_MAX_PARAMS], rc;
	char name[16];
	PGresult *r;
	ExecStatusType st;

	if (np > STORE_MAX_PARAMS)
		return lerr_set(e, LERR_INTERNAL, NULL, "too many SQL parameters");
	if (!c->pg)
		return lerr_set(e, LERR_UNAVAILABLE, NULL, "no database session (it could not be taken back"
				" from the pool)");
	for (int i = 0; i < np; i++) {
		vals[i] = p[i].v;
		lens[i] = p[i].len < 0 ? 0 : p[i].len;
		fmts[i] = p[i].len < 0 ? 0 : 1;
	}
	stmt = prepared(c, sql, np, name, e, &rc);
	if (rc)
		return rc;
	r = stmt ? PQexecPrepared(c->pg, stmt, np, vals, lens, fmts, resfmt) :
		PQexecParams(c->pg, sql, np, NULL, vals, lens, fmts, resfmt);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		int kind = map_error(c, r, e);

		PQclear(r);
		return kind;
	}
	if (res)
		*res = r;
	else
		PQclear(r);
	return 0;
}

const char *
sq_lld(char buf[24], long long v)
{
	snprintf(buf, 24, "%lld", v);
	return buf;
}

int
sq_exec(struct store_conn *c, const char *sql, const struct sqlp *p, int np, PGresult **res,
	struct lerr *e)
{
	return exec_fmt(c, sql, p, np, 0, res, e);
}

int
sq_exec_bin(struct store_conn *c, const char *sql, const struct sqlp *p, int np,
	    PGresult **res, struct lerr *e)
{
	return exec_fmt(c, sql, p, np, 1, res, e);
}

const char *
sq_str(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int
store_begin(struct store_conn *c, struct lerr *e)
{
	int rc = sq_exec(c, "BEGIN", NULL, 0, NULL, e);

	if (!rc)
		c->in_txn = 1;
	return rc;
}

int
store_commit(struct store_conn *c, struct lerr *e)
{
	int rc = sq_exec(c, "COMMIT", NULL, 0, NULL, e);

	c->in_txn = 0;
	return rc;
}

void
store_rollback(struct store_conn *c)
{
	if (c->pg)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	c->in_txn = 0;
}

int
store_in_txn(const struct store_conn *c)
{
	return c->in_txn;
}

int
store_ping(struct store_conn *c, struct lerr *e)
{
	return sq_exec(c, "SELECT 1", NULL, 0, NULL, e);
}

/* A write that reaches the disk, kept nowhere (009_ready_probe.sql): a new
 * file for ready_probe and one block in it, rolled back.  Two probes at once
 * queue on the TRUNCATE's lock, for at most lock_timeout. */
int
store_write_probe(struct store_conn *c, struct lerr *e)
{
	int rc = store_begin(c, e);

	if (!rc)
		rc = sq_exec(c, "SET LOCAL lock_timeout = '2s'", NULL, 0, NULL, e);
	if (!rc)
		rc = sq_exec(c, "TRUNCATE ready_probe", NULL, 0, NULL, e);
	if (!rc)
		rc = sq_exec(c, "INSERT INTO ready_probe DEFAULT VALUES", NULL, 0, NULL, e);
	store_rollback(c);
	return rc;
}

/* ---- migrations ---- */

static int
sql_name_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && !strcmp(d->d_name + n - 4, ".sql") && d->d_name[0] != '.';
}

static char *
slurp(const char *path, struct lerr *e)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(text = malloc((size_t)n + 1)) || fread(text, 1, (size_t)n, f) != (size_t)n) {
		lerr_set(e, LERR_INTERNAL, NULL, "cannot read migration %s", path);
		lerr_detail(e, "%s", strerror(errno));
		free(text);
		text = NULL;
	} else {
		text[n] = '\0';
	}
	if (f)
		fclose(f);
	return text;
}

/* Runs the script dir/name (several statements: simple protocol, no
 * parameters).  A script of comments only is fine. */
static int
run_script(struct store_conn *c, const char *dir, const char *name, struct lerr *e)
{
	PGresult *rr;
	char path[4096];
	char *text;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(text = slurp(path, e)))
		return LERR_INTERNAL;
	rr = PQexec(c->pg, text);
	free(text);
	if (PQresultStatus(rr) != PGRES_COMMAND_OK && PQresultStatus(rr) != PGRES_TUPLES_OK &&
	    PQresultStatus(rr) != PGRES_EMPTY_QUERY) {
		rc = map_error(c, rr, e);
		snprintf(e->msg, sizeof(e->msg), "migration %.200s failed", name);
	}
	PQclear(rr);
	return rc;
}

static int
apply_one(struct store_conn *c, const char *dir, const char *name, int *applied, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_TEXT(name) };
	PGresult *r = NULL;
	int rc, done;

	rc = sq_exec(c, "SELECT 1 FROM schema_migration WHERE name = $1", p, 1, &r, e);
	if (rc)
		return rc;
	done = PQntuples(r) > 0;
	PQclear(r);
	if (done)
		return 0;
	if ((rc = run_script(c, dir, name, e)))
		return rc;
	rc = sq_exec(c, "INSERT INTO schema_migration (name) VALUES ($1)", p, 1, NULL, e);
	if (!rc) {
		(*applied)++;
		log_info("applied migration %s", name);
	}
	return rc;
}

static int
list_scripts(const char *dir, struct dirent ***names, struct lerr *e)
{
	int n = scandir(dir, names, sql_name_filter, alphasort);

	if (n < 0) {
		lerr_set(e, LERR_INTERNAL, NULL, "cannot list migrations in %s", dir);
		lerr_detail(e, "%s", strerror(errno));
		lerr_hint(e, "set LIASSE_SQLDIR to the schemas/sql directory");
	}
	return n;
}

/* Functions, triggers and views: every functions/NN_name.sql, in name order,
 * at every migration (CREATE OR REPLACE), after the numbered migrations.
 * Bodies are not checked at creation, so a function may call one defined
 * in a later file (pg_dump does the same). */
static int
recreate_functions(struct store_conn *c, const char *sqldir, struct lerr *e)
{
	struct dirent **names = NULL;
	char dir[4096], name[300];
	int n, rc;

	snprintf(dir, sizeof(dir), "%s/functions", sqldir);
	if ((n = list_scripts(dir, &names, e)) < 0)
		return LERR_INTERNAL;
	rc = sq_exec(c, "SET LOCAL check_function_bodies = off", NULL, 0, NULL, e);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "functions/%.256s", names[i]->d_name);
		if (!rc)
			rc = run_script(c, sqldir, name, e);
		free(names[i]);
	}
	free(names);
	return rc;   /* SET LOCAL ends with the migration's transaction */
}

int
store_migrate(struct store_conn *c, const char *sqldir, int *applied, struct lerr *e)
{
	struct dirent **names = NULL;
	int n, rc;

	*applied = 0;
	if ((n = list_scripts(sqldir, &names, e)) < 0)
		return LERR_INTERNAL;
	rc = store_begin(c, e);
	if (!rc)
		rc = sq_exec(c, "SELECT pg_advisory_xact_lock(7461636100)", NULL, 0, NULL, e);
	if (!rc)
		rc = sq_exec(c, "CREATE TABLE IF NOT EXISTS schema_migration ("
			     "name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
			     NULL, 0, NULL, e);
	for (int i = 0; i < n; i++) {
		if (!rc)
			rc = apply_one(c, sqldir, names[i]->d_name, applied, e);
		free(names[i]);
	}
	free(names);
	if (!rc)
		rc = recreate_functions(c, sqldir, e);
	if (!rc)
		rc = store_commit(c, e);
	else
		store_rollback(c);
	return rc;
}

int
sq_json(struct store_conn *c, const char *sql, const struct sqlp *p, int np, char **json,
	struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	if (json)
		*json = NULL;
	if ((rc = sq_exec(c, sql, p, np, &r, e)))
		return rc;
	if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
		rc = lerr_set(e, LERR_NOTFOUND, NULL, "not found");
	else if (json && !(*json = strdup(PQgetvalue(r, 0, 0))))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	PQclear(r);
	return rc;
}

int
sq_int(struct store_conn *c, const char *sql, const struct sqlp *p, int np, long long *out,
       struct lerr *e)
{
	PGresult *r = NULL;
	const char *v;
	int rc = sq_exec(c, sql, p, np, &r, e);

	if (rc)
		return rc;
	v = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "0";
	*out = !strcmp(v, "t") ? 1 : !strcmp(v, "f") ? 0 : atoll(v);
	PQclear(r);
	return 0;
}
