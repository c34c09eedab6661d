/* LMS tables and z-scores (Cole's LMS method, as WHO applies it). */
#include <math.h>
#include <string.h>

#include "common/err.h"
#include "model/growth.h"

int mg_lms_at_day(const struct mg_lms_table *t, int64_t age_days, struct mg_lms *out)
{
	memset(out, 0, sizeof(*out));
	if (t == NULL || t->unit != MG_AGE_DAYS)
		return MG_ERR_INVALID;
	if (age_days < (int64_t)t->first || age_days - (int64_t)t->first >= (int64_t)t->count)
		return MG_ERR_RANGE;
	*out = t->rows[age_days - (int64_t)t->first];
	return 0;
}

int mg_lms_at_month(const struct mg_lms_table *t, double months, struct mg_lms *out)
{
	const struct mg_lms *lo, *hi;
	double whole, frac, last;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (t == NULL || t->unit != MG_AGE_MONTHS || !isfinite(months) || t->count == 0)
		return MG_ERR_INVALID;
	last = (double)t->first + (double)(t->count - 1);
	if (months < (double)t->first || months > last)
		return MG_ERR_RANGE;
	whole = floor(months);
	frac = months - whole;
	i = (size_t)(whole - (double)t->first);
	lo = &t->rows[i];
	hi = i + 1 < t->count ? &t->rows[i + 1] : lo;
	out->l = lo->l + frac * (hi->l - lo->l);
	out->m = lo->m + frac * (hi->m - lo->m);
	out->s = lo->s + frac * (hi->s - lo->s);
	return 0;
}

double mg_lms_zscore(double x, const struct mg_lms *p)
{
	if (p->l == 0.0)
		return log(x / p->m) / p->s;
	return (pow(x / p->m, p->l) - 1.0) / (p->l * p->s);
}

double mg_lms_value(const struct mg_lms *p, double z)
{
	double base;

	if (p->l == 0.0)
		return p->m * exp(p->s * z);
	base = 1.0 + p->l * p->s * z;
	if (base <= 0.0)
		return NAN;
	return p->m * pow(base, 1.0 / p->l);
}

/* Beyond +-3 SD the LMS curves of skewed measures stretch (or squeeze) the
 * tail; WHO measures the distance past the 3 SD value in units of the
 * 2-to-3 SD distance at that age instead (the "restricted application of
 * the LMS method"). With the negative L of BMI the -3 SD value always
 * exists; should a table's 1 + L*S*z vanish, the plain z-score stands. */
double mg_lms_zscore_who(double x, const struct mg_lms *p)
{
	double z = mg_lms_zscore(x, p);
	double sd3, sd2;

	if (z > 3.0) {
		sd3 = mg_lms_value(p, 3.0);
		sd2 = mg_lms_value(p, 2.0);
		if (isfinite(sd3) && isfinite(sd2) && sd3 > sd2)
			z = 3.0 + (x - sd3) / (sd3 - sd2);
	} else if (z < -3.0) {
		sd3 = mg_lms_value(p, -3.0);
		sd2 = mg_lms_value(p, -2.0);
		if (isfinite(sd3) && isfinite(sd2) && sd2 > sd3)
			z = -3.0 + (x - sd3) / (sd2 - sd3);
	}
	return z;
}
