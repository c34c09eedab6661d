/* Incidents on SQLite: made from alerts, with a timeline of entries.
 * Linking an alert reads and then writes, so it runs in one BEGIN
 * IMMEDIATE transaction: an alert is never linked to two incidents. */
#include "store/sqlite/sq_internal.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

static bool severity_ok(enum mg_alert_severity sev)
{
	return (unsigned)sev <= MG_SEVERITY_CRITICAL;
}

#define INCIDENT_COLUMNS \
	"id, title, severity, status, opened_by, opened_ms, updated_ms, closed_ms"

/* The caller's callback for a walk of rows (sq_run_each). */
struct walk {
	union {
		mg_alert_cb alert;
		mg_incident_cb incident;
		mg_incident_entry_cb entry;
	} cb;
	void *arg;
};

static int entry_add(struct sq_conn *c, int64_t id, int64_t user_id, int64_t now_ms,
		     const char *kind, const char *text)
{
	int r = sq_run_write(c,
			     "INSERT INTO incident_entries (incident_id, time_ms, user_id, kind,"
			     " text) VALUES (?1, ?2, ?3, ?4, ?5)",
			     SQ_PARAMS(SQ_INT(id), SQ_INT(now_ms), SQ_INT(user_id), SQ_TEXT(kind),
				       SQ_TEXT(text)),
			     false);

	if (r == 0)
		r = sq_run_write(c, "UPDATE incidents SET updated_ms = max(updated_ms, ?2) WHERE id = ?1",
				 SQ_PARAMS(SQ_INT(id), SQ_INT(now_ms)), true);
	return r;
}

/* Link inside the caller's transaction: the alert must exist and be in no
 * other incident. */
static int link_alert(struct sq_conn *c, int64_t id, int64_t alert_id)
{
	sqlite3_stmt *st;
	int64_t current;
	int r = sq_run(c, "SELECT incident_id FROM alerts WHERE id = ?1",
		       SQ_PARAMS(SQ_INT(alert_id)), &st);

	if (r != 0)
		return r;
	current = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (current == id)
		return 0;
	if (current != 0)
		return MG_ERR_EXISTS;
	return sq_run_write(c, "UPDATE alerts SET incident_id = ?2 WHERE id = ?1",
			    SQ_PARAMS(SQ_INT(alert_id), SQ_INT(id)), true);
}

int sq_incident_create(struct mg_store *s, const char *title, enum mg_alert_severity severity,
		       int64_t user_id, int64_t now_ms, const int64_t *alert_ids, size_t nalerts,
		       int64_t *id_out)
{
	struct sq_conn *c;
	sqlite3_stmt *st;
	int64_t id = 0;
	int r;

	c = SQ_ACQUIRE(s);
	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	r = sq_run(c,
		   "INSERT INTO incidents (title, severity, opened_by, opened_ms, updated_ms)"
		   " VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id",
		   SQ_PARAMS(SQ_TEXT(title), SQ_INT(severity), SQ_INT(user_id), SQ_INT(now_ms)),
		   &st);
	if (r == 0) {
		id = sqlite3_column_int64(st, 0);
		r = sq_step_done(c, st);
	}
	for (size_t i = 0; r == 0 && i < nalerts; i++)
		r = link_alert(c, id, alert_ids[i]);
	if (r == 0)
		r = entry_add(c, id, user_id, now_ms, "opened", title);
	if ((r = sq_end(c, r)) == 0)
		*id_out = id;
out:
	sq_release(c);
	return r;
}

static int incident_read(sqlite3_stmt *st, struct mg_incident *inc)
{
	int64_t status;

	memset(inc, 0, sizeof(*inc));
	inc->id = sqlite3_column_int64(st, 0);
	if (sq_copy_text(st, 1, inc->title, sizeof(inc->title)) != 0)
		return MG_ERR_STORE;
	inc->severity = (enum mg_alert_severity)sq_column_unsigned(st, 2);
	status = sqlite3_column_int64(st, 3);
	inc->opened_by = sqlite3_column_int64(st, 4);
	inc->opened_ms = sqlite3_column_int64(st, 5);
	inc->updated_ms = sqlite3_column_int64(st, 6);
	inc->closed_ms = sqlite3_column_int64(st, 7);
	if (!severity_ok(inc->severity) || status < 0 || status > MG_INCIDENT_CLOSED)
		return MG_ERR_STORE;
	inc->status = (enum mg_incident_status)status;
	return 0;
}

int sq_incident_get(struct mg_store *s, int64_t id, struct mg_incident *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r = sq_run(c, "SELECT " INCIDENT_COLUMNS " FROM incidents WHERE id = ?1",
		       SQ_PARAMS(SQ_INT(id)), &st);

	if (r == 0) {
		r = incident_read(st, out);
		sqlite3_finalize(st);
	}
	sq_release(c);
	return r;
}

static int incident_row(sqlite3_stmt *st, void *arg)
{
	struct walk *w = arg;
	struct mg_incident inc;
	int r = incident_read(st, &inc);

	return r != 0 ? r : w->cb.incident(&inc, w->arg);
}

int sq_incident_list(struct mg_store *s, mg_incident_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct walk w = { .cb.incident = cb, .arg = arg };
	int r = sq_run_each(c, "SELECT " INCIDENT_COLUMNS " FROM incidents ORDER BY id DESC",
			    SQ_NO_PARAMS, incident_row, &w);

	sq_release(c);
	return r;
}

int sq_incident_link_alert(struct mg_store *s, int64_t id, int64_t alert_id, int64_t user_id,
			   int64_t now_ms)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	char text[32];
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	r = sq_run(c, "SELECT 1 FROM incidents WHERE id = ?1", SQ_PARAMS(SQ_INT(id)), &st);
	if (r == 0) {
		sqlite3_finalize(st);
		r = link_alert(c, id, alert_id);
	}
	snprintf(text, sizeof(text), "alert %lld", (long long)alert_id);
	if (r == 0)
		r = entry_add(c, id, user_id, now_ms, "alert", text);
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}

int sq_incident_set_status(struct mg_store *s, int64_t id, enum mg_incident_status st,
			   int64_t user_id, int64_t now_ms, const char *text)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	r = sq_run_write(c,
			 "UPDATE incidents SET status = ?2,"
			 " closed_ms = CASE WHEN ?2 = 3 THEN ?3 ELSE 0 END WHERE id = ?1",
			 SQ_PARAMS(SQ_INT(id), SQ_INT(st), SQ_INT(now_ms)), true);
	if (r == 0)
		r = entry_add(c, id, user_id, now_ms, "status", text);
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}

int sq_incident_add_entry(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms,
			  const char *kind, const char *text)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	/* The entry's foreign key fails for an unknown incident. */
	r = entry_add(c, id, user_id, now_ms, kind, text);
	r = sq_end(c, r);
out:
	sq_release(c);
	return r;
}

static int entry_row(sqlite3_stmt *st, void *arg)
{
	struct walk *w = arg;
	struct mg_incident_entry e;

	memset(&e, 0, sizeof(e));
	e.id = sqlite3_column_int64(st, 0);
	e.incident_id = sqlite3_column_int64(st, 1);
	e.time_ms = sqlite3_column_int64(st, 2);
	e.user_id = sqlite3_column_int64(st, 3);
	if (sq_copy_text(st, 4, e.kind, sizeof(e.kind)) != 0 ||
	    sq_copy_text(st, 5, e.text, sizeof(e.text)) != 0)
		return MG_ERR_STORE;
	return w->cb.entry(&e, w->arg);
}

int sq_incident_entries(struct mg_store *s, int64_t id, mg_incident_entry_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	struct walk w = { .cb.entry = cb, .arg = arg };
	int r = sq_run_each(c,
			    "SELECT id, incident_id, time_ms, user_id, kind, text FROM incident_entries"
			    " WHERE incident_id = ?1 ORDER BY time_ms, id",
			    SQ_PARAMS(SQ_INT(id)), entry_row, &w);

	sq_release(c);
	return r;
}
