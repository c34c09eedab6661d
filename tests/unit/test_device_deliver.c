/* What the device agent makes of the gateway's answers: the status table
 * (stored, rejected, keep and retry), the gateway id and duplicate flag,
 * error texts made safe to print, and the patient id never echoed.
 * src/device/ is not in mgcore, so the code under test is compiled in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/device/deliver.c"
#include "../../src/device/file.c"
#include "../../src/device/http.c"
#include "../../src/device/queue.c"

/* A buffer length the compiler cannot see through: these calls are meant to
 * be too small, and gcc would warn about the truncation at -O2. */
static size_t opaque_size(size_t n)
{
	volatile size_t v = n;

	return v;
}

#define ANSWER(status, body) { status, "application/json", (char *)(uintptr_t)(body), \
			       sizeof(body) - 1 }

static void test_outcome_table(void **state)
{
	static const struct {
		long status;
		enum mg_device_outcome outcome;
	} cases[] = {
		{ 201, MG_DEVICE_STORED }, { 200, MG_DEVICE_STORED },
		{ 400, MG_DEVICE_REJECTED }, { 413, MG_DEVICE_REJECTED },
		{ 415, MG_DEVICE_REJECTED },
		/* Never lose a measurement over these: */
		{ 401, MG_DEVICE_RETRY }, { 403, MG_DEVICE_RETRY }, { 429, MG_DEVICE_RETRY },
		{ 500, MG_DEVICE_RETRY }, { 502, MG_DEVICE_RETRY }, { 503, MG_DEVICE_RETRY },
		{ 504, MG_DEVICE_RETRY }, { 404, MG_DEVICE_RETRY }, { 409, MG_DEVICE_RETRY },
		{ 202, MG_DEVICE_RETRY }, { 204, MG_DEVICE_RETRY }, { 301, MG_DEVICE_RETRY },
		{ 0, MG_DEVICE_RETRY }, { -1, MG_DEVICE_RETRY },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (mg_device_outcome_of(cases[i].status) != cases[i].outcome)
			fail_msg("status %ld", cases[i].status);
}

static void test_stored_answer(void **state)
{
	static const struct {
		struct mg_device_http_answer ans;
		const char *gid;
		int duplicate;
	} cases[] = {
		{ ANSWER(201, "{\"id\": 42, \"duplicate\": false}"), "42", 0 },
		{ ANSWER(200, "{\"id\": 42, \"duplicate\": true}"), "42", 1 },
		{ ANSWER(200, "{\"id\": 7}"), "7", 1 },
		{ ANSWER(201, "{\"id\": 9007199254740993}"), "9007199254740993", 0 },
		{ ANSWER(201, "not json"), "?", 0 },
		{ ANSWER(201, ""), "?", 0 },
		{ ANSWER(201, "{\"id\": \"x\"}"), "?", 0 },
	};
	char gid[32];
	size_t i;
	int duplicate;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		stored_answer(&cases[i].ans, gid, sizeof(gid), &duplicate);
		assert_string_equal(gid, cases[i].gid);
		assert_int_equal(duplicate, cases[i].duplicate);
	}
}

static void test_error_text(void **state)
{
	static const struct {
		struct mg_device_http_answer ans;
		const char *text;
	} cases[] = {
		{ ANSWER(400, "{\"error\": \"values[0].value: above 500 kg\"}"),
		  "values[0].value: above 500 kg - HTTP 400" },
		{ ANSWER(401, "{\"error\": \"invalid or used token\"}"),
		  "invalid or used token - HTTP 401" },
		{ ANSWER(503, "<html>busy</html>"), "HTTP 503" },
		{ ANSWER(400, "{\"error\": 5}"), "HTTP 400" },
		{ ANSWER(400, "{\"error\": \"a\\u001b[2Jb\\nc\"}"), "a?[2Jb?c - HTTP 400" },
		{ ANSWER(400, "{\"error\": \"caf\\u00e9\"}"), "caf?? - HTTP 400" },
	};
	char text[128], small[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mg_device_http_answer_error(&cases[i].ans, text, sizeof(text));
		assert_string_equal(text, cases[i].text);
	}
	/* A small buffer gets a cut but terminated text. */
	mg_device_http_answer_error(&cases[0].ans, small, opaque_size(sizeof(small)));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_redact(void **state)
{
	static const struct {
		const char *text, *secret, *want;
	} cases[] = {
		{ "patient MRN-0001 unknown", "MRN-0001", "patient [patient] unknown" },
		{ "P1 and P1", "P1", "[patient] and [patient]" },
		{ "patient", "patient", "[patient]" },		/* no endless loop */
		{ "atient", "atient", "[patient]" },
		{ "nothing here", "MRN", "nothing here" },
		{ "x", "", "x" },
	};
	char text[64], tight[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s", cases[i].text);
		redact(text, sizeof(text), cases[i].secret);
		assert_string_equal(text, cases[i].want);
	}
	/* No room for the mark: masked in place instead. */
	snprintf(tight, sizeof(tight), "id AB!");
	redact(tight, sizeof(tight), "AB");
	assert_string_equal(tight, "id **!");
}

static void test_queued_identity(void **state)
{
	static const struct {
		const char *body;
		int ok;
		const char *mid, *patient;
	} cases[] = {
		{ "{\"id\":\"abc-1\",\"patient\":{\"id\":\"P1\"},\"values\":[]}", 1, "abc-1", "P1" },
		{ "{\"id\":\"abc-1\"}", 1, "abc-1", "" },
		{ "{\"id\":\"abc-1\",\"patient\":{\"id\":\"P1\"", 0, NULL, NULL },	/* cut */
		{ "", 0, NULL, NULL },
		{ "[]", 0, NULL, NULL },
		{ "{\"id\":5}", 0, NULL, NULL },
		{ "{\"id\":\"\"}", 0, NULL, NULL },
		{ "{\"id\":\"a b\"}", 0, NULL, NULL },
		{ "{\"id\":\"a\",\"id\":\"b\"}", 0, NULL, NULL },
	};
	char mid[MG_DEVICE_MID_MAX + 1], patient[MG_PATIENT_ID_MAX + 1];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = queued_identity(cases[i].body, strlen(cases[i].body), mid, sizeof(mid),
				    patient, sizeof(patient));
		if (cases[i].ok) {
			assert_int_equal(r, 0);
			assert_string_equal(mid, cases[i].mid);
			assert_string_equal(patient, cases[i].patient);
		} else if (r != MG_ERR_INVALID) {
			fail_msg("case %zu accepted", i);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outcome_table),
		cmocka_unit_test(test_stored_answer),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_queued_identity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
