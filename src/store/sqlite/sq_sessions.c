/* Sessions on SQLite, known by keyed hashes of the cookies their holders
 * carry, so the database never holds a usable cookie. Each
 * check-and-change is one statement, which SQLite runs under its single
 * write lock: two requests racing for the same session cannot both see
 * it in its earlier state. */
#include "store/sqlite/sq_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

static const struct sq_sql session_prune_user_sql = {
	"DELETE FROM sessions WHERE user_id = ?1 AND expires_ms <= ?2"
};

static const struct sq_sql session_insert_sql = {
	"INSERT INTO sessions (id_hash, user_id, csrf, address, created_ms,"
	" last_seen_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
};

/* The account's sessions past the newest max - 1 others (?3), oldest
 * first by created_ms, then hash; never the new one (?2). */
static const struct sq_sql session_bound_user_sql = {
	"DELETE FROM sessions WHERE user_id = ?1 AND id_hash <> ?2 AND id_hash NOT IN"
	" (SELECT id_hash FROM sessions WHERE user_id = ?1 AND id_hash <> ?2"
	"  ORDER BY created_ms DESC, id_hash DESC LIMIT ?3)"
};

/* Sessions past their absolute expiry are of no use to anyone; dropping
 * the user's old ones here keeps abandoned sessions from piling up. Then
 * the bound: BEGIN IMMEDIATE makes the insert and the count one step, so
 * two sign-ins at once cannot both keep max_per_user others. */
int sq_session_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
		      const struct mg_session *session, unsigned max_per_user)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	r = sq_write(c, &session_prune_user_sql,
		     SQ_PARAMS(SQ_INT(session->user_id), SQ_INT(session->created_ms)), false);
	/* An unknown user fails the foreign key (MG_ERR_NOT_FOUND), a hash in
	 * use the primary key (MG_ERR_EXISTS). */
	if (r == 0)
		r = sq_write(c, &session_insert_sql,
			     SQ_PARAMS(SQ_BLOB(hash, MG_TOKEN_HASH_BYTES), SQ_INT(session->user_id),
				       SQ_TEXT(session->csrf), SQ_TEXT(session->address),
				       SQ_INT(session->created_ms), SQ_INT(session->last_seen_ms),
				       SQ_INT(session->expires_ms)),
			     false);
	if (r == 0 && max_per_user > 0)
		r = sq_write(c, &session_bound_user_sql,
			     SQ_PARAMS(SQ_INT(session->user_id), SQ_BLOB(hash, MG_TOKEN_HASH_BYTES),
				       SQ_INT(max_per_user - 1)),
			     false);
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}

static int session_read(sqlite3_stmt *st, struct mg_session *out)
{
	out->user_id = sqlite3_column_int64(st, 0);
	if (sq_copy_text(st, 1, out->csrf, sizeof(out->csrf)) != 0 ||
	    sq_copy_text(st, 2, out->address, sizeof(out->address)) != 0)
		return MG_ERR_STORE;
	out->created_ms = sqlite3_column_int64(st, 3);
	out->last_seen_ms = sqlite3_column_int64(st, 4);
	out->expires_ms = sqlite3_column_int64(st, 5);
	return 0;
}

/* Check and touch in one statement; last_seen never moves back (two
 * gateways' clocks may differ a little). */
static const struct sq_sql session_touch_sql = {
	"UPDATE sessions SET last_seen_ms = max(last_seen_ms, ?2)"
	" WHERE id_hash = ?1 AND expires_ms > ?2 AND last_seen_ms > ?2 - ?3"
	" RETURNING user_id, csrf, address, created_ms, last_seen_ms, expires_ms"
};

static const struct sq_sql session_expire_sql = {
	"DELETE FROM sessions WHERE id_hash = ?1"
	" AND (expires_ms <= ?2 OR last_seen_ms <= ?2 - ?3) RETURNING user_id, address"
};

/* Touch the session if it is still valid at now_ms, in one statement; if
 * it is not, delete it with a second one that checks the same conditions
 * again, so a concurrent touch can never lose a live session. */
int sq_session_get(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
		   int64_t now_ms, int64_t idle_ms, struct mg_session *out)
{
	const struct sq_param *params =
		SQ_PARAMS(SQ_BLOB(hash, MG_TOKEN_HASH_BYTES), SQ_INT(now_ms), SQ_INT(idle_ms));
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r, rf;

	if ((r = sq_query(c, &session_touch_sql, params, &st)) == 0) {
		r = session_read(st, out);
		if ((rf = sq_finish(c, st)) != 0)
			r = rf;	/* the touch did not commit */
		if (r != 0)
			memset(out, 0, sizeof(*out));
	} else if (r == MG_ERR_NOT_FOUND &&
		   sq_query(c, &session_expire_sql, params, &st) == 0) {
		/* It existed and has expired: say so, with whose it was. A
		 * row this fails to delete now goes at the next attempt. */
		out->user_id = sqlite3_column_int64(st, 0);
		if (sq_copy_text(st, 1, out->address, sizeof(out->address)) != 0)
			out->address[0] = '\0';
		r = sq_finish(c, st) == 0 ? MG_ERR_EXPIRED : MG_ERR_STORE;
	}
	sq_release(c);
	return r;
}

static const struct sq_sql session_delete_sql = {
	"DELETE FROM sessions WHERE id_hash = ?1"
};

int sq_session_delete(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES])
{
	return sq_store_write(s, &session_delete_sql,
			      SQ_PARAMS(SQ_BLOB(hash, MG_TOKEN_HASH_BYTES)), true);
}

static const struct sq_sql session_delete_user_sql = {
	"DELETE FROM sessions WHERE user_id = ?1"
};

/* 0 also when the user had no session. */
int sq_session_delete_user(struct mg_store *s, int64_t user_id)
{
	return sq_store_write(s, &session_delete_user_sql, SQ_PARAMS(SQ_INT(user_id)), false);
}

/* Rarely run (the detector's scan), so prepared per call. The rows are
 * collected first and reported after the statement is done: cb may write
 * to the store (the audit trail) and must not wait for this write. */
int sq_session_sweep(struct mg_store *s, int64_t now_ms, int64_t idle_ms, mg_session_expired_cb cb,
		     void *arg)
{
	struct mg_session_expired *gone;
	struct sq_conn *c;
	sqlite3_stmt *st;
	size_t n = 0;
	int r;

	if ((gone = calloc(MG_SESSION_SWEEP_MAX, sizeof(*gone))) == NULL)
		return MG_ERR_NOMEM;
	c = SQ_ACQUIRE(s);
	r = sq_run(c,
		   "DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions"
		   " WHERE expires_ms <= ?1 OR last_seen_ms <= ?1 - ?2 LIMIT ?3)"
		   " RETURNING user_id, address, expires_ms > ?1",
		   SQ_PARAMS(SQ_INT(now_ms), SQ_INT(idle_ms), SQ_INT(MG_SESSION_SWEEP_MAX)), &st);
	if (r == MG_ERR_NOT_FOUND) {
		r = 0;
	} else if (r == 0) {
		do {
			gone[n].user_id = sqlite3_column_int64(st, 0);
			if (sq_copy_text(st, 1, gone[n].address, sizeof(gone[n].address)) != 0)
				gone[n].address[0] = '\0';
			gone[n].idle = sqlite3_column_int(st, 2) != 0;
			n++;
		} while (n < MG_SESSION_SWEEP_MAX && sqlite3_step(st) == SQLITE_ROW);
		r = sq_step_done(c, st);
	}
	sq_release(c);
	for (size_t i = 0; r == 0 && i < n; i++)
		cb(gone[i].user_id, gone[i].address, gone[i].idle, arg);
	free(gone);
	return r;
}
