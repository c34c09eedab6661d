/* The second factor on SQLite: a TOTP secret (sealed by the caller) per
 * account, pending until its first code, and single-use recovery codes
 * stored as keyed hashes. Whatever must happen once is one UPDATE whose
 * WHERE clause still holds only for the first caller. */
#include "store/sqlite/sqlite_internal.h"

#include "common/err.h"

int sq_totp_set_pending(struct mg_store *s, int64_t id, const unsigned char *sealed,
			       size_t len)
{
	return sq_store_write(s, STMT_TOTP_SET_PENDING, SQ_PARAMS(SQ_INT(id), SQ_BLOB(sealed, len)),
			      true);
}

/* MG_ERR_NOT_FOUND if no account id or nothing pending (also for the
 * second of two concurrent activations). */
int sq_totp_activate(struct mg_store *s, int64_t id, int64_t step)
{
	return sq_store_write(s, STMT_TOTP_ACTIVATE, SQ_PARAMS(SQ_INT(id), SQ_INT(step)), true);
}

int sq_totp_clear(struct mg_store *s, int64_t id)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) == 0) {
		if ((r = sq_write(c, STMT_TOTP_CLEAR, SQ_PARAMS(SQ_INT(id)), true)) == 0)
			r = sq_write(c, STMT_RECOVERY_CLEAR, SQ_PARAMS(SQ_INT(id)), false);
		r = sq_end(c, r);
	}
	sq_release(c);
	return r;
}

int sq_totp_use_step(struct mg_store *s, int64_t id, int64_t step)
{
	int r = sq_store_write(s, STMT_TOTP_USE_STEP, SQ_PARAMS(SQ_INT(id), SQ_INT(step)), true);

	/* No row changed: the step was used already (or an earlier one was
	 * accepted after it), or there is no such account. */
	return r == MG_ERR_NOT_FOUND ? MG_ERR_DENIED : r;
}

int sq_recovery_codes_set(struct mg_store *s, int64_t id,
				 const unsigned char (*hashes)[MG_TOKEN_HASH_BYTES], size_t n)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if ((r = sq_query(c, STMT_USER_EXISTS, SQ_PARAMS(SQ_INT(id)), &st)) == 0)
		r = sq_finish(c, st);
	if (r == 0)
		r = sq_write(c, STMT_RECOVERY_CLEAR, SQ_PARAMS(SQ_INT(id)), false);
	/* Two equal hashes in one set fail the primary key: MG_ERR_EXISTS. */
	for (size_t i = 0; r == 0 && i < n; i++)
		r = sq_write(c, STMT_RECOVERY_INSERT,
			     SQ_PARAMS(SQ_INT(id), SQ_BLOB(hashes[i], MG_TOKEN_HASH_BYTES)), false);
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}

int sq_recovery_code_use(struct mg_store *s, int64_t id,
				const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms)
{
	const struct sq_param *params =
		SQ_PARAMS(SQ_INT(id), SQ_BLOB(hash, MG_TOKEN_HASH_BYTES), SQ_INT(now_ms));

	return sq_store_write(s, STMT_RECOVERY_USE, params, true);
}

/* MG_ERR_NOT_FOUND if there is no account id. */
int sq_recovery_codes_left(struct mg_store *s, int64_t id, unsigned *left_out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	unsigned left;
	int r;

	*left_out = 0;
	if ((r = sq_query(c, STMT_RECOVERY_LEFT, SQ_PARAMS(SQ_INT(id)), &st)) == 0) {
		left = sq_column_unsigned(st, 0);
		if ((r = sq_finish(c, st)) == 0)
			*left_out = left;
	}
	sq_release(c);
	return r;
}
