/* Checks and conversions for command-line arguments and configuration
 * values: every number fully parsed and range-checked, every text bounded. */
#ifndef MG_DEVICE_ARGS_H
#define MG_DEVICE_ARGS_H

#include <stddef.h>

#include "common/limits.h"

/* One measured value as the device sends it. */
struct mg_device_value {
	char type[MG_QUANTITY_NAME_MAX + 1];	/* "body_weight" */
	double value;
	char unit[MG_UNIT_MAX + 1];		/* UCUM: "kg" */
};

/* Parse all of text as a finite decimal number in [min, max]. Returns 0 or
 * MG_ERR_INVALID (*out is then 0). */
int mg_device_parse_number(const char *text, double min, double max, double *out);

/* Parse all of text as a decimal integer in [min, max]. Returns 0 or
 * MG_ERR_INVALID (*out is then 0). */
int mg_device_parse_integer(const char *text, long long min, long long max,
			    long long *out);

/* Parse "TYPE=NUMBER:UNIT" (TYPE lower-case letters, digits and '_';
 * UNIT printable ASCII without spaces) into *v (cleared first). Returns 0 or
 * MG_ERR_INVALID with the reason in err. */
int mg_device_parse_value(const char *spec, struct mg_device_value *v, char *err,
			  size_t errlen);

/* 0 if id can be a patient identifier: 1..MG_PATIENT_ID_MAX bytes of
 * UTF-8 without control characters; else MG_ERR_INVALID. */
int mg_device_check_patient(const char *id);

/* 0 if name can be a device name (certificate CN and HTTP Basic user):
 * 1..MG_NAME_MAX printable ASCII characters without ':'; else
 * MG_ERR_INVALID. */
int mg_device_check_name(const char *name);

/* 0 if token can be an enrolment token: 1..MG_TOKEN_TEXT_MAX printable
 * ASCII characters without spaces; else MG_ERR_INVALID. */
int mg_device_check_token(const char *token);

/* 0 if url is an https:// URL of at most MG_DEVICE_URL_MAX bytes without
 * spaces, control characters, query or fragment; else MG_ERR_INVALID. */
int mg_device_check_server_url(const char *url);

/* Copy src into dst of dstlen bytes. Returns 0 or MG_ERR_LIMIT (dst then
 * ""); never truncates silently. */
int mg_device_copy_text(char *dst, size_t dstlen, const char *src);

#endif
