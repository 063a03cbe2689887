/*
 * door.c - the door checks of each document kind (door.h), and the one
 * table that finds them by the kind's name.  A new kind: its door_ops in
 * its own file, one line in doors[] below, one entry in core/kind.c.
 */
#include "flow/door.h"

#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "flow/media.h"
#include "flow/meta.h"

#define BUDGETS_TEXT (64 * 4 + 1)   /* 64 CodBud as "01, 02, ..." */

/* ---- pes: one PES_Aller, scanned as it streams in ---- */

static int
pes_file_begin(struct door *d, int main_file, struct lerr *e)
{
	(void)main_file;   /* no annexes: kind->annexes is 0 */
	if (!(d->ps = pes_scan_create()))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	return 0;
}

static int
pes_file_feed(struct door *d, const void *p, size_t n, struct lerr *e)
{
	return pes_scan_feed(d->ps, p, n, e);
}

static int
pes_file_end(struct door *d, const char *role, const void *head, size_t headlen,
	     const char **media_type, struct lerr *e)
{
	(void)role, (void)head, (void)headlen;
	if (pes_scan_finish(d->ps, e))
		return e->kind;
	d->meta = pes_info_json(pes_scan_info(d->ps));
	d->warnings = pes_info_warnings_json(pes_scan_info(d->ps));
	*media_type = "application/xml";
	return 0;
}

/* v is one of the comma-separated list. */
static int
in_list(const char *list, const char *v)
{
	size_t n = strlen(v), len;

	for (const char *p = list;; p += len + 1) {
		len = strcspn(p, ",");
		if (len == n && !strncmp(p, v, n))
			return 1;
		if (!p[len])
			return 0;
	}
}

/* A list for people to read: "01, 02". */
static void
list_text(const char *list, char *out, size_t n)
{
	size_t o = 0;

	for (const char *p = list; *p && o + 3 < n; p++)
		o += (size_t)snprintf(out + o, n - o, *p == ',' ? ", " : "%c", *p);
	out[o < n ? o : n - 1] = '\0';
}

int
door_pes_owner(const struct pes_info *pi, const struct door_owner *o, struct lerr *e)
{
	/* In this order: the first that differs is named.  list: the
	 * organisation has several (its budgets), the file's must be one. */
	const struct { const char *field, *name, *file, *org; int list; } f[] = {
		{ "pes.idcoll", "IdColl", pi->idcoll, o->idcoll, 0 },
		{ "pes.codcol", "CodCol", pi->codcol, o->codcol, 0 },
		{ "pes.idpost", "IdPost", pi->idpost, o->idpost, 0 },
		{ "pes.codbud", "CodBud", pi->codbud, o->codbuds, 1 },
	};
	char has[BUDGETS_TEXT];

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (f[i].org && f[i].org[0])
			continue;
		lerr_set(e, LERR_INVALID, "metadata.organisation",
			 "organisation %s has no Hélios %s: it cannot take a PES", o->siren, f[i].name);
		lerr_detail(e, "the file says %s %s; without the organisation's IdColl, CodCol, IdPost "
			    "and budgets, liasse cannot tell whose accounts it holds", f[i].name, f[i].file);
		lerr_hint(e, "ask the operator to set them: liasse org set %s --idcoll ... --codcol ... "
			  "--idpost ... --codbud ...", o->siren);
		return LERR_INVALID;
	}
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (f[i].list ? in_list(f[i].org, f[i].file) : !strcmp(f[i].org, f[i].file))
			continue;
		list_text(f[i].org, has, sizeof(has));
		lerr_set(e, LERR_INVALID, f[i].field, "the PES is not organisation %s's: its %s differs",
			 o->siren, f[i].name);
		lerr_detail(e, "the file says %s, organisation %s has %s", f[i].file, o->siren, has);
		lerr_hint(e, "post the file for the organisation whose %s it carries; if this one's "
			  "Hélios identifiers are wrong or incomplete, the operator corrects them with "
			  "liasse org set %s", f[i].name, o->siren);
		return LERR_INVALID;
	}
	return 0;
}

static int
pes_owner(struct door *d, const struct door_owner *o, struct lerr *e)
{
	return door_pes_owner(pes_scan_info(d->ps), o, e);
}

static const struct door_ops door_pes = {
	.kind = "pes", .file_begin = pes_file_begin, .file_feed = pes_file_feed, .file_end = pes_file_end,
	.owner = pes_owner,
};

/* ---- acte: the "acte" object, a PDF and its annexes ---- */

static int
acte_meta(struct door *d, json_t *obj, struct lerr *e)
{
	if (!obj) {
		lerr_set(e, LERR_INVALID, "metadata.acte", "an acte needs its \"acte\" object");
		lerr_hint(e, "give nature, numero_interne, objet, date_decision and classification");
		return LERR_INVALID;
	}
	return acte_check(obj, NULL, &d->acte, e);
}

static int
acte_file_end(struct door *d, const char *role, const void *head, size_t headlen,
	      const char **media_type, struct lerr *e)
{
	(void)d;
	return acte_file_check(role, head, headlen, media_type, e);
}

static int
acte_complete(struct door *d, size_t n_annexes, struct lerr *e)
{
	int rc = acte_check_annexes(&d->acte, n_annexes, e);

	if (!rc)
		d->meta = acte_meta_json(&d->acte);
	return rc;
}

static const struct door_ops door_acte = {
	.kind = "acte", .meta = acte_meta, .file_end = acte_file_end, .complete = acte_complete,
};

/* ---- document: any file of document_media_types ---- */

static int
document_meta(struct door *d, json_t *obj, struct lerr *e)
{
	(void)d;
	if (obj && (!json_is_object(obj) || json_object_size(obj))) {
		lerr_set(e, LERR_INVALID, "metadata.document",
			 "\"document\" must be an empty object, and only for kind \"document\"");
		lerr_hint(e, "remove \"document\"; it is reserved for later options");
		return LERR_INVALID;
	}
	return 0;
}

static int
document_file_end(struct door *d, const char *role, const void *head, size_t headlen,
		  const char **media_type, struct lerr *e)
{
	(void)d, (void)role;
	return media_check(*media_type, head, headlen, config_str("document_media_types"), media_type, e);
}

static const struct door_ops door_document = {
	.kind = "document", .meta = document_meta, .file_end = document_file_end,
};

/* ---- the table ---- */

static const struct door_ops *const doors[] = { &door_pes, &door_acte, &door_document };

static const struct door_ops *
ops_of(const char *kind)
{
	for (size_t i = 0; i < sizeof(doors) / sizeof(doors[0]); i++)
		if (!strcmp(doors[i]->kind, kind))
			return doors[i];
	return NULL;
}

int
door_complete_table(void)
{
	const struct doc_kind *k;

	for (size_t i = 0; (k = doc_kind_at(i)); i++)
		if (!ops_of(k->name))
			return 0;
	return 1;
}

int
door_init(struct door *d, const char *kind, struct lerr *e)
{
	memset(d, 0, sizeof(*d));
	d->kind = doc_kind_get(kind);
	d->ops = d->kind ? ops_of(kind) : NULL;
	if (!d->ops) {
		lerr_set(e, LERR_INVALID, "metadata.kind", "unknown kind \"%s\"", kind);
		lerr_hint(e, "use one of %s", doc_kind_names(", "));
		return LERR_INVALID;
	}
	return 0;
}

void
door_fini(struct door *d)
{
	pes_scan_destroy(d->ps);
	json_decref(d->meta);
	json_decref(d->sigopts);
	json_decref(d->warnings);
	memset(d, 0, sizeof(*d));
}

/* Another kind's object in the metadata. */
static int
foreign_object(const struct door *d, json_t *m, struct lerr *e)
{
	const struct doc_kind *k;
	char field[64];

	for (size_t i = 0; (k = doc_kind_at(i)); i++) {
		if (k == d->kind || !k->meta_key || !json_object_get(m, k->meta_key))
			continue;
		snprintf(field, sizeof(field), "metadata.%s", k->meta_key);
		lerr_set(e, LERR_INVALID, field, "\"%s\" is only for kind \"%s\"", k->meta_key, k->name);
		lerr_hint(e, "remove \"%s\", or set kind to \"%s\"", k->meta_key, k->name);
		return LERR_INVALID;
	}
	return 0;
}

/* metadata.signature_position: {"page": n >= 1, "x": pt, "y": pt} from the
 * bottom left of the page, for the PAdES visible block. */
static int
sig_position(json_t *pos, struct lerr *e)
{
	json_t *pg = json_object_get(pos, "page"), *x = json_object_get(pos, "x"),
	       *y = json_object_get(pos, "y");

	if (!json_is_object(pos) || json_object_size(pos) != 3 || !json_is_integer(pg) ||
	    json_integer_value(pg) < 1 || json_integer_value(pg) > 100000 ||
	    !json_is_number(x) || !json_is_number(y) || json_number_value(x) < 0 ||
	    json_number_value(y) < 0 || json_number_value(x) > 14400 || json_number_value(y) > 14400) {
		lerr_set(e, LERR_INVALID, "metadata.signature_position",
			 "signature_position must be {\"page\": n, \"x\": points, \"y\": points}");
		lerr_hint(e, "page from 1, x and y in points (1/72 inch) from the bottom left corner "
			  "of the page, 0 to 14400");
		return LERR_INVALID;
	}
	return 0;
}

/* metadata.signature_profile: one of the kind's profiles (core/kind.c). */
static int
sig_options(struct door *d, json_t *m, struct lerr *e)
{
	json_t *p = json_object_get(m, "signature_profile"), *pos = json_object_get(m, "signature_position");
	const char *name = json_string_value(p);

	if (p && !doc_kind_profile_allowed(d->kind, name)) {
		lerr_set(e, LERR_INVALID, "metadata.signature_profile",
			 "kind \"%s\" cannot be signed with profile \"%s\"", d->kind->name,
			 name ? name : "(not a string)");
		lerr_hint(e, "leave signature_profile out for the kind's default (%s)%s",
			  doc_kind_profile(d->kind), doc_kind_profile_allowed(d->kind, "pades") ?
			  ", or give \"pades\" for a signed PDF" : "");
		return LERR_INVALID;
	}
	if (pos && (!name || strcmp(name, "pades"))) {
		lerr_set(e, LERR_INVALID, "metadata.signature_position",
			 "signature_position is only for signature_profile \"pades\"");
		lerr_hint(e, "add \"signature_profile\": \"pades\", or remove signature_position");
		return LERR_INVALID;
	}
	if (pos && sig_position(pos, e))
		return LERR_INVALID;
	if (p && !(d->sigopts = json_pack("{s:O, s:O*}", "signature_profile", p,
					  "signature_position", pos)))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	return 0;
}

static int
pades_needs_pdf(const struct door *d, const char *role, const char *media_type, struct lerr *e)
{
	const char *p = json_string_value(json_object_get(d->sigopts, "signature_profile"));

	if (!p || strcmp(p, "pades") || !strcmp(role, "annexe") ||
	    (media_type && !strcmp(media_type, "application/pdf")))
		return 0;
	lerr_set(e, LERR_INVALID, "metadata.signature_profile",
		 "signature_profile \"pades\" signs a PDF, and the file is %s",
		 media_type ? media_type : "of an unknown type");
	lerr_hint(e, "send the document as a PDF, or leave signature_profile out");
	return LERR_INVALID;
}

static const char *
sig_profile(const struct door *d)
{
	return json_string_value(json_object_get(d->sigopts, "signature_profile"));
}

int
door_wants_org_signature(const struct door *d)
{
	const char *p = sig_profile(d);

	return (!p && !strcmp(d->kind->name, "acte")) ||
	       (p && !strcmp(p, "pades") && !json_object_get(d->sigopts, "signature_position"));
}

int
door_org_signature(struct door *d, const char *acte_signature, int page, float x, float y,
		   struct lerr *e)
{
	json_t *pos;

	if (!sig_profile(d) && acte_signature && !strcmp(acte_signature, "pades") &&
	    doc_kind_profile_allowed(d->kind, "pades"))
		d->sigopts = json_pack("{s:s}", "signature_profile", "pades");
	if (!d->sigopts)
		return 0;
	if (page > 0 && !json_object_get(d->sigopts, "signature_position") &&
	    (!(pos = json_pack("{s:i, s:f, s:f}", "page", page, "x", (double)x, "y", (double)y)) ||
	     json_object_set_new(d->sigopts, "signature_position", pos)))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	return 0;
}

json_t *
door_meta_json(const struct door *d)
{
	json_t *m;

	if (!d->sigopts)
		return d->meta ? json_incref(d->meta) : NULL;
	m = d->meta ? json_deep_copy(d->meta) : json_object();
	if (m && json_object_update(m, d->sigopts)) {
		json_decref(m);
		return NULL;
	}
	return m;
}

int
door_meta(struct door *d, json_t *m, int *sign, int *transmit, struct lerr *e)
{
	const struct doc_kind *k = d->kind;
	int rc;

	*sign = k->sign;
	*transmit = k->transmit;
	if ((rc = meta_get_bool(m, "sign", "metadata", 0, sign, e)) ||
	    (rc = meta_get_bool(m, "transmit", "metadata", 0, transmit, e)))
		return rc;
	d->asked_sign = json_object_get(m, "sign") ? *sign : -1;
	if (!*sign && !*transmit) {
		lerr_set(e, LERR_INVALID, "metadata.sign", "nothing to do: sign and transmit are both false");
		lerr_hint(e, "ask for a signature, a transmission or both");
		return LERR_INVALID;
	}
	if (*transmit && !doc_kind_transmittable(k)) {
		lerr_set(e, LERR_INVALID, "metadata.transmit", "kind \"%s\" cannot be transmitted", k->name);
		lerr_hint(e, "use a kind the state platforms take, or set transmit to false");
		return LERR_INVALID;
	}
	if ((rc = foreign_object(d, m, e)) || (rc = sig_options(d, m, e)))
		return rc;
	if (d->ops->meta)
		return d->ops->meta(d, k->meta_key ? json_object_get(m, k->meta_key) : NULL, e);
	return 0;
}

int
door_file_begin(struct door *d, int main_file, struct lerr *e)
{
	if (!main_file && !d->kind->annexes) {
		lerr_set(e, LERR_INVALID, "annexe", "kind \"%s\" takes no annexes", d->kind->name);
		lerr_hint(e, "send the main file alone");
		return LERR_INVALID;
	}
	return d->ops->file_begin ? d->ops->file_begin(d, main_file, e) : 0;
}

int
door_file_feed(struct door *d, const void *p, size_t n, struct lerr *e)
{
	return d->ops->file_feed ? d->ops->file_feed(d, p, n, e) : 0;
}

int
door_file_end(struct door *d, const char *role, const void *head, size_t headlen,
	      const char **media_type, struct lerr *e)
{
	int rc = d->ops->file_end ? d->ops->file_end(d, role, head, headlen, media_type, e) : 0;

	return rc ? rc : pades_needs_pdf(d, role, *media_type, e);
}

int
door_complete(struct door *d, size_t n_annexes, struct lerr *e)
{
	return d->ops->complete ? d->ops->complete(d, n_annexes, e) : 0;
}

int
door_wants_owner(const struct door *d)
{
	return d->ops->owner != NULL;
}

int
door_owner_ready(const struct door *d)
{
	return d->ps && pes_scan_info(d->ps)->header_ok;
}

int
door_owner(struct door *d, const struct door_owner *o, struct lerr *e)
{
	return d->ops->owner ? d->ops->owner(d, o, e) : 0;
}

long long
door_file_limit(const struct door *d, long long total)
{
	if (!d->kind->max_total)
		return config_int("document_max_size");
	return (long long)d->kind->max_total - total;
}
