#include "worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"

#define IDLE_WAIT_MS 1000
#define MAX_BACKOFF_S 3600

/* What one worker thread is doing, for the log of an abandoned shutdown. */
struct worker {
	struct worker_pool *pool;
	pthread_t thread;
	char doing[128];             /* "" when idle; under pool->lock */
};

struct worker_pool {
	struct store *store;
	const struct job_handler *handlers;
	int (*periodic)(struct store_conn *c, struct lerr *e);
	int n;
	struct worker *threads;
	atomic_int stop;
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

static const struct job_handler *
handler_for(struct worker_pool *p, const char *kind)
{
	for (const struct job_handler *h = p->handlers; h && h->kind; h++)
		if (!strcmp(h->kind, kind))
			return h;
	return NULL;
}

static int
backoff(int attempts)
{
	int s = 5;

	while (attempts-- > 0 && s < MAX_BACKOFF_S)
		s *= 2;
	return s < MAX_BACKOFF_S ? s : MAX_BACKOFF_S;
}

static void
set_doing(struct worker *w, const char *what, long long id, const char *doc)
{
	pthread_mutex_lock(&w->pool->lock);
	if (!what)
		w->doing[0] = '\0';
	else if (id && doc && *doc)
		snprintf(w->doing, sizeof(w->doing), "%s job %lld (doc %s)", what, id, doc);
	else if (id)
		snprintf(w->doing, sizeof(w->doing), "%s job %lld", what, id);
	else
		snprintf(w->doing, sizeof(w->doing), "%s", what);
	pthread_mutex_unlock(&w->pool->lock);
}

/* One job, if any: 1 when a job ran, 0 when there was none, -1 on failure. */
static int
run_one(struct worker *w, struct store_conn *c)
{
	struct worker_pool *p = w->pool;
	const struct job_handler *h;
	struct job j;
	struct lerr e;
	int found = 0, rc;

	lerr_clear(&e);
	if ((rc = store_begin(c, &e)) || (rc = store_job_claim(c, &j, &found, &e)) || !found) {
		store_rollback(c);
		return rc ? -1 : 0;
	}
	log_set_context("job=%lld doc=%s", j.id, j.doc_id);
	set_doing(w, j.kind, j.id, j.doc_id);
	h = handler_for(p, j.kind);
	rc = h ? h->run(c, &j, &e) : lerr_set(&e, LERR_INTERNAL, NULL, "no handler for job kind %s", j.kind);
	if (rc) {
		char line[1200];

		lerr_oneline(&e, line, sizeof(line));
		log_warn("job %s failed (attempt %d): %s", j.kind, j.attempts + 1, line);
		store_rollback(c);   /* undo the handler's partial work, then record the failure */
		rc = store_begin(c, &e) || store_job_retry(c, j.id, line, backoff(j.attempts), &e);
	} else {
		rc = store_job_done(c, j.id, &e);
	}
	if (!rc)
		rc = store_commit(c, &e);
	set_doing(w, NULL, 0, NULL);
	log_set_context(NULL);
	return rc ? -1 : 1;
}

static void
idle(struct worker_pool *p, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&p->lock);
	if (!atomic_load(&p->stop))
		pthread_cond_timedwait(&p->wake, &p->lock, &ts);
	pthread_mutex_unlock(&p->lock);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct worker_pool *p = w->pool;

	while (!atomic_load(&p->stop)) {
		struct store_conn *c = NULL;
		struct lerr e;
		int ran;

		if (store_acquire(p->store, &c, &e)) {
			idle(p, 5 * IDLE_WAIT_MS);
			continue;
		}
		while ((ran = run_one(w, c)) > 0 && !atomic_load(&p->stop))
			;
		set_doing(w, "housekeeping (journal, events, platform returns)", 0, NULL);
		if (p->periodic && !atomic_load(&p->stop) && p->periodic(c, &e))
			log_warn("periodic task failed: %s %s", e.msg, e.detail);
		set_doing(w, NULL, 0, NULL);
		store_release(p->store, c);
		idle(p, ran < 0 ? 5 * IDLE_WAIT_MS : IDLE_WAIT_MS);
	}
	return NULL;
}

int
worker_pool_start(struct store *s, int n, const struct job_handler *handlers,
		  int (*periodic)(struct store_conn *c, struct lerr *e),
		  struct worker_pool **out, struct lerr *e)
{
	struct worker_pool *p = calloc(1, sizeof(*p));

	if (!p || !(p->threads = calloc((size_t)(n > 0 ? n : 1), sizeof(*p->threads)))) {
		free(p);
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	}
	p->store = s;
	p->handlers = handlers;
	p->periodic = periodic;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	for (int i = 0; i < n; i++) {
		p->threads[i].pool = p;
		if (pthread_create(&p->threads[i].thread, NULL, worker_main, &p->threads[i]) != 0)
			break;
		p->n++;
	}
	*out = p;
	return 0;
}

void
worker_pool_stop(struct worker_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	atomic_store(&p->stop, 1);
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->threads[i].thread, NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	free(p->threads);
	free(p);
}

int
worker_pool_busy(struct worker_pool *p, char *out, size_t n)
{
	size_t used = 0;
	int busy = 0;

	if (n)
		out[0] = '\0';
	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < p->n; i++) {
		if (!p->threads[i].doing[0])
			continue;
		if (used < n)
			used += (size_t)snprintf(out + used, n - used, "%s%s", busy ? "; " : "",
						 p->threads[i].doing);
		busy++;
	}
	pthread_mutex_unlock(&p->lock);
	return busy;
}
