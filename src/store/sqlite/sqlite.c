/* SQLite back end: a small pool of connections, each guarded by a mutex
 * and holding its prepared statements. WAL lets readers run beside the
 * one writer; synchronous=FULL makes every COMMIT durable before it
 * returns, which is what a measurement's acknowledgement waits for. */
#include "store/sqlite/sqlite_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "store/migration.h"

static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_TENANT_INSERT] =
		"INSERT INTO tenants (name, wrapped_key, created_ms) VALUES (?, ?, ?)",
	[STMT_TENANT_BY_NAME] =
		"SELECT id, name, wrapped_key, created_ms FROM tenants WHERE name = ?",
	[STMT_TENANT_BY_ID] =
		"SELECT id, name, wrapped_key, created_ms FROM tenants WHERE id = ?",
	[STMT_TOKEN_INSERT] =
		"INSERT INTO enrol_tokens (tenant_id, device_name, token_hash, created_ms,"
		" expires_ms) VALUES (?, ?, ?, ?, ?)",
	[STMT_TOKEN_FIND] =
		"SELECT id, tenant_id, device_name, expires_ms FROM enrol_tokens"
		" WHERE token_hash = ? AND used_ms IS NULL AND expires_ms > ?",
	[STMT_TOKEN_USE] =
		"UPDATE enrol_tokens SET used_ms = ?1"
		" WHERE id = ?2 AND used_ms IS NULL AND expires_ms > ?1",
	[STMT_DEVICE_INSERT] =
		"INSERT INTO devices (tenant_id, name, cert_fingerprint, cert_serial,"
		" cert_not_after_ms, status, created_ms) VALUES (?, ?, ?, ?, ?, 'active', ?)",
	[STMT_DEVICE_BY_FINGERPRINT] =
		"SELECT " DEVICE_COLUMNS " FROM devices WHERE cert_fingerprint = ?",
	[STMT_DEVICE_BY_ID] = "SELECT " DEVICE_COLUMNS " FROM devices WHERE id = ?",
	[STMT_DEVICE_SET_STATUS] =
		"UPDATE devices SET status = ? WHERE id = ? AND status <> 'revoked'",
	[STMT_DEVICE_LIST] =
		"SELECT " DEVICE_COLUMNS " FROM devices WHERE ?1 = 0 OR tenant_id = ?1"
		" ORDER BY id",
	[STMT_DEVICE_TOUCH] = "UPDATE devices SET last_seen_ms = ? WHERE id = ?",
	[STMT_MEASUREMENT_FIND] =
		"SELECT id FROM measurements WHERE device_id = ? AND device_mid = ?",
	[STMT_PATIENT_UPSERT] =
		"INSERT INTO patients (tenant_id, blind_index, identifier_sealed, created_ms)"
		" VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, blind_index) DO NOTHING",
	[STMT_PATIENT_FIND] =
		"SELECT id FROM patients WHERE tenant_id = ? AND blind_index = ?",
	[STMT_MEASUREMENT_INSERT] =
		"INSERT INTO measurements (tenant_id, device_id, device_mid, patient_id,"
		" measured_ms, received_ms) VALUES (?, ?, ?, ?, ?, ?)",
	[STMT_OUTBOX_INSERT] =
		"INSERT INTO outbox (destination, measurement_id, patient_id, next_attempt_ms,"
		" created_ms) VALUES (?1, ?2, ?3, ?4, ?4)",
	[STMT_VALUE_INSERT] =
		"INSERT INTO measurement_values (measurement_id, position, quantity, value,"
		" unit) VALUES (?, ?, ?, ?, ?)",
	[STMT_MEASUREMENT_LIST] =
		"SELECT m.id, m.tenant_id, m.device_id, d.name, m.device_mid, m.measured_ms,"
		" m.received_ms FROM measurements m JOIN devices d ON d.id = m.device_id"
		" WHERE (?1 = 0 OR m.tenant_id = ?1) AND m.id > ?2 ORDER BY m.id LIMIT ?3",
	[STMT_VALUE_LIST] =
		"SELECT quantity, value, unit FROM measurement_values"
		" WHERE measurement_id = ? ORDER BY position",
	[STMT_MEASUREMENT_COUNT] =
		"SELECT count(*) FROM measurements WHERE ?1 = 0 OR tenant_id = ?1",

	/* sqlite_tenants.c */
	[STMT_TENANT_LIST] = "SELECT " TENANT_COLUMNS " FROM tenants ORDER BY id",
	[STMT_TENANT_RENAME] = "UPDATE tenants SET name = ?2 WHERE id = ?1",
	/* Only unused tokens that could still enrol a device count: an expired
	 * one can never be used, and nothing else could ever remove it. */
	[STMT_TENANT_USAGE] =
		"SELECT (SELECT count(*) FROM devices WHERE tenant_id = ?1),"
		" (SELECT count(*) FROM measurements WHERE tenant_id = ?1),"
		" (SELECT count(*) FROM patients WHERE tenant_id = ?1),"
		" (SELECT count(*) FROM user_tenants WHERE tenant_id = ?1),"
		" (SELECT count(*) FROM enrol_tokens WHERE tenant_id = ?1 AND used_ms IS NULL"
		" AND expires_ms > ?2)"
		" FROM tenants WHERE id = ?1",
	[STMT_TENANT_TOKENS_DELETE] = "DELETE FROM enrol_tokens WHERE tenant_id = ?1",
	[STMT_TENANT_DELETE] = "DELETE FROM tenants WHERE id = ?1",
	[STMT_DEVICE_SET_TENANT] = "UPDATE devices SET tenant_id = ?2 WHERE id = ?1",
	[STMT_PATIENT_MEASUREMENTS] =
		"SELECT m.id, m.tenant_id, m.device_id, d.name, m.device_mid, m.measured_ms,"
		" m.received_ms FROM measurements m JOIN devices d ON d.id = m.device_id"
		" WHERE m.patient_id = ?1 ORDER BY m.measured_ms, m.id LIMIT ?2",

	/* sqlite_users.c */
	[STMT_USER_INSERT] =
		"INSERT INTO users (name, display_name, email, password_hash,"
		" must_change_password, created_ms, password_changed_ms)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
	[STMT_USER_BY_NAME] = "SELECT " USER_COLUMNS " FROM users WHERE name = ?1",
	[STMT_USER_BY_ID] = "SELECT " USER_COLUMNS " FROM users WHERE id = ?1",
	[STMT_USER_LIST] = "SELECT " USER_COLUMNS " FROM users ORDER BY id",
	[STMT_USER_EXISTS] = "SELECT 1 FROM users WHERE id = ?1",
	[STMT_USER_ROLES] = "SELECT role FROM user_roles WHERE user_id = ?1",
	[STMT_USER_TENANTS] =
		"SELECT tenant_id FROM user_tenants WHERE user_id = ?1 ORDER BY tenant_id",
	[STMT_USER_ROLES_CLEAR] = "DELETE FROM user_roles WHERE user_id = ?1",
	[STMT_USER_TENANTS_CLEAR] = "DELETE FROM user_tenants WHERE user_id = ?1",
	[STMT_USER_ROLE_INSERT] = "INSERT INTO user_roles (user_id, role) VALUES (?1, ?2)",
	/* A tenant given twice is one membership; an unknown one fails the
	 * foreign key (ON CONFLICT does not cover foreign keys). */
	[STMT_USER_TENANT_INSERT] =
		"INSERT INTO user_tenants (user_id, tenant_id) VALUES (?1, ?2)"
		" ON CONFLICT DO NOTHING",
	[STMT_USER_UPDATE_PROFILE] =
		"UPDATE users SET display_name = ?2, email = ?3, disabled = ?4 WHERE id = ?1",
	[STMT_USER_SET_PASSWORD] =
		"UPDATE users SET password_hash = ?2, must_change_password = ?3,"
		" failed_logins = 0, lockouts = 0, locked_until_ms = 0,"
		" password_changed_ms = ?4 WHERE id = ?1",
	[STMT_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
	[STMT_USER_LOGIN_FAILED] =
		"UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?1"
		" RETURNING failed_logins",
	[STMT_USER_SET_LOCK] =
		"UPDATE users SET locked_until_ms = ?2, lockouts = ?3 WHERE id = ?1",
	[STMT_USER_LOGIN_SUCCEEDED] =
		"UPDATE users SET failed_logins = 0, lockouts = 0 WHERE id = ?1",

	/* sqlite_second_factor.c */
	[STMT_TOTP_SET_PENDING] = "UPDATE users SET totp_pending_sealed = ?2 WHERE id = ?1",
	[STMT_TOTP_ACTIVATE] =
		"UPDATE users SET totp_sealed = totp_pending_sealed, totp_pending_sealed = NULL,"
		" totp_last_step = ?2 WHERE id = ?1 AND totp_pending_sealed IS NOT NULL",
	[STMT_TOTP_CLEAR] =
		"UPDATE users SET totp_sealed = NULL, totp_pending_sealed = NULL WHERE id = ?1",
	/* One statement, so two gateways on one database cannot both accept a
	 * step: the second finds totp_last_step already there. */
	[STMT_TOTP_USE_STEP] =
		"UPDATE users SET totp_last_step = ?2 WHERE id = ?1 AND totp_last_step < ?2",
	[STMT_RECOVERY_CLEAR] = "DELETE FROM recovery_codes WHERE user_id = ?1",
	[STMT_RECOVERY_INSERT] =
		"INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)",
	[STMT_RECOVERY_USE] =
		"UPDATE recovery_codes SET used_ms = ?3"
		" WHERE user_id = ?1 AND code_hash = ?2 AND used_ms IS NULL",
	[STMT_RECOVERY_LEFT] =
		"SELECT (SELECT count(*) FROM recovery_codes WHERE user_id = ?1"
		" AND used_ms IS NULL) FROM users WHERE id = ?1",

	/* sqlite_sessions.c */
	[STMT_SESSION_PRUNE_USER] =
		"DELETE FROM sessions WHERE user_id = ?1 AND expires_ms <= ?2",
	[STMT_SESSION_INSERT] =
		"INSERT INTO sessions (id_hash, user_id, csrf, address, created_ms,"
		" last_seen_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* Check and touch in one statement; last_seen never moves back (two
	 * gateways' clocks may differ a little). */
	[STMT_SESSION_TOUCH] =
		"UPDATE sessions SET last_seen_ms = max(last_seen_ms, ?2)"
		" WHERE id_hash = ?1 AND expires_ms > ?2 AND last_seen_ms > ?2 - ?3"
		" RETURNING user_id, csrf, address, created_ms, last_seen_ms, expires_ms",
	[STMT_SESSION_EXPIRE] =
		"DELETE FROM sessions WHERE id_hash = ?1"
		" AND (expires_ms <= ?2 OR last_seen_ms <= ?2 - ?3) RETURNING user_id, address",
	[STMT_SESSION_DELETE] = "DELETE FROM sessions WHERE id_hash = ?1",
	[STMT_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?1",
	[STMT_ADDRESS_PRUNE] = "DELETE FROM address_failures WHERE window_start_ms <= ?1 - ?2",
	[STMT_ADDRESS_FAILED] =
		"INSERT INTO address_failures (address, failures, window_start_ms)"
		" VALUES (?1, 1, ?2) ON CONFLICT (address) DO UPDATE SET"
		" failures = CASE WHEN window_start_ms <= ?2 - ?3 THEN 1 ELSE failures + 1 END,"
		" window_start_ms = CASE WHEN window_start_ms <= ?2 - ?3 THEN ?2"
		" ELSE window_start_ms END"
		" RETURNING failures",
	[STMT_ADDRESS_FAILURES] =
		"SELECT CASE WHEN window_start_ms <= ?2 - ?3 THEN 0 ELSE failures END"
		" FROM address_failures WHERE address = ?1",
	[STMT_RESET_PRUNE_USER] =
		"DELETE FROM password_resets WHERE user_id = ?1"
		" AND (used_ms IS NOT NULL OR expires_ms <= ?2)",
	[STMT_RESET_INSERT] =
		"INSERT INTO password_resets (token_hash, user_id, created_ms, expires_ms)"
		" VALUES (?1, ?2, ?3, ?4)",
	[STMT_RESET_CONSUME] =
		"UPDATE password_resets SET used_ms = ?2"
		" WHERE token_hash = ?1 AND used_ms IS NULL AND expires_ms > ?2"
		" RETURNING user_id",
	[STMT_SETTING_GET] = "SELECT value FROM settings WHERE name = ?1",
	[STMT_SETTING_SET] =
		"INSERT INTO settings (name, value) VALUES (?1, ?2)"
		" ON CONFLICT (name) DO UPDATE SET value = excluded.value",
};

sqlite3_stmt *sq_stmt(struct sq_conn *c, enum stmt_id id)
{
	if (c->stmts[id] == NULL &&
	    sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
			       &c->stmts[id], NULL) != SQLITE_OK)
		return NULL;
	return c->stmts[id];
}

void sq_done(sqlite3_stmt *st)
{
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

int sq_exec(struct sq_conn *c, const char *sql)
{
	return sqlite3_exec(c->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : MG_ERR_STORE;
}

int sq_copy_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	if (t == NULL) {
		out[0] = '\0';
		return 0;
	}
	if (n >= outlen)
		return MG_ERR_LIMIT;
	memcpy(out, t, n);
	out[n] = '\0';
	return 0;
}

struct sq_conn *sq_acquire(struct sq_store *s)
{
	unsigned start = atomic_fetch_add(&s->next, 1);

	for (unsigned i = 0; i < SQ_CONNS; i++) {
		struct sq_conn *c = &s->conns[(start + i) % SQ_CONNS];

		if (pthread_mutex_trylock(&c->lock) == 0)
			return c;
	}
	pthread_mutex_lock(&s->conns[start % SQ_CONNS].lock);
	return &s->conns[start % SQ_CONNS];
}

void sq_release(struct sq_conn *c)
{
	pthread_mutex_unlock(&c->lock);
}

static int conn_open(struct sq_conn *c, const char *path, bool create, char *err,
		     size_t errlen)
{
	static const char pragmas[] =
		"PRAGMA journal_mode = WAL;"
		"PRAGMA synchronous = FULL;"
		"PRAGMA foreign_keys = ON;"
		"PRAGMA secure_delete = ON;"
		"PRAGMA trusted_schema = OFF;";
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;

	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 c->db ? sqlite3_errmsg(c->db) : "cannot open database");
		return MG_ERR_STORE;
	}
	sqlite3_busy_timeout(c->db, 10000);
	sqlite3_extended_result_codes(c->db, 1);
	if (sqlite3_exec(c->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(c->db));
		return MG_ERR_STORE;
	}
	return 0;
}

static void sq_close(struct mg_store *base)
{
	struct sq_store *s = (struct sq_store *)base;

	for (unsigned i = 0; i < SQ_CONNS; i++) {
		struct sq_conn *c = &s->conns[i];

		for (unsigned j = 0; j < STMT_COUNT; j++)
			sqlite3_finalize(c->stmts[j]);
		sqlite3_close_v2(c->db);
		pthread_mutex_destroy(&c->lock);
	}
	free(s);
}

static int schema_version(struct sq_conn *c, int *version)
{
	sqlite3_stmt *st = NULL;
	int r = MG_ERR_STORE;

	if (sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
			       -1, &st, NULL) != SQLITE_OK)
		return MG_ERR_STORE;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

static int sq_migrate(struct mg_store *base, int *version_out)
{
	struct sq_store *s = (struct sq_store *)base;
	struct sq_conn *c = sq_acquire(s);
	sqlite3_stmt *st = NULL;
	int version = 0, r;

	*version_out = 0;
	if ((r = sq_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
			    " applied_ms INTEGER NOT NULL)")) != 0 ||
	    (r = sq_exec(c, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if ((r = schema_version(c, &version)) != 0)
		goto rollback;
	if (mg_sqlite_migrations_count > 0 &&
	    version > mg_sqlite_migrations[mg_sqlite_migrations_count - 1].version) {
		r = MG_ERR_STORE;	/* made by a newer medgate */
		goto rollback;
	}
	for (unsigned i = 0; i < mg_sqlite_migrations_count; i++) {
		const struct mg_migration *m = &mg_sqlite_migrations[i];

		if (m->version <= version)
			continue;
		if ((r = sq_exec(c, m->sql)) != 0)
			goto rollback;
		if (sqlite3_prepare_v2(c->db, "INSERT INTO schema_migrations VALUES (?, ?, ?)",
				       -1, &st, NULL) != SQLITE_OK) {
			r = MG_ERR_STORE;
			goto rollback;
		}
		sqlite3_bind_int(st, 1, m->version);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, mg_now_ms());
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : MG_ERR_STORE;
		sqlite3_finalize(st);
		if (r != 0)
			goto rollback;
		version = m->version;
	}
	if ((r = sq_exec(c, "COMMIT")) != 0)
		goto rollback;
	*version_out = version;
	goto out;
rollback:
	sq_exec(c, "ROLLBACK");
out:
	sq_release(c);
	return r;
}

int mg_store_sqlite_open(const char *path, bool create, struct mg_store **out, char *err,
			 size_t errlen)
{
	struct sq_store *s;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MG_ERR_NOMEM;
	for (unsigned i = 0; i < SQ_CONNS; i++)
		pthread_mutex_init(&s->conns[i].lock, NULL);
	s->base.ops = &mg_store_sqlite_ops;
	/* The first connection creates the file and switches it to WAL. */
	for (unsigned i = 0; i < SQ_CONNS; i++) {
		if ((r = conn_open(&s->conns[i], path, create && i == 0, err, errlen)) != 0) {
			sq_close(&s->base);
			return r;
		}
	}
	*out = &s->base;
	return 0;
}

const struct mg_store_ops mg_store_sqlite_ops = {
	.name = "sqlite",
	.migrate = sq_migrate,
	.tenant_create = sq_tenant_create,
	.tenant_by_name = sq_tenant_by_name,
	.tenant_by_id = sq_tenant_by_id,
	.tenant_list = sq_tenant_list,
	.tenant_rename = sq_tenant_rename,
	.tenant_usage = sq_tenant_usage,
	.tenant_delete = sq_tenant_delete,
	.user_create = sq_user_create,
	.user_by_name = sq_user_by_name,
	.user_by_id = sq_user_by_id,
	.user_list = sq_user_list,
	.user_update_profile = sq_user_update_profile,
	.user_set_access = sq_user_set_access,
	.user_set_password = sq_user_set_password,
	.user_delete = sq_user_delete,
	.user_login_failed = sq_user_login_failed,
	.user_set_lock = sq_user_set_lock,
	.user_login_succeeded = sq_user_login_succeeded,
	.totp_set_pending = sq_totp_set_pending,
	.totp_activate = sq_totp_activate,
	.totp_clear = sq_totp_clear,
	.totp_use_step = sq_totp_use_step,
	.recovery_codes_set = sq_recovery_codes_set,
	.recovery_code_use = sq_recovery_code_use,
	.recovery_codes_left = sq_recovery_codes_left,
	.session_create = sq_session_create,
	.session_get = sq_session_get,
	.session_sweep = sq_session_sweep,
	.session_delete = sq_session_delete,
	.session_delete_user = sq_session_delete_user,
	.address_failed = sq_address_failed,
	.address_failures = sq_address_failures,
	.reset_create = sq_reset_create,
	.reset_consume = sq_reset_consume,
	.setting_get = sq_setting_get,
	.setting_set = sq_setting_set,
	.token_create = sq_token_create,
	.token_find = sq_token_find,
	.device_enrol = sq_device_enrol,
	.device_by_fingerprint = sq_device_by_fingerprint,
	.device_by_id = sq_device_by_id,
	.device_set_status = sq_device_set_status,
	.device_set_firmware = sq_device_set_firmware,
	.device_set_tenant = sq_device_set_tenant,
	.device_list = sq_device_list,
	.measurement_put_batch = sq_measurement_put_batch,
	.measurement_list = sq_measurement_list,
	.measurement_count = sq_measurement_count,
	.outbox_claim = sq_outbox_claim,
	.outbox_delivered = sq_outbox_delivered,
	.outbox_retry = sq_outbox_retry,
	.outbox_dead = sq_outbox_dead,
	.outbox_resend = sq_outbox_resend,
	.outbox_stats = sq_outbox_stats,
	.patient_find = sq_patient_find,
	.patient_measurements = sq_patient_measurements,
	.audit_append = sq_audit_append,
	.audit_list = sq_audit_list,
	.user_address_seen = sq_user_address_seen,
	.measurement_previous_value = sq_measurement_previous_value,
	.lease_acquire = sq_lease_acquire,
	.alert_raise = sq_alert_raise,
	.alert_get = sq_alert_get,
	.alert_list = sq_alert_list,
	.alert_acknowledge = sq_alert_acknowledge,
	.incident_create = sq_incident_create,
	.incident_get = sq_incident_get,
	.incident_list = sq_incident_list,
	.incident_link_alert = sq_incident_link_alert,
	.incident_set_status = sq_incident_set_status,
	.incident_add_entry = sq_incident_add_entry,
	.incident_entries = sq_incident_entries,
	.close = sq_close,
};
