#include "model/maintenance.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

static const char *const scope_names[] = { "diagnostics", "devices", "device", "log",
					     "self-test", "firmware" };
#define SCOPE_COUNT (sizeof(scope_names) / sizeof(scope_names[0]))

const char *mg_maintenance_scope_name(unsigned bit)
{
	for (unsigned i = 0; i < SCOPE_COUNT; i++) {
		if (bit == 1u << i)
			return scope_names[i];
	}
	return NULL;
}

int mg_maintenance_scope_parse(const char *text, unsigned *scope_out)
{
	unsigned scope = 0;
	const char *p = text;

	*scope_out = 0;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		unsigned i;

		for (i = 0; i < SCOPE_COUNT; i++) {
			if (strlen(scope_names[i]) == n && strncmp(p, scope_names[i], n) == 0)
				break;
		}
		if (i == SCOPE_COUNT)
			return MG_ERR_INVALID;
		scope |= 1u << i;
		p += n;
		if (*p == ',' && *++p == '\0')
			return MG_ERR_INVALID;	/* a trailing comma */
	}
	if (scope == 0)
		return MG_ERR_INVALID;
	*scope_out = scope;
	return 0;
}

void mg_maintenance_scope_text(unsigned scope, char *out, size_t outlen)
{
	size_t len = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	for (unsigned i = 0; i < SCOPE_COUNT; i++) {
		int n;

		if (!(scope & (1u << i)))
			continue;
		n = snprintf(out + len, outlen - len, "%s%s", len ? "," : "", scope_names[i]);
		if (n < 0 || (size_t)n >= outlen - len)
			return;
		len += (size_t)n;
	}
}

const char *mg_maintenance_state_name(const struct mg_maintenance *m, int64_t now_ms)
{
	switch (m->state) {
	case MG_MAINT_REQUESTED: return "requested";
	case MG_MAINT_GRANTED: return m->ends_ms > now_ms ? "granted" : "expired";
	case MG_MAINT_REFUSED: return "refused";
	case MG_MAINT_ENDED: return "ended";
	}
	return "unknown";
}

int mg_maintenance_active(const struct mg_maintenance *m, int64_t now_ms)
{
	return m->state == MG_MAINT_GRANTED && m->ends_ms > now_ms;
}
