/* SQLite back end: a small pool of connections, each guarded by a mutex
 * and holding its prepared statements. WAL lets readers run beside the
 * one writer; synchronous=FULL makes every COMMIT durable before it
 * returns, which is what a measurement's acknowledgement waits for. */
#include "store/sqlite/sq_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

sqlite3_stmt *sq_stmt(struct sq_conn *c, const struct sq_sql *sql)
{
	size_t i = ((uintptr_t)sql / sizeof(*sql)) % SQ_STMTS_SLOTS;
	struct sq_cached *slot;

	/* Linear probing: the descriptors of one file sit side by side in
	 * memory, so they mostly land in slots of their own. */
	while ((slot = &c->stmts[i])->sql != NULL && slot->sql != sql)
		i = (i + 1) % SQ_STMTS_SLOTS;
	if (slot->sql == sql)
		return slot->st;
	if (c->nstmts >= SQ_STMTS_SLOTS / 4 * 3 ||
	    sqlite3_prepare_v3(c->db, sql->text, -1, SQLITE_PREPARE_PERSISTENT, &slot->st,
			       NULL) != SQLITE_OK) {
		sqlite3_finalize(slot->st);
		slot->st = NULL;
		return NULL;
	}
	slot->sql = sql;
	c->nstmts++;
	return slot->st;
}

void sq_done(sqlite3_stmt *st)
{
	if (st != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

int sq_exec(struct sq_conn *c, const char *sql)
{
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	/* A ROLLBACK after SQLite rolled back itself fails harmlessly. */
	if (strcmp(sql, "ROLLBACK") != 0)
		sq_log_cause(c);
	return MG_ERR_STORE;
}

int sq_copy_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);

	if (t == NULL) {
		out[0] = '\0';
		return 0;
	}
	if (n >= outlen)
		return MG_ERR_LIMIT;
	memcpy(out, t, n);
	out[n] = '\0';
	return 0;
}

struct sq_conn *sq_acquire(struct sq_store *s)
{
	unsigned start = atomic_fetch_add(&s->next, 1);

	for (unsigned i = 0; i < SQ_CONNS; i++) {
		struct sq_conn *c = &s->conns[(start + i) % SQ_CONNS];

		if (pthread_mutex_trylock(&c->lock) == 0)
			return c;
	}
	pthread_mutex_lock(&s->conns[start % SQ_CONNS].lock);
	return &s->conns[start % SQ_CONNS];
}

void sq_release(struct sq_conn *c)
{
	pthread_mutex_unlock(&c->lock);
}

static int conn_open(struct sq_conn *c, const char *path, bool create, char *err,
		     size_t errlen)
{
	static const char pragmas[] =
		"PRAGMA journal_mode = WAL;"
		"PRAGMA synchronous = FULL;"
		"PRAGMA foreign_keys = ON;"
		"PRAGMA secure_delete = ON;"
		"PRAGMA trusted_schema = OFF;";
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;

	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 c->db ? sqlite3_errmsg(c->db) : "cannot open database");
		return MG_ERR_STORE;
	}
	sqlite3_busy_timeout(c->db, 10000);
	sqlite3_extended_result_codes(c->db, 1);
	if (sqlite3_exec(c->db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(c->db));
		return MG_ERR_STORE;
	}
	return 0;
}

static void sq_close(struct mg_store *base)
{
	struct sq_store *s = (struct sq_store *)base;

	for (unsigned i = 0; i < SQ_CONNS; i++) {
		struct sq_conn *c = &s->conns[i];

		for (unsigned j = 0; j < SQ_STMTS_SLOTS; j++)
			sqlite3_finalize(c->stmts[j].st);
		sqlite3_close_v2(c->db);
		pthread_mutex_destroy(&c->lock);
	}
	pthread_mutex_destroy(&s->base.fault_lock);
	free(s);
}

int mg_store_sqlite_open(const char *path, bool create, struct mg_store **out, char *err,
			 size_t errlen)
{
	struct sq_store *s;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MG_ERR_NOMEM;
	for (unsigned i = 0; i < SQ_CONNS; i++) {
		pthread_mutex_init(&s->conns[i].lock, NULL);
		s->conns[i].owner = &s->base;
	}
	pthread_mutex_init(&s->base.fault_lock, NULL);
	s->base.ops = &mg_store_sqlite_ops;
	/* The first connection creates the file and switches it to WAL. */
	for (unsigned i = 0; i < SQ_CONNS; i++) {
		if ((r = conn_open(&s->conns[i], path, create && i == 0, err, errlen)) != 0) {
			sq_close(&s->base);
			return r;
		}
	}
	*out = &s->base;
	return 0;
}

const struct mg_store_ops mg_store_sqlite_ops = {
	.name = "sqlite",
	.migrate = sq_migrate,
	.tenant_create = sq_tenant_create,
	.tenant_by_name = sq_tenant_by_name,
	.tenant_by_id = sq_tenant_by_id,
	.tenant_list = sq_tenant_list,
	.tenant_rename = sq_tenant_rename,
	.tenant_usage = sq_tenant_usage,
	.tenant_delete = sq_tenant_delete,
	.tenant_keys_replace = sq_tenant_keys_replace,
	.user_create = sq_user_create,
	.user_by_name = sq_user_by_name,
	.user_by_id = sq_user_by_id,
	.user_list = sq_user_list,
	.user_update_profile = sq_user_update_profile,
	.user_set_access = sq_user_set_access,
	.user_set_roles = sq_user_set_roles,
	.user_set_password = sq_user_set_password,
	.user_delete = sq_user_delete,
	.user_login_failed = sq_user_login_failed,
	.user_set_lock = sq_user_set_lock,
	.user_login_succeeded = sq_user_login_succeeded,
	.membership_add = sq_membership_add,
	.membership_remove = sq_membership_remove,
	.membership_suspend_all = sq_membership_suspend_all,
	.membership_confirm = sq_membership_confirm,
	.membership_confirm_all = sq_membership_confirm_all,
	.totp_set_pending = sq_totp_set_pending,
	.totp_activate = sq_totp_activate,
	.totp_clear = sq_totp_clear,
	.totp_use_step = sq_totp_use_step,
	.recovery_codes_set = sq_recovery_codes_set,
	.recovery_code_use = sq_recovery_code_use,
	.recovery_codes_left = sq_recovery_codes_left,
	.session_create = sq_session_create,
	.session_get = sq_session_get,
	.session_sweep = sq_session_sweep,
	.session_delete = sq_session_delete,
	.session_delete_user = sq_session_delete_user,
	.address_failed = sq_address_failed,
	.address_failures = sq_address_failures,
	.reset_create = sq_reset_create,
	.reset_consume = sq_reset_consume,
	.setting_get = sq_setting_get,
	.setting_set = sq_setting_set,
	.advisory_replace = sq_advisory_replace,
	.advisory_list = sq_advisory_list,
	.firmware_put = sq_firmware_put,
	.firmware_latest = sq_firmware_latest,
	.firmware_image = sq_firmware_image,
	.firmware_list = sq_firmware_list,
	.change_list = sq_change_list,
	.change_count = sq_change_count,
	.change_review = sq_change_review,
	.token_create = sq_token_create,
	.token_find = sq_token_find,
	.device_enrol = sq_device_enrol,
	.device_by_fingerprint = sq_device_by_fingerprint,
	.device_by_id = sq_device_by_id,
	.device_set_status = sq_device_set_status,
	.device_set_firmware = sq_device_set_firmware,
	.device_set_reported_model = sq_device_set_reported_model,
	.device_renew = sq_device_renew,
	.device_set_tenant = sq_device_set_tenant,
	.device_list = sq_device_list,
	.measurement_put_batch = sq_measurement_put_batch,
	.measurement_list = sq_measurement_list,
	.measurement_count = sq_measurement_count,
	.outbox_claim = sq_outbox_claim,
	.outbox_delivered = sq_outbox_delivered,
	.outbox_retry = sq_outbox_retry,
	.outbox_dead = sq_outbox_dead,
	.outbox_resend = sq_outbox_resend,
	.outbox_stats = sq_outbox_stats,
	.patient_find = sq_patient_find,
	.patient_measurements = sq_patient_measurements,
	.patient_put = sq_patient_put,
	.patient_get = sq_patient_get,
	.patient_search = sq_patient_search,
	.patient_discharge = sq_patient_discharge,
	.patient_merge = sq_patient_merge,
	.measurement_correct = sq_measurement_correct,
	.measurement_assign = sq_measurement_assign,
	.unassigned_measurements = sq_unassigned_measurements,
	.order_create = sq_order_create,
	.order_cancel = sq_order_cancel,
	.order_list = sq_order_list,
	.order_pending = sq_order_pending,
	.ward_recent = sq_ward_recent,
	.view_note = sq_view_note,
	.views = sq_views,
	.patient_erase = sq_patient_erase,
	.tenant_erase = sq_tenant_erase,
	.measurement_erase_before = sq_measurement_erase_before,
	.patient_deliveries = sq_patient_deliveries,
	.patient_list = sq_patient_list,
	.audit_append = sq_audit_append,
	.audit_list = sq_audit_list,
	.user_address_seen = sq_user_address_seen,
	.values_seal_clear = sq_values_seal_clear,
	.measurement_previous_value = sq_measurement_previous_value,
	.figures = sq_figures,
	.snapshot = sq_snapshot,
	.integrity_check = sq_integrity_check,
	.lease_acquire = sq_lease_acquire,
	.alert_raise = sq_alert_raise,
	.alert_get = sq_alert_get,
	.alert_list = sq_alert_list,
	.alert_acknowledge = sq_alert_acknowledge,
	.incident_create = sq_incident_create,
	.incident_get = sq_incident_get,
	.incident_list = sq_incident_list,
	.incident_link_alert = sq_incident_link_alert,
	.incident_set_status = sq_incident_set_status,
	.incident_add_entry = sq_incident_add_entry,
	.incident_entries = sq_incident_entries,
	.maintenance_request = sq_maintenance_request,
	.maintenance_get = sq_maintenance_get,
	.maintenance_list = sq_maintenance_list,
	.maintenance_decide = sq_maintenance_decide,
	.maintenance_active = sq_maintenance_active,
	.maintenance_consent = sq_maintenance_consent,
	.close = sq_close,
};
