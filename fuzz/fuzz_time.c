/* libFuzzer harness for mg_time_parse and mg_time_format: any bytes, cut at
 * the first NUL, are a time text. An accepted time lies in the documented
 * range and, in UTC, survives format → parse unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"
#include "common/timefmt.h"

#define DAY_MS		INT64_C(86400000)
#define YEAR_10000_MS	INT64_C(253402300800000)	/* 10000-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), out[MG_TIME_TEXT_LEN];
	int64_t ms = 1, back;
	int rc;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = mg_time_parse(text, &ms);
	if (rc != 0) {
		CHECK(rc == MG_ERR_INVALID && ms == 0);
		free(text);
		return 0;
	}
	CHECK(strlen(text) <= MG_TIME_TEXT_MAX);
	/* year 1970..9999 as written, shifted by an offset of under a day */
	CHECK(ms > -DAY_MS && ms < YEAR_10000_MS + DAY_MS);
	rc = mg_time_format(ms, out, sizeof(out));
	if (ms >= 0 && ms < YEAR_10000_MS) {
		CHECK(rc == 0);
		CHECK(strlen(out) == MG_TIME_TEXT_LEN - 1);
		CHECK(mg_time_parse(out, &back) == 0);
		CHECK(back == ms);
	}
	free(text);
	return 0;
}
