/* Detection state on SQLite: the addresses accounts sign in from, the
 * previous value of a patient's quantity, and leases on named jobs.
 *
 * These run a few times per sign-in or measurement at most, so their
 * statements are prepared per call (sq_run) rather than cached with the
 * connection's hot ones. */
#include "store/sqlite/sqlite_internal.h"

#include <string.h>

#include "common/err.h"

int sq_run(struct sq_conn *c, const char *sql, const struct sq_param *params,
	   sqlite3_stmt **st_out)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	*st_out = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return MG_ERR_STORE;
	if ((r = sq_bind(st, params)) != 0) {
		sqlite3_finalize(st);
		return r;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*st_out = st;
		return 0;
	}
	r = rc == SQLITE_DONE ? MG_ERR_NOT_FOUND : sq_step_error(c);
	sqlite3_finalize(st);
	return r;
}

int sq_run_each(struct sq_conn *c, const char *sql, const struct sq_param *params,
		int (*row)(sqlite3_stmt *st, void *arg), void *arg)
{
	sqlite3_stmt *st;
	int r = sq_run(c, sql, params, &st), rc = SQLITE_DONE;

	if (r == MG_ERR_NOT_FOUND)
		return 0;	/* no rows */
	if (r != 0)
		return r;
	do {
		if ((r = row(st, arg)) != 0)
			break;
	} while ((rc = sqlite3_step(st)) == SQLITE_ROW);
	if (r == 0 && rc != SQLITE_DONE)
		r = sq_step_error(c);
	sqlite3_finalize(st);
	return r;
}

int sq_step_done(struct sq_conn *c, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	rc = rc == SQLITE_DONE ? 0 : sq_step_error(c);
	sqlite3_finalize(st);
	return rc;
}

int sq_run_write(struct sq_conn *c, const char *sql, const struct sq_param *params,
		 bool must_change)
{
	sqlite3_stmt *st;
	int r = sq_run(c, sql, params, &st);

	if (r == 0)		/* a RETURNING row: done with it */
		r = sq_step_done(c, st);
	else if (r == MG_ERR_NOT_FOUND) {
		r = 0;		/* no row is what a write gives */
	}
	if (r == 0 && must_change && sqlite3_changes64(c->db) == 0)
		r = MG_ERR_NOT_FOUND;
	return r;
}

/* One transaction: is the pair known, how many are, then insert or touch. */
int sq_user_address_seen(struct mg_store *s, int64_t id, const char *address,
				int64_t now_ms, bool *new_out, unsigned *known_out)
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
					 int64_t window_ms, double *value_out,
					 int64_t *measured_ms_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	r = sq_run(c,
		   "SELECT v.value, p.measured_ms FROM measurements m"
		   " JOIN measurements p ON p.patient_id = m.patient_id AND p.id <> m.id"
		   "  AND p.measured_ms <= m.measured_ms AND p.measured_ms >= m.measured_ms - ?3"
		   " JOIN measurement_values v ON v.measurement_id = p.id AND v.quantity = ?2"
		   " WHERE m.id = ?1 ORDER BY p.measured_ms DESC, p.id DESC LIMIT 1",
		   SQ_PARAMS(SQ_INT(id), SQ_TEXT(quantity), SQ_INT(window_ms)), &st);
	if (r == 0) {
		*value_out = sqlite3_column_double(st, 0);
		*measured_ms_out = sqlite3_column_int64(st, 1);
		sqlite3_finalize(st);
	}
	sq_release(c);
	return r;
}

/* One upsert that only takes over a lease that has run out or is the
 * holder's own; no row changed means another holder has it. */
int sq_lease_acquire(struct mg_store *s, const char *name, const char *holder,
			    int64_t now_ms, int64_t ttl_ms)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r = sq_run_write(c,
			 "INSERT INTO leases (name, holder, until_ms) VALUES (?1, ?2, ?3 + ?4)"
			 " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
			 " until_ms = excluded.until_ms"
			 " WHERE leases.holder = excluded.holder OR leases.until_ms < ?3",
			 SQ_PARAMS(SQ_TEXT(name), SQ_TEXT(holder), SQ_INT(now_ms), SQ_INT(ttl_ms)),
			 true);
	sq_release(c);
	return r == MG_ERR_NOT_FOUND ? MG_ERR_BUSY : r;
}
