#include "daemon/switches.h"

#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "daemon/gateway.h"
#include "model/settings.h"

static const char *const names[MG_IF_COUNT] = { "device", "enrolment", "mllp", "emr" };

const char *mg_interface_name(enum mg_interface i)
{
	return (unsigned)i < MG_IF_COUNT ? names[i] : "unknown";
}

int mg_interface_parse(const char *text, enum mg_interface *out)
{
	for (unsigned i = 0; i < MG_IF_COUNT; i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = (enum mg_interface)i;
			return 0;
		}
	}
	return MG_ERR_INVALID;
}

static const char *const setting_names[MG_IF_COUNT] = {
	MG_SETTING_INTERFACE_DEVICE, MG_SETTING_INTERFACE_ENROLMENT, MG_SETTING_INTERFACE_MLLP,
	MG_SETTING_INTERFACE_EMR,
};

/* Read every switch into the cache. */
static void refresh(struct gateway *gw, int64_t now)
{
	char value[8];
	unsigned off = atomic_load(&gw->switches_off);

	for (unsigned i = 0; i < MG_IF_COUNT; i++) {
		int r;

		r = mg_store_setting_get(gw->store, setting_names[i], value, sizeof(value));
		if (r == 0 && strcmp(value, MG_SETTING_OFF) == 0)
			off |= 1u << i;
		else if (r == 0 || r == MG_ERR_NOT_FOUND)
			off &= ~(1u << i);
		/* other errors: keep what was known */
	}
	atomic_store(&gw->switches_off, off);
	atomic_store(&gw->switches_read_ms, now);
}

bool mg_interface_on(struct gateway *gw, enum mg_interface i)
{
	int64_t now = mg_monotonic_ms();

	if ((unsigned)i >= MG_IF_COUNT || gw->store == NULL)
		return true;
	if (now - atomic_load(&gw->switches_read_ms) >= MG_SWITCH_CACHE_MS ||
	    atomic_load(&gw->switches_read_ms) == 0)
		refresh(gw, now);
	return (atomic_load(&gw->switches_off) & (1u << i)) == 0;
}

int mg_interface_set(struct gateway *gw, enum mg_interface i, bool on)
{
	int r;

	if ((unsigned)i >= MG_IF_COUNT)
		return MG_ERR_INVALID;
	if ((r = mg_store_setting_set(gw->store, setting_names[i],
				      on ? MG_SETTING_ON : MG_SETTING_OFF)) != 0)
		return r;
	refresh(gw, mg_monotonic_ms());
	return 0;
}
