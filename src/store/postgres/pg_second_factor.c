/* The second factor on PostgreSQL: a TOTP secret (sealed by the caller)
 * per account, pending until its first code, and single-use recovery codes
 * stored as keyed hashes. Whatever must happen once is one UPDATE whose
 * WHERE clause still holds only for the first caller: a second gateway's
 * UPDATE waits for the first one's row lock and then re-checks it. */
#include "store/postgres/pg_internal.h"

#include "common/err.h"

static const char totp_set_pending_sql[] =
	"UPDATE users SET totp_pending_sealed = $2 WHERE id = $1";
static const char totp_activate_sql[] =
	"UPDATE users SET totp_sealed = totp_pending_sealed, totp_pending_sealed = NULL,"
	" totp_last_step = $2 WHERE id = $1 AND totp_pending_sealed IS NOT NULL";
static const char totp_clear_sql[] =
	"UPDATE users SET totp_sealed = NULL, totp_pending_sealed = NULL WHERE id = $1";
static const char totp_use_step_sql[] =
	"UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2";
static const char recovery_clear_sql[] = "DELETE FROM recovery_codes WHERE user_id = $1";
static const char recovery_insert_sql[] =
	"INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)";
static const char recovery_use_sql[] =
	"UPDATE recovery_codes SET used_ms = $3"
	" WHERE user_id = $1 AND code_hash = $2 AND used_ms IS NULL";
static const char recovery_left_sql[] =
	"SELECT (SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_ms IS NULL)"
	" FROM users WHERE id = $1";
static const char user_lock_sql[] = "SELECT 1 FROM users WHERE id = $1 FOR UPDATE";

int pg_totp_set_pending(struct mg_store *s, int64_t id, const unsigned char *sealed, size_t len)
{
	return pg_store_write(s, totp_set_pending_sql, PG_PARAMS(PG_INT(id), PG_BLOB(sealed, len)),
			      true);
}

int pg_totp_activate(struct mg_store *s, int64_t id, int64_t step)
{
	return pg_store_write(s, totp_activate_sql, PG_PARAMS(PG_INT(id), PG_INT(step)), true);
}

int pg_totp_clear(struct mg_store *s, int64_t id)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r;

	if ((r = pg_begin(c)) == 0) {
		if ((r = pg_write(c, totp_clear_sql, PG_PARAMS(PG_INT(id)), true, NULL)) == 0)
			r = pg_write(c, recovery_clear_sql, PG_PARAMS(PG_INT(id)), false, NULL);
		r = pg_end(c, r);
	}
	pg_release(c);
	return r;
}

int pg_totp_use_step(struct mg_store *s, int64_t id, int64_t step)
{
	int r = pg_store_write(s, totp_use_step_sql, PG_PARAMS(PG_INT(id), PG_INT(step)), true);

	return r == MG_ERR_NOT_FOUND ? MG_ERR_DENIED : r;
}

int pg_recovery_codes_set(struct mg_store *s, int64_t id,
			  const unsigned char (*hashes)[MG_TOKEN_HASH_BYTES], size_t n)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	r = pg_write(c, user_lock_sql, PG_PARAMS(PG_INT(id)), true, NULL);
	if (r == 0)
		r = pg_write(c, recovery_clear_sql, PG_PARAMS(PG_INT(id)), false, NULL);
	/* Two equal hashes in one set fail the primary key: MG_ERR_EXISTS. */
	for (size_t i = 0; r == 0 && i < n; i++)
		r = pg_write(c, recovery_insert_sql,
			     PG_PARAMS(PG_INT(id), PG_BLOB(hashes[i], MG_TOKEN_HASH_BYTES)), false,
			     NULL);
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}

int pg_recovery_code_use(struct mg_store *s, int64_t id,
			 const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms)
{
	return pg_store_write(s, recovery_use_sql,
			      PG_PARAMS(PG_INT(id), PG_BLOB(hash, MG_TOKEN_HASH_BYTES),
					PG_INT(now_ms)),
			      true);
}

int pg_recovery_codes_left(struct mg_store *s, int64_t id, unsigned *left_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	*left_out = 0;
	if ((r = pg_query(c, recovery_left_sql, PG_PARAMS(PG_INT(id)), &res)) == 0) {
		*left_out = pg_col_unsigned(res, 0, 0);
		PQclear(res);
	}
	pg_release(c);
	return r;
}
