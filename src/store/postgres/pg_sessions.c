/* Sessions on PostgreSQL, known by keyed hashes of the cookies their
 * holders carry. Each check-and-change is one statement: PostgreSQL
 * re-checks an UPDATE's WHERE clause on the newest row after waiting for
 * another writer, so two requests racing for the same session (on one
 * gateway or two) cannot both see it in its earlier state. */
#include "store/postgres/pg_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"

static const char session_prune_user_sql[] =
	"DELETE FROM sessions WHERE user_id = $1 AND expires_ms <= $2";
/* Orders one account's concurrent sign-ins (on any gateway), so the bound
 * below counts every other session; an unknown account: MG_ERR_NOT_FOUND.
 * NO KEY UPDATE leaves the foreign-key checks of other inserts free. */
static const char session_user_lock_sql[] =
	"SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE";
/* The account's sessions past the newest max - 1 others ($3), oldest
 * first by created_ms, then hash; never the new one ($2). */
static const char session_bound_user_sql[] =
	"DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2 AND id_hash NOT IN"
	" (SELECT id_hash FROM sessions WHERE user_id = $1 AND id_hash <> $2"
	"  ORDER BY created_ms DESC, id_hash DESC LIMIT $3)";
static const char session_insert_sql[] =
	"INSERT INTO sessions (id_hash, user_id, csrf, address, created_ms, last_seen_ms,"
	" expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)";
/* last_seen never moves back (two gateways' clocks may differ a little). */
static const char session_touch_sql[] =
	"UPDATE sessions SET last_seen_ms = greatest(last_seen_ms, $2)"
	" WHERE id_hash = $1 AND expires_ms > $2 AND last_seen_ms > $2 - $3"
	" RETURNING user_id, csrf, address, created_ms, last_seen_ms, expires_ms";
static const char session_expire_sql[] =
	"DELETE FROM sessions WHERE id_hash = $1 AND (expires_ms <= $2 OR last_seen_ms <= $2 - $3)"
	" RETURNING user_id, address";
static const char session_sweep_sql[] =
	"DELETE FROM sessions WHERE id_hash IN (SELECT id_hash FROM sessions"
	" WHERE expires_ms <= $1 OR last_seen_ms <= $1 - $2 LIMIT $3 FOR UPDATE SKIP LOCKED)"
	" RETURNING user_id, address, (expires_ms > $1)::int";
static const char session_delete_sql[] = "DELETE FROM sessions WHERE id_hash = $1";
static const char session_delete_user_sql[] = "DELETE FROM sessions WHERE user_id = $1";

int pg_session_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
		      const struct mg_session *session, unsigned max_per_user)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	r = pg_write(c, session_user_lock_sql, PG_PARAMS(PG_INT(session->user_id)), true, NULL);
	if (r == 0)
		r = pg_write(c, session_prune_user_sql,
			     PG_PARAMS(PG_INT(session->user_id), PG_INT(session->created_ms)), false,
			     NULL);
	/* An unknown user fails the foreign key (MG_ERR_NOT_FOUND), a hash in
	 * use the primary key (MG_ERR_EXISTS). */
	if (r == 0)
		r = pg_write(c, session_insert_sql,
			     PG_PARAMS(PG_BLOB(hash, MG_TOKEN_HASH_BYTES), PG_INT(session->user_id),
				       PG_TEXT(session->csrf), PG_TEXT(session->address),
				       PG_INT(session->created_ms), PG_INT(session->last_seen_ms),
				       PG_INT(session->expires_ms)),
			     false, NULL);
	if (r == 0 && max_per_user > 0)
		r = pg_write(c, session_bound_user_sql,
			     PG_PARAMS(PG_INT(session->user_id), PG_BLOB(hash, MG_TOKEN_HASH_BYTES),
				       PG_INT(max_per_user - 1)),
			     false, NULL);
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}

int pg_session_get(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
		   int64_t now_ms, int64_t idle_ms, struct mg_session *out)
{
	const struct pg_param *params =
		PG_PARAMS(PG_BLOB(hash, MG_TOKEN_HASH_BYTES), PG_INT(now_ms), PG_INT(idle_ms));
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	if ((r = pg_query(c, session_touch_sql, params, &res)) == 0) {
		out->user_id = pg_col_int(res, 0, 0);
		if (pg_col_text(res, 0, 1, out->csrf, sizeof(out->csrf)) != 0 ||
		    pg_col_text(res, 0, 2, out->address, sizeof(out->address)) != 0)
			r = MG_ERR_STORE;
		out->created_ms = pg_col_int(res, 0, 3);
		out->last_seen_ms = pg_col_int(res, 0, 4);
		out->expires_ms = pg_col_int(res, 0, 5);
		PQclear(res);
		if (r != 0)
			memset(out, 0, sizeof(*out));
	} else if (r == MG_ERR_NOT_FOUND && pg_query(c, session_expire_sql, params, &res) == 0) {
		/* It existed and has expired: say so, with whose it was. */
		out->user_id = pg_col_int(res, 0, 0);
		if (pg_col_text(res, 0, 1, out->address, sizeof(out->address)) != 0)
			out->address[0] = '\0';
		PQclear(res);
		r = MG_ERR_EXPIRED;
	}
	pg_release(c);
	return r;
}

/* The rows are reported after the statement: cb may use the store. */
int pg_session_sweep(struct mg_store *s, int64_t now_ms, int64_t idle_ms, mg_session_expired_cb cb,
		     void *arg)
{
	struct mg_session_expired *gone;
	struct pg_conn *c;
	PGresult *res;
	int n = 0, r;

	if ((gone = calloc(MG_SESSION_SWEEP_MAX, sizeof(*gone))) == NULL)
		return MG_ERR_NOMEM;
	c = PG_ACQUIRE(s);
	r = pg_query(c, session_sweep_sql,
		     PG_PARAMS(PG_INT(now_ms), PG_INT(idle_ms), PG_INT(MG_SESSION_SWEEP_MAX)), &res);
	if (r == MG_ERR_NOT_FOUND) {
		r = 0;
	} else if (r == 0) {
		n = PQntuples(res);
		if (n > MG_SESSION_SWEEP_MAX)
			n = MG_SESSION_SWEEP_MAX;
		for (int i = 0; i < n; i++) {
			gone[i].user_id = pg_col_int(res, i, 0);
			if (pg_col_text(res, i, 1, gone[i].address, sizeof(gone[i].address)) != 0)
				gone[i].address[0] = '\0';
			gone[i].idle = pg_col_int(res, i, 2) != 0;
		}
		PQclear(res);
	}
	pg_release(c);
	for (int i = 0; r == 0 && i < n; i++)
		cb(gone[i].user_id, gone[i].address, gone[i].idle, arg);
	free(gone);
	return r;
}

int pg_session_delete(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES])
{
	return pg_store_write(s, session_delete_sql, PG_PARAMS(PG_BLOB(hash, MG_TOKEN_HASH_BYTES)),
			      true);
}

int pg_session_delete_user(struct mg_store *s, int64_t user_id)
{
	return pg_store_write(s, session_delete_user_sql, PG_PARAMS(PG_INT(user_id)), false);
}
