/*
 * worker.h - the background worker pool of liassed.
 *
 * Each worker loops: open a transaction, claim the next ready job (FOR
 * UPDATE SKIP LOCKED), run its handler, mark it done or schedule a retry with
 * exponential backoff, commit.  The stop flag is read between jobs only, so
 * a job is never cut in the middle.
 */
#ifndef LIASSE_WORKER_H
#define LIASSE_WORKER_H

#include <stddef.h>

#include "core/err.h"
#include "store/store.h"

struct worker_pool;

/* A handler runs inside the claiming transaction. 0: done; an error: retried.
 * One that waits on a remote party (a webhook, an SMTP exchange) leases its
 * job (run_at in the future), commits, works outside any transaction (the
 * notifications also hand the connection back, store_lend) and begins a new
 * transaction before it returns. */
struct job_handler {
	const char *kind;
	int (*run)(struct store_conn *c, const struct job *j, struct lerr *e);
};

/* periodic (may be NULL) runs in every worker between jobs, at most once a
 * second per worker: housekeeping such as sealing the journal. */
int worker_pool_start(struct store *s, int n, const struct job_handler *handlers,
		      int (*periodic)(struct store_conn *c, struct lerr *e),
		      struct worker_pool **out, struct lerr *e) LERR_WUR;
/* Sets the stop flag, wakes the workers and waits for them. */
void worker_pool_stop(struct worker_pool *p);
/* How many workers are inside a job or the periodic task; what they are
 * doing, "; "-separated, in out (truncated to n).  Safe from any thread
 * while the pool runs (liassed's shutdown deadline logs it). */
int worker_pool_busy(struct worker_pool *p, char *out, size_t n);

#endif
