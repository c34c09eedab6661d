/* Detection and alerts (docs/detection.md).
 *
 * Most rules read the audit trail: a detector thread follows it (one
 * gateway at a time, under the store lease "detect") and judges each new
 * record: failed logins per account and per address, an admin's sign-in
 * from a new address, admin activity outside the configured hours, refused
 * device certificates, blocked or revoked devices, configuration and role
 * changes. Measurements are judged on the way in (a device's rate, values
 * outside the physiological range) or just after they are stored (a
 * patient's weight jumping). Periodic scans look for a stale EMR queue,
 * silent devices and a broken audit chain.
 *
 * An alert has a kind, a severity and a subject (an account, an address,
 * a device: never a patient), is grouped with its open repeats, recorded
 * in the audit trail (so it reaches syslog with every record), and mailed
 * to [alerts] email when new and at 10, 100, 1000 repeats. */
#ifndef MG_DETECT_DETECT_H
#define MG_DETECT_DETECT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "model/audit_record.h"
#include "store/store.h"

struct mg_config;
struct mg_detector;
struct mg_keyring;
struct mg_mailer;

/* Start the detector's thread on store, with keys for the audit trail,
 * cfg's [detect] and [alerts] and mailer for the security contacts
 * (mailer may be NULL: no e-mail). All must outlive the detector.
 * Returns 0 or MG_ERR_CONFIG (with a reason in err: a bad
 * [detect] admin_hours or [alerts] email), MG_ERR_NOMEM. */
int mg_detector_start(const struct mg_config *cfg, struct mg_store *store,
		      struct mg_keyring *keys, struct mg_mailer *mailer, struct mg_detector **out,
		      char *err, size_t errlen);

/* Stop the thread and free (before the mailer it uses). NULL does nothing. */
void mg_detector_stop(struct mg_detector *d);

/* Raise an alert: group, record, notify. summary is printf-like and must
 * carry no patient data. Thread-safe. Returns 0 or the store's error
 * (which is also logged). d may be NULL (no detector: logged only). */
int mg_alert_raise(struct mg_detector *d, const char *kind, enum mg_alert_severity sev,
		   const char *subject, int64_t tenant_id, const char *summary, ...)
	__attribute__((format(printf, 6, 7)));

/* The same for an alert about an action of account caused_by, which that
 * account may then neither acknowledge nor close. */
int mg_alert_raise_by(struct mg_detector *d, int64_t caused_by, const char *kind,
		      enum mg_alert_severity sev, const char *subject, int64_t tenant_id,
		      const char *summary, ...) __attribute__((format(printf, 7, 8)));

/* The ingest path's hooks; cheap and non-blocking. A request from device
 * at now_ms (rate rule); a measurement refused for a value outside the
 * range of quantity; a measurement stored as id (jump rule, checked on
 * the detector's thread). */
void mg_detect_device_request(struct mg_detector *d, int64_t device_id, int64_t tenant_id,
			      int64_t now_ms);
void mg_detect_implausible(struct mg_detector *d, int64_t device_id, int64_t tenant_id,
			   const char *quantity);
void mg_detect_stored(struct mg_detector *d, int64_t measurement_id,
		      const struct mg_measurement *m);

/* "HH:MM-HH:MM" into minutes of the day; an empty text is "any time"
 * (*from = *to = 0). A range may wrap midnight (22:00-06:00). Returns 0
 * or MG_ERR_INVALID. */
int mg_detect_hours_parse(const char *text, unsigned *from, unsigned *to);

/* Whether minute (of the day) lies outside [from, to); never when from ==
 * to. */
bool mg_detect_outside_hours(unsigned minute, unsigned from, unsigned to);

#endif
