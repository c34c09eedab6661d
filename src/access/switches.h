/* Interface switches: an administrator (or an incident response) can
 * switch the device port, enrolment, the inbound MLLP port or forwarding
 * to the EMRs off without a restart, and on again; the web port only an
 * operator on the host (medgatectl interface), so that nobody locks the
 * administrators out from the web. A switched-off port closes its
 * listening socket (connect attempts are refused) within a second or two,
 * and listens again when switched on. The state lives in the
 * store's settings, so every gateway on one database follows it within
 * MG_SWITCH_CACHE_MS. A switched-off interface refuses new work with a
 * clear answer (devices keep their measurements queued and retry; the EMR
 * queue keeps growing and catches up when switched on). */
#ifndef MG_ACCESS_SWITCHES_H
#define MG_ACCESS_SWITCHES_H

#include <stdbool.h>

struct mg_store;
struct mg_switches;

enum mg_interface { MG_IF_DEVICE, MG_IF_ENROLMENT, MG_IF_MLLP, MG_IF_EMR, MG_IF_WEB, MG_IF_COUNT };

#define MG_SWITCH_CACHE_MS 1000

/* "device", "enrolment", "mllp", "emr", "web"; parse answers MG_ERR_INVALID. */
const char *mg_interface_name(enum mg_interface i);
int mg_interface_parse(const char *text, enum mg_interface *out);

/* The switches of this gateway, read from store (which must outlive them).
 * Returns 0 or MG_ERR_NOMEM; *out is the caller's (mg_switches_free). */
int mg_switches_new(struct mg_store *store, struct mg_switches **out);
void mg_switches_free(struct mg_switches *sw);

/* Whether i is on (it is unless switched off); read from the store at most
 * once per MG_SWITCH_CACHE_MS. A store error keeps the last known state.
 * sw may be NULL (everything on). Thread-safe. */
bool mg_interface_on(struct mg_switches *sw, enum mg_interface i);

/* Whether the web interface (API, incident actions) may switch i: every
 * interface but the web port itself. */
bool mg_interface_web_switchable(enum mg_interface i);

/* Switch i on or off for every gateway. Returns 0 or the store's error. */
int mg_interface_set(struct mg_switches *sw, enum mg_interface i, bool on);

/* One EMR destination ([emr.NAME]) on its own: off holds its queue (nothing
 * is lost, it catches up when on), beside the "emr" switch for all. Read
 * like the others, at most once per MG_SWITCH_CACHE_MS per destination;
 * names beyond MG_SWITCH_DESTINATIONS_MAX read the store each time.
 * Thread-safe; sw NULL: on. */
#define MG_SWITCH_DESTINATIONS_MAX 8
bool mg_destination_on(struct mg_switches *sw, const char *name);
int mg_destination_set(struct mg_switches *sw, const char *name, bool on);

#endif
