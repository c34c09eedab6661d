/* The one authorization decision: may this principal do this action, on
 * something of this tenant? Every API handler goes through it (the router
 * calls it with the route's action before the handler runs; handlers that
 * touch tenant data call it again with the tenant). */
#ifndef MG_ACCESS_AUTHZ_H
#define MG_ACCESS_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/roles.h"
#include "common/limits.h"

enum mg_action {
	MG_ACTION_PUBLIC,	/* no account needed (sign-in, health) */
	MG_ACTION_SELF,		/* any signed-in account, on itself */
	MG_ACTION_PATIENT_READ,	/* a patient's data: clinicians of its tenant */
	MG_ACTION_PATIENT_WRITE,	/* a patient's identity: clinicians of its tenant */
	MG_ACTION_USER_READ,	/* accounts: administrators */
	MG_ACTION_USER_WRITE,
	MG_ACTION_SETTINGS,	/* system settings: administrators */
	MG_ACTION_TENANT_READ,	/* tenant names: tenant, device and account admins */
	MG_ACTION_TENANT_WRITE,	/* tenants and members: tenant administrators */
	MG_ACTION_DEVICE_READ,	/* devices and tokens: device administrators */
	MG_ACTION_DEVICE_WRITE,
	MG_ACTION_DIAGNOSTICS,	/* health, versions, queues: admins; service in a grant */
	MG_ACTION_SECURITY,	/* alerts, incidents, the audit trail: security officers, admins */
	MG_ACTION_MAINTENANCE_ASK,	/* ask for remote maintenance: service accounts */
	MG_ACTION_MAINTENANCE_VIEW,	/* see requests: admins all, service its own */
	MG_ACTION_MAINTENANCE_GRANT,	/* grant, refuse, end: administrators */
	MG_ACTION_CHANGE_REVIEW,	/* mark a change reviewed: security officers */
	MG_ACTION_LOG_READ,	/* the daemon's log: admins; service in a grant */
	MG_ACTION_SELF_TEST,	/* run the self-test: admins; service in a grant */
	MG_ACTION_FIRMWARE_READ,	/* firmware releases: device admins; service in a grant */
	MG_ACTION_COUNT
};

#define MG_PRINCIPAL_TENANTS_MAX 64

struct mg_principal {
	int64_t user_id;		/* 0 = nobody signed in */
	char name[MG_NAME_MAX + 1];
	unsigned roles;
	size_t ntenants;
	int64_t tenants[MG_PRINCIPAL_TENANTS_MAX];
	/* A service account's active maintenance grant (0: none) and what its
	 * scope allows (enum mg_maintenance_scope bits). */
	int64_t maintenance_id;
	unsigned maintenance_scope;
};

/* Whether p may do action; tenant_id is the tenant of the object, or 0
 * when the action is not about one tenant's data. */
bool mg_authz_allows(const struct mg_principal *p, enum mg_action action, int64_t tenant_id);

/* Whether p belongs to tenant_id. */
bool mg_principal_in_tenant(const struct mg_principal *p, int64_t tenant_id);

/* The action's name, for the route table and the OpenAPI file. */
const char *mg_action_name(enum mg_action action);

/* Which roles an action needs, as text for people ("clinician of the
 * tenant", "admin"...). */
const char *mg_action_roles(enum mg_action action);

#endif
