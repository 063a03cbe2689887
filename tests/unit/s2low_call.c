/*
 * s2low_call - runs one S²LOW client call that nothing in liasse makes yet
 * (transmit/s2low.c), so that tests/integration/transmit-s2low can check it
 * against the fake S²LOW.  Not a test by itself.
 *
 *   s2low_call SETTINGS_JSON cancel ID        prints the cancellation's id
 *   s2low_call SETTINGS_JSON stamped ID       writes the act stamped by S²LOW
 *   s2low_call SETTINGS_JSON prefdocs         prints "id type related number unique_id status" lines
 *   s2low_call SETTINGS_JSON prefdoc ID       writes the document's archive
 *   s2low_call SETTINGS_JSON prefdoc-read ID  marks it read
 *   s2low_call SETTINGS_JSON retours          prints "id<TAB>name<TAB>date" lines
 *   s2low_call SETTINGS_JSON retour ID        writes the PES_Retour
 *   s2low_call SETTINGS_JSON retour-read ID   marks it read
 *
 * Exit 0, or 1 with the error on stderr.
 */
#include <stdio.h>
#include <string.h>

#include "transmit/xmit_int.h"

static void
print_retour(void *arg, const struct xmit_s2low_retour *r)
{
	(void)arg;
	printf("%s\t%s\t%s\n", r->id, r->name, r->date);
}

static void
print_prefdoc(void *arg, const struct xmit_s2low_prefdoc *d)
{
	(void)arg;
	printf("%s\t%s\t%s\t%s\t%s\t%s\n", d->id, d->type, d->related, d->number, d->unique_id, d->status);
}

static int
run(json_t *s, const char *what, const char *arg, struct lerr *e)
{
	char id[64];
	struct buf b;
	int rc;

	if (!strcmp(what, "cancel") && arg) {
		if (!(rc = xmit_s2low_cancel(s, arg, id, sizeof(id), e)))
			printf("%s\n", id);
		return rc;
	}
	if (!strcmp(what, "stamped") && arg) {
		buf_init(&b, 64u << 20);
		if (!(rc = xmit_s2low_stamped(s, arg, &b, e)))
			fwrite(b.data, 1, b.len, stdout);
		buf_fini(&b);
		return rc;
	}
	if (!strcmp(what, "prefdocs"))
		return xmit_s2low_prefdocs(s, print_prefdoc, NULL, e);
	if (!strcmp(what, "prefdoc") && arg) {
		buf_init(&b, 64u << 20);
		if (!(rc = xmit_s2low_prefdoc_get(s, arg, &b, e)))
			fwrite(b.data, 1, b.len, stdout);
		buf_fini(&b);
		return rc;
	}
	if (!strcmp(what, "prefdoc-read") && arg)
		return xmit_s2low_prefdoc_read(s, arg, e);
	if (!strcmp(what, "retours"))
		return xmit_s2low_retours(s, print_retour, NULL, e);
	if (!strcmp(what, "retour") && arg) {
		buf_init(&b, 64u << 20);
		if (!(rc = xmit_s2low_retour_get(s, arg, &b, e)))
			fwrite(b.data, 1, b.len, stdout);
		buf_fini(&b);
		return rc;
	}
	if (!strcmp(what, "retour-read") && arg)
		return xmit_s2low_retour_read(s, arg, e);
	return lerr_set(e, LERR_INVALID, NULL, "usage: s2low_call SETTINGS_JSON cancel|stamped|prefdocs|prefdoc|prefdoc-read|retours|retour|retour-read [ID]");
}

int
main(int argc, char **argv)
{
	json_error_t jerr;
	json_t *s = argc > 2 ? json_loads(argv[1], 0, &jerr) : NULL;
	struct lerr e;
	char line[1200];
	int rc;

	lerr_clear(&e);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = s ? run(s, argv[2], argc > 3 ? argv[3] : NULL, &e) :
		 lerr_set(&e, LERR_INVALID, NULL, "usage: s2low_call SETTINGS_JSON CALL [ID]");
	if (rc) {
		lerr_oneline(&e, line, sizeof(line));
		fprintf(stderr, "s2low_call: %s\n", line);
	}
	json_decref(s);
	curl_global_cleanup();
	return rc ? 1 : 0;
}
