/* Leases on named jobs on SQLite, so that of several processes on one
 * database file one runs a job at a time. */
#include "store/sqlite/sq_internal.h"

#include "common/err.h"

/* One upsert that only takes over a lease that has run out or is the
 * holder's own; no row changed means another holder has it. */
int sq_lease_acquire(struct mg_store *s, const char *name, const char *holder, int64_t now_ms,
		     int64_t ttl_ms)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r = sq_run_write(c,
			 "INSERT INTO leases (name, holder, until_ms) VALUES (?1, ?2, ?3 + ?4)"
			 " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
			 " until_ms = excluded.until_ms"
			 " WHERE leases.holder = excluded.holder OR leases.until_ms < ?3",
			 SQ_PARAMS(SQ_TEXT(name), SQ_TEXT(holder), SQ_INT(now_ms), SQ_INT(ttl_ms)),
			 true);
	sq_release(c);
	/* MG_ERR_BUSY means another holder, nothing else: a locked or
	 * failing database is a store error, never someone else's lease. */
	return r == MG_ERR_NOT_FOUND ? MG_ERR_BUSY : r == MG_ERR_BUSY ? MG_ERR_STORE : r;
}
