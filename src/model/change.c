/* Change since an earlier value. */
#include <math.h>
#include <string.h>

#include "common/err.h"
#include "model/change.h"

int mg_change_compute(double current, bool has_earlier, double earlier, struct mg_change *out)
{
	memset(out, 0, sizeof(*out));
	if (!isfinite(current) || (has_earlier && !isfinite(earlier)))
		return MG_ERR_INVALID;
	if (!has_earlier)
		return 0;
	out->has_change = true;
	out->delta = current - earlier;
	if (earlier != 0.0) {
		/* The magnitude, so a rise reads as a positive percent even
		 * for a quantity that can be negative. */
		out->percent = 100.0 * out->delta / fabs(earlier);
		out->has_percent = true;
	}
	return 0;
}
