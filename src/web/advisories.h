/* The advisory report: what medgatectl advisories import found and the
 * last release feed check, as one JSON object for the API
 * (GET /api/v1/advisories) and medgatectl advisories list --json. */
#ifndef MG_WEB_ADVISORIES_H
#define MG_WEB_ADVISORIES_H

#include <jansson.h>

#include "store/store.h"

/* {"import": {...} or null, "affected": [{"package", "source", "advisory",
 * "installed", "fixed" (null: none yet), "summary", "imported"}],
 * "update": {...} or null}. *out is a new reference. Returns 0, or the
 * store's error, or MG_ERR_NOMEM. */
int mg_advisory_report(struct mg_store *store, json_t **out);

#endif
