/* Schema migrations on SQLite: the numbered files of migrations/,
 * compiled in, applied in order inside one write transaction and recorded
 * in schema_migrations. A database newer than the binary is refused. */
#include "store/sqlite/sq_internal.h"

#include "common/err.h"
#include "common/timefmt.h"
#include "store/migration.h"

static int schema_version(struct sq_conn *c, int *version)
{
	sqlite3_stmt *st = NULL;
	int r = MG_ERR_STORE;

	if (sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
			       -1, &st, NULL) != SQLITE_OK)
		return MG_ERR_STORE;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

int sq_migrate(struct mg_store *base, int *version_out)
{
	struct sq_store *s = (struct sq_store *)base;
	struct sq_conn *c = sq_acquire(s);
	sqlite3_stmt *st = NULL;
	int version = 0, r;

	*version_out = 0;
	if ((r = sq_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
			    " applied_ms INTEGER NOT NULL)")) != 0 ||
	    (r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if ((r = schema_version(c, &version)) != 0)
		goto rollback;
	if (mg_sqlite_migrations_count > 0 &&
	    version > mg_sqlite_migrations[mg_sqlite_migrations_count - 1].version) {
		r = MG_ERR_STORE;	/* made by a newer medgate */
		goto rollback;
	}
	for (unsigned i = 0; i < mg_sqlite_migrations_count; i++) {
		const struct mg_migration *m = &mg_sqlite_migrations[i];

		if (m->version <= version)
			continue;
		if ((r = sq_exec(c, m->sql)) != 0)
			goto rollback;
		if (sqlite3_prepare_v2(c->db, "INSERT INTO schema_migrations VALUES (?, ?, ?)",
				       -1, &st, NULL) != SQLITE_OK) {
			r = MG_ERR_STORE;
			goto rollback;
		}
		sqlite3_bind_int(st, 1, m->version);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, mg_now_ms());
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : MG_ERR_STORE;
		sqlite3_finalize(st);
		if (r != 0)
			goto rollback;
		version = m->version;
	}
	if ((r = sq_exec(c, "COMMIT")) != 0)
		goto rollback;
	*version_out = version;
	goto out;
rollback:
	sq_exec(c, "ROLLBACK");
out:
	sq_release(c);
	return r;
}
