/* Separation of duties in the store: roles one account may not hold
 * together are refused (MG_ERR_CONFLICT), roles change without touching
 * memberships, and tenant memberships are added, removed, suspended and
 * confirmed one at a time, active ones in mg_user.tenants and suspended
 * ones in mg_user.suspended. Both back ends (store_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

/* The account's memberships as they read back: active, then suspended. */
static void expect_memberships(struct store_fixture *f, int64_t id, const int64_t *active,
			       size_t nactive, const int64_t *suspended, size_t nsuspended)
{
	struct mg_user u;

	assert_int_equal(mg_store_user_by_id(f->store, id, &u), 0);
	assert_int_equal(u.ntenants, nactive);
	for (size_t i = 0; i < nactive; i++)
		assert_int_equal(u.tenants[i], active[i]);
	assert_int_equal(u.nsuspended, nsuspended);
	for (size_t i = 0; i < nsuspended; i++)
		assert_int_equal(u.suspended[i], suspended[i]);
}

static void test_roles_conflict(void **state)
{
	static const struct {
		unsigned roles;
		const char *conflict;	/* NULL: allowed */
	} cases[] = {
		{ 0, NULL },
		{ MG_ROLE_CLINICIAN, NULL },
		{ MG_ROLE_ADMIN | MG_ROLE_DEVICE_ADMIN | MG_ROLE_SERVICE | MG_ROLE_SECURITY_OFFICER,
		  NULL },
		{ MG_ROLE_TENANT_ADMIN | MG_ROLE_DEVICE_ADMIN | MG_ROLE_SECURITY_OFFICER, NULL },
		{ MG_ROLE_CLINICIAN | MG_ROLE_ADMIN, "clinician cannot be held together with admin" },
		{ MG_ROLE_CLINICIAN | MG_ROLE_TENANT_ADMIN,
		  "clinician cannot be held together with tenant-admin" },
		{ MG_ROLE_CLINICIAN | MG_ROLE_DEVICE_ADMIN,
		  "clinician cannot be held together with device-admin" },
		{ MG_ROLE_CLINICIAN | MG_ROLE_SERVICE,
		  "clinician cannot be held together with service" },
		{ MG_ROLE_CLINICIAN | MG_ROLE_SECURITY_OFFICER,
		  "clinician cannot be held together with security-officer" },
		/* The first administrative role in order is named. */
		{ MG_ROLE_CLINICIAN | MG_ROLE_SERVICE | MG_ROLE_DEVICE_ADMIN,
		  "clinician cannot be held together with device-admin" },
		{ MG_ROLES_ALL, "clinician cannot be held together with admin" },
		{ MG_ROLE_ADMIN | MG_ROLE_TENANT_ADMIN,
		  "admin cannot be held together with tenant-admin" },
	};

	(void)state;
	assert_string_equal(mg_role_name(MG_ROLE_SECURITY_OFFICER), "security-officer");
	assert_int_equal(mg_role_at(MG_ROLE_COUNT - 1), MG_ROLE_SECURITY_OFFICER);
	assert_string_equal(mg_strerror(MG_ERR_CONFLICT), "conflicting roles or state");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = mg_roles_conflict(cases[i].roles);

		print_message("case %zu\n", i);
		if (cases[i].conflict == NULL)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].conflict);
	}
}

/* A security officer's role reads back by name like every other. */
static void test_security_officer_stored(void **state)
{
	struct store_fixture *f = *state;
	int64_t id = store_user(f, "sec", MG_ROLE_SECURITY_OFFICER | MG_ROLE_DEVICE_ADMIN, NULL, 0);
	struct mg_user u;

	assert_int_equal(mg_store_user_by_id(f->store, id, &u), 0);
	assert_int_equal(u.roles, MG_ROLE_SECURITY_OFFICER | MG_ROLE_DEVICE_ADMIN);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM user_roles"
					    " WHERE user_id = ? AND role = 'security-officer'", id),
			 1);
}

/* set_roles replaces the roles only: memberships, active or suspended,
 * stay; a refused set changes nothing. */
static void test_user_set_roles(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	const int64_t both[] = { f->tenant, f->tenant2 };
	int64_t id = store_user(f, "carol", MG_ROLE_CLINICIAN, both, 2);
	struct mg_user u;
	size_t n;

	assert_int_equal(mg_store_membership_suspend_all(db, id, &n), 0);
	assert_int_equal(mg_store_membership_confirm(db, id, f->tenant2), 0);
	assert_int_equal(mg_store_user_set_roles(db, id, MG_ROLE_SERVICE | MG_ROLE_ADMIN), 0);
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_int_equal(u.roles, MG_ROLE_SERVICE | MG_ROLE_ADMIN);
	expect_memberships(f, id, &f->tenant2, 1, &f->tenant, 1);

	assert_int_equal(mg_store_user_set_roles(db, id, MG_ROLE_ADMIN | MG_ROLE_TENANT_ADMIN),
			 MG_ERR_CONFLICT);
	assert_int_equal(mg_store_user_set_roles(db, id, 1u << 6), MG_ERR_INVALID);
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_int_equal(u.roles, MG_ROLE_SERVICE | MG_ROLE_ADMIN);	/* unchanged */

	assert_int_equal(mg_store_user_set_roles(db, id, 0), 0);
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_int_equal(u.roles, 0);
	expect_memberships(f, id, &f->tenant2, 1, &f->tenant, 1);
	assert_int_equal(mg_store_user_set_roles(db, 999, MG_ROLE_CLINICIAN), MG_ERR_NOT_FOUND);
}

static void test_membership_add_remove(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	const int64_t both[] = { f->tenant, f->tenant2 };
	int64_t id = store_user(f, "dan", MG_ROLE_CLINICIAN, NULL, 0);
	int64_t other = store_user(f, "eve", MG_ROLE_CLINICIAN, NULL, 0);
	size_t n;

	assert_int_equal(mg_store_membership_add(db, id, f->tenant2), 0);
	assert_int_equal(mg_store_membership_add(db, id, f->tenant), 0);
	expect_memberships(f, id, both, 2, NULL, 0);	/* ascending */
	assert_int_equal(mg_store_membership_add(db, id, f->tenant), MG_ERR_EXISTS);
	assert_int_equal(mg_store_membership_add(db, id, 999), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_membership_add(db, 999, f->tenant), MG_ERR_NOT_FOUND);
	expect_memberships(f, id, both, 2, NULL, 0);

	/* A suspended membership is a membership: adding it again is refused
	 * and does not make it active. */
	assert_int_equal(mg_store_membership_suspend_all(db, id, &n), 0);
	assert_int_equal(mg_store_membership_add(db, id, f->tenant), MG_ERR_EXISTS);
	expect_memberships(f, id, NULL, 0, both, 2);

	/* Removing takes active and suspended ones alike. */
	assert_int_equal(mg_store_membership_confirm(db, id, f->tenant2), 0);
	assert_int_equal(mg_store_membership_remove(db, id, f->tenant), 0);
	expect_memberships(f, id, &f->tenant2, 1, NULL, 0);
	assert_int_equal(mg_store_membership_remove(db, id, f->tenant), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_membership_remove(db, other, f->tenant2), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_membership_remove(db, id, f->tenant2), 0);
	expect_memberships(f, id, NULL, 0, NULL, 0);
}

/* MG_USER_TENANTS_MAX memberships, active and suspended together; one more
 * is refused and not stored. */
static void test_membership_limit(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES] = { 0 };
	int64_t id = store_user(f, "fay", MG_ROLE_CLINICIAN, NULL, 0), tenant = 0;
	char name[32];
	struct mg_user u;
	size_t n;

	assert_int_equal(mg_store_membership_add(db, id, f->tenant), 0);
	assert_int_equal(mg_store_membership_suspend_all(db, id, &n), 0);
	assert_int_equal(mg_store_membership_add(db, id, f->tenant2), 0);
	for (unsigned i = 2; i <= MG_USER_TENANTS_MAX; i++) {
		snprintf(name, sizeof(name), "t%u", i);
		assert_int_equal(mg_store_tenant_create(db, name, wrapped, &tenant), 0);
		assert_int_equal(mg_store_membership_add(db, id, tenant),
				 i < MG_USER_TENANTS_MAX ? 0 : MG_ERR_LIMIT);
	}
	assert_int_equal(mg_store_user_by_id(db, id, &u), 0);
	assert_int_equal(u.ntenants, MG_USER_TENANTS_MAX - 1);
	assert_int_equal(u.nsuspended, 1);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM user_tenants WHERE tenant_id = ?",
					 tenant),
			 0);
}

/* An admin's reset suspends every active membership; a tenant admin
 * confirms them one by one, or the account's own reset link all at once.
 * Other accounts are untouched. */
static void test_membership_suspend_confirm(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	const int64_t both[] = { f->tenant, f->tenant2 };
	int64_t id = store_user(f, "gil", MG_ROLE_CLINICIAN, both, 2);
	int64_t other = store_user(f, "hal", MG_ROLE_CLINICIAN, both, 2);
	size_t n = 99;

	assert_int_equal(mg_store_membership_suspend_all(db, id, &n), 0);
	assert_int_equal(n, 2);
	expect_memberships(f, id, NULL, 0, both, 2);
	expect_memberships(f, other, both, 2, NULL, 0);
	assert_int_equal(mg_store_membership_suspend_all(db, id, &n), 0);
	assert_int_equal(n, 0);	/* none was active */
	assert_int_equal(mg_store_membership_suspend_all(db, 999, &n), 0);
	assert_int_equal(n, 0);

	assert_int_equal(mg_store_membership_confirm(db, id, f->tenant2), 0);
	expect_memberships(f, id, &f->tenant2, 1, &f->tenant, 1);
	assert_int_equal(mg_store_membership_confirm(db, id, f->tenant2), 0);	/* no change */
	expect_memberships(f, id, &f->tenant2, 1, &f->tenant, 1);
	assert_int_equal(mg_store_membership_confirm(db, id, 999), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_store_membership_confirm(db, 999, f->tenant), MG_ERR_NOT_FOUND);

	assert_int_equal(mg_store_membership_suspend_all(db, id, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(mg_store_membership_confirm_all(db, id), 0);
	expect_memberships(f, id, both, 2, NULL, 0);
	assert_int_equal(mg_store_membership_confirm_all(db, id), 0);	/* none suspended */
	expect_memberships(f, other, both, 2, NULL, 0);
}

/* The break-glass path: the tenants listed become active, the others go,
 * suspended or not. */
static void test_set_access_after_suspend(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	const int64_t both[] = { f->tenant, f->tenant2 };
	int64_t id = store_user(f, "ida", MG_ROLE_CLINICIAN, both, 2);
	size_t n;

	assert_int_equal(mg_store_membership_suspend_all(db, id, &n), 0);
	assert_int_equal(mg_store_user_set_access(db, id, MG_ROLE_CLINICIAN, &f->tenant2, 1), 0);
	expect_memberships(f, id, &f->tenant2, 1, NULL, 0);
}

struct listed {
	int64_t id;
	size_t ntenants, nsuspended;
};

static int see_user(const struct mg_user *u, void *arg)
{
	struct listed *l = arg;

	if (u->id == l->id) {
		l->ntenants = u->ntenants;
		l->nsuspended = u->nsuspended;
	}
	return 0;
}

/* The list, by name, a tenant's usage and deleting the account see
 * suspended memberships too. */
static void test_suspended_elsewhere(void **state)
{
	struct store_fixture *f = *state;
	struct mg_store *db = f->store;
	const int64_t both[] = { f->tenant, f->tenant2 };
	int64_t id = store_user(f, "jo", MG_ROLE_CLINICIAN, both, 2);
	struct listed l = { .id = id };
	struct mg_tenant_usage usage;
	struct mg_user u;
	size_t n;

	assert_int_equal(mg_store_membership_suspend_all(db, id, &n), 0);
	assert_int_equal(mg_store_membership_confirm(db, id, f->tenant), 0);
	assert_int_equal(mg_store_user_list(db, see_user, &l), 0);
	assert_int_equal(l.ntenants, 1);
	assert_int_equal(l.nsuspended, 1);
	assert_int_equal(mg_store_user_by_name(db, "jo", &u), 0);
	assert_int_equal(u.tenants[0], f->tenant);
	assert_int_equal(u.suspended[0], f->tenant2);
	assert_int_equal(mg_store_tenant_usage(db, f->tenant2, &usage), 0);
	assert_int_equal(usage.members, 1);
	assert_int_equal(mg_store_tenant_delete(db, f->tenant2), MG_ERR_BUSY);
	assert_int_equal(mg_store_user_delete(db, id), 0);
	assert_int_equal(store_sql_count(f, "SELECT count(*) FROM user_tenants", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, store_fixture_setup, store_fixture_teardown)
		cmocka_unit_test(test_roles_conflict),
		T(test_security_officer_stored),
		T(test_user_set_roles),
		T(test_membership_add_remove),
		T(test_membership_limit),
		T(test_membership_suspend_confirm),
		T(test_set_access_after_suspend),
		T(test_suspended_elsewhere),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
