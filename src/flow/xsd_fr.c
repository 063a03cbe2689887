/*
 * xsd_fr.c - libxml2's XSD validation errors as sentences a French agent
 * can read (issue 12, point 7).
 *
 * libxml2 reports each deviation as a structured xmlError: a code
 * (XML_SCHEMAV_*), the line, str1..str3 (for the facets: the value, then the
 * facet's figures) and an English message that starts with the element
 * ("Element 'IdBord', attribute 'V': ...").  One table below maps the code
 * (and, for the codes that cover several cases, a piece of the message) to
 * a French sentence; the element, the attribute, the line, and what the
 * schema expected (a length, a list of values, a type, the elements it
 * wanted) come from the error.  The libxml2 text follows in brackets, for
 * whoever fixes the file.  Codes the table does not name get a general
 * sentence.  See doc/helios-signed.md, "XSD warnings in French".
 */
#include "flow/xsd_fr.h"

#include <stdio.h>
#include <string.h>

#define VALUE_MAX 60          /* characters of a value quoted back */

/* %1 %2 %3: str1..str3; %T: the type named by the message; %X: what the
 * message says is expected; the sentence follows "élément X : ". */
static const struct { int code; const char *when; const char *fr; } table[] = {
	{ XML_SCHEMAV_CVC_LENGTH_VALID, NULL,
	  "la valeur « %1 » a %2 caractères, il en faut exactement %3" },
	{ XML_SCHEMAV_CVC_MINLENGTH_VALID, NULL,
	  "la valeur « %1 » a %2 caractères, il en faut au moins %3" },
	{ XML_SCHEMAV_CVC_MAXLENGTH_VALID, NULL,
	  "la valeur « %1 » a %2 caractères, il en faut au plus %3" },
	{ XML_SCHEMAV_CVC_MININCLUSIVE_VALID, NULL,
	  "la valeur « %1 » est trop petite : le minimum est %2" },
	{ XML_SCHEMAV_CVC_MAXINCLUSIVE_VALID, NULL,
	  "la valeur « %1 » est trop grande : le maximum est %2" },
	{ XML_SCHEMAV_CVC_MINEXCLUSIVE_VALID, NULL,
	  "la valeur « %1 » doit être strictement supérieure à %2" },
	{ XML_SCHEMAV_CVC_MAXEXCLUSIVE_VALID, NULL,
	  "la valeur « %1 » doit être strictement inférieure à %2" },
	{ XML_SCHEMAV_CVC_TOTALDIGITS_VALID, NULL,
	  "la valeur « %1 » a trop de chiffres : %2 au plus" },
	{ XML_SCHEMAV_CVC_FRACTIONDIGITS_VALID, NULL,
	  "la valeur « %1 » a trop de décimales : %2 au plus" },
	{ XML_SCHEMAV_CVC_PATTERN_VALID, NULL,
	  "la valeur « %1 » n’a pas la forme attendue (motif %2)" },
	{ XML_SCHEMAV_CVC_ENUMERATION_VALID, NULL,
	  "la valeur « %1 » n’est pas dans la liste permise : %2" },
	{ XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_1, NULL,
	  "la valeur « %1 » n’est pas du type attendu (%T)" },
	{ XML_SCHEMAV_CVC_COMPLEX_TYPE_4, NULL,
	  "l’attribut obligatoire « %1 » est absent" },
	{ XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_1, NULL,
	  "l’attribut « %1 » n’est pas permis ici" },
	{ XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_2, NULL,
	  "l’attribut « %1 » n’est pas permis ici" },
	{ XML_SCHEMAV_CVC_COMPLEX_TYPE_2_1, NULL,
	  "l’élément doit être vide (ni texte ni élément à l’intérieur)" },
	{ XML_SCHEMAV_CVC_COMPLEX_TYPE_2_2, NULL,
	  "l’élément ne peut contenir que du texte, pas d’autre élément" },
	{ XML_SCHEMAV_CVC_COMPLEX_TYPE_2_3, NULL,
	  "du texte est placé là où seuls des éléments sont attendus" },
	{ XML_SCHEMAV_CVC_COMPLEX_TYPE_2_4, NULL,
	  "un élément est placé là où seul du texte est attendu" },
	{ XML_SCHEMAV_ELEMENT_CONTENT, "not expected",
	  "cet élément n’est pas attendu à cet endroit ; le schéma attend %X" },
	{ XML_SCHEMAV_ELEMENT_CONTENT, "Missing child",
	  "il manque un élément à l’intérieur ; le schéma attend %X" },
	{ XML_SCHEMAV_CVC_ELT_1, NULL,
	  "l’élément racine n’est pas celui d’un PES_Aller" },
	{ XML_SCHEMAV_CVC_ELT_4_2, NULL,
	  "le type indiqué par xsi:type est inconnu" },
	{ XML_SCHEMAV_CVC_IDC, NULL,
	  "une valeur qui doit être unique apparaît plusieurs fois" },
};

/* out <- s, at most max characters (UTF-8 kept whole), "…" when cut. */
static void
clip(char *out, size_t n, const char *s, size_t max)
{
	size_t o = 0, chars = 0;

	for (; s && *s && o + 4 < n; s++) {
		if (((unsigned char)*s & 0xC0) != 0x80 && chars++ == max) {
			o += (size_t)snprintf(out + o, n - o, "…");
			break;
		}
		out[o++] = *s;
	}
	out[o < n ? o : n - 1] = '\0';
}

/* "{namespace}Name" -> "Name", in place. */
static void
local(char *s)
{
	char *b = strrchr(s, '}');

	if (b)
		memmove(s, b + 1, strlen(b + 1) + 1);
}

/* The quoted text after key in msg ("Element '" -> the element name). */
static void
quoted(const char *msg, const char *key, char *out, size_t n)
{
	const char *p = msg ? strstr(msg, key) : NULL, *q;

	out[0] = '\0';
	if (!p)
		return;
	p += strlen(key);
	q = strchr(p, '\'');
	if (q && (size_t)(q - p) < n) {
		memcpy(out, p, (size_t)(q - p));
		out[q - p] = '\0';
		local(out);
	}
}

/* "Expected is ( A, B )" or "Expected is one of ( A, B )": "A, B" without
 * namespaces; "un autre élément" when absent. */
static void
expected(const char *msg, char *out, size_t n)
{
	const char *p = msg ? strstr(msg, "Expected is") : NULL, *q;
	size_t o = 0;
	int skip = 0;

	snprintf(out, n, "un autre élément");
	if (!p || !(p = strchr(p, '(')) || !(q = strrchr(p, ')')))
		return;
	for (p++; p < q && o + 1 < n; p++) {
		if (*p == '{')
			skip = 1;
		else if (*p == '}')
			skip = 0;
		else if (!skip && !(o == 0 && *p == ' '))
			out[o++] = *p;
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	if (o > 200)
		clip(out, n, out, 200);
}

static void
expand(const char *fmt, const xmlError *err, char *out, size_t n)
{
	char v[3][VALUE_MAX * 4 + 8], type[128], exp[256];
	const char *s[3] = { err->str1, err->str2, err->str3 };
	size_t o = 0;

	for (int i = 0; i < 3; i++)
		clip(v[i], sizeof(v[i]), s[i] ? s[i] : "", VALUE_MAX);
	quoted(err->message, "type '", type, sizeof(type));
	expected(err->message, exp, sizeof(exp));
	for (const char *f = fmt; *f && o + 1 < n; f++) {
		const char *put = NULL;

		if (f[0] == '%' && f[1] >= '1' && f[1] <= '3')
			put = v[f[1] - '1'];
		else if (f[0] == '%' && f[1] == 'T')
			put = type[0] ? type : "inconnu";
		else if (f[0] == '%' && f[1] == 'X')
			put = exp;
		if (put) {
			o += (size_t)snprintf(out + o, n - o, "%s", put);
			f++;
		} else {
			out[o++] = *f;
		}
	}
	out[o < n ? o : n - 1] = '\0';
}

static const char *
sentence(const xmlError *err)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == err->code &&
		    (!table[i].when || (err->message && strstr(err->message, table[i].when))))
			return table[i].fr;
	return NULL;
}

void
xsd_error_fr(const xmlError *err, char *out, size_t n)
{
	char elem[128], attr[64], what[600], lib[400];
	const char *fr = sentence(err);
	size_t len;

	quoted(err->message, "Element '", elem, sizeof(elem));
	quoted(err->message, "attribute '", attr, sizeof(attr));
	if (fr)
		expand(fr, err, what, sizeof(what));
	else
		snprintf(what, sizeof(what), "écart au schéma (code libxml2 %d)", err->code);
	clip(lib, sizeof(lib), err->message ? err->message : "?", 300);
	len = strlen(lib);
	while (len && (lib[len - 1] == '\n' || lib[len - 1] == ' '))
		lib[--len] = '\0';
	snprintf(out, n, "XSD, ligne %d%s%s%s%s%s : %s. [libxml2, line %d: %s]", err->line,
		 elem[0] ? ", élément « " : "", elem, elem[0] ? " »" : "",
		 attr[0] ? ", attribut " : "", attr, what, err->line, lib);
}
