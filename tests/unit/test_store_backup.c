/* Backups in the store suite, both back ends: a snapshot never replaces a
 * file and holds the store as it was (SQLite: opens as a store with the
 * same tenants; PostgreSQL: a pg_dump custom archive); the integrity
 * check passes on a sound store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "store_fixture.h"

static unsigned progress_calls;

static void progress(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	assert_true(done <= total);
	progress_calls++;
}

static void test_snapshot(void **state)
{
	struct store_fixture *f = *state;
	struct mg_config cfg = f->cfg;
	struct mg_store *copy = NULL;
	struct mg_tenant t;
	char path[128], err[512], magic[6] = "";
	struct stat st;
	FILE *in;

	snprintf(path, sizeof(path), "%s/snapshot", f->dir);
	assert_int_equal(mg_store_snapshot(f->store, path, progress, NULL, err, sizeof(err)), 0);
	assert_true(progress_calls > 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 0);
	assert_int_equal(mg_store_snapshot(f->store, path, NULL, NULL, err, sizeof(err)),
			 MG_ERR_EXISTS);
	if (store_test_conninfo() != NULL) {
		assert_non_null(in = fopen(path, "rb"));
		assert_int_equal(fread(magic, 1, 5, in), 5);
		fclose(in);
		assert_string_equal(magic, "PGDMP");
		return;
	}
	snprintf(cfg.storage_path, sizeof(cfg.storage_path), "snapshot");
	assert_int_equal(mg_store_open(&cfg, false, &copy, err, sizeof(err)), 0);
	assert_int_equal(mg_store_tenant_by_name(copy, "south", &t), 0);
	assert_int_equal(t.id, f->tenant2);
	mg_store_close(copy);
}

static void test_integrity_check(void **state)
{
	struct store_fixture *f = *state;
	char problem[256] = "x";

	assert_int_equal(mg_store_integrity_check(f->store, problem, sizeof(problem)), 0);
	assert_string_equal(problem, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snapshot, store_fixture_setup,
						store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_integrity_check, store_fixture_setup,
						store_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
