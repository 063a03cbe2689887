/*
 * admin.c - the administrators' API for people, their roles and the routing
 * rules.  Operator administrators may do everything; an organisation's
 * administrator may add people and give roles and routing rules in their
 * organisation.  (Certificates: sign.c; organisations and vendor clients:
 * the CLI and the web pages.)  Circuits: ordered visa and signature steps,
 * versioned (doc/circuits.md).
 */
#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/secret.h"

static const char *
str(json_t *body, const char *k)
{
	return json_string_value(json_object_get(body, k));
}

/* Replies status with *json when rc is 0 (json is read after rc is known:
 * pass &json, not json, next to a call that fills it). */
static int
reply(struct req *rq, int rc, unsigned status, char **json)
{
	return rc ? rc : http_reply_json_text(rq, status, *json);
}

static int
people(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;
	int rc = store_person_is_admin(c, rq->person.id, NULL, e);

	return reply(rq, rc ? rc : store_person_list(c, &json, e), 200, &json);
}

static int
add_person(struct req *rq, struct store_conn *c, json_t *body, char **json, struct lerr *e)
{
	const char *password = str(body, "password");
	int operator = json_is_true(json_object_get(body, "operator"));
	char hash[PASSWD_HASH_MAX] = "";
	long long id = 0;
	int rc = store_person_is_admin(c, rq->person.id, "*", e);

	if (!rc && operator && !rq->person.is_operator) {
		rc = lerr_set(e, LERR_FORBIDDEN, "operator", "only an operator administrator can create another");
		lerr_hint(e, "leave \"operator\" out");
	}
	if (!rc && password && !(rc = passwd_acceptable(password, e)))
		rc = passwd_hash(password, hash, e);
	if (!rc)
		rc = store_person_add(c, str(body, "email"), str(body, "name"), hash, operator,
				      http_actor(rq), &id, e);
	OPENSSL_cleanse(hash, sizeof hash);
	return rc ? rc : store_me_json(c, id, json, e);
}

static int
add_role(struct req *rq, struct store_conn *c, json_t *body, char **json, struct lerr *e)
{
	const char *org = str(body, "organisation");
	long long id = 0;
	int rc = store_person_is_admin(c, rq->person.id, org ? org : "", e);

	if (!rc)
		rc = store_role_add(c, rq->params[0], org, str(body, "role"), str(body, "function"),
				    http_actor(rq), e);
	if (!rc)
		rc = store_person_id(c, rq->params[0], &id, e);
	return rc ? rc : store_me_json(c, id, json, e);
}

static int
routing(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;
	int rc = store_person_is_admin(c, rq->person.id, NULL, e);

	return reply(rq, rc ? rc : store_routing_list(c, &json, e), 200, &json);
}

static int
add_routing(struct req *rq, struct store_conn *c, json_t *body, char **json, struct lerr *e)
{
	const char *org = str(body, "organisation");
	json_t *nat = json_object_get(body, "nature");
	int rc = store_person_is_admin(c, rq->person.id, org ? org : "", e);

	if (!rc && nat && !json_is_integer(nat)) {
		rc = lerr_set(e, LERR_INVALID, "nature", "nature must be an integer from 1 to 6");
		lerr_hint(e, "1 DE, 2 AR, 3 AI, 4 CC, 5 BF, 6 AU; leave it out for every nature");
	}
	if (!rc && str(body, "circuit") && str(body, "signer")) {
		rc = lerr_set(e, LERR_INVALID, "circuit", "a rule leads to a signer or a circuit, not both");
		lerr_hint(e, "send \"signer\" (a one-step circuit) or \"circuit\" (its name)");
	}
	if (!rc && str(body, "circuit"))
		rc = store_routing_add_circuit(c, org, str(body, "kind"), nat ? (int)json_integer_value(nat) : 0,
					       str(body, "circuit"), http_actor(rq), e);
	else if (!rc)
		rc = store_routing_add(c, org, str(body, "kind"), nat ? (int)json_integer_value(nat) : 0,
				       str(body, "signer"), http_actor(rq), e);
	return rc ? rc : store_routing_list(c, json, e);
}

/* DELETE ?organisation=SIREN&kind=K[&nature=N]: the rule goes (routing_remove()). */
static int
remove_routing(struct req *rq, struct store_conn *c, struct lerr *e)
{
	const char *org = http_query(rq, "organisation"), *kind = http_query(rq, "kind");
	const char *nat = http_query(rq, "nature");
	char *json = NULL;
	int rc = store_person_is_admin(c, rq->person.id, org ? org : "", e);

	if (!rc && (!org || !kind)) {
		rc = lerr_set(e, LERR_INVALID, org ? "kind" : "organisation", "the rule's organisation and kind are required");
		lerr_hint(e, "DELETE /api/v1/admin/routing?organisation=<SIREN>&kind=acte[&nature=1]");
	}
	if (!rc && nat && (strlen(nat) != 1 || *nat < '1' || *nat > '6')) {
		rc = lerr_set(e, LERR_INVALID, "nature", "nature must be an integer from 1 to 6");
		lerr_hint(e, "1 DE, 2 AR, 3 AI, 4 CC, 5 BF, 6 AU; leave it out for the rule of every nature");
	}
	if (!rc)
		rc = store_routing_remove(c, org, kind, nat ? *nat - '0' : 0, http_actor(rq), e);
	return reply(rq, rc ? rc : store_routing_list(c, &json, e), 200, &json);
}

/* ---- circuits (doc/circuits.md) ---- */

/* "siren (name), ..." of a list of organisations, capped. */
static void
org_names(json_t *list, char *out, size_t n)
{
	size_t i, o = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < json_array_size(list) && o < n; i++) {
		w = snprintf(out + o, n - o, "%s%s (%s)", i ? ", " : "", str(json_array_get(list, i), "siren"),
			     str(json_array_get(list, i), "name"));
		o += w > 0 ? (size_t)w : 0;
	}
}

/* Without ?organisation=, an organisation's administrator means the one they
 * administer; with several, a 422 names them.  Operators list every
 * circuit. */
static int
own_org(struct req *rq, struct store_conn *c, const char **org, struct lerr *e)
{
	char *json = NULL, names[600];
	json_t *list;
	int rc;

	if (*org || rq->person.is_operator)
		return 0;
	if ((rc = store_person_admin_orgs(c, rq->person.id, &json, e)))
		return rc;
	list = json_loads(json, 0, NULL);
	free(json);
	if (json_array_size(list) == 1)
		*org = arena_printf(rq->arena, "%s", str(json_array_get(list, 0), "siren"));
	if (json_array_size(list) > 1) {
		org_names(list, names, sizeof(names));
		rc = lerr_set(e, LERR_INVALID, "organisation", "you administer %zu organisations: say which one",
			      json_array_size(list));
		lerr_detail(e, "you administer %s", names);
		lerr_hint(e, "add ?organisation=<SIREN> with one of these SIRENs");
	}
	json_decref(list);
	return rc;
}

static int
circuits(struct req *rq, struct store_conn *c, struct lerr *e)
{
	const char *org = http_query(rq, "organisation");
	char *json = NULL;
	int rc = own_org(rq, c, &org, e);

	if (!rc)
		rc = store_person_is_admin(c, rq->person.id, org, e);
	if (rc == LERR_FORBIDDEN && !org)
		lerr_hint(e, "circuits are listed by operators and by the administrators (org_admin) of "
			  "an organisation");
	return reply(rq, rc ? rc : store_circuits_json(c, org, &json, e), 200, &json);
}

/* "steps" as JSON text (NULL when absent: the store refuses it). */
static char *
steps_text(struct req *rq, json_t *body)
{
	json_t *steps = json_object_get(body, "steps");
	char *t = steps ? json_dumps(steps, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	char *out = t ? arena_printf(rq->arena, "%s", t) : NULL;

	free(t);
	return out;
}

static int
add_circuit(struct req *rq, struct store_conn *c, json_t *body, char **json, struct lerr *e)
{
	const char *org = str(body, "organisation");
	int rc = store_person_is_admin(c, rq->person.id, org ? org : "", e);

	if (!rc && !org) {
		rc = lerr_set(e, LERR_INVALID, "organisation", "the circuit's organisation is required");
		lerr_hint(e, "send \"organisation\": its SIREN");
	}
	return rc ? rc : store_circuit_save(c, 0, org, str(body, "name"), steps_text(rq, body),
					    http_actor(rq), json, e);
}

/* The circuit {id} of the URL, and whether the caller administers its
 * organisation. */
static int
circuit_id(struct req *rq, struct store_conn *c, long long *id, struct lerr *e)
{
	const char *s = rq->params[0];
	char *siren = NULL;
	int rc;

	*id = atoll(s);
	if (*id <= 0 || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18) {
		lerr_set(e, LERR_NOTFOUND, "id", "no such circuit");
		lerr_hint(e, "GET /api/v1/admin/circuits lists them");
		return LERR_NOTFOUND;
	}
	rc = store_circuit_org(c, *id, &siren, e);
	if (!rc)
		rc = store_person_is_admin(c, rq->person.id, siren, e);
	free(siren);
	return rc;
}

static int
edit_circuit(struct req *rq, struct store_conn *c, struct lerr *e)
{
	json_t *body = http_json_body(rq);
	char *json = NULL;
	long long id;
	int rc;

	if (!body)
		return 0;
	rc = circuit_id(rq, c, &id, e);
	if (!rc)
		rc = store_circuit_save(c, id, NULL, str(body, "name"), steps_text(rq, body),
					http_actor(rq), &json, e);
	json_decref(body);
	return reply(rq, rc, 200, &json);
}

static int
retire_circuit(struct req *rq, struct store_conn *c, struct lerr *e)
{
	char *json = NULL;
	long long id;
	int rc = circuit_id(rq, c, &id, e);

	return reply(rq, rc ? rc : store_circuit_retire(c, id, http_actor(rq), &json, e), 200, &json);
}

/* The POSTs: a JSON body, one change, 201 with what it made. */
static int
post(struct req *rq, struct store_conn *c, struct lerr *e,
     int (*fn)(struct req *, struct store_conn *, json_t *, char **, struct lerr *))
{
	json_t *body = http_json_body(rq);
	char *json = NULL;
	int rc;

	if (!body)
		return 0;
	rc = fn(rq, c, body, &json, e);
	json_decref(body);
	return reply(rq, rc, 201, &json);
}

static int
person_post_c(struct req *rq, struct store_conn *c, struct lerr *e)
{
	return post(rq, c, e, add_person);
}

static int
role_post_c(struct req *rq, struct store_conn *c, struct lerr *e)
{
	return post(rq, c, e, add_role);
}

static int
routing_post_c(struct req *rq, struct store_conn *c, struct lerr *e)
{
	return post(rq, c, e, add_routing);
}

static int
circuit_post_c(struct req *rq, struct store_conn *c, struct lerr *e)
{
	return post(rq, c, e, add_circuit);
}

static int
circuits_get(struct req *rq)
{
	return http_with_conn(rq, circuits);
}

static int
circuit_post(struct req *rq)
{
	return http_with_conn(rq, circuit_post_c);
}

static int
circuit_put(struct req *rq)
{
	return http_with_conn(rq, edit_circuit);
}

static int
circuit_delete(struct req *rq)
{
	return http_with_conn(rq, retire_circuit);
}

static int
people_get(struct req *rq)
{
	return http_with_conn(rq, people);
}

static int
person_post(struct req *rq)
{
	return http_with_conn(rq, person_post_c);
}

static int
role_post(struct req *rq)
{
	return http_with_conn(rq, role_post_c);
}

static int
routing_get(struct req *rq)
{
	return http_with_conn(rq, routing);
}

static int
routing_delete(struct req *rq)
{
	return http_with_conn(rq, remove_routing);
}

static int
routing_post(struct req *rq)
{
	return http_with_conn(rq, routing_post_c);
}

const struct http_handler http_h_admin_people = { .handle = people_get };
const struct http_handler http_h_admin_person_post = { .handle = person_post };
const struct http_handler http_h_admin_role_post = { .handle = role_post };
const struct http_handler http_h_admin_routing = { .handle = routing_get };
const struct http_handler http_h_admin_routing_post = { .handle = routing_post };
const struct http_handler http_h_admin_routing_delete = { .handle = routing_delete };
const struct http_handler http_h_admin_circuits = { .handle = circuits_get };
const struct http_handler http_h_admin_circuit_post = { .handle = circuit_post };
const struct http_handler http_h_admin_circuit_put = { .handle = circuit_put };
const struct http_handler http_h_admin_circuit_delete = { .handle = circuit_delete };
