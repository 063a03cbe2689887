/*
 * s2low_map.c - S2LOW's fields, statuses and words (see s2low.h; the S2LOW
 * file each follows is named in doc/compat.md, section S2LOW).
 */
#include "compat/s2low.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the form of actes_transac_create.php ---- */

static const char **
slot(struct s2low_acte_form *f, const char *key, int first)
{
	static const char *const names[] = { "nature_code", "number", "subject", "decision_date",
					     "document_papier", "type_acte" };
	const char **slots[] = { &f->nature_code, &f->number, &f->subject, &f->decision_date,
				 &f->document_papier, &f->type_acte };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(key, names[i]))
			return slots[i];
	if (!strncmp(key, "classif", 7) && key[7] >= '1' && key[7] <= '5' && !key[8])
		return &f->classif[key[7] - '1'];
	if (!strcmp(key, "type_pj[]")) {
		if (first && f->ntype_pj < S2LOW_MAX_PJ)
			f->type_pj[f->ntype_pj++] = NULL;
		return f->ntype_pj ? &f->type_pj[f->ntype_pj - 1] : NULL;
	}
	return NULL;
}

void
s2low_acte_field(struct s2low_acte_form *f, struct arena *a, const char *key, const char *data,
		 size_t n, int first)
{
	const char **v = slot(f, key, first);

	if (!v)
		return;
	if (first || !*v)
		*v = arena_strndup(a, data, n);
	else
		*v = arena_printf(a, "%s%.*s", *v, (int)n, data);
}

static int
refuse(struct lerr *e, const char *field, const char *msg)
{
	return lerr_set(e, LERR_INVALID, field, "%s", msg);
}

/* "classif1".."classif5" as "7.1.2" */
static char *
classification(const struct s2low_acte_form *f, char *out, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < 5 && f->classif[i] && f->classif[i][0]; i++)
		o += (size_t)snprintf(out + o, o < n ? n - o : 0, "%s%s", i ? "." : "", f->classif[i]);
	return o < n ? out : NULL;
}

static void
set_acte_types(json_t *acte, const struct s2low_acte_form *f)
{
	json_t *pj = json_array();

	if (f->type_acte && *f->type_acte)
		json_object_set_new(acte, "type_piece", json_string(f->type_acte));
	for (int i = 0; i < f->ntype_pj; i++)
		json_array_append_new(pj, json_string(f->type_pj[i] ? f->type_pj[i] : ""));
	if (f->ntype_pj)
		json_object_set_new(acte, "annexes_types", pj);
	else
		json_decref(pj);
}

json_t *
s2low_acte_metadata(const struct s2low_acte_form *f, const char *siren, int sign, struct lerr *e)
{
	struct arena *a = arena_create();
	char code[64], title[301];
	const char *objet;
	json_t *acte, *m = NULL;
	char *end;
	long nature = f->nature_code ? strtol(f->nature_code, &end, 10) : 0;

	if (!f->number || !*f->number) {
		refuse(e, "form.number", "Le numéro n'est pas correct");
	} else if (!f->nature_code || *end || nature < 1 || nature > 6) {
		refuse(e, "form.nature_code", "La nature de l'acte n'est pas correcte");
	} else if (!f->subject || !*f->subject) {
		refuse(e, "form.subject", "L'objet de l'acte est absent");
	} else if (!f->decision_date || !*f->decision_date) {
		refuse(e, "form.decision_date", "La date de décision n'est pas correcte");
	} else if (!classification(f, code, sizeof(code)) || !code[0]) {
		refuse(e, "form.classif1", "La classification de l'acte est absente");
	} else {
		objet = s2low_utf8(a, f->subject);
		snprintf(title, sizeof(title), "%s", objet);
		acte = json_pack("{s:i, s:s, s:s, s:s, s:s, s:b}", "nature", (int)nature,
				 "numero_interne", f->number, "objet", objet, "date_decision",
				 f->decision_date, "classification", code, "document_papier",
				 f->document_papier && !strcmp(f->document_papier, "1"));
		set_acte_types(acte, f);
		m = json_pack("{s:s, s:s, s:s, s:b, s:b, s:o}", "kind", "acte", "organisation", siren,
			      "title", title, "sign", sign, "transmit", 1, "acte", acte);
	}
	arena_destroy(a);
	return m;
}

json_t *
s2low_pes_metadata(const char *siren, const char *filename, int sign)
{
	char title[301];

	snprintf(title, sizeof(title), "%s", filename && *filename ? filename : "PES");
	return json_pack("{s:s, s:s, s:s, s:b, s:b}", "kind", "pes", "organisation", siren,
			 "title", title, "sign", sign, "transmit", 1);
}

/* ---- statuses ---- */

struct status_map {
	const char *state;
	int actes, helios;
};

/* ActesStatus: 1 posté, 2 en attente de transmission, 3 transmis,
 * 4 acquittement reçu, 6 refusé, 18 en attente d'être signée, 0 annulé,
 * -1 erreur.  HeliosStatus: 1 posté, 2 en attente, 3 transmis, 4 acquitté,
 * 6 refusé, 0 annulé, -1 erreur. */
static const struct status_map statuses[] = {
	{ "received", 1, 1 },
	{ "pending_signature", 18, 2 },
	{ "signed", 1, 1 },
	{ "queued", 1, 1 },
	{ "transmitting", 2, 2 },
	{ "transmitted", 3, 3 },
	{ "acknowledged", 4, 4 },
	{ "cancelling", 4, 4 },
	{ "refused", 6, 6 },
	{ "cancelled", 0, 0 },
	{ "rejected", -1, -1 },
	{ "failed", -1, -1 },
};

static const struct status_map *
status_of(const char *state)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (state && !strcmp(state, statuses[i].state))
			return &statuses[i];
	return NULL;
}

int
s2low_actes_status(const char *state)
{
	const struct status_map *s = status_of(state);

	return s ? s->actes : -1;
}

int
s2low_helios_status(const char *state)
{
	const struct status_map *s = status_of(state);

	return s ? s->helios : -1;
}

const char *
s2low_helios_words(int status)
{
	switch (status) {
	case -1: return "Erreur";
	case 0: return "Annulé";
	case 1: return "Posté";
	case 2: return "En attente de transmission";
	case 3: return "Transmis";
	case 4: return "Acquittement reçu";
	case 6: return "Refusé";
	default: return "";
	}
}

/* ---- refusals ---- */

static int
field_is(const struct lerr *e, const char *suffix)
{
	size_t n = strlen(e->field), m = strlen(suffix);

	return n >= m && !strcmp(e->field + n - m, suffix);
}

static const char *
acte_refusal(const struct lerr *e)
{
	if (field_is(e, "numero_interne") && e->kind == LERR_CONFLICT)
		return "Un acte portant le même numéro interne existe déjà dans la base de données.\n"
		       "Il faut peut-être ajouter un suffixe au numéro.";
	if (field_is(e, "numero_interne"))
		return "Le numéro n'est pas correct";
	if (field_is(e, "date_decision") && strstr(e->msg, "future"))
		return "La date de décision est une date dans le futur";
	if (field_is(e, "date_decision"))
		return "La date de décision n'est pas correcte";
	if (field_is(e, "classification"))
		return "La classification de l'acte n'est pas correcte";
	if (field_is(e, "nature"))
		return "La nature de l'acte n'est pas correcte";
	if (field_is(e, "objet"))
		return "L'objet de l'acte n'est pas correct";
	if (field_is(e, "type_piece") || field_is(e, "annexes_types"))
		return "La typologie des pièces n'est pas correcte";
	if (!strcmp(e->field, "file") && strstr(e->msg, "missing"))
		return "Aucun fichier acte n'a été posté ";
	if (!strcmp(e->field, "file"))
		return "Erreur de validation du fichier de l'acte :\nLe fichier n'est pas un PDF\n";
	return NULL;
}

static const char *
pes_refusal(const struct lerr *e)
{
	if (!strcmp(e->field, "file") && strstr(e->msg, "NomFic"))
		return "doublon détecté. Ce fichier a déjà été posté";
	if (!strcmp(e->field, "file") && strstr(e->msg, "missing"))
		return "Echec lors du téléchargement du fichier";
	return NULL;
}

/* actes_transac_reponse_create.php's type_envoie (Pastell's S2low::
 * sendReponseType(): 3 a refusal, 4 an answer) for a letter of code
 * letter: the @ctes answer; NULL for a 5-1 (no answer through @ctes). */
const char *
s2low_answer_code(const char *letter, const char *type_envoie)
{
	int refus = type_envoie && !strcmp(type_envoie, "3");

	if (!letter)
		return NULL;
	if (!strcmp(letter, "2-1"))
		return "2-2";
	if (!strcmp(letter, "3-1"))
		return refus ? "3-3" : "3-2";
	if (!strcmp(letter, "4-1"))
		return refus ? "4-3" : "4-2";
	return NULL;
}

const char *
s2low_refusal(struct arena *a, const struct lerr *e, const char *kind)
{
	const char *m = NULL;

	if (e->kind == LERR_AUTH)
		return "Échec de l'authentification";
	if (e->kind == LERR_FORBIDDEN)
		return "Accès refusé";
	if (e->kind == LERR_TOOLARGE)
		return "La taille totale des fichiers est trop importante";
	if (e->kind == LERR_UNAVAILABLE)
		return "Le service est momentanément indisponible, réessayez plus tard";
	if (e->kind == LERR_INTERNAL)
		return "Erreur interne";
	if (kind && !strcmp(kind, "acte"))
		m = acte_refusal(e);
	else if (kind && !strcmp(kind, "pes"))
		m = pes_refusal(e);
	if (m)
		return m;
	if (!strcmp(e->field, "organisation"))   /* store_client_only_org() */
		return "Ce compte sert plusieurs collectivités et son certificat n'en désigne aucune";
	if (!strncmp(e->field, "form.", 5))      /* already in S2LOW's words (a form field's) */
		return e->msg;
	/* liasse's own words for what S2LOW has no words for, marked as such */
	return arena_printf(a, "Document refusé par liasse : %s%s%s", e->msg,
			    e->field[0] ? " (" : "", e->field[0] ? arena_printf(a, "%s)", e->field) : "");
}

/* ---- encodings ---- */

char *
s2low_latin1(struct arena *a, const char *s, size_t *n)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = arena_alloc(a, strlen(s) + 1);
	size_t o = 0;

	while (*p) {
		if (*p < 0x80) {
			out[o++] = (char)*p++;
		} else if ((p[0] == 0xc2 || p[0] == 0xc3) && (p[1] & 0xc0) == 0x80) {
			out[o++] = (char)(((p[0] & 0x03) << 6) | (p[1] & 0x3f));
			p += 2;
		} else {
			out[o++] = '?';
			for (p++; (*p & 0xc0) == 0x80; p++)
				;
		}
	}
	out[o] = '\0';
	*n = o;
	return out;
}

char *
s2low_utf8(struct arena *a, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = arena_alloc(a, 2 * strlen(s) + 1);
	size_t o = 0;

	for (; *p; p++) {
		if (*p < 0x80) {
			out[o++] = (char)*p;
		} else {
			out[o++] = (char)(0xc0 | (*p >> 6));
			out[o++] = (char)(0x80 | (*p & 0x3f));
		}
	}
	out[o] = '\0';
	return out;
}

char *
s2low_xml_escape(struct arena *a, const char *s)
{
	char *out = arena_alloc(a, 6 * strlen(s) + 1), *o = out;

	for (; *s; s++) {
		const char *r = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" :
			*s == '"' ? "&quot;" : *s == '\'' ? "&#039;" : NULL;

		if (r)
			o = stpcpy(o, r);
		else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}
