/*
 * fuzz_meta.c - libFuzzer target of the metadata part of POST
 * /api/v1/documents: the input is the part's bytes, read as http/upload.c
 * reads them (json_loadb, duplicates refused) and checked as its
 * check_metadata() does, through flow/meta.c and the kind's checks at the
 * door (flow/door.c: acte, pes, document).  A refusal must name a kind and
 * say why; what is taken must serialise.  Also the date and UTF-8 helpers of
 * meta.c on the raw bytes.  `make fuzz` builds it (clang).
 *
 * Keep the sequence of calls in step with check_metadata() in upload.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "core/kind.h"
#include "core/log.h"
#include "core/util.h"
#include "flow/door.h"
#include "flow/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const top_keys[] = {
	"kind", "organisation", "title", "signer", "sign", "transmit", "due_date", "external_ref",
};

static int
check(json_t *m, struct lerr *e)
{
	const char *keys[sizeof(top_keys) / sizeof(top_keys[0]) + 64 + 1], *kind, *org, *s;
	size_t o = 0;
	const struct doc_kind *k;
	struct meta_date due;
	struct door d;
	int rc, sign = 0, transmit = 0;

	for (; o < sizeof(top_keys) / sizeof(top_keys[0]); o++)
		keys[o] = top_keys[o];
	for (size_t i = 0; (k = doc_kind_at(i)) && o < sizeof(keys) / sizeof(keys[0]) - 1; i++)
		if (k->meta_key)
			keys[o++] = k->meta_key;
	keys[o] = NULL;
	if (!json_is_object(m))
		return lerr_set(e, LERR_INVALID, "metadata", "metadata must be a JSON object");
	if ((rc = meta_check_object(m, keys, "metadata", e)) ||
	    (rc = meta_get_string(m, "kind", "metadata", META_REQUIRED, 1, 16, &kind, e)))
		return rc;
	memset(&d, 0, sizeof(d));
	if ((rc = door_init(&d, kind, e)))
		return rc;
	if (!(rc = meta_get_string(m, "organisation", "metadata", META_REQUIRED, 9, 9, &org, e)) &&
	    !(rc = meta_get_string(m, "title", "metadata", META_REQUIRED, 1, 300, &s, e)) &&
	    !(rc = meta_get_string(m, "signer", "metadata", 0, 1, 200, &s, e)) &&
	    !(rc = meta_get_string(m, "external_ref", "metadata", 0, 1, 200, &s, e)) &&
	    !(rc = meta_get_date(m, "due_date", "metadata", 0, &due, e)) &&
	    !(rc = door_meta(&d, m, &sign, &transmit, e))) {
		char *j = d.meta ? json_dumps(d.meta, JSON_COMPACT) : NULL;

		if (d.meta && !j)
			abort();        /* what the door keeps is stored as JSON text */
		free(j);
	}
	door_fini(&d);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *m = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	struct meta_date dt;
	struct lerr e;
	char *s, clip[64], out[16];

	if (m) {
		lerr_clear(&e);
		if (check(m, &e) && !e.msg[0])
			abort();        /* a refusal says why */
		json_decref(m);
	}
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if (meta_date_parse(s, &dt) == 0) {
		meta_date_format(&dt, out);
		if (meta_date_parse(out, &dt) != 0)
			abort();        /* a date read writes back as a date */
	}
	if (utf8_valid(s, strlen(s)) && meta_utf8_len(s) > strlen(s))
		abort();
	meta_clip(clip, sizeof(clip), s);
	free(s);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LVL_ERROR);
	return 0;
}
