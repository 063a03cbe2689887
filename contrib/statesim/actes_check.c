/*
 * actes_check.c - what the simulated ministry checks in a received @ctes
 * archive, and the answer it mails back (actes_int.h).
 *
 * Order of the checks; the first failure decides the answer:
 *   archive name  <tri>-<EACT|TACT>--<SIREN>--<YYYYMMDD>-<n>.tar.gz   AnomalieEnveloppe 001
 *   at most 150 MiB                                                     AnomalieEnveloppe 004
 *   gzip + tar (flat, regular files)                                    AnomalieEnveloppe 001
 *   the envelope <EACT|TACT>--<SIREN>--<YYYYMMDD>-<n>.xml is present,
 *   well-formed, EnveloppeCLMISILL, valid against the ACTES XSD         AnomalieEnveloppe 002
 *   its SIREN is the archive's, it lists exactly one form, present      AnomalieEnveloppe 003
 *   the form is named [<typePJ>-]<DDD>-<SIREN>-<YYYYMMDD>-<NUM>-<NN>-1-1_0.xml
 *   with the envelope's département and SIREN, is an actes:Acte
 *   with a DocumentPapier O or N (then taken out: the XSD v1.1 of the
 *   fixtures predates it) valid against the XSD                         AnomalieEnveloppe 002
 *   NumeroInterne ^[0-9A-Z_]{2,15}$ equal to the name's, Date equal to
 *   the name's, CodeNatureActe 1..6 matching NN                        AnomalieActe 002
 *   Document and annexes present, named <stem>-1-1_<n>.<ext>, the
 *   document a PDF (%PDF-), annexes PDF/XML/JPG/PNG, none empty,
 *   Annexes/@Nombre right                                               AnomalieActe 003
 *   a Signature (base64 DER PKCS#7/CMS, detached) verifies over its file AnomalieActe 004
 *   no file in the archive that nothing references                      AnomalieEnveloppe 003
 *   no act acknowledged before with the same SIREN, number and date
 *   (unless actes.allow_duplicates=1)                                   AnomalieActe 005
 * Otherwise: ARActe with IDActe <DDD>-<SIREN>-<YYYYMMDD>-<NUM>-<NN>.
 *
 * A form named <IDActe>-6-1_0.xml is an annulation (6-1): an actes:Annulation
 * valid against the XSD (AnomalieEnveloppe 002) whose @IDActe is the name's,
 * about an act this platform acknowledged and did not cancel yet
 * (AnomalieEnveloppe 003); answered by 6-2 ARAnnulation <IDActe>-6-2_0.xml.
 */
#include "actes_int.h"
#include "actes_tar.h"
#include "actes_xml.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <openssl/cms.h>
#include <openssl/evp.h>

#define TAR_MAX (400u * 1024 * 1024)
#define MAX_FILES 64

static xmlSchemaPtr schema;
static pthread_mutex_t schema_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t serial_mu = PTHREAD_MUTEX_INITIALIZER;

static const char *natures[] = { "", "DE", "AR", "AI", "CC", "BF", "AU" };

/* The platform's own classification (--set actes.classification=FILE, a
 * RetourClassification): sent on 7-1, acts checked against it. */
#define CLASS_MAX 4096
static struct {
	int loaded;
	char *raw;              /* the file as given (ISO-8859-1 XML) */
	size_t len;
	char date[11];
	char codes[CLASS_MAX][16];  /* "1", "1.1", ... */
	int ncodes;
	char types[CLASS_MAX][8];   /* CodeTypePJ ... */
	int type_nature[CLASS_MAX]; /* ... of nature */
	int ntypes;
} cls;

struct check {
	struct statesim *s;
	struct actes_reply *r;
	const char *archive;
	char prefix[5], envname[128], siren[10], date[9];
	char dept[4], arr[2], email[256];
	struct tar_file files[MAX_FILES];
	int used[MAX_FILES], nfiles;
	unsigned char *tar;
	xmlDocPtr env, msg;
	char form[256], stem[128], numero[16], nn[3], today[11], classif[11];
	/* the outcome */
	int kind;               /* 0 ok, 1 AnomalieActe, 2 AnomalieEnveloppe */
	char nature[4], detail[512];
};

static int class_load(struct statesim *s);
static int add_envelope(struct statesim *s, struct actes_reply *r, const char *prefix, const char *dept,
			const char *arr, const char *siren, const char *form);
static int add_part(struct actes_reply *r, const char *name, const char *type, char *data, size_t len);

int
actes_check_init(struct statesim *s)
{
	const char *xsd = statesim_opt(s, "actes.xsd", NULL), *fx = getenv("LIASSE_FIXTURES");
	static char def[4096];
	xmlSchemaParserCtxtPtr pc;

	if (statesim_mkdir(s, "actes/acts") || statesim_mkdir(s, "actes/received"))
		return -1;
	if (!xsd && fx && *fx) {   /* default: the fixtures' official ACTES schema */
		snprintf(def, sizeof(def), "%s/parapheur-v5/xsd/actesv1_1.xsd", fx);
		xsd = access(def, R_OK) == 0 ? def : NULL;
	}
	if (!xsd || !*xsd) {
		fprintf(stderr, "statesim: actes: no --set actes.xsd=FILE (nor $LIASSE_FIXTURES): the envelope and "
			"the message are checked without the ACTES XSD\n");
		return class_load(s);
	}
	pc = xmlSchemaNewParserCtxt(xsd);
	schema = pc ? xmlSchemaParse(pc) : NULL;
	xmlSchemaFreeParserCtxt(pc);
	if (!schema) {
		fprintf(stderr, "statesim: actes: cannot load the ACTES XSD %s\n", xsd);
		return -1;
	}
	fprintf(stderr, "statesim: actes: envelopes and messages validated against %s\n", xsd);
	return class_load(s);
}

size_t
actes_max_size(struct statesim *s)
{
	long long v = atoll(statesim_opt(s, "actes.max_size", "157286400"));

	return v > 0 ? (size_t)v : 157286400u;
}

static void __attribute__((format(printf, 4, 5)))
fail(struct check *c, int kind, const char *nature, const char *fmt, ...)
{
	va_list ap;

	if (c->kind)
		return;
	c->kind = kind;
	snprintf(c->nature, sizeof(c->nature), "%s", nature);
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static int
match(const char *re, const char *s, regmatch_t *m, size_t nm)
{
	regex_t rx;
	int rc;

	if (regcomp(&rx, re, REG_EXTENDED))
		return 0;
	rc = regexec(&rx, s, nm, m, 0) == 0;
	regfree(&rx);
	return rc;
}

static void
group(const char *s, const regmatch_t *m, char *out, size_t cap)
{
	int n = (int)(m->rm_eo - m->rm_so);

	snprintf(out, cap, "%.*s", m->rm_so < 0 ? 0 : n, s + (m->rm_so < 0 ? 0 : m->rm_so));
}

static int
check_name(struct check *c, const char *name)
{
	regmatch_t m[7];

	if (!match("^[A-Za-z0-9]{3}-((EACT|TACT)--([0-9]{9})--([0-9]{8})-([0-9]{1,10}))\\.tar\\.gz$",
		   name, m, 7)) {
		fail(c, 2, "001", "nom d'archive invalide (attendu "
		     "<tri>-EACT--<SIREN>--<AAAAMMJJ>-<n>.tar.gz)");
		return -1;
	}
	group(name, &m[2], c->prefix, sizeof(c->prefix));
	group(name, &m[3], c->siren, sizeof(c->siren));
	group(name, &m[4], c->date, sizeof(c->date));
	group(name, &m[1], c->envname, sizeof(c->envname) - 4);
	strcat(c->envname, ".xml");
	return 0;
}

static struct tar_file *
find_file(struct check *c, const char *name)
{
	int i;

	for (i = 0; i < c->nfiles; i++) {
		if (strcmp(c->files[i].name, name) == 0) {
			c->used[i] = 1;
			return &c->files[i];
		}
	}
	return NULL;
}

static void
xsd_error(void *ctx, const xmlError *err)
{
	char *buf = ctx;
	size_t n;

	if (buf[0] || !err || !err->message)
		return;
	snprintf(buf, 300, "ligne %d : %s", err->line, err->message);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

/* Validate doc when the XSD is loaded: 0, or -1 with libxml2's first error in err. */
static int
validate_doc(xmlDocPtr doc, char *err, size_t errlen)
{
	xmlSchemaValidCtxtPtr vc;
	int rc;

	if (!schema)
		return 0;
	pthread_mutex_lock(&schema_mu);
	vc = xmlSchemaNewValidCtxt(schema);
	if (vc) {
		xmlSchemaSetValidStructuredErrors(vc, (xmlStructuredErrorFunc)xsd_error, err);
		rc = xmlSchemaValidateDoc(vc, doc);
		xmlSchemaFreeValidCtxt(vc);
	} else {
		rc = -1;
	}
	pthread_mutex_unlock(&schema_mu);
	(void)errlen;
	return rc == 0 ? 0 : -1;
}

/* Parse without network nor entity expansion; validate when the XSD is
 * loaded.  NULL with a reason in why. */
static int is_actes(xmlNodePtr n, const char *name);
static xmlNodePtr child(xmlNodePtr n, const char *name);

/* DocumentPapier (O/N), which the platform's later schema adds as the last
 * child of an actes:Acte and the XSD v1.1 of the fixtures predates: checked
 * here, then taken out so that the rest validates against v1.1 (and the
 * ARActe's ActeRecu copies a v1.1 act).  0 when present and O or N. */
static int
paper_take(xmlDocPtr doc, char *why, size_t whylen)
{
	xmlNodePtr acte = xmlDocGetRootElement(doc), p = child(acte, "DocumentPapier");
	xmlChar *v = p ? xmlNodeGetContent(p) : NULL;
	int ok = v && (xmlStrEqual(v, (const xmlChar *)"O") || xmlStrEqual(v, (const xmlChar *)"N"));

	if (!ok)
		snprintf(why, whylen, "DocumentPapier %s", p ? "différent de O et de N" : "absent");
	xmlFree(v);
	if (p) {
		xmlUnlinkNode(p);
		xmlFreeNode(p);
	}
	return ok ? 0 : -1;
}

static xmlDocPtr
parse_valid(const struct tar_file *f, int acte, char *why, size_t whylen)
{
	char err[300] = "";
	xmlDocPtr doc;

	doc = xmlReadMemory((const char *)f->data, (int)f->len, f->name, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();

		snprintf(why, whylen, "%s : XML mal formé (%s)", f->name,
			 e && e->message ? e->message : "?");
		return NULL;
	}
	if (acte && is_actes(xmlDocGetRootElement(doc), "Acte") && paper_take(doc, err, sizeof(err)))
		;
	else if (validate_doc(doc, err, sizeof(err)) == 0)
		return doc;
	snprintf(why, whylen, "%s : non conforme au schéma ACTES (%s)", f->name,
		 err[0] ? err : "erreur de validation");
	xmlFreeDoc(doc);
	return NULL;
}

static int
is_actes(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns &&
	    xmlStrEqual(n->ns->href, (const xmlChar *)ACTES_NS) &&
	    xmlStrEqual(n->name, (const xmlChar *)name);
}

static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (is_actes(n, name))
			return n;
	return NULL;
}

static void
get_prop(xmlNodePtr n, const char *name, const char *ns, char *out, size_t cap)
{
	xmlChar *v = n ? xmlGetNsProp(n, (const xmlChar *)name, (const xmlChar *)ns) : NULL;

	snprintf(out, cap, "%s", v ? (const char *)v : "");
	xmlFree(v);
}

static void
get_text(xmlNodePtr n, char *out, size_t cap)
{
	xmlChar *v = n ? xmlNodeGetContent(n) : NULL;

	snprintf(out, cap, "%s", v ? (const char *)v : "");
	xmlFree(v);
}

static int
check_envelope(struct check *c)
{
	struct tar_file *f = find_file(c, c->envname);
	xmlNodePtr root, idcl, forms, form, nom;
	char why[512], siren[16];
	int n = 0;

	if (!f) {
		fail(c, 2, "003", "enveloppe %s absente de l'archive", c->envname);
		return -1;
	}
	c->env = parse_valid(f, 0, why, sizeof(why));
	root = c->env ? xmlDocGetRootElement(c->env) : NULL;
	if (!root || !is_actes(root, "EnveloppeCLMISILL")) {
		fail(c, 2, "002", "%s", c->env ? "l'enveloppe n'est pas un actes:EnveloppeCLMISILL" : why);
		return -1;
	}
	idcl = child(child(root, "Emetteur"), "IDCL");
	get_prop(idcl, "SIREN", INSEE_NS, siren, sizeof(siren));
	get_prop(idcl, "Departement", ACTES_NS, c->dept, sizeof(c->dept));
	get_prop(idcl, "Arrondissement", ACTES_NS, c->arr, sizeof(c->arr));
	get_text(child(child(root, "AdressesRetour"), "Email"), c->email, sizeof(c->email));
	if (strcmp(siren, c->siren) != 0) {
		fail(c, 2, "003", "SIREN de l'enveloppe (%s) différent de celui du nom de l'archive (%s)",
		     siren, c->siren);
		return -1;
	}
	forms = child(root, "FormulairesEnvoyes");
	for (form = forms ? forms->children : NULL; form; form = form->next) {
		if (!is_actes(form, "Formulaire"))
			continue;
		nom = child(form, "NomFichier");
		if (n++ == 0)
			get_text(nom, c->form, sizeof(c->form));
	}
	if (n != 1) {
		fail(c, 2, "003", "l'enveloppe doit lister exactement un formulaire (%d trouvés)", n);
		return -1;
	}
	return 0;
}

static int
check_form_name(struct check *c)
{
	regmatch_t m[8];
	char dept[4], siren[10], date[9];

	if (!match("^([0-9A-Z_]{2,10}-)?(([0-9]{2}[0-9AB])-([0-9]{9})-([0-9]{8})-([0-9A-Z_]{2,15})-"
		   "(DE|AR|AI|CC|BF|AU))-1-1_0\\.xml$", c->form, m, 8)) {
		fail(c, 2, "003", "%s : nom de formulaire invalide (attendu "
		     "<DDD>-<SIREN>-<AAAAMMJJ>-<numéro>-<NN>-1-1_0.xml)", c->form);
		return -1;
	}
	group(c->form, &m[2], c->stem, sizeof(c->stem));
	group(c->form, &m[3], dept, sizeof(dept));
	group(c->form, &m[4], siren, sizeof(siren));
	group(c->form, &m[5], date, sizeof(date));
	group(c->form, &m[6], c->numero, sizeof(c->numero));
	group(c->form, &m[7], c->nn, sizeof(c->nn));
	snprintf(c->date, sizeof(c->date), "%s", date);
	if (strcmp(dept, c->dept) || strcmp(siren, c->siren)) {
		fail(c, 2, "003", "%s : département ou SIREN différents de ceux de l'enveloppe", c->form);
		return -1;
	}
	return 0;
}

static int
check_message(struct check *c)
{
	struct tar_file *f;
	char why[512];

	if (check_form_name(c))
		return -1;
	f = find_file(c, c->form);
	if (!f) {
		fail(c, 2, "003", "formulaire %s absent de l'archive", c->form);
		return -1;
	}
	c->msg = parse_valid(f, 1, why, sizeof(why));
	if (!c->msg || !is_actes(xmlDocGetRootElement(c->msg), "Acte")) {
		fail(c, 2, "002", "%s", c->msg ? "le formulaire n'est pas un actes:Acte" : why);
		return -1;
	}
	return 0;
}

/* Attributes of the act against its file name. */
static int
check_acte_fields(struct check *c, xmlNodePtr acte)
{
	char num[64], date[16], nature[8], cmp[9], objet[2048];
	size_t i, chars = 0;
	long code;

	get_prop(acte, "NumeroInterne", ACTES_NS, num, sizeof(num));
	get_prop(acte, "Date", ACTES_NS, date, sizeof(date));
	get_prop(acte, "CodeNatureActe", ACTES_NS, nature, sizeof(nature));
	get_text(child(acte, "Objet"), objet, sizeof(objet));
	snprintf(cmp, sizeof(cmp), "%.4s%.2s%.2s", date, date + (strlen(date) >= 7 ? 5 : 0),
		 date + (strlen(date) >= 10 ? 8 : 0));
	code = strtol(nature, NULL, 10);
	for (i = 0; objet[i]; i++)
		chars += ((unsigned char)objet[i] & 0xc0) != 0x80;
	if (!match("^[0-9A-Z_]{2,15}$", num, NULL, 0) || strcmp(num, c->numero))
		fail(c, 1, "002", "NumeroInterne « %s » invalide ou différent du nom de fichier (%s)",
		     num, c->numero);
	else if (strlen(date) != 10 || strcmp(cmp, c->date))
		fail(c, 1, "002", "date de l'acte %s différente de celle du nom de fichier (%s)",
		     date, c->date);
	else if (code < 1 || code > 6 || strcmp(natures[code], c->nn))
		fail(c, 1, "002", "CodeNatureActe %s ne correspond pas à la nature %s du nom de fichier",
		     nature, c->nn);
	else if (chars < 1 || chars > 499)
		fail(c, 1, "002", "objet de l'acte vide ou trop long");
	return c->kind ? -1 : 0;
}

/* A detached PKCS#7/CMS signature (base64 DER) over a file. */
static int
signature_ok(xmlNodePtr sig, const struct tar_file *f)
{
	xmlChar *text = xmlNodeGetContent(sig);
	size_t len = text ? strlen((char *)text) : 0, i, o = 0;
	unsigned char *b64 = malloc(len + 1), *der = malloc(len + 1);
	const unsigned char *p;
	CMS_ContentInfo *cms = NULL;
	BIO *data = NULL;
	int ok = 0, n;

	if (!text || !b64 || !der)
		goto out;
	for (i = 0; i < len; i++)
		if (!isspace(text[i]))
			b64[o++] = text[i];
	n = EVP_DecodeBlock(der, b64, (int)o);
	if (n <= 0)
		goto out;
	n -= (o > 0 && b64[o - 1] == '=') + (o > 1 && b64[o - 2] == '=');
	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, n);
	data = BIO_new_mem_buf(f->data, (int)f->len);
	if (cms && data)
		ok = CMS_verify(cms, NULL, NULL, data, NULL,
				CMS_NO_SIGNER_CERT_VERIFY | CMS_DETACHED | CMS_BINARY) == 1;
out:
	CMS_ContentInfo_free(cms);
	BIO_free(data);
	xmlFree(text);
	free(b64);
	free(der);
	return ok;
}

/* One Document or Annexe element: its file present, well named, signed
 * correctly if it carries a Signature. */
static int
check_piece(struct check *c, xmlNodePtr piece, int main_doc, int *numbers)
{
	char name[256], re[300];
	regmatch_t m[4];
	struct tar_file *f;
	xmlNodePtr sig = child(piece, "Signature");
	long n;

	get_text(child(piece, "NomFichier"), name, sizeof(name));
	snprintf(re, sizeof(re), "^([0-9A-Z_]{2,10}-)?%s-1-1_([0-9]{1,3})\\.(%s)$", c->stem,
		 main_doc ? "pdf" : "pdf|xml|jpg|png");
	f = find_file(c, name);
	if (!f)
		fail(c, 1, "003", "fichier %s référencé par le formulaire mais absent de l'archive", name);
	else if (!match(re, name, m, 4))
		fail(c, 1, "003", "%s : nom de pièce invalide (attendu [<typePJ>-]%s-1-1_<n>.%s)",
		     name, c->stem, main_doc ? "pdf" : "pdf|xml|jpg|png");
	else if (f->len == 0)
		fail(c, 1, "003", "%s : fichier vide", name);
	else if (!strcmp(name + strlen(name) - 4, ".pdf") &&
		 (f->len < 5 || memcmp(f->data, "%PDF-", 5) != 0))
		fail(c, 1, "003", "%s : ce n'est pas un PDF", name);
	if (c->kind)
		return -1;
	n = strtol(name + m[2].rm_so, NULL, 10);
	if (n < 1 || n >= MAX_FILES || numbers[n]++) {
		fail(c, 1, "003", "%s : numéro de pièce nul ou en double", name);
		return -1;
	}
	if (sig && !signature_ok(sig, f)) {
		fail(c, 1, "004", "%s : la signature PKCS#7 ne vérifie pas le fichier", name);
		return -1;
	}
	return 0;
}

static int
check_pieces(struct check *c, xmlNodePtr acte)
{
	xmlNodePtr annexes = child(acte, "Annexes"), a;
	int numbers[MAX_FILES] = { 0 }, count = 0;
	char nombre[16];

	if (check_piece(c, child(acte, "Document"), 1, numbers))
		return -1;
	for (a = annexes ? annexes->children : NULL; a; a = a->next) {
		if (!is_actes(a, "Annexe"))
			continue;
		count++;
		if (check_piece(c, a, 0, numbers))
			return -1;
	}
	get_prop(annexes, "Nombre", ACTES_NS, nombre, sizeof(nombre));
	if (annexes && atoi(nombre) != count) {
		fail(c, 1, "003", "Annexes/@Nombre vaut %s pour %d annexe(s)", nombre, count);
		return -1;
	}
	return 0;
}

static void
unused_files(struct check *c)
{
	int i;

	for (i = 0; i < c->nfiles; i++) {
		if (!c->used[i]) {
			fail(c, 2, "003", "%s : fichier de l'archive référencé nulle part", c->files[i].name);
			return;
		}
	}
}

/* An act already acknowledged with the same SIREN, number and decision date
 * (whatever its nature) is a duplicate, unless --set actes.allow_duplicates=1. */
static void
duplicate(struct check *c)
{
	char path[4096], prefix[80];
	size_t n;
	DIR *d;
	struct dirent *de;

	if (strcmp(statesim_opt(c->s, "actes.allow_duplicates", "0"), "1") == 0)
		return;
	/* the stem without its nature: <DDD>-<SIREN>-<YYYYMMDD>-<NUM>- */
	n = strlen(c->stem) > 2 ? strlen(c->stem) - 2 : 0;
	snprintf(prefix, sizeof(prefix), "%.*s", (int)n, c->stem);
	snprintf(path, sizeof(path), "%s/actes/acts", c->s->dir);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		if (strlen(de->d_name) == n + 2 && !strncmp(de->d_name, prefix, n)) {
			fail(c, 1, "005", "acte %s déjà reçu et acquitté (doublon de %s)", c->stem, de->d_name);
			break;
		}
	}
	closedir(d);
}

/* ---- the platform's classification ---- */

static void
class_walk(xmlNodePtr n, int level, const char *prefix)
{
	char name[24], code[8], full[64];

	snprintf(name, sizeof(name), "Matiere%d", level);
	for (xmlNodePtr m = n ? n->children : NULL; m && level <= 5; m = m->next) {
		if (!is_actes(m, name) || cls.ncodes >= CLASS_MAX)
			continue;
		get_prop(m, "CodeMatiere", ACTES_NS, code, sizeof(code));
		snprintf(full, sizeof(full), "%s%s%d", prefix, *prefix ? "." : "", atoi(code));
		snprintf(cls.codes[cls.ncodes++], sizeof(cls.codes[0]), "%.15s", full);
		class_walk(m, level + 1, full);
	}
}

/* The classification against the ACTES XSD v1.1, which predates the
 * typologies: a copy without its TypePJNatureActe elements is validated
 * (the platform added them to NatureActe later; S²LOW and Pastell read
 * them there).  0 when valid. */
static int
class_invalid(xmlDocPtr doc, char *why, size_t whylen)
{
	xmlDocPtr copy = xmlCopyDoc(doc, 1);
	xmlNodePtr nat = copy ? child(xmlDocGetRootElement(copy), "NaturesActes") : NULL;
	char err[300] = "";
	int rc;

	if (!copy)
		return snprintf(why, whylen, "out of memory"), -1;
	for (xmlNodePtr n = nat ? nat->children : NULL; n; n = n->next) {
		xmlNodePtr t = n->children, next;

		for (; t; t = next) {
			next = t->next;
			if (is_actes(t, "TypePJNatureActe") || xmlIsBlankNode(t)) {
				xmlUnlinkNode(t);
				xmlFreeNode(t);
			}
		}
	}
	rc = validate_doc(copy, err, sizeof(err));
	xmlFreeDoc(copy);
	if (rc)
		snprintf(why, whylen, "non conforme au schéma ACTES (%s)", err[0] ? err : "erreur de validation");
	return rc;
}

/* Read, validate (XSD) and index --set actes.classification=FILE. */
static int
class_load(struct statesim *s)
{
	const char *path = statesim_opt(s, "actes.classification", NULL);
	char why[512], nat[8];
	xmlDocPtr doc;
	xmlNodePtr root;
	FILE *fp;
	long n;

	if (!path || !*path)
		return 0;
	if (!(fp = fopen(path, "rb")) || fseek(fp, 0, SEEK_END) || (n = ftell(fp)) <= 0 || n > (1 << 20) ||
	    fseek(fp, 0, SEEK_SET) || !(cls.raw = malloc((size_t)n)) ||
	    fread(cls.raw, 1, (size_t)n, fp) != (size_t)n) {
		fprintf(stderr, "statesim: actes: cannot read actes.classification %s\n", path);
		if (fp)
			fclose(fp);
		return -1;
	}
	fclose(fp);
	cls.len = (size_t)n;
	doc = xmlReadMemory(cls.raw, (int)cls.len, "classification.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || !is_actes(root, "RetourClassification") || class_invalid(doc, why, sizeof(why))) {
		fprintf(stderr, "statesim: actes: actes.classification %s: %s\n", path,
			!root ? "not well-formed XML" : !is_actes(root, "RetourClassification") ?
			"not an actes:RetourClassification" : why);
		xmlFreeDoc(doc);
		return -1;
	}
	get_text(child(root, "DateClassification"), cls.date, sizeof(cls.date));
	for (xmlNodePtr na = child(root, "NaturesActes") ? child(root, "NaturesActes")->children : NULL; na;
	     na = na->next) {
		if (!is_actes(na, "NatureActe"))
			continue;
		get_prop(na, "CodeNatureActe", ACTES_NS, nat, sizeof(nat));
		for (xmlNodePtr t = na->children; t; t = t->next) {
			if (!is_actes(t, "TypePJNatureActe") || cls.ntypes >= CLASS_MAX)
				continue;
			get_prop(t, "CodeTypePJ", ACTES_NS, cls.types[cls.ntypes], sizeof(cls.types[0]));
			cls.type_nature[cls.ntypes++] = atoi(nat);
		}
	}
	class_walk(child(root, "Matieres"), 1, "");
	xmlFreeDoc(doc);
	cls.loaded = 1;
	fprintf(stderr, "statesim: actes: classification of %s: %d matières, %d typologies\n", cls.date,
		cls.ncodes, cls.ntypes);
	return 0;
}

static int
class_has_code(const char *code)
{
	for (int i = 0; i < cls.ncodes; i++)
		if (!strcmp(cls.codes[i], code))
			return 1;
	return 0;
}

/* -1 when the nature has no typology listed, else 1 / 0. */
static int
class_has_type(int nature, const char *type)
{
	int listed = 0;

	for (int i = 0; i < cls.ntypes; i++) {
		if (cls.type_nature[i] != nature)
			continue;
		listed = 1;
		if (!strcmp(cls.types[i], type))
			return 1;
	}
	return listed ? 0 : -1;
}

/* The typology a piece's file name starts with ("" when it has none). */
static void
piece_type(const char *name, const char *stem, char *out, size_t cap)
{
	const char *at = strstr(name, stem);

	out[0] = '\0';
	if (at && at > name && at[-1] == '-')
		snprintf(out, cap, "%.*s", (int)(at - name - 1), name);
}

/* 0 when the piece's typology is not one the classification lists for the
 * nature (a nature without a list takes any). */
static int
type_ok(struct check *c, xmlNodePtr piece, int nature)
{
	char name[256], type[32];

	get_text(child(piece, "NomFichier"), name, sizeof(name));
	piece_type(name, c->stem, type, sizeof(type));
	if (!type[0] || class_has_type(nature, type) != 0)
		return 1;
	fail(c, 1, "007", "%s : typologie %s non prévue pour la nature %d dans la classification du %s",
	     name, type, nature, cls.date);
	return 0;
}

/* The act's matière (CodeMatiere1..5, the trailing zeros dropped) and the
 * typology of each piece against the platform's classification. */
static void
check_classification(struct check *c, xmlNodePtr acte)
{
	char code[48] = "", v[8], nat[8], el[24];
	xmlNodePtr annexes = child(acte, "Annexes");
	int nature;

	if (!cls.loaded)
		return;
	for (int i = 1; i <= 5; i++) {
		snprintf(el, sizeof(el), "CodeMatiere%d", i);
		get_prop(child(acte, el), "CodeMatiere", ACTES_NS, v, sizeof(v));
		if (!v[0] || atoi(v) == 0)
			break;
		snprintf(code + strlen(code), sizeof(code) - strlen(code), "%s%d", i > 1 ? "." : "", atoi(v));
	}
	if (!class_has_code(code)) {
		fail(c, 1, "006", "matière %s absente de la classification du %s", code[0] ? code : "(aucune)",
		     cls.date);
		return;
	}
	get_prop(acte, "CodeNatureActe", ACTES_NS, nat, sizeof(nat));
	nature = atoi(nat);
	if (!type_ok(c, child(acte, "Document"), nature))
		return;
	for (xmlNodePtr a = annexes ? annexes->children : NULL; a; a = a->next)
		if (is_actes(a, "Annexe") && !type_ok(c, a, nature))
			return;
}

/* 7-1: <DDD>-<SIREN>----7-1_0.xml, actes:DemandeClassification. */
static int
is_class_request(struct check *c)
{
	return match("^[0-9]{2}[0-9AB]-[0-9]{9}----7-1_0\\.xml$", c->form, NULL, 0);
}

static void
check_class_request(struct check *c)
{
	struct tar_file *f = find_file(c, c->form);
	char why[512];

	c->r->classification = 1;
	if (!f) {
		fail(c, 2, "003", "formulaire %s absent de l'archive", c->form);
		return;
	}
	c->msg = parse_valid(f, 0, why, sizeof(why));
	if (!c->msg || !is_actes(xmlDocGetRootElement(c->msg), "DemandeClassification"))
		fail(c, 2, "002", "%s", c->msg ? "le formulaire n'est pas un actes:DemandeClassification" : why);
	else if (!cls.loaded)
		fail(c, 2, "003", "demande de classification : la plateforme n'en a pas (actes.classification)");
	if (!c->kind)
		unused_files(c);
}

/* The 7-2 (the platform's file, as is: checked against the XSD when it
 * was loaded) under a return envelope. */
static int
add_classification(struct statesim *s, struct actes_reply *r, const char *prefix, const char *dept,
		   const char *arr, const char *siren)
{
	char form[64], *copy = malloc(cls.len);

	if (!copy)
		return -1;
	memcpy(copy, cls.raw, cls.len);
	snprintf(form, sizeof(form), "%.3s-%.9s----7-2_0.xml", dept, siren);
	snprintf(r->idacte, sizeof(r->idacte), "%.3s-%.9s", dept, siren);
	if (add_envelope(s, r, prefix, dept, arr, siren, form)) {
		free(copy);
		return -1;
	}
	return add_part(r, form, "application/xml", copy, cls.len);
}

/* 6-1: <IDActe>-6-1_0.xml, actes:Annulation of an act acknowledged here. */
static int
is_annulation(struct check *c)
{
	regmatch_t m[3];

	if (!match("^(([0-9]{2}[0-9AB])-[0-9]{9}-[0-9]{8}-[0-9A-Z_]{2,15}-(DE|AR|AI|CC|BF|AU))-6-1_0\\.xml$",
		   c->form, m, 3))
		return 0;
	group(c->form, &m[1], c->stem, sizeof(c->stem));
	return 1;
}

static void
check_annulation(struct check *c)
{
	struct tar_file *f = find_file(c, c->form);
	char why[512], id[128], path[4096];
	xmlNodePtr root;

	c->r->annulation = 1;
	if (!f) {
		fail(c, 2, "003", "formulaire %s absent de l'archive", c->form);
		return;
	}
	c->msg = parse_valid(f, 0, why, sizeof(why));
	root = c->msg ? xmlDocGetRootElement(c->msg) : NULL;
	if (!root || !is_actes(root, "Annulation")) {
		fail(c, 2, "002", "%s", c->msg ? "le formulaire n'est pas un actes:Annulation" : why);
		return;
	}
	get_prop(root, "IDActe", ACTES_NS, id, sizeof(id));
	snprintf(path, sizeof(path), "%s/actes/acts/%s", c->s->dir, c->stem);
	if (strcmp(id, c->stem))
		fail(c, 2, "003", "%s : IDActe %s différent de celui du nom du fichier", c->form, id);
	else if (access(path, F_OK) != 0)
		fail(c, 2, "003", "annulation de l'acte %s, inconnu ou non acquitté", id);
	else if (snprintf(path, sizeof(path), "%s/actes/acts/%s.annule", c->s->dir, c->stem),
		 access(path, F_OK) == 0)
		fail(c, 2, "003", "acte %s déjà annulé", id);
	if (!c->kind)
		unused_files(c);
}

/* 2-2, 3-2, 3-3, 4-2, 4-3: <IDActe>-<c>_0.xml, an answer to a letter. */
static int
is_letter_answer(struct check *c)
{
	regmatch_t m[4];

	if (!match("^(([0-9]{2}[0-9AB])-[0-9]{9}-[0-9]{8}-[0-9A-Z_]{2,15}-(DE|AR|AI|CC|BF|AU))-"
		   "(2-2|3-2|3-3|4-2|4-3)_0\\.xml$", c->form, m, 4))
		return 0;
	group(c->form, &m[1], c->stem, sizeof(c->stem));
	snprintf(c->r->answer_code, sizeof(c->r->answer_code), "%.3s", c->form + strlen(c->stem) + 1);
	return 1;
}

static const char *
answer_root(const char *code)
{
	return !strcmp(code, "2-2") ? "ReponseCourrierSimple" : !strcmp(code, "3-2") ? "PieceComplementaire" :
	    !strcmp(code, "3-3") ? "RefusPieceComplementaire" : !strcmp(code, "4-2") ?
	    "ReponseLettreObservations" : "RejetLettreObservations";
}

/* Each Document/NomFichier of the answer: in the archive, a PDF named
 * <IDActe>-<c>_<n>.pdf. */
static void
answer_files(struct check *c, xmlNodePtr n, int *count)
{
	char name[256], re[300];
	struct tar_file *f;

	for (xmlNodePtr k = n ? n->children : NULL; k && !c->kind; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (!is_actes(k, "NomFichier")) {
			answer_files(c, k, count);
			continue;
		}
		get_text(k, name, sizeof(name));
		snprintf(re, sizeof(re), "^%s-%s_[1-9][0-9]{0,2}\\.pdf$", c->stem, c->r->answer_code);
		(*count)++;
		if (!(f = find_file(c, name)))
			fail(c, 2, "003", "fichier %s référencé par la réponse mais absent de l'archive", name);
		else if (!match(re, name, NULL, 0))
			fail(c, 2, "003", "%s : nom de pièce invalide (attendu %s-%s_<n>.pdf)", name, c->stem,
			     c->r->answer_code);
		else if (f->len < 5 || memcmp(f->data, "%PDF-", 5) != 0)
			fail(c, 2, "003", "%s : ce n'est pas un PDF", name);
	}
}

/* The answer: valid against the XSD, the root its code's, @IDActe the
 * name's, @DateCourrierPref the date of the letter of that kind sent here
 * for the act (DIR/actes/acts/<IDActe>.letter<k>), its files present. */
static void
check_letter_answer(struct check *c)
{
	struct tar_file *f = find_file(c, c->form);
	char why[512], id[128], date[16], sent[16] = "", rel[300];
	const char *want = answer_root(c->r->answer_code);
	xmlNodePtr root;
	int count = 0;
	FILE *in;

	if (!f) {
		fail(c, 2, "003", "formulaire %s absent de l'archive", c->form);
		return;
	}
	c->msg = parse_valid(f, 0, why, sizeof(why));
	root = c->msg ? xmlDocGetRootElement(c->msg) : NULL;
	if (!root || !is_actes(root, want)) {
		fail(c, 2, "002", "%s", c->msg ? "le formulaire n'est pas celui de son numéro de message" : why);
		return;
	}
	get_prop(root, "IDActe", ACTES_NS, id, sizeof(id));
	get_prop(root, "DateCourrierPref", ACTES_NS, date, sizeof(date));
	snprintf(rel, sizeof(rel), "%s/actes/acts/%.200s.letter%c", c->s->dir, c->stem, c->r->answer_code[0]);
	if ((in = fopen(rel, "r"))) {
		if (!fgets(sent, sizeof(sent), in))
			sent[0] = '\0';
		fclose(in);
	}
	if (strcmp(id, c->stem))
		fail(c, 2, "003", "%s : IDActe %s différent de celui du nom du fichier", c->form, id);
	else if (!sent[0])
		fail(c, 2, "003", "réponse %s pour l'acte %s, à qui aucun courrier de ce type n'a été envoyé",
		     c->r->answer_code, id);
	else if (strcmp(date, sent))
		fail(c, 2, "003", "DateCourrierPref %s : le courrier répondu est du %s", date, sent);
	if (!c->kind)
		answer_files(c, root, &count);
	if (!c->kind && !count)
		fail(c, 2, "003", "la réponse ne porte aucun document");
	if (!c->kind)
		unused_files(c);
}

static void
run_checks(struct check *c, const char *name, const unsigned char *gz, size_t gzlen)
{
	char why[512];
	size_t tarlen;
	xmlNodePtr acte;

	if (check_name(c, name))
		return;
	if (gzlen > actes_max_size(c->s)) {
		fail(c, 2, "004", "%zu octets, plus que les %zu permis", gzlen,
		     actes_max_size(c->s));
		return;
	}
	if (tar_gunzip(gz, gzlen, TAR_MAX, &c->tar, &tarlen, why, sizeof(why)) ||
	    tar_list(c->tar, tarlen, c->files, MAX_FILES, &c->nfiles, why, sizeof(why))) {
		fail(c, 2, "001", "%s", why);
		return;
	}
	if (check_envelope(c))
		return;
	if (is_annulation(c)) {
		check_annulation(c);
		return;
	}
	if (is_class_request(c)) {
		check_class_request(c);
		return;
	}
	if (is_letter_answer(c)) {
		check_letter_answer(c);
		return;
	}
	if (check_message(c))
		return;
	acte = xmlDocGetRootElement(c->msg);
	get_text(child(acte, "ClassificationDateVersion"), c->classif, sizeof(c->classif));
	if (check_acte_fields(c, acte) || check_pieces(c, acte))
		return;
	check_classification(c, acte);
	if (c->kind)
		return;
	unused_files(c);
	if (!c->kind)
		duplicate(c);
}

/* ---- the answer ---- */

static int
add_part(struct actes_reply *r, const char *name, const char *type, char *data, size_t len)
{
	int i = r->nparts;

	if (i >= (int)(sizeof(r->parts) / sizeof(r->parts[0]))) {
		free(data);
		return -1;
	}
	snprintf(r->names[i], sizeof(r->names[i]), "%.255s", name);
	r->bufs[i] = data;
	r->parts[i].name = r->names[i];
	r->parts[i].type = type;
	r->parts[i].data = data;
	r->parts[i].len = len;
	r->nparts++;
	return 0;
}

/* Serialise doc (freed) as an attachment, checking it against the XSD. */
static int
add_doc(struct actes_reply *r, const char *name, xmlDocPtr doc)
{
	struct tar_file f;
	char *buf = NULL, why[512];
	size_t len = 0;
	xmlDocPtr back;

	if (!doc || ax_dump(doc, &buf, &len)) {
		xmlFreeDoc(doc);
		return -1;
	}
	xmlFreeDoc(doc);
	snprintf(f.name, sizeof(f.name), "%s", name);
	f.data = (unsigned char *)buf;
	f.len = len;
	back = parse_valid(&f, 0, why, sizeof(why));
	if (!back)
		fprintf(stderr, "statesim: actes: BUG: our own answer is invalid: %s\n", why);
	xmlFreeDoc(back);
	return add_part(r, name, "application/xml", buf, len);
}

static void
today(char *out, size_t cap)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, cap, "%Y-%m-%d", &tm);
}

/* The serial of the return envelopes (DIR/actes/serial). */
static unsigned
next_serial(struct statesim *s)
{
	char path[4096], buf[32];
	unsigned n = 0;
	FILE *f;
	int len;

	pthread_mutex_lock(&serial_mu);
	snprintf(path, sizeof(path), "%s/actes/serial", s->dir);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		n = (unsigned)strtoul(buf, NULL, 10);
		fclose(f);
	}
	n++;
	len = snprintf(buf, sizeof(buf), "%u\n", n);
	(void)statesim_write_file(s, "actes/serial", buf, (size_t)len);
	pthread_mutex_unlock(&serial_mu);
	return n;
}

/* The return envelope listing form, named like the platform's files. */
static int
add_envelope(struct statesim *s, struct actes_reply *r, const char *prefix, const char *dept,
	     const char *arr, const char *siren, const char *form)
{
	char envname[128], ymd[11], d8[9];

	today(ymd, sizeof(ymd));
	snprintf(d8, sizeof(d8), "%.4s%.2s%.2s", ymd, ymd + 5, ymd + 8);
	snprintf(envname, sizeof(envname), "%s--SPREF%s%s-%s-%s-%u.xml", prefix, dept,
		 arr, siren, d8, next_serial(s));
	return add_doc(r, envname, ax_enveloppe_retour(dept, arr, siren, form));
}

/* Return envelope + message. */
static int
add_pair(struct statesim *s, struct actes_reply *r, const char *prefix, const char *dept,
	 const char *arr, const char *siren, const char *form, xmlDocPtr msg)
{
	if (add_envelope(s, r, prefix, dept, arr, siren, form)) {
		xmlFreeDoc(msg);
		return -1;
	}
	return add_doc(r, form, msg);
}

/* DIR/actes/acts/<IDActe>: what a later letter needs. */
static void
remember_act(struct check *c)
{
	char rel[128], buf[512];
	int n;

	snprintf(rel, sizeof(rel), "actes/acts/%s", c->r->idacte);
	n = snprintf(buf, sizeof(buf), "%s %s %s %s %s\n", c->prefix, c->dept, c->arr,
		     c->siren, c->email[0] ? c->email : "-");
	(void)statesim_write_file(c->s, rel, buf, (size_t)n);
}

static int
answer(struct check *c)
{
	struct actes_reply *r = c->r;
	xmlNodePtr acte = c->msg ? xmlDocGetRootElement(c->msg) : NULL;
	char form[160], ano[160], detail[800];

	today(c->today, sizeof(c->today));
	if (!c->classif[0])
		snprintf(c->classif, sizeof(c->classif), "%s", c->today);
	r->anomaly = c->kind;
	snprintf(r->detail, sizeof(r->detail), "%s", c->detail);
	snprintf(r->to, sizeof(r->to), "%s", c->email[0] ? c->email :
		 statesim_opt(c->s, "actes.mail_to", "liasse@localhost"));
	if (c->kind == 2) {   /* Detail as the platform writes it: "<archive> -> <reason>" */
		snprintf(ano, sizeof(ano), "ANO_%s", c->envname[0] ? c->envname : "archive.xml");
		snprintf(detail, sizeof(detail), "%.200s -> %s", c->archive, c->detail);
		return add_doc(r, ano, ax_anomalie_enveloppe(c->env ? xmlDocGetRootElement(c->env) : NULL,
							     c->siren, c->nature, detail, c->today));
	}
	if (r->answer_code[0]) {   /* an answer to a letter: counted, nothing mailed */
		snprintf(r->idacte, sizeof(r->idacte), "%.63s", c->stem);
		r->nomail = 1;
		return 0;
	}
	if (r->classification)   /* 7-2 */
		return add_classification(c->s, r, c->prefix, c->dept, c->arr, c->siren);
	snprintf(r->idacte, sizeof(r->idacte), "%.63s", c->stem);
	if (cls.loaded)   /* the platform's current classification: tells a client it changed */
		snprintf(c->classif, sizeof(c->classif), "%s", cls.date);
	if (c->kind == 1) {
		snprintf(form, sizeof(form), "%s-1-3_0.xml", c->stem);
		return add_pair(c->s, r, c->prefix, c->dept, c->arr, c->siren, form,
				ax_anomalie_acte(acte, c->nature, c->detail, c->today, c->classif));
	}
	if (r->annulation) {   /* 6-2 */
		char rel[300];

		snprintf(rel, sizeof(rel), "actes/acts/%.200s.annule", c->stem);
		(void)statesim_write_file(c->s, rel, c->today, strlen(c->today));
		snprintf(form, sizeof(form), "%s-6-2_0.xml", c->stem);
		return add_pair(c->s, r, c->prefix, c->dept, c->arr, c->siren, form,
				ax_arannulation(c->stem, c->today));
	}
	remember_act(c);
	snprintf(form, sizeof(form), "%s-1-2_0.xml", c->stem);
	return add_pair(c->s, r, c->prefix, c->dept, c->arr, c->siren, form,
			ax_aracte(acte, c->stem, c->today, c->classif));
}

int
actes_check(struct statesim *s, const char *name, const unsigned char *gz, size_t gzlen,
	    struct actes_reply *r)
{
	struct check *c = calloc(1, sizeof(*c));
	int rc;

	memset(r, 0, sizeof(*r));
	if (!c)
		return -1;
	c->s = s;
	c->r = r;
	c->archive = name;
	run_checks(c, name, gz, gzlen);
	rc = answer(c);
	xmlFreeDoc(c->env);
	xmlFreeDoc(c->msg);
	free(c->tar);
	free(c);
	return rc;
}

void
actes_reply_free(struct actes_reply *r)
{
	int i;

	for (i = 0; i < r->nparts; i++)
		free(r->bufs[i]);
	r->nparts = 0;
}

/* ---- letters ---- */

static int
read_whole(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	*out = NULL;
	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || n > (16L << 20) || fseek(f, 0, SEEK_SET) ||
	    !(*out = malloc((size_t)n + 1)) || fread(*out, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(*out);
		*out = NULL;
		return -1;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

static int
letter_code(const char *kind)
{
	return !strcmp(kind, "courrier") ? 2 : !strcmp(kind, "pieces") ? 3 :
	    !strcmp(kind, "observations") ? 4 : !strcmp(kind, "defere") ? 5 : 0;
}

int
actes_letter(struct statesim *s, const char *kind, const char *idacte,
	     struct actes_reply *r, char *msg, size_t msglen)
{
	char path[4096], line[512], prefix[8], dept[8], arr[8], siren[16], email[300];
	char form[160], pdfname[160], title[200], ymd[11];
	int code = letter_code(kind);
	char *pdf;
	size_t pdflen;
	FILE *f;

	memset(r, 0, sizeof(*r));
	if (!code)
		return snprintf(msg, msglen, "kind must be courrier, pieces, observations or defere"), -1;
	if (!match("^[0-9]{2}[0-9AB]-[0-9]{9}-[0-9]{8}-[0-9A-Z_]{2,15}-(DE|AR|AI|CC|BF|AU)$",
		   idacte, NULL, 0))
		return snprintf(msg, msglen, "idacte is not an IDActe DDD-SIREN-YYYYMMDD-NUMERO-NN"), -1;
	snprintf(path, sizeof(path), "%s/actes/acts/%s", s->dir, idacte);
	f = fopen(path, "r");
	if (!f)
		return snprintf(msg, msglen, "no ARActe was sent for %s", idacte), -1;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "%7s %7s %7s %15s %299s", prefix, dept, arr, siren, email) != 5) {
		fclose(f);
		return snprintf(msg, msglen, "%s: unreadable record", path), -1;
	}
	fclose(f);
	today(ymd, sizeof(ymd));
	snprintf(form, sizeof(form), "%s-%d-1_0.xml", idacte, code);
	snprintf(pdfname, sizeof(pdfname), "%s-%d-1_1.pdf", idacte, code);
	snprintf(title, sizeof(title), "Prefecture (simulateur) - %s - acte %s", kind, idacte);
	snprintf(r->idacte, sizeof(r->idacte), "%s", idacte);
	snprintf(r->to, sizeof(r->to), "%.255s", strcmp(email, "-") ? email :
		 statesim_opt(s, "actes.mail_to", "liasse@localhost"));
	r->letter = code;
	if (add_pair(s, r, prefix, dept, arr, siren, form, ax_letter(kind, idacte, ymd, pdfname)))
		goto oom;
	snprintf(path, sizeof(path), "actes/acts/%s.letter%d", idacte, code);
	(void)statesim_write_file(s, path, ymd, strlen(ymd));
	pdf = ax_pdf(title, &pdflen);
	if (!pdf || add_part(r, pdfname, "application/pdf", pdf, pdflen))
		goto oom;
	snprintf(msg, msglen, "%s %s", form, pdfname);
	return 0;
oom:
	actes_reply_free(r);
	return snprintf(msg, msglen, "out of memory"), -1;
}

int
actes_classification_mail(struct statesim *s, const char *org, struct actes_reply *r, char *msg,
			  size_t msglen)
{
	char dept[4], siren[10];

	memset(r, 0, sizeof(*r));
	if (!cls.loaded)
		return snprintf(msg, msglen, "no classification (--set actes.classification=FILE)"), -1;
	if (!match("^[0-9]{2}[0-9AB]-[0-9]{9}$", org, NULL, 0))
		return snprintf(msg, msglen, "idacte must be <DDD>-<SIREN> for kind=classification"), -1;
	snprintf(dept, sizeof(dept), "%.3s", org);
	snprintf(siren, sizeof(siren), "%.9s", org + 4);
	snprintf(r->to, sizeof(r->to), "%s", statesim_opt(s, "actes.mail_to", "liasse@localhost"));
	r->classification = 1;
	if (add_classification(s, r, "EACT", dept, "0", siren)) {
		actes_reply_free(r);
		return snprintf(msg, msglen, "cannot build the 7-2"), -1;
	}
	snprintf(msg, msglen, "%s-%s----7-2_0.xml", dept, siren);
	return 0;
}

/* The files of a directory mailed as they are, one message (a test's way to
 * hand liasse the real platform's files: s2low/class/fixtures/...). */
int
actes_mail_dir(struct statesim *s, const char *dir, struct actes_reply *r, char *msg, size_t msglen)
{
	struct dirent **ents = NULL;
	int n = dir[0] == '/' ? scandir(dir, &ents, NULL, alphasort) : -1;
	size_t o = 0;

	memset(r, 0, sizeof(*r));
	if (n < 0)
		return snprintf(msg, msglen, "dir must be an absolute path to a readable directory"), -1;
	snprintf(r->to, sizeof(r->to), "%s", statesim_opt(s, "actes.mail_to", "liasse@localhost"));
	r->files = 1;
	msg[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name, *dot = strrchr(name, '.');
		int xml = dot && !strcmp(dot, ".xml"), pdf = dot && !strcmp(dot, ".pdf");
		char path[4096], *data = NULL;
		size_t len = 0;

		if ((xml || pdf) && snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path) &&
		    !read_whole(path, &data, &len) && !add_part(r, name, xml ? "application/xml" : "application/pdf",
								data, len) && o + 2 < msglen)
			o += (size_t)snprintf(msg + o, msglen - o, "%s%s", o ? " " : "", name);
		free(ents[i]);
	}
	free(ents);
	return r->nparts ? 0 : (snprintf(msg, msglen, "no .xml or .pdf file in %s", dir), -1);
}
