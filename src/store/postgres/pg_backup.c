/* Backups on PostgreSQL: pg_dump of the whole database in one snapshot
 * (its custom format, for pg_restore), and a check that reads every
 * table whole. */
#include "store/postgres/pg_internal.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/run.h"

int pg_snapshot(struct mg_store *base, const char *path, mg_store_progress_fn progress,
		void *arg, char *err, size_t errlen)
{
	struct pg_store *s = (struct pg_store *)base;
	/* pg_dump reads everything in one repeatable-read transaction: the
	 * dump is one moment of the database while the gateway writes on. */
	const char *const argv[] = {
		"pg_dump", "--format=custom", "--compress=0", "--no-owner", "--no-privileges",
		"--file", path,
		"--dbname", s->conninfo, NULL,
	};
	int r;

	if (progress != NULL)
		progress(arg, 0, 1);
	if ((r = mg_run(argv, err, errlen)) != 0) {
		remove(path);
		return r;
	}
	if (progress != NULL)
		progress(arg, 1, 1);
	return 0;
}

/* Every base table of the schema read to its end: a damaged page or a
 * row the database cannot decode fails the query. */
static const char integrity_sql[] =
	"SELECT count(*) FROM information_schema.tables t,"
	" LATERAL query_to_xml(format('SELECT count(*) AS n FROM %I.%I', t.table_schema,"
	" t.table_name), false, true, '') AS x"
	" WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE'";

int pg_integrity_check(struct mg_store *s, char *problem, size_t problemlen)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	if ((r = pg_query(c, integrity_sql, PG_NO_PARAMS, &res)) == 0) {
		if (pg_col_int(res, 0, 0) <= 0) {
			snprintf(problem, problemlen, "no tables");
			r = MG_ERR_STORE;
		}
		PQclear(res);
	} else {
		snprintf(problem, problemlen, "a table cannot be read whole");
	}
	pg_release(c);
	return r;
}
