/*
 * trust.c - trust decisions with our own X509_STORE, built only from the
 * configured directory of PEM certificates and CRLs (never the system
 * bundle).  Every configured certificate is an anchor (partial chains).
 */
#include "sign/sign_int.h"

#include <dirent.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static int
load_file(struct trust *t, const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	STACK_OF(X509_INFO) *inf;
	X509_INFO *xi;
	int i, rc = 0;

	if (!b)
		return -1;
	inf = PEM_X509_INFO_read_bio(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!inf)
		return -1;
	for (i = 0; i < sk_X509_INFO_num(inf); i++) {
		xi = sk_X509_INFO_value(inf, i);
		if (xi->x509 && (!X509_STORE_add_cert(t->store, xi->x509) ||
				 !sk_X509_push(t->certs, X509_dup(xi->x509))))
			rc = -1;
		if (xi->crl && (!X509_STORE_add_crl(t->store, xi->crl) ||
				!sk_X509_CRL_push(t->crls, X509_CRL_dup(xi->crl))))
			rc = -1;
	}
	sk_X509_INFO_pop_free(inf, X509_INFO_free);
	ERR_clear_error();
	return rc;
}

static int
wanted(const char *name)
{
	const char *dot = strrchr(name, '.');

	return name[0] != '.' && dot && (!strcmp(dot, ".pem") || !strcmp(dot, ".crt") ||
					 !strcmp(dot, ".crl") || !strcmp(dot, ".cer"));
}

int
trust_load(struct trust *t, const char *dir, struct lerr *e)
{
	DIR *d;
	struct dirent *de;
	char path[4096];
	int rc = 0;

	memset(t, 0, sizeof(*t));
	/* a server-side setting: LERR_UNAVAILABLE, not the caller's fault */
	if (!dir || !*dir) {
		lerr_set(e, LERR_UNAVAILABLE, "trust_dir", "no trust directory configured");
		lerr_hint(e, "set trust_dir (or pass --trust DIR) to the PEM anchors and CRLs");
		return e->kind;
	}
	if (!(d = opendir(dir))) {
		lerr_set(e, LERR_UNAVAILABLE, "trust_dir", "cannot open the trust directory %s", dir);
		lerr_hint(e, "set trust_dir to a directory of PEM certificates and CRLs");
		return e->kind;
	}
	t->store = X509_STORE_new();
	t->certs = sk_X509_new_null();
	t->crls = sk_X509_CRL_new_null();
	if (!t->store || !t->certs || !t->crls)
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	while (!rc && (de = readdir(d))) {
		if (!wanted(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (load_file(t, path))
			rc = lerr_set(e, LERR_UNAVAILABLE, "trust_dir", "cannot read %s", path);
	}
	closedir(d);
	if (rc)
		trust_fini(t);
	return rc;
}

void
trust_fini(struct trust *t)
{
	X509_STORE_free(t->store);
	sk_X509_pop_free(t->certs, X509_free);
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	memset(t, 0, sizeof(*t));
}

/*
 * Revocation by the configured CRLs, done here rather than by OpenSSL's
 * CRL_CHECK: OpenSSL would refuse a CRL issued after the checking time as
 * "not yet valid", yet a later CRL is the best evidence about a past
 * signature.  A CRL counts when its issuer is the certificate's issuer and
 * its signature verifies with the issuer's key.  Returns 0 not listed,
 * 1 revoked (*rev: revocation date), -1 no usable CRL.
 */
static int
crl_status(struct trust *t, X509 *cert, X509 *issuer, time_t *rev)
{
	X509_CRL *crl;
	X509_REVOKED *rv;
	struct tm tm;
	int i, seen = 0;

	for (i = 0; i < sk_X509_CRL_num(t->crls); i++) {
		crl = sk_X509_CRL_value(t->crls, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) ||
		    X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1)
			continue;
		seen = 1;
		if (X509_CRL_get0_by_cert(crl, &rv, cert) == 1) {
			*rev = ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(rv), &tm) ?
			       timegm(&tm) : 0;
			ERR_clear_error();
			return 1;
		}
	}
	ERR_clear_error();
	return seen ? 0 : -1;
}

int
trust_verify(struct trust *t, X509 *cert, STACK_OF(X509) *untrusted, time_t at,
	     int purpose_tsa, X509 **issuer, char *msg, size_t msgsz)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	int err = X509_V_ERR_UNSPECIFIED;

	msg[0] = '\0';
	if (!ctx || !X509_STORE_CTX_init(ctx, t->store, cert, untrusted))
		goto out;
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_USE_CHECK_TIME);
	X509_VERIFY_PARAM_set_time(vp, at);
	if (purpose_tsa)
		X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_TIMESTAMP_SIGN);
	if (X509_verify_cert(ctx) == 1)
		err = 0;
	else
		err = X509_STORE_CTX_get_error(ctx);
	if (issuer && !err) {
		STACK_OF(X509) *ch = X509_STORE_CTX_get0_chain(ctx);

		*issuer = sk_X509_num(ch) > 1 ? sk_X509_value(ch, 1) : sk_X509_value(ch, 0);
		X509_up_ref(*issuer);
	}
	if (err)
		snprintf(msg, msgsz, "%s (depth %d)", X509_verify_cert_error_string(err),
			 X509_STORE_CTX_get_error_depth(ctx));
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return err;
}

void
revoked_report(time_t rev, time_t at, int proven, const char *how, struct sign_report *r, int sig)
{
	char fr[320], en[320];

	if (rev > at && proven) {
		snprintf(fr, sizeof(fr), "révoqué (%s) après l'heure de signature horodatée", how);
		snprintf(en, sizeof(en), "revoked (%s) after the time-stamped signing time", how);
		rep_add(r, sig, "revocation", 1, 1, fr, en);
	} else if (rev > at) {
		snprintf(fr, sizeof(fr), "certificat révoqué (%s) ; sans horodatage, l'heure de signature "
			 "déclarée ne prouve pas que la signature précède la révocation", how);
		snprintf(en, sizeof(en), "certificate revoked (%s); without a time-stamp the claimed "
			 "signing time does not prove the signature predates the revocation", how);
		rep_add(r, sig, "revocation", 0, 0, fr, en);
	} else {
		snprintf(fr, sizeof(fr), "certificat révoqué (%s)", how);
		snprintf(en, sizeof(en), "certificate revoked (%s)", how);
		rep_add(r, sig, "revocation", 0, 0, fr, en);
	}
}

static void
crl_report(struct trust *t, X509 *cert, X509 *issuer, time_t at, int proven, struct sign_report *r,
	   int sig)
{
	time_t rev = 0;
	int st = crl_status(t, cert, issuer, &rev);

	if (st == 1)
		revoked_report(rev, at, proven, "LCR/CRL", r, sig);
	else if (st == 0)
		rep_add(r, sig, "revocation", 1, 0, "non révoqué selon la LCR configurée",
			"not revoked according to the configured CRL");
	else
		rep_add(r, sig, "revocation", 1, 1, "aucune LCR ni OCSP configurés pour cet émetteur",
			"no CRL or OCSP configured for this issuer");
}

/* The chain and revocation checks of one signature, into the report. */
void
trust_report(struct trust *t, X509 *cert, STACK_OF(X509) *untrusted, time_t at, int proven,
	     const char *ocsp_url, struct sign_report *r, int sig)
{
	char msg[256], fr[400], en[400], ts[32];
	X509 *issuer = NULL;
	int err;

	sx_time_iso(at, ts, sizeof(ts));
	if (sig >= 0 && (size_t)sig < r->nsig)
		snprintf(r->sigs[sig].checked_at, sizeof(r->sigs[sig].checked_at), "%s", ts);
	err = trust_verify(t, cert, untrusted, at, 0, &issuer, msg, sizeof(msg));
	if (err) {
		snprintf(fr, sizeof(fr), "certificat non reconnu au %s : %s", ts, msg);
		snprintf(en, sizeof(en), "certificate not trusted at %s: %s", ts, msg);
		rep_add(r, sig, "chain", 0, 0, fr, en);
		return;
	}
	snprintf(fr, sizeof(fr), "chaîne valide au %s jusqu'à une autorité configurée", ts);
	snprintf(en, sizeof(en), "chain valid at %s to a configured anchor", ts);
	rep_add(r, sig, "chain", 1, 0, fr, en);
	if (ocsp_url && *ocsp_url && crl_status(t, cert, issuer, &(time_t){ 0 }) != 1)
		ocsp_report(t, cert, issuer, untrusted, at, proven, ocsp_url, r, sig);
	else
		crl_report(t, cert, issuer, at, proven, r, sig);
	X509_free(issuer);
}
