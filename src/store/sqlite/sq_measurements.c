/* Measurements on SQLite: the group-commit batch insert and the lists. */
#include "store/sqlite/sq_internal.h"

#include <string.h>

#include "common/err.h"

static const struct sq_sql measurement_find_sql = {
	"SELECT id FROM measurements WHERE device_id = ? AND device_mid = ?"
};

/* Look up (device, device_mid); 0 with *id set if it exists. */
static int find_existing(struct sq_conn *c, const struct mg_measurement *m, int64_t *id)
{
	sqlite3_stmt *st = sq_stmt(c, &measurement_find_sql);
	int rc, r;

	*id = 0;
	if (st == NULL)
		return MG_ERR_STORE;
	sqlite3_bind_int64(st, 1, m->device_id);
	sqlite3_bind_text(st, 2, m->device_mid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		r = 0;
	} else {
		r = rc == SQLITE_DONE ? MG_ERR_NOT_FOUND : sq_step_error(c);
	}
	sq_done(st);
	return r;
}

static const struct sq_sql patient_upsert_sql = {
	"INSERT INTO patients (tenant_id, blind_index, identifier_sealed, created_ms, wrapped_key)"
	" VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, blind_index) DO NOTHING"
};

static const struct sq_sql patient_find_sql = {
	"SELECT coalesce(merged_into, id) FROM patients WHERE tenant_id = ? AND blind_index = ?"
};

static int patient_id(struct sq_conn *c, const struct mg_measurement_put *p, int64_t *id)
{
	sqlite3_stmt *st = sq_stmt(c, &patient_upsert_sql);
	int rc, r;

	if (st == NULL)
		return MG_ERR_STORE;
	sqlite3_bind_int64(st, 1, p->m->tenant_id);
	sqlite3_bind_blob(st, 2, p->blind_index, MG_BLIND_INDEX_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, p->sealed_patient, (int)p->sealed_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, p->received_ms);
	if (p->patient_key_len > 0)
		sqlite3_bind_blob(st, 5, p->patient_key, (int)p->patient_key_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	rc = sqlite3_step(st);
	sq_done(st);
	if (rc != SQLITE_DONE)
		return sq_step_error(c);
	if ((st = sq_stmt(c, &patient_find_sql)) == NULL)
		return MG_ERR_STORE;
	sqlite3_bind_int64(st, 1, p->m->tenant_id);
	sqlite3_bind_blob(st, 2, p->blind_index, MG_BLIND_INDEX_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	r = rc == SQLITE_ROW ? 0 : sq_step_error(c);
	*id = sqlite3_column_int64(st, 0);
	sq_done(st);
	return r;
}

static const struct sq_sql value_insert_sql = {
	"INSERT INTO measurement_values (measurement_id, position, quantity, value_sealed,"
	" unit) VALUES (?, ?, ?, ?, ?)"
};

/* The values go in as the front sealed them (values.c); value stays NULL. */
static int insert_values(struct sq_conn *c, int64_t measurement_id,
			 const struct mg_measurement_put *p)
{
	const struct mg_measurement *m = p->m;

	for (size_t i = 0; i < m->nvalues; i++) {
		sqlite3_stmt *st = sq_stmt(c, &value_insert_sql);
		int rc;

		if (st == NULL)
			return MG_ERR_STORE;
		sqlite3_bind_int64(st, 1, measurement_id);
		sqlite3_bind_int(st, 2, (int)i);
		sqlite3_bind_text(st, 3, m->values[i].quantity->name, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 4, p->sealed_values[i], MG_VALUE_SEALED_BYTES, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, m->values[i].quantity->ucum, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sq_done(st);
		if (rc != SQLITE_DONE)
			return sq_step_error(c);
	}
	return 0;
}

static const struct sq_sql measurement_insert_sql = {
	"INSERT INTO measurements (tenant_id, device_id, device_mid, patient_id,"
	" measured_ms, received_ms) VALUES (?, ?, ?, ?, ?, ?)"
};

static const struct sq_sql device_touch_sql = {
	"UPDATE devices SET last_seen_ms = ? WHERE id = ?"
};

static const struct sq_sql unassigned_sql = {
	"UPDATE measurements SET status = 'unassigned' WHERE id = ?1"
};
static const struct sq_sql ordered_sql = {
	"UPDATE measurements SET patient_id = ?2 WHERE id = ?1"
};

static int put_one(struct sq_conn *c, struct mg_measurement_put *p)
{
	const struct mg_measurement *m = p->m;
	sqlite3_stmt *st;
	int64_t pid = 0;
	int r, rc;

	p->ordered_patient = 0;
	if ((r = find_existing(c, m, &p->id)) == 0) {
		p->duplicate = true;
		return 0;
	}
	if (r != MG_ERR_NOT_FOUND || (r = patient_id(c, p, &pid)) != 0)
		return r;
	if ((st = sq_stmt(c, &measurement_insert_sql)) == NULL)
		return MG_ERR_STORE;
	sqlite3_bind_int64(st, 1, m->tenant_id);
	sqlite3_bind_int64(st, 2, m->device_id);
	sqlite3_bind_text(st, 3, m->device_mid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, pid);
	sqlite3_bind_int64(st, 5, m->time_ms);
	sqlite3_bind_int64(st, 6, p->received_ms);
	rc = sqlite3_step(st);
	sq_done(st);
	if (rc != SQLITE_DONE)
		return sq_step_error(c);
	p->id = sqlite3_last_insert_rowid(c->db);
	/* The outbox rows commit with the measurement, or neither does; one
	 * without patient waits for a clinician instead (docs/ward.md). */
	if ((r = insert_values(c, p->id, p)) != 0)
		return r;
	if (p->unassigned) {
		/* A "measure now" order of the device takes it (docs/ward.md). */
		if ((r = sq_order_take(c, m->device_id, p->id, p->received_ms, &p->ordered_patient)) != 0)
			return r;
		if (p->ordered_patient == 0)
			r = sq_write(c, &unassigned_sql, SQ_PARAMS(SQ_INT(p->id)), true);
		else if ((r = sq_write(c, &ordered_sql,
				       SQ_PARAMS(SQ_INT(p->id), SQ_INT(p->ordered_patient)),
				       true)) == 0)
			r = sq_outbox_insert(c, p, p->ordered_patient);
	} else {
		r = sq_outbox_insert(c, p, pid);
	}
	if (r != 0)
		return r;
	if ((st = sq_stmt(c, &device_touch_sql)) == NULL)
		return MG_ERR_STORE;
	sqlite3_bind_int64(st, 1, p->received_ms);
	sqlite3_bind_int64(st, 2, m->device_id);
	rc = sqlite3_step(st);
	sq_done(st);
	return rc == SQLITE_DONE ? 0 : sq_step_error(c);
}

int sq_measurement_put_batch(struct mg_store *s, struct mg_measurement_put *const *items, size_t n)
{
	struct sq_conn *c = sq_acquire((struct sq_store *)s);
	int r;

	for (size_t i = 0; i < n; i++) {
		items[i]->result = MG_ERR_STORE;
		items[i]->id = 0;
		items[i]->duplicate = false;
	}
	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	/* A savepoint per item: one bad measurement must not sink the batch. */
	for (size_t i = 0; i < n; i++) {
		struct mg_measurement_put *p = items[i];

		if ((r = sq_exec(c, "SAVEPOINT item")) != 0)
			goto rollback;
		p->result = put_one(c, p);
		if (p->result != 0) {
			p->id = 0;
			p->duplicate = false;
			if ((r = sq_exec(c, "ROLLBACK TO item")) != 0)
				goto rollback;
		}
		if ((r = sq_exec(c, "RELEASE item")) != 0)
			goto rollback;
	}
	if ((r = sq_exec(c, "COMMIT")) == 0)
		goto out;
rollback:
	sq_exec(c, "ROLLBACK");
	for (size_t i = 0; i < n; i++) {
		items[i]->result = r;
		items[i]->id = 0;
		items[i]->duplicate = false;
	}
out:
	sq_release(c);
	return r;
}

static const struct sq_sql value_list_sql = {
	"SELECT quantity, value_sealed, unit, position FROM measurement_values"
	" WHERE measurement_id = ? ORDER BY position"
};

int sq_row_values(struct sq_conn *c, struct mg_measurement_row *row)
{
	sqlite3_stmt *st = sq_stmt(c, &value_list_sql);
	int rc, r = 0;

	row->nvalues = 0;
	if (st == NULL)
		return MG_ERR_STORE;
	sqlite3_bind_int64(st, 1, row->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t i = row->nvalues;

		if (i == MG_VALUES_MAX ||
		    (r = sq_copy_text(st, 0, row->values[i].quantity,
				      sizeof(row->values[i].quantity))) != 0 ||
		    (r = sq_copy_text(st, 2, row->values[i].unit, sizeof(row->values[i].unit))) != 0) {
			r = MG_ERR_STORE;
			break;
		}
		sq_row_value_read(st, 1, 3, row, i);
		row->nvalues++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = sq_step_error(c);
	sq_done(st);
	return r;
}

void sq_row_value_read(sqlite3_stmt *st, int sealed_col, int position_col,
		       struct mg_measurement_row *row, size_t i)
{
	size_t n = (size_t)sqlite3_column_bytes(st, sealed_col);

	/* A value of another length cannot open: keep its length, not its bytes. */
	row->values[i].sealed_len = n;
	if (n == sizeof(row->values[i].sealed))
		memcpy(row->values[i].sealed, sqlite3_column_blob(st, sealed_col), n);
	row->values[i].position = sqlite3_column_int64(st, position_col);
	row->values[i].value = 0;
}

static const struct sq_sql measurement_list_sql = {
	"SELECT m.id, m.tenant_id, m.device_id, d.name, m.device_mid, m.measured_ms,"
	" m.received_ms FROM measurements m JOIN devices d ON d.id = m.device_id"
	" WHERE (?1 = 0 OR m.tenant_id = ?1) AND m.id > ?2 ORDER BY m.id LIMIT ?3"
};

int sq_measurement_list(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit,
			mg_measurement_cb cb, void *arg)
{
	struct sq_conn *c = sq_acquire((struct sq_store *)s);
	sqlite3_stmt *st = sq_stmt(c, &measurement_list_sql);
	struct mg_measurement_row row;
	int r = MG_ERR_STORE, rc = SQLITE_DONE;

	if (st == NULL)
		goto out;
	/* One read transaction so the value rows match their measurements. */
	if ((r = sq_exec(c, "BEGIN")) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, after_id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
	r = 0;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		row.id = sqlite3_column_int64(st, 0);
		row.tenant_id = sqlite3_column_int64(st, 1);
		row.device_id = sqlite3_column_int64(st, 2);
		row.measured_ms = sqlite3_column_int64(st, 5);
		row.received_ms = sqlite3_column_int64(st, 6);
		if ((r = sq_copy_text(st, 3, row.device_name, sizeof(row.device_name))) == 0 &&
		    (r = sq_copy_text(st, 4, row.device_mid, sizeof(row.device_mid))) == 0 &&
		    (r = sq_row_values(c, &row)) == 0)
			r = cb(&row, arg);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = sq_step_error(c);
	sq_done(st);
	sq_exec(c, "COMMIT");
out:
	sq_release(c);
	return r;
}

static const struct sq_sql measurement_count_sql = {
	"SELECT count(*) FROM measurements WHERE ?1 = 0 OR tenant_id = ?1"
};

int sq_measurement_count(struct mg_store *s, int64_t tenant_id, int64_t *count_out)
{
	struct sq_conn *c = sq_acquire((struct sq_store *)s);
	sqlite3_stmt *st = sq_stmt(c, &measurement_count_sql);
	int r = MG_ERR_STORE;

	*count_out = 0;
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, tenant_id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*count_out = sqlite3_column_int64(st, 0);
			r = 0;
		} else {
			r = sq_step_error(c);
		}
	}
	sq_done(st);
	sq_release(c);
	return r;
}
