#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

const struct config_key config_keys[] = {
#define KEY(n, t, d, r, h) { #n, CONFIG_##t, d, r, h },
#include "core/config_keys.def"
#undef KEY
};
const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

#define MAX_VALUE 1024
static char values[sizeof(config_keys) / sizeof(config_keys[0])][MAX_VALUE];
static int loaded;
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;

static int
find(const char *name)
{
	for (size_t i = 0; i < config_nkeys; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
defaults(void)
{
	for (size_t i = 0; i < config_nkeys; i++)
		snprintf(values[i], MAX_VALUE, "%s", config_keys[i].def);
	loaded = 1;
}

/* Parse "12", "12k", "3M", "1G" (SIZE) or "30", "30s", "5m", "2h", "90d" (SECS). */
static int
parse_number(enum config_type type, const char *s, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	if (type == CONFIG_SIZE) {
		switch (*end) {
		case 'k': case 'K': v <<= 10; end++; break;
		case 'm': case 'M': v <<= 20; end++; break;
		case 'g': case 'G': v <<= 30; end++; break;
		}
	} else if (type == CONFIG_SECS) {
		switch (*end) {
		case 's': end++; break;
		case 'm': v *= 60; end++; break;
		case 'h': v *= 3600; end++; break;
		case 'd': v *= 86400; end++; break;
		}
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int
check_value(const struct config_key *k, const char *value, struct lerr *e)
{
	long long v;

	switch (k->type) {
	case CONFIG_STR:
		return 0;
	case CONFIG_BOOL:
		if (!strcmp(value, "yes") || !strcmp(value, "no") ||
		    !strcmp(value, "true") || !strcmp(value, "false") ||
		    !strcmp(value, "1") || !strcmp(value, "0"))
			return 0;
		lerr_set(e, LERR_INVALID, k->name, "invalid boolean for %s: \"%s\"", k->name, value);
		lerr_hint(e, "use yes or no");
		return LERR_INVALID;
	default:
		if (parse_number(k->type, value, &v) == 0)
			return 0;
		lerr_set(e, LERR_INVALID, k->name, "invalid number for %s: \"%s\"", k->name, value);
		lerr_hint(e, k->type == CONFIG_SIZE ? "write bytes, optionally with k, M or G" :
			  k->type == CONFIG_SECS ? "write seconds, optionally with s, m or h" :
			  "write a non-negative integer");
		return LERR_INVALID;
	}
}

static int
set_one(const char *key, const char *value, int reload_only, struct lerr *e)
{
	int i = find(key);

	if (i < 0) {
		lerr_set(e, LERR_INVALID, key, "unknown configuration key \"%s\"", key);
		lerr_hint(e, "see doc/liasse.conf.sample for the keys");
		return LERR_INVALID;
	}
	if (strlen(value) >= MAX_VALUE) {
		lerr_set(e, LERR_INVALID, key, "value of %s is too long", key);
		return LERR_INVALID;
	}
	if (check_value(&config_keys[i], value, e))
		return LERR_INVALID;
	if (reload_only && !config_keys[i].reloadable)
		return 0;
	pthread_rwlock_wrlock(&lock);
	snprintf(values[i], MAX_VALUE, "%s", value);
	pthread_rwlock_unlock(&lock);
	return 0;
}

int
config_set(const char *key, const char *value, struct lerr *e)
{
	if (!loaded)
		defaults();
	return set_one(key, value, 0, e);
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int
read_file(const char *path, int reload_only, struct lerr *e)
{
	char line[MAX_VALUE + 128];
	unsigned lineno = 0;
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (!f) {
		lerr_set(e, LERR_INVALID, NULL, "cannot open configuration file %s", path);
		lerr_detail(e, "%s", strerror(errno));
		return LERR_INVALID;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		char *eq, *key, *s = trim(line);

		lineno++;
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			rc = lerr_set(e, LERR_INVALID, NULL, "%s:%u: expected \"key = value\"", path, lineno);
			break;
		}
		*eq = '\0';
		key = trim(s);
		rc = set_one(key, trim(eq + 1), reload_only, e);
		if (rc)
			lerr_detail(e, "in %s at line %u", path, lineno);
	}
	fclose(f);
	return rc;
}

int
config_load(const char *path, struct lerr *e)
{
	defaults();
	return path ? read_file(path, 0, e) : 0;
}

int
config_reload(const char *path, struct lerr *e)
{
	return path ? read_file(path, 1, e) : 0;
}

const char *
config_str(const char *name)
{
	int i;

	if (!loaded)
		defaults();
	i = find(name);
	if (i < 0) {
		fprintf(stderr, "BUG: unknown configuration key %s\n", name);
		abort();
	}
	return values[i];   /* only reloadable keys change, and only at SIGHUP */
}

long long
config_int(const char *name)
{
	const char *s = config_str(name);
	const struct config_key *k = &config_keys[find(name)];
	long long v = 0;

	if (k->type == CONFIG_BOOL)
		return !strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1");
	if (parse_number(k->type, s, &v))
		v = 0;
	return v;
}

int
config_read_secret(const char *path, char *out, size_t outsz, struct lerr *e)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		lerr_set(e, LERR_INVALID, NULL, "cannot open secret file %s", path);
		lerr_detail(e, "%s", strerror(errno));
		return LERR_INVALID;
	}
	if (fstat(fd, &st) || (st.st_mode & 077)) {
		close(fd);
		lerr_set(e, LERR_INVALID, NULL, "secret file %s is readable by others", path);
		lerr_hint(e, "chmod 600 %s", path);
		return LERR_INVALID;
	}
	n = read(fd, out, outsz - 1);
	close(fd);
	if (n < 0 || (size_t)n >= outsz - 1) {
		explicit_bzero(out, outsz);
		lerr_set(e, LERR_INVALID, NULL, "cannot read secret file %s", path);
		return LERR_INVALID;
	}
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 0;
}
