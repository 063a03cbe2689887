/*
 * job.c - the job table.  A worker claims a ready job inside a transaction
 * with FOR UPDATE SKIP LOCKED and keeps the row lock while it works: if the
 * process dies the lock goes with the connection and another worker (of this
 * or another liassed) takes the job again.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
store_job_add(struct store_conn *c, const char *kind, const char *doc_id, struct lerr *e)
{
	struct sqlp p[2] = { SQLP_TEXT(kind), SQLP_TEXT(doc_id) };

	return sq_exec(c, "INSERT INTO job (kind, doc_id) VALUES ($1, $2::uuid)", p, 2, NULL, e);
}

int
store_job_claim(struct store_conn *c, struct job *out, int *found, struct lerr *e)
{
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT id, kind, coalesce(doc_id::text, ''), attempts FROM job"
			 " WHERE done_at IS NULL AND run_at <= now()"
			 " ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED", NULL, 0, &r, e);

	if (rc)
		return rc;
	*found = PQntuples(r) > 0;
	if (*found) {
		out->id = atoll(PQgetvalue(r, 0, 0));
		snprintf(out->kind, sizeof(out->kind), "%s", PQgetvalue(r, 0, 1));
		snprintf(out->doc_id, sizeof(out->doc_id), "%s", PQgetvalue(r, 0, 2));
		out->attempts = atoi(PQgetvalue(r, 0, 3));
	}
	PQclear(r);
	return 0;
}

int
store_job_done(struct store_conn *c, long long id, struct lerr *e)
{
	struct sqlp p[1] = { SQLP_INT(id) };
	return sq_exec(c, "UPDATE job SET done_at = now(), attempts = attempts + 1 WHERE id = $1",
		       p, 1, NULL, e);
}

int
store_job_retry(struct store_conn *c, long long id, const char *error, int delay_s, struct lerr *e)
{
	struct sqlp p[3] = { SQLP_INT(id), SQLP_TEXT(error), SQLP_INT(delay_s) };
	return sq_exec(c, "UPDATE job SET attempts = attempts + 1, last_error = $2,"
		       " run_at = now() + $3::int * interval '1 second' WHERE id = $1", p, 3, NULL, e);
}

int
sq_job_lease(struct store_conn *c, long long job_id, int lease_s, struct lerr *e)
{
	struct sqlp p[2] = { SQLP_INT(job_id), SQLP_INT(lease_s) };
	return sq_exec(c, "UPDATE job SET run_at = now() + $2::int * interval '1 second' WHERE id = $1::bigint",
		       p, 2, NULL, e);
}

int
sq_job_later(struct store_conn *c, const char *kind, const char *doc_id, const char *error, int delay_s,
	     struct lerr *e)
{
	struct sqlp p[4] = { SQLP_TEXT(kind), SQLP_TEXT(doc_id), SQLP_TEXT(error), SQLP_INT(delay_s) };
	return sq_exec(c, "INSERT INTO job (kind, doc_id, run_at, last_error)"
		       " VALUES ($1, $2::uuid, now() + $4::int * interval '1 second', $3)", p, 4, NULL, e);
}
