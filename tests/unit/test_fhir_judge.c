/* The FHIR answer judge as a table: the verdict for each kind of server
 * answer (status x body), and what the reason may and may not say. */
#include "fhir_fixture.h"

/* 9. The judge: status × body → verdict, and what the reason says. */
#define TR(entries) "{\"resourceType\":\"Bundle\",\"type\":\"transaction-response\",\"entry\":[" entries "]}"
#define E(status) "{\"response\":{\"status\":\"" status "\"}}"
#define OO(diag) "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\"," \
		 "\"code\":\"processing\",\"diagnostics\":\"" diag "\"}]}"

struct judge_case {
	long status;
	const char *body;	/* NULL: no body */
	enum mg_fhir_verdict verdict;
	const char *why;	/* must be in the reason */
};

static const struct judge_case judge_cases[] = {
	/* delivered */
	{ 200, TR(E("201 Created") "," E("201 Created")), MG_FHIR_DELIVERED, "2 entries, 2 created, 0 already" },
	{ 200, TR(E("201") "," E("200 OK")), MG_FHIR_DELIVERED, "1 created, 1 already there" },
	{ 200, TR(E("200 OK")), MG_FHIR_DELIVERED, "0 created, 1 already there" },
	{ 200, TR("{\"fullUrl\":\"Observation/1\",\"response\":{\"status\":\"201 Created\","
		  "\"location\":\"Observation/1/_history/1\",\"etag\":\"W/\\\"1\\\"\"}}"),
	  MG_FHIR_DELIVERED, "1 created" },
	{ 201, TR(E("201 Created")), MG_FHIR_DELIVERED, "HTTP 201" },
	/* a 2xx that proves nothing: resend (conditional creates make it safe) */
	{ 200, NULL, MG_FHIR_RETRY, "without a transaction-response" },
	{ 200, "", MG_FHIR_RETRY, "without a transaction-response" },
	{ 200, "<html>OK</html>", MG_FHIR_RETRY, "without a transaction-response" },
	{ 200, "{\"resourceType\":\"Bundle\",\"type\":\"transaction-response\"", MG_FHIR_RETRY, "without" },
	{ 200, TR(""), MG_FHIR_RETRY, "without a transaction-response" },
	{ 200, "{\"resourceType\":\"Bundle\",\"type\":\"batch-response\",\"entry\":[" E("201") "]}",
	  MG_FHIR_RETRY, "without a transaction-response" },
	{ 200, OO("all good"), MG_FHIR_RETRY, "without a transaction-response" },
	{ 200, "[1,2,3]", MG_FHIR_RETRY, "without" },
	{ 202, "", MG_FHIR_RETRY, "HTTP 202 without" },
	{ 204, NULL, MG_FHIR_RETRY, "HTTP 204 without" },
	{ 200, TR(E("201") "," "{\"response\":{}}"), MG_FHIR_RETRY, "entry 1 without a response status" },
	{ 200, TR(E("201") "," E("20")), MG_FHIR_RETRY, "entry 1 without a response status" },
	{ 200, TR(E("201") "," E("2010")), MG_FHIR_RETRY, "entry 1 without a response status" },
	{ 200, TR(E("500 Internal Server Error")), MG_FHIR_RETRY, "entry 0 answered 500" },
	{ 200, TR(E("429 Too Many Requests")), MG_FHIR_RETRY, "entry 0 answered 429" },
	{ 200, TR(E("201") ",{\"response\":{\"status\":\"412 Precondition Failed\",\"outcome\":"
		  OO("Multiple resources match this search") "}}"),
	  MG_FHIR_REJECTED, "entry 1 refused with 412: error processing: Multiple resources match" },
	{ 200, TR("{\"response\":{\"status\":\"400\"}}"), MG_FHIR_REJECTED, "entry 0 refused with 400" },
	/* the FHIR server's word on this message: refused for good */
	{ 400, OO("Unable to parse resource"), MG_FHIR_REJECTED, "HTTP 400: error processing: Unable to parse" },
	{ 422, OO("Observation.code: minimum required = 1"), MG_FHIR_REJECTED, "HTTP 422: error" },
	{ 412, OO("Multiple resources match"), MG_FHIR_REJECTED, "HTTP 412" },
	{ 410, OO("gone"), MG_FHIR_REJECTED, "HTTP 410" },
	{ 413, OO("too large"), MG_FHIR_REJECTED, "HTTP 413" },
	{ 400, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":"
	       "\"invalid\",\"details\":{\"text\":\"Bad subject\"},\"expression\":[\"Bundle.entry[0]\"]}]}",
	  MG_FHIR_REJECTED, "HTTP 400: error invalid: Bad subject (at Bundle.entry[0])" },
	{ 400, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":"
	       "\"invalid\",\"details\":{\"coding\":[{\"code\":\"MSG_BAD\"}]}}]}",
	  MG_FHIR_REJECTED, "error invalid: MSG_BAD" },
	{ 400, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"warning\",\"code\":"
	       "\"informational\",\"diagnostics\":\"just a note\"},{\"severity\":\"error\",\"code\":"
	       "\"required\",\"diagnostics\":\"subject missing\"}]}",
	  MG_FHIR_REJECTED, "HTTP 400: error required: subject missing" },
	{ 400, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\"},"
	       "{\"severity\":\"error\"},{\"severity\":\"error\"},{\"severity\":\"error\"}]}",
	  MG_FHIR_REJECTED, "error; error; error; ..." },
	{ 400, "{\"resourceType\":\"OperationOutcome\"}", MG_FHIR_REJECTED, "HTTP 400" },
	/* 4xx not from the FHIR server itself (a proxy): retried */
	{ 400, "<html><h1>400 Bad Request</h1></html>", MG_FHIR_RETRY, "HTTP 400 without an OperationOutcome" },
	{ 400, NULL, MG_FHIR_RETRY, "HTTP 400 without an OperationOutcome" },
	{ 422, "{\"error\":\"nope\"}", MG_FHIR_RETRY, "HTTP 422 without an OperationOutcome" },
	/* access, endpoint, negotiation, load: retried, even with an outcome */
	{ 401, OO("token expired"), MG_FHIR_RETRY, "HTTP 401: error processing: token expired" },
	{ 403, OO("insufficient scope"), MG_FHIR_RETRY, "HTTP 403" },
	{ 404, OO("Unknown resource type"), MG_FHIR_RETRY, "HTTP 404" },
	{ 405, NULL, MG_FHIR_RETRY, "HTTP 405" },
	{ 406, NULL, MG_FHIR_RETRY, "HTTP 406" },
	{ 407, NULL, MG_FHIR_RETRY, "HTTP 407" },
	{ 408, OO("timeout"), MG_FHIR_RETRY, "HTTP 408" },
	{ 409, OO("version conflict"), MG_FHIR_RETRY, "HTTP 409" },
	{ 415, NULL, MG_FHIR_RETRY, "HTTP 415" },
	{ 421, NULL, MG_FHIR_RETRY, "HTTP 421" },
	{ 423, NULL, MG_FHIR_RETRY, "HTTP 423" },
	{ 425, NULL, MG_FHIR_RETRY, "HTTP 425" },
	{ 429, OO("slow down"), MG_FHIR_RETRY, "HTTP 429" },
	{ 500, OO("NullPointerException"), MG_FHIR_RETRY, "HTTP 500: error processing: NullPointer" },
	{ 500, "<html>oops</html>", MG_FHIR_RETRY, "HTTP 500" },
	{ 502, NULL, MG_FHIR_RETRY, "HTTP 502" },
	{ 503, "", MG_FHIR_RETRY, "HTTP 503" },
	{ 504, NULL, MG_FHIR_RETRY, "HTTP 504" },
	{ 501, OO("transactions not supported"), MG_FHIR_RETRY, "HTTP 501" },
	{ 100, NULL, MG_FHIR_RETRY, "HTTP 100" },
	{ 301, NULL, MG_FHIR_RETRY, "HTTP 301 (redirects are not followed" },
	{ 302, TR(E("201")), MG_FHIR_RETRY, "HTTP 302" },
	{ 0, NULL, MG_FHIR_RETRY, "no HTTP answer" },
	{ -1, TR(E("201")), MG_FHIR_RETRY, "no HTTP answer" },
	{ 99, NULL, MG_FHIR_RETRY, "HTTP status 99 is not valid" },
	{ 600, NULL, MG_FHIR_RETRY, "HTTP status 600 is not valid" },
};

static void test_judge_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(judge_cases) / sizeof(judge_cases[0]); i++) {
		const struct judge_case *c = &judge_cases[i];
		char why[256];
		enum mg_fhir_verdict v;

		memset(why, 'x', sizeof(why));
		v = mg_fhir_judge(c->status, c->body, c->body != NULL ? strlen(c->body) : 0,
				  "P-0042", why, sizeof(why));
		if (v != c->verdict || strstr(why, c->why) == NULL)
			fail_msg("case %zu (HTTP %ld): %s \"%s\", expected %s with \"%s\"", i, c->status,
				 mg_fhir_verdict_name(v), why, mg_fhir_verdict_name(c->verdict), c->why);
	}
}

/* A body not NUL-terminated, and one past MG_FHIR_RESPONSE_MAX. */
static void test_judge_lengths(void **state)
{
	static const char body[] = TR(E("201 Created"));
	size_t big = MG_FHIR_RESPONSE_MAX + 1;
	char *copy = malloc(sizeof(body) - 1), *huge = malloc(big), why[128];

	(void)state;
	assert_non_null(copy);
	assert_non_null(huge);
	memcpy(copy, body, sizeof(body) - 1);	/* no NUL after it */
	assert_int_equal(mg_fhir_judge(200, copy, sizeof(body) - 1, NULL, why, sizeof(why)),
			 MG_FHIR_DELIVERED);
	assert_int_equal(mg_fhir_judge(200, copy, sizeof(body) - 2, NULL, why, sizeof(why)),
			 MG_FHIR_RETRY);
	memset(huge, ' ', big);
	memcpy(huge, body, sizeof(body) - 1);
	assert_int_equal(mg_fhir_judge(200, huge, big, NULL, why, sizeof(why)), MG_FHIR_RETRY);
	assert_non_null(strstr(why, "not read"));
	assert_int_equal(mg_fhir_judge(200, huge, big - 1, NULL, why, sizeof(why)),
			 MG_FHIR_DELIVERED);
	/* No reason wanted: still judged. */
	assert_int_equal(mg_fhir_judge(200, copy, sizeof(body) - 1, NULL, NULL, 0),
			 MG_FHIR_DELIVERED);
	free(copy);
	free(huge);
}

/* 10. Never a patient id in the reason: as sent, in other case, percent-
 * encoded (either hex case), and not even part of it when cut short. */
static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

struct scrub_case {
	const char *patient;
	const char *diagnostics;
	const char *why;	/* expected reason, after "HTTP 422: error processing: " */
};

static const struct scrub_case scrub_cases[] = {
	{ "Zq9-Xw7", "No Patient with identifier urn:p|Zq9-Xw7", "No Patient with identifier urn:p|***" },
	{ "Zq9-Xw7", "zq9-xw7 and ZQ9-XW7 unknown", "*** and *** unknown" },
	{ "Zq9-Xw7", "Zq9-Xw7Zq9-Xw7", "******" },
	{ "urn:x/Zq9", "search identifier=urn%3Ax%2FZq9 failed", "search identifier=*** failed" },
	{ "urn:x/Zq9", "search identifier=urn%3ax%2fzq9 failed", "search identifier=*** failed" },
	{ "urn:x/Zq9", "search urn:x/Zq9 failed", "search *** failed" },
	{ "Zq9", "line one\nline\ttwo\r", "line one line two " },
};

static void test_judge_scrub(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(scrub_cases) / sizeof(scrub_cases[0]); i++) {
		const struct scrub_case *c = &scrub_cases[i];
		json_t *oo = json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "resourceType", "OperationOutcome",
				       "issue", "severity", "error", "code", "processing",
				       "diagnostics", c->diagnostics);
		char *body = json_dumps(oo, 0), why[256], want[256];

		assert_non_null(body);
		assert_int_equal(mg_fhir_judge(422, body, strlen(body), c->patient, why, sizeof(why)),
				 MG_FHIR_REJECTED);
		(void)snprintf(want, sizeof(want), "HTTP 422: error processing: %s", c->why);
		assert_string_equal(why, want);
		assert_false(contains_nocase(why, c->patient));
		free(body);
		json_decref(oo);
	}
}

static void test_judge_cut(void **state)
{
	static const char body[] = OO("patient Zq9Xw7 unknown: ééééééééé😀😀😀");
	const char *prefixes[] = { "Zq9", "Zq9X", "Zq9Xw" };

	(void)state;
	for (size_t size = 1; size <= 96; size++) {
		char why[96 + 1];

		memset(why, 'x', sizeof(why));
		assert_int_equal(mg_fhir_judge(400, body, sizeof(body) - 1, "Zq9Xw7", why, size),
				 MG_FHIR_REJECTED);
		assert_true(strlen(why) < size);
		assert_true(fhir_text_ok(why));	/* whole UTF-8 characters only */
		for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++)
			if (strstr(why, prefixes[k]) != NULL)
				fail_msg("size %zu: part of the patient id in \"%s\"", size, why);
	}
}

static void test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(mg_fhir_verdict_name(MG_FHIR_DELIVERED), "delivered");
	assert_string_equal(mg_fhir_verdict_name(MG_FHIR_RETRY), "retry");
	assert_string_equal(mg_fhir_verdict_name(MG_FHIR_REJECTED), "rejected");
	assert_string_equal(mg_fhir_verdict_name((enum mg_fhir_verdict)42), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_table),
		cmocka_unit_test(test_judge_lengths),
		cmocka_unit_test(test_judge_scrub),
		cmocka_unit_test(test_judge_cut),
		cmocka_unit_test(test_verdict_names),
	};

	mg_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
