/* Devices on SQLite: enrolment (token used and device made in one
 * transaction), look-ups, status, firmware, moving to another tenant and
 * the list. */
#include "store/sqlite/sq_internal.h"

#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"

static const struct sq_sql token_use_sql = {
	"UPDATE enrol_tokens SET used_ms = ?1"
	" WHERE id = ?2 AND used_ms IS NULL AND expires_ms > ?1"
};

static const struct sq_sql device_insert_sql = {
	"INSERT INTO devices (tenant_id, name, cert_fingerprint, cert_serial,"
	" cert_not_after_ms, status, created_ms, model) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)"
};

int sq_device_enrol(struct mg_store *s, int64_t token_id, int64_t now_ms, struct mg_device *d)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st;
	int r;

	if ((r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if ((st = sq_stmt(c, &token_use_sql)) == NULL) {
		r = MG_ERR_STORE;
		goto rollback;
	}
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, token_id);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_step_error(c);
	if (r == 0 && sqlite3_changes(c->db) != 1)
		r = MG_ERR_NOT_FOUND;	/* used meanwhile, or expired */
	sq_done(st);
	if (r != 0)
		goto rollback;
	if ((st = sq_stmt(c, &device_insert_sql)) == NULL) {
		r = MG_ERR_STORE;
		goto rollback;
	}
	sqlite3_bind_int64(st, 1, d->tenant_id);
	sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->cert_fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->cert_serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, d->cert_not_after_ms);
	sqlite3_bind_int64(st, 6, now_ms);
	sqlite3_bind_text(st, 7, d->model, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_step_error(c);
	d->id = sqlite3_last_insert_rowid(c->db);
	sq_done(st);
	if (r == 0 && (r = sq_exec(c, "COMMIT")) == 0) {
		d->status = MG_DEVICE_ACTIVE;
		d->created_ms = now_ms;
		goto out;
	}
rollback:
	sq_exec(c, "ROLLBACK");
out:
	sq_release(c);
	return r;
}

static int device_read(sqlite3_stmt *st, struct mg_device *d)
{
	char status[16];

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(st, 0);
	d->tenant_id = sqlite3_column_int64(st, 1);
	if (sq_copy_text(st, 2, d->name, sizeof(d->name)) != 0 ||
	    sq_copy_text(st, 3, d->cert_fingerprint, sizeof(d->cert_fingerprint)) != 0 ||
	    sq_copy_text(st, 4, d->cert_serial, sizeof(d->cert_serial)) != 0 ||
	    sq_copy_text(st, 6, status, sizeof(status)) != 0 ||
	    mg_device_status_parse(status, &d->status) != 0)
		return MG_ERR_STORE;
	d->cert_not_after_ms = sqlite3_column_int64(st, 5);
	d->created_ms = sqlite3_column_int64(st, 7);
	d->last_seen_ms = sqlite3_column_int64(st, 8);
	if (sq_copy_text(st, 9, d->firmware, sizeof(d->firmware)) != 0)
		d->firmware[0] = '\0';	/* altered behind our back: unknown */
	if (sq_copy_text(st, 10, d->model, sizeof(d->model)) != 0)
		d->model[0] = '\0';
	if (sq_copy_text(st, 11, d->reported_model, sizeof(d->reported_model)) != 0)
		d->reported_model[0] = '\0';
	d->maintenance_until_ms = sqlite3_column_int64(st, 12);
	return 0;
}

static int device_get(struct mg_store *s, const struct sq_sql *sql, const char *fp, int64_t key,
		      struct mg_device *out)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = sq_stmt(c, sql);
	int r = MG_ERR_STORE, rc;

	memset(out, 0, sizeof(*out));
	if (st != NULL) {
		if (fp != NULL)
			sqlite3_bind_text(st, 1, fp, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, 1, key);
		rc = sqlite3_step(st);
		r = rc == SQLITE_ROW ? device_read(st, out)
		    : rc == SQLITE_DONE ? MG_ERR_NOT_FOUND : sq_step_error(c);
	}
	sq_done(st);
	sq_release(c);
	return r;
}

static const struct sq_sql device_by_fingerprint_sql = {
	"SELECT " DEVICE_COLUMNS " FROM devices WHERE cert_fingerprint = ?"
};

int sq_device_by_fingerprint(struct mg_store *s, const char *fp, struct mg_device *out)
{
	return device_get(s, &device_by_fingerprint_sql, fp, 0, out);
}

static const struct sq_sql device_by_id_sql = {
	"SELECT " DEVICE_COLUMNS " FROM devices WHERE id = ?"
};

int sq_device_by_id(struct mg_store *s, int64_t id, struct mg_device *out)
{
	return device_get(s, &device_by_id_sql, NULL, id, out);
}

int sq_device_set_firmware(struct mg_store *s, int64_t id, const char *firmware)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r = sq_run_write(c, "UPDATE devices SET firmware = ?2 WHERE id = ?1",
			 SQ_PARAMS(SQ_INT(id), SQ_TEXT(firmware)), true);
	sq_release(c);
	return r;
}

int sq_device_set_reported_model(struct mg_store *s, int64_t id, const char *model)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r = sq_run_write(c, "UPDATE devices SET reported_model = ?2 WHERE id = ?1",
			     SQ_PARAMS(SQ_INT(id), SQ_TEXT(model)), true);
	sq_release(c);
	return r;
}

/* The certificate changes only if the device is active and still holds
 * old_fingerprint: a concurrent renewal or a revocation wins. */
int sq_device_renew(struct mg_store *s, int64_t id, const char *old_fingerprint,
		    const char *fingerprint, const char *serial, int64_t not_after_ms)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	int r = sq_run_write(c, "UPDATE devices SET cert_fingerprint = ?3, cert_serial = ?4, "
				"cert_not_after_ms = ?5 WHERE id = ?1 AND cert_fingerprint = ?2 "
				"AND status = 'active'",
			     SQ_PARAMS(SQ_INT(id), SQ_TEXT(old_fingerprint), SQ_TEXT(fingerprint),
				       SQ_TEXT(serial), SQ_INT(not_after_ms)), true);
	sq_release(c);
	return r;
}

static const struct sq_sql device_set_status_sql = {
	"UPDATE devices SET status = ? WHERE id = ? AND status <> 'revoked'"
};

int sq_device_set_status(struct mg_store *s, int64_t id, enum mg_device_status status)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = sq_stmt(c, &device_set_status_sql);
	int r = MG_ERR_STORE;

	if (st != NULL) {
		sqlite3_bind_text(st, 1, mg_device_status_name(status), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, id);
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_step_error(c);
		/* A revoked device stays revoked: its certificate is burnt. */
		if (r == 0 && sqlite3_changes(c->db) != 1)
			r = MG_ERR_NOT_FOUND;
	}
	sq_done(st);
	sq_release(c);
	return r;
}

static const struct sq_sql device_list_sql = {
	"SELECT " DEVICE_COLUMNS " FROM devices WHERE ?1 = 0 OR tenant_id = ?1"
	" ORDER BY id"
};

int sq_device_list(struct mg_store *s, int64_t tenant_id, mg_device_cb cb, void *arg)
{
	struct sq_conn *c = SQ_ACQUIRE(s);
	sqlite3_stmt *st = sq_stmt(c, &device_list_sql);
	struct mg_device d;
	int r = MG_ERR_STORE, rc;

	if (st != NULL) {
		sqlite3_bind_int64(st, 1, tenant_id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if ((r = device_read(st, &d)) != 0 || (r = cb(&d, arg)) != 0)
				break;
		}
		if (rc == SQLITE_DONE)
			r = 0;
		else if (rc != SQLITE_ROW)
			r = sq_step_error(c);
	}
	sq_done(st);
	sq_release(c);
	return r;
}

static const struct sq_sql device_set_tenant_sql = {
	"UPDATE devices SET tenant_id = ?2 WHERE id = ?1"
};

/* An unknown tenant fails the foreign key: MG_ERR_NOT_FOUND, like an
 * unknown device. */
int sq_device_set_tenant(struct mg_store *s, int64_t id, int64_t tenant_id)
{
	return sq_store_write(s, &device_set_tenant_sql, SQ_PARAMS(SQ_INT(id), SQ_INT(tenant_id)),
			      true);
}
