#include "access/authz.h"

#include "model/maintenance.h"

static const struct {
	const char *name;
	const char *roles;
} actions[MG_ACTION_COUNT] = {
	[MG_ACTION_PUBLIC] = { "public", "none" },
	[MG_ACTION_SELF] = { "self", "any signed-in account" },
	[MG_ACTION_PATIENT_READ] = { "patient-read", "clinician of the patient's tenant" },
	[MG_ACTION_PATIENT_WRITE] = { "patient-write", "clinician of the patient's tenant" },
	[MG_ACTION_USER_READ] = { "user-read", "admin" },
	[MG_ACTION_USER_WRITE] = { "user-write", "admin" },
	[MG_ACTION_SETTINGS] = { "settings", "admin" },
	[MG_ACTION_TENANT_READ] = { "tenant-read", "tenant-admin, device-admin or admin" },
	[MG_ACTION_TENANT_WRITE] = { "tenant-write", "tenant-admin" },
	[MG_ACTION_DEVICE_READ] = { "device-read", "device-admin, or service in a grant of scope devices" },
	[MG_ACTION_DEVICE_WRITE] = { "device-write", "device-admin" },
	[MG_ACTION_DIAGNOSTICS] = { "diagnostics",
				    "admin, or service in a grant of scope diagnostics" },
	[MG_ACTION_SECURITY] = { "security", "security-officer or admin" },
	[MG_ACTION_MAINTENANCE_ASK] = { "maintenance-ask", "service" },
	[MG_ACTION_MAINTENANCE_VIEW] = { "maintenance-view", "admin, or service (its own)" },
	[MG_ACTION_MAINTENANCE_GRANT] = { "maintenance-grant", "admin" },
	[MG_ACTION_CHANGE_REVIEW] = { "change-review", "security-officer" },
	[MG_ACTION_LOG_READ] = { "log-read", "admin, or service in a grant of scope log" },
	[MG_ACTION_SELF_TEST] = { "self-test", "admin, or service in a grant of scope self-test" },
	[MG_ACTION_FIRMWARE_READ] = { "firmware-read",
				      "device-admin, or service in a grant of scope firmware" },
};

bool mg_principal_in_tenant(const struct mg_principal *p, int64_t tenant_id)
{
	for (size_t i = 0; i < p->ntenants; i++) {
		if (p->tenants[i] == tenant_id)
			return true;
	}
	return false;
}

/* A service account inside an active grant whose scope holds what. */
static bool in_grant(const struct mg_principal *p, unsigned what)
{
	return (p->roles & MG_ROLE_SERVICE) && p->maintenance_id > 0 &&
	       (p->maintenance_scope & what) != 0;
}

bool mg_authz_allows(const struct mg_principal *p, enum mg_action action, int64_t tenant_id)
{
	const bool signed_in = p != NULL && p->user_id > 0;

	if (action == MG_ACTION_PUBLIC)
		return true;
	if (!signed_in)
		return false;
	switch (action) {
	case MG_ACTION_SELF:
		return true;
	case MG_ACTION_PATIENT_READ:
	case MG_ACTION_PATIENT_WRITE:
		/* Only clinicians, only in the tenants a tenant admin made them
		 * (and keeps them, not suspended) members of, and never an account
		 * that also holds an administrative role (one the rules refuse,
		 * left from before them): no other role ever reaches a
		 * patient's data. */
		return (p->roles & MG_ROLE_CLINICIAN) && mg_roles_conflict(p->roles) == NULL &&
		       (tenant_id == 0 || mg_principal_in_tenant(p, tenant_id));
	case MG_ACTION_USER_READ:
	case MG_ACTION_USER_WRITE:
	case MG_ACTION_SETTINGS:
		return (p->roles & MG_ROLE_ADMIN) != 0;
	case MG_ACTION_SECURITY:
		return (p->roles & (MG_ROLE_SECURITY_OFFICER | MG_ROLE_ADMIN)) != 0;
	case MG_ACTION_TENANT_READ:
		return (p->roles & (MG_ROLE_TENANT_ADMIN | MG_ROLE_DEVICE_ADMIN | MG_ROLE_ADMIN)) != 0;
	case MG_ACTION_TENANT_WRITE:
		return (p->roles & MG_ROLE_TENANT_ADMIN) != 0;
	case MG_ACTION_DEVICE_READ:
		return (p->roles & MG_ROLE_DEVICE_ADMIN) || in_grant(p, MG_MAINT_DEVICES);
	case MG_ACTION_DEVICE_WRITE:
		return (p->roles & MG_ROLE_DEVICE_ADMIN) != 0;
	case MG_ACTION_DIAGNOSTICS:
		return (p->roles & MG_ROLE_ADMIN) || in_grant(p, MG_MAINT_DIAGNOSTICS);
	case MG_ACTION_MAINTENANCE_ASK:
		return (p->roles & MG_ROLE_SERVICE) != 0;
	case MG_ACTION_MAINTENANCE_VIEW:
		return (p->roles & (MG_ROLE_ADMIN | MG_ROLE_SERVICE)) != 0;
	case MG_ACTION_MAINTENANCE_GRANT:
		return (p->roles & MG_ROLE_ADMIN) != 0;
	case MG_ACTION_LOG_READ:
		return (p->roles & MG_ROLE_ADMIN) || in_grant(p, MG_MAINT_LOG);
	case MG_ACTION_SELF_TEST:
		return (p->roles & MG_ROLE_ADMIN) || in_grant(p, MG_MAINT_SELFTEST);
	case MG_ACTION_FIRMWARE_READ:
		return (p->roles & MG_ROLE_DEVICE_ADMIN) || in_grant(p, MG_MAINT_FIRMWARE);
	case MG_ACTION_CHANGE_REVIEW:
		/* The administrators make most changes; someone else reviews. */
		return (p->roles & MG_ROLE_SECURITY_OFFICER) != 0;
	case MG_ACTION_PUBLIC:
	case MG_ACTION_COUNT:
		break;
	}
	return false;
}

const char *mg_action_name(enum mg_action action)
{
	return (unsigned)action < MG_ACTION_COUNT ? actions[action].name : "unknown";
}

const char *mg_action_roles(enum mg_action action)
{
	return (unsigned)action < MG_ACTION_COUNT ? actions[action].roles : "unknown";
}
