/* Advisories on SQLite: the affected components of the last advisory
 * import, replaced whole in one transaction (docs/sbom.md). */
#include "store/sqlite/sq_internal.h"

#include <string.h>

#include "common/err.h"

static const struct sq_sql advisory_insert_sql = {
    "INSERT INTO advisories (advisory, package, source, installed, fixed, summary,"
    " imported_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"};

int sq_advisory_replace(struct mg_store *s, const struct mg_advisory_finding *rows, size_t n)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	r = sq_exec(c, "DELETE FROM advisories");
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct mg_advisory_finding *a = &rows[i];

		r = sq_write(c, &advisory_insert_sql,
			     SQ_PARAMS(SQ_TEXT(a->id), SQ_TEXT(a->package), SQ_TEXT(a->source),
				       SQ_TEXT(a->installed), SQ_TEXT(a->fixed),
				       SQ_TEXT(a->summary), SQ_INT(a->imported_ms)),
			     false);
	}
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}

static int advisory_row(sqlite3_stmt *st, void *arg)
{
	struct {
		mg_advisory_cb cb;
		void *arg;
	} *w = arg;
	struct mg_advisory_finding a;

	memset(&a, 0, sizeof(a));
	if (sq_copy_text(st, 0, a.id, sizeof(a.id)) != 0 ||
	    sq_copy_text(st, 1, a.package, sizeof(a.package)) != 0 ||
	    sq_copy_text(st, 2, a.source, sizeof(a.source)) != 0 ||
	    sq_copy_text(st, 3, a.installed, sizeof(a.installed)) != 0 ||
	    sq_copy_text(st, 4, a.fixed, sizeof(a.fixed)) != 0 ||
	    sq_copy_text(st, 5, a.summary, sizeof(a.summary)) != 0)
		return MG_ERR_STORE;
	a.imported_ms = sqlite3_column_int64(st, 6);
	return w->cb(&a, w->arg);
}

int sq_advisory_list(struct mg_store *s, mg_advisory_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct {
		mg_advisory_cb cb;
		void *arg;
	} w = {cb, arg};
	int r =
	    sq_run_each(c,
			"SELECT advisory, package, source, installed, fixed, summary, imported_ms"
			" FROM advisories ORDER BY package, advisory LIMIT ?1",
			SQ_PARAMS(SQ_INT(MG_ADVISORY_FINDINGS_MAX)), advisory_row, &w);

	sq_release(c);
	return r;
}
