/*
 * xmit.h - transmission to the state platforms (@ctes, Hélios, an
 * S²LOW-compatible tiers de télétransmission) and the reading of what they
 * send back.  See src/transmit/README for the exactly-once protocol.
 *
 * liassed registers the two job handlers; the CLI calls xmit_connector_test.
 */
#ifndef LIASSE_XMIT_H
#define LIASSE_XMIT_H

#include <stddef.h>
#include <jansson.h>

#include "core/err.h"
#include "store/store.h"

struct buf;

#define XMIT_JOB "transmit"            /* one per document: send it, exactly once */
#define XMIT_CANCEL_JOB "cancel"       /* the 6-1 Annulation of an acknowledged act, exactly once */
#define XMIT_LETTER_JOB "letter_answer" /* an answer to a prefecture's letter (2-2, 3-2...), exactly once */

/* The job handler (struct job_handler of src/worker.h). */
int xmit_job_transmit(struct store_conn *c, const struct job *j, struct lerr *e) LERR_WUR;
/* The job of a document in 'cancelling' (cancel.c). */
int xmit_job_cancel(struct store_conn *c, const struct job *j, struct lerr *e) LERR_WUR;
/* The job of an answer to a letter of the prefecture (letters.c). */
int xmit_job_letter_answer(struct store_conn *c, const struct job *j, struct lerr *e) LERR_WUR;

/* Between jobs (liassed's periodic housekeeping; c outside a transaction):
 * every transmit_poll_interval, or at once after a send, read the return
 * channels of every connector and take up the transmissions a dead
 * process left half-sent.  Cheap when it is not time yet. */
int xmit_periodic(struct store_conn *c, struct lerr *e) LERR_WUR;

/* liassed stops: a poll under way returns between two items (what it has
 * read is committed, the rest is read by the next poll).  Any thread. */
void xmit_stop(void);

/* Reaches each configured connector of the organisation (login, directory
 * listing, TLS handshake with the pinned key) without sending anything;
 * report() gets one line per check.  0 when all succeeded. */
int xmit_connector_test(struct store_conn *c, const char *siren,
			void (*report)(void *arg, const char *kind, int ok, const char *line),
			void *arg, struct lerr *e) LERR_WUR;

/* ---- the connectors (connectors.c): what the web page and the CLI show ---- */

#define XMIT_SETTING_SECRET 1u   /* names a file holding a secret or a private key: shown masked */

/* A setting a connector takes ("liasse connector set ... key=value"). */
struct xmit_setting_info {
	const char *key;
	const char *help;            /* what it means, in French */
	unsigned flags;              /* XMIT_SETTING_SECRET */
};

struct xmit_connector_info {
	const char *name;            /* the connector kind: "actes", "helios", "s2low" */
	const char *label;           /* French: "Hélios (DGFiP)" */
	const struct xmit_setting_info *settings;   /* ended by a NULL key */
};

/* The i-th connector, NULL past the end. */
const struct xmit_connector_info *xmit_connector_at(size_t i);
/* The connector named name, or NULL. */
const struct xmit_connector_info *xmit_connector_info(const char *name);
/* All connector names joined by sep ("actes, helios, s2low"); static storage. */
const char *xmit_connector_names(const char *sep);
/* The setting key of ci, or NULL when it takes no such key. */
const struct xmit_setting_info *xmit_connector_setting(const struct xmit_connector_info *ci, const char *key);
/* Its keys joined by sep; static storage. */
const char *xmit_connector_keys(const struct xmit_connector_info *ci, const char *sep);
/* 1 when the value of key is not to be shown (a secret's file, or a key ci
 * does not know). */
int xmit_setting_masked(const struct xmit_connector_info *ci, const char *key);
/* 1 when ci carries documents of the kind (core/kind.c decides). */
int xmit_connector_carries(const struct xmit_connector_info *ci, const char *kind);
/* The connector a document of the kind goes through: the first of the
 * kind's connectors (core/kind.c, preferred first) that has(arg, name)
 * says the organisation has; NULL when none. */
const char *xmit_connector_pick(const char *kind, int (*has)(void *arg, const char *connector), void *arg);
/* LERR_INVALID (field "kind") for an unknown connector, (field "settings")
 * for a key it does not take; the hint lists what is known. */
int xmit_settings_check(const char *connector, json_t *settings, struct lerr *e) LERR_WUR;

/* The stamped act (stamp.c, doc/pades.md): the act's PDF (the PAdES-signed
 * one over the main file; file < 0) or its PDF annex number file, stamped
 * in an incremental update with S²LOW's lines, "Publié le" included when
 * known, from the stored ARActe.  published: dd/mm/yyyy (NULL: the act's
 * stored date, "" none).  LERR_NOTFOUND without that PDF or an ARActe,
 * LERR_INVALID when the PDF cannot be stamped.  name: <file>-tamponne.pdf. */
int xmit_stamp_make(struct store_conn *c, const char *doc_id, int file, const char *published,
		    struct buf *out, char name[256], struct lerr *e) LERR_WUR;
/* Stamps the act and its PDF annexes again (the publication date now
 * known): the files acte_tamponne and annexe_tamponnee replaced in place.
 * A PDF that cannot be stamped is logged. */
int xmit_restamp_acte(struct store_conn *c, const char *doc_id, struct lerr *e) LERR_WUR;

/* Records the act's publication date (YYYY-MM-DD: LERR_INVALID, field
 * "date", otherwise; the store refuses an act not acknowledged, a day
 * before its decision or after today) and stamps it again with "Publié le".
 * Inside the caller's transaction. */
int xmit_publish_acte(struct store_conn *c, const char *doc_id, const char *date, const char *actor,
		      struct lerr *e) LERR_WUR;
/* YYYY-MM-DD as dd/mm/yyyy into out: 1, or 0 when date is not a day. */
int xmit_publication_day(const char *date, char out[11]);

#endif
