/* RFC 3339 parsing and formatting, as tables of text and expected outcome. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/limits.h"
#include "common/timefmt.h"

#define T_2026_11_22_10 INT64_C(1795341600000)	/* 2026-11-22T10:00:00Z */

struct parse_case {
	const char *text;
	int rc;
	int64_t ms;
};

static const struct parse_case parse_cases[] = {
	/* accepted */
	{ "1970-01-01T00:00:00Z", 0, 0 },
	{ "2026-11-22T10:00:00Z", 0, T_2026_11_22_10 },
	{ "2026-11-22t10:00:00z", 0, T_2026_11_22_10 },
	{ "2026-11-22T11:00:00+01:00", 0, T_2026_11_22_10 },
	{ "2026-11-22T05:30:00-04:30", 0, T_2026_11_22_10 },
	{ "2026-11-22T10:00:00-00:00", 0, T_2026_11_22_10 },
	{ "2026-11-22T10:00:00+00:00", 0, T_2026_11_22_10 },
	{ "2026-11-22T23:59:59+23:59", 0, INT64_C(1795305659000) },
	{ "2026-11-22T10:00:00.5Z", 0, T_2026_11_22_10 + 500 },
	{ "2026-11-22T10:00:00.123Z", 0, T_2026_11_22_10 + 123 },
	{ "2026-11-22T10:00:00.123456789Z", 0, T_2026_11_22_10 + 123 },
	{ "2026-11-22T10:00:00.999999Z", 0, T_2026_11_22_10 + 999 },
	{ "2026-11-22T10:00:00.0000000000000000000Z", 0, T_2026_11_22_10 }, /* 40 bytes */
	{ "2024-02-29T12:00:00Z", 0, INT64_C(1709208000000) },	/* leap year */
	{ "2000-02-29T00:00:00Z", 0, INT64_C(951782400000) },	/* divisible by 400 */
	{ "2016-12-31T23:59:60Z", 0, INT64_C(1483228799000) },	/* leap second */
	{ "9999-12-31T23:59:59Z", 0, INT64_C(253402300799000) },
	{ "1970-01-01T00:30:00+01:00", 0, -INT64_C(1800000) },

	/* rejected */
	{ "", MG_ERR_INVALID, 0 },
	{ "2026-11-22", MG_ERR_INVALID, 0 },
	{ "2026-11-22T10:00:00", MG_ERR_INVALID, 0 },		/* no offset */
	{ "2026-11-22 10:00:00Z", MG_ERR_INVALID, 0 },		/* space separator */
	{ "2026-11-22T10:00Z", MG_ERR_INVALID, 0 },		/* no seconds */
	{ "2026-11-22T10:00:00.Z", MG_ERR_INVALID, 0 },		/* empty fraction */
	{ "2026-11-22T10:00:00,5Z", MG_ERR_INVALID, 0 },	/* comma fraction */
	{ "2026-11-22T10:00:00.-1Z", MG_ERR_INVALID, 0 },
	{ "2026-11-22T10:00:00+0100", MG_ERR_INVALID, 0 },
	{ "2026-11-22T10:00:00+01", MG_ERR_INVALID, 0 },
	{ "2026-11-22T10:00:00+24:00", MG_ERR_INVALID, 0 },
	{ "2026-11-22T10:00:00+01:60", MG_ERR_INVALID, 0 },
	{ "2026-11-22T10:00:00ZZ", MG_ERR_INVALID, 0 },
	{ "2026-11-22T10:00:00Z ", MG_ERR_INVALID, 0 },
	{ " 2026-11-22T10:00:00Z", MG_ERR_INVALID, 0 },
	{ "2025-02-29T00:00:00Z", MG_ERR_INVALID, 0 },		/* not a leap year */
	{ "2100-02-29T00:00:00Z", MG_ERR_INVALID, 0 },		/* century, not leap */
	{ "2026-02-30T00:00:00Z", MG_ERR_INVALID, 0 },
	{ "2026-04-31T00:00:00Z", MG_ERR_INVALID, 0 },
	{ "2026-01-32T00:00:00Z", MG_ERR_INVALID, 0 },
	{ "2026-01-00T00:00:00Z", MG_ERR_INVALID, 0 },
	{ "2026-00-10T00:00:00Z", MG_ERR_INVALID, 0 },
	{ "2026-13-01T00:00:00Z", MG_ERR_INVALID, 0 },
	{ "2026-11-22T24:00:00Z", MG_ERR_INVALID, 0 },
	{ "2026-11-22T10:60:00Z", MG_ERR_INVALID, 0 },
	{ "2026-11-22T10:00:61Z", MG_ERR_INVALID, 0 },
	{ "1969-12-31T23:59:59Z", MG_ERR_INVALID, 0 },
	{ "10000-01-01T00:00:00Z", MG_ERR_INVALID, 0 },
	{ "+2026-11-22T10:00:00Z", MG_ERR_INVALID, 0 },
	{ "2026-1-22T10:00:00Z", MG_ERR_INVALID, 0 },
	{ "2026-11-22T1:00:00Z", MG_ERR_INVALID, 0 },
	{ "2026/11/22T10:00:00Z", MG_ERR_INVALID, 0 },
	{ "\xef\xbc\x92" "026-11-22T10:00:00Z", MG_ERR_INVALID, 0 },	/* fullwidth 2 */
	{ "2026-11-22T10:00:00.00000000000000000000Z", MG_ERR_INVALID, 0 }, /* 41 bytes */
	{ "2026-11-22T10:00:00.000000000000000000000000000000000000000000Z",
	  MG_ERR_INVALID, 0 },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		int64_t ms = 12345;
		int rc = mg_time_parse(c->text, &ms);

		if (rc != c->rc || ms != c->ms)
			print_error("case %zu \"%s\": rc %d ms %lld, expected rc %d ms %lld\n",
				    i, c->text, rc, (long long)ms, c->rc, (long long)c->ms);
		assert_int_equal(rc, c->rc);
		assert_int_equal(ms, c->ms);
	}
}

static void test_parse_null(void **state)
{
	int64_t ms = 1;

	(void)state;
	assert_int_equal(mg_time_parse(NULL, &ms), MG_ERR_INVALID);
	assert_int_equal(ms, 0);
}

/* The bound is checked before the text is read further than
 * MG_TIME_TEXT_MAX + 1 bytes: a long unterminated-looking text is refused. */
static void test_parse_long_text(void **state)
{
	char text[4096];
	int64_t ms;

	(void)state;
	memset(text, '9', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(mg_time_parse(text, &ms), MG_ERR_INVALID);
}

struct format_case {
	int64_t ms;
	int rc;
	const char *text;
};

static const struct format_case format_cases[] = {
	{ 0, 0, "1970-01-01T00:00:00.000Z" },
	{ T_2026_11_22_10 + 123, 0, "2026-11-22T10:00:00.123Z" },
	{ -1, 0, "1969-12-31T23:59:59.999Z" },
	{ INT64_C(951782400000), 0, "2000-02-29T00:00:00.000Z" },
	{ INT64_C(253402300799999), 0, "9999-12-31T23:59:59.999Z" },
	{ INT64_C(253402300800000), MG_ERR_INVALID, "" },	/* year 10000 */
	{ -INT64_C(62167219200001), MG_ERR_INVALID, "" },	/* year -1 */
	{ INT64_MAX, MG_ERR_INVALID, "" },
	{ INT64_MIN, MG_ERR_INVALID, "" },
};

static void test_format_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		const struct format_case *c = &format_cases[i];
		char buf[MG_TIME_TEXT_LEN];

		memset(buf, 'x', sizeof(buf));
		assert_int_equal(mg_time_format(c->ms, buf, sizeof(buf)), c->rc);
		assert_string_equal(buf, c->text);
	}
}

static void test_format_small_buffer(void **state)
{
	char buf[MG_TIME_TEXT_LEN - 1];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(mg_time_format(0, buf, sizeof(buf)), MG_ERR_LIMIT);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(mg_time_format(0, NULL, 0), MG_ERR_LIMIT);
}

/* Our calendar arithmetic against the C library's, and format → parse. */
static void test_round_trip_against_gmtime(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15u;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		char ours[MG_TIME_TEXT_LEN], libc[64];
		struct tm tm;
		time_t secs;
		int64_t ms, back;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ms = (int64_t)(x % UINT64_C(253402300800000));	/* 1970..9999 */
		secs = (time_t)(ms / 1000);
		assert_non_null(gmtime_r(&secs, &tm));
		assert_true(strftime(libc, sizeof(libc), "%Y-%m-%dT%H:%M:%S", &tm) > 0);
		assert_int_equal(mg_time_format(ms, ours, sizeof(ours)), 0);
		assert_memory_equal(ours, libc, 19);
		assert_int_equal(mg_time_parse(ours, &back), 0);
		assert_int_equal(back, ms);
	}
}

static void test_clocks(void **state)
{
	int64_t now = mg_now_ms(), a, b;

	(void)state;
	assert_true(now > INT64_C(1577836800000));	/* after 2020 */
	a = mg_monotonic_ms();
	b = mg_monotonic_ms();
	assert_true(a > 0);
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_null),
		cmocka_unit_test(test_parse_long_text),
		cmocka_unit_test(test_format_table),
		cmocka_unit_test(test_format_small_buffer),
		cmocka_unit_test(test_round_trip_against_gmtime),
		cmocka_unit_test(test_clocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
