/* Erasure on PostgreSQL: one patient, a whole tenant, measurements past
 * the retention window, and the outbox entries of a patient for its
 * export.
 *
 * A DELETE leaves dead tuples in the table's pages until VACUUM reclaims
 * them; each erasure runs VACUUM on the tables it touched after its
 * commit (outside the transaction, as tenant_delete does). What the
 * server's WAL segments, replicas and base backups still hold is the
 * server's to expire (docs/patient-rights.md). */
#include "store/postgres/pg_internal.h"

#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"

/* The patients erased with $1: itself and those merged into it. */
#define PATIENT_SET "(SELECT id FROM patients WHERE id = $1 OR merged_into = $1)"

static const char erase_check_sql[] =
	"SELECT id FROM patients WHERE id = $1 AND tenant_id = $2 FOR UPDATE";
static const char erase_outbox_sql[] =
	"DELETE FROM outbox WHERE patient_id IN " PATIENT_SET
	" OR measurement_id IN (SELECT id FROM measurements WHERE patient_id IN " PATIENT_SET ")";
static const char erase_measurements_sql[] =
	"DELETE FROM measurements WHERE patient_id IN " PATIENT_SET;
static const char erase_search_sql[] =
	"DELETE FROM patient_search WHERE patient_id IN " PATIENT_SET;
static const char erase_identities_sql[] =
	"DELETE FROM patient_identities WHERE patient_id IN " PATIENT_SET;
static const char erase_merged_sql[] = "DELETE FROM patients WHERE merged_into = $1";
static const char erase_patient_sql[] = "DELETE FROM patients WHERE id = $1";

#define ERASED_TABLES \
	"outbox, measurement_values, measurements, patient_search, patient_identities, patients"

/* Free the dead tuples the erasure left. If VACUUM fails, the erasure
 * stands but the old tuples stay until autovacuum: say so. */
static void erase_vacuum(struct pg_conn *c, const char *sql, const char *what)
{
	if (pg_exec(c, sql) != 0)
		mg_log_warning("%s erased, but VACUUM failed: the old rows stay in dead tuples"
			       " until autovacuum", what);
}

static int patient_erase_in(struct pg_conn *c, int64_t tenant_id, int64_t id,
			    struct mg_erase_counts *out)
{
	const struct pg_param *p = PG_PARAMS(PG_INT(id));
	PGresult *res;
	int64_t n = 0;
	int r;

	if ((r = pg_query(c, erase_check_sql, PG_PARAMS(PG_INT(id), PG_INT(tenant_id)), &res)) != 0)
		return r;
	PQclear(res);
	if ((r = pg_write(c, erase_outbox_sql, p, false, &out->deliveries)) != 0 ||
	    (r = pg_write(c, erase_measurements_sql, p, false, &out->measurements)) != 0 ||
	    (r = pg_write(c, erase_search_sql, p, false, NULL)) != 0 ||
	    (r = pg_write(c, erase_identities_sql, p, false, NULL)) != 0 ||
	    (r = pg_write(c, erase_merged_sql, p, false, &n)) != 0)
		return r;
	out->patients = n;
	r = pg_write(c, erase_patient_sql, p, false, &n);
	out->patients += n;
	return r;
}

int pg_patient_erase(struct mg_store *s, int64_t tenant_id, int64_t patient_id,
		     struct mg_erase_counts *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_erase_counts n = { 0 };
	int r;

	if ((r = pg_begin(c)) == 0 &&
	    (r = pg_end(c, patient_erase_in(c, tenant_id, patient_id, &n))) == 0) {
		*out = n;
		erase_vacuum(c, "VACUUM " ERASED_TABLES, "a patient");
	}
	pg_release(c);
	return r;
}

#define TENANT_PATIENTS "(SELECT id FROM patients WHERE tenant_id = $1)"

static const char tenant_lock_sql[] = "SELECT id FROM tenants WHERE id = $1 FOR UPDATE";
static const char tenant_outbox_sql[] =
	"DELETE FROM outbox WHERE patient_id IN " TENANT_PATIENTS
	" OR measurement_id IN (SELECT id FROM measurements WHERE tenant_id = $1)";
static const char tenant_measurements_sql[] = "DELETE FROM measurements WHERE tenant_id = $1";
static const char tenant_search_sql[] =
	"DELETE FROM patient_search WHERE tenant_id = $1 OR patient_id IN " TENANT_PATIENTS;
static const char tenant_identities_sql[] =
	"DELETE FROM patient_identities WHERE patient_id IN " TENANT_PATIENTS;
static const char tenant_unmerge_sql[] =
	"UPDATE patients SET merged_into = NULL WHERE tenant_id = $1 AND merged_into IS NOT NULL";
static const char tenant_patients_sql[] = "DELETE FROM patients WHERE tenant_id = $1";
static const char tenant_devices_sql[] = "DELETE FROM devices WHERE tenant_id = $1";
static const char tenant_tokens_sql[] = "DELETE FROM enrol_tokens WHERE tenant_id = $1";
static const char tenant_members_sql[] = "DELETE FROM user_tenants WHERE tenant_id = $1";
static const char tenant_row_sql[] = "DELETE FROM tenants WHERE id = $1";

static int tenant_erase_in(struct pg_conn *c, int64_t id, struct mg_erase_counts *out)
{
	const struct pg_param *p = PG_PARAMS(PG_INT(id));
	PGresult *res;
	int r;

	if ((r = pg_query(c, tenant_lock_sql, p, &res)) != 0)
		return r;
	PQclear(res);
	if ((r = pg_write(c, tenant_outbox_sql, p, false, &out->deliveries)) != 0 ||
	    (r = pg_write(c, tenant_measurements_sql, p, false, &out->measurements)) != 0 ||
	    (r = pg_write(c, tenant_search_sql, p, false, NULL)) != 0 ||
	    (r = pg_write(c, tenant_identities_sql, p, false, NULL)) != 0 ||
	    (r = pg_write(c, tenant_unmerge_sql, p, false, NULL)) != 0 ||
	    (r = pg_write(c, tenant_patients_sql, p, false, &out->patients)) != 0 ||
	    (r = pg_write(c, tenant_devices_sql, p, false, NULL)) != 0 ||
	    (r = pg_write(c, tenant_tokens_sql, p, false, NULL)) != 0 ||
	    (r = pg_write(c, tenant_members_sql, p, false, NULL)) != 0)
		return r;
	return pg_write(c, tenant_row_sql, p, true, NULL);
}

int pg_tenant_erase(struct mg_store *s, int64_t tenant_id, struct mg_erase_counts *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_erase_counts n = { 0 };
	int r;

	if ((r = pg_begin(c)) == 0 && (r = pg_end(c, tenant_erase_in(c, tenant_id, &n))) == 0) {
		*out = n;
		erase_vacuum(c, "VACUUM " ERASED_TABLES ", devices, enrol_tokens, user_tenants,"
				" tenants", "a tenant");
	}
	pg_release(c);
	return r;
}

/* Oldest first by id (ids grow with arrival). Between the two statements
 * nothing older can arrive: new rows are received now. */
#define OLD_MEASUREMENTS \
	"(SELECT id FROM measurements WHERE received_ms < $1 ORDER BY id LIMIT $2)"

static const char old_outbox_sql[] =
	"DELETE FROM outbox WHERE measurement_id IN " OLD_MEASUREMENTS;
static const char old_measurements_sql[] =
	"DELETE FROM measurements WHERE id IN " OLD_MEASUREMENTS;

int pg_measurement_erase_before(struct mg_store *s, int64_t before_ms, size_t limit,
				int64_t *count_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	const struct pg_param *p = PG_PARAMS(PG_INT(before_ms), PG_INT(limit));
	int64_t n = 0;
	int r;

	if ((r = pg_begin(c)) == 0) {
		r = pg_write(c, old_outbox_sql, p, false, NULL);
		if (r == 0)
			r = pg_write(c, old_measurements_sql, p, false, &n);
		if ((r = pg_end(c, r)) == 0) {
			*count_out = n;
			if (n > 0)
				erase_vacuum(c, "VACUUM outbox, measurement_values, measurements",
					     "old measurements");
		}
	}
	pg_release(c);
	return r;
}

static const char deliveries_sql[] =
	"SELECT id, measurement_id, destination, state, attempts, created_ms,"
	" coalesce(delivered_ms, 0) FROM outbox WHERE patient_id IN " PATIENT_SET " ORDER BY id";

int pg_patient_deliveries(struct mg_store *s, int64_t patient_id, mg_delivery_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_delivery_row row;
	PGresult *res = NULL;
	int r;

	r = pg_query(c, deliveries_sql, PG_PARAMS(PG_INT(patient_id)), &res);
	pg_release(c);
	if (r == MG_ERR_NOT_FOUND)
		return 0;
	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		memset(&row, 0, sizeof(row));
		row.id = pg_col_int(res, i, 0);
		row.measurement_id = pg_col_int(res, i, 1);
		row.attempts = pg_col_int(res, i, 4);
		row.created_ms = pg_col_int(res, i, 5);
		row.delivered_ms = pg_col_int(res, i, 6);
		if (pg_col_text(res, i, 2, row.destination, sizeof(row.destination)) != 0 ||
		    pg_col_text(res, i, 3, row.state, sizeof(row.state)) != 0)
			r = MG_ERR_STORE;
		else
			r = cb(&row, arg);
	}
	PQclear(res);
	return r;
}
