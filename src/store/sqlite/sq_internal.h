/* Shared by the files of the SQLite back end only. */
#ifndef MG_STORE_SQLITE_INTERNAL_H
#define MG_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/sqlite/sqlite.h"
#include "store/ops.h"

#define SQ_CONNS 8

#define DEVICE_COLUMNS \
	"id, tenant_id, name, cert_fingerprint, cert_serial, cert_not_after_ms, status," \
	" created_ms, coalesce(last_seen_ms, 0), firmware, model, reported_model," \
	" maintenance_until_ms"

#define TENANT_COLUMNS "id, name, wrapped_key, created_ms"

#define USER_COLUMNS \
	"id, name, display_name, email, password_hash, must_change_password, disabled," \
	" failed_logins, lockouts, locked_until_ms, totp_sealed, totp_pending_sealed," \
	" totp_last_step, created_ms, password_changed_ms"

/* The SQL of a statement, declared next to the function that runs it:
 *	static const struct sq_sql tenant_rename_sql = {
 *		"UPDATE tenants SET name = ?2 WHERE id = ?1"
 *	};
 * Each connection prepares it on first use and finds it again by the
 * descriptor's address (sq_stmt), as the PostgreSQL back end does with
 * its SQL strings. */
struct sq_sql {
	const char *text;
};

/* Statements cached per connection: an open-addressing table keyed by
 * descriptor address, at most three quarters full (about 70 statements
 * exist). One beyond that is refused (MG_ERR_STORE): raise this when
 * adding many. */
#define SQ_STMTS_SLOTS 256

struct sq_cached {
	const struct sq_sql *sql;	/* NULL: a free slot */
	sqlite3_stmt *st;
};

struct sq_conn {
	struct mg_store *owner;	/* for mg_store_fault */
	pthread_mutex_t lock;
	sqlite3 *db;
	struct sq_cached stmts[SQ_STMTS_SLOTS];
	unsigned nstmts;	/* slots in use */
};

struct sq_store {
	struct mg_store base;	/* first: the store interface */
	atomic_uint next;
	struct sq_conn conns[SQ_CONNS];
};

/* Take a free connection (waiting if all are busy) / give it back. */
struct sq_conn *sq_acquire(struct sq_store *s);
#define SQ_ACQUIRE(store) sq_acquire((struct sq_store *)(store))
void sq_release(struct sq_conn *c);

/* The prepared statement of sql on c (prepared on first use), or NULL.
 * Reset it with sq_done after use. */
sqlite3_stmt *sq_stmt(struct sq_conn *c, const struct sq_sql *sql);
void sq_done(sqlite3_stmt *st);

/* Run sql without results. Returns 0 or MG_ERR_STORE. */
int sq_exec(struct sq_conn *c, const char *sql);

/* Log the connection's last error with SQLite's own words, once per
 * cause a minute (mg_store_fault). */
void sq_log_cause(struct sq_conn *c);

/* Copy a text column into out. Returns 0 or MG_ERR_LIMIT. */
int sq_copy_text(sqlite3_stmt *st, int col, char *out, size_t outlen);

/* An integer column as unsigned, clamped to 0..UINT_MAX. */
unsigned sq_column_unsigned(sqlite3_stmt *st, int col);

/* Statement parameters as data (sq_run.c): SQ_PARAMS(SQ_INT(id),
 * SQ_TEXT(name)) binds id to ?1 and name to ?2. Text and blobs are bound
 * without copying, so they must outlive the statement's use. */
enum sq_param_type { SQ_PARAM_END, SQ_PARAM_INT, SQ_PARAM_TEXT, SQ_PARAM_BLOB };

struct sq_param {
	enum sq_param_type type;
	int64_t i;
	const void *p;
	size_t len;
};

#define SQ_INT(v) { .type = SQ_PARAM_INT, .i = (int64_t)(v) }
#define SQ_TEXT(s) { .type = SQ_PARAM_TEXT, .p = (s) }
#define SQ_BLOB(b, n) { .type = SQ_PARAM_BLOB, .p = (b), .len = (n) }
#define SQ_PARAMS(...) ((const struct sq_param[]){ __VA_ARGS__, { .type = SQ_PARAM_END } })
#define SQ_NO_PARAMS ((const struct sq_param[]){ { .type = SQ_PARAM_END } })

/* Bind params (ending with SQ_PARAM_END) to st's ?1, ?2, ... Returns 0,
 * MG_ERR_LIMIT for a value too long for SQLite, or MG_ERR_STORE. */
int sq_bind(sqlite3_stmt *st, const struct sq_param *params);

/* Run statement sql with params and step to its first row. Returns 0 with
 * *st_out on that row (read its columns, then sq_finish), or the statement
 * is reset and the result is MG_ERR_NOT_FOUND if it gave no row, or another
 * MG_ERR_* (and *st_out is NULL). */
int sq_query(struct sq_conn *c, const struct sq_sql *sql, const struct sq_param *params,
	     sqlite3_stmt **st_out);

/* Step st, from sq_query, to its next row. Returns 0 on a row,
 * MG_ERR_NOT_FOUND after the last one, or another MG_ERR_*. Reset it with
 * sq_done after the walk:
 *	for (rc = sq_query(c, &x_sql, params, &st); rc == 0; rc = sq_next(c, st))
 *		if ((r = use_row(st)) != 0)
 *			break;
 *	sq_done(st);
 */
int sq_next(struct sq_conn *c, sqlite3_stmt *st);

/* Step st through its remaining rows (a RETURNING statement completes only
 * then) and reset it. Returns 0 or the MG_ERR_* of a failed step. */
int sq_finish(struct sq_conn *c, sqlite3_stmt *st);

/* Run statement sql, which gives no rows, with params. Returns 0,
 * MG_ERR_NOT_FOUND if must_change is set and no row changed, or the MG_ERR_*
 * of the failure (sq_step_error). */
int sq_write(struct sq_conn *c, const struct sq_sql *sql, const struct sq_param *params,
	     bool must_change);

/* sq_write on a connection of the pool for the time of one statement. */
int sq_store_write(struct mg_store *s, const struct sq_sql *sql, const struct sq_param *params,
		   bool must_change);

/* End the transaction open on c: COMMIT if r is 0, else ROLLBACK. Returns r,
 * or the error of a COMMIT that failed (the transaction is then rolled back). */
int sq_end(struct sq_conn *c, int r);

/* sq_migrate.c: the migrate op (the close op is sq_store.c's own). */
int sq_migrate(struct mg_store *base, int *version_out);

/* The ops of mg_store_sqlite_ops (ops.h), one per member and in its order;
 * sq_<op> lives in the file named after its domain. They rely on the
 * checks of the front (front.c) and do not repeat them. */
/* Tenants */
int sq_tenant_create(struct mg_store *s, const char *name, const unsigned char *wrapped_key, int64_t *id_out);
int sq_tenant_by_name(struct mg_store *s, const char *name, struct mg_tenant *out);
int sq_tenant_by_id(struct mg_store *s, int64_t id, struct mg_tenant *out);
int sq_tenant_list(struct mg_store *s, mg_tenant_cb cb, void *arg);
int sq_tenant_rename(struct mg_store *s, int64_t id, const char *name);
int sq_tenant_usage(struct mg_store *s, int64_t id, struct mg_tenant_usage *out);
int sq_tenant_delete(struct mg_store *s, int64_t id);
int sq_tenant_keys_replace(struct mg_store *s, const struct mg_tenant_key_change *c, size_t n);
/* Accounts */
int sq_user_create(struct mg_store *s, const struct mg_user_new *u, int64_t *id_out);
int sq_user_by_name(struct mg_store *s, const char *name, struct mg_user *out);
int sq_user_by_id(struct mg_store *s, int64_t id, struct mg_user *out);
int sq_user_list(struct mg_store *s, mg_user_cb cb, void *arg);
int sq_user_update_profile(struct mg_store *s, int64_t id, const char *display_name, const char *email, bool disabled);
int sq_user_set_access(struct mg_store *s, int64_t id, unsigned roles, const int64_t *tenants, size_t ntenants);
int sq_user_set_roles(struct mg_store *s, int64_t id, unsigned roles);
int sq_user_set_password(struct mg_store *s, int64_t id, const char *hash, bool must_change, int64_t now_ms);
int sq_user_delete(struct mg_store *s, int64_t id);
int sq_user_login_failed(struct mg_store *s, int64_t id, unsigned *failures_out);
int sq_user_set_lock(struct mg_store *s, int64_t id, int64_t locked_until_ms, unsigned lockouts);
int sq_user_login_succeeded(struct mg_store *s, int64_t id);
/* Tenant memberships */
int sq_membership_add(struct mg_store *s, int64_t user_id, int64_t tenant_id);
int sq_membership_remove(struct mg_store *s, int64_t user_id, int64_t tenant_id);
int sq_membership_suspend_all(struct mg_store *s, int64_t user_id, size_t *count_out);
int sq_membership_confirm(struct mg_store *s, int64_t user_id, int64_t tenant_id);
int sq_membership_confirm_all(struct mg_store *s, int64_t user_id);
/* Second factor */
int sq_totp_set_pending(struct mg_store *s, int64_t id, const unsigned char *sealed, size_t len);
int sq_totp_activate(struct mg_store *s, int64_t id, int64_t step);
int sq_totp_clear(struct mg_store *s, int64_t id);
int sq_totp_use_step(struct mg_store *s, int64_t id, int64_t step);
int sq_recovery_codes_set(struct mg_store *s, int64_t id, const unsigned char (*hashes)[MG_TOKEN_HASH_BYTES], size_t n);
int sq_recovery_code_use(struct mg_store *s, int64_t id, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms);
int sq_recovery_codes_left(struct mg_store *s, int64_t id, unsigned *left_out);
/* Sessions */
int sq_session_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES], const struct mg_session *session, unsigned max_per_user);
int sq_session_get(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms, int64_t idle_ms, struct mg_session *out);
int sq_session_sweep(struct mg_store *s, int64_t now_ms, int64_t idle_ms, mg_session_expired_cb cb, void *arg);
int sq_session_delete(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES]);
int sq_session_delete_user(struct mg_store *s, int64_t user_id);
/* Failed sign-ins per address */
int sq_address_failed(struct mg_store *s, const char *address, int64_t now_ms, int64_t window_ms, unsigned *count_out);
int sq_address_failures(struct mg_store *s, const char *address, int64_t now_ms, int64_t window_ms, unsigned *count_out);
/* Password reset links */
int sq_reset_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t user_id, int64_t now_ms, int64_t expires_ms);
int sq_reset_consume(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms, int64_t *user_id_out);
/* Settings */
int sq_setting_get(struct mg_store *s, const char *name, char *value, size_t valuelen);
int sq_setting_set(struct mg_store *s, const char *name, const char *value);
int sq_advisory_replace(struct mg_store *s, const struct mg_advisory_finding *rows, size_t n);
int sq_advisory_list(struct mg_store *s, mg_advisory_cb cb, void *arg);
/* Firmware releases */
int sq_firmware_put(struct mg_store *s, const struct mg_firmware_release *rel, const void *image, int64_t *highest_out);
int sq_firmware_latest(struct mg_store *s, const char *model, struct mg_firmware_release *out);
int sq_firmware_image(struct mg_store *s, const char *model, const char *sha256, void *image, size_t imagelen, size_t *len_out);
int sq_firmware_list(struct mg_store *s, size_t limit, mg_firmware_cb cb, void *arg);
int sq_change_list(struct mg_store *s, const struct mg_change_filter *f, mg_change_cb cb, void *arg);
int sq_change_count(struct mg_store *s, int64_t *unreviewed_out);
int sq_change_review(struct mg_store *s, int64_t seq, const char *reviewer, int64_t now_ms, const char *note);
/* Enrolment tokens */
int sq_token_create(struct mg_store *s, int64_t tenant_id, const char *device_name, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t expires_ms, int64_t *id_out);
int sq_token_find(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms, struct mg_enrol_token *out);
/* Devices */
int sq_device_enrol(struct mg_store *s, int64_t token_id, int64_t now_ms, struct mg_device *d);
int sq_device_by_fingerprint(struct mg_store *s, const char *fingerprint, struct mg_device *out);
int sq_device_by_id(struct mg_store *s, int64_t id, struct mg_device *out);
int sq_device_set_status(struct mg_store *s, int64_t id, enum mg_device_status st);
int sq_device_set_firmware(struct mg_store *s, int64_t id, const char *firmware);
int sq_device_set_reported_model(struct mg_store *s, int64_t id, const char *model);
int sq_device_renew(struct mg_store *s, int64_t id, const char *old_fingerprint,
		    const char *fingerprint, const char *serial, int64_t not_after_ms);
int sq_device_set_tenant(struct mg_store *s, int64_t id, int64_t tenant_id);
int sq_device_list(struct mg_store *s, int64_t tenant_id, mg_device_cb cb, void *arg);
/* Measurements */
int sq_measurement_put_batch(struct mg_store *s, struct mg_measurement_put *const *items, size_t n);
int sq_measurement_list(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit, mg_measurement_cb cb, void *arg);
int sq_measurement_count(struct mg_store *s, int64_t tenant_id, int64_t *count_out);
/* Outbox */
int sq_outbox_claim(struct mg_store *s, const char *destination, int64_t now_ms, int64_t lease_ms, struct mg_outbox_item *items, size_t max, size_t *n);
int sq_outbox_delivered(struct mg_store *s, int64_t id, int64_t now_ms);
int sq_outbox_retry(struct mg_store *s, int64_t id, int64_t next_ms, const char *error);
int sq_outbox_dead(struct mg_store *s, int64_t id, int64_t now_ms, const char *error);
int sq_outbox_resend(struct mg_store *s, const char *destination, int64_t id, int64_t now_ms, int64_t *count_out);
int sq_outbox_stats(struct mg_store *s, const char *destination, struct mg_outbox_stats *out);
/* Patients */
int sq_patient_find(struct mg_store *s, int64_t tenant_id, const unsigned char blind_index[MG_BLIND_INDEX_BYTES], int64_t *id_out);
int sq_patient_measurements(struct mg_store *s, int64_t patient_id, size_t limit, mg_measurement_cb cb, void *arg);
int sq_patient_put(struct mg_store *s, const struct mg_patient_put *p, int64_t *id_out, bool *created_out);
int sq_patient_get(struct mg_store *s, int64_t id, struct mg_patient_row *out);
int sq_patient_search(struct mg_store *s, int64_t tenant_id, const unsigned char (*tokens)[MG_BLIND_INDEX_BYTES], size_t ntokens, size_t limit, mg_patient_cb cb, void *arg);
int sq_patient_discharge(struct mg_store *s, int64_t id, int64_t discharged_ms);
int sq_patient_merge(struct mg_store *s, int64_t tenant_id, const unsigned char from_index[MG_BLIND_INDEX_BYTES], int64_t into_id, int64_t now_ms, int64_t *from_id_out, int64_t *moved_out);
int sq_patient_erase(struct mg_store *s, int64_t tenant_id, int64_t patient_id, struct mg_erase_counts *out);
int sq_tenant_erase(struct mg_store *s, int64_t tenant_id, struct mg_erase_counts *out);
int sq_measurement_erase_before(struct mg_store *s, int64_t before_ms, size_t limit, int64_t *count_out);
int sq_patient_deliveries(struct mg_store *s, int64_t patient_id, mg_delivery_cb cb, void *arg);
int sq_patient_list(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit, mg_patient_cb cb, void *arg);
/* Audit trail */
int sq_audit_append(struct mg_store *s, struct mg_audit_record *rec, mg_audit_hash_fn hash_fn, void *arg);
int sq_audit_list(struct mg_store *s, const struct mg_audit_filter *f, mg_audit_record_cb cb, void *arg);
/* Detection state */
int sq_user_address_seen(struct mg_store *s, int64_t id, const char *address, int64_t now_ms, bool *new_out, unsigned *known_out);
int sq_measurement_correct(struct mg_store *s, const struct mg_correction *c, int64_t *revision_out);
int sq_measurement_assign(struct mg_store *s, const struct mg_assignment *a, int64_t *patient_out);
int sq_unassigned_measurements(struct mg_store *s, int64_t tenant_id, size_t limit, mg_measurement_cb cb, void *arg);
int sq_order_create(struct mg_store *s, const struct mg_order *o, int64_t *id_out);
int sq_order_cancel(struct mg_store *s, int64_t id, int64_t tenant_id, int64_t now_ms);
int sq_order_list(struct mg_store *s, int64_t tenant_id, int64_t now_ms, mg_order_cb cb, void *arg);
int sq_order_pending(struct mg_store *s, int64_t device_id, int64_t now_ms, struct mg_order *out);
int sq_order_take(struct sq_conn *c, int64_t device_id, int64_t measurement_id, int64_t now_ms, int64_t *patient_out);
int sq_ward_recent(struct mg_store *s, int64_t tenant_id, int64_t since_ms, size_t limit, mg_ward_cb cb, void *arg);
int sq_view_note(struct mg_store *s, int64_t user_id, int64_t patient_id, int64_t now_ms);
int sq_views(struct mg_store *s, int64_t user_id, mg_ward_cb cb, void *arg);
int sq_measurement_previous_value(struct mg_store *s, int64_t id, const char *quantity, int64_t window_ms, struct mg_measurement_row *row);
/* Leases */
int sq_figures(struct mg_store *s, int64_t now_ms, int64_t certs_before_ms, struct mg_store_figures *out);
int sq_snapshot(struct mg_store *s, const char *path, mg_store_progress_fn progress, void *arg, char *err, size_t errlen);
int sq_integrity_check(struct mg_store *s, char *problem, size_t problemlen);
int sq_lease_acquire(struct mg_store *s, const char *name, const char *holder, int64_t now_ms, int64_t ttl_ms);
/* Alerts */
int sq_alert_raise(struct mg_store *s, const struct mg_alert *a, int64_t group_since_ms, int64_t *id_out, int64_t *count_out);
int sq_alert_get(struct mg_store *s, int64_t id, struct mg_alert *out);
int sq_alert_list(struct mg_store *s, const struct mg_alert_filter *f, mg_alert_cb cb, void *arg);
int sq_alert_acknowledge(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms);
/* Incidents */
int sq_incident_create(struct mg_store *s, const char *title, enum mg_alert_severity severity, int64_t user_id, int64_t now_ms, const int64_t *alert_ids, size_t nalerts, int64_t *id_out);
int sq_incident_get(struct mg_store *s, int64_t id, struct mg_incident *out);
int sq_incident_list(struct mg_store *s, mg_incident_cb cb, void *arg);
int sq_incident_link_alert(struct mg_store *s, int64_t id, int64_t alert_id, int64_t user_id, int64_t now_ms);
int sq_incident_set_status(struct mg_store *s, int64_t id, enum mg_incident_status st, int64_t user_id, int64_t now_ms, const char *text);
int sq_incident_add_entry(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms, const char *kind, const char *text);
int sq_incident_entries(struct mg_store *s, int64_t id, mg_incident_entry_cb cb, void *arg);

int sq_maintenance_request(struct mg_store *s, const struct mg_maintenance *m, int64_t *id_out);
int sq_maintenance_get(struct mg_store *s, int64_t id, struct mg_maintenance *out);
int sq_maintenance_list(struct mg_store *s, int64_t user_id, size_t limit, mg_maintenance_cb cb, void *arg);
int sq_maintenance_decide(struct mg_store *s, int64_t id, enum mg_maintenance_state to, int64_t decided_by, int64_t now_ms, int64_t ends_ms);
int sq_maintenance_active(struct mg_store *s, int64_t user_id, int64_t now_ms, struct mg_maintenance *out);
int sq_maintenance_consent(struct mg_store *s, int64_t device_id, int64_t now_ms, struct mg_maintenance *out);


/* For statements run rarely, prepared per call (sq_run.c): like
 * sq_query, on a fresh statement the caller finalizes after reading its
 * row; sq_step_done steps it to the end and finalizes it; sq_run_write
 * runs a write (MG_ERR_NOT_FOUND if must_change and no row changed). */
int sq_run(struct sq_conn *c, const char *sql, const struct sq_param *params,
	   sqlite3_stmt **st_out);
int sq_step_done(struct sq_conn *c, sqlite3_stmt *st);
/* sq_run calling row(st, arg) for each row (0 rows: 0); a non-zero
 * answer from row stops the walk and is returned. */
int sq_run_each(struct sq_conn *c, const char *sql, const struct sq_param *params,
		int (*row)(sqlite3_stmt *st, void *arg), void *arg);
int sq_run_write(struct sq_conn *c, const char *sql, const struct sq_param *params,
		 bool must_change);

/* Insert the outbox rows of a stored measurement (p->id set), inside the
 * caller's transaction. Returns 0 or MG_ERR_*. */
int sq_outbox_insert(struct sq_conn *c, const struct mg_measurement_put *p, int64_t patient_id);

/* The values of row->id in their order, sealed as stored (the front opens
 * them); sq_row_value_read takes one from a result's columns. */
int sq_row_values(struct sq_conn *c, struct mg_measurement_row *row);
int sq_values_seal_clear(struct mg_store *s, mg_value_seal_fn fn, void *arg, int64_t *sealed_out);
void sq_row_value_read(sqlite3_stmt *st, int sealed_col, int position_col,
		       struct mg_measurement_row *row, size_t i);

/* The MG_ERR_* for the last failed step on c. */
int sq_step_error(struct sq_conn *c);

#endif
