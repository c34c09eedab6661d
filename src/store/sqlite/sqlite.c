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
	sq_ops_init(&s->base);
	s->base.name = "sqlite";
	s->base.migrate = sq_migrate;
	s->base.close = sq_close;
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
