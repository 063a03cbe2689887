/*
 * once.c - the jobs that send an archive about an act already transmitted,
 * exactly once: the annulation 6-1 (cancel.c) and the answers to the
 * prefecture's letters (letters.c).  One flow, the first send's (README,
 * "Exactly once"): the row locked, an interrupted send reconciled, the
 * archive named once and spooled, 'sending' committed before the POST, the
 * outcome recorded in a new transaction, the backoff up to
 * transmit_max_tries.  A struct xmit_once (xmit_int.h) says what differs.
 */
#include "transmit/xmit_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"

int
xmit_once_again(struct xmit_job *x, const struct xmit_once *o, const struct act_send *s, const struct lerr *why,
		struct lerr *e)
{
	char line[1200];
	int delay = xmit_backoff_s(s->tries);

	lerr_oneline(why, line, sizeof(line));
	if (s->tries + 1 >= config_int("transmit_max_tries")) {
		log_warn("doc=%s: %s abandoned after %d attempts: %s", x->t.doc_id, o->what, s->tries + 1, line);
		return o->settle(x->c, s, "refused", NULL, line, e);
	}
	log_warn("doc=%s: %s: %s (attempt %d); next attempt in %ds", x->t.doc_id, o->what, line, s->tries + 1,
		 delay);
	return o->retry(x->c, s, line, delay, e);
}

int
xmit_once_settle(struct xmit_job *x, const struct xmit_once *o, const struct act_send *s, enum xmit_outcome out,
		 const char *name, const struct lerr *why, struct lerr *e)
{
	char line[1200];
	int rc;

	lerr_oneline(why, line, sizeof(line));
	switch (out) {
	case XMIT_SENT:
		log_info("doc=%s: %s sent as %s", x->t.doc_id, o->what, name ? name : s->name);
		return o->settle(x->c, s, "sent", name, NULL, e);
	case XMIT_REFUSED:
		log_warn("doc=%s: %s refused: %s", x->t.doc_id, o->what, line);
		return o->settle(x->c, s, "refused", NULL, line, e);
	case XMIT_UNSENT:
		if ((rc = o->settle(x->c, s, "new", NULL, NULL, e)))
			return rc;
		/* fall through */
	default:
		return xmit_once_again(x, o, s, why, e);
	}
}

/* 'sending' committed, the POST outside any transaction, the outcome in a
 * new one. */
static int
send_committed(struct xmit_job *x, const struct xmit_once *o, struct act_send *s, long long job_id,
	       struct lerr *e)
{
	enum xmit_outcome out;
	struct lerr why;
	int rc;

	snprintf(s->name, sizeof(s->name), "%s", x->t.remote_name);
	if ((rc = o->sending(x->c, s, job_id, xmit_lease_s(), e)) || (rc = store_commit(x->c, e)))
		return rc;
	log_info("doc=%s: sending the %s %s (send %d)", x->t.doc_id, o->what, s->name, s->sends + 1);
	lerr_clear(&why);
	rewind(x->spool);
	out = xmit_actes.send(x, &why);
	if ((rc = store_begin(x->c, e)))
		return rc;   /* the lease runs out, the next attempt reconciles */
	return xmit_once_settle(x, o, s, out, NULL, &why, e);
}

/* An interrupted send: the job's proof of arrival, else the same archive
 * again once reconcile_wait has passed. */
static int
reconcile(struct xmit_job *x, const struct xmit_once *o, void *row, int *found, struct lerr *e)
{
	const struct act_send *s = row;
	int rc;

	*found = XMIT_UNKNOWN;
	if (o->reconcile && (rc = o->reconcile(x, row, found, e)))
		return rc;
	if (*found != XMIT_THERE)
		*found = s->sending_age_s >= xmit_reconcile_wait(x->settings) ? XMIT_ABSENT : XMIT_UNKNOWN;
	log_info("doc=%s: interrupted %s %s reconciled: %s", x->t.doc_id, o->what, s->name,
		 *found == XMIT_THERE ? "answered" : *found == XMIT_ABSENT ? "not arrived, sending again" :
		 "cannot tell yet");
	return 0;
}

static int
settings_of(struct xmit_job *x, const char *kind, struct lerr *e)
{
	char *json = NULL;
	json_error_t jerr;
	int rc = store_connector_get(x->c, x->t.org_id, kind, &json, e);

	if (rc)
		return rc;
	x->settings = json_loads(json, 0, &jerr);
	free(json);
	return x->settings ? 0 : lerr_set(e, LERR_INTERNAL, NULL, "bad %s connector settings", kind);
}

/* The act went over @ctes (its IDActe known) or through S²LOW (its
 * transaction known). */
static int
transmitted(const struct act_send *s)
{
	return (!strcmp(s->connector, "actes") && s->idacte[0]) || (!strcmp(s->connector, "s2low") && s->remote_id[0]);
}

static int
run(struct xmit_job *x, const struct xmit_once *o, void *row, long long job_id, struct lerr *e)
{
	struct act_send *s = row;
	struct lerr why;
	int rc, found = XMIT_ABSENT;

	lerr_clear(&why);
	if (!transmitted(s)) {
		log_warn("doc=%s: %s given up: the act has no @ctes transmission", x->t.doc_id, o->what);
		return o->settle(x->c, s, "refused", NULL, "the act has no @ctes transmission", e);
	}
	if ((rc = store_org_get(x->c, s->siren, &x->org, e)))
		return rc;
	if (settings_of(x, s->connector, &why))
		return xmit_once_again(x, o, s, &why, e);
	if (!strcmp(s->connector, "s2low"))
		return o->via_s2low(x, o, row, e);
	snprintf(x->t.remote_name, sizeof(x->t.remote_name), "%s", s->name);
	if (!strcmp(s->state, "sending") && (rc = reconcile(x, o, row, &found, e)))
		return rc;
	if (found == XMIT_THERE)
		return 0;
	if (found == XMIT_UNKNOWN) {
		lerr_set(&why, LERR_UNAVAILABLE, NULL, "the platform has not told yet whether it has %s", s->name);
		return xmit_once_again(x, o, s, &why, e);
	}
	if (!(x->spool = tmpfile()))
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create a spool file");
	if ((rc = o->build(x, row, &why)))
		return why.kind == LERR_INVALID ? o->settle(x->c, s, "refused", NULL, why.msg, e) :
		       why.kind == LERR_UNAVAILABLE ? xmit_once_again(x, o, s, &why, e) : (*e = why, rc);
	return send_committed(x, o, s, job_id, e);
}

/* x's transmission named as the act's. */
static void
target(struct xmit_job *x, const struct act_send *s)
{
	snprintf(x->t.doc_id, sizeof(x->t.doc_id), "%s", s->doc_id);
	snprintf(x->t.siren, sizeof(x->t.siren), "%s", s->siren);
	snprintf(x->t.connector, sizeof(x->t.connector), "%s", s->connector);
	snprintf(x->t.kind, sizeof(x->t.kind), "acte");
	x->t.org_id = s->org_id;
}

int
xmit_once_job(struct store_conn *c, const struct job *j, const struct xmit_once *o, struct lerr *e)
{
	struct xmit_job *x = calloc(1, sizeof(*x));
	void *row = calloc(1, o->rowsize);
	int rc, due = 0;

	if (!x || !row) {
		free(x);
		free(row);
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	}
	x->c = c;
	x->timeout_s = (long)config_int("transmit_timeout");
	rc = o->load(c, j->doc_id, row, &due, e);
	if (!rc && due) {
		target(x, row);
		rc = run(x, o, row, j->id, e);
	}
	if (x->spool)
		fclose(x->spool);
	json_decref(x->settings);
	free(row);
	free(x);
	return rc;
}
