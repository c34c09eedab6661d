/* A person's age at a measurement, the way the clinical references count
 * it: whole days (WHO Child Growth Standards), exact months of 30.4375 days
 * (WHO Reference 2007) and completed calendar years and months (the adult
 * boundary, and what a page shows). Times are Unix ms, UTC. */
#ifndef MG_MODEL_AGE_H
#define MG_MODEL_AGE_H

#include <stdint.h>

/* A birth date that is not known (0 is 1970-01-01, a real birth date). */
#define MG_TIME_UNKNOWN INT64_MIN

/* Days in WHO's month: 365.25 / 12. */
#define MG_DAYS_PER_MONTH 30.4375

/* Times outside 0000-01-01 .. 9999-12-31 are refused. */
#define MG_TIME_MIN_MS (-62167219200000LL)
#define MG_TIME_MAX_MS 253402300799999LL

struct mg_age {
	int64_t days;		/* whole days, rounded half up (WHO Anthro) */
	double months;		/* exact: days between the two times / 30.4375 */
	int years;		/* completed calendar years */
	int months_in_year;	/* completed calendar months after years (0..11) */
};

/* The age at measured_ms of someone born at birth_ms. Returns 0,
 * MG_ERR_NOT_FOUND if birth_ms is MG_TIME_UNKNOWN, MG_ERR_RANGE if birth
 * is after the measurement, or MG_ERR_INVALID for a time outside
 * MG_TIME_MIN_MS..MG_TIME_MAX_MS. *out is cleared first. */
int mg_age_compute(int64_t birth_ms, int64_t measured_ms, struct mg_age *out);

#endif
