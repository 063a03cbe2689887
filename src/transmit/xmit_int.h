/*
 * xmit_int.h - private to transmit/: the connector interface, the job of
 * one transmission, curl and settings helpers, the archive writer.
 */
#ifndef LIASSE_XMIT_INT_H
#define LIASSE_XMIT_INT_H

#include <stdint.h>
#include <stdio.h>
#include <curl/curl.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"
#include "transmit/xmit.h"

/* What a send came to. */
enum xmit_outcome {
	XMIT_SENT = 0,     /* the platform took it */
	XMIT_REFUSED,      /* the platform said no for good: the document fails */
	XMIT_UNSENT,       /* certainly not taken (no connection, login refused): retry */
	XMIT_UNCERTAIN,    /* maybe taken (timeout, cut, server error after the upload): reconcile */
};

/* What reconciliation found out about an interrupted send. */
enum xmit_found {
	XMIT_THERE = 1,    /* the platform has it: it was sent */
	XMIT_ABSENT = 0,   /* it has not: send again (same name) */
	XMIT_UNKNOWN = -1, /* cannot tell yet: ask again later */
};

/* One transmission in progress. */
struct xmit_job {
	struct store_conn *c;
	struct xmit_row t;
	struct org org;
	json_t *settings;
	FILE *spool;                 /* the bytes to send (PES, or the @ctes archive) */
	long long spool_size;
	long timeout_s;
	void *priv;                  /* the connector's own state for this job */
	void (*priv_free)(void *priv);
};

/* One organisation's connector, for reading its return channel or testing it. */
struct xmit_poll {
	struct store_conn *c;
	long long org_id;
	const char *siren;
	json_t *settings;
	void (*report)(void *arg, const char *kind, int ok, const char *line);
	void *arg;
	int handled;                 /* returns attached during this poll */
};

/* A connector: httpd's procs[] (see xmit.c's table). */
struct xmit_connector {
	const char *name;
	/* Names the transmission when it has no name yet (remote_name,
	 * match_key), then spools what will be sent into x->spool.  Runs in
	 * the job's transaction, before the send is recorded. */
	int (*prepare)(struct xmit_job *x, struct lerr *e);
	/* Sends x->spool; no transaction is open.  e says why when not SENT. */
	enum xmit_outcome (*send)(struct xmit_job *x, struct lerr *e);
	/* After an interrupted send; *found is an enum xmit_found. */
	int (*reconcile)(struct xmit_job *x, int *found, struct lerr *e);
	/* Reads the return channel; attaches what came back. */
	int (*poll)(struct xmit_poll *p, struct lerr *e);
	/* Reaches the platform without sending anything. */
	int (*test)(struct xmit_poll *p, struct lerr *e);
};

extern const struct xmit_connector xmit_helios, xmit_actes, xmit_s2low;

/* The connector's functions by its name (connectors.c), or NULL. */
const struct xmit_connector *xmit_connector_named(const char *name);

/* ---- settings (xmit.c) ---- */
const char *xmit_setting(json_t *settings, const char *key, const char *def);
/* The secret in the file named by settings[key] (mode 0600), "" when unset. */
int xmit_setting_secret(json_t *settings, const char *key, char *out, size_t n, struct lerr *e) LERR_WUR;

/* Seconds an interrupted send waits for proof of arrival before it is
 * sent again: the setting reconcile_wait, else transmit_reconcile_wait. */
long long xmit_reconcile_wait(json_t *settings);

/* ---- curl (xmit.c) ---- */
struct xmit_curl {
	CURL *h;
	struct curl_slist *list;
	char errbuf[CURL_ERROR_SIZE];
	char userpwd[600];
	struct buf body;             /* what came back */
};
/* A handle with the common options: protocols, timeouts, no signals, TLS
 * verification on, CA file / client certificate / pinned key from the
 * settings keys prefix+"cacert", "cert", "key", "pin"; user and password
 * from prefix+"user", prefix+"password_file". */
int xmit_curl_open(struct xmit_curl *xc, json_t *settings, const char *prefix, const char *protocols,
		   long timeout_s, size_t body_max, struct lerr *e) LERR_WUR;
void xmit_curl_close(struct xmit_curl *xc);
/* Turns a failed perform into an lerr (detail: curl's message, the last
 * server answer code). */
int xmit_curl_error(struct xmit_curl *xc, CURLcode cc, const char *what, struct lerr *e);
/* 1 when cc means nothing can have reached the platform. */
int xmit_curl_unsent(CURLcode cc);

/* ---- returns (xmit.c) ---- */
/* A file from the platform about a document: attached (role ack, anomaly,
 * letter) and, verdict 1 / 0, the document acknowledged / refused with
 * reason (-1: no change of state). */
int xmit_returned(struct store_conn *c, const char *doc_id, const char *role, const char *name,
		  const char *media_type, const void *data, size_t len, int verdict, const char *reason,
		  struct lerr *e) LERR_WUR;
/* UTF-8 from ISO-8859-1 (out is NUL-terminated, truncated at n). */
void xmit_latin1_to_utf8(const char *in, char *out, size_t n);
/* ISO-8859-1 from UTF-8; -1 when a character has no Latin-1 form. */
int xmit_utf8_to_latin1(const char *in, struct buf *out);

/* A PES_ACQUIT (helios.c): *accepted 1 when every EtatAck is 1, else 0 and
 * reason (n bytes) names each KO DomaineAck with its NumAnoAck and
 * LibelleAnoAck; nomfic (128 bytes) the acknowledged NomFic. */
int xmit_acquit_read(const void *data, size_t len, int *accepted, char *reason, size_t n, char *nomfic,
		     struct lerr *e) LERR_WUR;

/* ---- archives (tgz.c) ---- */
struct xmit_tgz;
int xmit_tgz_open(struct xmit_tgz **out, FILE *f, struct lerr *e) LERR_WUR;
int xmit_tgz_begin(struct xmit_tgz *t, const char *name, unsigned long long size, long long mtime,
		   struct lerr *e) LERR_WUR;
int xmit_tgz_write(struct xmit_tgz *t, const void *p, size_t n, struct lerr *e) LERR_WUR;
int xmit_tgz_end(struct xmit_tgz *t, struct lerr *e) LERR_WUR;
int xmit_tgz_add(struct xmit_tgz *t, const char *name, const void *p, size_t n, long long mtime,
		 struct lerr *e) LERR_WUR;
/* Finishes the stream (e NULL: abandons it) and frees t. */
int xmit_tgz_close(struct xmit_tgz *t, struct lerr *e);
int xmit_tgz_each(const void *gz, size_t n,
		  int (*fn)(void *arg, const char *name, const void *data, size_t len), void *arg,
		  struct lerr *e) LERR_WUR;

/* ---- spooling a stored file (xmit.c) ---- */
int xmit_spool_blob(struct store_conn *c, long long blob_id, int nchunks, FILE *f,
		    void (*each)(void *arg, const void *p, size_t n), void *arg, struct lerr *e) LERR_WUR;

/* ---- @ctes returns (imap.c) ---- */
int xmit_imap_poll(struct xmit_poll *p, struct lerr *e) LERR_WUR;
int xmit_imap_test(struct xmit_poll *p, struct lerr *e) LERR_WUR;
/* One XML message from the prefecture (already out of its mail and archive). */
int xmit_actes_return(struct xmit_poll *p, const char *name, const void *xml, size_t len,
		      const char *source, const char *item, struct lerr *e) LERR_WUR;

#endif
