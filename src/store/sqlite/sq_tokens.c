/* Enrolment tokens on SQLite: made for a device name in a tenant, and
 * found by the keyed hash of the value the device shows. A token enrols
 * one device: sq_device_enrol (sq_devices.c) marks it used. */
#include "store/sqlite/sq_internal.h"

#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"

static const struct sq_sql token_insert_sql = {
	"INSERT INTO enrol_tokens (tenant_id, device_name, token_hash, created_ms,"
	" expires_ms) VALUES (?, ?, ?, ?, ?)"
};

int sq_token_create(struct mg_store *s, int64_t tenant_id, const char *device_name,
		    const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t expires_ms,
		    int64_t *id_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = sq_stmt(c, &token_insert_sql);
	int r = MG_ERR_STORE;

	*id_out = 0;
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, tenant_id);
		sqlite3_bind_text(st, 2, device_name, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, hash, MG_TOKEN_HASH_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, mg_now_ms());
		sqlite3_bind_int64(st, 5, expires_ms);
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_step_error(c);
		if (r == 0)
			*id_out = sqlite3_last_insert_rowid(c->db);
	}
	sq_done(st);
	sq_release(c);
	return r;
}

static const struct sq_sql token_find_sql = {
	"SELECT id, tenant_id, device_name, expires_ms FROM enrol_tokens"
	" WHERE token_hash = ? AND used_ms IS NULL AND expires_ms > ?"
};

int sq_token_find(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms,
		  struct mg_enrol_token *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = sq_stmt(c, &token_find_sql);
	int r = MG_ERR_STORE, rc;

	memset(out, 0, sizeof(*out));
	if (st != NULL) {
		sqlite3_bind_blob(st, 1, hash, MG_TOKEN_HASH_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now_ms);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			out->id = sqlite3_column_int64(st, 0);
			out->tenant_id = sqlite3_column_int64(st, 1);
			r = sq_copy_text(st, 2, out->device_name, sizeof(out->device_name));
			out->expires_ms = sqlite3_column_int64(st, 3);
		} else {
			r = rc == SQLITE_DONE ? MG_ERR_NOT_FOUND : sq_step_error(c);
		}
	}
	sq_done(st);
	sq_release(c);
	return r;
}
