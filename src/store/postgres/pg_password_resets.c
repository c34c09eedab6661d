/* Password reset links on PostgreSQL, known by keyed hashes of the
 * values their holders carry: single use, and used in one statement, so
 * of two attempts with one link (on one gateway or two) only one gets an
 * account. */
#include "store/postgres/pg_internal.h"

#include "common/err.h"

static const char reset_prune_user_sql[] =
	"DELETE FROM password_resets WHERE user_id = $1 AND (used_ms IS NOT NULL OR expires_ms <= $2)";
static const char reset_insert_sql[] =
	"INSERT INTO password_resets (token_hash, user_id, created_ms, expires_ms)"
	" VALUES ($1, $2, $3, $4)";
static const char reset_consume_sql[] =
	"UPDATE password_resets SET used_ms = $2"
	" WHERE token_hash = $1 AND used_ms IS NULL AND expires_ms > $2 RETURNING user_id";

int pg_reset_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
		    int64_t user_id, int64_t now_ms, int64_t expires_ms)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	r = pg_write(c, reset_prune_user_sql, PG_PARAMS(PG_INT(user_id), PG_INT(now_ms)), false,
		     NULL);
	if (r == 0)
		r = pg_write(c, reset_insert_sql,
			     PG_PARAMS(PG_BLOB(hash, MG_TOKEN_HASH_BYTES), PG_INT(user_id),
				       PG_INT(now_ms), PG_INT(expires_ms)),
			     false, NULL);
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}

int pg_reset_consume(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
		     int64_t now_ms, int64_t *user_id_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	*user_id_out = 0;
	r = pg_query(c, reset_consume_sql,
		     PG_PARAMS(PG_BLOB(hash, MG_TOKEN_HASH_BYTES), PG_INT(now_ms)), &res);
	if (r == 0) {
		*user_id_out = pg_col_int(res, 0, 0);
		PQclear(res);
	}
	pg_release(c);
	return r;
}
