/* The quantity table: every row is findable by name and by MDC code, names
 * and codes are unique, codes are well formed, and the rows hold the values
 * verified against public sources (docs/quantities.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/limits.h"
#include "model/quantity.h"

/* The verified facts, written out once more so that a change to the table
 * has to be made twice, knowingly. */
struct expected_row {
	const char *name, *ucum;
	double min, max;
	uint32_t mdc_code;
	const char *mdc_name;
	uint32_t mdc_unit_code;
	const char *mdc_unit_name, *loinc;
};

static const struct expected_row expected[] = {
	{ "body_weight", "kg", 0.2, 700, 188736, "MDC_MASS_BODY_ACTUAL",
	  263875, "MDC_DIM_KILO_G", "29463-7" },
	{ "body_height", "cm", 20, 280, 188740, "MDC_LEN_BODY_ACTUAL",
	  263441, "MDC_DIM_CENTI_M", "8302-2" },
	{ "bmi", "kg/m2", 5, 200, 188752, "MDC_RATIO_MASS_BODY_LEN_SQ",
	  264096, "MDC_DIM_KG_PER_M_SQ", "39156-5" },
	{ "body_fat", "%", 1, 80, 188748, "MDC_BODY_FAT",
	  262688, "MDC_DIM_PERCENT", "41982-0" },
	{ "body_water", "kg", 0.1, 500, 188764, "MDC_BODY_WATER",
	  263875, "MDC_DIM_KILO_G", "101683-1" },
	{ "bp_systolic", "mm[Hg]", 30, 300, 150021, "MDC_PRESS_BLD_NONINV_SYS",
	  266016, "MDC_DIM_MMHG", "8480-6" },
	{ "bp_diastolic", "mm[Hg]", 10, 200, 150022, "MDC_PRESS_BLD_NONINV_DIA",
	  266016, "MDC_DIM_MMHG", "8462-4" },
	{ "bp_mean", "mm[Hg]", 20, 250, 150023, "MDC_PRESS_BLD_NONINV_MEAN",
	  266016, "MDC_DIM_MMHG", "8478-0" },
	{ "pulse_rate", "/min", 20, 300, 149546, "MDC_PULS_RATE_NON_INV",
	  264864, "MDC_DIM_BEAT_PER_MIN", "8867-4" },
};

#define EXPECTED_COUNT (sizeof(expected) / sizeof(expected[0]))

static void test_rows_match_verified_facts(void **state)
{
	(void)state;
	assert_int_equal(mg_quantity_count(), EXPECTED_COUNT);
	for (size_t i = 0; i < EXPECTED_COUNT; i++) {
		const struct expected_row *e = &expected[i];
		const struct mg_quantity *q = mg_quantity_find(e->name);

		assert_non_null(q);
		assert_string_equal(q->ucum, e->ucum);
		assert_true(q->min == e->min);
		assert_true(q->max == e->max);
		assert_int_equal(q->mdc_code, e->mdc_code);
		assert_string_equal(q->mdc_name, e->mdc_name);
		assert_int_equal(q->mdc_unit_code, e->mdc_unit_code);
		assert_string_equal(q->mdc_unit_name, e->mdc_unit_name);
		assert_string_equal(q->loinc, e->loinc);
	}
}

static void test_mdc_round_trip(void **state)
{
	const struct mg_quantity *q;

	(void)state;
	for (size_t i = 0; (q = mg_quantity_at(i)) != NULL; i++) {
		assert_ptr_equal(mg_quantity_find_mdc(q->mdc_code), q);
		assert_ptr_equal(mg_quantity_find(q->name), q);
	}
	assert_null(mg_quantity_at(mg_quantity_count()));
	assert_null(mg_quantity_find_mdc(0));
	assert_null(mg_quantity_find_mdc(188737));
}

static void test_unique(void **state)
{
	size_t n = mg_quantity_count();

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const struct mg_quantity *a = mg_quantity_at(i);

		for (size_t j = i + 1; j < n; j++) {
			const struct mg_quantity *b = mg_quantity_at(j);

			assert_string_not_equal(a->name, b->name);
			assert_string_not_equal(a->display, b->display);
			assert_true(a->mdc_code != b->mdc_code);
			assert_string_not_equal(a->mdc_name, b->mdc_name);
			assert_string_not_equal(a->loinc, b->loinc);
		}
	}
}

/* LOINC codes end in a mod-10 (Luhn) check digit over the digits before
 * the hyphen; a mistyped code fails it. */
static int loinc_check_digit(const char *code, size_t ndigits)
{
	int sum = 0;

	for (size_t k = 0; k < ndigits; k++) {
		int d = code[ndigits - 1 - k] - '0';

		if (k % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (10 - sum % 10) % 10;
}

static void test_well_formed(void **state)
{
	const struct mg_quantity *q;

	(void)state;
	for (size_t i = 0; (q = mg_quantity_at(i)) != NULL; i++) {
		const char *dash = strchr(q->loinc, '-');
		size_t ndigits;

		assert_true(strlen(q->name) > 0 && strlen(q->name) <= MG_QUANTITY_NAME_MAX);
		for (const char *p = q->name; *p != '\0'; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
		assert_true(strlen(q->ucum) > 0 && strlen(q->ucum) < MG_UNIT_MAX);
		assert_true(strlen(q->display) > 0);
		assert_true(strlen(q->loinc_display) > 0);
		assert_true(q->min > 0 && q->min < q->max);
		/* SCADA partition 2 for observations, DIM partition 4 for units */
		assert_int_equal(q->mdc_code >> 16, 2);
		assert_int_equal(q->mdc_unit_code >> 16, 4);
		assert_true(strncmp(q->mdc_name, "MDC_", 4) == 0);
		assert_true(strncmp(q->mdc_unit_name, "MDC_DIM_", 8) == 0);
		assert_non_null(dash);
		ndigits = (size_t)(dash - q->loinc);
		assert_true(ndigits >= 1 && ndigits <= 7);
		assert_int_equal(strlen(dash), 2);
		for (size_t k = 0; k < ndigits; k++)
			assert_true(q->loinc[k] >= '0' && q->loinc[k] <= '9');
		assert_int_equal(dash[1] - '0', loinc_check_digit(q->loinc, ndigits));
	}
}

/* One MDC unit per UCUM unit, the same across rows. */
static void test_units_consistent(void **state)
{
	size_t n = mg_quantity_count();

	(void)state;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			const struct mg_quantity *a = mg_quantity_at(i), *b = mg_quantity_at(j);

			if (strcmp(a->ucum, b->ucum) == 0) {
				assert_int_equal(a->mdc_unit_code, b->mdc_unit_code);
				assert_string_equal(a->mdc_unit_name, b->mdc_unit_name);
			}
		}
}

static void test_unknown(void **state)
{
	(void)state;
	assert_null(mg_quantity_find(NULL));
	assert_null(mg_quantity_find(""));
	assert_null(mg_quantity_find("Body_Weight"));
	assert_null(mg_quantity_find("body_weight "));
	assert_null(mg_quantity_find("weight"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_match_verified_facts),
		cmocka_unit_test(test_mdc_round_trip),
		cmocka_unit_test(test_unique),
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_units_consistent),
		cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
