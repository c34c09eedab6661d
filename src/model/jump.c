/* Implausible jumps (model/jump.h): per quantity, how much percent of
 * change within how long a window no real body makes. Conservative:
 * dehydration, oedema or a meal move weight by a few percent a day, so
 * only more than 5 % within 24 hours is flagged; a height (an adult's
 * does not change, a child's grows by millimetres a week) by 2 %. */
#include "model/jump.h"

#include <math.h>
#include <string.h>

#define HOUR_MS (60 * 60 * 1000LL)

static const struct {
	const char *quantity;
	double percent;		/* |change| above this, */
	int64_t window_ms;	/* between measurements at most this far apart */
} thresholds[] = {
	{ "body_weight", 5.0, 24 * HOUR_MS },
	{ "bmi", 5.0, 24 * HOUR_MS },
	{ "body_height", 2.0, 24 * HOUR_MS },
};

bool mg_jump_is(const char *quantity, double percent, int64_t earlier_ms, int64_t later_ms)
{
	if (quantity == NULL || !isfinite(percent) || later_ms < earlier_ms)
		return false;
	for (size_t i = 0; i < sizeof(thresholds) / sizeof(thresholds[0]); i++)
		if (strcmp(thresholds[i].quantity, quantity) == 0)
			return fabs(percent) > thresholds[i].percent &&
			       later_ms - earlier_ms <= thresholds[i].window_ms;
	return false;
}
