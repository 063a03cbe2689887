/* store_int.h - private to store/: connections and the statement helper. */
#ifndef LIASSE_STORE_INT_H
#define LIASSE_STORE_INT_H

#include <libpq-fe.h>

#include "store/store.h"

#define STORE_MAX_PREPARED 64
#define STORE_MAX_PARAMS 24

/* A connection remembers the statements it prepared, by the address of
 * their SQL text: every statement of store/ is a string literal. */
struct store_conn {
	PGconn *pg;                  /* NULL: lent to the pool and not taken back (store_lend) */
	struct store *owner;
	int in_txn;
	int nprep;
	const char *prep[STORE_MAX_PREPARED];
	struct store_conn *next;
};

/* One parameter: text (len < 0) or binary bytes. */
struct sqlp {
	const char *v;
	int len;
};
#define SQLP_TEXT(s) ((struct sqlp){ (s), -1 })
#define SQLP_BIN(p, n) ((struct sqlp){ (const char *)(p), (int)(n) })
/* An integer as a text parameter: its digits in a compound literal, which
 * lives as long as the block of the array it is written in. */
#define SQLP_INT(v) SQLP_TEXT(sq_lld((char[24]){ 0 }, (long long)(v)))
const char *sq_lld(char buf[24], long long v);

/* Runs sql with parameters; *res (may be NULL) gets the result, which the
 * caller PQclear()s.  Maps failures to lerr kinds (unique violation ->
 * LERR_CONFLICT, connection loss, SQLSTATE 08/57P/53 -> LERR_UNAVAILABLE,
 * else LERR_INTERNAL); PostgreSQL's message goes to the log, not e->detail. */
int sq_exec(struct store_conn *c, const char *sql, const struct sqlp *p, int np,
	    PGresult **res, struct lerr *e) LERR_WUR;
/* Same, binary result format (for bytea reads). */
int sq_exec_bin(struct store_conn *c, const char *sql, const struct sqlp *p, int np,
		PGresult **res, struct lerr *e) LERR_WUR;
const char *sq_str(PGresult *r, int row, int col);  /* NULL when SQL NULL */
/* An optional text parameter: NULL (SQL NULL) for NULL or "". */
static inline const char *
sq_opt(const char *s)
{
	return s && *s ? s : NULL;
}
/* Runs sql returning one row of one text (JSON) value, into *json (malloc'd,
 * NULL on failure; json may be NULL to ignore it).  No row or NULL:
 * LERR_NOTFOUND. */
int sq_json(struct store_conn *c, const char *sql, const struct sqlp *p, int np, char **json,
	    struct lerr *e) LERR_WUR;
/* Runs sql returning one row of one integer or boolean value ('t' is 1,
 * 'f' and SQL NULL are 0) into *out. */
int sq_int(struct store_conn *c, const char *sql, const struct sqlp *p, int np, long long *out,
	   struct lerr *e) LERR_WUR;

/* The first column of sql's first row into doc_id ("" when no row). */
int sq_doc_id(struct store_conn *c, const char *sql, const struct sqlp *p, int np, char doc_id[37],
	      struct lerr *e) LERR_WUR;

/* The exactly-once sends' bookkeeping of their jobs (job.c): job job_id
 * kept out of reach for lease_s seconds while its send runs; a new job of
 * kind for doc_id in delay_s seconds, error its last one. */
int sq_job_lease(struct store_conn *c, long long job_id, int lease_s, struct lerr *e) LERR_WUR;
int sq_job_later(struct store_conn *c, const char *kind, const char *doc_id, const char *error, int delay_s,
		 struct lerr *e) LERR_WUR;
/* The columns of a struct act_send from column col of row 0 of r, in this
 * order: org_id, siren, connector, remote_id, idacte, state, name, sends,
 * tries, sending_age_s (cancel.c). */
void sq_act_send(PGresult *r, int col, const char *doc_id, struct act_send *s);

#endif
