/* Advisories on PostgreSQL: the affected components of the last advisory
 * import, replaced whole in one transaction (docs/sbom.md). */
#include "store/postgres/pg_internal.h"

#include <string.h>

#include "common/err.h"

static const char advisory_insert_sql[] =
    "INSERT INTO advisories (advisory, package, source, installed, fixed, summary,"
    " imported_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)";
static const char advisory_list_sql[] =
    "SELECT advisory, package, source, installed, fixed, summary, imported_ms"
    " FROM advisories ORDER BY package, advisory LIMIT $1";

int pg_advisory_replace(struct mg_store *s, const struct mg_advisory_finding *rows, size_t n)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	r = pg_exec(c, "DELETE FROM advisories");
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct mg_advisory_finding *a = &rows[i];

		r = pg_write(c, advisory_insert_sql,
			     PG_PARAMS(PG_TEXT(a->id), PG_TEXT(a->package), PG_TEXT(a->source),
				       PG_TEXT(a->installed), PG_TEXT(a->fixed),
				       PG_TEXT(a->summary), PG_INT(a->imported_ms)),
			     false, NULL);
	}
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}

int pg_advisory_list(struct mg_store *s, mg_advisory_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_advisory_finding a;
	PGresult *res;
	int r = pg_run(c, advisory_list_sql, PG_PARAMS(PG_INT(MG_ADVISORY_FINDINGS_MAX)), &res);

	for (int i = 0; r == 0 && i < PQntuples(res); i++) {
		memset(&a, 0, sizeof(a));
		if (pg_col_text(res, i, 0, a.id, sizeof(a.id)) != 0 ||
		    pg_col_text(res, i, 1, a.package, sizeof(a.package)) != 0 ||
		    pg_col_text(res, i, 2, a.source, sizeof(a.source)) != 0 ||
		    pg_col_text(res, i, 3, a.installed, sizeof(a.installed)) != 0 ||
		    pg_col_text(res, i, 4, a.fixed, sizeof(a.fixed)) != 0 ||
		    pg_col_text(res, i, 5, a.summary, sizeof(a.summary)) != 0) {
			r = MG_ERR_STORE;
			break;
		}
		a.imported_ms = pg_col_int(res, i, 6);
		r = cb(&a, arg);
	}
	if (res != NULL)
		PQclear(res);
	pg_release(c);
	return r;
}
