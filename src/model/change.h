/* Change of a measured value since an earlier one (the previous
 * measurement, or a baseline the clinician chose): in the quantity's unit
 * and in percent of the earlier value. */
#ifndef MG_MODEL_CHANGE_H
#define MG_MODEL_CHANGE_H

#include <stdbool.h>

struct mg_change {
	bool has_change;	/* false: no earlier value to compare with */
	double delta;		/* current - earlier, in the quantity's unit */
	bool has_percent;	/* false when the earlier value is 0 */
	double percent;		/* 100 * delta / |earlier| */
};

/* The change from earlier to current. has_earlier false (no previous
 * measurement or no baseline chosen) gives has_change false; an earlier
 * value of 0 gives the change in units but no percent, since a percentage
 * of nothing is undefined. Returns 0, or MG_ERR_INVALID if current, or an
 * earlier value that is there, is not finite. *out is cleared first. */
int mg_change_compute(double current, bool has_earlier, double earlier, struct mg_change *out);

#endif
