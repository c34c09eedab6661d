/* Firmware releases on PostgreSQL: a model's releases ordered by sequence,
 * the rollback check and the insert in one transaction that holds the
 * table against other importers (docs/device-api.md, "Firmware"). */
#include "store/postgres/pg_internal.h"

#include <string.h>

#include "common/err.h"

static const char firmware_highest_sql[] =
    "SELECT coalesce(max(sequence), 0) FROM firmware_releases WHERE model = $1";
static const char firmware_insert_sql[] =
    "INSERT INTO firmware_releases (model, version, sequence, size, expires_ms, imported_ms,"
    " sha256, manifest, image) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
static const char firmware_latest_sql[] =
    "SELECT model, version, sequence, size, expires_ms, imported_ms, sha256, manifest"
    " FROM firmware_releases WHERE model = $1 ORDER BY sequence DESC LIMIT 1";
static const char firmware_list_sql[] =
    "SELECT model, version, sequence, size, expires_ms, imported_ms, sha256"
    " FROM firmware_releases ORDER BY model, sequence DESC LIMIT $1";
static const char firmware_image_sql[] =
    "SELECT length(image), CASE WHEN length(image) <= $3 THEN image END"
    " FROM firmware_releases WHERE model = $1 AND sha256 = $2 ORDER BY sequence DESC LIMIT 1";

int pg_firmware_put(struct mg_store *s, const struct mg_firmware_release *rel, const void *image,
		    int64_t *highest_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res = NULL;
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	/* Two importers of one model must not both pass the check. */
	r = pg_exec(c, "LOCK TABLE firmware_releases IN SHARE ROW EXCLUSIVE MODE");
	if (r == 0 &&
	    (r = pg_query(c, firmware_highest_sql, PG_PARAMS(PG_TEXT(rel->model)), &res)) == 0) {
		*highest_out = pg_col_int(res, 0, 0);
		PQclear(res);
		if (*highest_out >= rel->sequence)
			r = MG_ERR_CONFLICT;
	}
	if (r == 0)
		r = pg_write(c, firmware_insert_sql,
			     PG_PARAMS(PG_TEXT(rel->model), PG_TEXT(rel->version),
				       PG_INT(rel->sequence), PG_INT(rel->size),
				       PG_INT(rel->expires_ms), PG_INT(rel->imported_ms),
				       PG_TEXT(rel->sha256), PG_TEXT(rel->manifest),
				       PG_BLOB(image, (size_t)rel->size)),
			     false, NULL);
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}

int pg_firmware_latest(struct mg_store *s, const char *model, struct mg_firmware_release *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res = NULL;
	int r = pg_query(c, firmware_latest_sql, PG_PARAMS(PG_TEXT(model)), &res);

	if (r == 0) {
		if (pg_col_text(res, 0, 0, out->model, sizeof(out->model)) != 0 ||
		    pg_col_text(res, 0, 1, out->version, sizeof(out->version)) != 0 ||
		    pg_col_text(res, 0, 6, out->sha256, sizeof(out->sha256)) != 0 ||
		    pg_col_text(res, 0, 7, out->manifest, sizeof(out->manifest)) != 0)
			r = MG_ERR_STORE;
		out->sequence = pg_col_int(res, 0, 2);
		out->size = pg_col_int(res, 0, 3);
		out->expires_ms = pg_col_int(res, 0, 4);
		out->imported_ms = pg_col_int(res, 0, 5);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_firmware_image(struct mg_store *s, const char *model, const char *sha256, void *image,
		      size_t imagelen, size_t *len_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res = NULL;
	int r = pg_query(c, firmware_image_sql, PG_PARAMS(PG_TEXT(model), PG_TEXT(sha256), PG_INT(imagelen)), &res);

	if (r == 0) {
		size_t n = (size_t)pg_col_int(res, 0, 0);

		if (n > imagelen) {
			r = MG_ERR_LIMIT;
			*len_out = n;
		} else {
			r = pg_col_blob(res, 0, 1, image, imagelen, len_out);
		}
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_firmware_list(struct mg_store *s, size_t limit, mg_firmware_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_firmware_release rel;
	PGresult *res = NULL;
	int r = pg_run(c, firmware_list_sql, PG_PARAMS(PG_INT(limit)), &res);

	if (r == 0) {
		for (int i = 0; r == 0 && i < PQntuples(res); i++) {
			memset(&rel, 0, sizeof(rel));
			if (pg_col_text(res, i, 0, rel.model, sizeof(rel.model)) != 0 ||
			    pg_col_text(res, i, 1, rel.version, sizeof(rel.version)) != 0 ||
			    pg_col_text(res, i, 6, rel.sha256, sizeof(rel.sha256)) != 0) {
				r = MG_ERR_STORE;
				break;
			}
			rel.sequence = pg_col_int(res, i, 2);
			rel.size = pg_col_int(res, i, 3);
			rel.expires_ms = pg_col_int(res, i, 4);
			rel.imported_ms = pg_col_int(res, i, 5);
			r = cb(&rel, arg);
		}
		PQclear(res);
	}
	pg_release(c);
	return r;
}
