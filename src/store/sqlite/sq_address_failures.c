/* Failed sign-ins per address on SQLite: a count in a window that starts
 * again once it has run out, kept in one upsert so concurrent failures
 * each count. */
#include "store/sqlite/sq_internal.h"

#include "common/err.h"

static const struct sq_sql address_prune_sql = {
	"DELETE FROM address_failures WHERE window_start_ms <= ?1 - ?2"
};

static const struct sq_sql address_failed_sql = {
	"INSERT INTO address_failures (address, failures, window_start_ms)"
	" VALUES (?1, 1, ?2) ON CONFLICT (address) DO UPDATE SET"
	" failures = CASE WHEN window_start_ms <= ?2 - ?3 THEN 1 ELSE failures + 1 END,"
	" window_start_ms = CASE WHEN window_start_ms <= ?2 - ?3 THEN ?2"
	" ELSE window_start_ms END"
	" RETURNING failures"
};

/* One upsert counts the failure or restarts the window. Windows that have
 * run out are dropped first: they count as nothing anyway, and without
 * that every address ever seen would stay. */
int sq_address_failed(struct mg_store *s, const char *address, int64_t now_ms, int64_t window_ms,
		      unsigned *count_out)
{
	struct sq_conn *c;
	sqlite3_stmt *st;
	unsigned count = 0;
	int r;

	c = SQ_ACQUIRE(s);
	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	r = sq_write(c, &address_prune_sql, SQ_PARAMS(SQ_INT(now_ms), SQ_INT(window_ms)), false);
	if (r == 0)
		r = sq_query(c, &address_failed_sql,
			     SQ_PARAMS(SQ_TEXT(address), SQ_INT(now_ms), SQ_INT(window_ms)), &st);
	if (r == 0) {
		count = sq_column_unsigned(st, 0);
		r = sq_finish(c, st);
	}
	if ((r = sq_end(c, r)) == 0)
		*count_out = count;
out:
	sq_release(c);
	return r;
}

static const struct sq_sql address_failures_sql = {
	"SELECT CASE WHEN window_start_ms <= ?2 - ?3 THEN 0 ELSE failures END"
	" FROM address_failures WHERE address = ?1"
};

/* 0 with *count_out 0 for an address without failures in the window. */
int sq_address_failures(struct mg_store *s, const char *address, int64_t now_ms, int64_t window_ms,
			unsigned *count_out)
{
	struct sq_conn *c;
	sqlite3_stmt *st;
	unsigned count = 0;
	int r;

	c = SQ_ACQUIRE(s);
	r = sq_query(c, &address_failures_sql,
		     SQ_PARAMS(SQ_TEXT(address), SQ_INT(now_ms), SQ_INT(window_ms)), &st);
	if (r == 0) {
		count = sq_column_unsigned(st, 0);
		if ((r = sq_finish(c, st)) == 0)
			*count_out = count;
	} else if (r == MG_ERR_NOT_FOUND) {
		r = 0;
	}
	sq_release(c);
	return r;
}
