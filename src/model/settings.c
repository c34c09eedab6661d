#include "model/settings.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "model/roles.h"

static int check_instance_id(const char *value)
{
	unsigned char bin[MG_SETTING_INSTANCE_ID_LEN / 2];
	size_t len = strlen(value);

	if (len != MG_SETTING_INSTANCE_ID_LEN)
		return MG_ERR_INVALID;
	return mg_hex_decode(value, len, bin, sizeof(bin), NULL) == 0 ? 0 : MG_ERR_INVALID;
}

/* "" (no role) or role names joined by commas, each known. */
static int check_roles(const char *value)
{
	const char *p = value;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		char name[32];
		unsigned role;

		if (n == 0 || n >= sizeof(name))
			return MG_ERR_INVALID;
		memcpy(name, p, n);
		name[n] = '\0';
		if (mg_role_parse(name, &role) != 0)
			return MG_ERR_INVALID;
		p += n;
		if (*p == ',' && *++p == '\0')
			return MG_ERR_INVALID; /* a trailing comma */
	}
	return 0;
}

static int check_seq(const char *value)
{
	int64_t seq;

	return mg_setting_seq_parse(value, &seq);
}

/* A JSON object, compact, as medgatectl writes it. */
static int check_json_object(const char *value)
{
	json_t *o = json_loads(value, JSON_REJECT_DUPLICATES, NULL);
	int r = json_is_object(o) ? 0 : MG_ERR_INVALID;

	json_decref(o);
	return r;
}

static int check_switch(const char *value)
{
	return strcmp(value, MG_SETTING_ON) == 0 || strcmp(value, MG_SETTING_OFF) == 0
		   ? 0
		   : MG_ERR_INVALID;
}

static int check_sha256(const char *value)
{
	unsigned char bin[32];

	return strlen(value) == 64 && mg_hex_decode(value, 64, bin, sizeof(bin), NULL) == 0
		   ? 0
		   : MG_ERR_INVALID;
}

/* 64 hex digits, a space, a time in ms. */
static int check_handbook(const char *value)
{
	unsigned char bin[32];
	int64_t ms;

	if (strlen(value) < 66 || value[64] != ' ' ||
	    mg_hex_decode(value, 64, bin, sizeof(bin), NULL) != 0)
		return MG_ERR_INVALID;
	return mg_setting_seq_parse(value + 65, &ms);
}

int mg_setting_drill_parse(const char *value, int64_t *time_ms, int *passed, int64_t *restore_ms)
{
	const char *sp1 = strchr(value, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	char time_text[24];
	size_t n;

	*time_ms = *restore_ms = 0;
	*passed = 0;
	if (sp1 == NULL || sp2 == NULL || (n = (size_t)(sp1 - value)) >= sizeof(time_text))
		return MG_ERR_INVALID;
	memcpy(time_text, value, n);
	time_text[n] = '\0';
	if (mg_setting_seq_parse(time_text, time_ms) != 0 ||
	    mg_setting_seq_parse(sp2 + 1, restore_ms) != 0)
		return MG_ERR_INVALID;
	if (sp2 - sp1 - 1 == 6 && strncmp(sp1 + 1, "passed", 6) == 0)
		*passed = 1;
	else if (!(sp2 - sp1 - 1 == 6 && strncmp(sp1 + 1, "failed", 6) == 0))
		return MG_ERR_INVALID;
	return 0;
}

static int check_drill(const char *value)
{
	int64_t t, ms;
	int passed;

	return mg_setting_drill_parse(value, &t, &passed, &ms);
}

const struct mg_setting mg_settings[] = {
    {MG_SETTING_INSTANCE_ID, "this installation's id, 16 hex digits", check_instance_id},
    {MG_SETTING_REQUIRE_2FA_ROLES, "roles that must use a second factor", check_roles},
    {MG_SETTING_DETECT_AUDIT_SEQ, "audit seq detection has judged up to", check_seq},
    {MG_SETTING_SYSLOG_SENT_SEQ, "audit seq the syslog collector has up to", check_seq},
    {MG_SETTING_INTERFACE_DEVICE, "device port switch", check_switch},
    {MG_SETTING_INTERFACE_ENROLMENT, "enrolment switch", check_switch},
    {MG_SETTING_INTERFACE_MLLP, "inbound MLLP port switch", check_switch},
    {MG_SETTING_INTERFACE_EMR, "forwarding to the EMR switch", check_switch},
    {MG_SETTING_HANDBOOK, "configuration hash and time of the last handbook", check_handbook},
    {MG_SETTING_ADVISORIES_IMPORT, "the last advisory import, JSON", check_json_object},
    {MG_SETTING_UPDATE_NOTICE, "the last release feed check, JSON", check_json_object},
    {MG_SETTING_INTERFACE_WEB, "web port switch", check_switch},
    {MG_SETTING_BACKUP_LAST_MS, "when the last backup was made, ms since 1970", check_seq},
    {MG_SETTING_DRILL_LAST_MS, "when the last restore drill passed, ms since 1970",
     check_seq},
    {MG_SETTING_RETENTION_ERASED, "measurements erased as older than [retention] keep_days",
     check_seq},
    {MG_SETTING_RETENTION_LAST_MS, "when the retention job last ran, ms since 1970", check_seq},
    {MG_SETTING_BACKUP_DRILL, "the last restore drill: time, result, restore ms", check_drill},
    {MG_SETTING_CONFIG_SHA256, "SHA-256 of medgate.conf at the last daemon start", check_sha256},
    {MG_SETTING_SELFTEST_LAST_MS, "when the last self-test ran, ms since 1970", check_seq},
};
const size_t mg_settings_count = sizeof(mg_settings) / sizeof(mg_settings[0]);

const struct mg_setting *mg_setting_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < mg_settings_count; i++)
		if (strcmp(mg_settings[i].name, name) == 0)
			return &mg_settings[i];
	return NULL;
}

int mg_setting_check(const char *name, const char *value)
{
	const struct mg_setting *s = mg_setting_find(name);

	if (s == NULL)
		return MG_ERR_NOT_FOUND;
	if (value == NULL)
		return MG_ERR_INVALID;
	return s->check(value);
}

int mg_setting_seq_parse(const char *value, int64_t *seq_out)
{
	char *end;
	long long seq;

	*seq_out = 0;
	if (value[0] < '0' || value[0] > '9')
		return MG_ERR_INVALID; /* strtoll would take space and a sign */
	errno = 0;
	seq = strtoll(value, &end, 10);
	if (errno != 0 || *end != '\0' || seq < 0)
		return MG_ERR_INVALID;
	*seq_out = seq;
	return 0;
}
