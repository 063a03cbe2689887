/*
 * letter.c - what an answer to a letter of the prefecture must be before it
 * is recorded (doc/actes-letters.md), for the API (http/letters.c) and the
 * agents' web page (web/letter.c): its code names an answer of the ACTES
 * XSD (2-2 ReponseCourrierSimple, 3-2 PieceComplementaire, 3-3
 * RefusPieceComplementaire, 4-2 ReponseLettreObservations, 4-3
 * RejetLettreObservations), it carries exactly one Document (Documents, one
 * or more, for a 3-2), and each is a PDF.  Which codes a given letter takes
 * is the database's (letter_answers(), functions/77_letter.sql).
 */
#include "flow/acte.h"

#include <string.h>

int
acte_answer_check(const char *code, const struct acte_answer_file *f, int n, struct lerr *e)
{
	static const char *const codes[] = { "2-2", "3-2", "3-3", "4-2", "4-3", NULL };
	int known = 0;

	for (int i = 0; code && codes[i]; i++)
		known |= !strcmp(code, codes[i]);
	if (!known) {
		lerr_set(e, LERR_INVALID, "code", "\"%s\" is not the code of an answer to the prefecture",
			 code ? code : "");
		lerr_hint(e, "2-2 answers a courrier simple; 3-2 sends the pieces asked for, 3-3 refuses them;"
			  " 4-2 answers a lettre d'observations, 4-3 refuses to");
		return LERR_INVALID;
	}
	if (n == 0 || (n > 1 && strcmp(code, "3-2"))) {
		lerr_set(e, LERR_INVALID, "file", "a %s carries %s", code,
			 strcmp(code, "3-2") ? "exactly one file" : "one file or more");
		lerr_hint(e, "send the answer's PDF as a \"file\" part (the pieces of a 3-2 as several)");
		return LERR_INVALID;
	}
	for (int i = 0; i < n; i++)
		if (f[i].len < 5 || memcmp(f[i].data, "%PDF-", 5)) {
			lerr_set(e, LERR_INVALID, "file", "%s is not a PDF", f[i].name);
			lerr_hint(e, "@ctes carries the answers to the prefecture as PDF files");
			return LERR_INVALID;
		}
	return 0;
}
