/* The rules of a measurement (model/measurement.h), one function each, so
 * that every transport applies the same ones with the same messages. */
#include "model/measurement.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define MEASUREMENT_TIME_MIN_MS	INT64_C(946684800000)	/* 2000-01-01T00:00:00Z */
#define NUMBER_TEXT_MAX		32	/* "%.17g" of any double fits */

void mg_measurement_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	r = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (r < 0) {
		(void)snprintf(err, errlen, "invalid measurement");
		return;
	}
	/* A cut message says so rather than ending mid-word unnoticed. */
	if ((size_t)r >= errlen && errlen > 4)
		memcpy(err + errlen - 4, "...", 4);
}

/* Device measurement ids: printable ASCII without space. */
static bool is_mid_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e;
}

/* Patient ids: letters, digits and - . _ : / (no HL7 delimiters, no space). */
static bool is_patient_id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == ':' || c == '/';
}

/* The shortest "%.Ng" text, 15 <= N <= 17, that reads back as d. */
static void format_number(double d, char *buf, size_t buflen)
{
	for (int precision = 15; precision <= 17; precision++) {
		int r = snprintf(buf, buflen, "%.*g", precision, d);

		if (r > 0 && (size_t)r < buflen && strtod(buf, NULL) == d)
			return;
	}
	(void)snprintf(buf, buflen, "%.17g", d);
}

int mg_device_mid_check(const char *s, size_t len, char *err, size_t errlen)
{
	if (len == 0) {
		mg_measurement_error(err, errlen, "id: empty");
		return MG_ERR_INVALID;
	}
	if (len > MG_DEVICE_MID_MAX) {
		mg_measurement_error(err, errlen, "id: longer than %d bytes", MG_DEVICE_MID_MAX);
		return MG_ERR_INVALID;
	}
	for (size_t i = 0; i < len; i++) {
		if (!is_mid_char((unsigned char)s[i])) {
			mg_measurement_error(err, errlen, "id: byte %zu is not printable ASCII "
					     "(space, control and non-ASCII are not allowed)", i);
			return MG_ERR_INVALID;
		}
	}
	return 0;
}

int mg_patient_id_check(const char *s, size_t len, char *err, size_t errlen)
{
	if (len == 0) {
		mg_measurement_error(err, errlen, "patient.id: empty");
		return MG_ERR_INVALID;
	}
	if (len > MG_PATIENT_ID_MAX) {
		mg_measurement_error(err, errlen, "patient.id: longer than %d bytes",
				     MG_PATIENT_ID_MAX);
		return MG_ERR_INVALID;
	}
	for (size_t i = 0; i < len; i++) {
		if (!is_patient_id_char((unsigned char)s[i])) {
			mg_measurement_error(err, errlen, "patient.id: byte %zu is not allowed "
					     "(only A-Z a-z 0-9 - . _ : /)", i);
			return MG_ERR_INVALID;
		}
	}
	return 0;
}

int mg_measurement_time_check(int64_t time_ms, int64_t now_ms, char *err, size_t errlen)
{
	int64_t latest;

	if (time_ms < MEASUREMENT_TIME_MIN_MS) {
		mg_measurement_error(err, errlen, "time: before 2000-01-01T00:00:00Z");
		return MG_ERR_INVALID;
	}
	latest = now_ms > INT64_MAX - MG_MEASUREMENT_FUTURE_SKEW_MS ?
		 INT64_MAX : now_ms + MG_MEASUREMENT_FUTURE_SKEW_MS;
	if (time_ms > latest) {
		mg_measurement_error(err, errlen, "time: more than %lld s in the future",
				     (long long)(MG_MEASUREMENT_FUTURE_SKEW_MS / 1000));
		return MG_ERR_INVALID;
	}
	return 0;
}

int mg_value_check(size_t index, const struct mg_quantity *q, double value, char *err,
		   size_t errlen)
{
	char number[NUMBER_TEXT_MAX], min[NUMBER_TEXT_MAX], max[NUMBER_TEXT_MAX];

	if (q == NULL) {
		mg_measurement_error(err, errlen, "values[%zu].type: unknown quantity", index);
		return MG_ERR_INVALID;
	}
	if (!isfinite(value)) {
		mg_measurement_error(err, errlen, "values[%zu].value: not a finite number", index);
		return MG_ERR_INVALID;
	}
	if (value < q->min || value > q->max) {
		/* A measured value is not an identifier; it may be repeated. */
		format_number(value, number, sizeof(number));
		format_number(q->min, min, sizeof(min));
		format_number(q->max, max, sizeof(max));
		mg_measurement_error(err, errlen, "values[%zu].value: %s out of range %s..%s for %s",
				     index, number, min, max, q->name);
		return MG_ERR_RANGE;
	}
	return 0;
}

static int values_check(const struct mg_measurement *m, char *err, size_t errlen)
{
	int r;

	if (m->nvalues == 0) {
		mg_measurement_error(err, errlen, "values: empty, expected 1..%d entries",
				     MG_VALUES_MAX);
		return MG_ERR_INVALID;
	}
	if (m->nvalues > MG_VALUES_MAX) {
		mg_measurement_error(err, errlen, "values: more than %d entries", MG_VALUES_MAX);
		return MG_ERR_INVALID;
	}
	for (size_t i = 0; i < m->nvalues; i++) {
		const struct mg_quantity *q = m->values[i].quantity;

		for (size_t j = 0; q != NULL && j < i; j++) {
			if (m->values[j].quantity == q) {
				mg_measurement_error(err, errlen, "values[%zu].type: %s appears "
						     "more than once (also values[%zu])", i,
						     q->name, j);
				return MG_ERR_INVALID;
			}
		}
		if ((r = mg_value_check(i, q, m->values[i].value, err, errlen)) != 0)
			return r;
	}
	return 0;
}

int mg_measurement_check(const struct mg_measurement *m, int64_t now_ms, char *err,
			 size_t errlen)
{
	int r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((r = mg_device_mid_check(m->device_mid, strnlen(m->device_mid, sizeof(m->device_mid)),
				     err, errlen)) != 0 ||
	    (r = mg_measurement_time_check(m->time_ms, now_ms, err, errlen)) != 0 ||
	    (m->patient_id[0] != '\0' &&
	     (r = mg_patient_id_check(m->patient_id, strnlen(m->patient_id, sizeof(m->patient_id)),
				      err, errlen)) != 0))
		return r;
	return values_check(m, err, errlen);
}
