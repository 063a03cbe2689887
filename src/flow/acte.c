/*
 * acte.c - the @ctes "acte" metadata, checked field by field.
 */
#include "flow/acte.h"

#include <stdio.h>
#include <string.h>

#include "flow/media.h"

static const char *const natures[] = { NULL, "DE", "AR", "AI", "CC", "BF", "AU" };
static const char *const default_types[] = { NULL, "99_DE", "99_AR", "99_AI", "99_DC",
					     "99_BU", "99_AU" };

const char *
acte_nature_code(int nature)
{
	return nature >= 1 && nature <= 6 ? natures[nature] : NULL;
}

const char *
acte_default_type(int nature)
{
	return nature >= 1 && nature <= 6 ? default_types[nature] : NULL;
}

static int
bad(struct lerr *e, const char *key, const char *msg)
{
	char field[sizeof(e->field)];

	meta_field(field, sizeof(field), ACTE_PATH, key);
	return lerr_set(e, LERR_INVALID, field, "%s %s", field, msg);
}

static int
get_nature(json_t *acte, struct acte_meta *out, struct lerr *e)
{
	json_t *v = json_object_get(acte, "nature");

	if (v == NULL || json_is_null(v)) {
		bad(e, "nature", "is required");
		lerr_hint(e, "give 1 to 6 or DE, AR, AI, CC, BF, AU");
		return LERR_INVALID;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 6) {
		out->nature = (int)json_integer_value(v);
		return 0;
	}
	for (int i = 1; json_is_string(v) && i <= 6; i++)
		if (strcmp(json_string_value(v), natures[i]) == 0) {
			out->nature = i;
			return 0;
		}
	bad(e, "nature", "is not an @ctes nature");
	lerr_detail(e, "natures: 1 DE délibérations, 2 AR actes réglementaires, 3 AI actes "
		    "individuels, 4 CC contrats et conventions, 5 BF documents budgétaires "
		    "et financiers, 6 AU autres");
	lerr_hint(e, "give the number (1 to 6) or the two-letter code");
	return LERR_INVALID;
}

static int
get_numero(json_t *acte, struct acte_meta *out, struct lerr *e)
{
	const char *s;
	int rc = meta_get_string(acte, "numero_interne", ACTE_PATH, META_REQUIRED, 2, 15, &s, e);

	if (rc)
		return rc;
	if (strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != strlen(s)) {
		char v[48];

		meta_clip(v, sizeof(v), s);
		bad(e, "numero_interne", "has characters @ctes refuses");
		lerr_detail(e, "\"%s\": only digits, capital letters A-Z and '_' are accepted", v);
		lerr_hint(e, "e.g. \"D2024_017\": write it in capitals without '-', '/' or spaces");
		return LERR_INVALID;
	}
	snprintf(out->numero_interne, sizeof(out->numero_interne), "%s", s);
	return 0;
}

/* The first code point above U+00FF, or 0. */
static unsigned long
non_latin1(const char *s, size_t *pos)
{
	const unsigned char *p = (const unsigned char *)s;

	for (*pos = 1; *p; (*pos)++) {
		unsigned long cp;
		int k;

		if (*p < 0x80) { p++; continue; }
		k = *p >= 0xF0 ? 3 : *p >= 0xE0 ? 2 : 1;
		cp = *p & (0x3F >> k);
		for (int i = 1; i <= k; i++)
			cp = cp << 6 | (p[i] & 0x3F);
		if (cp > 0xFF)
			return cp;
		p += k + 1;
	}
	return 0;
}

static int
get_objet(json_t *acte, struct acte_meta *out, struct lerr *e)
{
	const char *s;
	unsigned long cp;
	size_t pos;
	int rc = meta_get_string(acte, "objet", ACTE_PATH, META_REQUIRED | META_MULTILINE, 1,
				 ACTE_OBJET_MAX, &s, e);

	if (rc)
		return rc;
	if ((cp = non_latin1(s, &pos)) != 0) {
		bad(e, "objet", "has a character that ISO-8859-1 cannot write");
		lerr_detail(e, "character %zu is U+%04lX; the @ctes message is encoded in "
			    "ISO-8859-1", pos, cp);
		lerr_hint(e, "replace it: typographic quotes by ' or \", the oe ligature by oe, "
			  "the euro sign by EUR, long dashes by -");
		return LERR_INVALID;
	}
	snprintf(out->objet, sizeof(out->objet), "%s", s);   /* <= 2 bytes a character */
	return 0;
}

static int
get_date(json_t *acte, struct acte_meta *out, struct lerr *e)
{
	struct meta_date today;
	char d[11], t[11];
	int rc = meta_get_date(acte, "date_decision", ACTE_PATH, 1, &out->date_decision, e);

	if (rc)
		return rc;
	/* One day of slack: "today" somewhere between UTC-10 (Polynésie) and UTC+12. */
	meta_date_today(&today, 1);
	if (meta_date_cmp(&out->date_decision, &today) > 0) {
		meta_date_format(&out->date_decision, d);
		meta_date_today(&today, 0);
		meta_date_format(&today, t);
		bad(e, "date_decision", "is in the future");
		lerr_detail(e, "the decision is dated %s; today is %s (UTC)", d, t);
		lerr_hint(e, "give the date the decision was taken or signed");
		return LERR_INVALID;
	}
	return 0;
}

/* "N(.N){0,4}" with 1-2 digit levels into out->matiere, and the canonical
 * spelling ("07.01" -> "7.1") into out->classification. */
static int
parse_classification(const char *s, struct acte_meta *out)
{
	const char *p = s;
	size_t off = 0;

	out->levels = 0;
	memset(out->matiere, 0, sizeof(out->matiere));
	for (;;) {
		size_t k = strspn(p, "0123456789");

		if (k < 1 || k > 2 || out->levels == 5)
			return -1;
		out->matiere[out->levels] = k == 1 ? p[0] - '0' : (p[0] - '0') * 10 + p[1] - '0';
		off += (size_t)snprintf(out->classification + off, sizeof(out->classification) - off,
					"%s%d", out->levels ? "." : "", out->matiere[out->levels]);
		out->levels++;
		p += k;
		if (*p == '\0')
			return 0;
		if (*p++ != '.')
			return -1;
	}
}

static int
get_classification(json_t *acte, const struct actes_classification *cls,
		   struct acte_meta *out, struct lerr *e)
{
	const char *s;
	char v[48];
	int rc = meta_get_string(acte, "classification", ACTE_PATH, META_REQUIRED, 1, 14, &s, e);

	if (rc)
		return rc;
	meta_clip(v, sizeof(v), s);
	if (parse_classification(s, out)) {
		bad(e, "classification", "is not a matière code");
		lerr_detail(e, "\"%s\": expected 1 to 5 levels of 1 or 2 digits, e.g. \"7.1\"", v);
		lerr_hint(e, "use the code of the matière in the authority's @ctes classification");
		return LERR_INVALID;
	}
	if (cls && !actes_classification_has(cls, out->classification)) {
		bad(e, "classification", "is not in the authority's classification");
		lerr_detail(e, "matière \"%s\" is not in the classification of %s", v,
			    actes_classification_date(cls)[0] ? actes_classification_date(cls) : "the prefecture");
		lerr_hint(e, "choose a matière of the current classification");
		return LERR_INVALID;
	}
	return 0;
}

static int
type_ok(const char *s)
{
	return strlen(s) == ACTE_TYPE_LEN && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' &&
	       s[1] <= '9' && s[2] == '_' && s[3] >= 'A' && s[3] <= 'Z' && s[4] >= 'A' && s[4] <= 'Z';
}

static int
bad_type(struct lerr *e, const char *key, const char *s)
{
	char v[48];

	meta_clip(v, sizeof(v), s);
	bad(e, key, "is not a CodeTypePJ");
	lerr_detail(e, "\"%s\": a document type code is 2 digits, '_' and 2 capitals, "
		    "e.g. \"99_DE\"", v);
	lerr_hint(e, "use a code of the @ctes typology (or leave type_piece out for the "
		  "nature's default)");
	return LERR_INVALID;
}

static int
get_types(json_t *acte, struct acte_meta *out, struct lerr *e)
{
	const char *s;
	json_t *a = json_object_get(acte, "annexes_types"), *v;
	size_t i;
	int rc = meta_get_string(acte, "type_piece", ACTE_PATH, 0, 1, 16, &s, e);

	if (rc)
		return rc;
	if (s && !type_ok(s))
		return bad_type(e, "type_piece", s);
	out->type_piece_defaulted = s == NULL;
	snprintf(out->type_piece, sizeof(out->type_piece), "%s",
		 s ? s : acte_default_type(out->nature));
	if (a == NULL || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > ACTE_MAX_ANNEXES) {
		bad(e, "annexes_types", "is not a list of CodeTypePJ");
		lerr_detail(e, "expected an array of at most %d strings", ACTE_MAX_ANNEXES);
		return LERR_INVALID;
	}
	json_array_foreach(a, i, v) {
		char key[40];

		snprintf(key, sizeof(key), "annexes_types[%zu]", i);
		if (!json_is_string(v) || !type_ok(json_string_value(v)))
			return bad_type(e, key, json_is_string(v) ? json_string_value(v) : "");
		memcpy(out->annexes_types[i], json_string_value(v), ACTE_TYPE_LEN + 1);
	}
	out->n_annexes_types = json_array_size(a);
	out->has_annexes_types = 1;
	return 0;
}

int
acte_check(json_t *acte, const struct actes_classification *cls, struct acte_meta *out,
	   struct lerr *e)
{
	static const char *const keys[] = {
		"nature", "numero_interne", "objet", "date_decision", "classification",
		"type_piece", "annexes_types", "document_papier", NULL,
	};
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = meta_check_object(acte, keys, ACTE_PATH, e)) ||
	    (rc = get_nature(acte, out, e)) ||
	    (rc = get_numero(acte, out, e)) ||
	    (rc = get_objet(acte, out, e)) ||
	    (rc = get_date(acte, out, e)) ||
	    (rc = get_classification(acte, cls, out, e)) ||
	    (rc = get_types(acte, out, e)) ||
	    (rc = meta_get_bool(acte, "document_papier", ACTE_PATH, 0, &out->document_papier, e)))
		return rc;
	return 0;
}

int
acte_check_annexes(const struct acte_meta *m, size_t n_annexes, struct lerr *e)
{
	if (n_annexes > ACTE_MAX_ANNEXES) {
		lerr_set(e, LERR_INVALID, "annexe", "too many annexes");
		lerr_detail(e, "%zu annexes; at most %d", n_annexes, ACTE_MAX_ANNEXES);
		return LERR_INVALID;
	}
	if (!m->has_annexes_types || m->n_annexes_types == n_annexes)
		return 0;
	bad(e, "annexes_types", "does not match the annexes");
	lerr_detail(e, "%zu type%s for %zu annexe part%s", m->n_annexes_types,
		    m->n_annexes_types == 1 ? "" : "s", n_annexes, n_annexes == 1 ? "" : "s");
	lerr_hint(e, "give one CodeTypePJ per \"annexe\" part, in the same order");
	return LERR_INVALID;
}

/* An annexe's signature: a PKCS#7 (CMS) SignedData, DER (a SEQUENCE whose
 * first member is the OID 1.2.840.113549.1.7.2) or PEM, as @ctes carries it
 * in Annexe/Signature (base64, the XSD's FichierSigne). */
static int
signature_check(const unsigned char *h, size_t n, const char **media_type, struct lerr *e)
{
	static const unsigned char signed_data[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
	size_t off = n > 1 && h[0] == 0x30 ? (h[1] < 0x80 ? 2 : 2 + (h[1] & 0x7f)) : 0;

	if ((off && off + sizeof(signed_data) <= n && !memcmp(h + off, signed_data, sizeof(signed_data))) ||
	    (n >= 16 && (!memcmp(h, "-----BEGIN PKCS7", 16) || !memcmp(h, "-----BEGIN CMS--", 16)))) {
		*media_type = "application/pkcs7-signature";
		return 0;
	}
	lerr_set(e, LERR_INVALID, "annexe_signature", "an annexe's signature must be a PKCS#7 (CMS) SignedData");
	lerr_hint(e, "send the detached signature of the annexe, DER or PEM (openssl cms -sign -binary -outform DER)");
	return LERR_INVALID;
}

int
acte_file_check(const char *role, const void *head, size_t headlen, const char **media_type,
		struct lerr *e)
{
	int main_file = strcmp(role, "annexe") != 0;
	const char *t = media_sniff(head, headlen);

	*media_type = NULL;
	if (!strcmp(role, "annexe_signature"))
		return signature_check(head, headlen, media_type, e);
	if (main_file && headlen >= 5 && memcmp(head, "%PDF-", 5) == 0) {
		*media_type = MEDIA_PDF;
		return 0;
	}
	if (!main_file && t && (!strcmp(t, MEDIA_PDF) || !strcmp(t, MEDIA_PNG) ||
				!strcmp(t, MEDIA_JPEG))) {
		*media_type = t;
		return 0;
	}
	lerr_set(e, LERR_INVALID, main_file ? "file" : "annexe", "%s",
		 main_file ? "the act must be a PDF file" : "an annexe must be PDF, PNG or JPEG");
	lerr_detail(e, "the content is %s%s", t ? t : "not a recognised type",
		    main_file && t && !strcmp(t, MEDIA_PDF) ? " but does not start with %PDF-" : "");
	lerr_hint(e, "@ctes accepts the act as PDF and annexes as PDF, PNG or JPEG; "
		  "convert the file");
	return LERR_INVALID;
}

json_t *
acte_meta_json(const struct acte_meta *m)
{
	char d[11];
	json_t *types = json_array(), *o;

	for (size_t i = 0; types && i < m->n_annexes_types; i++)
		json_array_append_new(types, json_string(m->annexes_types[i]));
	meta_date_format(&m->date_decision, d);
	o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:b}",
		      "nature", m->nature, "nature_code", acte_nature_code(m->nature),
		      "numero_interne", m->numero_interne, "objet", m->objet,
		      "date_decision", d, "classification", m->classification,
		      "type_piece", m->type_piece, "annexes_types", types,
		      "document_papier", m->document_papier);
	return o;
}
