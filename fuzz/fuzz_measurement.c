/* libFuzzer harness for mg_measurement_parse: any byte string is a body.
 * Beyond "no crash, no leak, no undefined behaviour" it checks the
 * parser's promises: err always NUL-terminated printable ASCII, *m zeroed on
 * error, and on success a struct that obeys every limit and rule. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"
#include "ingest/measurement_json.h"
#include "model/quantity.h"

#define FUZZ_NOW_MS	INT64_C(1795341900000)	/* 2026-11-22T10:05:00Z */
#define TIME_MIN_MS	INT64_C(946684800000)	/* 2000-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

static void check_err(const char *err, size_t errlen)
{
	CHECK(memchr(err, '\0', errlen) != NULL);
	/* Messages are fixed text, numbers and plain identifiers. No such
	 * part contains '@', so an '@' in err is input bytes copied through
	 * unchecked: a device or patient id, a time, a raw key. */
	for (const char *p = err; *p != '\0'; p++) {
		CHECK(*p >= 0x20 && *p <= 0x7e);
		CHECK(*p != '@');
	}
}

static void check_valid(const struct mg_measurement *m)
{
	size_t len;

	len = strnlen(m->device_mid, sizeof(m->device_mid));
	CHECK(len >= 1 && len <= MG_DEVICE_MID_MAX);
	for (size_t i = 0; i < len; i++)
		CHECK(m->device_mid[i] > 0x20 && m->device_mid[i] < 0x7f);

	/* "" is a measurement without patient (docs/ward.md). */
	len = strnlen(m->patient_id, sizeof(m->patient_id));
	CHECK(len <= MG_PATIENT_ID_MAX);
	for (size_t i = 0; i < len; i++)
		CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789-._:/", m->patient_id[i]) != NULL);

	CHECK(m->time_ms >= TIME_MIN_MS);
	CHECK(m->time_ms <= FUZZ_NOW_MS + MG_MEASUREMENT_FUTURE_SKEW_MS);
	CHECK(m->nvalues >= 1 && m->nvalues <= MG_VALUES_MAX);
	for (size_t i = 0; i < m->nvalues; i++) {
		const struct mg_quantity *q = m->values[i].quantity;
		double v = m->values[i].value;

		CHECK(q != NULL && mg_quantity_find(q->name) == q);
		CHECK(isfinite(v) && v >= q->min && v <= q->max);
		for (size_t j = 0; j < i; j++)
			CHECK(m->values[j].quantity != q);
	}
	CHECK(m->device_id == 0 && m->tenant_id == 0);
}

static int all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_measurement m;
	char err[256], small[7];
	int rc, rc2;

	memset(&m, 0xa5, sizeof(m));
	memset(err, 0xa5, sizeof(err));
	rc = mg_measurement_parse((const char *)data, size, FUZZ_NOW_MS, &m, err, sizeof(err));
	check_err(err, sizeof(err));
	if (rc == 0) {
		CHECK(err[0] == '\0');
		check_valid(&m);
	} else {
		CHECK(rc == MG_ERR_INVALID || rc == MG_ERR_RANGE || rc == MG_ERR_NOMEM);
		CHECK(err[0] != '\0');
		CHECK(all_zero(&m, sizeof(m)));
	}

	/* The same body with a tiny err buffer gives the same verdict and a
	 * terminated (cut) message. */
	memset(small, 0xa5, sizeof(small));
	rc2 = mg_measurement_parse((const char *)data, size, FUZZ_NOW_MS, &m, small,
				   1 + size % sizeof(small));
	CHECK(rc2 == rc);
	check_err(small, 1 + size % sizeof(small));
	return 0;
}
