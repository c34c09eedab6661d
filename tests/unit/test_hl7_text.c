/* Writing HL7 text: escaping everything on the way out (checked by
 * parsing it back), the bounded output buffer, and HL7 date-times both
 * ways (white-box: src/hl7/internal.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/err.h"
#include "hl7/hl7.h"
#include "hl7/internal.h"

#define MSH "MSH|^~\\&|DEV|WARD|MEDGATE|HOSP|20261122100000+0000||ORU^R01^ORU_R01|42|P|2.6"

static struct mg_hl7_msg *parse_ok(const char *text)
{
	struct mg_hl7_msg *m = NULL;
	struct mg_hl7_error e;

	assert_int_equal(mg_hl7_parse(text, strlen(text), &m, &e), 0);
	return m;
}

/* Escaping on the way out and parsing back gives the text unchanged. */
static void test_escape_round_trip(void **state)
{
	static const char *const texts[] = {
		"plain", "a|b", "^~\\&|", "\\F\\ literally", "line\rbreak\nand\ttab",
		"\x01\x1f\x7f", ("Gr\xc3\xb6\xc3\x9f" "e"), "", "&&&&", "\\\\\\",
	};
	char out[128];

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct hl7_out b;
		struct mg_hl7_msg *m;
		char *msg;
		size_t len;

		hl7_out_init(&b, 4096);
		hl7_out_str(&b, MSH "\rNTE|1||");
		hl7_out_text(&b, texts[i]);
		hl7_out_str(&b, "|end\r");
		assert_int_equal(hl7_out_finish(&b, &msg, &len), 0);
		m = parse_ok(msg);
		assert_int_equal(mg_hl7_field_count(m, 1), 4);
		assert_int_equal(mg_hl7_text(m, 1, 3, 1, out, sizeof(out)), 0);
		assert_string_equal(out, texts[i]);
		assert_int_equal(mg_hl7_text(m, 1, 4, 1, out, sizeof(out)), 0);
		assert_string_equal(out, "end");
		mg_hl7_msg_free(m);
		mg_hl7_buffer_free(msg, len);
	}
}

static void test_out_limit(void **state)
{
	struct hl7_out b;
	char *msg;
	size_t len;

	(void)state;
	hl7_out_init(&b, 8);
	hl7_out_str(&b, "12345678");
	assert_int_equal(b.error, 0);
	hl7_out_str(&b, "9");
	hl7_out_str(&b, "more");		/* sticky: ignored */
	assert_int_equal(hl7_out_finish(&b, &msg, &len), MG_ERR_LIMIT);
	assert_null(msg);
	assert_int_equal(len, 0);
}

static void test_dtm(void **state)
{
	static const struct {
		const char *text;
		int rc;
		int64_t ms;
	} cases[] = {
		{ "20261122100000+0000", 0, INT64_C(1795341600000) },
		{ "202611221000+0000", 0, INT64_C(1795341600000) },
		{ "20261122100000.5+0000", 0, INT64_C(1795341600500) },
		{ "20261122100000.1234+0000", 0, INT64_C(1795341600123) },
		{ "20261122110000+0100", 0, INT64_C(1795341600000) },
		{ "20261122053000-0430", 0, INT64_C(1795341600000) },
		{ "20261122100000", MG_ERR_INVALID, 0 },		/* no offset */
		{ "2026112210+0000", MG_ERR_INVALID, 0 },		/* hours only */
		{ "20261122100000.+0000", MG_ERR_INVALID, 0 },
		{ "20261122100000.12345+0000", MG_ERR_INVALID, 0 },
		{ "202611221000.5+0000", MG_ERR_INVALID, 0 },
		{ "20261322100000+0000", MG_ERR_INVALID, 0 },		/* month 13 */
		{ "20250229100000+0000", MG_ERR_INVALID, 0 },		/* not a leap year */
		{ "20261122100000+000", MG_ERR_INVALID, 0 },
		{ "20261122100000+0000x", MG_ERR_INVALID, 0 },
		{ "20261122100000Z", MG_ERR_INVALID, 0 },
		{ "", MG_ERR_INVALID, 0 },
	};
	char buf[HL7_DTM_LEN];
	int64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("dtm %s\n", cases[i].text);
		assert_int_equal(hl7_dtm_parse(cases[i].text, &ms), cases[i].rc);
		assert_true(ms == cases[i].ms);
	}
	assert_int_equal(hl7_dtm_format(INT64_C(1795341600123), buf), 0);
	assert_string_equal(buf, "20261122100000.123+0000");
	assert_int_equal(hl7_dtm_format(-1, buf), 0);
	assert_string_equal(buf, "19691231235959.999+0000");
	assert_int_equal(hl7_dtm_parse("20261122100000.123+0000", &ms), 0);
	assert_true(ms == INT64_C(1795341600123));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_round_trip),
		cmocka_unit_test(test_out_limit),
		cmocka_unit_test(test_dtm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
