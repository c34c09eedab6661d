/* Wall-clock time as Unix milliseconds, and RFC 3339 text. */
#ifndef MG_COMMON_TIMEFMT_H
#define MG_COMMON_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Current wall-clock time in Unix milliseconds (UTC). */
int64_t mg_now_ms(void);

/* Current monotonic time in milliseconds, for timeouts and rates. */
int64_t mg_monotonic_ms(void);

/* Parse a strict RFC 3339 date-time ("2026-11-22T10:00:00Z"; fractions of a
 * second, truncated to ms, and +HH:MM/-HH:MM offsets allowed; year 1970..9999;
 * second 60 counts as 59; at most MG_TIME_TEXT_MAX bytes) into Unix ms.
 * Returns 0, or MG_ERR_INVALID with *ms_out 0. */
int mg_time_parse(const char *text, int64_t *ms_out);

#define MG_TIME_TEXT_LEN 25	/* "YYYY-MM-DDTHH:MM:SS.mmmZ" plus NUL */

/* Format Unix ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf of at least
 * MG_TIME_TEXT_LEN bytes. Returns 0, MG_ERR_LIMIT if buf is too small, or
 * MG_ERR_INVALID if the year is outside 0000..9999 (buf is then ""). */
int mg_time_format(int64_t ms, char *buf, size_t buflen);

#endif
