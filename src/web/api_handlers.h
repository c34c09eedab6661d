/* Every API handler, one file per resource (api_<resource>.c). */
#ifndef MG_WEB_API_HANDLERS_H
#define MG_WEB_API_HANDLERS_H

#include "web/api.h"

/* api_session.c */
enum MHD_Result api_health(struct api_request *rq);
/* api_health.c */
enum MHD_Result api_health_overview(struct api_request *rq);
enum MHD_Result api_session_create(struct api_request *rq);
enum MHD_Result api_session_get(struct api_request *rq);
enum MHD_Result api_session_delete(struct api_request *rq);
enum MHD_Result api_session_password(struct api_request *rq);
enum MHD_Result api_password_reset_request(struct api_request *rq);
enum MHD_Result api_password_reset_confirm(struct api_request *rq);

/* api_totp.c */
enum MHD_Result api_totp_begin(struct api_request *rq);
enum MHD_Result api_totp_confirm(struct api_request *rq);
enum MHD_Result api_totp_remove(struct api_request *rq);

/* api_patients.c: find, create, read and change a patient's identity */
enum MHD_Result api_patients_search(struct api_request *rq);
enum MHD_Result api_patients_create(struct api_request *rq);
enum MHD_Result api_patient_get(struct api_request *rq);
enum MHD_Result api_patient_update(struct api_request *rq);
/* The patient of path parameter 0 in the caller's tenants where it may do
 * action: its row id and tenant, or 0 after queuing the answer (404 for
 * unknown and foreign alike). */
int64_t api_patient_of_path(struct api_request *rq, enum mg_action action, int64_t *tenant_out);
/* A patient as JSON: id, tenant, discharged, identity (null if none). */
json_t *api_patient_json(const struct mg_patient_row *row, const char *pid,
			 const struct mg_patient_identity *p, bool has_identity);

/* api_patient_report.c: measurements with their interpretation, accesses */
enum MHD_Result api_patient_measurements(struct api_request *rq);
enum MHD_Result api_patient_accesses(struct api_request *rq);
enum MHD_Result api_measurement_correct(struct api_request *rq);
enum MHD_Result api_assignments_list(struct api_request *rq);
enum MHD_Result api_assignment_assign(struct api_request *rq);
enum MHD_Result api_orders_list(struct api_request *rq);
enum MHD_Result api_orders_create(struct api_request *rq);
enum MHD_Result api_orders_cancel(struct api_request *rq);
enum MHD_Result api_ward(struct api_request *rq);
enum MHD_Result api_patient_export(struct api_request *rq);
enum MHD_Result api_patient_report(struct api_request *rq);
/* api_patient_fhir.c */
enum MHD_Result api_patient_report_fhir(struct api_request *rq);

/* api_users.c */
enum MHD_Result api_users_list(struct api_request *rq);
enum MHD_Result api_users_create(struct api_request *rq);
enum MHD_Result api_users_get(struct api_request *rq);
enum MHD_Result api_users_update(struct api_request *rq);
enum MHD_Result api_users_delete(struct api_request *rq);
enum MHD_Result api_users_password(struct api_request *rq);
enum MHD_Result api_users_unlock(struct api_request *rq);
enum MHD_Result api_users_totp_remove(struct api_request *rq);
enum MHD_Result api_settings_get(struct api_request *rq);
enum MHD_Result api_settings_update(struct api_request *rq);

/* api_tenants.c */
enum MHD_Result api_tenants_list(struct api_request *rq);
enum MHD_Result api_tenants_create(struct api_request *rq);
enum MHD_Result api_tenants_rename(struct api_request *rq);
enum MHD_Result api_tenants_delete(struct api_request *rq);
enum MHD_Result api_tenant_members(struct api_request *rq);
enum MHD_Result api_tenant_member_add(struct api_request *rq);
enum MHD_Result api_tenant_member_remove(struct api_request *rq);
enum MHD_Result api_tenant_member_confirm(struct api_request *rq);

/* api_alerts.c */
json_t *api_alert_json(const struct mg_alert *a);
enum MHD_Result api_alerts_list(struct api_request *rq);
enum MHD_Result api_advisories_list(struct api_request *rq);
enum MHD_Result api_alerts_acknowledge(struct api_request *rq);
enum MHD_Result api_audit_list(struct api_request *rq);

/* api_incidents.c */
enum MHD_Result api_incidents_list(struct api_request *rq);
enum MHD_Result api_incidents_get(struct api_request *rq);
enum MHD_Result api_incidents_create(struct api_request *rq);
enum MHD_Result api_incidents_update(struct api_request *rq);
enum MHD_Result api_incidents_note(struct api_request *rq);
enum MHD_Result api_incidents_action(struct api_request *rq);

/* api_outbox.c */
enum MHD_Result api_outbox_status(struct api_request *rq);
enum MHD_Result api_outbox_resend(struct api_request *rq);

/* api_devices.c */
enum MHD_Result api_devices_list(struct api_request *rq);
enum MHD_Result api_devices_get(struct api_request *rq);
enum MHD_Result api_devices_update(struct api_request *rq);
enum MHD_Result api_devices_token(struct api_request *rq);

/* api_maintenance.c */
enum MHD_Result api_maintenance_list(struct api_request *rq);
enum MHD_Result api_maintenance_ask(struct api_request *rq);
enum MHD_Result api_maintenance_grant(struct api_request *rq);
enum MHD_Result api_maintenance_refuse(struct api_request *rq);
enum MHD_Result api_maintenance_end(struct api_request *rq);
enum MHD_Result api_log_tail(struct api_request *rq);
enum MHD_Result api_self_test(struct api_request *rq);
enum MHD_Result api_firmware_list(struct api_request *rq);

/* api_security.c, api_changes.c */
enum MHD_Result api_security_overview(struct api_request *rq);
enum MHD_Result api_security_sheet(struct api_request *rq);
enum MHD_Result api_changes_list(struct api_request *rq);
enum MHD_Result api_changes_review(struct api_request *rq);

#endif
