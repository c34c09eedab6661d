/* BMI interpretation: the WHO tables reproduce the cut-offs WHO publishes,
 * z-scores follow WHO's restricted LMS method, the right reference is
 * chosen by age, the adult classes change exactly at their boundaries, and
 * a missing birth date or sex gives no class with the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "common/err.h"
#include "model/age.h"
#include "model/growth.h"

#define MS_PER_DAY 86400000LL
/* One WHO month (30.4375 days) in ms: exact. */
#define MS_PER_MONTH 2629800000LL

/* The WHO BMI-for-age cut-offs (kg/m2) at one age as WHO publishes them
 * in its simplified field tables (z-scores, one decimal): -3, -2, -1, 0
 * (median), +1, +2, +3 SD. */
struct published {
	const char *what;
	enum mg_sex sex;
	int64_t age_ms;		/* the age of the table row */
	enum mg_bmi_reference ref;
	double sd[7];
};

static const struct published published[] = {
	/* WHO Reference 2007, BMI-for-age 5-19 years. */
	{ "boys 6:0", MG_SEX_MALE, 72 * MS_PER_MONTH, MG_BMI_REF_WHO_2007,
	  { 12.1, 13.0, 14.1, 15.3, 16.8, 18.5, 20.7 } },
	{ "boys 10:0", MG_SEX_MALE, 120 * MS_PER_MONTH, MG_BMI_REF_WHO_2007,
	  { 12.8, 13.7, 14.9, 16.4, 18.5, 21.4, 26.1 } },
	{ "boys 15:0", MG_SEX_MALE, 180 * MS_PER_MONTH, MG_BMI_REF_WHO_2007,
	  { 14.7, 16.0, 17.6, 19.8, 22.7, 27.0, 34.1 } },
	{ "girls 6:0", MG_SEX_FEMALE, 72 * MS_PER_MONTH, MG_BMI_REF_WHO_2007,
	  { 11.7, 12.7, 13.9, 15.3, 17.0, 19.2, 22.1 } },
	{ "girls 10:0", MG_SEX_FEMALE, 120 * MS_PER_MONTH, MG_BMI_REF_WHO_2007,
	  { 12.4, 13.5, 14.8, 16.6, 19.0, 22.6, 28.4 } },
	{ "girls 15:0", MG_SEX_FEMALE, 180 * MS_PER_MONTH, MG_BMI_REF_WHO_2007,
	  { 14.4, 15.9, 17.8, 20.2, 23.5, 28.2, 35.5 } },
	/* WHO Child Growth Standards 2006, BMI-for-age 0-5 years. */
	{ "boys birth", MG_SEX_MALE, 0, MG_BMI_REF_WHO_2006,
	  { 10.2, 11.1, 12.2, 13.4, 14.8, 16.3, 18.1 } },
	{ "girls birth", MG_SEX_FEMALE, 0, MG_BMI_REF_WHO_2006,
	  { 10.1, 11.1, 12.2, 13.3, 14.6, 16.1, 17.7 } },
	{ "boys 1:0", MG_SEX_MALE, 365 * MS_PER_DAY, MG_BMI_REF_WHO_2006,
	  { 13.4, 14.4, 15.5, 16.8, 18.2, 19.8, 21.6 } },
	{ "girls 1:0", MG_SEX_FEMALE, 365 * MS_PER_DAY, MG_BMI_REF_WHO_2006,
	  { 12.7, 13.8, 15.0, 16.4, 17.9, 19.6, 21.6 } },
	{ "boys 2:0 (height)", MG_SEX_MALE, 731 * MS_PER_DAY, MG_BMI_REF_WHO_2006,
	  { 12.9, 13.8, 14.8, 16.0, 17.3, 18.9, 20.6 } },
};

#define PUBLISHED_COUNT (sizeof(published) / sizeof(published[0]))

/* Birth well after 1970 so that every age stays positive. */
static const int64_t birth = 1000000000000LL;	/* 2001-09-09 */

static void interpret_ok(double bmi, enum mg_sex sex, int64_t age_ms, struct mg_bmi_reading *r)
{
	assert_int_equal(mg_bmi_interpret(bmi, birth, sex, birth + age_ms, 0, r), 0);
}

/* Each published cut-off, fed back as a BMI, comes out at its z-score
 * (within 0.1: the published values are rounded to 0.1 kg/m2), and the
 * value the table gives at each z-score rounds to the published one. */
static void test_published_cutoffs(void **state)
{
	(void)state;
	for (size_t i = 0; i < PUBLISHED_COUNT; i++) {
		const struct published *p = &published[i];

		for (int k = 0; k < 7; k++) {
			struct mg_bmi_reading r;
			double z = k - 3;
			double exact;

			interpret_ok(p->sd[k], p->sex, p->age_ms, &r);
			assert_true(r.has_zscore);
			assert_int_equal(r.reference, p->ref);
			if (fabs(r.zscore - z) > 0.1)
				fail_msg("%s: BMI %.1f gives z %.2f, WHO says %.0f", p->what,
					 p->sd[k], r.zscore, z);
			exact = mg_lms_value(&r.lms, z);
			if (fabs(round(exact * 10.0) / 10.0 - p->sd[k]) > 1e-9)
				fail_msg("%s: table gives %.3f at z %.0f, WHO publishes %.1f",
					 p->what, exact, z, p->sd[k]);
		}
	}
}

/* The criterion: a BMI equal to the +2 SD value is z = +2.00, and
 * the -2 SD value z = -2.00, at 6, 10 and 15 years for both sexes. */
static void test_two_sd_values_give_two(void **state)
{
	(void)state;
	for (size_t i = 0; i < PUBLISHED_COUNT; i++) {
		const struct published *p = &published[i];
		struct mg_bmi_reading r;
		double plus2, minus2;

		interpret_ok(p->sd[3], p->sex, p->age_ms, &r);
		plus2 = mg_lms_value(&r.lms, 2.0);
		minus2 = mg_lms_value(&r.lms, -2.0);
		interpret_ok(plus2, p->sex, p->age_ms, &r);
		assert_true(fabs(r.zscore - 2.0) <= 0.01);
		interpret_ok(minus2, p->sex, p->age_ms, &r);
		assert_true(fabs(r.zscore + 2.0) <= 0.01);
	}
}

/* Issue 15: a 7-year-old of 22 kg and 122 cm (BMI 14.78) is not thin. */
static void test_seven_year_old_is_normal(void **state)
{
	struct mg_bmi_reading r;
	double bmi = 22.0 / (1.22 * 1.22);

	(void)state;
	assert_true(fabs(bmi - 14.78) < 0.005);
	interpret_ok(bmi, MG_SEX_MALE, 84 * MS_PER_MONTH, &r);
	assert_true(r.has_class);
	assert_int_equal(r.reference, MG_BMI_REF_WHO_2007);
	assert_int_equal(r.cls, MG_BMI_CHILD_NORMAL);
	assert_true(fabs(r.zscore - (-0.53)) < 0.006);
	assert_string_equal(mg_bmi_class_code(r.cls), "child_normal");
	interpret_ok(bmi, MG_SEX_FEMALE, 84 * MS_PER_MONTH, &r);
	assert_int_equal(r.cls, MG_BMI_CHILD_NORMAL);
	assert_true(fabs(r.zscore - (-0.39)) < 0.006);
	/* The adult table would have called it severe thinness. */
	assert_int_equal(mg_bmi_adult_class(bmi), MG_BMI_ADULT_SEVERE_THINNESS);
}

/* Beyond +-3 SD WHO's restricted method, not the plain LMS formula. The
 * expected values were computed from the WHO formula independently. */
static void test_restricted_tails(void **state)
{
	struct mg_bmi_reading r;

	(void)state;
	interpret_ok(30.0, MG_SEX_MALE, 120 * MS_PER_MONTH, &r);
	assert_true(fabs(r.zscore - 3.84) < 0.006);
	assert_true(fabs(mg_lms_zscore(30.0, &r.lms) - 3.528) < 0.001);
	assert_int_equal(r.cls, MG_BMI_CHILD_OBESITY);
	interpret_ok(11.0, MG_SEX_MALE, 120 * MS_PER_MONTH, &r);
	assert_true(fabs(r.zscore - (-4.85)) < 0.006);
	assert_int_equal(r.cls, MG_BMI_CHILD_SEVERE_THINNESS);
	interpret_ok(24.0, MG_SEX_MALE, 365 * MS_PER_DAY, &r);
	assert_true(fabs(r.zscore - 4.31) < 0.006);
	assert_int_equal(r.cls, MG_BMI_UNDER5_OBESE);
	interpret_ok(10.0, MG_SEX_MALE, 100 * MS_PER_DAY, &r);
	assert_true(fabs(r.zscore - (-5.75)) < 0.006);
	assert_int_equal(r.cls, MG_BMI_UNDER5_SEVERELY_WASTED);
}

/* Between two months the 2007 parameters are interpolated linearly. */
static void test_month_interpolation(void **state)
{
	struct mg_bmi_reading r;
	struct mg_lms lms;

	(void)state;
	interpret_ok(20.0, MG_SEX_MALE, 120 * MS_PER_MONTH + MS_PER_MONTH / 2, &r);
	assert_true(fabs(r.zscore - 1.56) < 0.006);
	assert_int_equal(r.cls, MG_BMI_CHILD_OVERWEIGHT);
	assert_int_equal(mg_lms_at_month(&mg_who2007_bmi_boys, 59.9, &lms), MG_ERR_RANGE);
	assert_int_equal(mg_lms_at_month(&mg_who2007_bmi_boys, 228.01, &lms), MG_ERR_RANGE);
	assert_int_equal(mg_lms_at_month(&mg_who2007_bmi_boys, NAN, &lms), MG_ERR_INVALID);
	assert_int_equal(mg_lms_at_month(&mg_who2006_bmi_boys, 70, &lms), MG_ERR_INVALID);
	assert_int_equal(mg_lms_at_day(&mg_who2006_bmi_girls, 1857, &lms), MG_ERR_RANGE);
	assert_int_equal(mg_lms_at_day(&mg_who2006_bmi_girls, -1, &lms), MG_ERR_RANGE);
	assert_int_equal(mg_lms_at_day(&mg_who2006_bmi_girls, 1856, &lms), 0);
	assert_true(lms.m == 15.2798);
}

/* The z-score cut-offs of each child reference, both sides. */
static void test_child_class_edges(void **state)
{
	static const struct {
		enum mg_bmi_reference ref;
		double z;
		enum mg_bmi_class cls;
	} rows[] = {
		{ MG_BMI_REF_WHO_2007, -3.01, MG_BMI_CHILD_SEVERE_THINNESS },
		{ MG_BMI_REF_WHO_2007, -3.00, MG_BMI_CHILD_THINNESS },
		{ MG_BMI_REF_WHO_2007, -2.01, MG_BMI_CHILD_THINNESS },
		{ MG_BMI_REF_WHO_2007, -2.00, MG_BMI_CHILD_NORMAL },
		{ MG_BMI_REF_WHO_2007, 1.00, MG_BMI_CHILD_NORMAL },
		{ MG_BMI_REF_WHO_2007, 1.01, MG_BMI_CHILD_OVERWEIGHT },
		{ MG_BMI_REF_WHO_2007, 2.00, MG_BMI_CHILD_OVERWEIGHT },
		{ MG_BMI_REF_WHO_2007, 2.01, MG_BMI_CHILD_OBESITY },
		{ MG_BMI_REF_WHO_2006, -3.01, MG_BMI_UNDER5_SEVERELY_WASTED },
		{ MG_BMI_REF_WHO_2006, -3.00, MG_BMI_UNDER5_WASTED },
		{ MG_BMI_REF_WHO_2006, -2.01, MG_BMI_UNDER5_WASTED },
		{ MG_BMI_REF_WHO_2006, -2.00, MG_BMI_UNDER5_NORMAL },
		{ MG_BMI_REF_WHO_2006, 1.00, MG_BMI_UNDER5_NORMAL },
		{ MG_BMI_REF_WHO_2006, 1.01, MG_BMI_UNDER5_RISK_OF_OVERWEIGHT },
		{ MG_BMI_REF_WHO_2006, 2.00, MG_BMI_UNDER5_RISK_OF_OVERWEIGHT },
		{ MG_BMI_REF_WHO_2006, 2.01, MG_BMI_UNDER5_OVERWEIGHT },
		{ MG_BMI_REF_WHO_2006, 3.00, MG_BMI_UNDER5_OVERWEIGHT },
		{ MG_BMI_REF_WHO_2006, 3.01, MG_BMI_UNDER5_OBESE },
		{ MG_BMI_REF_WHO_ADULT, 0.0, MG_BMI_CLASS_NONE },
		{ MG_BMI_REF_WHO_2007, NAN, MG_BMI_CLASS_NONE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (mg_bmi_child_class(rows[i].ref, rows[i].z) != rows[i].cls)
			fail_msg("row %zu: z %.2f gives %s", i, rows[i].z,
				 mg_bmi_class_code(mg_bmi_child_class(rows[i].ref, rows[i].z)));
}

/* WHO adult classes at each edge, both sides. */
static void test_adult_class_edges(void **state)
{
	static const struct {
		double bmi;
		enum mg_bmi_class cls;
		const char *code;
	} rows[] = {
		{ 12.0, MG_BMI_ADULT_SEVERE_THINNESS, "adult_severe_thinness" },
		{ 15.99, MG_BMI_ADULT_SEVERE_THINNESS, "adult_severe_thinness" },
		{ 16.00, MG_BMI_ADULT_MODERATE_THINNESS, "adult_moderate_thinness" },
		{ 16.99, MG_BMI_ADULT_MODERATE_THINNESS, "adult_moderate_thinness" },
		{ 17.00, MG_BMI_ADULT_MILD_THINNESS, "adult_mild_thinness" },
		{ 18.49, MG_BMI_ADULT_MILD_THINNESS, "adult_mild_thinness" },
		{ 18.50, MG_BMI_ADULT_NORMAL, "adult_normal" },
		{ 18.4999999, MG_BMI_ADULT_NORMAL, "adult_normal" },
		{ 24.99, MG_BMI_ADULT_NORMAL, "adult_normal" },
		{ 25.00, MG_BMI_ADULT_PRE_OBESE, "adult_pre_obese" },
		{ 29.99, MG_BMI_ADULT_PRE_OBESE, "adult_pre_obese" },
		{ 30.00, MG_BMI_ADULT_OBESE_I, "adult_obese_1" },
		{ 34.99, MG_BMI_ADULT_OBESE_I, "adult_obese_1" },
		{ 35.00, MG_BMI_ADULT_OBESE_II, "adult_obese_2" },
		{ 39.99, MG_BMI_ADULT_OBESE_II, "adult_obese_2" },
		{ 40.00, MG_BMI_ADULT_OBESE_III, "adult_obese_3" },
		{ 75.0, MG_BMI_ADULT_OBESE_III, "adult_obese_3" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mg_bmi_reading r;

		/* Through the full path: a 40-year-old of unknown sex. */
		assert_int_equal(mg_bmi_interpret(rows[i].bmi, birth, MG_SEX_UNKNOWN,
						  birth + 40 * 12 * MS_PER_MONTH, 0, &r),
				 0);
		assert_true(r.has_class);
		assert_int_equal(r.reference, MG_BMI_REF_WHO_ADULT);
		assert_false(r.has_zscore);
		if (r.cls != rows[i].cls)
			fail_msg("BMI %.2f gives %s, expected %s", rows[i].bmi,
				 mg_bmi_class_code(r.cls), rows[i].code);
		assert_string_equal(mg_bmi_class_code(r.cls), rows[i].code);
	}
	assert_string_equal(mg_bmi_class_label(MG_BMI_ADULT_PRE_OBESE), "Pre-obese");
}

/* Reference by age: 2006 below 61 months, 2007 from it, adult classes
 * from the adult birthday. */
static void test_reference_by_age(void **state)
{
	/* 2019-05-15T00:00Z; 18th birthday 2037-05-15. */
	const int64_t born = 1557878400000LL;
	const int64_t birthday18 = 2125958400000LL;
	struct mg_bmi_reading r;

	(void)state;
	interpret_ok(15.0, MG_SEX_FEMALE, 0, &r);
	assert_int_equal(r.reference, MG_BMI_REF_WHO_2006);
	assert_int_equal(r.age.days, 0);
	interpret_ok(15.0, MG_SEX_FEMALE, 61 * MS_PER_MONTH - MS_PER_DAY, &r);
	assert_int_equal(r.reference, MG_BMI_REF_WHO_2006);
	assert_true(r.lms.m == 15.2798);	/* day 1856, the last */
	interpret_ok(15.0, MG_SEX_FEMALE, 61 * MS_PER_MONTH, &r);
	assert_int_equal(r.reference, MG_BMI_REF_WHO_2007);
	assert_true(fabs(r.lms.m - 15.2441) < 1e-9);

	assert_int_equal(mg_bmi_interpret(17.0, born, MG_SEX_MALE, birthday18 - MS_PER_DAY, 0, &r),
			 0);
	assert_int_equal(r.reference, MG_BMI_REF_WHO_2007);
	assert_int_equal(r.age.years, 17);
	assert_int_equal(r.age.months_in_year, 11);
	assert_int_equal(r.cls, MG_BMI_CHILD_THINNESS);
	assert_int_equal(mg_bmi_interpret(17.0, born, MG_SEX_MALE, birthday18, 0, &r), 0);
	assert_int_equal(r.reference, MG_BMI_REF_WHO_ADULT);
	assert_int_equal(r.age.years, 18);
	assert_int_equal(r.cls, MG_BMI_ADULT_MILD_THINNESS);
	/* A configured adult age of 19 keeps the 18-year-old on BMI-for-age. */
	assert_int_equal(mg_bmi_interpret(17.0, born, MG_SEX_MALE, birthday18, 19, &r), 0);
	assert_int_equal(r.reference, MG_BMI_REF_WHO_2007);
	/* The day before the 19th birthday is at most a day past 228 months. */
	assert_int_equal(mg_bmi_interpret(17.0, born, MG_SEX_MALE,
					  birthday18 + 365 * MS_PER_DAY - MS_PER_DAY, 19, &r),
			 0);
	assert_true(r.has_class);
	assert_int_equal(r.reference, MG_BMI_REF_WHO_2007);
}

/* Without birth date or (for a child) sex: no class, and why. */
static void test_no_class_and_why(void **state)
{
	struct mg_bmi_reading r;

	(void)state;
	assert_int_equal(mg_bmi_interpret(21.0, MG_TIME_UNKNOWN, MG_SEX_MALE, birth, 0, &r), 0);
	assert_false(r.has_class);
	assert_false(r.has_age);
	assert_int_equal(r.why_not, MG_BMI_NO_BIRTH_DATE);
	assert_string_equal(mg_bmi_no_class_code(r.why_not), "no_birth_date");
	assert_true(mg_bmi_no_class_text(r.why_not)[0] != '\0');

	interpret_ok(16.0, MG_SEX_UNKNOWN, 120 * MS_PER_MONTH, &r);
	assert_false(r.has_class);
	assert_true(r.has_age);
	assert_int_equal(r.why_not, MG_BMI_NO_SEX);
	assert_string_equal(mg_bmi_no_class_code(r.why_not), "no_sex");

	assert_int_equal(mg_bmi_interpret(16.0, birth, MG_SEX_MALE, birth - 1, 0, &r), 0);
	assert_false(r.has_class);
	assert_int_equal(r.why_not, MG_BMI_BIRTH_AFTER_MEASUREMENT);

	assert_int_equal(mg_bmi_interpret(16.0, 0, MG_SEX_MALE, 0, 0, &r), 0);
	assert_true(r.has_class);	/* born 1970-01-01 is a real date */
	assert_string_equal(mg_bmi_no_class_code(MG_BMI_HAS_CLASS), "");
}

static void test_invalid_input(void **state)
{
	struct mg_bmi_reading r;

	(void)state;
	assert_int_equal(mg_bmi_interpret(NAN, birth, MG_SEX_MALE, birth, 0, &r), MG_ERR_INVALID);
	assert_int_equal(mg_bmi_interpret(0.0, birth, MG_SEX_MALE, birth, 0, &r), MG_ERR_INVALID);
	assert_int_equal(mg_bmi_interpret(-3.0, birth, MG_SEX_MALE, birth, 0, &r), MG_ERR_INVALID);
	assert_int_equal(mg_bmi_interpret(INFINITY, birth, MG_SEX_MALE, birth, 0, &r),
			 MG_ERR_INVALID);
	assert_int_equal(mg_bmi_interpret(20.0, birth, (enum mg_sex)7, birth, 0, &r),
			 MG_ERR_INVALID);
	assert_int_equal(mg_bmi_interpret(20.0, birth, MG_SEX_MALE, birth, 14, &r),
			 MG_ERR_INVALID);
	assert_int_equal(mg_bmi_interpret(20.0, birth, MG_SEX_MALE, birth, 20, &r),
			 MG_ERR_INVALID);
	assert_int_equal(mg_bmi_interpret(20.0, INT64_MIN + 1, MG_SEX_MALE, birth, 0, &r),
			 MG_ERR_INVALID);
	assert_int_equal(mg_bmi_interpret(20.0, birth, MG_SEX_MALE, INT64_MAX, 0, &r),
			 MG_ERR_INVALID);
	assert_false(r.has_class);
	assert_string_equal(mg_bmi_class_code((enum mg_bmi_class)99), "none");
	assert_string_equal(mg_bmi_reference_code(MG_BMI_REF_WHO_2007), "who_2007");
}

/* Calendar ages: completed years and months, leap days, month ends. */
static void test_age(void **state)
{
	struct mg_age a;

	(void)state;
	/* 2000-02-29 to 2018-02-28: the last day of February completes it. */
	assert_int_equal(mg_age_compute(951782400000LL, 1519776000000LL, &a), 0);
	assert_int_equal(a.years, 18);
	assert_int_equal(a.months_in_year, 0);
	/* 2000-03-15 to 2000-04-14: 30 days, not yet a month. */
	assert_int_equal(mg_age_compute(953078400000LL, 955670400000LL, &a), 0);
	assert_int_equal(a.years, 0);
	assert_int_equal(a.months_in_year, 0);
	assert_int_equal(a.days, 30);
	/* Before 1970: 1960-01-01 to 1970-01-01 is ten years. */
	assert_int_equal(mg_age_compute(-315619200000LL, 0, &a), 0);
	assert_int_equal(a.years, 10);
	assert_int_equal(a.days, 3653);
	/* Half a day rounds up, as WHO Anthro rounds. */
	assert_int_equal(mg_age_compute(0, MS_PER_DAY / 2, &a), 0);
	assert_int_equal(a.days, 1);
	assert_int_equal(mg_age_compute(MG_TIME_UNKNOWN, 0, &a), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_age_compute(1, 0, &a), MG_ERR_RANGE);
	assert_int_equal(a.days, 0);
}

/* A synthetic table exercises the lookup and the L = 0 case without the
 * WHO data. */
static void test_synthetic_table(void **state)
{
	static const struct mg_lms rows[] = { { 1.0, 10.0, 0.1 }, { 0.0, 20.0, 0.1 } };
	static const struct mg_lms_table t = {
		.name = "test", .unit = MG_AGE_MONTHS, .first = 5, .count = 2, .rows = rows,
	};
	struct mg_lms p;

	(void)state;
	assert_int_equal(mg_lms_at_month(&t, 5.0, &p), 0);
	assert_true(fabs(mg_lms_zscore(11.0, &p) - 1.0) < 1e-12);	/* normal: (11-10)/1 */
	assert_true(fabs(mg_lms_value(&p, -2.0) - 8.0) < 1e-12);
	assert_int_equal(mg_lms_at_month(&t, 6.0, &p), 0);
	assert_true(fabs(mg_lms_zscore(20.0 * exp(0.1), &p) - 1.0) < 1e-12);
	assert_true(fabs(mg_lms_value(&p, 1.0) - 20.0 * exp(0.1)) < 1e-12);
	assert_int_equal(mg_lms_at_month(&t, 5.5, &p), 0);
	assert_true(fabs(p.m - 15.0) < 1e-12 && fabs(p.l - 0.5) < 1e-12);
	/* With L = 1 the restricted tail equals the plain z-score. */
	p = rows[0];
	assert_true(fabs(mg_lms_zscore_who(15.0, &p) - 5.0) < 1e-12);
	assert_true(isnan(mg_lms_value(&p, -11.0)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_cutoffs),
		cmocka_unit_test(test_two_sd_values_give_two),
		cmocka_unit_test(test_seven_year_old_is_normal),
		cmocka_unit_test(test_restricted_tails),
		cmocka_unit_test(test_month_interpolation),
		cmocka_unit_test(test_child_class_edges),
		cmocka_unit_test(test_adult_class_edges),
		cmocka_unit_test(test_reference_by_age),
		cmocka_unit_test(test_no_class_and_why),
		cmocka_unit_test(test_invalid_input),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_synthetic_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
