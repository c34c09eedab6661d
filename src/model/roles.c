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
