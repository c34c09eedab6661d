/* Patients on PostgreSQL: a patient's row by the blind index of its
 * sealed identifier, and a patient's measurements (no clear identifier
 * here). */
#include "store/postgres/pg_internal.h"

#include <stdint.h>

#include "common/err.h"

static const char patient_find_sql[] =
	"SELECT id FROM patients WHERE tenant_id = $1 AND blind_index = $2";
static const char patient_measurements_sql[] =
	"SELECT m.id, m.tenant_id, m.device_id, d.name, m.device_mid, m.measured_ms,"
	" m.received_ms FROM measurements m JOIN devices d ON d.id = m.device_id"
	" WHERE m.patient_id = $1 ORDER BY m.measured_ms, m.id LIMIT $2";

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

int pg_patient_measurements(struct mg_store *s, int64_t patient_id, size_t limit,
			    mg_measurement_cb cb, void *arg)
{
	struct pg_conn *c;
	int64_t max = limit > INT64_MAX ? INT64_MAX : (int64_t)limit;
	int r;

	if (limit == 0)
		return 0;
	c = PG_ACQUIRE(s);
	r = pg_rows_walk(c, patient_measurements_sql, PG_PARAMS(PG_INT(patient_id), PG_INT(max)),
			 cb, arg);
	pg_release(c);
	return r;
}
