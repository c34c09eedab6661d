/* The store: one interface, chosen by name, with a back end per database
 * (SQLite and PostgreSQL) behind the front functions mg_store_*() below,
 * which check arguments once and call the back end's const ops table
 * (store/ops.h, inside the store only). Nothing outside src/store/
 * includes a database header. Every function is safe to call from any
 * thread and returns 0 or a negative MG_ERR_*. Patient identifiers reach
 * the store only sealed and as a blind index: the store never sees clear
 * text. How it works: docs/internals/store.md. */
#ifndef MG_STORE_STORE_H
#define MG_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/advisory.h"
#include "model/firmware_manifest.h"
#include "model/review.h"
#include "model/roles.h"
#include "model/audit_record.h"
#include "common/config.h"
#include "common/limits.h"
#include "crypto/keys.h"
#include "model/maintenance.h"
#include "model/measurement.h"
#include "model/patient.h"

struct mg_tenant {
	int64_t id;
	char name[MG_NAME_MAX + 1];
	unsigned char wrapped_key[MG_WRAPPED_KEY_BYTES];
	int64_t created_ms;
};

enum mg_device_status { MG_DEVICE_ACTIVE, MG_DEVICE_BLOCKED, MG_DEVICE_REVOKED };

struct mg_device {
	int64_t id;
	int64_t tenant_id;
	char name[MG_NAME_MAX + 1];
	char cert_fingerprint[65];
	char cert_serial[41];
	int64_t cert_not_after_ms;
	enum mg_device_status status;
	int64_t created_ms;
	int64_t last_seen_ms;	/* 0 if never */
	char firmware[MG_FIRMWARE_MAX + 1];	/* as the device last said; "" unknown */
	char model[MG_MODEL_MAX + 1];		/* named at enrolment; "" unknown */
	char reported_model[MG_MODEL_MAX + 1];	/* another model it reported later, or "" */
	/* In maintenance (its consent given to a grant) until then; its
	 * measurements wait. 0, or a time past, when in service. */
	int64_t maintenance_until_ms;
};

/* An unused, unexpired enrolment token. */
struct mg_enrol_token {
	int64_t id;
	int64_t tenant_id;
	char device_name[MG_NAME_MAX + 1];
	int64_t expires_ms;
};

#define MG_USER_TENANTS_MAX	64
#define MG_EMAIL_MAX		254
#define MG_PASSWORD_HASH_TEXT	128	/* Argon2id PHC string with NUL */
#define MG_TOTP_SEALED_MAX	128	/* sealed TOTP secret */
#define MG_RECOVERY_CODES	10
#define MG_CSRF_TEXT_LEN	43	/* 32 random bytes, base64url */
#define MG_ADDRESS_TEXT_MAX	46	/* INET6_ADDRSTRLEN */
#define MG_SETTING_VALUE_MAX	512

struct mg_user {
	int64_t id;
	char name[MG_NAME_MAX + 1];
	char display_name[MG_NAME_MAX + 1];
	char email[MG_EMAIL_MAX + 1];
	char password_hash[MG_PASSWORD_HASH_TEXT];
	bool must_change_password;
	bool disabled;
	unsigned roles;			/* enum mg_role bits */
	/* Tenant memberships: the active ones give patient access (with the
	 * clinician role); suspended ones wait for a tenant admin to confirm
	 * them again (after an admin reset the password or second factor).
	 * Together at most MG_USER_TENANTS_MAX. */
	size_t ntenants;
	int64_t tenants[MG_USER_TENANTS_MAX];	/* active, ascending */
	size_t nsuspended;
	int64_t suspended[MG_USER_TENANTS_MAX];	/* suspended, ascending */
	unsigned failed_logins;		/* since the last success */
	unsigned lockouts;		/* lockouts in a row: the next lasts longer */
	int64_t locked_until_ms;	/* 0 = not locked */
	unsigned char totp_sealed[MG_TOTP_SEALED_MAX];
	size_t totp_len;		/* 0 = no second factor */
	unsigned char totp_pending[MG_TOTP_SEALED_MAX];
	size_t totp_pending_len;	/* 0 = no enrolment in progress */
	int64_t totp_last_step;		/* last accepted TOTP time step */
	int64_t created_ms;
	int64_t password_changed_ms;
};

/* A new account. */
struct mg_user_new {
	const char *name;
	const char *display_name;	/* may be "" */
	const char *email;		/* may be "" */
	const char *password_hash;
	bool must_change_password;
	unsigned roles;
	const int64_t *tenants;
	size_t ntenants;
};

struct mg_session {
	int64_t user_id;
	char csrf[MG_CSRF_TEXT_LEN + 1];
	char address[MG_ADDRESS_TEXT_MAX + 1];
	int64_t created_ms, last_seen_ms, expires_ms;
};

/* What still refers to a tenant (deleting it is refused while any is > 0). */
struct mg_tenant_usage {
	int64_t devices, measurements, patients, members, tokens;
};



/* One measurement for measurement_put_batch: inputs, then results. */
struct mg_measurement_put {
	const struct mg_measurement *m;	/* device_id and tenant_id set */
	unsigned char blind_index[MG_BLIND_INDEX_BYTES];
	unsigned char sealed_patient[MG_PATIENT_ID_MAX + MG_SEAL_OVERHEAD];
	size_t sealed_len;
	/* The key sealed_patient is sealed under, wrapped by the tenant key
	 * (mg_patient_key_new), kept if the measurement makes the patient;
	 * length 0: sealed under the tenant key. */
	unsigned char patient_key[MG_WRAPPED_KEY_BYTES];
	size_t patient_key_len;
	int64_t received_ms;
	/* EMR destinations ([emr.NAME]) that get an outbox row with it. */
	const char *const *destinations;
	size_t ndestinations;
	/* Without patient (docs/ward.md): blind_index must be all zero and
	 * sealed_len 0; the device's open "measure now" order, if any, takes
	 * it (its patient, outbox rows for destinations); else it waits for a
	 * clinician under the tenant's placeholder, and no outbox row is made. */
	bool unassigned;
	/* The values as stored: sealed by the front (mg_store_set_keyring),
	 * never in clear. */
	unsigned char sealed_values[MG_VALUES_MAX][MG_VALUE_SEALED_BYTES];
	/* results */
	int result;		/* 0 or MG_ERR_* */
	int64_t id;		/* the gateway's measurement id */
	int64_t ordered_patient;	/* unassigned, taken by an order: its patient */
	bool duplicate;		/* stored earlier under the same device id */
};

/* A stored measurement as listed for operators: no patient data. */
struct mg_measurement_row {
	int64_t id;
	int64_t tenant_id;
	int64_t device_id;
	char device_name[MG_NAME_MAX + 1];
	char device_mid[MG_DEVICE_MID_MAX + 1];
	int64_t measured_ms;
	int64_t received_ms;
	size_t nvalues;
	struct {
		char quantity[MG_QUANTITY_NAME_MAX + 1];
		double value;		/* opened by the front from sealed */
		char unit[MG_UNIT_MAX + 1];
		int64_t position;
		unsigned char sealed[MG_VALUE_SEALED_BYTES];
		size_t sealed_len;	/* as the back end read it */
	} values[MG_VALUES_MAX];
};

/* A claimed outbox row with what it takes to send it. */
struct mg_outbox_item {
	int64_t id;
	int64_t attempts;		/* tries before this one */
	struct mg_measurement_row row;	/* the measurement, no patient id */
	unsigned char sealed_patient[MG_PATIENT_ID_MAX + MG_SEAL_OVERHEAD];
	size_t sealed_len;
	unsigned char patient_key[MG_WRAPPED_KEY_BYTES];	/* sealed_patient's; */
	size_t patient_key_len;				/* 0: the tenant key's */
	char device_fingerprint[65];
	char tenant_name[MG_NAME_MAX + 1];
	/* What the row sends: revision N of the measurement (0 the original)
	 * to the row's patient, or (is_void) the withdrawal of revision N. */
	bool is_void;
	int64_t revision;
	/* A sealed value did not open (changed in the database, or moved
	 * from another row): the values are not there; never send it. */
	bool tampered;
};

#define MG_OUTBOX_ERROR_MAX 256

struct mg_outbox_stats {
	int64_t pending, delivered, dead;
	int64_t oldest_pending_ms;	/* created_ms of the oldest pending, 0 if none */
	int64_t last_delivered_ms;	/* of the newest delivered row, 0 if none */
	/* The error of the newest row still pending or dead that has one
	 * (the EMR's answer or the connection's failure), "" if none. */
	char last_error[MG_OUTBOX_ERROR_MAX + 1];
};

/* Figures for /metrics and the health page (no patient data): devices by
 * enum mg_device_status, active devices whose certificate ends before a
 * given time, open alerts by enum mg_alert_severity, sessions not yet
 * expired, the audit trail's highest seq (0 if empty). */
struct mg_store_figures {
	int64_t devices[3];
	int64_t device_certs_expiring;
	int64_t alerts_open[4];
	int64_t sessions_active;
	int64_t audit_head_seq;
};

/* Alerts (src/detect/): raised by detection rules, grouped by kind and
 * subject, never carrying patient-identifying data. */
enum mg_alert_severity { MG_SEVERITY_LOW, MG_SEVERITY_MEDIUM, MG_SEVERITY_HIGH,
			 MG_SEVERITY_CRITICAL };
enum mg_alert_state { MG_ALERT_OPEN, MG_ALERT_ACKNOWLEDGED };

#define MG_ALERT_KIND_MAX	48	/* "login.failures.address" */
#define MG_ALERT_SUBJECT_MAX	96	/* "user:7", "address:127.0.0.2", "device:3" */
#define MG_ALERT_SUMMARY_MAX	256	/* for people; no patient data */

struct mg_alert {
	int64_t id;
	char kind[MG_ALERT_KIND_MAX + 1];
	enum mg_alert_severity severity;
	char subject[MG_ALERT_SUBJECT_MAX + 1];
	char summary[MG_ALERT_SUMMARY_MAX + 1];
	int64_t tenant_id;		/* 0 if none */
	int64_t first_ms, last_ms;	/* first and latest occurrence */
	int64_t count;			/* occurrences grouped into it */
	enum mg_alert_state state;
	int64_t acknowledged_by;	/* user id, 0 if open */
	int64_t acknowledged_ms;
	int64_t incident_id;		/* 0 if in none */
	int64_t caused_by;		/* user whose own action it is about; 0 none */
};

/* Which alerts alert_list walks (newest last_ms first). */
struct mg_alert_filter {
	int state;		/* -1 any, else enum mg_alert_state */
	int64_t since_ms;	/* last_ms >= since_ms */
	int64_t incident_id;	/* only those of this incident; 0 any */
	size_t limit;		/* 0: no limit */
};

enum mg_incident_status { MG_INCIDENT_OPEN, MG_INCIDENT_RESPONDING, MG_INCIDENT_RECOVERING,
			  MG_INCIDENT_CLOSED };

#define MG_INCIDENT_TITLE_MAX	160
#define MG_INCIDENT_TEXT_MAX	1024
#define MG_INCIDENT_KIND_MAX	16	/* "opened", "note", "status", "action", "alert" */

struct mg_incident {
	int64_t id;
	char title[MG_INCIDENT_TITLE_MAX + 1];
	enum mg_alert_severity severity;
	enum mg_incident_status status;
	int64_t opened_by;		/* user id */
	int64_t opened_ms, updated_ms;
	int64_t closed_ms;		/* 0 while not closed */
};

/* One step in an incident's timeline. */
struct mg_incident_entry {
	int64_t id;
	int64_t incident_id;
	int64_t time_ms;
	int64_t user_id;		/* 0 for the system */
	char kind[MG_INCIDENT_KIND_MAX + 1];
	char text[MG_INCIDENT_TEXT_MAX + 1];
};

typedef int (*mg_alert_cb)(const struct mg_alert *a, void *arg);
typedef int (*mg_incident_cb)(const struct mg_incident *inc, void *arg);
typedef int (*mg_incident_entry_cb)(const struct mg_incident_entry *e, void *arg);

typedef int (*mg_device_cb)(const struct mg_device *d, void *arg);
typedef void (*mg_session_expired_cb)(int64_t user_id, const char *address, bool idle,
				      void *arg);

/* A session session_sweep removed; at most MG_SESSION_SWEEP_MAX a call. */
#define MG_SESSION_SWEEP_MAX 256
struct mg_session_expired {
	int64_t user_id;
	char address[MG_ADDRESS_TEXT_MAX + 1];
	bool idle;
};
typedef int (*mg_user_cb)(const struct mg_user *u, void *arg);
typedef int (*mg_tenant_cb)(const struct mg_tenant *t, void *arg);
typedef int (*mg_measurement_cb)(const struct mg_measurement_row *row, void *arg);

/* A store (opaque): one back end behind the front functions below. */
struct mg_store;

/* The front: every caller goes through these. Each checks its arguments
 * once, the same way for both back ends, then calls the back end.
 *
 * Errors, the one convention of the whole interface:
 *   MG_ERR_INVALID  an argument that no size would make right: NULL where
 *                   one is required, an empty name, kind or title, an enum
 *                   out of range, unknown role bits, a negative window or
 *                   time to live, a count > 0 with a NULL array, a text not
 *                   ended within its array;
 *   MG_ERR_LIMIT    right in kind but too big: a text longer than its
 *                   MG_*_MAX, a count above its maximum, an output buffer
 *                   too small for the value;
 *   MG_ERR_NOT_FOUND also for a look-up by a key longer than such keys can
 *                   be (nothing that long was ever stored).
 * MG_ERR_INVALID is checked before MG_ERR_LIMIT, both before
 * MG_ERR_CONFLICT (roles: mg_roles_conflict). A refused call changes
 * nothing and leaves its outputs cleared, as every call does on entry.
 * Beyond these: MG_ERR_NOT_FOUND (no such row), MG_ERR_EXISTS (a unique
 * name or key taken), MG_ERR_BUSY (in use, or a lock held elsewhere),
 * MG_ERR_CONFLICT (against a rule: roles one account may not hold
 * together, mg_roles_conflict), MG_ERR_STORE (the database failed). */

/* "sqlite" or "postgresql". */
const char *mg_store_name(const struct mg_store *s);

/* Bring the schema to the newest version; *version_out gets it. */
int mg_store_migrate(struct mg_store *s, int *version_out);

/* Tenants. name: 1 to MG_NAME_MAX bytes; a taken one is MG_ERR_EXISTS.
 * wrapped_key: MG_WRAPPED_KEY_BYTES. tenant_list walks them in id order;
 * a callback returning non-zero stops it and is returned (so for every
 * walk below). tenant_usage counts what still refers to the tenant;
 * tenant_delete is MG_ERR_BUSY while anything does. */
int mg_store_tenant_create(struct mg_store *s, const char *name,
			   const unsigned char *wrapped_key, int64_t *id_out);
int mg_store_tenant_by_name(struct mg_store *s, const char *name, struct mg_tenant *out);
int mg_store_tenant_by_id(struct mg_store *s, int64_t id, struct mg_tenant *out);
int mg_store_tenant_list(struct mg_store *s, mg_tenant_cb cb, void *arg);
int mg_store_tenant_rename(struct mg_store *s, int64_t id, const char *name);
int mg_store_tenant_usage(struct mg_store *s, int64_t id, struct mg_tenant_usage *out);
int mg_store_tenant_delete(struct mg_store *s, int64_t id);

/* Master key rotation (medgatectl key rotate): every tenant's wrapped key
 * replaced in one transaction. Each change names the tenant, the wrapped
 * key it has now and the one it gets. MG_ERR_CONFLICT, and nothing
 * changes, if a tenant's key is not the one named (it changed meanwhile)
 * or the changes do not cover every tenant (one was made meanwhile).
 * At most MG_TENANT_KEYS_MAX changes. */
#define MG_TENANT_KEYS_MAX 10000
struct mg_tenant_key_change {
	int64_t tenant_id;
	unsigned char from[MG_WRAPPED_KEY_BYTES];
	unsigned char to[MG_WRAPPED_KEY_BYTES];
};
int mg_store_tenant_keys_replace(struct mg_store *s, const struct mg_tenant_key_change *c,
				 size_t n);

/* Accounts. A taken name is MG_ERR_EXISTS; tenant ids that do not exist
 * are MG_ERR_NOT_FOUND (and nothing changes). Names up to MG_NAME_MAX,
 * display names MG_NAME_MAX, e-mail MG_EMAIL_MAX (NULL in user_create
 * means ""; user_update_profile takes "" to clear, there is no
 * "unchanged"), password hashes MG_PASSWORD_HASH_TEXT - 1 and not empty;
 * roles are enum mg_role bits that mg_roles_conflict allows (else
 * MG_ERR_CONFLICT), at most MG_USER_TENANTS_MAX tenants (user_create
 * makes them active memberships). user_by_id, user_by_name and user_list
 * fill both the active (tenants) and the suspended memberships.
 * user_set_access (the host's break-glass path) replaces roles and
 * memberships in one transaction: the tenants listed become active
 * memberships, all others are removed. user_set_roles replaces only the
 * roles (MG_ERR_NOT_FOUND for no such user); memberships stay as they
 * are. user_set_password clears failures and the lock.
 * user_login_failed counts a failed login atomically (*failures_out gets
 * the new count); user_set_lock locks until locked_until_ms (0 unlocks)
 * with lockouts in a row; user_login_succeeded sets failures and
 * lockouts back to 0. */
int mg_store_user_create(struct mg_store *s, const struct mg_user_new *u, int64_t *id_out);
int mg_store_user_by_name(struct mg_store *s, const char *name, struct mg_user *out);
int mg_store_user_by_id(struct mg_store *s, int64_t id, struct mg_user *out);
int mg_store_user_list(struct mg_store *s, mg_user_cb cb, void *arg);
int mg_store_user_update_profile(struct mg_store *s, int64_t id, const char *display_name,
				 const char *email, bool disabled);
int mg_store_user_set_access(struct mg_store *s, int64_t id, unsigned roles,
			     const int64_t *tenants, size_t ntenants);
int mg_store_user_set_roles(struct mg_store *s, int64_t id, unsigned roles);
int mg_store_user_set_password(struct mg_store *s, int64_t id, const char *hash,
			       bool must_change, int64_t now_ms);
int mg_store_user_delete(struct mg_store *s, int64_t id);
int mg_store_user_login_failed(struct mg_store *s, int64_t id, unsigned *failures_out);
int mg_store_user_set_lock(struct mg_store *s, int64_t id, int64_t locked_until_ms,
			   unsigned lockouts);
int mg_store_user_login_succeeded(struct mg_store *s, int64_t id);

/* Tenant memberships, one at a time (a tenant admin's work), each in
 * one transaction.
 * membership_add makes user_id an active member of tenant_id:
 * MG_ERR_EXISTS if it is a member already (active or suspended),
 * MG_ERR_NOT_FOUND for an unknown user or tenant, MG_ERR_LIMIT if it
 * holds MG_USER_TENANTS_MAX memberships already.
 * membership_remove ends one (active or suspended): MG_ERR_NOT_FOUND if
 * not a member.
 * membership_suspend_all suspends every active membership of user_id (an
 * admin reset its password or second factor); *count_out gets how many
 * were active before (0 for an unknown user too).
 * membership_confirm makes a suspended membership active again:
 * MG_ERR_NOT_FOUND if not a member, 0 without change if active already.
 * membership_confirm_all makes all of user_id's suspended memberships
 * active (the account completed a reset through its e-mailed link, which
 * no admin sees); 0 also when there were none. */
int mg_store_membership_add(struct mg_store *s, int64_t user_id, int64_t tenant_id);
int mg_store_membership_remove(struct mg_store *s, int64_t user_id, int64_t tenant_id);
int mg_store_membership_suspend_all(struct mg_store *s, int64_t user_id, size_t *count_out);
int mg_store_membership_confirm(struct mg_store *s, int64_t user_id, int64_t tenant_id);
int mg_store_membership_confirm_all(struct mg_store *s, int64_t user_id);

/* Second factor. totp_set_pending stores a sealed secret (1 to
 * MG_TOTP_SEALED_MAX bytes) awaiting its first code; totp_activate moves
 * it to active with that code's step; totp_clear removes both and the
 * recovery codes. totp_use_step accepts step only if it is later than the
 * last accepted one (MG_ERR_DENIED otherwise), atomically, so a code works
 * once. recovery_codes_set replaces the account's recovery codes by n
 * (at most MG_RECOVERY_CODES) keyed hashes; recovery_code_use uses one:
 * 0, or MG_ERR_NOT_FOUND if unknown or used before. */
int mg_store_totp_set_pending(struct mg_store *s, int64_t id, const unsigned char *sealed,
			      size_t len);
int mg_store_totp_activate(struct mg_store *s, int64_t id, int64_t step);
int mg_store_totp_clear(struct mg_store *s, int64_t id);
int mg_store_totp_use_step(struct mg_store *s, int64_t id, int64_t step);
int mg_store_recovery_codes_set(struct mg_store *s, int64_t id,
				const unsigned char (*hashes)[MG_TOKEN_HASH_BYTES], size_t n);
int mg_store_recovery_code_use(struct mg_store *s, int64_t id,
			       const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms);
int mg_store_recovery_codes_left(struct mg_store *s, int64_t id, unsigned *left_out);

/* Sessions, known by a keyed hash of the cookie value. session_create
 * needs csrf and address ended within their arrays; in the same
 * transaction it drops the account's expired sessions and, if
 * max_per_user is not 0, its oldest ones (by created_ms, then hash) so
 * that at most max_per_user remain, the new one always among them.
 * session_get fills
 * out and sets its last_seen to now_ms; for a session past expires_ms or
 * idle since before now_ms - idle_ms it deletes it and answers
 * MG_ERR_EXPIRED with only out->user_id and out->address set (so the
 * timeout can be audited); MG_ERR_NOT_FOUND for an unknown one.
 * session_sweep deletes up to MG_SESSION_SWEEP_MAX expired sessions and
 * then calls cb for each (idle: it timed out for inactivity, else its
 * lifetime ended); cb may use the store. idle_ms must not be negative. */
int mg_store_session_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			    const struct mg_session *session, unsigned max_per_user);
int mg_store_session_get(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			 int64_t now_ms, int64_t idle_ms, struct mg_session *out);
int mg_store_session_sweep(struct mg_store *s, int64_t now_ms, int64_t idle_ms,
			   mg_session_expired_cb cb, void *arg);
int mg_store_session_delete(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES]);
int mg_store_session_delete_user(struct mg_store *s, int64_t user_id);

/* Failed logins from one address (MG_ADDRESS_TEXT_MAX) within a window:
 * count one more (a window older than window_ms starts again) and return
 * the count; or just read it (0 for an address without failures). */
int mg_store_address_failed(struct mg_store *s, const char *address, int64_t now_ms,
			    int64_t window_ms, unsigned *count_out);
int mg_store_address_failures(struct mg_store *s, const char *address, int64_t now_ms,
			      int64_t window_ms, unsigned *count_out);

/* Password reset tokens: single use, MG_ERR_NOT_FOUND when unknown, used
 * or expired; reset_consume marks it used and gives the user. */
int mg_store_reset_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			  int64_t user_id, int64_t now_ms, int64_t expires_ms);
int mg_store_reset_consume(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			   int64_t now_ms, int64_t *user_id_out);

/* Run-time settings: names up to MG_NAME_MAX, values up to
 * MG_SETTING_VALUE_MAX. setting_get is MG_ERR_NOT_FOUND if never set and
 * MG_ERR_LIMIT if the value does not fit valuelen (value is then ""). */
int mg_store_setting_get(struct mg_store *s, const char *name, char *value, size_t valuelen);
int mg_store_setting_set(struct mg_store *s, const char *name, const char *value);

/* Advisories: the affected components the last advisory import found
 * (medgatectl advisories import). advisory_replace swaps the whole list
 * for rows[0..n) (n up to MG_ADVISORY_FINDINGS_MAX; each text ends inside
 * its field, id, package and installed non-empty) in one transaction.
 * advisory_list walks them by package, then id; a non-zero answer from
 * cb stops it and is returned. */
typedef int (*mg_advisory_cb)(const struct mg_advisory_finding *a, void *arg);
int mg_store_advisory_replace(struct mg_store *s, const struct mg_advisory_finding *rows,
			      size_t n);
int mg_store_advisory_list(struct mg_store *s, mg_advisory_cb cb, void *arg);

/* Firmware releases (medgatectl firmware import, docs/device-api.md): a
 * maker-signed manifest (model/firmware_manifest.h) and its image, checked
 * by the caller. firmware_put stores rel and the image (rel->size bytes)
 * if rel->sequence is higher than every sequence stored for its model,
 * checked in the same transaction: else MG_ERR_CONFLICT (a rollback) with
 * *highest_out the highest one (0 for none). firmware_latest gives the
 * release with the highest sequence of model (MG_ERR_NOT_FOUND if none);
 * firmware_image copies the image of model's release with this SHA-256
 * into image of imagelen bytes (MG_ERR_NOT_FOUND; MG_ERR_LIMIT if it
 * does not fit, *len_out then its size: ask with imagelen 0 first to
 * learn it). */
struct mg_firmware_release {
	char model[MG_MODEL_MAX + 1];
	char version[MG_FIRMWARE_MAX + 1];
	int64_t sequence, size, expires_ms, imported_ms;
	char sha256[MG_FIRMWARE_SHA256_LEN + 1];
	char manifest[MG_FIRMWARE_MANIFEST_MAX + 1];	/* the signed text */
};
int mg_store_firmware_put(struct mg_store *s, const struct mg_firmware_release *rel,
			  const void *image, int64_t *highest_out);
int mg_store_firmware_latest(struct mg_store *s, const char *model,
			     struct mg_firmware_release *out);
int mg_store_firmware_image(struct mg_store *s, const char *model, const char *sha256,
			    void *image, size_t imagelen, size_t *len_out);
/* firmware_list walks the releases without their images (manifest ""),
 * by model, newest sequence first, at most limit (1 to
 * MG_FIRMWARE_LIST_MAX); a non-zero answer from cb stops it. */
#define MG_FIRMWARE_LIST_MAX 1000
typedef int (*mg_firmware_cb)(const struct mg_firmware_release *rel, void *arg);
int mg_store_firmware_list(struct mg_store *s, size_t limit, mg_firmware_cb cb, void *arg);
/* Changes to review (model/review.h, docs/changes.md): audit records of
 * the actions MG_CHANGE_ACTIONS_SQL names, with outcome success, and the
 * review of each. change_list walks one page (f: state, before_seq >= 0,
 * limit 1 .. MG_CHANGE_PAGE_MAX) newest first; a non-zero answer from cb
 * stops it and is returned. change_count gives the unreviewed ones.
 * change_review marks change seq reviewed by reviewer (1 to
 * MG_AUDIT_ACTOR_MAX bytes) with note (up to MG_CHANGE_NOTE_MAX bytes,
 * may be empty) at now_ms, once: MG_ERR_EXISTS if it is reviewed already,
 * MG_ERR_NOT_FOUND if seq is no change. */
int mg_store_change_list(struct mg_store *s, const struct mg_change_filter *f, mg_change_cb cb,
			 void *arg);
int mg_store_change_count(struct mg_store *s, int64_t *unreviewed_out);
int mg_store_change_review(struct mg_store *s, int64_t seq, const char *reviewer,
			   int64_t now_ms, const char *note);

/* Enrolment tokens. token_create: device_name 1 to MG_NAME_MAX bytes.
 * token_find gives the token with this hash if unused and unexpired at
 * now_ms, else MG_ERR_NOT_FOUND (also for used and expired ones: callers
 * say the same to the client in every case). */
int mg_store_token_create(struct mg_store *s, int64_t tenant_id, const char *device_name,
			  const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t expires_ms,
			  int64_t *id_out);
int mg_store_token_find(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			int64_t now_ms, struct mg_enrol_token *out);

/* Devices. device_enrol, in one transaction, marks the token used (it
 * must still be unused and unexpired, else MG_ERR_NOT_FOUND) and creates
 * device d (its texts ended within their arrays, name and fingerprint not
 * empty; id, status and created_ms are set here). device_set_status
 * leaves a revoked device revoked (MG_ERR_NOT_FOUND). device_set_firmware
 * records the version the device reports (MG_FIRMWARE_MAX).
 * device_set_tenant moves a device to another tenant (its future
 * measurements go there). device_list walks every device of tenant_id
 * (0 = all) in id order. */
int mg_store_device_enrol(struct mg_store *s, int64_t token_id, int64_t now_ms,
			  struct mg_device *d);
int mg_store_device_by_fingerprint(struct mg_store *s, const char *fingerprint,
				   struct mg_device *out);
int mg_store_device_by_id(struct mg_store *s, int64_t id, struct mg_device *out);
int mg_store_device_set_status(struct mg_store *s, int64_t id, enum mg_device_status st);
int mg_store_device_set_firmware(struct mg_store *s, int64_t id, const char *firmware);
/* The model a device reports when it is not the one it enrolled with
 * (MG_MODEL_MAX; "" clears the flag). */
int mg_store_device_set_reported_model(struct mg_store *s, int64_t id, const char *model);
/* Renewal (EST simplereenroll): device id gets the new certificate
 * (fingerprint, serial, expiry) in place of old_fingerprint, keeping its id
 * and history; from this moment the old certificate names no device.
 * MG_ERR_NOT_FOUND unless the device is active and holds old_fingerprint. */
int mg_store_device_renew(struct mg_store *s, int64_t id, const char *old_fingerprint,
			  const char *fingerprint, const char *serial, int64_t not_after_ms);
int mg_store_device_set_tenant(struct mg_store *s, int64_t id, int64_t tenant_id);
int mg_store_device_list(struct mg_store *s, int64_t tenant_id, mg_device_cb cb, void *arg);

/* Measurements. put_batch stores n measurements in one durable
 * transaction (group commit). Each item gets its own result; a
 * measurement whose (device, device_mid) exists is not stored again: its
 * earlier id comes back with duplicate set. Returns 0 if the transaction
 * committed (then every item with result 0 is durable), < 0 if it did not
 * (then no item is stored). measurement_list walks the measurements of
 * tenant_id (0 = all) with id > after_id, oldest first, at most limit. */
int mg_store_measurement_put_batch(struct mg_store *s, struct mg_measurement_put *const *items,
				   size_t n);
int mg_store_measurement_list(struct mg_store *s, int64_t tenant_id, int64_t after_id,
			      size_t limit, mg_measurement_cb cb, void *arg);
int mg_store_measurement_count(struct mg_store *s, int64_t tenant_id, int64_t *count_out);

/* The outbox. outbox_claim leases up to max claimable rows of
 * destination (pending, due at now_ms, not leased, and the oldest pending
 * row of their patient) until now_ms + lease_ms; *n gets the count. The
 * others settle a claimed row: delivered; retry at next_ms with the error;
 * dead (rejected for good); error texts are kept to MG_OUTBOX_ERROR_MAX.
 * outbox_resend makes dead rows (id 0: all of destination) pending
 * again. */
int mg_store_outbox_claim(struct mg_store *s, const char *destination, int64_t now_ms,
			  int64_t lease_ms, struct mg_outbox_item *items, size_t max,
			  size_t *n);
int mg_store_outbox_delivered(struct mg_store *s, int64_t id, int64_t now_ms);
int mg_store_outbox_retry(struct mg_store *s, int64_t id, int64_t next_ms, const char *error);
int mg_store_outbox_dead(struct mg_store *s, int64_t id, int64_t now_ms, const char *error);
int mg_store_outbox_resend(struct mg_store *s, const char *destination, int64_t id,
			   int64_t now_ms, int64_t *count_out);
int mg_store_outbox_stats(struct mg_store *s, const char *destination,
			  struct mg_outbox_stats *out);

/* Figures counted at now_ms; certs_before_ms bounds the certificates
 * counted as expiring. now_ms and certs_before_ms must not be negative. */
int mg_store_figures(struct mg_store *s, int64_t now_ms, int64_t certs_before_ms,
		     struct mg_store_figures *out);

/* Patients. patient_find gives the row id of the patient of tenant_id
 * with this blind index, or MG_ERR_NOT_FOUND. patient_measurements walks
 * a patient's measurements, oldest measured first, at most limit. */
int mg_store_patient_find(struct mg_store *s, int64_t tenant_id,
			  const unsigned char blind_index[MG_BLIND_INDEX_BYTES],
			  int64_t *id_out);
int mg_store_patient_measurements(struct mg_store *s, int64_t patient_id, size_t limit,
				  mg_measurement_cb cb, void *arg);

/* Patient identity (model/patient.h), sealed by the caller: the store
 * holds one sealed record per patient and the keyed hashes of its search
 * tokens, never a name in clear. */
#define MG_PATIENT_RECORD_SEALED_MAX	(MG_PATIENT_RECORD_MAX + MG_SEAL_OVERHEAD)
#define MG_PATIENT_SEALED_ID_MAX	(MG_PATIENT_ID_MAX + MG_SEAL_OVERHEAD)
#define MG_PATIENT_PUT_TOKENS_MAX	(MG_PATIENT_TOKENS_MAX + 1)	/* names + birth date */
#define MG_PATIENT_QUERY_TOKENS_MAX	4	/* hashes one search must all match */
#define MG_PATIENT_SEARCH_MAX		200	/* rows one search gives at most */

struct mg_patient_put {
	int64_t tenant_id;
	unsigned char blind_index[MG_BLIND_INDEX_BYTES];	/* of the identifier */
	unsigned char sealed_id[MG_PATIENT_SEALED_ID_MAX];
	size_t sealed_id_len;
	unsigned char record[MG_PATIENT_RECORD_SEALED_MAX];	/* sealed identity */
	size_t record_len;
	/* The patient key both are sealed under (mg_patient_key_new): kept
	 * with the identifier if this makes the patient, and with the
	 * identity record (which an HL7 merge may move to another patient);
	 * length 0: the tenant key. */
	unsigned char key[MG_WRAPPED_KEY_BYTES];
	size_t key_len;
	unsigned char tokens[MG_PATIENT_PUT_TOKENS_MAX][MG_BLIND_INDEX_BYTES];
	size_t ntokens;
	int64_t now_ms;
	bool must_be_new;	/* MG_ERR_EXISTS if the patient has an identity */
};

struct mg_patient_row {
	int64_t id;
	int64_t tenant_id;
	unsigned char sealed_id[MG_PATIENT_SEALED_ID_MAX];
	size_t sealed_id_len;
	unsigned char record[MG_PATIENT_RECORD_SEALED_MAX];
	size_t record_len;		/* 0: no identity known yet */
	/* The wrapped patient keys the identifier and the record are sealed
	 * under; length 0: the tenant key (rows from before migration 0014). */
	unsigned char id_key[MG_WRAPPED_KEY_BYTES];
	size_t id_key_len;
	unsigned char record_key[MG_WRAPPED_KEY_BYTES];
	size_t record_key_len;
	int64_t created_ms;
	int64_t updated_ms;		/* of the identity; 0 none */
	int64_t discharged_ms;		/* 0: not discharged */
};

typedef int (*mg_patient_cb)(const struct mg_patient_row *row, void *arg);

/* patient_put makes the patient of p->blind_index in p->tenant_id if it
 * does not exist (measurements may have made it first) and replaces its
 * identity record and search tokens, in one transaction. *id_out gets the
 * patient's row id (an id merged into another gives the survivor's),
 * *created_out whether the identity is new. MG_ERR_EXISTS with
 * p->must_be_new and an identity there; MG_ERR_NOT_FOUND for an unknown
 * tenant. The record must not be empty (MG_ERR_INVALID), at most
 * MG_PATIENT_PUT_TOKENS_MAX tokens (MG_ERR_LIMIT).
 * patient_get reads one patient by row id (MG_ERR_NOT_FOUND).
 * patient_search walks the patients of tenant_id whose search tokens
 * include all of tokens (1..MG_PATIENT_QUERY_TOKENS_MAX, distinct), by
 * row id, at most limit (1..MG_PATIENT_SEARCH_MAX).
 * patient_discharge sets (or with 0 clears) the discharge time of a
 * patient with an identity (MG_ERR_NOT_FOUND otherwise).
 * patient_merge (HL7 A40) moves every measurement of the patient of
 * from_index in tenant_id to patient into_id of the same tenant and makes
 * look-ups of the prior id find into_id; the prior identity goes (kept
 * for into_id if it has none). *from_id_out gets the prior row id,
 * *moved_out the measurements moved. MG_ERR_NOT_FOUND if no such prior
 * patient (nothing changes), MG_ERR_INVALID if into_id is not of
 * tenant_id; merging a patient into itself changes nothing. */
int mg_store_patient_put(struct mg_store *s, const struct mg_patient_put *p, int64_t *id_out,
			 bool *created_out);
int mg_store_patient_get(struct mg_store *s, int64_t id, struct mg_patient_row *out);
int mg_store_patient_search(struct mg_store *s, int64_t tenant_id,
			    const unsigned char (*tokens)[MG_BLIND_INDEX_BYTES], size_t ntokens,
			    size_t limit, mg_patient_cb cb, void *arg);
int mg_store_patient_discharge(struct mg_store *s, int64_t id, int64_t discharged_ms);
int mg_store_patient_merge(struct mg_store *s, int64_t tenant_id,
			   const unsigned char from_index[MG_BLIND_INDEX_BYTES], int64_t into_id,
			   int64_t now_ms, int64_t *from_id_out, int64_t *moved_out);

/* A clinician's correction of a measurement taken for the wrong patient
 * (docs/ward.md). to_patient_id 0 marks it entered in error; another
 * patient of the same tenant moves it there. */
#define MG_CORRECTION_REASON_MAX 500
struct mg_correction {
	int64_t measurement_id;
	int64_t tenant_id;		/* the measurement's, checked */
	int64_t from_patient_id;	/* the patient it is with now, checked */
	int64_t to_patient_id;		/* 0: entered in error */
	int64_t user_id;		/* who corrects (0: none known) */
	const char *reason;		/* 1..MG_CORRECTION_REASON_MAX bytes */
	int64_t now_ms;
	/* For a move: the EMR destinations the measurement of the new patient
	 * goes to (as on ingest). */
	const char *const *destinations;
	size_t ndestinations;
};

/* measurement_correct, in one transaction: a 'void' outbox row of the
 * current revision for every destination that has (or will have) its
 * posting (not for dead letters), queued behind it for the same patient;
 * the measurement's revision goes up by one, and it is entered in error
 * or moved, with a 'post' row of the new revision for the new patient per
 * destination; the correction is kept with its reason. *revision_out
 * gets the new revision. MG_ERR_NOT_FOUND if the measurement is not of
 * tenant_id and from_patient_id, MG_ERR_CONFLICT if it is entered in error
 * already, MG_ERR_INVALID if to_patient_id is not of the tenant or is the
 * patient it is with. */
int mg_store_measurement_correct(struct mg_store *s, const struct mg_correction *c,
				 int64_t *revision_out);

/* A measurement that came without patient, assigned by a clinician: the
 * patient of blind_index in tenant_id (made, with sealed id, if it does
 * not exist yet, as a measurement would), and the outbox rows of the
 * original posting for destinations. */
struct mg_assignment {
	int64_t measurement_id;
	int64_t tenant_id;
	unsigned char blind_index[MG_BLIND_INDEX_BYTES];
	unsigned char sealed_patient[MG_PATIENT_ID_MAX + MG_SEAL_OVERHEAD];
	size_t sealed_len;		/* 1.. */
	int64_t user_id;
	int64_t now_ms;
	const char *const *destinations;
	size_t ndestinations;
};

/* measurement_assign, in one transaction: the measurement of tenant_id
 * waiting for a patient (MG_ERR_NOT_FOUND otherwise: unknown, another
 * tenant's, or assigned already) goes to the patient, becomes final and
 * is queued for each destination; kept as a correction 'assign' (reason
 * "assigned"). *patient_out gets the patient's row id.
 * unassigned_measurements walks the tenant's waiting measurements, oldest
 * first, at most limit. */
int mg_store_measurement_assign(struct mg_store *s, const struct mg_assignment *a,
				int64_t *patient_out);
int mg_store_unassigned_measurements(struct mg_store *s, int64_t tenant_id, size_t limit,
				     mg_measurement_cb cb, void *arg);

/* "Measure now" orders (docs/ward.md): the next measurement without
 * patient that device_id sends before expires_ms goes to patient_id
 * (measurement_put_batch does it, in the measurement's transaction, and
 * queues it for the put's destinations). */
struct mg_order {
	int64_t id;
	int64_t tenant_id;
	int64_t device_id;
	int64_t patient_id;
	int64_t created_by;		/* account, 0 none */
	int64_t created_ms;
	int64_t expires_ms;
};
typedef int (*mg_order_cb)(const struct mg_order *o, void *arg);

/* order_create: device and patient must be of tenant_id (MG_ERR_INVALID
 * otherwise, also for a merged patient or expires_ms <= created_ms);
 * MG_ERR_EXISTS while the device has an open order. order_cancel ends
 * the open order id of tenant_id (MG_ERR_NOT_FOUND if none, expired or
 * used). order_list walks the open orders of tenant_id at now_ms, newest
 * first; order_pending gives the device's open order (MG_ERR_NOT_FOUND). */
int mg_store_order_create(struct mg_store *s, const struct mg_order *o, int64_t *id_out);
int mg_store_order_cancel(struct mg_store *s, int64_t id, int64_t tenant_id, int64_t now_ms);
int mg_store_order_list(struct mg_store *s, int64_t tenant_id, int64_t now_ms, mg_order_cb cb,
			void *arg);
int mg_store_order_pending(struct mg_store *s, int64_t device_id, int64_t now_ms,
			   struct mg_order *out);

/* The ward list (docs/ward.md): the patients of tenant_id with final
 * measurements received since since_ms, latest first, at most limit (1 to
 * 500): cb(patient row id, latest received_ms, how many, arg). */
typedef int (*mg_ward_cb)(int64_t patient_id, int64_t latest_ms, int64_t count, void *arg);
int mg_store_ward_recent(struct mg_store *s, int64_t tenant_id, int64_t since_ms, size_t limit,
			 mg_ward_cb cb, void *arg);

/* Recently viewed patients per account: view_note records user_id
 * opening patient_id at now_ms and keeps the account's newest
 * MG_RECENT_VIEWS_MAX; views walks them, newest first (cb's count 0). */
#define MG_RECENT_VIEWS_MAX 10
int mg_store_view_note(struct mg_store *s, int64_t user_id, int64_t patient_id, int64_t now_ms);
int mg_store_views(struct mg_store *s, int64_t user_id, mg_ward_cb cb, void *arg);
/* Erasure (docs/patient-rights.md). patient_erase deletes, in one
 * transaction, patient_id of tenant_id with the patients merged into it:
 * their outbox entries, measurements (and values), search tokens,
 * identities (which hold a patient's wrapped data key) and patient rows;
 * then the freed space is made unreadable (SQLite: secure_delete and a
 * WAL checkpoint TRUNCATE; PostgreSQL: VACUUM of the tables).
 * MG_ERR_NOT_FOUND if patient_id is not a patient of tenant_id.
 * tenant_erase does the same for every patient of tenant_id, then deletes
 * its devices, enrolment tokens and memberships and the tenant row with
 * its wrapped key (the crypto-erase); MG_ERR_NOT_FOUND for no such tenant.
 * measurement_erase_before erases up to limit (1..MG_ERASE_BATCH_MAX)
 * measurements received before before_ms, oldest first, with their
 * outbox entries, in one transaction; *count_out gets how many.
 * patient_deliveries walks the outbox entries of patient_id (and of the
 * patients merged into it) in id order: where and when its measurements
 * went. */
#define MG_ERASE_BATCH_MAX	10000

struct mg_erase_counts {
	int64_t patients, measurements, deliveries;
};

struct mg_delivery_row {
	int64_t id;
	int64_t measurement_id;
	char destination[MG_NAME_MAX + 1];
	char state[16];			/* "pending", "delivered" or "dead" */
	int64_t attempts;
	int64_t created_ms;
	int64_t delivered_ms;		/* 0: not delivered */
};

typedef int (*mg_delivery_cb)(const struct mg_delivery_row *row, void *arg);

int mg_store_patient_erase(struct mg_store *s, int64_t tenant_id, int64_t patient_id,
			   struct mg_erase_counts *out);
int mg_store_tenant_erase(struct mg_store *s, int64_t tenant_id, struct mg_erase_counts *out);
int mg_store_measurement_erase_before(struct mg_store *s, int64_t before_ms, size_t limit,
				      int64_t *count_out);
int mg_store_patient_deliveries(struct mg_store *s, int64_t patient_id, mg_delivery_cb cb,
				void *arg);
/* patient_list walks the patients of tenant_id (not merged into another)
 * with a row id above after_id, by row id, at most limit
 * (1..MG_PATIENT_SEARCH_MAX): what a tenant's export goes through. */
int mg_store_patient_list(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit,
			  mg_patient_cb cb, void *arg);

/* The audit trail (src/audit/, records in model/audit_record.h). The
 * store stays crypto-free: audit_append takes the hash as a callback. It
 * reads the chain's head (the highest seq and its hash) and inserts rec as
 * seq + 1 in ONE write transaction, calling hash_fn(arg, rec) in between
 * with rec->seq and rec->prev_hash set, so concurrent appenders (threads,
 * gateways sharing one database) never fork the chain. On success rec
 * holds seq, prev_hash, hash. audit_list walks the records that f selects
 * (NULL: all) in seq order, reading altered rows as rec->malformed rather
 * than failing. */
int mg_store_audit_append(struct mg_store *s, struct mg_audit_record *rec,
			  mg_audit_hash_fn hash_fn, void *arg);
int mg_store_audit_list(struct mg_store *s, const struct mg_audit_filter *f,
			mg_audit_record_cb cb, void *arg);

/* Detection state. user_address_seen records that account id signed in
 * from address (MG_ADDRESS_TEXT_MAX); *new_out says whether it had not
 * before, and *known_out how many addresses it had before this one.
 * measurement_previous_value finds, for the patient of measurement id,
 * the latest other measurement of quantity (MG_QUANTITY_NAME_MAX)
 * measured in the window_ms before it: its value and measured time, or
 * MG_ERR_NOT_FOUND. */
int mg_store_user_address_seen(struct mg_store *s, int64_t id, const char *address,
			       int64_t now_ms, bool *new_out, unsigned *known_out);
int mg_store_measurement_previous_value(struct mg_store *s, int64_t id, const char *quantity,
					int64_t window_ms, double *value_out,
					int64_t *measured_ms_out);

/* Backups (src/backup/). snapshot writes a consistent copy of the whole
 * store, as of one moment, to path, which must not exist (MG_ERR_EXISTS):
 * SQLite through its online backup API (a database file), PostgreSQL
 * through pg_dump in one snapshot (its custom format). Writers go on
 * meanwhile. progress (may be NULL) hears done/total units now and then.
 * integrity_check runs the database's own check (SQLite: PRAGMA
 * integrity_check; PostgreSQL: every table read whole) and says what is
 * wrong in problem (MG_ERR_STORE) or returns 0. */
typedef void (*mg_store_progress_fn)(void *arg, uint64_t done, uint64_t total);
int mg_store_snapshot(struct mg_store *s, const char *path, mg_store_progress_fn progress,
		      void *arg, char *err, size_t errlen);
int mg_store_integrity_check(struct mg_store *s, char *problem, size_t problemlen);

/* A lease on a named job (the audit exporter, the detector's scans), so
 * that of several gateways on one database one does it at a time: 0 if
 * holder holds it now, until now_ms + ttl_ms (> 0); MG_ERR_BUSY while
 * another holder's lease runs. name and holder: 1 to MG_NAME_MAX bytes. */
int mg_store_lease_acquire(struct mg_store *s, const char *name, const char *holder,
			   int64_t now_ms, int64_t ttl_ms);

/* Alerts. alert_raise groups: if an open alert of a->kind, a->subject and
 * a->caused_by (another account's action is another alert) was last seen
 * at or after group_since_ms, its count grows by one, last_ms becomes
 * a->last_ms, its summary a->summary and its severity the higher of both;
 * otherwise a new alert is made (first_ms = last_ms = a->last_ms, count 1,
 * caused_by = a->caused_by). *id_out and
 * *count_out (1: new) tell which. The kind must not be empty; kind,
 * subject and summary must end within MG_ALERT_KIND_MAX,
 * MG_ALERT_SUBJECT_MAX, MG_ALERT_SUMMARY_MAX.
 * alert_list walks the alerts f selects (NULL: all), newest last_ms
 * first. alert_acknowledge is MG_ERR_NOT_FOUND for an unknown id and 0
 * (no change) for one acknowledged before. */
int mg_store_alert_raise(struct mg_store *s, const struct mg_alert *a, int64_t group_since_ms,
			 int64_t *id_out, int64_t *count_out);
int mg_store_alert_get(struct mg_store *s, int64_t id, struct mg_alert *out);
int mg_store_alert_list(struct mg_store *s, const struct mg_alert_filter *f, mg_alert_cb cb,
			void *arg);
int mg_store_alert_acknowledge(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms);

/* Incidents. incident_create makes one (status open; title 1 to
 * MG_INCIDENT_TITLE_MAX bytes) with the alerts listed linked to it and an
 * "opened" entry, in one transaction: an unknown alert is
 * MG_ERR_NOT_FOUND, one in another incident MG_ERR_EXISTS, and then
 * nothing is made. incident_link_alert adds one later (same errors).
 * incident_set_status changes the status (closed_ms set when closed,
 * cleared when reopened) and adds a "status" entry with text;
 * incident_add_entry adds any other entry (kind 1 to
 * MG_INCIDENT_KIND_MAX, text up to MG_INCIDENT_TEXT_MAX bytes). Lists:
 * incidents newest first; entries in time order. */
int mg_store_incident_create(struct mg_store *s, const char *title,
			     enum mg_alert_severity severity, int64_t user_id, int64_t now_ms,
			     const int64_t *alert_ids, size_t nalerts, int64_t *id_out);
int mg_store_incident_get(struct mg_store *s, int64_t id, struct mg_incident *out);
int mg_store_incident_list(struct mg_store *s, mg_incident_cb cb, void *arg);
int mg_store_incident_link_alert(struct mg_store *s, int64_t id, int64_t alert_id,
				 int64_t user_id, int64_t now_ms);
int mg_store_incident_set_status(struct mg_store *s, int64_t id, enum mg_incident_status st,
				 int64_t user_id, int64_t now_ms, const char *text);
int mg_store_incident_add_entry(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms,
				const char *kind, const char *text);
int mg_store_incident_entries(struct mg_store *s, int64_t id, mg_incident_entry_cb cb,
			      void *arg);

/* Remote maintenance (src/model/maintenance.h). maintenance_request stores
 * m as asked for (state MG_MAINT_REQUESTED), or as an administrator's
 * direct grant (MG_MAINT_GRANTED, with decided_by, decided_ms and ends_ms
 * after requested_ms): scope within MG_MAINT_SCOPE_ALL and not empty,
 * reason up to MG_MAINT_REASON_MAX bytes, minutes 1 to
 * MG_MAINT_MINUTES_MAX. maintenance_decide moves a request to granted
 * (until ends_ms, after now_ms) or refused, or an active grant to ended
 * (ends_ms becomes now_ms): MG_ERR_CONFLICT for any other move,
 * MG_ERR_NOT_FOUND for no such row. maintenance_active finds the account's
 * grant active at now_ms (MG_ERR_NOT_FOUND if none). A grant with the
 * MG_MAINT_DEVICE scope names its device (device_id > 0; no other grant
 * names one). maintenance_consent records the device's consent to its
 * grant active at now_ms (the newest, if several) and puts the device out
 * of service until the grant ends (mg_device.maintenance_until_ms), in
 * one transaction; MG_ERR_NOT_FOUND if no such grant; *out gets it. Ending
 * a grant early puts its device back in service at once. maintenance_list
 * walks one account's (user_id > 0) or everyone's (0), newest first, at
 * most limit (1 to MG_MAINT_LIST_MAX). */
#define MG_MAINT_LIST_MAX 500
typedef int (*mg_maintenance_cb)(const struct mg_maintenance *m, void *arg);
int mg_store_maintenance_request(struct mg_store *s, const struct mg_maintenance *m,
				 int64_t *id_out);
int mg_store_maintenance_get(struct mg_store *s, int64_t id, struct mg_maintenance *out);
int mg_store_maintenance_list(struct mg_store *s, int64_t user_id, size_t limit,
			      mg_maintenance_cb cb, void *arg);
int mg_store_maintenance_decide(struct mg_store *s, int64_t id, enum mg_maintenance_state to,
				int64_t decided_by, int64_t now_ms, int64_t ends_ms);
int mg_store_maintenance_active(struct mg_store *s, int64_t user_id, int64_t now_ms,
				struct mg_maintenance *out);
int mg_store_maintenance_consent(struct mg_store *s, int64_t device_id, int64_t now_ms,
				 struct mg_maintenance *out);

/* Open the back end that cfg names (creating an empty database file for
 * SQLite if create is set). *out is the caller's (mg_store_close).
 * On failure err names the reason; a back end whose ops table lacks an op
 * is refused (MG_ERR_STORE, err naming the op). */
int mg_store_open(const struct mg_config *cfg, bool create, struct mg_store **out,
		  char *err, size_t errlen);

/* Measurement values at rest (docs/keys.md). With a keyring set, the
 * front seals every value put (mg_value_seal under the tenant's key,
 * bound to its row) and opens every value read. A value that does not
 * open is a row changed behind the gateway's back: list and
 * patient_measurements leave that row out, outbox_claim marks the item
 * tampered, measurement_previous_value answers MG_ERR_CRYPTO, and an
 * alert store.tampered is raised (the measurement's id, no values, no
 * patient). Also makes the keyring read wrapped tenant keys from s. Set
 * once after opening, before any thread uses s. Without a keyring,
 * putting measurements and reading their values is MG_ERR_CRYPTO. */
struct mg_keyring;
void mg_store_set_keyring(struct mg_store *s, struct mg_keyring *kr);

/* Seal the values stored in clear before migration 0014 (up to the
 * measurement id the migration noted), in one transaction, and forget
 * the mark: once, at the daemon's first start with the keys. *sealed_out
 * gets how many. Needs the keyring. Returns 0 or MG_ERR_*. */
int mg_store_values_seal_clear(struct mg_store *s, int64_t *sealed_out);

/* How a back end has a value sealed for its row (values.c gives it). */
typedef int (*mg_value_seal_fn)(void *arg, const struct mg_value_site *site, double value,
				unsigned char out[MG_VALUE_SEALED_BYTES]);
void mg_store_close(struct mg_store *s);

/* Log "store: <text>" at error level unless cause was logged within a
 * minute (then count it; the next line says how many were left out):
 * the back ends name the database's cause (an SQLite result, a SQLSTATE)
 * this way, and callers that see a failure per request use it so that a
 * full disk under load does not fill the log too. No patient data. */
void mg_store_fault(struct mg_store *s, const char *cause, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Free bytes (what an unprivileged writer may still use, as df shows)
 * and total bytes of the file system holding cfg's SQLite database, or
 * NAN for both where the store is not on this host (PostgreSQL). */
void mg_store_space(const struct mg_config *cfg, double *free_bytes, double *total_bytes);

const char *mg_device_status_name(enum mg_device_status st);
/* "low", "medium", "high", "critical"; parse answers MG_ERR_INVALID. */
const char *mg_severity_name(enum mg_alert_severity sev);
int mg_severity_parse(const char *text, enum mg_alert_severity *out);
/* "open", "acknowledged". */
const char *mg_alert_state_name(enum mg_alert_state st);
/* "open", "responding", "recovering", "closed". */
const char *mg_incident_status_name(enum mg_incident_status st);
int mg_incident_status_parse(const char *text, enum mg_incident_status *out);
int mg_device_status_parse(const char *text, enum mg_device_status *out);

#endif
