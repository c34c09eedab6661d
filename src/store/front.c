/* The store front (store.h): the one way in for callers. */
#include "store/store.h"

int mg_store_migrate(struct mg_store *s, int *version_out)
{
	return s->migrate(s, version_out);
}

int mg_store_tenant_create(struct mg_store *s, const char *name, const unsigned char *wrapped_key,
			   int64_t *id_out)
{
	return s->tenant_create(s, name, wrapped_key, id_out);
}

int mg_store_tenant_by_name(struct mg_store *s, const char *name, struct mg_tenant *out)
{
	return s->tenant_by_name(s, name, out);
}

int mg_store_tenant_by_id(struct mg_store *s, int64_t id, struct mg_tenant *out)
{
	return s->tenant_by_id(s, id, out);
}

int mg_store_tenant_list(struct mg_store *s, mg_tenant_cb cb, void *arg)
{
	return s->tenant_list(s, cb, arg);
}

int mg_store_tenant_rename(struct mg_store *s, int64_t id, const char *name)
{
	return s->tenant_rename(s, id, name);
}

int mg_store_tenant_usage(struct mg_store *s, int64_t id, struct mg_tenant_usage *out)
{
	return s->tenant_usage(s, id, out);
}

int mg_store_tenant_delete(struct mg_store *s, int64_t id)
{
	return s->tenant_delete(s, id);
}

int mg_store_user_create(struct mg_store *s, const struct mg_user_new *u, int64_t *id_out)
{
	return s->user_create(s, u, id_out);
}

int mg_store_user_by_name(struct mg_store *s, const char *name, struct mg_user *out)
{
	return s->user_by_name(s, name, out);
}

int mg_store_user_by_id(struct mg_store *s, int64_t id, struct mg_user *out)
{
	return s->user_by_id(s, id, out);
}

int mg_store_user_list(struct mg_store *s, mg_user_cb cb, void *arg)
{
	return s->user_list(s, cb, arg);
}

int mg_store_user_update_profile(struct mg_store *s, int64_t id, const char *display_name,
				 const char *email, bool disabled)
{
	return s->user_update_profile(s, id, display_name, email, disabled);
}

int mg_store_user_set_access(struct mg_store *s, int64_t id, unsigned roles, const int64_t *tenants,
			     size_t ntenants)
{
	return s->user_set_access(s, id, roles, tenants, ntenants);
}

int mg_store_user_set_password(struct mg_store *s, int64_t id, const char *hash, bool must_change,
			       int64_t now_ms)
{
	return s->user_set_password(s, id, hash, must_change, now_ms);
}

int mg_store_user_delete(struct mg_store *s, int64_t id)
{
	return s->user_delete(s, id);
}

int mg_store_user_login_failed(struct mg_store *s, int64_t id, unsigned *failures_out)
{
	return s->user_login_failed(s, id, failures_out);
}

int mg_store_user_set_lock(struct mg_store *s, int64_t id, int64_t locked_until_ms,
			   unsigned lockouts)
{
	return s->user_set_lock(s, id, locked_until_ms, lockouts);
}

int mg_store_user_login_succeeded(struct mg_store *s, int64_t id)
{
	return s->user_login_succeeded(s, id);
}

int mg_store_totp_set_pending(struct mg_store *s, int64_t id, const unsigned char *sealed,
			      size_t len)
{
	return s->totp_set_pending(s, id, sealed, len);
}

int mg_store_totp_activate(struct mg_store *s, int64_t id, int64_t step)
{
	return s->totp_activate(s, id, step);
}

int mg_store_totp_clear(struct mg_store *s, int64_t id)
{
	return s->totp_clear(s, id);
}

int mg_store_totp_use_step(struct mg_store *s, int64_t id, int64_t step)
{
	return s->totp_use_step(s, id, step);
}

int mg_store_recovery_codes_set(struct mg_store *s, int64_t id,
				const unsigned char (*hashes)[MG_TOKEN_HASH_BYTES], size_t n)
{
	return s->recovery_codes_set(s, id, hashes, n);
}

int mg_store_recovery_code_use(struct mg_store *s, int64_t id,
			       const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t now_ms)
{
	return s->recovery_code_use(s, id, hash, now_ms);
}

int mg_store_recovery_codes_left(struct mg_store *s, int64_t id, unsigned *left_out)
{
	return s->recovery_codes_left(s, id, left_out);
}

int mg_store_session_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			    const struct mg_session *session)
{
	return s->session_create(s, hash, session);
}

int mg_store_session_get(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			 int64_t now_ms, int64_t idle_ms, struct mg_session *out)
{
	return s->session_get(s, hash, now_ms, idle_ms, out);
}

int mg_store_session_sweep(struct mg_store *s, int64_t now_ms, int64_t idle_ms,
			   mg_session_expired_cb cb, void *arg)
{
	return s->session_sweep(s, now_ms, idle_ms, cb, arg);
}

int mg_store_session_delete(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES])
{
	return s->session_delete(s, hash);
}

int mg_store_session_delete_user(struct mg_store *s, int64_t user_id)
{
	return s->session_delete_user(s, user_id);
}

int mg_store_address_failed(struct mg_store *s, const char *address, int64_t now_ms,
			    int64_t window_ms, unsigned *count_out)
{
	return s->address_failed(s, address, now_ms, window_ms, count_out);
}

int mg_store_address_failures(struct mg_store *s, const char *address, int64_t now_ms,
			      int64_t window_ms, unsigned *count_out)
{
	return s->address_failures(s, address, now_ms, window_ms, count_out);
}

int mg_store_reset_create(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			  int64_t user_id, int64_t now_ms, int64_t expires_ms)
{
	return s->reset_create(s, hash, user_id, now_ms, expires_ms);
}

int mg_store_reset_consume(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			   int64_t now_ms, int64_t *user_id_out)
{
	return s->reset_consume(s, hash, now_ms, user_id_out);
}

int mg_store_setting_get(struct mg_store *s, const char *name, char *value, size_t valuelen)
{
	return s->setting_get(s, name, value, valuelen);
}

int mg_store_setting_set(struct mg_store *s, const char *name, const char *value)
{
	return s->setting_set(s, name, value);
}

int mg_store_token_create(struct mg_store *s, int64_t tenant_id, const char *device_name,
			  const unsigned char hash[MG_TOKEN_HASH_BYTES], int64_t expires_ms,
			  int64_t *id_out)
{
	return s->token_create(s, tenant_id, device_name, hash, expires_ms, id_out);
}

int mg_store_token_find(struct mg_store *s, const unsigned char hash[MG_TOKEN_HASH_BYTES],
			int64_t now_ms, struct mg_enrol_token *out)
{
	return s->token_find(s, hash, now_ms, out);
}

int mg_store_device_enrol(struct mg_store *s, int64_t token_id, int64_t now_ms, struct mg_device *d)
{
	return s->device_enrol(s, token_id, now_ms, d);
}

int mg_store_device_by_fingerprint(struct mg_store *s, const char *fingerprint,
				   struct mg_device *out)
{
	return s->device_by_fingerprint(s, fingerprint, out);
}

int mg_store_device_by_id(struct mg_store *s, int64_t id, struct mg_device *out)
{
	return s->device_by_id(s, id, out);
}

int mg_store_device_set_status(struct mg_store *s, int64_t id, enum mg_device_status st)
{
	return s->device_set_status(s, id, st);
}

int mg_store_device_set_firmware(struct mg_store *s, int64_t id, const char *firmware)
{
	return s->device_set_firmware(s, id, firmware);
}

int mg_store_device_set_tenant(struct mg_store *s, int64_t id, int64_t tenant_id)
{
	return s->device_set_tenant(s, id, tenant_id);
}

int mg_store_device_list(struct mg_store *s, int64_t tenant_id, mg_device_cb cb, void *arg)
{
	return s->device_list(s, tenant_id, cb, arg);
}

int mg_store_measurement_put_batch(struct mg_store *s, struct mg_measurement_put *const *items,
				   size_t n)
{
	return s->measurement_put_batch(s, items, n);
}

int mg_store_measurement_list(struct mg_store *s, int64_t tenant_id, int64_t after_id, size_t limit,
			      mg_measurement_cb cb, void *arg)
{
	return s->measurement_list(s, tenant_id, after_id, limit, cb, arg);
}

int mg_store_measurement_count(struct mg_store *s, int64_t tenant_id, int64_t *count_out)
{
	return s->measurement_count(s, tenant_id, count_out);
}

int mg_store_outbox_claim(struct mg_store *s, const char *destination, int64_t now_ms,
			  int64_t lease_ms, struct mg_outbox_item *items, size_t max, size_t *n)
{
	return s->outbox_claim(s, destination, now_ms, lease_ms, items, max, n);
}

int mg_store_outbox_delivered(struct mg_store *s, int64_t id, int64_t now_ms)
{
	return s->outbox_delivered(s, id, now_ms);
}

int mg_store_outbox_retry(struct mg_store *s, int64_t id, int64_t next_ms, const char *error)
{
	return s->outbox_retry(s, id, next_ms, error);
}

int mg_store_outbox_dead(struct mg_store *s, int64_t id, int64_t now_ms, const char *error)
{
	return s->outbox_dead(s, id, now_ms, error);
}

int mg_store_outbox_resend(struct mg_store *s, const char *destination, int64_t id, int64_t now_ms,
			   int64_t *count_out)
{
	return s->outbox_resend(s, destination, id, now_ms, count_out);
}

int mg_store_outbox_stats(struct mg_store *s, const char *destination, struct mg_outbox_stats *out)
{
	return s->outbox_stats(s, destination, out);
}

int mg_store_patient_find(struct mg_store *s, int64_t tenant_id,
			  const unsigned char blind_index[MG_BLIND_INDEX_BYTES], int64_t *id_out)
{
	return s->patient_find(s, tenant_id, blind_index, id_out);
}

int mg_store_patient_measurements(struct mg_store *s, int64_t patient_id, size_t limit,
				  mg_measurement_cb cb, void *arg)
{
	return s->patient_measurements(s, patient_id, limit, cb, arg);
}

int mg_store_audit_append(struct mg_store *s, struct mg_audit_record *rec, mg_audit_hash_fn hash_fn,
			  void *arg)
{
	return s->audit_append(s, rec, hash_fn, arg);
}

int mg_store_audit_list(struct mg_store *s, const struct mg_audit_filter *f, mg_audit_record_cb cb,
			void *arg)
{
	return s->audit_list(s, f, cb, arg);
}

int mg_store_user_address_seen(struct mg_store *s, int64_t id, const char *address, int64_t now_ms,
			       bool *new_out, unsigned *known_out)
{
	return s->user_address_seen(s, id, address, now_ms, new_out, known_out);
}

int mg_store_measurement_previous_value(struct mg_store *s, int64_t id, const char *quantity,
					int64_t window_ms, double *value_out,
					int64_t *measured_ms_out)
{
	return s->measurement_previous_value(s, id, quantity, window_ms, value_out,
					     measured_ms_out);
}

int mg_store_lease_acquire(struct mg_store *s, const char *name, const char *holder, int64_t now_ms,
			   int64_t ttl_ms)
{
	return s->lease_acquire(s, name, holder, now_ms, ttl_ms);
}

int mg_store_alert_raise(struct mg_store *s, const struct mg_alert *a, int64_t group_since_ms,
			 int64_t *id_out, int64_t *count_out)
{
	return s->alert_raise(s, a, group_since_ms, id_out, count_out);
}

int mg_store_alert_get(struct mg_store *s, int64_t id, struct mg_alert *out)
{
	return s->alert_get(s, id, out);
}

int mg_store_alert_list(struct mg_store *s, const struct mg_alert_filter *f, mg_alert_cb cb,
			void *arg)
{
	return s->alert_list(s, f, cb, arg);
}

int mg_store_alert_acknowledge(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms)
{
	return s->alert_acknowledge(s, id, user_id, now_ms);
}

int mg_store_incident_create(struct mg_store *s, const char *title, enum mg_alert_severity severity,
			     int64_t user_id, int64_t now_ms, const int64_t *alert_ids,
			     size_t nalerts, int64_t *id_out)
{
	return s->incident_create(s, title, severity, user_id, now_ms, alert_ids, nalerts, id_out);
}

int mg_store_incident_get(struct mg_store *s, int64_t id, struct mg_incident *out)
{
	return s->incident_get(s, id, out);
}

int mg_store_incident_list(struct mg_store *s, mg_incident_cb cb, void *arg)
{
	return s->incident_list(s, cb, arg);
}

int mg_store_incident_link_alert(struct mg_store *s, int64_t id, int64_t alert_id, int64_t user_id,
				 int64_t now_ms)
{
	return s->incident_link_alert(s, id, alert_id, user_id, now_ms);
}

int mg_store_incident_set_status(struct mg_store *s, int64_t id, enum mg_incident_status st,
				 int64_t user_id, int64_t now_ms, const char *text)
{
	return s->incident_set_status(s, id, st, user_id, now_ms, text);
}

int mg_store_incident_add_entry(struct mg_store *s, int64_t id, int64_t user_id, int64_t now_ms,
				const char *kind, const char *text)
{
	return s->incident_add_entry(s, id, user_id, now_ms, kind, text);
}

int mg_store_incident_entries(struct mg_store *s, int64_t id, mg_incident_entry_cb cb, void *arg)
{
	return s->incident_entries(s, id, cb, arg);
}
