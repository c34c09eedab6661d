/* Inside the store: the back-end interface. Only src/store/ files (and
 * the store's own unit tests) include this; callers use the front
 * functions of store.h, which check their arguments and limits once and
 * then call the op of the same name here.
 *
 * Each back end has ONE const table (mg_store_sqlite_ops,
 * mg_store_postgres_ops), never filled at run time, and mg_store_open
 * refuses a table that lacks a member (mg_store_ops_check). An op's
 * contract is its front function's in store.h; an op may rely on the
 * front's checks having passed and must not repeat them.
 *
 * Adding an op: docs/internals/store.md, "Adding a store function". */
#ifndef MG_STORE_OPS_H
#define MG_STORE_OPS_H

#include <pthread.h>
#include <stddef.h>

#include "store/store.h"

struct mg_store_ops {
	const char *name; /* "sqlite" or "postgresql" */

	/* Schema */
	int (*migrate)(struct mg_store *s, int *version_out);

	/* Tenants */
	int (*tenant_create)(struct mg_store *s, const char *name, const unsigned char *wrapped_key,
			     int64_t *id_out);
	int (*tenant_by_name)(struct mg_store *s, const char *name, struct mg_tenant *out);
	int (*tenant_by_id)(struct mg_store *s, int64_t id, struct mg_tenant *out);
	int (*tenant_list)(struct mg_store *s, mg_tenant_cb cb, void *arg);
	int (*tenant_rename)(struct mg_store *s, int64_t id, const char *name);
	int (*tenant_usage)(struct mg_store *s, int64_t id, struct mg_tenant_usage *out);
	int (*tenant_delete)(struct mg_store *s, int64_t id);
	int (*tenant_keys_replace)(struct mg_store *s, const struct mg_tenant_key_change *c,
				   size_t n);

	/* Accounts */
	int (*user_create)(struct mg_store *s, const struct mg_user_new *u, int64_t *id_out);
	int (*user_by_name)(struct mg_store *s, const char *name, struct mg_user *out);
	int (*user_by_id)(struct mg_store *s, int64_t id, struct mg_user *out);
	int (*user_list)(struct mg_store *s, mg_user_cb cb, void *arg);
	int (*user_update_profile)(struct mg_store *s, int64_t id, const char *display_name,
				   const char *email, bool disabled);
	int (*user_set_access)(struct mg_store *s, int64_t id, unsigned roles,
			       const int64_t *tenants, size_t ntenants);
	int (*user_set_roles)(struct mg_store *s, int64_t id, unsigned roles);
	int (*user_set_password)(struct mg_store *s, int64_t id, const char *hash, bool must_change,
				 int64_t now_ms);
	int (*user_delete)(struct mg_store *s, int64_t id);
	int (*user_login_failed)(struct mg_store *s, int64_t id, unsigned *failures_out);
	int (*user_set_lock)(struct mg_store *s, int64_t id, int64_t locked_until_ms,
			     unsigned lockouts);
	int (*user_login_succeeded)(struct mg_store *s, int64_t id);

	/* Tenant memberships */
	int (*membership_add)(struct mg_store *s, int64_t user_id, int64_t tenant_id);
	int (*membership_remove)(struct mg_store *s, int64_t user_id, int64_t tenant_id);
	int (*membership_suspend_all)(struct mg_store *s, int64_t user_id, size_t *count_out);
	int (*membership_confirm)(struct mg_store *s, int64_t user_id, int64_t tenant_id);
	int (*membership_confirm_all)(struct mg_store *s, int64_t user_id);

	/* Second factor */
	int (*totp_set_pending)(struct mg_store *s, int64_t id, const unsigned char *sealed,
				size_t len);
	int (*totp_activate)(struct mg_store *s, int64_t id, int64_t step);
	int (*totp_clear)(struct mg_store *s, int64_t id);
	int (*totp_use_step)(struct mg_store *s, int64_t id, int64_t step);
	int (*recovery_codes_set)(struct mg_store *s, int64_t id,
				  const unsigned char (*hashes)[MG_TOKEN_HASH_BYTES], size_t n);
	int (*recovery_code_use)(struct mg_store *s, int64_t id,
				 const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms);
	int (*recovery_codes_left)(struct mg_store *s, int64_t id, unsigned *left_out);

	/* Sessions */
	int (*session_create)(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			      const struct mg_session *session, unsigned max_per_user);
	int (*session_get)(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			   int64_t now_ms, int64_t idle_ms, struct mg_session *out);
	int (*session_sweep)(struct mg_store *s, int64_t now_ms, int64_t idle_ms,
			     mg_session_expired_cb cb, void *arg);
	int (*session_delete)(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES]);
	int (*session_delete_user)(struct mg_store *s, int64_t user_id);

	/* Failed sign-ins per address */
	int (*address_failed)(struct mg_store *s, const char *address, int64_t now_ms,
			      int64_t window_ms, unsigned *count_out);
	int (*address_failures)(struct mg_store *s, const char *address, int64_t now_ms,
				int64_t window_ms, unsigned *count_out);

	/* Password reset links */
	int (*reset_create)(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			    int64_t user_id, int64_t now_ms, int64_t expires_ms);
	int (*reset_consume)(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			     int64_t now_ms, int64_t *user_id_out);

	/* Settings */
	int (*setting_get)(struct mg_store *s, const char *name, char *value, size_t valuelen);
	int (*setting_set)(struct mg_store *s, const char *name, const char *value);

	/* Advisories */
	int (*advisory_replace)(struct mg_store *s, const struct mg_advisory_finding *rows,
				size_t n);
	int (*advisory_list)(struct mg_store *s, mg_advisory_cb cb, void *arg);

	/* Firmware releases */
	int (*firmware_put)(struct mg_store *s, const struct mg_firmware_release *rel,
			    const void *image, int64_t *highest_out);
	int (*firmware_latest)(struct mg_store *s, const char *model,
			       struct mg_firmware_release *out);
	int (*firmware_list)(struct mg_store *s, size_t limit, mg_firmware_cb cb, void *arg);
	int (*firmware_image)(struct mg_store *s, const char *model, const char *sha256,
			      void *image, size_t imagelen, size_t *len_out);
	/* Changes to review */
	int (*change_list)(struct mg_store *s, const struct mg_change_filter *f, mg_change_cb cb,
			   void *arg);
	int (*change_count)(struct mg_store *s, int64_t *unreviewed_out);
	int (*change_review)(struct mg_store *s, int64_t seq, const char *reviewer,
			     int64_t now_ms, const char *note);

	/* Enrolment tokens */
	int (*token_create)(struct mg_store *s, int64_t tenant_id, const char *device_name,
			    const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t expires_ms,
			    int64_t *id_out);
	int (*token_find)(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			  int64_t now_ms, struct mg_enrol_token *out);

	/* Devices */
	int (*device_enrol)(struct mg_store *s, int64_t token_id, int64_t now_ms,
			    struct mg_device *d);
	int (*device_by_fingerprint)(struct mg_store *s, const char *fingerprint,
				     struct mg_device *out);
	int (*device_by_id)(struct mg_store *s, int64_t id, struct mg_device *out);
	int (*device_set_status)(struct mg_store *s, int64_t id, enum mg_device_status st);
	int (*device_set_firmware)(struct mg_store *s, int64_t id, const char *firmware);
	int (*device_set_reported_model)(struct mg_store *s, int64_t id, const char *model);
	int (*device_renew)(struct mg_store *s, int64_t id, const char *old_fingerprint,
			    const char *fingerprint, const char *serial, int64_t not_after_ms);
	int (*device_set_tenant)(struct mg_store *s, int64_t id, int64_t tenant_id);
	int (*device_list)(struct mg_store *s, int64_t tenant_id, mg_device_cb cb, void *arg);

	/* Measurements */
	int (*measurement_put_batch)(struct mg_store *s, struct mg_measurement_put *const *items,
				     size_t n);
	int (*measurement_list)(struct mg_store *s, int64_t tenant_id, int64_t after_id,
				size_t limit, mg_measurement_cb cb, void *arg);
	int (*measurement_count)(struct mg_store *s, int64_t tenant_id, int64_t *count_out);

	/* Outbox */
	int (*outbox_claim)(struct mg_store *s, const char *destination, int64_t now_ms,
			    int64_t lease_ms, struct mg_outbox_item *items, size_t max, size_t *n);
	int (*outbox_delivered)(struct mg_store *s, int64_t id, int64_t now_ms);
	int (*outbox_retry)(struct mg_store *s, int64_t id, int64_t next_ms, const char *error);
	int (*outbox_dead)(struct mg_store *s, int64_t id, int64_t now_ms, const char *error);
	int (*outbox_resend)(struct mg_store *s, const char *destination, int64_t id,
			     int64_t now_ms, int64_t *count_out);
	int (*outbox_stats)(struct mg_store *s, const char *destination,
			    struct mg_outbox_stats *out);

	/* Figures */
	int (*figures)(struct mg_store *s, int64_t now_ms, int64_t certs_before_ms,
		       struct mg_store_figures *out);

	/* Patients */
	int (*patient_find)(struct mg_store *s, int64_t tenant_id,
			    const unsigned char blind_index[MG_BLIND_INDEX_BYTES], int64_t *id_out);
	int (*patient_measurements)(struct mg_store *s, int64_t patient_id, size_t limit,
				    mg_measurement_cb cb, void *arg);
	int (*patient_put)(struct mg_store *s, const struct mg_patient_put *p, int64_t *id_out,
			   bool *created_out);
	int (*patient_get)(struct mg_store *s, int64_t id, struct mg_patient_row *out);
	int (*patient_search)(struct mg_store *s, int64_t tenant_id,
			      const unsigned char (*tokens)[MG_BLIND_INDEX_BYTES], size_t ntokens,
			      size_t limit, mg_patient_cb cb, void *arg);
	int (*patient_discharge)(struct mg_store *s, int64_t id, int64_t discharged_ms);
	int (*patient_merge)(struct mg_store *s, int64_t tenant_id,
			     const unsigned char from_index[MG_BLIND_INDEX_BYTES], int64_t into_id,
			     int64_t now_ms, int64_t *from_id_out, int64_t *moved_out);
	int (*measurement_correct)(struct mg_store *s, const struct mg_correction *c,
				   int64_t *revision_out);
	int (*measurement_assign)(struct mg_store *s, const struct mg_assignment *a,
				  int64_t *patient_out);
	int (*unassigned_measurements)(struct mg_store *s, int64_t tenant_id, size_t limit,
				       mg_measurement_cb cb, void *arg);
	int (*order_create)(struct mg_store *s, const struct mg_order *o, int64_t *id_out);
	int (*order_cancel)(struct mg_store *s, int64_t id, int64_t tenant_id, int64_t now_ms);
	int (*order_list)(struct mg_store *s, int64_t tenant_id, int64_t now_ms, mg_order_cb cb,
			  void *arg);
	int (*order_pending)(struct mg_store *s, int64_t device_id, int64_t now_ms,
			     struct mg_order *out);
	int (*ward_recent)(struct mg_store *s, int64_t tenant_id, int64_t since_ms, size_t limit,
			   mg_ward_cb cb, void *arg);
	int (*view_note)(struct mg_store *s, int64_t user_id, int64_t patient_id, int64_t now_ms);
	int (*views)(struct mg_store *s, int64_t user_id, mg_ward_cb cb, void *arg);

	/* Erasure */
	int (*patient_erase)(struct mg_store *s, int64_t tenant_id, int64_t patient_id,
			     struct mg_erase_counts *out);
	int (*tenant_erase)(struct mg_store *s, int64_t tenant_id, struct mg_erase_counts *out);
	int (*measurement_erase_before)(struct mg_store *s, int64_t before_ms, size_t limit,
					int64_t *count_out);
	int (*patient_deliveries)(struct mg_store *s, int64_t patient_id, mg_delivery_cb cb,
				  void *arg);
	int (*patient_list)(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit,
			    mg_patient_cb cb, void *arg);

	/* Audit trail */
	int (*audit_append)(struct mg_store *s, struct mg_audit_record *rec,
			    mg_audit_hash_fn hash_fn, void *arg);
	int (*audit_list)(struct mg_store *s, const struct mg_audit_filter *f,
			  mg_audit_record_cb cb, void *arg);

	/* Detection state */
	int (*user_address_seen)(struct mg_store *s, int64_t id, const char *address,
				 int64_t now_ms, bool *new_out, unsigned *known_out);
	/* The previous measurement as a row with the one value of quantity
	 * (sealed, its position set); the front opens it. */
	/* Walk the values in clear up to the migration's mark, seal each
	 * with fn, store it sealed, drop the mark; one transaction. */
	int (*values_seal_clear)(struct mg_store *s, mg_value_seal_fn fn, void *arg,
				 int64_t *sealed_out);
	int (*measurement_previous_value)(struct mg_store *s, int64_t id, const char *quantity,
					  int64_t window_ms, struct mg_measurement_row *row_out);

	/* Backups */
	int (*snapshot)(struct mg_store *s, const char *path, mg_store_progress_fn progress,
			void *arg, char *err, size_t errlen);
	int (*integrity_check)(struct mg_store *s, char *problem, size_t problemlen);

	/* Leases */
	int (*lease_acquire)(struct mg_store *s, const char *name, const char *holder,
			     int64_t now_ms, int64_t ttl_ms);

	/* Alerts */
	int (*alert_raise)(struct mg_store *s, const struct mg_alert *a, int64_t group_since_ms,
			   int64_t *id_out, int64_t *count_out);
	int (*alert_get)(struct mg_store *s, int64_t id, struct mg_alert *out);
	int (*alert_list)(struct mg_store *s, const struct mg_alert_filter *f, mg_alert_cb cb,
			  void *arg);
	int (*alert_acknowledge)(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms);

	/* Incidents */
	int (*incident_create)(struct mg_store *s, const char *title,
			       enum mg_alert_severity severity, int64_t user_id, int64_t now_ms,
			       const int64_t *alert_ids, size_t nalerts, int64_t *id_out);
	int (*incident_get)(struct mg_store *s, int64_t id, struct mg_incident *out);
	int (*incident_list)(struct mg_store *s, mg_incident_cb cb, void *arg);
	int (*incident_link_alert)(struct mg_store *s, int64_t id, int64_t alert_id,
				   int64_t user_id, int64_t now_ms);
	int (*incident_set_status)(struct mg_store *s, int64_t id, enum mg_incident_status st,
				   int64_t user_id, int64_t now_ms, const char *text);
	int (*incident_add_entry)(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms,
				  const char *kind, const char *text);
	int (*incident_entries)(struct mg_store *s, int64_t id, mg_incident_entry_cb cb, void *arg);

	/* Remote maintenance */
	int (*maintenance_request)(struct mg_store *s, const struct mg_maintenance *m,
				   int64_t *id_out);
	int (*maintenance_get)(struct mg_store *s, int64_t id, struct mg_maintenance *out);
	int (*maintenance_list)(struct mg_store *s, int64_t user_id, size_t limit,
				mg_maintenance_cb cb, void *arg);
	int (*maintenance_decide)(struct mg_store *s, int64_t id, enum mg_maintenance_state to,
				  int64_t decided_by, int64_t now_ms, int64_t ends_ms);
	int (*maintenance_active)(struct mg_store *s, int64_t user_id, int64_t now_ms,
				  struct mg_maintenance *out);
	int (*maintenance_consent)(struct mg_store *s, int64_t device_id, int64_t now_ms,
				   struct mg_maintenance *out);

	/* Closing */
	void (*close)(struct mg_store *s);
};

/* The start of every back end's store (struct sq_store, struct pg_store
 * embed it first). */
/* Database failures are logged with their cause (an SQLite result code,
 * a SQLSTATE) once per cause and interval, not once per request: a full
 * disk under load must not fill the log too. */
#define MG_STORE_FAULT_CAUSES	16
#define MG_STORE_FAULT_EVERY_MS	60000

struct mg_store_fault {
	char cause[64];		/* compared up to its size: a longer cause is cut */
	int64_t logged_ms;
	unsigned long repeats;	/* since it was last logged */
};

struct mg_store {
	const struct mg_store_ops *ops;
	struct mg_keyring *keys;	/* seals and opens values (values.c) */
	pthread_mutex_t fault_lock;	/* the back end's open initialises it */
	struct mg_store_fault faults[MG_STORE_FAULT_CAUSES];
};


/* values.c: the front's sealing of measurement values. */
int mg_store_values_seal(struct mg_store *s, struct mg_measurement_put *p);
/* Opens row's values in place. 0 with *tampered false, 0 with *tampered
 * true (a value did not open; store.tampered raised, values zeroed), or
 * the keyring's error (no keyring, no tenant key: nothing is raised). */
int mg_store_values_open(struct mg_store *s, struct mg_measurement_row *row, bool *tampered);

extern const struct mg_store_ops mg_store_sqlite_ops;	/* sqlite/sq_store.c */
extern const struct mg_store_ops mg_store_postgres_ops; /* postgres/pg_store.c */

/* Every op of struct mg_store_ops by name and offset, in declaration
 * order (ops.c). A compile-time check makes the list as long as the
 * struct has function pointers, so an op added to the struct but not
 * here does not build. */
struct mg_store_op_field {
	const char *name;
	size_t offset;
};

extern const struct mg_store_op_field mg_store_op_fields[];
extern const size_t mg_store_op_fields_count;

/* 0 if ops has a name and every op. Otherwise MG_ERR_STORE with *missing
 * naming the first member that is NULL ("name" for the name). */
int mg_store_ops_check(const struct mg_store_ops *ops, const char **missing);

#endif
