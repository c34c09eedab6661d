/* PostgreSQL back end: a pool of libpq connections, each guarded by a
 * mutex and holding its prepared statements, opened when first needed.
 * Several gateways share one database: whatever must happen once is one
 * statement, a row lock (FOR UPDATE, SKIP LOCKED for the outbox) or a
 * table lock held for one transaction, never state kept in a process.
 * COMMIT returns once the server has flushed the transaction to its WAL
 * (synchronous_commit = on, or remote_apply with a synchronous standby),
 * which is what a measurement's acknowledgement waits for. */
#include "store/postgres/pg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"

int pg_connect(struct pg_store *s, struct pg_conn *c, char *err, size_t errlen)
{
	/* Ours first: the configured conninfo (expanded from "dbname")
	 * overrides them. A gateway must not hang forever on a dead host,
	 * and TCP keepalives find a link that died silently. */
	static const char *const keys[] = {
		"connect_timeout", "application_name", "keepalives_idle", "dbname", NULL,
	};
	const char *values[] = { "10", "medgated", "30", s->conninfo, NULL };
	PGresult *res;

	c->nprepared = 0;
	c->db = PQconnectdbParams(keys, values, 1);
	if (c->db == NULL || PQstatus(c->db) != CONNECTION_OK) {
		const char *why = c->db ? PQerrorMessage(c->db) : "out of memory";
		size_t n;

		snprintf(err, errlen, "postgresql: %s", why);
		n = strlen(err);
		while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
			err[--n] = '\0';
		PQfinish(c->db);
		c->db = NULL;
		return MG_ERR_UNAVAILABLE;
	}
	/* Our SQL and byte strings assume these; a role's defaults could
	 * have changed them. */
	res = PQexec(c->db, "SET client_encoding = 'UTF8'; SET bytea_output = 'hex';"
			    " SET client_min_messages = warning;"
			    " SET standard_conforming_strings = on; SET search_path = public");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "postgresql: cannot set up the session");
		PQclear(res);
		PQfinish(c->db);
		c->db = NULL;
		return MG_ERR_STORE;
	}
	PQclear(res);
	return 0;
}

static struct pg_conn *conn_ready(struct pg_store *s, struct pg_conn *c)
{
	char err[512];

	if (c->db == NULL && pg_connect(s, c, err, sizeof(err)) != 0)
		mg_log_error("%s", err);	/* pg_run then fails with MG_ERR_STORE */
	return c;
}

struct pg_conn *pg_acquire(struct pg_store *s)
{
	unsigned start = atomic_fetch_add(&s->next, 1);

	for (unsigned i = 0; i < PG_CONNS; i++) {
		struct pg_conn *c = &s->conns[(start + i) % PG_CONNS];

		/* Connected ones first: a new connection costs a round trip
		 * and a server process. */
		if (c->db != NULL && pthread_mutex_trylock(&c->lock) == 0)
			return c;
	}
	for (unsigned i = 0; i < PG_CONNS; i++) {
		struct pg_conn *c = &s->conns[(start + i) % PG_CONNS];

		if (pthread_mutex_trylock(&c->lock) == 0)
			return conn_ready(s, c);
	}
	pthread_mutex_lock(&s->conns[start % PG_CONNS].lock);
	return conn_ready(s, &s->conns[start % PG_CONNS]);
}

void pg_release(struct pg_conn *c)
{
	if (c->db != NULL && PQtransactionStatus(c->db) != PQTRANS_IDLE) {
		mg_log_warning("postgresql: a transaction was left open; rolling it back");
		pg_exec(c, "ROLLBACK");
	}
	pthread_mutex_unlock(&c->lock);
}

static void pg_close(struct mg_store *base)
{
	struct pg_store *s = (struct pg_store *)base;

	for (unsigned i = 0; i < PG_CONNS; i++) {
		PQfinish(s->conns[i].db);
		pthread_mutex_destroy(&s->conns[i].lock);
	}
	pthread_mutex_destroy(&s->base.fault_lock);
	free(s->conninfo);
	free(s);
}

int mg_store_postgres_open(const char *conninfo, struct mg_store **out, char *err,
			   size_t errlen)
{
	struct pg_store *s;
	char *parse_err = NULL;
	PQconninfoOption *opts;
	int r;

	*out = NULL;
	if (conninfo == NULL || conninfo[0] == '\0') {
		snprintf(err, errlen, "[storage] conninfo is empty: name the database, e.g."
				      " \"host=db.example port=5432 dbname=medgate user=medgate\"");
		return MG_ERR_CONFIG;
	}
	/* Check the syntax here, so the error names the setting. */
	if ((opts = PQconninfoParse(conninfo, &parse_err)) == NULL) {
		snprintf(err, errlen, "[storage] conninfo: %s",
			 parse_err ? parse_err : "cannot be parsed");
		PQfreemem(parse_err);
		return MG_ERR_CONFIG;
	}
	PQconninfoFree(opts);
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->conninfo = strdup(conninfo)) == NULL) {
		free(s);
		return MG_ERR_NOMEM;
	}
	for (unsigned i = 0; i < PG_CONNS; i++) {
		pthread_mutex_init(&s->conns[i].lock, NULL);
		s->conns[i].owner = &s->base;
	}
	pthread_mutex_init(&s->base.fault_lock, NULL);
	s->base.ops = &mg_store_postgres_ops;
	/* One connection now, so a wrong conninfo fails at start. */
	if ((r = pg_connect(s, &s->conns[0], err, errlen)) != 0) {
		pg_close(&s->base);
		return r;
	}
	*out = &s->base;
	return 0;
}

const struct mg_store_ops mg_store_postgres_ops = {
	.name = "postgresql",
	.migrate = pg_migrate,
	.tenant_create = pg_tenant_create,
	.tenant_by_name = pg_tenant_by_name,
	.tenant_by_id = pg_tenant_by_id,
	.tenant_list = pg_tenant_list,
	.tenant_rename = pg_tenant_rename,
	.tenant_usage = pg_tenant_usage,
	.tenant_delete = pg_tenant_delete,
	.tenant_keys_replace = pg_tenant_keys_replace,
	.user_create = pg_user_create,
	.user_by_name = pg_user_by_name,
	.user_by_id = pg_user_by_id,
	.user_list = pg_user_list,
	.user_update_profile = pg_user_update_profile,
	.user_set_access = pg_user_set_access,
	.user_set_roles = pg_user_set_roles,
	.user_set_password = pg_user_set_password,
	.user_delete = pg_user_delete,
	.user_login_failed = pg_user_login_failed,
	.user_set_lock = pg_user_set_lock,
	.user_login_succeeded = pg_user_login_succeeded,
	.membership_add = pg_membership_add,
	.membership_remove = pg_membership_remove,
	.membership_suspend_all = pg_membership_suspend_all,
	.membership_confirm = pg_membership_confirm,
	.membership_confirm_all = pg_membership_confirm_all,
	.totp_set_pending = pg_totp_set_pending,
	.totp_activate = pg_totp_activate,
	.totp_clear = pg_totp_clear,
	.totp_use_step = pg_totp_use_step,
	.recovery_codes_set = pg_recovery_codes_set,
	.recovery_code_use = pg_recovery_code_use,
	.recovery_codes_left = pg_recovery_codes_left,
	.session_create = pg_session_create,
	.session_get = pg_session_get,
	.session_sweep = pg_session_sweep,
	.session_delete = pg_session_delete,
	.session_delete_user = pg_session_delete_user,
	.address_failed = pg_address_failed,
	.address_failures = pg_address_failures,
	.reset_create = pg_reset_create,
	.reset_consume = pg_reset_consume,
	.setting_get = pg_setting_get,
	.setting_set = pg_setting_set,
	.advisory_replace = pg_advisory_replace,
	.advisory_list = pg_advisory_list,
	.firmware_put = pg_firmware_put,
	.firmware_latest = pg_firmware_latest,
	.firmware_image = pg_firmware_image,
	.firmware_list = pg_firmware_list,
	.change_list = pg_change_list,
	.change_count = pg_change_count,
	.change_review = pg_change_review,
	.token_create = pg_token_create,
	.token_find = pg_token_find,
	.device_enrol = pg_device_enrol,
	.device_by_fingerprint = pg_device_by_fingerprint,
	.device_by_id = pg_device_by_id,
	.device_set_status = pg_device_set_status,
	.device_set_firmware = pg_device_set_firmware,
	.device_set_reported_model = pg_device_set_reported_model,
	.device_renew = pg_device_renew,
	.device_set_tenant = pg_device_set_tenant,
	.device_list = pg_device_list,
	.measurement_put_batch = pg_measurement_put_batch,
	.measurement_list = pg_measurement_list,
	.measurement_count = pg_measurement_count,
	.outbox_claim = pg_outbox_claim,
	.outbox_delivered = pg_outbox_delivered,
	.outbox_retry = pg_outbox_retry,
	.outbox_dead = pg_outbox_dead,
	.outbox_resend = pg_outbox_resend,
	.outbox_stats = pg_outbox_stats,
	.patient_find = pg_patient_find,
	.patient_measurements = pg_patient_measurements,
	.patient_put = pg_patient_put,
	.patient_get = pg_patient_get,
	.patient_search = pg_patient_search,
	.patient_discharge = pg_patient_discharge,
	.patient_merge = pg_patient_merge,
	.measurement_correct = pg_measurement_correct,
	.measurement_assign = pg_measurement_assign,
	.unassigned_measurements = pg_unassigned_measurements,
	.order_create = pg_order_create,
	.order_cancel = pg_order_cancel,
	.order_list = pg_order_list,
	.order_pending = pg_order_pending,
	.ward_recent = pg_ward_recent,
	.view_note = pg_view_note,
	.views = pg_views,
	.patient_erase = pg_patient_erase,
	.tenant_erase = pg_tenant_erase,
	.measurement_erase_before = pg_measurement_erase_before,
	.patient_deliveries = pg_patient_deliveries,
	.patient_list = pg_patient_list,
	.audit_append = pg_audit_append,
	.audit_list = pg_audit_list,
	.user_address_seen = pg_user_address_seen,
	.values_seal_clear = pg_values_seal_clear,
	.measurement_previous_value = pg_measurement_previous_value,
	.figures = pg_figures,
	.snapshot = pg_snapshot,
	.integrity_check = pg_integrity_check,
	.lease_acquire = pg_lease_acquire,
	.alert_raise = pg_alert_raise,
	.alert_get = pg_alert_get,
	.alert_list = pg_alert_list,
	.alert_acknowledge = pg_alert_acknowledge,
	.incident_create = pg_incident_create,
	.incident_get = pg_incident_get,
	.incident_list = pg_incident_list,
	.incident_link_alert = pg_incident_link_alert,
	.incident_set_status = pg_incident_set_status,
	.incident_add_entry = pg_incident_add_entry,
	.incident_entries = pg_incident_entries,
	.maintenance_request = pg_maintenance_request,
	.maintenance_get = pg_maintenance_get,
	.maintenance_list = pg_maintenance_list,
	.maintenance_decide = pg_maintenance_decide,
	.maintenance_active = pg_maintenance_active,
	.maintenance_consent = pg_maintenance_consent,
	.close = pg_close,
};

bool mg_conninfo_has_password(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	bool found = false;

	for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0')
			found = true;
	PQconninfoFree(opts);
	return found;
}
