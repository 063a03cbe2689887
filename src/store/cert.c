/*
 * cert.c - officials' certificates and wrapped keys (005_certificate.sql):
 * import, listing, enrolment, PIN attempts, unlock and revocation.
 *
 * The key blob is only ever read by store_cert_current() (signing) and
 * store_cert_pending() (enrolment) for the person who is about to give
 * their PIN or code, and never shown: cert_json() leaves it out.
 */
#include "store/store_int.h"
#include "core/kek.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
lltoa(long long v, char *out, size_t n)
{
	snprintf(out, n, "%lld", v);
}

int
store_cert_add(struct store_conn *c, const struct cert_new *n, long long *id, long long *replaced,
	       struct lerr *e)
{
	char nb[24], na[24], adm[24], hex[65], ctx[96];
	struct buf blob;
	PGresult *r = NULL;
	int rc;

	hex_encode(n->sha256, 32, hex);
	kek_context(ctx, sizeof(ctx), "certificate.key_blob", hex);
	buf_init(&blob, KEK_MAX_PLAIN + KEK_OVERHEAD);
	if ((rc = kek_seal(ctx, n->blob, n->bloblen, &blob, e))) {
		buf_fini(&blob);
		return rc;
	}
	lltoa(n->admin_id, adm, sizeof(adm));
	lltoa(n->not_before, nb, sizeof(nb));
	lltoa(n->not_after, na, sizeof(na));
	struct sqlp p[] = {
		/* no chain is an empty one: a NULL pointer would be SQL NULL */
		SQLP_TEXT(n->email), SQLP_BIN(n->der, n->derlen),
		SQLP_BIN(n->chainlen ? n->chain : "", n->chainlen),
		SQLP_BIN(n->sha256, 32), SQLP_TEXT(n->subject), SQLP_TEXT(n->issuer),
		SQLP_TEXT(n->serial), SQLP_TEXT(nb), SQLP_TEXT(na), SQLP_BIN(blob.data, blob.len),
		SQLP_TEXT(n->actor), SQLP_TEXT(n->admin_id ? adm : NULL),
	};
	rc = sq_exec(c, "SELECT id, replaced FROM cert_add($12::bigint, $1, $2, $3, $4, $5, $6, $7,"
		     " to_timestamp($8::bigint), to_timestamp($9::bigint), $10, $11)", p, 12, &r, e);
	if (!rc) {
		*id = atoll(PQgetvalue(r, 0, 0));
		*replaced = PQgetisnull(r, 0, 1) ? 0 : atoll(PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	buf_fini(&blob);
	return rc;
}

int
store_cert_list_json(struct store_conn *c, long long admin_id, long long person_id, char **json,
		     struct lerr *e)
{
	char pid[24], adm[24];

	lltoa(person_id, pid, sizeof(pid));
	lltoa(admin_id, adm, sizeof(adm));
	struct sqlp p[] = { SQLP_TEXT(person_id ? pid : NULL), SQLP_TEXT(admin_id ? adm : NULL) };
	return sq_json(c, "SELECT cert_list($2::bigint, $1::bigint)::text", p, 2, json, e);
}

int
store_cert_admin(struct store_conn *c, const char *op, long long id, const char *email,
		 long long admin_id, const char *actor, char **json, struct lerr *e)
{
	char cid[24], adm[24];

	lltoa(id, cid, sizeof(cid));
	lltoa(admin_id, adm, sizeof(adm));
	struct sqlp p[] = { SQLP_TEXT(id ? cid : NULL), SQLP_TEXT(email),
			    SQLP_TEXT(admin_id ? adm : NULL), SQLP_TEXT(actor) };
	if (!strcmp(op, "unlock"))
		return sq_json(c, "SELECT cert_unlock($1::bigint, $2, $3::bigint, $4)::text", p, 4, json, e);
	if (!strcmp(op, "revoke"))
		return sq_json(c, "SELECT cert_revoke($1::bigint, $2, $3::bigint, $4)::text", p, 4, json, e);
	return lerr_set(e, LERR_INTERNAL, NULL, "unknown certificate operation %s", op);
}

static int
copy_bytes(PGresult *r, int col, void **out, size_t *len, struct lerr *e)
{
	*len = (size_t)PQgetlength(r, 0, col);
	if (!(*out = malloc(*len ? *len : 1)))
		return lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	memcpy(*out, PQgetvalue(r, 0, col), *len);
	return 0;
}

/* The key blob of column 9, opened with the certificate's digest (column 10). */
static int
open_blob(PGresult *r, struct cert_row *out, struct lerr *e)
{
	char hex[65], ctx[96];
	struct buf b;
	int rc;

	if (PQgetlength(r, 0, 10) != 32)
		return lerr_set(e, LERR_INTERNAL, NULL, "a certificate without its digest");
	hex_encode((const uint8_t *)PQgetvalue(r, 0, 10), 32, hex);
	kek_context(ctx, sizeof(ctx), "certificate.key_blob", hex);
	buf_init(&b, KEK_MAX_PLAIN);
	rc = kek_open(ctx, PQgetvalue(r, 0, 9), (size_t)PQgetlength(r, 0, 9), &b, e);
	if (!rc && !(out->blob = malloc(b.len ? b.len : 1)))
		rc = lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
	if (!rc) {
		memcpy(out->blob, b.data, b.len);
		out->bloblen = b.len;
	}
	buf_fini(&b);
	return rc;
}

static int
fill_row(PGresult *r, struct cert_row *out, struct lerr *e)
{
	int rc;

	out->id = atoll(PQgetvalue(r, 0, 0));
	snprintf(out->state, sizeof(out->state), "%s", PQgetvalue(r, 0, 1));
	out->pin_failures = atoi(PQgetvalue(r, 0, 2));
	out->locked = !strcmp(PQgetvalue(r, 0, 3), "t");
	out->not_before = atoll(PQgetvalue(r, 0, 4));
	out->not_after = atoll(PQgetvalue(r, 0, 5));
	snprintf(out->subject, sizeof(out->subject), "%s", PQgetvalue(r, 0, 6));
	if ((rc = copy_bytes(r, 7, &out->der, &out->derlen, e)) ||
	    (rc = copy_bytes(r, 8, &out->chain, &out->chainlen, e)) ||
	    (rc = open_blob(r, out, e)))
		store_cert_row_fini(out);
	return rc;
}

static int
cert_row(struct store_conn *c, const char *sql, long long person_id, struct cert_row *out,
	 struct lerr *e)
{
	char pid[24];
	PGresult *r = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	lltoa(person_id, pid, sizeof(pid));
	struct sqlp p[] = { SQLP_TEXT(pid) };
	rc = sq_exec_bin(c, sql, p, 1, &r, e);
	if (!rc && PQntuples(r) == 0)
		rc = LERR_NOTFOUND;
	else if (!rc)
		rc = fill_row(r, out, e);
	PQclear(r);
	return rc;
}

/* Binary results: every non-bytea column is cast to text. */
#define CERT_ROW_COLUMNS "SELECT id::text, state::text, pin_failures::text," \
	" (locked_at IS NOT NULL OR pin_failures >= 5)::text," \
	" extract(epoch FROM not_before)::bigint::text," \
	" extract(epoch FROM not_after)::bigint::text, subject, cert_der, chain_der, key_blob," \
	" cert_sha256" \
	" FROM certificate "

int
store_cert_current(struct store_conn *c, long long person_id, struct cert_row *out, struct lerr *e)
{
	int rc = cert_row(c, CERT_ROW_COLUMNS "WHERE id = cert_current($1::bigint)", person_id, out, e);

	if (rc == LERR_NOTFOUND) {
		rc = lerr_set(e, LERR_FORBIDDEN, NULL, "no signing certificate");
		lerr_detail(e, "no certificate has been imported for this person");
		lerr_hint(e, "ask an administrator to import your certificate (liasse cert import)");
	}
	return rc;
}

int
store_cert_pending(struct store_conn *c, long long person_id, struct cert_row *out, struct lerr *e)
{
	int rc = cert_row(c, CERT_ROW_COLUMNS "WHERE person_id = $1::bigint AND state = 'enrolment'"
			  " ORDER BY id DESC LIMIT 1", person_id, out, e);

	if (rc == LERR_NOTFOUND) {
		rc = lerr_set(e, LERR_CONFLICT, "code", "no certificate awaits enrolment");
		lerr_hint(e, "an enrolment code works once; ask an administrator for a new import");
	}
	return rc;
}

void
store_cert_row_fini(struct cert_row *r)
{
	free(r->der);
	free(r->chain);
	if (r->blob)
		explicit_bzero(r->blob, r->bloblen);
	free(r->blob);
	r->der = r->chain = r->blob = NULL;
}

int
store_cert_pin_reserve(struct store_conn *c, long long cert_id, int *left, struct lerr *e)
{
	char cid[24];
	PGresult *r = NULL;
	int rc;

	lltoa(cert_id, cid, sizeof(cid));
	struct sqlp p[] = { SQLP_TEXT(cid) };
	rc = sq_exec(c, "SELECT cert_pin_reserve($1::bigint)", p, 1, &r, e);
	if (rc)
		return rc;
	if (PQgetisnull(r, 0, 0)) {
		*left = 0;
		rc = lerr_set(e, LERR_FORBIDDEN, "pin", "signing is locked");
		lerr_detail(e, "five wrong PINs were entered for this certificate");
		lerr_hint(e, "ask an administrator to unlock your certificate");
	} else {
		*left = atoi(PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return rc;
}

int
store_cert_pin_outcome(struct store_conn *c, long long cert_id, const char *outcome,
		       const char *actor, int *left, struct lerr *e)
{
	char cid[24];
	PGresult *r = NULL;
	int rc;

	lltoa(cert_id, cid, sizeof(cid));
	struct sqlp p[] = { SQLP_TEXT(cid), SQLP_TEXT(outcome), SQLP_TEXT(actor) };
	rc = sq_exec(c, "SELECT cert_pin_outcome($1::bigint, $2, $3)", p, 3, &r, e);
	if (!rc && left)
		*left = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

int
store_cert_enrolled(struct store_conn *c, long long cert_id, const void *blob, size_t len,
		    const char *actor, char **json, struct lerr *e)
{
	char cid[24], hex[65] = "", ctx[96];
	struct sqlp q[] = { SQLP_TEXT(cid) };
	struct buf b;
	PGresult *r = NULL;
	int rc;

	lltoa(cert_id, cid, sizeof(cid));
	rc = sq_exec(c, "SELECT encode(cert_sha256, 'hex') FROM certificate WHERE id = $1::bigint", q, 1, &r, e);
	if (!rc && PQntuples(r) == 1)
		snprintf(hex, sizeof(hex), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (rc)
		return rc;
	kek_context(ctx, sizeof(ctx), "certificate.key_blob", hex);
	buf_init(&b, KEK_MAX_PLAIN + KEK_OVERHEAD);
	if (!(rc = kek_seal(ctx, blob, len, &b, e))) {
		struct sqlp p[] = { SQLP_TEXT(cid), SQLP_BIN(b.data, b.len), SQLP_TEXT(actor) };

		rc = sq_json(c, "SELECT cert_enrolled($1::bigint, $2, $3)::text", p, 3, json, e);
	}
	buf_fini(&b);
	return rc;
}

int
store_cert_person_id(struct store_conn *c, const char *email, long long *id, struct lerr *e)
{
	PGresult *r = NULL;
	struct sqlp p[] = { SQLP_TEXT(email) };
	int rc = sq_exec(c, "SELECT person_id_of($1)", p, 1, &r, e);

	if (!rc)
		*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}
