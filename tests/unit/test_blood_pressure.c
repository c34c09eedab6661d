/* Blood pressure by the 2023 ESH categories: every boundary from both
 * sides, the higher of systolic and diastolic wins, isolated systolic and
 * diastolic hypertension are graded, and no class under 18 or without a
 * birth date. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "common/err.h"
#include "model/age.h"
#include "model/blood_pressure.h"

/* 1980-01-01 and 2026-01-01: a 46-year-old. */
static const int64_t born = 315532800000LL;
static const int64_t measured = 1767225600000LL;

struct row {
	double sys, dia;
	enum mg_bp_class cls;
	int grade;
};

static const struct row rows[] = {
	/* Systolic edges with an optimal diastolic. */
	{ 119, 70, MG_BP_OPTIMAL, 0 },
	{ 119.9, 70, MG_BP_OPTIMAL, 0 },
	{ 120, 70, MG_BP_NORMAL, 0 },
	{ 129, 70, MG_BP_NORMAL, 0 },
	{ 130, 70, MG_BP_HIGH_NORMAL, 0 },
	{ 139, 70, MG_BP_HIGH_NORMAL, 0 },
	{ 140, 70, MG_BP_ISH_GRADE_1, 1 },
	{ 159, 70, MG_BP_ISH_GRADE_1, 1 },
	{ 160, 70, MG_BP_ISH_GRADE_2, 2 },
	{ 179, 70, MG_BP_ISH_GRADE_2, 2 },
	{ 180, 70, MG_BP_ISH_GRADE_3, 3 },
	{ 250, 70, MG_BP_ISH_GRADE_3, 3 },
	/* Diastolic edges with an optimal systolic. */
	{ 110, 79, MG_BP_OPTIMAL, 0 },
	{ 110, 80, MG_BP_NORMAL, 0 },
	{ 110, 84, MG_BP_NORMAL, 0 },
	{ 110, 85, MG_BP_HIGH_NORMAL, 0 },
	{ 115, 89, MG_BP_HIGH_NORMAL, 0 },
	{ 115, 90, MG_BP_IDH_GRADE_1, 1 },
	{ 115, 99, MG_BP_IDH_GRADE_1, 1 },
	{ 125, 100, MG_BP_IDH_GRADE_2, 2 },
	{ 125, 109, MG_BP_IDH_GRADE_2, 2 },
	{ 130, 110, MG_BP_IDH_GRADE_3, 3 },
	/* Isolated systolic needs diastolic below 90: 89 and 90 around it. */
	{ 150, 89, MG_BP_ISH_GRADE_1, 1 },
	{ 150, 90, MG_BP_GRADE_1, 1 },
	{ 139, 90, MG_BP_IDH_GRADE_1, 1 },
	{ 140, 90, MG_BP_GRADE_1, 1 },
	/* Both raised: the higher category wins, whichever it is. */
	{ 159, 99, MG_BP_GRADE_1, 1 },
	{ 160, 99, MG_BP_GRADE_2, 2 },
	{ 159, 100, MG_BP_GRADE_2, 2 },
	{ 179, 109, MG_BP_GRADE_2, 2 },
	{ 180, 109, MG_BP_GRADE_3, 3 },
	{ 179, 110, MG_BP_GRADE_3, 3 },
	{ 145, 115, MG_BP_GRADE_3, 3 },
	{ 185, 95, MG_BP_GRADE_3, 3 },
	/* Below hypertension the higher of the two also wins. */
	{ 125, 86, MG_BP_HIGH_NORMAL, 0 },
	{ 135, 82, MG_BP_HIGH_NORMAL, 0 },
	{ 121, 79, MG_BP_NORMAL, 0 },
	{ 119, 80, MG_BP_NORMAL, 0 },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mg_bp_reading r;

		assert_int_equal(mg_bp_classify(rows[i].sys, rows[i].dia, born, measured, &r), 0);
		assert_true(r.has_class);
		assert_int_equal(r.why_not, MG_BP_HAS_CLASS);
		if (r.cls != rows[i].cls || r.grade != rows[i].grade)
			fail_msg("%.1f/%.1f gives %s (grade %d)", rows[i].sys, rows[i].dia,
				 mg_bp_class_code(r.cls), r.grade);
		assert_int_equal(mg_bp_category(rows[i].sys, rows[i].dia), rows[i].cls);
	}
}

static void test_codes_and_labels(void **state)
{
	(void)state;
	assert_string_equal(mg_bp_class_code(MG_BP_HIGH_NORMAL), "high_normal");
	assert_string_equal(mg_bp_class_label(MG_BP_GRADE_2), "Grade 2 hypertension");
	assert_string_equal(mg_bp_class_code(MG_BP_ISH_GRADE_1), "isolated_systolic_grade_1");
	assert_string_equal(mg_bp_class_label(MG_BP_ISH_GRADE_3),
			    "Isolated systolic hypertension, grade 3");
	assert_string_equal(mg_bp_class_code((enum mg_bp_class)42), "none");
	assert_string_equal(mg_bp_no_class_code(MG_BP_UNDER_ADULT_AGE), "under_adult_age");
	assert_string_equal(mg_bp_no_class_text(MG_BP_HAS_CLASS), "");
}

/* Adults only: 18th birthday 2026-01-01 for someone born 2008-01-01. */
static void test_age_rules(void **state)
{
	const int64_t born2008 = 1199145600000LL;
	struct mg_bp_reading r;

	(void)state;
	assert_int_equal(mg_bp_classify(150, 95, born2008, measured - 1, &r), 0);
	assert_false(r.has_class);
	assert_int_equal(r.why_not, MG_BP_UNDER_ADULT_AGE);
	assert_int_equal(r.cls, MG_BP_CLASS_NONE);
	assert_true(mg_bp_no_class_text(r.why_not)[0] != '\0');
	assert_int_equal(mg_bp_classify(150, 95, born2008, measured, &r), 0);
	assert_true(r.has_class);
	assert_int_equal(r.cls, MG_BP_GRADE_1);

	assert_int_equal(mg_bp_classify(150, 95, MG_TIME_UNKNOWN, measured, &r), 0);
	assert_false(r.has_class);
	assert_int_equal(r.why_not, MG_BP_NO_BIRTH_DATE);
	assert_string_equal(mg_bp_no_class_code(r.why_not), "no_birth_date");
	assert_int_equal(mg_bp_classify(150, 95, measured + 1, measured, &r), 0);
	assert_int_equal(r.why_not, MG_BP_BIRTH_AFTER_MEASUREMENT);
}

static void test_invalid(void **state)
{
	struct mg_bp_reading r;

	(void)state;
	assert_int_equal(mg_bp_classify(NAN, 80, born, measured, &r), MG_ERR_INVALID);
	assert_int_equal(mg_bp_classify(120, INFINITY, born, measured, &r), MG_ERR_INVALID);
	assert_int_equal(mg_bp_classify(0, -1, born, measured, &r), MG_ERR_INVALID);
	assert_int_equal(mg_bp_classify(80, 120, born, measured, &r), MG_ERR_INVALID);
	assert_int_equal(mg_bp_classify(100, 100, born, measured, &r), MG_ERR_INVALID);
	assert_int_equal(mg_bp_classify(120, 80, born, INT64_MAX, &r), MG_ERR_INVALID);
	assert_false(r.has_class);
	assert_int_equal(mg_bp_category(80, 120), MG_BP_CLASS_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_codes_and_labels),
		cmocka_unit_test(test_age_rules),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
