/*
 * door.h - the checks at the door of POST /api/v1/documents, per document
 * kind: http/upload.c feeds the upload through a struct door and never
 * names a kind.  The data of each kind (defaults, limits, profiles) is in
 * core/kind.h; its checks are a struct door_ops in doors[] (door.c), found
 * by the kind's name.  See src/flow/README, "Document kinds".
 */
#ifndef LIASSE_DOOR_H
#define LIASSE_DOOR_H

#include <stddef.h>
#include <jansson.h>

#include "core/err.h"
#include "core/kind.h"
#include "flow/acte.h"
#include "flow/pes_scan.h"

/* One upload at the door (embedded: door_init / door_fini). */
struct door {
	const struct doc_kind *kind;
	const struct door_ops *ops;
	struct pes_scan *ps;            /* pes: the stream scan of the main file */
	struct acte_meta acte;          /* acte: the checked "acte" object */
	json_t *meta;                   /* the kind's object of the document JSON, or NULL */
	json_t *warnings;               /* JSON array of warnings, or NULL */
	int asked_sign;                 /* "sign" as the vendor said it, -1: not said */
	json_t *sigopts;                /* signature_profile, signature_position, or NULL */
};

/* The organisation a document is posted for, as the door compares it with
 * the file: its SIREN and Hélios identifiers ("" when not configured;
 * codbuds comma-separated). */
struct door_owner {
	const char *siren;
	const char *idcoll, *codcol, *idpost, *codbuds;
};

/* A kind's checks; any may be NULL (nothing to check). */
struct door_ops {
	const char *kind;               /* the struct doc_kind it checks */
	/* The kind's own metadata object (metadata[kind->meta_key], NULL when
	 * absent), and anything else the kind asks of the metadata. */
	int (*meta)(struct door *d, json_t *obj, struct lerr *e);
	/* A file part starts (main_file: the "file" part, else an annexe). */
	int (*file_begin)(struct door *d, int main_file, struct lerr *e);
	/* Its bytes, as they arrive. */
	int (*file_feed)(struct door *d, const void *p, size_t n, struct lerr *e);
	/* It ended: head is its first bytes; *media_type is the declared type
	 * (NULL: none) and becomes the one stored. */
	int (*file_end)(struct door *d, const char *role, const void *head, size_t headlen,
			const char **media_type, struct lerr *e);
	/* All parts arrived (n_annexes after the main file). */
	int (*complete)(struct door *d, size_t n_annexes, struct lerr *e);
	/* The file belongs to the organisation it was posted for (after
	 * complete; the caller looks the organisation up only for kinds that
	 * have this check: door_wants_owner()). */
	int (*owner)(struct door *d, const struct door_owner *o, struct lerr *e);
};

/* Finds the kind and its checks (LERR_INVALID "metadata.kind" when unknown). */
int door_init(struct door *d, const char *kind, struct lerr *e) LERR_WUR;
void door_fini(struct door *d);

/* The metadata: sign / transmit against the kind's defaults (in and out:
 * *sign and *transmit are what the client asked, -1 when it did not say),
 * the kind's own object, and no other kind's object. */
int door_meta(struct door *d, json_t *m, int *sign, int *transmit, struct lerr *e) LERR_WUR;
int door_file_begin(struct door *d, int main_file, struct lerr *e) LERR_WUR;
int door_file_feed(struct door *d, const void *p, size_t n, struct lerr *e) LERR_WUR;
int door_file_end(struct door *d, const char *role, const void *head, size_t headlen,
		  const char **media_type, struct lerr *e) LERR_WUR;
int door_complete(struct door *d, size_t n_annexes, struct lerr *e) LERR_WUR;
/* 1 when the organisation's signature settings may apply: an acte, or a
 * PAdES document without signature_position. */
int door_wants_org_signature(const struct door *d);
/* The organisation's acts default (acte_signature "pades") and PAdES block
 * place (page 0: none), for what the vendor left out. */
int door_org_signature(struct door *d, const char *acte_signature, int page, float x, float y,
		       struct lerr *e) LERR_WUR;
/* The document's meta: the kind's object with the vendor's signature choices
 * (signature_profile, signature_position) merged in; new reference or NULL. */
json_t *door_meta_json(const struct door *d);
/* 1 when the kind compares the file with its organisation (door_owner). */
int door_wants_owner(const struct door *d);
/* 1 once what door_owner compares is known, before the file's end (a PES:
 * its header was read and checked), so that a file for another
 * organisation is refused while it streams in. */
int door_owner_ready(const struct door *d);
int door_owner(struct door *d, const struct door_owner *o, struct lerr *e) LERR_WUR;
/* The Hélios check of door_owner, on a scanned PES: IdColl, CodCol, IdPost
 * and CodBud (one of the organisation's budgets) must be the organisation's;
 * LERR_INVALID naming "pes.<field>" otherwise, or "metadata.organisation"
 * when the organisation has no Hélios identifiers. */
int door_pes_owner(const struct pes_info *pi, const struct door_owner *o, struct lerr *e) LERR_WUR;
/* A PES's existing signatures decide what liasse does with it (pes_signed.c,
 * after door_owner): door_wants_signatures() says whether to call it; file is
 * the main file's bytes (NULL when they could not be had: cannot says why).
 * *sign and *transmit may change (a fully signed PES: sign 0); a refusal is
 * LERR_INVALID on "metadata.sign", "pes.signatures" or
 * "pes.infodematerialisee"; the report goes into the "pes" object. */
int door_wants_signatures(const struct door *d);
int door_pes_signatures(struct door *d, const void *file, size_t len, const char *cannot,
			int *sign, int *transmit, struct lerr *e) LERR_WUR;
/* Bytes the next file may hold, total: the bytes of the files before it. */
long long door_file_limit(const struct door *d, long long total);

/* 1 when every kind of core/kind.c has its door_ops (a unit test asks). */
int door_complete_table(void);

#endif
