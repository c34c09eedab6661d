/* Running the cached statements: parameters given as data, one row or
 * none, and the end of a transaction. Every access operation goes through
 * these, so every value reaches SQLite bound, never spliced into SQL.
 * Statements run rarely are prepared per call (sq_run and kin). */
#include "store/sqlite/sq_internal.h"

#include <limits.h>
#include <string.h>

#include "common/err.h"

unsigned sq_column_unsigned(sqlite3_stmt *st, int col)
{
	int64_t v = sqlite3_column_int64(st, col);

	return v < 0 ? 0 : v > UINT_MAX ? UINT_MAX : (unsigned)v;
}

int sq_bind(sqlite3_stmt *st, const struct sq_param *params)
{
	int rc = SQLITE_OK;

	for (int i = 0; rc == SQLITE_OK && params[i].type != SQ_PARAM_END; i++) {
		const struct sq_param *p = &params[i];

		switch (p->type) {
		case SQ_PARAM_INT:
			rc = sqlite3_bind_int64(st, i + 1, p->i);
			break;
		case SQ_PARAM_TEXT:
			rc = sqlite3_bind_text(st, i + 1, p->p, -1, SQLITE_STATIC);
			break;
		case SQ_PARAM_BLOB:
			if (p->len > INT_MAX)
				return MG_ERR_LIMIT;
			rc = sqlite3_bind_blob(st, i + 1, p->p, (int)p->len, SQLITE_STATIC);
			break;
		default:
			return MG_ERR_STORE;
		}
	}
	if (rc == SQLITE_TOOBIG)
		return MG_ERR_LIMIT;
	return rc == SQLITE_OK ? 0 : MG_ERR_STORE;
}

int sq_query(struct sq_conn *c, const struct sq_sql *sql, const struct sq_param *params,
	     sqlite3_stmt **st_out)
{
	sqlite3_stmt *st = sq_stmt(c, sql);
	int r, rc;

	*st_out = NULL;
	if (st == NULL)
		return MG_ERR_STORE;
	if ((r = sq_bind(st, params)) != 0) {
		sq_done(st);
		return r;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*st_out = st;
		return 0;
	}
	r = rc == SQLITE_DONE ? MG_ERR_NOT_FOUND : sq_step_error(c);
	sq_done(st);
	return r;
}

int sq_next(struct sq_conn *c, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? MG_ERR_NOT_FOUND : sq_step_error(c);
}

int sq_finish(struct sq_conn *c, sqlite3_stmt *st)
{
	int rc, r = 0;

	if (st == NULL)
		return 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		r = sq_step_error(c);	/* before the reset sets the error again */
	sq_done(st);
	return r;
}

int sq_write(struct sq_conn *c, const struct sq_sql *sql, const struct sq_param *params,
	     bool must_change)
{
	sqlite3_stmt *st = sq_stmt(c, sql);
	int r;

	if (st == NULL)
		return MG_ERR_STORE;
	if ((r = sq_bind(st, params)) == 0 && (r = sq_finish(c, st)) == 0 && must_change &&
	    sqlite3_changes64(c->db) == 0)
		r = MG_ERR_NOT_FOUND;
	sq_done(st);
	return r;
}

int sq_store_write(struct mg_store *s, const struct sq_sql *sql, const struct sq_param *params,
		   bool must_change)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r = sq_write(c, sql, params, must_change);

	sq_release(c);
	return r;
}

int sq_end(struct sq_conn *c, int r)
{
	if (r == 0 && (r = sq_exec(c, "COMMIT")) == 0)
		return 0;
	/* After some errors (SQLITE_FULL, SQLITE_IOERR) SQLite has already
	 * rolled back; a second ROLLBACK then fails harmlessly. */
	sq_exec(c, "ROLLBACK");
	return r;
}

int sq_step_error(struct sq_conn *c)
{
	int code = sqlite3_extended_errcode(c->db);

	if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
		return MG_ERR_EXISTS;
	if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
		return MG_ERR_NOT_FOUND;
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return MG_ERR_BUSY;
	sq_log_cause(c);
	return MG_ERR_STORE;
}

void sq_log_cause(struct sq_conn *c)
{
	int code = sqlite3_extended_errcode(c->db);

	/* The cause, as SQLite names it: "database or disk is full". */
	mg_store_fault(c->owner, sqlite3_errstr(code & 0xff), "SQLite: %s (code %d)",
		       sqlite3_errmsg(c->db), code);
}

int sq_run(struct sq_conn *c, const char *sql, const struct sq_param *params, sqlite3_stmt **st_out)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	*st_out = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return MG_ERR_STORE;
	if ((r = sq_bind(st, params)) != 0) {
		sqlite3_finalize(st);
		return r;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*st_out = st;
		return 0;
	}
	r = rc == SQLITE_DONE ? MG_ERR_NOT_FOUND : sq_step_error(c);
	sqlite3_finalize(st);
	return r;
}

int sq_run_each(struct sq_conn *c, const char *sql, const struct sq_param *params,
		int (*row)(sqlite3_stmt *st, void *arg), void *arg)
{
	sqlite3_stmt *st;
	int r = sq_run(c, sql, params, &st), rc = SQLITE_DONE;

	if (r == MG_ERR_NOT_FOUND)
		return 0;	/* no rows */
	if (r != 0)
		return r;
	do {
		if ((r = row(st, arg)) != 0)
			break;
	} while ((rc = sqlite3_step(st)) == SQLITE_ROW);
	if (r == 0 && rc != SQLITE_DONE)
		r = sq_step_error(c);
	sqlite3_finalize(st);
	return r;
}

int sq_step_done(struct sq_conn *c, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	rc = rc == SQLITE_DONE ? 0 : sq_step_error(c);
	sqlite3_finalize(st);
	return rc;
}

int sq_run_write(struct sq_conn *c, const char *sql, const struct sq_param *params,
		 bool must_change)
{
	sqlite3_stmt *st;
	int r = sq_run(c, sql, params, &st);

	if (r == 0)		/* a RETURNING row: done with it */
		r = sq_step_done(c, st);
	else if (r == MG_ERR_NOT_FOUND) {
		r = 0;		/* no row is what a write gives */
	}
	if (r == 0 && must_change && sqlite3_changes64(c->db) == 0)
		r = MG_ERR_NOT_FOUND;
	return r;
}
