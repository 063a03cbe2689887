/*
 * pes_scan.c - streaming Hélios checks of a PES_Aller (see pes_scan.h).
 *
 * The first bytes (up to the end of the XML declaration) are held back so
 * that the declared encoding is known before libxml2 sees anything; then
 * everything goes to a SAX2 push parser whose handler tracks a small stack
 * of "interesting" element tags (Enveloppe/Parametres/NomFic, EnTetePES/...,
 * Bordereau/BlocBordereau/IdBord, PES_PJ/PJ, ...).  Values are read from the
 * V attributes, so character data is never looked at (nor buffered).
 */
#include "flow/pes_scan.h"

#include "core/util.h"
#include "core/xmlguard.h"
#include "flow/flow_int.h"
#include "flow/meta.h"
#include "sign/sign.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_DSIG "http://www.w3.org/2000/09/xmldsig#"
#define HEAD_MAX 256               /* bytes held back to read the XML declaration */
#define FEED_STEP 65536            /* largest piece handed to libxml2 at once */
#define MAX_PENDING (1024 * 1024)  /* one unfinished construct (tag, comment) */
#define MAX_DEPTH 64
#define MAX_NAME 200
#define DICT_LIMIT (1024 * 1024)   /* bytes of distinct names */

enum tag {
	T_OTHER, T_ROOT, T_ENV, T_PARAM, T_NOMFIC, T_ENTETE, T_IDPOST, T_IDCOLL,
	T_CODCOL, T_CODBUD, T_DEP, T_REC, T_ENTETE_DEP, T_ENTETE_REC, T_DEMAT_DEP,
	T_DEMAT_REC, T_BORD, T_BLOCBORD, T_IDBORD, T_EXER, T_PESPJ, T_PJ,
	T_PESMARCHE, T_MARCHES, T_MARCHE, T_CONCESSIONS, T_CONCESSION, T_FACTURE,
};

static const struct transition {
	unsigned char parent;
	const char *name;
	unsigned char tag;
} transitions[] = {
	{ T_ROOT, "Enveloppe", T_ENV }, { T_ENV, "Parametres", T_PARAM },
	{ T_PARAM, "NomFic", T_NOMFIC }, { T_ROOT, "EnTetePES", T_ENTETE },
	{ T_ENTETE, "IdPost", T_IDPOST }, { T_ENTETE, "IdColl", T_IDCOLL },
	{ T_ENTETE, "CodCol", T_CODCOL }, { T_ENTETE, "CodBud", T_CODBUD },
	{ T_ROOT, "PES_DepenseAller", T_DEP }, { T_ROOT, "PES_RecetteAller", T_REC },
	{ T_DEP, "EnTeteDepense", T_ENTETE_DEP }, { T_REC, "EnTeteRecette", T_ENTETE_REC },
	{ T_ENTETE_DEP, "InfoDematerialisee", T_DEMAT_DEP },
	{ T_ENTETE_REC, "InfoDematerialisee", T_DEMAT_REC },
	{ T_DEP, "Bordereau", T_BORD }, { T_REC, "Bordereau", T_BORD },
	{ T_BORD, "BlocBordereau", T_BLOCBORD }, { T_BLOCBORD, "IdBord", T_IDBORD },
	{ T_BLOCBORD, "Exer", T_EXER }, { T_ROOT, "PES_PJ", T_PESPJ },
	{ T_PESPJ, "PJ", T_PJ }, { T_ROOT, "PES_Marche", T_PESMARCHE },
	{ T_PESMARCHE, "Marches", T_MARCHES }, { T_MARCHES, "Marche", T_MARCHE },
	{ T_PESMARCHE, "Concessions", T_CONCESSIONS },
	{ T_CONCESSIONS, "Concession", T_CONCESSION }, { T_ROOT, "PES_Facture", T_FACTURE },
};

/* One header value: where it is kept and what we learnt about it. */
struct hfield {
	const char *path;          /* for messages */
	char *dst;
	size_t dstsz;
	int seen;
	size_t nchars;             /* characters of the whole value */
	size_t nbytes;
};

enum { F_NOMFIC, F_IDPOST, F_IDCOLL, F_CODCOL, F_CODBUD, F_COUNT };

struct pes_scan {
	struct pes_info info;
	xmlParserCtxtPtr ctxt;
	unsigned char head[HEAD_MAX];
	size_t headlen;
	int started;               /* the parser exists and has the head */
	int finished;
	int failed;
	struct lerr err;           /* the first refusal, sticky */
	struct xmlguard guard;     /* sees every byte before libxml2 does */
	unsigned char tags[MAX_DEPTH];
	int depth;
	int seen_root, seen_env, seen_param, seen_entete;
	int env_done, entete_done, header_checked;
	struct hfield f[F_COUNT];
};

static const char *const fnames[F_COUNT] = {
	"Enveloppe/Parametres/NomFic", "EnTetePES/IdPost", "EnTetePES/IdColl",
	"EnTetePES/CodCol", "EnTetePES/CodBud",
};

/* Record a refusal (the first one wins) and stop the parser. */
static int LERR_PRINTF(2, 3)
refuse(struct pes_scan *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return ps->err.kind;
	lerr_clear(&ps->err);
	ps->err.kind = LERR_INVALID;
	snprintf(ps->err.field, sizeof(ps->err.field), "file");
	va_start(ap, fmt);
	vsnprintf(ps->err.msg, sizeof(ps->err.msg), fmt, ap);
	va_end(ap);
	ps->failed = 1;
	if (ps->ctxt)
		xmlStopParser(ps->ctxt);
	return LERR_INVALID;
}

static void LERR_PRINTF(2, 3)
warn(struct pes_scan *ps, const char *fmt, ...)
{
	struct pes_info *pi = &ps->info;
	va_list ap;
	char *w;
	size_t n;

	if (pi->n_warnings >= PES_WARN_MAX)
		return;
	w = pi->warnings[pi->n_warnings++];
	va_start(ap, fmt);
	vsnprintf(w, PES_WARN_LEN, fmt, ap);
	va_end(ap);
	/* a value cut by %.Ns may end in half a UTF-8 sequence */
	n = strlen(w);
	while (n > 0 && !utf8_valid(w, n))
		w[--n] = '\0';
}

static int
line_no(const struct pes_scan *ps)
{
	return ps->ctxt ? xmlSAX2GetLineNumber(ps->ctxt) : 0;
}

static size_t
utf8_chars(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			c++;
	return c;
}

/* Copy at most dstsz-1 bytes without cutting a UTF-8 sequence. */
static void
copy_utf8(char *dst, size_t dstsz, const char *s, size_t n)
{
	if (n >= dstsz) {
		n = dstsz - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* The value of an unqualified attribute, or NULL. */
static const char *
attr(const xmlChar **attrs, int nb, const char *name, size_t *len)
{
	for (int i = 0; i < nb; i++) {
		const xmlChar **a = attrs + 5 * i;

		if (a[2] == NULL && strcmp((const char *)a[0], name) == 0) {
			*len = (size_t)(a[4] - a[3]);
			return (const char *)a[3];
		}
	}
	return NULL;
}

static int
is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

static void
set_field(struct pes_scan *ps, int k, const char *v, size_t n)
{
	struct hfield *f = &ps->f[k];

	if (f->seen) {
		warn(ps, "%s appears more than once; the first value is used", f->path);
		return;
	}
	f->seen = 1;
	if (v == NULL || is_blank(v, n))
		return;         /* present but empty: reported as missing or empty */
	f->nbytes = n;
	f->nchars = utf8_chars(v, n);
	copy_utf8(f->dst, f->dstsz, v, n);
}

static enum tag
classify(const struct pes_scan *ps, const xmlChar *name, const xmlChar *uri)
{
	unsigned char parent = ps->tags[ps->depth - 1];

	if (parent == T_OTHER)
		return T_OTHER;
	if (uri != NULL && strcmp((const char *)uri, PES_NS_ALLER) != 0)
		return T_OTHER;
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (transitions[i].parent == parent &&
		    strcmp(transitions[i].name, (const char *)name) == 0)
			return transitions[i].tag;
	return T_OTHER;
}

/* An Id attribute must be an xs:ID (an NCName): liasse signs the element
 * by "#Id", and a verifier (liasse's own, Hélios) resolves only an NCName.
 * And at most SIGN_ID_MAX bytes, the length sign_pes() signs. */
static int
check_ncname(struct pes_scan *ps, const char *what, const char *field, const char *v, size_t n)
{
	xmlChar *s;
	int bad;
	char shown[104];

	if (ps->failed)
		return -1;
	s = xmlStrndup((const xmlChar *)v, (int)(n > 4096 ? 4096 : n));
	bad = s == NULL || xmlValidateNCName(s, 0) != 0;

	xmlFree(s);
	if (!bad && n > SIGN_ID_MAX) {
		refuse(ps, "%s Id is too long", what);
		snprintf(ps->err.field, sizeof(ps->err.field), "%s", field);
		lerr_detail(&ps->err, "the Id is %zu bytes long; at most %d", n, SIGN_ID_MAX);
		lerr_hint(&ps->err, "give the %s a shorter Id in the finance software and send the "
			  "file again", what);
		return -1;
	}
	if (!bad)
		return 0;
	copy_utf8(shown, sizeof(shown), v, n);
	refuse(ps, "%s Id is not a valid xs:ID", what);
	snprintf(ps->err.field, sizeof(ps->err.field), "%s", field);
	lerr_detail(&ps->err, "Id=\"%s\" is not an NCName (a letter or _ first, then letters, "
		    "digits, '.', '-', '_'; no ':', '/', '#' or space)", shown);
	lerr_hint(&ps->err, "give the %s an Id such as BORD_2_26_42 in the finance software "
		  "and send the file again", what);
	return -1;
}

static int
root_start(struct pes_scan *ps, const xmlChar *name, const xmlChar *uri,
	   const xmlChar **attrs, int nb)
{
	struct pes_info *pi = &ps->info;
	const char *id;
	size_t n;

	ps->seen_root = 1;
	if (strcmp((const char *)name, "PES_Aller") != 0 ||
	    (uri != NULL && strcmp((const char *)uri, PES_NS_ALLER) != 0)) {
		char nm[104], ur[204];

		meta_clip(nm, sizeof(nm), (const char *)name);
		meta_clip(ur, sizeof(ur), uri ? (const char *)uri : "");
		refuse(ps, "root element is not PES_Aller");
		lerr_detail(&ps->err, "the root element is <%s>%s%s%s; a PES_Aller is expected",
			    nm, uri ? " in namespace \"" : "", ur, uri ? "\"" : "");
		lerr_hint(&ps->err, "send the PES_Aller file produced by the finance software "
			  "(acknowledgements and PES_Retour files are not sent to Hélios)");
		return -1;
	}
	if (strcasecmp(pi->encoding, "ISO-8859-1") != 0) {
		refuse(ps, "encoding is not ISO-8859-1");
		if (pi->encoding[0])
			lerr_detail(&ps->err, "the XML declaration says encoding=\"%s\"; "
				    "Hélios accepts only ISO-8859-1", pi->encoding);
		else
			lerr_detail(&ps->err, "the file declares no encoding (so it is UTF-8); "
				    "Hélios accepts only ISO-8859-1");
		lerr_hint(&ps->err, "export the PES in ISO-8859-1, starting with "
			  "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>");
		return -1;
	}
	id = attr(attrs, nb, "Id", &n);
	if (id && n > 0) {
		if (check_ncname(ps, "PES_Aller", "pes.id", id, n))
			return -1;
		pi->root_has_id = 1;
		copy_utf8(pi->root_id, sizeof(pi->root_id), id, n);
	}
	return 0;
}

static void
demat(struct pes_scan *ps, enum pes_demat *dst, const char *which, const char *v, size_t n)
{
	if (*dst != PES_DEMAT_ABSENT) {
		warn(ps, "%s/InfoDematerialisee appears more than once", which);
		return;
	}
	if (v && ((n == 1 && v[0] == '1') || (n == 4 && !strncasecmp(v, "true", 4))))
		*dst = PES_DEMAT_YES;
	else if (v && ((n == 1 && v[0] == '0') || (n == 5 && !strncasecmp(v, "false", 5))))
		*dst = PES_DEMAT_NO;
	else {
		*dst = PES_DEMAT_BAD;
		warn(ps, "%s/InfoDematerialisee is \"%.*s\", not 0 or 1", which,
		     v ? (int)(n > 40 ? 40 : n) : 0, v ? v : "");    /* warn() trims */
	}
}

static void
bordereau_id(struct pes_scan *ps, const char *v, size_t n)
{
	struct pes_info *pi = &ps->info;

	if (v == NULL || n == 0) {
		warn(ps, "a bordereau has an empty IdBord");
		return;
	}
	if (n > PES_IDBORD_MAX)
		warn(ps, "an IdBord is longer than %d bytes; it is shortened", PES_IDBORD_MAX);
	if (pi->n_bordereaux_kept >= PES_BORD_KEPT)
		return;
	if (pi->bordereaux == NULL) {
		pi->bordereaux = calloc(PES_BORD_KEPT, sizeof(pi->bordereaux[0]));
		if (pi->bordereaux == NULL)
			return;
	}
	copy_utf8(pi->bordereaux[pi->n_bordereaux_kept++], PES_IDBORD_MAX + 1, v, n);
}

static void
exercice(struct pes_scan *ps, const char *v, size_t n)
{
	struct pes_info *pi = &ps->info;
	char tmp[sizeof(pi->exercice)];

	if (v == NULL || n == 0)
		return;
	copy_utf8(tmp, sizeof(tmp), v, n);
	if (pi->exercice[0] == '\0')
		memcpy(pi->exercice, tmp, sizeof(tmp));
	else if (strcmp(pi->exercice, tmp) != 0)
		warn(ps, "bordereaux of several exercices (%s, %s)", pi->exercice, tmp);
}

/* What an interesting element means when it opens. */
static void
on_tag(struct pes_scan *ps, enum tag t, const xmlChar **attrs, int nb)
{
	struct pes_info *pi = &ps->info;
	size_t n = 0;
	const char *v = attr(attrs, nb, "V", &n);

	switch (t) {
	case T_ENV: ps->seen_env = 1; break;
	case T_PARAM: ps->seen_param = 1; break;
	case T_ENTETE: ps->seen_entete = 1; break;
	case T_NOMFIC: set_field(ps, F_NOMFIC, v, n); break;
	case T_IDPOST: set_field(ps, F_IDPOST, v, n); break;
	case T_IDCOLL: set_field(ps, F_IDCOLL, v, n); break;
	case T_CODCOL: set_field(ps, F_CODCOL, v, n); break;
	case T_CODBUD: set_field(ps, F_CODBUD, v, n); break;
	case T_DEMAT_DEP: demat(ps, &pi->demat_depense, "EnTeteDepense", v, n); break;
	case T_DEMAT_REC: demat(ps, &pi->demat_recette, "EnTeteRecette", v, n); break;
	case T_BORD:
		pi->n_bordereaux++;
		if ((v = attr(attrs, nb, "Id", &n)) && n > 0) {
			pi->n_bordereaux_with_id++;
			check_ncname(ps, "bordereau", "pes.bordereau.id", v, n);
		}
		break;
	case T_IDBORD: bordereau_id(ps, v, n); break;
	case T_EXER: exercice(ps, v, n); break;
	case T_PJ: pi->n_pj++; break;
	case T_MARCHE: case T_CONCESSION: pi->n_marches++; break;
	case T_FACTURE: pi->n_factures++; break;
	default: break;
	}
}

static int
check_present(struct pes_scan *ps, int k)
{
	struct hfield *f = &ps->f[k];

	if (f->nbytes > 0)
		return 0;
	refuse(ps, "%s is %s", f->path, f->seen ? "empty" : "missing");
	if (k == F_NOMFIC && !ps->seen_env)
		lerr_detail(&ps->err, "the PES_Aller has no Enveloppe element");
	else if (k == F_NOMFIC && !ps->seen_param)
		lerr_detail(&ps->err, "the Enveloppe has no Parametres element");
	else if (k != F_NOMFIC && !ps->seen_entete)
		lerr_detail(&ps->err, "the PES_Aller has no EnTetePES element");
	else
		lerr_detail(&ps->err, "<%s V=\"...\"/> %s", strrchr(f->path, '/') + 1,
			    f->seen ? "has an empty V attribute" : "is not in the file");
	lerr_hint(&ps->err, "Hélios needs %s with a non-empty V attribute", f->path);
	return -1;
}

static int
check_max(struct pes_scan *ps, int k, size_t max)
{
	struct hfield *f = &ps->f[k];

	if (f->nchars <= max)
		return 0;
	refuse(ps, "%s is longer than %zu characters", f->path, max);
	lerr_detail(&ps->err, "%s is \"%s\" (%zu characters)", f->path, f->dst, f->nchars);
	lerr_hint(&ps->err, "Hélios accepts at most %zu characters; check the "
		  "collectivité's settings in the finance software", max);
	return -1;
}

static void
header_warnings(struct pes_scan *ps)
{
	const struct hfield *bud = &ps->f[F_CODBUD], *post = &ps->f[F_IDPOST];
	const struct hfield *coll = &ps->f[F_IDCOLL];

	if (bud->nchars != 2)
		warn(ps, "EnTetePES/CodBud \"%s\" has %zu characters; the PES schema "
		     "expects 2", bud->dst, bud->nchars);
	if (post->nchars < 6 || post->nchars > 7)
		warn(ps, "EnTetePES/IdPost \"%s\" has %zu characters; the PES schema "
		     "expects a 6 or 7 character codique", post->dst, post->nchars);
	if (coll->nchars != 14 || strspn(coll->dst, "0123456789") != 14)
		warn(ps, "EnTetePES/IdColl \"%s\" is not 14 digits (a SIRET)", coll->dst);
}

/* The platform rules on the header, in S²LOW's order. */
static int
check_header(struct pes_scan *ps)
{
	if (ps->header_checked)
		return 0;
	ps->header_checked = 1;
	if (check_present(ps, F_NOMFIC))
		return -1;
	if (ps->f[F_NOMFIC].nbytes > PES_VALUE_MAX) {
		refuse(ps, "Enveloppe/Parametres/NomFic is longer than %d bytes", PES_VALUE_MAX);
		lerr_detail(&ps->err, "NomFic has %zu bytes", ps->f[F_NOMFIC].nbytes);
		lerr_hint(&ps->err, "use a shorter file name in NomFic");
		return -1;
	}
	if (check_present(ps, F_CODCOL) || check_present(ps, F_IDCOLL) ||
	    check_present(ps, F_IDPOST) || check_present(ps, F_CODBUD))
		return -1;
	if (check_max(ps, F_CODCOL, 3) || check_max(ps, F_IDCOLL, 14))
		return -1;
	header_warnings(ps);
	ps->info.header_ok = 1;
	return 0;
}

static void
sax_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri,
	  int nb_ns, const xmlChar **ns, int nb_attrs, int nb_def, const xmlChar **attrs)
{
	struct pes_scan *ps = ctx;
	enum tag t;

	if (ps->failed)
		return;
	if (ps->depth >= MAX_DEPTH) {
		refuse(ps, "elements are nested too deeply");
		lerr_detail(&ps->err, "line %d: more than %d levels of elements",
			    line_no(ps), MAX_DEPTH);
		return;
	}
	if (strlen((const char *)name) > MAX_NAME) {
		refuse(ps, "element name too long");
		lerr_detail(&ps->err, "line %d: an element name has more than %d bytes",
			    line_no(ps), MAX_NAME);
		return;
	}
	if (uri && strcmp((const char *)name, "Signature") == 0 &&
	    strcmp((const char *)uri, NS_DSIG) == 0) {
		ps->info.is_signed = 1;
		ps->info.n_signatures++;
	}
	if (ps->depth == 0) {
		t = root_start(ps, name, uri, attrs, nb_attrs) ? T_OTHER : T_ROOT;
	} else {
		t = classify(ps, name, uri);
		if (t != T_OTHER)
			on_tag(ps, t, attrs, nb_attrs);
	}
	ps->tags[ps->depth++] = (unsigned char)t;
}

static void
sax_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	struct pes_scan *ps = ctx;
	enum tag t;

	if (ps->failed || ps->depth == 0)
		return;
	t = ps->tags[--ps->depth];
	if (t == T_ENV)
		ps->env_done = 1;
	else if (t == T_ENTETE)
		ps->entete_done = 1;
	/* Refuse a bad header early, before the bulk of the file. */
	if ((t == T_ENV || t == T_ENTETE) && ps->env_done && ps->entete_done)
		(void)check_header(ps);
}

static void
sax_dtd(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	struct pes_scan *ps = ctx;
	char n[64], s[104];

	meta_clip(n, sizeof(n), name ? (const char *)name : "");
	meta_clip(s, sizeof(s), sys ? (const char *)sys : "");
	refuse(ps, "file contains a DTD");
	lerr_detail(&ps->err, "line %d: <!DOCTYPE %s%s%s>; DTDs and entity declarations "
		    "are refused and never fetched", line_no(ps), n, sys ? " SYSTEM " : "", s);
	lerr_hint(&ps->err, "remove the DOCTYPE declaration: a PES_Aller does not use one");
}

static void
sax_entity(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
	   const xmlChar *sys, xmlChar *content)
{
	sax_dtd(ctx, name, pub, sys);
}

static xmlParserInputPtr
sax_resolve(void *ctx, const xmlChar *pub, const xmlChar *sys)
{
	sax_dtd(ctx, (const xmlChar *)"", pub, sys);
	return NULL;
}

static void
sax_error(void *ctx, xmlErrorPtr xe)
{
	struct pes_scan *ps = ctx;
	char msg[200];
	size_t n;

	if (ps->failed || xe == NULL || xe->level < XML_ERR_ERROR)
		return;
	meta_clip(msg, sizeof(msg), xe->message ? xe->message : "parse error");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	if (xe->code == XML_ERR_DOCUMENT_EMPTY)
		refuse(ps, "file is empty or not XML");
	else
		refuse(ps, "file is not well-formed XML");
	lerr_detail(&ps->err, "line %d: %s", xe->line, msg);
	lerr_hint(&ps->err, "send a complete, well-formed PES_Aller XML file");
}

/* Read encoding="..." from the XML declaration held in the head. */
static void
read_declaration(struct pes_scan *ps)
{
	const unsigned char *h = ps->head;
	size_t n = ps->headlen;
	char *enc = ps->info.encoding;
	const char *p, *end;

	if (n >= 2 && ((h[0] == 0xFE && h[1] == 0xFF) || (h[0] == 0xFF && h[1] == 0xFE))) {
		snprintf(enc, sizeof(ps->info.encoding), "UTF-16 (byte order mark)");
		return;
	}
	if (n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF) {
		snprintf(enc, sizeof(ps->info.encoding), "UTF-8 (byte order mark)");
		return;
	}
	if (n < 6 || memcmp(h, "<?xml", 5) != 0)
		return;
	end = memmem(h, n, "?>", 2);
	if (end == NULL)
		return;
	p = memmem(h, (size_t)(end - (const char *)h), "encoding", 8);
	if (p == NULL)
		return;
	p += 8;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '='))
		p++;
	if (p < end && (*p == '"' || *p == '\'')) {
		const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));

		if (q && (size_t)(q - p - 1) < sizeof(ps->info.encoding))
			snprintf(enc, sizeof(ps->info.encoding), "%.*s", (int)(q - p - 1), p + 1);
	}
}

static int
head_complete(const struct pes_scan *ps)
{
	if (ps->headlen >= HEAD_MAX)
		return 1;
	if (ps->headlen < 5)
		return 0;      /* room for a byte order mark and "<?xml" */
	if (memcmp(ps->head, "<?xml", 5) != 0)
		return 1;      /* no declaration (or a BOM): nothing more to wait for */
	return memmem(ps->head, ps->headlen, "?>", 2) != NULL;
}

static xmlSAXHandler sax_handler = {
	.initialized = XML_SAX2_MAGIC,
	.startElementNs = sax_start,
	.endElementNs = sax_end,
	.internalSubset = sax_dtd,
	.externalSubset = sax_dtd,
	.entityDecl = sax_entity,
	.resolveEntity = sax_resolve,
	.serror = sax_error,
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void
xml_init(void)
{
	xmlInitParser();   /* not thread-safe itself: run once, whoever comes first */
}

void
flow_xml_init(void)
{
	pthread_once(&xml_once, xml_init);
}

struct pes_scan *
pes_scan_create(void)
{
	struct pes_scan *ps;

	flow_xml_init();
	ps = calloc(1, sizeof(*ps));
	if (ps == NULL)
		return NULL;
	xmlguard_init(&ps->guard, SIZE_MAX);   /* http/ bounds the size */
	ps->info.demat_depense = PES_DEMAT_ABSENT;
	ps->info.demat_recette = PES_DEMAT_ABSENT;
	ps->f[F_NOMFIC].dst = ps->info.nomfic;
	ps->f[F_IDPOST].dst = ps->info.idpost;
	ps->f[F_IDCOLL].dst = ps->info.idcoll;
	ps->f[F_CODCOL].dst = ps->info.codcol;
	ps->f[F_CODBUD].dst = ps->info.codbud;
	for (int k = 0; k < F_COUNT; k++) {
		ps->f[k].path = fnames[k];
		ps->f[k].dstsz = PES_VALUE_MAX + 1;
	}
	return ps;
}

void
pes_scan_destroy(struct pes_scan *ps)
{
	if (ps == NULL)
		return;
	if (ps->ctxt)
		xmlFreeParserCtxt(ps->ctxt);
	free(ps->info.bordereaux);
	free(ps);
}

/*
 * Decide on the head before libxml2 sees it, so that its encoding guesses
 * (UTF-16, UCS-4, EBCDIC, unknown names) never come into play: such files
 * are refused here, the same way however the bytes arrive.  A declared
 * UTF-8 goes on, so that a wrong root is reported as such first.
 */
static int
check_head(struct pes_scan *ps)
{
	const char *enc = ps->info.encoding;
	size_t i = 0;

	while (i < ps->headlen && (ps->head[i] == ' ' || ps->head[i] == '\t' ||
				   ps->head[i] == '\r' || ps->head[i] == '\n'))
		i++;
	if (strstr(enc, "byte order mark") != NULL ||
	    (enc[0] && strcasecmp(enc, "ISO-8859-1") != 0 && strcasecmp(enc, "UTF-8") != 0)) {
		refuse(ps, "encoding is not ISO-8859-1");
		lerr_detail(&ps->err, "the file %s \"%s\"; Hélios accepts only ISO-8859-1",
			    strstr(enc, "byte order mark") ? "starts with a" : "declares encoding",
			    enc);
		lerr_hint(&ps->err, "export the PES in ISO-8859-1, starting with "
			  "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>");
		return LERR_INVALID;
	}
	if (i >= ps->headlen || ps->head[i] != '<') {
		refuse(ps, "file is not XML");
		lerr_detail(&ps->err, "it does not start with '<' (nor with an XML declaration)");
		lerr_hint(&ps->err, "send the PES_Aller XML file");
		return LERR_INVALID;
	}
	return 0;
}

static int
start_parser(struct pes_scan *ps)
{
	read_declaration(ps);
	if (check_head(ps))
		return ps->err.kind;
	ps->ctxt = xmlCreatePushParserCtxt(&sax_handler, ps, NULL, 0, NULL);
	if (ps->ctxt == NULL) {
		ps->failed = 1;
		return lerr_set(&ps->err, LERR_INTERNAL, NULL, "cannot create an XML parser");
	}
	/* No XML_PARSE_NOENT (no entity substitution), no DTD loading, no network. */
	xmlCtxtUseOptions(ps->ctxt, XML_PARSE_NONET);
	ps->ctxt->replaceEntities = 0;
	if (ps->ctxt->dict)
		xmlDictSetLimit(ps->ctxt->dict, DICT_LIMIT);
	ps->started = 1;
	return 0;
}

/* libxml2 failed without telling our error handler (an I/O or encoding
 * error raised without its context): refuse all the same. */
static void
unreported_error(struct pes_scan *ps)
{
	xmlErrorPtr xe = xmlCtxtGetLastError(ps->ctxt);
	char msg[200];

	meta_clip(msg, sizeof(msg), xe && xe->message ? xe->message : "parse error");
	msg[strcspn(msg, "\n")] = '\0';
	refuse(ps, "file is not well-formed XML");
	lerr_detail(&ps->err, "line %d: %s", line_no(ps), msg);
	lerr_hint(&ps->err, "send a complete, well-formed PES_Aller XML file");
}

/* Hand bytes to libxml2 in bounded pieces; check what it keeps pending. */
static int
push(struct pes_scan *ps, const char *p, size_t n, int terminate)
{
	do {
		size_t k = n > FEED_STEP ? FEED_STEP : n;
		xmlParserInputPtr in;
		struct lerr ge;

		if (xmlguard_feed(&ps->guard, p, k, &ge)) {
			refuse(ps, "%s", ge.msg);
			memcpy(ps->err.detail, ge.detail, sizeof(ge.detail));
			memcpy(ps->err.hint, ge.hint, sizeof(ge.hint));
			return ps->err.kind;
		}
		if (xmlParseChunk(ps->ctxt, p, (int)k, terminate && k == n) != 0 &&
		    !ps->failed && !ps->ctxt->wellFormed)
			unreported_error(ps);
		if (ps->failed)
			return ps->err.kind;
		in = ps->ctxt->input;
		if (in && in->end - in->cur > MAX_PENDING) {
			refuse(ps, "an XML construct is too large");
			lerr_detail(&ps->err, "line %d: a tag, comment or processing instruction "
				    "longer than %d bytes", line_no(ps), MAX_PENDING);
			lerr_hint(&ps->err, "a PES_Aller carries its data in short V attributes "
				  "and element text");
			return LERR_INVALID;
		}
		p += k;
		n -= k;
	} while (n > 0);
	return 0;
}

static int
fail(struct pes_scan *ps, struct lerr *e)
{
	*e = ps->err;
	return ps->err.kind;
}

int
pes_scan_feed(struct pes_scan *ps, const void *p, size_t n, struct lerr *e)
{
	const char *s = p;

	if (ps->failed)
		return fail(ps, e);
	if (ps->finished)
		return lerr_set(e, LERR_INTERNAL, NULL, "pes_scan_feed() after pes_scan_finish()");
	while (!ps->started && n > 0) {
		ps->head[ps->headlen++] = (unsigned char)*s++;
		n--;
		if (head_complete(ps)) {
			if (start_parser(ps) || push(ps, (const char *)ps->head, ps->headlen, 0))
				return fail(ps, e);
		}
	}
	if (n > 0 && push(ps, s, n, 0))
		return fail(ps, e);
	return 0;
}

static int
check_content(struct pes_scan *ps)
{
	const struct pes_info *pi = &ps->info;

	if (pi->n_bordereaux + pi->n_pj + pi->n_marches + pi->n_factures > 0)
		return 0;
	refuse(ps, "the PES contains no bordereau, PJ or marché");
	lerr_detail(&ps->err, "no PES_DepenseAller or PES_RecetteAller Bordereau, "
		    "no PES_PJ/PJ and no PES_Marche in the file");
	lerr_hint(&ps->err, "Hélios does not acknowledge an empty PES; send a file "
		  "with at least one bordereau, PJ or marché");
	return -1;
}

int
pes_scan_finish(struct pes_scan *ps, struct lerr *e)
{
	if (ps->failed)
		return fail(ps, e);
	if (ps->finished)
		return 0;
	if (!ps->started && ps->headlen == 0) {
		refuse(ps, "file is empty");
		lerr_hint(&ps->err, "send the PES_Aller XML file");
		return fail(ps, e);
	}
	if (!ps->started && (start_parser(ps) ||
			     push(ps, (const char *)ps->head, ps->headlen, 0)))
		return fail(ps, e);
	if (push(ps, "", 0, 1))
		return fail(ps, e);
	if (!ps->seen_root) {
		refuse(ps, "file is empty or not XML");
		lerr_hint(&ps->err, "send the PES_Aller XML file");
		return fail(ps, e);
	}
	if (check_header(ps) || check_content(ps))
		return fail(ps, e);
	ps->finished = 1;
	return 0;
}

const struct pes_info *
pes_scan_info(const struct pes_scan *ps)
{
	return &ps->info;
}

int
pes_info_bordereaux_signable(const struct pes_info *pi)
{
	return pi->n_bordereaux > 0 && pi->n_bordereaux_with_id == pi->n_bordereaux;
}

static json_t *
demat_json(const struct pes_info *pi)
{
	if (pi->demat_depense == PES_DEMAT_YES || pi->demat_recette == PES_DEMAT_YES)
		return json_integer(1);
	if (pi->demat_depense == PES_DEMAT_NO || pi->demat_recette == PES_DEMAT_NO)
		return json_integer(0);
	return json_null();
}

json_t *
pes_info_json(const struct pes_info *pi)
{
	json_t *o, *bords = json_array();

	for (size_t i = 0; bords && i < pi->n_bordereaux_kept; i++)
		json_array_append_new(bords, json_string(pi->bordereaux[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:o, s:I, s:I, s:I, s:o, s:b}",
		      "nomfic", pi->nomfic, "codcol", pi->codcol, "idcoll", pi->idcoll,
		      "idpost", pi->idpost, "codbud", pi->codbud,
		      "exercice", pi->exercice[0] ? pi->exercice : NULL,
		      "bordereaux", bords, "bordereaux_count", (json_int_t)pi->n_bordereaux,
		      "pj", (json_int_t)pi->n_pj, "marches", (json_int_t)pi->n_marches,
		      "info_dematerialisee", demat_json(pi), "signed", pi->is_signed);
	return o;
}

json_t *
pes_info_warnings_json(const struct pes_info *pi)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < pi->n_warnings; i++)
		json_array_append_new(a, json_string(pi->warnings[i]));
	return a;
}
