/* kek_p11.c - the key-encryption key on a PKCS#11 token (kek_int.h).
 * The standard API (p11-kit's pkcs11.h), the module dlopen'ed: the AES key
 * stays on the token, which does the AES-GCM of each sealed value. */
#include "core/kek_int.h"
#include "core/config.h"
#include "core/log.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <p11-kit/pkcs11.h>

struct kek_p11 {
	CK_SESSION_HANDLE session;
	pthread_mutex_t mu;           /* a session is used by one thread at a time */
};

static struct {
	pthread_mutex_t mu;
	void *dl;
	char path[512];
	CK_FUNCTION_LIST_PTR f;
} mod = { PTHREAD_MUTEX_INITIALIZER, NULL, "", NULL };

static int
p11_fail(struct lerr *e, const char *what, CK_RV rv)
{
	lerr_set(e, LERR_INVALID, NULL, "PKCS#11 %s failed (CKR 0x%lx)", what, (unsigned long)rv);
	lerr_hint(e, "check kek_pkcs11_module, kek_pkcs11_token, kek_pkcs11_key and the PIN file");
	return LERR_INVALID;
}

static int
load_module(const char *path, struct lerr *e)
{
	CK_C_GetFunctionList get;
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	CK_RV rv;

	if (mod.f)
		return strcmp(mod.path, path) ? lerr_set(e, LERR_INVALID, "kek_pkcs11_module",
			"kek_pkcs11_module cannot change without a restart") : 0;
	if (!(mod.dl = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
		lerr_set(e, LERR_INVALID, "kek_pkcs11_module", "cannot load the PKCS#11 module %s", path);
		lerr_detail(e, "%s", dlerror());
		return LERR_INVALID;
	}
	get = (CK_C_GetFunctionList)dlsym(mod.dl, "C_GetFunctionList");
	if (!get || get(&mod.f) != CKR_OK || !mod.f) {
		mod.f = NULL;
		return lerr_set(e, LERR_INVALID, "kek_pkcs11_module", "%s is not a PKCS#11 module", path);
	}
	rv = mod.f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		mod.f = NULL;
		return p11_fail(e, "C_Initialize", rv);
	}
	snprintf(mod.path, sizeof(mod.path), "%s", path);
	return 0;
}

/* The slot holding the token labelled label (space-padded to 32 bytes). */
static int
find_slot(const char *label, CK_SLOT_ID *slot, struct lerr *e)
{
	CK_SLOT_ID ids[64];
	CK_ULONG n = 64;
	CK_TOKEN_INFO ti;
	size_t len = strlen(label);
	CK_RV rv = mod.f->C_GetSlotList(CK_TRUE, ids, &n);

	if (rv != CKR_OK)
		return p11_fail(e, "C_GetSlotList", rv);
	for (CK_ULONG i = 0; i < n; i++) {
		if (mod.f->C_GetTokenInfo(ids[i], &ti) != CKR_OK || len > sizeof(ti.label) ||
		    memcmp(ti.label, label, len))
			continue;
		for (size_t j = len; j < sizeof(ti.label) && ti.label[j] == ' '; j++)
			if (j + 1 == sizeof(ti.label)) {
				*slot = ids[i];
				return 0;
			}
		if (len == sizeof(ti.label)) {
			*slot = ids[i];
			return 0;
		}
	}
	return lerr_set(e, LERR_INVALID, "kek_pkcs11_token", "no PKCS#11 token labelled \"%s\"", label);
}

static int
login(struct kek_p11 *t, const char *pinfile, struct lerr *e)
{
	char pin[256];
	CK_RV rv;
	int rc;

	if (!*pinfile)
		return lerr_set(e, LERR_INVALID, "kek_pkcs11_pin_file", "kek_pkcs11_pin_file is not set");
	if ((rc = config_read_secret(pinfile, pin, sizeof(pin), e)))
		return rc;
	rv = mod.f->C_Login(t->session, CKU_USER, (unsigned char *)pin, strlen(pin));
	explicit_bzero(pin, sizeof(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return p11_fail(e, "login (C_Login)", rv);
	return 0;
}

int
kek_p11_open(const char *module, const char *token, const char *pinfile, struct kek_p11 **out,
	     struct lerr *e)
{
	struct kek_p11 *t = NULL;
	CK_SLOT_ID slot = 0;
	CK_RV rv;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&mod.mu);
	rc = load_module(module, e);
	pthread_mutex_unlock(&mod.mu);
	if (rc || (rc = find_slot(token, &slot, e)))
		return rc;
	if (!(t = calloc(1, sizeof(*t))))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	pthread_mutex_init(&t->mu, NULL);
	if ((rv = mod.f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &t->session)) != CKR_OK) {
		free(t);
		return p11_fail(e, "C_OpenSession", rv);
	}
	if ((rc = login(t, pinfile, e))) {
		kek_p11_close(t);
		return rc;
	}
	*out = t;
	return 0;
}

int
kek_p11_key(struct kek_p11 *t, const char *label, unsigned long *handle, struct lerr *e)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) }, { CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0;
	CK_BBOOL ext = CK_TRUE;
	CK_ATTRIBUTE a = { CKA_EXTRACTABLE, &ext, sizeof(ext) };
	CK_RV rv;

	pthread_mutex_lock(&t->mu);
	rv = mod.f->C_FindObjectsInit(t->session, tmpl, 3);
	if (rv == CKR_OK) {
		rv = mod.f->C_FindObjects(t->session, h, 2, &n);
		(void)mod.f->C_FindObjectsFinal(t->session);
	}
	if (rv == CKR_OK && n == 1 && mod.f->C_GetAttributeValue(t->session, h[0], &a, 1) == CKR_OK && ext)
		log_warn("the PKCS#11 key \"%s\" is extractable: generate it non-extractable", label);
	pthread_mutex_unlock(&t->mu);
	if (rv != CKR_OK)
		return p11_fail(e, "C_FindObjects", rv);
	if (n != 1)
		return lerr_set(e, LERR_INVALID, "kek_pkcs11_key", n ? "two AES keys on the token are labelled \"%s\""
				: "no AES key labelled \"%s\" on the token", label);
	*handle = h[0];
	return 0;
}

int
kek_p11_gcm(struct kek_p11 *t, unsigned long key, int enc, const unsigned char *iv,
	    const unsigned char *aad, size_t aadlen, const unsigned char *in, size_t n,
	    unsigned char *out)
{
	CK_GCM_PARAMS gp = { (unsigned char *)iv, 12, 96, (unsigned char *)aad, aadlen, 128 };
	CK_MECHANISM m = { CKM_AES_GCM, &gp, sizeof(gp) };
	CK_ULONG outlen = n + 16;     /* decrypting, a token may want room for the tag too */
	CK_RV rv;

	pthread_mutex_lock(&t->mu);
	rv = enc ? mod.f->C_EncryptInit(t->session, &m, key) : mod.f->C_DecryptInit(t->session, &m, key);
	if (rv == CKR_OK)
		rv = enc ? mod.f->C_Encrypt(t->session, (unsigned char *)in, n, out, &outlen)
			 : mod.f->C_Decrypt(t->session, (unsigned char *)in, n + 16, out, &outlen);
	pthread_mutex_unlock(&t->mu);
	if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_DATA_INVALID)
		return 0;
	return rv == CKR_OK && outlen == (enc ? n + 16 : n) ? 1 : -1;
}

void
kek_p11_close(struct kek_p11 *t)
{
	if (!t)
		return;
	(void)mod.f->C_CloseSession(t->session);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

void
kek_p11_unload(void)
{
	pthread_mutex_lock(&mod.mu);
	if (mod.f)
		(void)mod.f->C_Finalize(NULL);
	if (mod.dl)
		dlclose(mod.dl);
	mod.f = NULL;
	mod.dl = NULL;
	mod.path[0] = '\0';
	pthread_mutex_unlock(&mod.mu);
}
