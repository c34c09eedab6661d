/* The store's sessions (idle and absolute expiry, concurrent use), failed
 * logins per address, password reset links and run-time settings. Each
 * test gets a fresh database (store_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "store_fixture.h"

#define T0 STORE_T0

#define THREADS 8
#define EACH 25

/* Valid while now < expires and now < last_seen + idle; a session found
 * invalid is deleted, so it stays gone even for an earlier now. */
static void test_session_expiry(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	const int64_t idle = 900000;
	const struct {
		const char *what;
		int64_t last_seen, expires, now, idle;
		int expect;
	} cases[] = {
		{ "fresh", T0, T0 + 3600000, T0 + 1000, idle, 0 },
		{ "idle, last ms", T0, T0 + 3600000, T0 + idle - 1, idle, 0 },
		{ "idle, at the limit", T0, T0 + 3600000, T0 + idle, idle, MG_ERR_EXPIRED },
		{ "absolute, last ms", T0, T0 + 1001, T0 + 1000, idle, 0 },
		{ "absolute, at the limit", T0, T0 + 1000, T0 + 1000, idle, MG_ERR_EXPIRED },
		{ "both past", T0, T0 + 1000, T0 + 2 * idle, idle, MG_ERR_EXPIRED },
		{ "no idle time", T0, T0 + 3600000, T0, 0, MG_ERR_EXPIRED },
	};
	int64_t user = store_user(f, "jan", 0, NULL, 0);
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	struct mg_session s, out;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i].what);
		store_hash(hash, (unsigned)i);
		s = store_session(user, T0, cases[i].last_seen, cases[i].expires);
		assert_int_equal(mg_store_session_create(db, hash, &s, 0), 0);
		assert_int_equal(mg_store_session_get(db, hash, cases[i].now, cases[i].idle, &out),
				 cases[i].expect);
		if (cases[i].expect == 0) {
			assert_int_equal(out.user_id, user);
			assert_string_equal(out.csrf, s.csrf);
			assert_string_equal(out.address, s.address);
			assert_int_equal(out.created_ms, T0);
			assert_int_equal(out.expires_ms, cases[i].expires);
			assert_int_equal(out.last_seen_ms, cases[i].now);
		} else {
			/* Whose it was, for the audit of the timeout; then gone. */
			assert_int_equal(out.user_id, user);
			assert_string_equal(out.address, s.address);
			assert_string_equal(out.csrf, "");
			assert_int_equal(mg_store_session_get(db, hash, T0, idle, &out),
					 MG_ERR_NOT_FOUND);
			assert_int_equal(out.user_id, 0);
		}
	}
	/* Each use moves the idle limit. */
	store_hash(hash, 100);
	s = store_session(user, T0, T0, T0 + 10 * idle);
	assert_int_equal(mg_store_session_create(db, hash, &s, 0), 0);
	assert_int_equal(mg_store_session_get(db, hash, T0 + idle - 1, idle, &out), 0);
	assert_int_equal(mg_store_session_get(db, hash, T0 + 2 * idle - 2, idle, &out), 0);
	assert_int_equal(mg_store_session_get(db, hash, T0 + 3 * idle, idle, &out), MG_ERR_EXPIRED);
	assert_int_equal(mg_store_session_get(db, hash, T0 + 1, idle, &out), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_session_get(db, hash, T0, -1, &out), MG_ERR_INVALID);
}

struct swept {
	int n, idle;
	int64_t user;
};

static void on_swept(int64_t user_id, const char *address, bool idle, void *arg)
{
	struct swept *w = arg;

	assert_string_equal(address, "2001:db8::1");
	w->n++;
	w->idle += idle;
	w->user = user_id;
}

/* The sweep removes exactly the expired sessions and says why each went. */
static void test_session_sweep(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	const int64_t idle = 900000;
	int64_t user = store_user(f, "sam", 0, NULL, 0);
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	struct mg_session s, out;
	struct swept w = { 0 };

	store_hash(hash, 1);	/* idle too long */
	s = store_session(user, T0, T0, T0 + 10 * idle);
	assert_int_equal(mg_store_session_create(db, hash, &s, 0), 0);
	store_hash(hash, 2);	/* lifetime over */
	s = store_session(user, T0, T0 + 2 * idle - 10, T0 + 2 * idle - 5);
	assert_int_equal(mg_store_session_create(db, hash, &s, 0), 0);
	store_hash(hash, 3);	/* alive */
	s = store_session(user, T0, T0 + 2 * idle - 10, T0 + 10 * idle);
	assert_int_equal(mg_store_session_create(db, hash, &s, 0), 0);
	assert_int_equal(mg_store_session_sweep(db, T0 + 2 * idle, idle, on_swept, &w), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.idle, 1);
	assert_int_equal(w.user, user);
	memset(&w, 0, sizeof(w));
	assert_int_equal(mg_store_session_sweep(db, T0 + 2 * idle, idle, on_swept, &w), 0);
	assert_int_equal(w.n, 0);
	assert_int_equal(mg_store_session_get(db, hash, T0 + 2 * idle, idle, &out), 0);
	assert_int_equal(mg_store_session_sweep(db, T0, -1, on_swept, &w), MG_ERR_INVALID);
}

static void test_session_create_delete(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	int64_t a = store_user(f, "kai", 0, NULL, 0), b = store_user(f, "lea", 0, NULL, 0);
	unsigned char h[5][MG_TOKEN_HASH_BYTES];
	struct mg_session s = store_session(a, T0, T0, T0 + 3600000), out;

	for (unsigned i = 0; i < 5; i++)
		store_hash(h[i], 200 + i);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(mg_store_session_create(db, h[i], &s, 0), 0);
	s.user_id = b;
	assert_int_equal(mg_store_session_create(db, h[3], &s, 0), 0);
	assert_int_equal(mg_store_session_create(db, h[3], &s, 0), MG_ERR_EXISTS);
	s.user_id = 999;
	assert_int_equal(mg_store_session_create(db, h[4], &s, 0), MG_ERR_NOT_FOUND);
	s.user_id = b;
	memset(s.csrf, 'c', sizeof(s.csrf));	/* no NUL */
	assert_int_equal(mg_store_session_create(db, h[4], &s, 0), MG_ERR_INVALID);

	assert_int_equal(mg_store_session_delete(db, h[0]), 0);
	assert_int_equal(mg_store_session_get(db, h[0], T0, 60000, &out), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_session_delete(db, h[0]), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_session_delete_user(db, a), 0);
	assert_int_equal(mg_store_session_get(db, h[1], T0, 60000, &out), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_session_get(db, h[2], T0, 60000, &out), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_session_get(db, h[3], T0, 60000, &out), 0);
	assert_int_equal(mg_store_session_delete_user(db, a), 0);	/* none left */

	/* A new session of b drops b's sessions past their absolute expiry. */
	s = store_session(b, T0, T0, T0 + 10);
	assert_int_equal(mg_store_session_create(db, h[0], &s, 0), 0);
	s = store_session(b, T0 + 20, T0 + 20, T0 + 3600000);
	assert_int_equal(mg_store_session_create(db, h[1], &s, 0), 0);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM sessions WHERE user_id = ?", b),
			 2);
}

/* Whether the session with hash v is still there (at T0). */
static bool session_there(struct mg_store *db, unsigned v)
{
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	struct mg_session out;

	store_hash(hash, v);
	return mg_store_session_get(db, hash, T0, 60000, &out) == 0;
}

/* Sign in as user at created with the session of hash v, at most max. */
static void sign_in(struct mg_store *db, int64_t user, int64_t created, unsigned v, unsigned max)
{
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	struct mg_session s = store_session(user, created, T0, T0 + 3600000);

	store_hash(hash, v);
	assert_int_equal(mg_store_session_create(db, hash, &s, max), 0);
}

/* At most max sessions per account: the 6th of 5 ends the oldest (by
 * created_ms, then hash), the new one always stays, other accounts are
 * untouched, and 0 sets no bound. */
static void test_sessions_per_user(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	int64_t a = store_user(f, "nia", 0, NULL, 0), b = store_user(f, "ole", 0, NULL, 0);
	const char *count_sql = "SELECT count(*) FROM sessions WHERE user_id = ?";

	sign_in(db, b, T0 - 10, 500, 5);
	sign_in(db, b, T0 - 5, 501, 5);
	for (unsigned i = 0; i < 5; i++)
		sign_in(db, a, T0 + i, 400 + i, 5);
	assert_int_equal(store_sql_count(f, count_sql, a), 5);
	sign_in(db, a, T0 + 5, 405, 5);
	assert_int_equal(store_sql_count(f, count_sql, a), 5);
	assert_false(session_there(db, 400));	/* the oldest */
	for (unsigned i = 1; i <= 5; i++)
		assert_true(session_there(db, 400 + i));
	assert_int_equal(store_sql_count(f, count_sql, b), 2);
	assert_true(session_there(db, 500) && session_there(db, 501));

	/* A new session older than the others (another gateway's clock) still
	 * stays; the oldest of the others go. */
	sign_in(db, a, T0 - 100, 406, 3);
	assert_int_equal(store_sql_count(f, count_sql, a), 3);
	assert_true(session_there(db, 406) && session_there(db, 405) && session_there(db, 404));
	/* One at a time; then no bound at all. */
	sign_in(db, a, T0 + 6, 407, 1);
	assert_int_equal(store_sql_count(f, count_sql, a), 1);
	assert_true(session_there(db, 407));
	for (unsigned i = 0; i < 3; i++)
		sign_in(db, a, T0 + 7 + i, 408 + i, 0);
	assert_int_equal(store_sql_count(f, count_sql, a), 4);
	assert_int_equal(store_sql_count(f, count_sql, b), 2);
}

struct signer {
	struct mg_store *db;
	int64_t user;
	unsigned index;
	atomic_int failures;
};

static void *sign_in_often(void *arg)
{
	struct signer *g = arg;
	unsigned char hash[MG_TOKEN_HASH_BYTES];

	for (unsigned i = 0; i < EACH; i++) {
		struct mg_session s = store_session(g->user, T0 + i, T0, T0 + 3600000);

		store_hash(hash, 1000 + g->index * EACH + i);
		if (mg_store_session_create(g->db, hash, &s, 3) != 0)
			atomic_fetch_add(&g->failures, 1);
	}
	return NULL;
}

/* Sign-ins of one account racing on several connections never leave more
 * than the bound. */
static void test_sessions_per_user_concurrent(void **state)
{
	struct store_fixture *f = *state;
	struct signer g[THREADS];
	pthread_t threads[THREADS];
	int64_t user = store_user(f, "pia", 0, NULL, 0);

	for (unsigned i = 0; i < THREADS; i++) {
		g[i].db = f->store;
		g[i].user = user;
		g[i].index = i;
		atomic_init(&g[i].failures, 0);
		assert_int_equal(pthread_create(&threads[i], NULL, sign_in_often, &g[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(atomic_load(&g[i].failures), 0);
	}
	assert_int_equal(
	    store_sql_count(f, "SELECT count(*) FROM sessions WHERE user_id = ?", user), 3);
}

struct getter {
	struct store_fixture *f;
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	int index;
	atomic_int failures;
};

static void *get_session(void *arg)
{
	struct getter *g = arg;
	int index = g->index;
	struct mg_session out;

	for (int i = 0; i < EACH; i++) {
		if (mg_store_session_get(g->f->store, g->hash, T0 + 1 + i * THREADS + index,
					     60000, &out) != 0)
			atomic_fetch_add(&g->failures, 1);
	}
	return NULL;
}

/* Concurrent uses of one live session all succeed, and last_seen ends at
 * the latest of them. */
static void test_session_get_concurrent(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	struct getter g[THREADS];
	pthread_t threads[THREADS];
	struct mg_session s, out;

	s = store_session(store_user(f, "max", 0, NULL, 0), T0, T0, T0 + 3600000);
	for (int i = 0; i < THREADS; i++) {
		g[i].f = f;
		store_hash(g[i].hash, 300);
		g[i].index = i;
		atomic_init(&g[i].failures, 0);
	}
	assert_int_equal(mg_store_session_create(db, g[0].hash, &s, 0), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, get_session, &g[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(atomic_load(&g[i].failures), 0);
	}
	assert_int_equal(mg_store_session_get(db, g[0].hash, T0, 60000, &out), 0);
	assert_int_equal(out.last_seen_ms, T0 + 1 + (EACH - 1) * THREADS + THREADS - 1);
}

static void test_address_failures(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	const int64_t window = 60000;
	const char *a = "192.0.2.7", *b = "2001:db8::42";
	const char *evil = "'; DELETE FROM address_failures;--";
	const struct {
		const char *address;
		int64_t now;
		bool count;	/* address_failed, else address_failures */
		unsigned expect;
	} steps[] = {
		{ a, T0, true, 1 },
		{ a, T0 + 1000, true, 2 },
		{ a, T0 + 2000, false, 2 },
		{ b, T0 + 2000, false, 0 },
		{ b, T0 + 2000, true, 1 },
		{ evil, T0 + 2000, true, 1 },
		{ a, T0 + window - 1, true, 3 },
		{ a, T0 + window, false, 0 },	/* the window has run out */
		{ a, T0 + window, true, 1 },	/* and starts again */
		{ a, T0 + window + 1, false, 1 },
		{ b, T0 + window + 1999, false, 1 },
		{ b, T0 + window + 2000, false, 0 },
		{ evil, T0 + window + 1999, false, 1 },
	};
	char long_address[MG_ADDRESS_TEXT_MAX + 2];
	unsigned n;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		print_message("step %zu\n", i);
		n = 99;
		if (steps[i].count)
			assert_int_equal(mg_store_address_failed(db, steps[i].address, steps[i].now,
							    window, &n), 0);
		else
			assert_int_equal(mg_store_address_failures(db, steps[i].address, steps[i].now,
							      window, &n), 0);
		assert_int_equal(n, steps[i].expect);
	}
	memset(long_address, '1', sizeof(long_address) - 1);
	long_address[sizeof(long_address) - 1] = '\0';
	assert_int_equal(mg_store_address_failed(db, long_address, T0, window, &n), MG_ERR_LIMIT);
	assert_int_equal(mg_store_address_failures(db, NULL, T0, window, &n), MG_ERR_INVALID);
	/* Windows that ran out are dropped when another failure is counted. */
	assert_int_equal(mg_store_address_failed(db, b, T0 + 10 * window, window, &n), 0);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM address_failures", 0), 1);
}

struct consumer {
	struct store_fixture *f;
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	atomic_int wins, failures;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	int64_t user;
	int r = mg_store_reset_consume(c->f->store, c->hash, T0 + 1, &user);

	if (r == 0)
		atomic_fetch_add(&c->wins, 1);
	else if (r != MG_ERR_NOT_FOUND)
		atomic_fetch_add(&c->failures, 1);
	return NULL;
}

static void test_resets(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	int64_t id = store_user(f, "ned", 0, NULL, 0), user;
	unsigned char h[4][MG_TOKEN_HASH_BYTES];
	struct consumer c = { .f = f };
	pthread_t threads[THREADS];

	for (unsigned i = 0; i < 4; i++)
		store_hash(h[i], 400 + i);
	assert_int_equal(mg_store_reset_create(db, h[0], id, T0, T0 + 1000), 0);
	assert_int_equal(mg_store_reset_consume(db, h[0], T0 + 999, &user), 0);
	assert_int_equal(user, id);
	assert_int_equal(mg_store_reset_consume(db, h[0], T0 + 999, &user),
			 MG_ERR_NOT_FOUND);	/* used */
	assert_int_equal(user, 0);
	assert_int_equal(mg_store_reset_create(db, h[1], id, T0, T0 + 1000), 0);
	assert_int_equal(mg_store_reset_consume(db, h[1], T0 + 1000, &user),
			 MG_ERR_NOT_FOUND);	/* expired */
	assert_int_equal(mg_store_reset_consume(db, h[2], T0, &user), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_reset_create(db, h[2], id, T0, T0 + 1000), 0);
	assert_int_equal(mg_store_reset_create(db, h[2], id, T0, T0 + 1000), MG_ERR_EXISTS);
	assert_int_equal(mg_store_reset_create(db, h[3], 999, T0, T0 + 1000), MG_ERR_NOT_FOUND);
	/* One link, many tries at once: one wins. */
	memcpy(c.hash, h[2], sizeof(c.hash));
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, consume, &c), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	assert_int_equal(atomic_load(&c.wins), 1);
	assert_int_equal(atomic_load(&c.failures), 0);
}

static void test_settings(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	char value[MG_SETTING_VALUE_MAX + 2], small[4];

	assert_int_equal(mg_store_setting_get(db, "totp_roles", value, sizeof(value)), MG_ERR_NOT_FOUND);
	assert_string_equal(value, "");
	assert_int_equal(mg_store_setting_set(db, "totp_roles", "admin,clinician"), 0);
	assert_int_equal(mg_store_setting_get(db, "totp_roles", value, sizeof(value)), 0);
	assert_string_equal(value, "admin,clinician");
	assert_int_equal(mg_store_setting_set(db, "totp_roles", "admin"), 0);
	assert_int_equal(mg_store_setting_get(db, "totp_roles", value, sizeof(value)), 0);
	assert_string_equal(value, "admin");
	assert_int_equal(mg_store_setting_get(db, "totp_roles", small, sizeof(small)), MG_ERR_LIMIT);
	assert_string_equal(small, "");

	memset(value, 'v', MG_SETTING_VALUE_MAX);
	value[MG_SETTING_VALUE_MAX] = '\0';
	assert_int_equal(mg_store_setting_set(db, "long", value), 0);
	value[MG_SETTING_VALUE_MAX] = 'v';
	value[MG_SETTING_VALUE_MAX + 1] = '\0';
	assert_int_equal(mg_store_setting_set(db, "long", value), MG_ERR_LIMIT);
	assert_int_equal(mg_store_setting_get(db, "long", value, sizeof(value)), 0);
	assert_int_equal(strlen(value), MG_SETTING_VALUE_MAX);
	assert_int_equal(mg_store_setting_set(db, NULL, "x"), MG_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, store_fixture_setup, store_fixture_teardown)
		T(test_session_expiry),
		T(test_session_sweep),
		T(test_session_create_delete),
		T(test_sessions_per_user),
		T(test_sessions_per_user_concurrent),
		T(test_session_get_concurrent),
		T(test_address_failures),
		T(test_resets),
		T(test_settings),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
