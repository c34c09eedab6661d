/* Patients on SQLite: a patient's row by the blind index of its sealed
 * identifier, and a patient's measurements (no clear identifier here). */
#include "store/sqlite/sq_internal.h"

#include <stdint.h>
#include <string.h>

#include "common/err.h"

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
