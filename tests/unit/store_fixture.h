/* A fresh store per test for the store suites (test_store_access.c,
 * test_store_tenants.c, ...): an empty database, migrated, with two
 * tenants. Include after cmocka.h.
 *
 * One suite, both back ends: by default a SQLite file in a new folder;
 * with MG_TEST_PG_CONNINFO set (tests/pg/pg-run.sh sets it, and ctest
 * registers every store suite a second time under it) the PostgreSQL
 * database it names, its schema emptied before each test. */
#ifndef MG_TEST_STORE_FIXTURE_H
#define MG_TEST_STORE_FIXTURE_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "store/store.h"

#define STORE_T0 1700000000000LL	/* a fixed "now" where the test sets the time */

struct store_fixture {
	char dir[64];
	struct mg_config cfg;
	struct mg_store *store;
	struct mg_keyring *keys;	/* seals and opens measurement values */
	int64_t tenant, tenant2;	/* "north" and "south" */
};

/* The test's PostgreSQL database, or NULL when the suite runs on SQLite. */
static inline const char *store_test_conninfo(void)
{
	const char *c = getenv("MG_TEST_PG_CONNINFO");

	return c != NULL && c[0] != '\0' ? c : NULL;
}

/* Run sql (several statements allowed) on the PostgreSQL test database
 * through a connection of the test's own. Returns 0 or -1. */
static inline int store_test_pg_exec(const char *sql)
{
	PGconn *db = PQconnectdb(store_test_conninfo());
	PGresult *res;
	int r = -1;

	if (PQstatus(db) == CONNECTION_OK) {
		res = PQexec(db, sql);
		r = PQresultStatus(res) == PGRES_COMMAND_OK ||
		    PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
		if (r != 0)
			fprintf(stderr, "store test SQL failed: %s", PQerrorMessage(db));
		PQclear(res);
	}
	PQfinish(db);
	return r;
}

/* Point cfg at an empty store for a test in folder dir (made already). */
static inline int store_test_config(struct mg_config *cfg, const char *dir)
{
	mg_config_defaults(cfg);
	snprintf(cfg->dir, sizeof(cfg->dir), "%s", dir);
	snprintf(cfg->storage_path, sizeof(cfg->storage_path), "test.db");
	if (store_test_conninfo() == NULL)
		return 0;
	snprintf(cfg->storage_backend, sizeof(cfg->storage_backend), "postgresql");
	snprintf(cfg->storage_conninfo, sizeof(cfg->storage_conninfo), "%s",
		 store_test_conninfo());
	return store_test_pg_exec("SET client_min_messages = warning;"
				  " DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;");
}

/* A keyring over a master key file in dir, set on s (the front seals
 * measurement values with it); tenants get keys from
 * mg_keyring_tenant_key_new. The key is the same in every fixture: on
 * PostgreSQL a test with its own setup empties the group's database too,
 * and the group's store must still open the tenant keys made then.
 * Returns 0 or -1. */
static inline int store_test_keyring(struct mg_store *s, const char *dir,
				     struct mg_keyring **out)
{
	static const unsigned char fixed[MG_KEY_BYTES] = "medgate store test master key!!";
	struct mg_master_key *mk = NULL;
	char key[128];

	snprintf(key, sizeof(key), "%s/store-fixture.key", dir);
	if (mg_crypto_init() != 0 || mg_file_create(key, fixed, sizeof(fixed), 0600) != 0 ||
	    mg_master_key_load(key, &mk) != 0 || mg_keyring_new(mk, out) != 0) {
		mg_master_key_free(mk);
		return -1;
	}
	mg_store_set_keyring(s, *out);
	return 0;
}

static inline int store_fixture_setup(void **state)
{
	struct store_fixture *f = calloc(1, sizeof(*f));
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES];
	char err[256];
	int version;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/medgate-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (store_test_config(&f->cfg, f->dir) != 0 ||
	    mg_store_open(&f->cfg, true, &f->store, err, sizeof(err)) != 0 ||
	    mg_store_migrate(f->store, &version) != 0 || version < 2 ||
	    store_test_keyring(f->store, f->dir, &f->keys) != 0 ||
	    mg_keyring_tenant_key_new(f->keys, wrapped) != 0 ||
	    mg_store_tenant_create(f->store, "north", wrapped, &f->tenant) != 0 ||
	    mg_keyring_tenant_key_new(f->keys, wrapped) != 0 ||
	    mg_store_tenant_create(f->store, "south", wrapped, &f->tenant2) != 0)
		return -1;
	*state = f;
	return 0;
}

static inline int store_fixture_teardown(void **state)
{
	struct store_fixture *f = *state;
	char cmd[128];

	mg_store_close(f->store);
	mg_keyring_free(f->keys);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* A token hash that differs for each v. */
static inline void store_hash(unsigned char hash[MG_TOKEN_HASH_BYTES], unsigned v)
{
	for (unsigned i = 0; i < MG_TOKEN_HASH_BYTES; i++)
		hash[i] = (unsigned char)(v * 31 + i);
}

/* A new account; fails the test if it cannot be made. */
static inline int64_t store_user(struct store_fixture *f, const char *name, unsigned roles,
				 const int64_t *tenants, size_t ntenants)
{
	const struct mg_user_new u = {
		.name = name, .display_name = "", .email = "",
		.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		.must_change_password = true, .roles = roles, .tenants = tenants,
		.ntenants = ntenants,
	};
	int64_t id = 0;

	assert_int_equal(mg_store_user_create(f->store, &u, &id), 0);
	assert_true(id > 0);
	return id;
}

/* A device of tenant enrolled through a token; number makes it unique. */
static inline int64_t store_device(struct store_fixture *f, int64_t tenant, unsigned number)
{
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	struct mg_device d;
	int64_t token;

	store_hash(hash, 1000 + number);
	assert_int_equal(mg_store_token_create(f->store, tenant, "scale", hash,
						mg_now_ms() + 60000, &token), 0);
	memset(&d, 0, sizeof(d));
	d.tenant_id = tenant;
	snprintf(d.name, sizeof(d.name), "scale-%u", number);
	snprintf(d.cert_fingerprint, sizeof(d.cert_fingerprint), "%064u", number);
	snprintf(d.cert_serial, sizeof(d.cert_serial), "%02x", number);
	d.cert_not_after_ms = mg_now_ms() + 86400000;
	assert_int_equal(mg_store_device_enrol(f->store, token, mg_now_ms(), &d), 0);
	return d.id;
}

static inline bool store_on_sqlite(const struct store_fixture *f)
{
	return strcmp(mg_store_name(f->store), "sqlite") == 0;
}

/* Run sql with ?1 = arg on the store through a connection of the test's
 * own (SQL both databases understand; "?" or "?1" is the one parameter):
 * the first column of its first row, or the rows it changed. */
static inline int64_t store_sql_count(const struct store_fixture *f, const char *sql,
				      int64_t arg)
{
	int64_t n = 0;

	if (store_test_conninfo() != NULL) {
		char pgsql[1024], text[32];
		const char *values[1] = { text };
		size_t o = 0;
		int nparams = 0;
		PGconn *db = PQconnectdb(store_test_conninfo());
		PGresult *res;

		for (const char *p = sql; *p != '\0' && o + 3 < sizeof(pgsql); p++) {
			if (*p == '?') {
				pgsql[o++] = '$';
				pgsql[o++] = '1';
				nparams = 1;
				if (p[1] == '1')
					p++;
			} else {
				pgsql[o++] = *p;
			}
		}
		pgsql[o] = '\0';
		snprintf(text, sizeof(text), "%lld", (long long)arg);
		assert_int_equal(PQstatus(db), CONNECTION_OK);
		res = PQexecParams(db, pgsql, nparams, NULL, values, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
			n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		else if (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK)
			n = strtoll(PQcmdTuples(res), NULL, 10);
		else
			fail_msg("%s: %s", pgsql, PQerrorMessage(db));
		PQclear(res);
		PQfinish(db);
		return n;
	}
	char path[128];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	snprintf(path, sizeof(path), "%s/test.db", f->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		n = sqlite3_changes(db);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* A session of user with these times and a CSRF token and address. */
static inline struct mg_session store_session(int64_t user, int64_t created,
					      int64_t last_seen, int64_t expires)
{
	struct mg_session s = { .user_id = user, .created_ms = created,
				.last_seen_ms = last_seen, .expires_ms = expires };

	snprintf(s.csrf, sizeof(s.csrf), "%043d", 7);
	snprintf(s.address, sizeof(s.address), "2001:db8::1");
	return s;
}

#endif
