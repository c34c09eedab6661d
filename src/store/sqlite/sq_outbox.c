/* The outbox on SQLite: rows are inserted with their measurement (see
 * sq_measurements.c); here forwarders claim, settle and count them. */
#include "store/sqlite/sq_internal.h"

#include <string.h>

#include "common/err.h"

/* Prepare sql on c and bind params. 0 with *st_out, or MG_ERR_*. */
static int prepare(struct sq_conn *c, const char *sql, const struct sq_param *params,
		   sqlite3_stmt **st_out)
{
	int r;

	*st_out = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, st_out, NULL) != SQLITE_OK)
		return MG_ERR_STORE;
	if ((r = sq_bind(*st_out, params)) != 0) {
		sqlite3_finalize(*st_out);
		*st_out = NULL;
	}
	return r;
}

/* Run sql (no rows) with params; NOT_FOUND if must_change and nothing
 * changed. */
static int run(struct sq_conn *c, const char *sql, const struct sq_param *params,
	       bool must_change)
{
	sqlite3_stmt *st;
	int r;

	if ((r = prepare(c, sql, params, &st)) != 0)
		return r;
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_step_error(c);
	sqlite3_finalize(st);
	if (r == 0 && must_change && sqlite3_changes(c->db) == 0)
		r = MG_ERR_NOT_FOUND;
	return r;
}

static const struct sq_sql outbox_insert_sql = {
	"INSERT INTO outbox (destination, measurement_id, patient_id, next_attempt_ms,"
	" created_ms) VALUES (?1, ?2, ?3, ?4, ?4)"
};

int sq_outbox_insert(struct sq_conn *c, const struct mg_measurement_put *p, int64_t patient_id)
{
	int r = 0;

	/* On the ingest path: a cached statement, not a prepare per row. */
	for (size_t i = 0; r == 0 && i < p->ndestinations; i++)
		r = sq_write(c, &outbox_insert_sql,
			     SQ_PARAMS(SQ_TEXT(p->destinations[i]), SQ_INT(p->id),
				       SQ_INT(patient_id), SQ_INT(p->received_ms)),
			     false);
	return r;
}

static int item_read(struct sq_conn *c, sqlite3_stmt *st, struct mg_outbox_item *it)
{
	int r;

	memset(it, 0, sizeof(*it));
	it->id = sqlite3_column_int64(st, 0);
	it->attempts = sqlite3_column_int64(st, 1);
	it->row.id = sqlite3_column_int64(st, 2);
	it->row.tenant_id = sqlite3_column_int64(st, 3);
	it->row.device_id = sqlite3_column_int64(st, 4);
	it->row.measured_ms = sqlite3_column_int64(st, 7);
	it->row.received_ms = sqlite3_column_int64(st, 8);
	it->is_void = strcmp((const char *)sqlite3_column_text(st, 13), "void") == 0;
	it->revision = sqlite3_column_int64(st, 14);
	it->sealed_len = (size_t)sqlite3_column_bytes(st, 9);
	if (it->sealed_len > sizeof(it->sealed_patient))
		return MG_ERR_STORE;
	memcpy(it->sealed_patient, sqlite3_column_blob(st, 9), it->sealed_len);
	it->patient_key_len = (size_t)sqlite3_column_bytes(st, 12);
	if (it->patient_key_len > sizeof(it->patient_key))
		return MG_ERR_STORE;
	if (it->patient_key_len > 0)
		memcpy(it->patient_key, sqlite3_column_blob(st, 12), it->patient_key_len);
	if ((r = sq_copy_text(st, 5, it->row.device_name, sizeof(it->row.device_name))) != 0 ||
	    (r = sq_copy_text(st, 6, it->row.device_mid, sizeof(it->row.device_mid))) != 0 ||
	    (r = sq_copy_text(st, 10, it->device_fingerprint, sizeof(it->device_fingerprint))) != 0 ||
	    (r = sq_copy_text(st, 11, it->tenant_name, sizeof(it->tenant_name))) != 0)
		return r;
	return sq_row_values(c, &it->row);
}

int sq_outbox_claim(struct mg_store *s, const char *destination, int64_t now_ms, int64_t lease_ms,
		    struct mg_outbox_item *items, size_t max, size_t *n)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = NULL;
	int r, rc;

	*n = 0;
	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	/* Only the oldest pending row of each patient can go: a patient's
	 * later measurements wait for the earlier ones. */
	r = prepare(c,
		    "SELECT o.id, o.attempts, m.id, m.tenant_id, m.device_id, d.name, m.device_mid,"
		    " m.measured_ms, m.received_ms, p.identifier_sealed, d.cert_fingerprint, t.name,"
		    " p.wrapped_key, o.kind, o.revision"
		    " FROM outbox o JOIN measurements m ON m.id = o.measurement_id"
		    " JOIN patients p ON p.id = o.patient_id JOIN devices d ON d.id = m.device_id"
		    " JOIN tenants t ON t.id = m.tenant_id"
		    " WHERE o.destination = ?1 AND o.state = 'pending' AND o.next_attempt_ms <= ?2"
		    " AND o.claimed_until_ms <= ?2 AND NOT EXISTS (SELECT 1 FROM outbox e"
		    "  WHERE e.destination = o.destination AND e.patient_id = o.patient_id"
		    "  AND e.state = 'pending' AND e.id < o.id)"
		    " ORDER BY o.id LIMIT ?3",
		    SQ_PARAMS(SQ_TEXT(destination), SQ_INT(now_ms), SQ_INT(max)), &st);
	while (r == 0 && *n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((r = item_read(c, st, &items[*n])) == 0)
			(*n)++;
	if (r == 0 && st != NULL && rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = sq_step_error(c);
	sqlite3_finalize(st);
	for (size_t i = 0; r == 0 && i < *n; i++)
		r = run(c, "UPDATE outbox SET claimed_until_ms = ?2 WHERE id = ?1",
			SQ_PARAMS(SQ_INT(items[i].id), SQ_INT(now_ms + lease_ms)), true);
	r = sq_end(c, r);
	if (r != 0)
		*n = 0;
out:
	sq_release(c);
	return r;
}

static int settle(struct mg_store *s, const char *sql, const struct sq_param *params)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r = run(c, sql, params, true);

	sq_release(c);
	return r;
}

int sq_outbox_delivered(struct mg_store *s, int64_t id, int64_t now_ms)
{
	return settle(s, "UPDATE outbox SET state = 'delivered', delivered_ms = ?2,"
			 " attempts = attempts + 1, claimed_until_ms = 0, last_error = ''"
			 " WHERE id = ?1 AND state = 'pending'",
		      SQ_PARAMS(SQ_INT(id), SQ_INT(now_ms)));
}

int sq_outbox_retry(struct mg_store *s, int64_t id, int64_t next_ms, const char *error)
{
	return settle(s, "UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = ?2,"
			 " claimed_until_ms = 0, last_error = substr(?3, 1, 256)"
			 " WHERE id = ?1 AND state = 'pending'",
		      SQ_PARAMS(SQ_INT(id), SQ_INT(next_ms), SQ_TEXT(error)));
}

int sq_outbox_dead(struct mg_store *s, int64_t id, int64_t now_ms, const char *error)
{
	return settle(s, "UPDATE outbox SET state = 'dead', attempts = attempts + 1,"
			 " claimed_until_ms = 0, delivered_ms = ?2, last_error = substr(?3, 1, 256)"
			 " WHERE id = ?1 AND state = 'pending'",
		      SQ_PARAMS(SQ_INT(id), SQ_INT(now_ms), SQ_TEXT(error)));
}

int sq_outbox_resend(struct mg_store *s, const char *destination, int64_t id, int64_t now_ms,
		     int64_t *count_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r;

	r = run(c, "UPDATE outbox SET state = 'pending', next_attempt_ms = ?3,"
		   " claimed_until_ms = 0, delivered_ms = NULL"
		   " WHERE destination = ?1 AND state = 'dead' AND (?2 = 0 OR id = ?2)",
		SQ_PARAMS(SQ_TEXT(destination), SQ_INT(id), SQ_INT(now_ms)), false);
	*count_out = r == 0 ? sqlite3_changes(c->db) : 0;
	sq_release(c);
	return r;
}

int sq_outbox_stats(struct mg_store *s, const char *destination, struct mg_outbox_stats *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	memset(out, 0, sizeof(*out));
	r = prepare(c,
		    "SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'delivered'), 0),"
		    " coalesce(sum(state = 'dead'), 0),"
		    " coalesce(min(CASE WHEN state = 'pending' THEN created_ms END), 0),"
		    " coalesce((SELECT delivered_ms FROM outbox WHERE destination = ?1"
		    "  AND state = 'delivered' ORDER BY id DESC LIMIT 1), 0),"
		    " coalesce((SELECT last_error FROM outbox WHERE destination = ?1"
		    "  AND state IN ('pending', 'dead') AND last_error != '' ORDER BY id DESC"
		    "  LIMIT 1), '')"
		    " FROM outbox WHERE destination = ?1",
		    SQ_PARAMS(SQ_TEXT(destination)), &st);
	if (r == 0) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			out->pending = sqlite3_column_int64(st, 0);
			out->delivered = sqlite3_column_int64(st, 1);
			out->dead = sqlite3_column_int64(st, 2);
			out->oldest_pending_ms = sqlite3_column_int64(st, 3);
			out->last_delivered_ms = sqlite3_column_int64(st, 4);
			r = sq_copy_text(st, 5, out->last_error, sizeof(out->last_error));
		} else {
			r = sq_step_error(c);
		}
		sqlite3_finalize(st);
	}
	sq_release(c);
	return r;
}
