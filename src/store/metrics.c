/*
 * metrics.c - the one query of a metrics scrape (http/metrics.c caches its
 * answer for a few seconds): documents by kind and state, pending jobs by
 * kind, transmissions in flight by connector and state, logins and
 * certificates locked now.  Jobs and transmissions are read through their
 * partial indexes (job_ready, transmission_open); documents are counted
 * whole, which is why the scraper caches.
 */
#include "store/store_int.h"

#include <stdlib.h>

static const char scrape_sql[] =
	"SELECT 'documents', kind::text, state::text, count(*) FROM document GROUP BY 2, 3"
	" UNION ALL SELECT 'jobs', kind, CASE WHEN run_at <= now() THEN 'ready' ELSE 'scheduled' END,"
	"  count(*) FROM job WHERE done_at IS NULL GROUP BY 2, 3"
	" UNION ALL SELECT 'transmissions', connector, state, count(*) FROM transmission"
	"  WHERE state IN ('sending', 'sent') GROUP BY 2, 3"
	" UNION ALL SELECT 'locked', 'login', '', count(*) FROM person"
	"  WHERE locked_at > now() - interval '15 minutes' AND disabled_at IS NULL"
	" UNION ALL SELECT 'locked', 'pin', '', count(*) FROM certificate"
	"  WHERE state <> 'revoked' AND (locked_at IS NOT NULL OR pin_failures >= 5)"
	" ORDER BY 1, 2, 3";

int
store_metrics_scrape(struct store_conn *c, store_metrics_row_fn *fn, void *arg, struct lerr *e)
{
	PGresult *r = NULL;
	int rc = sq_exec(c, scrape_sql, NULL, 0, &r, e);

	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r); i++)
		fn(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		   strtoll(PQgetvalue(r, i, 3), NULL, 10));
	PQclear(r);
	return 0;
}
