/*
 * store.h - the only module that speaks SQL (libpq).
 *
 * A struct store is a pool of connections; a caller takes one
 * (store_acquire), runs statements, possibly inside a transaction, and gives
 * it back (store_release rolls back anything left open).  Every function
 * that can fail returns 0 or an lerr kind and fills the struct lerr; SQLSTATE
 * is kept in e->sqlstate.  Statements go through PQexecParams only.
 * Documents are returned as JSON text built by PostgreSQL, so the API, the CLI
 * and later the web pages show exactly the same thing.
 */
#ifndef LIASSE_STORE_H
#define LIASSE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/err.h"

#define STORE_CHUNK_SIZE (1024 * 1024)

struct store;
struct store_conn;

int store_open(struct store **out, const char *conninfo, const char *password,
	       int poolsize, struct lerr *e) LERR_WUR;
void store_close(struct store *s);
int store_acquire(struct store *s, struct store_conn **out, struct lerr *e) LERR_WUR;
void store_release(struct store *s, struct store_conn *c);
/* Runs fn(arg) (its result in *fn_rc) with c's session handed back to the
 * pool, then takes a session (perhaps another) again into c: a long wait
 * outside the database, such as an SMTP exchange, holds no connection.  c
 * must be outside a transaction.  Non-zero when no session could be taken
 * again: c is then empty (its statements fail; store_release frees it). */
int store_lend(struct store_conn *c, int (*fn)(void *arg), void *arg, int *fn_rc, struct lerr *e) LERR_WUR;

int store_begin(struct store_conn *c, struct lerr *e) LERR_WUR;
int store_commit(struct store_conn *c, struct lerr *e) LERR_WUR;
void store_rollback(struct store_conn *c);
int store_in_txn(const struct store_conn *c);
int store_ping(struct store_conn *c, struct lerr *e) LERR_WUR;
/* A write that must reach the disk, then rolled back (/readyz): fails as the
 * application's writes do on a full disk or a read-only database. */
int store_write_probe(struct store_conn *c, struct lerr *e) LERR_WUR;

/* Applies the *.sql files of sqldir not yet recorded, in name order, each in
 * its own transaction, under an advisory lock (two daemons starting together
 * are safe).  *applied counts the files applied now. */
int store_migrate(struct store_conn *c, const char *sqldir, int *applied, struct lerr *e) LERR_WUR;

/* ---- organisations ---- */
#define STORE_ORG_BUDGETS 64         /* CodBud values an organisation may keep */
struct org {
	long long id;
	char siren[10], parent_siren[10];
	char name[301];
	char departement[4];
	int arrondissement;          /* -1: unset */
	int nature_actes;            /* -1: unset */
	char idcoll[15], codcol[4], idpost[8];
	/* Its budgets' CodBud, comma-separated ("01,02"); codbud is the first
	 * (the budget principal, SITE P_MSG's default). */
	char codbuds[STORE_ORG_BUDGETS * 3], codbud[3];
	char city[101], postal_code[11];
	char p_dest[65];             /* Hélios FTP SITE P_DEST */
	char archive_after[64];      /* an interval; "never": none; "": unchanged (org set) */
	char acte_signature[8];      /* "cades" or "pades": its acts' default profile */
	int pades_page;              /* 0: no default place for the PAdES block */
	float pades_x, pades_y;
};
void store_org_init(struct org *o);
/* Adds an organisation and journals organisation.created under actor
 * ("person:<email>", "cli"). */
int store_org_insert(struct store_conn *c, const struct org *o, const char *actor,
		     struct lerr *e) LERR_WUR;
int store_org_get(struct store_conn *c, const char *siren, struct org *out, struct lerr *e) LERR_WUR;
/* Its acts' default signature (acte_signature "cades" or "pades", "" keeps
 * it) and the PAdES block's place (page 0 keeps it, -1 clears it). */
int store_org_set_signature(struct store_conn *c, const char *siren, const struct org *o,
			    const char *actor, struct lerr *e) LERR_WUR;
/* The organisation siren if it is one of client_id's (LERR_FORBIDDEN
 * "metadata.organisation" otherwise), with its identifiers. */
int store_client_org_get(struct store_conn *c, long long client_id, const char *siren,
			 struct org *out, struct lerr *e) LERR_WUR;
/* Sets the Hélios identifiers of siren (NULL or "": left unchanged; codbuds
 * replaces the list) and journals organisation.updated under actor. */
/* [org_json(), ...] of the organisations person administers (an operator:
 * all), by SIREN; siren (or NULL) keeps that one only. */
int store_org_list_json(struct store_conn *c, long long person, const char *siren, char **json,
			struct lerr *e) LERR_WUR;
int store_org_set_helios(struct store_conn *c, const char *siren, const struct org *o,
			 const char *actor, struct lerr *e) LERR_WUR;
/* 1 when codbuds is a list of 1 to STORE_ORG_BUDGETS CodBud of 1-2 letters or
 * digits, comma-separated, without repeats. */
int store_org_codbuds_valid(const char *codbuds);
/* Calls fn for each organisation, parents before children. */
int store_org_each(struct store_conn *c, void (*fn)(void *arg, const struct org *o),
		   void *arg, struct lerr *e) LERR_WUR;

/* ---- API clients ---- */
struct client {
	long long id;
	char name[201];
	char siren[10];              /* the organisation its certificate names ("": none) */
};
/* "lsk_" and 43 base64url characters. */
#define STORE_CLIENT_KEY_SIZE 48
/* Creates a vendor client serving sirens with a new random API key, written
 * to key (shown once: only its SHA-256 is kept), and journals client.created
 * under actor; all or nothing (a transaction of its own unless the caller has
 * one).  id may be NULL. */
int store_client_create(struct store_conn *c, const char *name, const char *const *sirens,
			int nsirens, const char *actor, char key[STORE_CLIENT_KEY_SIZE], long long *id,
			struct lerr *e) LERR_WUR;
/* Revokes a client's key (at once) and journals client.revoked under actor. */
int store_client_revoke(struct store_conn *c, const char *name, const char *actor,
			struct lerr *e) LERR_WUR;
/* LERR_AUTH when no live client has this key. */
int store_client_auth(struct store_conn *c, const uint8_t key_sha256[32], struct client *out,
		      struct lerr *e) LERR_WUR;
/* Organisation id of siren if the client may act for it, else LERR_FORBIDDEN. */
int store_client_org(struct store_conn *c, long long client_id, const char *siren,
		     long long *org_id, struct lerr *e) LERR_WUR;
int store_client_each(struct store_conn *c, void (*fn)(void *arg, const char *name,
		      const char *orgs, const char *created, int revoked), void *arg,
		      struct lerr *e) LERR_WUR;

/* ---- TLS client certificates, S²LOW transactions (compat.c, 029, 030) ---- */
/* Binds the certificate (SHA-256 of its DER) to the live client named client,
 * speaking for organisation siren (NULL: the client's only one, which must
 * then be one of its own); journals client.cert_added under actor.
 * LERR_NOTFOUND: no such client; LERR_CONFLICT: the certificate is bound. */
int store_client_cert_add(struct store_conn *c, const char *client, const uint8_t sha256[32],
			  const char *subject, const char *not_after, const char *siren,
			  const char *actor, struct lerr *e) LERR_WUR;
/* Unbinds (sha256_hex: 64 hex digits) and journals client.cert_removed. */
int store_client_cert_remove(struct store_conn *c, const char *client, const char *sha256_hex,
			     const char *actor, struct lerr *e) LERR_WUR;
/* The certificates of client (NULL: all) as a JSON array (malloc'd). */
int store_client_cert_list(struct store_conn *c, const char *client, char **json,
			   struct lerr *e) LERR_WUR;
/* LERR_AUTH when no live client holds this certificate; out->siren is set. */
int store_client_cert_auth(struct store_conn *c, const uint8_t sha256[32], struct client *out,
			   struct lerr *e) LERR_WUR;
/* The SIREN of the client's one organisation; LERR_INVALID when it has several. */
int store_client_only_org(struct store_conn *c, long long client_id, char siren[10],
			  struct lerr *e) LERR_WUR;
/* 1 in *yes when organisation siren routes documents of kind to a signer. */
int store_routing_exists(struct store_conn *c, const char *siren, const char *kind, int *yes,
			 struct lerr *e) LERR_WUR;
/* A new S²LOW transaction number for the client's document (kind "acte",
 * "pes", "annulation"); the existing one when the pair has one. */
int store_s2low_tx_add(struct store_conn *c, long long client_id, const char *doc_id,
		       const char *kind, long long *id, struct lerr *e) LERR_WUR;
/* The RetourClassification of organisation siren as received (malloc'd). */
int store_org_classification_xml(struct store_conn *c, const char *siren, char **xml, size_t *len,
				 struct lerr *e) LERR_WUR;
/* The document and kind of the client's transaction id; LERR_NOTFOUND. */
int store_s2low_tx_get(struct store_conn *c, long long client_id, long long id, char kind[16],
		       char doc_id[37], struct lerr *e) LERR_WUR;
/* The prefecture's letters through the S²LOW API (functions/87_s2low.sql):
 * the client's unread ones as list_document_prefecture.php's rows; what
 * transaction tx is (an act's letters, or a letter's files; LERR_NOTFOUND
 * when it is none of the client's); its "read" mark; the letter of a
 * letter's transaction ({letter, doc_id, code}, LERR_NOTFOUND); the
 * transaction of the answer to a letter. */
int store_s2low_prefdocs_json(struct store_conn *c, long long client_id, char **json, struct lerr *e) LERR_WUR;
int store_s2low_prefdoc_json(struct store_conn *c, long long client_id, long long tx, char **json,
			     struct lerr *e) LERR_WUR;
int store_s2low_prefdoc_read(struct store_conn *c, long long client_id, long long tx, struct lerr *e) LERR_WUR;
int store_s2low_prefdoc_letter(struct store_conn *c, long long client_id, long long tx, char **json,
			       struct lerr *e) LERR_WUR;
int store_s2low_reponse_tx(struct store_conn *c, long long client_id, long long letter_id, long long *id,
			   struct lerr *e) LERR_WUR;

/* ---- blobs: content-addressed, chunked, streamed ---- */
/*
 * A writer holds one chunk in memory and touches the database only when a
 * second chunk arrives: it then asks need_conn for a connection inside a
 * transaction (nothing is visible before that transaction commits).  A file
 * that fits in one chunk may stay in memory and be stored by
 * store_doc_create() with its document, in the same round trip.
 */
struct store_blob_writer {
	struct store_conn *c;        /* set by need_conn at the first flush */
	int (*need_conn)(void *arg, struct store_conn **c, struct lerr *e);
	void *arg;
	long long blob_id;           /* 0 until the first chunk is written */
	int seq;
	int64_t size;
	int64_t max;                 /* refuse beyond this many bytes */
	void *sha;                   /* struct sha256 */
	char *chunk;                 /* STORE_CHUNK_SIZE bytes */
	size_t fill;
};
int store_blob_begin(struct store_blob_writer *w, int64_t max,
		     int (*need_conn)(void *arg, struct store_conn **c, struct lerr *e), void *arg,
		     struct lerr *e) LERR_WUR;
int store_blob_write(struct store_blob_writer *w, const void *p, size_t n, struct lerr *e) LERR_WUR;
/* Seals the blob.  When the content fits in one chunk and keep_inline is set,
 * nothing is written: *blob_id is 0 and the bytes stay in w->chunk (w->fill)
 * until store_blob_abort().  Otherwise *blob_id names the stored blob; the
 * same content stored twice is kept once (dedup). */
int store_blob_end(struct store_blob_writer *w, int keep_inline, long long *blob_id,
		   uint8_t sha256[32], int64_t *size, struct lerr *e) LERR_WUR;
void store_blob_abort(struct store_blob_writer *w);
/* Reads chunk seq of a blob into out (at most STORE_CHUNK_SIZE bytes). */
int store_blob_chunk(struct store_conn *c, long long blob_id, int seq, void *out, size_t *len,
		     struct lerr *e) LERR_WUR;
/* A stored blob read from its start, chunk by chunk: store_blob_read() and
 * store_blob_close() have the shape of libxml2's xmlInputReadCallback and
 * xmlInputCloseCallback (the close does nothing: store_blob_reader_fini()
 * frees). */
struct store_blob_reader {
	struct store_conn *c;
	long long blob_id;
	int seq, nchunks;
	char *chunk;                 /* STORE_CHUNK_SIZE bytes */
	size_t len, off;
	int failed;                  /* store_blob_read() returned -1: err says why */
	struct lerr err;
};
int store_blob_reader_init(struct store_blob_reader *r, struct store_conn *c, long long blob_id,
			   int nchunks, struct lerr *e) LERR_WUR;
void store_blob_reader_fini(struct store_blob_reader *r);
/* Up to max bytes into out: how many, 0 at the end, -1 on failure. */
int store_blob_read(void *reader, char *out, int max);
int store_blob_close(void *reader);
/* A stored blob streamed out from byte start, at any pace: each chunk is read
 * with a connection taken from the pool for that read only, so a slow reader
 * holds none (file downloads of the API and of the web pages).  The read has
 * the shape of a libmicrohttpd content reader: bytes at pos (counted from
 * start) into out, -1 on failure (logged). */
struct store_blob_stream;
struct store_blob_stream *store_blob_stream_create(struct store *s, long long blob_id, int64_t start);
ssize_t store_blob_stream_read(void *stream, uint64_t pos, char *out, size_t max);
void store_blob_stream_destroy(void *stream);
/* A file's first len bytes stored as a blob on c (inside its transaction;
 * the chunked writer uploads use, one chunk in memory): *blob_id. */
int store_blob_from_fd(struct store_conn *c, int fd, int64_t len, long long *blob_id,
		       struct lerr *e) LERR_WUR;
/* A stored blob written into the file fd from its start, one chunk at a
 * time; *len: the bytes written. */
int store_blob_to_fd(struct store_conn *c, long long blob_id, int nchunks, int fd, int64_t *len,
		     struct lerr *e) LERR_WUR;

/* ---- documents ---- */
struct doc_file_in {
	const char *role, *name, *media_type;
	uint8_t sha256[32];
	int64_t size;
	long long blob_id;           /* 0: the bytes are inline (data, len) */
	const void *data;
	size_t len;
};

struct doc_create {
	long long client_id;
	const char *siren;           /* the organisation, checked against the client's */
	const char *kind;            /* pes | acte | document */
	const char *title, *signer, *due_date, *external_ref;
	int want_sign, want_transmit;
	const char *meta_json;       /* kind-specific JSON object text */
	const char *warnings_json;   /* JSON array text */
	const struct doc_file_in *files;
	int nfiles;
	const char *idem_key;        /* NULL: none */
	const uint8_t *idem_sha256;  /* what the request means */
	const char *actor;
	const char *job;             /* a job kind to queue for it, or NULL */
	const char *circuit;         /* the circuit the vendor named, or NULL (routing rules) */
};

/* Creates the document with its files, journal entry, idempotency record and
 * job in one statement.  *status: 201 created, 200 replay of the same
 * idempotent request, 409 key used for another request, 403 organisation not
 * the client's, 422 NomFic already sent (or {"signer": why} / {"circuit": why,
 * "known": [names]} when it cannot be routed); id (37 bytes): the document's id for
 * 201/200, "" otherwise; *body (malloc'd JSON): the document, or {"doc": id}
 * for 409/422. */
int store_doc_create(struct store_conn *c, const struct doc_create *d, int *status, char *id,
		     char **body, struct lerr *e) LERR_WUR;
/* The document as JSON (malloc'd) if visible to client_id (0: any). LERR_NOTFOUND otherwise. */
int store_doc_json(struct store_conn *c, const char *doc_id, long long client_id, char **json,
		   struct lerr *e) LERR_WUR;

/* Appends a JSON array of strings to the document's warnings. */
int store_doc_add_warnings(struct store_conn *c, const char *doc_id, const char *warnings_json,
			   struct lerr *e) LERR_WUR;
struct doc_filter {
	const char *state, *kind, *updated_since;  /* NULL: any */
	const char *after_ts, *after_id;           /* cursor position; NULL: from the start */
	int limit;
};
#define STORE_POS_LEN 80
/* A page of documents as a JSON array text (malloc'd) and the position of
 * its last item ("<microseconds> <uuid>", what a cursor encodes). */
int store_doc_list(struct store_conn *c, long long client_id, const struct doc_filter *f,
		   char **items_json, int *count, char last_pos[STORE_POS_LEN], struct lerr *e) LERR_WUR;

struct doc_file {
	long long blob_id;
	int64_t size;
	int nchunks;
	char sha256_hex[65];
	char name[512];
	char media_type[128];
};
int store_doc_file(struct store_conn *c, const char *doc_id, long long client_id, int n,
		   struct doc_file *out, struct lerr *e) LERR_WUR;

/* Applies an event ("cancel", "send", ...) to a document through SQL
 * document_apply(), the one writer of document.state (the transitions are
 * in schemas/sql/functions/30_state.sql): the row locked, the new state,
 * reason (when not NULL) and journal entry written.  Returns LERR_NOTFOUND if
 * the client may not see it, LERR_CONFLICT if the event does not apply in
 * its state (e->detail names the state). */
int store_doc_event(struct store_conn *c, const char *doc_id, long long client_id,
		    const char *event, const char *actor, const char *reason,
		    struct lerr *e) LERR_WUR;

/* ---- jobs ---- */
struct job {
	long long id;
	char kind[64];
	char doc_id[37];
	int attempts;
};
int store_job_add(struct store_conn *c, const char *kind, const char *doc_id, struct lerr *e) LERR_WUR;
/* Inside a transaction: claims the next ready job (FOR UPDATE SKIP LOCKED);
 * *found = 0 when there is none.  The claim lasts until commit or rollback. */
int store_job_claim(struct store_conn *c, struct job *out, int *found, struct lerr *e) LERR_WUR;
int store_job_done(struct store_conn *c, long long id, struct lerr *e) LERR_WUR;
int store_job_retry(struct store_conn *c, long long id, const char *error, int delay_s,
		    struct lerr *e) LERR_WUR;

/* ---- e-mail notifications (notice.c, 025_notification.sql) ---- */
/* Claims what the 'notify' job has to send for one SMTP exchange, leasing
 * it (and the job) for lease_s seconds: notification_claim() as JSON, or
 * {"id", "leased_until"} when another worker holds the lease; LERR_NOTFOUND
 * when it has nothing (already sent, skipped, failed, obsolete). */
int store_notice_claim(struct store_conn *c, long long job, int lease_s, char **json,
		       struct lerr *e) LERR_WUR;
/* The exchange's outcome: "sent" (message_id, ndocs), "failed" for good or
 * "retry" (error: the server's answer); gives the lease back. */
int store_notice_record(struct store_conn *c, long long id, const char *outcome, const char *message_id,
			int ndocs, const char *error, struct lerr *e) LERR_WUR;
/* Nothing to send, for good (why: in words, shown to administrators). */
int store_notice_skipped(struct store_conn *c, long long id, const char *why, struct lerr *e) LERR_WUR;
/* Today's digests when the local hour in tz is hour; *planned counts them. */
int store_notice_plan_digests(struct store_conn *c, int hour, const char *tz, int *planned,
			      struct lerr *e) LERR_WUR;
/* A person's preference {"mode", "email"}; setting it journals under actor. */
int store_notice_pref_json(struct store_conn *c, long long person, char **json, struct lerr *e) LERR_WUR;
int store_notice_pref_set(struct store_conn *c, long long person, const char *mode, const char *actor,
			  struct lerr *e) LERR_WUR;
/* The notifications whose sending fails and is retried, or was refused for
 * good (state "failed"), with the error. */
int store_notice_failed_json(struct store_conn *c, char **json, struct lerr *e) LERR_WUR;
/* A notification refused for good sent again (notification_resend()):
 * LERR_NOTFOUND for an unknown id, LERR_CONFLICT for one not refused. */
int store_notice_resend(struct store_conn *c, long long id, const char *actor, struct lerr *e) LERR_WUR;

/* ---- journal ---- */
/* Chains the committed entries not chained yet (see 001_init.sql); *n
 * counts them.  Safe to call from several processes at once. */
int store_journal_seal(struct store_conn *c, int *n, struct lerr *e) LERR_WUR;
int store_journal(struct store_conn *c, const char *actor, const char *action, const char *doc_id,
		  long long org_id, const char *detail_json, struct lerr *e) LERR_WUR;

enum journal_fault {
	JOURNAL_INTACT = 0,
	JOURNAL_GAP,      /* a seq is missing: an entry was deleted */
	JOURNAL_LINK,     /* prev_hash is not the previous hash: inserted, reordered, re-hashed */
	JOURNAL_HASH,     /* hash does not match the content: the entry was altered */
};
struct journal_report {
	long long entries;           /* entries checked and found sound (seq 1..entries) */
	int sealed;                  /* entries this call sealed first */
	long long bad_seq;           /* the first broken entry; 0: the chain is intact */
	int fault;                   /* enum journal_fault */
	uint8_t head[32];            /* hash of entry `entries` (zeros if none) */
	char what[256];              /* the fault in words */
};
/* Seals, then recomputes the whole chain in C, in seq order, in batches
 * (src/store/journal.c).  Returns 0 when the check ran, whatever it found:
 * r->bad_seq says where the chain first breaks.  Outside a transaction it
 * reads in its own REPEATABLE READ snapshot. */
int store_journal_verify(struct store_conn *c, struct journal_report *r, struct lerr *e) LERR_WUR;

/* The chain's head time-stamped (journal.c).  head: the last sealed entry
 * (seq 0 when none) and the seq last stamped. */
struct journal_head {
	long long seq, stamped_seq;
	uint8_t hash[32];
};
int store_journal_head(struct store_conn *c, struct journal_head *h, struct lerr *e) LERR_WUR;
int store_journal_stamp_add(struct store_conn *c, long long seq, const uint8_t hash[32],
			    const void *token, size_t len, long long gentime, struct lerr *e) LERR_WUR;
/* Calls fn for each stamp, in seq order, with chain_ok set when the stamped
 * hash is the chain's hash at that seq; fn returning non-zero stops. */
int store_journal_stamps(struct store_conn *c, int (*fn)(void *arg, long long seq,
			 const uint8_t hash[32], int chain_ok, const void *token, size_t len,
			 const char *stamped_at), void *arg, struct lerr *e) LERR_WUR;


/* ---- people, roles, routing, delegation, sessions, queues (people.c) ---- */
/* Rules and JSON shapes are SQL functions in 004_people.sql; refusals come
 * back with field and hint set.  actor: "person:<email>", "cli", ... */
struct person {
	long long id;
	char email[255];
	char name[201];
	int is_operator;
	char csrf[64];
	int by_cookie;               /* set by http/: authenticated by the session cookie */
};
int store_person_add(struct store_conn *c, const char *email, const char *name, const char *hash,
		     int is_operator, const char *actor, long long *id, struct lerr *e) LERR_WUR;
int store_person_set_password(struct store_conn *c, const char *email, const char *hash,
			      const char *actor, struct lerr *e) LERR_WUR;
/* secret NULL: removes the second factor. */
int store_person_set_totp(struct store_conn *c, const char *email, const uint8_t *secret, size_t len,
			  const char *actor, struct lerr *e) LERR_WUR;
int store_person_list(struct store_conn *c, char **json, struct lerr *e) LERR_WUR;
int store_person_id(struct store_conn *c, const char *email, long long *id, struct lerr *e) LERR_WUR;
int store_role_add(struct store_conn *c, const char *email, const char *siren, const char *role,
		   const char *function, const char *actor, struct lerr *e) LERR_WUR;
int store_role_remove(struct store_conn *c, const char *email, const char *siren, const char *role,
		      const char *actor, struct lerr *e) LERR_WUR;
/* nature 0: every nature. */
int store_routing_add(struct store_conn *c, const char *siren, const char *kind, int nature,
		      const char *email, const char *actor, struct lerr *e) LERR_WUR;
int store_routing_list(struct store_conn *c, char **json, struct lerr *e) LERR_WUR;
/* Removes the rule of (kind, nature 0: every nature); LERR_NOTFOUND. */
int store_routing_remove(struct store_conn *c, const char *siren, const char *kind, int nature,
			 const char *actor, struct lerr *e) LERR_WUR;
/* LERR_FORBIDDEN unless the person is an operator, or an org_admin of siren
 * ("*": of any organisation; NULL: operators only). */
int store_person_is_admin(struct store_conn *c, long long person_id, const char *siren,
			  struct lerr *e) LERR_WUR;
/* The organisations the person administers (org_admin): [{siren,name}] by
 * SIREN, [] when none. */
int store_person_admin_orgs(struct store_conn *c, long long person_id, char **json,
			    struct lerr *e) LERR_WUR;

struct delegation_in {
	long long from_person;
	const char *to_email, *siren;   /* siren NULL: every organisation */
	const char *kinds;              /* SQL array text "{pes,acte}", NULL: every kind */
	const char *starts_at, *ends_at, *actor;
};
int store_delegation_add(struct store_conn *c, const struct delegation_in *d, char **json,
			 struct lerr *e) LERR_WUR;
/* person_id 0: any delegation (administrators). */
int store_delegation_revoke(struct store_conn *c, long long person_id, long long id, const char *actor,
			    char **json, struct lerr *e) LERR_WUR;
int store_me_json(struct store_conn *c, long long person_id, char **json, struct lerr *e) LERR_WUR;

struct queue_filter {
	const char *org, *kind, *client;   /* SIREN, kind, vendor client name; NULL: any */
	const char *cursor;                /* next_cursor of the previous page; NULL: first page */
	int limit;                         /* 0: 100 */
};
/* A page: {"items":[document + organisation_name, vendor, on_behalf_of],
 * "counts":{...} (the whole queue), "next_cursor"}; a cursor that is not one
 * is LERR_MALFORMED (field "cursor"). */
int store_queue_json(struct store_conn *c, long long person_id, const struct queue_filter *f,
		     char **json, struct lerr *e) LERR_WUR;
/* The document with history, may_sign, on_behalf_of; LERR_NOTFOUND if not visible. */
int store_person_doc_json(struct store_conn *c, long long person_id, const char *doc_id, char **json,
			  struct lerr *e) LERR_WUR;
int store_person_may_see(struct store_conn *c, long long person_id, const char *doc_id,
			 struct lerr *e) LERR_WUR;
int store_doc_reject(struct store_conn *c, long long person_id, const char *doc_id, const char *reason,
		     const char *actor, char **json, struct lerr *e) LERR_WUR;

/* ---- circuits (circuit.c; 022_circuits.sql, doc/circuits.md) ---- */
/* The current circuits of an organisation (every one when siren is NULL):
 * [{id, organisation, name, version, steps: [{action, person, office,
 * resolves_to}], routing, updated_at, retired_at}], for the admin API and
 * the SOAP layer (GetListeSousTypes, GetCircuit). */
int store_circuits_json(struct store_conn *c, const char *siren, char **json, struct lerr *e) LERR_WUR;
/* Creates a circuit (id 0) or writes the next version of circuit id;
 * steps_json: [{"action", "person" | "office"}].  Refusals name the field. */
int store_circuit_save(struct store_conn *c, long long id, const char *siren, const char *name,
		       const char *steps_json, const char *actor, char **json, struct lerr *e) LERR_WUR;
int store_circuit_retire(struct store_conn *c, long long id, const char *actor, char **json,
			 struct lerr *e) LERR_WUR;
/* The SIREN (malloc'd) of circuit id's organisation; LERR_NOTFOUND. */
int store_circuit_org(struct store_conn *c, long long id, char **siren, struct lerr *e) LERR_WUR;
/* A routing rule (kind, nature 0 for every one) leading to a circuit. */
int store_routing_add_circuit(struct store_conn *c, const char *siren, const char *kind, int nature,
			      const char *circuit, const char *actor, struct lerr *e) LERR_WUR;
/* A visa at the document's current step (annotations may be NULL), and the
 * droit de remords of the person who put the last one; *json: the document. */
int store_doc_visa(struct store_conn *c, long long person_id, const char *doc_id, const char *public_note,
		   const char *private_note, const char *actor, char **json, struct lerr *e) LERR_WUR;
int store_doc_remord(struct store_conn *c, long long person_id, const char *doc_id, const char *actor,
		     char **json, struct lerr *e) LERR_WUR;

struct login_info {
	long long id;                /* 0: no such (enabled) person */
	char hash[128];
	uint8_t totp[64];
	size_t totplen;              /* 0: no second factor */
};
int store_login_lookup(struct store_conn *c, const char *email, struct login_info *out,
		       struct lerr *e) LERR_WUR;
/* Reserves a password try before it is checked, committed at once (the
 * connection must not be in a transaction): *left the tries left after it
 * (0..4), -1 when the login is locked (5 tries within lock_s seconds). */
int store_login_reserve(struct store_conn *c, long long person_id, int lock_s, int *left,
			struct lerr *e) LERR_WUR;
/* The reserved try's outcome: ok clears the count and the lock; journaled. */
int store_login_outcome(struct store_conn *c, long long person_id, int ok, const char *from,
			struct lerr *e) LERR_WUR;
int store_session_create(struct store_conn *c, long long person_id, const uint8_t sha[32],
			 const char *csrf, int lifetime_s, struct lerr *e) LERR_WUR;
/* LERR_AUTH when unknown, expired, idle longer than idle_s, or the person disabled. */
int store_session_auth(struct store_conn *c, const uint8_t sha[32], int idle_s, struct person *out,
		       struct lerr *e) LERR_WUR;
int store_session_delete(struct store_conn *c, const uint8_t sha[32], struct lerr *e) LERR_WUR;

/* ---- transmission (src/store/transmit.c, 007_transmit.sql; connectors helper) ---- */
/* settings_json (an object) is merged into the organisation's connector of
 * that kind; the organisation's queued documents waiting for a connector get
 * their job. */
int store_connector_set(struct store_conn *c, const char *siren, const char *kind,
			const char *settings_json, struct lerr *e) LERR_WUR;
/* The settings (malloc'd JSON text); LERR_NOTFOUND when none. */
int store_connector_get(struct store_conn *c, long long org_id, const char *kind, char **json,
			struct lerr *e) LERR_WUR;
/* Every connector (siren NULL) or those of one organisation. */
int store_connector_each(struct store_conn *c, const char *siren,
			 void (*fn)(void *arg, long long org_id, const char *siren, const char *kind,
				    const char *settings_json), void *arg, struct lerr *e) LERR_WUR;

/* A document and its transmission (state "" when there is none yet). */
struct xmit_row {
	char doc_id[37];
	char kind[16];
	char doc_state[24];
	long long org_id;
	char siren[10];
	char state[16];              /* new | sending | sent | acknowledged | refused | failed | "" */
	char connector[16];
	int sends, tries;
	char remote_name[256], remote_id[128], match_key[128];
	long long sending_age_s;     /* seconds since the last send started */
	char meta_json[8192];
	char title[301];
};
/* Loads and locks (FOR UPDATE) the document. */
int store_xmit_load(struct store_conn *c, const char *doc_id, struct xmit_row *t, struct lerr *e) LERR_WUR;
/* The document (doc_id "" if none) whose transmission of org (0: any) carries match_key. */
/* The document whose transmission over connector went as remote_id (S²LOW's
 * transaction), doc_id "" if none. */
int store_xmit_find_remote(struct store_conn *c, long long org_id, const char *connector, const char *remote_id,
			   char doc_id[37], struct lerr *e) LERR_WUR;
int store_xmit_find(struct store_conn *c, long long org_id, const char *match_key, char doc_id[37],
		    struct lerr *e) LERR_WUR;
/* The document whose transmission of org waits for an answer (sending or
 * sent) and carries match_key, the latest sent; other is a second one
 * waiting with the same key ("" if none). */
int store_xmit_find_waiting(struct store_conn *c, long long org_id, const char *match_key, char doc_id[37],
			    char other[37], struct lerr *e) LERR_WUR;
/* The next value of an organisation's counter name ('helios', 'actes'). */
int store_xmit_counter(struct store_conn *c, long long org_id, const char *name, long long *n,
		       struct lerr *e) LERR_WUR;
/* Transmission 'sending' (sends + 1), document 'transmitting', job job_id out of
 * reach for lease_s seconds: commit this before the first byte is sent. */
int store_xmit_start_send(struct store_conn *c, const struct xmit_row *t, long long job_id, int lease_s,
			  struct lerr *e) LERR_WUR;
int store_xmit_sent(struct store_conn *c, const char *doc_id, const char *remote_id, struct lerr *e) LERR_WUR;
/* acknowledged (accepted) or refused with reason; a no-op on a document already answered. */
int store_xmit_answer(struct store_conn *c, const char *doc_id, int accepted, const char *reason,
		      struct lerr *e) LERR_WUR;
int store_xmit_fail(struct store_conn *c, const char *doc_id, const char *reason, struct lerr *e) LERR_WUR;
/* tries + 1 and a new job 'transmit' for the document in delay_s seconds. */
int store_xmit_retry_later(struct store_conn *c, const char *doc_id, const char *error, int delay_s,
			   struct lerr *e) LERR_WUR;
int store_xmit_note(struct store_conn *c, const struct xmit_row *t, const char *error, struct lerr *e) LERR_WUR;
int store_xmit_unsent(struct store_conn *c, const char *doc_id, struct lerr *e) LERR_WUR;
/* A returned file as the document's next file (role ack, anomaly, letter). */
int store_xmit_attach(struct store_conn *c, const char *doc_id, const char *role, const char *name,
		      const char *media_type, const void *data, size_t len, struct lerr *e) LERR_WUR;
/* dd/mm/yyyy (Europe/Paris) the transmission was sent, "" if never. */
int store_xmit_sent_day(struct store_conn *c, const char *doc_id, char day[11], struct lerr *e) LERR_WUR;
int store_xmit_files(struct store_conn *c, const char *doc_id,
		     void (*fn)(void *arg, int n, const char *role, const char *name, const char *media_type,
				long long blob_id, long long size, int nchunks), void *arg,
		     struct lerr *e) LERR_WUR;
int store_xmit_waiting(struct store_conn *c, long long org_id, const char *connector, int *n,
		       struct lerr *e) LERR_WUR;
/* *seen: 0 not read yet, 1 read and attached to a document (or kept as a
 * PES_Retour of the organisation), 2 read, matched nothing. */
int store_inbox_seen(struct store_conn *c, const char *source, const char *item, int *seen,
		     struct lerr *e) LERR_WUR;
int store_inbox_add(struct store_conn *c, const char *source, const char *item, const char *doc_id,
		    const char *what, struct lerr *e) LERR_WUR;
int store_inbox_lock(struct store_conn *c, const char *source, int *got, struct lerr *e) LERR_WUR;
/* The same lock held by the session across commits; not transaction-scoped.
 * The transaction must not be in error when it is released. */
int store_inbox_hold(struct store_conn *c, const char *source, int *got, struct lerr *e) LERR_WUR;
int store_inbox_release(struct store_conn *c, const char *source, struct lerr *e) LERR_WUR;
int store_inbox_count(struct store_conn *c, const char *doc_id, int *n, struct lerr *e) LERR_WUR;
/* Whether source is due for its scheduled reading (every `seconds`); takes the slot. */
int store_inbox_due(struct store_conn *c, const char *source, int seconds, int *due, struct lerr *e) LERR_WUR;
/* An organisation's returns (014_org_return.sql): a PES_Retour kept as a
 * file of the organisation; their list as the API shows it; one as a file. */
int store_org_return_add(struct store_conn *c, long long org_id, const char *kind, const char *name,
			 const char *media_type, const void *data, size_t len, const char *source,
			 struct lerr *e) LERR_WUR;
int store_org_returns_json(struct store_conn *c, long long org_id, char **json, struct lerr *e) LERR_WUR;
int store_org_return_file(struct store_conn *c, long long org_id, const char *id, struct doc_file *out,
			  struct lerr *e) LERR_WUR;
int store_inbox_recent(struct store_conn *c, const char *source, int seconds, int *any, struct lerr *e) LERR_WUR;
int store_inbox_last_uid(struct store_conn *c, const char *source, long long *uid, struct lerr *e) LERR_WUR;
int store_xmit_sent_each(struct store_conn *c, long long org_id, const char *connector,
			 void (*fn)(void *arg, const char *doc_id, const char *kind, const char *remote_id),
			 void *arg, struct lerr *e) LERR_WUR;
/* Transmissions left half-sent by a dead process: their job made due now. */
int store_xmit_recover(struct store_conn *c, int lease_s, struct lerr *e) LERR_WUR;

/* ---- the annulation of an acknowledged act (cancel.c, 011_cancel_classification.sql) ---- */
/* An archive about an act already sent, sent exactly once by its own job
 * (src/transmit/once.c): the 6-1 (cancel.c) or an answer to a letter
 * (letter.c).  The first member of each one's row. */
struct act_send {
	long long id;                /* the letter answered (0 for the 6-1, kept by doc_id) */
	char doc_id[37];
	long long org_id;
	char siren[10];
	char connector[16];          /* of the act's transmission */
	char remote_id[128];         /* the act's S²LOW transaction */
	char idacte[128];            /* the act's IDActe */
	char state[16];              /* new | sending | sent | acknowledged | refused | "" */
	char name[256];              /* the archive, once named */
	int sends, tries;
	long long sending_age_s;
};
struct cancel_row {
	struct act_send s;
	char doc_state[24];
};
/* Loads and locks (FOR UPDATE) the document and its cancellation. */
int store_cancel_load(struct store_conn *c, const char *doc_id, struct cancel_row *k, struct lerr *e) LERR_WUR;
/* Cancellation 'sending' (sends + 1, remote_name s->name), job out of
 * reach for lease_s seconds: commit this before the first byte is sent. */
int store_cancel_start_send(struct store_conn *c, const struct act_send *s, long long job_id, int lease_s,
			    struct lerr *e) LERR_WUR;
/* state sent, new or refused (the document back to acknowledged, error its reason). */
int store_cancel_outcome(struct store_conn *c, const char *doc_id, const char *state, const char *error,
			 struct lerr *e) LERR_WUR;
/* The same for the job (name unused: kept by store_cancel_start_send). */
int store_cancel_settle(struct store_conn *c, const struct act_send *s, const char *state, const char *name,
			const char *error, struct lerr *e) LERR_WUR;
/* tries + 1 and a new job 'cancel' in delay_s seconds. */
int store_cancel_retry_later(struct store_conn *c, const struct act_send *s, const char *error, int delay_s,
			     struct lerr *e) LERR_WUR;
/* The 6-2 ARAnnulation came: document 'cancelled'. */
int store_cancel_answer(struct store_conn *c, const char *doc_id, struct lerr *e) LERR_WUR;
/* The annulations sent through S²LOW and not answered yet, for org_id:
 * the document and S²LOW's cancellation transaction (remote_name
 * "s2low:<id>"). */
int store_cancel_s2low_each(struct store_conn *c, long long org_id,
			    void (*fn)(void *arg, const char *doc_id, const char *cancel_id), void *arg,
			    struct lerr *e) LERR_WUR;
/* The document whose 6-1 archive is <tri>-<envelope>.tar.gz (doc_id "" if none). */
int store_cancel_find(struct store_conn *c, long long org_id, const char *envelope, char doc_id[37],
		      struct lerr *e) LERR_WUR;

/* ---- an organisation's @ctes classification (classification.c) ---- */
/* The 7-2 as received, and its JSON (flow/acte_classjson.c), whose date
 * becomes classification_date; journaled. */
int store_org_classification_set(struct store_conn *c, long long org_id, const void *xml, size_t len,
				 const char *json, struct lerr *e) LERR_WUR;
/* The JSON with received_at (malloc'd), LERR_NOTFOUND when none was received. */
int store_org_classification_get(struct store_conn *c, long long org_id, char **json, struct lerr *e) LERR_WUR;
/* Its DateClassification, YYYY-MM-DD, "" when none. */
int store_org_classification_date(struct store_conn *c, long long org_id, char date[11], struct lerr *e) LERR_WUR;
/* A 7-1 wanted now: on demand (later_than NULL), or when an ARActe names a
 * classification of date later_than later than the stored one (*wanted: recorded). */
int store_org_classification_want(struct store_conn *c, long long org_id, const char *later_than, int *wanted,
				  struct lerr *e) LERR_WUR;
/* Whether a 7-1 is due (wanted since the last request, or unanswered for a day). */
int store_org_classification_due(struct store_conn *c, long long org_id, int *due, struct lerr *e) LERR_WUR;
int store_org_classification_requested(struct store_conn *c, long long org_id, struct lerr *e) LERR_WUR;

/* ---- web pages (src/store/web.c, owner: web): reads as JSON text (malloc'd),
 * scoped to the person asking ---- */
struct web_queue_filter {
	const char *siren, *kind, *client, *due_before;   /* NULL: any */
	int limit;                                         /* 0: 100 */
	const char *cursor;   /* a cursor of queue_slice(); NULL: the first page */
	int back;             /* the page before cursor, not after it */
};
struct web_journal_filter {
	const char *actor, *action, *doc_id, *since;      /* NULL: any */
	long long before_id;                               /* 0: from the newest */
	int limit;                                         /* 0: 100 */
};
/* {id,email,name,operator,signer,agent,org_admin,pending}; LERR_NOTFOUND if disabled. */
int store_web_me(struct store_conn *c, long long person, char **json, struct lerr *e) LERR_WUR;
/* {total,count,first,next,prev,items:[{id,title,kind,siren,org,vendor,due_date,
 * created_at,overdue,for,action}],orgs,vendors}: a page in the API's order and
 * cursor (SQL queue_slice()); first: the filtered rows before it; next, prev:
 * the cursors of the pages after and before it, null at either end.  A
 * cursor that is not one: LERR_MALFORMED. */
int store_web_queue(struct store_conn *c, long long person, const struct web_queue_filter *f,
		    char **json, struct lerr *e) LERR_WUR;
/* {doc (doc_json),org,vendor,meta,may_sign,for,signer,history}; LERR_NOTFOUND if not visible. */
/* An agent, administrator or operator asks for the document's cancellation
 * (for an acknowledged act: the annulation sent to the prefecture), as a
 * vendor's POST .../cancel does: LERR_FORBIDDEN for anyone else, the
 * transitions table's LERR_CONFLICT when its state does not allow it. */
int store_web_doc_cancel(struct store_conn *c, long long person, const char *doc_id, const char *actor,
			 const char *reason, struct lerr *e) LERR_WUR;
int store_web_doc(struct store_conn *c, long long person, const char *doc_id, char **json,
		  struct lerr *e) LERR_WUR;
int store_web_file(struct store_conn *c, long long person, const char *doc_id, int n,
		   struct doc_file *out, struct lerr *e) LERR_WUR;
int store_web_signed(struct store_conn *c, long long person, char **json, struct lerr *e) LERR_WUR;
int store_web_follow(struct store_conn *c, long long person, const char *state, const char *siren,
		     char **json, struct lerr *e) LERR_WUR;
int store_web_delegations(struct store_conn *c, long long person, char **json, struct lerr *e) LERR_WUR;
/* The PES_Retour of the organisations person follows (siren NULL: all of
 * them), newest first, 500 at most, with those organisations for a filter;
 * one of them as a file (LERR_NOTFOUND when not theirs), its organisation. */
int store_web_returns(struct store_conn *c, long long person, const char *siren, char **json,
		      struct lerr *e) LERR_WUR;
int store_web_return_file(struct store_conn *c, long long person, const char *return_id,
			  long long *org_id, struct doc_file *out, struct lerr *e) LERR_WUR;
int store_web_letter(struct store_conn *c, long long person, const char *doc_id, long long letter, char **json,
		     struct lerr *e) LERR_WUR;
int store_web_people(struct store_conn *c, char **json, struct lerr *e) LERR_WUR;
int store_web_journal(struct store_conn *c, const struct web_journal_filter *f, char **json,
		      struct lerr *e) LERR_WUR;
int store_web_jobs(struct store_conn *c, char **json, struct lerr *e) LERR_WUR;
int store_web_job_retry(struct store_conn *c, long long job, const char *actor, struct lerr *e) LERR_WUR;

/* ---- archiving the files of finished documents (src/store/archive.c,
 * functions/85_archive.sql, doc/retention.md) ---- */
/* The directory of the copies (config archive_dir), set once at start-up;
 * "" turns archiving off. */
void store_archive_set_dir(const char *dir);
const char *store_archive_dir(void);
struct store_archive_blob {
	long long id, size;
	int nchunks;
	uint8_t sha256[32];
};
/* Writes, syncs and checks the blob's copy in archive_dir. */
int store_archive_copy(struct store_conn *c, const struct store_archive_blob *b, struct lerr *e) LERR_WUR;
/* Chunk seq of a blob whose chunks were deleted, read from its copy;
 * called by store_blob_chunk(). */
int store_archive_chunk(struct store_conn *c, long long blob_id, int seq, void *out, size_t *len,
			struct lerr *e) LERR_WUR;
/* 0 when the blob is in the database or its archived copy hashes to its
 * SHA-256 (read whole): called before a file is served or read, so that a
 * damaged copy is an error and never wrong bytes. */
int store_blob_verify(struct store_conn *c, long long blob_id, struct lerr *e) LERR_WUR;
/* Up to batch documents due for archiving under their organisation's policy. */
int store_archive_due(struct store_conn *c, int batch, char (*ids)[37], int *n, struct lerr *e) LERR_WUR;
/* Copies the document's files, then in one transaction moves it to
 * 'archived' and deletes the chunks nothing else needs (*chunks: how many).
 * LERR_CONFLICT when the document's state no longer allows it. */
int store_archive_document(struct store_conn *c, const char *doc, const char *actor, int *chunks,
			   struct lerr *e) LERR_WUR;

/* ---- certificates and wrapped keys (src/store/cert.c, 005_certificate.sql) ---- */
/*
 * The key blob (src/sign/custody.h) is stored, never shown: cert_json() in
 * SQL leaves it out.  admin_id: the person acting through the API (operator,
 * or administrator of an organisation of the certificate's holder); 0: the
 * command line.  Refusals come as LERR_NOTFOUND/FORBIDDEN/CONFLICT.
 */
struct cert_new {
	long long admin_id;
	const char *email;           /* the holder */
	const void *der, *chain, *blob;
	size_t derlen, chainlen, bloblen;
	const uint8_t *sha256;       /* of der */
	const char *subject, *issuer, *serial;
	long long not_before, not_after;   /* Unix time */
	const char *actor;
};
/* *replaced: the certificate awaiting enrolment this one replaces (0: none). */
int store_cert_add(struct store_conn *c, const struct cert_new *n, long long *id, long long *replaced,
		   struct lerr *e) LERR_WUR;
/* JSON array, nearest expiry first (revoked last); person_id 0: everyone the
 * admin may see. */
int store_cert_list_json(struct store_conn *c, long long admin_id, long long person_id, char **json,
			 struct lerr *e) LERR_WUR;
/* op "unlock" or "revoke" of certificate id, or (id 0) of email's current one;
 * json (malloc'd): the certificate after. */
int store_cert_admin(struct store_conn *c, const char *op, long long id, const char *email,
		     long long admin_id, const char *actor, char **json, struct lerr *e) LERR_WUR;
int store_cert_person_id(struct store_conn *c, const char *email, long long *id,
			 struct lerr *e) LERR_WUR;

struct cert_row {
	long long id;
	char state[16];              /* enrolment | active | revoked */
	int pin_failures, locked;
	long long not_before, not_after;
	char subject[512];
	void *der, *chain, *blob;    /* malloc'd; store_cert_row_fini() */
	size_t derlen, chainlen, bloblen;
};
/* The person's current certificate (cert_current() in SQL); LERR_FORBIDDEN when none. */
int store_cert_current(struct store_conn *c, long long person_id, struct cert_row *out,
		       struct lerr *e) LERR_WUR;
/* The person's certificate awaiting enrolment, even while an older one is
 * active (a renewal); LERR_CONFLICT when none. */
int store_cert_pending(struct store_conn *c, long long person_id, struct cert_row *out,
		       struct lerr *e) LERR_WUR;
void store_cert_row_fini(struct cert_row *r);
/* PIN attempts, each in its own committed transaction (call outside one):
 * reserve before trying (LERR_FORBIDDEN when locked or revoked; *left =
 * attempts left after this one), then report the outcome "ok" (counter
 * cleared), "wrong" (kept; locks at five) or "void" (given back). */
int store_cert_pin_reserve(struct store_conn *c, long long cert_id, int *left,
			   struct lerr *e) LERR_WUR;
int store_cert_pin_outcome(struct store_conn *c, long long cert_id, const char *outcome,
			   const char *actor, int *left, struct lerr *e) LERR_WUR;
/* Enrolment done: blob now under the official's PIN, state active. */
int store_cert_enrolled(struct store_conn *c, long long cert_id, const void *blob, size_t len,
			const char *actor, char **json, struct lerr *e) LERR_WUR;

/* ---- signing a document (src/store/signing.c), in the caller's transaction ---- */
struct buf;
struct sign_claim {
	int status;                  /* 0: sign it; 404 invisible, 403 not theirs, 409 not pending */
	char state[24], kind[16];
	long long signed_for;        /* the person signed for (self or delegator) */
	char for_name[201];          /* the delegator's name, "" when for oneself */
	char by_name[201], signed_at[40];   /* 409: who signed it already, when */
	int want_transmit;
	char meta[8192];             /* document.meta as JSON text */
	char city[101], postal_code[11], role_function[41];
	char file_name[512], media_type[128];
	long long blob_id;
	int nchunks;
	long long size;
	long long org_id;            /* the document's organisation (store_sign_claim_many only) */
};
/* Locks the document row and checks it; when status is 0, data receives the
 * main file (data->max is honoured). */
int store_sign_claim(struct store_conn *c, long long person_id, const char *doc_id,
		     struct sign_claim *out, struct buf *data, struct lerr *e) LERR_WUR;
struct sign_done {
	long long person_id, signed_for;
	const char *doc_id;
	const char *role;            /* "signed" (enveloped) or "signature" (detached) */
	const char *name, *media_type;
	const void *data;
	size_t len;
	long long blob_id;           /* not 0: the file, stored already (data unused) */
	const char *actor;
	const char *detail_json;     /* merged into the journal entry's detail */
};
/* Stores the file, signed_by/for/at, pending_signature -> signed (-> queued
 * and a transmit job when wanted), journaled; state receives the new state. */
int store_sign_finish(struct store_conn *c, const struct sign_done *d, char state[24],
		      struct lerr *e) LERR_WUR;
/* The same for n documents in one statement each way.  ids: valid, distinct
 * uuids, sorted (lock order).  data[i] receives main files of one chunk;
 * for larger ones (out[i].nchunks > 1) call store_sign_read_main(). */
int store_sign_claim_many(struct store_conn *c, long long person_id, const char *const *ids, int n,
			  struct sign_claim *out, struct buf *data, struct lerr *e) LERR_WUR;
int store_sign_read_main(struct store_conn *c, const struct sign_claim *cl, struct buf *data,
			 struct lerr *e) LERR_WUR;
/* Files of at most STORE_CHUNK_SIZE bytes each; states[i] (or errs[i]) per
 * document, each in its own subtransaction. */
int store_sign_finish_many(struct store_conn *c, long long person_id, const char *actor,
			   const struct sign_done *d, int n, char (*states)[24], struct lerr *errs,
			   struct lerr *e) LERR_WUR;

/* ---- events and webhooks (src/store/event.c, 006_events.sql) ---- */
/* A trigger on document writes an event for every creation and state
 * change; nothing to call.  store_event_seal() gives the committed events
 * their feed position (so after=N never skips one that commits late) and
 * queues their webhook deliveries; *n counts them.  Safe from several
 * processes at once. */
int store_event_seal(struct store_conn *c, int *n, struct lerr *e) LERR_WUR;
/* The client's events after feed position `after`, ascending, at most
 * limit: a JSON array text (malloc'd), its length, and the last position
 * (after itself when the page is empty).  *purged: the highest position of
 * this client's events purged after their retention period (0: none), read
 * in the same snapshot: when after < *purged, events were lost to this
 * reader (src/http/events.c answers 410). */
int store_event_list(struct store_conn *c, long long client_id, long long after, int limit,
		     char **items_json, int *count, long long *last, long long *purged,
		     struct lerr *e) LERR_WUR;

/* ---- retention (src/store/retention.c, 012_retention.sql) ---- */
enum store_purge {
	STORE_PURGE_EVENTS,        /* feed events, as a prefix of the feed, and their finished deliveries */
	STORE_PURGE_DELIVERIES,    /* finished webhook deliveries and their attempts */
	STORE_PURGE_JOBS,          /* finished jobs no webhook names */
	STORE_PURGE_SESSIONS,      /* expired sessions (idle_s: session_idle_timeout) */
	STORE_PURGE_NOTIFICATIONS, /* e-mail notifications sent, skipped or failed for good */
	STORE_PURGE_IDEMPOTENCY,   /* Idempotency-Key records (not the i-Parapheur door's) */
};
/* Deletes at most batch rows past keep_s seconds, in one transaction of
 * its own (call it outside any); *n: rows deleted (call again while it is
 * batch).  keep_s <= 0 deletes nothing. */
int store_retention_purge(struct store_conn *c, enum store_purge what, long long keep_s, long long idle_s,
			  int batch, int *n, struct lerr *e) LERR_WUR;

#define STORE_WEBHOOKS_MAX 10        /* live webhooks per client */
/* Creates a webhook for client_id, or (client_id 0) for the live client
 * named client_name, journaled with actor; *json (malloc'd) is the webhook
 * without its secret.  LERR_NOTFOUND: no such client; LERR_CONFLICT:
 * STORE_WEBHOOKS_MAX reached. */
int store_webhook_add(struct store_conn *c, long long client_id, const char *client_name,
		      const char *url, const char *secret, const char *actor, char **json,
		      struct lerr *e) LERR_WUR;
/* The live webhooks of client_id (0: all clients) as a JSON array (malloc'd). */
int store_webhook_list(struct store_conn *c, long long client_id, char **json, struct lerr *e) LERR_WUR;
/* Deletes (journaled with actor); LERR_NOTFOUND if not client_id's (0: any client's). */
int store_webhook_delete(struct store_conn *c, long long client_id, const char *id,
			 const char *actor, struct lerr *e) LERR_WUR;
/* The delivery log of one webhook, newest attempt first (JSON array, malloc'd). */
int store_webhook_deliveries(struct store_conn *c, long long client_id, const char *id, int limit,
			     char **json, struct lerr *e) LERR_WUR;

struct webhook_send {
	long long delivery_id, event_seq;
	int attempt;                 /* 1 for the first */
	char url[2049];
	char secret[129];
	char *body;                  /* malloc'd JSON */
};
/* For the webhook job job_id (inside its transaction): the next delivery to
 * send now (*found), the job leased for lease_s seconds; commit before
 * sending.  *found = 0: nothing to send now (the webhook got a job for
 * later if needed; more = 0 asks for that job now instead of a delivery). */
int store_webhook_next(struct store_conn *c, long long job_id, int lease_s, int more,
		       struct webhook_send *out, int *found, struct lerr *e) LERR_WUR;
void store_webhook_send_fini(struct webhook_send *s);
/* One attempt: ok, or retried after retry_s seconds, or failed for good
 * (retry_s < 0).  http_status 0: no HTTP answer. */
int store_webhook_record(struct store_conn *c, long long delivery_id, int http_status,
			 const char *error, int duration_ms, int ok, int retry_s,
			 struct lerr *e) LERR_WUR;

/* Metrics (http/metrics.c, doc/metrics.md).  The pool now: connections
 * allowed, open, idle, callers waiting; waits: acquisitions that waited. */
struct store_pool_stats {
	int size, open, idle, waiting;
	unsigned long long waits;
};
void store_pool_stats(struct store *s, struct store_pool_stats *out);
/* The gauges read at scrape time, one call of fn per row: family
 * "documents" (kind, state), "jobs" (kind, "ready" | "scheduled"),
 * "transmissions" (connector, "sending" | "sent"), "locked" ("login" |
 * "pin", ""), and the count. */
typedef void store_metrics_row_fn(void *arg, const char *family, const char *a, const char *b,
				  long long n);
int store_metrics_scrape(struct store_conn *c, store_metrics_row_fn *fn, void *arg,
			 struct lerr *e) LERR_WUR;

/* ---- the prefecture's letters and their answers (letter.c, 020_letter.sql) ---- */
struct letter_in {
	const char *code;            /* 2-1 3-1 4-1 5-1 */
	const char *form;            /* the form's file name */
	const char *idacte;
	const char *date;            /* YYYY-MM-DD or "" */
	const char *text;            /* DescriptionPieces, Motif, NatureIllegalite or "" */
	const char *files_json;      /* JSON array of the NomFichier it lists */
	const char *remote_id;       /* through S²LOW: its transaction of the letter, else NULL */
};
/* Records a letter of doc_id (event and journal); *id 0 when it was known. */
int store_letter_add(struct store_conn *c, const char *doc_id, const struct letter_in *l, long long *id,
		     struct lerr *e) LERR_WUR;
/* {"items":[...]} of a document visible to client_id (0: any). */
int store_letters_json(struct store_conn *c, const char *doc_id, long long client_id, char **json,
		       struct lerr *e) LERR_WUR;
int store_letter_json(struct store_conn *c, const char *doc_id, long long letter_id, char **json,
		      struct lerr *e) LERR_WUR;
/* Inside a transaction: the answer recorded (state new, a job
 * "letter_answer"); 404, 409 or 422 as lerr kinds with the reason. */
int store_letter_answer_begin(struct store_conn *c, const char *doc_id, long long client_id, long long letter_id,
			      const char *code, const char *by, struct lerr *e) LERR_WUR;
int store_letter_answer_file(struct store_conn *c, long long letter_id, const char *name, const char *media_type,
			     const void *data, size_t len, struct lerr *e) LERR_WUR;
/* The platform acknowledged the answer to doc_id's letter of code (3-1,
 * 4-1) dated date: *id the letter (0 when none such was sent). */
int store_letter_answer_ack(struct store_conn *c, const char *doc_id, const char *code, const char *date,
			    long long *id, struct lerr *e) LERR_WUR;
/* The answer the job "letter_answer" of doc_id has to send (locked). */
struct letter_answer_row {
	struct act_send s;           /* name: the answer's archive; id: the letter */
	char letter_remote[64];      /* S²LOW's transaction of the letter */
	char type_piece[16];         /* the act's typology (S²LOW's type_acte) */
	char code[4];                /* the answer's: 2-2 3-2 3-3 4-2 4-3 */
	char date[11];               /* the letter's DateCourrierPref */
};
/* *found 0 when doc_id has no answer to send. */
int store_letter_answer_load(struct store_conn *c, const char *doc_id, struct letter_answer_row *a, int *found,
			     struct lerr *e) LERR_WUR;
int store_letter_answer_files(struct store_conn *c, long long letter_id,
			      void (*fn)(void *arg, int n, const char *name, const char *media_type, long long blob,
					 long long size, int nchunks),
			      void *arg, struct lerr *e) LERR_WUR;
/* The rest take the struct act_send of a struct letter_answer_row.  State
 * sent, new or refused (error the reason; name, when not NULL, the
 * archive's); sending (sends + 1, the archive s->name), the job out of reach
 * for lease_s seconds: commit this before the first byte is sent; retry:
 * tries + 1 and a new job in delay_s seconds. */
int store_letter_answer_state(struct store_conn *c, const struct act_send *s, const char *state, const char *name,
			      const char *error, struct lerr *e) LERR_WUR;
int store_letter_answer_sending(struct store_conn *c, const struct act_send *s, long long job_id, int lease_s,
				struct lerr *e) LERR_WUR;
int store_letter_answer_retry(struct store_conn *c, const struct act_send *s, const char *error, int delay_s,
			      struct lerr *e) LERR_WUR;

/* ---- the i-Parapheur web services (ipar.c, 027_iparapheur.sql; doc/compat.md) ---- */
struct ipar_type {
	const char *type_technique, *sous_type;
	const char *kind;             /* doc_kind */
	const char *circuit;          /* NULL: the organisation's routing (one step) */
};
/* Adds or replaces an organisation's (TypeTechnique, SousType); journaled. */
int store_ipar_type_add(struct store_conn *c, const char *siren, const struct ipar_type *t,
			const char *actor, struct lerr *e) LERR_WUR;
int store_ipar_type_remove(struct store_conn *c, const char *siren, const char *type_technique,
			   const char *sous_type, const char *actor, struct lerr *e) LERR_WUR;
/* [{siren, type, sous_type, kind, circuit}] of the client's organisations
 * (client_id 0: of all), malloc'd JSON text. */
int store_ipar_types_json(struct store_conn *c, long long client_id, char **json, struct lerr *e) LERR_WUR;
/* What a dossier created through CreerDossier keeps beyond its document. */
struct ipar_dossier {
	const char *dossier_id, *type_technique, *sous_type;
	const char *annotation_publique, *annotation_privee, *visibilite;   /* NULL: none */
};
int store_ipar_dossier_add(struct store_conn *c, const char *doc_id, long long client_id,
			   const struct ipar_dossier *d, struct lerr *e) LERR_WUR;
/* {document, type_technique, sous_type, annotation_*, visibilite, archived,
 * history: [{at, state, reason, actor}]} of the client's dossier (malloc'd);
 * LERR_NOTFOUND when the client has no such DossierID. */
int store_ipar_dossier_json(struct store_conn *c, long long client_id, const char *dossier_id,
			    char **json, struct lerr *e) LERR_WUR;
/* ArchiverDossier: marks the dossier archived (LERR_NOTFOUND when unknown). */
int store_ipar_dossier_archive(struct store_conn *c, long long client_id, const char *dossier_id,
			       struct lerr *e) LERR_WUR;

/* RechercherDossiers: [{dossier_id, state, at, reason}], newest first. */
struct ipar_search {
	const char *type_technique, *sous_type;   /* NULL: any */
	const char *states, *ids;                 /* JSON arrays of strings, NULL: any */
	int limit;                                /* 0: 1000 */
};
int store_ipar_search_json(struct store_conn *c, long long client_id, const struct ipar_search *s,
			   char **json, struct lerr *e) LERR_WUR;
/* GetCircuit: {siren, kind, circuit, steps: [{name, email}]}; LERR_NOTFOUND
 * when no organisation of the client has the (type, sub-type). */
int store_ipar_circuit_json(struct store_conn *c, long long client_id, const char *type_technique,
			    const char *sous_type, char **json, struct lerr *e) LERR_WUR;

/* GetClassificationActesTdt: the @ctes 7-2 as received (malloc'd) of the
 * client's organisation that has type_technique (NULL: its first by SIREN);
 * LERR_NOTFOUND when none was received. */
int store_ipar_classification(struct store_conn *c, long long client_id, const char *type_technique,
			      void **xml, size_t *len, struct lerr *e) LERR_WUR;
/* ---- secrets at rest (secrets.c, functions/85_secrets.sql, core/kek.h) ---- */

struct secret_inventory {
	long long current, previous;   /* sealed under the current key, under a previous one */
	long long clear;               /* not sealed (written before sealing was on) */
	long long unknown;             /* sealed under a key the keyring does not hold */
	char unknown_kid[2 * 8 + 1];   /* one of those keys */
};
/* Counts the secret values by the key that sealed them (all zero before the
 * migrations). */
int store_secret_inventory(struct store_conn *c, struct secret_inventory *out, struct lerr *e) LERR_WUR;

struct reseal_stats {
	long long resealed, changed, failed, batches;
	char first_failure[300];
};
/* Seals every value not sealed under the current key (in clear, or under a
 * previous key) under the current key, batch values per transaction;
 * changed: rewritten meanwhile (left for another pass); failed: does not
 * open (first_failure says the first). */
int store_secret_reseal(struct store_conn *c, int batch, struct reseal_stats *st, struct lerr *e) LERR_WUR;

/* ---- an organisation's logo, an act's publication date (logo.c, 038) ---- */
/* 0 when the person is an agent or administrator of the document's
 * organisation (person_may_manage), else LERR_FORBIDDEN (web.c). */
int store_web_may_manage(struct store_conn *c, long long person, const char *doc_id,
			 struct lerr *e) LERR_WUR;
/* Sets (replaces) the logo, checked beforehand (pdf/ lpdf_image_check). */
int store_org_logo_set(struct store_conn *c, const char *siren, const char *media_type, int w, int h,
		       const void *data, size_t len, const char *actor, struct lerr *e) LERR_WUR;
/* LERR_NOTFOUND when it has none. */
int store_org_logo_delete(struct store_conn *c, const char *siren, const char *actor,
			  struct lerr *e) LERR_WUR;
/* The logo into out (out->len 0 and media_type "" when none). */
int store_org_logo_get(struct store_conn *c, const char *siren, char media_type[16], struct buf *out,
		       struct lerr *e) LERR_WUR;
/* The logo of the organisation of that id (out->len 0 when none): a signing
 * batch reads it once per organisation (sign_claim.org_id). */
int store_org_logo_of(struct store_conn *c, long long org_id, struct buf *out,
		      struct lerr *e) LERR_WUR;
/* Records the act's publication date (YYYY-MM-DD), journaled, event
 * document.published; LERR_CONFLICT when not acknowledged, LERR_INVALID
 * (field "date") before the decision date or after today. */
int store_doc_publish(struct store_conn *c, const char *doc_id, const char *date, const char *actor,
		      struct lerr *e) LERR_WUR;
/* dd/mm/yyyy of the act's publication, "" when unknown. */
int store_doc_published_day(struct store_conn *c, const char *doc_id, char day[11],
			    struct lerr *e) LERR_WUR;
/* The document's stamped copy of file number stamps (-1: not said), of
 * that role, replaced in place (its number kept), or added when it has
 * none, with a blob stored already (store_blob_from_fd).  An
 * annexe_tamponnee is one per annex (found by stamps), an acte_tamponne
 * one per document. */
int store_doc_file_put_blob(struct store_conn *c, const char *doc_id, const char *role,
			    const char *name, const char *media_type, long long blob_id, int stamps,
			    struct lerr *e) LERR_WUR;

#endif
