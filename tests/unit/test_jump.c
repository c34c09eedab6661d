/* Implausible jumps (model/jump.h): above the quantity's threshold within
 * its window only; other quantities, odd input never. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/jump.h"

#define H (60 * 60 * 1000LL)

static void test_thresholds(void **state)
{
	(void)state;
	assert_true(mg_jump_is("body_weight", 28.0, 0, 12 * H));
	assert_true(mg_jump_is("body_weight", -5.1, 0, 24 * H));
	assert_false(mg_jump_is("body_weight", 5.0, 0, H));
	assert_false(mg_jump_is("body_weight", 28.0, 0, 24 * H + 1));
	assert_true(mg_jump_is("bmi", 6.0, 0, H));
	assert_true(mg_jump_is("body_height", 2.5, 0, H));
	assert_false(mg_jump_is("body_height", 1.9, 0, H));
	assert_false(mg_jump_is("bp_systolic", 60.0, 0, H));
	assert_false(mg_jump_is(NULL, 60.0, 0, H));
	assert_false(mg_jump_is("body_weight", NAN, 0, H));
	assert_false(mg_jump_is("body_weight", 28.0, 2 * H, H));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thresholds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
