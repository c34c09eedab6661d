/* Figures for /metrics and the health page on PostgreSQL: counts only,
 * each over an index or a small table, no patient data. */
#include "store/postgres/pg_internal.h"

#include "common/err.h"

static const char figures_sql[] =
    "SELECT (SELECT count(*) FROM devices WHERE status = 'active'),"
    " (SELECT count(*) FROM devices WHERE status = 'blocked'),"
    " (SELECT count(*) FROM devices WHERE status = 'revoked'),"
    " (SELECT count(*) FROM devices WHERE status = 'active' AND cert_not_after_ms < $2),"
    " (SELECT count(*) FROM alerts WHERE state = 0 AND severity = 0),"
    " (SELECT count(*) FROM alerts WHERE state = 0 AND severity = 1),"
    " (SELECT count(*) FROM alerts WHERE state = 0 AND severity = 2),"
    " (SELECT count(*) FROM alerts WHERE state = 0 AND severity = 3),"
    " (SELECT count(*) FROM sessions WHERE expires_ms > $1),"
    " (SELECT coalesce(max(seq), 0) FROM audit_log)";

int pg_figures(struct mg_store *s, int64_t now_ms, int64_t certs_before_ms,
	       struct mg_store_figures *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	if ((r = pg_query(c, figures_sql, PG_PARAMS(PG_INT(now_ms), PG_INT(certs_before_ms)),
			  &res)) == 0) {
		for (int i = 0; i < 3; i++)
			out->devices[i] = pg_col_int(res, 0, i);
		out->device_certs_expiring = pg_col_int(res, 0, 3);
		for (int i = 0; i < 4; i++)
			out->alerts_open[i] = pg_col_int(res, 0, 4 + i);
		out->sessions_active = pg_col_int(res, 0, 8);
		out->audit_head_seq = pg_col_int(res, 0, 9);
		PQclear(res);
	}
	pg_release(c);
	return r;
}
