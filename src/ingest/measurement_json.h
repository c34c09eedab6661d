/* The device API's measurement body (JSON, docs/device-api.md) into a
 * struct mg_measurement that passed the model's rules. */
#ifndef MG_INGEST_MEASUREMENT_JSON_H
#define MG_INGEST_MEASUREMENT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "model/measurement.h"

/* Parse and validate a measurement body of len bytes (not NUL-terminated)
 * into *m, with now_ms the current time for the future-skew check.
 * Returns 0, or MG_ERR_INVALID (MG_ERR_RANGE for a value outside its
 * quantity's plausible range, MG_ERR_NOMEM if jansson ran out of memory)
 * with *m all zero and a message for the client in err (always
 * NUL-terminated when errlen > 0, never containing patient data).
 * device_id and tenant_id are left 0 for the caller. */
int mg_measurement_parse(const char *body, size_t len, int64_t now_ms,
			 struct mg_measurement *m, char *err, size_t errlen);

#endif
