/*
 * circuit.c - circuits (022_circuits.sql, functions/45_circuit.sql): the
 * administrators' list and edits, and the steps of a document (visa, droit
 * de remords).  Every rule is in the SQL functions; this file passes
 * parameters and returns their JSON.  doc/circuits.md tells the design.
 */
#include <stdio.h>
#include <stdlib.h>

#include "store/store_int.h"

int
store_circuits_json(struct store_conn *c, const char *siren, char **json, struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(sq_opt(siren)) };

	return sq_json(c, "SELECT circuits_json($1)::text", p, 1, json, e);
}

int
store_circuit_save(struct store_conn *c, long long id, const char *siren, const char *name,
		   const char *steps_json, const char *actor, char **json, struct lerr *e)
{
	char cid[24];
	struct sqlp p[] = { SQLP_TEXT(id ? cid : NULL), SQLP_TEXT(sq_opt(siren)), SQLP_TEXT(sq_opt(name)),
			    SQLP_TEXT(steps_json), SQLP_TEXT(actor) };

	snprintf(cid, sizeof(cid), "%lld", id);
	return sq_json(c, "SELECT circuit_save($1::bigint, $2, $3, $4::jsonb, $5)::text", p, 5, json, e);
}

int
store_circuit_retire(struct store_conn *c, long long id, const char *actor, char **json, struct lerr *e)
{
	char cid[24];
	struct sqlp p[] = { SQLP_TEXT(cid), SQLP_TEXT(actor) };

	snprintf(cid, sizeof(cid), "%lld", id);
	return sq_json(c, "SELECT circuit_retire($1::bigint, $2)::text", p, 2, json, e);
}

int
store_circuit_org(struct store_conn *c, long long id, char **siren, struct lerr *e)
{
	char cid[24];
	struct sqlp p[] = { SQLP_TEXT(cid) };
	int rc;

	snprintf(cid, sizeof(cid), "%lld", id);
	rc = sq_json(c, "SELECT circuit_org($1::bigint)", p, 1, siren, e);
	if (rc == LERR_NOTFOUND) {
		lerr_set(e, LERR_NOTFOUND, "id", "no circuit %lld", id);
		lerr_hint(e, "GET /api/v1/admin/circuits lists them");
	}
	return rc;
}

int
store_routing_add_circuit(struct store_conn *c, const char *siren, const char *kind, int nature,
			  const char *circuit, const char *actor, struct lerr *e)
{
	char nat[16];
	struct sqlp p[] = { SQLP_TEXT(siren), SQLP_TEXT(kind), SQLP_TEXT(nature ? nat : NULL),
			    SQLP_TEXT(circuit), SQLP_TEXT(actor) };

	snprintf(nat, sizeof(nat), "%d", nature);
	return sq_exec(c, "SELECT routing_add_circuit($1, $2, $3::smallint, $4, $5)", p, 5, NULL, e);
}

int
store_doc_visa(struct store_conn *c, long long person_id, const char *doc_id, const char *public_note,
	       const char *private_note, const char *actor, char **json, struct lerr *e)
{
	char pid[24];
	struct sqlp p[] = { SQLP_TEXT(pid), SQLP_TEXT(doc_id), SQLP_TEXT(public_note),
			    SQLP_TEXT(private_note), SQLP_TEXT(actor) };

	snprintf(pid, sizeof(pid), "%lld", person_id);
	return sq_json(c, "SELECT document_visa($1::bigint, $2::uuid, $3, $4, $5)::text", p, 5, json, e);
}

int
store_doc_remord(struct store_conn *c, long long person_id, const char *doc_id, const char *actor,
		 char **json, struct lerr *e)
{
	char pid[24];
	struct sqlp p[] = { SQLP_TEXT(pid), SQLP_TEXT(doc_id), SQLP_TEXT(actor) };

	snprintf(pid, sizeof(pid), "%lld", person_id);
	return sq_json(c, "SELECT document_remord($1::bigint, $2::uuid, $3)::text", p, 3, json, e);
}
