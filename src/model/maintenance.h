/* Remote maintenance (BSI OPS.1.2.5, IEC 62443-3-3 SR 1.13): a service
 * account signs in but can only ask for maintenance; a local administrator
 * grants (or refuses) it for a time and a scope, and can end it at once.
 * Inside a grant the service account may do what the scope names, never
 * more, and never anything with patient data. */
#ifndef MG_MODEL_MAINTENANCE_H
#define MG_MODEL_MAINTENANCE_H

#include <stddef.h>
#include <stdint.h>

/* What a grant lets the service account do (bits). */
enum mg_maintenance_scope {
	MG_MAINT_DIAGNOSTICS = 1u << 0,	/* health, versions, EMR queue status */
	MG_MAINT_DEVICES = 1u << 1,	/* the device inventory (read) */
	/* Service of one device (device_id): once its consent button is
	 * pressed, the device is out of service until the grant ends. */
	MG_MAINT_DEVICE = 1u << 2,
	MG_MAINT_LOG = 1u << 3,		/* the daemon's log (holds no patient data) */
	MG_MAINT_SELFTEST = 1u << 4,	/* run the self-test */
	MG_MAINT_FIRMWARE = 1u << 5,	/* the firmware releases devices update to (read) */
};
#define MG_MAINT_SCOPE_ALL                                                                    \
	(MG_MAINT_DIAGNOSTICS | MG_MAINT_DEVICES | MG_MAINT_DEVICE | MG_MAINT_LOG |           \
	 MG_MAINT_SELFTEST | MG_MAINT_FIRMWARE)

enum mg_maintenance_state {
	MG_MAINT_REQUESTED,	/* asked for, waiting for an administrator */
	MG_MAINT_GRANTED,	/* active until ends_ms */
	MG_MAINT_REFUSED,
	MG_MAINT_ENDED,		/* revoked or ended before its time */
};

#define MG_MAINT_REASON_MAX	512
#define MG_MAINT_MINUTES_MAX	(8 * 60)	/* one working day at most */

struct mg_maintenance {
	int64_t id;
	int64_t user_id;		/* the service account */
	unsigned scope;			/* enum mg_maintenance_scope bits */
	char reason[MG_MAINT_REASON_MAX + 1];
	unsigned minutes;		/* asked for, or granted */
	enum mg_maintenance_state state;
	int64_t requested_ms;
	int64_t decided_by;		/* administrator's account; 0 the host's operator */
	int64_t decided_ms;
	int64_t ends_ms;		/* granted: when it ends by itself; ended: when it ended */
	int64_t device_id;		/* MG_MAINT_DEVICE: the device; else 0 */
	int64_t consent_ms;		/* when the device's consent button was pressed; 0 not yet */
};

/* "diagnostics", "devices", "device", "log", "self-test", "firmware";
 * NULL for anything but exactly one bit. */
const char *mg_maintenance_scope_name(unsigned bit);

/* Parse a comma-separated list of scope names into bits. Returns 0, or
 * MG_ERR_INVALID for an empty list or an unknown name. */
int mg_maintenance_scope_parse(const char *text, unsigned *scope_out);

/* The scope as "diagnostics,devices" into out. */
void mg_maintenance_scope_text(unsigned scope, char *out, size_t outlen);

/* "requested", "granted", "refused", "ended", and "expired" for a grant
 * whose time has run out by now_ms. */
const char *mg_maintenance_state_name(const struct mg_maintenance *m, int64_t now_ms);

/* Whether m lets its account act now. */
int mg_maintenance_active(const struct mg_maintenance *m, int64_t now_ms);

#endif
