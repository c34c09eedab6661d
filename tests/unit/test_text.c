/* notify/text: every language has every e-mail text with the same
 * placeholders as English, the [mail] language key offers exactly the
 * languages there are, and filling a template substitutes, refuses an
 * unknown placeholder and never overruns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/err.h"
#include "notify/text.h"

/* The placeholder names of t, sorted, as "a,b,c," into out. */
static void placeholders(const char *t, char *out, size_t size)
{
	char names[16][32];
	size_t n = 0;

	for (const char *p = strchr(t, '{'); p != NULL; p = strchr(p + 1, '{')) {
		const char *end = strchr(p, '}');

		assert_non_null(end);
		assert_true(n < 16 && (size_t)(end - p) < sizeof(names[0]));
		snprintf(names[n++], sizeof(names[0]), "%.*s", (int)(end - p - 1), p + 1);
	}
	for (size_t i = 1; i < n; i++) {	/* insertion sort, few names */
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char tmp[32];

			memcpy(tmp, names[j], sizeof(tmp));
			memcpy(names[j], names[j - 1], sizeof(tmp));
			memcpy(names[j - 1], tmp, sizeof(tmp));
		}
	}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
			continue;
		strncat(out, names[i], size - strlen(out) - 1);
		strncat(out, ",", size - strlen(out) - 1);
	}
}

static void test_every_language_complete(void **state)
{
	(void)state;
	assert_true(mg_text_languages_count >= 2);
	assert_string_equal(mg_text_languages[0].code, "en");
	for (size_t l = 0; l < mg_text_languages_count; l++) {
		const struct mg_text_language *lang = &mg_text_languages[l];

		for (int id = 0; id < MG_TEXT_COUNT; id++) {
			char want[256], got[256];

			if (lang->texts[id] == NULL || lang->texts[id][0] == '\0')
				fail_msg("language %s lacks text %d", lang->code, id);
			placeholders(mg_text_en[id], want, sizeof(want));
			placeholders(lang->texts[id], got, sizeof(got));
			if (strcmp(want, got) != 0)
				fail_msg("language %s, text %d: placeholders %s, English has %s",
					 lang->code, id, got, want);
		}
	}
}

/* [mail] language accepts each language there is, and refuses others. */
static void test_config_choices_match(void **state)
{
	static struct mg_config cfg;
	char text[64], err[256];

	(void)state;
	mg_config_defaults(&cfg);
	assert_string_equal(cfg.mail_language, "en");
	for (size_t l = 0; l < mg_text_languages_count; l++) {
		snprintf(text, sizeof(text), "[mail]\nlanguage = %s\n", mg_text_languages[l].code);
		if (mg_config_parse(text, strlen(text), &cfg, err, sizeof(err)) != 0)
			fail_msg("[mail] language = %s refused: %s", mg_text_languages[l].code, err);
		assert_string_equal(cfg.mail_language, mg_text_languages[l].code);
	}
	snprintf(text, sizeof(text), "[mail]\nlanguage = fr\n");
	assert_int_equal(mg_config_parse(text, strlen(text), &cfg, err, sizeof(err)), MG_ERR_CONFIG);
	assert_non_null(strstr(err, "language"));
}

static void test_lookup(void **state)
{
	(void)state;
	assert_string_equal(mg_text("de", MG_TEXT_SEVERITY_HIGH), "hoch");
	assert_string_equal(mg_text("en", MG_TEXT_SEVERITY_HIGH), "high");
	/* Unknown or absent language: English. */
	assert_string_equal(mg_text("xx", MG_TEXT_SEVERITY_HIGH), "high");
	assert_string_equal(mg_text(NULL, MG_TEXT_RESET_SUBJECT), mg_text_en[MG_TEXT_RESET_SUBJECT]);
	assert_string_equal(mg_text("de", MG_TEXT_COUNT), "");
}

static void test_fill(void **state)
{
	const struct mg_text_arg args[] = { { "a", "eins" }, { "bb", "zwei" } };
	char out[32], tiny[8];

	(void)state;
	assert_int_equal(mg_text_fill(out, sizeof(out), "{a}-{bb}, {a}.", args, 2), 0);
	assert_string_equal(out, "eins-zwei, eins.");
	assert_int_equal(mg_text_fill(out, sizeof(out), "no placeholder", args, 2), 0);
	assert_string_equal(out, "no placeholder");
	assert_int_equal(mg_text_fill(out, sizeof(out), "{c}", args, 2), MG_ERR_INVALID);
	assert_string_equal(out, "");
	assert_int_equal(mg_text_fill(out, sizeof(out), "open {a", args, 2), MG_ERR_INVALID);
	/* Exactly fits (7 characters and the NUL), then one too many. */
	assert_int_equal(mg_text_fill(tiny, sizeof(tiny), "{a}{a}x", args, 2), MG_ERR_LIMIT);
	assert_string_equal(tiny, "");
	assert_int_equal(mg_text_fill(tiny, sizeof(tiny), "{a}123", args, 2), 0);
	assert_string_equal(tiny, "eins123");
	assert_int_equal(mg_text_fill(tiny, sizeof(tiny), "{a}1234", args, 2), MG_ERR_LIMIT);
}

/* The real alert body in German, as the detector fills it. */
static void test_german_alert_body(void **state)
{
	const struct mg_text_arg args[] = {
		{ "id", "7" }, { "kind", "login.failures.account" }, { "severity", "hoch" },
		{ "subject", "user:3" }, { "count", "10" }, { "last", "2026-12-08T01:00:00Z" },
		{ "summary", "5 failed logins" }, { "url", "https://medgate.example" },
	};
	char out[2048];

	(void)state;
	assert_int_equal(mg_text_fill(out, sizeof(out), mg_text("de", MG_TEXT_ALERT_BODY), args, 8), 0);
	assert_non_null(strstr(out, "Schweregrad:     hoch\n"));
	assert_non_null(strstr(out, "Weboberfläche:\nhttps://medgate.example\n"));
	assert_null(strchr(out, '{'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_language_complete),
		cmocka_unit_test(test_config_choices_match),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_german_alert_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
