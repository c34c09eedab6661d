/* A measurement as a device sends it, validated. The parser turns outside
 * JSON into this struct or into an error message naming the problem; it
 * never echoes a patient identifier into that message. */
#ifndef MG_INGEST_MEASUREMENT_H
#define MG_INGEST_MEASUREMENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "ingest/quantity.h"

struct mg_value {
	const struct mg_quantity *quantity;	/* points into the table */
	double value;				/* in quantity->ucum */
};

struct mg_measurement {
	char device_mid[MG_DEVICE_MID_MAX + 1];	/* the device's own id */
	char patient_id[MG_PATIENT_ID_MAX + 1];	/* clear text, memory only */
	int64_t time_ms;			/* when measured, Unix ms UTC */
	size_t nvalues;
	struct mg_value values[MG_VALUES_MAX];
	/* Set by the ingest path from the authenticated device: */
	int64_t device_id;
	int64_t tenant_id;
};

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
