/* "Measure now" orders on PostgreSQL (store.h); see sq_orders.c. The
 * device's row is locked while an order is made, so two clinicians
 * ordering for one device queue, and the second finds the first's. */
#include "store/postgres/pg_internal.h"

#include <string.h>

#include "common/err.h"

#define ORDER_COLUMNS "id, tenant_id, device_id, patient_id, coalesce(created_by, 0)," \
	" created_ms, expires_ms FROM measure_orders"

static const char order_lock_sql[] =
	"SELECT id FROM devices WHERE id = $2 AND tenant_id = $1 FOR UPDATE";
static const char order_check_sql[] =
	"SELECT (SELECT count(*) FROM patients WHERE id = $2 AND tenant_id = $1"
	"  AND merged_into IS NULL AND blind_index <> decode(repeat('00', 32), 'hex')),"
	" (SELECT count(*) FROM measure_orders WHERE device_id = $3 AND state = 'open'"
	"  AND expires_ms > $4)";
static const char order_insert_sql[] =
	"INSERT INTO measure_orders (tenant_id, device_id, patient_id, created_by, created_ms,"
	" expires_ms) VALUES ($1, $2, $3, nullif($4, 0), $5, $6) RETURNING id";
static const char order_cancel_sql[] =
	"UPDATE measure_orders SET state = 'cancelled', ended_ms = $3 WHERE id = $1"
	" AND tenant_id = $2 AND state = 'open' AND expires_ms > $3";
static const char order_list_sql[] =
	"SELECT " ORDER_COLUMNS " WHERE tenant_id = $1 AND state = 'open' AND expires_ms > $2"
	" ORDER BY id DESC LIMIT 500";
static const char order_pending_sql[] =
	"SELECT " ORDER_COLUMNS " WHERE device_id = $1 AND state = 'open' AND expires_ms > $2"
	" ORDER BY id LIMIT 1";
static const char order_take_sql[] =
	"UPDATE measure_orders SET state = 'used', measurement_id = $2, ended_ms = $3"
	" WHERE id = (SELECT id FROM measure_orders WHERE device_id = $1 AND state = 'open'"
	" AND expires_ms > $3 ORDER BY id LIMIT 1 FOR UPDATE) RETURNING patient_id";

static void order_read(const PGresult *res, int i, struct mg_order *o)
{
	o->id = pg_col_int(res, i, 0);
	o->tenant_id = pg_col_int(res, i, 1);
	o->device_id = pg_col_int(res, i, 2);
	o->patient_id = pg_col_int(res, i, 3);
	o->created_by = pg_col_int(res, i, 4);
	o->created_ms = pg_col_int(res, i, 5);
	o->expires_ms = pg_col_int(res, i, 6);
}

static int create_in(struct pg_conn *c, const struct mg_order *o, int64_t *id_out)
{
	PGresult *res;
	int64_t device, patient, open;
	int r;

	if ((r = pg_query(c, order_lock_sql, PG_PARAMS(PG_INT(o->tenant_id), PG_INT(o->device_id)),
			  &res)) != 0)
		return r == MG_ERR_NOT_FOUND ? MG_ERR_INVALID : r;
	device = pg_col_int(res, 0, 0);
	PQclear(res);
	if (device != o->device_id)
		return MG_ERR_INVALID;
	if ((r = pg_query(c, order_check_sql,
			  PG_PARAMS(PG_INT(o->tenant_id), PG_INT(o->patient_id), PG_INT(o->device_id),
				    PG_INT(o->created_ms)), &res)) != 0)
		return r;
	patient = pg_col_int(res, 0, 0);
	open = pg_col_int(res, 0, 1);
	PQclear(res);
	if (patient != 1)
		return MG_ERR_INVALID;
	if (open != 0)
		return MG_ERR_EXISTS;
	if ((r = pg_query(c, order_insert_sql,
			  PG_PARAMS(PG_INT(o->tenant_id), PG_INT(o->device_id), PG_INT(o->patient_id),
				    PG_INT(o->created_by), PG_INT(o->created_ms),
				    PG_INT(o->expires_ms)), &res)) != 0)
		return r;
	*id_out = pg_col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

int pg_order_create(struct mg_store *s, const struct mg_order *o, int64_t *id_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int64_t id = 0;
	int r;

	if ((r = pg_begin(c)) == 0) {
		r = pg_end(c, create_in(c, o, &id));
		if (r == 0)
			*id_out = id;
	}
	pg_release(c);
	return r;
}

int pg_order_cancel(struct mg_store *s, int64_t id, int64_t tenant_id, int64_t now_ms)
{
	return pg_store_write(s, order_cancel_sql,
			      PG_PARAMS(PG_INT(id), PG_INT(tenant_id), PG_INT(now_ms)), true);
}

int pg_order_list(struct mg_store *s, int64_t tenant_id, int64_t now_ms, mg_order_cb cb,
		  void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_order o;
	PGresult *res;
	int r;

	r = pg_query(c, order_list_sql, PG_PARAMS(PG_INT(tenant_id), PG_INT(now_ms)), &res);
	pg_release(c);
	if (r == MG_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		order_read(res, i, &o);
		r = cb(&o, arg);
	}
	PQclear(res);
	return r;
}

int pg_order_pending(struct mg_store *s, int64_t device_id, int64_t now_ms, struct mg_order *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	if ((r = pg_query(c, order_pending_sql, PG_PARAMS(PG_INT(device_id), PG_INT(now_ms)),
			  &res)) == 0) {
		order_read(res, 0, out);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_order_take(struct pg_conn *c, int64_t device_id, int64_t measurement_id, int64_t now_ms,
		  int64_t *patient_out)
{
	PGresult *res;
	int r;

	*patient_out = 0;
	r = pg_query(c, order_take_sql,
		     PG_PARAMS(PG_INT(device_id), PG_INT(measurement_id), PG_INT(now_ms)), &res);
	if (r == MG_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	*patient_out = pg_col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

/* The ward list (store.h, ward_recent). */
static const char ward_recent_sql[] =
	"SELECT patient_id, max(received_ms), count(*) FROM measurements WHERE tenant_id = $1"
	" AND status = 'final' AND received_ms >= $2 GROUP BY patient_id"
	" ORDER BY 2 DESC, 1 LIMIT $3";

int pg_ward_recent(struct mg_store *s, int64_t tenant_id, int64_t since_ms, size_t limit,
		   mg_ward_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	r = pg_query(c, ward_recent_sql,
		     PG_PARAMS(PG_INT(tenant_id), PG_INT(since_ms), PG_INT((int64_t)limit)), &res);
	pg_release(c);
	if (r == MG_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	for (int i = 0; r == 0 && i < PQntuples(res); i++)
		r = cb(pg_col_int(res, i, 0), pg_col_int(res, i, 1), pg_col_int(res, i, 2), arg);
	PQclear(res);
	return r;
}

/* Recently viewed patients (store.h, view_note and views). */
static const char view_upsert_sql[] =
	"INSERT INTO recent_views (user_id, patient_id, viewed_ms) VALUES ($1, $2, $3)"
	" ON CONFLICT (user_id, patient_id) DO UPDATE SET viewed_ms = excluded.viewed_ms";
static const char view_prune_sql[] =
	"DELETE FROM recent_views WHERE user_id = $1 AND patient_id NOT IN (SELECT patient_id"
	" FROM recent_views WHERE user_id = $1 ORDER BY viewed_ms DESC, patient_id DESC LIMIT $2)";
static const char views_sql[] =
	"SELECT patient_id, viewed_ms FROM recent_views WHERE user_id = $1"
	" ORDER BY viewed_ms DESC, patient_id DESC";

int pg_view_note(struct mg_store *s, int64_t user_id, int64_t patient_id, int64_t now_ms)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r;

	if ((r = pg_begin(c)) == 0) {
		r = pg_write(c, view_upsert_sql,
			     PG_PARAMS(PG_INT(user_id), PG_INT(patient_id), PG_INT(now_ms)), false,
			     NULL);
		if (r == 0)
			r = pg_write(c, view_prune_sql,
				     PG_PARAMS(PG_INT(user_id), PG_INT(MG_RECENT_VIEWS_MAX)), false, NULL);
		r = pg_end(c, r);
	}
	pg_release(c);
	return r;
}

int pg_views(struct mg_store *s, int64_t user_id, mg_ward_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	r = pg_query(c, views_sql, PG_PARAMS(PG_INT(user_id)), &res);
	pg_release(c);
	if (r == MG_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	for (int i = 0; r == 0 && i < PQntuples(res); i++)
		r = cb(pg_col_int(res, i, 0), pg_col_int(res, i, 1), 0, arg);
	PQclear(res);
	return r;
}
