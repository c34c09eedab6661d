/* Shared by the files of the PostgreSQL back end only.
 *
 * Every statement goes through pg_run: values are bound as parameters,
 * never spliced into SQL; each connection prepares a statement once, on
 * first use, and finds it again by the address of its SQL text, so every
 * statement must be a string constant. Results come back as text and are
 * read with the pg_col_* functions below. */
#ifndef MG_STORE_PG_INTERNAL_H
#define MG_STORE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/postgres/postgres.h"
#include "store/ops.h"

#define PG_CONNS	8	/* connections per gateway (opened when first needed) */
#define PG_PREPARED_MAX	192	/* statements prepared per connection */

struct pg_conn {
	struct mg_store *owner;	/* for mg_store_fault */
	pthread_mutex_t lock;
	PGconn *db;		/* NULL until first use or after a broken link */
	const char *prepared[PG_PREPARED_MAX];	/* SQL of statement "mg<i>" */
	unsigned nprepared;
};

struct pg_store {
	struct mg_store base;	/* first: the store interface */
	atomic_uint next;
	char *conninfo;
	struct pg_conn conns[PG_CONNS];
};

/* Take a free connection (waiting if all are busy), connected if the
 * database can be reached / give it back (rolling back a transaction a
 * failed path left open). */
struct pg_conn *pg_acquire(struct pg_store *s);
#define PG_ACQUIRE(store) pg_acquire((struct pg_store *)(store))
void pg_release(struct pg_conn *c);

/* Connect c->db (libpq defaults first, then the configured conninfo).
 * Returns 0, or MG_ERR_UNAVAILABLE with the reason in err. */
int pg_connect(struct pg_store *s, struct pg_conn *c, char *err, size_t errlen);

/* Parameters as data: PG_PARAMS(PG_INT(id), PG_TEXT(name)) binds id to $1
 * (bigint) and name to $2 (text). PG_TEXT(NULL) binds SQL NULL. */
enum pg_param_type { PG_PARAM_END, PG_PARAM_INT, PG_PARAM_TEXT, PG_PARAM_BLOB, PG_PARAM_REAL };

struct pg_param {
	enum pg_param_type type;
	int64_t i;
	double d;
	const void *p;
	size_t len;
};

#define PG_INT(v) { .type = PG_PARAM_INT, .i = (int64_t)(v) }
#define PG_REAL(v) { .type = PG_PARAM_REAL, .d = (v) }
#define PG_TEXT(s) { .type = PG_PARAM_TEXT, .p = (s) }
#define PG_BLOB(b, n) { .type = PG_PARAM_BLOB, .p = (b), .len = (n) }
#define PG_PARAMS(...) ((const struct pg_param[]){ __VA_ARGS__, { .type = PG_PARAM_END } })
#define PG_NO_PARAMS ((const struct pg_param[]){ { .type = PG_PARAM_END } })

#define PG_PARAMS_MAX 16

/* Run sql (a string constant) with params. On success *res_out, if not
 * NULL, holds the result (PQclear it); returns 0 or the MG_ERR_* that the
 * failure's SQLSTATE means: MG_ERR_EXISTS for a unique violation,
 * MG_ERR_NOT_FOUND for a foreign key, MG_ERR_BUSY for a deadlock or
 * serialization failure, MG_ERR_LIMIT for a value too long, else
 * MG_ERR_STORE. */
int pg_run(struct pg_conn *c, const char *sql, const struct pg_param *params,
	   PGresult **res_out);

/* pg_run for a statement that returns rows: MG_ERR_NOT_FOUND (and no
 * result) if it returned none. */
int pg_query(struct pg_conn *c, const char *sql, const struct pg_param *params,
	     PGresult **res_out);

/* pg_run without rows; MG_ERR_NOT_FOUND if must_change and no row changed.
 * *changed_out (may be NULL) gets the count. */
int pg_write(struct pg_conn *c, const char *sql, const struct pg_param *params,
	     bool must_change, int64_t *changed_out);

/* pg_write on a connection of the pool for the time of one statement. */
int pg_store_write(struct mg_store *s, const char *sql, const struct pg_param *params,
		   bool must_change);

/* A statement without parameters, not prepared (BEGIN, SAVEPOINT, DDL). */
int pg_exec(struct pg_conn *c, const char *sql);

/* BEGIN / COMMIT if r is 0, else ROLLBACK. pg_end returns r or the error
 * of a COMMIT that failed. */
int pg_begin(struct pg_conn *c);
int pg_end(struct pg_conn *c, int r);

/* Columns of a text-format result. pg_col_text copies (MG_ERR_STORE if
 * too long: a row longer than its limit is not this medgate's), and a
 * NULL reads as "". pg_col_blob decodes bytea into out (NULL: length 0). */
int64_t pg_col_int(const PGresult *res, int row, int col);
unsigned pg_col_unsigned(const PGresult *res, int row, int col);
double pg_col_real(const PGresult *res, int row, int col);
bool pg_col_null(const PGresult *res, int row, int col);
int pg_col_text(const PGresult *res, int row, int col, char *out, size_t outlen);
int pg_col_blob(const PGresult *res, int row, int col, unsigned char *out, size_t outlen,
		size_t *len_out);

/* The ops of mg_store_postgres_ops (ops.h), one per member and in its order;
 * pg_<op> lives in the file named after its domain. They rely on the
 * checks of the front (front.c) and do not repeat them. */
/* Tenants */
int pg_tenant_create(struct mg_store *s, const char *name, const unsigned char *wrapped_key, int64_t *id_out);
int pg_tenant_by_name(struct mg_store *s, const char *name, struct mg_tenant *out);
int pg_tenant_by_id(struct mg_store *s, int64_t id, struct mg_tenant *out);
int pg_tenant_list(struct mg_store *s, mg_tenant_cb cb, void *arg);
int pg_tenant_rename(struct mg_store *s, int64_t id, const char *name);
int pg_tenant_usage(struct mg_store *s, int64_t id, struct mg_tenant_usage *out);
int pg_tenant_delete(struct mg_store *s, int64_t id);
int pg_tenant_keys_replace(struct mg_store *s, const struct mg_tenant_key_change *c, size_t n);
/* Accounts */
int pg_user_create(struct mg_store *s, const struct mg_user_new *u, int64_t *id_out);
int pg_user_by_name(struct mg_store *s, const char *name, struct mg_user *out);
int pg_user_by_id(struct mg_store *s, int64_t id, struct mg_user *out);
int pg_user_list(struct mg_store *s, mg_user_cb cb, void *arg);
int pg_user_update_profile(struct mg_store *s, int64_t id, const char *display_name, const char *email, bool disabled);
int pg_user_set_access(struct mg_store *s, int64_t id, unsigned roles, const int64_t *tenants, size_t ntenants);
int pg_user_set_roles(struct mg_store *s, int64_t id, unsigned roles);
int pg_user_set_password(struct mg_store *s, int64_t id, const char *hash, bool must_change, int64_t now_ms);
int pg_user_delete(struct mg_store *s, int64_t id);
int pg_user_login_failed(struct mg_store *s, int64_t id, unsigned *failures_out);
int pg_user_set_lock(struct mg_store *s, int64_t id, int64_t locked_until_ms, unsigned lockouts);
int pg_user_login_succeeded(struct mg_store *s, int64_t id);
/* Tenant memberships */
int pg_membership_add(struct mg_store *s, int64_t user_id, int64_t tenant_id);
int pg_membership_remove(struct mg_store *s, int64_t user_id, int64_t tenant_id);
int pg_membership_suspend_all(struct mg_store *s, int64_t user_id, size_t *count_out);
int pg_membership_confirm(struct mg_store *s, int64_t user_id, int64_t tenant_id);
int pg_membership_confirm_all(struct mg_store *s, int64_t user_id);
/* Second factor */
int pg_totp_set_pending(struct mg_store *s, int64_t id, const unsigned char *sealed, size_t len);
int pg_totp_activate(struct mg_store *s, int64_t id, int64_t step);
int pg_totp_clear(struct mg_store *s, int64_t id);
int pg_totp_use_step(struct mg_store *s, int64_t id, int64_t step);
int pg_recovery_codes_set(struct mg_store *s, int64_t id, const unsigned char (*hashes)[MG_TOKEN_HASH_BYTES], size_t n);
int pg_recovery_code_use(struct mg_store *s, int64_t id, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms);
int pg_recovery_codes_left(struct mg_store *s, int64_t id, unsigned *left_out);
/* Sessions */
int pg_session_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES], const struct mg_session *session, unsigned max_per_user);
int pg_session_get(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms, int64_t idle_ms, struct mg_session *out);
int pg_session_sweep(struct mg_store *s, int64_t now_ms, int64_t idle_ms, mg_session_expired_cb cb, void *arg);
int pg_session_delete(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES]);
int pg_session_delete_user(struct mg_store *s, int64_t user_id);
/* Failed sign-ins per address */
int pg_address_failed(struct mg_store *s, const char *address, int64_t now_ms, int64_t window_ms, unsigned *count_out);
int pg_address_failures(struct mg_store *s, const char *address, int64_t now_ms, int64_t window_ms, unsigned *count_out);
/* Password reset links */
int pg_reset_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t user_id, int64_t now_ms, int64_t expires_ms);
int pg_reset_consume(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms, int64_t *user_id_out);
/* Settings */
int pg_setting_get(struct mg_store *s, const char *name, char *value, size_t valuelen);
int pg_setting_set(struct mg_store *s, const char *name, const char *value);
int pg_advisory_replace(struct mg_store *s, const struct mg_advisory_finding *rows, size_t n);
int pg_advisory_list(struct mg_store *s, mg_advisory_cb cb, void *arg);
/* Firmware releases */
int pg_firmware_put(struct mg_store *s, const struct mg_firmware_release *rel, const void *image, int64_t *highest_out);
int pg_firmware_latest(struct mg_store *s, const char *model, struct mg_firmware_release *out);
int pg_firmware_image(struct mg_store *s, const char *model, const char *sha256, void *image, size_t imagelen, size_t *len_out);
int pg_firmware_list(struct mg_store *s, size_t limit, mg_firmware_cb cb, void *arg);
int pg_change_list(struct mg_store *s, const struct mg_change_filter *f, mg_change_cb cb, void *arg);
int pg_change_count(struct mg_store *s, int64_t *unreviewed_out);
int pg_change_review(struct mg_store *s, int64_t seq, const char *reviewer, int64_t now_ms, const char *note);
/* Enrolment tokens */
int pg_token_create(struct mg_store *s, int64_t tenant_id, const char *device_name, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t expires_ms, int64_t *id_out);
int pg_token_find(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms, struct mg_enrol_token *out);
/* Devices */
int pg_device_enrol(struct mg_store *s, int64_t token_id, int64_t now_ms, struct mg_device *d);
int pg_device_by_fingerprint(struct mg_store *s, const char *fingerprint, struct mg_device *out);
int pg_device_by_id(struct mg_store *s, int64_t id, struct mg_device *out);
int pg_device_set_status(struct mg_store *s, int64_t id, enum mg_device_status st);
int pg_device_set_firmware(struct mg_store *s, int64_t id, const char *firmware);
int pg_device_set_reported_model(struct mg_store *s, int64_t id, const char *model);
int pg_device_renew(struct mg_store *s, int64_t id, const char *old_fingerprint,
		    const char *fingerprint, const char *serial, int64_t not_after_ms);
int pg_device_set_tenant(struct mg_store *s, int64_t id, int64_t tenant_id);
int pg_device_list(struct mg_store *s, int64_t tenant_id, mg_device_cb cb, void *arg);
/* Measurements */
int pg_measurement_put_batch(struct mg_store *s, struct mg_measurement_put *const *items, size_t n);
int pg_measurement_list(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit, mg_measurement_cb cb, void *arg);
int pg_measurement_count(struct mg_store *s, int64_t tenant_id, int64_t *count_out);
/* Outbox */
int pg_outbox_claim(struct mg_store *s, const char *destination, int64_t now_ms, int64_t lease_ms, struct mg_outbox_item *items, size_t max, size_t *n);
int pg_outbox_delivered(struct mg_store *s, int64_t id, int64_t now_ms);
int pg_outbox_retry(struct mg_store *s, int64_t id, int64_t next_ms, const char *error);
int pg_outbox_dead(struct mg_store *s, int64_t id, int64_t now_ms, const char *error);
int pg_outbox_resend(struct mg_store *s, const char *destination, int64_t id, int64_t now_ms, int64_t *count_out);
int pg_outbox_stats(struct mg_store *s, const char *destination, struct mg_outbox_stats *out);
/* Patients */
int pg_patient_find(struct mg_store *s, int64_t tenant_id, const unsigned char blind_index[MG_BLIND_INDEX_BYTES], int64_t *id_out);
int pg_patient_measurements(struct mg_store *s, int64_t patient_id, size_t limit, mg_measurement_cb cb, void *arg);
int pg_patient_put(struct mg_store *s, const struct mg_patient_put *p, int64_t *id_out, bool *created_out);
int pg_patient_get(struct mg_store *s, int64_t id, struct mg_patient_row *out);
int pg_patient_search(struct mg_store *s, int64_t tenant_id, const unsigned char (*tokens)[MG_BLIND_INDEX_BYTES], size_t ntokens, size_t limit, mg_patient_cb cb, void *arg);
int pg_patient_discharge(struct mg_store *s, int64_t id, int64_t discharged_ms);
int pg_patient_merge(struct mg_store *s, int64_t tenant_id, const unsigned char from_index[MG_BLIND_INDEX_BYTES], int64_t into_id, int64_t now_ms, int64_t *from_id_out, int64_t *moved_out);
int pg_patient_erase(struct mg_store *s, int64_t tenant_id, int64_t patient_id, struct mg_erase_counts *out);
int pg_tenant_erase(struct mg_store *s, int64_t tenant_id, struct mg_erase_counts *out);
int pg_measurement_erase_before(struct mg_store *s, int64_t before_ms, size_t limit, int64_t *count_out);
int pg_patient_deliveries(struct mg_store *s, int64_t patient_id, mg_delivery_cb cb, void *arg);
int pg_patient_list(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit, mg_patient_cb cb, void *arg);
/* Audit trail */
int pg_audit_append(struct mg_store *s, struct mg_audit_record *rec, mg_audit_hash_fn hash_fn, void *arg);
int pg_audit_list(struct mg_store *s, const struct mg_audit_filter *f, mg_audit_record_cb cb, void *arg);
/* Detection state */
int pg_user_address_seen(struct mg_store *s, int64_t id, const char *address, int64_t now_ms, bool *new_out, unsigned *known_out);
int pg_measurement_correct(struct mg_store *s, const struct mg_correction *c, int64_t *revision_out);
int pg_measurement_assign(struct mg_store *s, const struct mg_assignment *a, int64_t *patient_out);
int pg_unassigned_measurements(struct mg_store *s, int64_t tenant_id, size_t limit, mg_measurement_cb cb, void *arg);
int pg_order_create(struct mg_store *s, const struct mg_order *o, int64_t *id_out);
int pg_order_cancel(struct mg_store *s, int64_t id, int64_t tenant_id, int64_t now_ms);
int pg_order_list(struct mg_store *s, int64_t tenant_id, int64_t now_ms, mg_order_cb cb, void *arg);
int pg_order_pending(struct mg_store *s, int64_t device_id, int64_t now_ms, struct mg_order *out);
int pg_order_take(struct pg_conn *c, int64_t device_id, int64_t measurement_id, int64_t now_ms, int64_t *patient_out);
int pg_ward_recent(struct mg_store *s, int64_t tenant_id, int64_t since_ms, size_t limit, mg_ward_cb cb, void *arg);
int pg_view_note(struct mg_store *s, int64_t user_id, int64_t patient_id, int64_t now_ms);
int pg_views(struct mg_store *s, int64_t user_id, mg_ward_cb cb, void *arg);
int pg_measurement_previous_value(struct mg_store *s, int64_t id, const char *quantity, int64_t window_ms, struct mg_measurement_row *row);
/* Leases */
int pg_figures(struct mg_store *s, int64_t now_ms, int64_t certs_before_ms, struct mg_store_figures *out);
int pg_snapshot(struct mg_store *s, const char *path, mg_store_progress_fn progress, void *arg, char *err, size_t errlen);
int pg_integrity_check(struct mg_store *s, char *problem, size_t problemlen);
int pg_lease_acquire(struct mg_store *s, const char *name, const char *holder, int64_t now_ms, int64_t ttl_ms);
/* Alerts */
int pg_alert_raise(struct mg_store *s, const struct mg_alert *a, int64_t group_since_ms, int64_t *id_out, int64_t *count_out);
int pg_alert_get(struct mg_store *s, int64_t id, struct mg_alert *out);
int pg_alert_list(struct mg_store *s, const struct mg_alert_filter *f, mg_alert_cb cb, void *arg);
int pg_alert_acknowledge(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms);
/* Incidents */
int pg_incident_create(struct mg_store *s, const char *title, enum mg_alert_severity severity, int64_t user_id, int64_t now_ms, const int64_t *alert_ids, size_t nalerts, int64_t *id_out);
int pg_incident_get(struct mg_store *s, int64_t id, struct mg_incident *out);
int pg_incident_list(struct mg_store *s, mg_incident_cb cb, void *arg);
int pg_incident_link_alert(struct mg_store *s, int64_t id, int64_t alert_id, int64_t user_id, int64_t now_ms);
int pg_incident_set_status(struct mg_store *s, int64_t id, enum mg_incident_status st, int64_t user_id, int64_t now_ms, const char *text);
int pg_incident_add_entry(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms, const char *kind, const char *text);
int pg_incident_entries(struct mg_store *s, int64_t id, mg_incident_entry_cb cb, void *arg);

int pg_maintenance_request(struct mg_store *s, const struct mg_maintenance *m, int64_t *id_out);
int pg_maintenance_get(struct mg_store *s, int64_t id, struct mg_maintenance *out);
int pg_maintenance_list(struct mg_store *s, int64_t user_id, size_t limit, mg_maintenance_cb cb, void *arg);
int pg_maintenance_decide(struct mg_store *s, int64_t id, enum mg_maintenance_state to, int64_t decided_by, int64_t now_ms, int64_t ends_ms);
int pg_maintenance_active(struct mg_store *s, int64_t user_id, int64_t now_ms, struct mg_maintenance *out);
int pg_maintenance_consent(struct mg_store *s, int64_t device_id, int64_t now_ms, struct mg_maintenance *out);


/* The tenant on row of res (id, name, wrapped_key, created_ms). */
int pg_tenant_read(const PGresult *res, int row, struct mg_tenant *out);

/* The measurement's values (row->id set), in their order, on c. */
int pg_row_values(struct pg_conn *c, struct mg_measurement_row *row);
int pg_values_seal_clear(struct mg_store *s, mg_value_seal_fn fn, void *arg, int64_t *sealed_out);
/* Value k of row from a result's sealed and position columns (the front
 * opens it). */
void pg_row_value_read(const PGresult *res, int i, int sealed_col, int position_col,
		       struct mg_measurement_row *row, size_t k);

/* The measurement on row i of res (id, tenant_id, device_id, device name,
 * device_mid, measured_ms, received_ms) with its values. */
int pg_row_read(struct pg_conn *c, const PGresult *res, int i, struct mg_measurement_row *row);

/* Run sql and call cb for each measurement row it gives, all read in one
 * snapshot. A non-zero cb stops the walk and is returned. */
int pg_rows_walk(struct pg_conn *c, const char *sql, const struct pg_param *params,
		 mg_measurement_cb cb, void *arg);

/* Bring the schema up to date under an advisory lock (pg_migrate.c). */
int pg_migrate(struct mg_store *base, int *version_out);

#endif
