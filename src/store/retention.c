/* retention.c - one batch of a purge (functions/80_retention.sql), run as
 * its own transaction: the caller (src/retention.c) repeats it. */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>

int
store_retention_purge(struct store_conn *c, enum store_purge what, long long keep_s, long long idle_s,
		      int batch, int *n, struct lerr *e)
{
	static const char *const sql[] = {
		[STORE_PURGE_EVENTS] = "SELECT retention_purge_events($1::bigint * interval '1 second', $2::int)",
		[STORE_PURGE_DELIVERIES] = "SELECT retention_purge_deliveries($1::bigint * interval '1 second', $2::int)",
		[STORE_PURGE_JOBS] = "SELECT retention_purge_jobs($1::bigint * interval '1 second', $2::int)",
		[STORE_PURGE_SESSIONS] = "SELECT retention_purge_sessions($1::bigint * interval '1 second',"
					 " $3::bigint * interval '1 second', $2::int)",
		[STORE_PURGE_NOTIFICATIONS] = "SELECT retention_purge_notifications($1::bigint * interval '1 second',"
					      " $2::int)",
		[STORE_PURGE_IDEMPOTENCY] = "SELECT retention_purge_idempotency($1::bigint * interval '1 second',"
					    " $2::int)",
	};
	char keep[24], idle[24], lim[16];
	PGresult *r = NULL;
	int rc;

	*n = 0;
	snprintf(keep, sizeof(keep), "%lld", keep_s);
	snprintf(lim, sizeof(lim), "%d", batch);
	snprintf(idle, sizeof(idle), "%lld", idle_s);
	struct sqlp p[] = { SQLP_TEXT(keep), SQLP_TEXT(lim), SQLP_TEXT(idle) };
	rc = sq_exec(c, sql[what], p, what == STORE_PURGE_SESSIONS ? 3 : 2, &r, e);
	if (rc)
		return rc;
	*n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}
