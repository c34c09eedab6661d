/* "Measure now" orders on SQLite (store.h): made, cancelled, listed, and
 * taken by the device's next measurement without patient (sq_order_take,
 * inside measurement_put's transaction). */
#include "store/sqlite/sq_internal.h"

#include <string.h>

#include "common/err.h"

#define ORDER_COLUMNS "id, tenant_id, device_id, patient_id, coalesce(created_by, 0)," \
	" created_ms, expires_ms FROM measure_orders"

static const struct sq_sql order_check_sql = {
	"SELECT (SELECT count(*) FROM devices WHERE id = ?2 AND tenant_id = ?1),"
	" (SELECT count(*) FROM patients WHERE id = ?3 AND tenant_id = ?1"
	"  AND merged_into IS NULL AND blind_index <> zeroblob(32)),"
	" (SELECT count(*) FROM measure_orders WHERE device_id = ?2 AND state = 'open'"
	"  AND expires_ms > ?4)"
};
static const struct sq_sql order_insert_sql = {
	"INSERT INTO measure_orders (tenant_id, device_id, patient_id, created_by, created_ms,"
	" expires_ms) VALUES (?1, ?2, ?3, nullif(?4, 0), ?5, ?6)"
};
static const struct sq_sql order_cancel_sql = {
	"UPDATE measure_orders SET state = 'cancelled', ended_ms = ?3 WHERE id = ?1"
	" AND tenant_id = ?2 AND state = 'open' AND expires_ms > ?3"
};
static const struct sq_sql order_list_sql = {
	"SELECT " ORDER_COLUMNS " WHERE tenant_id = ?1 AND state = 'open' AND expires_ms > ?2"
	" ORDER BY id DESC LIMIT 500"
};
static const struct sq_sql order_pending_sql = {
	"SELECT " ORDER_COLUMNS " WHERE device_id = ?1 AND state = 'open' AND expires_ms > ?2"
	" ORDER BY id LIMIT 1"
};
static const struct sq_sql order_take_sql = {
	"UPDATE measure_orders SET state = 'used', measurement_id = ?2, ended_ms = ?3"
	" WHERE id = (SELECT id FROM measure_orders WHERE device_id = ?1 AND state = 'open'"
	" AND expires_ms > ?3 ORDER BY id LIMIT 1) RETURNING patient_id"
};

static void order_read(sqlite3_stmt *st, struct mg_order *o)
{
	o->id = sqlite3_column_int64(st, 0);
	o->tenant_id = sqlite3_column_int64(st, 1);
	o->device_id = sqlite3_column_int64(st, 2);
	o->patient_id = sqlite3_column_int64(st, 3);
	o->created_by = sqlite3_column_int64(st, 4);
	o->created_ms = sqlite3_column_int64(st, 5);
	o->expires_ms = sqlite3_column_int64(st, 6);
}

static int create_in(struct sq_conn *c, const struct mg_order *o, int64_t *id_out)
{
	sqlite3_stmt *st;
	int64_t device, patient, open;
	int r;

	if ((r = sq_query(c, &order_check_sql,
			  SQ_PARAMS(SQ_INT(o->tenant_id), SQ_INT(o->device_id), SQ_INT(o->patient_id),
				    SQ_INT(o->created_ms)), &st)) != 0)
		return r;
	device = sqlite3_column_int64(st, 0);
	patient = sqlite3_column_int64(st, 1);
	open = sqlite3_column_int64(st, 2);
	sq_done(st);
	if (device != 1 || patient != 1)
		return MG_ERR_INVALID;
	if (open != 0)
		return MG_ERR_EXISTS;
	if ((r = sq_write(c, &order_insert_sql,
			  SQ_PARAMS(SQ_INT(o->tenant_id), SQ_INT(o->device_id), SQ_INT(o->patient_id),
				    SQ_INT(o->created_by), SQ_INT(o->created_ms),
				    SQ_INT(o->expires_ms)), false)) != 0)
		return r;
	*id_out = sqlite3_last_insert_rowid(c->db);
	return 0;
}

int sq_order_create(struct mg_store *s, const struct mg_order *o, int64_t *id_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int64_t id = 0;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) == 0) {
		r = sq_end(c, create_in(c, o, &id));
		if (r == 0)
			*id_out = id;
	}
	sq_release(c);
	return r;
}

int sq_order_cancel(struct mg_store *s, int64_t id, int64_t tenant_id, int64_t now_ms)
{
	return sq_store_write(s, &order_cancel_sql,
			      SQ_PARAMS(SQ_INT(id), SQ_INT(tenant_id), SQ_INT(now_ms)), true);
}

int sq_order_list(struct mg_store *s, int64_t tenant_id, int64_t now_ms, mg_order_cb cb,
		  void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct mg_order o;
	sqlite3_stmt *st;
	int r = 0, rc;

	for (rc = sq_query(c, &order_list_sql, SQ_PARAMS(SQ_INT(tenant_id), SQ_INT(now_ms)), &st);
	     rc == 0; rc = sq_next(c, st)) {
		order_read(st, &o);
		if ((r = cb(&o, arg)) != 0)
			break;
	}
	sq_done(st);
	if (r == 0 && rc != MG_ERR_NOT_FOUND)
		r = rc;
	sq_release(c);
	return r;
}

int sq_order_pending(struct mg_store *s, int64_t device_id, int64_t now_ms, struct mg_order *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	if ((r = sq_query(c, &order_pending_sql, SQ_PARAMS(SQ_INT(device_id), SQ_INT(now_ms)),
			  &st)) == 0) {
		order_read(st, out);
		sq_done(st);
	}
	sq_release(c);
	return r;
}

int sq_order_take(struct sq_conn *c, int64_t device_id, int64_t measurement_id, int64_t now_ms,
		  int64_t *patient_out)
{
	sqlite3_stmt *st;
	int r;

	*patient_out = 0;
	r = sq_query(c, &order_take_sql,
		     SQ_PARAMS(SQ_INT(device_id), SQ_INT(measurement_id), SQ_INT(now_ms)), &st);
	if (r == MG_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	*patient_out = sqlite3_column_int64(st, 0);
	return sq_finish(c, st);
}

/* The ward list (store.h, ward_recent). */
static const struct sq_sql ward_recent_sql = {
	"SELECT patient_id, max(received_ms), count(*) FROM measurements WHERE tenant_id = ?1"
	" AND status = 'final' AND received_ms >= ?2 GROUP BY patient_id"
	" ORDER BY 2 DESC, 1 LIMIT ?3"
};

int sq_ward_recent(struct mg_store *s, int64_t tenant_id, int64_t since_ms, size_t limit,
		   mg_ward_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r = 0, rc;

	for (rc = sq_query(c, &ward_recent_sql,
			   SQ_PARAMS(SQ_INT(tenant_id), SQ_INT(since_ms), SQ_INT((int64_t)limit)), &st);
	     rc == 0; rc = sq_next(c, st)) {
		if ((r = cb(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			    sqlite3_column_int64(st, 2), arg)) != 0)
			break;
	}
	sq_done(st);
	if (r == 0 && rc != MG_ERR_NOT_FOUND)
		r = rc;
	sq_release(c);
	return r;
}

/* Recently viewed patients (store.h, view_note and views). */
static const struct sq_sql view_upsert_sql = {
	"INSERT INTO recent_views (user_id, patient_id, viewed_ms) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (user_id, patient_id) DO UPDATE SET viewed_ms = excluded.viewed_ms"
};
static const struct sq_sql view_prune_sql = {
	"DELETE FROM recent_views WHERE user_id = ?1 AND patient_id NOT IN (SELECT patient_id"
	" FROM recent_views WHERE user_id = ?1 ORDER BY viewed_ms DESC, patient_id DESC LIMIT ?2)"
};
static const struct sq_sql views_sql = {
	"SELECT patient_id, viewed_ms FROM recent_views WHERE user_id = ?1"
	" ORDER BY viewed_ms DESC, patient_id DESC"
};

int sq_view_note(struct mg_store *s, int64_t user_id, int64_t patient_id, int64_t now_ms)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) == 0) {
		r = sq_write(c, &view_upsert_sql,
			     SQ_PARAMS(SQ_INT(user_id), SQ_INT(patient_id), SQ_INT(now_ms)), false);
		if (r == 0)
			r = sq_write(c, &view_prune_sql,
				     SQ_PARAMS(SQ_INT(user_id), SQ_INT(MG_RECENT_VIEWS_MAX)), false);
		r = sq_end(c, r);
	}
	sq_release(c);
	return r;
}

int sq_views(struct mg_store *s, int64_t user_id, mg_ward_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r = 0, rc;

	for (rc = sq_query(c, &views_sql, SQ_PARAMS(SQ_INT(user_id)), &st); rc == 0;
	     rc = sq_next(c, st)) {
		if ((r = cb(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), 0, arg)) != 0)
			break;
	}
	sq_done(st);
	if (r == 0 && rc != MG_ERR_NOT_FOUND)
		r = rc;
	sq_release(c);
	return r;
}
