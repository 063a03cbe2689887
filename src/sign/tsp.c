/*
 * tsp.c - RFC 3161 time-stamps: the request (with a nonce), the checks of
 * the reply (status, nonce, imprint, signature and TSA chain) and of a
 * token found in a signature.  The bytes travel through the poster the
 * program installed (sign_set_http_post(): transmit/tsa.c in liassed).
 */
#include "sign/sign_int.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include "core/config.h"
#include "core/log.h"

static sign_http_post_fn *http_post;

void
sign_set_http_post(sign_http_post_fn *fn)
{
	http_post = fn;
}

int
sx_http_post(const char *url, const char *ctype, const void *req, size_t len,
	     struct buf *resp, struct lerr *e)
{
	if (!http_post)
		return lerr_set(e, LERR_UNAVAILABLE, NULL, "no HTTP client in this program for %s",
				url && *url ? url : "(no URL)");
	return http_post(url, ctype, req, len, resp, e);
}

static int
tst_time(TS_TST_INFO *ti, time_t *t)
{
	const ASN1_GENERALIZEDTIME *g = ti ? TS_TST_INFO_get_time(ti) : NULL;
	struct tm tm;

	if (!g || !ASN1_TIME_to_tm(g, &tm))
		return -1;
	*t = timegm(&tm);
	return 0;
}

static void
ssl_msg(char *msg, size_t msgsz, const char *what)
{
	char tmp[200] = "";
	unsigned long c = ERR_peek_last_error();

	if (c)
		ERR_error_string_n(c, tmp, sizeof(tmp));
	snprintf(msg, msgsz, "%s%s%s", what, tmp[0] ? ": " : "", tmp);
	ERR_clear_error();
}

/* A store for the TSA: the configured anchors at time at.  Without
 * anchors (signing without trust_dir), the token's own certificates. */
static X509_STORE *
tsa_store(struct trust *t, PKCS7 *tok, time_t at)
{
	X509_STORE *s = t && t->store ? t->store : X509_STORE_new();
	STACK_OF(X509) *certs = tok && PKCS7_type_is_signed(tok) ? tok->d.sign->cert : NULL;
	X509_VERIFY_PARAM *vp;
	int i;

	if (!s)
		return NULL;
	if (t && t->store)
		X509_STORE_up_ref(s);
	else
		for (i = 0; i < sk_X509_num(certs); i++)
			X509_STORE_add_cert(s, sk_X509_value(certs, i));
	vp = X509_STORE_get0_param(s);
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_PARTIAL_CHAIN);
	X509_VERIFY_PARAM_set_time(vp, at);
	return s;
}

int
tsp_check_token(const unsigned char *tok, size_t len, const unsigned char digest[32],
		struct trust *t, time_t *gentime, char *msg, size_t msgsz)
{
	const unsigned char *p = tok;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)len);
	TS_TST_INFO *ti = p7 ? PKCS7_to_TS_TST_INFO(p7) : NULL;
	TS_VERIFY_CTX *vc = NULL;
	X509_STORE *s;
	unsigned char *imp;
	int rc = -1;

	if (!ti || tst_time(ti, gentime)) {
		ssl_msg(msg, msgsz, "not an RFC 3161 token");
		goto out;
	}
	if (!(vc = TS_VERIFY_CTX_new()) || !(imp = OPENSSL_memdup(digest, 32)))
		goto out;
	TS_VERIFY_CTX_set_flags(vc, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
	TS_VERIFY_CTX_set_imprint(vc, imp, 32);
	if (!(s = tsa_store(t, p7, *gentime)))
		goto out;
	TS_VERIFY_CTX_set_store(vc, s);
	if (TS_RESP_verify_token(vc, p7) != 1) {
		ssl_msg(msg, msgsz, "token does not verify");
		goto out;
	}
	rc = 0;
out:
	TS_VERIFY_CTX_free(vc);
	TS_TST_INFO_free(ti);
	PKCS7_free(p7);
	return rc;
}

static TS_REQ *
make_req(const unsigned char digest[32])
{
	TS_REQ *rq = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = BN_new();
	int ok = 0;

	if (!rq || !mi || !alg || !bn || !TS_REQ_set_version(rq, 1))
		goto out;
	X509_ALGOR_set_md(alg, EVP_sha256());
	if (!TS_MSG_IMPRINT_set_algo(mi, alg) || !TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)digest, 32) ||
	    !TS_REQ_set_msg_imprint(rq, mi))
		goto out;
	if (!BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !(nonce = BN_to_ASN1_INTEGER(bn, NULL)) || !TS_REQ_set_nonce(rq, nonce) ||
	    !TS_REQ_set_cert_req(rq, 1))
		goto out;
	ok = 1;
out:
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	if (!ok) {
		TS_REQ_free(rq);
		rq = NULL;
	}
	return rq;
}

static int
post(const struct sign_tsa *tsa, TS_REQ *rq, struct buf *resp, struct lerr *e)
{
	unsigned char *der = NULL;
	int len = i2d_TS_REQ(rq, &der), rc;

	if (len <= 0)
		return lerr_set(e, LERR_INTERNAL, NULL, "cannot encode the time-stamp request");
	if (tsa->post)
		rc = tsa->post(tsa->arg, der, (size_t)len, resp, e);
	else if ((rc = sx_http_post(tsa->url, "application/timestamp-query", der, (size_t)len,
				    resp, e)))
		lerr_hint(e, "check tsa_url and that the time-stamping authority is reachable");
	OPENSSL_free(der);
	return rc;
}

static int
check_resp(TS_REQ *rq, TS_RESP *rs, struct trust *t, struct lerr *e)
{
	TS_VERIFY_CTX *vc = TS_REQ_to_TS_VERIFY_CTX(rq, NULL);
	PKCS7 *tok = TS_RESP_get_token(rs);
	time_t gen = 0;
	X509_STORE *s;
	char msg[256];
	int rc = 0;

	tst_time(TS_RESP_get_tst_info(rs), &gen);
	if (!vc || !(s = tsa_store(t, tok, gen ? gen : time(NULL)))) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	TS_VERIFY_CTX_set_store(vc, s);
	TS_VERIFY_CTX_add_flags(vc, TS_VFY_NONCE | TS_VFY_SIGNATURE);
	if (TS_RESP_verify_response(vc, rs) != 1) {
		ssl_msg(msg, sizeof(msg), "invalid reply");
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "the time-stamping authority's reply was refused");
		lerr_detail(e, "%s", msg);
	}
out:
	TS_VERIFY_CTX_free(vc);
	return rc;
}

int
sign_timestamp(const struct sign_tsa *tsa, const unsigned char digest[32],
	       const char *trust_dir, struct buf *token, time_t *gentime, struct lerr *e)
{
	const char *dir = trust_dir ? trust_dir : config_str("trust_dir");
	struct trust t = { 0 }, *tp = NULL;
	struct buf resp;
	TS_REQ *rq = NULL;
	TS_RESP *rs = NULL;
	const unsigned char *p;
	unsigned char *der = NULL;
	int rc, len;

	buf_init(&resp, 1 << 20);
	if (dir && *dir) {
		if ((rc = trust_load(&t, dir, e)))
			goto out;
		tp = &t;
	} else {
		log_warn("time-stamp: no trust_dir, the TSA certificate is not checked against anchors");
	}
	if (!(rq = make_req(digest))) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot build the time-stamp request");
		goto out;
	}
	if ((rc = post(tsa, rq, &resp, e)))
		goto out;
	p = (const unsigned char *)resp.data;
	if (!(rs = d2i_TS_RESP(NULL, &p, (long)resp.len))) {
		rc = lerr_set(e, LERR_UNAVAILABLE, NULL, "the time-stamping authority sent no RFC 3161 reply");
		goto out;
	}
	if ((rc = check_resp(rq, rs, tp, e)))
		goto out;
	if ((len = i2d_PKCS7(TS_RESP_get_token(rs), &der)) <= 0 ||
	    tst_time(TS_RESP_get_tst_info(rs), gentime) || buf_add(token, der, (size_t)len)) {
		rc = lerr_set(e, LERR_INTERNAL, NULL, "cannot keep the time-stamp token");
		goto out;
	}
out:
	OPENSSL_free(der);
	TS_RESP_free(rs);
	TS_REQ_free(rq);
	if (tp)
		trust_fini(&t);
	buf_fini(&resp);
	ERR_clear_error();
	return rc;
}

int
sign_timestamp_check(const void *token, size_t len, const unsigned char digest[32],
		     const char *trust_dir, time_t *gentime, struct lerr *e)
{
	const char *dir = trust_dir ? trust_dir : config_str("trust_dir");
	struct trust t = { 0 };
	char msg[256];
	int rc;

	if (!dir || !*dir)
		return lerr_set(e, LERR_INVALID, NULL, "no trust_dir to check time-stamp tokens against");
	if ((rc = trust_load(&t, dir, e)))
		return rc;
	if (tsp_check_token(token, len, digest, &t, gentime, msg, sizeof msg))
		rc = lerr_set(e, LERR_INVALID, NULL, "time-stamp token: %s", msg);
	trust_fini(&t);
	return rc;
}
