/* The completeness check of a back end's ops table (ops.h). */
#include "store/ops.h"

#include <string.h>

#include "common/err.h"

#define OP(member)                                                                                 \
	{                                                                                          \
#member, offsetof(struct mg_store_ops, member)                                     \
	}

const struct mg_store_op_field mg_store_op_fields[] = {
    OP(migrate),
    OP(tenant_create),
    OP(tenant_by_name),
    OP(tenant_by_id),
    OP(tenant_list),
    OP(tenant_rename),
    OP(tenant_usage),
    OP(tenant_delete),
    OP(tenant_keys_replace),
    OP(user_create),
    OP(user_by_name),
    OP(user_by_id),
    OP(user_list),
    OP(user_update_profile),
    OP(user_set_access),
    OP(user_set_roles),
    OP(user_set_password),
    OP(user_delete),
    OP(user_login_failed),
    OP(user_set_lock),
    OP(user_login_succeeded),
    OP(membership_add),
    OP(membership_remove),
    OP(membership_suspend_all),
    OP(membership_confirm),
    OP(membership_confirm_all),
    OP(totp_set_pending),
    OP(totp_activate),
    OP(totp_clear),
    OP(totp_use_step),
    OP(recovery_codes_set),
    OP(recovery_code_use),
    OP(recovery_codes_left),
    OP(session_create),
    OP(session_get),
    OP(session_sweep),
    OP(session_delete),
    OP(session_delete_user),
    OP(address_failed),
    OP(address_failures),
    OP(reset_create),
    OP(reset_consume),
    OP(setting_get),
    OP(setting_set),
    OP(advisory_replace),
    OP(advisory_list),
    OP(firmware_put),
    OP(firmware_latest),
    OP(firmware_image),
    OP(firmware_list),
    OP(change_list),
    OP(change_count),
    OP(change_review),
    OP(token_create),
    OP(token_find),
    OP(device_enrol),
    OP(device_by_fingerprint),
    OP(device_by_id),
    OP(device_set_status),
    OP(device_set_firmware),
    OP(device_set_reported_model),
    OP(device_renew),
    OP(device_set_tenant),
    OP(device_list),
    OP(measurement_put_batch),
    OP(measurement_list),
    OP(measurement_count),
    OP(outbox_claim),
    OP(outbox_delivered),
    OP(outbox_retry),
    OP(outbox_dead),
    OP(outbox_resend),
    OP(outbox_stats),
    OP(figures),
    OP(patient_find),
    OP(patient_measurements),
    OP(patient_put),
    OP(patient_get),
    OP(patient_search),
    OP(patient_discharge),
    OP(patient_merge),
    OP(measurement_correct),
    OP(measurement_assign),
    OP(unassigned_measurements),
    OP(order_create),
    OP(order_cancel),
    OP(order_list),
    OP(order_pending),
    OP(ward_recent),
    OP(view_note),
    OP(views),
    OP(patient_erase),
    OP(tenant_erase),
    OP(measurement_erase_before),
    OP(patient_deliveries),
    OP(patient_list),
    OP(audit_append),
    OP(audit_list),
    OP(user_address_seen),
    OP(values_seal_clear),
    OP(measurement_previous_value),
    OP(snapshot),
    OP(integrity_check),
    OP(lease_acquire),
    OP(alert_raise),
    OP(alert_get),
    OP(alert_list),
    OP(alert_acknowledge),
    OP(incident_create),
    OP(incident_get),
    OP(incident_list),
    OP(incident_link_alert),
    OP(incident_set_status),
    OP(incident_add_entry),
    OP(incident_entries),
    OP(maintenance_request),
    OP(maintenance_get),
    OP(maintenance_list),
    OP(maintenance_decide),
    OP(maintenance_active),
    OP(maintenance_consent),
    OP(close),
};

const size_t mg_store_op_fields_count = sizeof(mg_store_op_fields) / sizeof(mg_store_op_fields[0]);

/* Every member after name is a function pointer, all of one size: the
 * list above must name each of them. */
typedef void (*op_slot)(void);
_Static_assert(sizeof(mg_store_op_fields) / sizeof(mg_store_op_fields[0]) ==
		   (sizeof(struct mg_store_ops) - offsetof(struct mg_store_ops, migrate)) /
		       sizeof(op_slot),
	       "mg_store_op_fields must list every op of struct mg_store_ops");
_Static_assert(offsetof(struct mg_store_ops, migrate) == sizeof(const char *),
	       "struct mg_store_ops starts with name, then its ops");

int mg_store_ops_check(const struct mg_store_ops *ops, const char **missing)
{
	*missing = NULL;
	if (ops->name == NULL) {
		*missing = "name";
		return MG_ERR_STORE;
	}
	for (size_t i = 0; i < mg_store_op_fields_count; i++) {
		op_slot fn;

		/* Read the member as the generic function pointer it has the
		 * size and representation of. */
		memcpy(&fn, (const char *)ops + mg_store_op_fields[i].offset, sizeof(fn));
		if (fn == NULL) {
			*missing = mg_store_op_fields[i].name;
			return MG_ERR_STORE;
		}
	}
	return 0;
}
