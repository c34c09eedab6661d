/* The audit trail: append and verify, concurrent appenders, every kind of
 * tampering found at the right record, signed checkpoints, and a rewrite
 * made with the key caught against an earlier checkpoint.
 *
 * Also a helper for tests/integration/test_audit_tamper.sh:
 *	test_audit append CONFIG N	append N varied records to an instance */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <sodium.h>

#include "audit/audit.h"
#include "common/config.h"
#include "common/privileges.h"
#include "store_fixture.h"

struct audit_fixture {
	struct store_fixture *store;
	struct mg_master_key *mk;
};

static int setup(void **state)
{
	struct audit_fixture *f = calloc(1, sizeof(*f));
	void *sf = NULL;
	char path[128];

	if (f == NULL || store_fixture_setup(&sf) != 0)
		return -1;
	f->store = sf;
	snprintf(path, sizeof(path), "%s/master.key", f->store->dir);
	if (mg_master_key_create(path) != 0 || mg_master_key_load(path, &f->mk) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct audit_fixture *f = *state;
	void *sf = f->store;

	mg_master_key_free(f->mk);
	free(f);
	return store_fixture_teardown(&sf);
}

/* The i-th of a varied set of events: logins, patient reads, changes. */
static int append_nth(struct mg_store *s, const struct mg_master_key *mk, unsigned i)
{
	static const char *const actions[] = { "login.success", "login.failure",
					       "patient.read",  "user.create",
					       "device.revoke", "config.change" };
	char actor[32], object[32], details[64];
	struct mg_audit_event e = {
		.time_ms = STORE_T0 + i * 1000, .actor_id = i % 5, .actor = actor,
		.roles = i % 2 ? "clinician" : "admin,tenant-admin", .address = "2001:db8::7",
		.action = actions[i % 6], .object = object, .tenant_id = i % 3,
		.outcome = (enum mg_audit_outcome)(i % 3), .details = details,
	};

	snprintf(actor, sizeof(actor), "user%u", i % 5);
	snprintf(object, sizeof(object), "%s:%u", i % 6 == 2 ? "patient" : "user", i % 7);
	snprintf(details, sizeof(details), "{\"n\":%u}", i);
	return mg_audit_append(s, mk, &e);
}

static void append_many(struct audit_fixture *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(append_nth(f->store->store, f->mk, i), 0);
}

static struct mg_audit_verdict verify(struct audit_fixture *f, const struct mg_audit_checkpoint *cp)
{
	struct mg_audit_verdict v;

	assert_int_equal(mg_audit_verify(f->store->store, f->mk, cp, &v), 0);
	return v;
}

static void test_append_verify(void **state)
{
	struct audit_fixture *f = *state;
	struct mg_audit_verdict v = verify(f, NULL);

	assert_int_equal(v.fault, MG_AUDIT_INTACT);
	assert_int_equal(v.records, 0);
	append_many(f, 50);
	v = verify(f, NULL);
	assert_int_equal(v.fault, MG_AUDIT_INTACT);
	assert_int_equal(v.records, 50);
	assert_int_equal(v.head_seq, 50);
	assert_int_equal(v.first_bad, 0);
}

static void test_append_rejects(void **state)
{
	struct audit_fixture *f = *state;
	struct mg_store *s = f->store->store;
	char long_actor[MG_AUDIT_ACTOR_MAX + 2];
	static const struct {
		const char *action, *actor, *details;
		int outcome, expected;
	} cases[] = {
		{ NULL, "a", NULL, 0, MG_ERR_INVALID },
		{ "", "a", NULL, 0, MG_ERR_INVALID },
		{ "Login Success", "a", NULL, 0, MG_ERR_INVALID },
		{ "login.success", "a\nb", NULL, 0, MG_ERR_INVALID },
		{ "login.success", "a", "[1]", 0, MG_ERR_INVALID },
		{ "login.success", "a", "{\"a\":1,\"a\":2}", 0, MG_ERR_INVALID },
		{ "login.success", "a", "{", 0, MG_ERR_INVALID },
		{ "login.success", "a", NULL, 7, MG_ERR_INVALID },
		{ "login.success", NULL, "{}", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_audit_event e = { .action = cases[i].action, .actor = cases[i].actor,
					    .details = cases[i].details,
					    .outcome = (enum mg_audit_outcome)cases[i].outcome };

		assert_int_equal(mg_audit_append(s, f->mk, &e), cases[i].expected);
	}
	memset(long_actor, 'x', sizeof(long_actor) - 1);
	long_actor[sizeof(long_actor) - 1] = '\0';
	assert_int_equal(mg_audit_append(s, f->mk, &(struct mg_audit_event){
						 .action = "x", .actor = long_actor }),
			 MG_ERR_LIMIT);
	/* Only the one good event went in. */
	assert_int_equal(verify(f, NULL).records, 1);
}

struct thread_arg {
	struct audit_fixture *f;
	unsigned base;
	int failures;
};

static void *append_thread(void *p)
{
	struct thread_arg *a = p;

	for (unsigned i = 0; i < 200; i++)
		a->failures += append_nth(a->f->store->store, a->f->mk, a->base + i) != 0;
	return NULL;
}

static void test_concurrent_appends(void **state)
{
	struct audit_fixture *f = *state;
	struct thread_arg args[4];
	pthread_t threads[4];
	struct mg_audit_verdict v;

	for (unsigned i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ .f = f, .base = i * 1000 };
		assert_int_equal(pthread_create(&threads[i], NULL, append_thread, &args[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_int_equal(args[i].failures, 0);
	}
	v = verify(f, NULL);
	assert_int_equal(v.fault, MG_AUDIT_INTACT);
	assert_int_equal(v.records, 800);
	assert_int_equal(v.head_seq, 800);
	assert_int_equal(store_sql_count(f->store, "SELECT max(seq) - min(seq) + 1 - count(*)"
					 " FROM audit_log WHERE ?1 = 0", 0), 0);
}

/* Tamperings as data: SQL run on the store behind medgate's back, and the
 * fault and first bad record verify must name. 20 records. */
static const struct {
	const char *what, *sql;
	enum mg_audit_fault fault;
	int64_t first_bad;
} tamperings[] = {
	{ "change actor", "UPDATE audit_log SET actor = 'mallory' WHERE seq = 7", MG_AUDIT_CHANGED, 7 },
	{ "change time", "UPDATE audit_log SET time_ms = time_ms + 1 WHERE seq = 3", MG_AUDIT_CHANGED, 3 },
	{ "change outcome", "UPDATE audit_log SET outcome = 'success' WHERE seq = 2", MG_AUDIT_CHANGED, 2 },
	{ "change details", "UPDATE audit_log SET details = '{}' WHERE seq = 20", MG_AUDIT_CHANGED, 20 },
	{ "change tenant", "UPDATE audit_log SET tenant_id = 9 WHERE seq = 1", MG_AUDIT_CHANGED, 1 },
	{ "change hash", "UPDATE audit_log SET hash = zeroblob(32) WHERE seq = 10", MG_AUDIT_CHANGED, 10 },
	{ "short hash", "UPDATE audit_log SET hash = x'00' WHERE seq = 11", MG_AUDIT_CHANGED, 11 },
	{ "change prev_hash", "UPDATE audit_log SET prev_hash = randomblob(32) WHERE seq = 5",
	  MG_AUDIT_CHANGED, 5 },
	{ "long details", "UPDATE audit_log SET details = '{\"a\":\"' || hex(zeroblob(600)) || '\"}'"
	  " WHERE seq = 12", MG_AUDIT_CHANGED, 12 },
	{ "delete middle", "DELETE FROM audit_log WHERE seq = 8", MG_AUDIT_MISSING, 8 },
	{ "delete first", "DELETE FROM audit_log WHERE seq = 1", MG_AUDIT_MISSING, 1 },
	{ "insert forged at end", "INSERT INTO audit_log SELECT 21, time_ms, actor_id, tenant_id,"
	  " actor, roles, address, action, object, outcome, details, hash, randomblob(32)"
	  " FROM audit_log WHERE seq = 20", MG_AUDIT_CHANGED, 21 },
	{ "insert forged in middle", "UPDATE audit_log SET seq = -seq WHERE seq >= 10;"
	  " UPDATE audit_log SET seq = 1 - seq WHERE seq < 0;"
	  " INSERT INTO audit_log SELECT 10, time_ms, actor_id, tenant_id, actor, roles,"
	  " address, action, object, outcome, details, hash, randomblob(32)"
	  " FROM audit_log WHERE seq = 9", MG_AUDIT_CHANGED, 10 },
	{ "swap two records", "UPDATE audit_log SET seq = -1 WHERE seq = 4;"
	  " UPDATE audit_log SET seq = 4 WHERE seq = 9; UPDATE audit_log SET seq = 9 WHERE seq = -1",
	  MG_AUDIT_CHANGED, 4 },
	{ "renumber below 1", "UPDATE audit_log SET seq = 0 WHERE seq = 6", MG_AUDIT_OUT_OF_ORDER, 0 },
	{ "renumber past end", "UPDATE audit_log SET seq = 40 WHERE seq = 6", MG_AUDIT_MISSING, 6 },
};

/* SQLite's functions in the tamperings above, as PostgreSQL writes them;
 * a blob literal x'..' becomes '\x..'::bytea. */
static const char *const pg_spelling[][2] = {
	{ "hex(zeroblob(600))", "repeat('00', 600)" },
	{ "zeroblob(32)", "decode(repeat('00', 32), 'hex')" },
	{ "randomblob(32)", "decode(md5(random()::text) || md5(random()::text), 'hex')" },
};

static void run_sql_pg(const char *sql)
{
	char out[2048];
	size_t o = 0;

	for (const char *start = sql; *sql != '\0';) {
		size_t i;

		if (sql[0] == 'x' && sql[1] == '\'' && (sql == start || strchr(" =(,", sql[-1]) != NULL)) {
			const char *end = strchr(sql + 2, '\'');

			assert_non_null(end);
			assert_true(o + (size_t)(end - sql) + 16 < sizeof(out));
			o += (size_t)snprintf(out + o, sizeof(out) - o, "'\\x%.*s'::bytea",
					      (int)(end - sql - 2), sql + 2);
			sql = end + 1;
			continue;
		}

		for (i = 0; i < sizeof(pg_spelling) / sizeof(pg_spelling[0]); i++)
			if (strncmp(sql, pg_spelling[i][0], strlen(pg_spelling[i][0])) == 0)
				break;
		if (i < sizeof(pg_spelling) / sizeof(pg_spelling[0])) {
			size_t n = strlen(pg_spelling[i][1]);

			assert_true(o + n < sizeof(out));
			memcpy(out + o, pg_spelling[i][1], n);
			o += n;
			sql += strlen(pg_spelling[i][0]);
		} else {
			assert_true(o + 1 < sizeof(out));
			out[o++] = *sql++;
		}
	}
	out[o] = '\0';
	assert_int_equal(store_test_pg_exec(out), 0);
}

static void run_sql(struct audit_fixture *f, const char *sql)
{
	char path[128];
	sqlite3 *db = NULL;

	if (store_test_conninfo() != NULL) {
		run_sql_pg(sql);
		return;
	}

	snprintf(path, sizeof(path), "%s/test.db", f->store->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_tamperings(void **state)
{
	for (size_t i = 0; i < sizeof(tamperings) / sizeof(tamperings[0]); i++) {
		struct audit_fixture *f;
		struct mg_audit_verdict v;

		assert_int_equal(setup(state), 0);
		f = *state;
		append_many(f, 20);
		run_sql(f, tamperings[i].sql);
		v = verify(f, NULL);
		if (v.fault != tamperings[i].fault || v.first_bad != tamperings[i].first_bad)
			fail_msg("%s: got %s at %lld (%s)", tamperings[i].what,
				 mg_audit_fault_name(v.fault), (long long)v.first_bad, v.reason);
		assert_int_equal(teardown(state), 0);
	}
	*state = NULL;
}

/* A re-chained record (valid hash, made with the key) that does not link. */
static void test_broken_link(void **state)
{
	struct audit_fixture *f = *state;
	struct mg_audit_record rec = { .seq = 3, .time_ms = 1 };
	char sql[512], hash[2 * MG_AUDIT_HASH_BYTES + 1];
	struct mg_audit_verdict v;

	append_many(f, 5);
	snprintf(rec.actor, sizeof(rec.actor), "system");
	snprintf(rec.action, sizeof(rec.action), "x");
	snprintf(rec.outcome, sizeof(rec.outcome), "success");
	assert_int_equal(mg_audit_record_hash(f->mk, &rec, rec.hash), 0);
	sodium_bin2hex(hash, sizeof(hash), rec.hash, sizeof(rec.hash));
	snprintf(sql, sizeof(sql), "UPDATE audit_log SET time_ms = 1, actor_id = 0, tenant_id = 0,"
		 " actor = 'system', roles = '', address = '', action = 'x', object = '',"
		 " outcome = 'success', details = '', prev_hash = zeroblob(32), hash = x'%s'"
		 " WHERE seq = 3", hash);
	run_sql(f, sql);
	v = verify(f, NULL);
	assert_int_equal(v.fault, MG_AUDIT_BROKEN_LINK);
	assert_int_equal(v.first_bad, 3);
}

static void test_checkpoint(void **state)
{
	struct audit_fixture *f = *state;
	struct mg_audit_event e = { .actor = "medgatectl", .address = "local" };
	struct mg_audit_checkpoint cp, parsed;
	unsigned char pk[MG_AUDIT_PUBLIC_KEY_BYTES], other[MG_AUDIT_PUBLIC_KEY_BYTES];
	char text[MG_AUDIT_CHECKPOINT_TEXT_MAX], *p;

	append_many(f, 10);
	assert_int_equal(mg_audit_checkpoint_make(f->store->store, f->mk, &e, &cp), 0);
	assert_int_equal(cp.seq, 11);
	assert_int_equal(mg_audit_checkpoint_format(&cp, text, sizeof(text)), 0);
	mg_audit_public_key(f->mk, pk);
	assert_int_equal(mg_audit_checkpoint_parse(text, strlen(text), pk, &parsed), 0);
	assert_memory_equal(&parsed, &cp, sizeof(cp));
	assert_int_equal(mg_audit_checkpoint_parse(text, strlen(text), NULL, &parsed), 0);
	/* Another auditor's key, an altered seq, garbage. */
	memcpy(other, pk, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(mg_audit_checkpoint_parse(text, strlen(text), other, &parsed),
			 MG_ERR_CRYPTO);
	assert_non_null(p = strstr(text, "\"seq\":11"));
	p[7] = '2';
	assert_int_equal(mg_audit_checkpoint_parse(text, strlen(text), pk, &parsed), MG_ERR_CRYPTO);
	assert_int_equal(mg_audit_checkpoint_parse("{}", 2, pk, &parsed), MG_ERR_INVALID);
	assert_int_equal(mg_audit_checkpoint_parse("x", 1, pk, &parsed), MG_ERR_INVALID);
	/* The chain after the checkpoint goes on; verify holds with it. */
	append_many(f, 5);
	assert_int_equal(verify(f, &cp).fault, MG_AUDIT_INTACT);
	/* Tail deleted back past the checkpoint: only the checkpoint sees it. */
	run_sql(f, "DELETE FROM audit_log WHERE seq >= 9");
	assert_int_equal(verify(f, NULL).fault, MG_AUDIT_INTACT);
	struct mg_audit_verdict v = verify(f, &cp);
	assert_int_equal(v.fault, MG_AUDIT_TRUNCATED);
	assert_int_equal(v.first_bad, 9);
}

/* Whoever holds the master key rewrites the whole trail: the chain holds,
 * the earlier checkpoint does not. */
static void test_rewrite_with_key(void **state)
{
	struct audit_fixture *f = *state;
	struct mg_audit_event e = { .actor = "medgatectl" };
	struct mg_audit_checkpoint cp;
	struct mg_audit_verdict v;

	append_many(f, 30);
	assert_int_equal(mg_audit_checkpoint_make(f->store->store, f->mk, &e, &cp), 0);
	append_many(f, 10);
	run_sql(f, "DELETE FROM audit_log");
	for (unsigned i = 0; i < 45; i++)
		assert_int_equal(append_nth(f->store->store, f->mk, i == 12 ? 99 : i), 0);
	v = verify(f, NULL);
	assert_int_equal(v.fault, MG_AUDIT_INTACT);
	v = verify(f, &cp);
	assert_int_equal(v.fault, MG_AUDIT_CHECKPOINT_MISMATCH);
	assert_int_equal(v.first_bad, 31);
}

static void test_json_and_helpers(void **state)
{
	struct audit_fixture *f = *state;
	struct mg_audit_record rec;
	char buf[MG_AUDIT_JSON_MAX], roles[64], object[16];
	struct mg_audit_event e = { .actor = "alice", .action = "patient.read",
				    .object = "patient:42", .tenant_id = 3,
				    .details = "{\"view\":\"trend\"}" };

	assert_int_equal(mg_audit_append_record(f->store->store, f->mk, &e, &rec), 0);
	assert_int_equal(rec.seq, 1);
	assert_int_equal(mg_audit_record_json(&rec, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "\"action\":\"patient.read\""));
	assert_non_null(strstr(buf, "\"details\":{\"view\":\"trend\"}"));
	assert_int_equal(mg_audit_record_json(&rec, buf, 16), MG_ERR_LIMIT);
	assert_int_equal(mg_audit_roles_text(MG_ROLE_ADMIN | MG_ROLE_CLINICIAN, roles,
					     sizeof(roles)), 0);
	assert_string_equal(roles, "clinician,admin");
	assert_int_equal(mg_audit_roles_text(MG_ROLES_ALL, roles, 8), MG_ERR_LIMIT);
	assert_int_equal(mg_audit_object("patient", 42, object, sizeof(object)), 0);
	assert_string_equal(object, "patient:42");
	assert_int_equal(mg_audit_object("patient", INT64_MAX, object, sizeof(object)),
			 MG_ERR_LIMIT);
}

static int count_time(const struct mg_audit_record *rec, void *arg)
{
	assert_true(rec->time_ms >= STORE_T0 + 10000 && rec->time_ms < STORE_T0 + 20000);
	(*(int *)arg)++;
	return 0;
}

static int count_record(const struct mg_audit_record *rec, void *arg)
{
	assert_string_equal(rec->object, "patient:2");
	assert_int_equal(rec->tenant_id, 2);
	(*(int *)arg)++;
	return 0;
}

/* "Who accessed my data": the records of one patient object and tenant. */
static void test_patient_filter(void **state)
{
	struct audit_fixture *f = *state;
	struct mg_audit_filter filter = { .object = "patient:2", .tenant_id = 2 };
	int n = 0;

	append_many(f, 120);
	assert_int_equal(mg_store_audit_list(f->store->store, &filter, count_record, &n), 0);
	/* append_nth: patient objects at i % 6 == 2, id i % 7, tenant i % 3. */
	int expected = 0;
	for (unsigned i = 0; i < 120; i++)
		expected += i % 6 == 2 && i % 7 == 2 && i % 3 == 2;
	assert_true(expected > 0);
	assert_int_equal(n, expected);
	/* Time bounds: [since, until). */
	filter = (struct mg_audit_filter){ .since_ms = STORE_T0 + 10000, .until_ms = STORE_T0 + 20000 };
	n = 0;
	assert_int_equal(mg_store_audit_list(f->store->store, &filter, count_time, &n), 0);
	assert_int_equal(n, 10);
}

/* The integration test's helper: N varied records into an instance. */
static int append_to_instance(const char *config, const char *count)
{
	struct mg_config cfg;
	struct mg_master_key *mk = NULL;
	struct mg_store *s = NULL;
	char err[512], path[MG_PATH_MAX];
	long n = strtol(count, NULL, 10);
	int version, r;

	if (mg_crypto_init() != 0 || mg_config_load(config, &cfg, err, sizeof(err)) != 0 ||
	    mg_privileges_drop(cfg.user, err, sizeof(err)) != 0 ||
	    mg_config_path(&cfg, cfg.master_key, path, sizeof(path)) != 0 ||
	    mg_master_key_load(path, &mk) != 0 ||
	    mg_store_open(&cfg, false, &s, err, sizeof(err)) != 0 ||
	    mg_store_migrate(s, &version) != 0) {
		fprintf(stderr, "cannot open the instance %s\n", config);
		return 1;
	}
	r = 0;
	for (long i = 0; i < n && r == 0; i++)
		r = append_nth(s, mk, (unsigned)i);
	mg_store_close(s);
	mg_master_key_free(mk);
	return r == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_appends, setup, teardown),
		cmocka_unit_test(test_tamperings),
		cmocka_unit_test_setup_teardown(test_broken_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewrite_with_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_and_helpers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_patient_filter, setup, teardown),
	};

	if (argc == 4 && strcmp(argv[1], "append") == 0)
		return append_to_instance(argv[2], argv[3]);
	if (mg_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
