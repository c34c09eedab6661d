/* Detection state on SQLite: the addresses accounts sign in from and the
 * previous value of a patient's quantity (leases: sq_leases.c).
 *
 * These run a few times per sign-in or measurement at most, so their
 * statements are prepared per call (sq_run) rather than cached with the
 * connection's hot ones. */
#include "store/sqlite/sq_internal.h"

#include <string.h>

#include "common/err.h"

/* One transaction: is the pair known, how many are, then insert or touch. */
int sq_user_address_seen(struct mg_store *s, int64_t id, const char *address, int64_t now_ms,
			 bool *new_out, unsigned *known_out)
{
	struct sq_conn *c;
	sqlite3_stmt *st;
	int r;

	c = SQ_ACQUIRE(s);
	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	r = sq_run(c,
		   "SELECT count(*), coalesce(sum(address = ?2), 0) FROM user_addresses"
		   " WHERE user_id = ?1",
		   SQ_PARAMS(SQ_INT(id), SQ_TEXT(address)), &st);
	if (r == 0) {
		*known_out = sq_column_unsigned(st, 0);
		*new_out = sqlite3_column_int64(st, 1) == 0;
		sqlite3_finalize(st);
		if (!*new_out)
			*known_out -= 1;	/* "before this one" */
		r = sq_run_write(c,
				 "INSERT INTO user_addresses (user_id, address, first_ms, last_ms)"
				 " VALUES (?1, ?2, ?3, ?3) ON CONFLICT (user_id, address)"
				 " DO UPDATE SET last_ms = excluded.last_ms",
				 SQ_PARAMS(SQ_INT(id), SQ_TEXT(address), SQ_INT(now_ms)), false);
	}
	r = sq_end(c, r);
out:
	sq_release(c);
	if (r != 0) {
		*new_out = false;
		*known_out = 0;
	}
	return r;
}

int sq_measurement_previous_value(struct mg_store *s, int64_t id, const char *quantity,
				  int64_t window_ms, struct mg_measurement_row *row)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	r = sq_run(c,
		   "SELECT p.id, p.tenant_id, p.device_id, p.device_mid, p.measured_ms,"
		   " v.quantity, v.unit, v.value_sealed, v.position FROM measurements m"
		   " JOIN measurements p ON p.patient_id = m.patient_id AND p.id <> m.id"
		   "  AND p.measured_ms <= m.measured_ms AND p.measured_ms >= m.measured_ms - ?3"
		   "  AND p.status = 'final'"
		   " JOIN measurement_values v ON v.measurement_id = p.id AND v.quantity = ?2"
		   " WHERE m.id = ?1 ORDER BY p.measured_ms DESC, p.id DESC LIMIT 1",
		   SQ_PARAMS(SQ_INT(id), SQ_TEXT(quantity), SQ_INT(window_ms)), &st);
	if (r == 0) {
		row->id = sqlite3_column_int64(st, 0);
		row->tenant_id = sqlite3_column_int64(st, 1);
		row->device_id = sqlite3_column_int64(st, 2);
		row->measured_ms = sqlite3_column_int64(st, 4);
		row->nvalues = 1;
		if (sq_copy_text(st, 3, row->device_mid, sizeof(row->device_mid)) != 0 ||
		    sq_copy_text(st, 5, row->values[0].quantity, sizeof(row->values[0].quantity)) ||
		    sq_copy_text(st, 6, row->values[0].unit, sizeof(row->values[0].unit)))
			r = MG_ERR_STORE;
		sq_row_value_read(st, 7, 8, row, 0);
		sqlite3_finalize(st);
	}
	sq_release(c);
	return r;
}
