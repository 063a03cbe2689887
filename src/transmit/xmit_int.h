/*
 * xmit_int.h - private to transmit/: the connector interface, the job of
 * one transmission, curl and settings helpers, the archive writer.
 */
#ifndef LIASSE_XMIT_INT_H
#define LIASSE_XMIT_INT_H

#include "transmit/tgz.h"
#include <stdint.h>
#include <stdio.h>
#include <curl/curl.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "store/store.h"
#include "transmit/xmit.h"

/* What an acquit or an @ctes return (XML from the state platform) may weigh;
 * each one goes through core/xmlguard before libxml2. */
#define XMIT_MAX_XML_RETURN (64UL * 1024 * 1024)

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

/* Commits what a poll has read so far and opens the next transaction: a
 * poll that reads many items commits each one, so that its results appear as
 * they arrive and survive an interruption (xmit.c). */
int xmit_poll_commit(struct xmit_poll *p, struct lerr *e) LERR_WUR;
/* 1 once liassed stops (xmit_stop()): a long poll returns between two items. */
int xmit_stopping(void);
/* Seconds since liassed began to stop, -1 while it runs. */
long long xmit_stopped_for(void);

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
	/* Reads the return channel; attaches what came back.  Called in a
	 * transaction, returns in one (committed by the caller on success,
	 * rolled back on a database error); may commit on the way
	 * (xmit_poll_commit). */
	int (*poll)(struct xmit_poll *p, struct lerr *e);
	/* Reaches the platform without sending anything. */
	int (*test)(struct xmit_poll *p, struct lerr *e);
};

extern const struct xmit_connector xmit_helios, xmit_actes, xmit_s2low;

/* The connector's functions by its name (connectors.c), or NULL. */
const struct xmit_connector *xmit_connector_named(const char *name);

/* ---- the transmission job's timing (xmit.c), shared by once.c's jobs ---- */
/* How long a send keeps its job out of reach (transmit_timeout + 30 s). */
int xmit_lease_s(void);
/* The delay before try number tries + 1 (transmit_retry_base doubled, capped). */
int xmit_backoff_s(int tries);

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

/* ---- HTTPS helpers shared by @ctes and S²LOW (tls.c) ---- */
/* A file part named field, read from f (size bytes) when curl sends it. */
int xmit_mime_spool(curl_mime *m, const char *field, const char *filename, const char *type, FILE *f,
		    long long size, struct lerr *e) LERR_WUR;
/* POSTs the multipart m to url: XMIT_SENT once the server answered (the
 * HTTP status in *status), else XMIT_UNSENT or XMIT_UNCERTAIN as curl's
 * failure says, e saying why (what names the request). */
enum xmit_outcome xmit_mime_post(struct xmit_curl *xc, const char *url, curl_mime *m, const char *what,
				 long *status, struct lerr *e);
/* A TLS handshake with url using the settings' client certificate, CA and
 * pinned key; nothing is sent.  what names it in the error. */
int xmit_tls_handshake(json_t *settings, const char *url, const char *what, struct lerr *e) LERR_WUR;

/* ---- the stamped act (stamp.c) ---- */
/* ack an ARActe of doc_id: its PDF stamped ("Envoyé/Reçu en préfecture le",
 * "Publié le" when known, "ID : ...") as the document's file role
 * acte_tamponne, and each PDF annex alike as annexe_tamponnee.  Anything
 * else adds nothing; a PDF that cannot be stamped is logged and skipped. */
int xmit_stamp_acte(struct store_conn *c, const char *doc_id, const void *ack, size_t acklen,
		    struct lerr *e) LERR_WUR;

/* ---- S²LOW (s2low.c) ---- */
/* Asks S²LOW to cancel an acknowledged act (its transaction number);
 * cancel_id the number of the cancellation transaction S²LOW created. */
int xmit_s2low_cancel(json_t *settings, const char *transaction, char *cancel_id, size_t n,
		      struct lerr *e) LERR_WUR;
/* The act's PDF stamped by S²LOW (transaction: the act's), once acknowledged. */
int xmit_s2low_stamped(json_t *settings, const char *transaction, struct buf *pdf, struct lerr *e) LERR_WUR;
/* The prefecture's documents about our acts S²LOW holds unread (type 2
 * courrier simple, 3 demande de pièces complémentaires, 4 lettre
 * d'observations, 5 déféré; related: the act's transaction), one of them
 * (its tar.gz in out), and marking one read. */
struct xmit_s2low_prefdoc {
	char id[32], type[8], related[32], number[32], unique_id[64], status[8];
};
int xmit_s2low_prefdocs(json_t *settings, void (*fn)(void *arg, const struct xmit_s2low_prefdoc *d), void *arg,
			struct lerr *e) LERR_WUR;
int xmit_s2low_prefdoc_get(json_t *settings, const char *id, struct buf *out, struct lerr *e) LERR_WUR;
int xmit_s2low_prefdoc_read(json_t *settings, const char *id, struct lerr *e) LERR_WUR;
/* An answer to a letter (actes_transac_reponse_create.php): the letter's
 * S²LOW transaction prefdoc, type_envoie 4 (an answer) or 3 (a refusal),
 * type_acte the typology, the files (the first as acte_pdf_file, the
 * others as acte_attachments[] with type_pj[]).  S²LOW's new transaction
 * in id.  XMIT_SENT, XMIT_REFUSED (its "KO" message in e), else not sent
 * or uncertain. */
struct xmit_s2low_file {
	FILE *f;
	const char *name;
	long long size;
};
enum xmit_outcome xmit_s2low_reply(json_t *settings, const char *prefdoc, int type_envoie, const char *type_acte,
				   const struct xmit_s2low_file *files, int n, char *id, size_t idn, struct lerr *e);
/* The prefecture's letters S²LOW holds about our acts: fetched, attached,
 * recorded, marked read (s2low_letters.c; called by the S²LOW poll). */
int xmit_s2low_letters_poll(struct xmit_poll *p, struct lerr *e) LERR_WUR;
/* The PES_Retour S²LOW holds unread for the organisation, then one of them
 * (its XML in out), and marking one read. */
struct xmit_s2low_retour {
	char id[32], name[256], date[32];
};
int xmit_s2low_retours(json_t *settings, void (*fn)(void *arg, const struct xmit_s2low_retour *r), void *arg,
		       struct lerr *e) LERR_WUR;
int xmit_s2low_retour_get(json_t *settings, const char *id, struct buf *out, struct lerr *e) LERR_WUR;
int xmit_s2low_retour_read(json_t *settings, const char *id, struct lerr *e) LERR_WUR;

/* ---- an archive about an act already sent, exactly once (once.c) ---- */
/* What differs between the jobs that send one (the 6-1 in cancel.c, the
 * answers to the prefecture's letters in letters.c).  Their row starts with
 * its struct act_send (store.h). */
struct xmit_once {
	const char *what;            /* in the log: "annulation", ... */
	size_t rowsize;
	/* Loads and locks the row of the document; *due 0: nothing to send. */
	int (*load)(struct store_conn *c, const char *doc_id, void *row, int *due, struct lerr *e);
	/* The archive into x->spool, named x->t.remote_name (named when empty). */
	int (*build)(struct xmit_job *x, void *row, struct lerr *e);
	/* After an interrupted send: *found XMIT_THERE when arrival is proven
	 * (the row reloaded); NULL when nothing can prove it. */
	int (*reconcile)(struct xmit_job *x, void *row, int *found, struct lerr *e);
	/* The act went through S²LOW: one API call, its outcome recorded. */
	int (*via_s2low)(struct xmit_job *x, const struct xmit_once *o, void *row, struct lerr *e);
	/* The row's store calls (store.h): 'sending' with the job's lease; the
	 * state sent, new or refused (name: the archive's when not NULL);
	 * tries + 1 and a new job in delay_s seconds. */
	int (*sending)(struct store_conn *c, const struct act_send *s, long long job_id, int lease_s,
		       struct lerr *e);
	int (*settle)(struct store_conn *c, const struct act_send *s, const char *state, const char *name,
		      const char *error, struct lerr *e);
	int (*retry)(struct store_conn *c, const struct act_send *s, const char *error, int delay_s,
		     struct lerr *e);
};
/* The job j for its document (a job handler of liassed). */
int xmit_once_job(struct store_conn *c, const struct job *j, const struct xmit_once *o, struct lerr *e) LERR_WUR;
/* A try that settled nothing: a new job after the backoff, or refused
 * after transmit_max_tries. */
int xmit_once_again(struct xmit_job *x, const struct xmit_once *o, const struct act_send *s,
		    const struct lerr *why, struct lerr *e) LERR_WUR;
/* What a send came to (why: the reason when not sent), recorded. */
int xmit_once_settle(struct xmit_job *x, const struct xmit_once *o, const struct act_send *s,
		     enum xmit_outcome out, const char *name, const struct lerr *why, struct lerr *e) LERR_WUR;

/* ---- @ctes pieces the 6-1 Annulation shares with the act (actes.c) ---- */
struct xmit_tgz;
/* The envelope's name (env) and, when x->t.remote_name is empty, the
 * archive's, from the organisation's 'actes' counter. */
int xmit_actes_names(struct xmit_job *x, char *env, size_t envsz, struct lerr *e) LERR_WUR;
/* The EnveloppeCLMISILL listing the one form named form (UTF-8). */
int xmit_actes_envelope(struct xmit_job *x, const char *form, struct buf *o) LERR_WUR;
/* One XML member written in ISO-8859-1. */
int xmit_actes_add_xml(struct xmit_tgz *t, const char *name, struct buf *utf8, long long mtime,
		       struct lerr *e) LERR_WUR;
/* The namespace declarations of an @ctes business message's root element. */
#define XMIT_ACTES_NS "xmlns:actes=\"http://www.interieur.gouv.fr/ACTES#v1.1-20040216\"" \
	" xmlns:insee=\"http://xml.insee.fr/schema\"" \
	" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"" \
	" xsi:schemaLocation=\"http://www.interieur.gouv.fr/ACTES#v1.1-20040216 actesv1_1.xsd\""
/* An archive of one business message (a 6-1, a 7-1) into x->spool: its
 * envelope and the message msg (UTF-8) named form. */
int xmit_actes_archive_one(struct xmit_job *x, const char *form, struct buf *msg, struct lerr *e) LERR_WUR;
/* The same with more members after the form: more() adds them to t. */
typedef int xmit_tgz_more_fn(void *arg, struct xmit_tgz *t, long long mtime, struct lerr *e);
int xmit_actes_archive_with(struct xmit_job *x, const char *form, struct buf *msg, xmit_tgz_more_fn *more,
			    void *arg, struct lerr *e) LERR_WUR;

/* ---- the classification (actes_class.c) ---- */
/* A RetourClassification (7-2) as JSON: date, natures (code, type_abrege,
 * libelle, typologies [{code, libelle}]), matieres [{code "1.2", libelle}];
 * xmlguard first, no DTD, no network, at most 1 MiB. */
int xmit_actes_classification_json(const void *xml, size_t n, json_t **out, struct lerr *e) LERR_WUR;
/* Sends the 7-1 DemandeClassification over @ctes when one is due for the
 * organisation (store_org_classification_due()); the 7-2 comes by e-mail. */
int xmit_actes_classification_request(struct xmit_poll *p, struct lerr *e) LERR_WUR;

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

/* A PES_ACQUIT (acquit.c), read as PES_V2_Acquit_Autonome_V2.xsd and
 * CommunAck.xsd define it: every ElementACQUIT, EtatAck an xs:boolean
 * (1/true, 0/false, whitespace collapsed), every Erreur of an element and of
 * its DetailPiece/DetailLigne, DomaineAck labelled as the schema does.
 * The file is refused when an element of DomaineAck 0 (technique) or 1-3
 * (signatures) is KO, when every element other than a PJ (bordereaux,
 * marchés...) is KO, or when every element is KO; otherwise it is accepted,
 * maybe partially (a PJ, or one bordereau of several, refused):
 * doc/helios-acquit.md. */
struct xmit_acquit {
	char nomfic[128];            /* Enveloppe/Parametres/NomFic */
	int elements, ok, ko;        /* ElementACQUIT read; EtatAck true; not true */
	int ko_file;                 /* KO elements about the whole file (DomaineAck 0-3) */
	int ok_pj, ko_pj;            /* OK and KO elements about a PJ (DomaineAck 4) */
	int accepted;                /* the document is acknowledged */
	struct buf reason;           /* every KO element with all its errors, "; " between */
	json_t *refused;             /* the same, one "PES_Acquit: ..." string per KO element */
};
/* a is set up even on failure: always xmit_acquit_fini() it. */
int xmit_acquit_parse(const void *data, size_t len, struct xmit_acquit *a, struct lerr *e) LERR_WUR;
void xmit_acquit_fini(struct xmit_acquit *a);
/* The same in short: *accepted, reason (n bytes; every KO element, also
 * when the file is accepted partially), nomfic (128 bytes). */
int xmit_acquit_read(const void *data, size_t len, int *accepted, char *reason, size_t n, char *nomfic,
		     struct lerr *e) LERR_WUR;

/* The file name of one line of the response directory's listing (LIST:
 * its last word, or NLST: the whole line), or NULL when it is not XML. */
const char *xmit_ftp_entry(const char *line);
/* 1 when data is a PES_Retour; idcoll gets its EnTetePES/IdColl (a SIRET). */
int xmit_pes_retour(const void *data, size_t len, char idcoll[32]);

/* ---- archives (tgz.c): transmit/tgz.h ---- */

/* ---- spooling a stored file (xmit.c) ---- */
int xmit_spool_blob(struct store_conn *c, long long blob_id, int nchunks, FILE *f,
		    void (*each)(void *arg, const void *p, size_t n), void *arg, struct lerr *e) LERR_WUR;
/* A stored file as one member of the archive t, streamed from its blob. */
int xmit_tgz_add_blob(struct store_conn *c, struct xmit_tgz *t, const char *name, long long size, long long blob,
		      int nchunks, long long mtime, struct lerr *e) LERR_WUR;

/* ---- @ctes returns (imap.c) ---- */
/* One file of a prefecture's letter S²LOW held for the act doc_id. */
int xmit_actes_letter_file(struct xmit_poll *p, const char *doc_id, const char *name, const void *data, size_t len,
			   const char *remote, struct lerr *e) LERR_WUR;
int xmit_imap_poll(struct xmit_poll *p, struct lerr *e) LERR_WUR;
int xmit_imap_test(struct xmit_poll *p, struct lerr *e) LERR_WUR;
/* One XML message from the prefecture (already out of its mail and archive). */
int xmit_actes_return(struct xmit_poll *p, const char *name, const void *xml, size_t len,
		      const char *source, const char *item, struct lerr *e) LERR_WUR;

#endif
