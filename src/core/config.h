/*
 * config.h - the configuration file: "key = value" lines, '#' comments.
 * Keys come from config_keys.def; unknown keys are errors.
 */
#ifndef LIASSE_CORE_CONFIG_H
#define LIASSE_CORE_CONFIG_H

#include <stddef.h>
#include "core/err.h"

enum config_type { CONFIG_STR, CONFIG_INT, CONFIG_SIZE, CONFIG_SECS, CONFIG_BOOL };

struct config_key {
	const char *name;
	enum config_type type;
	const char *def;
	int reloadable;
	const char *help;
};

extern const struct config_key config_keys[];
extern const size_t config_nkeys;

/* Load a file over the defaults (path NULL: defaults only). */
int config_load(const char *path, struct lerr *e) LERR_WUR;
/* Set one key from "key=value" text (command line overrides, tests). */
int config_set(const char *key, const char *value, struct lerr *e) LERR_WUR;
/* Re-read the file, applying only reloadable keys. */
int config_reload(const char *path, struct lerr *e) LERR_WUR;

const char *config_str(const char *name);
long long config_int(const char *name);   /* INT, SIZE (bytes), SECS (seconds), BOOL (0/1) */
/* Read a secret file that must be mode 0600 (or stricter); trailing newline trimmed. */
int config_read_secret(const char *path, char *out, size_t outsz, struct lerr *e) LERR_WUR;

#endif
