/* Patients on PostgreSQL: a patient's row by the blind index of its
 * sealed identifier, a patient's measurements, and its identity as one
 * sealed record with the keyed hashes of its search tokens (no clear
 * identifier or name here). */
#include "store/postgres/pg_internal.h"

#include <stdint.h>
#include <string.h>

#include "common/err.h"

static const char patient_find_sql[] =
	"SELECT coalesce(merged_into, id) FROM patients WHERE tenant_id = $1 AND blind_index = $2";
static const char patient_measurements_sql[] =
	"SELECT m.id, m.tenant_id, m.device_id, d.name, m.device_mid, m.measured_ms,"
	" m.received_ms FROM measurements m JOIN devices d ON d.id = m.device_id"
	" WHERE m.patient_id = $1 AND m.status = 'final'"
	" ORDER BY m.measured_ms, m.id LIMIT $2";

int pg_patient_find(struct mg_store *s, int64_t tenant_id,
		    const unsigned char blind_index[MG_BLIND_INDEX_BYTES], int64_t *id_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	*id_out = 0;
	r = pg_query(c, patient_find_sql,
		     PG_PARAMS(PG_INT(tenant_id), PG_BLOB(blind_index, MG_BLIND_INDEX_BYTES)), &res);
	if (r == 0) {
		*id_out = pg_col_int(res, 0, 0);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

static const char unassigned_measurements_sql[] =
	"SELECT m.id, m.tenant_id, m.device_id, d.name, m.device_mid, m.measured_ms,"
	" m.received_ms FROM measurements m JOIN devices d ON d.id = m.device_id"
	" WHERE m.tenant_id = $1 AND m.status = 'unassigned' ORDER BY m.id LIMIT $2";

static int walk(struct mg_store *s, const char *sql, int64_t key, size_t limit,
		mg_measurement_cb cb, void *arg)
{
	struct pg_conn *c;
	int64_t max = limit > INT64_MAX ? INT64_MAX : (int64_t)limit;
	int r;

	if (limit == 0)
		return 0;
	c = PG_ACQUIRE(s);
	r = pg_rows_walk(c, sql, PG_PARAMS(PG_INT(key), PG_INT(max)), cb, arg);
	pg_release(c);
	return r;
}

int pg_unassigned_measurements(struct mg_store *s, int64_t tenant_id, size_t limit,
			       mg_measurement_cb cb, void *arg)
{
	return walk(s, unassigned_measurements_sql, tenant_id, limit, cb, arg);
}

int pg_patient_measurements(struct mg_store *s, int64_t patient_id, size_t limit,
			    mg_measurement_cb cb, void *arg)
{
	return walk(s, patient_measurements_sql, patient_id, limit, cb, arg);
}

/* ---- identity ---- */

#define PATIENT_COLUMNS \
	"p.id, p.tenant_id, p.identifier_sealed, p.created_ms, i.record_sealed," \
	" coalesce(i.updated_ms, 0), coalesce(i.discharged_ms, 0), p.wrapped_key, i.wrapped_key" \
	" FROM patients p LEFT JOIN patient_identities i ON i.patient_id = p.id"

static const char patient_insert_sql[] =
	"INSERT INTO patients (tenant_id, blind_index, identifier_sealed, created_ms, wrapped_key)"
	" VALUES ($1, $2, $3, $4, nullif($5, ''::bytea))"
	" ON CONFLICT (tenant_id, blind_index) DO NOTHING";
/* The row is locked: two feeds putting one patient queue here. */
static const char patient_lock_sql[] =
	"SELECT coalesce(merged_into, id) FROM patients WHERE tenant_id = $1 AND blind_index = $2"
	" FOR UPDATE";
static const char identity_exists_sql[] =
	"SELECT count(*) FROM patient_identities WHERE patient_id = $1";
static const char identity_upsert_sql[] =
	"INSERT INTO patient_identities (patient_id, record_sealed, updated_ms, wrapped_key)"
	" VALUES ($1, $2, $3, nullif($4, ''::bytea)) ON CONFLICT (patient_id) DO UPDATE SET"
	" record_sealed = excluded.record_sealed, updated_ms = excluded.updated_ms,"
	" wrapped_key = excluded.wrapped_key";
static const char search_clear_sql[] = "DELETE FROM patient_search WHERE patient_id = $1";
static const char search_insert_sql[] =
	"INSERT INTO patient_search (tenant_id, token, patient_id) VALUES ($1, $2, $3)"
	" ON CONFLICT DO NOTHING";
static const char patient_get_sql[] = "SELECT " PATIENT_COLUMNS " WHERE p.id = $1";
static const char patient_search_sql[] =
	"SELECT " PATIENT_COLUMNS " WHERE p.id IN (SELECT patient_id FROM patient_search"
	" WHERE tenant_id = $1 AND token IN ($2, $3, $4, $5) GROUP BY patient_id"
	" HAVING count(DISTINCT token) = $6) ORDER BY p.id LIMIT $7";
static const char patient_discharge_sql[] =
	"UPDATE patient_identities SET discharged_ms = nullif($2, 0) WHERE patient_id = $1";
static const char patient_tenant_sql[] = "SELECT tenant_id FROM patients WHERE id = $1";
static const char merge_measurements_sql[] =
	"UPDATE measurements SET patient_id = $2 WHERE patient_id = $1";
static const char merge_point_sql[] =
	"UPDATE patients SET merged_into = $2 WHERE id = $1 OR merged_into = $1";
static const char merge_identity_move_sql[] =
	"UPDATE patient_identities SET patient_id = $2 WHERE patient_id = $1";
static const char merge_search_move_sql[] =
	"UPDATE patient_search SET patient_id = $2 WHERE patient_id = $1";
static const char merge_identity_drop_sql[] =
	"DELETE FROM patient_identities WHERE patient_id = $1";

static int query_int(struct pg_conn *c, const char *sql, const struct pg_param *params,
		     int64_t *out)
{
	PGresult *res;
	int r;

	*out = 0;
	if ((r = pg_query(c, sql, params, &res)) == 0) {
		*out = pg_col_int(res, 0, 0);
		PQclear(res);
	}
	return r;
}

static int patient_read(const PGresult *res, int i, struct mg_patient_row *row)
{
	memset(row, 0, sizeof(*row));
	row->id = pg_col_int(res, i, 0);
	row->tenant_id = pg_col_int(res, i, 1);
	row->created_ms = pg_col_int(res, i, 3);
	row->updated_ms = pg_col_int(res, i, 5);
	row->discharged_ms = pg_col_int(res, i, 6);
	if (pg_col_blob(res, i, 2, row->sealed_id, sizeof(row->sealed_id), &row->sealed_id_len) ||
	    pg_col_blob(res, i, 4, row->record, sizeof(row->record), &row->record_len) ||
	    pg_col_blob(res, i, 7, row->id_key, sizeof(row->id_key), &row->id_key_len) ||
	    pg_col_blob(res, i, 8, row->record_key, sizeof(row->record_key), &row->record_key_len))
		return MG_ERR_STORE;
	return 0;
}

static int put_in(struct pg_conn *c, const struct mg_patient_put *p, int64_t *id,
		  bool *created)
{
	int64_t had = 0;
	int r;

	if ((r = pg_write(c, patient_insert_sql,
			  PG_PARAMS(PG_INT(p->tenant_id), PG_BLOB(p->blind_index, MG_BLIND_INDEX_BYTES),
				    PG_BLOB(p->sealed_id, p->sealed_id_len), PG_INT(p->now_ms),
				    PG_BLOB(p->key, p->key_len)),
			  false, NULL)) != 0 ||
	    (r = query_int(c, patient_lock_sql,
			   PG_PARAMS(PG_INT(p->tenant_id),
				     PG_BLOB(p->blind_index, MG_BLIND_INDEX_BYTES)), id)) != 0 ||
	    (r = query_int(c, identity_exists_sql, PG_PARAMS(PG_INT(*id)), &had)) != 0)
		return r;
	if (had > 0 && p->must_be_new)
		return MG_ERR_EXISTS;
	*created = had == 0;
	if ((r = pg_write(c, identity_upsert_sql,
			  PG_PARAMS(PG_INT(*id), PG_BLOB(p->record, p->record_len), PG_INT(p->now_ms),
				    PG_BLOB(p->key, p->key_len)),
			  false, NULL)) != 0 ||
	    (r = pg_write(c, search_clear_sql, PG_PARAMS(PG_INT(*id)), false, NULL)) != 0)
		return r;
	for (size_t i = 0; i < p->ntokens && r == 0; i++)
		r = pg_write(c, search_insert_sql,
			     PG_PARAMS(PG_INT(p->tenant_id), PG_BLOB(p->tokens[i], MG_BLIND_INDEX_BYTES),
				       PG_INT(*id)),
			     false, NULL);
	return r;
}

int pg_patient_put(struct mg_store *s, const struct mg_patient_put *p, int64_t *id_out,
		   bool *created_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int64_t id = 0;
	bool created = false;
	int r;

	if ((r = pg_begin(c)) == 0) {
		r = pg_end(c, put_in(c, p, &id, &created));
		if (r == 0) {
			*id_out = id;
			*created_out = created;
		}
	}
	pg_release(c);
	return r;
}

int pg_patient_get(struct mg_store *s, int64_t id, struct mg_patient_row *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	if ((r = pg_query(c, patient_get_sql, PG_PARAMS(PG_INT(id)), &res)) == 0) {
		r = patient_read(res, 0, out);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_patient_search(struct mg_store *s, int64_t tenant_id,
		      const unsigned char (*tokens)[MG_BLIND_INDEX_BYTES], size_t ntokens,
		      size_t limit, mg_patient_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_patient_row row;
	const unsigned char *t[MG_PATIENT_QUERY_TOKENS_MAX];
	PGresult *res = NULL;
	int r;

	/* Unused places repeat the first token: the distinct count decides. */
	for (size_t i = 0; i < MG_PATIENT_QUERY_TOKENS_MAX; i++)
		t[i] = tokens[i < ntokens ? i : 0];
	r = pg_run(c, patient_search_sql,
		   PG_PARAMS(PG_INT(tenant_id), PG_BLOB(t[0], MG_BLIND_INDEX_BYTES),
			     PG_BLOB(t[1], MG_BLIND_INDEX_BYTES), PG_BLOB(t[2], MG_BLIND_INDEX_BYTES),
			     PG_BLOB(t[3], MG_BLIND_INDEX_BYTES), PG_INT(ntokens), PG_INT(limit)),
		   &res);
	if (r == 0) {
		for (int i = 0; r == 0 && i < PQntuples(res); i++)
			if ((r = patient_read(res, i, &row)) == 0)
				r = cb(&row, arg);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_patient_discharge(struct mg_store *s, int64_t id, int64_t discharged_ms)
{
	return pg_store_write(s, patient_discharge_sql, PG_PARAMS(PG_INT(id), PG_INT(discharged_ms)),
			      true);
}

static int merge_in(struct pg_conn *c, int64_t tenant_id, const unsigned char *from_index,
		    int64_t into, int64_t *from, int64_t *moved)
{
	int64_t into_tenant = 0, has = 0;
	int r;

	if ((r = query_int(c, patient_lock_sql,
			   PG_PARAMS(PG_INT(tenant_id), PG_BLOB(from_index, MG_BLIND_INDEX_BYTES)),
			   from)) != 0)
		return r;
	if ((r = query_int(c, patient_tenant_sql, PG_PARAMS(PG_INT(into)), &into_tenant)) != 0)
		return r == MG_ERR_NOT_FOUND ? MG_ERR_INVALID : r;
	if (into_tenant != tenant_id)
		return MG_ERR_INVALID;
	if (*from == into)
		return 0;
	if ((r = pg_write(c, merge_measurements_sql, PG_PARAMS(PG_INT(*from), PG_INT(into)), false,
			  moved)) != 0 ||
	    (r = pg_write(c, merge_point_sql, PG_PARAMS(PG_INT(*from), PG_INT(into)), false,
			  NULL)) != 0 ||
	    (r = query_int(c, identity_exists_sql, PG_PARAMS(PG_INT(into)), &has)) != 0)
		return r;
	if (has == 0) {
		if ((r = pg_write(c, merge_identity_move_sql, PG_PARAMS(PG_INT(*from), PG_INT(into)),
				  false, NULL)) == 0)
			r = pg_write(c, merge_search_move_sql, PG_PARAMS(PG_INT(*from), PG_INT(into)),
				     false, NULL);
		return r;
	}
	if ((r = pg_write(c, merge_identity_drop_sql, PG_PARAMS(PG_INT(*from)), false, NULL)) == 0)
		r = pg_write(c, search_clear_sql, PG_PARAMS(PG_INT(*from)), false, NULL);
	return r;
}

int pg_patient_merge(struct mg_store *s, int64_t tenant_id,
		     const unsigned char from_index[MG_BLIND_INDEX_BYTES], int64_t into_id,
		     int64_t now_ms, int64_t *from_id_out, int64_t *moved_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int64_t from = 0, moved = 0;
	int r;

	(void)now_ms;
	if ((r = pg_begin(c)) == 0) {
		r = pg_end(c, merge_in(c, tenant_id, from_index, into_id, &from, &moved));
		if (r == 0) {
			*from_id_out = from;
			*moved_out = moved;
		}
	}
	pg_release(c);
	return r;
}

static const char patient_list_sql[] =
	"SELECT " PATIENT_COLUMNS " WHERE p.tenant_id = $1 AND p.id > $2 AND p.merged_into IS NULL"
	" ORDER BY p.id LIMIT $3";

int pg_patient_list(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit,
		    mg_patient_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_patient_row row;
	PGresult *res = NULL;
	int r;

	r = pg_run(c, patient_list_sql, PG_PARAMS(PG_INT(tenant_id), PG_INT(after_id),
						  PG_INT(limit)), &res);
	pg_release(c);
	if (r != 0)
		return r;
	for (int i = 0; r == 0 && i < PQntuples(res); i++)
		if ((r = patient_read(res, i, &row)) == 0)
			r = cb(&row, arg);
	PQclear(res);
	return r;
}
