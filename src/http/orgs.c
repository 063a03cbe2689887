/*
 * orgs.c - the administrators' API for organisations (issue 13, point 4):
 * GET /api/v1/admin/organisations (an operator: every one; an organisation's
 * administrator: theirs), POST (operators: a new organisation in the tree),
 * PUT /api/v1/admin/organisations/{siren} (operators, or that
 * organisation's administrator: its name, @ctes and Hélios identifiers,
 * budgets, archiving policy).  The same store functions as the CLI and the
 * pages (liasse org add/set, /admin), journaled with the real actor.
 */
#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf.h"

static int
bad_field(struct lerr *e, const char *field, const char *what)
{
	lerr_set(e, LERR_INVALID, field, "%s must be %s", field, what);
	lerr_hint(e, "see the Organisation schema of /api/v1/openapi.json");
	return LERR_INVALID;
}

/* A string member into out (absent or null: left empty, i.e. unchanged). */
static int
text_field(json_t *o, const char *k, const char *field, char *out, size_t n, struct lerr *e)
{
	json_t *v = json_object_get(o, k);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !*json_string_value(v))
		return bad_field(e, field, "a non-empty string");
	if (strlen(json_string_value(v)) >= n)
		return bad_field(e, field, "shorter");
	snprintf(out, n, "%s", json_string_value(v));
	return 0;
}

/* arrondissement (0-9) or nature_actes (1-6). */
static int
int_field(json_t *o, const char *k, int lo, int hi, int *out, struct lerr *e)
{
	json_t *v = json_object_get(o, k);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bad_field(e, k, lo == 0 ? "an integer from 0 to 9" : "an integer from 1 to 6");
	*out = (int)json_integer_value(v);
	return 0;
}

/* The budgets, a JSON array of CodBud strings, as "01,02". */
static int
budgets_field(json_t *h, struct org *o, struct lerr *e)
{
	json_t *v = json_object_get(h, "budgets"), *b;
	size_t i, at = 0;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > STORE_ORG_BUDGETS)
		return bad_field(e, "helios.budgets", "a non-empty array of CodBud strings");
	json_array_foreach(v, i, b) {
		if (!json_is_string(b) || strlen(json_string_value(b)) != 2)
			return bad_field(e, "helios.budgets", "an array of 2-character CodBud strings");
		at += (size_t)snprintf(o->codbuds + at, sizeof(o->codbuds) - at, "%s%s", i ? "," : "",
				       json_string_value(b));
	}
	return 0;
}

/* The body of a POST or PUT into o (what is absent stays unset). */
static int
org_from_body(json_t *body, struct org *o, struct lerr *e)
{
	json_t *h = json_object_get(body, "helios"), *a = json_object_get(body, "archive_after");
	int rc;

	if (!json_is_object(body))
		return bad_field(e, "body", "a JSON object");
	if ((rc = text_field(body, "name", "name", o->name, sizeof(o->name), e)) ||
	    (rc = text_field(body, "departement", "departement", o->departement, sizeof(o->departement), e)) ||
	    (rc = int_field(body, "arrondissement", 0, 9, &o->arrondissement, e)) ||
	    (rc = int_field(body, "nature_actes", 1, 6, &o->nature_actes, e)) ||
	    (rc = text_field(body, "city", "city", o->city, sizeof(o->city), e)) ||
	    (rc = text_field(body, "postal_code", "postal_code", o->postal_code, sizeof(o->postal_code), e)))
		return rc;
	if (h && !json_is_null(h) && !json_is_object(h))
		return bad_field(e, "helios", "an object");
	if (h && ((rc = text_field(h, "idcoll", "helios.idcoll", o->idcoll, sizeof(o->idcoll), e)) ||
		  (rc = text_field(h, "codcol", "helios.codcol", o->codcol, sizeof(o->codcol), e)) ||
		  (rc = text_field(h, "idpost", "helios.idpost", o->idpost, sizeof(o->idpost), e)) ||
		  (rc = text_field(h, "p_dest", "helios.p_dest", o->p_dest, sizeof(o->p_dest), e)) ||
		  (rc = budgets_field(h, o, e))))
		return rc;
	if (json_is_null(a))
		snprintf(o->archive_after, sizeof(o->archive_after), "never");
	else if (a && (rc = text_field(body, "archive_after", "archive_after", o->archive_after,
				       sizeof(o->archive_after), e)))
		return rc;
	return 0;
}

/* The organisation as org_json() shows it, status 200 or 201. */
static int
reply_org(struct req *rq, struct store_conn *c, const char *siren, unsigned status, struct lerr *e)
{
	char *list = NULL, *one;
	json_t *arr;
	int rc = store_org_list_json(c, rq->person.id, siren, &list, e);

	if (rc)
		return rc;
	arr = json_loads(list, 0, NULL);
	free(list);
	one = arr && json_array_size(arr) ? json_dumps(json_array_get(arr, 0), JSON_COMPACT) : NULL;
	json_decref(arr);
	if (!one)
		return lerr_set(e, LERR_NOTFOUND, "siren", "no organisation %s you administer", siren);
	return http_reply_json_text(rq, status, one);
}

static int
list(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;
	int rc = store_person_is_admin(c, rq->person.id, "*", e);

	if (!rc)
		rc = store_org_list_json(c, rq->person.id, NULL, &json, e);
	return rc ? rc : http_reply_json_text(rq, 200, json);
}

static int
create(struct req *rq, struct store_conn *c, struct lerr *e)
{
	json_t *body = http_json_body(rq);
	struct org o;
	int rc;

	if (!body)
		return 0;
	store_org_init(&o);
	if (!rq->person.is_operator) {
		rc = lerr_set(e, LERR_FORBIDDEN, NULL, "only an operator administrator adds organisations");
		lerr_hint(e, "ask the operator's administrators");
	} else if (!(rc = org_from_body(body, &o, e)) &&
		   !(rc = text_field(body, "siren", "siren", o.siren, sizeof(o.siren), e)) &&
		   !(rc = text_field(body, "parent", "parent", o.parent_siren, sizeof(o.parent_siren), e))) {
		if (!o.siren[0] || !o.name[0])
			rc = bad_field(e, o.siren[0] ? "name" : "siren", "given");
		if (!rc && !(rc = store_begin(c, e))) {
			rc = store_org_insert(c, &o, http_actor(rq), e);
			if (!rc && o.archive_after[0])   /* the policy is set as an update */
				rc = store_org_set_helios(c, o.siren, &o, http_actor(rq), e);
			rc = rc ? (store_rollback(c), rc) : store_commit(c, e);
		}
	}
	json_decref(body);
	return rc ? rc : reply_org(rq, c, o.siren, 201, e);
}

static int
update(struct req *rq, struct store_conn *c, struct lerr *e)
{
	json_t *body = http_json_body(rq);
	struct org o;
	int rc;

	if (!body)
		return 0;
	store_org_init(&o);
	rc = store_person_is_admin(c, rq->person.id, rq->params[0], e);
	if (!rc && json_object_get(body, "parent"))
		rc = bad_field(e, "parent", "left out: an organisation does not move in the tree");
	if (!rc)
		rc = org_from_body(body, &o, e);
	if (!rc)
		rc = store_org_set_helios(c, rq->params[0], &o, http_actor(rq), e);
	json_decref(body);
	return rc ? rc : reply_org(rq, c, rq->params[0], 200, e);
}

static int
orgs_get(struct req *rq)
{
	return http_with_conn(rq, list);
}

static int
orgs_post(struct req *rq)
{
	return http_with_conn(rq, create);
}

static int
org_put(struct req *rq)
{
	return http_with_conn(rq, update);
}

/* ---- /api/v1/admin/organisations/{siren}/logo: the PAdES block's logo ---- */

static int
logo_get(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char type[16];
	struct buf img;
	char *copy;
	int rc = store_person_is_admin(c, rq->person.id, rq->params[0], e);

	buf_init(&img, LPDF_LOGO_MAX);
	if (!rc)
		rc = store_org_logo_get(c, rq->params[0], type, &img, e);
	if (!rc && !img.len) {
		rc = lerr_set(e, LERR_NOTFOUND, NULL, "the organisation %s has no logo", rq->params[0]);
		lerr_hint(e, "set one with PUT /api/v1/admin/organisations/%s/logo (a PNG or JPEG body)",
			  rq->params[0]);
	}
	if (!rc && !(copy = malloc(img.len ? img.len : 1)))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	if (!rc) {
		memcpy(copy, img.data, img.len);
		http_reply_raw(rq, 200, type, copy, img.len);
	}
	buf_fini(&img);
	return rc;
}

static int
logo_put(struct req *rq, struct store_conn *c, struct lerr *e)
{
	struct lpdf_image im;
	int rc = store_person_is_admin(c, rq->person.id, rq->params[0], e);

	if (!rc && !rq->body.len) {
		rc = lerr_set(e, LERR_INVALID, "logo", "the request has no body");
		lerr_hint(e, "send the PNG or JPEG file as the body (Content-Type image/png or image/jpeg)");
	}
	if (!rc)
		rc = lpdf_image_check(rq->body.data, rq->body.len, &im, e);
	if (!rc)
		rc = store_org_logo_set(c, rq->params[0], im.media_type, im.w, im.h, rq->body.data,
					rq->body.len, http_actor(rq), e);
	if (rc)
		return rc;
	return http_reply_json(rq, 200, json_pack("{s:s, s:s, s:i, s:i, s:I}", "organisation",
		rq->params[0], "media_type", im.media_type, "width", im.w, "height", im.h, "size",
		(json_int_t)rq->body.len));
}

static int
logo_delete(struct req *rq, struct store_conn *c, struct lerr *e)
{
	int rc = store_person_is_admin(c, rq->person.id, rq->params[0], e);

	if (!rc)
		rc = store_org_logo_delete(c, rq->params[0], http_actor(rq), e);
	return rc ? rc : http_reply_text(rq, 204, "text/plain", "", 0);
}

static int
org_logo_get(struct req *rq)
{
	return http_with_conn(rq, logo_get);
}

static int
org_logo_put(struct req *rq)
{
	return http_with_conn(rq, logo_put);
}

static int
org_logo_delete(struct req *rq)
{
	return http_with_conn(rq, logo_delete);
}

/* The image's cap and some room: more is refused with 413 while it comes,
 * up to the cap lpdf_image_check refuses with 422 saying what to do. */
static size_t
logo_max_body(struct req *rq)
{
	(void)rq;
	return 2 * LPDF_LOGO_MAX;
}

const struct http_handler http_h_admin_org_logo = { .handle = org_logo_get };
const struct http_handler http_h_admin_org_logo_put = { .handle = org_logo_put,
							.max_body = logo_max_body };
const struct http_handler http_h_admin_org_logo_delete = { .handle = org_logo_delete };

const struct http_handler http_h_admin_orgs = { .handle = orgs_get };
const struct http_handler http_h_admin_org_post = { .handle = orgs_post };
const struct http_handler http_h_admin_org_put = { .handle = org_put };
