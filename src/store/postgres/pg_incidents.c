/* Incidents on PostgreSQL: made from alerts, with a timeline of entries.
 * Linking an alert is one UPDATE that holds only while the alert is in no
 * incident, so two people (on two gateways) linking one alert to two
 * incidents at once cannot both succeed. */
#include "store/postgres/pg_internal.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

#define INCIDENT_COLUMNS \
	"id, title, severity, status, opened_by, opened_ms, updated_ms, closed_ms"

static const char insert_sql[] =
	"INSERT INTO incidents (title, severity, opened_by, opened_ms, updated_ms)"
	" VALUES ($1, $2, $3, $4, $4) RETURNING id";
static const char link_sql[] =
	"UPDATE alerts SET incident_id = $2 WHERE id = $1 AND incident_id = 0";
static const char alert_exists_sql[] = "SELECT 1 FROM alerts WHERE id = $1";
static const char entry_sql[] =
	"INSERT INTO incident_entries (incident_id, time_ms, user_id, kind, text)"
	" VALUES ($1, $2, $3, $4, $5)";
static const char touch_sql[] =
	"UPDATE incidents SET updated_ms = greatest(updated_ms, $2) WHERE id = $1";
static const char status_sql[] =
	"UPDATE incidents SET status = $2, updated_ms = greatest(updated_ms, $3),"
	" closed_ms = CASE WHEN $2 = 3 THEN $3 ELSE 0 END WHERE id = $1";
static const char get_sql[] = "SELECT " INCIDENT_COLUMNS " FROM incidents WHERE id = $1";
static const char list_sql[] =
	"SELECT " INCIDENT_COLUMNS " FROM incidents ORDER BY opened_ms DESC, id DESC";
static const char entries_sql[] =
	"SELECT id, incident_id, time_ms, user_id, kind, text FROM incident_entries"
	" WHERE incident_id = $1 ORDER BY time_ms, id";

/* Link alert_id to incident id, on c inside a transaction: MG_ERR_NOT_FOUND
 * for an unknown alert, MG_ERR_EXISTS for one in an incident already. */
static int link(struct pg_conn *c, int64_t id, int64_t alert_id)
{
	PGresult *res;
	int r = pg_write(c, link_sql, PG_PARAMS(PG_INT(alert_id), PG_INT(id)), true, NULL);

	if (r != MG_ERR_NOT_FOUND)
		return r;
	if ((r = pg_query(c, alert_exists_sql, PG_PARAMS(PG_INT(alert_id)), &res)) != 0)
		return r;
	PQclear(res);
	return MG_ERR_EXISTS;
}

static int entry_add(struct pg_conn *c, int64_t id, int64_t user_id, int64_t now_ms,
		     const char *kind, const char *text)
{
	int r;

	/* An unknown incident fails the foreign key: MG_ERR_NOT_FOUND. */
	if ((r = pg_write(c, entry_sql,
			  PG_PARAMS(PG_INT(id), PG_INT(now_ms), PG_INT(user_id), PG_TEXT(kind),
				    PG_TEXT(text)),
			  false, NULL)) != 0)
		return r;
	return pg_write(c, touch_sql, PG_PARAMS(PG_INT(id), PG_INT(now_ms)), true, NULL);
}

int pg_incident_create(struct mg_store *s, const char *title, enum mg_alert_severity severity,
		       int64_t user_id, int64_t now_ms, const int64_t *alert_ids, size_t nalerts,
		       int64_t *id_out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int64_t id = 0;
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	r = pg_query(c, insert_sql,
		     PG_PARAMS(PG_TEXT(title), PG_INT(severity), PG_INT(user_id), PG_INT(now_ms)),
		     &res);
	if (r == 0) {
		id = pg_col_int(res, 0, 0);
		PQclear(res);
	}
	for (size_t i = 0; r == 0 && i < nalerts; i++)
		r = link(c, id, alert_ids[i]);
	if (r == 0)
		r = entry_add(c, id, user_id, now_ms, "opened", title);
	if ((r = pg_end(c, r)) == 0)
		*id_out = id;
out:
	pg_release(c);
	return r;
}

static int incident_read(const PGresult *res, int i, struct mg_incident *inc)
{
	int64_t severity = pg_col_int(res, i, 2), status = pg_col_int(res, i, 3);

	memset(inc, 0, sizeof(*inc));
	inc->id = pg_col_int(res, i, 0);
	if (pg_col_text(res, i, 1, inc->title, sizeof(inc->title)) != 0 || severity < 0 ||
	    severity > MG_SEVERITY_CRITICAL || status < 0 || status > MG_INCIDENT_CLOSED)
		return MG_ERR_STORE;
	inc->severity = (enum mg_alert_severity)severity;
	inc->status = (enum mg_incident_status)status;
	inc->opened_by = pg_col_int(res, i, 4);
	inc->opened_ms = pg_col_int(res, i, 5);
	inc->updated_ms = pg_col_int(res, i, 6);
	inc->closed_ms = pg_col_int(res, i, 7);
	return 0;
}

int pg_incident_get(struct mg_store *s, int64_t id, struct mg_incident *out)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = pg_query(c, get_sql, PG_PARAMS(PG_INT(id)), &res)) == 0) {
		r = incident_read(res, 0, out);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_incident_list(struct mg_store *s, mg_incident_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_incident inc;
	PGresult *res;
	int r;

	if ((r = pg_run(c, list_sql, PG_NO_PARAMS, &res)) == 0) {
		for (int i = 0; r == 0 && i < PQntuples(res); i++)
			if ((r = incident_read(res, i, &inc)) == 0)
				r = cb(&inc, arg);
		PQclear(res);
	}
	pg_release(c);
	return r;
}

int pg_incident_link_alert(struct mg_store *s, int64_t id, int64_t alert_id, int64_t user_id,
			   int64_t now_ms)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	PGresult *res;
	char text[32];
	int r;

	snprintf(text, sizeof(text), "alert %lld", (long long)alert_id);
	if ((r = pg_begin(c)) != 0)
		goto out;
	if ((r = pg_query(c, get_sql, PG_PARAMS(PG_INT(id)), &res)) == 0) {
		PQclear(res);
		if ((r = link(c, id, alert_id)) == 0)
			r = entry_add(c, id, user_id, now_ms, "alert", text);
	}
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}

int pg_incident_set_status(struct mg_store *s, int64_t id, enum mg_incident_status st,
			   int64_t user_id, int64_t now_ms, const char *text)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r;

	if ((r = pg_begin(c)) != 0)
		goto out;
	if ((r = pg_write(c, status_sql, PG_PARAMS(PG_INT(id), PG_INT(st), PG_INT(now_ms)), true,
			  NULL)) == 0)
		r = entry_add(c, id, user_id, now_ms, "status", text);
	r = pg_end(c, r);
out:
	pg_release(c);
	return r;
}

int pg_incident_add_entry(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms,
			  const char *kind, const char *text)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	int r;

	if ((r = pg_begin(c)) == 0)
		r = pg_end(c, entry_add(c, id, user_id, now_ms, kind, text));
	pg_release(c);
	return r;
}

int pg_incident_entries(struct mg_store *s, int64_t id, mg_incident_entry_cb cb, void *arg)
{
	struct pg_conn *c = PG_ACQUIRE(s);
	struct mg_incident_entry e;
	PGresult *res;
	int r;

	if ((r = pg_run(c, entries_sql, PG_PARAMS(PG_INT(id)), &res)) == 0) {
		for (int i = 0; r == 0 && i < PQntuples(res); i++) {
			memset(&e, 0, sizeof(e));
			e.id = pg_col_int(res, i, 0);
			e.incident_id = pg_col_int(res, i, 1);
			e.time_ms = pg_col_int(res, i, 2);
			e.user_id = pg_col_int(res, i, 3);
			if (pg_col_text(res, i, 4, e.kind, sizeof(e.kind)) != 0 ||
			    pg_col_text(res, i, 5, e.text, sizeof(e.text)) != 0)
				r = MG_ERR_STORE;
			else
				r = cb(&e, arg);
		}
		PQclear(res);
	}
	pg_release(c);
	return r;
}
