/* The web port's dependencies, made by the daemon and handed to every
 * request of the JSON API and the web interface. Nothing here is the whole
 * daemon: each member is one module the handlers use. Read-only after
 * start, so any thread may use it. */
#ifndef MG_WEB_WEB_H
#define MG_WEB_WEB_H

#include <stdint.h>

#include "access/access.h"
#include "access/switches.h"
#include "common/config.h"
#include "common/metrics.h"
#include "crypto/keyring.h"
#include "store/store.h"

struct mg_detector;
struct mg_mailer;

struct mg_web {
	const struct mg_config *cfg;
	struct mg_store *store;
	struct mg_keyring *keys;
	struct mg_access *access;	/* sign-in and sessions */
	struct mg_switches *switches;	/* interface switches */
	struct mg_detector *detector;	/* alerts; may be NULL */
	struct mg_mailer *mailer;	/* password reset links; may be NULL */
	struct mg_metrics *metrics;	/* counters for /metrics and health; may be NULL */
	/* The metrics credential: the bearer token read from [metrics]
	 * token_file at start (NUL-terminated), or "" (no /metrics). */
	char metrics_token[MG_METRICS_TOKEN_MAX + 1];
	int64_t server_cert_not_after_ms;	/* the web port's certificate; 0 unknown */
	/* Where a tenant's measurements go (the outbox's routing, as ingest
	 * has it): a moved measurement is posted there. NULL: nowhere. */
	size_t (*route)(void *arg, int64_t tenant_id, const char **out, size_t max);
	void *route_arg;
};

#endif
