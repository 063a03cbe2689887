/*
 * signdoc.h - officials sign documents of their queue with their own
 * certificate: one PIN for a batch, a result per document.  Also the
 * certificate's import and enrolment, which join the same two halves.
 *
 * Why flow/: signing a document is a step of the document's life (state
 * pending_signature -> signed -> queued) that needs both store/ (the row,
 * its files, the wrapped key, the PIN counter) and sign/ (unwrapping, the
 * profiles).  Neither may call the other, so the step lives above both,
 * with the state machine.  It includes no libpq, no OpenSSL: store.h and
 * sign.h/certkey.h name no library type.  http/ (POST /api/v1/queue/sign),
 * web/ (the queue page) and the CLI call these functions directly.
 *
 * Thread-safe: every call takes its own connection from the store.
 */
#ifndef LIASSE_FLOW_SIGNDOC_H
#define LIASSE_FLOW_SIGNDOC_H

#include <stddef.h>

#include "core/err.h"
#include "sign/custody.h"

struct store;

#define SIGNDOC_MAX_BATCH 500   /* documents in one batch */
#define SIGNDOC_MAX_PIN_FAILURES 5

struct signdoc_result {
	char id[40];            /* the document id as asked (truncated) */
	int ok;                 /* 1: signed now */
	char state[24];         /* the document's state after ("" if unknown) */
	struct lerr err;        /* when !ok: LERR_NOTFOUND (not visible), LERR_FORBIDDEN
				 * (not yours to sign), LERR_CONFLICT (already signed or
				 * not awaiting a signature), LERR_INVALID (the file cannot
				 * be signed), other kinds for failures */
};

struct signdoc_batch {
	long long person_id;    /* who signs (authenticated by the caller) */
	const char *actor;      /* journal actor, "person:<email>" */
	const char *const *docs;
	size_t ndocs;           /* 1 .. SIGNDOC_MAX_BATCH */
	const char *pin;        /* the caller wipes it afterwards */
	struct signdoc_result *results;   /* ndocs entries, filled by signdoc_batch() */
	/* out */
	int attempts_left;      /* PIN attempts left (after a wrong PIN: 0..4) */
	int locked;             /* signing is locked: an administrator must unlock */
	int nsigned;            /* documents signed by this call */
};

/*
 * Sign a batch.  The PIN is tried once: its attempt is counted (committed)
 * before the key derivation, so a failed batch still counts and concurrent
 * batches cannot try more than five PINs.  Then each document is signed in
 * its own transaction: claimed (row lock; of two batches over the same
 * document, one signs it and the other gets LERR_CONFLICT "already signed"
 * in its result), signed with its kind's profile (pes: PES V2 XAdES-EPES
 * enveloped; acte: detached CAdES; document: XAdES B-B, B-T with tsa_url,
 * detached, or enveloped for XML when meta.signature is "enveloped"), its
 * file stored ('signed' or 'signature'), the state moved and journaled.
 *
 * Returns 0 when the key was opened (then read each result), else:
 * LERR_FORBIDDEN field "pin" wrong PIN (attempts_left), or locked (locked
 * set), or no usable certificate (none, awaiting enrolment, revoked,
 * expired, not yet valid: the message says which); LERR_INVALID for a
 * malformed request (no documents, too many).
 */
int signdoc_batch(struct store *s, struct signdoc_batch *b, struct lerr *e) LERR_WUR;

/* 1 when signdoc has a signer for the signature profile (the names of
 * core/kind.c: "pes-xades-epes", "cades", "xades-baseline"). */
int signdoc_profile_known(const char *name);

/*
 * Import a PKCS#12 for the person with e-mail email: the key is wrapped
 * under a new one-time enrolment code, written to code (show it once).
 * admin_id: the administrator acting (0: the command line).  *id: the new
 * certificate's id; *replaced: the person's certificate awaiting enrolment
 * it replaces (0: none).  A failed import stores nothing; its refusals name
 * the field at fault ("file", "password", "person").
 */
int signdoc_import_ex(struct store *s, long long admin_id, const char *email, const void *p12,
		      size_t len, const char *password, const char *actor, long long *id,
		      long long *replaced, char code[CUSTODY_CODE_SIZE], struct lerr *e) LERR_WUR;
/* The same, not telling which certificate was replaced. */
int signdoc_import(struct store *s, long long admin_id, const char *email, const void *p12,
		   size_t len, const char *password, const char *actor, long long *id,
		   char code[CUSTODY_CODE_SIZE], struct lerr *e) LERR_WUR;

/*
 * The official exchanges the enrolment code for a PIN of their own (the
 * code is tried like a PIN: counted, five failures lock).  json (malloc'd,
 * may be NULL): the certificate after.  LERR_INVALID: weak PIN or malformed
 * code (not counted); LERR_FORBIDDEN field "code": wrong code; LERR_CONFLICT:
 * nothing awaiting enrolment.
 */
int signdoc_enrol(struct store *s, long long person_id, const char *code, const char *pin,
		  const char *actor, char **json, int *attempts_left, struct lerr *e) LERR_WUR;

#endif
