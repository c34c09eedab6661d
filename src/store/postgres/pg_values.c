/* Values stored in clear before migration 0014, sealed once (values.c). */
#include "store/postgres/pg_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define BATCH 256

static const char clear_list_sql[] =
	"SELECT v.measurement_id, v.position, m.tenant_id, m.device_id, m.device_mid, v.quantity,"
	" v.unit, v.value FROM measurement_values v JOIN measurements m ON m.id = v.measurement_id"
	" WHERE v.value_sealed IS NULL AND v.value IS NOT NULL AND v.measurement_id <="
	" (SELECT CAST(value AS BIGINT) FROM settings WHERE name = 'values.clear_until')"
	" ORDER BY v.measurement_id, v.position LIMIT $1";
static const char clear_seal_sql[] =
	"UPDATE measurement_values SET value_sealed = $3, value = NULL"
	" WHERE measurement_id = $1 AND position = $2";
static const char clear_mark_sql[] =
	"DELETE FROM settings WHERE name = 'values.clear_until' AND $1 = 0";

/* One batch: seal and store each value of res. */
static int seal_rows(struct pg_conn *c, const PGresult *res, mg_value_seal_fn fn, void *arg,
		     int64_t *sealed_out)
{
	unsigned char sealed[MG_VALUE_SEALED_BYTES];
	char mid[MG_DEVICE_MID_MAX + 1], quantity[MG_QUANTITY_NAME_MAX + 1], unit[MG_UNIT_MAX + 1];
	int r = 0;

	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		const struct mg_value_site site = {
			.tenant_id = pg_col_int(res, i, 2), .device_id = pg_col_int(res, i, 3),
			.device_mid = mid, .position = pg_col_int(res, i, 1),
			.quantity = quantity, .unit = unit,
		};

		if (pg_col_text(res, i, 4, mid, sizeof(mid)) != 0 ||
		    pg_col_text(res, i, 5, quantity, sizeof(quantity)) != 0 ||
		    pg_col_text(res, i, 6, unit, sizeof(unit)) != 0)
			return MG_ERR_STORE;
		if ((r = fn(arg, &site, pg_col_real(res, i, 7), sealed)) == 0 &&
		    (r = pg_write(c, clear_seal_sql,
				  PG_PARAMS(PG_INT(pg_col_int(res, i, 0)), PG_INT(site.position),
					    PG_BLOB(sealed, sizeof(sealed))), true, NULL)) == 0)
			++*sealed_out;
	}
	return r;
}

int pg_values_seal_clear(struct mg_store *s, mg_value_seal_fn fn, void *arg, int64_t *sealed_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r, n = 0;

	if ((r = pg_begin(c)) != 0)
		goto out;
	do {
		r = pg_query(c, clear_list_sql, PG_PARAMS(PG_INT(BATCH)), &res);
		if (r == MG_ERR_NOT_FOUND) {
			r = 0;
			break;
		}
		if (r != 0)
			break;
		n = PQntuples(res);
		r = seal_rows(c, res, fn, arg, sealed_out);
		PQclear(res);
	} while (r == 0 && n == BATCH);
	if (r == 0)
		r = pg_write(c, clear_mark_sql, PG_PARAMS(PG_INT(0)), false, NULL);
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}
