/* Alerts on SQLite, raised by the detection rules and grouped by kind and
 * subject. Grouping reads and then writes, so it runs in one BEGIN
 * IMMEDIATE transaction: two gateways raising the same alert at once make
 * one alert counted twice, never two. Incidents: sq_incidents.c. */
#include "store/sqlite/sq_internal.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

#define ALERT_COLUMNS \
	"id, kind, severity, subject, summary, tenant_id, first_ms, last_ms, count, state," \
	" acknowledged_by, acknowledged_ms, incident_id, caused_by"

static bool severity_ok(enum mg_alert_severity sev)
{
	return (unsigned)sev <= MG_SEVERITY_CRITICAL;
}

static int alert_read(sqlite3_stmt *st, struct mg_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	if (sq_copy_text(st, 1, a->kind, sizeof(a->kind)) != 0 ||
	    sq_copy_text(st, 3, a->subject, sizeof(a->subject)) != 0 ||
	    sq_copy_text(st, 4, a->summary, sizeof(a->summary)) != 0)
		return MG_ERR_STORE;
	a->severity = (enum mg_alert_severity)sq_column_unsigned(st, 2);
	a->tenant_id = sqlite3_column_int64(st, 5);
	a->first_ms = sqlite3_column_int64(st, 6);
	a->last_ms = sqlite3_column_int64(st, 7);
	a->count = sqlite3_column_int64(st, 8);
	a->state = sqlite3_column_int64(st, 9) == 0 ? MG_ALERT_OPEN : MG_ALERT_ACKNOWLEDGED;
	a->acknowledged_by = sqlite3_column_int64(st, 10);
	a->acknowledged_ms = sqlite3_column_int64(st, 11);
	a->incident_id = sqlite3_column_int64(st, 12);
	a->caused_by = sqlite3_column_int64(st, 13);
	return severity_ok(a->severity) ? 0 : MG_ERR_STORE;
}

int sq_alert_raise(struct mg_store *s, const struct mg_alert *a, int64_t group_since_ms,
		   int64_t *id_out, int64_t *count_out)
{
	struct sq_conn *c;
	sqlite3_stmt *st;
	int r;

	c = SQ_ACQUIRE(s);
	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	r = sq_run(c,
		   "UPDATE alerts SET count = count + 1, last_ms = max(last_ms, ?3),"
		   " summary = ?4, severity = max(severity, ?5)"
		   " WHERE id = (SELECT id FROM alerts WHERE kind = ?1 AND subject = ?2"
		   "  AND caused_by = ?7 AND state = 0 AND last_ms >= ?6"
		   "  ORDER BY last_ms DESC LIMIT 1)"
		   " RETURNING id, count",
		   SQ_PARAMS(SQ_TEXT(a->kind), SQ_TEXT(a->subject), SQ_INT(a->last_ms),
			     SQ_TEXT(a->summary), SQ_INT(a->severity), SQ_INT(group_since_ms),
			     SQ_INT(a->caused_by)),
		   &st);
	if (r == MG_ERR_NOT_FOUND)
		r = sq_run(c,
			   "INSERT INTO alerts (kind, severity, subject, summary, tenant_id,"
			   " first_ms, last_ms, count, caused_by)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1, ?7) RETURNING id, count",
			   SQ_PARAMS(SQ_TEXT(a->kind), SQ_INT(a->severity), SQ_TEXT(a->subject),
				     SQ_TEXT(a->summary), SQ_INT(a->tenant_id), SQ_INT(a->last_ms),
				     SQ_INT(a->caused_by)),
			   &st);
	if (r == 0) {
		*id_out = sqlite3_column_int64(st, 0);
		*count_out = sqlite3_column_int64(st, 1);
		r = sq_step_done(c, st);
	}
	r = sq_end(c, r);
out:
	sq_release(c);
	if (r != 0)
		*id_out = *count_out = 0;
	return r;
}

int sq_alert_get(struct mg_store *s, int64_t id, struct mg_alert *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r = sq_run(c, "SELECT " ALERT_COLUMNS " FROM alerts WHERE id = ?1",
		       SQ_PARAMS(SQ_INT(id)), &st);

	if (r == 0) {
		r = alert_read(st, out);
		sqlite3_finalize(st);
	}
	sq_release(c);
	return r;
}

/* The caller's callback for a walk of rows (sq_run_each). */
struct walk {
	union {
		mg_alert_cb alert;
		mg_incident_cb incident;
		mg_incident_entry_cb entry;
	} cb;
	void *arg;
};

static int alert_row(sqlite3_stmt *st, void *arg)
{
	struct walk *w = arg;
	struct mg_alert a;
	int r = alert_read(st, &a);

	return r != 0 ? r : w->cb.alert(&a, w->arg);
}

int sq_alert_list(struct mg_store *s, const struct mg_alert_filter *f, mg_alert_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct walk w = { .cb.alert = cb, .arg = arg };
	int r = sq_run_each(c,
			    "SELECT " ALERT_COLUMNS " FROM alerts WHERE (?1 < 0 OR state = ?1)"
			    " AND last_ms >= ?2 AND (?3 = 0 OR incident_id = ?3)"
			    " ORDER BY last_ms DESC, id DESC LIMIT ?4",
			    SQ_PARAMS(SQ_INT(f->state), SQ_INT(f->since_ms), SQ_INT(f->incident_id),
				      SQ_INT(f->limit == 0 ? -1 : (int64_t)f->limit)),
			    alert_row, &w);

	sq_release(c);
	return r;
}

int sq_alert_acknowledge(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r = sq_run_write(c,
			     "UPDATE alerts SET state = 1, acknowledged_by = ?2,"
			     " acknowledged_ms = ?3 WHERE id = ?1 AND state = 0",
			     SQ_PARAMS(SQ_INT(id), SQ_INT(user_id), SQ_INT(now_ms)), true);

	if (r == MG_ERR_NOT_FOUND &&
	    (r = sq_run(c, "SELECT 1 FROM alerts WHERE id = ?1", SQ_PARAMS(SQ_INT(id)), &st)) ==
		    0)
		sqlite3_finalize(st);	/* acknowledged before: nothing to do */
	sq_release(c);
	return r;
}
