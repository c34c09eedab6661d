/* The store's accounts: users with roles and tenants, profile, password
 * and lockout state, the second factor and recovery codes, deletion.
 * Each test gets a fresh database (store_fixture.h); checks that look at
 * the SQLite file itself run only on that back end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>

#include "store_fixture.h"

#define T0 STORE_T0

#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"

static void test_user_create_and_read(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	int64_t tenants[] = { f->tenant2, f->tenant };	/* any order in */
	struct mg_user_new nu = {
		.name = "alice", .display_name = "Alice A.", .email = "alice@example.org",
		.password_hash = HASH, .must_change_password = true,
		.roles = MG_ROLE_TENANT_ADMIN | MG_ROLE_DEVICE_ADMIN, .tenants = tenants,
		.ntenants = 2,
	};
	struct mg_user u, v;
	int64_t id, id2, before = mg_now_ms();

	assert_int_equal(mg_store_user_create(db, &nu, &id), 0);
	assert_int_equal(mg_store_user_by_name(db, "alice", &u), 0);
	assert_int_equal(u.id, id);
	assert_string_equal(u.name, "alice");
	assert_string_equal(u.display_name, "Alice A.");
	assert_string_equal(u.email, "alice@example.org");
	assert_string_equal(u.password_hash, HASH);
	assert_true(u.must_change_password);
	assert_false(u.disabled);
	assert_int_equal(u.roles, MG_ROLE_TENANT_ADMIN | MG_ROLE_DEVICE_ADMIN);
	assert_int_equal(u.ntenants, 2);
	assert_true(u.tenants[0] == f->tenant && u.tenants[1] == f->tenant2);	/* ascending */
	assert_int_equal(u.nsuspended, 0);
	assert_int_equal(u.failed_logins + u.lockouts, 0);
	assert_int_equal(u.locked_until_ms, 0);
	assert_int_equal(u.totp_len + u.totp_pending_len, 0);
	assert_int_equal(u.totp_last_step, 0);
	assert_true(u.created_ms >= before && u.created_ms <= mg_now_ms());
	assert_int_equal(u.password_changed_ms, u.created_ms);
	assert_int_equal(mg_store_user_by_id(db, id, &v), 0);
	assert_memory_equal(&u, &v, sizeof(u));

	assert_int_equal(mg_store_user_create(db, &nu, &id2), MG_ERR_EXISTS);
	assert_int_equal(id2, 0);
	/* No roles, no tenants, no profile. */
	nu = (struct mg_user_new){ .name = "bare", .password_hash = HASH };
	assert_int_equal(mg_store_user_create(db, &nu, &id2), 0);
	assert_int_equal(mg_store_user_by_id(db, id2, &u), 0);
	assert_string_equal(u.display_name, "");
	assert_int_equal(u.roles, 0);
	assert_int_equal(u.ntenants, 0);
	assert_false(u.must_change_password);

	assert_int_equal(mg_store_user_by_name(db, "nobody", &u), MG_ERR_NOT_FOUND);
	assert_int_equal(u.id, 0);
	assert_int_equal(mg_store_user_by_id(db, 999, &u), MG_ERR_NOT_FOUND);
}

static void test_user_create_refused(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	char long_name[MG_NAME_MAX + 2], long_email[MG_EMAIL_MAX + 2];
	char long_hash[MG_PASSWORD_HASH_TEXT + 1];
	int64_t some[] = { f->tenant, 999 }, many[MG_USER_TENANTS_MAX + 1] = { 0 };
	const struct {
		struct mg_user_new u;
		int expect;
	} cases[] = {
		{ { .name = NULL, .password_hash = HASH }, MG_ERR_INVALID },
		{ { .name = "", .password_hash = HASH }, MG_ERR_INVALID },
		{ { .name = "c-nohash" }, MG_ERR_INVALID },
		{ { .name = long_name, .password_hash = HASH }, MG_ERR_LIMIT },
		{ { .name = "c-display", .display_name = long_name, .password_hash = HASH },
		  MG_ERR_LIMIT },
		{ { .name = "c-email", .email = long_email, .password_hash = HASH }, MG_ERR_LIMIT },
		{ { .name = "c-hash", .password_hash = long_hash }, MG_ERR_LIMIT },
		{ { .name = "c-role", .password_hash = HASH, .roles = 1u << 6 }, MG_ERR_INVALID },
		/* Separation of duties. */
		{ { .name = "c-sod", .password_hash = HASH,
		    .roles = MG_ROLE_CLINICIAN | MG_ROLE_DEVICE_ADMIN }, MG_ERR_CONFLICT },
		{ { .name = "c-sod2", .password_hash = HASH,
		    .roles = MG_ROLE_ADMIN | MG_ROLE_TENANT_ADMIN }, MG_ERR_CONFLICT },
		{ { .name = "c-many", .password_hash = HASH, .tenants = many,
		    .ntenants = MG_USER_TENANTS_MAX + 1 }, MG_ERR_LIMIT },
		{ { .name = "c-null", .password_hash = HASH, .ntenants = 1 }, MG_ERR_INVALID },
		/* The row was inserted before the tenant failed: rolled back. */
		{ { .name = "c-unknown", .password_hash = HASH, .roles = MG_ROLE_ADMIN,
		    .tenants = &some[1], .ntenants = 1 }, MG_ERR_NOT_FOUND },
		{ { .name = "c-some", .password_hash = HASH, .tenants = some, .ntenants = 2 },
		  MG_ERR_NOT_FOUND },
	};
	struct mg_user u;
	int64_t id;

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	memset(long_email, 'e', sizeof(long_email) - 1);
	long_email[sizeof(long_email) - 1] = '\0';
	memset(long_hash, 'h', sizeof(long_hash) - 1);
	long_hash[sizeof(long_hash) - 1] = '\0';
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		id = -1;
		print_message("case %zu\n", i);
		assert_int_equal(mg_store_user_create(db, &cases[i].u, &id),
				 cases[i].expect);
		assert_int_equal(id, 0);
		if (cases[i].u.name != NULL && cases[i].u.name[0] != '\0')
			assert_int_equal(mg_store_user_by_name(db, cases[i].u.name, &u),
					 MG_ERR_NOT_FOUND);	/* nothing left behind */
	}
	/* The longest allowed name fits, and reads back whole. */
	long_name[MG_NAME_MAX] = '\0';
	store_user(f, long_name, 0, NULL, 0);
	assert_int_equal(mg_store_user_by_name(db, long_name, &u), 0);
	assert_string_equal(u.name, long_name);
}

struct seen {
	size_t n, stop_after;
	int stop_with;
	char names[16][MG_NAME_MAX + 1];
	unsigned roles[16];
};

static int see_user(const struct mg_user *u, void *arg)
{
	struct seen *s = arg;

	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", u->name);
	s->roles[s->n] = u->roles;
	return ++s->n == s->stop_after ? s->stop_with : 0;
}

static void test_user_list(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	struct seen s = { 0 };

	assert_int_equal(mg_store_user_list(db, see_user, &s), 0);
	assert_int_equal(s.n, 0);
	store_user(f, "zed", MG_ROLE_ADMIN, NULL, 0);
	store_user(f, "amy", MG_ROLE_CLINICIAN, &f->tenant, 1);
	store_user(f, "kim", 0, NULL, 0);
	assert_int_equal(mg_store_user_list(db, see_user, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.names[0], "zed");	/* id order */
	assert_string_equal(s.names[1], "amy");
	assert_int_equal(s.roles[1], MG_ROLE_CLINICIAN);
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	s.stop_with = 42;
	assert_int_equal(mg_store_user_list(db, see_user, &s), 42);
	assert_int_equal(s.n, 2);
}

static void test_user_profile(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	char long_email[MG_EMAIL_MAX + 2];
	int64_t id = store_user(f, "bob", 0, NULL, 0);
	struct mg_user u;

	assert_int_equal(mg_store_user_update_profile(db, id, "Bob B.", "bob@example.org", true), 0);
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_string_equal(u.display_name, "Bob B.");
	assert_string_equal(u.email, "bob@example.org");
	assert_true(u.disabled);
	memset(long_email, 'e', sizeof(long_email) - 1);
	long_email[sizeof(long_email) - 1] = '\0';
	assert_int_equal(mg_store_user_update_profile(db, id, "", long_email, false), MG_ERR_LIMIT);
	assert_int_equal(mg_store_user_update_profile(db, id, NULL, "", false), MG_ERR_INVALID);
	assert_int_equal(mg_store_user_update_profile(db, 999, "", "", false), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_string_equal(u.email, "bob@example.org");	/* unchanged */
	assert_int_equal(mg_store_user_update_profile(db, id, "", "", false), 0);
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_string_equal(u.email, "");
	assert_false(u.disabled);
}

/* Every administrative role one account may hold: all but tenant-admin. */
#define ADMINISTRATIVE                                                                             \
	(MG_ROLE_ADMIN | MG_ROLE_DEVICE_ADMIN | MG_ROLE_SERVICE | MG_ROLE_SECURITY_OFFICER)

/* Each step replaces roles and tenants; a failing step changes nothing. */
static void test_user_set_access(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	const int64_t t1 = f->tenant, t2 = f->tenant2;
	const struct {
		unsigned roles;
		int64_t tenants[3];
		size_t ntenants;
		int expect;
		unsigned roles_after;
		int64_t tenants_after[3];
		size_t ntenants_after;
	} steps[] = {
		{ MG_ROLE_CLINICIAN, { t1 }, 1, 0, MG_ROLE_CLINICIAN, { t1 }, 1 },
		{ MG_ROLE_ADMIN | MG_ROLE_SERVICE, { t2, t1 }, 2, 0,
		  MG_ROLE_ADMIN | MG_ROLE_SERVICE, { t1, t2 }, 2 },
		{ MG_ROLE_CLINICIAN, { t1, 999 }, 2, MG_ERR_NOT_FOUND,
		  MG_ROLE_ADMIN | MG_ROLE_SERVICE, { t1, t2 }, 2 },
		{ 1u << 7, { 0 }, 0, MG_ERR_INVALID,
		  MG_ROLE_ADMIN | MG_ROLE_SERVICE, { t1, t2 }, 2 },
		{ MG_ROLE_CLINICIAN | MG_ROLE_SERVICE, { t1 }, 1, MG_ERR_CONFLICT,
		  MG_ROLE_ADMIN | MG_ROLE_SERVICE, { t1, t2 }, 2 },
		{ 0, { 0 }, 0, 0, 0, { 0 }, 0 },
		{ ADMINISTRATIVE, { t2, t2 }, 2, 0, ADMINISTRATIVE, { t2 }, 1 },
	};
	int64_t id = store_user(f, "carol", 0, NULL, 0), many[MG_USER_TENANTS_MAX + 1] = { 0 };
	struct mg_user u;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		print_message("step %zu\n", i);
		assert_int_equal(mg_store_user_set_access(db, id, steps[i].roles, steps[i].tenants,
						     steps[i].ntenants),
				 steps[i].expect);
		assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
		assert_int_equal(u.roles, steps[i].roles_after);
		assert_int_equal(u.ntenants, steps[i].ntenants_after);
		for (size_t j = 0; j < u.ntenants; j++)
			assert_int_equal(u.tenants[j], steps[i].tenants_after[j]);
	}
	assert_int_equal(mg_store_user_set_access(db, 999, 0, NULL, 0), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_user_set_access(db, id, 0, many, MG_USER_TENANTS_MAX + 1),
			 MG_ERR_LIMIT);
}

static void test_user_password_and_lockout(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	int64_t id = store_user(f, "dave", 0, NULL, 0);
	char long_hash[MG_PASSWORD_HASH_TEXT + 1];
	struct mg_user u;
	unsigned n;

	for (unsigned i = 1; i <= 3; i++) {
		assert_int_equal(mg_store_user_login_failed(db, id, &n), 0);
		assert_int_equal(n, i);
	}
	assert_int_equal(mg_store_user_set_lock(db, id, T0, 2), 0);
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_int_equal(u.failed_logins, 3);
	assert_int_equal(u.lockouts, 2);
	assert_int_equal(u.locked_until_ms, T0);
	assert_int_equal(mg_store_user_login_succeeded(db, id), 0);
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_int_equal(u.failed_logins + u.lockouts, 0);

	assert_int_equal(mg_store_user_login_failed(db, id, &n), 0);
	assert_int_equal(mg_store_user_set_lock(db, id, T0 + 1, 1), 0);
	assert_int_equal(mg_store_user_set_password(db, id, "$new", false, T0 + 5), 0);
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_string_equal(u.password_hash, "$new");
	assert_false(u.must_change_password);
	assert_int_equal(u.failed_logins + u.lockouts, 0);
	assert_int_equal(u.locked_until_ms, 0);
	assert_int_equal(u.password_changed_ms, T0 + 5);

	memset(long_hash, 'h', sizeof(long_hash) - 1);
	long_hash[sizeof(long_hash) - 1] = '\0';
	assert_int_equal(mg_store_user_set_password(db, id, long_hash, true, T0), MG_ERR_LIMIT);
	assert_int_equal(mg_store_user_set_password(db, id, NULL, true, T0), MG_ERR_INVALID);
	assert_int_equal(mg_store_user_set_password(db, 999, "$x", true, T0), MG_ERR_NOT_FOUND);
	n = 7;
	assert_int_equal(mg_store_user_login_failed(db, 999, &n), MG_ERR_NOT_FOUND);
	assert_int_equal(n, 0);
	assert_int_equal(mg_store_user_set_lock(db, 999, T0, 1), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_user_login_succeeded(db, 999), MG_ERR_NOT_FOUND);
}

#define THREADS 8
#define EACH 25

struct race {
	struct store_fixture *f;
	int64_t user;
	atomic_int wins[THREADS * EACH + 1];
	atomic_int failures;
};

static void *fail_logins(void *arg)
{
	struct race *r = arg;
	unsigned n;

	for (int i = 0; i < EACH; i++) {
		if (mg_store_user_login_failed(r->f->store, r->user, &n) != 0 ||
		    n > THREADS * EACH)
			atomic_fetch_add(&r->failures, 1);
		else
			atomic_fetch_add(&r->wins[n], 1);
	}
	return NULL;
}

static void *use_steps(void *arg)
{
	struct race *r = arg;

	for (int step = 1; step <= THREADS * EACH; step++) {
		int rc = mg_store_totp_use_step(r->f->store, r->user, step);

		if (rc == 0)
			atomic_fetch_add(&r->wins[step], 1);
		else if (rc != MG_ERR_DENIED)
			atomic_fetch_add(&r->failures, 1);
	}
	return NULL;
}

static void run_threads(struct race *r, void *(*fn)(void *))
{
	pthread_t threads[THREADS];

	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, fn, r), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	assert_int_equal(atomic_load(&r->failures), 0);
}

/* Concurrent failures each get their own count: no update is lost. */
static void test_login_failed_concurrent(void **state)
{
	struct race *r = calloc(1, sizeof(*r));
	struct mg_user u;

	assert_non_null(r);
	r->f = *state;
	r->user = store_user(r->f, "erin", 0, NULL, 0);
	run_threads(r, fail_logins);
	for (int n = 1; n <= THREADS * EACH; n++)
		assert_int_equal(atomic_load(&r->wins[n]), 1);
	assert_int_equal(mg_store_user_by_id(r->f->store, r->user, &u), 0);
	assert_int_equal(u.failed_logins, THREADS * EACH);
	free(r);
}

static void test_totp(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	unsigned char sealed[40], big[MG_TOTP_SEALED_MAX + 1] = { 0 };
	unsigned char codes[3][MG_TOKEN_HASH_BYTES];
	const struct {
		int64_t step;
		int expect;
	} uses[] = {
		{ 1000, MG_ERR_DENIED }, { 999, MG_ERR_DENIED }, { 1001, 0 },
		{ 1001, MG_ERR_DENIED }, { 1003, 0 }, { 1002, MG_ERR_DENIED },
	};
	int64_t id = store_user(f, "faye", 0, NULL, 0);
	struct mg_user u;
	unsigned left;

	memset(sealed, 0x5a, sizeof(sealed));
	assert_int_equal(mg_store_totp_activate(db, id, 1000), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_totp_set_pending(db, id, sealed, sizeof(sealed)), 0);
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_int_equal(u.totp_pending_len, sizeof(sealed));
	assert_memory_equal(u.totp_pending, sealed, sizeof(sealed));
	assert_int_equal(u.totp_len, 0);
	assert_int_equal(mg_store_totp_set_pending(db, id, sealed, 0), MG_ERR_INVALID);
	assert_int_equal(mg_store_totp_set_pending(db, id, big, sizeof(big)), MG_ERR_LIMIT);
	assert_int_equal(mg_store_totp_set_pending(db, 999, sealed, 8), MG_ERR_NOT_FOUND);

	assert_int_equal(mg_store_totp_activate(db, id, 1000), 0);
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_int_equal(u.totp_len, sizeof(sealed));
	assert_memory_equal(u.totp_sealed, sealed, sizeof(sealed));
	assert_int_equal(u.totp_pending_len, 0);
	assert_int_equal(u.totp_last_step, 1000);
	assert_int_equal(mg_store_totp_activate(db, id, 1001), MG_ERR_NOT_FOUND);
	/* A step is accepted once, and never one before the last accepted. */
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		assert_int_equal(mg_store_totp_use_step(db, id, uses[i].step),
				 uses[i].expect);
	assert_int_equal(mg_store_totp_use_step(db, 999, 5000), MG_ERR_DENIED);

	for (unsigned i = 0; i < 3; i++)
		store_hash(codes[i], i);
	assert_int_equal(mg_store_recovery_codes_set(db, id,
						(const unsigned char (*)[MG_TOKEN_HASH_BYTES])codes,
						3), 0);
	assert_int_equal(mg_store_totp_clear(db, id), 0);
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_int_equal(u.totp_len + u.totp_pending_len, 0);
	assert_int_equal(mg_store_recovery_codes_left(db, id, &left), 0);
	assert_int_equal(left, 0);
	assert_int_equal(mg_store_totp_clear(db, 999), MG_ERR_NOT_FOUND);
}

/* Threads race for the same steps: each step is accepted at most once. */
static void test_totp_step_race(void **state)
{
	struct race *r = calloc(1, sizeof(*r));
	int total = 0;

	assert_non_null(r);
	r->f = *state;
	r->user = store_user(r->f, "gus", 0, NULL, 0);
	run_threads(r, use_steps);
	for (int step = 1; step <= THREADS * EACH; step++) {
		assert_true(atomic_load(&r->wins[step]) <= 1);
		total += atomic_load(&r->wins[step]);
	}
	assert_true(total >= 1);
	free(r);
}

static void test_recovery_codes(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	unsigned char codes[MG_RECOVERY_CODES + 1][MG_TOKEN_HASH_BYTES];
	unsigned char other[MG_TOKEN_HASH_BYTES];
	const unsigned char (*list)[MG_TOKEN_HASH_BYTES] =
		(const unsigned char (*)[MG_TOKEN_HASH_BYTES])codes;
	int64_t id = store_user(f, "hal", 0, NULL, 0), id2 = store_user(f, "ian", 0, NULL, 0);
	unsigned left;

	for (unsigned i = 0; i <= MG_RECOVERY_CODES; i++)
		store_hash(codes[i], 10 + i);
	store_hash(other, 99);
	assert_int_equal(mg_store_recovery_codes_set(db, id, list, MG_RECOVERY_CODES), 0);
	assert_int_equal(mg_store_recovery_codes_left(db, id, &left), 0);
	assert_int_equal(left, MG_RECOVERY_CODES);
	assert_int_equal(mg_store_recovery_code_use(db, id, codes[3], T0), 0);
	assert_int_equal(mg_store_recovery_code_use(db, id, codes[3], T0), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_recovery_code_use(db, id, other, T0), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_recovery_code_use(db, id2, codes[4], T0),
			 MG_ERR_NOT_FOUND);	/* another account's code */
	assert_int_equal(mg_store_recovery_codes_left(db, id, &left), 0);
	assert_int_equal(left, MG_RECOVERY_CODES - 1);

	/* A new set replaces the old one. */
	assert_int_equal(mg_store_recovery_codes_set(db, id, list + 8, 2), 0);
	assert_int_equal(mg_store_recovery_codes_left(db, id, &left), 0);
	assert_int_equal(left, 2);
	assert_int_equal(mg_store_recovery_code_use(db, id, codes[5], T0), MG_ERR_NOT_FOUND);
	/* Refused sets change nothing. */
	assert_int_equal(mg_store_recovery_codes_set(db, id, list, MG_RECOVERY_CODES + 1), MG_ERR_LIMIT);
	memcpy(codes[1], codes[0], MG_TOKEN_HASH_BYTES);
	assert_int_equal(mg_store_recovery_codes_set(db, id, list, 2), MG_ERR_EXISTS);
	assert_int_equal(mg_store_recovery_codes_left(db, id, &left), 0);
	assert_int_equal(left, 2);
	assert_int_equal(mg_store_recovery_code_use(db, id, codes[9], T0), 0);

	assert_int_equal(mg_store_recovery_codes_set(db, 999, list, 1), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_recovery_codes_left(db, 999, &left), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_recovery_codes_set(db, id, NULL, 0), 0);
	assert_int_equal(mg_store_recovery_codes_left(db, id, &left), 0);
	assert_int_equal(left, 0);
}

/* Deleting an account takes everything that hangs on it along. */
static void test_user_delete(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	int64_t id = store_user(f, "oli", MG_ROLE_CLINICIAN, &f->tenant, 1), user;
	unsigned char h[2][MG_TOKEN_HASH_BYTES];
	struct mg_session s = store_session(id, T0, T0, T0 + 3600000), out;
	struct mg_tenant_usage usage;
	struct mg_user u;
	unsigned left;
	static const char *const tables[] = { "user_roles", "user_tenants", "sessions",
					      "recovery_codes", "password_resets" };

	store_hash(h[0], 500);
	store_hash(h[1], 501);
	assert_int_equal(mg_store_session_create(db, h[0], &s, 0), 0);
	assert_int_equal(mg_store_recovery_codes_set(db, id,
						(const unsigned char (*)[MG_TOKEN_HASH_BYTES])h, 2),
			 0);
	assert_int_equal(mg_store_reset_create(db, h[1], id, T0, T0 + 1000), 0);
	assert_int_equal(mg_store_user_delete(db, id), 0);

	assert_int_equal(mg_store_user_by_id(db, id, &u), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_user_by_name(db, "oli", &u), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_session_get(db, h[0], T0, 60000, &out), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_reset_consume(db, h[1], T0, &user), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_recovery_codes_left(db, id, &left), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_tenant_usage(db, f->tenant, &usage), 0);
	assert_int_equal(usage.members, 0);
	assert_int_equal(mg_store_user_delete(db, id), MG_ERR_NOT_FOUND);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[96];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE user_id = ?", tables[i]);
		assert_int_equal(store_sql_count(f, sql, id), 0);
	}
}

/* A role name this medgate does not know makes the account unreadable
 * rather than silently weaker or stronger. */
static void test_unknown_role(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	int64_t id = store_user(f, "pat", MG_ROLE_ADMIN, NULL, 0);
	struct seen seen = { 0 };
	struct mg_user u;

	assert_int_equal(store_sql_count(f, "INSERT INTO user_roles VALUES (?, 'superuser')", id),
			 1);
	assert_int_equal(mg_store_user_by_id(db, id, &u), MG_ERR_STORE);
	assert_int_equal(u.id, 0);
	assert_string_equal(u.password_hash, "");
	assert_int_equal(mg_store_user_list(db, see_user, &seen), MG_ERR_STORE);
}

/* Names are data: quotes, comment markers and the like reach SQLite only
 * as bound values. A NUL ends a C string, so "a\0b" is the name "a". */
static void test_metacharacters(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	static const char *const names[] = {
		"x'); DROP TABLE users;--", "' OR '1'='1", "\"double\"", "back\\slash",
		"semi;colon", "100%_match", "ünïcødé", "tab\tnew\nline", "a\0b",
	};
	const size_t n = sizeof(names) / sizeof(names[0]);
	char value[64];
	struct seen seen = { 0 };
	struct mg_user u;
	unsigned count;

	for (size_t i = 0; i < n; i++) {
		int64_t id = store_user(f, names[i], 0, NULL, 0);

		assert_int_equal(mg_store_user_by_name(db, names[i], &u), 0);
		assert_int_equal(u.id, id);
		assert_string_equal(u.name, names[i]);
		assert_int_equal(mg_store_setting_set(db, names[i], names[i]), 0);
		assert_int_equal(mg_store_setting_get(db, names[i], value, sizeof(value)),
				 0);
		assert_string_equal(value, names[i]);
		assert_int_equal(mg_store_address_failed(db, names[i], T0, 1000, &count), 0);
		assert_int_equal(count, 1);
	}
	assert_int_equal(mg_store_user_by_name(db, "a", &u), 0);
	assert_int_equal(mg_store_user_by_name(db, "x' OR 'x'='x", &u), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_user_by_name(db, "%", &u), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_user_list(db, see_user, &seen), 0);
	assert_int_equal(seen.n, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, store_fixture_setup, store_fixture_teardown)
		T(test_user_create_and_read),
		T(test_user_create_refused),
		T(test_user_list),
		T(test_user_profile),
		T(test_user_set_access),
		T(test_user_password_and_lockout),
		T(test_login_failed_concurrent),
		T(test_totp),
		T(test_totp_step_race),
		T(test_recovery_codes),
		T(test_user_delete),
		T(test_unknown_role),
		T(test_metacharacters),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
