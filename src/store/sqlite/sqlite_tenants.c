/* Tenants beyond create and look-up, moving devices between tenants, and
 * a patient's measurements, on SQLite.
 *
 * Deleting a tenant is refused while anything refers to it. Its row holds
 * the only copy of its wrapped data key; with secure_delete the deleted
 * row is overwritten in the database file, and a checkpoint that truncates
 * the WAL removes the copies the log still holds (crypto-erase: whatever
 * was sealed with that key can no longer be opened). */
#include "store/sqlite/sqlite_internal.h"

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

static const struct sq_sql device_set_tenant_sql = {
	"UPDATE devices SET tenant_id = ?2 WHERE id = ?1"
};

/* An unknown tenant fails the foreign key: MG_ERR_NOT_FOUND, like an
 * unknown device. */
int sq_device_set_tenant(struct mg_store *s, int64_t id, int64_t tenant_id)
{
	return sq_store_write(s, &device_set_tenant_sql, SQ_PARAMS(SQ_INT(id), SQ_INT(tenant_id)),
			      true);
}

static const struct sq_sql patient_find_sql = {
	"SELECT id FROM patients WHERE tenant_id = ? AND blind_index = ?"
};

int sq_patient_find(struct mg_store *s, int64_t tenant_id,
			   const unsigned char blind_index[MG_BLIND_INDEX_BYTES], int64_t *id_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int64_t id;
	int r;

	*id_out = 0;
	r = sq_query(c, &patient_find_sql,
		     SQ_PARAMS(SQ_INT(tenant_id), SQ_BLOB(blind_index, MG_BLIND_INDEX_BYTES)), &st);
	if (r == 0) {
		id = sqlite3_column_int64(st, 0);
		if ((r = sq_finish(c, st)) == 0)
			*id_out = id;
	}
	sq_release(c);
	return r;
}

static const struct sq_sql value_list_sql = {
	"SELECT quantity, value, unit FROM measurement_values"
	" WHERE measurement_id = ? ORDER BY position"
};

/* The values of row->id, in their order. */
static int row_values(struct sq_conn *c, struct mg_measurement_row *row)
{
	sqlite3_stmt *st;
	int r = 0, rc;

	row->nvalues = 0;
	for (rc = sq_query(c, &value_list_sql, SQ_PARAMS(SQ_INT(row->id)), &st); rc == 0;
	     rc = sq_next(c, st)) {
		size_t i = row->nvalues;

		if (i == MG_VALUES_MAX ||
		    sq_copy_text(st, 0, row->values[i].quantity, sizeof(row->values[i].quantity)) ||
		    sq_copy_text(st, 2, row->values[i].unit, sizeof(row->values[i].unit))) {
			r = MG_ERR_STORE;
			break;
		}
		row->values[i].value = sqlite3_column_double(st, 1);
		row->nvalues++;
	}
	sq_done(st);
	if (r == 0 && rc != MG_ERR_NOT_FOUND)
		r = rc;
	return r;
}

static int row_read(struct sq_conn *c, sqlite3_stmt *st, struct mg_measurement_row *row)
{
	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(st, 0);
	row->tenant_id = sqlite3_column_int64(st, 1);
	row->device_id = sqlite3_column_int64(st, 2);
	row->measured_ms = sqlite3_column_int64(st, 5);
	row->received_ms = sqlite3_column_int64(st, 6);
	if (sq_copy_text(st, 3, row->device_name, sizeof(row->device_name)) != 0 ||
	    sq_copy_text(st, 4, row->device_mid, sizeof(row->device_mid)) != 0)
		return MG_ERR_STORE;
	return row_values(c, row);
}

static const struct sq_sql patient_measurements_sql = {
	"SELECT m.id, m.tenant_id, m.device_id, d.name, m.device_mid, m.measured_ms,"
	" m.received_ms FROM measurements m JOIN devices d ON d.id = m.device_id"
	" WHERE m.patient_id = ?1 ORDER BY m.measured_ms, m.id LIMIT ?2"
};

int sq_patient_measurements(struct mg_store *s, int64_t patient_id, size_t limit,
				   mg_measurement_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct mg_measurement_row row;
	sqlite3_stmt *st;
	int64_t max = limit > INT64_MAX ? INT64_MAX : (int64_t)limit;
	int r = 0, rc;

	/* One read transaction so the value rows match their measurements. */
	if (limit == 0 || (r = sq_exec(c, "BEGIN")) != 0)
		goto out;
	for (rc = sq_query(c, &patient_measurements_sql, SQ_PARAMS(SQ_INT(patient_id), SQ_INT(max)),
			   &st);
	     rc == 0; rc = sq_next(c, st)) {
		if ((r = row_read(c, st, &row)) != 0 || (r = cb(&row, arg)) != 0)
			break;
	}
	sq_done(st);
	if (r == 0 && rc != MG_ERR_NOT_FOUND)
		r = rc;
	sq_exec(c, "ROLLBACK");
out:
	sq_release(c);
	return r;
}
