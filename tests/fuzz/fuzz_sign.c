/*
 * fuzz_sign.c - libFuzzer target for sign/: the input is verified as a
 * signature document (XML or CMS, with a detached buffer), and signed as a
 * PES; whatever sign_pes() accepts must verify as valid (splicing and the
 * signature engine agree with xmlsec), files that came with signatures of
 * their own included: sign_pes() refuses those whose signatures do not
 * verify against the same anchors.  Built only by `make fuzz` (clang).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/log.h"
#include "sign/sign.h"

static struct sign_key key;
static char trust[64] = "/tmp/liasse-fuzz-sign-XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	X509_NAME *nm = X509_get_subject_name(x);
	char path[128];
	struct lerr e;
	FILE *f;

	(void)argc;
	(void)argv;
	log_set_level(LOG_LVL_ERROR);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (unsigned char *)"fuzz", -1, -1, 0);
	X509_set_issuer_name(x, nm);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	if (!mkdtemp(trust) || sign_init(&e) || sign_key_set(&key, k, x, NULL, &e))
		abort();
	snprintf(path, sizeof(path), "%s/fuzz.pem", trust);
	if (!(f = fopen(path, "w")))
		abort();
	PEM_write_X509(f, x);
	fclose(f);
	EVP_PKEY_free(k);
	X509_free(x);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct sign_verify_opts o = { .trust_dir = trust, .data = "data", .datalen = 4 };
	struct sign_pes_opts po = { .trust_dir = trust };
	struct sign_report r;
	struct buf out;
	struct lerr e;

	sign_report_init(&r);
	if (sign_verify(&o, p, n, &r, &e) == 0 && r.valid && r.nsig == 0)
		abort();                /* valid needs a signature */
	sign_report_fini(&r);
	buf_init(&out, 64 << 20);
	/* What liasse signs verifies, whatever signatures the file came with:
	 * sign_pes() keeps existing ones byte for byte, and signs around them
	 * only when they verify. */
	if (sign_pes(&key, &po, p, n, &out, &e) == 0) {
		o.data = NULL;
		sign_report_init(&r);
		if (sign_verify(&o, out.data, out.len, &r, &e) || !r.valid) {
			const struct sign_check *c = sign_report_failed(&r);

			fprintf(stderr, "signed but not valid: %s %s\n", c ? c->id : e.msg,
				c ? c->reason_en : e.detail);
			abort();
		}
		sign_report_fini(&r);
	}
	buf_fini(&out);
	return 0;
}
