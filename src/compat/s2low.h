/*
 * s2low.h - the S2LOW-compatible API's protocol: S2LOW's form fields made
 * into liasse metadata, liasse's document states told as S2LOW statuses,
 * refusals worded as S2LOW words them, the texts and XML of its answers.
 * No HTTP and no database here: src/http/s2low.c serves the paths, the
 * documents are ordinary liasse documents.  doc/compat.md names the S2LOW
 * file each behaviour follows.
 */
#ifndef LIASSE_COMPAT_S2LOW_H
#define LIASSE_COMPAT_S2LOW_H

#include <jansson.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"

#define S2LOW_MAX_PJ 200

/* The fields of actes_transac_create.php, as posted (subject in ISO-8859-1). */
struct s2low_acte_form {
	const char *nature_code, *number, *subject, *decision_date, *document_papier, *type_acte;
	const char *classif[5];
	const char *type_pj[S2LOW_MAX_PJ];
	int ntype_pj;
};

/* Stores one field of actes_transac_create.php (first: a new value; else the
 * bytes continue the last one); unknown fields are ignored, as S2LOW does. */
void s2low_acte_field(struct s2low_acte_form *f, struct arena *a, const char *key,
		      const char *data, size_t n, int first);
/* The metadata of POST /api/v1/documents for the act; NULL and e set (French
 * message, as S2LOW refuses) when a field S2LOW requires is missing. */
json_t *s2low_acte_metadata(const struct s2low_acte_form *f, const char *siren, int sign,
			    struct lerr *e);
/* The same for a PES posted as "enveloppe" named filename. */
json_t *s2low_pes_metadata(const char *siren, const char *filename, int sign);

/* S2LOW's status number of an act (src/Enum/ActesStatus.php) or a PES
 * (src/Enum/HeliosStatus.php) in liasse's state. */
int s2low_actes_status(const char *state);
int s2low_helios_status(const char *state);
/* The words helios_transac_get_status.php gives with a status. */
const char *s2low_helios_words(int status);

/* A refusal of liasse's door in S2LOW's words (French, UTF-8), in arena a. */
const char *s2low_refusal(struct arena *a, const struct lerr *e, const char *kind);
/* The @ctes answer (2-2, 3-2, 3-3, 4-2, 4-3) to a letter of code letter
 * (2-1, 3-1, 4-1) for actes_transac_reponse_create.php's type_envoie (3: a
 * refusal, else an answer); NULL when the letter takes none (5-1). */
const char *s2low_answer_code(const char *letter, const char *type_envoie);

/* UTF-8 text as ISO-8859-1 (characters outside it become '?'), in arena a;
 * *n: its length. */
char *s2low_latin1(struct arena *a, const char *utf8, size_t *n);
/* ISO-8859-1 text as UTF-8, in arena a. */
char *s2low_utf8(struct arena *a, const char *latin1);
/* XML text escaped as PHP's htmlspecialchars(ENT_QUOTES), in arena a. */
char *s2low_xml_escape(struct arena *a, const char *s);

/*
 * Pastell writes the multipart body itself when two fields share a name
 * (type_pj[], acte_attachments[]: CurlWrapper's
 * curlSetPostDataWithSimilarFilename()), with unquoted names
 * ("Content-Disposition: form-data; name=type_pj[]"), which libmicrohttpd's
 * form reader skips.  This filter quotes such names as the body streams
 * through (a part header split across chunks is carried over); everything
 * else passes unchanged.
 */
#define S2LOW_UNQUOTE_CARRY 512
struct s2low_unquote {
	char carry[S2LOW_UNQUOTE_CARRY];
	size_t n;
};
typedef int (*s2low_emit_fn)(void *arg, const char *p, size_t n);
int s2low_unquote_feed(struct s2low_unquote *u, const char *p, size_t n, s2low_emit_fn emit, void *arg);
int s2low_unquote_end(struct s2low_unquote *u, s2low_emit_fn emit, void *arg);

#endif
