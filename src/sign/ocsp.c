/*
 * ocsp.c - ask the configured OCSP responder about a signing certificate.
 * The request carries a nonce; the reply must be signed by a responder that
 * chains to the configured anchors (or by the issuer), fresh, and name the
 * certificate.  A revocation after a time-stamped signing time is only a
 * warning; after a time the signer merely claims, it fails (see trust_report).
 */
#include "sign/sign_int.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "core/config.h"

const char *
sx_ocsp_url(const struct sign_verify_opts *o)
{
	return o->ocsp_url ? o->ocsp_url : config_str("ocsp_url");
}

static OCSP_RESPONSE *
ask(OCSP_REQUEST *rq, const char *url, char *msg, size_t msgsz)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_OCSP_REQUEST(rq, &der);
	OCSP_RESPONSE *rs = NULL;
	struct buf resp;
	struct lerr e;

	buf_init(&resp, 1 << 20);
	lerr_clear(&e);
	if (len <= 0)
		snprintf(msg, msgsz, "cannot encode the request");
	else if (sx_http_post(url, "application/ocsp-request", der, (size_t)len, &resp, &e))
		snprintf(msg, msgsz, "%.120s %.120s", e.msg, e.detail);
	else if (!(p = (const unsigned char *)resp.data) ||
		 !(rs = d2i_OCSP_RESPONSE(NULL, &p, (long)resp.len)))
		snprintf(msg, msgsz, "not an OCSP response");
	OPENSSL_free(der);
	buf_fini(&resp);
	return rs;
}

/* 0 good, 1 revoked (*rev set), -1 error or unknown (msg set). */
static int
status_of(struct trust *t, OCSP_REQUEST *rq, OCSP_RESPONSE *rs, OCSP_CERTID *id,
	  STACK_OF(X509) *untrusted, time_t *rev, char *msg, size_t msgsz)
{
	OCSP_BASICRESP *bs = NULL;
	ASN1_GENERALIZEDTIME *rt = NULL, *tu = NULL, *nu = NULL;
	int st = -1, reason, rc = -1;
	struct tm tm;

	if (OCSP_response_status(rs) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    !(bs = OCSP_response_get1_basic(rs))) {
		snprintf(msg, msgsz, "responder error");
		goto out;
	}
	if (OCSP_check_nonce(rq, bs) <= 0) {
		snprintf(msg, msgsz, "nonce mismatch");
		goto out;
	}
	if (OCSP_basic_verify(bs, untrusted, t->store, 0) <= 0) {
		snprintf(msg, msgsz, "response signature not trusted");
		goto out;
	}
	if (!OCSP_resp_find_status(bs, id, &st, &reason, &rt, &tu, &nu) ||
	    !OCSP_check_validity(tu, nu, 300, -1)) {
		snprintf(msg, msgsz, "no fresh status for this certificate");
		goto out;
	}
	if (st == V_OCSP_CERTSTATUS_GOOD)
		rc = 0;
	else if (st == V_OCSP_CERTSTATUS_REVOKED) {
		rc = 1;
		*rev = rt && ASN1_TIME_to_tm(rt, &tm) ? timegm(&tm) : 0;
	} else
		snprintf(msg, msgsz, "certificate unknown to the responder");
out:
	OCSP_BASICRESP_free(bs);
	ERR_clear_error();
	return rc;
}

void
ocsp_report(struct trust *t, X509 *cert, X509 *issuer, STACK_OF(X509) *untrusted,
	    time_t at, int proven, const char *url, struct sign_report *r, int sig)
{
	OCSP_REQUEST *rq = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, cert, issuer), *id2 = NULL;
	OCSP_RESPONSE *rs = NULL;
	char msg[256] = "out of memory", fr[400], en[400];
	time_t rev = 0;
	int st = -1;

	if (rq && id && (id2 = OCSP_CERTID_dup(id)) && OCSP_request_add0_id(rq, id2)) {
		id2 = NULL;
		if (OCSP_request_add1_nonce(rq, NULL, -1) && (rs = ask(rq, url, msg, sizeof(msg))))
			st = status_of(t, rq, rs, id, untrusted, &rev, msg, sizeof(msg));
	}
	if (st == 0) {
		rep_add(r, sig, "revocation", 1, 0, "non révoqué selon le répondeur OCSP",
			"not revoked according to the OCSP responder");
	} else if (st == 1) {
		revoked_report(rev, at, proven, "OCSP", r, sig);
	} else {
		snprintf(fr, sizeof(fr), "statut OCSP indisponible : %.200s", msg);
		snprintf(en, sizeof(en), "OCSP status unavailable: %.200s", msg);
		rep_add(r, sig, "revocation", 0, 0, fr, en);
	}
	OCSP_CERTID_free(id2);
	OCSP_CERTID_free(id);
	OCSP_RESPONSE_free(rs);
	OCSP_REQUEST_free(rq);
	ERR_clear_error();
}
