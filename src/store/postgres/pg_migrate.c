/* Schema migrations on PostgreSQL: the files of migrations/ compiled in,
 * applied in version order in one transaction that also records them in
 * schema_migrations (PostgreSQL's DDL is transactional: a failed step
 * leaves the schema as it was). Two gateways starting at once on an empty
 * database must not both apply 0001: a transaction-scoped advisory lock
 * makes the second wait and then find everything done. */
#include "store/postgres/pg_internal.h"

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "store/migration.h"

/* Any constant that no other user of the database takes: "mgmigrat". */
#define MIGRATION_LOCK "7166436455346794868"

static int schema_version(struct pg_conn *c, int *version)
{
	static const char sql[] = "SELECT coalesce(max(version), 0) FROM schema_migrations";
	PGresult *res;
	int r;

	if ((r = pg_query(c, sql, PG_NO_PARAMS, &res)) != 0)
		return r;
	*version = (int)pg_col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

int pg_migrate(struct mg_store *base, int *version_out)
{
	static const char insert_sql[] =
		"INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)";
	struct pg_conn *c = PG_ACQUIRE(base);
	int version = 0, r;

	*version_out = 0;
	if ((r = pg_begin(c)) != 0)
		goto out;
	if ((r = pg_exec(c, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")")) != 0 ||
	    (r = pg_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
			    " applied_ms BIGINT NOT NULL)")) != 0 ||
	    (r = schema_version(c, &version)) != 0)
		goto end;
	if (mg_postgres_migrations_count > 0 &&
	    version > mg_postgres_migrations[mg_postgres_migrations_count - 1].version) {
		mg_log_error("postgresql: the schema is at version %d, newer than this medgate"
			     " knows", version);
		r = MG_ERR_STORE;
		goto end;
	}
	for (unsigned i = 0; r == 0 && i < mg_postgres_migrations_count; i++) {
		const struct mg_migration *m = &mg_postgres_migrations[i];

		if (m->version <= version)
			continue;
		if ((r = pg_exec(c, m->sql)) == 0)
			r = pg_write(c, insert_sql,
				     PG_PARAMS(PG_INT(m->version), PG_TEXT(m->name),
					       PG_INT(mg_now_ms())),
				     false, NULL);
		if (r != 0)
			mg_log_error("postgresql: migration %s failed", m->name);
		else
			version = m->version;
	}
end:
	if ((r = pg_end(c, r)) == 0)
		*version_out = version;
out:
	pg_release(c);
	return r;
}
