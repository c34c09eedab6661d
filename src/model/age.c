/* Ages for the clinical references. Calendar arithmetic is done on UTC
 * dates with the days-from-civil algorithm (H. Hinnant, "chrono-Compatible
 * Low-Level Date Algorithms"), so no time zone or libc state is involved. */
#include <math.h>
#include <string.h>

#include "common/err.h"
#include "model/age.h"

#define MS_PER_DAY 86400000LL

struct civil {
	int64_t year;
	int month;	/* 1..12 */
	int day;	/* 1..31 */
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The UTC calendar date of Unix day number z (days since 1970-01-01). */
static struct civil civil_from_days(int64_t z)
{
	struct civil c;
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	c.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	c.year = yoe + era * 400 + (c.month <= 2);
	return c;
}

int mg_age_compute(int64_t birth_ms, int64_t measured_ms, struct mg_age *out)
{
	struct civil b, m;
	int64_t total_months;

	memset(out, 0, sizeof(*out));
	if (birth_ms == MG_TIME_UNKNOWN)
		return MG_ERR_NOT_FOUND;
	if (birth_ms < MG_TIME_MIN_MS || birth_ms > MG_TIME_MAX_MS ||
	    measured_ms < MG_TIME_MIN_MS || measured_ms > MG_TIME_MAX_MS)
		return MG_ERR_INVALID;
	if (birth_ms > measured_ms)
		return MG_ERR_RANGE;

	/* Both times lie within 10000 years, so the difference cannot overflow. */
	out->days = (measured_ms - birth_ms + MS_PER_DAY / 2) / MS_PER_DAY;
	out->months = (double)(measured_ms - birth_ms) / (double)MS_PER_DAY / MG_DAYS_PER_MONTH;

	b = civil_from_days(floor_div(birth_ms, MS_PER_DAY));
	m = civil_from_days(floor_div(measured_ms, MS_PER_DAY));
	total_months = (m.year - b.year) * 12 + (m.month - b.month);
	/* A month is completed on the same day of the month; someone born on
	 * the 31st completes it on the last day of a shorter month. */
	if (m.day < b.day) {
		static const int month_days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int last = month_days[m.month - 1];
		int leap = (m.year % 4 == 0 && m.year % 100 != 0) || m.year % 400 == 0;

		if (m.month == 2 && leap)
			last = 29;
		if (m.day != last)
			total_months--;
	}
	out->years = (int)(total_months / 12);
	out->months_in_year = (int)(total_months % 12);
	return 0;
}
