/* The run-time settings the store keeps (mg_store_setting_get/set): every
 * name once, with what it holds and how a value is checked. A module that
 * reads or writes a setting uses the constant here, never the literal. */
#ifndef MG_MODEL_SETTINGS_H
#define MG_MODEL_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

/* 16 hex digits naming this installation: message ids, syslog origin. */
#define MG_SETTING_INSTANCE_ID     "instance_id"
#define MG_SETTING_INSTANCE_ID_LEN 16

/* Comma-separated role names whose accounts must use a second factor. */
#define MG_SETTING_REQUIRE_2FA_ROLES "require_2fa_roles"

/* Audit seq up to which detection has judged the trail. */
#define MG_SETTING_DETECT_AUDIT_SEQ "detect.audit_seq"

/* Audit seq up to which the syslog collector has the trail. */
#define MG_SETTING_SYSLOG_SENT_SEQ "syslog.sent_seq"

/* Interface switches, MG_SETTING_ON or MG_SETTING_OFF; absent means on. */
#define MG_SETTING_INTERFACE_DEVICE    "interface.device"
#define MG_SETTING_INTERFACE_ENROLMENT "interface.enrolment"
#define MG_SETTING_INTERFACE_MLLP      "interface.mllp"
#define MG_SETTING_INTERFACE_EMR       "interface.emr"
#define MG_SETTING_INTERFACE_WEB       "interface.web"
/* One EMR destination's switch: this prefix and the [emr.NAME] name. */
#define MG_SETTING_DESTINATION_PREFIX  "interface.emr."
#define MG_SETTING_ON                  "on"
#define MG_SETTING_OFF                 "off"

/* The emergency handbook last printed: "<SHA-256 of the configuration, 64
 * hex digits> <time in ms>" (medgatectl handbook); the security overview
 * says when the running configuration differs. */
#define MG_SETTING_HANDBOOK "handbook.printed"
/* The SHA-256 of medgate.conf (64 hex digits) at the daemon's last start:
 * a start with another one records config.file, a change to review
 * (model/review.h). */
#define MG_SETTING_CONFIG_SHA256 "config.sha256"
/* The last advisory import (medgatectl advisories import), a JSON object:
 * {"format", "advisories", "affected", "packages", "imported_ms"}. */
#define MG_SETTING_ADVISORIES_IMPORT "advisories.import"

/* The last release feed check (medgatectl update-check), a JSON object:
 * {"current", "latest" ("" when none is newer), "security", "date",
 * "fixes" (the first ones, shortened to fit), "checked_ms"}. */
#define MG_SETTING_UPDATE_NOTICE "update.notice"
/* When the last backup was made and the last restore drill passed, in ms
 * since the Unix epoch (decimal); absent until the first one. Written by
 * the backup commands, read by /metrics and the health page. */
#define MG_SETTING_BACKUP_LAST_MS "backup.last_ms"
/* When the last self-test wrote it (ms): its store round trip. */
#define MG_SETTING_SELFTEST_LAST_MS "selftest.last_ms"
#define MG_SETTING_DRILL_LAST_MS  "backup.drill_last_ms"
/* The last restore drill (medgatectl backup drill), for the security
 * page: "<end time, Unix ms> <passed|failed> <restore time, ms>". */
#define MG_SETTING_BACKUP_DRILL "backup.drill_last"

/* Retention ([retention] keep_days): how many measurements the daemon
 * has erased as too old, in all (decimal), and when it last ran (ms). */
#define MG_SETTING_RETENTION_ERASED  "retention.erased"
#define MG_SETTING_RETENTION_LAST_MS "retention.last_ms"

/* Parse a backup.drill_last value. Returns 0 or MG_ERR_INVALID. */
int mg_setting_drill_parse(const char *value, int64_t *time_ms, int *passed,
			   int64_t *restore_ms);

struct mg_setting {
	const char *name;
	const char *holds; /* for people: docs, diagnostics */
	/* 0 if value is well formed for this setting, else MG_ERR_INVALID. */
	int (*check)(const char *value);
};

/* The registry, mg_settings_count entries. */
extern const struct mg_setting mg_settings[];
extern const size_t mg_settings_count;

/* The entry for name, or NULL if name is no setting. */
const struct mg_setting *mg_setting_find(const char *name);

/* Whether value suits the setting name: 0, MG_ERR_INVALID for a malformed
 * value, or MG_ERR_NOT_FOUND for a name that is not in the registry. */
int mg_setting_check(const char *name, const char *value);

/* Parse a seq setting (decimal, 0 or more, nothing else) into *seq_out.
 * Returns 0, or MG_ERR_INVALID with *seq_out 0. */
int mg_setting_seq_parse(const char *value, int64_t *seq_out);

#endif
