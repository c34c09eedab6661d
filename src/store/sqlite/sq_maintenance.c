/* Remote maintenance on SQLite: requests, grants, refusals and ends. A
 * decision is one conditional UPDATE (only from the state it may leave),
 * so two administrators deciding at once cannot both win. */
#include "store/sqlite/sq_internal.h"

#include <string.h>

#include "common/err.h"

#define MAINT_COLUMNS \
	"id, user_id, scope, reason, minutes, state, requested_ms, decided_by, decided_ms, ends_ms," \
	" device_id, consent_ms"

struct walk {
	mg_maintenance_cb cb;
	void *arg;
};

static int maint_read(sqlite3_stmt *st, struct mg_maintenance *m)
{
	int64_t state;

	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(st, 0);
	m->user_id = sqlite3_column_int64(st, 1);
	m->scope = sq_column_unsigned(st, 2);
	if (sq_copy_text(st, 3, m->reason, sizeof(m->reason)) != 0)
		return MG_ERR_STORE;
	m->minutes = sq_column_unsigned(st, 4);
	state = sqlite3_column_int64(st, 5);
	if (state < MG_MAINT_REQUESTED || state > MG_MAINT_ENDED)
		return MG_ERR_STORE;
	m->state = (enum mg_maintenance_state)state;
	m->requested_ms = sqlite3_column_int64(st, 6);
	m->decided_by = sqlite3_column_int64(st, 7);
	m->decided_ms = sqlite3_column_int64(st, 8);
	m->ends_ms = sqlite3_column_int64(st, 9);
	m->device_id = sqlite3_column_int64(st, 10);
	m->consent_ms = sqlite3_column_int64(st, 11);
	return 0;
}

int sq_maintenance_request(struct mg_store *s, const struct mg_maintenance *m, int64_t *id_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r = sq_run(c,
		       "INSERT INTO maintenance (user_id, scope, reason, minutes, state,"
		       " requested_ms, decided_by, decided_ms, ends_ms, device_id)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
		       SQ_PARAMS(SQ_INT(m->user_id), SQ_INT(m->scope), SQ_TEXT(m->reason),
				 SQ_INT(m->minutes), SQ_INT(m->state), SQ_INT(m->requested_ms),
				 SQ_INT(m->decided_by), SQ_INT(m->decided_ms), SQ_INT(m->ends_ms),
				 SQ_INT(m->device_id)),
		       &st);

	if (r == 0) {
		*id_out = sqlite3_column_int64(st, 0);
		r = sq_step_done(c, st);
	}
	sq_release(c);
	/* An unknown account fails the foreign key. */
	return r == MG_ERR_EXISTS ? MG_ERR_NOT_FOUND : r;
}

int sq_maintenance_get(struct mg_store *s, int64_t id, struct mg_maintenance *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r = sq_run(c, "SELECT " MAINT_COLUMNS " FROM maintenance WHERE id = ?1",
		       SQ_PARAMS(SQ_INT(id)), &st);

	if (r == 0) {
		r = maint_read(st, out);
		sqlite3_finalize(st);
	}
	sq_release(c);
	return r;
}

static int maint_row(sqlite3_stmt *st, void *arg)
{
	struct walk *w = arg;
	struct mg_maintenance m;
	int r = maint_read(st, &m);

	return r != 0 ? r : w->cb(&m, w->arg);
}

int sq_maintenance_list(struct mg_store *s, int64_t user_id, size_t limit, mg_maintenance_cb cb,
			void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct walk w = { cb, arg };
	int r = sq_run_each(c,
			    "SELECT " MAINT_COLUMNS " FROM maintenance"
			    " WHERE ?1 = 0 OR user_id = ?1 ORDER BY id DESC LIMIT ?2",
			    SQ_PARAMS(SQ_INT(user_id), SQ_INT(limit)), maint_row, &w);

	sq_release(c);
	return r;
}

int sq_maintenance_decide(struct mg_store *s, int64_t id, enum mg_maintenance_state to,
			  int64_t decided_by, int64_t now_ms, int64_t ends_ms)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	if (to == MG_MAINT_ENDED) {
		/* Its device, if it was out of service, back in service with it. */
		if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
			goto out;
		r = sq_run_write(c,
				 "UPDATE maintenance SET state = 3, ends_ms = ?2"
				 " WHERE id = ?1 AND state = 1 AND ends_ms > ?2",
				 SQ_PARAMS(SQ_INT(id), SQ_INT(now_ms)), true);
		if (r == 0)
			r = sq_run_write(c,
					 "UPDATE devices SET maintenance_until_ms = 0 WHERE id ="
					 " (SELECT device_id FROM maintenance WHERE id = ?1"
					 " AND consent_ms > 0)",
					 SQ_PARAMS(SQ_INT(id)), false);
		r = sq_end(c, r);
	} else
		r = sq_run_write(c,
				 "UPDATE maintenance SET state = ?2, decided_by = ?3, decided_ms = ?4,"
				 " ends_ms = ?5 WHERE id = ?1 AND state = 0",
				 SQ_PARAMS(SQ_INT(id), SQ_INT(to), SQ_INT(decided_by), SQ_INT(now_ms),
					   SQ_INT(to == MG_MAINT_GRANTED ? ends_ms : 0)),
				 true);
	if (r == MG_ERR_NOT_FOUND &&
	    sq_run(c, "SELECT 1 FROM maintenance WHERE id = ?1", SQ_PARAMS(SQ_INT(id)), &st) == 0) {
		sqlite3_finalize(st);
		r = MG_ERR_CONFLICT;	/* it exists, in a state it may not leave so */
	}
out:
	sq_release(c);
	return r;
}

int sq_maintenance_active(struct mg_store *s, int64_t user_id, int64_t now_ms,
			  struct mg_maintenance *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r = sq_run(c,
		       "SELECT " MAINT_COLUMNS " FROM maintenance"
		       " WHERE user_id = ?1 AND state = 1 AND ends_ms > ?2 ORDER BY id DESC LIMIT 1",
		       SQ_PARAMS(SQ_INT(user_id), SQ_INT(now_ms)), &st);

	if (r == 0) {
		r = maint_read(st, out);
		sqlite3_finalize(st);
	}
	sq_release(c);
	return r;
}

int sq_maintenance_consent(struct mg_store *s, int64_t device_id, int64_t now_ms,
			   struct mg_maintenance *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	r = sq_run(c,
		   "SELECT " MAINT_COLUMNS " FROM maintenance WHERE device_id = ?1 AND state = 1"
		   " AND ends_ms > ?2 ORDER BY id DESC LIMIT 1",
		   SQ_PARAMS(SQ_INT(device_id), SQ_INT(now_ms)), &st);
	if (r == 0) {
		r = maint_read(st, out);
		sqlite3_finalize(st);
	}
	if (r == 0 && out->consent_ms == 0) {
		out->consent_ms = now_ms;
		r = sq_run_write(c, "UPDATE maintenance SET consent_ms = ?2 WHERE id = ?1",
				 SQ_PARAMS(SQ_INT(out->id), SQ_INT(now_ms)), true);
	}
	if (r == 0)
		r = sq_run_write(c, "UPDATE devices SET maintenance_until_ms = ?2 WHERE id = ?1",
				 SQ_PARAMS(SQ_INT(device_id), SQ_INT(out->ends_ms)), true);
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}
