/* Failed sign-ins per address on PostgreSQL: a count in a window that
 * starts again once it has run out, kept in one upsert so concurrent
 * failures on any gateway each count. */
#include "store/postgres/pg_internal.h"

#include "common/err.h"

static const char address_prune_sql[] =
	"DELETE FROM address_failures WHERE window_start_ms <= $1 - $2";
static const char address_failed_sql[] =
	"INSERT INTO address_failures AS a (address, failures, window_start_ms)"
	" VALUES ($1, 1, $2) ON CONFLICT (address) DO UPDATE SET"
	" failures = CASE WHEN a.window_start_ms <= $2 - $3 THEN 1 ELSE a.failures + 1 END,"
	" window_start_ms = CASE WHEN a.window_start_ms <= $2 - $3 THEN $2"
	" ELSE a.window_start_ms END"
	" RETURNING failures";
static const char address_failures_sql[] =
	"SELECT CASE WHEN window_start_ms <= $2 - $3 THEN 0 ELSE failures END"
	" FROM address_failures WHERE address = $1";

int pg_address_failed(struct mg_store *s, const char *address, int64_t now_ms, int64_t window_ms,
		      unsigned *count_out)
{
	struct pg_conn *c;
	PGresult *res;
	unsigned count = 0;
	int r;

	c = PG_ACQUIRE(s);
	if ((r = pg_begin(c)) != 0)
		goto out;
	r = pg_write(c, address_prune_sql, PG_PARAMS(PG_INT(now_ms), PG_INT(window_ms)), false,
		     NULL);
	if (r == 0 && (r = pg_query(c, address_failed_sql,
				    PG_PARAMS(PG_TEXT(address), PG_INT(now_ms), PG_INT(window_ms)),
				    &res)) == 0) {
		count = pg_col_unsigned(res, 0, 0);
		PQclear(res);
	}
	if ((r = pg_end(c, r)) == 0)
		*count_out = count;
out:
	pg_release(c);
	return r;
}

int pg_address_failures(struct mg_store *s, const char *address, int64_t now_ms, int64_t window_ms,
			unsigned *count_out)
{
	struct pg_conn *c;
	PGresult *res;
	int r;

	c = PG_ACQUIRE(s);
	r = pg_query(c, address_failures_sql,
		     PG_PARAMS(PG_TEXT(address), PG_INT(now_ms), PG_INT(window_ms)), &res);
	if (r == 0) {
		*count_out = pg_col_unsigned(res, 0, 0);
		PQclear(res);
	} else if (r == MG_ERR_NOT_FOUND) {
		r = 0;
	}
	pg_release(c);
	return r;
}
