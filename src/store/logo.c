/*
 * logo.c - an organisation's logo (the PAdES block) and an act's
 * publication date (the stamped act): 038_logo_publication.sql and
 * functions/88_logo_publication.sql, doc/pades.md.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"

int
store_org_logo_set(struct store_conn *c, const char *siren, const char *media_type, int w, int h,
		   const void *data, size_t len, const char *actor, struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(siren), SQLP_TEXT(media_type), SQLP_INT(w), SQLP_INT(h),
			    SQLP_BIN(data, len), SQLP_TEXT(actor) };

	return sq_exec(c, "SELECT org_logo_set($1, $2, $3::int, $4::int, $5, $6)", p, 6, NULL, e);
}

int
store_org_logo_delete(struct store_conn *c, const char *siren, const char *actor, struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(siren), SQLP_TEXT(actor) };

	return sq_exec(c, "SELECT org_logo_delete($1, $2)", p, 2, NULL, e);
}

/* One row (media_type, data) of a binary result into out. */
static int
logo_row(PGresult *r, char *media_type, size_t mtlen, struct buf *out, struct lerr *e)
{
	buf_reset(out);
	if (media_type)
		media_type[0] = 0;
	if (PQntuples(r) != 1)
		return 0;
	if (media_type)
		snprintf(media_type, mtlen, "%s", PQgetvalue(r, 0, 0));
	if (buf_add(out, PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1)))
		return lerr_set(e, LERR_INTERNAL, NULL, "the stored logo is larger than %zu bytes",
				out->max);
	return 0;
}

int
store_org_logo_get(struct store_conn *c, const char *siren, char media_type[16], struct buf *out,
		   struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(siren) };
	PGresult *r = NULL;
	int rc = sq_exec_bin(c, "SELECT l.media_type, l.data FROM org_logo l"
			     " WHERE l.org_id = org_id_of($1)", p, 1, &r, e);

	if (!rc)
		rc = logo_row(r, media_type, 16, out, e);
	PQclear(r);
	return rc;
}

int
store_org_logo_of(struct store_conn *c, long long org_id, struct buf *out, struct lerr *e)
{
	PGresult *r = NULL;
	int rc;

	struct sqlp p[] = { SQLP_INT(org_id) };
	rc = sq_exec_bin(c, "SELECT media_type, data FROM org_logo WHERE org_id = $1::bigint", p, 1, &r, e);
	if (!rc)
		rc = logo_row(r, NULL, 0, out, e);
	PQclear(r);
	return rc;
}

int
store_doc_publish(struct store_conn *c, const char *doc_id, const char *date, const char *actor,
		  struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(doc_id), SQLP_TEXT(date), SQLP_TEXT(actor) };

	return sq_exec(c, "SELECT document_publish($1::uuid, $2::date, $3)", p, 3, NULL, e);
}

int
store_doc_published_day(struct store_conn *c, const char *doc_id, char day[11], struct lerr *e)
{
	struct sqlp p[] = { SQLP_TEXT(doc_id) };
	PGresult *r = NULL;
	int rc = sq_exec(c, "SELECT to_char(published_on, 'DD/MM/YYYY') FROM document"
			 " WHERE id = $1::uuid AND published_on IS NOT NULL", p, 1, &r, e);

	day[0] = 0;
	if (!rc && PQntuples(r) == 1)
		snprintf(day, 11, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

int
store_doc_file_put_blob(struct store_conn *c, const char *doc_id, const char *role, const char *name,
			const char *media_type, long long blob_id, int stamps, struct lerr *e)
{
	char of[16];

	snprintf(of, sizeof(of), "%d", stamps);
	struct sqlp p[6] = { SQLP_TEXT(doc_id), SQLP_TEXT(role), SQLP_TEXT(name), SQLP_TEXT(media_type),
			     SQLP_INT(blob_id), SQLP_TEXT(stamps >= 0 ? of : NULL) };

	return sq_exec(c, "SELECT document_file_put($1::uuid, $2, $3, $4, $5::bigint, $6::integer)", p, 6, NULL, e);
}
