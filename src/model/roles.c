#include "model/roles.h"

#include <string.h>

#include "common/err.h"

static const struct {
	unsigned role;
	const char *name;
} roles[MG_ROLE_COUNT] = {
	{ MG_ROLE_CLINICIAN, "clinician" },
	{ MG_ROLE_ADMIN, "admin" },
	{ MG_ROLE_TENANT_ADMIN, "tenant-admin" },
	{ MG_ROLE_DEVICE_ADMIN, "device-admin" },
	{ MG_ROLE_SERVICE, "service" },
	{ MG_ROLE_SECURITY_OFFICER, "security-officer" },
};

const char *mg_role_name(unsigned role)
{
	for (unsigned i = 0; i < MG_ROLE_COUNT; i++) {
		if (roles[i].role == role)
			return roles[i].name;
	}
	return NULL;
}

int mg_role_parse(const char *name, unsigned *role_out)
{
	for (unsigned i = 0; i < MG_ROLE_COUNT; i++) {
		if (strcmp(roles[i].name, name) == 0) {
			*role_out = roles[i].role;
			return 0;
		}
	}
	return MG_ERR_INVALID;
}

unsigned mg_role_at(unsigned i)
{
	return i < MG_ROLE_COUNT ? roles[i].role : 0;
}

/* The administrative roles a clinician may not also hold, in the order
 * the conflict names them. */
static const struct {
	unsigned role;
	const char *conflict;
} clinician_conflicts[] = {
	{ MG_ROLE_ADMIN, "clinician cannot be held together with admin" },
	{ MG_ROLE_TENANT_ADMIN, "clinician cannot be held together with tenant-admin" },
	{ MG_ROLE_DEVICE_ADMIN, "clinician cannot be held together with device-admin" },
	{ MG_ROLE_SERVICE, "clinician cannot be held together with service" },
	{ MG_ROLE_SECURITY_OFFICER, "clinician cannot be held together with security-officer" },
};

const char *mg_roles_conflict(unsigned set)
{
	if (set & MG_ROLE_CLINICIAN) {
		for (size_t i = 0; i < sizeof(clinician_conflicts) / sizeof(clinician_conflicts[0]);
		     i++) {
			if (set & clinician_conflicts[i].role)
				return clinician_conflicts[i].conflict;
		}
	}
	if ((set & MG_ROLE_ADMIN) && (set & MG_ROLE_TENANT_ADMIN))
		return "admin cannot be held together with tenant-admin";
	return NULL;
}
