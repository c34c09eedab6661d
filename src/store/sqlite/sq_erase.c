/* Erasure on SQLite: one patient, a whole tenant, measurements past the
 * retention window, and the outbox entries of a patient for its export.
 *
 * The connection sets secure_delete, so the pages a DELETE frees are
 * zeroed; the old content still sits in earlier WAL frames until a
 * checkpoint copies the zeroed pages back and truncates the log, which
 * each erasure runs after its commit (as tenant_delete does). */
#include "store/sqlite/sq_internal.h"

#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"

/* The patients erased with ?1: itself and those merged into it. */
#define PATIENT_SET "(SELECT id FROM patients WHERE id = ?1 OR merged_into = ?1)"

static const struct sq_sql erase_check_sql = {
	"SELECT id FROM patients WHERE id = ?1 AND tenant_id = ?2"
};
static const struct sq_sql erase_outbox_sql = {
	"DELETE FROM outbox WHERE patient_id IN " PATIENT_SET
	" OR measurement_id IN (SELECT id FROM measurements WHERE patient_id IN " PATIENT_SET ")"
};
static const struct sq_sql erase_measurements_sql = {
	"DELETE FROM measurements WHERE patient_id IN " PATIENT_SET
};
static const struct sq_sql erase_search_sql = {
	"DELETE FROM patient_search WHERE patient_id IN " PATIENT_SET
};
static const struct sq_sql erase_identities_sql = {
	"DELETE FROM patient_identities WHERE patient_id IN " PATIENT_SET
};
static const struct sq_sql erase_merged_sql = {
	"DELETE FROM patients WHERE merged_into = ?1"
};
static const struct sq_sql erase_patient_sql = {
	"DELETE FROM patients WHERE id = ?1"
};

/* Run sql with params on c, adding the rows it changed to *count. */
static int erase_step(struct sq_conn *c, const struct sq_sql *sql, const struct sq_param *params,
		      int64_t *count)
{
	int r = sq_write(c, sql, params, false);

	if (r == 0 && count != NULL)
		*count += sqlite3_changes(c->db);
	return r;
}

#define CHECKPOINT_TRIES	20	/* 100 ms apart, after each busy wait */

/* Copy the zeroed pages into the database file and empty the WAL. Readers
 * are waited for (busy timeout); another connection's checkpoint running
 * at that moment (the daemon's automatic one) answers SQLITE_BUSY at once,
 * so try again a few times. If it cannot finish, the erasure stands but
 * the old frames stay until a later checkpoint: say so. */
static void erase_checkpoint(struct sq_conn *c, const char *what)
{
	int rc = SQLITE_BUSY;

	for (int i = 0; i < CHECKPOINT_TRIES && rc != SQLITE_OK; i++) {
		if (i > 0)
			sqlite3_sleep(100);
		rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	if (rc != SQLITE_OK)
		mg_log_warning("%s erased, but the WAL could not be emptied yet (%s): the old pages"
			       " stay in the WAL file until a full checkpoint", what,
			       sqlite3_errstr(rc));
}

static int patient_erase_in(struct sq_conn *c, int64_t tenant_id, int64_t id,
			    struct mg_erase_counts *out)
{
	sqlite3_stmt *st;
	const struct sq_param *p = SQ_PARAMS(SQ_INT(id));
	int r;

	if ((r = sq_query(c, &erase_check_sql, SQ_PARAMS(SQ_INT(id), SQ_INT(tenant_id)), &st)) != 0 ||
	    (r = sq_finish(c, st)) != 0)
		return r;
	if ((r = erase_step(c, &erase_outbox_sql, p, &out->deliveries)) != 0 ||
	    (r = erase_step(c, &erase_measurements_sql, p, &out->measurements)) != 0 ||
	    (r = erase_step(c, &erase_search_sql, p, NULL)) != 0 ||
	    (r = erase_step(c, &erase_identities_sql, p, NULL)) != 0 ||
	    (r = erase_step(c, &erase_merged_sql, p, &out->patients)) != 0)
		return r;
	return erase_step(c, &erase_patient_sql, p, &out->patients);
}

int sq_patient_erase(struct mg_store *s, int64_t tenant_id, int64_t patient_id,
		     struct mg_erase_counts *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct mg_erase_counts n = { 0 };
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) == 0 &&
	    (r = sq_end(c, patient_erase_in(c, tenant_id, patient_id, &n))) == 0) {
		*out = n;
		erase_checkpoint(c, "a patient");
	}
	sq_release(c);
	return r;
}

#define TENANT_PATIENTS "(SELECT id FROM patients WHERE tenant_id = ?1)"

static const struct sq_sql tenant_exists_sql = { "SELECT id FROM tenants WHERE id = ?1" };
static const struct sq_sql tenant_outbox_sql = {
	"DELETE FROM outbox WHERE patient_id IN " TENANT_PATIENTS
	" OR measurement_id IN (SELECT id FROM measurements WHERE tenant_id = ?1)"
};
static const struct sq_sql tenant_measurements_sql = {
	"DELETE FROM measurements WHERE tenant_id = ?1"
};
static const struct sq_sql tenant_search_sql = {
	"DELETE FROM patient_search WHERE tenant_id = ?1 OR patient_id IN " TENANT_PATIENTS
};
static const struct sq_sql tenant_identities_sql = {
	"DELETE FROM patient_identities WHERE patient_id IN " TENANT_PATIENTS
};
static const struct sq_sql tenant_unmerge_sql = {
	"UPDATE patients SET merged_into = NULL WHERE tenant_id = ?1 AND merged_into IS NOT NULL"
};
static const struct sq_sql tenant_patients_sql = { "DELETE FROM patients WHERE tenant_id = ?1" };
static const struct sq_sql tenant_devices_sql = { "DELETE FROM devices WHERE tenant_id = ?1" };
static const struct sq_sql tenant_tokens_sql = { "DELETE FROM enrol_tokens WHERE tenant_id = ?1" };
static const struct sq_sql tenant_members_sql = { "DELETE FROM user_tenants WHERE tenant_id = ?1" };
static const struct sq_sql tenant_row_sql = { "DELETE FROM tenants WHERE id = ?1" };

static int tenant_erase_in(struct sq_conn *c, int64_t id, struct mg_erase_counts *out)
{
	const struct sq_param *p = SQ_PARAMS(SQ_INT(id));
	sqlite3_stmt *st;
	int r;

	if ((r = sq_query(c, &tenant_exists_sql, p, &st)) != 0 || (r = sq_finish(c, st)) != 0)
		return r;
	if ((r = erase_step(c, &tenant_outbox_sql, p, &out->deliveries)) != 0 ||
	    (r = erase_step(c, &tenant_measurements_sql, p, &out->measurements)) != 0 ||
	    (r = erase_step(c, &tenant_search_sql, p, NULL)) != 0 ||
	    (r = erase_step(c, &tenant_identities_sql, p, NULL)) != 0 ||
	    (r = erase_step(c, &tenant_unmerge_sql, p, NULL)) != 0 ||
	    (r = erase_step(c, &tenant_patients_sql, p, &out->patients)) != 0 ||
	    (r = erase_step(c, &tenant_devices_sql, p, NULL)) != 0 ||
	    (r = erase_step(c, &tenant_tokens_sql, p, NULL)) != 0 ||
	    (r = erase_step(c, &tenant_members_sql, p, NULL)) != 0)
		return r;
	return sq_write(c, &tenant_row_sql, p, true);
}

int sq_tenant_erase(struct mg_store *s, int64_t tenant_id, struct mg_erase_counts *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct mg_erase_counts n = { 0 };
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) == 0 &&
	    (r = sq_end(c, tenant_erase_in(c, tenant_id, &n))) == 0) {
		*out = n;
		erase_checkpoint(c, "a tenant");
	}
	sq_release(c);
	return r;
}

/* Oldest first by id (ids grow with arrival), so a batch stops early. */
#define OLD_MEASUREMENTS \
	"(SELECT id FROM measurements WHERE received_ms < ?1 ORDER BY id LIMIT ?2)"

static const struct sq_sql old_outbox_sql = {
	"DELETE FROM outbox WHERE measurement_id IN " OLD_MEASUREMENTS
};
static const struct sq_sql old_measurements_sql = {
	"DELETE FROM measurements WHERE id IN " OLD_MEASUREMENTS
};

int sq_measurement_erase_before(struct mg_store *s, int64_t before_ms, size_t limit,
				int64_t *count_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	const struct sq_param *p = SQ_PARAMS(SQ_INT(before_ms), SQ_INT(limit));
	int64_t n = 0;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) == 0) {
		r = erase_step(c, &old_outbox_sql, p, NULL);
		if (r == 0)
			r = erase_step(c, &old_measurements_sql, p, &n);
		if ((r = sq_end(c, r)) == 0) {
			*count_out = n;
			if (n > 0)
				erase_checkpoint(c, "old measurements");
		}
	}
	sq_release(c);
	return r;
}

static const struct sq_sql deliveries_sql = {
	"SELECT id, measurement_id, destination, state, attempts, created_ms,"
	" coalesce(delivered_ms, 0) FROM outbox WHERE patient_id IN " PATIENT_SET " ORDER BY id"
};

int sq_patient_deliveries(struct mg_store *s, int64_t patient_id, mg_delivery_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct mg_delivery_row row;
	sqlite3_stmt *st;
	int r = 0, rc;

	for (rc = sq_query(c, &deliveries_sql, SQ_PARAMS(SQ_INT(patient_id)), &st); rc == 0;
	     rc = sq_next(c, st)) {
		memset(&row, 0, sizeof(row));
		row.id = sqlite3_column_int64(st, 0);
		row.measurement_id = sqlite3_column_int64(st, 1);
		row.attempts = sqlite3_column_int64(st, 4);
		row.created_ms = sqlite3_column_int64(st, 5);
		row.delivered_ms = sqlite3_column_int64(st, 6);
		if (sq_copy_text(st, 2, row.destination, sizeof(row.destination)) != 0 ||
		    sq_copy_text(st, 3, row.state, sizeof(row.state)) != 0) {
			r = MG_ERR_STORE;
			break;
		}
		if ((r = cb(&row, arg)) != 0)
			break;
	}
	sq_done(st);
	if (r == 0 && rc != MG_ERR_NOT_FOUND)
		r = rc;
	sq_release(c);
	return r;
}
