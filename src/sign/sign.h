/*
 * sign.h - XAdES/CAdES signatures: creation and verification.
 *
 * Profiles: the PES V2 XAdES-EPES enveloped profile (XAdES 1.1.1 or 1.2.2),
 * the generic XAdES baseline B-B / B-T (EN 319 132-1, namespace 1.3.2),
 * detached CMS (CAdES) for @ctes.  See src/sign/README for the design.
 *
 * Keys are an EVP_PKEY plus certificate and chain, whatever their origin
 * (PKCS#12, PEM, later a PIN-unwrapped key or a PKCS#11 handle).
 * Call sign_init() once before anything else; every other function is
 * thread-safe (one context per call).
 *
 * This header does not include OpenSSL nor jansson: it names their types by
 * their struct tags.
 */
#ifndef LIASSE_SIGN_H
#define LIASSE_SIGN_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include "core/err.h"
#include "core/buf.h"

struct evp_pkey_st;
struct x509_st;
struct stack_st_X509;
struct json_t;

/* Largest signed document handled (PES: 128 MB). */
#define SIGN_MAX_DOC (160UL * 1024 * 1024)

/* Longest Id (bytes of UTF-8) of an element sign_pes() signs: the
 * signature's own Ids are made from it ("<Id>_SIG_n_REF", ...), and a
 * verifier keeps them in fixed buffers.  Real PES Ids are a few tens of
 * characters (BORD1093357910); the upload door refuses longer ones too. */
#define SIGN_ID_MAX 96

struct sign_key {
	struct evp_pkey_st *pkey;
	struct x509_st *cert;
	struct stack_st_X509 *chain;    /* intermediates, may be NULL */
};

/* Initialise libxml2, xmlsec and its OpenSSL backend once (idempotent,
 * thread-safe); xmlsec may then open no file and no URL by itself. */
int sign_init(struct lerr *e) LERR_WUR;
void sign_fini(void);

/* Keys.  The password is not kept; callers wipe their copy. */
int sign_key_from_p12(struct sign_key *k, const void *der, size_t len,
		      const char *pass, struct lerr *e) LERR_WUR;
/* key_pem may hold the certificate(s) too; cert_pem may be NULL then. */
int sign_key_from_pem(struct sign_key *k, const char *key_pem, size_t keylen,
		      const char *cert_pem, size_t certlen, const char *pass,
		      struct lerr *e) LERR_WUR;
/* Takes a reference on each object (the caller keeps its own). */
int sign_key_set(struct sign_key *k, struct evp_pkey_st *pkey, struct x509_st *cert,
		 struct stack_st_X509 *chain, struct lerr *e) LERR_WUR;
void sign_key_fini(struct sign_key *k);

enum sign_xades_ver { SIGN_XADES_111, SIGN_XADES_122, SIGN_XADES_132 };

/* The HTTP leg of time-stamp and OCSP requests.  sign/ builds and checks the
 * messages but speaks no HTTP itself (curl belongs to transmit/): the program
 * installs a poster once at start-up, before any thread signs or verifies
 * (liassed and liasse install transmit/tsa.c's xmit_post_bytes).  It POSTs
 * req as ctype to url and puts the body of a 200 reply in resp (resp->max
 * bounds it).  Without one, a request to a URL fails with LERR_UNAVAILABLE. */
typedef int sign_http_post_fn(const char *url, const char *ctype, const void *req,
			      size_t len, struct buf *resp, struct lerr *e);
void sign_set_http_post(sign_http_post_fn *fn);

/* A time-stamping authority: post sends an application/timestamp-query and
 * returns the reply bytes; NULL means the installed poster, to url. */
struct sign_tsa {
	const char *url;
	int (*post)(void *arg, const void *req, size_t reqlen, struct buf *resp,
		    struct lerr *e);
	void *arg;
};

struct sign_pes_opts {
	enum sign_xades_ver ver;        /* SIGN_XADES_111 (default) or _122 */
	const char *policy_oid;         /* NULL: configuration sign_policy_oid */
	const char *policy_hash;        /* base64 SHA-256; NULL: configuration */
	const char *policy_uri;         /* NULL: configuration */
	const char *policy_desc;        /* NULL: configuration */
	const char *city, *postal_code, *country;   /* NULL: element omitted */
	const char *role;               /* NULL: configuration sign_claimed_role */
	time_t now;                     /* 0: time(NULL) */
	const char *trust_dir;          /* existing signatures' anchors; NULL: configuration */
};

/* Sign a PES_Aller: one signature per Bordereau when all have an Id, else
 * one on PES_Aller/@Id, else LERR_INVALID.  InfoDematerialisee set to 1.
 * A PES partly signed on its bordereaux: only the bordereaux that carry no
 * signature are signed (LERR_CONFLICT when none is left, or when the whole
 * file is signed), and only when the existing signatures verify (trust_dir):
 * a broken one is LERR_INVALID on "pes.signatures", naming its bordereau.
 * out receives the document in its own encoding (out->max is honoured). */
int sign_pes(const struct sign_key *k, const struct sign_pes_opts *o,
	     const void *in, size_t inlen, struct buf *out, struct lerr *e) LERR_WUR;

struct sign_xades_opts {
	int enveloped;                  /* XML input, signature last child of root */
	const char *data_name;          /* detached: URI of the data reference */
	const char *mime_type;          /* DataObjectFormat/MimeType */
	const struct sign_tsa *tsa;     /* non-NULL: B-T (SignatureTimeStamp) */
	time_t now;
};

/* XAdES baseline B-B (or B-T with a TSA): detached signature document, or
 * the enveloped XML document when o->enveloped. */
int sign_xades(const struct sign_key *k, const struct sign_xades_opts *o,
	       const void *data, size_t len, struct buf *out, struct lerr *e) LERR_WUR;

/* Detached CMS SignedData (CAdES-BES) of data; DER, or base64 (one line
 * per 64 characters) when b64, as actes:Document/Signature carries it. */
int sign_cades(const struct sign_key *k, const void *data, size_t len, int b64,
	       struct buf *out, struct lerr *e) LERR_WUR;

/* PAdES baseline B-B (B-T with a TSA) of a PDF: one incremental revision
 * with a signature field, its widget showing text (NULL: invisible) at
 * (x, y) from the bottom left of page (1-based, 0: the last), size w x h
 * points (0: 220 x 60), widened by the logo's width when there is one.
 * The original bytes are kept. */
struct sign_pades_opts {
	const char *text;
	int page;
	float x, y, w, h;
	const struct sign_tsa *tsa;
	time_t now;
	const void *logo;       /* PNG/JPEG at the block's left (NULL: none) */
	size_t logo_len;
};
int sign_pades(const struct sign_key *k, const struct sign_pades_opts *o, const void *in,
	       size_t len, struct buf *out, struct lerr *e) LERR_WUR;
/* The same from file to file (the daemon's path: neither file in memory):
 * the PDF of in signed into out (read-write, emptied first, left empty on
 * failure), *outlen bytes. */
int sign_pades_fd(const struct sign_key *k, const struct sign_pades_opts *o, int in, int out,
		  size_t *outlen, struct lerr *e) LERR_WUR;
/* The signing certificate's common name (UTF-8), "" without one. */
void sign_key_cn(const struct sign_key *k, char *out, size_t outsz);

/* RFC 3161: ask the TSA for a token over digest (SHA-256), check the
 * reply (status, nonce, imprint, signature) and return the token (DER
 * ContentInfo) and its time.  trust_dir NULL: configuration trust_dir. */
int sign_timestamp(const struct sign_tsa *tsa, const unsigned char digest[32],
		   const char *trust_dir, struct buf *token, time_t *gentime,
		   struct lerr *e) LERR_WUR;

/* Checks an RFC 3161 token (DER) over digest: imprint, signature, and the
 * TSA's chain to trust_dir (NULL: configuration).  *gentime: its time. */
int sign_timestamp_check(const void *token, size_t len, const unsigned char digest[32],
			 const char *trust_dir, time_t *gentime, struct lerr *e) LERR_WUR;

/* ---- Verification ---- */

struct sign_check {
	char id[40];            /* stable name, e.g. "core", "chain", "cert_digest" */
	int sig;                /* signature index (0-based), -1: whole document */
	int ok;
	int warning;            /* ok, but worth reading (SHA-1, no CRL...) */
	char reason_fr[320];
	char reason_en[320];
};

struct sign_sig_info {
	char id[128];           /* ds:Signature/@Id, or "cms" */
	char target[128];       /* the signed element's Id, "" for detached/whole */
	char signer[256];       /* subject of the signing certificate */
	char signing_time[32];  /* as claimed (ISO 8601 UTC), "" if none */
	char checked_at[32];    /* time the chain was checked at */
	int valid;
};

struct sign_report {
	int valid;              /* every check ok and at least one signature */
	char format[16];        /* "xades", "cades" */
	size_t nsig;
	struct sign_sig_info *sigs;
	size_t n, cap;
	struct sign_check *checks;
	/* A signed PES_Aller (the "coverage" check ran): the bordereaux Hélios
	 * reads, those no signature targets (not signed at all), and the
	 * elements signed or placed where Hélios does not read them. */
	int pes_covered;        /* 1 when coverage was checked */
	size_t pes_bordereaux, pes_unsigned, pes_misplaced;
};

struct sign_verify_opts {
	const char *trust_dir;  /* PEM certificates and CRLs; NULL: configuration */
	time_t at;              /* 0: time-stamp time, else signing time */
	const char *ocsp_url;   /* NULL: configuration ocsp_url ("" none) */
	const void *data;       /* detached data, may be NULL */
	size_t datalen;
	const char *data_name;  /* name the detached reference may carry */
};

void sign_report_init(struct sign_report *r);
void sign_report_fini(struct sign_report *r);

/* Verify an XML signature document (XAdES, PES) or a CMS signature.
 * Returns 0 when the verification ran (r->valid tells the verdict), an
 * error when it could not (unreadable trust dir, out of memory). */
int sign_verify(const struct sign_verify_opts *o, const void *in, size_t inlen,
		struct sign_report *r, struct lerr *e) LERR_WUR;
/* The same for the file fd: a PDF ("%PDF-") is verified from the file, never
 * held in memory (up to LPDF_MAX_DOC bytes); another file is read into
 * memory when at most max bytes (LERR_TOOLARGE beyond) and verified as
 * sign_verify does. */
int sign_verify_fd(const struct sign_verify_opts *o, int fd, size_t max, struct sign_report *r,
		   struct lerr *e) LERR_WUR;
/* 1 when the file fd starts with "%PDF-". */
int sign_verify_is_pdf(int fd);
/* The HTTP API's entry: configured trust dir and OCSP, optional data. */
int sign_verify_buffer(const void *in, size_t inlen, const void *data, size_t datalen,
		       const char *data_name, struct sign_report *r, struct lerr *e) LERR_WUR;

/* {"valid":bool,"format":..,"signatures":[..],"checks":[{id,signature,ok,
 * warning,reason_fr,reason_en}]}; NULL on allocation failure. */
struct json_t *sign_report_json(const struct sign_report *r);
/* One line per check, in English or French. */
void sign_report_print(const struct sign_report *r, FILE *f, int french);
/* First failing check, or NULL. */
const struct sign_check *sign_report_failed(const struct sign_report *r);
/* The check named id for signature sig (-2: any signature), or NULL. */
const struct sign_check *sign_report_find(const struct sign_report *r, const char *id,
					  int sig);

#endif
