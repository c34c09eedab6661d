/* DICOM audit messages: one case per mapping family (event id, type code,
 * action code, outcome), escaping, well-formedness under hostile text,
 * the patient shown only as its row id, and the size bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "audit/atna.h"
#include "common/err.h"
#include "xml_check.h"

static const struct mg_atna_source SOURCE = { "gw1.example", "0123456789abcdef" };

static void record_init(struct mg_audit_record *rec, const char *action, const char *outcome)
{
	memset(rec, 0, sizeof(*rec));
	rec->seq = 7;
	rec->time_ms = INT64_C(1795341600123);
	rec->actor_id = 3;
	snprintf(rec->actor, sizeof(rec->actor), "alice");
	snprintf(rec->roles, sizeof(rec->roles), "admin,clinician");
	snprintf(rec->address, sizeof(rec->address), "192.0.2.7");
	snprintf(rec->action, sizeof(rec->action), "%s", action);
	snprintf(rec->object, sizeof(rec->object), "user:9");
	snprintf(rec->outcome, sizeof(rec->outcome), "%s", outcome);
	snprintf(rec->details, sizeof(rec->details), "{}");
}

struct family_case {
	const char *action, *outcome;
	const char *event_id, *type_code;	/* type NULL: none */
	char action_code;
	int indicator;
};

static const struct family_case families[] = {
	/* user authentication */
	{ "login.success", "success", "110114", "110122", 'E', 0 },
	{ "login.failure", "failure", "110114", "110122", 'E', 4 },
	{ "login.lockout", "denied", "110114", "110122", 'E', 8 },
	{ "session.logout", "success", "110114", "110123", 'E', 0 },
	/* patient record, query, export */
	{ "patient.read", "success", "110110", NULL, 'R', 0 },
	{ "patient.read", "denied", "110110", NULL, 'R', 8 },
	{ "patient.search", "success", "110112", NULL, 'R', 0 },
	{ "audit.export", "success", "110106", NULL, 'R', 0 },
	{ "outbox.resend", "success", "110106", NULL, 'R', 0 },
	{ "key.rotate", "success", "110113", "110129", 'U', 0 },
	{ "audit.checkpoint", "success", "110101", NULL, 'E', 0 },
	{ "audit.patient_report", "success", "110101", NULL, 'R', 0 },
	/* security alerts and refusals */
	{ "alert.raised", "success", "110113", NULL, 'E', 0 },
	{ "alert.acknowledge", "success", "110113", NULL, 'U', 0 },
	{ "incident.open", "success", "110113", NULL, 'C', 0 },
	{ "incident.note", "success", "110113", NULL, 'C', 0 },
	{ "device.refused", "denied", "110113", "110126", 'E', 8 },
	{ "device.enrol", "success", "110113", "110126", 'C', 0 },
	{ "device.reenrol", "success", "110113", "110126", 'U', 0 },
	/* security administration */
	{ "user.create", "success", "110113", "110137", 'C', 0 },
	{ "user.update", "success", "110113", "110137", 'U', 0 },
	{ "user.delete", "success", "110113", "110137", 'D', 0 },
	{ "user.totp_remove", "success", "110113", "110137", 'D', 0 },
	{ "password.change", "failure", "110113", "110137", 'U', 4 },
	{ "totp.enrol", "success", "110113", "110137", 'C', 0 },
	{ "tenant.member_add", "success", "110113", "110136", 'C', 0 },
	{ "tenant.member_remove", "success", "110113", "110136", 'D', 0 },
	{ "tenant.rename", "success", "110113", "110129", 'U', 0 },
	{ "config.change", "success", "110113", "110129", 'U', 0 },
	{ "interface.switch", "success", "110113", "110129", 'U', 0 },
	{ "device.revoke", "success", "110113", "110130", 'U', 0 },
	{ "device.firmware_changed", "success", "110113", "110130", 'U', 0 },
	{ "firmware.import", "success", "110113", "110130", 'C', 0 },
	{ "firmware.import", "denied", "110113", "110130", 'C', 8 },
	/* application activity */
	{ "daemon.start", "success", "110100", "110120", 'E', 0 },
	{ "daemon.stop", "success", "110100", "110121", 'E', 0 },
	{ "something.new", "success", "110100", NULL, 'E', 0 },
	/* an outcome only an altered record can have */
	{ "login.success", "maybe", "110114", "110122", 'E', 12 },
};

static void test_families(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		const struct family_case *c = &families[i];
		struct mg_audit_record rec;
		struct mg_atna_event ev;
		char xml[MG_ATNA_XML_MAX], want[160];
		size_t len;

		record_init(&rec, c->action, c->outcome);
		mg_atna_event_of(&rec, &ev);
		if (strcmp(ev.event_id, c->event_id) != 0 || ev.action_code != c->action_code ||
		    ev.outcome != c->indicator ||
		    (c->type_code == NULL) != (ev.type_code == NULL) ||
		    (c->type_code != NULL && strcmp(c->type_code, ev.type_code) != 0))
			fail_msg("%s/%s: got %s %s %c %d", c->action, c->outcome, ev.event_id,
				 ev.type_code ? ev.type_code : "-", ev.action_code, ev.outcome);
		assert_int_equal(mg_atna_format(&rec, &SOURCE, true, xml, sizeof(xml), &len), 0);
		assert_int_equal(len, strlen(xml));
		assert_true(xml_well_formed(xml));
		snprintf(want, sizeof(want), "<EventID csd-code=\"%s\" codeSystemName=\"DCM\"",
			 c->event_id);
		assert_non_null(strstr(xml, want));
		snprintf(want, sizeof(want), "EventActionCode=\"%c\"", c->action_code);
		assert_non_null(strstr(xml, want));
		snprintf(want, sizeof(want), "EventOutcomeIndicator=\"%d\"", c->indicator);
		assert_non_null(strstr(xml, want));
		snprintf(want, sizeof(want), "csd-code=\"%s\" codeSystemName=\"urn:medgate:audit-action\"",
			 c->action);
		assert_non_null(strstr(xml, want));
	}
}

static void test_participants(void **state)
{
	struct mg_audit_record rec;
	char xml[MG_ATNA_XML_MAX];
	size_t len;

	(void)state;
	record_init(&rec, "patient.read", "success");
	snprintf(rec.object, sizeof(rec.object), "patient:42");
	rec.tenant_id = 5;
	snprintf(rec.details, sizeof(rec.details), "{\"rows\":3}");
	assert_int_equal(mg_atna_format(&rec, &SOURCE, true, xml, sizeof(xml), &len), 0);
	assert_true(xml_well_formed(xml));
	assert_non_null(strstr(xml, "EventDateTime=\"2026-11-22T10:00:00.123Z\""));
	assert_non_null(strstr(xml, "<ActiveParticipant UserID=\"alice\" AlternativeUserID=\"3\" "
				    "UserIsRequestor=\"true\" NetworkAccessPointID=\"192.0.2.7\" "
				    "NetworkAccessPointTypeCode=\"2\">"));
	assert_non_null(strstr(xml, "<RoleIDCode csd-code=\"admin\""));
	assert_non_null(strstr(xml, "<RoleIDCode csd-code=\"clinician\""));
	assert_non_null(strstr(xml, "AuditEnterpriseSiteID=\"0123456789abcdef\" "
				    "AuditSourceID=\"gw1.example\""));
	/* The patient is its row id, a person in the patient role. */
	assert_non_null(strstr(xml, "ParticipantObjectID=\"patient:42\" "
				    "ParticipantObjectTypeCode=\"1\" "
				    "ParticipantObjectTypeCodeRole=\"1\""));
	/* tenant 5 and the details, base64 */
	assert_non_null(strstr(xml, "<ParticipantObjectDetail type=\"tenant_id\" value=\"NQ==\"/>"));
	assert_non_null(strstr(xml, "<ParticipantObjectDetail type=\"details\" "
				    "value=\"eyJyb3dzIjozfQ==\"/>"));
	/* without details */
	assert_int_equal(mg_atna_format(&rec, &SOURCE, false, xml, sizeof(xml), &len), 0);
	assert_null(strstr(xml, "type=\"details\""));
	/* the command line: no network access point; no object, no element */
	snprintf(rec.address, sizeof(rec.address), "local");
	rec.object[0] = '\0';
	rec.actor_id = 0;
	assert_int_equal(mg_atna_format(&rec, &SOURCE, true, xml, sizeof(xml), &len), 0);
	assert_null(strstr(xml, "NetworkAccessPoint"));
	assert_null(strstr(xml, "AlternativeUserID"));
	assert_null(strstr(xml, "ParticipantObjectIdentification"));
	assert_true(xml_well_formed(xml));
	/* a host name is type 1 */
	snprintf(rec.address, sizeof(rec.address), "fe80::1%%eth0");
	assert_int_equal(mg_atna_format(&rec, &SOURCE, true, xml, sizeof(xml), &len), 0);
	assert_non_null(strstr(xml, "NetworkAccessPointTypeCode=\"1\""));
}

static void test_escaping(void **state)
{
	struct mg_audit_record rec;
	char xml[MG_ATNA_XML_MAX];
	size_t len;

	(void)state;
	record_init(&rec, "user.create", "success");
	snprintf(rec.actor, sizeof(rec.actor), "a\"<b>&'c\x01\xff\xc3\xa9");
	snprintf(rec.roles, sizeof(rec.roles), ",x\"y,,");
	snprintf(rec.object, sizeof(rec.object), "user:<script>");
	assert_int_equal(mg_atna_format(&rec, &SOURCE, true, xml, sizeof(xml), &len), 0);
	assert_true(xml_well_formed(xml));
	/* control character and the invalid byte become U+FFFD; é stays */
	assert_non_null(strstr(xml, "UserID=\"a&quot;&lt;b&gt;&amp;&apos;c\xef\xbf\xbd\xef\xbf\xbd"
				    "\xc3\xa9\""));
	assert_non_null(strstr(xml, "csd-code=\"x&quot;y\""));
	assert_non_null(strstr(xml, "ParticipantObjectID=\"user:&lt;script&gt;\""));
	assert_null(strstr(xml, "<script"));
}

/* Every field at its bound, all characters that expand most. */
static void worst_record(struct mg_audit_record *rec)
{
	record_init(rec, "", "success");
	rec->seq = INT64_MAX;
	rec->actor_id = INT64_MIN;
	rec->tenant_id = INT64_MIN;
	memset(rec->actor, '"', MG_AUDIT_ACTOR_MAX);
	memset(rec->roles, '&', MG_AUDIT_ROLES_MAX);
	memset(rec->address, '\'', MG_AUDIT_ADDRESS_MAX);
	memset(rec->action, 'a', MG_AUDIT_ACTION_MAX);
	memset(rec->object, '<', MG_AUDIT_OBJECT_MAX);
	memset(rec->outcome, 'x', MG_AUDIT_OUTCOME_MAX);
	memset(rec->details, '"', MG_AUDIT_DETAILS_MAX);
}

static void test_bounds(void **state)
{
	static const struct mg_atna_source big = {
		"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
		"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
		"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
		"hhhhhhhhhhhhhhh",
		"ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss" };
	struct mg_audit_record rec;
	char xml[MG_ATNA_XML_MAX + 64], small[600];
	size_t len = 1;

	(void)state;
	worst_record(&rec);
	assert_int_equal(mg_atna_format(&rec, &big, true, xml, sizeof(xml), &len), 0);
	assert_true(len < MG_ATNA_XML_MAX);
	assert_int_equal(mg_atna_format(&rec, &big, false, xml, sizeof(xml), &len), 0);
	assert_true(len < MG_ATNA_XML_MAX - 1024);
	assert_true(xml_well_formed(xml));
	/* too small a buffer: an error and "", never a cut document */
	assert_int_equal(mg_atna_format(&rec, &big, true, small, sizeof(small), &len),
			 MG_ERR_LIMIT);
	assert_int_equal(len, 0);
	assert_string_equal(small, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_participants),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
