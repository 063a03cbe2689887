/* app.h - what liassed and the liasse CLI share: configuration loading,
 * opening the store, finding the migrations. */
#ifndef LIASSE_APP_H
#define LIASSE_APP_H

#include "core/err.h"
#include "store/store.h"

/* Loads path (NULL: $LIASSE_CONF, else SYSCONFDIR/liasse.conf if present, else
 * defaults), then applies "key=value" overrides. */
int app_config(const char *path, char *const *overrides, int noverrides, struct lerr *e) LERR_WUR;
const char *app_config_path(void);
int app_store(struct store **out, int poolsize, struct lerr *e) LERR_WUR;
/* $LIASSE_SQLDIR, else PKGDATADIR/sql. */
const char *app_sqldir(void);
/* Applies the pending migrations of app_sqldir(); *applied (may be NULL) counts them. */
int app_migrate(struct store *s, int *applied, struct lerr *e) LERR_WUR;
/* Loads the key-encryption keys (kek_configure); with check, refuses a
 * database holding secrets sealed under a key the keyring lacks (or any
 * sealed secret when no key is configured). */
int app_kek(struct store *s, int check, struct lerr *e) LERR_WUR;

#endif
