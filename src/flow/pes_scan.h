/*
 * pes_scan.h - the Hélios checks at the door, on a stream.
 *
 * A PES_Aller may be 128 MiB: it is never held in memory.  The caller feeds
 * the bytes as they arrive (any chunk size, even one byte at a time) and
 * calls pes_scan_finish() at the end.  Underneath is a libxml2 SAX2 push
 * parser with no DTD, no entity expansion and no network; memory stays
 * bounded (see src/flow/README for the figures).
 *
 *	struct pes_scan *ps = pes_scan_create();
 *	while (more bytes)
 *		if (pes_scan_feed(ps, p, n, &e)) -> refuse with e (LERR_INVALID, field "file")
 *	if (pes_scan_finish(ps, &e)) -> refuse with e
 *	info = pes_scan_info(ps);  json = pes_info_json(info);
 *	pes_scan_destroy(ps);
 *
 * The first refusal is sticky: later feed/finish calls return it again.
 * Refusals are the platform rules of DESIGN.md; deviations from the XSD
 * that Hélios tolerates become warnings (pes_info.warnings).
 */
#ifndef LIASSE_FLOW_PES_SCAN_H
#define LIASSE_FLOW_PES_SCAN_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"

#define PES_MAX_SIZE (128UL * 1024 * 1024)  /* enforced by the caller */
#define PES_NS_ALLER "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
#define PES_VALUE_MAX 255          /* bytes kept of one header value */
#define PES_IDBORD_MAX 31          /* bytes kept of one IdBord */
#define PES_BORD_KEPT 1000         /* IdBord values kept (the total is counted) */
#define PES_WARN_MAX 16
#define PES_WARN_LEN 240

enum pes_demat {
	PES_DEMAT_ABSENT = -1,     /* no InfoDematerialisee element */
	PES_DEMAT_NO = 0,          /* "0" or "false" */
	PES_DEMAT_YES = 1,         /* "1" or "true" */
	PES_DEMAT_BAD = 2,         /* another value (a warning says which) */
};

struct pes_info {
	char encoding[32];         /* as declared in the prolog; "" when none */
	char nomfic[PES_VALUE_MAX + 1];
	char codcol[PES_VALUE_MAX + 1];
	char idcoll[PES_VALUE_MAX + 1];
	char idpost[PES_VALUE_MAX + 1];
	char codbud[PES_VALUE_MAX + 1];
	char exercice[16];         /* Exer of the first bordereau */
	char root_id[PES_VALUE_MAX + 1];   /* PES_Aller/@Id, "" when none */
	int root_has_id;
	/* IdBord values in document order, the first PES_BORD_KEPT of them */
	char (*bordereaux)[PES_IDBORD_MAX + 1];
	size_t n_bordereaux_kept;
	size_t n_bordereaux;       /* all Bordereau elements (dépense + recette) */
	size_t n_bordereaux_with_id;  /* Bordereau elements that carry an Id */
	size_t n_pj;               /* PES_PJ/PJ */
	size_t n_marches;          /* PES_Marche/Marches/Marche + Concessions/Concession */
	size_t n_factures;         /* PES_Facture elements */
	enum pes_demat demat_depense;   /* EnTeteDepense/InfoDematerialisee */
	enum pes_demat demat_recette;   /* EnTeteRecette/InfoDematerialisee */
	int header_ok;             /* Enveloppe and EnTetePES read and checked: the
				    * Hélios identifiers above are final */
	int is_signed;             /* a ds:Signature anywhere */
	size_t n_signatures;
	size_t n_warnings;
	char warnings[PES_WARN_MAX][PES_WARN_LEN];
};

struct pes_scan;

struct pes_scan *pes_scan_create(void);          /* NULL when out of memory */
void pes_scan_destroy(struct pes_scan *ps);
int pes_scan_feed(struct pes_scan *ps, const void *p, size_t n, struct lerr *e) LERR_WUR;
int pes_scan_finish(struct pes_scan *ps, struct lerr *e) LERR_WUR;
/* What was seen so far (complete after a successful finish). */
const struct pes_info *pes_scan_info(const struct pes_scan *ps);
/* The "pes" object of the document JSON (new reference). */
json_t *pes_info_json(const struct pes_info *pi);
/* The warnings as a JSON array of strings (new reference). */
json_t *pes_info_warnings_json(const struct pes_info *pi);
/* 1 when every Bordereau has an Id (the signer signs them), else 0. */
int pes_info_bordereaux_signable(const struct pes_info *pi);

#endif
