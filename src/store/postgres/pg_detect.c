/* Detection state on PostgreSQL: the addresses each account signed in
 * from and a patient's previous value of a quantity (leases:
 * pg_leases.c). */
#include "store/postgres/pg_internal.h"

#include "common/err.h"

/* Counted under the account's row lock, so two sign-ins from new
 * addresses at once each see the other one's row or wait for it. */
static const char user_lock_sql[] = "SELECT 1 FROM users WHERE id = $1 FOR UPDATE";
static const char address_known_sql[] =
	"SELECT count(*) FILTER (WHERE address <> $2), count(*) FILTER (WHERE address = $2)"
	" FROM user_addresses WHERE user_id = $1";
static const char address_upsert_sql[] =
	"INSERT INTO user_addresses AS u (user_id, address, first_ms, last_ms)"
	" VALUES ($1, $2, $3, $3) ON CONFLICT (user_id, address) DO UPDATE SET"
	" last_ms = greatest(u.last_ms, excluded.last_ms)";
static const char previous_sql[] =
	"SELECT p.id, p.tenant_id, p.device_id, p.device_mid, p.measured_ms, v.quantity, v.unit,"
	" v.value_sealed, v.position FROM measurements m"
	" JOIN measurements p ON p.patient_id = m.patient_id AND p.id <> m.id"
	" JOIN measurement_values v ON v.measurement_id = p.id AND v.quantity = $2"
	" WHERE m.id = $1 AND p.measured_ms <= m.measured_ms"
	" AND p.measured_ms >= m.measured_ms - $3 AND p.status = 'final'"
	" ORDER BY p.measured_ms DESC, p.id DESC, v.position LIMIT 1";

int pg_user_address_seen(struct mg_store *s, int64_t id, const char *address, int64_t now_ms,
			 bool *new_out, unsigned *known_out)
{
	struct pg_conn *c;
	PGresult *res;
	bool fresh = false;
	unsigned known = 0;
	int r;

	c = PG_ACQUIRE(s);
	if ((r = pg_begin(c)) != 0)
		goto out;
	if ((r = pg_write(c, user_lock_sql, PG_PARAMS(PG_INT(id)), true, NULL)) == 0 &&
	    (r = pg_query(c, address_known_sql, PG_PARAMS(PG_INT(id), PG_TEXT(address)),
			  &res)) == 0) {
		known = pg_col_unsigned(res, 0, 0);
		fresh = pg_col_int(res, 0, 1) == 0;
		PQclear(res);
		r = pg_write(c, address_upsert_sql,
			     PG_PARAMS(PG_INT(id), PG_TEXT(address), PG_INT(now_ms)), false, NULL);
	}
	if ((r = pg_end(c, r)) == 0) {
		*new_out = fresh;
		*known_out = known;
	}
out:
	pg_release(c);
	return r;
}

int pg_measurement_previous_value(struct mg_store *s, int64_t id, const char *quantity,
				  int64_t window_ms, struct mg_measurement_row *row)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	r = pg_query(c, previous_sql, PG_PARAMS(PG_INT(id), PG_TEXT(quantity), PG_INT(window_ms)),
		     &res);
	if (r == 0) {
		row->id = pg_col_int(res, 0, 0);
		row->tenant_id = pg_col_int(res, 0, 1);
		row->device_id = pg_col_int(res, 0, 2);
		row->measured_ms = pg_col_int(res, 0, 4);
		row->nvalues = 1;
		if (pg_col_text(res, 0, 3, row->device_mid, sizeof(row->device_mid)) != 0 ||
		    pg_col_text(res, 0, 5, row->values[0].quantity,
				sizeof(row->values[0].quantity)) != 0 ||
		    pg_col_text(res, 0, 6, row->values[0].unit, sizeof(row->values[0].unit)) != 0)
			r = MG_ERR_STORE;
		pg_row_value_read(res, 0, 7, 8, row, 0);
		PQclear(res);
	}
	pg_release(c);
	return r;
}
