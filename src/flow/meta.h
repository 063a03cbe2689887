/*
 * meta.h - checking the JSON metadata a vendor sends, field by field.
 *
 * Every refusal is LERR_INVALID with e->field set to the JSON path of the
 * offending field: path "" and key "title" give "title"; path "acte" and
 * key "objet" give "acte.objet".  A JSON null counts as absent.
 */
#ifndef LIASSE_FLOW_META_H
#define LIASSE_FLOW_META_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"

/* Flags of meta_get_string() */
#define META_REQUIRED  0x01   /* absent or null is an error */
#define META_MULTILINE 0x02   /* allow \n, \r and \t (other control characters never) */

/* A calendar date. */
struct meta_date {
	int year, month, day;
};

/* obj must be a JSON object whose keys all appear in allowed_keys
 * (NULL-terminated); the first unknown key is refused, named with its path. */
int meta_check_object(json_t *obj, const char *const *allowed_keys, const char *path,
		      struct lerr *e) LERR_WUR;

/* A string of minchars..maxchars characters (UTF-8 code points), without NUL
 * or control characters.  *out points into obj (NULL when absent and optional). */
int meta_get_string(json_t *obj, const char *key, const char *path, int flags,
		    size_t minchars, size_t maxchars, const char **out, struct lerr *e) LERR_WUR;
/* true/false; *out is left alone when absent and optional (keep your default). */
int meta_get_bool(json_t *obj, const char *key, const char *path, int required,
		  int *out, struct lerr *e) LERR_WUR;
/* "YYYY-MM-DD", a real date; *out is zeroed when absent and optional. */
int meta_get_date(json_t *obj, const char *key, const char *path, int required,
		  struct meta_date *out, struct lerr *e) LERR_WUR;
/* A JSON object (borrowed reference, NULL when absent and optional). */
int meta_get_object(json_t *obj, const char *key, const char *path, int required,
		    json_t **out, struct lerr *e) LERR_WUR;

/* 0 when s is exactly "YYYY-MM-DD" and a real date (Gregorian), else -1. */
int meta_date_parse(const char *s, struct meta_date *out);
/* Today's date in UTC, plus offset_days. */
void meta_date_today(struct meta_date *out, int offset_days);
/* <0, 0, >0 like strcmp. */
int meta_date_cmp(const struct meta_date *a, const struct meta_date *b);
/* out: 11 bytes. */
void meta_date_format(const struct meta_date *d, char *out);
/* Number of UTF-8 characters of a valid UTF-8 string. */
size_t meta_utf8_len(const char *s);
/* Copy s into dst, cut at a UTF-8 character boundary so it fits in dstsz,
 * with "..." when cut: for quoting outside values in messages. */
void meta_clip(char *dst, size_t dstsz, const char *s);
/* "path.key" (or "key" when path is empty) into out. */
void meta_field(char *out, size_t outsz, const char *path, const char *key);

#endif
