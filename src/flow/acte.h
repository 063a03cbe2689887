/*
 * acte.h - @ctes checks at the door: the "acte" metadata object, the
 * organisation's classification (RetourClassification) and the files.
 *
 * Field paths in errors start with ACTE_PATH ("metadata.acte.objet", ...).
 */
#ifndef LIASSE_FLOW_ACTE_H
#define LIASSE_FLOW_ACTE_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"
#include "flow/meta.h"

#define ACTE_PATH "metadata.acte"
#define ACTE_MAX_BYTES (150LL << 20)   /* all files of one act (the @ctes archive limit) */
#define ACTE_OBJET_MAX 499             /* characters */
#define ACTE_MAX_ANNEXES 200
#define ACTE_TYPE_LEN 5                /* CodeTypePJ: 2 digits, '_', 2 capitals */

enum acte_nature {
	ACTE_DE = 1,  /* délibérations */
	ACTE_AR,      /* actes réglementaires */
	ACTE_AI,      /* actes individuels */
	ACTE_CC,      /* contrats, conventions */
	ACTE_BF,      /* documents budgétaires et financiers */
	ACTE_AU,      /* autres */
};

struct acte_meta {
	int nature;                            /* 1..6 */
	char numero_interne[16];
	char objet[2 * ACTE_OBJET_MAX + 1];    /* UTF-8; every character has a Latin-1 form */
	struct meta_date date_decision;
	char classification[16];               /* "7.1", as given */
	int matiere[5];                        /* CodeMatiere1..5; 0 after the last level */
	int levels;                            /* 1..5 */
	char type_piece[ACTE_TYPE_LEN + 1];    /* given, or the nature's default */
	int type_piece_defaulted;
	int has_annexes_types;                 /* annexes_types was given */
	size_t n_annexes_types;
	char annexes_types[ACTE_MAX_ANNEXES][ACTE_TYPE_LEN + 1];
	int document_papier;
};

/* An organisation's RetourClassification: natures and matière codes. */
struct actes_classification;

/* Parse a RetourClassification (ISO-8859-1 XML as the prefecture sends it).
 * No DTD, no entities, no network; at most 1 MiB. */
int actes_classification_parse(const void *xml, size_t n, struct actes_classification **out,
			       struct lerr *e) LERR_WUR;
void actes_classification_free(struct actes_classification *c);
/* 1 when "1.2"-style code exists in the classification. */
int actes_classification_has(const struct actes_classification *c, const char *code);
/* The DateClassification (YYYY-MM-DD), "" when absent. */
const char *actes_classification_date(const struct actes_classification *c);
size_t actes_classification_count(const struct actes_classification *c);

/*
 * Check the "acte" object of the metadata and fill *out (which then owns no
 * pointer into the JSON).  cls: the organisation's classification, or NULL
 * when it has none (then only the shape of the code is checked).
 */
int acte_check(json_t *acte, const struct actes_classification *cls, struct acte_meta *out,
	       struct lerr *e) LERR_WUR;
/* Once the files are known: annexes_types (when given) must name each annexe. */
int acte_check_annexes(const struct acte_meta *m, size_t n_annexes, struct lerr *e) LERR_WUR;
/*
 * The first bytes of one file of an act.  role "main": a PDF ("%PDF-" at the
 * start).  role "annexe": PDF, PNG or JPEG (see src/flow/README).  On success
 * *media_type is a static string.  Refusals: LERR_INVALID, field "file" or
 * "annexe".
 */
int acte_file_check(const char *role, const void *head, size_t headlen,
		    const char **media_type, struct lerr *e) LERR_WUR;
/* The normalised "acte" object of the document JSON (new reference). */
json_t *acte_meta_json(const struct acte_meta *m);
/* "DE".."AU" for 1..6, NULL otherwise. */
const char *acte_nature_code(int nature);
/* The default CodeTypePJ of a nature (99_DE, 99_AR, 99_AI, 99_DC, 99_BU, 99_AU). */
const char *acte_default_type(int nature);

/* An answer to a letter of the prefecture (doc/actes-letters.md), from the
 * API or the web pages: code 2-2 3-2 3-3 4-2 4-3; one PDF, or one or more
 * for a 3-2 (the XSD's Document, Documents).  LERR_INVALID on "code" or
 * "file" with a hint. */
struct acte_answer_file {
	const char *name;
	const void *data;
	size_t len;
};
int acte_answer_check(const char *code, const struct acte_answer_file *f, int n, struct lerr *e) LERR_WUR;

#endif
