/* model/settings: the registry is complete and each value check is a table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/err.h"
#include "model/settings.h"

struct check_case {
	const char *name;
	const char *value;
	int rc;
};

static const struct check_case check_cases[] = {
    {MG_SETTING_INSTANCE_ID, "0123456789abcdef", 0},
    {MG_SETTING_INSTANCE_ID, "0123456789ABCDEF", 0},
    {MG_SETTING_INSTANCE_ID, "0123456789abcde", MG_ERR_INVALID}, /* 15 digits */
    {MG_SETTING_INSTANCE_ID, "0123456789abcdef0", MG_ERR_INVALID},
    {MG_SETTING_INSTANCE_ID, "0123456789abcdeg", MG_ERR_INVALID},
    {MG_SETTING_INSTANCE_ID, "", MG_ERR_INVALID},
    {MG_SETTING_REQUIRE_2FA_ROLES, "", 0},
    {MG_SETTING_REQUIRE_2FA_ROLES, "admin", 0},
    {MG_SETTING_REQUIRE_2FA_ROLES, "admin,clinician,tenant-admin", 0},
    {MG_SETTING_REQUIRE_2FA_ROLES, "admin,", MG_ERR_INVALID},
    {MG_SETTING_REQUIRE_2FA_ROLES, ",admin", MG_ERR_INVALID},
    {MG_SETTING_REQUIRE_2FA_ROLES, "admin,,service", MG_ERR_INVALID},
    {MG_SETTING_REQUIRE_2FA_ROLES, "root", MG_ERR_INVALID},
    {MG_SETTING_REQUIRE_2FA_ROLES, "admin clinician", MG_ERR_INVALID},
    {MG_SETTING_DETECT_AUDIT_SEQ, "0", 0},
    {MG_SETTING_DETECT_AUDIT_SEQ, "9223372036854775807", 0},
    {MG_SETTING_DETECT_AUDIT_SEQ, "9223372036854775808", MG_ERR_INVALID},
    {MG_SETTING_DETECT_AUDIT_SEQ, "-1", MG_ERR_INVALID},
    {MG_SETTING_DETECT_AUDIT_SEQ, "+1", MG_ERR_INVALID},
    {MG_SETTING_DETECT_AUDIT_SEQ, " 1", MG_ERR_INVALID},
    {MG_SETTING_DETECT_AUDIT_SEQ, "1x", MG_ERR_INVALID},
    {MG_SETTING_ADVISORIES_IMPORT, "{\"format\":\"osv\",\"affected\":1}", 0},
    {MG_SETTING_ADVISORIES_IMPORT, "[1]", MG_ERR_INVALID},
    {MG_SETTING_UPDATE_NOTICE, "{\"latest\":\"0.2.0\"}", 0},
    {MG_SETTING_UPDATE_NOTICE, "{\"a\":1,\"a\":2}", MG_ERR_INVALID},	/* duplicate key */
    {MG_SETTING_UPDATE_NOTICE, "", MG_ERR_INVALID},
    {MG_SETTING_SYSLOG_SENT_SEQ, "42", 0},
    {MG_SETTING_SYSLOG_SENT_SEQ, "", MG_ERR_INVALID},
    {MG_SETTING_INTERFACE_DEVICE, MG_SETTING_ON, 0},
    {MG_SETTING_INTERFACE_ENROLMENT, MG_SETTING_OFF, 0},
    {MG_SETTING_INTERFACE_MLLP, "OFF", MG_ERR_INVALID},
    {MG_SETTING_INTERFACE_EMR, "", MG_ERR_INVALID},
    {"interface.bluetooth", "on", MG_ERR_NOT_FOUND},
    {"totp_roles", "admin", MG_ERR_NOT_FOUND},
};

static void test_check_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *c = &check_cases[i];

		if (mg_setting_check(c->name, c->value) != c->rc)
			fail_msg("%s = \"%s\": want %d", c->name, c->value, c->rc);
	}
}

static void test_registry_complete(void **state)
{
	(void)state;
	assert_true(mg_settings_count >= 8);
	for (size_t i = 0; i < mg_settings_count; i++) {
		const struct mg_setting *s = &mg_settings[i];

		assert_non_null(s->name);
		assert_non_null(s->holds);
		assert_non_null(s->check);
		assert_ptr_equal(mg_setting_find(s->name), s); /* each name once */
	}
	assert_null(mg_setting_find(NULL));
	assert_null(mg_setting_find(""));
}

static void test_seq_parse(void **state)
{
	int64_t seq = 99;

	(void)state;
	assert_int_equal(mg_setting_seq_parse("1234", &seq), 0);
	assert_int_equal(seq, 1234);
	assert_int_equal(mg_setting_seq_parse("12a", &seq), MG_ERR_INVALID);
	assert_int_equal(seq, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_table),
	    cmocka_unit_test(test_registry_complete),
	    cmocka_unit_test(test_seq_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
