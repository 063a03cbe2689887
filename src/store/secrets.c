/*
 * secrets.c - the secrets at rest as a whole (functions/85_secrets.sql):
 * what is sealed under which key-encryption key, and re-sealing them all
 * under the current key in small committed batches (doc/secrets.md).
 */
#include "store/store_int.h"
#include "core/kek.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
store_secret_inventory(struct store_conn *c, struct secret_inventory *out, struct lerr *e)
{
	char cur[2 * KEK_ID_LEN + 1];
	PGresult *r = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	kek_current_id(cur);
	rc = sq_exec(c, "SELECT to_regclass('secret_at_rest') IS NOT NULL", NULL, 0, &r, e);
	if (!rc && strcmp(PQgetvalue(r, 0, 0), "t")) {
		PQclear(r);
		return 0;   /* before the migrations */
	}
	PQclear(r);
	r = NULL;
	if ((rc = sq_exec(c, "SELECT coalesce(kid, ''), count(*) FROM secret_at_rest GROUP BY 1 ORDER BY 1",
			  NULL, 0, &r, e)))
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		const char *kid = PQgetvalue(r, i, 0);
		long long n = atoll(PQgetvalue(r, i, 1));

		if (!*kid)
			out->clear += n;
		else if (*cur && !strcmp(kid, cur))
			out->current += n;
		else if (kek_known(kid))
			out->previous += n;
		else {
			out->unknown += n;
			snprintf(out->unknown_kid, sizeof(out->unknown_kid), "%s", kid);
		}
	}
	PQclear(r);
	return 0;
}

/* Opens v (column col of row key rowkey) and seals it again under the
 * current key into out. */
static int
reseal_one(const char *col, const char *rowkey, const char *v, size_t n, struct buf *out,
	   struct lerr *e)
{
	char ctx[128];
	struct buf pt;
	int rc, text = !strcmp(col, "webhook.secret");

	kek_context(ctx, sizeof(ctx), col, rowkey);
	buf_init(&pt, KEK_MAX_PLAIN);
	if (text) {
		char *s = strndup(v, n);

		rc = s ? kek_open_text_any(ctx, s, &pt, e) : lerr_set(e, LERR_INTERNAL, NULL, "out of memory");
		free(s);
		if (!rc)
			rc = kek_seal_text(ctx, pt.data, out, e);
	} else if (!(rc = kek_open_any(ctx, v, n, &pt, e)))
		rc = kek_seal(ctx, pt.data, pt.len, out, e);
	buf_fini(&pt);
	return rc;
}

/* Row i of a batch: re-sealed and swapped in if unchanged meanwhile. */
static int
reseal_row(struct store_conn *c, PGresult *r, int i, struct reseal_stats *st, struct lerr *e)
{
	const char *col = PQgetvalue(r, i, 0), *id = PQgetvalue(r, i, 1);
	struct buf nv;
	PGresult *u = NULL;
	struct lerr le;
	int rc;

	lerr_clear(&le);
	buf_init(&nv, 2 * KEK_MAX_PLAIN);
	if (reseal_one(col, PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), (size_t)PQgetlength(r, i, 3), &nv, &le)) {
		st->failed++;
		if (!st->first_failure[0])
			snprintf(st->first_failure, sizeof(st->first_failure), "%s of row %s: %s", col, id, le.msg);
		buf_fini(&nv);
		return 0;
	}
	struct sqlp p[] = { SQLP_TEXT(col), SQLP_TEXT(id), SQLP_BIN(PQgetvalue(r, i, 3), PQgetlength(r, i, 3)),
			    SQLP_BIN(nv.data, nv.len) };
	rc = sq_exec(c, "SELECT secret_reseal($1, $2::bigint, $3, $4)", p, 4, &u, e);
	if (!rc && !strcmp(PQgetvalue(u, 0, 0), "t"))
		st->resealed++;
	else if (!rc)
		st->changed++;
	PQclear(u);
	buf_fini(&nv);
	return rc;
}

/* One batch after (*col, *id), in its own transaction; *n: rows seen. */
static int
reseal_batch(struct store_conn *c, int batch, char *col, char *id, int *n, struct reseal_stats *st,
	     struct lerr *e)
{
	char cur[2 * KEK_ID_LEN + 1], lim[16];
	PGresult *r = NULL;
	int rc;

	kek_current_id(cur);
	snprintf(lim, sizeof(lim), "%d", batch);
	struct sqlp p[] = { SQLP_TEXT(cur), SQLP_TEXT(col), SQLP_TEXT(id), SQLP_TEXT(lim) };
	if ((rc = store_begin(c, e)))
		return rc;
	rc = sq_exec_bin(c, "SELECT col, row_id::text AS id, row_key, val FROM secret_at_rest s"
			 " WHERE kid IS DISTINCT FROM $1 AND (col, row_id) > ($2, $3::bigint)"
			 " ORDER BY s.col, s.row_id LIMIT $4::int", p, 4, &r, e);
	*n = rc ? 0 : PQntuples(r);
	for (int i = 0; !rc && i < *n; i++)
		rc = reseal_row(c, r, i, st, e);
	if (!rc && *n) {
		snprintf(col, 64, "%s", PQgetvalue(r, *n - 1, 0));
		snprintf(id, 24, "%s", PQgetvalue(r, *n - 1, 1));
	}
	PQclear(r);
	if (!rc)
		rc = store_commit(c, e);
	else
		store_rollback(c);
	return rc;
}

int
store_secret_reseal(struct store_conn *c, int batch, struct reseal_stats *st, struct lerr *e)
{
	char col[64] = "", id[24] = "0";
	int n = 0, rc = 0;

	memset(st, 0, sizeof(*st));
	if (!kek_enabled())
		return lerr_set(e, LERR_INVALID, "kek_file", "no key-encryption key is configured to seal under"
				" (set kek_file or kek_pkcs11_key)");
	do {
		rc = reseal_batch(c, batch, col, id, &n, st, e);
		st->batches += !rc && n;
	} while (!rc && n == batch);
	return rc;
}
