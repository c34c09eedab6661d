/* RFC 5424 messages of audit records: header fields, severity by outcome
 * and alert severity, PARAM-VALUE escaping, MSGID and HOSTNAME rules, the
 * size bound with its details fallback, and the RFC 5425 frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "audit/syslog.h"
#include "common/err.h"
#include "xml_check.h"

static void record_init(struct mg_audit_record *rec, const char *action, const char *outcome,
			const char *details)
{
	memset(rec, 0, sizeof(*rec));
	rec->seq = 12;
	rec->time_ms = INT64_C(1795341600123);
	snprintf(rec->actor, sizeof(rec->actor), "bob");
	snprintf(rec->address, sizeof(rec->address), "127.0.0.1");
	snprintf(rec->action, sizeof(rec->action), "%s", action);
	snprintf(rec->outcome, sizeof(rec->outcome), "%s", outcome);
	snprintf(rec->details, sizeof(rec->details), "%s", details);
	memset(rec->hash, 0xab, sizeof(rec->hash));
}

static void origin_init(struct mg_syslog_origin *o)
{
	memset(o, 0, sizeof(*o));
	o->facility = 10;
	snprintf(o->hostname, sizeof(o->hostname), "gw1");
	snprintf(o->procid, sizeof(o->procid), "4711");
	snprintf(o->site_id, sizeof(o->site_id), "00ff");
}

static void test_severity(void **state)
{
	static const struct {
		const char *action, *outcome, *details;
		int severity;
	} cases[] = {
		{ "login.success", "success", "{}", 6 },
		{ "login.failure", "failure", "{}", 5 },
		{ "device.refused", "denied", "{}", 5 },
		{ "alert.brute_force", "success", "{\"kind\":\"brute_force\",\"severity\":\"critical\"}", 2 },
		{ "alert.flood", "success", "{\"kind\":\"flood\",\"severity\":\"high\"}", 3 },
		{ "alert.x", "success", "{\"kind\":\"x\",\"severity\":\"medium\"}", 4 },
		{ "alert.x", "success", "{\"kind\":\"x\",\"severity\":\"low\"}", 5 },
		{ "alert.x", "success", "{\"kind\":\"x\",\"severity\":\"dire\"}", 4 },
		{ "alert.x", "success", "{\"kind\":\"x\",\"severity\":3}", 4 },
		{ "alert.x", "success", "not json", 4 },
		{ "alerting.x", "success", "{\"severity\":\"critical\"}", 6 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mg_audit_record rec;

		record_init(&rec, cases[i].action, cases[i].outcome, cases[i].details);
		if (mg_syslog_severity(&rec) != cases[i].severity)
			fail_msg("%s %s %s: severity %d, want %d", cases[i].action, cases[i].outcome,
				 cases[i].details, mg_syslog_severity(&rec), cases[i].severity);
	}
}

static void test_facility(void **state)
{
	int code = -1;

	(void)state;
	assert_int_equal(mg_syslog_facility("authpriv", &code), 0);
	assert_int_equal(code, 10);
	assert_int_equal(mg_syslog_facility("local4", &code), 0);
	assert_int_equal(code, 20);
	assert_int_equal(mg_syslog_facility("audit", &code), 0);
	assert_int_equal(code, 13);
	assert_int_equal(mg_syslog_facility("kern", &code), MG_ERR_INVALID);
	assert_int_equal(mg_syslog_facility("", &code), MG_ERR_INVALID);
}

static void test_param_escape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "", "" },
		{ "a\"b", "a\\\"b" },
		{ "a\\b", "a\\\\b" },
		{ "a]b", "a\\]b" },
		{ "[x]=\"y\"", "[x\\]=\\\"y\\\"" },
		{ "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9" },	/* UTF-8 passes */
	};
	char out[64], tiny[4];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(mg_syslog_param_escape(cases[i].in, out, sizeof(out)), 0);
		assert_string_equal(out, cases[i].out);
	}
	/* "a\"b" needs 5 bytes with its NUL: an error, never a cut value */
	assert_int_equal(mg_syslog_param_escape("a\"b", tiny, sizeof(tiny)), MG_ERR_LIMIT);
	assert_string_equal(tiny, "");
}

static void test_message(void **state)
{
	static const char want[] =
		"<86>1 2026-11-22T10:00:00.123Z gw1 medgate 4711 login.success "
		"[medgate@32473 seq=\"12\" hash=\"abababababababababababababababababababababababab"
		"abababababababab\"][origin software=\"medgate\" swVersion=\"" MG_VERSION "\"] "
		"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?><AuditMessage>";
	struct mg_audit_record rec;
	struct mg_syslog_origin o;
	char msg[MG_SYSLOG_MESSAGE_MAX + 1];
	size_t len = 0;

	(void)state;
	origin_init(&o);
	record_init(&rec, "login.success", "success", "{}");
	assert_int_equal(mg_syslog_format(&rec, &o, msg, sizeof(msg), &len), 0);
	assert_int_equal(len, strlen(msg));
	assert_memory_equal(msg, want, sizeof(want) - 1);	/* authpriv.info = 86 */
	assert_true(xml_well_formed(msg + sizeof(want) - 1 - strlen("<?xml version=\"1.0\" "
									 "encoding=\"UTF-8\"?>"
									 "<AuditMessage>")));
	assert_null(strchr(msg, '\n'));
	/* a failure is notice (85); local4 moves the facility */
	record_init(&rec, "login.failure", "failure", "{}");
	o.facility = 20;
	assert_int_equal(mg_syslog_format(&rec, &o, msg, sizeof(msg), &len), 0);
	assert_memory_equal(msg, "<165>1 ", 7);
	/* a critical alert: local4.crit */
	record_init(&rec, "alert.audit_chain", "success", "{\"kind\":\"audit_chain\",\"severity\":\"critical\"}");
	assert_int_equal(mg_syslog_format(&rec, &o, msg, sizeof(msg), &len), 0);
	assert_memory_equal(msg, "<162>1 ", 7);
}

static void test_msgid_cut(void **state)
{
	struct mg_audit_record rec;
	struct mg_syslog_origin o;
	char msg[MG_SYSLOG_MESSAGE_MAX + 1];
	size_t len;

	(void)state;
	origin_init(&o);
	/* 40 characters: MSGID takes the first 32; the XML keeps all 40 */
	record_init(&rec, "abcdefghij.abcdefghij.abcdefghij.abcdefg", "success", "{}");
	assert_int_equal(mg_syslog_format(&rec, &o, msg, sizeof(msg), &len), 0);
	assert_non_null(strstr(msg, " 4711 abcdefghij.abcdefghij.abcdefghij [medgate@32473 "));
	assert_non_null(strstr(msg, "csd-code=\"abcdefghij.abcdefghij.abcdefghij.abcdefg\""));
	/* no action: the NILVALUE */
	record_init(&rec, "", "success", "{}");
	assert_int_equal(mg_syslog_format(&rec, &o, msg, sizeof(msg), &len), 0);
	assert_non_null(strstr(msg, " 4711 - [medgate@32473 "));
}

static void test_origin(void **state)
{
	struct mg_syslog_origin o;

	(void)state;
	mg_syslog_origin_init(&o, 99, "0123456789abcdef");
	assert_int_equal(o.facility, 10);	/* out of range: the default */
	assert_true(strlen(o.hostname) >= 1 && strlen(o.hostname) <= MG_SYSLOG_HOSTNAME_MAX);
	for (const char *p = o.hostname; *p; p++)
		assert_true(*p > 32 && *p < 127);
	assert_string_equal(o.site_id, "0123456789abcdef");
	assert_true(strlen(o.procid) > 0);
}

/* Every field at its bound with the characters that expand most, and the
 * longest host name: the message still fits, with its details. A host name
 * of 255 characters and a small buffer: the details go, and the structured
 * data says so. */
static void test_bounds(void **state)
{
	struct mg_audit_record rec;
	struct mg_syslog_origin o;
	char msg[MG_SYSLOG_MESSAGE_MAX + 1], *xml;
	size_t len;

	(void)state;
	origin_init(&o);
	memset(o.hostname, 'h', MG_SYSLOG_HOSTNAME_MAX);
	memset(o.site_id, 's', MG_SYSLOG_SITE_ID_MAX);
	record_init(&rec, "", "success", "");
	rec.seq = INT64_MAX;
	rec.actor_id = rec.tenant_id = INT64_MIN;
	memset(rec.actor, '"', MG_AUDIT_ACTOR_MAX);
	memset(rec.roles, '&', MG_AUDIT_ROLES_MAX);
	memset(rec.address, '\'', MG_AUDIT_ADDRESS_MAX);
	memset(rec.action, 'a', MG_AUDIT_ACTION_MAX);
	memset(rec.object, '<', MG_AUDIT_OBJECT_MAX);
	memset(rec.outcome, 'x', MG_AUDIT_OUTCOME_MAX);
	memset(rec.details, '"', MG_AUDIT_DETAILS_MAX);
	assert_int_equal(mg_syslog_format(&rec, &o, msg, sizeof(msg), &len), 0);
	assert_true(len <= MG_SYSLOG_MESSAGE_MAX);
	assert_null(strstr(msg, "truncated="));
	assert_non_null(strstr(msg, "type=\"details\""));
	xml = strstr(msg, "\xef\xbb\xbf") + 3;
	assert_true(xml_well_formed(xml));
	/* 6,000 bytes: the details do not fit, the rest does */
	assert_int_equal(mg_syslog_format(&rec, &o, msg, 6000, &len), 0);
	assert_true(len < 6000);
	assert_non_null(strstr(msg, " truncated=\"details\"]"));
	assert_null(strstr(msg, "type=\"details\""));
	assert_true(xml_well_formed(strstr(msg, "\xef\xbb\xbf") + 3));
	/* 1,000 bytes: nothing fits; an error and "", never a cut message */
	assert_int_equal(mg_syslog_format(&rec, &o, msg, 1000, &len), MG_ERR_LIMIT);
	assert_int_equal(len, 0);
	assert_string_equal(msg, "");
}

static void test_frame(void **state)
{
	char prefix[MG_SYSLOG_FRAME_PREFIX_MAX];

	(void)state;
	assert_int_equal(mg_syslog_frame_prefix(1, prefix), 2);
	assert_string_equal(prefix, "1 ");
	assert_int_equal(mg_syslog_frame_prefix(MG_SYSLOG_MESSAGE_MAX, prefix), 5);
	assert_string_equal(prefix, "8000 ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_facility),
		cmocka_unit_test(test_param_escape),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_msgid_cut),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
