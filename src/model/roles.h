/* The roles of the white paper's user groups. An account may hold several. */
#ifndef MG_MODEL_ROLES_H
#define MG_MODEL_ROLES_H

enum mg_role {
	MG_ROLE_CLINICIAN = 1u << 0,	/* sees patients of its tenants */
	MG_ROLE_ADMIN = 1u << 1,	/* accounts and settings; no patient data */
	MG_ROLE_TENANT_ADMIN = 1u << 2,	/* tenants and members; no patient data */
	MG_ROLE_DEVICE_ADMIN = 1u << 3,	/* devices and tokens; no patient data */
	MG_ROLE_SERVICE = 1u << 4,	/* diagnostics under consent; no patient data */
	MG_ROLE_SECURITY_OFFICER = 1u << 5, /* alerts and incidents; no patient data */
};
#define MG_ROLES_ALL 0x3fu
#define MG_ROLE_COUNT 6

/* The role's name ("clinician", "admin", "tenant-admin", "device-admin",
 * "service", "security-officer"), or NULL if role is not exactly one role. */
const char *mg_role_name(unsigned role);

/* Parse one role name. Returns 0 or MG_ERR_INVALID. */
int mg_role_parse(const char *name, unsigned *role_out);

/* The i-th role (0 <= i < MG_ROLE_COUNT). */
unsigned mg_role_at(unsigned i);

/* Separation of duties: NULL if one account may hold the set roles, else
 * a sentence naming the conflict ("clinician cannot be held together
 * with admin"). Clinician never goes with an administrative role (admin,
 * tenant-admin, device-admin, service, security-officer), nor admin with
 * tenant-admin. Bits outside MG_ROLES_ALL are not looked at. */
const char *mg_roles_conflict(unsigned roles);

#endif
