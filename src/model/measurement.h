/* A measurement as a device reports it, and the rules every measurement
 * passes whatever transport brought it (HTTPS JSON, HL7 over MLLP, and the
 * sources to come). The rules live here once; the codecs above turn their
 * input into a struct mg_measurement and call mg_measurement_check.
 * Messages name the field by its JSON path ("values[1].value") and never
 * echo a device or patient identifier. */
#ifndef MG_MODEL_MEASUREMENT_H
#define MG_MODEL_MEASUREMENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "model/quantity.h"

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

/* Check every rule on m, with now_ms the current time for the
 * future-skew check: identifiers' lengths and characters (an empty
 * patient id is a measurement without patient, stored unassigned), the time
 * window, 1..MG_VALUES_MAX values, each quantity once, finite values
 * within their quantity's plausible range. Returns 0, MG_ERR_RANGE for a
 * value outside its range (detection tells those apart) or MG_ERR_INVALID,
 * with a message for the sender in err (NUL-terminated when errlen > 0). */
int mg_measurement_check(const struct mg_measurement *m, int64_t now_ms, char *err,
			 size_t errlen);

/* The single rules, for codecs that meet a field before the struct is
 * whole. len counts bytes of s (s need not be NUL-terminated). Each
 * returns 0 or MG_ERR_INVALID (mg_value_check: MG_ERR_RANGE out of range)
 * with the message in err. index is the value's position (values[index]). */
int mg_device_mid_check(const char *s, size_t len, char *err, size_t errlen);
int mg_patient_id_check(const char *s, size_t len, char *err, size_t errlen);
int mg_measurement_time_check(int64_t time_ms, int64_t now_ms, char *err, size_t errlen);
int mg_value_check(size_t index, const struct mg_quantity *q, double value, char *err,
		   size_t errlen);

/* A formatted message into err, ending in "..." when cut. */
__attribute__((format(printf, 3, 4)))
void mg_measurement_error(char *err, size_t errlen, const char *fmt, ...);

#endif
