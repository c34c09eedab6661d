/* Measurements on PostgreSQL: the group-commit batch insert and the lists.
 *
 * Two gateways may store the same measurement at once (a device retrying
 * through the other one after a cut): the INSERT ... ON CONFLICT DO
 * NOTHING of the second waits for the first to commit and then returns no
 * row, and the SELECT after it, with a new snapshot, finds the first one's
 * id. Devices' last_seen_ms is written once per device per batch, in
 * device id order, so two batches never take those row locks in opposite
 * orders; a deadlock the server still finds is retried. */
#include "store/postgres/pg_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define BATCH_TRIES 3

static const char measurement_insert_sql[] =
	"INSERT INTO measurements (tenant_id, device_id, device_mid, patient_id, measured_ms,"
	" received_ms) VALUES ($1, $2, $3, $4, $5, $6)"
	" ON CONFLICT (device_id, device_mid) DO NOTHING RETURNING id";
static const char measurement_find_sql[] =
	"SELECT id FROM measurements WHERE device_id = $1 AND device_mid = $2";
static const char patient_insert_sql[] =
	"INSERT INTO patients (tenant_id, blind_index, identifier_sealed, created_ms, wrapped_key)"
	" VALUES ($1, $2, $3, $4, nullif($5, ''::bytea))"
	" ON CONFLICT (tenant_id, blind_index) DO NOTHING RETURNING id";
static const char patient_find_sql[] =
	"SELECT coalesce(merged_into, id) FROM patients WHERE tenant_id = $1 AND blind_index = $2";
static const char value_insert_sql[] =
	"INSERT INTO measurement_values (measurement_id, position, quantity, value_sealed, unit)"
	" VALUES ($1, $2, $3, $4, $5)";
static const char outbox_insert_sql[] =
	"INSERT INTO outbox (destination, measurement_id, patient_id, next_attempt_ms,"
	" created_ms) VALUES ($1, $2, $3, $4, $4)";
static const char device_touch_sql[] =
	"UPDATE devices SET last_seen_ms = greatest(coalesce(last_seen_ms, 0), $2) WHERE id = $1";
static const char measurement_list_sql[] =
	"SELECT m.id, m.tenant_id, m.device_id, d.name, m.device_mid, m.measured_ms,"
	" m.received_ms FROM measurements m JOIN devices d ON d.id = m.device_id"
	" WHERE ($1 = 0 OR m.tenant_id = $1) AND m.id > $2 ORDER BY m.id LIMIT $3";
static const char measurement_count_sql[] =
	"SELECT count(*) FROM measurements WHERE $1 = 0 OR tenant_id = $1";
static const char value_list_sql[] =
	"SELECT quantity, value_sealed, unit, position FROM measurement_values"
	" WHERE measurement_id = $1 ORDER BY position";

/* Run an INSERT ... RETURNING id; if it returned nothing (a conflict),
 * the SELECT find_sql with find_params gives the existing id. *inserted
 * says which. */
static int insert_or_find(struct pg_conn *c, const char *sql, const struct pg_param *params,
			  const char *find_sql, const struct pg_param *find_params,
			  int64_t *id, bool *inserted)
{
	PGresult *res;
	int r;

	*id = 0;
	*inserted = false;
	if ((r = pg_run(c, sql, params, &res)) != 0)
		return r;
	if (PQntuples(res) == 1) {
		*id = pg_col_int(res, 0, 0);
		*inserted = true;
		PQclear(res);
		return 0;
	}
	PQclear(res);
	if ((r = pg_query(c, find_sql, find_params, &res)) != 0)
		return r == MG_ERR_NOT_FOUND ? MG_ERR_STORE : r;
	*id = pg_col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

/* Store one measurement inside the batch's transaction. A measurement
 * stored before is a duplicate (0, p->duplicate). One that another
 * gateway stored while this was running is MG_ERR_EXISTS with p->id set:
 * the caller rolls the item's savepoint back (and with it the patient row
 * this may have made) and answers it as a duplicate. */
static int put_one(struct pg_conn *c, struct mg_measurement_put *p)
{
	const struct mg_measurement *m = p->m;
	const struct pg_param *find = PG_PARAMS(PG_INT(m->device_id), PG_TEXT(m->device_mid));
	PGresult *res;
	int64_t pid = 0;
	bool inserted;
	int r;

	if ((r = pg_query(c, measurement_find_sql, find, &res)) == 0) {
		p->id = pg_col_int(res, 0, 0);
		p->duplicate = true;
		PQclear(res);
		return 0;
	}
	if (r != MG_ERR_NOT_FOUND)
		return r;
	r = insert_or_find(c, patient_insert_sql,
			   PG_PARAMS(PG_INT(m->tenant_id),
				     PG_BLOB(p->blind_index, MG_BLIND_INDEX_BYTES),
				     PG_BLOB(p->sealed_patient, p->sealed_len), PG_INT(p->received_ms),
				     PG_BLOB(p->patient_key, p->patient_key_len)),
			   patient_find_sql,
			   PG_PARAMS(PG_INT(m->tenant_id),
				     PG_BLOB(p->blind_index, MG_BLIND_INDEX_BYTES)),
			   &pid, &inserted);
	if (r != 0)
		return r;
	r = insert_or_find(c, measurement_insert_sql,
			   PG_PARAMS(PG_INT(m->tenant_id), PG_INT(m->device_id),
				     PG_TEXT(m->device_mid), PG_INT(pid), PG_INT(m->time_ms),
				     PG_INT(p->received_ms)),
			   measurement_find_sql, find, &p->id, &inserted);
	if (r != 0)
		return r;
	if (!inserted)
		return MG_ERR_EXISTS;
	for (size_t i = 0; r == 0 && i < m->nvalues; i++)
		r = pg_write(c, value_insert_sql,
			     PG_PARAMS(PG_INT(p->id), PG_INT(i), PG_TEXT(m->values[i].quantity->name),
				       PG_BLOB(p->sealed_values[i], MG_VALUE_SEALED_BYTES),
				       PG_TEXT(m->values[i].quantity->ucum)),
			     false, NULL);
	/* The outbox rows commit with the measurement, or neither does; one
	 * without patient waits for a clinician instead (docs/ward.md). */
	p->ordered_patient = 0;
	if (r == 0 && p->unassigned) {
		/* A "measure now" order of the device takes it (docs/ward.md). */
		if ((r = pg_order_take(c, m->device_id, p->id, p->received_ms,
				       &p->ordered_patient)) != 0)
			return r;
		if (p->ordered_patient == 0)
			r = pg_write(c, "UPDATE measurements SET status = 'unassigned' WHERE id = $1",
				     PG_PARAMS(PG_INT(p->id)), true, NULL);
		else
			r = pg_write(c, "UPDATE measurements SET patient_id = $2 WHERE id = $1",
				     PG_PARAMS(PG_INT(p->id), PG_INT(p->ordered_patient)), true, NULL);
		pid = p->ordered_patient;
	}
	for (size_t i = 0; r == 0 && (!p->unassigned || pid != 0) && i < p->ndestinations; i++)
		r = pg_write(c, outbox_insert_sql,
			     PG_PARAMS(PG_TEXT(p->destinations[i]), PG_INT(p->id), PG_INT(pid),
				       PG_INT(p->received_ms)),
			     false, NULL);
	return r;
}

static int compare_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* last_seen_ms of every device with a new measurement in the batch. */
static int touch_devices(struct pg_conn *c, struct mg_measurement_put *const *items, size_t n)
{
	int64_t *ids = malloc(n * sizeof(*ids));
	size_t k = 0;
	int r = 0;

	if (n > 0 && ids == NULL)
		return MG_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		if (items[i]->result == 0 && !items[i]->duplicate)
			ids[k++] = items[i]->m->device_id;
	qsort(ids, k, sizeof(*ids), compare_id);
	for (size_t i = 0; r == 0 && i < k; i++) {
		int64_t seen = 0;

		if (i > 0 && ids[i] == ids[i - 1])
			continue;
		for (size_t j = 0; j < n; j++)
			if (items[j]->result == 0 && !items[j]->duplicate &&
			    items[j]->m->device_id == ids[i] && items[j]->received_ms > seen)
				seen = items[j]->received_ms;
		r = pg_write(c, device_touch_sql, PG_PARAMS(PG_INT(ids[i]), PG_INT(seen)), false,
			     NULL);
	}
	free(ids);
	return r;
}

static void items_reset(struct mg_measurement_put *const *items, size_t n, int r)
{
	for (size_t i = 0; i < n; i++) {
		items[i]->result = r;
		items[i]->id = 0;
		items[i]->duplicate = false;
	}
}

static int batch_once(struct pg_conn *c, struct mg_measurement_put *const *items, size_t n)
{
	int r;

	items_reset(items, n, MG_ERR_STORE);
	if ((r = pg_begin(c)) != 0)
		return r;
	/* A savepoint per item: one bad measurement must not sink the batch. */
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct mg_measurement_put *p = items[i];

		if ((r = pg_exec(c, "SAVEPOINT item")) != 0)
			break;
		p->result = put_one(c, p);
		if (p->result == MG_ERR_EXISTS && p->id != 0) {
			int64_t id = p->id;	/* stored meanwhile by another gateway */

			if ((r = pg_exec(c, "ROLLBACK TO SAVEPOINT item")) != 0)
				break;
			p->result = 0;
			p->id = id;
			p->duplicate = true;
		}
		if (p->result == MG_ERR_BUSY) {
			r = MG_ERR_BUSY;	/* a deadlock aborts the whole transaction */
			break;
		}
		if (p->result != 0) {
			p->id = 0;
			p->duplicate = false;
			if ((r = pg_exec(c, "ROLLBACK TO SAVEPOINT item")) != 0)
				break;
		}
		r = pg_exec(c, "RELEASE SAVEPOINT item");
	}
	if (r == 0)
		r = touch_devices(c, items, n);
	if ((r = pg_end(c, r)) != 0)
		items_reset(items, n, r);
	return r;
}

int pg_measurement_put_batch(struct mg_store *s, struct mg_measurement_put *const *items, size_t n)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r = MG_ERR_BUSY;

	for (int tries = 0; r == MG_ERR_BUSY && tries < BATCH_TRIES; tries++)
		r = batch_once(c, items, n);
	pg_release(c);
	return r;
}

int pg_row_values(struct pg_conn *c, struct mg_measurement_row *row)
{
	PGresult *res;
	int r;

	row->nvalues = 0;
	if ((r = pg_run(c, value_list_sql, PG_PARAMS(PG_INT(row->id)), &res)) != 0)
		return r;
	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		size_t k = row->nvalues;

		if (k == MG_VALUES_MAX ||
		    pg_col_text(res, i, 0, row->values[k].quantity, sizeof(row->values[k].quantity)) ||
		    pg_col_text(res, i, 2, row->values[k].unit, sizeof(row->values[k].unit))) {
			r = MG_ERR_STORE;
			break;
		}
		pg_row_value_read(res, i, 1, 3, row, k);
		row->nvalues++;
	}
	PQclear(res);
	return r;
}

void pg_row_value_read(const PGresult *res, int i, int sealed_col, int position_col,
		       struct mg_measurement_row *row, size_t k)
{
	size_t n = 0;

	/* A value of another length cannot open: keep its length. */
	if (pg_col_blob(res, i, sealed_col, row->values[k].sealed, sizeof(row->values[k].sealed),
			&n) != 0)
		n = sizeof(row->values[k].sealed) + 1;
	row->values[k].sealed_len = n;
	row->values[k].position = pg_col_int(res, i, position_col);
	row->values[k].value = 0;
}

int pg_row_read(struct pg_conn *c, const PGresult *res, int i, struct mg_measurement_row *row)
{
	memset(row, 0, sizeof(*row));
	row->id = pg_col_int(res, i, 0);
	row->tenant_id = pg_col_int(res, i, 1);
	row->device_id = pg_col_int(res, i, 2);
	row->measured_ms = pg_col_int(res, i, 5);
	row->received_ms = pg_col_int(res, i, 6);
	if (pg_col_text(res, i, 3, row->device_name, sizeof(row->device_name)) != 0 ||
	    pg_col_text(res, i, 4, row->device_mid, sizeof(row->device_mid)) != 0)
		return MG_ERR_STORE;
	return pg_row_values(c, row);
}

int pg_rows_walk(struct pg_conn *c, const char *sql, const struct pg_param *params,
		 mg_measurement_cb cb, void *arg)
{
	struct mg_measurement_row row;
	PGresult *res = NULL;
	int r;

	/* One snapshot, so the value rows match their measurements. */
	if ((r = pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")) != 0)
		return r;
	if ((r = pg_run(c, sql, params, &res)) == 0) {
		for (int i = 0; r == 0 && i < PQntuples(res); i++)
			if ((r = pg_row_read(c, res, i, &row)) == 0)
				r = cb(&row, arg);
		PQclear(res);
	}
	pg_exec(c, "ROLLBACK");
	return r;
}

int pg_measurement_list(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit,
			mg_measurement_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int64_t max = limit > INT64_MAX ? INT64_MAX : (int64_t)limit;
	int r = pg_rows_walk(c, measurement_list_sql,
			     PG_PARAMS(PG_INT(tenant_id), PG_INT(after_id), PG_INT(max)), cb, arg);

	pg_release(c);
	return r;
}

int pg_measurement_count(struct mg_store *s, int64_t tenant_id, int64_t *count_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	*count_out = 0;
	if ((r = pg_query(c, measurement_count_sql, PG_PARAMS(PG_INT(tenant_id)), &res)) == 0) {
		*count_out = pg_col_int(res, 0, 0);
		PQclear(res);
	}
	pg_release(c);
	return r;
}
