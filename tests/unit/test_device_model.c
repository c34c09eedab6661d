/* [devices] models: the list of accepted models with their minimum
 * firmware, parsed as data tables of good and bad texts; firmware order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "model/device_model.h"

static void test_parse_good(void **state)
{
	static const struct {
		const char *text;
		size_t n;
		const char *first, *first_min, *last, *last_min;
	} cases[] = {
	    {"", 0, NULL, NULL, NULL, NULL},
	    {"   ", 0, NULL, NULL, NULL, NULL},
	    {"acme-s100", 1, "acme-s100", "", "acme-s100", ""},
	    {"acme-s100:2.1.0, rod_2", 2, "acme-s100", "2.1.0", "rod_2", ""},
	    {" a.b+c : 1 ,\tX:7(b) ", 2, NULL, NULL, NULL, NULL},
	};
	struct mg_model_list l;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mg_model_list_parse(cases[i].text, &l, err, sizeof(err)), 0);
		assert_int_equal(l.n, cases[i].n);
		if (cases[i].first == NULL)
			continue;
		assert_string_equal(l.rules[0].name, cases[i].first);
		assert_string_equal(l.rules[0].min_firmware, cases[i].first_min);
		assert_string_equal(l.rules[l.n - 1].name, cases[i].last);
		assert_string_equal(l.rules[l.n - 1].min_firmware, cases[i].last_min);
	}
	assert_string_equal(l.rules[0].name, "a.b+c");
	assert_string_equal(l.rules[0].min_firmware, "1");
	assert_string_equal(l.rules[1].min_firmware, "7(b)");
	assert_int_equal(mg_model_list_parse("acme-s100:2.1.0, rod_2", &l, err, sizeof(err)), 0);
	assert_non_null(mg_model_list_find(&l, "rod_2"));
	assert_null(mg_model_list_find(&l, "rod"));
	assert_null(mg_model_list_find(&l, "ROD_2"));
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *text;
		int r;
		const char *says;
	} cases[] = {
	    {"a,", MG_ERR_INVALID, "an empty item"},
	    {"a,,b", MG_ERR_INVALID, "an empty item"},
	    {"bad model", MG_ERR_INVALID, "\"bad model\" is not a model name"},
	    {"a:", MG_ERR_INVALID, "minimum firmware"},
	    {":1.0", MG_ERR_INVALID, "not a model name"},
	    {"a:1 2", MG_ERR_INVALID, "minimum firmware"},
	    {"a, a:2", MG_ERR_INVALID, "listed twice"},
	    {"x;rm", MG_ERR_INVALID, "not a model name"},
	};
	struct mg_model_list l;
	char err[256], many[40 * 4 + 1] = "", big[MG_MODELS_TEXT_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(mg_model_list_parse(cases[i].text, &l, err, sizeof(err)),
				 cases[i].r);
		assert_non_null(strstr(err, cases[i].says));
	}
	for (int i = 0; i < 40; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%02d", i ? ",m" : "m",
			 i);
	assert_int_equal(mg_model_list_parse(many, &l, err, sizeof(err)), MG_ERR_LIMIT);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mg_model_list_parse(big, &l, err, sizeof(err)), MG_ERR_LIMIT);
	memset(big, 'a', MG_MODEL_MAX + 1);
	big[MG_MODEL_MAX + 1] = '\0';
	assert_int_equal(mg_model_list_parse(big, &l, err, sizeof(err)), MG_ERR_INVALID);
	assert_false(mg_model_name_valid(big));
	assert_false(mg_model_name_valid(""));
	assert_true(mg_model_name_valid("acme-s100"));
}

static void test_firmware_order(void **state)
{
	static const struct {
		const char *a, *b;
		int sign;
	} cases[] = {
	    {"2.10", "2.9", 1},         {"1.0", "1.0.1", -1},
	    {"1.0", "1.0", 0},          {"01.2", "1.2", 0},
	    {"3.0-rc1", "3.0-rc2", -1}, {"10", "9", 1},
	    {"1.2a", "1.2b", -1},       {"", "0", -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int c = mg_firmware_compare(cases[i].a, cases[i].b);
		int back = mg_firmware_compare(cases[i].b, cases[i].a);

		assert_int_equal(c > 0 ? 1 : c < 0 ? -1 : 0, cases[i].sign);
		assert_int_equal(back > 0 ? 1 : back < 0 ? -1 : 0, -cases[i].sign);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_firmware_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
