/* Wall-clock and monotonic milliseconds, and strict RFC 3339 date-time text.
 *
 * The conversion between civil dates and days since 1970-01-01 is computed
 * here (Howard Hinnant's days_from_civil / civil_from_days) so that neither
 * the process time zone nor timegm() can change a result. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/limits.h"
#include "common/timefmt.h"

#define MS_PER_SECOND	1000LL
#define MS_PER_MINUTE	(60 * MS_PER_SECOND)
#define MS_PER_HOUR	(60 * MS_PER_MINUTE)
#define MS_PER_DAY	(24 * MS_PER_HOUR)

static int64_t timespec_to_ms(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * MS_PER_SECOND + ts->tv_nsec / 1000000;
}

int64_t mg_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return timespec_to_ms(&ts);
}

int64_t mg_monotonic_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return timespec_to_ms(&ts);
}

static bool is_leap_year(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month == 2 && is_leap_year(year))
		return 29;
	return days[month - 1];
}

/* Days from 1970-01-01 to year-month-day of the proleptic Gregorian
 * calendar (negative before 1970). */
static int64_t days_from_civil(int64_t year, int month, int day)
{
	int64_t era, yoe, doy, doe;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	yoe = year - era * 400;
	doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *year, int *month, int *day)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (*month <= 2);
}

/* Read exactly n decimal digits at *p into *out and advance *p. */
static bool read_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool expect_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

int mg_time_parse(const char *text, int64_t *ms_out)
{
	const char *p = text;
	int year, month, day, hour, minute, second, millis = 0;
	int offset_minutes = 0;
	size_t len;

	*ms_out = 0;
	if (text == NULL)
		return MG_ERR_INVALID;
	/* Bounded before any other look at the text. */
	len = strnlen(text, MG_TIME_TEXT_MAX + 1);
	if (len > MG_TIME_TEXT_MAX)
		return MG_ERR_INVALID;

	/* full-date: YYYY-MM-DD */
	if (!read_digits(&p, 4, &year) || !expect_char(&p, '-') ||
	    !read_digits(&p, 2, &month) || !expect_char(&p, '-') ||
	    !read_digits(&p, 2, &day))
		return MG_ERR_INVALID;
	if (year < 1970 || month < 1 || month > 12 || day < 1 ||
	    day > days_in_month(year, month))
		return MG_ERR_INVALID;

	/* "T" (RFC 3339 section 5.6 allows lowercase too) */
	if (*p != 'T' && *p != 't')
		return MG_ERR_INVALID;
	p++;

	/* partial-time: HH:MM:SS[.fraction] */
	if (!read_digits(&p, 2, &hour) || !expect_char(&p, ':') ||
	    !read_digits(&p, 2, &minute) || !expect_char(&p, ':') ||
	    !read_digits(&p, 2, &second))
		return MG_ERR_INVALID;
	if (hour > 23 || minute > 59 || second > 60)
		return MG_ERR_INVALID;
	if (second == 60)
		second = 59;	/* a leap second counts as the second before it */
	if (*p == '.') {
		int scale = 100, ndigits = 0;

		p++;
		while (*p >= '0' && *p <= '9') {
			millis += (*p - '0') * scale;	/* beyond 1 ms: truncated */
			scale /= 10;
			ndigits++;
			p++;
		}
		if (ndigits == 0)
			return MG_ERR_INVALID;
	}

	/* time-offset: Z or +HH:MM / -HH:MM */
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, off_hour, off_minute;

		p++;
		if (!read_digits(&p, 2, &off_hour) || !expect_char(&p, ':') ||
		    !read_digits(&p, 2, &off_minute))
			return MG_ERR_INVALID;
		if (off_hour > 23 || off_minute > 59)
			return MG_ERR_INVALID;
		offset_minutes = sign * (off_hour * 60 + off_minute);
	} else {
		return MG_ERR_INVALID;
	}
	if (*p != '\0')
		return MG_ERR_INVALID;

	*ms_out = days_from_civil(year, month, day) * MS_PER_DAY +
		  hour * MS_PER_HOUR + minute * MS_PER_MINUTE +
		  second * MS_PER_SECOND + millis -
		  offset_minutes * MS_PER_MINUTE;
	return 0;
}

/* Floor division, so that times before 1970 land on the right day. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int mg_time_format(int64_t ms, char *buf, size_t buflen)
{
	int64_t days, rest, year;
	int month, day, r;

	if (buf == NULL || buflen < MG_TIME_TEXT_LEN) {
		if (buf != NULL && buflen > 0)
			buf[0] = '\0';
		return MG_ERR_LIMIT;
	}
	buf[0] = '\0';
	/* Keeps the arithmetic below far from overflow; checked exactly by
	 * the year test. */
	if (ms < -(INT64_C(1) << 52) || ms > (INT64_C(1) << 52))
		return MG_ERR_INVALID;
	days = floor_div(ms, MS_PER_DAY);
	rest = ms - days * MS_PER_DAY;
	civil_from_days(days, &year, &month, &day);
	if (year < 0 || year > 9999)
		return MG_ERR_INVALID;
	r = snprintf(buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		     (int)year, month, day, (int)(rest / MS_PER_HOUR),
		     (int)(rest / MS_PER_MINUTE % 60),
		     (int)(rest / MS_PER_SECOND % 60), (int)(rest % 1000));
	if (r < 0 || (size_t)r >= buflen) {
		buf[0] = '\0';
		return MG_ERR_LIMIT;
	}
	return 0;
}
