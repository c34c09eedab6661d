/* Alerts on PostgreSQL: raised by the detection rules of any gateway,
 * grouped by kind and subject. Raising one is find-then-update-or-insert
 * under a transaction-scoped advisory lock on (kind, subject), so two
 * gateways raising the same alert at once make one alert with count 2,
 * never two alerts. */
#include "store/postgres/pg_internal.h"

#include <string.h>

#include "common/err.h"

#define ALERT_COLUMNS \
	"id, kind, severity, subject, summary, tenant_id, first_ms, last_ms, count, state," \
	" acknowledged_by, acknowledged_ms, incident_id, caused_by"

/* "mgalert": the first key of the two-key advisory lock. */
static const char group_lock_sql[] =
	"SELECT pg_advisory_xact_lock(1835495777, hashtext($1 || chr(10) || $2))";
static const char group_find_sql[] =
	"SELECT id, severity FROM alerts WHERE kind = $1 AND subject = $2 AND caused_by = $4"
	" AND state = 0 AND last_ms >= $3 ORDER BY last_ms DESC, id DESC LIMIT 1";
static const char group_update_sql[] =
	"UPDATE alerts SET count = count + 1, last_ms = $2, summary = $3,"
	" severity = greatest(severity, $4)"
	" WHERE id = $1 RETURNING count";
static const char insert_sql[] =
	"INSERT INTO alerts (kind, severity, subject, summary, tenant_id, first_ms, last_ms, count,"
	" caused_by) VALUES ($1, $2, $3, $4, $5, $6, $6, 1, $7) RETURNING id";
static const char get_sql[] = "SELECT " ALERT_COLUMNS " FROM alerts WHERE id = $1";
static const char list_sql[] =
	"SELECT " ALERT_COLUMNS " FROM alerts WHERE ($1 < 0 OR state = $1) AND last_ms >= $2"
	" AND ($3 = 0 OR incident_id = $3) ORDER BY last_ms DESC, id DESC LIMIT $4";
static const char acknowledge_sql[] =
	"UPDATE alerts SET state = 1, acknowledged_by = $2, acknowledged_ms = $3"
	" WHERE id = $1 AND state = 0";
static const char exists_sql[] = "SELECT 1 FROM alerts WHERE id = $1";

int pg_alert_raise(struct mg_store *s, const struct mg_alert *a, int64_t group_since_ms,
		   int64_t *id_out, int64_t *count_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res = NULL;
	int64_t id = 0, count = 0;
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	if ((r = pg_write(c, group_lock_sql, PG_PARAMS(PG_TEXT(a->kind), PG_TEXT(a->subject)),
			  false, NULL)) != 0)
		goto end;
	r = pg_query(c, group_find_sql,
		     PG_PARAMS(PG_TEXT(a->kind), PG_TEXT(a->subject), PG_INT(group_since_ms),
			       PG_INT(a->caused_by)), &res);
	if (r == 0) {
		id = pg_col_int(res, 0, 0);
		PQclear(res);
		if ((r = pg_query(c, group_update_sql,
				  PG_PARAMS(PG_INT(id), PG_INT(a->last_ms), PG_TEXT(a->summary),
					    PG_INT(a->severity)),
				  &res)) == 0) {
			count = pg_col_int(res, 0, 0);
			PQclear(res);
		}
	} else if (r == MG_ERR_NOT_FOUND) {
		if ((r = pg_query(c, insert_sql,
				  PG_PARAMS(PG_TEXT(a->kind), PG_INT(a->severity),
					    PG_TEXT(a->subject), PG_TEXT(a->summary),
					    PG_INT(a->tenant_id), PG_INT(a->last_ms),
					    PG_INT(a->caused_by)),
				  &res)) == 0) {
			id = pg_col_int(res, 0, 0);
			count = 1;
			PQclear(res);
		}
	}
end:
	if ((r = pg_end(c, r)) == 0) {
		*id_out = id;
		*count_out = count;
	}
out:
	pg_release(c);
	return r;
}

static int alert_read(const PGresult *res, int i, struct mg_alert *a)
{
	int64_t severity, state;

	memset(a, 0, sizeof(*a));
	a->id = pg_col_int(res, i, 0);
	severity = pg_col_int(res, i, 2);
	state = pg_col_int(res, i, 9);
	if (pg_col_text(res, i, 1, a->kind, sizeof(a->kind)) != 0 ||
	    pg_col_text(res, i, 3, a->subject, sizeof(a->subject)) != 0 ||
	    pg_col_text(res, i, 4, a->summary, sizeof(a->summary)) != 0 || severity < 0 ||
	    severity > MG_SEVERITY_CRITICAL || state < 0 || state > MG_ALERT_ACKNOWLEDGED)
		return MG_ERR_STORE;
	a->severity = (enum mg_alert_severity)severity;
	a->state = (enum mg_alert_state)state;
	a->tenant_id = pg_col_int(res, i, 5);
	a->first_ms = pg_col_int(res, i, 6);
	a->last_ms = pg_col_int(res, i, 7);
	a->count = pg_col_int(res, i, 8);
	a->acknowledged_by = pg_col_int(res, i, 10);
	a->acknowledged_ms = pg_col_int(res, i, 11);
	a->incident_id = pg_col_int(res, i, 12);
	a->caused_by = pg_col_int(res, i, 13);
	return 0;
}

int pg_alert_get(struct mg_store *s, int64_t id, struct mg_alert *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = pg_query(c, get_sql, PG_PARAMS(PG_INT(id)), &res)) == 0) {
		r = alert_read(res, 0, out);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_alert_list(struct mg_store *s, const struct mg_alert_filter *f, mg_alert_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_alert a;
	PGresult *res;
	int64_t limit;
	int r;

	limit = f->limit == 0 || f->limit > INT64_MAX ? INT64_MAX : (int64_t)f->limit;
	r = pg_run(c, list_sql,
		   PG_PARAMS(PG_INT(f->state), PG_INT(f->since_ms), PG_INT(f->incident_id),
			     PG_INT(limit)),
		   &res);
	if (r == 0) {
		for (int i = 0; r == 0 && i < PQntuples(res); i++)
			if ((r = alert_read(res, i, &a)) == 0)
				r = cb(&a, arg);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_alert_acknowledge(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	r = pg_write(c, acknowledge_sql, PG_PARAMS(PG_INT(id), PG_INT(user_id), PG_INT(now_ms)),
		     true, NULL);
	/* Nothing changed: unknown, or acknowledged before (no change). */
	if (r == MG_ERR_NOT_FOUND && (r = pg_query(c, exists_sql, PG_PARAMS(PG_INT(id)), &res)) == 0)
		PQclear(res);
	pg_release(c);
	return r;
}
