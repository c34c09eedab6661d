/* Figures for /metrics and the health page on SQLite: counts only, each
 * over an index or a small table, no patient data. */
#include "store/sqlite/sq_internal.h"

#include "common/err.h"

static const struct sq_sql figures_sql = {
    "SELECT (SELECT count(*) FROM devices WHERE status = 'active'),"
    " (SELECT count(*) FROM devices WHERE status = 'blocked'),"
    " (SELECT count(*) FROM devices WHERE status = 'revoked'),"
    " (SELECT count(*) FROM devices WHERE status = 'active' AND cert_not_after_ms < ?2),"
    " (SELECT count(*) FROM alerts WHERE state = 0 AND severity = 0),"
    " (SELECT count(*) FROM alerts WHERE state = 0 AND severity = 1),"
    " (SELECT count(*) FROM alerts WHERE state = 0 AND severity = 2),"
    " (SELECT count(*) FROM alerts WHERE state = 0 AND severity = 3),"
    " (SELECT count(*) FROM sessions WHERE expires_ms > ?1),"
    " (SELECT coalesce(max(seq), 0) FROM audit_log)"};

int sq_figures(struct mg_store *s, int64_t now_ms, int64_t certs_before_ms,
	       struct mg_store_figures *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	if ((r = sq_query(c, &figures_sql, SQ_PARAMS(SQ_INT(now_ms), SQ_INT(certs_before_ms)),
			  &st)) == 0) {
		for (int i = 0; i < 3; i++)
			out->devices[i] = sqlite3_column_int64(st, i);
		out->device_certs_expiring = sqlite3_column_int64(st, 3);
		for (int i = 0; i < 4; i++)
			out->alerts_open[i] = sqlite3_column_int64(st, 4 + i);
		out->sessions_active = sqlite3_column_int64(st, 8);
		out->audit_head_seq = sqlite3_column_int64(st, 9);
		r = sq_finish(c, st);
	}
	sq_release(c);
	return r;
}
