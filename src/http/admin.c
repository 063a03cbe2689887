/*
 * admin.c - the administrators' API for people, their roles and the routing
 * rules.  Operator administrators may do everything; an organisation's
 * administrator may give roles and routing rules in their organisation.
 * (Certificates: sign.c; organisations and vendor clients: the CLI.)
 */
#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/secret.h"

static int
run(struct req *rq, unsigned status, const char *siren,
    int (*fn)(struct req *rq, struct store_conn *c, json_t *body, char **json, struct lerr *e),
    json_t *body)
{
	struct store_conn *c = NULL;
	char *json = NULL;
	struct lerr e;
	int rc;

	lerr_clear(&e);
	rc = store_acquire(http_store(rq), &c, &e);
	if (!rc)
		rc = store_person_is_admin(c, rq->person.id, siren, &e);
	if (!rc)
		rc = fn(rq, c, body, &json, &e);
	store_release(http_store(rq), c);
	json_decref(body);
	if (rc)
		return http_reply_problem(rq, &e);
	if (!json)
		json = strdup("{}");
	return http_reply_raw(rq, status, "application/json", json, strlen(json));
}

static const char *
str(json_t *body, const char *k)
{
	return json_string_value(json_object_get(body, k));
}

static int
people(struct req *rq, struct store_conn *c, json_t *body, char **json, struct lerr *e)
{
	(void)rq, (void)body;
	return store_person_list(c, json, e);
}

static int
people_get(struct req *rq)
{
	return run(rq, 200, NULL, people, NULL);
}

static int
person_add(struct req *rq, struct store_conn *c, json_t *body, char **json, struct lerr *e)
{
	const char *password = str(body, "password");
	char hash[PASSWD_HASH_MAX] = "";
	long long id = 0;
	int rc = 0;

	if (json_is_true(json_object_get(body, "operator")) && !rq->person.is_operator) {
		lerr_set(e, LERR_FORBIDDEN, "operator", "only an operator administrator can create another");
		lerr_hint(e, "leave \"operator\" out");
		return (int)e->kind;
	}
	if (password && !(rc = passwd_acceptable(password, e)))
		rc = passwd_hash(password, hash, e);
	if (!rc)
		rc = store_person_add(c, str(body, "email"), str(body, "name"), hash,
				      json_is_true(json_object_get(body, "operator")), http_actor(rq), &id, e);
	OPENSSL_cleanse(hash, sizeof hash);
	return rc ? rc : store_me_json(c, id, json, e);
}

static int
person_post(struct req *rq)
{
	json_t *j = http_json_body(rq);

	return j ? run(rq, 201, NULL, person_add, j) : 0;
}

static int
role_add(struct req *rq, struct store_conn *c, json_t *body, char **json, struct lerr *e)
{
	long long id = 0;
	int rc = store_role_add(c, rq->params[0], str(body, "organisation"), str(body, "role"),
				str(body, "function"), http_actor(rq), e);

	if (!rc)
		rc = store_person_id(c, rq->params[0], &id, e);
	return rc ? rc : store_me_json(c, id, json, e);
}

static int
role_post(struct req *rq)
{
	json_t *j = http_json_body(rq);

	if (!j)
		return 0;
	return run(rq, 201, str(j, "organisation") ? str(j, "organisation") : "", role_add, j);
}

static int
routing(struct req *rq, struct store_conn *c, json_t *body, char **json, struct lerr *e)
{
	(void)rq, (void)body;
	return store_routing_list(c, json, e);
}

static int
routing_get(struct req *rq)
{
	return run(rq, 200, NULL, routing, NULL);
}

static int
routing_add(struct req *rq, struct store_conn *c, json_t *body, char **json, struct lerr *e)
{
	json_t *nat = json_object_get(body, "nature");
	int rc;

	if (nat && !json_is_integer(nat)) {
		lerr_set(e, LERR_INVALID, "nature", "nature must be an integer from 1 to 6");
		lerr_hint(e, "1 DE, 2 AR, 3 AI, 4 CC, 5 BF, 6 AU; leave it out for every nature");
		return (int)e->kind;
	}
	rc = store_routing_add(c, str(body, "organisation"), str(body, "kind"),
			       nat ? (int)json_integer_value(nat) : 0, str(body, "signer"), http_actor(rq), e);

	return rc ? rc : store_routing_list(c, json, e);
}

static int
routing_post(struct req *rq)
{
	json_t *j = http_json_body(rq);

	if (!j)
		return 0;
	return run(rq, 201, str(j, "organisation") ? str(j, "organisation") : "", routing_add, j);
}

const struct http_handler http_h_admin_people = { .handle = people_get };
const struct http_handler http_h_admin_person_post = { .handle = person_post };
const struct http_handler http_h_admin_role_post = { .handle = role_post };
const struct http_handler http_h_admin_routing = { .handle = routing_get };
const struct http_handler http_h_admin_routing_post = { .handle = routing_post };
