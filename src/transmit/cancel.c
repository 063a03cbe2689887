/*
 * cancel.c - the annulation of an acknowledged act over @ctes: message 6-1
 * actes:Annulation (@IDActe, the act's), in its own archive (envelope
 * EnveloppeCLMISILL listing <IDActe>-6-1_0.xml, a new envelope number),
 * sent by the same HTTPS POST as the act (actes.c); the prefecture answers
 * 6-2 actes:ARAnnulation by e-mail (imap.c), which makes the document
 * 'cancelled'.  As S²LOW does (public.ssl/modules/actes/
 * actes_transac_cancel.php, ActesMessageMetier::generateXmlCancellationFile).
 *
 * Exactly once, as the first send, by once.c's flow: the archive is named
 * once (kept in cancellation.remote_name), 'sending' is committed before the
 * POST, the outcome recorded in a new transaction.  A job that finds the
 * cancellation 'sending' reads the mailbox first: a 6-2 about the act proves
 * the 6-1 arrived; without one the same archive is sent again only once
 * reconcile_wait has passed.
 *
 * An act sent through an S²LOW connector is cancelled by S²LOW itself
 * (xmit_s2low_cancel(): S²LOW builds and sends the 6-1); the S²LOW poll
 * follows its cancellation transaction to the 6-2 (s2low.c,
 * follow_cancels(); doc/actes-cancel.md).
 */
#include "transmit/xmit_int.h"

#include <string.h>

#include "core/log.h"

#define MSG_MAX (64u * 1024)

/* The 6-1 archive into x->spool: the envelope and the Annulation. */
static int
build(struct xmit_job *x, void *row, struct lerr *e)
{
	const char *idacte = ((struct cancel_row *)row)->s.idacte;
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

/* The mailbox first: a 6-2 about the act proves that the 6-1 arrived. */
static int
reconcile(struct xmit_job *x, void *row, int *found, struct lerr *e)
{
	struct cancel_row *k = row;
	struct xmit_poll p = { .c = x->c, .org_id = k->s.org_id, .siren = k->s.siren, .settings = x->settings };
	struct lerr why;
	int rc;

	lerr_clear(&why);
	if (xmit_setting(x->settings, "imap_url", NULL) && xmit_imap_poll(&p, &why)) {
		if (why.sqlstate[0])
			return *e = why, why.kind;
		log_warn("doc=%s: cannot read the mailbox yet: %s %s", x->t.doc_id, why.msg, why.detail);
	}
	if ((rc = store_cancel_load(x->c, x->t.doc_id, k, e)))
		return rc;
	if (strcmp(k->doc_state, "cancelling") || !strcmp(k->s.state, "acknowledged"))
		*found = XMIT_THERE;
	return 0;
}

/* One short API call, under the row lock: S²LOW creates a transaction of
 * its own and sends the 6-1 itself. */
static int
via_s2low(struct xmit_job *x, const struct xmit_once *o, void *row, struct lerr *e)
{
	struct act_send *s = &((struct cancel_row *)row)->s;
	char cancel_id[64] = "";
	struct lerr why;
	int rc;

	lerr_clear(&why);
	if (xmit_s2low_cancel(x->settings, s->remote_id, cancel_id, sizeof(cancel_id), &why))
		return why.kind == LERR_INVALID ? store_cancel_outcome(x->c, s->doc_id, "refused", why.msg, e) :
		       xmit_once_again(x, o, s, &why, e);
	snprintf(s->name, sizeof(s->name), "s2low:%s", cancel_id);
	log_info("doc=%s: S²LOW cancellation transaction %s created", x->t.doc_id, cancel_id);
	rc = store_cancel_start_send(x->c, s, 0, 0, e);
	return rc ? rc : store_cancel_outcome(x->c, s->doc_id, "sent", NULL, e);
}

/* Due while the document is 'cancelling' and its 6-1 not sent yet. */
static int
load(struct store_conn *c, const char *doc_id, void *row, int *due, struct lerr *e)
{
	struct cancel_row *k = row;
	int rc = store_cancel_load(c, doc_id, k, e);

	if (rc == LERR_NOTFOUND)
		return 0;
	*due = !rc && !strcmp(k->doc_state, "cancelling") && strcmp(k->s.state, "sent") &&
	       strcmp(k->s.state, "acknowledged");
	return rc;
}

static const struct xmit_once cancel_once = {
	.what = "annulation", .rowsize = sizeof(struct cancel_row), .load = load, .build = build,
	.reconcile = reconcile, .via_s2low = via_s2low, .sending = store_cancel_start_send,
	.settle = store_cancel_settle, .retry = store_cancel_retry_later,
};

int
xmit_job_cancel(struct store_conn *c, const struct job *j, struct lerr *e)
{
	return xmit_once_job(c, j, &cancel_once, e);
}
