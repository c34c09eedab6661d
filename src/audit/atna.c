/* DICOM audit messages (PS3.15 A.5) from audit records. One table maps
 * actions to event codes; the rest writes the record's fields, escaped,
 * into a bounded buffer. Element order follows the schema: event,
 * active participant, audit source, participant object. */
#include "audit/atna.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "common/textbuf.h"
#include "common/timefmt.h"
#include "common/utf8.h"

/* First match wins: an entry ending in '.' or '_' is a prefix, any other
 * an exact action; "" matches everything. docs/audit.md shows this table. */
static const struct {
	const char *action;
	const char *event_id, *event_name, *type_code, *type_name;
} events[] = {
	{ "login.", "110114", "User Authentication", "110122", "Login" },
	{ "session.", "110114", "User Authentication", "110123", "Logout" },
	{ "patient.search", "110112", "Query", NULL, NULL },
	{ "patient.export", "110106", "Export", NULL, NULL },
	{ "patient.", "110110", "Patient Record", NULL, NULL },
	{ "audit.export", "110106", "Export", NULL, NULL },
	{ "audit.", "110101", "Audit Log Used", NULL, NULL },
	{ "outbox.resend", "110106", "Export", NULL, NULL },
	{ "alert.", "110113", "Security Alert", NULL, NULL },
	{ "incident.", "110113", "Security Alert", NULL, NULL },
	{ "device.enrol", "110113", "Security Alert", "110126", "Node Authentication" },
	{ "device.reenrol", "110113", "Security Alert", "110126", "Node Authentication" },
	{ "device.refused", "110113", "Security Alert", "110126", "Node Authentication" },
	{ "device.", "110113", "Security Alert", "110130", "Hardware Configuration" },
	{ "firmware.", "110113", "Security Alert", "110130", "Hardware Configuration" },
	{ "user.", "110113", "Security Alert", "110137", "User Security Attributes Changed" },
	{ "password.", "110113", "Security Alert", "110137", "User Security Attributes Changed" },
	{ "totp.", "110113", "Security Alert", "110137", "User Security Attributes Changed" },
	{ "tenant.member_", "110113", "Security Alert", "110136", "Security Roles Changed" },
	{ "tenant.", "110113", "Security Alert", "110129", "Security Configuration" },
	{ "config.", "110113", "Security Alert", "110129", "Security Configuration" },
	{ "key.", "110113", "Security Alert", "110129", "Security Configuration" },
	{ "interface.", "110113", "Security Alert", "110129", "Security Configuration" },
	{ "daemon.start", "110100", "Application Activity", "110120", "Application Start" },
	{ "daemon.stop", "110100", "Application Activity", "110121", "Application Stop" },
	{ "", "110100", "Application Activity", NULL, NULL },
};

/* EventActionCode by the action's last word (after the last '.'). */
static const struct {
	const char *verb;
	char code;
} verbs[] = {
	{ "create", 'C' }, { "enrol", 'C' }, { "token", 'C' }, { "member_add", 'C' },
	{ "open", 'C' }, { "note", 'C' }, { "import", 'C' },
	{ "read", 'R' }, { "search", 'R' }, { "export", 'R' }, { "report", 'R' },
	{ "patient_report", 'R' }, { "resend", 'R' },
	{ "update", 'U' }, { "change", 'U' }, { "rename", 'U' }, { "revoke", 'U' },
	{ "block", 'U' }, { "unblock", 'U' }, { "unlock", 'U' }, { "disable", 'U' },
	{ "enable", 'U' }, { "rotate", 'U' }, { "reset", 'U' }, { "password_reset", 'U' }, { "acknowledge", 'U' },
	{ "switch", 'U' }, { "reenrol", 'U' }, { "firmware_changed", 'U' }, { "member_suspend", 'U' }, { "member_confirm", 'U' },
	{ "delete", 'D' }, { "remove", 'D' }, { "member_remove", 'D' }, { "totp_remove", 'D' },
	{ "erase", 'D' },
};

static bool action_matches(const char *pattern, const char *action)
{
	size_t n = strlen(pattern);

	if (n == 0)
		return true;
	if (pattern[n - 1] == '.' || pattern[n - 1] == '_')
		return strncmp(pattern, action, n) == 0;
	return strcmp(pattern, action) == 0;
}

void mg_atna_event_of(const struct mg_audit_record *rec, struct mg_atna_event *out)
{
	const char *dot = strrchr(rec->action, '.');
	const char *verb = dot != NULL ? dot + 1 : rec->action;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(events) / sizeof(events[0]) - 1; i++) {
		if (action_matches(events[i].action, rec->action))
			break;
	}
	out->event_id = events[i].event_id;
	out->event_name = events[i].event_name;
	out->type_code = events[i].type_code;
	out->type_name = events[i].type_name;
	out->action_code = 'E';
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].verb, verb) == 0) {
			out->action_code = verbs[i].code;
			break;
		}
	}
	/* 4 minor failure, 8 serious failure; 12 (major) for an outcome the
	 * trail does not know, which only an altered record can have. */
	if (strcmp(rec->outcome, "success") == 0)
		out->outcome = 0;
	else if (strcmp(rec->outcome, "failure") == 0)
		out->outcome = 4;
	else if (strcmp(rec->outcome, "denied") == 0)
		out->outcome = 8;
	else
		out->outcome = 12;
}

/* s as XML attribute text: markup characters as entities; control
 * characters, invalid UTF-8 and the non-characters XML 1.0 forbids as
 * U+FFFD, so the document always parses. */
static void xml_text(struct mg_textbuf *t, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);

	while (left > 0) {
		uint32_t cp = 0;
		size_t n = mg_utf8_decode(p, left, &cp);

		if (n == 0) {
			mg_textbuf_str(t, "\xef\xbf\xbd");
			n = 1;
		} else if (cp == '&') {
			mg_textbuf_str(t, "&amp;");
		} else if (cp == '<') {
			mg_textbuf_str(t, "&lt;");
		} else if (cp == '>') {
			mg_textbuf_str(t, "&gt;");
		} else if (cp == '"') {
			mg_textbuf_str(t, "&quot;");
		} else if (cp == '\'') {
			mg_textbuf_str(t, "&apos;");
		} else if (cp < 0x20 || cp == 0x7f || cp == 0xfffe || cp == 0xffff) {
			mg_textbuf_str(t, "\xef\xbf\xbd");
		} else {
			mg_textbuf_add(t, p, n);
		}
		p += n;
		left -= n;
	}
}

/* name="value" with a leading space. */
static void xml_attr(struct mg_textbuf *t, const char *name, const char *value)
{
	mg_textbuf_printf(t, " %s=\"", name);
	xml_text(t, value);
	mg_textbuf_str(t, "\"");
}

/* <element csd-code=".." codeSystemName=".." originalText=".."/> */
static void xml_code(struct mg_textbuf *t, const char *element, const char *code,
		     const char *system, const char *meaning)
{
	mg_textbuf_printf(t, "<%s", element);
	xml_attr(t, "csd-code", code);
	xml_attr(t, "codeSystemName", system);
	xml_attr(t, "originalText", meaning);
	mg_textbuf_str(t, "/>");
}

static void event_identification(struct mg_textbuf *t, const struct mg_audit_record *rec)
{
	struct mg_atna_event ev;
	char time[MG_TIME_TEXT_LEN];

	mg_atna_event_of(rec, &ev);
	if (mg_time_format(rec->time_ms, time, sizeof(time)) != 0)
		memcpy(time, "1970-01-01T00:00:00.000Z", sizeof("1970-01-01T00:00:00.000Z"));
	mg_textbuf_printf(t, "<EventIdentification EventActionCode=\"%c\" EventDateTime=\"%s\" "
			     "EventOutcomeIndicator=\"%d\">",
			  ev.action_code, time, ev.outcome);
	xml_code(t, "EventID", ev.event_id, "DCM", ev.event_name);
	if (ev.type_code != NULL)
		xml_code(t, "EventTypeCode", ev.type_code, "DCM", ev.type_name);
	/* The exact action, so nothing is lost in the coarser DCM codes. */
	xml_code(t, "EventTypeCode", rec->action, "urn:medgate:audit-action", rec->action);
	mg_textbuf_str(t, "</EventIdentification>");
}

static bool is_ip_address(const char *s)
{
	unsigned char ip[16];

	return inet_pton(AF_INET, s, ip) == 1 || inet_pton(AF_INET6, s, ip) == 1;
}

static void active_participant(struct mg_textbuf *t, const struct mg_audit_record *rec)
{
	const char *role = rec->roles;

	mg_textbuf_str(t, "<ActiveParticipant");
	xml_attr(t, "UserID", rec->actor);
	if (rec->actor_id != 0)
		mg_textbuf_printf(t, " AlternativeUserID=\"%lld\"", (long long)rec->actor_id);
	mg_textbuf_str(t, " UserIsRequestor=\"true\"");
	/* "local" (the command line) names no network access point. */
	if (rec->address[0] != '\0' && strcmp(rec->address, "local") != 0) {
		xml_attr(t, "NetworkAccessPointID", rec->address);
		/* 2: IP address; 1: machine name (anything else). */
		mg_textbuf_printf(t, " NetworkAccessPointTypeCode=\"%d\"",
				  is_ip_address(rec->address) ? 2 : 1);
	}
	mg_textbuf_str(t, ">");
	while (*role != '\0') {
		const char *comma = strchr(role, ',');
		size_t n = comma != NULL ? (size_t)(comma - role) : strlen(role);
		char name[MG_AUDIT_ROLES_MAX + 1];

		memcpy(name, role, n);
		name[n] = '\0';
		if (n > 0)
			xml_code(t, "RoleIDCode", name, "urn:medgate:role", name);
		role += n + (comma != NULL);
	}
	mg_textbuf_str(t, "</ActiveParticipant>");
}

static void audit_source(struct mg_textbuf *t, const struct mg_atna_source *src)
{
	mg_textbuf_str(t, "<AuditSourceIdentification");
	if (src->site_id != NULL && src->site_id[0] != '\0')
		xml_attr(t, "AuditEnterpriseSiteID", src->site_id);
	xml_attr(t, "AuditSourceID", src->source_id != NULL && src->source_id[0] != '\0'
					     ? src->source_id : "medgate");
	mg_textbuf_str(t, ">");
	/* 4: application server process (RFC 3881 audit source types). */
	xml_code(t, "AuditSourceTypeCode", "4", "DCM", "Application Server Process");
	mg_textbuf_str(t, "</AuditSourceIdentification>");
}

/* <ParticipantObjectDetail type=".." value="base64"/> */
static void object_detail(struct mg_textbuf *t, const char *type, const char *value)
{
	char b64[sodium_base64_ENCODED_LEN(MG_AUDIT_DETAILS_MAX, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)value, strlen(value),
			  sodium_base64_VARIANT_ORIGINAL);
	mg_textbuf_printf(t, "<ParticipantObjectDetail type=\"%s\" value=\"%s\"/>", type, b64);
}

/* ParticipantObjectTypeCode and ...TypeCodeRole (RFC 3881 codes) by the
 * object's type; 0 leaves the role out. */
static void object_codes(const char *object, int *type, int *role)
{
	static const struct {
		const char *prefix;
		int type, role;
	} kinds[] = {
		{ "patient:", 1, 1 },	/* person, patient */
		{ "user:", 1, 11 },	/* person, security user entity */
		{ "tenant:", 3, 12 },	/* organization, security user group */
		{ "device:", 2, 4 },	/* system object, resource */
		{ "config", 2, 13 },	/* system object, security resource */
		{ "audit", 2, 17 },	/* system object, data repository */
	};

	*type = 2;
	*role = 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strncmp(object, kinds[i].prefix, strlen(kinds[i].prefix)) == 0) {
			*type = kinds[i].type;
			*role = kinds[i].role;
			return;
		}
	}
}

static void participant_object(struct mg_textbuf *t, const struct mg_audit_record *rec,
			       bool with_details)
{
	char kind[MG_AUDIT_OBJECT_MAX + 1], tenant[24];
	const char *colon = strchr(rec->object, ':');
	size_t n = colon != NULL ? (size_t)(colon - rec->object) : strlen(rec->object);
	int type, role;

	if (rec->object[0] == '\0')
		return;
	memcpy(kind, rec->object, n);
	kind[n] = '\0';
	object_codes(rec->object, &type, &role);
	/* The object as the record has it: for a patient the gateway's row
	 * id, never an identifier a person could be found by elsewhere. */
	mg_textbuf_str(t, "<ParticipantObjectIdentification");
	xml_attr(t, "ParticipantObjectID", rec->object);
	mg_textbuf_printf(t, " ParticipantObjectTypeCode=\"%d\"", type);
	if (role != 0)
		mg_textbuf_printf(t, " ParticipantObjectTypeCodeRole=\"%d\"", role);
	mg_textbuf_str(t, ">");
	xml_code(t, "ParticipantObjectIDTypeCode", kind, "urn:medgate:object",
		 "medgate object reference");
	if (rec->tenant_id != 0) {
		snprintf(tenant, sizeof(tenant), "%lld", (long long)rec->tenant_id);
		object_detail(t, "tenant_id", tenant);
	}
	if (with_details && rec->details[0] != '\0' && strcmp(rec->details, "{}") != 0)
		object_detail(t, "details", rec->details);
	mg_textbuf_str(t, "</ParticipantObjectIdentification>");
}

int mg_atna_format(const struct mg_audit_record *rec, const struct mg_atna_source *src,
		   bool with_details, char *buf, size_t buflen, size_t *len_out)
{
	struct mg_textbuf t;

	mg_textbuf_init(&t, buf, buflen);
	mg_textbuf_str(&t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><AuditMessage>");
	event_identification(&t, rec);
	active_participant(&t, rec);
	audit_source(&t, src);
	participant_object(&t, rec, with_details);
	mg_textbuf_str(&t, "</AuditMessage>");
	return mg_textbuf_finish(&t, len_out);
}
