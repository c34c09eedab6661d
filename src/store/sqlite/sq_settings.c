/* Run-time settings on SQLite: named text values (the TOTP roles, the
 * detector's and the audit exporter's positions, the instance id). */
#include "store/sqlite/sq_internal.h"

#include "common/err.h"

static const struct sq_sql setting_get_sql = {
	"SELECT value FROM settings WHERE name = ?1"
};

/* MG_ERR_LIMIT if the value does not fit valuelen (value is then ""). */
int sq_setting_get(struct mg_store *s, const char *name, char *value, size_t valuelen)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r, rf;

	if ((r = sq_query(c, &setting_get_sql, SQ_PARAMS(SQ_TEXT(name)), &st)) == 0) {
		r = sq_copy_text(st, 0, value, valuelen);
		if ((rf = sq_finish(c, st)) != 0 && r == 0)
			r = rf;
		if (r != 0)
			value[0] = '\0';
	}
	sq_release(c);
	return r;
}

static const struct sq_sql setting_set_sql = {
	"INSERT INTO settings (name, value) VALUES (?1, ?2)"
	" ON CONFLICT (name) DO UPDATE SET value = excluded.value"
};

int sq_setting_set(struct mg_store *s, const char *name, const char *value)
{
	return sq_store_write(s, &setting_set_sql, SQ_PARAMS(SQ_TEXT(name), SQ_TEXT(value)), false);
}
