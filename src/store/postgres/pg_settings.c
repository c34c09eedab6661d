/* Run-time settings on PostgreSQL: named text values (the TOTP roles,
 * the detector's and the audit exporter's positions, the instance id). */
#include "store/postgres/pg_internal.h"

#include <string.h>

#include "common/err.h"

static const char setting_get_sql[] = "SELECT value FROM settings WHERE name = $1";
static const char setting_set_sql[] =
	"INSERT INTO settings (name, value) VALUES ($1, $2)"
	" ON CONFLICT (name) DO UPDATE SET value = excluded.value";

int pg_setting_get(struct mg_store *s, const char *name, char *value, size_t valuelen)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	if ((r = pg_query(c, setting_get_sql, PG_PARAMS(PG_TEXT(name)), &res)) == 0) {
		if ((size_t)PQgetlength(res, 0, 0) >= valuelen)
			r = MG_ERR_LIMIT;
		else
			r = pg_col_text(res, 0, 0, value, valuelen);
		PQclear(res);
		if (r != 0)
			value[0] = '\0';
	}
	pg_release(c);
	return r;
}

int pg_setting_set(struct mg_store *s, const char *name, const char *value)
{
	return pg_store_write(s, setting_set_sql, PG_PARAMS(PG_TEXT(name), PG_TEXT(value)), false);
}
