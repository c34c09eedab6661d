/* common/backoff: the doubling and its cap as a table, the jitter's bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/backoff.h"

struct backoff_case {
	int64_t failures;
	int64_t max_ms;
	int64_t base_ms;
};

static const struct backoff_case cases[] = {
    {0, 30000, 1000},
    {1, 30000, 2000},
    {2, 30000, 4000},
    {4, 30000, 16000},
    {5, 30000, 30000}, /* 32 s capped */
    {6, 30000, 30000},
    {INT64_MAX, 30000, 30000}, /* no overflow however long it fails */
    {3, 8000, 8000},           /* cap met exactly */
    {0, 500, 500},             /* a cap below the first wait wins */
    {0, 0, 0},
    {-1, 30000, 1000}, /* nonsense counts as the first failure */
    {20, INT64_C(3600000), INT64_C(3600000)},
};

static void test_base_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(mg_backoff_base_ms(cases[i].failures, cases[i].max_ms),
				 cases[i].base_ms);
}

static void test_jitter_bounds(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t base = cases[i].base_ms;

		for (int k = 0; k < 200; k++) {
			int64_t ms = mg_backoff_ms(cases[i].failures, cases[i].max_ms);

			assert_in_range(ms, base, base + base / 5);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base_table),
	    cmocka_unit_test(test_jitter_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
