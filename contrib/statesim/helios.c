/*
 * helios.c - what the DGFiP gateway does with an uploaded PES_Aller: the
 * SITE values and the PESALR2 name are checked before the transfer (ftp.c
 * refuses with a 5xx); after it, the file is checked in the platform's order
 * and a PES_ACQUIT is written into the response directory:
 *
 *   DomaineAck 0 (technique)   empty file, not XML, not a PES_Aller, XSD
 *                              deviation, missing NomFic, P_MSG not matching
 *                              the header, nothing to process, NomFic already
 *                              received for that CodCol
 *   DomaineAck 1 (signature technique)  InfoDematerialisee 1 without any
 *                              signature, or 0 with one
 *   DomaineAck 2 (signature globale)    the root's signature does not verify
 *   DomaineAck 3 (signature bordereau)  a bordereau's signature does not verify
 *                              or is missing
 *   EtatAck 1: one ElementACQUIT per bordereau (DomaineAck 5 dépense,
 *              6 recette) and per PJ carrying an IdUnique (DomaineAck 4).
 *   A PJ is refused on its own (EtatAck 0, one Erreur per fault, the rest
 *   of the file accepted: a partial acceptance) when its Fichier is empty or
 *   its RefCompta/Domaine is not the flux's (01 dépense, 02 recette, 06
 *   marché), the rejections Class_PJ.xsd documents.
 *
 * EtatAck is an xs:boolean: written 1/0, or true/false with
 * --set helios.booleans=words.  Names: PESALR2_<SIREN>_<yymmdd>_<counter>.xml,
 * the counter of at least three digits (S²LOW's FichierCompteur pads it).
 *
 * Signatures are verified with xmlsec (same-document references only), with
 * the key of the certificate they carry; with --set helios.trust=CA.pem[,..]
 * that certificate must also chain to one of those (else ERREUR_CERTIFICAT,
 * in the domain of the signature); without it, the gateway's question is
 * only "signed, and not altered since".
 */
#include "helios.h"

#include <ctype.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#define NS_ALLER "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
#define NS_ACQUIT "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour/v2"
#define NS_DSIG "http://www.w3.org/2000/09/xmldsig#"

/* The outcome of the checks: EtatAck 1, or the one KO element. */
struct verdict {
	int ok;
	int domaine;
	const char *ano;        /* NumAnoAck */
	char libelle[501];      /* LibelleAnoAck (UTF-8) */
	char numbord[16], exer[8];
};

struct seen {
	struct seen *next;
	char key[160];          /* CodCol '/' NomFic */
};

static xmlSchemaPtr schema;
static const char *trust_files;         /* helios.trust, NULL: chain not checked */
static int bool_words;                  /* helios.booleans=words: EtatAck true/false */
static struct seen *seen;
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static __thread char xmlsec_err[256];

static void ko(struct verdict *v, int domaine, const char *ano, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
ko(struct verdict *v, int domaine, const char *ano, const char *fmt, ...)
{
	va_list ap;

	v->ok = 0;
	v->domaine = domaine;
	v->ano = ano;
	va_start(ap, fmt);
	vsnprintf(v->libelle, sizeof(v->libelle), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------- checks */

int
helios_check_name(const char *name, char *why, size_t whysz)
{
	const char *p = name;
	int i, mm, dd;

	if (strncmp(p, "PESALR2_", 8))
		goto bad;
	for (p += 8, i = 0; i < 9; i++)
		if (!isdigit((unsigned char)p[i]))
			goto bad;
	p += 9;
	if (*p++ != '_')
		goto bad;
	for (i = 0; i < 6; i++)
		if (!isdigit((unsigned char)p[i]))
			goto bad;
	mm = (p[2] - '0') * 10 + (p[3] - '0');
	dd = (p[4] - '0') * 10 + (p[5] - '0');
	if (mm < 1 || mm > 12 || dd < 1 || dd > 31 || p[6] != '_')
		goto bad;
	for (p += 7, i = 0; isdigit((unsigned char)p[i]); i++)
		;
	if (i < 3 || i > 9 || strcmp(p + i, ".xml"))
		goto bad;
	return 0;
bad:
	snprintf(why, whysz, "%s: the name must be PESALR2_<SIREN>_<yymmdd>_<counter>.xml"
		 " (counter of 3 to 9 digits, zero-padded)", name);
	return -1;
}

/* P_MSG is PES#<CodCol>#<IdPost>#<CodBud>; split it (NUL-terminated parts). */
static int
split_msg(const char *msg, char codcol[8], char idpost[16], char codbud[8])
{
	return sscanf(msg, "PES#%7[^#]#%15[^#]#%7[^#]", codcol, idpost, codbud) == 3 &&
	    strlen(codcol) <= 3 && strlen(idpost) <= 7 && strlen(codbud) <= 2 ? 0 : -1;
}

int
helios_check_site(struct statesim *s, const char *dest, const char *appli,
		  const char *msg, char *why, size_t whysz)
{
	const char *want_dest = statesim_opt(s, "helios.p_dest", NULL);
	const char *want_appli = statesim_opt(s, "helios.p_appli", NULL);
	char codcol[8], idpost[16], codbud[8];

	if (want_dest && strcmp(dest, want_dest)) {
		snprintf(why, whysz, "P_DEST %s is not a destination of this gateway (%s).",
			 dest, want_dest);
		return -1;
	}
	if (want_appli && strcmp(appli, want_appli)) {
		snprintf(why, whysz, "P_APPLI %s unknown (expected %s).", appli, want_appli);
		return -1;
	}
	if (split_msg(msg, codcol, idpost, codbud)) {
		snprintf(why, whysz, "P_MSG %s is not PES#<CodCol>#<IdPost>#<CodBud>.", msg);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- XML access */

static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

/* The V attribute of the element at path ("A/B/C") under n, or "". */
static void
valueof(xmlNodePtr n, const char *path, char *out, size_t outsz)
{
	char part[64];
	const char *p = path;
	xmlChar *v;
	size_t len;

	*out = '\0';
	while (n && *p) {
		len = strcspn(p, "/");
		snprintf(part, sizeof(part), "%.*s", (int)len, p);
		n = child(n, part);
		p += len + (p[len] == '/');
	}
	if (!n || !(v = xmlGetProp(n, BAD_CAST "V")))
		return;
	snprintf(out, outsz, "%s", (const char *)v);
	xmlFree(v);
}

static void
schema_error(void *ctx, xmlErrorPtr err)
{
	struct verdict *v = ctx;

	if (!v->ok || !err)
		return;
	ko(v, 0, "ERREUR_AUTRE", "Erreur de validation XSD : ligne %d : %s", err->line,
	   err->message ? err->message : "?");
	v->libelle[strcspn(v->libelle, "\n")] = '\0';
}

static void
check_xsd(xmlDocPtr doc, struct verdict *v)
{
	xmlSchemaValidCtxtPtr vc;

	if (!schema)
		return;
	vc = xmlSchemaNewValidCtxt(schema);
	if (!vc) {
		ko(v, 0, "ERREUR_AUTRE", "validation XSD impossible (mémoire)");
		return;
	}
	xmlSchemaSetValidStructuredErrors(vc, schema_error, v);
	if (xmlSchemaValidateDoc(vc, doc) != 0 && v->ok)
		ko(v, 0, "ERREUR_AUTRE", "Erreur de validation XSD");
	xmlSchemaFreeValidCtxt(vc);
}

/* Something to process: a bordereau, a PJ or a marché. */
static int
has_content(xmlNodePtr root)
{
	return child(child(root, "PES_DepenseAller"), "Bordereau") ||
	    child(child(root, "PES_RecetteAller"), "Bordereau") ||
	    child(child(root, "PES_PJ"), "PJ") || child(root, "PES_Marche");
}

static int
already_seen(const char *codcol, const char *nomfic, int add)
{
	struct seen *e;
	char key[160];
	int found = 0;

	snprintf(key, sizeof(key), "%s/%s", codcol, nomfic);
	pthread_mutex_lock(&seen_mu);
	for (e = seen; e && !found; e = e->next)
		found = strcmp(e->key, key) == 0;
	if (!found && add && (e = calloc(1, sizeof(*e)))) {
		snprintf(e->key, sizeof(e->key), "%s", key);
		e->next = seen;
		seen = e;
	}
	pthread_mutex_unlock(&seen_mu);
	return found;
}

void
helios_reset(struct statesim *s)
{
	struct seen *e;

	(void)s;
	pthread_mutex_lock(&seen_mu);
	while ((e = seen)) {
		seen = e->next;
		free(e);
	}
	pthread_mutex_unlock(&seen_mu);
}

/* The platform rules on the header (P_MSG against EnTetePES, sizes). */
static void
check_header(xmlNodePtr root, const struct helios_upload *up, struct verdict *v)
{
	char nomfic[128], codcol[16], idpost[16], codbud[16], idcoll[32];
	char mcol[8], mpost[16], mbud[8];

	valueof(root, "Enveloppe/Parametres/NomFic", nomfic, sizeof(nomfic));
	valueof(root, "EnTetePES/CodCol", codcol, sizeof(codcol));
	valueof(root, "EnTetePES/IdPost", idpost, sizeof(idpost));
	valueof(root, "EnTetePES/CodBud", codbud, sizeof(codbud));
	valueof(root, "EnTetePES/IdColl", idcoll, sizeof(idcoll));
	if (!*nomfic)
		return ko(v, 0, "ERREUR_SCHEMA_INCOMPLET", "Enveloppe/Parametres/NomFic absent");
	if (!*codcol || strlen(codcol) > 3)
		return ko(v, 0, "ERREUR_CODE_COLLECTIVITE_BUDGET",
			  "CodCol absent ou de plus de 3 caractères (%s)", codcol);
	if (!*idcoll || strlen(idcoll) > 14)
		return ko(v, 0, "ERREUR_SIRET", "IdColl absent ou de plus de 14 caractères (%s)",
			  idcoll);
	if (split_msg(up->msg, mcol, mpost, mbud) || strcmp(mcol, codcol) ||
	    strcmp(mpost, idpost) || strcmp(mbud, codbud))
		return ko(v, 0, "ERREUR_CODE_COLLECTIVITE_BUDGET",
			  "P_MSG %s ne correspond pas à l'en-tête (PES#%s#%s#%s)", up->msg,
			  codcol, idpost, codbud);
	if (!has_content(root))
		return ko(v, 0, "ERREUR_FLUX_VIDE", "aucun bordereau, PJ ni marché dans le fichier");
}

/* ----------------------------------------------------------- signatures */

static void
xmlsec_errors(const char *file, int line, const char *func, const char *obj,
	      const char *subj, int reason, const char *msg)
{
	(void)file;
	(void)line;
	(void)func;
	(void)obj;
	if (!xmlsec_err[0])
		snprintf(xmlsec_err, sizeof(xmlsec_err), "%s: %s (%d)", subj ? subj : "?",
			 msg ? msg : "", reason);
}

/* Register every Id attribute; -1 when two elements share one (wrapping). */
static int
register_ids(xmlDocPtr doc, xmlNodePtr n, char *dup, size_t dupsz)
{
	xmlAttrPtr a, prev;
	xmlChar *val;

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		a = xmlHasProp(n, BAD_CAST "Id");
		if (a && a->ns == NULL && (val = xmlNodeListGetString(doc, a->children, 1))) {
			prev = xmlGetID(doc, val);
			if (prev && prev != a) {
				snprintf(dup, dupsz, "%s", (const char *)val);
				xmlFree(val);
				return -1;
			}
			if (!prev)
				xmlAddID(NULL, doc, val, a);
			xmlFree(val);
		}
		if (register_ids(doc, n->children, dup, dupsz))
			return -1;
	}
	return 0;
}

static int
is_dsig(xmlNodePtr n)
{
	return n->type == XML_ELEMENT_NODE && n->ns &&
	    strcmp((const char *)n->ns->href, NS_DSIG) == 0 &&
	    strcmp((const char *)n->name, "Signature") == 0;
}

static xmlNodePtr
own_signature(xmlNodePtr n)
{
	for (n = n->children; n; n = n->next)
		if (is_dsig(n))
			return n;
	return NULL;
}

static int
count_signatures(xmlNodePtr n)
{
	int c = 0;

	for (; n; n = n->next) {
		if (is_dsig(n))
			c++;
		else if (n->type == XML_ELEMENT_NODE)
			c += count_signatures(n->children);
	}
	return c;
}

static int
demat_required(xmlNodePtr root)
{
	char v[8];

	valueof(root, "PES_DepenseAller/EnTeteDepense/InfoDematerialisee", v, sizeof(v));
	if (strcmp(v, "1") == 0)
		return 1;
	valueof(root, "PES_RecetteAller/EnTeteRecette/InfoDematerialisee", v, sizeof(v));
	return strcmp(v, "1") == 0;
}

/* Does one of the signature's references point at "#<Id of signed>"? */
static int
references_parent(xmlSecDSigCtxPtr ctx, xmlNodePtr signed_el)
{
	xmlChar *id = xmlGetProp(signed_el, BAD_CAST "Id");
	xmlSecDSigReferenceCtxPtr r;
	xmlSecSize i;
	int found = 0;

	for (i = 0; id && i < xmlSecPtrListGetSize(&ctx->signedInfoReferences); i++) {
		r = xmlSecPtrListGetItem(&ctx->signedInfoReferences, i);
		found |= r && r->uri && r->uri[0] == '#' &&
		    xmlStrcmp(r->uri + 1, id) == 0;
	}
	xmlFree(id);
	return found;
}

/* Trusted certificates (PEM files): every one of helios.trust, split on ','. */
static int
load_trust(xmlSecKeysMngrPtr mngr)
{
	char list[1024], *f, *save = NULL;

	snprintf(list, sizeof(list), "%s", trust_files);
	for (f = strtok_r(list, ",", &save); f; f = strtok_r(NULL, ",", &save))
		if (xmlSecCryptoAppKeysMngrCertLoad(mngr, f, xmlSecKeyDataFormatPem,
						    xmlSecKeyDataTypeTrusted) < 0)
			return -1;
	return 0;
}

/* One verification, the certificate chained to helios.trust or not. */
static int
verify_pass(xmlNodePtr sig, int check_chain, char *why, size_t whysz)
{
	xmlSecKeysMngrPtr mngr = xmlSecKeysMngrCreate();
	xmlSecDSigCtxPtr ctx = NULL;
	int rc = -1;

	xmlsec_err[0] = '\0';
	snprintf(why, whysz, "signature illisible");
	if (!mngr || xmlSecCryptoAppDefaultKeysMngrInit(mngr) < 0 ||
	    (check_chain && load_trust(mngr)))
		goto out;
	ctx = xmlSecDSigCtxCreate(mngr);
	if (!ctx)
		goto out;
	if (!check_chain)
		ctx->keyInfoReadCtx.flags |= XMLSEC_KEYINFO_FLAGS_X509DATA_DONT_VERIFY_CERTS;
	ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty |
	    xmlSecTransformUriTypeSameDocument;
	if (xmlSecDSigCtxVerify(ctx, sig) < 0) {
		snprintf(why, whysz, "signature illisible : %s", xmlsec_err);
		goto out;
	}
	if (ctx->status != xmlSecDSigStatusSucceeded) {
		snprintf(why, whysz, "la signature ne correspond pas au contenu signé");
		goto out;
	}
	if (!references_parent(ctx, sig->parent)) {
		snprintf(why, whysz, "la signature ne référence pas l'élément qui la contient");
		goto out;
	}
	rc = 0;
out:
	if (ctx)
		xmlSecDSigCtxDestroy(ctx);
	if (mngr)
		xmlSecKeysMngrDestroy(mngr);
	return rc;
}

/* 0 valid; -1 does not verify; -2 verifies, but its certificate does not
 * chain to helios.trust (reason in why). */
static int
verify_one(xmlNodePtr sig, char *why, size_t whysz)
{
	if (verify_pass(sig, 0, why, whysz))
		return -1;
	if (!trust_files || verify_pass(sig, 1, why, whysz) == 0)
		return 0;
	snprintf(why, whysz, "certificat du signataire non reconnu (%s)", xmlsec_err);
	return -2;
}

static void
check_bordereaux(xmlNodePtr aller, int need, struct verdict *v)
{
	char why[400];
	xmlNodePtr b, sig;
	int rc;

	for (b = aller ? aller->children : NULL; b && v->ok; b = b->next) {
		if (b->type != XML_ELEMENT_NODE || strcmp((const char *)b->name, "Bordereau"))
			continue;
		sig = own_signature(b);
		if (!sig && !need)
			continue;
		valueof(b, "BlocBordereau/IdBord", v->numbord, sizeof(v->numbord));
		valueof(b, "BlocBordereau/Exer", v->exer, sizeof(v->exer));
		if (!sig)
			ko(v, 3, "ERREUR_SIGNATURE_BORDEREAU_INCOMPLETE",
			   "bordereau %s non signé", v->numbord);
		else if ((rc = verify_one(sig, why, sizeof(why))))
			ko(v, 3, rc == -2 ? "ERREUR_CERTIFICAT" :
			   "ERREUR_SIGNATURE_BORDEREAU_INVALIDE", "bordereau %s : %s",
			   v->numbord, why);
	}
	if (v->ok)
		v->numbord[0] = v->exer[0] = '\0';
}

static void
check_signatures(xmlDocPtr doc, xmlNodePtr root, struct verdict *v)
{
	int nsig = count_signatures(root->children), demat = demat_required(root);
	xmlNodePtr global = own_signature(root);
	char why[400];
	int rc;

	if (demat && nsig == 0)
		return ko(v, 1, "ERREUR_PES_PARAM_SIGNATURE",
			  "InfoDematerialisee vaut 1 mais le fichier n'est pas signé");
	if (!demat && nsig > 0)
		return ko(v, 1, "ERREUR_PES_PARAM_SIGNATURE",
			  "InfoDematerialisee vaut 0 mais le fichier est signé");
	if (!nsig)
		return;
	if (register_ids(doc, root, why, sizeof(why)))
		return ko(v, 1, "ERREUR_SIGNATURE_INVALIDE", "Id %s porté par deux éléments", why);
	if (global && (rc = verify_one(global, why, sizeof(why))))
		return ko(v, 2, rc == -2 ? "ERREUR_CERTIFICAT" : "ERREUR_SIGNATURE_INVALIDE",
			  "signature globale : %s", why);
	check_bordereaux(child(root, "PES_DepenseAller"), !global, v);
	if (v->ok)
		check_bordereaux(child(root, "PES_RecetteAller"), !global, v);
}

/* ------------------------------------------------------------- acquit */

/* An unqualified child (xmlNewChild would inherit the parent's namespace). */
static xmlNodePtr
el(xmlNodePtr parent, const char *name)
{
	return xmlAddChild(parent, xmlNewDocNode(parent->doc, NULL, BAD_CAST name, NULL));
}

static xmlNodePtr
add_v(xmlNodePtr parent, const char *name, const char *value)
{
	xmlNodePtr n = el(parent, name);

	xmlNewProp(n, BAD_CAST "V", BAD_CAST value);
	return n;
}

static void
acquit_enveloppe(xmlNodePtr r, xmlNodePtr aller, const struct helios_upload *up)
{
	char typfic[40], nomfic[128], sigle[40], adresse[48], stem[256];
	xmlNodePtr env = el(r, "Enveloppe"), p, e;

	valueof(aller, "Enveloppe/Parametres/TypFic", typfic, sizeof(typfic));
	valueof(aller, "Enveloppe/Parametres/NomFic", nomfic, sizeof(nomfic));
	valueof(aller, "Enveloppe/Emetteur/Sigle", sigle, sizeof(sigle));
	valueof(aller, "Enveloppe/Emetteur/Adresse", adresse, sizeof(adresse));
	snprintf(stem, sizeof(stem), "%.*s", (int)strcspn(up->name, "."), up->name);
	p = el(env, "Parametres");
	add_v(p, "Version", "2");
	add_v(p, "TypFic", *typfic ? typfic : "PESALR2");
	add_v(p, "NomFic", *nomfic ? nomfic : stem);
	e = el(env, "Emetteur");
	add_v(e, "Sigle", *sigle ? sigle : "INCONNU");
	add_v(e, "Adresse", *adresse ? adresse : "INCONNUE");
	add_v(el(env, "Recepteur"), "Sigle", "HELIOS");
}

/* EnTetePES copied from the PES_Aller, or made of P_MSG when unreadable. */
static void
acquit_entete(xmlNodePtr r, xmlNodePtr aller, const struct helios_upload *up)
{
	xmlNodePtr h = el(r, "EnTetePES"), src, n;
	char col[8] = "", post[16] = "", bud[8] = "", day[16];
	xmlChar *val;
	time_t now = time(NULL);
	struct tm tm;

	src = child(aller, "EnTetePES");
	for (n = src ? src->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || !(val = xmlGetProp(n, BAD_CAST "V")))
			continue;
		add_v(h, (const char *)n->name, (const char *)val);
		xmlFree(val);
	}
	if (h->children)
		return;
	split_msg(up->msg, col, post, bud);
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	add_v(h, "DteStr", day);
	add_v(h, "IdPost", post);
	add_v(h, "IdColl", "00000000000000");
	add_v(h, "CodCol", col);
	add_v(h, "CodBud", bud);
}

/* EtatAck, an xs:boolean. */
static const char *
etat(int ok)
{
	return bool_words ? (ok ? "true" : "false") : (ok ? "1" : "0");
}

static void
ack_elements(xmlNodePtr acq, xmlNodePtr list, const char *domaine)
{
	char numbord[16], exer[8];
	xmlNodePtr b, e;

	for (b = list ? list->children : NULL; b; b = b->next) {
		if (b->type != XML_ELEMENT_NODE || strcmp((const char *)b->name, "Bordereau"))
			continue;
		valueof(b, "BlocBordereau/IdBord", numbord, sizeof(numbord));
		valueof(b, "BlocBordereau/Exer", exer, sizeof(exer));
		e = el(acq, "ElementACQUIT");
		add_v(e, "DomaineAck", domaine);
		add_v(e, "EtatAck", etat(1));
		add_v(e, "NumBord", numbord);
		add_v(e, "ExerciceBord", exer);
	}
}

static void
pj_error(xmlNodePtr e, const char *libelle)
{
	xmlNodePtr err = el(e, "Erreur");

	add_v(err, "NumAnoAck", "ERREUR_PJ");
	add_v(err, "LibelleAnoAck", libelle);
}

/* Only blanks (or nothing) in n's text. */
static int
blank(xmlNodePtr n)
{
	for (xmlNodePtr t = n ? n->children : NULL; t; t = t->next)
		if ((t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE) && t->content &&
		    t->content[strspn((const char *)t->content, " \t\r\n")])
			return 0;
	return 1;
}

/* The RefCompta domains the flux allows (Class_PJ.xsd), "" for any. */
static const char *
pj_domains(xmlNodePtr aller)
{
	if (child(aller, "PES_DepenseAller"))
		return "01";
	if (child(aller, "PES_RecetteAller"))
		return "02";
	return child(aller, "PES_Marche") ? "06" : "";
}

/* One ElementACQUIT per PJ with an IdUnique; returns how many are refused. */
static int
ack_pjs(xmlNodePtr acq, xmlNodePtr aller)
{
	const char *want = pj_domains(aller);
	char id[64], dom[8], why[160];
	xmlNodePtr list = child(aller, "PES_PJ"), pj, e, r, ok_mark;
	int refused = 0;

	for (pj = list ? list->children : NULL; pj; pj = pj->next) {
		if (pj->type != XML_ELEMENT_NODE || strcmp((const char *)pj->name, "PJ"))
			continue;
		valueof(pj, "IdUnique", id, sizeof(id));
		if (!*id)
			continue;
		e = el(acq, "ElementACQUIT");
		add_v(e, "DomaineAck", "4");
		ok_mark = add_v(e, "EtatAck", etat(1));
		add_v(e, "IdUnique", id);
		if (blank(child(child(pj, "Contenu"), "Fichier")))
			pj_error(e, "PJ rejetée : fichier vide");
		for (r = pj->children; *want && r; r = r->next) {
			if (r->type != XML_ELEMENT_NODE || strcmp((const char *)r->name, "RefCompta"))
				continue;
			valueof(r, "Domaine", dom, sizeof(dom));
			if (strcmp(dom, want)) {
				snprintf(why, sizeof(why), "PJ rejetée : RefCompta/Domaine %s, ce flux n'accepte que %s",
					 dom, want);
				pj_error(e, why);
			}
		}
		if (child(e, "Erreur")) {
			xmlSetProp(ok_mark, BAD_CAST "V", BAD_CAST etat(0));
			refused++;
		}
	}
	return refused;
}

/* Returns how many PJ were refused (a partial acceptance). */
static int
acquit_body(xmlNodePtr r, xmlNodePtr aller, const struct verdict *v)
{
	xmlNodePtr acq = el(r, "ACQUIT"), e, err;
	char dom[8];
	int refused;

	add_v(el(acq, "EnTeteAcquit"), "IdVer", "2");
	if (v->ok) {
		ack_elements(acq, child(aller, "PES_DepenseAller"), "5");
		ack_elements(acq, child(aller, "PES_RecetteAller"), "6");
		refused = ack_pjs(acq, aller);
		if (child(acq, "ElementACQUIT"))
			return refused;
	}
	snprintf(dom, sizeof(dom), "%d", v->ok ? 0 : v->domaine);
	e = el(acq, "ElementACQUIT");
	add_v(e, "DomaineAck", dom);
	add_v(e, "EtatAck", etat(v->ok));
	if (v->ok)
		return 0;
	if (*v->numbord) {
		add_v(e, "NumBord", v->numbord);
		if (*v->exer)
			add_v(e, "ExerciceBord", v->exer);
	}
	err = el(e, "Erreur");
	add_v(err, "NumAnoAck", v->ano);
	add_v(err, "LibelleAnoAck", v->libelle);
	return 0;
}

/* The PES_ACQUIT, ISO-8859-1 like the platform's; malloc'ed bytes. */
static xmlChar *
acquit_build(xmlDocPtr aller_doc, const struct helios_upload *up, const struct verdict *v,
	     int *len, int *refused)
{
	xmlNodePtr aller = aller_doc ? xmlDocGetRootElement(aller_doc) : NULL;
	xmlDocPtr d = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr r = xmlNewNode(NULL, BAD_CAST "PES_ACQUIT");
	xmlChar *out = NULL;

	xmlDocSetRootElement(d, r);
	xmlSetNs(r, xmlNewNs(r, BAD_CAST NS_ACQUIT, BAD_CAST "n"));
	acquit_enveloppe(r, aller, up);
	acquit_entete(r, aller, up);
	*refused = acquit_body(r, aller, v);
	xmlDocDumpFormatMemoryEnc(d, &out, len, "ISO-8859-1", 1);
	xmlFreeDoc(d);
	return out;
}

/* ---------------------------------------------------------- reception */

static xmlDocPtr
check_file(const struct helios_upload *up, struct verdict *v)
{
	const xmlError *err;
	xmlNodePtr root;
	xmlDocPtr doc;
	struct stat st;
	char nomfic[128], codcol[16];

	v->ok = 1;
	if (stat(up->path, &st) || st.st_size == 0)
		return ko(v, 0, "ERREUR_FLUX_VIDE", "fichier vide"), NULL;
	xmlResetLastError();
	doc = xmlReadFile(up->path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
			  XML_PARSE_NOWARNING);
	if (!doc) {
		err = xmlGetLastError();
		ko(v, 0, "ERREUR_ENCODING", "fichier XML illisible : %s",
		   err && err->message ? err->message : "?");
		v->libelle[strcspn(v->libelle, "\n")] = '\0';
		return NULL;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !root->ns || strcmp((const char *)root->name, "PES_Aller") ||
	    strcmp((const char *)root->ns->href, NS_ALLER)) {
		ko(v, 0, "ERREUR_AUTRE", "l'élément racine n'est pas un PES_Aller (%s)",
		   root ? (const char *)root->name : "aucun");
		return doc;
	}
	check_xsd(doc, v);
	if (v->ok)
		check_header(root, up, v);
	if (v->ok)
		check_signatures(doc, root, v);
	valueof(root, "Enveloppe/Parametres/NomFic", nomfic, sizeof(nomfic));
	valueof(root, "EnTetePES/CodCol", codcol, sizeof(codcol));
	if (v->ok && already_seen(codcol, nomfic, 1))
		ko(v, 0, "ERREUR_AUTRE", "fichier déjà reçu : NomFic %s pour le CodCol %s",
		   nomfic, codcol);
	return doc;
}

struct pending {
	struct statesim *s;
	char rel[PATH_MAX];
	char name[256];
	xmlChar *data;
	int len;
	int delay;
	int ok;
	int pj_refused;         /* accepted, but so many PJ refused */
};

static void
write_acquit(struct pending *p)
{
	if (statesim_write_file(p->s, p->rel, p->data, (size_t)p->len))
		fprintf(stderr, "statesim: helios: cannot write %s: %s\n", p->rel, strerror(errno));
	else
		fprintf(stderr, "statesim: helios: %s written (EtatAck %d, %d PJ refused)\n", p->rel, p->ok,
			p->pj_refused);
	statesim_count(p->s, !p->ok ? "helios.ack_ko" : p->pj_refused ? "helios.ack_partial" : "helios.ack_ok",
		       p->name);
	xmlFree(p->data);
	free(p);
}

static void *
delayed(void *arg)
{
	struct pending *p = arg;

	statesim_wait(p->s, -1, p->delay * 1000L);
	write_acquit(p);
	return NULL;
}

/* ACK_<name>, or ACK_<stem>_<n>.xml when that acquit exists already. */
static void
acquit_name(struct statesim *s, const char *name, char *rel, size_t relsz)
{
	char path[PATH_MAX + 64];
	int n;

	snprintf(rel, relsz, HELIOS_RETOUR "/ACK_%s", name);
	for (n = 2; n < 1000; n++) {
		snprintf(path, sizeof(path), "%s/%s", s->dir, rel);
		if (access(path, F_OK))
			return;
		snprintf(rel, relsz, HELIOS_RETOUR "/ACK_%.*s_%d.xml",
			 (int)strcspn(name, "."), name, n);
	}
}

/* Keep the upload under HELIOS_IN (name, then name.2, ...). */
static void
keep_upload(struct statesim *s, const struct helios_upload *up)
{
	char dst[PATH_MAX + 300];
	int n;

	snprintf(dst, sizeof(dst), "%s/" HELIOS_IN "/%s", s->dir, up->name);
	for (n = 2; access(dst, F_OK) == 0 && n < 1000; n++)
		snprintf(dst, sizeof(dst), "%s/" HELIOS_IN "/%s.%d", s->dir, up->name, n);
	if (rename(up->path, dst))
		unlink(up->path);
}

void
helios_receive(struct statesim *s, const struct helios_upload *up)
{
	struct verdict v;
	struct pending *p;
	xmlDocPtr doc;

	memset(&v, 0, sizeof(v));
	statesim_count(s, "helios", up->name);
	doc = check_file(up, &v);
	fprintf(stderr, "statesim: helios: %s received (P_DEST %s, P_APPLI %s, P_MSG %s): %s%s\n",
		up->name, up->dest, up->appli, up->msg, v.ok ? "accepted" : "refused: ",
		v.ok ? "" : v.libelle);
	p = calloc(1, sizeof(*p));
	if (p) {
		p->s = s;
		p->ok = v.ok;
		p->delay = up->delay;
		snprintf(p->name, sizeof(p->name), "%s", up->name);
		acquit_name(s, up->name, p->rel, sizeof(p->rel));
		p->data = acquit_build(doc, up, &v, &p->len, &p->pj_refused);
	}
	if (doc)
		xmlFreeDoc(doc);
	keep_upload(s, up);
	if (!p || !p->data) {
		fprintf(stderr, "statesim: helios: out of memory for the acquit of %s\n", up->name);
		free(p);
		return;
	}
	if (p->delay <= 0 || statesim_spawn(delayed, p))
		write_acquit(p);
}

/* ------------------------------------------------------------- set-up */

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static int
load_schema(const char *path)
{
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);

	if (!pc)
		return -1;
	xmlSchemaSetParserErrors(pc, quiet, quiet, NULL);
	schema = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	if (!schema) {
		fprintf(stderr, "statesim: helios: cannot load the PES schema %s\n", path);
		return -1;
	}
	fprintf(stderr, "statesim: helios: PES schema %s\n", path);
	return 0;
}

int
helios_init(struct statesim *s)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
	if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1 ||
	    xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		fprintf(stderr, "statesim: helios: xmlsec initialisation failed\n");
		return -1;
	}
	xmlSecErrorsSetCallback(xmlsec_errors);
	trust_files = statesim_opt(s, "helios.trust", NULL);
	bool_words = !strcmp(statesim_opt(s, "helios.booleans", "digits"), "words");
	if (s->pes_xsd && *s->pes_xsd && load_schema(s->pes_xsd))
		return -1;
	if (!s->pes_xsd || !*s->pes_xsd)
		fprintf(stderr, "statesim: helios: no PES schema, XSD not checked\n");
	if (statesim_mkdir(s, HELIOS_INCOMING) || statesim_mkdir(s, HELIOS_IN) ||
	    statesim_mkdir(s, HELIOS_RETOUR)) {
		fprintf(stderr, "statesim: helios: cannot create the directories under %s\n", s->dir);
		return -1;
	}
	return 0;
}
