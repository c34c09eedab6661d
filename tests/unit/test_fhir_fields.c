/* FHIR R4 encoding, the parts of a Bundle one at a time (number forms, the
 * ifNoneExist query, the fullUrl UUID), input the encoder refuses, and
 * allocation failures anywhere. */
#include "fhir_fixture.h"

/* 4. Numbers: integers without a fraction, others with the digits the
 * device sent, never a binary artefact like 72.400000000000006. */
struct number_case {
	double value;
	const char *text;
};

static const struct number_case number_cases[] = {
	{ 72.4, "72.4" },
	{ 80.0, "80" },
	{ 0.1 + 0.2, "0.3" },
	{ 72.405, "72.405" },
	{ 14481 * 0.005, "72.405" },	/* a Bluetooth weight, 0.005 kg steps */
	{ 123.456789, "123.456789" },
	{ 0.2, "0.2" },
	{ 699.999, "699.999" },
};

static void test_numbers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(number_cases) / sizeof(number_cases[0]); i++) {
		struct mg_outbound o;
		char *text, want[64];
		json_t *root;

		outbound_init(&o);
		outbound_add(&o, "body_weight", number_cases[i].value);
		root = encode(&o, NULL, &text);
		(void)snprintf(want, sizeof(want), "\"valueQuantity\":{\"value\":%s,",
			       number_cases[i].text);
		if (strstr(text, want) == NULL)
			fail_msg("%.17g: %s not in %s", number_cases[i].value, want, text);
		mg_fhir_free(text, strlen(text));
		json_decref(root);
	}
}

/* The ifNoneExist search: FHIR escapes (\ | , $) and percent-encoding of
 * all but unreserved characters, ':' and '/', for ids of any shape. */
struct query_case {
	const char *system;
	const char *value;
	const char *query;
};

static const struct query_case query_cases[] = {
	{ "urn:medgate:message-id", "MG1-2", "identifier=urn:medgate:message-id|MG1-2" },
	{ "https://h.example/ids", "a|b", "identifier=https://h.example/ids|a%5C%7Cb" },
	{ "urn:x", "a,b$c\\d", "identifier=urn:x|a%5C%2Cb%5C%24c%5C%5Cd" },
	{ "urn:x", "a&b=c#d e%f?g+h", "identifier=urn:x|a%26b%3Dc%23d%20e%25f%3Fg%2Bh" },
	{ "https://h.example/ids?x=1&y=2", "v", "identifier=https://h.example/ids%3Fx%3D1%26y%3D2|v" },
	{ "urn:x", "é", "identifier=urn:x|%C3%A9" },
	{ "urn:x", "A-Z_a.z~0:9/", "identifier=urn:x|A-Z_a.z~0:9/" },
};

static void test_identifier_query(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
		char *q = fhir_identifier_query(query_cases[i].system, query_cases[i].value);

		assert_non_null(q);
		assert_string_equal(q, query_cases[i].query);
		free(q);
	}
}

/* fullUrl: the RFC 9562 version-5 UUID of "<system>|<value>" in the URL
 * namespace (expected values from Python's uuid.uuid5). */
static void test_uuid5(void **state)
{
	char urn[FHIR_UUID_URN_LEN];

	(void)state;
	assert_int_equal(fhir_uuid5_urn("urn:medgate:message-id|MG0123456789abcdef-42-body_weight",
					urn, sizeof(urn)), 0);
	assert_string_equal(urn, "urn:uuid:e3ed84d9-8df7-5eec-908f-40c8bea7aec3");
	assert_int_equal(fhir_uuid5_urn("http://python.org/", urn, sizeof(urn)), 0);
	assert_string_equal(urn, "urn:uuid:4c565f0d-3f5a-5890-b41b-20cf47701c5e");
	assert_int_equal(fhir_uuid5_urn("x", urn, FHIR_UUID_URN_LEN - 1), MG_ERR_LIMIT);
}

/* 7. Input the encoder refuses, with its outputs cleared. */
enum bad_kind {
	BAD_NONE, BAD_NO_VALUES, BAD_TOO_MANY, BAD_NAN, BAD_INF, BAD_DUPLICATE, BAD_NULL_QUANTITY,
	BAD_NO_MESSAGE_ID, BAD_TIME, BAD_UNTERMINATED,
};

struct bad_case {
	const char *what;
	enum bad_kind kind;
	const char *patient_system;
	const char *identifier_system;
	int rc;
};

static const struct bad_case bad_cases[] = {
	{ "valid", BAD_NONE, "urn:a", "https://h.example/id", 0 },
	{ "oid system", BAD_NONE, "urn:oid:1.2.3", "urn:oid:1.2.4", 0 },
	{ "no values", BAD_NO_VALUES, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "too many values", BAD_TOO_MANY, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "NaN", BAD_NAN, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "infinity", BAD_INF, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "same quantity twice", BAD_DUPLICATE, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "no quantity", BAD_NULL_QUANTITY, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "no message id", BAD_NO_MESSAGE_ID, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "year 10000", BAD_TIME, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "unterminated text", BAD_UNTERMINATED, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "no patient system", BAD_NONE, NULL, "urn:b", MG_ERR_INVALID },
	{ "empty system", BAD_NONE, "", "urn:b", MG_ERR_INVALID },
	{ "relative system", BAD_NONE, "patients", "urn:b", MG_ERR_INVALID },
	{ "scheme only", BAD_NONE, "urn:", "urn:b", MG_ERR_INVALID },
	{ "scheme starts with digit", BAD_NONE, "1urn:a", "urn:b", MG_ERR_INVALID },
	{ "space in system", BAD_NONE, "urn:a b", "urn:b", MG_ERR_INVALID },
	{ "bar in system", BAD_NONE, "urn:a", "urn:b|c", MG_ERR_INVALID },
	{ "backslash in system", BAD_NONE, "urn:a", "urn:b\\c", MG_ERR_INVALID },
	{ "non-ASCII system", BAD_NONE, "urn:é", "urn:b", MG_ERR_INVALID },
	{ "no identifier system", BAD_NONE, "urn:a", NULL, MG_ERR_INVALID },
};

static void test_bad_input(void **state)
{
	char long_system[MG_FHIR_SYSTEM_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct mg_fhir_options opt = { c->patient_system, c->identifier_system };
		struct mg_outbound o;
		char *text = (char *)1, err[256];
		size_t len = 1;

		outbound_init(&o);
		outbound_add(&o, "body_weight", 70);
		switch (c->kind) {
		case BAD_NONE:
			break;
		case BAD_NO_VALUES:
			o.nvalues = 0;
			break;
		case BAD_TOO_MANY:
			o.nvalues = MG_VALUES_MAX + 1;
			break;
		case BAD_NAN:
			o.values[0].value = NAN;
			break;
		case BAD_INF:
			o.values[0].value = INFINITY;
			break;
		case BAD_DUPLICATE:
			outbound_add(&o, "body_weight", 71);
			break;
		case BAD_NULL_QUANTITY:
			o.values[0].quantity = NULL;
			break;
		case BAD_NO_MESSAGE_ID:
			o.message_id[0] = '\0';
			break;
		case BAD_TIME:
			o.measured_ms = INT64_C(253402300800000);	/* 10000-01-01 */
			break;
		case BAD_UNTERMINATED:
			memset(o.device_name, 'x', sizeof(o.device_name));
			break;
		}
		if (mg_fhir_bundle(&o, &opt, &text, &len) != c->rc)
			fail_msg("%s: expected %d", c->what, c->rc);
		if (c->rc == 0) {
			mg_fhir_free(text, len);
		} else {
			assert_null(text);
			assert_int_equal(len, 0);
		}
		if (c->kind == BAD_NONE)
			assert_int_equal(mg_fhir_options_check(&opt, err, sizeof(err)), c->rc);
	}
	memset(long_system, 'a', sizeof(long_system) - 1);
	memcpy(long_system, "urn:", 4);
	long_system[sizeof(long_system) - 1] = '\0';
	assert_false(fhir_system_ok(long_system));
	long_system[sizeof(long_system) - 2] = '\0';
	assert_true(fhir_system_ok(long_system));
	assert_int_equal(mg_fhir_options_check(NULL, NULL, 0), MG_ERR_INVALID);
	mg_fhir_free(NULL, 0);
}

/* 8. Allocation failures anywhere: MG_ERR_NOMEM, outputs cleared, nothing
 * leaked (ASan), and success once memory suffices. */
static long allocations_left;

static void *failing_malloc(size_t size)
{
	if (allocations_left == 0)
		return NULL;
	if (allocations_left > 0)
		allocations_left--;
	return malloc(size);
}

static void test_allocation_failures(void **state)
{
	struct mg_outbound o;
	char *text;
	size_t len;
	long n;
	int r;

	(void)state;
	outbound_init(&o);
	outbound_add(&o, "body_weight", 72.4);
	outbound_add(&o, "bp_systolic", 120);
	outbound_add(&o, "pulse_rate", 60);
	json_set_alloc_funcs(failing_malloc, free);
	for (n = 0; n < 100000; n++) {
		allocations_left = n;
		text = (char *)1;
		len = 1;
		r = mg_fhir_bundle(&o, &options, &text, &len);
		if (r == 0)
			break;
		assert_int_equal(r, MG_ERR_NOMEM);
		assert_null(text);
		assert_int_equal(len, 0);
	}
	allocations_left = -1;
	assert_int_equal(r, 0);
	assert_true(n > 50);
	mg_fhir_free(text, len);
	/* The report for the patient file: the same, and never a leak (ASan). */
	{
		struct mg_outbound ms[2] = { o, o };
		const struct mg_fhir_report rp = { "R-1", T_RECEIVED, "Dr. A", "Ward 3", "ok" };

		(void)snprintf(ms[1].message_id, sizeof(ms[1].message_id), "MG0123456789abcdef-43");
		json_set_alloc_funcs(failing_malloc, free);
		for (n = 0; n < 100000; n++) {
			allocations_left = n;
			text = (char *)1;
			len = 1;
			r = mg_fhir_report(ms, 2, &rp, &options, &text, &len);
			if (r == 0)
				break;
			assert_int_equal(r, MG_ERR_NOMEM);
			assert_null(text);
			assert_int_equal(len, 0);
		}
		allocations_left = -1;
		assert_int_equal(r, 0);
		mg_fhir_free(text, len);
	}
	/* The judge under the same starvation: never delivered by accident. */
	for (n = 0; n < 200; n++) {
		static const char body[] = "{\"resourceType\":\"Bundle\",\"type\":\"transaction-response\","
					   "\"entry\":[{\"response\":{\"status\":\"201 Created\"}}]}";
		char why[128];

		allocations_left = n;
		if (mg_fhir_judge(200, body, sizeof(body) - 1, "P", why, sizeof(why)) ==
		    MG_FHIR_DELIVERED)
			break;
	}
	allocations_left = -1;
	assert_true(n < 200);
	mg_json_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_identifier_query),
		cmocka_unit_test(test_uuid5),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_allocation_failures),
	};

	mg_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
