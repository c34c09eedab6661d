/* The second factor on SQLite: a TOTP secret (sealed by the caller) per
 * account, pending until its first code, and single-use recovery codes
 * stored as keyed hashes. Whatever must happen once is one UPDATE whose
 * WHERE clause still holds only for the first caller. */
#include "store/sqlite/sq_internal.h"

#include "common/err.h"

static const struct sq_sql totp_set_pending_sql = {
	"UPDATE users SET totp_pending_sealed = ?2 WHERE id = ?1"
};

int sq_totp_set_pending(struct mg_store *s, int64_t id, const unsigned char *sealed, size_t len)
{
	return sq_store_write(s, &totp_set_pending_sql, SQ_PARAMS(SQ_INT(id), SQ_BLOB(sealed, len)),
			      true);
}

static const struct sq_sql totp_activate_sql = {
	"UPDATE users SET totp_sealed = totp_pending_sealed, totp_pending_sealed = NULL,"
	" totp_last_step = ?2 WHERE id = ?1 AND totp_pending_sealed IS NOT NULL"
};

/* MG_ERR_NOT_FOUND if no account id or nothing pending (also for the
 * second of two concurrent activations). */
int sq_totp_activate(struct mg_store *s, int64_t id, int64_t step)
{
	return sq_store_write(s, &totp_activate_sql, SQ_PARAMS(SQ_INT(id), SQ_INT(step)), true);
}

static const struct sq_sql totp_clear_sql = {
	"UPDATE users SET totp_sealed = NULL, totp_pending_sealed = NULL WHERE id = ?1"
};

static const struct sq_sql recovery_clear_sql = {
	"DELETE FROM recovery_codes WHERE user_id = ?1"
};

int sq_totp_clear(struct mg_store *s, int64_t id)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) == 0) {
		if ((r = sq_write(c, &totp_clear_sql, SQ_PARAMS(SQ_INT(id)), true)) == 0)
			r = sq_write(c, &recovery_clear_sql, SQ_PARAMS(SQ_INT(id)), false);
		r = sq_end(c, r);
	}
	sq_release(c);
	return r;
}

/* One statement, so two gateways on one database cannot both accept a
 * step: the second finds totp_last_step already there. */
static const struct sq_sql totp_use_step_sql = {
	"UPDATE users SET totp_last_step = ?2 WHERE id = ?1 AND totp_last_step < ?2"
};

int sq_totp_use_step(struct mg_store *s, int64_t id, int64_t step)
{
	int r = sq_store_write(s, &totp_use_step_sql, SQ_PARAMS(SQ_INT(id), SQ_INT(step)), true);

	/* No row changed: the step was used already (or an earlier one was
	 * accepted after it), or there is no such account. */
	return r == MG_ERR_NOT_FOUND ? MG_ERR_DENIED : r;
}

static const struct sq_sql user_exists_sql = {
	"SELECT 1 FROM users WHERE id = ?1"
};

static const struct sq_sql recovery_insert_sql = {
	"INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)"
};

int sq_recovery_codes_set(struct mg_store *s, int64_t id,
			  const unsigned char (*hashes)[MG_TOKEN_HASH_BYTES], size_t n)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if ((r = sq_query(c, &user_exists_sql, SQ_PARAMS(SQ_INT(id)), &st)) == 0)
		r = sq_finish(c, st);
	if (r == 0)
		r = sq_write(c, &recovery_clear_sql, SQ_PARAMS(SQ_INT(id)), false);
	/* Two equal hashes in one set fail the primary key: MG_ERR_EXISTS. */
	for (size_t i = 0; r == 0 && i < n; i++)
		r = sq_write(c, &recovery_insert_sql,
			     SQ_PARAMS(SQ_INT(id), SQ_BLOB(hashes[i], MG_TOKEN_HASH_BYTES)), false);
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}

static const struct sq_sql recovery_use_sql = {
	"UPDATE recovery_codes SET used_ms = ?3"
	" WHERE user_id = ?1 AND code_hash = ?2 AND used_ms IS NULL"
};

int sq_recovery_code_use(struct mg_store *s, int64_t id,
			 const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms)
{
	const struct sq_param *params =
		SQ_PARAMS(SQ_INT(id), SQ_BLOB(hash, MG_TOKEN_HASH_BYTES), SQ_INT(now_ms));

	return sq_store_write(s, &recovery_use_sql, params, true);
}

static const struct sq_sql recovery_left_sql = {
	"SELECT (SELECT count(*) FROM recovery_codes WHERE user_id = ?1"
	" AND used_ms IS NULL) FROM users WHERE id = ?1"
};

/* MG_ERR_NOT_FOUND if there is no account id. */
int sq_recovery_codes_left(struct mg_store *s, int64_t id, unsigned *left_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	unsigned left;
	int r;

	*left_out = 0;
	if ((r = sq_query(c, &recovery_left_sql, SQ_PARAMS(SQ_INT(id)), &st)) == 0) {
		left = sq_column_unsigned(st, 0);
		if ((r = sq_finish(c, st)) == 0)
			*left_out = left;
	}
	sq_release(c);
	return r;
}
