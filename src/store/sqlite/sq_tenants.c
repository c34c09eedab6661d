/* Tenants on SQLite: create, look-up, list, rename, usage and delete.
 *
 * Deleting a tenant is refused while anything refers to it. Its row holds
 * the only copy of its wrapped data key; with secure_delete the deleted
 * row is overwritten in the database file, and a checkpoint that truncates
 * the WAL removes the copies the log still holds (crypto-erase: whatever
 * was sealed with that key can no longer be opened). */
#include "store/sqlite/sq_internal.h"

#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"

static int tenant_read(sqlite3_stmt *st, struct mg_tenant *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	if (sq_copy_text(st, 1, out->name, sizeof(out->name)) != 0 ||
	    sqlite3_column_bytes(st, 2) != MG_WRAPPED_KEY_BYTES)
		return MG_ERR_STORE;
	memcpy(out->wrapped_key, sqlite3_column_blob(st, 2), MG_WRAPPED_KEY_BYTES);
	out->created_ms = sqlite3_column_int64(st, 3);
	return 0;
}

static const struct sq_sql tenant_list_sql = {
	"SELECT " TENANT_COLUMNS " FROM tenants ORDER BY id"
};

int sq_tenant_list(struct mg_store *s, mg_tenant_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct mg_tenant t;
	sqlite3_stmt *st;
	int r = 0, rc;

	for (rc = sq_query(c, &tenant_list_sql, SQ_NO_PARAMS, &st); rc == 0; rc = sq_next(c, st)) {
		if ((r = tenant_read(st, &t)) != 0 || (r = cb(&t, arg)) != 0)
			break;
	}
	sq_done(st);
	if (r == 0 && rc != MG_ERR_NOT_FOUND)
		r = rc;
	sq_release(c);
	return r;
}

static const struct sq_sql tenant_rename_sql = {
	"UPDATE tenants SET name = ?2 WHERE id = ?1"
};

int sq_tenant_rename(struct mg_store *s, int64_t id, const char *name)
{
	/* A taken name fails the UNIQUE constraint: MG_ERR_EXISTS. */
	return sq_store_write(s, &tenant_rename_sql, SQ_PARAMS(SQ_INT(id), SQ_TEXT(name)), true);
}

/* Only unused tokens that could still enrol a device count: an expired
 * one can never be used, and nothing else could ever remove it. */
static const struct sq_sql tenant_usage_sql = {
	"SELECT (SELECT count(*) FROM devices WHERE tenant_id = ?1),"
	" (SELECT count(*) FROM measurements WHERE tenant_id = ?1),"
	" (SELECT count(*) FROM patients WHERE tenant_id = ?1),"
	" (SELECT count(*) FROM user_tenants WHERE tenant_id = ?1),"
	" (SELECT count(*) FROM enrol_tokens WHERE tenant_id = ?1 AND used_ms IS NULL"
	" AND expires_ms > ?2)"
	" FROM tenants WHERE id = ?1"
};

/* The usage counts of tenant id, on c (inside a transaction if the caller
 * acts on them). MG_ERR_NOT_FOUND if there is no such tenant. */
static int usage_read(struct sq_conn *c, int64_t id, struct mg_tenant_usage *out)
{
	sqlite3_stmt *st;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = sq_query(c, &tenant_usage_sql, SQ_PARAMS(SQ_INT(id), SQ_INT(mg_now_ms())),
			  &st)) != 0)
		return r;
	out->devices = sqlite3_column_int64(st, 0);
	out->measurements = sqlite3_column_int64(st, 1);
	out->patients = sqlite3_column_int64(st, 2);
	out->members = sqlite3_column_int64(st, 3);
	out->tokens = sqlite3_column_int64(st, 4);
	if ((r = sq_finish(c, st)) != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* tokens counts unused enrolment tokens that have not expired: an expired
 * one can never enrol a device, and nothing else removes it. */
int sq_tenant_usage(struct mg_store *s, int64_t id, struct mg_tenant_usage *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r = usage_read(c, id, out);

	sq_release(c);
	return r;
}

static bool usage_any(const struct mg_tenant_usage *u)
{
	return u->devices > 0 || u->measurements > 0 || u->patients > 0 || u->members > 0 ||
	       u->tokens > 0;
}

static const struct sq_sql tenant_tokens_delete_sql = {
	"DELETE FROM enrol_tokens WHERE tenant_id = ?1"
};

static const struct sq_sql tenant_delete_sql = {
	"DELETE FROM tenants WHERE id = ?1"
};

/* Counted and deleted in one write transaction, so nothing can start to
 * refer to the tenant in between. Used and expired enrolment tokens go
 * with it. */
int sq_tenant_delete(struct mg_store *s, int64_t id)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct mg_tenant_usage usage;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if ((r = usage_read(c, id, &usage)) == 0 && usage_any(&usage))
		r = MG_ERR_BUSY;
	if (r == 0)
		r = sq_write(c, &tenant_tokens_delete_sql, SQ_PARAMS(SQ_INT(id)), false);
	if (r == 0)
		r = sq_write(c, &tenant_delete_sql, SQ_PARAMS(SQ_INT(id)), true);
	if ((r = sq_end(c, r)) != 0)
		goto out;
	/* Copy the zeroed pages into the database file and empty the WAL,
	 * where the key's row still sits in older frames. This waits (busy
	 * timeout) for readers and holds off writers meanwhile. If it cannot
	 * finish, the delete still stands, but the old frames stay until a
	 * later checkpoint empties the WAL: say so. */
	if (sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) !=
	    SQLITE_OK)
		mg_log_warning("tenant %lld deleted, but the WAL could not be emptied yet: its"
			       " wrapped key stays in the WAL file until a full checkpoint",
			       (long long)id);
out:
	sq_release(c);
	return r;
}

static const struct sq_sql tenant_insert_sql = {
	"INSERT INTO tenants (name, wrapped_key, created_ms) VALUES (?, ?, ?)"
};

int sq_tenant_create(struct mg_store *s, const char *name, const unsigned char *wrapped_key,
		     int64_t *id_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = sq_stmt(c, &tenant_insert_sql);
	int r = MG_ERR_STORE;

	*id_out = 0;
	if (st != NULL) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, wrapped_key, MG_WRAPPED_KEY_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, mg_now_ms());
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_step_error(c);
		if (r == 0)
			*id_out = sqlite3_last_insert_rowid(c->db);
	}
	sq_done(st);
	sq_release(c);
	return r;
}

static int tenant_get(struct mg_store *s, const struct sq_sql *sql, const char *name, int64_t key,
		      struct mg_tenant *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = sq_stmt(c, sql);
	int r = MG_ERR_STORE, rc;

	memset(out, 0, sizeof(*out));
	if (st != NULL) {
		if (name != NULL)
			sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, 1, key);
		rc = sqlite3_step(st);
		r = rc == SQLITE_ROW ? tenant_read(st, out)
		    : rc == SQLITE_DONE ? MG_ERR_NOT_FOUND : sq_step_error(c);
	}
	sq_done(st);
	sq_release(c);
	return r;
}

static const struct sq_sql tenant_by_name_sql = {
	"SELECT id, name, wrapped_key, created_ms FROM tenants WHERE name = ?"
};

int sq_tenant_by_name(struct mg_store *s, const char *name, struct mg_tenant *out)
{
	return tenant_get(s, &tenant_by_name_sql, name, 0, out);
}

static const struct sq_sql tenant_by_id_sql = {
	"SELECT id, name, wrapped_key, created_ms FROM tenants WHERE id = ?"
};

int sq_tenant_by_id(struct mg_store *s, int64_t id, struct mg_tenant *out)
{
	return tenant_get(s, &tenant_by_id_sql, NULL, id, out);
}

static const struct sq_sql tenant_key_replace_sql = {
	"UPDATE tenants SET wrapped_key = ?3 WHERE id = ?1 AND wrapped_key = ?2"
};

static const struct sq_sql tenant_count_sql = {
	"SELECT count(*) FROM tenants WHERE id > ?1"
};

/* One write transaction: a tenant made or re-keyed meanwhile is a
 * conflict, never a key left under the old master key. */
int sq_tenant_keys_replace(struct mg_store *s, const struct mg_tenant_key_change *ch, size_t n)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = sq_write(c, &tenant_key_replace_sql,
			     SQ_PARAMS(SQ_INT(ch[i].tenant_id),
				       SQ_BLOB(ch[i].from, MG_WRAPPED_KEY_BYTES),
				       SQ_BLOB(ch[i].to, MG_WRAPPED_KEY_BYTES)), true);
	if (r == MG_ERR_NOT_FOUND)
		r = MG_ERR_CONFLICT;
	if (r == 0 && (r = sq_query(c, &tenant_count_sql, SQ_PARAMS(SQ_INT(0)), &st)) == 0) {
		if (sqlite3_column_int64(st, 0) != (sqlite3_int64)n)
			r = MG_ERR_CONFLICT;
		if (sq_finish(c, st) != 0 && r == 0)
			r = MG_ERR_STORE;
	}
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}
