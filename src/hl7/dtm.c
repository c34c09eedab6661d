/* HL7 DTM date-times: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ].
 * We always write UTC with milliseconds; we read only what pins down an
 * instant (minutes at least, and the UTC offset), and let mg_time_parse
 * do the calendar arithmetic and checks, so there is one of each. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "hl7/internal.h"

int hl7_dtm_format(int64_t ms, char buf[HL7_DTM_LEN])
{
	int64_t seconds = ms / 1000, millis = ms % 1000;
	time_t t;
	struct tm tm;
	int r;

	buf[0] = '\0';
	if (millis < 0) {
		millis += 1000;
		seconds--;
	}
	t = (time_t)seconds;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return MG_ERR_INVALID;
	r = snprintf(buf, HL7_DTM_LEN, "%04d%02d%02d%02d%02d%02d.%03d+0000",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, (int)millis);
	if (r < 0 || r >= HL7_DTM_LEN) {
		buf[0] = '\0';
		return MG_ERR_INVALID;
	}
	return 0;
}

static size_t count_digits(const char *s)
{
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

int hl7_dtm_parse(const char *text, int64_t *ms)
{
	char rfc[MG_TIME_TEXT_MAX + 1];
	const char *p = text, *fraction = "", *seconds = "00";
	size_t digits = count_digits(p), nfraction = 0;
	int r;

	*ms = 0;
	/* YYYYMMDDHHMM, then optional SS */
	if (digits != 12 && digits != 14)
		return MG_ERR_INVALID;
	if (digits == 14)
		seconds = p + 12;
	p += digits;
	if (*p == '.') {
		if (digits != 14)
			return MG_ERR_INVALID;
		nfraction = count_digits(p + 1);
		if (nfraction < 1 || nfraction > 4)
			return MG_ERR_INVALID;
		fraction = p;
		p += 1 + nfraction;
	}
	if ((*p != '+' && *p != '-') || count_digits(p + 1) != 4 || p[5] != '\0')
		return MG_ERR_INVALID;
	r = snprintf(rfc, sizeof(rfc), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s%.*s%c%.2s:%.2s",
		     text, text + 4, text + 6, text + 8, text + 10, seconds,
		     (int)(nfraction ? nfraction + 1 : 0), fraction, p[0], p + 1, p + 3);
	if (r < 0 || (size_t)r >= sizeof(rfc))
		return MG_ERR_INVALID;
	return mg_time_parse(rfc, ms) == 0 ? 0 : MG_ERR_INVALID;
}
