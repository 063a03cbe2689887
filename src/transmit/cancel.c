/*
 * cancel.c - the annulation of an acknowledged act over @ctes: message 6-1
 * actes:Annulation (@IDActe, the act's), in its own archive (envelope
 * EnveloppeCLMISILL listing <IDActe>-6-1_0.xml, a new envelope number),
 * sent by the same HTTPS POST as the act (actes.c); the prefecture answers
 * 6-2 actes:ARAnnulation by e-mail (imap.c), which makes the document
 * 'cancelled'.  As S²LOW does (public.ssl/modules/actes/
 * actes_transac_cancel.php, ActesMessageMetier::generateXmlCancellationFile).
 *
 * Exactly once, as the first send (README): in the job's transaction the
 * archive is named once (kept in cancellation.remote_name) and built into a
 * spool; 'sending' is committed before the POST; the outcome is recorded in
 * a new transaction.  A job that finds the cancellation 'sending' reads the
 * mailbox first: a 6-2 about the act proves the 6-1 arrived; without one the
 * same archive is sent again only once reconcile_wait has passed.
 *
 * An act sent through an S²LOW connector is cancelled by S²LOW itself
 * (xmit_s2low_cancel(): S²LOW builds and sends the 6-1); the S²LOW poll
 * follows its cancellation transaction to the 6-2 (s2low.c,
 * follow_cancels(); doc/actes-cancel.md).
 */
#include "transmit/xmit_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/log.h"

#define MSG_MAX (64u * 1024)

/* The 6-1 archive into x->spool: the envelope and the Annulation. */
static int
build(struct xmit_job *x, const char *idacte, struct lerr *e)
{
	struct buf msg;
	char form[192];
	int rc;

	buf_init(&msg, MSG_MAX);
	snprintf(form, sizeof(form), "%s-6-1_0.xml", idacte);
	if (buf_printf(&msg, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<actes:Annulation " XMIT_ACTES_NS
		       " actes:IDActe=\"%s\"/>\n", idacte))
		rc = lerr_set(e, LERR_INVALID, NULL, "the @ctes annulation is too large");
	else
		rc = xmit_actes_archive_one(x, form, &msg, e);
	buf_fini(&msg);
	return rc;
}

static int
again(struct xmit_job *x, const struct cancel_row *k, const struct lerr *why, struct lerr *e)
{
	char line[1200];
	int delay = xmit_backoff_s(k->tries);

	lerr_oneline(why, line, sizeof(line));
	if (k->tries + 1 >= config_int("transmit_max_tries")) {
		log_warn("doc=%s: annulation abandoned after %d attempts: %s", x->t.doc_id, k->tries + 1, line);
		return store_cancel_outcome(x->c, x->t.doc_id, "refused", line, e);
	}
	log_warn("doc=%s: annulation: %s (attempt %d); next attempt in %ds", x->t.doc_id, line, k->tries + 1,
		 delay);
	return store_cancel_retry_later(x->c, x->t.doc_id, line, delay, e);
}

/* 'sending' committed, the POST outside any transaction, the outcome in a
 * new one. */
static int
send_committed(struct xmit_job *x, struct cancel_row *k, long long job_id, struct lerr *e)
{
	enum xmit_outcome out;
	struct lerr why;
	char line[1200];
	int rc;

	snprintf(k->remote_name, sizeof(k->remote_name), "%s", x->t.remote_name);
	if ((rc = store_cancel_start_send(x->c, k, job_id, xmit_lease_s(), e)) || (rc = store_commit(x->c, e)))
		return rc;
	log_info("doc=%s: sending the annulation %s (send %d)", x->t.doc_id, k->remote_name, k->sends + 1);
	lerr_clear(&why);
	rewind(x->spool);
	out = xmit_actes.send(x, &why);
	if ((rc = store_begin(x->c, e)))
		return rc;   /* the lease runs out, the next attempt reconciles */
	switch (out) {
	case XMIT_SENT:
		log_info("doc=%s: annulation sent as %s", x->t.doc_id, k->remote_name);
		return store_cancel_outcome(x->c, x->t.doc_id, "sent", NULL, e);
	case XMIT_REFUSED:
		lerr_oneline(&why, line, sizeof(line));
		log_warn("doc=%s: annulation refused: %s", x->t.doc_id, line);
		return store_cancel_outcome(x->c, x->t.doc_id, "refused", line, e);
	case XMIT_UNSENT:
		if ((rc = store_cancel_outcome(x->c, x->t.doc_id, "new", NULL, e)))
			return rc;
		/* fall through */
	default:
		return again(x, k, &why, e);
	}
}

/* An interrupted send: the mailbox first (a 6-2 proves arrival). */
static int
reconcile(struct xmit_job *x, struct cancel_row *k, int *found, struct lerr *e)
{
	struct xmit_poll p = { .c = x->c, .org_id = k->org_id, .siren = k->siren, .settings = x->settings };
	struct lerr why;
	int rc;

	lerr_clear(&why);
	*found = XMIT_UNKNOWN;
	if (xmit_setting(x->settings, "imap_url", NULL) && xmit_imap_poll(&p, &why)) {
		if (why.sqlstate[0])
			return *e = why, why.kind;
		log_warn("doc=%s: cannot read the mailbox yet: %s %s", x->t.doc_id, why.msg, why.detail);
	}
	if ((rc = store_cancel_load(x->c, x->t.doc_id, k, e)))
		return rc;
	if (strcmp(k->doc_state, "cancelling") || !strcmp(k->state, "acknowledged"))
		*found = XMIT_THERE;
	else if (k->sending_age_s >= xmit_reconcile_wait(x->settings))
		*found = XMIT_ABSENT;
	log_info("doc=%s: interrupted annulation %s reconciled: %s", x->t.doc_id, k->remote_name,
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

/* Through S²LOW: one API call; S²LOW sends the 6-1 itself. */
static int
via_s2low(struct xmit_job *x, struct cancel_row *k, struct lerr *e)
{
	char cancel_id[64] = "";
	struct lerr why;

	lerr_clear(&why);
	/* one short API call, under the row lock: S²LOW creates a transaction
	 * of its own and sends the 6-1 itself */
	if (xmit_s2low_cancel(x->settings, k->remote_id, cancel_id, sizeof(cancel_id), &why))
		return why.kind == LERR_INVALID ? store_cancel_outcome(x->c, x->t.doc_id, "refused", why.msg, e) :
		       again(x, k, &why, e);
	snprintf(x->t.remote_name, sizeof(x->t.remote_name), "s2low:%s", cancel_id);
	snprintf(k->remote_name, sizeof(k->remote_name), "%s", x->t.remote_name);
	log_info("doc=%s: S²LOW cancellation transaction %s created", x->t.doc_id, cancel_id);
	int rc = store_cancel_start_send(x->c, k, 0, 0, e);

	return rc ? rc : store_cancel_outcome(x->c, x->t.doc_id, "sent", NULL, e);
}

static int
cancel(struct xmit_job *x, struct cancel_row *k, long long job_id, struct lerr *e)
{
	struct lerr why;
	int rc, found = XMIT_ABSENT;

	lerr_clear(&why);
	if (!k->connector[0] || (!strcmp(k->connector, "actes") && !k->idacte[0]) ||
	    (!strcmp(k->connector, "s2low") && !k->remote_id[0])) {
		log_warn("doc=%s: annulation given up: the act has no @ctes transmission", x->t.doc_id);
		return store_cancel_outcome(x->c, x->t.doc_id, "refused", "the act has no @ctes transmission", e);
	}
	if ((rc = store_org_get(x->c, k->siren, &x->org, e)))
		return rc;
	if (settings_of(x, k->connector, &why))
		return again(x, k, &why, e);
	if (!strcmp(k->connector, "s2low"))
		return via_s2low(x, k, e);
	if (strcmp(k->connector, "actes"))
		return store_cancel_outcome(x->c, x->t.doc_id, "refused", "not an @ctes transmission", e);
	snprintf(x->t.remote_name, sizeof(x->t.remote_name), "%s", k->remote_name);
	if (!strcmp(k->state, "sending") && (rc = reconcile(x, k, &found, e)))
		return rc;
	if (found == XMIT_THERE)
		return 0;
	if (found == XMIT_UNKNOWN) {
		lerr_set(&why, LERR_UNAVAILABLE, NULL, "the platform has not told yet whether it has %s",
			 k->remote_name);
		return again(x, k, &why, e);
	}
	if (!(x->spool = tmpfile()))
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot create a spool file");
	if ((rc = build(x, k->idacte, &why)))
		return why.kind == LERR_INVALID ? store_cancel_outcome(x->c, x->t.doc_id, "refused", why.msg, e) :
		       (*e = why, rc);
	return send_committed(x, k, job_id, e);
}

static int
cancel_job(struct xmit_job *x, void *row, const struct job *j, struct lerr *e)
{
	struct cancel_row *k = row;
	int rc = store_cancel_load(x->c, j->doc_id, k, e);

	if (rc == LERR_NOTFOUND)
		return 0;
	if (rc || strcmp(k->doc_state, "cancelling") || !strcmp(k->state, "sent") ||
	    !strcmp(k->state, "acknowledged"))
		return rc;
	xmit_act_target(x, k->doc_id, k->siren, k->connector, k->org_id);
	return cancel(x, k, j->id, e);
}

int
xmit_job_cancel(struct store_conn *c, const struct job *j, struct lerr *e)
{
	return xmit_act_job(c, j, sizeof(struct cancel_row), cancel_job, e);
}
