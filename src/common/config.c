#include "common/config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/timefmt.h"

enum key_kind { KEY_BOOL, KEY_UINT, KEY_STRING, KEY_LOG_LEVEL };

struct key {
	const char *section;
	const char *name;
	enum key_kind kind;
	size_t offset;
	size_t size;		/* of the field, for strings */
	const char *value;	/* default, as written in the file */
	unsigned long min, max;	/* for numbers; for strings max length */
	const char *choices;	/* for strings: allowed values, '|' separated */
	const char *doc;
};

#define FIELD(f) offsetof(struct mg_config, f), sizeof(((struct mg_config *)0)->f)
#define LISTENER(section, member, default_port, doc_on)                                          \
	{ section, "enabled", KEY_BOOL, FIELD(member.enabled), "on", 0, 0, NULL, doc_on }, \
	{ section, "address", KEY_STRING, FIELD(member.address), "", 0, 0, NULL,          \
	  "Numeric address to listen on; :: (as medgatectl init writes) or empty listens " \
	  "on every address, IPv6 and IPv4; 127.0.0.1 or ::1 on this host only." },      \
	{ section, "port", KEY_UINT, FIELD(member.port), default_port, 1, 65535, NULL,             \
	  "TCP port." },                                                                    \
	{ section, "connection_timeout", KEY_UINT, FIELD(member.connection_timeout), "30",  \
	  1, 3600, NULL, "Seconds a connection may stay without progress before it is closed." }, \
	{ section, "request_timeout", KEY_UINT, FIELD(member.request_timeout), "30", 1, 3600,   \
	  NULL, "Seconds a request may take to arrive whole, from its first line (MLLP: its"   \
	  " first byte) to the end of its body, however slowly its bytes trickle in; on"      \
	  " HTTPS the first line must come within connection_timeout + request_timeout." },   \
	{ section, "connections_per_address", KEY_UINT,                                      \
	  FIELD(member.connections_per_address), "256", 1, 100000, NULL,                     \
	  "Concurrent connections allowed from one client address." },                      \
	{ section, "max_connections", KEY_UINT, FIELD(member.max_connections), "20000",     \
	  1, 1000000, NULL, "Concurrent connections allowed in all." }

static const struct key keys[] = {
	{ "instance", "user", KEY_STRING, FIELD(user), "", 0, 0, NULL,
	  "Account medgated switches to after binding its ports when started as root." },
	{ "instance", "log_file", KEY_STRING, FIELD(log_file), "log/medgated.log", 0, 0, NULL,
	  "Log file (reopened on SIGHUP); empty logs to standard error." },
	{ "instance", "log_level", KEY_LOG_LEVEL, FIELD(log_level), "info", 0, 0,
	  "error|warning|info|debug", "How much to log." },
	{ "instance", "threads", KEY_UINT, FIELD(threads), "0", 0, 64, NULL,
	  "HTTP worker threads per port; 0 uses one per processor core." },

	{ "storage", "backend", KEY_STRING, FIELD(storage_backend), "sqlite", 0, 0,
	  "sqlite|postgresql", "Store back end." },
	{ "storage", "path", KEY_STRING, FIELD(storage_path), "data/medgate.db", 0, 0, NULL,
	  "SQLite database file (backend = sqlite)." },
	{ "storage", "conninfo", KEY_STRING, FIELD(storage_conninfo), "", 0, 0, NULL,
	  "libpq connection string (backend = postgresql), e.g. \"host=db port=5432"
	  " dbname=medgate user=medgate sslmode=verify-full sslrootcert=FILE passfile=FILE\";"
	  " keep passwords in a passfile, not here (docs/postgresql.md)." },

	{ "keys", "master", KEY_STRING, FIELD(master_key), "keys/master.key", 0, 0, NULL,
	  "Master key file (mode 0600) that wraps every tenant's data key." },

	{ "tls", "profile", KEY_STRING, FIELD(tls_profile), "bsi", 0, 0,
	  "bsi|mozilla-intermediate",
	  "TLS profile: bsi (BSI TR-02102-2: TLS 1.2/1.3, ECDHE, AES-GCM, P-256/P-384) "
	  "or mozilla-intermediate (adds ChaCha20-Poly1305 and X25519)." },
	{ "tls", "ca_cert", KEY_STRING, FIELD(ca_cert), "certs/ca.pem", 0, 0, NULL,
	  "Instance CA certificate; clients trust it to check the server certificate." },
	{ "tls", "server_cert", KEY_STRING, FIELD(server_cert), "certs/server.pem", 0, 0, NULL,
	  "Server certificate for the web and device ports." },
	{ "tls", "server_key", KEY_STRING, FIELD(server_key), "keys/server.key", 0, 0, NULL,
	  "Private key of the server certificate (mode 0600)." },
	{ "tls", "device_ca_cert", KEY_STRING, FIELD(device_ca_cert), "certs/device-ca.pem", 0, 0,
	  NULL, "Device CA certificate: devices must present a certificate it signed." },
	{ "tls", "device_ca_key", KEY_STRING, FIELD(device_ca_key), "keys/device-ca.key", 0, 0,
	  NULL, "Device CA private key (mode 0600), used to sign enrolled devices." },
	{ "tls", "device_cert_days", KEY_UINT, FIELD(device_cert_days), "825", 1, 3650, NULL,
	  "Validity of device certificates issued at enrolment, in days." },

	LISTENER("web", web, "8443", "Serve the web interface and JSON API (server TLS)."),
	{ "web", "public_url", KEY_STRING, FIELD(public_url), "https://localhost:8443", 0, 0, NULL,
	  "Address people use to reach the web port; links in e-mails start with it." },
	LISTENER("device", device, "8444",
		 "Serve devices: EST enrolment and measurements (mutual TLS)."),
	{ "device", "body_max", KEY_UINT, FIELD(device_body_max), "65536", 256,
	  MG_DEVICE_BODY_MAX_CEILING, NULL, "Largest measurement request body, in bytes." },
	{ "device", "enrol_token_ttl", KEY_UINT, FIELD(enrol_token_ttl), "86400", 60,
	  30 * 86400, NULL, "Seconds an enrolment token stays valid." },
	{ "devices", "models", KEY_STRING, FIELD(device_models), "", 0, 0, NULL,
	  "Device models this gateway accepts, comma separated, each optionally with its "
	  "minimum firmware after a colon (acme-s100:2.1.0, acme-rod); a device names its model "
	  "in X-Device-Model. Enrolment of a model not listed (or of none) is refused; a device "
	  "that later reports another model than it enrolled with is flagged and alerted. Empty "
	  "accepts every model." },
	{ "devices", "firmware_keys", KEY_STRING, FIELD(firmware_keys), "", 0, 0, NULL,
	  "File of the device makers' Ed25519 public keys for signed firmware, one \"MODEL "
	  "HEXKEY\" a line (several for one model while a maker rotates keys); not writable by "
	  "group or others. medgatectl firmware import accepts only manifests one of the "
	  "model's keys signed; empty accepts none (docs/device-api.md)." },
	{ "patients", "bmi_adult_age", KEY_UINT, FIELD(bmi_adult_age), "18", 15, 19, NULL,
	  "Age in years from which a BMI gets the WHO adult classes; below it the WHO "
	  "BMI-for-age z-score and class (docs/quantities.md)." },
	{ "patients", "adt_senders", KEY_STRING, FIELD(adt_senders), "", 0, 0, NULL,
	  "Names of enrolled devices (the hospital's HL7 interface engine) that may send ADT "
	  "messages on the MLLP port, comma-separated; \"\" accepts ADT from none "
	  "(docs/hl7.md)." },
	{ "access", "password_min_length", KEY_UINT, FIELD(password_min_length), "12", 8, 128,
	  NULL, "Shortest password accepted (NIST SP 800-63B; 15 where no second factor)." },
	{ "access", "password_max_length", KEY_UINT, FIELD(password_max_length), "256", 128,
	  1024, NULL, "Longest password accepted." },
	{ "access", "password_classes", KEY_UINT, FIELD(password_classes), "0", 0, 4, NULL,
	  "Character classes (lower, upper, digit, other) a password must mix; 0 sets no "
	  "composition rule, as NIST recommends." },
	{ "access", "session_idle_timeout", KEY_UINT, FIELD(session_idle_timeout), "900", 10,
	  86400, NULL, "Seconds without activity after which a session ends." },
	{ "access", "session_lifetime", KEY_UINT, FIELD(session_lifetime), "43200", 300,
	  7 * 86400, NULL, "Seconds after sign-in at which a session ends regardless." },
	{ "access", "sessions_per_user", KEY_UINT, FIELD(sessions_per_user), "5", 1, 100, NULL,
	  "Sessions one account may hold at once; signing in once more ends its oldest "
	  "session." },
	{ "access", "lockout_threshold", KEY_UINT, FIELD(lockout_threshold), "5", 1, 100, NULL,
	  "Failed logins in a row after which an account is locked." },
	{ "access", "lockout_seconds", KEY_UINT, FIELD(lockout_seconds), "60", 1, 86400, NULL,
	  "Length of the first lockout; each further lockout in a row doubles it." },
	{ "access", "lockout_max_seconds", KEY_UINT, FIELD(lockout_max_seconds), "3600", 1,
	  7 * 86400, NULL, "Longest lockout." },
	{ "access", "address_failures_max", KEY_UINT, FIELD(address_failures_max), "20", 1,
	  100000, NULL,
	  "Failed logins from one client address, across accounts, after which that address "
	  "is refused until its window ends." },
	{ "access", "address_window", KEY_UINT, FIELD(address_window), "600", 10, 86400, NULL,
	  "Seconds over which failed logins from one address are counted." },
	{ "access", "reset_token_ttl", KEY_UINT, FIELD(reset_token_ttl), "1800", 60, 86400, NULL,
	  "Seconds a password reset link stays valid." },
	{ "access", "totp_issuer", KEY_STRING, FIELD(totp_issuer), "medgate", 0, 0, NULL,
	  "Issuer name authenticator apps show for medgate accounts." },
	{ "smtp", "url", KEY_STRING, FIELD(smtp_url), "", 0, 0, NULL,
	  "Mail server: smtp://host:port (STARTTLS required) or smtps://host:port; empty "
	  "sends no e-mail." },
	{ "smtp", "from", KEY_STRING, FIELD(smtp_from), "medgate@localhost", 0, 0, NULL,
	  "Sender address of medgate's e-mails." },
	{ "smtp", "username", KEY_STRING, FIELD(smtp_username), "", 0, 0, NULL,
	  "User name for SMTP authentication; empty for none." },
	{ "smtp", "password_file", KEY_STRING, FIELD(smtp_password_file), "", 0, 0, NULL,
	  "File (mode 0600) holding the SMTP password." },
	{ "smtp", "ca_cert", KEY_STRING, FIELD(smtp_ca_cert), "", 0, 0, NULL,
	  "CA certificate to check the mail server with; empty uses the system's." },
	{ "mail", "language", KEY_STRING, FIELD(mail_language), "en", 0, 0, "en|de",
	  "Language of e-mails (password reset links, alerts) when the recipient's own is not "
	  "known; the texts are in src/notify/text_*.c." },
	{ "alerts", "email", KEY_STRING, FIELD(alerts_email), "", 0, 0, NULL,
	  "Security contacts who get an e-mail for each new alert, comma separated (needs "
	  "[smtp] url); empty sends none." },
	{ "alerts", "group_window", KEY_UINT, FIELD(alerts_group_window), "3600", 60, 7 * 86400,
	  NULL, "Seconds within which repeats of an open alert (same kind and subject) count "
	  "into it instead of making a new one; e-mail goes out for the first and at 10, 100, "
	  "1000 repeats." },
	{ "detect", "login_failures_account", KEY_UINT, FIELD(detect_login_failures_account),
	  "5", 1, 100000, NULL,
	  "Failed logins for one account within login_window that raise an alert." },
	{ "detect", "login_failures_address", KEY_UINT, FIELD(detect_login_failures_address),
	  "10", 1, 100000, NULL,
	  "Failed logins from one address within login_window that raise an alert." },
	{ "detect", "login_window", KEY_UINT, FIELD(detect_login_window), "900", 10, 86400, NULL,
	  "Seconds over which failed logins are counted for the two rules above." },
	{ "detect", "admin_hours", KEY_STRING, FIELD(detect_admin_hours), "", 0, 0, NULL,
	  "Hours (local time, HH:MM-HH:MM) in which admins work; activity of an admin outside "
	  "them raises an alert. Empty: no such rule." },
	{ "detect", "device_rate", KEY_UINT, FIELD(detect_device_rate), "60", 0, 1000000, NULL,
	  "Measurements a minute one device may send before an alert is raised; 0: no limit." },
	{ "detect", "weight_jump_percent", KEY_UINT, FIELD(detect_weight_jump_percent), "10", 0,
	  1000, NULL,
	  "Change of a patient's body weight, in percent, within jump_window that raises an "
	  "alert (possible manipulation or mix-up); 0: no such rule." },
	{ "detect", "jump_window", KEY_UINT, FIELD(detect_jump_window), "86400", 60,
	  30 * 86400, NULL, "Seconds back to look for a patient's previous value." },
	{ "detect", "emr_queue_age", KEY_UINT, FIELD(detect_emr_queue_age), "900", 0,
	  30 * 86400, NULL,
	  "Seconds the oldest message waiting for an EMR may wait before an alert; 0: none." },
	{ "detect", "device_silent", KEY_UINT, FIELD(detect_device_silent), "86400", 0,
	  365 * 86400, NULL,
	  "Seconds an active device may stay unseen before an alert; 0: no such rule." },
	{ "detect", "certificate_expiry", KEY_UINT, FIELD(detect_certificate_expiry), "30", 0, 365,
	  NULL, "Days before an active device's certificate expires that an alert asks for its "
	  "renewal (EST simplereenroll, medgate-device reenroll); 0: no such rule." },
	{ "detect", "audit_verify_interval", KEY_UINT, FIELD(detect_audit_verify_interval),
	  "3600", 0, 30 * 86400, NULL,
	  "Seconds between checks of the whole audit chain (a broken chain is a critical "
	  "alert); 0: never." },
	{ "detect", "scan_interval", KEY_UINT, FIELD(detect_scan_interval), "60", 1, 86400, NULL,
	  "Seconds between scans for stale EMR queues, silent devices and expiring device "
	  "certificates." },
	{ "detect", "store_free_min", KEY_UINT, FIELD(detect_store_free_min), "1024", 0,
	  1024 * 1024, NULL,
	  "MiB of free space where the store lives (the SQLite database's file system) below "
	  "which an alert warns before the disk is full; shown on the health page and in "
	  "/metrics; 0: no such rule." },
	{ "metrics", "token_file", KEY_STRING, FIELD(metrics_token_file), "", 0, 0, NULL,
	  "File (mode 0600) holding the bearer token a Prometheus server presents to read "
	  "/metrics on the web port (at least 32 characters); empty: no /metrics." },
	LISTENER("mllp", mllp, "2575",
		 "Serve HL7 v2 (IHE PCD-01 ORU^R01) from devices over MLLP inside mutual TLS."),
	{ "syslog", "address", KEY_STRING, FIELD(syslog_address), "", 0, 0, NULL,
	  "host:port of a syslog collector that receives every audit record as it "
	  "happens (RFC 5424, DICOM audit message form); empty sends none." },
	{ "syslog", "tls", KEY_BOOL, FIELD(syslog_tls), "on", 0, 0, NULL,
	  "Send over TLS (RFC 5425) and check the collector's certificate; off sends "
	  "plain TCP (only for a collector on the same host)." },
	{ "syslog", "ca", KEY_STRING, FIELD(syslog_ca), "", 0, 0, NULL,
	  "CA certificate to check the collector with; empty uses the system's." },
	{ "syslog", "cert", KEY_STRING, FIELD(syslog_cert), "", 0, 0, NULL,
	  "Client certificate to present if the collector asks for one; empty uses "
	  "[tls] server_cert and server_key." },
	{ "syslog", "key", KEY_STRING, FIELD(syslog_key), "", 0, 0, NULL,
	  "Private key of the client certificate (mode 0600)." },
	{ "syslog", "facility", KEY_STRING, FIELD(syslog_facility), "authpriv", 0, 0,
	  "authpriv|auth|audit|local0|local1|local2|local3|local4|local5|local6|local7",
	  "Syslog facility of the messages (authpriv is 10, audit 13, local0-7 16-23)." },
	{ "handbook", "organisation", KEY_STRING, FIELD(handbook_organisation), "", 0, 0, NULL,
	  "Hospital or practice, and the site, as the emergency handbook names it." },
	{ "handbook", "security_contact", KEY_STRING, FIELD(handbook_security_contact), "", 0, 0,
	  NULL, "Who to call first about a security incident: name, telephone, e-mail." },
	{ "handbook", "it_contact", KEY_STRING, FIELD(handbook_it_contact), "", 0, 0, NULL,
	  "The IT service desk that runs this host: name, telephone, e-mail." },
	{ "handbook", "vendor_contact", KEY_STRING, FIELD(handbook_vendor_contact), "", 0, 0, NULL,
	  "The maker's or integrator's support: name, telephone, e-mail." },
	{ "handbook", "reporting", KEY_STRING, FIELD(handbook_reporting), "", 0, 0, NULL,
	  "The reporting chain, in order, separated by ';' (e.g. \"security officer; data "
	  "protection officer; management; authority within 72 hours\")." },
	{ "report", "facility", KEY_STRING, FIELD(report_facility), "", 0, 0, NULL,
	  "Hospital, site and department at the head of the printed patient report; empty "
	  "uses [handbook] organisation." },
	{ "disclosure", "contact", KEY_STRING, FIELD(disclosure_contact), "", 0, 0, NULL,
	  "Where to report a vulnerability in this installation, as security.txt (RFC 9116) "
	  "says: a mailto: or https: URI, several separated by ','; empty: no "
	  "/.well-known/security.txt." },
	{ "disclosure", "expires", KEY_STRING, FIELD(disclosure_expires), "", 0, 0, NULL,
	  "When the security.txt contact is to be checked again, RFC 3339 (e.g. "
	  "2027-12-31T00:00:00Z), less than a year ahead; required with contact." },
	{ "disclosure", "policy", KEY_STRING, FIELD(disclosure_policy), "", 0, 0, NULL,
	  "Optional https: URL of the disclosure policy (security.txt Policy)." },
	{ "updates", "release_key", KEY_STRING, FIELD(updates_release_key), "", 0, 0, NULL,
	  "The maker's Ed25519 public key, 64 hex digits, that signs the release feed "
	  "(medgatectl update-check); empty: no feed is trusted." },

	{ "backup", "recovery_key", KEY_STRING, FIELD(backup_recovery_key), "keys/recovery.pub",
	  0, 0, NULL, "Recovery public key that backups are sealed to, as `medgatectl backup "
	  "keygen` writes it; its secret half is never on the gateway (docs/backup.md)." },
	{ "backup", "schedule", KEY_STRING, FIELD(backup_schedule), "", 0, 0, NULL,
	  "When the daemon makes a backup by itself: empty for never, \"every 6h\" or "
	  "\"every 30m\" (5 minutes to 7 days), or \"daily 02:30\" (UTC)." },
	{ "backup", "keep", KEY_UINT, FIELD(backup_keep), "7", 1, 1000, NULL,
	  "Scheduled backups kept in folder; the oldest beyond this are deleted." },
	{ "backup", "folder", KEY_STRING, FIELD(backup_folder), "backups", 0, 0, NULL,
	  "Folder of the scheduled backups (made if missing, mode 0700); the signed "
	  "erasure log (erasures.log) is kept here too (docs/patient-rights.md)." },
	{ "backup", "review_days", KEY_UINT, FIELD(backup_review_days), "30", 0, 3650, NULL,
	  "Days within which a backup and a passed restore drill are expected; the security "
	  "overview and the security sheet name one older or missing (0: not checked)." },

	{ "retention", "keep_days", KEY_UINT, FIELD(retention_keep_days), "0", 0, 36500, NULL,
	  "Days a measurement is kept after it reached the gateway; older ones are erased "
	  "by the daemon each hour (audited, counted on the security page). 0: kept until "
	  "erased by hand (docs/patient-rights.md)." },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

#define EMR_FIELD(f) offsetof(struct mg_emr_config, f), sizeof(((struct mg_emr_config *)0)->f)

/* The keys of an [emr.NAME] section; offsets into struct mg_emr_config. */
static const struct key emr_keys[] = {
	{ "emr.NAME", "enabled", KEY_BOOL, EMR_FIELD(enabled), "on", 0, 0, NULL,
	  "Forward to this destination; off keeps its queue without sending." },
	{ "emr.NAME", "protocol", KEY_STRING, EMR_FIELD(protocol), "hl7-mllp", 0, 0,
	  "hl7-mllp|fhir", "HL7 v2 (IHE PCD-01 ORU^R01) over MLLP, or FHIR R4 over HTTPS." },
	{ "emr.NAME", "address", KEY_STRING, EMR_FIELD(address), "", 0, 0, NULL,
	  "host:port of the MLLP receiver (protocol hl7-mllp)." },
	{ "emr.NAME", "url", KEY_STRING, EMR_FIELD(url), "", 0, 0, NULL,
	  "Base URL of the FHIR server, e.g. https://emr.example/fhir (protocol fhir)." },
	{ "emr.NAME", "tls", KEY_BOOL, EMR_FIELD(tls), "on", 0, 0, NULL,
	  "Use TLS and check the receiver's certificate (MLLP; FHIR URLs are https)." },
	{ "emr.NAME", "ca_cert", KEY_STRING, EMR_FIELD(ca_cert), "", 0, 0, NULL,
	  "CA certificate to check the receiver with; empty uses the system's." },
	{ "emr.NAME", "client_cert", KEY_STRING, EMR_FIELD(client_cert), "", 0, 0, NULL,
	  "Client certificate to present, if the receiver asks for one." },
	{ "emr.NAME", "client_key", KEY_STRING, EMR_FIELD(client_key), "", 0, 0, NULL,
	  "Private key of the client certificate (mode 0600)." },
	{ "emr.NAME", "bearer_token_file", KEY_STRING, EMR_FIELD(bearer_token_file), "", 0, 0,
	  NULL, "File (mode 0600) holding an OAuth bearer token for the FHIR server." },
	{ "emr.NAME", "tenants", KEY_STRING, EMR_FIELD(tenants), "", 0, 0, NULL,
	  "Tenants whose measurements go here, comma separated; empty means all." },
	{ "emr.NAME", "connections", KEY_UINT, EMR_FIELD(connections), "1", 1, 16, NULL,
	  "Parallel connections; one patient's messages always go in order on one." },
	{ "emr.NAME", "timeout", KEY_UINT, EMR_FIELD(timeout), "30", 1, 600, NULL,
	  "Seconds to wait for the receiver's answer before trying again." },
	{ "emr.NAME", "retry_max", KEY_UINT, EMR_FIELD(retry_max), "300", 1, 86400, NULL,
	  "Longest wait between tries while the receiver is down, in seconds." },
	{ "emr.NAME", "sending_facility", KEY_STRING, EMR_FIELD(sending_facility), "MEDGATE", 0,
	  0, NULL, "HL7 MSH-4, the sending facility." },
	{ "emr.NAME", "receiving_application", KEY_STRING, EMR_FIELD(receiving_application),
	  "EMR", 0, 0, NULL, "HL7 MSH-5, the receiving application." },
	{ "emr.NAME", "receiving_facility", KEY_STRING, EMR_FIELD(receiving_facility), "", 0, 0,
	  NULL, "HL7 MSH-6, the receiving facility." },
	{ "emr.NAME", "patient_id_authority", KEY_STRING, EMR_FIELD(patient_id_authority), "", 0,
	  0, NULL, "HL7 PID-3.4, the assigning authority of patient ids (the EMR's MRN "
	  "namespace, e.g. HOSP); empty sends none." },
	{ "emr.NAME", "patient_system", KEY_STRING, EMR_FIELD(patient_system),
	  "urn:medgate:patient-id", 0, 0, NULL,
	  "FHIR: the identifier system of patient ids (the EMR's MRN system URI)." },
	{ "emr.NAME", "identifier_system", KEY_STRING, EMR_FIELD(identifier_system),
	  "urn:medgate:message-id", 0, 0, NULL,
	  "FHIR: the identifier system of this gateway's message and observation ids." },
};

#define NEMR_KEYS (sizeof(emr_keys) / sizeof(emr_keys[0]))

struct parse_ctx {
	struct mg_config *cfg;
	char *err;
	size_t errlen;
};

static bool choice_ok(const char *choices, const char *value)
{
	size_t n = strlen(value);
	const char *p = choices;

	while (p != NULL && *p != '\0') {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, value, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

static int parse_uint(const char *value, unsigned long min, unsigned long max,
		      unsigned *out)
{
	char *end;
	unsigned long v;

	if (*value < '0' || *value > '9')
		return MG_ERR_INVALID;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return MG_ERR_INVALID;
	*out = (unsigned)v;
	return 0;
}

static int key_set(const struct key *k, void *base, const char *value, char *err,
		   size_t errlen)
{
	char *field = (char *)base + k->offset;

	switch (k->kind) {
	case KEY_BOOL:
		if (strcmp(value, "on") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "true") == 0)
			*(bool *)field = true;
		else if (strcmp(value, "off") == 0 || strcmp(value, "no") == 0 ||
			 strcmp(value, "false") == 0)
			*(bool *)field = false;
		else {
			snprintf(err, errlen, "[%s] %s: expected on or off", k->section, k->name);
			return MG_ERR_CONFIG;
		}
		return 0;
	case KEY_UINT:
		if (parse_uint(value, k->min, k->max, (unsigned *)field) != 0) {
			snprintf(err, errlen, "[%s] %s: expected a whole number from %lu to %lu",
				 k->section, k->name, k->min, k->max);
			return MG_ERR_CONFIG;
		}
		return 0;
	case KEY_LOG_LEVEL:
		if (mg_log_level_parse(value, (enum mg_log_level *)field) != 0) {
			snprintf(err, errlen, "[%s] %s: expected one of %s", k->section, k->name,
				 k->choices);
			return MG_ERR_CONFIG;
		}
		return 0;
	case KEY_STRING:
		if (strlen(value) >= k->size) {
			snprintf(err, errlen, "[%s] %s: longer than %zu bytes", k->section, k->name,
				 k->size - 1);
			return MG_ERR_CONFIG;
		}
		if (k->choices != NULL && !choice_ok(k->choices, value)) {
			snprintf(err, errlen, "[%s] %s: expected one of %s", k->section, k->name,
				 k->choices);
			return MG_ERR_CONFIG;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	}
	return MG_ERR_CONFIG;
}

/* The [emr.NAME] section's destination, made on first sight; NULL with a
 * reason in err for a bad name or too many destinations. */
static struct mg_emr_config *emr_section(struct parse_ctx *ctx, const char *name)
{
	struct mg_config *cfg = ctx->cfg;
	struct mg_emr_config *d;
	char err[128];
	size_t n = strlen(name);

	for (size_t i = 0; i < cfg->nemr; i++) {
		if (strcmp(cfg->emr[i].name, name) == 0)
			return &cfg->emr[i];
	}
	if (n == 0 || n > MG_EMR_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_") != n) {
		snprintf(ctx->err, ctx->errlen, "[emr.%s]: names are 1 to %d of a-z 0-9 - _", name,
			 MG_EMR_NAME_MAX);
		return NULL;
	}
	if (cfg->nemr == MG_EMR_MAX) {
		snprintf(ctx->err, ctx->errlen, "[emr.%s]: more than %d EMR destinations", name,
			 MG_EMR_MAX);
		return NULL;
	}
	d = &cfg->emr[cfg->nemr++];
	memset(d, 0, sizeof(*d));
	memcpy(d->name, name, n + 1);
	for (size_t i = 0; i < NEMR_KEYS; i++) {
		if (key_set(&emr_keys[i], d, emr_keys[i].value, err, sizeof(err)) != 0)
			abort();	/* the table itself is wrong */
	}
	return d;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;

	if (strncmp(section, "emr.", 4) == 0) {
		struct mg_emr_config *d = emr_section(ctx, section + 4);

		if (d == NULL)
			return 0;
		for (size_t i = 0; i < NEMR_KEYS; i++) {
			if (strcmp(emr_keys[i].name, name) == 0) {
				char reason[200];

				if (key_set(&emr_keys[i], d, value, reason, sizeof(reason)) == 0)
					return 1;
				/* "[emr.NAME] key: ..." with the real name. */
				snprintf(ctx->err, ctx->errlen, "[%s]%s", section,
					 strchr(reason, ']') ? strchr(reason, ']') + 1 : reason);
				return 0;
			}
		}
		snprintf(ctx->err, ctx->errlen, "unknown key [%s] %s", section, name);
		return 0;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return key_set(&keys[i], ctx->cfg, value, ctx->err, ctx->errlen) == 0;
	}
	snprintf(ctx->err, ctx->errlen, "unknown key [%s] %s", section, name);
	return 0;
}

void mg_config_defaults(struct mg_config *cfg)
{
	char err[256];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++) {
		if (key_set(&keys[i], cfg, keys[i].value, err, sizeof(err)) != 0)
			abort();	/* the table itself is wrong: a programming error */
	}
}

/* inih reads lines into a fixed buffer and would split longer ones into
 * two; refuse them (and NUL bytes) before it sees the text. */
static int check_lines(const char *text, size_t len, char *err, size_t errlen)
{
	size_t line = 1, col = 0;

	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\0') {
			snprintf(err, errlen, "line %zu: NUL byte", line);
			return MG_ERR_CONFIG;
		}
		if (text[i] == '\n') {
			line++;
			col = 0;
		} else if (++col > 198) {
			snprintf(err, errlen, "line %zu: longer than 198 bytes", line);
			return MG_ERR_CONFIG;
		}
	}
	return 0;
}

/* [disclosure]: each contact a mailto: or https: URI, an expiry in RFC
 * 3339 with a contact, a policy an https: URL; no line breaks (the values
 * become lines of security.txt). */
static int disclosure_check(const struct mg_config *cfg, char *err, size_t errlen)
{
	const char *p = cfg->disclosure_contact;
	int64_t ms;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		const char *c = p + strspn(p, " ");

		if (!(strncmp(c, "mailto:", 7) == 0 || strncmp(c, "https://", 8) == 0) ||
		    strcspn(c, " ,") < 9) {
			snprintf(err, errlen, "[disclosure] contact: each a mailto: or https: URI");
			return -1;
		}
		p += n + (p[n] == ',');
	}
	if (cfg->disclosure_contact[0] != '\0' &&
	    mg_time_parse(cfg->disclosure_expires, &ms) != 0) {
		snprintf(err, errlen, "[disclosure] expires: an RFC 3339 time is required with "
			 "contact (e.g. 2027-12-31T00:00:00Z)");
		return -1;
	}
	if (cfg->disclosure_policy[0] != '\0' &&
	    (strncmp(cfg->disclosure_policy, "https://", 8) != 0 ||
	     strpbrk(cfg->disclosure_policy, " \r\n") != NULL)) {
		snprintf(err, errlen, "[disclosure] policy: an https: URL");
		return -1;
	}
	return 0;
}

/* What one key cannot say alone: each destination names its receiver,
 * the syslog collector has a port, a client key goes with its certificate. */
int mg_config_schedule_parse(const char *text, unsigned *every_s, int *daily_minute)
{
	unsigned long n;
	char unit, extra;
	int hh, mm;

	*every_s = 0;
	*daily_minute = 0;
	if (text[0] == '\0')
		return 0;
	if (sscanf(text, "every %lu%c%c", &n, &unit, &extra) == 2 && (unit == 'm' || unit == 'h') &&
	    text[6] >= '0' && text[6] <= '9') {
		n *= unit == 'h' ? 3600 : 60;
		if (n < 300 || n > 7 * 86400)
			return MG_ERR_CONFIG;
		*every_s = (unsigned)n;
		return 0;
	}
	if (strlen(text) == 11 && sscanf(text, "daily %2d:%2d%c", &hh, &mm, &extra) == 2 &&
	    text[6] >= '0' && text[6] <= '9' && text[8] == ':' && hh >= 0 && hh < 24 && mm >= 0 &&
	    mm < 60) {
		*daily_minute = hh * 60 + mm;
		return 0;
	}
	return MG_ERR_CONFIG;
}

static int emr_check(const struct mg_config *cfg, char *err, size_t errlen)
{
	unsigned every;
	int daily;

	if (mg_config_schedule_parse(cfg->backup_schedule, &every, &daily) != 0) {
		snprintf(err, errlen, "[backup] schedule: expected \"every 6h\", \"every 30m\" (5 "
				      "minutes to 7 days) or \"daily HH:MM\"");
		return MG_ERR_CONFIG;
	}
	if (cfg->syslog_address[0] != '\0' && strrchr(cfg->syslog_address, ':') == NULL) {
		snprintf(err, errlen, "[syslog] address: host:port required");
		return MG_ERR_CONFIG;
	}
	if ((cfg->syslog_cert[0] == '\0') != (cfg->syslog_key[0] == '\0')) {
		snprintf(err, errlen, "[syslog] cert and key go together");
		return MG_ERR_CONFIG;
	}
	if (disclosure_check(cfg, err, errlen) != 0)
		return MG_ERR_CONFIG;
	for (size_t i = 0; i < cfg->nemr; i++) {
		const struct mg_emr_config *d = &cfg->emr[i];

		if (strcmp(d->protocol, "hl7-mllp") == 0 &&
		    (d->address[0] == '\0' || strrchr(d->address, ':') == NULL)) {
			snprintf(err, errlen, "[emr.%s] address: host:port required for hl7-mllp",
				 d->name);
			return MG_ERR_CONFIG;
		}
		if (strcmp(d->protocol, "fhir") == 0 && strncmp(d->url, "https://", 8) != 0 &&
		    !(strncmp(d->url, "http://", 7) == 0 && !d->tls)) {
			snprintf(err, errlen, "[emr.%s] url: an https:// URL required for fhir "
					      "(http:// only with tls = off)", d->name);
			return MG_ERR_CONFIG;
		}
	}
	return 0;
}

int mg_config_parse(const char *text, size_t len, struct mg_config *cfg, char *err,
		    size_t errlen)
{
	struct parse_ctx ctx = { cfg, err, errlen };
	char reason[256] = "";
	char *copy;
	int line, r;

	if (len > MG_CONFIG_FILE_MAX) {
		snprintf(err, errlen, "configuration larger than %d bytes", MG_CONFIG_FILE_MAX);
		return MG_ERR_CONFIG;
	}
	if ((r = check_lines(text, len, err, errlen)) != 0)
		return r;
	if ((copy = malloc(len + 1)) == NULL)
		return MG_ERR_NOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	ctx.err = reason;
	ctx.errlen = sizeof(reason);
	line = ini_parse_string(copy, on_key, &ctx);
	free(copy);
	if (line != 0) {
		snprintf(err, errlen, "line %d: %s", line,
			 reason[0] ? reason : "syntax error (expected [section] or key = value)");
		return MG_ERR_CONFIG;
	}
	return emr_check(cfg, err, errlen);
}

static int dir_of(const char *path, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return snprintf(out, outlen, ".") < (int)outlen ? 0 : MG_ERR_LIMIT;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= outlen)
		return MG_ERR_LIMIT;
	memcpy(out, path, n);
	out[n] = '\0';
	return 0;
}

int mg_config_load(const char *path, struct mg_config *cfg, char *err, size_t errlen)
{
	char *text = NULL, reason[300];
	size_t len;
	int r;

	mg_config_defaults(cfg);
	if (strlen(path) >= sizeof(cfg->path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return MG_ERR_LIMIT;
	}
	memcpy(cfg->path, path, strlen(path) + 1);
	if ((r = dir_of(path, cfg->dir, sizeof(cfg->dir))) != 0) {
		snprintf(err, errlen, "%s: path too long", path);
		return r;
	}
	if ((r = mg_file_read(path, MG_CONFIG_FILE_MAX, &text, &len)) != 0) {
		snprintf(err, errlen, "%s: %s", path,
			 r == MG_ERR_LIMIT ? "file too large" : strerror(errno));
		return r;
	}
	r = mg_config_parse(text, len, cfg, reason, sizeof(reason));
	{
		/* Which configuration this is: the handbook records it and
		 * says when it no longer matches (medgatectl handbook). */
		unsigned char digest[crypto_hash_sha256_BYTES];

		crypto_hash_sha256(digest, (const unsigned char *)text, len);
		mg_hex_encode(digest, sizeof(digest), MG_HEX_LOWER, cfg->sha256, sizeof(cfg->sha256));
	}
	free(text);
	if (r != 0)
		snprintf(err, errlen, "%s: %s", path, reason);
	return r;
}

int mg_config_path(const struct mg_config *cfg, const char *path, char *out, size_t outlen)
{
	int n;

	if (path[0] == '/' || cfg->dir[0] == '\0')
		n = snprintf(out, outlen, "%s", path);
	else
		n = snprintf(out, outlen, "%s/%s", cfg->dir, path);
	return n >= 0 && (size_t)n < outlen ? 0 : MG_ERR_LIMIT;
}

static void value_text(const struct key *k, const void *base, char *buf, size_t buflen)
{
	const char *field = (const char *)base + k->offset;
	static const char *const levels[] = { "error", "warning", "info", "debug" };

	switch (k->kind) {
	case KEY_BOOL:
		snprintf(buf, buflen, "%s", *(const bool *)field ? "on" : "off");
		break;
	case KEY_UINT:
		snprintf(buf, buflen, "%u", *(const unsigned *)field);
		break;
	case KEY_LOG_LEVEL:
		snprintf(buf, buflen, "%s", levels[*(const enum mg_log_level *)field]);
		break;
	case KEY_STRING:
		snprintf(buf, buflen, "%s", field);
		break;
	}
}

/* Write doc as '#' lines of at most about 76 columns, broken at spaces. */
static void comment_write(FILE *out, const char *doc)
{
	const size_t width = 74;

	while (*doc != '\0') {
		size_t n = strlen(doc), cut = n;

		if (n > width) {
			for (cut = width; cut > 0 && doc[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = width;
		}
		fprintf(out, "# %.*s\n", (int)cut, doc);
		doc += cut;
		while (*doc == ' ')
			doc++;
	}
}

int mg_config_write(const struct mg_config *cfg, FILE *out)
{
	const char *section = "";
	char value[MG_PATH_MAX];

	fprintf(out, "# medgate instance configuration. Every key is described in\n"
		     "# docs/configuration.md; relative paths start at this file's folder.\n");
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(section, keys[i].section) != 0) {
			section = keys[i].section;
			fprintf(out, "\n[%s]\n", section);
		}
		value_text(&keys[i], cfg, value, sizeof(value));
		comment_write(out, keys[i].doc);
		fprintf(out, "%s = %s\n", keys[i].name, value);
	}
	for (size_t d = 0; d < cfg->nemr; d++) {
		fprintf(out, "\n[emr.%s]\n", cfg->emr[d].name);
		for (size_t i = 0; i < NEMR_KEYS; i++) {
			value_text(&emr_keys[i], &cfg->emr[d], value, sizeof(value));
			comment_write(out, emr_keys[i].doc);
			fprintf(out, "%s = %s\n", emr_keys[i].name, value);
		}
	}
	if (cfg->nemr == 0)
		fprintf(out, "\n# EMR destinations: one [emr.NAME] section each; see "
			     "docs/configuration.md.\n");
	return fflush(out) == 0 && !ferror(out) ? 0 : MG_ERR_IO;
}

int mg_config_write_reference(FILE *out)
{
	const char *section = "";

	fprintf(out, "# Configuration reference\n\n"
		     "`medgate.conf` is an INI file. `medgatectl init` writes it with every key\n"
		     "and its comment. Unknown sections and keys are refused at start, naming\n"
		     "the line, so a typo never silently leaves a default in place. Relative\n"
		     "paths start at the folder of the configuration file. Lines are at most\n"
		     "198 bytes. This page is generated from the table in src/common/config.c\n"
		     "(`medgatectl config-reference`).\n");
	for (size_t i = 0; i < NKEYS + NEMR_KEYS; i++) {
		const struct key *k = i < NKEYS ? &keys[i] : &emr_keys[i - NKEYS];

		if (i == NKEYS)
			fprintf(out, "\nEMR destinations: one section per destination, named "
				     "`[emr.NAME]` (NAME: 1 to %d of a-z 0-9 - _), at most %d.\n",
				MG_EMR_NAME_MAX, MG_EMR_MAX);
		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(out, "\n## [%s]\n\n| key | default | allowed | meaning |\n"
				     "| --- | --- | --- | --- |\n", section);
		}
		if (k->value[0] != '\0')
			fprintf(out, "| `%s` | `%s` | ", k->name, k->value);
		else
			fprintf(out, "| `%s` | (empty) | ", k->name);
		switch (k->kind) {
		case KEY_BOOL: fprintf(out, "on, off"); break;
		case KEY_UINT: fprintf(out, "%lu to %lu", k->min, k->max); break;
		case KEY_LOG_LEVEL:
		case KEY_STRING:
			if (k->choices != NULL) {
				for (const char *p = k->choices; *p; p++) {
					if (*p == '|')
						fputs(", ", out);
					else
						fputc(*p, out);
				}
			} else {
				fprintf(out, "text, up to %zu bytes", k->size - 1);
			}
			break;
		}
		fprintf(out, " | %s |\n", k->doc);
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : MG_ERR_IO;
}
