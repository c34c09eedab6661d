/* The device agent's argument and configuration checks, as tables of
 * inputs and expected outcomes, plus the measurement JSON it builds and the
 * simulated scale's readings. src/device/ is not in mgcore, so the code
 * under test is compiled in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/device/args.c"
#include "../../src/device/file.c"
#include "../../src/device/measure.c"
#include "../../src/device/options.c"
#include "../../src/device/state.c"

/* A buffer length the compiler cannot see through: these calls are meant to
 * be too small, and gcc would warn about the truncation at -O2. */
static size_t opaque_size(size_t n)
{
	volatile size_t v = n;

	return v;
}

#define ARGS_MAX 40

/* A command line as a table row; copied before parsing since getopt
 * reorders it. */
struct command_line {
	char *argv[ARGS_MAX];
};

static int command_copy(const struct command_line *line, char **argv)
{
	int argc = 0;

	while (argc < ARGS_MAX - 1 && line->argv[argc] != NULL) {
		argv[argc] = line->argv[argc];
		argc++;
	}
	argv[argc] = NULL;
	return argc;
}

static void test_numbers(void **state)
{
	static const struct {
		const char *text;
		int ok;
		double value;
	} cases[] = {
		{ "72.4", 1, 72.4 }, { "0", 1, 0 }, { "-3.5", 1, -3.5 }, { "1e3", 1, 1000 },
		{ "", 0, 0 }, { " 72", 0, 0 }, { "72 ", 0, 0 }, { "7a", 0, 0 },
		{ "0x10", 0, 0 }, { "nan", 0, 0 }, { "inf", 0, 0 }, { "1e999", 0, 0 },
		{ "2e9", 0, 0 }, { "72,4", 0, 0 }, { "--1", 0, 0 },
		{ "1111111111111111111111111111111111111111111111111111111111111111111", 0, 0 },
	};
	static const struct {
		const char *text;
		int ok;
		long long value;
	} ints[] = {
		{ "1", 1, 1 }, { "1000000", 1, 1000000 }, { "0", 0, 0 }, { "1000001", 0, 0 },
		{ "-1", 0, 0 }, { "1.5", 0, 0 }, { "", 0, 0 }, { "99999999999999999999999", 0, 0 },
		{ " 5", 0, 0 }, { "5x", 0, 0 },
	};
	double d;
	long long v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = mg_device_parse_number(cases[i].text, -1e9, 1e9, &d);

		assert_int_equal(r, cases[i].ok ? 0 : MG_ERR_INVALID);
		assert_true(d == cases[i].value);
	}
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		int r = mg_device_parse_integer(ints[i].text, 1, 1000000, &v);

		assert_int_equal(r, ints[i].ok ? 0 : MG_ERR_INVALID);
		assert_true(v == ints[i].value);
	}
}

static void test_value_specs(void **state)
{
	static const struct {
		const char *spec;
		int ok;
		const char *type, *unit;
		double value;
	} cases[] = {
		{ "body_water=41.2:kg", 1, "body_water", "kg", 41.2 },
		{ "bp_systolic=128:mm[Hg]", 1, "bp_systolic", "mm[Hg]", 128 },
		{ "pulse_rate=64:/min", 1, "pulse_rate", "/min", 64 },
		{ "x=1:a:b", 1, "x", "a:b", 1 },
		{ "=1:kg", 0, NULL, NULL, 0 },
		{ "Body=1:kg", 0, NULL, NULL, 0 },
		{ "body weight=1:kg", 0, NULL, NULL, 0 },
		{ "w=:kg", 0, NULL, NULL, 0 },
		{ "w=abc:kg", 0, NULL, NULL, 0 },
		{ "w=1:", 0, NULL, NULL, 0 },
		{ "w=1", 0, NULL, NULL, 0 },
		{ "w:1=kg", 0, NULL, NULL, 0 },
		{ "w=1:k g", 0, NULL, NULL, 0 },
		{ "w=1:k\tg", 0, NULL, NULL, 0 },
		{ "w=1:abcdefghijklmnopq", 0, NULL, NULL, 0 },		/* 17 > MG_UNIT_MAX */
		{ "abcdefghijklmnopqrstuvwxyzabcdefg=1:kg", 0, NULL, NULL, 0 },	/* 33 */
		{ "", 0, NULL, NULL, 0 },
	};
	struct mg_device_value v;
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = mg_device_parse_value(cases[i].spec, &v, err, sizeof(err));

		if (cases[i].ok) {
			assert_int_equal(r, 0);
			assert_string_equal(v.type, cases[i].type);
			assert_string_equal(v.unit, cases[i].unit);
			assert_true(v.value == cases[i].value);
		} else {
			assert_int_equal(r, MG_ERR_INVALID);
			assert_true(err[0] != '\0');
			assert_string_equal(v.type, "");
		}
	}
}

static void test_text_checks(void **state)
{
	static const struct {
		int (*check)(const char *);
		const char *text;
		int ok;
	} cases[] = {
		{ mg_device_check_patient, "MRN-0001", 1 },
		{ mg_device_check_patient, "Müller/42", 1 },
		{ mg_device_check_patient, "", 0 },
		{ mg_device_check_patient, "a\nb", 0 },
		{ mg_device_check_patient, "a\x7f", 0 },
		{ mg_device_check_patient, "P\xff", 0 },		/* not UTF-8 */
		{ mg_device_check_patient, "\xc3", 0 },		/* cut sequence */
		{ mg_device_check_patient, "\xc0\xaf", 0 },		/* overlong '/' */
		{ mg_device_check_patient, "\xe0\x80\xaf", 0 },	/* overlong */
		{ mg_device_check_patient, "\xed\xa0\x80", 0 },	/* surrogate */
		{ mg_device_check_patient, "\xf4\x90\x80\x80", 0 },	/* past U+10FFFF */
		{ mg_device_check_patient, "\xe2\x82\xac\xf0\x9f\x98\x80", 1 },
		{ mg_device_check_patient,
		  "0123456789012345678901234567890123456789012345678901234567890123", 1 },
		{ mg_device_check_patient,
		  "01234567890123456789012345678901234567890123456789012345678901234", 0 },
		{ mg_device_check_name, "scale-1", 1 },
		{ mg_device_check_name, "Ward 3 scale", 1 },
		{ mg_device_check_name, "a:b", 0 },
		{ mg_device_check_name, "", 0 },
		{ mg_device_check_name, "caf\xc3\xa9", 0 },
		{ mg_device_check_token, "tok-123_ABC", 1 },
		{ mg_device_check_token, "with space", 0 },
		{ mg_device_check_token, "", 0 },
		{ mg_device_check_server_url, "https://localhost:8444", 1 },
		{ mg_device_check_server_url, "https://127.0.0.1:8444/", 1 },
		{ mg_device_check_server_url, "https://[::1]:8444/gw", 1 },
		{ mg_device_check_server_url, "http://localhost:8444", 0 },
		{ mg_device_check_server_url, "https://", 0 },
		{ mg_device_check_server_url, "https:///x", 0 },
		{ mg_device_check_server_url, "https://h/?q=1", 0 },
		{ mg_device_check_server_url, "https://h/#f", 0 },
		{ mg_device_check_server_url, "https://h /", 0 },
		{ mg_device_check_server_url, "ftp://h", 0 },
		{ mg_device_check_server_url, "HTTPS://h", 0 },
	};
	char long_text[MG_DEVICE_URL_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(cases[i].check(cases[i].text), cases[i].ok ? 0 : MG_ERR_INVALID);
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	memcpy(long_text, "https://", 8);
	assert_int_equal(mg_device_check_server_url(long_text), MG_ERR_INVALID);
	long_text[MG_DEVICE_URL_MAX] = '\0';
	assert_int_equal(mg_device_check_server_url(long_text), 0);
	memset(long_text, 'n', MG_NAME_MAX + 1);
	long_text[MG_NAME_MAX + 1] = '\0';
	assert_int_equal(mg_device_check_name(long_text), MG_ERR_INVALID);
	long_text[MG_NAME_MAX] = '\0';
	assert_int_equal(mg_device_check_name(long_text), 0);
	{
		char small[4];

		assert_int_equal(mg_device_copy_text(small, sizeof(small), "abc"), 0);
		assert_int_equal(mg_device_copy_text(small, sizeof(small), "abcd"), MG_ERR_LIMIT);
		assert_string_equal(small, "");
	}
}

static void test_send_options(void **state)
{
	static const struct {
		struct command_line line;
		int ok;
		long long count;
		int64_t interval_ms;
		size_t nvalues;
		const char *err_part;	/* for failures: part of the message */
	} cases[] = {
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "72.4" } },
		  1, 1, 0, 1, NULL },
		{ { { "send", "--weight", "72.4", "--state", "/s", "--patient", "P1", "--height",
		      "180", "--bmi", "22.3", "--body-fat", "18.5", "--value",
		      "body_water=41.2:kg", "--count", "5" } }, 1, 5, 0, 5, NULL },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "--interval",
		      "2.5" } }, 1, -1, 2500, 1, NULL },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "--interval",
		      "0.05", "--count", "3" } }, 1, 3, 50, 1, NULL },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "--time",
		      "2026-11-22T10:00:00Z" } }, 1, 1, 0, 1, NULL },
		{ { { "send", "--state", "/s", "--weight", "70" } }, 0, 0, 0, 0, "--patient" },
		{ { { "send", "--patient", "P1", "--weight", "70" } }, 0, 0, 0, 0, "--state" },
		{ { { "send", "--state", "/s", "--patient", "P1" } }, 0, 0, 0, 0, "at least one" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "--weight",
		      "71" } }, 0, 0, 0, 0, "twice" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "--value",
		      "body_weight=70:kg" } }, 0, 0, 0, 0, "twice" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70kg" } },
		  0, 0, 0, 0, "--weight" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "--count",
		      "0" } }, 0, 0, 0, 0, "--count" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "--count",
		      "1000001" } }, 0, 0, 0, 0, "--count" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "--interval",
		      "0.01" } }, 0, 0, 0, 0, "--interval" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "--interval",
		      "86401" } }, 0, 0, 0, 0, "--interval" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "--time",
		      "yesterday" } }, 0, 0, 0, 0, "--time" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "--time",
		      "1999-12-31T23:59:59Z" } }, 0, 0, 0, 0, "--time" },
		{ { { "send", "--state", "/s", "--patient", "a\tb", "--weight", "70" } },
		  0, 0, 0, 0, "--patient" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "--colour",
		      "red" } }, 0, 0, 0, 0, "unknown option" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight" } },
		  0, 0, 0, 0, "missing argument" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--weight", "70", "extra" } },
		  0, 0, 0, 0, "unexpected argument" },
		{ { { "send", "--state", "", "--patient", "P1", "--weight", "70" } },
		  0, 0, 0, 0, "--state" },
		{ { { "send", "--state", "/s", "--patient", "P1", "--value", "a=1:x", "--value",
		      "b=1:x", "--value", "c=1:x", "--value", "d=1:x", "--value", "e=1:x",
		      "--value", "f=1:x", "--value", "g=1:x", "--value", "h=1:x", "--value",
		      "i=1:x", "--weight", "1", "--height", "1" } }, 1, 1, 0, 11, NULL },
	};
	struct mg_device_send_options *o = calloc(1, sizeof(*o));
	char *argv[ARGS_MAX], err[256];
	size_t i;
	int argc, r;

	(void)state;
	assert_non_null(o);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		argc = command_copy(&cases[i].line, argv);
		r = mg_device_send_options_parse(argc, argv, o, err, sizeof(err));
		if (cases[i].ok) {
			if (r != 0)
				fail_msg("case %zu: %s", i, err);
			assert_string_equal(o->state_dir, "/s");
			assert_string_equal(o->base.patient, "P1");
			assert_true(o->count == cases[i].count);
			assert_true(o->interval_ms == cases[i].interval_ms);
			assert_int_equal(o->base.nvalues, cases[i].nvalues);
		} else {
			if (r != MG_ERR_INVALID || strstr(err, cases[i].err_part) == NULL)
				fail_msg("case %zu: r=%d err=\"%s\"", i, r, err);
		}
	}
	/* The named options map to the quantity table's names and units. */
	{
		struct command_line line = { { "send", "--state", "/s", "--patient", "P1",
					       "--weight", "72.4", "--height", "180",
					       "--bmi", "22.3", "--body-fat", "18.5", NULL } };

		argc = command_copy(&line, argv);
		assert_int_equal(mg_device_send_options_parse(argc, argv, o, err, sizeof(err)), 0);
		assert_string_equal(o->base.values[0].type, "body_weight");
		assert_string_equal(o->base.values[0].unit, "kg");
		assert_string_equal(o->base.values[1].type, "body_height");
		assert_string_equal(o->base.values[1].unit, "cm");
		assert_string_equal(o->base.values[2].type, "bmi");
		assert_string_equal(o->base.values[2].unit, "kg/m2");
		assert_string_equal(o->base.values[3].type, "body_fat");
		assert_string_equal(o->base.values[3].unit, "%");
		assert_true(o->base.values[0].value == 72.4);
	}
	/* More than MG_VALUES_MAX values. */
	{
		struct command_line line = { { "send", "--state", "/s", "--patient", "P1", NULL } };
		char specs[MG_VALUES_MAX + 1][16];
		int n;

		argc = command_copy(&line, argv);
		for (n = 0; n <= MG_VALUES_MAX && argc + 2 < ARGS_MAX; n++) {
			snprintf(specs[n], sizeof(specs[n]), "v%d=1:x", n);
			argv[argc++] = "--value";
			argv[argc++] = specs[n];
		}
		argv[argc] = NULL;
		r = mg_device_send_options_parse(argc, argv, o, err, sizeof(err));
		if (n > MG_VALUES_MAX) {
			assert_int_equal(r, MG_ERR_INVALID);
			assert_non_null(strstr(err, "more than"));
		}
	}
	free(o);
}

static void test_enroll_options(void **state)
{
	static const struct {
		struct command_line line;
		int ok;
		const char *err_part;
	} cases[] = {
		{ { { "enroll", "--server", "https://localhost:8444", "--ca", "ca.pem", "--token",
		      "T0K3N", "--state", "/s" } }, 1, NULL },
		{ { { "enroll", "--server", "https://localhost:8444", "--ca", "ca.pem",
		      "--token-file", "t.txt", "--state", "/s", "--name", "scale-1", "--force" } },
		  1, NULL },
		{ { { "enroll", "--server", "http://localhost:8444", "--ca", "ca.pem", "--token",
		      "T", "--state", "/s" } }, 0, "https://" },
		{ { { "enroll", "--server", "https://h", "--ca", "ca.pem", "--state", "/s" } },
		  0, "exactly one" },
		{ { { "enroll", "--server", "https://h", "--ca", "ca.pem", "--state", "/s",
		      "--token", "T", "--token-file", "f" } }, 0, "exactly one" },
		{ { { "enroll", "--server", "https://h", "--token", "T", "--state", "/s" } },
		  0, "required" },
		{ { { "enroll", "--server", "https://h", "--ca", "c", "--token", "T", "--state",
		      "/s", "--name", "a:b" } }, 0, "--name" },
		{ { { "enroll", "--server", "https://h", "--ca", "c", "--token", "a b", "--state",
		      "/s" } }, 0, "--token" },
		{ { { "enroll", "--server", "https://h", "--ca", "c", "--token", "T", "--state",
		      "/s", "--bogus" } }, 0, "unknown option" },
		{ { { "enroll", "--server", "https://h", "--ca", "c", "--token", "T", "--state",
		      "/s", "--firmware", "2.4.1 beta" } }, 0, "--firmware" },
	};
	struct mg_device_enroll_options o;
	char *argv[ARGS_MAX], err[256];
	size_t i;
	int argc, r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		argc = command_copy(&cases[i].line, argv);
		r = mg_device_enroll_options_parse(argc, argv, &o, err, sizeof(err));
		if (cases[i].ok) {
			if (r != 0)
				fail_msg("case %zu: %s", i, err);
			assert_string_equal(o.state_dir, "/s");
		} else if (r != MG_ERR_INVALID || strstr(err, cases[i].err_part) == NULL) {
			fail_msg("case %zu: r=%d err=\"%s\"", i, r, err);
		}
	}
	/* No --name: the defaults are applied by the command, not here. */
	argc = command_copy(&cases[0].line, argv);
	assert_int_equal(mg_device_enroll_options_parse(argc, argv, &o, err, sizeof(err)), 0);
	assert_string_equal(o.name, "");
	assert_string_equal(o.token, "T0K3N");
	assert_int_equal(o.force, 0);
	assert_string_equal(o.firmware, "");
	{
		struct command_line fw = { { "enroll", "--server", "https://h", "--ca", "c",
					     "--token", "T", "--state", "/s", "--firmware",
					     "2.4.1-rc(7)" } };

		argc = command_copy(&fw, argv);
		assert_int_equal(mg_device_enroll_options_parse(argc, argv, &o, err, sizeof(err)),
				 0);
		assert_string_equal(o.firmware, "2.4.1-rc(7)");
	}
}

static void test_update_options(void **state)
{
	static const struct {
		struct command_line line;
		const char *err_part;	/* NULL: accepted */
	} cases[] = {
		{ { { "update", "--state", "/s", "--maker-key", "maker.pub" } }, NULL },
		{ { { "update", "--state", "/s" } }, "--maker-key are required" },
		{ { { "update", "--maker-key", "k" } }, "--state and" },
		{ { { "update", "--state", "/s", "--maker-key", "" } }, "--maker-key" },
		{ { { "update", "--state", "/s", "--maker-key", "k", "--firmware", "1" } },
		  "unknown option" },
		{ { { "update", "--state", "/s", "--maker-key", "k", "extra" } }, "unexpected" },
	};
	struct mg_device_update_options o;
	char *argv[ARGS_MAX], err[256];
	int argc, r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		argc = command_copy(&cases[i].line, argv);
		r = mg_device_update_options_parse(argc, argv, &o, err, sizeof(err));
		if (cases[i].err_part == NULL) {
			if (r != 0)
				fail_msg("case %zu: %s", i, err);
			assert_string_equal(o.state_dir, "/s");
			assert_string_equal(o.maker_key, "maker.pub");
		} else if (r != MG_ERR_INVALID || strstr(err, cases[i].err_part) == NULL) {
			fail_msg("case %zu: r=%d err=\"%s\"", i, r, err);
		}
	}
}

static void test_state_option(void **state)
{
	struct command_line ok = { { "flush", "--state", "/s", NULL } };
	struct command_line none = { { "flush", NULL } };
	struct command_line extra = { { "flush", "--state", "/s", "--patient", "x", NULL } };
	char *argv[ARGS_MAX], dir[64], err[128];
	int argc;

	(void)state;
	argc = command_copy(&ok, argv);
	assert_int_equal(mg_device_state_option_parse(argc, argv, dir, sizeof(dir), err,
						      sizeof(err)), 0);
	assert_string_equal(dir, "/s");
	argc = command_copy(&none, argv);
	assert_int_equal(mg_device_state_option_parse(argc, argv, dir, sizeof(dir), err,
						      sizeof(err)), MG_ERR_INVALID);
	argc = command_copy(&extra, argv);
	assert_int_equal(mg_device_state_option_parse(argc, argv, dir, sizeof(dir), err,
						      sizeof(err)), MG_ERR_INVALID);
}

static void test_config(void **state)
{
	static const struct {
		const char *text;
		int ok;
		const char *err_part;
	} cases[] = {
		{ "server = https://localhost:8444\nname = scale-1\nid_prefix = 0123456789abcdef\n",
		  1, NULL },
		{ "# comment\n\n  server=https://localhost:8444  \r\nname =scale-1\n"
		  "id_prefix= 0123456789abcdef", 1, NULL },
		{ "server = https://localhost:8444\nname = scale-1\n", 0, "missing id_prefix" },
		{ "name = scale-1\nid_prefix = 0123456789abcdef\n", 0, "missing server" },
		{ "server = https://a\nserver = https://b\nname = n\nid_prefix = 0123456789abcdef\n",
		  0, "twice" },
		{ "server = https://a\nname = n\nid_prefix = 0123456789ABCDEF\n", 0, "id_prefix" },
		{ "server = https://a\nname = n\nid_prefix = 0123\n", 0, "id_prefix" },
		{ "server = http://a\nname = n\nid_prefix = 0123456789abcdef\n", 0, "server" },
		{ "server = https://a\nname = n\nid_prefix = 0123456789abcdef\ncolour = red\n",
		  0, "unknown key" },
		{ "server https://a\n", 0, "expected key = value" },
		{ "= x\n", 0, "bad key" },
		{ "server = https://localhost:8444\nname = scale-1\nid_prefix = 0123456789abcdef\n"
		  "firmware = 2.4.1\nfirmware_sequence = 7\n", 1, NULL },
		{ "server = https://a\nname = n\nid_prefix = 0123456789abcdef\nfirmware = 2 4\n",
		  0, "firmware" },
		{ "server = https://a\nname = n\nid_prefix = 0123456789abcdef\n"
		  "firmware_sequence = -1\n", 0, "firmware_sequence" },
		{ "server = https://a\nname = n\nid_prefix = 0123456789abcdef\n"
		  "firmware_sequence = 9007199254740992\n", 0, "firmware_sequence" },
		{ "server = https://a\nname = n\nid_prefix = 0123456789abcdef\n"
		  "firmware_sequence = 1\nfirmware_sequence = 2\n", 0, "twice" },
	};
	struct mg_device_state st;
	char err[128], buf[1024], line[MG_CONFIG_LINE_MAX + 64];
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&st, 0, sizeof(st));
		r = mg_device_config_parse(cases[i].text, strlen(cases[i].text), &st, err,
					   sizeof(err));
		if (cases[i].ok) {
			if (r != 0)
				fail_msg("case %zu: %s", i, err);
			assert_string_equal(st.server, "https://localhost:8444");
			assert_string_equal(st.name, "scale-1");
			assert_string_equal(st.id_prefix, "0123456789abcdef");
		} else if (r != MG_ERR_INVALID || strstr(err, cases[i].err_part) == NULL) {
			fail_msg("case %zu: r=%d err=\"%s\"", i, r, err);
		}
	}
	/* A line longer than MG_CONFIG_LINE_MAX, and a NUL byte. */
	memset(line, 'a', sizeof(line));
	assert_int_equal(mg_device_config_parse(line, sizeof(line), &st, err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_int_equal(mg_device_config_parse("name = a\0b\n", 11, &st, err, sizeof(err)),
			 MG_ERR_INVALID);
	/* What format writes, parse reads back. */
	memset(&st, 0, sizeof(st));
	memcpy(st.server, "https://127.0.0.1:8444", 23);
	memcpy(st.name, "Ward 3 scale", 13);
	memcpy(st.id_prefix, "fedcba9876543210", 17);
	memcpy(st.firmware, "2.4.1-rc(7)", 12);
	st.firmware_sequence = 9007199254740991LL;
	assert_int_equal(mg_device_config_format(&st, buf, sizeof(buf)), 0);
	{
		struct mg_device_state back;

		memset(&back, 0, sizeof(back));
		assert_int_equal(mg_device_config_parse(buf, strlen(buf), &back, err, sizeof(err)), 0);
		assert_string_equal(back.server, st.server);
		assert_string_equal(back.name, st.name);
		assert_string_equal(back.id_prefix, st.id_prefix);
		assert_string_equal(back.firmware, st.firmware);
		assert_true(back.firmware_sequence == st.firmware_sequence);
	}
	assert_int_equal(mg_device_config_format(&st, buf, opaque_size(20)), MG_ERR_LIMIT);
}

static void test_measurement_json(void **state)
{
	struct mg_device_reading r;
	json_t *root, *values;
	char mid[MG_DEVICE_MID_MAX + 1], *json = NULL;
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	memcpy(r.patient, "MRN-0001", 9);
	r.time_ms = INT64_C(1795341600000);	/* 2026-11-22T10:00:00Z */
	assert_int_equal(mg_device_reading_add(&r, "body_weight", 72.4, "kg"), 0);
	assert_int_equal(mg_device_reading_add(&r, "bmi", 22.3, "kg/m2"), 0);
	assert_int_equal(mg_device_measurement_id("0123456789abcdef", UINT64_MAX, mid,
						  sizeof(mid)), 0);
	assert_string_equal(mid, "0123456789abcdef-18446744073709551615");
	assert_true(strlen(mid) <= MG_DEVICE_MID_LEN_MAX);
	assert_int_equal(mg_device_measurement_id("0123456789abcdef", 1, mid, opaque_size(8)),
			 MG_ERR_LIMIT);
	assert_int_equal(mg_device_measurement_id("0123456789abcdef", 42, mid, sizeof(mid)), 0);
	assert_int_equal(mg_device_measurement_json(&r, mid, &json, &len), 0);
	assert_int_equal(len, strlen(json));
	/* Exactly the shape POST /device/v1/measurements takes. */
	assert_string_equal(json,
		"{\"id\":\"0123456789abcdef-42\",\"time\":\"2026-11-22T10:00:00.000Z\","
		"\"patient\":{\"id\":\"MRN-0001\"},\"values\":["
		"{\"type\":\"body_weight\",\"value\":72.4,\"unit\":\"kg\"},"
		"{\"type\":\"bmi\",\"value\":22.3,\"unit\":\"kg/m2\"}]}");
	root = json_loads(json, 0, NULL);
	assert_non_null(root);
	values = json_object_get(root, "values");
	assert_int_equal(json_array_size(values), 2);
	json_decref(root);
	free(json);
	/* A patient id that is not UTF-8 is refused before anything is queued. */
	memcpy(r.patient, "P\xff", 3);
	assert_int_equal(mg_device_measurement_json(&r, mid, &json, &len), MG_ERR_INVALID);
	assert_null(json);
	/* No values, or too many. */
	memcpy(r.patient, "P1", 3);
	r.nvalues = 0;
	assert_int_equal(mg_device_measurement_json(&r, mid, &json, &len), MG_ERR_INVALID);
	for (len = 0; len < MG_VALUES_MAX; len++)
		assert_int_equal(mg_device_reading_add(&r, "x", 1, "u"), 0);
	assert_int_equal(mg_device_reading_add(&r, "x", 1, "u"), MG_ERR_LIMIT);
}

static const struct mg_device_value *value_of(const struct mg_device_reading *r,
					      const char *type)
{
	return find_value(r, type);
}

static void test_simulated_scale(void **state)
{
	struct mg_device_reading base, out;
	struct mg_device_scale scale;
	double w, min_w = 1e9, max_w = 0, h = 1.80, tenth;
	size_t i, changed = 0;

	(void)state;
	memset(&base, 0, sizeof(base));
	memcpy(base.patient, "P1", 3);
	assert_int_equal(mg_device_reading_add(&base, "body_weight", 72.4, "kg"), 0);
	assert_int_equal(mg_device_reading_add(&base, "body_height", 180, "cm"), 0);
	assert_int_equal(mg_device_reading_add(&base, "bmi", 22.3, "kg/m2"), 0);
	assert_int_equal(mg_device_reading_add(&base, "body_fat", 18.5, "%"), 0);
	assert_int_equal(mg_device_reading_add(&base, "pulse_rate", 64, "/min"), 0);
	mg_device_scale_init(&scale, 42);
	/* The first reading is what was asked for. */
	mg_device_scale_next(&scale, &base, 0, &out);
	assert_memory_equal(&out, &base, sizeof(out));
	for (i = 1; i < 2000; i++) {
		mg_device_scale_next(&scale, &base, i, &out);
		w = value_of(&out, "body_weight")->value;
		/* Within 1.5 % drift plus noise (six sigma of 0.05 kg). */
		assert_true(w >= 72.4 * 0.985 - 0.31 && w <= 72.4 * 1.015 + 0.31);
		tenth = w * 10 - (double)(long long)(w * 10 + 0.5);
		assert_true(tenth > -1e-6 && tenth < 1e-6);
		assert_true(value_of(&out, "body_height")->value == 180);
		assert_true(value_of(&out, "pulse_rate")->value == 64);
		/* BMI follows the weight it goes with. */
		assert_true(fabs(value_of(&out, "bmi")->value - w / (h * h)) <= 0.051);
		assert_true(fabs(value_of(&out, "body_fat")->value - 18.5) <= 1.051);
		changed += w != 72.4;
		min_w = w < min_w ? w : min_w;
		max_w = w > max_w ? w : max_w;
	}
	/* It varies, slightly. */
	assert_true(changed > 1000);
	assert_true(max_w - min_w >= 0.3 && max_w - min_w <= 2.8);
	/* Without a height, BMI scales with the weight. */
	memset(&base, 0, sizeof(base));
	assert_int_equal(mg_device_reading_add(&base, "body_weight", 80, "kg"), 0);
	assert_int_equal(mg_device_reading_add(&base, "bmi", 25, "kg/m2"), 0);
	mg_device_scale_init(&scale, 0);
	for (i = 1; i < 200; i++) {
		mg_device_scale_next(&scale, &base, i, &out);
		w = value_of(&out, "body_weight")->value;
		assert_true(fabs(value_of(&out, "bmi")->value - 25 * w / 80) <= 0.051);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_value_specs),
		cmocka_unit_test(test_text_checks),
		cmocka_unit_test(test_send_options),
		cmocka_unit_test(test_enroll_options),
		cmocka_unit_test(test_update_options),
		cmocka_unit_test(test_state_option),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_measurement_json),
		cmocka_unit_test(test_simulated_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
