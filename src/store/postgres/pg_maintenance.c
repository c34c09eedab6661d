/* Remote maintenance on PostgreSQL: requests, grants, refusals and ends.
 * A decision is one conditional UPDATE (only from the state it may
 * leave), so two administrators on two gateways cannot both win. */
#include "store/postgres/pg_internal.h"

#include <string.h>

#include "common/err.h"

#define MAINT_COLUMNS \
	"id, user_id, scope, reason, minutes, state, requested_ms, decided_by, decided_ms, ends_ms," \
	" device_id, consent_ms"

static const char insert_sql[] =
	"INSERT INTO maintenance (user_id, scope, reason, minutes, state, requested_ms,"
	" decided_by, decided_ms, ends_ms, device_id)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
static const char get_sql[] = "SELECT " MAINT_COLUMNS " FROM maintenance WHERE id = $1";
static const char list_sql[] =
	"SELECT " MAINT_COLUMNS " FROM maintenance WHERE $1 = 0 OR user_id = $1"
	" ORDER BY id DESC LIMIT $2";
static const char end_sql[] =
	"UPDATE maintenance SET state = 3, ends_ms = $2 WHERE id = $1 AND state = 1"
	" AND ends_ms > $2";
static const char decide_sql[] =
	"UPDATE maintenance SET state = $2, decided_by = $3, decided_ms = $4, ends_ms = $5"
	" WHERE id = $1 AND state = 0";
static const char device_back_sql[] =
	"UPDATE devices SET maintenance_until_ms = 0 WHERE id ="
	" (SELECT device_id FROM maintenance WHERE id = $1 AND consent_ms > 0)";
static const char device_active_sql[] =
	"SELECT " MAINT_COLUMNS " FROM maintenance WHERE device_id = $1 AND state = 1"
	" AND ends_ms > $2 ORDER BY id DESC LIMIT 1 FOR UPDATE";
static const char consent_sql[] = "UPDATE maintenance SET consent_ms = $2 WHERE id = $1";
static const char device_out_sql[] = "UPDATE devices SET maintenance_until_ms = $2 WHERE id = $1";
static const char exists_sql[] = "SELECT 1 FROM maintenance WHERE id = $1";
static const char active_sql[] =
	"SELECT " MAINT_COLUMNS " FROM maintenance WHERE user_id = $1 AND state = 1"
	" AND ends_ms > $2 ORDER BY id DESC LIMIT 1";

static int maint_read(const PGresult *res, int i, struct mg_maintenance *m)
{
	int64_t state = pg_col_int(res, i, 5);

	memset(m, 0, sizeof(*m));
	m->id = pg_col_int(res, i, 0);
	m->user_id = pg_col_int(res, i, 1);
	m->scope = pg_col_unsigned(res, i, 2);
	if (pg_col_text(res, i, 3, m->reason, sizeof(m->reason)) != 0 ||
	    state < MG_MAINT_REQUESTED || state > MG_MAINT_ENDED)
		return MG_ERR_STORE;
	m->minutes = pg_col_unsigned(res, i, 4);
	m->state = (enum mg_maintenance_state)state;
	m->requested_ms = pg_col_int(res, i, 6);
	m->decided_by = pg_col_int(res, i, 7);
	m->decided_ms = pg_col_int(res, i, 8);
	m->ends_ms = pg_col_int(res, i, 9);
	m->device_id = pg_col_int(res, i, 10);
	m->consent_ms = pg_col_int(res, i, 11);
	return 0;
}

int pg_maintenance_request(struct mg_store *s, const struct mg_maintenance *m, int64_t *id_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r = pg_query(c, insert_sql,
			 PG_PARAMS(PG_INT(m->user_id), PG_INT(m->scope), PG_TEXT(m->reason),
				   PG_INT(m->minutes), PG_INT(m->state), PG_INT(m->requested_ms),
				   PG_INT(m->decided_by), PG_INT(m->decided_ms), PG_INT(m->ends_ms),
				   PG_INT(m->device_id)),
			 &res);

	if (r == 0) {
		*id_out = pg_col_int(res, 0, 0);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_maintenance_get(struct mg_store *s, int64_t id, struct mg_maintenance *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r = pg_query(c, get_sql, PG_PARAMS(PG_INT(id)), &res);

	if (r == 0) {
		r = maint_read(res, 0, out);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_maintenance_list(struct mg_store *s, int64_t user_id, size_t limit, mg_maintenance_cb cb,
			void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_maintenance m;
	PGresult *res;
	int r = pg_run(c, list_sql, PG_PARAMS(PG_INT(user_id), PG_INT(limit)), &res);

	if (r == 0) {
		for (int i = 0; r == 0 && i < PQntuples(res); i++)
			if ((r = maint_read(res, i, &m)) == 0)
				r = cb(&m, arg);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_maintenance_decide(struct mg_store *s, int64_t id, enum mg_maintenance_state to,
			  int64_t decided_by, int64_t now_ms, int64_t ends_ms)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	if (to == MG_MAINT_ENDED) {
		/* Its device, if it was out of service, back in service with it. */
		if ((r = pg_begin(c)) != 0)
			goto out;
		r = pg_write(c, end_sql, PG_PARAMS(PG_INT(id), PG_INT(now_ms)), true, NULL);
		if (r == 0)
			r = pg_write(c, device_back_sql, PG_PARAMS(PG_INT(id)), false, NULL);
		r = pg_end(c, r);
	} else
		r = pg_write(c, decide_sql,
			     PG_PARAMS(PG_INT(id), PG_INT(to), PG_INT(decided_by), PG_INT(now_ms),
				       PG_INT(to == MG_MAINT_GRANTED ? ends_ms : 0)),
			     true, NULL);
	if (r == MG_ERR_NOT_FOUND && pg_query(c, exists_sql, PG_PARAMS(PG_INT(id)), &res) == 0) {
		PQclear(res);
		r = MG_ERR_CONFLICT;	/* it exists, in a state it may not leave so */
	}
out:
	pg_release(c);
	return r;
}

int pg_maintenance_active(struct mg_store *s, int64_t user_id, int64_t now_ms,
			  struct mg_maintenance *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r = pg_query(c, active_sql, PG_PARAMS(PG_INT(user_id), PG_INT(now_ms)), &res);

	if (r == 0) {
		r = maint_read(res, 0, out);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_maintenance_consent(struct mg_store *s, int64_t device_id, int64_t now_ms,
			   struct mg_maintenance *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	r = pg_query(c, device_active_sql, PG_PARAMS(PG_INT(device_id), PG_INT(now_ms)), &res);
	if (r == 0) {
		r = maint_read(res, 0, out);
		PQclear(res);
	}
	if (r == 0 && out->consent_ms == 0) {
		out->consent_ms = now_ms;
		r = pg_write(c, consent_sql, PG_PARAMS(PG_INT(out->id), PG_INT(now_ms)), true, NULL);
	}
	if (r == 0)
		r = pg_write(c, device_out_sql, PG_PARAMS(PG_INT(device_id), PG_INT(out->ends_ms)),
			     true, NULL);
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}
