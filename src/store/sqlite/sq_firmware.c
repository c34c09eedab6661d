/* Firmware releases on SQLite: a model's releases ordered by sequence,
 * the rollback check and the insert in one transaction (docs/device-api.md,
 * "Firmware"). */
#include "store/sqlite/sq_internal.h"

#include <string.h>

#include "common/err.h"

#define RELEASE_COLUMNS "model, version, sequence, size, expires_ms, imported_ms, sha256, manifest"

int sq_firmware_put(struct mg_store *s, const struct mg_firmware_release *rel, const void *image,
		    int64_t *highest_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	r = sq_run(c, "SELECT coalesce(max(sequence), 0) FROM firmware_releases WHERE model = ?1",
		   SQ_PARAMS(SQ_TEXT(rel->model)), &st);
	if (r == 0) {
		*highest_out = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (*highest_out >= rel->sequence)
			r = MG_ERR_CONFLICT;
	}
	if (r == 0)
		r = sq_run_write(c,
				 "INSERT INTO firmware_releases (model, version, sequence, size,"
				 " expires_ms, imported_ms, sha256, manifest, image)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
				 SQ_PARAMS(SQ_TEXT(rel->model), SQ_TEXT(rel->version),
					   SQ_INT(rel->sequence), SQ_INT(rel->size),
					   SQ_INT(rel->expires_ms), SQ_INT(rel->imported_ms),
					   SQ_TEXT(rel->sha256), SQ_TEXT(rel->manifest),
					   SQ_BLOB(image, (size_t)rel->size)),
				 false);
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}

int sq_firmware_latest(struct mg_store *s, const char *model, struct mg_firmware_release *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = NULL;
	int r = sq_run(c,
		       "SELECT " RELEASE_COLUMNS " FROM firmware_releases WHERE model = ?1"
		       " ORDER BY sequence DESC LIMIT 1",
		       SQ_PARAMS(SQ_TEXT(model)), &st);

	if (r == 0) {
		if (sq_copy_text(st, 0, out->model, sizeof(out->model)) != 0 ||
		    sq_copy_text(st, 1, out->version, sizeof(out->version)) != 0 ||
		    sq_copy_text(st, 6, out->sha256, sizeof(out->sha256)) != 0 ||
		    sq_copy_text(st, 7, out->manifest, sizeof(out->manifest)) != 0)
			r = MG_ERR_STORE;
		out->sequence = sqlite3_column_int64(st, 2);
		out->size = sqlite3_column_int64(st, 3);
		out->expires_ms = sqlite3_column_int64(st, 4);
		out->imported_ms = sqlite3_column_int64(st, 5);
		sqlite3_finalize(st);
	}
	sq_release(c);
	return r;
}

int sq_firmware_image(struct mg_store *s, const char *model, const char *sha256, void *image,
		      size_t imagelen, size_t *len_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = NULL;
	int r = sq_run(c,
		       "SELECT image FROM firmware_releases WHERE model = ?1 AND sha256 = ?2"
		       " ORDER BY sequence DESC LIMIT 1",
		       SQ_PARAMS(SQ_TEXT(model), SQ_TEXT(sha256)), &st);

	if (r == 0) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		if (n > imagelen) {
			r = MG_ERR_LIMIT;
			*len_out = n;
		} else {
			if (n > 0)
				memcpy(image, sqlite3_column_blob(st, 0), n);
			*len_out = n;
		}
		sqlite3_finalize(st);
	}
	sq_release(c);
	return r;
}

struct release_walk {
	mg_firmware_cb cb;
	void *arg;
};

static int release_row(sqlite3_stmt *st, void *arg)
{
	struct release_walk *w = arg;
	struct mg_firmware_release rel;

	memset(&rel, 0, sizeof(rel));
	if (sq_copy_text(st, 0, rel.model, sizeof(rel.model)) != 0 ||
	    sq_copy_text(st, 1, rel.version, sizeof(rel.version)) != 0 ||
	    sq_copy_text(st, 6, rel.sha256, sizeof(rel.sha256)) != 0)
		return MG_ERR_STORE;
	rel.sequence = sqlite3_column_int64(st, 2);
	rel.size = sqlite3_column_int64(st, 3);
	rel.expires_ms = sqlite3_column_int64(st, 4);
	rel.imported_ms = sqlite3_column_int64(st, 5);
	return w->cb(&rel, w->arg);
}

int sq_firmware_list(struct mg_store *s, size_t limit, mg_firmware_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct release_walk w = { cb, arg };
	int r = sq_run_each(c,
			    "SELECT model, version, sequence, size, expires_ms, imported_ms, sha256"
			    " FROM firmware_releases ORDER BY model, sequence DESC LIMIT ?1",
			    SQ_PARAMS(SQ_INT(limit)), release_row, &w);

	sq_release(c);
	return r;
}
