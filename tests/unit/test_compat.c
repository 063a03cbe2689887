/* src/compat: S2LOW's words, statuses, encodings and the quoting of
 * Pastell's bare part names, at every split of the body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat/s2low.h"
#include "tap.h"

struct out {
	char buf[4096];
	size_t n;
};

static int
emit(void *arg, const char *p, size_t n)
{
	struct out *o = arg;

	if (o->n + n >= sizeof(o->buf))
		return -1;
	memcpy(o->buf + o->n, p, n);
	o->n += n;
	o->buf[o->n] = '\0';
	return 0;
}

static void
unquote_splits(void)
{
	static const char in[] =
		"--B\r\nContent-Disposition: form-data; name=type_pj[]\r\n\r\n99_AU\r\n"
		"--B\r\nContent-Disposition: form-data; name=acte_attachments[]; filename=\"a.pdf\"\r\n\r\n%PDF-x\r\n"
		"--B\r\nContent-Disposition: form-data; name=\"quoted\"\r\n\r\nv\r\n--B--\r\n";
	static const char want[] =
		"--B\r\nContent-Disposition: form-data; name=\"type_pj[]\"\r\n\r\n99_AU\r\n"
		"--B\r\nContent-Disposition: form-data; name=\"acte_attachments[]\"; filename=\"a.pdf\"\r\n\r\n%PDF-x\r\n"
		"--B\r\nContent-Disposition: form-data; name=\"quoted\"\r\n\r\nv\r\n--B--\r\n";
	size_t n = strlen(in);
	int all = 1;

	for (size_t cut = 0; cut <= n; cut++)
		for (size_t cut2 = cut; cut2 <= n; cut2 += 7) {
			struct s2low_unquote u = { .n = 0 };
			struct out o = { .n = 0 };

			if (s2low_unquote_feed(&u, in, cut, emit, &o) ||
			    s2low_unquote_feed(&u, in + cut, cut2 - cut, emit, &o) ||
			    s2low_unquote_feed(&u, in + cut2, n - cut2, emit, &o) || s2low_unquote_end(&u, emit, &o) ||
			    strcmp(o.buf, want)) {
				all = 0;
				fprintf(stderr, "# split at %zu and %zu: %s\n", cut, cut2, o.buf);
				cut = n + 1;
				break;
			}
		}
	ok(all, "bare part names quoted, whatever the splits of the body");
}

int
main(void)
{
	struct arena *a = arena_create();
	struct lerr e;
	size_t n;

	unquote_splits();
	is_int(s2low_actes_status("pending_signature"), 18, "an act to sign: 18");
	is_int(s2low_actes_status("acknowledged"), 4, "acknowledged: 4");
	is_int(s2low_helios_status("refused"), 6, "a refused PES: 6");
	is_int(s2low_actes_status("failed"), -1, "failed: -1");
	is_str(s2low_latin1(a, "Échec", &n), "\xc9" "chec", "UTF-8 to ISO-8859-1");
	is_str(s2low_utf8(a, "Arr\xeat\xe9"), "Arrêté", "ISO-8859-1 to UTF-8");
	is_str(s2low_xml_escape(a, "a<b&'\""), "a&lt;b&amp;&#039;&quot;", "XML escaping as htmlspecialchars");
	lerr_clear(&e);
	lerr_set(&e, LERR_CONFLICT, "metadata.acte.numero_interne", "x");
	is_str(s2low_refusal(a, &e, "acte"), "Un acte portant le même numéro interne existe déjà dans la base de "
	       "données.\nIl faut peut-être ajouter un suffixe au numéro.", "duplicate number in S2LOW's words");
	lerr_clear(&e);
	lerr_set(&e, LERR_INVALID, "file", "NomFic \"X\" was already sent");
	is_str(s2low_refusal(a, &e, "pes"), "doublon détecté. Ce fichier a déjà été posté", "duplicate PES");
	lerr_clear(&e);
	lerr_set(&e, LERR_INVALID, "metadata.title", "too long");
	is_str(s2low_refusal(a, &e, "acte"), "Document refusé par liasse : too long (metadata.title)",
	       "liasse's own words otherwise, marked as such");
	struct s2low_acte_form f = { 0 };
	s2low_acte_field(&f, a, "number", "A", 1, 1);
	s2low_acte_field(&f, a, "number", "B1", 2, 0);
	s2low_acte_field(&f, a, "type_pj[]", "99_AU", 5, 1);
	s2low_acte_field(&f, a, "type_pj[]", "22_DE", 5, 1);
	s2low_acte_field(&f, a, "classif1", "7", 1, 1);
	s2low_acte_field(&f, a, "classif2", "1", 1, 1);
	s2low_acte_field(&f, a, "nature_code", "1", 1, 1);
	s2low_acte_field(&f, a, "subject", "Arr\xeat\xe9", 6, 1);
	s2low_acte_field(&f, a, "decision_date", "2026-01-02", 10, 1);
	lerr_clear(&e);
	json_t *m = s2low_acte_metadata(&f, "123456789", 1, &e);
	json_t *acte = json_object_get(m, "acte");
	is_str(json_string_value(json_object_get(acte, "numero_interne")), "AB1", "a field read in pieces");
	is_str(json_string_value(json_object_get(acte, "classification")), "7.1", "classif1..5 joined");
	is_str(json_string_value(json_object_get(acte, "objet")), "Arrêté", "subject read as ISO-8859-1");
	is_int((int)json_array_size(json_object_get(acte, "annexes_types")), 2, "one type per type_pj[]");
	ok(json_is_true(json_object_get(m, "sign")), "signed first when the rules say so");
	json_decref(m);
	f.number = NULL;
	lerr_clear(&e);
	ok(!s2low_acte_metadata(&f, "123456789", 0, &e) && !strcmp(e.msg, "Le numéro n'est pas correct"),
	   "no number: S2LOW's words");
	/* actes_transac_reponse_create.php's type_envoie: 3 refuses, 4 answers */
	is_str(s2low_answer_code("2-1", "4"), "2-2", "a courrier simple: 2-2");
	is_str(s2low_answer_code("3-1", "4"), "3-2", "pieces sent: 3-2");
	is_str(s2low_answer_code("3-1", "3"), "3-3", "pieces refused: 3-3");
	is_str(s2low_answer_code("4-1", "4"), "4-2", "observations answered: 4-2");
	is_str(s2low_answer_code("4-1", "3"), "4-3", "observations rejected: 4-3");
	ok(!s2low_answer_code("5-1", "4"), "a deferral takes no answer");
	arena_destroy(a);
	return tap_done();
}
