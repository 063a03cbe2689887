/*
 * kind.h - the table of document kinds ("pes", "acte", "document"): what
 * each kind is called, its defaults, the signature profiles it allows, the
 * connectors that carry it.  Pure data, consulted by every layer (store/
 * and transmit/ included, which cannot call flow/); the checks at the door
 * of each kind are function pointers in flow/door.c, keyed by the name.
 * Model: curl's struct Curl_scheme / Curl_get_scheme().  See "Document
 * kinds" in src/flow/README.
 */
#ifndef LIASSE_KIND_H
#define LIASSE_KIND_H

#include <stddef.h>

struct doc_kind {
	const char *name;               /* document.kind, metadata.kind, the SQL enum doc_kind */
	const char *label;              /* French, for people: "Flux comptable (PES)" */
	int sign, transmit;             /* defaults of metadata.sign and metadata.transmit */
	const char *const *profiles;    /* signature profiles allowed, the default first; NULL-ended */
	const char *const *connectors;  /* connector kinds that carry it, preferred first; NULL-ended,
					 * empty: never transmitted */
	const char *meta_key;           /* its own object in the upload's metadata, or NULL */
	int annexes;                    /* takes "annexe" parts after the main file */
	unsigned long long max_total;   /* bytes for all its files together; 0: each file up to
					 * document_max_size */
	const char *too_large_hint;     /* the hint when a file passes the limit */
};

/* The kind named name, or NULL (name NULL: NULL). */
const struct doc_kind *doc_kind_get(const char *name);
/* The i-th kind of the table, NULL past the end: for (i = 0; (k = doc_kind_at(i)); i++). */
const struct doc_kind *doc_kind_at(size_t i);
/* The names of all kinds joined by sep ("pes, acte, document"); static storage. */
const char *doc_kind_names(const char *sep);
/* The label of a kind by name, or the name itself when unknown ("" for NULL). */
const char *doc_kind_label(const char *name);

/* The kind's default signature profile (NULL: k NULL). */
const char *doc_kind_profile(const struct doc_kind *k);
/* 1 when the kind allows the profile. */
int doc_kind_profile_allowed(const struct doc_kind *k, const char *profile);
/* 1 when documents of the kind can be transmitted at all. */
int doc_kind_transmittable(const struct doc_kind *k);
/* 1 when the connector kind carries documents of the kind. */
int doc_kind_carried_by(const struct doc_kind *k, const char *connector);

/* Why a document of the kind cannot be transmitted yet by organisation
 * siren, which has none of the kind's connectors: e gets the message, detail
 * and hint (LERR_NOTFOUND, returned), *last the kind's last connector (the
 * transmission row that notes it names that one).  LERR_INTERNAL for a kind
 * never transmitted.  The note of the transmit job (transmit/xmit.c) and of
 * document_create(), which parks such a document without a job (store/doc.c). */
struct lerr;
int doc_kind_no_connector(const struct doc_kind *k, const char *siren, const char **last,
			  struct lerr *e);
/* The kind's connectors joined by sep into out (cap bytes); "" for none. */
const char *doc_kind_connectors(const struct doc_kind *k, const char *sep, char *out, size_t cap);

/* A foreign entry point's name for a kind (the compatibility APIs: an
 * S²LOW-compatible API, i-Parapheur's types): one row each. */
struct doc_kind_alias {
	const char *api;                /* "s2low", "iparapheur" */
	const char *foreign;            /* the name that API uses */
	const char *kind;               /* ours */
	const char *profile;            /* the signature profile it implies, NULL: the kind's default */
};
/* The alias of foreign in api, or NULL. */
const struct doc_kind_alias *doc_kind_alias(const char *api, const char *foreign);

#endif
