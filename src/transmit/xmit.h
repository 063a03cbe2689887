/*
 * xmit.h - transmission to the state platforms (@ctes, Hélios, an
 * S²LOW-compatible tiers de télétransmission) and the reading of what they
 * send back.  See src/transmit/README for the exactly-once protocol.
 *
 * liassed registers the two job handlers; the CLI calls xmit_connector_test.
 */
#ifndef LIASSE_XMIT_H
#define LIASSE_XMIT_H

#include "core/err.h"
#include "store/store.h"

#define XMIT_JOB "transmit"            /* one per document: send it, exactly once */
#define XMIT_CANCEL_JOB "cancel"       /* the 6-1 Annulation of an acknowledged act, exactly once */

/* The job handler (struct job_handler of src/worker.h). */
int xmit_job_transmit(struct store_conn *c, const struct job *j, struct lerr *e) LERR_WUR;
/* The job of a document in 'cancelling' (cancel.c). */
int xmit_job_cancel(struct store_conn *c, const struct job *j, struct lerr *e) LERR_WUR;

/* Between jobs (liassed's periodic housekeeping; c outside a transaction):
 * every transmit_poll_interval, or at once after a send, read the return
 * channels of every connector and take up the transmissions a dead
 * process left half-sent.  Cheap when it is not time yet. */
int xmit_periodic(struct store_conn *c, struct lerr *e) LERR_WUR;

/* Reaches each configured connector of the organisation (login, directory
 * listing, TLS handshake with the pinned key) without sending anything;
 * report() gets one line per check.  0 when all succeeded. */
int xmit_connector_test(struct store_conn *c, const char *siren,
			void (*report)(void *arg, const char *kind, int ok, const char *line),
			void *arg, struct lerr *e) LERR_WUR;

#endif
