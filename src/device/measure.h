/* Measurements as the device sends them (POST /device/v1/measurements
 * JSON), and a simulated scale that varies its readings realistically. */
#ifndef MG_DEVICE_MEASURE_H
#define MG_DEVICE_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "device/args.h"
#include "device/state.h"

#define MG_DEVICE_MID_LEN_MAX	(MG_DEVICE_PREFIX_LEN + 1 + 20)	/* "<prefix>-<seq>" */

/* What one measurement holds before it gets its id. */
struct mg_device_reading {
	char patient[MG_PATIENT_ID_MAX + 1];
	int64_t time_ms;				/* when measured, Unix ms UTC */
	size_t nvalues;
	struct mg_device_value values[MG_VALUES_MAX];
};

/* State of the simulated scale between readings of one series. */
struct mg_device_scale {
	uint64_t rng;		/* xorshift64* state, never 0 */
	double weight_drift;	/* kg, slow random walk around the given weight */
	double fat_drift;	/* percentage points */
};

/* The device's measurement id for sequence number seq: "<prefix>-<seq>",
 * unique per device because seq never repeats. Returns 0 or MG_ERR_LIMIT. */
int mg_device_measurement_id(const char *prefix, uint64_t seq, char *buf, size_t buflen);

/* The JSON body for reading under id mid: {"id", "time", "patient":
 * {"id"}, "values": [{"type", "value", "unit"}]}. *json is NUL-terminated
 * and the caller's (free). Returns 0, MG_ERR_INVALID (patient id not UTF-8,
 * no values, bad time) or MG_ERR_NOMEM. */
int mg_device_measurement_json(const struct mg_device_reading *r, const char *mid,
			       char **json, size_t *len);

/* Append value (type, number, unit) to r. Returns 0 or MG_ERR_LIMIT past
 * MG_VALUES_MAX. */
int mg_device_reading_add(struct mg_device_reading *r, const char *type, double value,
			  const char *unit);

/* Start a simulated series from seed (any value). */
void mg_device_scale_init(struct mg_device_scale *s, uint64_t seed);

/* Reading i of a series into *out, from base as the user gave it: i == 0
 * is base unchanged; later weights wander by a few hundred grams (clamped
 * to 1.5 % of the base) with BMI following the weight, body fat varies by
 * tenths of a percent; other values stay. All rounded to 0.1. */
void mg_device_scale_next(struct mg_device_scale *s, const struct mg_device_reading *base,
			  size_t i, struct mg_device_reading *out);

#endif
