/* The store's ops tables (src/store/ops.h): each back end's const table
 * is complete, the list of ops the check walks names every member of the
 * struct, and a table missing any one member is refused with that
 * member's name. Run on both back ends (store_fixture.h), it also checks
 * that the store mg_store_open gives carries its back end's table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"
#include "store/ops.h"

typedef void (*op_slot)(void);

static const struct {
	const char *name;
	const struct mg_store_ops *ops;
} tables[] = {
	{ "sqlite", &mg_store_sqlite_ops },
	{ "postgresql", &mg_store_postgres_ops },
};

static void test_tables_complete(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		const char *missing = "unset";

		assert_int_equal(mg_store_ops_check(tables[t].ops, &missing), 0);
		assert_null(missing);
		assert_string_equal(tables[t].ops->name, tables[t].name);
	}
}

/* Every function pointer of the struct is listed exactly once, by a name
 * of its own: the list the check walks misses no op. */
static void test_fields_cover_struct(void **state)
{
	size_t first = offsetof(struct mg_store_ops, migrate);
	size_t slots = (sizeof(struct mg_store_ops) - first) / sizeof(op_slot);
	bool seen[128] = {false};

	(void)state;
	assert_true(slots <= sizeof(seen) / sizeof(seen[0]));
	assert_int_equal(mg_store_op_fields_count, slots);
	for (size_t i = 0; i < mg_store_op_fields_count; i++) {
		size_t off = mg_store_op_fields[i].offset;

		assert_true(off >= first && off < sizeof(struct mg_store_ops));
		assert_int_equal((off - first) % sizeof(op_slot), 0);
		assert_false(seen[(off - first) / sizeof(op_slot)]);
		seen[(off - first) / sizeof(op_slot)] = true;
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(mg_store_op_fields[i].name,
						mg_store_op_fields[j].name);
	}
	/* Spot checks that names and offsets belong together. */
	assert_string_equal(mg_store_op_fields[0].name, "migrate");
	assert_int_equal(mg_store_op_fields[0].offset, offsetof(struct mg_store_ops, migrate));
	assert_string_equal(mg_store_op_fields[mg_store_op_fields_count - 1].name, "close");
	assert_int_equal(mg_store_op_fields[mg_store_op_fields_count - 1].offset,
			 offsetof(struct mg_store_ops, close));
}

/* Each back end's table with one member taken away, for every member in
 * turn: refused, naming exactly that member. */
static void test_missing_member_refused(void **state)
{
	const op_slot none = NULL;

	(void)state;
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		struct mg_store_ops copy = *tables[t].ops;
		const char *missing = NULL;

		copy.name = NULL;
		assert_int_equal(mg_store_ops_check(&copy, &missing), MG_ERR_STORE);
		assert_string_equal(missing, "name");
		for (size_t i = 0; i < mg_store_op_fields_count; i++) {
			copy = *tables[t].ops;
			memcpy((char *)&copy + mg_store_op_fields[i].offset, &none, sizeof(none));
			missing = NULL;
			assert_int_equal(mg_store_ops_check(&copy, &missing), MG_ERR_STORE);
			assert_non_null(missing);
			if (strcmp(missing, mg_store_op_fields[i].name) != 0)
				fail_msg("%s without %s: the check named %s", tables[t].name,
					 mg_store_op_fields[i].name, missing);
		}
	}
}

/* The opened store answers with its back end's table. */
static void test_open_uses_table(void **state)
{
	struct store_fixture *f = *state;
	const struct mg_store_ops *want =
	    store_test_conninfo() != NULL ? &mg_store_postgres_ops : &mg_store_sqlite_ops;

	assert_ptr_equal(f->store->ops, want);
	assert_string_equal(mg_store_name(f->store), want->name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tables_complete),
	    cmocka_unit_test(test_fields_cover_struct),
	    cmocka_unit_test(test_missing_member_refused),
	    cmocka_unit_test_setup_teardown(test_open_uses_table, store_fixture_setup,
					    store_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
