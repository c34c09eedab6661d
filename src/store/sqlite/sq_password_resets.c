/* Password reset links on SQLite, known by keyed hashes of the values
 * their holders carry: single use, and used in one statement, so of two
 * attempts with one link only one gets an account. */
#include "store/sqlite/sq_internal.h"

#include "common/err.h"

static const struct sq_sql reset_prune_user_sql = {
	"DELETE FROM password_resets WHERE user_id = ?1"
	" AND (used_ms IS NOT NULL OR expires_ms <= ?2)"
};

static const struct sq_sql reset_insert_sql = {
	"INSERT INTO password_resets (token_hash, user_id, created_ms, expires_ms)"
	" VALUES (?1, ?2, ?3, ?4)"
};

/* The user's used and expired links go first; they can never work again. */
int sq_reset_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
		    int64_t user_id, int64_t now_ms, int64_t expires_ms)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	r = sq_write(c, &reset_prune_user_sql, SQ_PARAMS(SQ_INT(user_id), SQ_INT(now_ms)), false);
	if (r == 0)
		r = sq_write(c, &reset_insert_sql,
			     SQ_PARAMS(SQ_BLOB(hash, MG_TOKEN_HASH_BYTES), SQ_INT(user_id),
				       SQ_INT(now_ms), SQ_INT(expires_ms)),
			     false);
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}

static const struct sq_sql reset_consume_sql = {
	"UPDATE password_resets SET used_ms = ?2"
	" WHERE token_hash = ?1 AND used_ms IS NULL AND expires_ms > ?2"
	" RETURNING user_id"
};

/* Mark used and read the user in one statement: of two concurrent
 * attempts with one link, only one gets a user. */
int sq_reset_consume(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
		     int64_t now_ms, int64_t *user_id_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int64_t user_id;
	int r;

	*user_id_out = 0;
	r = sq_query(c, &reset_consume_sql,
		     SQ_PARAMS(SQ_BLOB(hash, MG_TOKEN_HASH_BYTES), SQ_INT(now_ms)), &st);
	if (r == 0) {
		user_id = sqlite3_column_int64(st, 0);
		if ((r = sq_finish(c, st)) == 0)
			*user_id_out = user_id;
	}
	sq_release(c);
	return r;
}
