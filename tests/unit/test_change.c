/* Change since an earlier value: units and percent, and what happens
 * without an earlier value or with an earlier value of zero. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "common/err.h"
#include "model/change.h"

static void test_change(void **state)
{
	struct mg_change c;

	(void)state;
	assert_int_equal(mg_change_compute(78.0, true, 80.0, &c), 0);
	assert_true(c.has_change && c.has_percent);
	assert_true(fabs(c.delta - (-2.0)) < 1e-12);
	assert_true(fabs(c.percent - (-2.5)) < 1e-12);

	assert_int_equal(mg_change_compute(80.0, true, 80.0, &c), 0);
	assert_true(c.has_change && c.has_percent);
	assert_true(c.delta == 0.0 && c.percent == 0.0);

	/* A rise from a negative value is a positive percent. */
	assert_int_equal(mg_change_compute(-1.0, true, -2.0, &c), 0);
	assert_true(fabs(c.percent - 50.0) < 1e-12);
}

static void test_absent_and_zero_baseline(void **state)
{
	struct mg_change c;

	(void)state;
	assert_int_equal(mg_change_compute(80.0, false, NAN, &c), 0);
	assert_false(c.has_change);
	assert_false(c.has_percent);

	assert_int_equal(mg_change_compute(3.0, true, 0.0, &c), 0);
	assert_true(c.has_change);
	assert_true(fabs(c.delta - 3.0) < 1e-12);
	assert_false(c.has_percent);
	assert_true(c.percent == 0.0);
}

static void test_invalid(void **state)
{
	struct mg_change c;

	(void)state;
	assert_int_equal(mg_change_compute(NAN, true, 1.0, &c), MG_ERR_INVALID);
	assert_int_equal(mg_change_compute(1.0, true, INFINITY, &c), MG_ERR_INVALID);
	assert_int_equal(mg_change_compute(INFINITY, false, 0.0, &c), MG_ERR_INVALID);
	assert_false(c.has_change);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_change),
		cmocka_unit_test(test_absent_and_zero_baseline),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
