#include "access/switches.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "model/settings.h"
#include "store/store.h"

/* A destination's switch as last read. */
struct destination {
	char name[40];
	bool off;
	int64_t read_ms;
};

struct mg_switches {
	struct mg_store *store;
	atomic_uint off;		/* bit i: interface i switched off */
	atomic_llong read_ms;		/* when last read, monotonic; 0 never */
	pthread_mutex_t lock;		/* the destinations */
	struct destination destinations[MG_SWITCH_DESTINATIONS_MAX];
	size_t ndestinations;
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
	pthread_mutex_init(&sw->lock, NULL);
	*out = sw;
	return 0;
}

void mg_switches_free(struct mg_switches *sw)
{
	if (sw == NULL)
		return;
	pthread_mutex_destroy(&sw->lock);
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

/* Whether the store says destination name is off; a store error: on
 * (forwarding goes on as before a switch was ever set). */
static bool destination_off_read(struct mg_store *store, const char *name)
{
	char setting[64], value[8];

	if (snprintf(setting, sizeof(setting), "%s%s", MG_SETTING_DESTINATION_PREFIX, name) >=
	    (int)sizeof(setting))
		return false;
	return mg_store_setting_get(store, setting, value, sizeof(value)) == 0 &&
	       strcmp(value, MG_SETTING_OFF) == 0;
}

bool mg_destination_on(struct mg_switches *sw, const char *name)
{
	int64_t now = mg_monotonic_ms();
	struct destination *d = NULL;
	bool off;

	if (sw == NULL)
		return true;
	pthread_mutex_lock(&sw->lock);
	for (size_t i = 0; i < sw->ndestinations && d == NULL; i++)
		if (strcmp(sw->destinations[i].name, name) == 0)
			d = &sw->destinations[i];
	if (d == NULL && sw->ndestinations < MG_SWITCH_DESTINATIONS_MAX &&
	    strlen(name) < sizeof(d->name)) {
		d = &sw->destinations[sw->ndestinations++];
		memcpy(d->name, name, strlen(name) + 1);
		d->read_ms = 0;
	}
	if (d != NULL && d->read_ms != 0 && now - d->read_ms < MG_SWITCH_CACHE_MS) {
		off = d->off;
		pthread_mutex_unlock(&sw->lock);
		return !off;
	}
	pthread_mutex_unlock(&sw->lock);
	off = destination_off_read(sw->store, name);
	if (d != NULL) {
		pthread_mutex_lock(&sw->lock);
		d->off = off;
		d->read_ms = now;
		pthread_mutex_unlock(&sw->lock);
	}
	return !off;
}

int mg_destination_set(struct mg_switches *sw, const char *name, bool on)
{
	char setting[64];
	int r;

	if (sw == NULL || name[0] == '\0' ||
	    snprintf(setting, sizeof(setting), "%s%s", MG_SETTING_DESTINATION_PREFIX, name) >=
		    (int)sizeof(setting))
		return MG_ERR_INVALID;
	if ((r = mg_store_setting_set(sw->store, setting, on ? MG_SETTING_ON : MG_SETTING_OFF)) != 0)
		return r;
	pthread_mutex_lock(&sw->lock);
	for (size_t i = 0; i < sw->ndestinations; i++)
		if (strcmp(sw->destinations[i].name, name) == 0)
			sw->destinations[i].read_ms = 0;	/* read again at the next look */
	pthread_mutex_unlock(&sw->lock);
	return 0;
}
