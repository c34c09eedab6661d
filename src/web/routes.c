/* The route table: every API route, its method, the action authz decides
 * on, and its handler. The permission test walks this table, so a route
 * cannot escape it; docs/openapi.yaml documents each with its role. */
#include "web/api.h"
#include "web/api_handlers.h"

#define MC ROUTE_MUST_CHANGE_OK
#define ME ROUTE_MUST_ENROL_OK

static const struct mg_route routes[] = {
	{ MG_GET, "/api/v1/health", MG_ACTION_PUBLIC, MC | ME, api_health,
	  "liveness of the gateway" },
	{ MG_GET, "/api/v1/health/overview", MG_ACTION_DIAGNOSTICS, 0, api_health_overview,
	  "operations overview: interfaces, errors, EMR queues, devices, certificates, audit, "
	  "backups, free space (no patient data)" },
	{ MG_POST, "/api/v1/session", MG_ACTION_PUBLIC, MC | ME, api_session_create,
	  "sign in" },
	{ MG_GET, "/api/v1/session", MG_ACTION_SELF, MC | ME, api_session_get,
	  "the signed-in account and its session" },
	{ MG_DELETE, "/api/v1/session", MG_ACTION_SELF, MC | ME, api_session_delete,
	  "sign out" },
	{ MG_POST, "/api/v1/session/password", MG_ACTION_SELF, MC | ME, api_session_password,
	  "change the own password" },
	{ MG_POST, "/api/v1/session/totp", MG_ACTION_SELF, ME, api_totp_begin,
	  "start enrolling a TOTP second factor" },
	{ MG_POST, "/api/v1/session/totp/confirm", MG_ACTION_SELF, ME, api_totp_confirm,
	  "confirm the second factor with a first code; returns recovery codes" },
	{ MG_DELETE, "/api/v1/session/totp", MG_ACTION_SELF, 0, api_totp_remove,
	  "remove the own second factor" },
	{ MG_POST, "/api/v1/password-reset", MG_ACTION_PUBLIC, 0, api_password_reset_request,
	  "ask for a password reset link by e-mail" },
	{ MG_POST, "/api/v1/password-reset/confirm", MG_ACTION_PUBLIC, 0,
	  api_password_reset_confirm, "set a new password with a reset link's token" },
	{ MG_GET, "/api/v1/patients", MG_ACTION_PATIENT_READ, 0, api_patients_search,
	  "find patients by name, birth date or id in the own tenants (?q=); clinicians" },
	{ MG_POST, "/api/v1/patients", MG_ACTION_PATIENT_WRITE, 0, api_patients_create,
	  "create a patient (id, name, birth date, sex, case number, ward); clinicians of the "
	  "tenant" },
	{ MG_GET, "/api/v1/patients/{patient}", MG_ACTION_PATIENT_READ, 0, api_patient_get,
	  "a patient's identity (clinicians of its tenant)" },
	{ MG_PATCH, "/api/v1/patients/{patient}", MG_ACTION_PATIENT_WRITE, 0, api_patient_update,
	  "change a patient's identity (clinicians of its tenant)" },
	{ MG_GET, "/api/v1/patients/{patient}/measurements", MG_ACTION_PATIENT_READ, 0,
	  api_patient_measurements, "a patient's identity and measurements with their interpretation (BMI class, BMI-for-age, blood pressure class, change since the previous); clinicians of its tenant" },
	{ MG_GET, "/api/v1/patients/{patient}/report", MG_ACTION_PATIENT_READ, 0,
	  api_patient_report,
	  "the patient page and printed report: identity, facility, interpretation, one row per "
	  "time of measurement newest first (?limit=, ?offset=) and the chart series; clinicians "
	  "of its tenant" },
	{ MG_GET, "/api/v1/patients/{patient}/report/fhir", MG_ACTION_PATIENT_READ, 0,
	  api_patient_report_fhir,
	  "the report for the patient file as a FHIR R4 transaction Bundle: the newest 200 "
	  "measurements' Observations and a DiagnosticReport; clinicians of its tenant" },
	{ MG_GET, "/api/v1/patients/{patient}/accesses", MG_ACTION_PATIENT_READ, 0,
	  api_patient_accesses,
	  "who accessed a patient's data, from the audit trail (clinicians of its tenant)" },
	{ MG_POST, "/api/v1/patients/{patient}/measurements/{measurement}/correction",
	  MG_ACTION_PATIENT_WRITE, 0, api_measurement_correct,
	  "move a measurement taken for the wrong patient to another patient of the tenant, or "
	  "mark it entered in error, with a reason; the EMR gets the correction (clinicians of "
	  "its tenant)" },
	{ MG_GET, "/api/v1/assignments", MG_ACTION_PATIENT_READ, 0, api_assignments_list,
	  "measurements that came without patient, waiting to be assigned (clinicians of their "
	  "tenant)" },
	{ MG_POST, "/api/v1/assignments/{id}", MG_ACTION_PATIENT_WRITE, 0, api_assignment_assign,
	  "assign a measurement that came without patient to a patient; it then goes to the "
	  "EMR (clinicians of its tenant)" },
	{ MG_GET, "/api/v1/ward", MG_ACTION_PATIENT_READ, 0, api_ward,
	  "the clinician's ward list: patients with measurements in the last 24 hours (an "
	  "implausible jump marked) and what waits (clinicians of the own tenants)" },
	{ MG_GET, "/api/v1/orders", MG_ACTION_PATIENT_READ, 0, api_orders_list,
	  "open measure-now orders of the own tenants, with the patient's id (clinicians)" },
	{ MG_POST, "/api/v1/orders", MG_ACTION_PATIENT_WRITE, 0, api_orders_create,
	  "measure now: the device's next measurement without patient, within 1 to 60 minutes, "
	  "goes to the patient (clinicians of the device's tenant)" },
	{ MG_DELETE, "/api/v1/orders/{id}", MG_ACTION_PATIENT_WRITE, 0, api_orders_cancel,
	  "cancel an open measure-now order (clinicians of its tenant)" },
	{ MG_GET, "/api/v1/patients/{patient}/export", MG_ACTION_PATIENT_READ, 0,
	  api_patient_export,
	  "a patient's data as a FHIR R4 Bundle with where it went and who accessed it (GDPR "
	  "Art. 15); clinicians of its tenant" },

	{ MG_GET, "/api/v1/users", MG_ACTION_USER_READ, 0, api_users_list, "list accounts" },
	{ MG_POST, "/api/v1/users", MG_ACTION_USER_WRITE, 0, api_users_create,
	  "create an account (its password must be changed at first sign-in)" },
	{ MG_GET, "/api/v1/users/{id}", MG_ACTION_USER_READ, 0, api_users_get, "one account" },
	{ MG_PATCH, "/api/v1/users/{id}", MG_ACTION_USER_WRITE, 0, api_users_update,
	  "change name, e-mail, disabled, roles, tenants" },
	{ MG_DELETE, "/api/v1/users/{id}", MG_ACTION_USER_WRITE, 0, api_users_delete,
	  "delete an account" },
	{ MG_POST, "/api/v1/users/{id}/password", MG_ACTION_USER_WRITE, 0, api_users_password,
	  "reset an account's password (to be changed at next sign-in)" },
	{ MG_POST, "/api/v1/users/{id}/unlock", MG_ACTION_USER_WRITE, 0, api_users_unlock,
	  "lift a lockout" },
	{ MG_DELETE, "/api/v1/users/{id}/totp", MG_ACTION_USER_WRITE, 0, api_users_totp_remove,
	  "remove an account's second factor" },
	{ MG_GET, "/api/v1/settings", MG_ACTION_SETTINGS, 0, api_settings_get, "system settings" },
	{ MG_PUT, "/api/v1/settings", MG_ACTION_SETTINGS, 0, api_settings_update,
	  "change system settings (roles that must use a second factor, interfaces on or off)" },

	{ MG_GET, "/api/v1/tenants", MG_ACTION_TENANT_READ, 0, api_tenants_list, "list tenants" },
	{ MG_POST, "/api/v1/tenants", MG_ACTION_TENANT_WRITE, 0, api_tenants_create,
	  "create a tenant" },
	{ MG_PATCH, "/api/v1/tenants/{id}", MG_ACTION_TENANT_WRITE, 0, api_tenants_rename,
	  "rename a tenant" },
	{ MG_DELETE, "/api/v1/tenants/{id}", MG_ACTION_TENANT_WRITE, 0, api_tenants_delete,
	  "delete an empty tenant (refused, with the reason, while anything refers to it)" },
	{ MG_GET, "/api/v1/tenants/{id}/members", MG_ACTION_TENANT_WRITE, 0, api_tenant_members,
	  "the accounts of a tenant" },
	{ MG_PUT, "/api/v1/tenants/{id}/members/{user}", MG_ACTION_TENANT_WRITE, 0,
	  api_tenant_member_add, "add an account to a tenant" },
	{ MG_DELETE, "/api/v1/tenants/{id}/members/{user}", MG_ACTION_TENANT_WRITE, 0,
	  api_tenant_member_remove, "remove an account from a tenant" },
	{ MG_POST, "/api/v1/tenants/{id}/members/{user}/confirm", MG_ACTION_TENANT_WRITE, 0,
	  api_tenant_member_confirm,
	  "confirm again a membership suspended when an administrator reset the account's "
	  "password or second factor" },

	{ MG_GET, "/api/v1/outbox", MG_ACTION_DIAGNOSTICS, 0, api_outbox_status,
	  "EMR queues per destination: pending, delivered, dead letters, oldest pending" },
	{ MG_POST, "/api/v1/outbox/{destination}/resend", MG_ACTION_SETTINGS, 0, api_outbox_resend,
	  "queue dead letters again (all, or {\"id\": N}) after fixing their cause" },

	{ MG_GET, "/api/v1/alerts", MG_ACTION_SECURITY, 0, api_alerts_list,
	  "alerts, newest first (?state=open|acknowledged, ?since=, ?limit=)" },
	{ MG_POST, "/api/v1/alerts/{id}/acknowledge", MG_ACTION_SECURITY, 0,
	  api_alerts_acknowledge, "acknowledge an alert" },
	{ MG_GET, "/api/v1/incidents", MG_ACTION_SECURITY, 0, api_incidents_list,
	  "incidents, newest first" },
	{ MG_POST, "/api/v1/incidents", MG_ACTION_SECURITY, 0, api_incidents_create,
	  "open an incident from alerts" },
	{ MG_GET, "/api/v1/incidents/{id}", MG_ACTION_SECURITY, 0, api_incidents_get,
	  "an incident with its alerts and timeline" },
	{ MG_PATCH, "/api/v1/incidents/{id}", MG_ACTION_SECURITY, 0, api_incidents_update,
	  "change an incident's status (with a note) or link another alert" },
	{ MG_POST, "/api/v1/incidents/{id}/notes", MG_ACTION_SECURITY, 0, api_incidents_note,
	  "add a note to an incident's timeline" },
	{ MG_POST, "/api/v1/incidents/{id}/actions", MG_ACTION_SECURITY, 0, api_incidents_action,
	  "respond: lock an account, block a device or switch an interface off" },
	{ MG_GET, "/api/v1/maintenance", MG_ACTION_MAINTENANCE_VIEW, 0, api_maintenance_list,
	  "maintenance requests and grants (a service account sees its own)" },
	{ MG_POST, "/api/v1/maintenance", MG_ACTION_MAINTENANCE_ASK, 0, api_maintenance_ask,
	  "ask for remote maintenance: scope, reason, minutes" },
	{ MG_POST, "/api/v1/maintenance/{id}/grant", MG_ACTION_MAINTENANCE_GRANT, 0,
	  api_maintenance_grant, "grant a request (optionally for other minutes)" },
	{ MG_POST, "/api/v1/maintenance/{id}/refuse", MG_ACTION_MAINTENANCE_GRANT, 0,
	  api_maintenance_refuse, "refuse a request" },
	{ MG_POST, "/api/v1/maintenance/{id}/end", MG_ACTION_MAINTENANCE_GRANT, 0,
	  api_maintenance_end, "end an active grant at once" },
	{ MG_GET, "/api/v1/log", MG_ACTION_LOG_READ, 0, api_log_tail,
	  "the last lines of the daemon's log, which holds no patient data (?lines=1..2000)" },
	{ MG_GET, "/api/v1/firmware", MG_ACTION_FIRMWARE_READ, 0, api_firmware_list,
	  "the firmware releases imported, by model, newest first, and which one devices are offered" },
	{ MG_POST, "/api/v1/self-test", MG_ACTION_SELF_TEST, 0, api_self_test,
	  "run the self-test: store, free space, certificate, EMR destinations, alerts" },
	{ MG_GET, "/api/v1/security", MG_ACTION_SECURITY, 0, api_security_overview,
	  "security overview: listeners, accounts without a second factor, open alerts, "
	  "findings" },
	{ MG_GET, "/api/v1/changes", MG_ACTION_SECURITY, 0, api_changes_list,
	  "changes to review, newest first (?state=unreviewed|reviewed, ?before=, ?limit=)" },
	{ MG_POST, "/api/v1/changes/{id}/review", MG_ACTION_CHANGE_REVIEW, 0, api_changes_review,
	  "mark a change reviewed, with a note" },
	{ MG_GET, "/api/v1/security-sheet", MG_ACTION_SECURITY, 0, api_security_sheet,
	  "the product cyber security sheet of this instance, from its live state" },
	{ MG_GET, "/api/v1/advisories", MG_ACTION_SECURITY, 0, api_advisories_list,
	  "installed components a known advisory affects, and whether a newer medgate exists" },
	{ MG_GET, "/api/v1/audit", MG_ACTION_SECURITY, 0, api_audit_list,
	  "audit records, newest first (?since=, ?until=, ?action= prefix, ?actor=, ?object=, "
	  "?limit=)" },

	{ MG_GET, "/api/v1/devices", MG_ACTION_DEVICE_READ, 0, api_devices_list, "list devices" },
	{ MG_GET, "/api/v1/devices/{id}", MG_ACTION_DEVICE_READ, 0, api_devices_get, "one device" },
	{ MG_PATCH, "/api/v1/devices/{id}", MG_ACTION_DEVICE_WRITE, 0, api_devices_update,
	  "move a device to a tenant; block, unblock or revoke it" },
	{ MG_POST, "/api/v1/devices/tokens", MG_ACTION_DEVICE_WRITE, 0, api_devices_token,
	  "make a one-time enrolment token" },
};

const struct mg_route *mg_api_routes(size_t *count)
{
	*count = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
