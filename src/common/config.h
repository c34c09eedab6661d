/* medgate.conf: an INI file. Every key, its default, bounds and meaning
 * live in one table in config.c, from which the template that
 * `medgatectl init` writes and docs/configuration.md are made. */
#ifndef MG_COMMON_CONFIG_H
#define MG_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/limits.h"
#include "common/log.h"

struct mg_listener_config {
	bool enabled;
	char address[64];	/* "" = all addresses, IPv6 and IPv4 */
	unsigned port;
	unsigned connection_timeout;	/* seconds without progress */
	unsigned request_timeout;	/* seconds from a request's first line to its end */
	unsigned connections_per_address;
	unsigned max_connections;
};

#define MG_EMR_MAX		8	/* [emr.NAME] sections */
#define MG_EMR_NAME_MAX		32

/* One EMR destination: an [emr.NAME] section. */
struct mg_emr_config {
	char name[MG_EMR_NAME_MAX + 1];
	bool enabled;
	char protocol[16];		/* "hl7-mllp" or "fhir" */
	char address[256];		/* host:port (hl7-mllp) */
	char url[512];			/* base URL (fhir) */
	bool tls;
	char ca_cert[MG_PATH_MAX];	/* "" = the system's CAs */
	char client_cert[MG_PATH_MAX];	/* optional client certificate */
	char client_key[MG_PATH_MAX];
	char bearer_token_file[MG_PATH_MAX];	/* fhir */
	char tenants[512];		/* tenant names, comma separated; "" = all */
	unsigned connections;		/* parallel connections */
	unsigned timeout;		/* seconds to wait for an answer */
	unsigned retry_max;		/* longest wait between tries, seconds */
	char sending_facility[64];	/* MSH-4 */
	char receiving_application[64];	/* MSH-5 */
	char receiving_facility[64];	/* MSH-6 */
	char patient_id_authority[64];	/* PID-3.4 assigning authority; "" = none */
	char patient_system[256];	/* FHIR subject.identifier.system */
	char identifier_system[256];	/* FHIR identifier system of our ids */
};

struct mg_config {
	char path[MG_PATH_MAX];		/* the file it was read from */
	char dir[MG_PATH_MAX];		/* relative paths start here */
	char sha256[65];		/* of the file's bytes, hex; "" if not from a file */

	char user[64];			/* drop to this account when root */
	char log_file[MG_PATH_MAX];	/* "" = stderr */
	enum mg_log_level log_level;
	unsigned threads;		/* HTTP threads per port, 0 = cores */

	char storage_backend[16];	/* "sqlite" or "postgresql" */
	char storage_path[MG_PATH_MAX];	/* SQLite database file */
	char storage_conninfo[512];	/* libpq connection string */

	char master_key[MG_PATH_MAX];
	char tls_profile[32];		/* "bsi" or "mozilla-intermediate" */
	char ca_cert[MG_PATH_MAX];	/* instance CA: signs server certs */
	char server_cert[MG_PATH_MAX];
	char server_key[MG_PATH_MAX];
	char device_ca_cert[MG_PATH_MAX];
	char device_ca_key[MG_PATH_MAX];
	unsigned device_cert_days;

	struct mg_listener_config web, device, mllp;
	char public_url[256];		/* how users reach the web port */
	unsigned device_body_max;	/* bytes */
	unsigned enrol_token_ttl;	/* seconds */
	char device_models[2049];	/* [devices] models (model/device_model.h) */
	char firmware_keys[MG_PATH_MAX];	/* [devices] firmware_keys */

	/* [access]: passwords, sessions, lockout, second factor */
	unsigned password_min_length, password_max_length, password_classes;
	unsigned session_idle_timeout, session_lifetime;	/* seconds */
	unsigned sessions_per_user;	/* concurrent sessions of one account */
	unsigned lockout_threshold, lockout_seconds, lockout_max_seconds;
	unsigned address_failures_max, address_window;		/* seconds */
	unsigned reset_token_ttl;				/* seconds */
	char totp_issuer[64];

	/* [patients]: identity and interpretation */
	unsigned bmi_adult_age;		/* WHO adult BMI classes from this age */
	char adt_senders[512];		/* devices that may send HL7 ADT; "" = none */

	/* [smtp]: outgoing e-mail (password reset, alerts) */
	char smtp_url[256];		/* "" = no e-mail */
	char smtp_from[MG_NAME_MAX + 1];
	char smtp_username[MG_NAME_MAX + 1];
	char smtp_password_file[MG_PATH_MAX];
	char smtp_ca_cert[MG_PATH_MAX];	/* "" = the system's CAs */
	/* [mail]: the language of e-mails whose recipient's is not known */
	char mail_language[8];		/* "en", "de" (notify/text.h) */

	/* [alerts]: who hears of alerts, and how they are grouped */
	char alerts_email[512];		/* "a@b, c@d"; "" = no e-mail */
	unsigned alerts_group_window;	/* seconds */

	/* [detect]: thresholds of the detection rules (src/detect/) */
	unsigned detect_login_failures_account, detect_login_failures_address;
	unsigned detect_login_window;		/* seconds */
	char detect_admin_hours[16];		/* "07:00-19:00"; "" = any time */
	unsigned detect_device_rate;		/* measurements a minute; 0 = off */
	unsigned detect_weight_jump_percent;	/* 0 = off */
	unsigned detect_jump_window;		/* seconds */
	unsigned detect_emr_queue_age;		/* seconds; 0 = off */
	unsigned detect_device_silent;		/* seconds; 0 = off */
	unsigned detect_certificate_expiry;	/* days; 0 = off */
	unsigned detect_audit_verify_interval;	/* seconds; 0 = off */
	unsigned detect_scan_interval;		/* seconds */
	unsigned detect_store_free_min;		/* MiB; 0 = off */

	/* [metrics]: /metrics on the web port */
	char metrics_token_file[MG_PATH_MAX];	/* "" = no /metrics */

	/* [syslog]: the audit trail to a collector (RFC 5424 over RFC 5425) */
	char syslog_address[256];	/* host:port; "" = no export */
	bool syslog_tls;
	char syslog_ca[MG_PATH_MAX];	/* "" = the system's CAs */
	char syslog_cert[MG_PATH_MAX];	/* "" = [tls] server_cert */
	char syslog_key[MG_PATH_MAX];
	char syslog_facility[16];
	char updates_release_key[65];	/* Ed25519 public key, hex; "" = none */

	/* [handbook]: who to call, for the printed emergency handbook */
	char handbook_organisation[256];
	char handbook_security_contact[256];
	char handbook_it_contact[256];
	char handbook_vendor_contact[256];
	char handbook_reporting[512];
	/* [report]: the head of the printed patient report */
	char report_facility[256];

	/* [disclosure]: /.well-known/security.txt (RFC 9116) */
	char disclosure_contact[512];	/* "" = no security.txt */
	char disclosure_expires[32];	/* RFC 3339 */
	char disclosure_policy[512];

	/* [backup]: recovery key, scheduled backups (docs/backup.md) */
	char backup_recovery_key[MG_PATH_MAX];	/* public key file (backup keygen) */
	char backup_schedule[32];	/* "" = none, "every 6h", "daily 02:30" */
	unsigned backup_keep;		/* scheduled backups kept */
	char backup_folder[MG_PATH_MAX];	/* where scheduled backups go */
	unsigned backup_review_days;	/* a backup and a drill expected within; 0 = off */

	/* [retention] (docs/patient-rights.md) */
	unsigned retention_keep_days;	/* 0: keep until erased by hand */

	size_t nemr;
	struct mg_emr_config emr[MG_EMR_MAX];
};

/* Fill cfg with the defaults of every key (paths relative, dir empty). */
void mg_config_defaults(struct mg_config *cfg);

/* Read and check the file at path into cfg (defaults first). Returns 0,
 * or MG_ERR_IO / MG_ERR_CONFIG with a message naming the line and key in
 * err. */
int mg_config_load(const char *path, struct mg_config *cfg, char *err, size_t errlen);

/* Parse len bytes of INI text into cfg (on top of what it holds). Returns
 * 0 or MG_ERR_CONFIG with the reason in err. Used by load and the fuzzer. */
int mg_config_parse(const char *text, size_t len, struct mg_config *cfg,
		    char *err, size_t errlen);

/* Parse a [backup] schedule: "" (none: both 0), "every N" with N a number
 * followed by m or h (*every_s, at least 5 minutes, at most 7 days), or
 * "daily HH:MM" (*daily_minute = minutes after midnight UTC, *every_s 0).
 * Returns 0 or MG_ERR_CONFIG. */
int mg_config_schedule_parse(const char *text, unsigned *every_s, int *daily_minute);

/* Write cfg as a complete, commented medgate.conf. Returns 0 or MG_ERR_IO. */
int mg_config_write(const struct mg_config *cfg, FILE *out);

/* Write the key reference as Markdown (docs/configuration.md). */
int mg_config_write_reference(FILE *out);

/* Resolve a path from the configuration against cfg->dir into out.
 * Returns 0 or MG_ERR_LIMIT. */
int mg_config_path(const struct mg_config *cfg, const char *path, char *out, size_t outlen);

#endif
