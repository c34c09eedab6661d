/* The outbox on PostgreSQL: rows are inserted with their measurement (see
 * pg_measurements.c); here forwarders claim, settle and count them.
 *
 * Claims lock the rows they take with FOR UPDATE SKIP LOCKED, so
 * forwarders of several gateways never wait on each other and never take
 * one row twice; the lease (claimed_until_ms) written in the same
 * transaction keeps it theirs after COMMIT. Only the oldest pending row of
 * a patient is claimable: a later row sees the earlier one pending (leased
 * or locked by another claim) and waits its turn, which keeps each
 * patient's messages in order across gateways too. A gateway that dies
 * holding a lease loses it when it runs out. */
#include "store/postgres/pg_internal.h"

#include <string.h>

#include "common/err.h"

static const char claim_sql[] =
	"SELECT o.id, o.attempts, m.id, m.tenant_id, m.device_id, d.name, m.device_mid,"
	" m.measured_ms, m.received_ms, p.identifier_sealed, d.cert_fingerprint, t.name,"
	" p.wrapped_key, o.kind = 'void', o.revision"
	" FROM outbox o JOIN measurements m ON m.id = o.measurement_id"
	" JOIN patients p ON p.id = o.patient_id JOIN devices d ON d.id = m.device_id"
	" JOIN tenants t ON t.id = m.tenant_id"
	" WHERE o.destination = $1 AND o.state = 'pending' AND o.next_attempt_ms <= $2"
	" AND o.claimed_until_ms <= $2 AND NOT EXISTS (SELECT 1 FROM outbox e"
	"  WHERE e.destination = o.destination AND e.patient_id = o.patient_id"
	"  AND e.state = 'pending' AND e.id < o.id)"
	" ORDER BY o.id LIMIT $3 FOR UPDATE OF o SKIP LOCKED";
static const char lease_sql[] = "UPDATE outbox SET claimed_until_ms = $2 WHERE id = $1";
static const char delivered_sql[] =
	"UPDATE outbox SET state = 'delivered', delivered_ms = $2, attempts = attempts + 1,"
	" claimed_until_ms = 0, last_error = '' WHERE id = $1 AND state = 'pending'";
static const char retry_sql[] =
	"UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = $2, claimed_until_ms = 0,"
	" last_error = left($3, 256) WHERE id = $1 AND state = 'pending'";
static const char dead_sql[] =
	"UPDATE outbox SET state = 'dead', attempts = attempts + 1, claimed_until_ms = 0,"
	" delivered_ms = $2, last_error = left($3, 256) WHERE id = $1 AND state = 'pending'";
static const char resend_sql[] =
	"UPDATE outbox SET state = 'pending', next_attempt_ms = $3, claimed_until_ms = 0,"
	" delivered_ms = NULL WHERE destination = $1 AND state = 'dead' AND ($2 = 0 OR id = $2)";
static const char stats_sql[] =
	"SELECT count(*) FILTER (WHERE state = 'pending'),"
	" count(*) FILTER (WHERE state = 'delivered'), count(*) FILTER (WHERE state = 'dead'),"
	" coalesce(min(created_ms) FILTER (WHERE state = 'pending'), 0),"
	" coalesce((SELECT delivered_ms FROM outbox WHERE destination = $1"
	"  AND state = 'delivered' ORDER BY id DESC LIMIT 1), 0),"
	" coalesce((SELECT last_error FROM outbox WHERE destination = $1"
	"  AND state IN ('pending', 'dead') AND last_error <> '' ORDER BY id DESC LIMIT 1), '')"
	" FROM outbox WHERE destination = $1";

static int item_read(struct pg_conn *c, const PGresult *res, int i, struct mg_outbox_item *it)
{
	memset(it, 0, sizeof(*it));
	it->id = pg_col_int(res, i, 0);
	it->attempts = pg_col_int(res, i, 1);
	it->row.id = pg_col_int(res, i, 2);
	it->row.tenant_id = pg_col_int(res, i, 3);
	it->row.device_id = pg_col_int(res, i, 4);
	it->row.measured_ms = pg_col_int(res, i, 7);
	it->row.received_ms = pg_col_int(res, i, 8);
	it->is_void = PQgetvalue(res, i, 13)[0] == 't';
	it->revision = pg_col_int(res, i, 14);
	if (pg_col_blob(res, i, 9, it->sealed_patient, sizeof(it->sealed_patient),
			&it->sealed_len) != 0 ||
	    pg_col_blob(res, i, 12, it->patient_key, sizeof(it->patient_key),
			&it->patient_key_len) != 0 ||
	    pg_col_text(res, i, 5, it->row.device_name, sizeof(it->row.device_name)) != 0 ||
	    pg_col_text(res, i, 6, it->row.device_mid, sizeof(it->row.device_mid)) != 0 ||
	    pg_col_text(res, i, 10, it->device_fingerprint, sizeof(it->device_fingerprint)) != 0 ||
	    pg_col_text(res, i, 11, it->tenant_name, sizeof(it->tenant_name)) != 0)
		return MG_ERR_STORE;
	return pg_row_values(c, &it->row);
}

int pg_outbox_claim(struct mg_store *s, const char *destination, int64_t now_ms, int64_t lease_ms,
		    struct mg_outbox_item *items, size_t max, size_t *n)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res = NULL;
	int r;

	*n = 0;
	if ((r = pg_begin(c)) != 0)
		goto out;
	r = pg_run(c, claim_sql, PG_PARAMS(PG_TEXT(destination), PG_INT(now_ms), PG_INT(max)),
		   &res);
	for (int i = 0; r == 0 && res != NULL && i < PQntuples(res) && *n < max; i++)
		if ((r = item_read(c, res, i, &items[*n])) == 0)
			(*n)++;
	PQclear(res);
	for (size_t i = 0; r == 0 && i < *n; i++)
		r = pg_write(c, lease_sql, PG_PARAMS(PG_INT(items[i].id), PG_INT(now_ms + lease_ms)),
			     true, NULL);
	if ((r = pg_end(c, r)) != 0)
		*n = 0;
out:
	pg_release(c);
	return r;
}

int pg_outbox_delivered(struct mg_store *s, int64_t id, int64_t now_ms)
{
	return pg_store_write(s, delivered_sql, PG_PARAMS(PG_INT(id), PG_INT(now_ms)), true);
}

int pg_outbox_retry(struct mg_store *s, int64_t id, int64_t next_ms, const char *error)
{
	return pg_store_write(s, retry_sql, PG_PARAMS(PG_INT(id), PG_INT(next_ms), PG_TEXT(error)),
			      true);
}

int pg_outbox_dead(struct mg_store *s, int64_t id, int64_t now_ms, const char *error)
{
	return pg_store_write(s, dead_sql, PG_PARAMS(PG_INT(id), PG_INT(now_ms), PG_TEXT(error)),
			      true);
}

int pg_outbox_resend(struct mg_store *s, const char *destination, int64_t id, int64_t now_ms,
		     int64_t *count_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r = pg_write(c, resend_sql, PG_PARAMS(PG_TEXT(destination), PG_INT(id), PG_INT(now_ms)),
			 false, count_out);

	pg_release(c);
	return r;
}

int pg_outbox_stats(struct mg_store *s, const char *destination, struct mg_outbox_stats *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = pg_query(c, stats_sql, PG_PARAMS(PG_TEXT(destination)), &res)) == 0) {
		out->pending = pg_col_int(res, 0, 0);
		out->delivered = pg_col_int(res, 0, 1);
		out->dead = pg_col_int(res, 0, 2);
		out->oldest_pending_ms = pg_col_int(res, 0, 3);
		out->last_delivered_ms = pg_col_int(res, 0, 4);
		r = pg_col_text(res, 0, 5, out->last_error, sizeof(out->last_error));
		PQclear(res);
	}
	pg_release(c);
	return r;
}
