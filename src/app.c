#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/kek.h"
#include "core/log.h"

static const char *config_path;

const char *
app_config_path(void)
{
	return config_path;
}

int
app_config(const char *path, char *const *overrides, int noverrides, struct lerr *e)
{
	static const char sys[] = LIASSE_SYSCONFDIR "/liasse.conf";
	int rc;

	if (!path)
		path = getenv("LIASSE_CONF");
	if (!path && access(sys, R_OK) == 0)
		path = sys;
	config_path = path;
	if ((rc = config_load(path, e)))
		return rc;
	for (int i = 0; i < noverrides; i++) {
		char key[128];
		const char *eq = strchr(overrides[i], '=');

		if (!eq || eq == overrides[i] || (size_t)(eq - overrides[i]) >= sizeof(key)) {
			lerr_set(e, LERR_INVALID, NULL, "-o expects key=value, got \"%s\"", overrides[i]);
			return LERR_INVALID;
		}
		memcpy(key, overrides[i], (size_t)(eq - overrides[i]));
		key[eq - overrides[i]] = '\0';
		if ((rc = config_set(key, eq + 1, e)))
			return rc;
	}
	enum log_level lvl;
	if (log_parse_level(config_str("log_level"), &lvl)) {
		lerr_set(e, LERR_INVALID, "log_level", "invalid log_level \"%s\"", config_str("log_level"));
		lerr_hint(e, "use error, warn, info or debug");
		return LERR_INVALID;
	}
	log_set_level(lvl);
	return 0;
}

int
app_store(struct store **out, int poolsize, struct lerr *e)
{
	const char *pwfile = config_str("database_password_file");
	char password[512] = "";
	int rc;

	if (*pwfile && (rc = config_read_secret(pwfile, password, sizeof(password), e)))
		return rc;
	rc = store_open(out, config_str("database"), password, poolsize, e);
	explicit_bzero(password, sizeof(password));
	store_archive_set_dir(config_str("archive_dir"));
	return rc;
}

const char *
app_sqldir(void)
{
	const char *dir = getenv("LIASSE_SQLDIR");

	return dir && *dir ? dir : LIASSE_PKGDATADIR "/sql";
}

int
app_migrate(struct store *s, int *applied, struct lerr *e)
{
	struct store_conn *c = NULL;
	int n = 0, rc = store_acquire(s, &c, e);

	if (!rc)
		rc = store_migrate(c, app_sqldir(), &n, e);
	store_release(s, c);
	if (!rc && n)
		log_info("database schema: %d migration(s) applied", n);
	if (applied)
		*applied = n;
	return rc;
}

int
app_kek(struct store *s, int check, struct lerr *e)
{
	struct store_conn *c = NULL;
	struct secret_inventory inv;
	int rc = kek_configure(e);

	if (rc || !check)
		return rc;
	if (!(rc = store_acquire(s, &c, e)))
		rc = store_secret_inventory(c, &inv, e);
	store_release(s, c);
	if (!rc && kek_enabled() && (inv.clear || inv.previous))
		log_warn("%lld secret(s) in clear and %lld under a previous key-encryption key:"
			 " liasse secrets reseal seals them under the current one%s", inv.clear, inv.previous,
			 inv.clear && config_int("secrets_require_sealed") ? "; those in clear are refused until"
			 " then (secrets_require_sealed)" : "");
	if (rc || !inv.unknown)
		return rc;
	if (!kek_enabled() && !inv.previous)
		lerr_set(e, LERR_INVALID, "kek_file", "the database holds %lld sealed secret(s) and no key-encryption key"
			 " is configured (set kek_file or kek_pkcs11_key, doc/secrets.md)", inv.unknown);
	else
		lerr_set(e, LERR_INVALID, "kek_file", "%lld secret(s) in the database are sealed under the key-encryption"
			 " key %s, which is not configured (add it to kek_previous_files or kek_pkcs11_previous_keys)",
			 inv.unknown, inv.unknown_kid);
	return LERR_INVALID;
}

