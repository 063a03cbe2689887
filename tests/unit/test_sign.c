/*
 * Unit tests of sign/: PES XAdES signing and verification, generic XAdES
 * B-B/B-T, CAdES, the real s2low fixtures and the attacks of issue 3.
 * A throwaway PKI (root, intermediate, signers, CRL, TSA) is made in a
 * temporary directory with OpenSSL.
 */
#include "sign/sign.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/err.h"
#include "transmit/tsa.h"
#include "tap.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#define DAY 86400

struct id {
	EVP_PKEY *key;
	X509 *cert;
};

static char tmp[256], trust[300], other_trust[300], adullact[300];
static struct id root, inter, signer, revoked, nonrep, tsa, stranger, twin;
static time_t now;

/* ---- a throwaway PKI ---- */

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *val)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, val);
	if (ext) {
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
}

static struct id
mk(const char *cn, struct id *iss, long serial, long from, long to, int ca, const char *ku,
   const char *eku, EVP_PKEY *reuse)
{
	struct id r = { reuse ? reuse : EVP_RSA_gen(2048), X509_new() };
	X509_NAME *n = X509_NAME_new();

	if (reuse)
		EVP_PKEY_up_ref(reuse);
	X509_set_version(r.cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(r.cert), serial);
	X509_time_adj_ex(X509_getm_notBefore(r.cert), 0, from, &now);
	X509_time_adj_ex(X509_getm_notAfter(r.cert), 0, to, &now);
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (unsigned char *)"FR", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (unsigned char *)"liasse tests", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(r.cert, n);
	X509_set_issuer_name(r.cert, iss ? X509_get_subject_name(iss->cert) : n);
	X509_set_pubkey(r.cert, r.key);
	add_ext(r.cert, iss ? iss->cert : NULL, NID_basic_constraints,
		ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (ku)
		add_ext(r.cert, iss ? iss->cert : NULL, NID_key_usage, ku);
	if (eku)
		add_ext(r.cert, iss ? iss->cert : NULL, NID_ext_key_usage, eku);
	add_ext(r.cert, iss ? iss->cert : NULL, NID_subject_key_identifier, "hash");
	X509_sign(r.cert, iss ? iss->key : r.key, EVP_sha256());
	X509_NAME_free(n);
	return r;
}

static void
write_pem(const char *dir, const char *name, X509 *x, X509_CRL *crl)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (x)
		PEM_write_X509(f, x);
	if (crl)
		PEM_write_X509_CRL(f, crl);
	fclose(f);
}

static X509_CRL *
mk_crl(struct id *ca, long serial)
{
	X509_CRL *c = X509_CRL_new();
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *s = ASN1_INTEGER_new();
	ASN1_TIME *t = ASN1_TIME_adj(NULL, now, -2, 0), *nu = ASN1_TIME_adj(NULL, now, 30, 0);

	X509_CRL_set_version(c, 1);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(ca->cert));
	X509_CRL_set1_lastUpdate(c, t);
	X509_CRL_set1_nextUpdate(c, nu);
	ASN1_INTEGER_set(s, serial);
	X509_REVOKED_set_serialNumber(r, s);
	X509_REVOKED_set_revocationDate(r, t);
	X509_CRL_add0_revoked(c, r);
	X509_CRL_sort(c);
	X509_CRL_sign(c, ca->key, EVP_sha256());
	ASN1_INTEGER_free(s);
	ASN1_TIME_free(t);
	ASN1_TIME_free(nu);
	return c;
}

static void
make_pki(void)
{
	X509_CRL *crl;

	root = mk("Test Root", NULL, 1, -10 * DAY, 3650L * DAY, 1, "critical,keyCertSign,cRLSign", NULL, NULL);
	inter = mk("Test Users CA", &root, 2, -10 * DAY, 3000L * DAY, 1, "critical,keyCertSign,cRLSign", NULL, NULL);
	signer = mk("Jeanne Ordonnatrice", &inter, 100, -5 * DAY, 365L * DAY, 0,
		    "critical,digitalSignature,nonRepudiation", NULL, NULL);
	revoked = mk("Paul Revoque", &inter, 101, -5 * DAY, 365L * DAY, 0, "critical,nonRepudiation", NULL, NULL);
	nonrep = mk("Sans NonRepudiation", &inter, 102, -5 * DAY, 365L * DAY, 0,
		    "critical,digitalSignature,keyEncipherment", NULL, NULL);
	tsa = mk("Test TSA", &root, 103, -5 * DAY, 365L * DAY, 0, "critical,digitalSignature",
		 "critical,timeStamping", NULL);
	stranger = mk("Stranger Root", NULL, 7, -10 * DAY, 3650L * DAY, 1, "critical,keyCertSign", NULL, NULL);
	/* the same key as signer, another certificate: CertDigest substitution */
	twin = mk("Jeanne Ordonnatrice", &inter, 104, -5 * DAY, 365L * DAY, 0, "critical,nonRepudiation",
		  NULL, signer.key);
	snprintf(trust, sizeof(trust), "%s/trust", tmp);
	snprintf(other_trust, sizeof(other_trust), "%s/other", tmp);
	mkdir(trust, 0700);
	mkdir(other_trust, 0700);
	write_pem(trust, "root.pem", root.cert, NULL);
	write_pem(trust, "inter.pem", inter.cert, NULL);
	crl = mk_crl(&inter, 101);
	write_pem(trust, "inter.crl", NULL, crl);
	X509_CRL_free(crl);
	write_pem(other_trust, "stranger.pem", stranger.cert, NULL);
}

static void
key_of(struct id *who, struct sign_key *k)
{
	STACK_OF(X509) *ch = sk_X509_new_null();
	struct lerr e;

	sk_X509_push(ch, inter.cert);
	if (sign_key_set(k, who->key, who->cert, ch, &e))
		fprintf(stderr, "# sign_key_set: %s\n", e.msg);
	sk_X509_free(ch);
}

/* ---- helpers ---- */

static int
slurp(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;

	buf_init(b, 64 << 20);
	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(b, chunk, n))
			break;
	fclose(f);
	return 0;
}

/* Replace the first occurrence of from by to. */
static int
subst(struct buf *b, const char *from, const char *to)
{
	char *p = strstr(b->data, from);
	struct buf n;

	if (!p)
		return -1;
	buf_init(&n, b->max);
	if (buf_add(&n, b->data, (size_t)(p - b->data)) || buf_addstr(&n, to) ||
	    buf_addstr(&n, p + strlen(from)))
		return -1;
	buf_fini(b);
	*b = n;
	return 0;
}

static int
verify(const char *dir, const struct buf *b, time_t at, const void *data, size_t dlen,
       struct sign_report *r)
{
	struct sign_verify_opts o = { .trust_dir = dir, .at = at, .data = data, .datalen = dlen };
	struct lerr e;

	sign_report_init(r);
	if (sign_verify(&o, b->data, b->len, r, &e)) {
		fprintf(stderr, "# verify error: %s %s\n", e.msg, e.detail);
		return -1;
	}
	return 0;
}

static int
check_is(const struct sign_report *r, const char *id, int sig, int want_ok)
{
	const struct sign_check *c = sign_report_find(r, id, sig);

	if (!c) {
		fprintf(stderr, "#   no check %s for signature %d\n", id, sig);
		return 0;
	}
	if (c->ok != want_ok)
		fprintf(stderr, "#   %s: %s\n", c->id, c->reason_en);
	return c->ok == want_ok;
}

static void
dump_failures(const struct sign_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!r->checks[i].ok)
			fprintf(stderr, "#   [%d] %s: %s\n", r->checks[i].sig, r->checks[i].id,
				r->checks[i].reason_en);
}

static int
pes_sign(struct id *who, enum sign_xades_ver v, const struct buf *in, struct buf *out,
	 struct lerr *e)
{
	struct sign_key k;
	struct sign_pes_opts o = { .ver = v, .city = "Céret", .postal_code = "66400",
				   .role = "Ordonnateur", .trust_dir = trust };
	int rc;

	key_of(who, &k);
	buf_init(out, 64 << 20);
	rc = sign_pes(&k, &o, in->data, in->len, out, e);
	sign_key_fini(&k);
	return rc;
}

static int
xsd_valid(const char *xsd, const struct buf *doc)
{
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(xsd);
	xmlSchemaPtr s = pc ? xmlSchemaParse(pc) : NULL;
	xmlSchemaValidCtxtPtr vc = s ? xmlSchemaNewValidCtxt(s) : NULL;
	xmlDocPtr d = xmlReadMemory(doc->data, (int)doc->len, "signed.xml", NULL, XML_PARSE_NONET);
	int rc = vc && d ? xmlSchemaValidateDoc(vc, d) : -1;

	xmlFreeDoc(d);
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(s);
	xmlSchemaFreeParserCtxt(pc);
	return rc;
}

/* ---- PES ---- */

static struct buf pes_in, pes_signed, pes_multi_signed;

/* signed minus its ds:Signature elements, with InfoDematerialisee back to
 * 0, is byte for byte the original */
static int
same_outside(const struct buf *signed_doc, const struct buf *orig)
{
	struct buf b;
	char *s, *t;
	int same;

	buf_init(&b, 64 << 20);
	if (buf_add(&b, signed_doc->data, signed_doc->len))
		return 0;
	while ((s = strstr(b.data, "<ds:Signature ")) && (t = strstr(s, "</ds:Signature>"))) {
		t += strlen("</ds:Signature>");
		memmove(s, t, strlen(t) + 1);
		b.len -= (size_t)(t - s);
	}
	subst(&b, "<InfoDematerialisee V=\"1\"/>", "<InfoDematerialisee V=\"0\"/>");
	same = b.len == orig->len && !memcmp(b.data, orig->data, b.len);
	buf_fini(&b);
	return same;
}

static void
test_pes_sign(void)
{
	char path[512], xsd[512];
	struct sign_report r = { 0 };
	struct lerr e;
	int rc;

	if (!tap_fixture(path, sizeof(path), "s2low/helios/fixtures/pes_aller_ok.xml")) {
		ok(1, "# SKIP PES fixtures absent");
		return;
	}
	slurp(path, &pes_in);
	rc = pes_sign(&signer, SIGN_XADES_111, &pes_in, &pes_signed, &e);
	ok(rc == 0, "sign_pes signs pes_aller_ok.xml (%s %s)", e.msg, e.detail);
	if (rc)
		return;
	ok(!strncmp(pes_signed.data, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>", 43),
	   "the signed PES keeps its ISO-8859-1 prolog");
	ok(strstr(pes_signed.data, "<InfoDematerialisee V=\"1\"/>") != NULL,
	   "InfoDematerialisee set to 1");
	ok(strstr(pes_signed.data, "Id=\"BORD1093357910_SIG_1\"") &&
	   strstr(pes_signed.data, "Id=\"BORD1093357910_SIG_1_SP\"") &&
	   strstr(pes_signed.data, "Id=\"BORD1093357910_SIG_1_SV\""), "Id scheme <target>_SIG_n, _SP, _SV");
	ok(strstr(pes_signed.data, "Type=\"http://uri.etsi.org/01903/v1.1.1#SignedProperties\"") != NULL,
	   "SignedProperties reference type is XAdES 1.1.1");
	ok(strstr(pes_signed.data, "<xad:CertDigest><xad:DigestMethod") != NULL,
	   "CertDigest uses xades:DigestMethod in 1.1.1");
	ok(strstr(pes_signed.data, "urn:oid:1.2.250.1.131.1.5.18.21.1.7") &&
	   strstr(pes_signed.data, "<xad:ClaimedRole>Ordonnateur</xad:ClaimedRole>") &&
	   strstr(pes_signed.data, "<xad:City>C\xe9ret</xad:City>"),
	   "policy, role and Latin-1 production place present");
	ok(strstr(pes_signed.data, "<ds:X509SerialNumber>100</ds:X509SerialNumber>") != NULL,
	   "IssuerSerial carries the decimal serial");
	ok(same_outside(&pes_signed, &pes_in), "every byte outside the signature is preserved");
	ok(verify(trust, &pes_signed, 0, NULL, 0, &r) == 0 && r.valid && r.nsig == 1,
	   "liasse verifies its own PES signature");
	ok(r.n && sign_report_find(&r, "policy", 0) &&
	   strstr(sign_report_find(&r, "policy", 0)->reason_en, "urn:oid:1.2.250.1.131.1.5.18.21.1.7"),
	   "the report names the signature policy");
	if (!r.valid)
		dump_failures(&r);
	sign_report_fini(&r);
	if (tap_fixture(xsd, sizeof(xsd),
			"parapheur-v5/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd"))
		is_int(xsd_valid(xsd, &pes_signed), 0, "the signed PES validates against PES_Aller.xsd v5.17");
}

static void
test_pes_122(void)
{
	struct buf out;
	struct sign_report r = { 0 };
	struct lerr e;

	if (!pes_in.len)
		return;
	ok(pes_sign(&signer, SIGN_XADES_122, &pes_in, &out, &e) == 0, "sign_pes in XAdES 1.2.2");
	ok(strstr(out.data, "xmlns:xad=\"http://uri.etsi.org/01903/v1.2.2#\"") &&
	   strstr(out.data, "Type=\"http://uri.etsi.org/01903/v1.2.2#SignedProperties\""),
	   "1.2.2 namespace and SignedProperties type");
	ok(verify(trust, &out, 0, NULL, 0, &r) == 0 && r.valid, "the 1.2.2 signature verifies");
	sign_report_fini(&r);
	buf_fini(&out);
}

static void
test_pes_multi(void)
{
	struct buf in, again;
	struct sign_report r = { 0 };
	struct lerr e;
	char *b, *end, xsd[512];
	size_t blen;

	if (!pes_in.len)
		return;
	/* a second Bordereau, copy of the first with another Id */
	b = strstr(pes_in.data, "  <Bordereau Id=\"BORD1093357910\">");
	end = strstr(pes_in.data, "</Bordereau>") + strlen("</Bordereau>\n");
	blen = (size_t)(end - b);
	buf_init(&in, 1 << 20);
	if (buf_add(&in, pes_in.data, (size_t)(end - pes_in.data)) || buf_add(&in, b, blen) ||
	    buf_addstr(&in, end))
		return;
	{
		char *second = strstr(strstr(in.data, "<Bordereau Id=") + 1, "<Bordereau Id=\"BORD1093357910\"");
		if (second)
			memcpy(second, "<Bordereau Id=\"BORD2093357910\"", 30);
	}
	ok(pes_sign(&signer, SIGN_XADES_111, &in, &pes_multi_signed, &e) == 0,
	   "a PES with two bordereaux is signed (%s)", e.msg);
	ok(same_outside(&pes_multi_signed, &in), "two bordereaux: bytes outside the signatures preserved");
	ok(strstr(pes_multi_signed.data, "Id=\"BORD1093357910_SIG_1\"") &&
	   strstr(pes_multi_signed.data, "Id=\"BORD2093357910_SIG_1\""), "one signature per bordereau");
	ok(verify(trust, &pes_multi_signed, 0, NULL, 0, &r) == 0 && r.valid && r.nsig == 2,
	   "both bordereau signatures verify");
	if (tap_fixture(xsd, sizeof(xsd),
			"parapheur-v5/xsd/schemas_pes_v5.17/PES_V2/Rev0/PES_Aller.xsd"))
		is_int(xsd_valid(xsd, &pes_multi_signed), 0, "the two-bordereau signed PES validates against the XSD");
	sign_report_fini(&r);
	is_int(pes_sign(&signer, SIGN_XADES_111, &pes_multi_signed, &again, &e), LERR_CONFLICT,
	       "signing an already signed bordereau is refused");
	buf_fini(&again);
	buf_fini(&in);
}

/* A coverage failure whose reason mentions what. */
static int
coverage_says(const struct sign_report *r, const char *what)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->checks[i].id, "coverage") && !r->checks[i].ok &&
		    strstr(r->checks[i].reason_en, what))
			return 1;
	fprintf(stderr, "#   no failed coverage check saying \"%s\"\n", what);
	dump_failures(r);
	return 0;
}

/* The unsigned bordereau of pes_in with another Id and MtBordHT 99999.99. */
static int
forged_bordereau(struct buf *out, const char *id)
{
	char *b = strstr(pes_in.data, "  <Bordereau Id=\"BORD1093357910\">");
	char *end = b ? strstr(b, "</Bordereau>") : NULL, open[80];

	if (!end)
		return -1;
	end += strlen("</Bordereau>\n");
	snprintf(open, sizeof(open), "<Bordereau Id=\"%s\">", id);
	buf_init(out, 1 << 20);
	if (buf_add(out, b, (size_t)(end - b)) || subst(out, "<Bordereau Id=\"BORD1093357910\">", open) ||
	    subst(out, "<MtBordHT V=\"75724.75\"/>", "<MtBordHT V=\"99999.99\"/>"))
		return -1;
	return 0;
}

/* Signature wrapping of a PES that liasse signed: every bordereau Hélios
 * reads must be covered, and no signed element may sit elsewhere. */
static void
test_pes_wrapping(void)
{
	struct buf forged, in, moved;
	struct sign_report r = { 0 };
	struct lerr e;
	char *b, *end;

	if (!pes_signed.len || forged_bordereau(&forged, "BORD9999999999"))
		return;
	ok(verify(trust, &pes_signed, 0, NULL, 0, &r) == 0 && r.valid &&
	   check_is(&r, "coverage", -1, 1), "the signed PES: every bordereau covered");
	sign_report_fini(&r);

	buf_init(&in, 1 << 20);
	buf_init(&moved, 1 << 20);
	ok(!buf_add(&moved, forged.data, forged.len) && !buf_addstr(&moved, " </PES_DepenseAller>") &&
	   !buf_add(&in, pes_signed.data, pes_signed.len) &&
	   !subst(&in, " </PES_DepenseAller>", moved.data) &&
	   verify(trust, &in, 0, NULL, 0, &r) == 0 && !r.valid && r.nsig == 1 && r.sigs[0].valid &&
	   coverage_says(&r, "bordereau 2 (Id BORD9999999999) is not signed"),
	   "an extra unsigned bordereau (MtBordHT 99999.99): invalid, the bordereau named");
	sign_report_fini(&r);
	buf_fini(&moved);
	buf_fini(&in);

	/* an extra PES_DepenseAller block (its EnTeteDepense and the forged bordereau) */
	buf_init(&in, 1 << 20);
	buf_init(&moved, 1 << 20);
	b = strstr(pes_in.data, " <PES_DepenseAller>");
	end = b ? strstr(b, "  <Bordereau") : NULL;
	ok(end && !buf_add(&moved, b, (size_t)(end - b)) && !buf_add(&moved, forged.data, forged.len) &&
	   !buf_addstr(&moved, " </PES_DepenseAller>\n</n:PES_Aller>") &&
	   !buf_add(&in, pes_signed.data, pes_signed.len) && !subst(&in, "</n:PES_Aller>", moved.data) &&
	   verify(trust, &in, 0, NULL, 0, &r) == 0 && !r.valid && r.sigs[0].valid &&
	   coverage_says(&r, "block PES_DepenseAller no. 2 holds no signed bordereau") &&
	   coverage_says(&r, "bordereau 2 (Id BORD9999999999) is not signed"),
	   "an extra unsigned PES_DepenseAller block: invalid, the block named");
	sign_report_fini(&r);
	buf_fini(&moved);
	buf_fini(&in);

	/* the signed bordereau moved under a foreign element, a forged one in its place */
	b = strstr(pes_signed.data, "  <Bordereau Id=\"BORD1093357910\">");
	end = b ? strstr(b, "</Bordereau>") : NULL;
	end = end ? end + strlen("</Bordereau>\n") : NULL;
	buf_init(&moved, 1 << 20);
	buf_init(&in, 1 << 20);
	ok(end && !buf_addstr(&moved, "<Annexe>") && !buf_add(&moved, b, (size_t)(end - b)) &&
	   !buf_addstr(&moved, "</Annexe>\n</n:PES_Aller>") &&
	   !buf_add(&in, pes_signed.data, (size_t)(b - pes_signed.data)) &&
	   !buf_add(&in, forged.data, forged.len) && !buf_addstr(&in, end) &&
	   !subst(&in, "</n:PES_Aller>", moved.data) &&
	   verify(trust, &in, 0, NULL, 0, &r) == 0 && !r.valid && r.nsig == 1 &&
	   r.sigs[0].valid && coverage_says(&r, "a Bordereau (Id BORD1093357910) sits under <Annexe>") &&
	   coverage_says(&r, "bordereau 1 (Id BORD9999999999) is not signed"),
	   "a signed bordereau moved under a foreign element, a forged one in its place: invalid");
	sign_report_fini(&r);
	buf_fini(&in);
	buf_fini(&moved);

	/* a signed bordereau altered: its signature fails, so nothing covers it */
	buf_init(&in, 1 << 20);
	ok(!buf_add(&in, pes_signed.data, pes_signed.len) &&
	   !subst(&in, "<MtBordHT V=\"75724.75\"/>", "<MtBordHT V=\"99999.99\"/>") &&
	   verify(trust, &in, 0, NULL, 0, &r) == 0 && !r.valid && check_is(&r, "core", 0, 0) &&
	   coverage_says(&r, "bordereau 1 (Id BORD1093357910) is covered by no valid signature"),
	   "an altered signed bordereau: core fails and the bordereau is not covered");
	sign_report_fini(&r);
	{
		struct buf out;

		ok(pes_sign(&signer, SIGN_XADES_111, &in, &out, &e) == LERR_INVALID &&
		   !strcmp(e.field, "pes.signatures") &&
		   strstr(e.msg, "Bordereau \"BORD1093357910\" carries is not valid") && strstr(e.detail, "core"),
		   "signing a PES whose signature is broken: refused, the bordereau named (%s: %s)", e.msg, e.detail);
		buf_fini(&out);
	}
	buf_fini(&in);

	/* a whole-file signature covers every bordereau */
	buf_init(&in, 1 << 20);
	ok(!buf_add(&in, pes_in.data, pes_in.len) &&
	   !subst(&in, "<Bordereau Id=\"BORD1093357910\">", "<Bordereau>") &&
	   pes_sign(&signer, SIGN_XADES_111, &in, &moved, &e) == 0 &&
	   verify(trust, &moved, 0, NULL, 0, &r) == 0 && r.valid && check_is(&r, "coverage", -1, 1),
	   "a whole-file signature: valid, every bordereau covered");
	sign_report_fini(&r);
	buf_fini(&in);
	buf_fini(&moved);

	/* an Id that is not an NCName is refused before signing */
	buf_init(&in, 1 << 20);
	ok(!buf_add(&in, pes_in.data, pes_in.len) &&
	   !subst(&in, "<Bordereau Id=\"BORD1093357910\">", "<Bordereau Id=\"BORD_2/26#42\">") &&
	   pes_sign(&signer, SIGN_XADES_111, &in, &moved, &e) == LERR_INVALID &&
	   !strcmp(e.field, "pes.bordereau.id") && e.hint[0],
	   "a bordereau Id BORD_2/26#42 is refused at signing (%s)", e.msg);
	buf_fini(&moved);
	buf_fini(&in);

	/* an Id of SIGN_ID_MAX bytes (two-byte characters too: the fuzzer's
	 * find, whose signature's own Ids overflowed the verifier's buffers) is
	 * signed and verifies; one byte more is refused before signing */
	for (int extra = 0; extra <= 1; extra++) {
		char tag[160], id[SIGN_ID_MAX + 2];
		size_t len = 0, utf8 = 0;   /* the file is ISO-8859-1: \xff is 2 bytes of UTF-8 */

		id[len++] = 'B', utf8++;
		while (utf8 + 2 <= (size_t)SIGN_ID_MAX)
			id[len++] = '\xff', utf8 += 2;
		while (utf8 < (size_t)SIGN_ID_MAX + (size_t)extra)
			id[len++] = '7', utf8++;
		id[len] = 0;
		snprintf(tag, sizeof(tag), "<Bordereau Id=\"%s\">", id);
		buf_init(&in, 1 << 20);
		if (!extra)
			ok(!buf_add(&in, pes_in.data, pes_in.len) &&
			   !subst(&in, "<Bordereau Id=\"BORD1093357910\">", tag) &&
			   pes_sign(&signer, SIGN_XADES_111, &in, &moved, &e) == 0 &&
			   verify(trust, &moved, 0, NULL, 0, &r) == 0 && r.valid,
			   "a bordereau Id of %d bytes is signed and verifies", SIGN_ID_MAX);
		else
			ok(!buf_add(&in, pes_in.data, pes_in.len) &&
			   !subst(&in, "<Bordereau Id=\"BORD1093357910\">", tag) &&
			   pes_sign(&signer, SIGN_XADES_111, &in, &moved, &e) == LERR_INVALID &&
			   !strcmp(e.field, "pes.bordereau.id") && strstr(e.detail, "at most"),
			   "a bordereau Id of %d bytes is refused at signing (%s)", SIGN_ID_MAX + 1, e.detail);
		sign_report_fini(&r);
		buf_fini(&moved);
		buf_fini(&in);
	}
	buf_fini(&forged);
}

static void
test_pes_ecdsa(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	struct id ec = mk("Agent ECDSA", &inter, 105, -5 * DAY, 365L * DAY, 0,
			  "critical,digitalSignature,nonRepudiation", NULL, k);
	struct sign_report r = { 0 };
	struct buf out;
	struct lerr e;

	if (!pes_in.len)
		return;
	ok(pes_sign(&ec, SIGN_XADES_111, &pes_in, &out, &e) == 0 &&
	   strstr(out.data, "xmldsig-more#ecdsa-sha256"), "an ECDSA P-256 key signs a PES");
	ok(verify(trust, &out, 0, NULL, 0, &r) == 0 && r.valid, "xmlsec verifies the ECDSA signature");
	if (!r.valid)
		dump_failures(&r);
	sign_report_fini(&r);
	buf_fini(&out);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ec.key);
	X509_free(ec.cert);
}

static void
test_pes_targets(void)
{
	struct buf in, out;
	struct lerr e;

	if (!pes_in.len)
		return;
	buf_init(&in, 1 << 20);
	if (buf_add(&in, pes_in.data, pes_in.len))
		return;
	subst(&in, "<Bordereau Id=\"BORD1093357910\">", "<Bordereau>");
	ok(pes_sign(&signer, SIGN_XADES_111, &in, &out, &e) == 0 &&
	   strstr(out.data, "Id=\"c78a9729c1eb89ff9b47401bd7cd9d7e_SIG_1\"") &&
	   strstr(out.data, "URI=\"#c78a9729c1eb89ff9b47401bd7cd9d7e\""),
	   "a bordereau without Id: one global signature on PES_Aller/@Id");
	{
		struct buf again, out2;

		buf_init(&again, 1 << 20);
		ok(!buf_add(&again, out.data, out.len) &&
		   !subst(&again, "<Bordereau>", "<Bordereau Id=\"BORD9\">") &&
		   pes_sign(&signer, SIGN_XADES_111, &again, &out2, &e) == LERR_INVALID &&
		   !strcmp(e.field, "pes.signatures"),
		   "bordereaux of a PES signed as a whole: refused (the Id added breaks that signature)");
		buf_fini(&again);
		buf_fini(&out2);
	}
	buf_fini(&out);
	{
		struct buf rec, out3;
		struct sign_report r = { 0 };

		buf_init(&rec, 1 << 20);
		ok(!buf_add(&rec, pes_in.data, pes_in.len) &&
		   !subst(&rec, "<PES_DepenseAller>", "<PES_RecetteAller>") &&
		   !subst(&rec, "</PES_DepenseAller>", "</PES_RecetteAller>") &&
		   !subst(&rec, "<EnTeteDepense>", "<EnTeteRecette>") &&
		   !subst(&rec, "</EnTeteDepense>", "</EnTeteRecette>") &&
		   pes_sign(&signer, SIGN_XADES_111, &rec, &out3, &e) == 0 &&
		   strstr(out3.data, "Id=\"BORD1093357910_SIG_1\"") &&
		   strstr(out3.data, "<InfoDematerialisee V=\"1\"/>") &&
		   verify(trust, &out3, 0, NULL, 0, &r) == 0 && r.valid,
		   "a recette PES: bordereau signed, InfoDematerialisee set, valid");
		sign_report_fini(&r);
		buf_fini(&out3);
		buf_fini(&rec);
	}
	subst(&in, "Id=\"c78a9729c1eb89ff9b47401bd7cd9d7e\"", "");
	is_int(pes_sign(&signer, SIGN_XADES_111, &in, &out, &e), LERR_INVALID,
	       "no Id anywhere: refused");
	ok(e.hint[0] != '\0', "the refusal carries a hint");
	buf_fini(&out);
	buf_fini(&in);
}

static void
test_pes_crlf_utf8(void)
{
	struct buf in, out;
	struct sign_report r = { 0 };
	struct lerr e;
	char path[512];
	size_t i;

	if (!pes_in.len)
		return;
	buf_init(&in, 1 << 20);
	for (i = 0; i < pes_in.len; i++)
		if ((pes_in.data[i] == '\n' && buf_add(&in, "\r", 1)) || buf_add(&in, &pes_in.data[i], 1))
			return;
	ok(pes_sign(&signer, SIGN_XADES_111, &in, &out, &e) == 0 && same_outside(&out, &in),
	   "CRLF line ends are kept outside the signature");
	ok(verify(trust, &out, 0, NULL, 0, &r) == 0 && r.valid, "the CRLF PES verifies");
	sign_report_fini(&r);
	buf_fini(&out);
	buf_fini(&in);
	if (!tap_fixture(path, sizeof(path), "s2low/helios/fixtures/pes_aller_utf8.xml"))
		return;
	slurp(path, &in);
	ok(pes_sign(&signer, SIGN_XADES_111, &in, &out, &e) == 0 && same_outside(&out, &in) &&
	   strstr(out.data, "<xad:City>C\xc3\xa9ret</xad:City>"), "a UTF-8 PES stays UTF-8");
	ok(verify(trust, &out, 0, NULL, 0, &r) == 0 && r.valid, "the UTF-8 PES verifies");
	sign_report_fini(&r);
	buf_fini(&out);
	buf_fini(&in);
}

static void
test_xxe(void)
{
	const char *xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE n:PES_Aller [<!ENTITY x SYSTEM "
			  "\"file:///etc/passwd\">]>\n<n:PES_Aller xmlns:n=\"http://www.minefi.gouv.fr/"
			  "cp/helios/pes_v2/Rev0/aller\" Id=\"A\"><Enveloppe>&x;</Enveloppe></n:PES_Aller>";
	struct buf in, out;
	struct sign_report r = { 0 };
	struct lerr e;

	buf_init(&in, 1 << 16);
	if (buf_addstr(&in, xxe))
		return;
	is_int(pes_sign(&signer, SIGN_XADES_111, &in, &out, &e), LERR_INVALID,
	       "XXE: a document with a DOCTYPE is refused for signing");
	ok(out.len == 0 || !strstr(out.data, "root:"), "XXE: the entity was never expanded");
	ok(verify(trust, &in, 0, NULL, 0, &r) == 0 && !r.valid && check_is(&r, "xml", -1, 0),
	   "XXE: verification refuses the document (check xml)");
	sign_report_fini(&r);
	buf_fini(&in);
	buf_fini(&out);
}

/* ---- issue 16: XML bombs and a PJ larger than libxml2's 10 MB text node ---- */

static long
status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			kb = atol(line + strlen(field) + 1);
	if (f)
		fclose(f);
	return kb;
}

/* Peak RSS growth (kB) from here: VmHWM is reset to VmRSS by clear_refs. */
static long
peak_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f) {
		fputs("5", f);
		fclose(f);
	}
	return status_kb("VmRSS:");
}

static double
mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* pes_in with what goes before its root's end tag. */
static int
pes_with(struct buf *b, const char *before_end, const char *body, size_t bodylen, const char *after)
{
	const char *end = strstr(pes_in.data, "</n:PES_Aller>");

	buf_init(b, 64 << 20);
	return !end || buf_add(b, pes_in.data, (size_t)(end - pes_in.data)) || buf_addstr(b, before_end) ||
	       buf_add(b, body, bodylen) || buf_addstr(b, after) || buf_addstr(b, end);
}

static void
bomb(const char *name, struct buf *in, const char *word)
{
	struct sign_report r = { 0 };
	struct buf out;
	struct lerr e;
	long rss = peak_reset();
	double t0 = mono();
	int rc = pes_sign(&signer, SIGN_XADES_111, in, &out, &e);

	is_int(rc, LERR_INVALID, "%s (%zu bytes): signing refused: %s / %s", name, in->len, e.msg, e.detail);
	ok(strstr(e.msg, word) != NULL, "%s: the message names %s", name, word);
	ok(verify(trust, in, 0, NULL, 0, &r) == 0 && !r.valid && check_is(&r, "xml", -1, 0),
	   "%s: verification refuses it (check xml)", name);
	ok(mono() - t0 < 2.0, "%s: both answered in %.2f s", name, mono() - t0);
	ok_rss(status_kb("VmHWM:") - rss < 64 * 1024, "%s: peak RSS grew by %ld kB", name,
	   status_kb("VmHWM:") - rss);
	sign_report_fini(&r);
	buf_fini(&out);
}

static void
test_bombs(void)
{
	struct buf in, out, body;
	struct sign_report r = { 0 };
	struct lerr e;
	char ents[4096];
	size_t o;
	long rss;
	double t0;

	if (!pes_in.len)
		return;
	/* Billion laughs padded over 10 MiB (sx_parse used to add XML_PARSE_HUGE
	 * there, which lifts libxml2's amplification guard). */
	o = (size_t)snprintf(ents, sizeof(ents), "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
			     "<!DOCTYPE n:PES_Aller [<!ENTITY l0 \"lol\">");
	for (int i = 1; i <= 6; i++) {
		o += (size_t)snprintf(ents + o, sizeof(ents) - o, "<!ENTITY l%d \"", i);
		for (int j = 0; j < 10; j++)
			o += (size_t)snprintf(ents + o, sizeof(ents) - o, "&l%d;", i - 1);
		o += (size_t)snprintf(ents + o, sizeof(ents) - o, "\">");
	}
	snprintf(ents + o, sizeof(ents) - o, "]>");
	buf_init(&body, 64 << 20);
	for (int i = 0; i < 40 * 1024 && !buf_addstr(&body, "<!-- padding -->"); i++)
		for (int j = 0; j < 64; j++)
			if (buf_addstr(&body, "&l6;"))
				break;
	if (!pes_with(&in, "<PES_PJ>", body.data, body.len, "</PES_PJ>") &&
	    !subst(&in, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>", ents))
		bomb("billion laughs", &in, "DTD");
	buf_fini(&in);
	buf_fini(&body);

	/* 85,000 attributes on one element of a PES; 100,000 on one element. */
	buf_init(&body, 64 << 20);
	int bad = buf_addstr(&body, "<PES_DepenseAller><Bomb");
	for (int i = 0; i < 85000; i++)
		bad |= buf_printf(&body, " a%d=\"\"", i);
	bad |= buf_addstr(&body, "/>");
	buf_init(&in, 64 << 20);
	if (!bad && !buf_add(&in, pes_in.data, pes_in.len) && !subst(&in, "<PES_DepenseAller>", body.data))
		bomb("attribute bomb in a bordereau", &in, "attributes");
	buf_fini(&in);
	buf_reset(&body);
	for (int i = 0; i < 100000; i++)
		bad |= buf_printf(&body, " xmlns:p%d=\"urn:%d\"", i, i);
	if (!bad && !pes_with(&in, "<Bomb", body.data, body.len, "/>"))
		bomb("namespace declaration bomb", &in, "attributes");
	buf_fini(&in);

	/* A PJ of 24 MB of text: base64 lines ending in "&#13;" and a few
	 * accented letters make libxml2 build the text node from pieces, which
	 * it refuses past 10 MB without XML_PARSE_HUGE. */
	buf_reset(&body);
	for (int i = 0; i < 24 * 1024 * 1024 / 80; i++)
		if (buf_addstr(&body, i % 1000 ? "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0&#13;\n" :
			       "\xe9t\xe9\n"))
			break;
	if (!pes_with(&in, "<PES_PJ><PJ><Contenu><Fichier MIMEType=\"application/pdf\">", body.data, body.len,
		      "</Fichier></Contenu></PJ></PES_PJ>")) {
		rss = peak_reset();
		t0 = mono();
		ok(pes_sign(&signer, SIGN_XADES_111, &in, &out, &e) == 0, "a PES with a %zu-byte PJ signs (%s %s)",
		   in.len, e.msg, e.detail);
		ok(verify(trust, &out, 0, NULL, 0, &r) == 0 && r.valid, "... and verifies");
		dump_failures(&r);
		printf("# PJ of 24 MB: sign + verify in %.2f s, peak RSS +%ld kB\n", mono() - t0,
		       status_kb("VmHWM:") - rss);
		sign_report_fini(&r);
		buf_fini(&out);
	}
	buf_fini(&in);
	buf_fini(&body);
}

/* ---- attacks on a signed PES ---- */

static void
attack(const char *name, const char *from, const char *to, const char *check, int sig)
{
	struct buf b;
	struct sign_report r = { 0 };

	buf_init(&b, 64 << 20);
	if (buf_add(&b, pes_signed.data, pes_signed.len) || subst(&b, from, to)) {
		ok(0, "%s: could not build the attack", name);
		return;
	}
	ok(verify(trust, &b, 0, NULL, 0, &r) == 0 && !r.valid && check_is(&r, check, sig, 0),
	   "%s rejected by check %s", name, check);
	sign_report_fini(&r);
	buf_fini(&b);
}

static void
test_attacks(void)
{
	if (!pes_signed.len)
		return;
	attack("tampered bordereau", "<MtBordHT V=\"75724.75\"/>", "<MtBordHT V=\"95724.75\"/>",
	       "core", 0);
	attack("duplicate Id (wrapping)", "<PES_DepenseAller>",
	       "<PES_DepenseAller><Leurre Id=\"BORD1093357910\"/>", "ids_unique", -1);
	attack("SignedProperties reference pointing elsewhere", "URI=\"#BORD1093357910_SIG_1_SP\"",
	       "URI=\"#BORD1093357910_SIG_1_SV\"", "signed_properties_reference", 0);
	attack("external reference URI", "URI=\"#BORD1093357910\"",
	       "URI=\"http://attacker.invalid/pes.xml\"", "references_allowed", 0);
	attack("file reference URI", "URI=\"#BORD1093357910\"", "URI=\"file:///etc/passwd\"",
	       "references_allowed", 0);
	attack("xpointer reference", "URI=\"#BORD1093357910\"",
	       "URI=\"#xpointer(/)\"", "references_allowed", 0);
	attack("QualifyingProperties for another signature", "Target=\"#BORD1093357910_SIG_1\"",
	       "Target=\"#OTHER_SIG_1\"", "qualifying_properties", 0);
}

static void
test_moved_reference(void)
{
	xmlDocPtr d;
	xmlNodePtr top, dep, b1 = NULL, b2 = NULL, c, s1 = NULL, s2 = NULL;
	xmlChar *mem = NULL;
	int len = 0;
	struct buf b;
	struct sign_report r = { 0 };

	if (!pes_multi_signed.len)
		return;
	d = xmlReadMemory(pes_multi_signed.data, (int)pes_multi_signed.len, "x.xml", NULL, 0);
	top = xmlDocGetRootElement(d);
	for (dep = top->children; dep && !xmlStrEqual(dep->name, BAD_CAST "PES_DepenseAller"); dep = dep->next)
		;
	for (c = dep ? dep->children : NULL; c; c = c->next)
		if (xmlStrEqual(c->name, BAD_CAST "Bordereau"))
			*(b1 ? &b2 : &b1) = c;
	for (c = b1 ? b1->children : NULL; c; c = c->next)
		if (xmlStrEqual(c->name, BAD_CAST "Signature"))
			s1 = c;
	for (c = b2 ? b2->children : NULL; c; c = c->next)
		if (xmlStrEqual(c->name, BAD_CAST "Signature"))
			s2 = c;
	if (!s1 || !s2) {
		ok(0, "moved reference: signatures not found");
		return;
	}
	/* signature of bordereau 1 moved into bordereau 2, in place of its own */
	xmlUnlinkNode(s2);
	xmlFreeNode(s2);
	xmlUnlinkNode(s1);
	xmlAddChild(b2, s1);
	xmlDocDumpMemoryEnc(d, &mem, &len, "ISO-8859-1");
	buf_init(&b, 64 << 20);
	if (buf_add(&b, mem, (size_t)len))
		return;
	ok(verify(trust, &b, 0, NULL, 0, &r) == 0 && !r.valid && check_is(&r, "data_reference", 0, 0),
	   "moved signature rejected by check data_reference");
	sign_report_fini(&r);
	buf_fini(&b);
	xmlFree(mem);
	xmlFreeDoc(d);
}

static void
replace_keyinfo_cert(struct buf *b, X509 *with)
{
	char *p = strstr(b->data, "<ds:X509Certificate>"), *q;
	unsigned char *der = NULL;
	int len = i2d_X509(with, &der);
	char *b64 = calloc(1, (size_t)len * 2 + 8);
	struct buf n;

	EVP_EncodeBlock((unsigned char *)b64, der, len);
	q = strstr(p, "</ds:X509Certificate>");
	buf_init(&n, b->max);
	if (!buf_add(&n, b->data, (size_t)(p - b->data)) && !buf_addstr(&n, "<ds:X509Certificate>") &&
	    !buf_addstr(&n, b64) && !buf_addstr(&n, q)) {
		buf_fini(b);
		*b = n;
	}
	free(b64);
	OPENSSL_free(der);
}

static void
test_cert_attacks(void)
{
	struct buf b, out;
	struct sign_report r = { 0 };
	struct lerr e;

	if (!pes_signed.len)
		return;
	buf_init(&b, 64 << 20);
	if (buf_add(&b, pes_signed.data, pes_signed.len))
		return;
	replace_keyinfo_cert(&b, twin.cert);
	ok(verify(trust, &b, 0, NULL, 0, &r) == 0 && !r.valid && check_is(&r, "cert_digest", 0, 0) &&
	   check_is(&r, "core", 0, 1), "CertDigest of another certificate (same key) rejected by cert_digest");
	sign_report_fini(&r);
	buf_fini(&b);

	ok(verify(other_trust, &pes_signed, 0, NULL, 0, &r) == 0 && !r.valid &&
	   check_is(&r, "chain", 0, 0), "untrusted anchors: rejected by chain");
	sign_report_fini(&r);
	ok(verify(trust, &pes_signed, now + 400L * DAY, NULL, 0, &r) == 0 && !r.valid &&
	   check_is(&r, "chain", 0, 0), "expired certificate at the checking time: rejected by chain");
	sign_report_fini(&r);

	ok(verify(trust, &pes_signed, now - 3 * DAY, NULL, 0, &r) == 0 && r.valid &&
	   check_is(&r, "revocation", 0, 1), "a CRL issued after the checking time still counts (valid)");
	sign_report_fini(&r);
	ok(pes_sign(&revoked, SIGN_XADES_111, &pes_in, &out, &e) == 0 &&
	   verify(trust, &out, 0, NULL, 0, &r) == 0 && !r.valid && check_is(&r, "revocation", 0, 0) &&
	   check_is(&r, "core", 0, 1), "revoked certificate (CRL): rejected by revocation");
	sign_report_fini(&r);
	ok(verify(trust, &out, now - 3 * DAY, NULL, 0, &r) == 0 && r.valid &&
	   sign_report_find(&r, "revocation", 0)->warning,
	   "checked before its revocation date, a revoked certificate passes with a warning");
	if (!r.valid)
		dump_failures(&r);
	sign_report_fini(&r);
	buf_fini(&out);
	ok(pes_sign(&nonrep, SIGN_XADES_111, &pes_in, &out, &e) == 0 &&
	   verify(trust, &out, 0, NULL, 0, &r) == 0 && !r.valid && check_is(&r, "key_usage", 0, 0),
	   "certificate without nonRepudiation: rejected by key_usage");
	sign_report_fini(&r);
	buf_fini(&out);
}

/* ---- real fixtures ---- */

static void
test_fixtures(void)
{
	static const char *bad[] = { "s2low/lib/fixtures/signature_bordereau.xml",
		"s2low/lib/fixtures/plusieurs_signatures.xml",
		"s2low/class/fixtures/pes_signe_bordereau.xml", "s2low/class/fixtures/pes_no_id.xml" };
	char path[512], a[512], b[512], l1[600], l2[600], ra[PATH_MAX], rb[PATH_MAX];
	struct buf in;
	struct sign_report r = { 0 };
	size_t i;

	if (!tap_fixture(a, sizeof(a), "s2low/lib/fixtures/validca/AC_ADULLACT_Utilisateurs_G3.pem") ||
	    !tap_fixture(b, sizeof(b), "s2low/lib/fixtures/validca_for_xades/AC_ADULLACT_ROOT_G3.pem")) {
		ok(1, "# SKIP s2low fixtures absent");
		return;
	}
	snprintf(adullact, sizeof(adullact), "%s/adullact", tmp);
	mkdir(adullact, 0700);
	snprintf(l1, sizeof(l1), "%s/users.pem", adullact);
	snprintf(l2, sizeof(l2), "%s/root.pem", adullact);
	if (!realpath(a, ra) || !realpath(b, rb) || symlink(ra, l1) || symlink(rb, l2))
		return;
	tap_fixture(path, sizeof(path), "s2low/lib/fixtures/signature_bordereau_double.xml");
	slurp(path, &in);
	ok(verify(adullact, &in, 0, NULL, 0, &r) == 0 && r.valid && r.nsig == 2,
	   "signature_bordereau_double.xml: both signatures valid at their signing time");
	if (!r.valid)
		dump_failures(&r);
	ok(r.n && check_is(&r, "algorithms", 0, 1) && sign_report_find(&r, "algorithms", 0)->warning,
	   "SHA-1 accepted with a warning");
	sign_report_fini(&r);
	ok(verify(adullact, &in, now, NULL, 0, &r) == 0 && !r.valid && check_is(&r, "chain", 0, 0),
	   "signature_bordereau_double.xml checked today: the certificate has expired");
	sign_report_fini(&r);
	buf_fini(&in);

	tap_fixture(path, sizeof(path), "s2low/lib/fixtures/signature_bordereau2.xml");
	slurp(path, &in);
	ok(verify(adullact, &in, 0, NULL, 0, &r) == 0 && r.valid && r.nsig == 1,
	   "signature_bordereau2.xml (XAdES 1.2.2): valid");
	if (!r.valid)
		dump_failures(&r);
	sign_report_fini(&r);
	buf_fini(&in);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!tap_fixture(path, sizeof(path), bad[i]))
			continue;
		slurp(path, &in);
		ok(verify(adullact, &in, 0, NULL, 0, &r) == 0 && !r.valid && r.nsig >= 1 &&
		   check_is(&r, "core", 0, 0), "%s fails core verification", bad[i]);
		sign_report_fini(&r);
		buf_fini(&in);
	}
}

/* DSS-made detached XAdES and CAdES of i-Parapheur (reference without URI) */
static void
test_parapheur(void)
{
	char x[512], c[512], pdf[512], root_ca[512], int_ca[512], l[600], rp[PATH_MAX], dir[300];
	struct buf sig, cms, data;
	struct sign_report r = { 0 };

	if (!tap_fixture(x, sizeof(x), "parapheur-v5/files/formats/PDF_sans_tags/signature_xades.xml") ||
	    !tap_fixture(c, sizeof(c), "parapheur-v5/files/formats/PDF_sans_tags/signature_cades.p7s") ||
	    !tap_fixture(pdf, sizeof(pdf), "parapheur-v5/files/formats/PDF_sans_tags/PDF_sans_tags.pdf") ||
	    !tap_fixture(root_ca, sizeof(root_ca), "parapheur-v5/files/certificates/signature/ca-root.pem") ||
	    !tap_fixture(int_ca, sizeof(int_ca),
			 "parapheur-v5/files/certificates/signature/ca-intermediate.pem"))
		return;
	snprintf(dir, sizeof(dir), "%s/libriciel", tmp);
	mkdir(dir, 0700);
	snprintf(l, sizeof(l), "%s/root.pem", dir);
	if (!realpath(root_ca, rp) || symlink(rp, l))
		return;
	snprintf(l, sizeof(l), "%s/int.pem", dir);
	if (!realpath(int_ca, rp) || symlink(rp, l))
		return;
	slurp(x, &sig);
	slurp(c, &cms);
	slurp(pdf, &data);
	ok(verify(dir, &sig, 0, data.data, data.len, &r) == 0 && r.valid,
	   "i-Parapheur detached XAdES (reference without URI) valid over its PDF");
	if (!r.valid)
		dump_failures(&r);
	sign_report_fini(&r);
	ok(verify(dir, &sig, 0, "%PDF-1.4 x", 10, &r) == 0 && !r.valid && check_is(&r, "core", 0, 0),
	   "the same signature over other data: core fails");
	sign_report_fini(&r);
	ok(!subst(&sig, "SigningTime>2022-02-15T08:40:17Z<", "SigningTime>2022-02-14T08:40:17Z<") &&
	   verify(dir, &sig, 0, data.data, data.len, &r) == 0 && !r.valid && check_is(&r, "core", 0, 0),
	   "a changed SigningTime in that signature: core fails");
	sign_report_fini(&r);
	ok(verify(dir, &cms, 0, data.data, data.len, &r) == 0 && r.valid && !strcmp(r.format, "cades"),
	   "i-Parapheur CAdES (PEM) valid over its PDF");
	sign_report_fini(&r);
	buf_fini(&sig);
	buf_fini(&cms);
	buf_fini(&data);
}

/* ---- generic XAdES, time-stamps, CAdES ---- */

static int
local_tsa(void *arg, const void *req, size_t reqlen, struct buf *resp, struct lerr *e)
{
	TS_RESP_CTX *c = TS_RESP_CTX_new();
	BIO *in = BIO_new_mem_buf(req, (int)reqlen);
	TS_RESP *rs;
	ASN1_OBJECT *pol = OBJ_txt2obj("1.2.3.4.1", 1);
	unsigned char *der = NULL;
	int len;

	(void)arg;
	TS_RESP_CTX_set_signer_cert(c, tsa.cert);
	TS_RESP_CTX_set_signer_key(c, tsa.key);
	TS_RESP_CTX_set_def_policy(c, pol);
	TS_RESP_CTX_add_md(c, EVP_sha256());
	rs = TS_RESP_create_response(c, in);
	len = rs ? i2d_TS_RESP(rs, &der) : -1;
	if (len <= 0 || buf_add(resp, der, (size_t)len))
		lerr_set(e, LERR_UNAVAILABLE, NULL, "local TSA failed");
	OPENSSL_free(der);
	TS_RESP_free(rs);
	ASN1_OBJECT_free(pol);
	BIO_free(in);
	TS_RESP_CTX_free(c);
	return len > 0 ? 0 : LERR_UNAVAILABLE;
}

static void
test_xades_generic(void)
{
	static const char pdf[] = "%PDF-1.4\n% a small test document\n%%EOF\n";
	struct sign_key k;
	struct sign_xades_opts o = { .data_name = "acte n°1.pdf", .mime_type = "application/pdf" };
	struct sign_tsa t = { .post = local_tsa };
	struct buf out, x;
	struct sign_report r = { 0 };
	struct lerr e;
	int rc;

	key_of(&signer, &k);
	buf_init(&out, 1 << 20);
	rc = sign_xades(&k, &o, pdf, sizeof(pdf) - 1, &out, &e);
	ok(rc == 0, "XAdES B-B detached signature (%s %s)", e.msg, e.detail);
	ok(strstr(out.data, "URI=\"acte%20n%C2%B01.pdf\"") && strstr(out.data, "SigningCertificateV2") &&
	   strstr(out.data, "<xades:MimeType>application/pdf</xades:MimeType>") &&
	   strstr(out.data, "http://uri.etsi.org/01903/v1.3.2#"), "B-B: file reference, "
	   "SigningCertificateV2, DataObjectFormat, 1.3.2 namespace");
	ok(verify(trust, &out, 0, pdf, sizeof(pdf) - 1, &r) == 0 && r.valid,
	   "B-B detached verifies with the data");
	if (!r.valid)
		dump_failures(&r);
	sign_report_fini(&r);
	ok(verify(trust, &out, 0, "%PDF-1.4 other", 14, &r) == 0 && !r.valid && check_is(&r, "core", 0, 0),
	   "B-B detached with other data: core fails");
	sign_report_fini(&r);
	{
		struct sign_verify_opts vo = { .trust_dir = trust, .data = pdf, .datalen = sizeof(pdf) - 1,
					       .data_name = "acte n°1.pdf" };

		ok(sign_verify(&vo, out.data, out.len, &r, &e) == 0 && r.valid &&
		   !sign_report_find(&r, "data_reference", 0)->warning,
		   "B-B detached: the escaped URI names the given file");
		sign_report_fini(&r);
		vo.data_name = "renamed.pdf";
		ok(sign_verify(&vo, out.data, out.len, &r, &e) == 0 && r.valid &&
		   sign_report_find(&r, "data_reference", 0)->warning,
		   "B-B detached over a renamed file: valid, with a warning");
		sign_report_fini(&r);
	}
	ok(verify(trust, &out, 0, NULL, 0, &r) == 0 && !r.valid &&
	   check_is(&r, "references_allowed", 0, 0), "B-B detached without data: the file is never fetched");
	sign_report_fini(&r);

	buf_reset(&out);
	o.tsa = &t;
	rc = sign_xades(&k, &o, pdf, sizeof(pdf) - 1, &out, &e);
	ok(rc == 0 && strstr(out.data, "EncapsulatedTimeStamp"), "XAdES B-T with a time-stamp (%s %s)",
	   e.msg, e.detail);
	ok(verify(trust, &out, 0, pdf, sizeof(pdf) - 1, &r) == 0 && r.valid &&
	   check_is(&r, "timestamp", 0, 1), "B-T verifies, time-stamp checked");
	if (!r.valid)
		dump_failures(&r);
	sign_report_fini(&r);
	buf_init(&x, 1 << 20);
	if (!buf_add(&x, out.data, out.len)) {
		char *sv = strstr(x.data, "<ds:SignatureValue");

		sv = strchr(sv, '>') + 1;
		*sv = *sv == 'A' ? 'B' : 'A';
		ok(verify(trust, &x, 0, pdf, sizeof(pdf) - 1, &r) == 0 && !r.valid &&
		   check_is(&r, "timestamp", 0, 0), "B-T: a changed SignatureValue breaks the time-stamp imprint");
		sign_report_fini(&r);
	}
	buf_fini(&x);
	buf_reset(&out);
	o.now = now + DAY;
	ok(sign_xades(&k, &o, pdf, sizeof(pdf) - 1, &out, &e) == 0 &&
	   verify(trust, &out, 0, pdf, sizeof(pdf) - 1, &r) == 0 && !r.valid &&
	   check_is(&r, "timestamp", 0, 0), "B-T: a time-stamp older than the claimed SigningTime fails");
	sign_report_fini(&r);
	o.now = 0;

	buf_reset(&out);
	o.tsa = NULL;
	o.enveloped = 1;
	rc = sign_xades(&k, &o, "<doc><a>1</a></doc>", 19, &out, &e);
	ok(rc == 0 && strstr(out.data, "URI=\"\""), "XAdES B-B enveloped in an XML document");
	ok(verify(trust, &out, 0, NULL, 0, &r) == 0 && r.valid, "enveloped B-B verifies");
	sign_report_fini(&r);
	buf_fini(&out);
	sign_key_fini(&k);
}

static void
test_cades(void)
{
	static const char pdf[] = "%PDF-1.4\nacte\n%%EOF\n";
	struct sign_key k;
	struct buf out, b64;
	struct sign_report r = { 0 };
	struct lerr e;
	char p7[512], dat[512], ca[512], cmd[2048];
	FILE *f;

	key_of(&signer, &k);
	buf_init(&out, 1 << 20);
	buf_init(&b64, 1 << 20);
	ok(sign_cades(&k, pdf, sizeof(pdf) - 1, 0, &out, &e) == 0, "CAdES detached signature");
	ok(verify(trust, &out, 0, pdf, sizeof(pdf) - 1, &r) == 0 && r.valid && !strcmp(r.format, "cades"),
	   "liasse verifies the CAdES signature");
	if (!r.valid)
		dump_failures(&r);
	sign_report_fini(&r);
	ok(verify(trust, &out, 0, "x", 1, &r) == 0 && !r.valid && check_is(&r, "core", 0, 0),
	   "CAdES over other data: core fails");
	sign_report_fini(&r);
	ok(sign_cades(&k, pdf, sizeof(pdf) - 1, 1, &b64, &e) == 0 &&
	   verify(trust, &b64, 0, pdf, sizeof(pdf) - 1, &r) == 0 && r.valid,
	   "base64 CAdES (as actes:Document/Signature) verifies");
	sign_report_fini(&r);
	snprintf(p7, sizeof(p7), "%s/sig.p7s", tmp);
	snprintf(dat, sizeof(dat), "%s/acte.pdf", tmp);
	snprintf(ca, sizeof(ca), "%s/ca.pem", tmp);
	f = fopen(p7, "wb");
	fwrite(out.data, 1, out.len, f);
	fclose(f);
	f = fopen(dat, "wb");
	fwrite(pdf, 1, sizeof(pdf) - 1, f);
	fclose(f);
	f = fopen(ca, "w");
	PEM_write_X509(f, root.cert);
	PEM_write_X509(f, inter.cert);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "openssl cms -verify -binary -inform DER -in %s -content %s "
		 "-CAfile %s -purpose any -out /dev/null 2>/dev/null", p7, dat, ca);
	is_int(system(cmd), 0, "openssl cms -verify accepts liasse's CAdES signature");
	buf_fini(&out);
	buf_fini(&b64);
	sign_key_fini(&k);
}

static void
test_report_json(void)
{
	struct sign_report r = { 0 };
	json_t *j;

	if (!pes_signed.len)
		return;
	verify(trust, &pes_signed, 0, NULL, 0, &r);
	j = sign_report_json(&r);
	ok(j && json_is_true(json_object_get(j, "valid")) &&
	   json_array_size(json_object_get(j, "checks")) == r.n &&
	   json_is_string(json_object_get(json_array_get(json_object_get(j, "checks"), 0), "reason_fr")),
	   "the JSON report lists every check with French and English reasons");
	json_decref(j);
	sign_report_fini(&r);
}

static void
test_keys(void)
{
	struct sign_key k;
	struct lerr e;
	PKCS12 *p12 = PKCS12_create("secret", "signer", signer.key, signer.cert, NULL, 0, 0, 0, 0, 0);
	unsigned char *der = NULL;
	int len = i2d_PKCS12(p12, &der);
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	ok(sign_key_from_p12(&k, der, (size_t)len, "secret", &e) == 0 && k.cert, "PKCS#12 from memory");
	sign_key_fini(&k);
	is_int(sign_key_from_p12(&k, der, (size_t)len, "wrong", &e), LERR_INVALID,
	       "PKCS#12 with a wrong password: LERR_INVALID (422, the administrator's input)");
	is_str(e.field, "password", "... naming the field password");
	is_int(sign_key_from_p12(&k, "not a p12", 9, "secret", &e), LERR_INVALID, "not a PKCS#12: LERR_INVALID");
	is_str(e.field, "file", "... naming the field file");
	{
		PKCS12 *kp = PKCS12_create("secret", "key only", signer.key, NULL, NULL, 0, 0, 0, 0, 0);
		unsigned char *kder = NULL;
		int klen = i2d_PKCS12(kp, &kder);

		is_int(sign_key_from_p12(&k, kder, (size_t)klen, "secret", &e), LERR_INVALID,
		       "PKCS#12 without a certificate: LERR_INVALID");
		ok(!strcmp(e.field, "file") && strstr(e.msg, "no certificate") && strstr(e.hint, "pkcs12 -export"),
		   "... naming the field file, with the export command as hint");
		OPENSSL_free(kder);
		PKCS12_free(kp);
	}
	PEM_write_bio_PrivateKey(b, signer.key, NULL, NULL, 0, NULL, NULL);
	PEM_write_bio_X509(b, signer.cert);
	n = BIO_get_mem_data(b, &pem);
	ok(sign_key_from_pem(&k, pem, (size_t)n, NULL, 0, NULL, &e) == 0 && k.pkey && k.cert,
	   "PEM key and certificate");
	sign_key_fini(&k);
	BIO_free(b);
	OPENSSL_free(der);
	PKCS12_free(p12);
}

/* ---- OCSP: an `openssl ocsp` responder for the intermediate ---- */

static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

/* Is someone listening on port?  Probed by binding it (a connection would
 * hold up the one-connection-at-a-time openssl responder). */
static int
port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int s = socket(AF_INET, SOCK_STREAM, 0), r;

	a.sin_addr.s_addr = htonl(INADDR_ANY);
	r = s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) != 0;
	if (s >= 0)
		close(s);
	return r;
}

static void
test_ocsp(void)
{
	char idx[512], ca[512], key[512], dir[512], url[64], portstr[16];
	struct sign_verify_opts o = { 0 };
	struct sign_report r = { 0 };
	struct buf out;
	struct lerr e;
	pid_t pid;
	FILE *f;
	int port = free_port(), i;

	if (!pes_in.len || port < 0)
		return;
	snprintf(idx, sizeof(idx), "%s/index.txt", tmp);
	snprintf(ca, sizeof(ca), "%s/inter.pem", tmp);
	snprintf(key, sizeof(key), "%s/inter.key", tmp);
	snprintf(dir, sizeof(dir), "%s/nocrl", tmp);
	mkdir(dir, 0700);
	write_pem(dir, "root.pem", root.cert, NULL);
	write_pem(dir, "inter.pem", inter.cert, NULL);
	write_pem(tmp, "inter.pem", inter.cert, NULL);
	f = fopen(key, "w");
	PEM_write_PrivateKey(f, inter.key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	f = fopen(idx, "w");
	fprintf(f, "V\t451231000000Z\t\t64\tunknown\t/CN=Jeanne Ordonnatrice\n");
	fprintf(f, "R\t451231000000Z\t200101000000Z\t65\tunknown\t/CN=Paul Revoque\n");
	fclose(f);
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((pid = fork()) == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execlp("openssl", "openssl", "ocsp", "-index", idx, "-port", portstr, "-CA", ca,
		       "-rsigner", ca, "-rkey", key, "-nmin", "60", "-ignore_err", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 50 && !port_open(port); i++)
		usleep(100000);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	o.trust_dir = dir;
	o.ocsp_url = url;
	sign_report_init(&r);
	ok(sign_verify(&o, pes_signed.data, pes_signed.len, &r, &e) == 0 && r.valid &&
	   check_is(&r, "revocation", 0, 1) && !sign_report_find(&r, "revocation", 0)->warning,
	   "OCSP: a good certificate passes the revocation check");
	if (!r.valid)
		dump_failures(&r);
	sign_report_fini(&r);
	if (pes_sign(&revoked, SIGN_XADES_111, &pes_in, &out, &e) == 0) {
		sign_report_init(&r);
		ok(sign_verify(&o, out.data, out.len, &r, &e) == 0 && !r.valid &&
		   check_is(&r, "revocation", 0, 0) && strstr(sign_report_find(&r, "revocation", 0)->reason_en,
							     "revoked (OCSP)"),
		   "OCSP: a revoked certificate fails the revocation check");
		sign_report_fini(&r);
	}
	buf_fini(&out);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* ---- several threads ---- */

static void *
sign_loop(void *arg)
{
	struct id *who = arg;
	struct sign_report r = { 0 };
	struct buf out;
	struct lerr e;
	long good = 0;
	int i;

	for (i = 0; i < 25; i++) {
		if (pes_sign(who, SIGN_XADES_111, &pes_in, &out, &e) == 0 &&
		    verify(trust, &out, 0, NULL, 0, &r) == 0 && r.valid)
			good++;
		sign_report_fini(&r);
		buf_fini(&out);
	}
	return (void *)good;
}

static void
test_threads(void)
{
	pthread_t t[3];
	struct id *who[3] = { &signer, &twin, &signer };
	void *res;
	long good = 0;
	int i;

	if (!pes_in.len)
		return;
	for (i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, sign_loop, who[i]);
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], &res);
		good += (long)res;
	}
	is_int(good, 75, "3 threads sign and verify 25 PES each, all valid");
}

/* ---- the CLI (liasse sign / liasse verify) ---- */

static int
run_cli(int (*fn)(int, char **), const char *out_path, const char *a0, ...)
{
	char *argv[32];
	int argc = 0, rc, saved;
	va_list ap;
	const char *s;

	argv[argc++] = (char *)a0;
	va_start(ap, a0);
	while (argc < 31 && (s = va_arg(ap, const char *)))
		argv[argc++] = (char *)s;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	saved = dup(1);
	if (!freopen(out_path ? out_path : "/dev/null", "w", stdout))
		return -1;
	rc = fn(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	clearerr(stdout);
	return rc;
}

static void
test_cli(void)
{
	char p12[512], pass[512], in[512], out[512], bad[512], js[512];
	STACK_OF(X509) *ch = sk_X509_new_null();
	PKCS12 *p;
	json_t *j;
	FILE *f;

	if (!pes_in.len)
		return;
	snprintf(p12, sizeof(p12), "%s/signer.p12", tmp);
	snprintf(pass, sizeof(pass), "%s/signer.pass", tmp);
	snprintf(in, sizeof(in), "%s/pes.xml", tmp);
	snprintf(out, sizeof(out), "%s/pes.signed.xml", tmp);
	snprintf(bad, sizeof(bad), "%s/pes.bad.xml", tmp);
	snprintf(js, sizeof(js), "%s/report.json", tmp);
	sk_X509_push(ch, inter.cert);
	p = PKCS12_create("s3cret", "signer", signer.key, signer.cert, ch, 0, 0, 0, 0, 0);
	f = fopen(p12, "wb");
	i2d_PKCS12_fp(f, p);
	fclose(f);
	PKCS12_free(p);
	sk_X509_free(ch);
	f = fopen(pass, "w");
	fputs("s3cret\n", f);
	fclose(f);
	chmod(pass, 0600);
	f = fopen(in, "wb");
	fwrite(pes_in.data, 1, pes_in.len, f);
	fclose(f);
	is_int(run_cli(cli_sign_main, NULL, "sign", "--profile", "pes", "--p12", p12, "--pass-file", pass,
		       "--city", "Céret", "--postal-code", "66400", "--role", "Ordonnateur", in, out, NULL),
	       0, "liasse sign --profile pes exits 0");
	is_int(run_cli(cli_verify_main, NULL, "verify", out, "--trust", trust, NULL), 0,
	       "liasse verify of the signed PES exits 0");
	is_int(run_cli(cli_verify_main, js, "verify", out, "--trust", trust, "--json", NULL), 0,
	       "liasse verify --json exits 0");
	j = json_load_file(js, 0, NULL);
	ok(j && json_is_true(json_object_get(j, "valid")), "--json prints the report as JSON");
	json_decref(j);
	is_int(run_cli(cli_verify_main, NULL, "verify", out, "--trust", other_trust, NULL), 1,
	       "liasse verify with other anchors exits 1");
	is_int(run_cli(cli_verify_main, NULL, "verify", in, "--trust", trust, NULL), 1,
	       "liasse verify of an unsigned file exits 1");
	is_int(run_cli(cli_sign_main, NULL, "sign", "--profile", "nope", "--p12", p12, "--pass-file",
		       pass, in, out, NULL), 2, "liasse sign with a bad profile exits 2");
	is_int(run_cli(cli_verify_main, NULL, "verify", NULL), 2, "liasse verify without FILE exits 2");
	is_int(run_cli(cli_sign_main, NULL, "sign", "--profile", "pes", "--p12", p12, "--pass-file",
		       pass, bad, out, NULL), 1, "liasse sign of a missing file exits 1");
	chmod(pass, 0644);
	is_int(run_cli(cli_sign_main, NULL, "sign", "--profile", "pes", "--p12", p12, "--pass-file",
		       pass, in, bad, NULL), 1, "a password file readable by others is refused");
}

static void
cleanup_tmp(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", tmp);
}

int
main(void)
{
	struct lerr e;

	now = time(NULL);
	snprintf(tmp, sizeof(tmp), "%s/liasse-sign-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		tap_skip_all("no temporary directory");
	sign_set_http_post(xmit_post_bytes);
	if (sign_init(&e))
		tap_skip_all("sign_init failed");
	make_pki();
	test_keys();
	test_pes_sign();
	test_pes_122();
	test_pes_multi();
	test_pes_wrapping();
	test_pes_targets();
	test_pes_ecdsa();
	test_pes_crlf_utf8();
	test_xxe();
	test_bombs();
	test_attacks();
	test_moved_reference();
	test_cert_attacks();
	test_fixtures();
	test_parapheur();
	test_xades_generic();
	test_cades();
	test_report_json();
	test_ocsp();
	test_threads();
	test_cli();
	cleanup_tmp();
	return tap_done();
}
