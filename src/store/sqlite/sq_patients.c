/* Patients on SQLite: a patient's row by the blind index of its sealed
 * identifier, a patient's measurements, and its identity as one sealed
 * record with the keyed hashes of its search tokens (no clear identifier
 * or name here). */
#include "store/sqlite/sq_internal.h"

#include <stdint.h>
#include <string.h>

#include "common/err.h"

static const struct sq_sql patient_find_sql = {
	"SELECT coalesce(merged_into, id) FROM patients WHERE tenant_id = ? AND blind_index = ?"
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
	return sq_row_values(c, row);
}

static const struct sq_sql patient_measurements_sql = {
	"SELECT m.id, m.tenant_id, m.device_id, d.name, m.device_mid, m.measured_ms,"
	" m.received_ms FROM measurements m JOIN devices d ON d.id = m.device_id"
	" WHERE m.patient_id = ?1 AND m.status = 'final'"
	" ORDER BY m.measured_ms, m.id LIMIT ?2"
};

static const struct sq_sql unassigned_measurements_sql = {
	"SELECT m.id, m.tenant_id, m.device_id, d.name, m.device_mid, m.measured_ms,"
	" m.received_ms FROM measurements m JOIN devices d ON d.id = m.device_id"
	" WHERE m.tenant_id = ?1 AND m.status = 'unassigned' ORDER BY m.id LIMIT ?2"
};

static int walk(struct mg_store *s, const struct sq_sql *sql, int64_t key, size_t limit,
		mg_measurement_cb cb, void *arg);

int sq_unassigned_measurements(struct mg_store *s, int64_t tenant_id, size_t limit,
			       mg_measurement_cb cb, void *arg)
{
	return walk(s, &unassigned_measurements_sql, tenant_id, limit, cb, arg);
}

int sq_patient_measurements(struct mg_store *s, int64_t patient_id, size_t limit,
			    mg_measurement_cb cb, void *arg)
{
	return walk(s, &patient_measurements_sql, patient_id, limit, cb, arg);
}

static int walk(struct mg_store *s, const struct sq_sql *sql, int64_t key, size_t limit,
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
	for (rc = sq_query(c, sql, SQ_PARAMS(SQ_INT(key), SQ_INT(max)), &st);
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

/* ---- identity ---- */

/* One integer from the first row of sql. */
static int query_int(struct sq_conn *c, const struct sq_sql *sql, const struct sq_param *params,
		     int64_t *out)
{
	sqlite3_stmt *st;
	int r;

	*out = 0;
	if ((r = sq_query(c, sql, params, &st)) == 0) {
		*out = sqlite3_column_int64(st, 0);
		r = sq_finish(c, st);
	}
	return r;
}

static int copy_blob(sqlite3_stmt *st, int col, unsigned char *out, size_t size, size_t *len)
{
	int n = sqlite3_column_bytes(st, col);
	const void *b = sqlite3_column_blob(st, col);

	*len = 0;
	if (n < 0 || (size_t)n > size)
		return MG_ERR_STORE;
	if (n > 0)
		memcpy(out, b, (size_t)n);
	*len = (size_t)n;
	return 0;
}

#define PATIENT_COLUMNS \
	"p.id, p.tenant_id, p.identifier_sealed, p.created_ms, i.record_sealed," \
	" coalesce(i.updated_ms, 0), coalesce(i.discharged_ms, 0), p.wrapped_key, i.wrapped_key" \
	" FROM patients p LEFT JOIN patient_identities i ON i.patient_id = p.id"

static int patient_read(sqlite3_stmt *st, struct mg_patient_row *row)
{
	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(st, 0);
	row->tenant_id = sqlite3_column_int64(st, 1);
	row->created_ms = sqlite3_column_int64(st, 3);
	row->updated_ms = sqlite3_column_int64(st, 5);
	row->discharged_ms = sqlite3_column_int64(st, 6);
	if (copy_blob(st, 2, row->sealed_id, sizeof(row->sealed_id), &row->sealed_id_len) != 0 ||
	    copy_blob(st, 4, row->record, sizeof(row->record), &row->record_len) != 0 ||
	    copy_blob(st, 7, row->id_key, sizeof(row->id_key), &row->id_key_len) != 0 ||
	    copy_blob(st, 8, row->record_key, sizeof(row->record_key), &row->record_key_len) != 0)
		return MG_ERR_STORE;
	return 0;
}

static const struct sq_sql patient_insert_sql = {
	"INSERT INTO patients (tenant_id, blind_index, identifier_sealed, created_ms, wrapped_key)"
	" VALUES (?1, ?2, ?3, ?4, nullif(?5, x'')) ON CONFLICT (tenant_id, blind_index) DO NOTHING"
};
static const struct sq_sql identity_exists_sql = {
	"SELECT count(*) FROM patient_identities WHERE patient_id = ?1"
};
static const struct sq_sql identity_upsert_sql = {
	"INSERT INTO patient_identities (patient_id, record_sealed, updated_ms, wrapped_key)"
	" VALUES (?1, ?2, ?3, nullif(?4, x'')) ON CONFLICT (patient_id) DO UPDATE SET"
	" record_sealed = excluded.record_sealed, updated_ms = excluded.updated_ms,"
	" wrapped_key = excluded.wrapped_key"
};
static const struct sq_sql search_clear_sql = {
	"DELETE FROM patient_search WHERE patient_id = ?1"
};
static const struct sq_sql search_insert_sql = {
	"INSERT OR IGNORE INTO patient_search (tenant_id, token, patient_id) VALUES (?1, ?2, ?3)"
};

static int put_in(struct sq_conn *c, const struct mg_patient_put *p, int64_t *id,
		  bool *created)
{
	int64_t had = 0;
	int r;

	if ((r = sq_write(c, &patient_insert_sql,
			  SQ_PARAMS(SQ_INT(p->tenant_id), SQ_BLOB(p->blind_index, MG_BLIND_INDEX_BYTES),
				    SQ_BLOB(p->sealed_id, p->sealed_id_len), SQ_INT(p->now_ms),
				    SQ_BLOB(p->key, p->key_len)),
			  false)) != 0 ||
	    (r = query_int(c, &patient_find_sql,
			   SQ_PARAMS(SQ_INT(p->tenant_id),
				     SQ_BLOB(p->blind_index, MG_BLIND_INDEX_BYTES)), id)) != 0 ||
	    (r = query_int(c, &identity_exists_sql, SQ_PARAMS(SQ_INT(*id)), &had)) != 0)
		return r;
	if (had > 0 && p->must_be_new)
		return MG_ERR_EXISTS;
	*created = had == 0;
	if ((r = sq_write(c, &identity_upsert_sql,
			  SQ_PARAMS(SQ_INT(*id), SQ_BLOB(p->record, p->record_len), SQ_INT(p->now_ms),
				    SQ_BLOB(p->key, p->key_len)),
			  false)) != 0 ||
	    (r = sq_write(c, &search_clear_sql, SQ_PARAMS(SQ_INT(*id)), false)) != 0)
		return r;
	for (size_t i = 0; i < p->ntokens && r == 0; i++)
		r = sq_write(c, &search_insert_sql,
			     SQ_PARAMS(SQ_INT(p->tenant_id), SQ_BLOB(p->tokens[i], MG_BLIND_INDEX_BYTES),
				       SQ_INT(*id)),
			     false);
	return r;
}

int sq_patient_put(struct mg_store *s, const struct mg_patient_put *p, int64_t *id_out,
		   bool *created_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int64_t id = 0;
	bool created = false;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) == 0) {
		r = sq_end(c, put_in(c, p, &id, &created));
		if (r == 0) {
			*id_out = id;
			*created_out = created;
		}
	}
	sq_release(c);
	return r;
}

static const struct sq_sql patient_get_sql = {
	"SELECT " PATIENT_COLUMNS " WHERE p.id = ?1"
};

int sq_patient_get(struct mg_store *s, int64_t id, struct mg_patient_row *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	if ((r = sq_query(c, &patient_get_sql, SQ_PARAMS(SQ_INT(id)), &st)) == 0) {
		r = patient_read(st, out);
		sq_done(st);
	}
	sq_release(c);
	return r;
}

static const struct sq_sql patient_search_sql = {
	"SELECT " PATIENT_COLUMNS " WHERE p.id IN (SELECT patient_id FROM patient_search"
	" WHERE tenant_id = ?1 AND token IN (?2, ?3, ?4, ?5) GROUP BY patient_id"
	" HAVING count(DISTINCT token) = ?6) ORDER BY p.id LIMIT ?7"
};

int sq_patient_search(struct mg_store *s, int64_t tenant_id,
		      const unsigned char (*tokens)[MG_BLIND_INDEX_BYTES], size_t ntokens,
		      size_t limit, mg_patient_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct mg_patient_row row;
	const unsigned char *t[MG_PATIENT_QUERY_TOKENS_MAX];
	sqlite3_stmt *st;
	int r = 0, rc;

	/* Unused places repeat the first token: the distinct count decides. */
	for (size_t i = 0; i < MG_PATIENT_QUERY_TOKENS_MAX; i++)
		t[i] = tokens[i < ntokens ? i : 0];
	for (rc = sq_query(c, &patient_search_sql,
			   SQ_PARAMS(SQ_INT(tenant_id), SQ_BLOB(t[0], MG_BLIND_INDEX_BYTES),
				     SQ_BLOB(t[1], MG_BLIND_INDEX_BYTES),
				     SQ_BLOB(t[2], MG_BLIND_INDEX_BYTES),
				     SQ_BLOB(t[3], MG_BLIND_INDEX_BYTES), SQ_INT(ntokens),
				     SQ_INT(limit)),
			   &st);
	     rc == 0; rc = sq_next(c, st)) {
		if ((r = patient_read(st, &row)) != 0 || (r = cb(&row, arg)) != 0)
			break;
	}
	sq_done(st);
	if (r == 0 && rc != MG_ERR_NOT_FOUND)
		r = rc;
	sq_release(c);
	return r;
}

static const struct sq_sql patient_discharge_sql = {
	"UPDATE patient_identities SET discharged_ms = nullif(?2, 0) WHERE patient_id = ?1"
};

int sq_patient_discharge(struct mg_store *s, int64_t id, int64_t discharged_ms)
{
	return sq_store_write(s, &patient_discharge_sql,
			      SQ_PARAMS(SQ_INT(id), SQ_INT(discharged_ms)), true);
}

static const struct sq_sql patient_tenant_sql = {
	"SELECT tenant_id FROM patients WHERE id = ?1"
};
static const struct sq_sql merge_measurements_sql = {
	"UPDATE measurements SET patient_id = ?2 WHERE patient_id = ?1"
};
static const struct sq_sql merge_point_sql = {
	"UPDATE patients SET merged_into = ?2 WHERE id = ?1 OR merged_into = ?1"
};
static const struct sq_sql merge_identity_move_sql = {
	"UPDATE patient_identities SET patient_id = ?2 WHERE patient_id = ?1"
};
static const struct sq_sql merge_search_move_sql = {
	"UPDATE patient_search SET patient_id = ?2 WHERE patient_id = ?1"
};
static const struct sq_sql merge_identity_drop_sql = {
	"DELETE FROM patient_identities WHERE patient_id = ?1"
};

static int merge_in(struct sq_conn *c, int64_t tenant_id, const unsigned char *from_index,
		    int64_t into, int64_t *from, int64_t *moved)
{
	int64_t into_tenant = 0, has = 0;
	int r;

	if ((r = query_int(c, &patient_find_sql,
			   SQ_PARAMS(SQ_INT(tenant_id), SQ_BLOB(from_index, MG_BLIND_INDEX_BYTES)),
			   from)) != 0)
		return r;
	if ((r = query_int(c, &patient_tenant_sql, SQ_PARAMS(SQ_INT(into)), &into_tenant)) != 0)
		return r == MG_ERR_NOT_FOUND ? MG_ERR_INVALID : r;
	if (into_tenant != tenant_id)
		return MG_ERR_INVALID;
	if (*from == into)
		return 0;
	if ((r = sq_write(c, &merge_measurements_sql, SQ_PARAMS(SQ_INT(*from), SQ_INT(into)),
			  false)) != 0)
		return r;
	*moved = sqlite3_changes(c->db);
	if ((r = sq_write(c, &merge_point_sql, SQ_PARAMS(SQ_INT(*from), SQ_INT(into)), false)) != 0 ||
	    (r = query_int(c, &identity_exists_sql, SQ_PARAMS(SQ_INT(into)), &has)) != 0)
		return r;
	if (has == 0) {
		if ((r = sq_write(c, &merge_identity_move_sql, SQ_PARAMS(SQ_INT(*from), SQ_INT(into)),
				  false)) == 0)
			r = sq_write(c, &merge_search_move_sql,
				     SQ_PARAMS(SQ_INT(*from), SQ_INT(into)), false);
		return r;
	}
	if ((r = sq_write(c, &merge_identity_drop_sql, SQ_PARAMS(SQ_INT(*from)), false)) == 0)
		r = sq_write(c, &search_clear_sql, SQ_PARAMS(SQ_INT(*from)), false);
	return r;
}

int sq_patient_merge(struct mg_store *s, int64_t tenant_id,
		     const unsigned char from_index[MG_BLIND_INDEX_BYTES], int64_t into_id,
		     int64_t now_ms, int64_t *from_id_out, int64_t *moved_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int64_t from = 0, moved = 0;
	int r;

	(void)now_ms;
	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) == 0) {
		r = sq_end(c, merge_in(c, tenant_id, from_index, into_id, &from, &moved));
		if (r == 0) {
			*from_id_out = from;
			*moved_out = moved;
		}
	}
	sq_release(c);
	return r;
}

static const struct sq_sql patient_list_sql = {
	"SELECT " PATIENT_COLUMNS " WHERE p.tenant_id = ?1 AND p.id > ?2 AND p.merged_into IS NULL"
	" ORDER BY p.id LIMIT ?3"
};

int sq_patient_list(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit,
		    mg_patient_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct mg_patient_row row;
	sqlite3_stmt *st;
	int r = 0, rc;

	for (rc = sq_query(c, &patient_list_sql,
			   SQ_PARAMS(SQ_INT(tenant_id), SQ_INT(after_id), SQ_INT(limit)), &st);
	     rc == 0; rc = sq_next(c, st)) {
		if ((r = patient_read(st, &row)) != 0 || (r = cb(&row, arg)) != 0)
			break;
	}
	sq_done(st);
	if (r == 0 && rc != MG_ERR_NOT_FOUND)
		r = rc;
	sq_release(c);
	return r;
}
