/*
 * test_transmit - transmit/ pieces that need no network: the PES_ACQUIT
 * reader (helios.c), on DGFiP acquits from the fixtures (pes_acquit.xml,
 * pes_acquit_not_valid.xml) and on acquits written here after
 * PES_V2_Acquit_Autonome_V2.xsd and CommunAck.xsd; the attachments of an
 * @ctes e-mail (mime.c); the names of the Hélios listing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "transmit/mime.h"
#include "transmit/xmit_int.h"

#define HEAD "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" \
	"<n:PES_ACQUIT xmlns:n=\"http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour/v2\">" \
	"<Enveloppe><Parametres><Version V=\"2\"/><TypFic V=\"PESALR2\"/><NomFic V=\"NF1\"/></Parametres>" \
	"<Emetteur><Sigle V=\"X\"/><Adresse V=\"Y\"/></Emetteur><Recepteur><Sigle V=\"HELIOS\"/></Recepteur></Enveloppe>" \
	"<EnTetePES><DteStr V=\"2026-12-06\"/><IdPost V=\"034000\"/><IdColl V=\"21450249400013\"/>" \
	"<CodCol V=\"123\"/><CodBud V=\"12\"/></EnTetePES><ACQUIT><EnTeteAcquit><IdVer V=\"2\"/></EnTeteAcquit>"
#define TAIL "</ACQUIT></n:PES_ACQUIT>"
#define EL(dom, etat, rest) "<ElementACQUIT><DomaineAck V=\"" dom "\"/><EtatAck V=\"" etat "\"/>" rest "</ElementACQUIT>"
#define ERR(num, lib) "<Erreur><NumAnoAck V=\"" num "\"/><LibelleAnoAck V=\"" lib "\"/></Erreur>"
#define BORD "<NumBord V=\"12345\"/><ExerciceBord V=\"2026\"/>"

static int
parse(const char *xml, struct xmit_acquit *a)
{
	struct lerr e;

	lerr_clear(&e);
	return xmit_acquit_parse(xml, strlen(xml), a, &e);
}

static int
has(const struct xmit_acquit *a, const char *s)
{
	int found = a->reason.data && strstr(a->reason.data, s) != NULL;

	if (!found)
		fprintf(stderr, "#   \"%s\" not in the reason \"%s\"\n", s, a->reason.data ? a->reason.data : "");
	return found;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	static char data[1 << 16];

	*len = f ? fread(data, 1, sizeof(data) - 1, f) : 0;
	if (f)
		fclose(f);
	data[*len] = '\0';
	return data;
}

static void
fixtures(void)
{
	struct xmit_acquit a;
	char path[1024], reason[1100], nomfic[128];
	size_t len;
	const char *data;
	int accepted = -1;
	struct lerr e;

	if (!tap_fixture(path, sizeof(path), "s2low/helios/fixtures/pes_acquit.xml")) {
		printf("# fixtures absent: DGFiP acquits not read\n");
		return;
	}
	data = slurp(path, &len);
	is_int(parse(data, &a), 0, "pes_acquit.xml is read");
	is_int(a.elements, 5, "its five ElementACQUIT (a bordereau, four PJ) are read");
	is_int(a.ok, 5, "all five with EtatAck 1");
	ok(a.accepted && a.ko == 0 && a.reason.len == 0, "the file is accepted, nothing refused");
	is_str(a.nomfic, "pescg291201703030412001", "its NomFic");
	xmit_acquit_fini(&a);
	lerr_clear(&e);
	is_int(xmit_acquit_read(data, len, &accepted, reason, sizeof(reason), nomfic, &e), 0, "xmit_acquit_read");
	ok(accepted == 1 && !reason[0] && !strcmp(nomfic, "pescg291201703030412001"), "in short: accepted");

	tap_fixture(path, sizeof(path), "s2low/helios/fixtures/pes_acquit_not_valid.xml");
	data = slurp(path, &len);
	is_int(parse(data, &a), 0, "pes_acquit_not_valid.xml is read");
	ok(!a.accepted && a.ko_file == 1, "its technical refusal refuses the file");
	ok(has(&a, "DomaineAck 0 (Technique) EtatAck 0: ERREUR_AUTRE Une erreur technique"), "with its error");
	xmit_acquit_fini(&a);
}

static void
booleans(void)
{
	struct xmit_acquit a;

	is_int(parse(HEAD EL("5", "true", BORD) EL("4", " 1 ", "<IdUnique V=\"PJ1\"/>") TAIL, &a), 0, "true");
	ok(a.accepted && a.ok == 2 && a.ko == 0, "EtatAck true and \" 1 \" are OK (xs:boolean, collapsed)");
	xmit_acquit_fini(&a);
	is_int(parse(HEAD EL("0", "false", ERR("ERREUR_FLUX_VIDE", "vide")) TAIL, &a), 0, "false");
	ok(!a.accepted && a.ko == 1, "EtatAck false is KO");
	ok(has(&a, "DomaineAck 0 (Technique) EtatAck false: ERREUR_FLUX_VIDE vide"), "false in the reason");
	xmit_acquit_fini(&a);
	parse(HEAD EL("5", "yes", BORD) TAIL, &a);
	ok(!a.accepted && a.ko == 1, "an EtatAck that is no xs:boolean is not taken for OK");
	xmit_acquit_fini(&a);
}

static void
domains(void)
{
	static const char *const labels[] = {
		"DomaineAck 7 (Rôle)", "DomaineAck 8 (Budget)", "DomaineAck 9 (Etat Actif)",
		"DomaineAck 10 (Etat Passif)", "DomaineAck 11 (Marché) EtatAck 0, marché 2026MARCHE0001-001",
		"DomaineAck 12 (Facture)", "DomaineAck 99 (Paramétrage)", "DomaineAck 42 (inconnu)",
	};
	struct xmit_acquit a;

	parse(HEAD EL("5", "1", BORD) EL("7", "0", ERR("ERREUR_AUTRE", "r")) EL("8", "0", "")
	      EL("9", "0", "") EL("10", "0", "") EL("11", "0", "<IdMarche V=\"2026MARCHE0001-001\"/>")
	      EL("12", "0", "") EL("99", "0", "") EL("42", "0", "") TAIL, &a);
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		ok(has(&a, labels[i]), "%s, labelled as CommunAck.xsd says", labels[i]);
	is_int(a.ko, 8, "every KO element is read, not the first");
	is_int((int)json_array_size(a.refused), 8, "one warning per refused element");
	xmit_acquit_fini(&a);
}

static void
errors(void)
{
	struct xmit_acquit a;

	parse(HEAD EL("3", "0", BORD ERR("ERREUR_SIGNATURE_BORDEREAU_INVALIDE", "signature")
		      ERR("ERREUR_CERTIFICAT", "certificat r\xe9voqu\xe9")) EL("1", "0", ERR("ERREUR_PES_PARAM_SIGNATURE", "x"))
	      TAIL, &a);
	ok(!a.accepted && a.ko_file == 2, "a signature domain KO refuses the file");
	ok(has(&a, "DomaineAck 3 (Signature Bordereau) EtatAck 0, bordereau 12345 exercice 2026: "
	       "ERREUR_SIGNATURE_BORDEREAU_INVALIDE signature | ERREUR_CERTIFICAT certificat révoqué; "
	       "DomaineAck 1 (Signature technique) EtatAck 0: ERREUR_PES_PARAM_SIGNATURE x"),
	   "every Erreur of every element in the reason (in UTF-8)");
	xmit_acquit_fini(&a);
	parse(HEAD EL("5", "0", BORD ERR("ERREUR_CUMUL_MONTANTS", "cumul")
		      "<DetailPiece><NumPiece V=\"7\"/>" ERR("ERREUR_DOUBLON_PIECE", "doublon")
		      "<DetailLigne><NumLigne V=\"2\"/>" ERR("ERREUR_MONTANT_TVA_ZERO_NEGATIF", "tva") "</DetailLigne>"
		      "</DetailPiece>") TAIL, &a);
	ok(!a.accepted && a.ko_file == 0, "nothing accepted: the file is refused");
	ok(has(&a, ": ERREUR_CUMUL_MONTANTS cumul | pièce 7 ERREUR_DOUBLON_PIECE doublon"
	       " | pièce 7 ligne 2 ERREUR_MONTANT_TVA_ZERO_NEGATIF tva"), "the errors of pieces and lines too");
	xmit_acquit_fini(&a);
}

static void
partial(void)
{
	struct xmit_acquit a;
	const char *w;

	parse(HEAD EL("5", "1", BORD) EL("4", "1", "<IdUnique V=\"PJ1\"/>")
	      EL("4", "0", "<IdUnique V=\"PJ2\"/>" ERR("ERREUR_PJ", "fichier vide") ERR("ERREUR_PJ", "domaine 02"))
	      TAIL, &a);
	ok(a.accepted && a.ok == 2 && a.ko == 1, "one PJ refused, the rest OK: the file is accepted");
	w = json_string_value(json_array_get(a.refused, 0));
	is_str(w, "PES_Acquit: DomaineAck 4 (PJ) EtatAck 0, PJ PJ2: ERREUR_PJ fichier vide | ERREUR_PJ domaine 02",
	       "the refused PJ is listed with all its errors");
	xmit_acquit_fini(&a);
	parse(HEAD EL("5", "1", BORD) EL("5", "0", "<NumBord V=\"12346\"/>" ERR("ERREUR_AUTRE", "b2")) TAIL, &a);
	ok(a.accepted && a.ko == 1, "one bordereau of two refused: the file is accepted");
	xmit_acquit_fini(&a);
	parse(HEAD EL("5", "0", BORD ERR("42", "Bordereau refus\xe9")) EL("4", "1", "<IdUnique V=\"PJ1\"/>") TAIL, &a);
	ok(!a.accepted && has(&a, "bordereau 12345 exercice 2026: 42 Bordereau refusé"),
	   "its only bordereau refused, its PJ accepted: the file is refused");
	xmit_acquit_fini(&a);
	parse(HEAD EL("4", "1", "<IdUnique V=\"PJ1\"/>") EL("4", "0", "<IdUnique V=\"PJ2\"/>") TAIL, &a);
	ok(a.accepted, "PJ only, one of two refused: accepted");
	xmit_acquit_fini(&a);
	ok(parse("<PES_Aller/>", &a) != 0, "another root is no PES_ACQUIT");
	xmit_acquit_fini(&a);
}

/* The 7-2 RetourClassification (actes_class.c): the real file, typologies,
 * and what is refused. */
static void
classification(void)
{
	static const char typed[] = "<?xml version=\"1.0\"?>\n<actes:RetourClassification"
		" xmlns:actes=\"http://www.interieur.gouv.fr/ACTES#v1.1-20040216\">"
		"<actes:DateClassification>2026-01-15</actes:DateClassification><actes:NaturesActes>"
		"<actes:NatureActe actes:CodeNatureActe=\"1\" actes:Libelle=\"D\" actes:TypeAbrege=\"DE\">"
		"<actes:TypePJNatureActe actes:CodeTypePJ=\"99_DE\" actes:Libelle=\"Délibération\"/>"
		"</actes:NatureActe></actes:NaturesActes><actes:Matieres>"
		"<actes:Matiere1 actes:CodeMatiere=\"7\" actes:Libelle=\"F\"><actes:Matiere2 actes:CodeMatiere=\"1\""
		" actes:Libelle=\"B\"><actes:Matiere3 actes:CodeMatiere=\"03\" actes:Libelle=\"C\"/></actes:Matiere2>"
		"</actes:Matiere1></actes:Matieres></actes:RetourClassification>";
	static const char dtd[] = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]>"
		"<actes:RetourClassification xmlns:actes=\"http://www.interieur.gouv.fr/ACTES#v1.1-20040216\"/>";
	static const char other[] = "<actes:ARActe xmlns:actes=\"http://www.interieur.gouv.fr/ACTES#v1.1-20040216\"/>";
	char path[1024];
	const char *data;
	size_t len;
	json_t *j = NULL, *m;
	struct lerr e;

	lerr_clear(&e);
	is_int(xmit_actes_classification_json(typed, strlen(typed), &j, &e), 0, "a 7-2 with typologies is read");
	is_str(json_string_value(json_object_get(j, "date")), "2026-01-15", "its date");
	m = json_object_get(j, "matieres");
	is_int((long long)json_array_size(m), 3, "three matières at three levels");
	is_str(json_string_value(json_object_get(json_array_get(m, 2), "code")), "7.1.3", "codes joined, zeros dropped");
	is_str(json_string_value(json_object_get(json_array_get(json_object_get(json_array_get(
		json_object_get(j, "natures"), 0), "typologies"), 0), "code")), "99_DE", "the nature's typology");
	json_decref(j);
	j = NULL;
	lerr_clear(&e);
	ok(xmit_actes_classification_json(dtd, strlen(dtd), &j, &e) != 0 && !j, "a DTD is refused before libxml2");
	lerr_clear(&e);
	ok(xmit_actes_classification_json(other, strlen(other), &j, &e) == LERR_INVALID && !j,
	   "another message is not a classification");
	if (!tap_fixture(path, sizeof(path), "s2low/class/fixtures/classification.xml")) {
		printf("# fixtures absent: classification.xml not read\n");
		return;
	}
	data = slurp(path, &len);
	lerr_clear(&e);
	is_int(xmit_actes_classification_json(data, len, &j, &e), 0, "the real classification.xml is read");
	is_int((long long)json_array_size(json_object_get(j, "natures")), 6, "six natures");
	is_int((long long)json_array_size(json_object_get(j, "matieres")), 66, "9 + 57 matières");
	is_str(json_string_value(json_object_get(json_array_get(json_object_get(j, "matieres"), 1), "libelle")),
	       "Marchés publics", "labels in UTF-8 from ISO-8859-1");
	json_decref(j);
}

struct seen {
	int n, bad;
	char names[4][64];
	char data[4][64];
};

static int
collect(void *arg, const char *name, const void *data, size_t len)
{
	struct seen *s = arg;

	if (!data)
		s->bad++;
	else if (s->n < 4) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
		snprintf(s->data[s->n++], sizeof(s->data[0]), "%.*s", (int)len, (const char *)data);
	}
	return 0;
}

/* Walks msg from an exact-size copy (no NUL after it: the sanitizer pass
 * catches a read past the message). */
static void
walk(const char *msg, struct seen *s)
{
	size_t n = strlen(msg);
	char *copy = malloc(n);

	memcpy(copy, msg, n);
	memset(s, 0, sizeof(*s));
	(void)xmit_mime_each(copy, n, collect, s);
	free(copy);
}

static void
mime(void)
{
	struct seen s;

	walk("Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\npreamble\r\n"
	     "--o\r\nContent-Type: text/plain\r\n\r\nthe body, not base64\r\n"
	     "--o\r\nContent-Type: application/xml; name=\"A.xml\"\r\n\r\n<ARActe/>\r\n"
	     "--o\r\nContent-Disposition: attachment; filename=b.pdf\r\nContent-Transfer-Encoding: Base64\r\n\r\n"
	     "JVBE\r\nRi0=\r\n--o--\r\n", &s);
	ok(s.n == 2 && !strcmp(s.names[0], "A.xml") && !strcmp(s.names[1], "b.pdf"), "two attachments, the body skipped");
	is_str(s.data[0], "<ARActe/>\r\n", "a part without base64 is taken as it is");
	is_str(s.data[1], "%PDF-", "a base64 part is decoded (line breaks, any case)");
	walk("Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: x; name=a.xml\n\nsays base64\n--o--", &s);
	is_str(s.data[0], "says base64\n", "base64 in the body does not make the part base64");
	walk("Content-Type: application/pdf; name=c.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!", &s);
	ok(s.n == 0 && s.bad == 1, "a part that is not base64 is reported as such");
	/* The message ends right after a delimiter and one CR: the line break
	 * after it is looked for within the message only (it read on past the
	 * part, and relied on a NUL after the message). */
	walk("Content-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\nContent-Type: x; name=a\r\n\r\nv\r\n--i\r", &s);
	ok(s.n == 1 && !strcmp(s.data[0], "v\r\n"), "a message cut after its last delimiter");
	walk("Content-Type: multipart/mixed; boundary=i\r\n\r\n--i", &s);
	ok(s.n == 0, "a message that ends with its first delimiter");
	/* nested multiparts, no deeper than XMIT_MIME_DEPTH */
	walk("Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n"
	     "--b\nContent-Type: x; name=deep.xml\n\n<x/>\n--b--\n--a--\n", &s);
	ok(s.n == 1 && !strcmp(s.names[0], "deep.xml"), "an attachment inside a nested multipart");
}

static void
listing(void)
{
	char line[] = "-rw-r--r-- 1 ftp ftp 812 Dec 01 10:00 ACK_1.xml";

	is_str(xmit_ftp_entry(line), "ACK_1.xml", "LIST: the last word");
	is_str(xmit_ftp_entry("PES2.XML"), "PES2.XML", "NLST: the whole line");
	ok(xmit_ftp_entry("drwxr-xr-x 2 ftp ftp 4096 Dec 01 10:00 old") == NULL, "a directory is no acquit");
}

int
main(void)
{
	classification();
	fixtures();
	booleans();
	domains();
	errors();
	partial();
	mime();
	listing();
	return tap_done();
}
