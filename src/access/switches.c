#include "access/switches.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "model/settings.h"
#include "store/store.h"

struct mg_switches {
	struct mg_store *store;
	atomic_uint off;		/* bit i: interface i switched off */
	atomic_llong read_ms;		/* when last read, monotonic; 0 never */
};

static const char *const names[MG_IF_COUNT] = { "device", "enrolment", "mllp", "emr", "web" };

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
	MG_SETTING_INTERFACE_EMR, MG_SETTING_INTERFACE_WEB,
};

bool mg_interface_web_switchable(enum mg_interface i)
{
	return (unsigned)i < MG_IF_COUNT && i != MG_IF_WEB;
}

int mg_switches_new(struct mg_store *store, struct mg_switches **out)
{
	struct mg_switches *sw;

	*out = NULL;
	if ((sw = calloc(1, sizeof(*sw))) == NULL)
		return MG_ERR_NOMEM;
	sw->store = store;
	atomic_init(&sw->off, 0);
	atomic_init(&sw->read_ms, 0);
	*out = sw;
	return 0;
}

void mg_switches_free(struct mg_switches *sw)
{
	free(sw);
}

/* Read every switch into the cache. */
static void refresh(struct mg_switches *sw, int64_t now)
{
	char value[8];
	unsigned off = atomic_load(&sw->off);

	for (unsigned i = 0; i < MG_IF_COUNT; i++) {
		int r;

		r = mg_store_setting_get(sw->store, setting_names[i], value, sizeof(value));
		if (r == 0 && strcmp(value, MG_SETTING_OFF) == 0)
			off |= 1u << i;
		else if (r == 0 || r == MG_ERR_NOT_FOUND)
			off &= ~(1u << i);
		/* other errors: keep what was known */
	}
	atomic_store(&sw->off, off);
	atomic_store(&sw->read_ms, now);
}

bool mg_interface_on(struct mg_switches *sw, enum mg_interface i)
{
	int64_t now = mg_monotonic_ms();

	if ((unsigned)i >= MG_IF_COUNT || sw == NULL)
		return true;
	if (now - atomic_load(&sw->read_ms) >= MG_SWITCH_CACHE_MS ||
	    atomic_load(&sw->read_ms) == 0)
		refresh(sw, now);
	return (atomic_load(&sw->off) & (1u << i)) == 0;
}

int mg_interface_set(struct mg_switches *sw, enum mg_interface i, bool on)
{
	int r;

	if (sw == NULL || (unsigned)i >= MG_IF_COUNT)
		return MG_ERR_INVALID;
	if ((r = mg_store_setting_set(sw->store, setting_names[i],
				      on ? MG_SETTING_ON : MG_SETTING_OFF)) != 0)
		return r;
	refresh(sw, mg_monotonic_ms());
	return 0;
}
