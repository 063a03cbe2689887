/*
 * s2low.c - an S²LOW-compatible tiers de télétransmission.  Not written
 * yet: an organisation configured with kind s2low gets a clear refusal.
 */
#include "transmit/xmit_int.h"

static int
s2low_prepare(struct xmit_job *x, struct lerr *e)
{
	(void)x;
	lerr_set(e, LERR_INVALID, "connector", "the S²LOW connector is not implemented in this version");
	lerr_hint(e, "configure the actes and helios connectors for this organisation instead");
	return LERR_INVALID;
}

static enum xmit_outcome
s2low_send(struct xmit_job *x, struct lerr *e)
{
	return s2low_prepare(x, e) ? XMIT_REFUSED : XMIT_REFUSED;
}

static int
s2low_reconcile(struct xmit_job *x, int *found, struct lerr *e)
{
	*found = XMIT_ABSENT;
	(void)x;
	(void)e;
	return 0;
}

const struct xmit_connector xmit_s2low = {
	.name = "s2low",
	.prepare = s2low_prepare,
	.send = s2low_send,
	.reconcile = s2low_reconcile,
};
