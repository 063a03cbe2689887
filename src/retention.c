/*
 * retention.c - the workers' purge of what is past its retention period:
 * feed events (as a prefix of the feed, so that a consumer within the
 * period sees no gap), finished webhook deliveries, finished jobs, expired
 * sessions, e-mail notifications no longer to send, Idempotency-Key records;
 * and the archiving of finished documents' files under their
 * organisation's policy (archive_run()).  Like xmit_periodic(): every retention_interval, cheap when it
 * is not time yet (one atomic read), one worker of the process at a time.
 * Each batch is its own short transaction (functions/80_retention.sql), so
 * no lock is held long; a run stops after MAX_BATCHES batches of a kind and
 * the next run, one worker idle period later, goes on.
 */
#include "retention.h"

#include <stdatomic.h>
#include <time.h>

#include "core/config.h"
#include "core/log.h"

#define MAX_BATCHES 50          /* per kind and run: a worker returns to its jobs */
#define ARCHIVE_BATCH 20        /* documents archived per run */

static atomic_llong next_run;

static const struct {
	enum store_purge what;
	const char *key, *name;
} kinds[] = {
	{ STORE_PURGE_EVENTS, "retention_events", "events" },
	{ STORE_PURGE_DELIVERIES, "retention_webhook_deliveries", "webhook deliveries" },
	{ STORE_PURGE_JOBS, "retention_jobs", "jobs" },
	{ STORE_PURGE_SESSIONS, "retention_sessions", "sessions" },
	{ STORE_PURGE_NOTIFICATIONS, "retention_notifications", "notifications" },
	{ STORE_PURGE_IDEMPOTENCY, "retention_idempotency", "idempotency keys" },
};

/* One kind: batches while they come back full; 1 when MAX_BATCHES ran. */
static int
purge_kind(struct store_conn *c, int k, int batch, long long *total, int *more, struct lerr *e)
{
	long long keep = config_int(kinds[k].key);
	int n = 0, i, rc = 0;

	*total = 0;
	for (i = 0; keep > 0 && i < MAX_BATCHES; i++) {
		if ((rc = store_retention_purge(c, kinds[k].what, keep, config_int("session_idle_timeout"),
						batch, &n, e)))
			break;
		*total += n;
		if (n < batch)
			break;
	}
	*more = i == MAX_BATCHES;
	return rc;
}

/* Documents due for archiving (their organisation's archive_after passed):
 * files copied to archive_dir, then state and chunks in one transaction each
 * (src/store/archive.c).  A document whose state changed meanwhile is left
 * for the next run; 1 when the batch came back full. */
static int
archive_run(struct store_conn *c, int *more, struct lerr *e)
{
	char ids[ARCHIVE_BATCH][37];
	int n = 0, done = 0, chunks, total = 0, rc;

	*more = 0;
	if (!*store_archive_dir())
		return 0;
	if ((rc = store_archive_due(c, ARCHIVE_BATCH, ids, &n, e)))
		return rc;
	for (int i = 0; !rc && i < n; i++) {
		rc = store_archive_document(c, ids[i], "retention", &chunks, e);
		if (rc == LERR_CONFLICT) {      /* it moved on since: next time */
			rc = 0;
			continue;
		}
		if (!rc) {
			done++;
			total += chunks;
		}
	}
	if (done)
		log_info("retention: %d document%s archived, %d chunks moved to %s", done, done == 1 ? "" : "s",
			 total, store_archive_dir());
	*more = n == ARCHIVE_BATCH;
	return rc;
}

int
retention_periodic(struct store_conn *c, struct lerr *e)
{
	long long now = (long long)time(NULL), due = atomic_load(&next_run);
	long long every = config_int("retention_interval"), n;
	int batch = (int)config_int("retention_batch"), more = 0, rc = 0;

	if (every <= 0 || now < due || !atomic_compare_exchange_strong(&next_run, &due, now + every))
		return 0;
	if (batch < 1)
		batch = 1000;
	for (size_t k = 0; !rc && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int m = 0;

		rc = purge_kind(c, (int)k, batch, &n, &m, e);
		if (n)
			log_info("retention: %lld %s purged (older than %llds)%s", n, kinds[k].name,
				 config_int(kinds[k].key), m ? ", more next time" : "");
		more |= m;
	}
	if (!rc) {
		int m = 0;

		rc = archive_run(c, &m, e);
		more |= m;
	}
	if (more)
		atomic_store(&next_run, now);   /* the next idle worker goes on */
	return rc;
}
