/* Leases on named jobs on PostgreSQL, so that of several gateways on
 * one database one runs a job at a time: one upsert that only takes over
 * a lease that has run out or is the holder's own. */
#include "store/postgres/pg_internal.h"

#include "common/err.h"

static const char lease_sql[] =
	"INSERT INTO leases AS l (name, holder, until_ms) VALUES ($1, $2, $3 + $4)"
	" ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms"
	" WHERE l.holder = excluded.holder OR l.until_ms < $3";

int pg_lease_acquire(struct mg_store *s, const char *name, const char *holder, int64_t now_ms,
		     int64_t ttl_ms)
{
	int r = pg_store_write(s, lease_sql,
			   PG_PARAMS(PG_TEXT(name), PG_TEXT(holder), PG_INT(now_ms), PG_INT(ttl_ms)),
			   true);
	/* No row written: another holder's lease runs. A serialisation
	 * failure or lock timeout is a store error, never another's lease. */
	return r == MG_ERR_NOT_FOUND ? MG_ERR_BUSY : r == MG_ERR_BUSY ? MG_ERR_STORE : r;
}
