/* The measurement rules for an inbound PCD-01 report, taken from the one
 * validator there is (src/ingest/measurement.c).
 *
 * mg_measurement_parse only reads JSON bodies, and the rules inside it
 * (identifier lengths and characters, the time window, ranges, each
 * quantity once, at most MG_VALUES_MAX values) are static there. Rather
 * than write them a second time, what the HL7 reader found is handed to
 * the validator as the JSON body a device would have sent for it. When
 * ingest exposes a validator for a struct, this file shrinks to one call;
 * nothing else in src/hl7 changes. */
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "hl7/internal.h"

/* Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF), as
 * JSON requires of every string. */
static int valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t more;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (more > n - i - 1)
			return 0;
		for (size_t k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += more + 1;
	}
	return 1;
}

static int set_string(json_t *object, const char *key, const char *value, int *nomem)
{
	json_t *s;

	if (!valid_utf8((const unsigned char *)value, strlen(value)))
		return MG_ERR_INVALID;
	if ((s = json_string(value)) == NULL || json_object_set_new(object, key, s) != 0) {
		*nomem = 1;
		return MG_ERR_NOMEM;
	}
	return 0;
}

static json_t *build_values(const struct hl7_reading *r)
{
	json_t *values = json_array();

	for (size_t i = 0; values != NULL && i < r->nvalues; i++) {
		json_t *v = json_pack("{s:s, s:f, s:s}", "type", r->quantity[i]->name,
				      "value", r->value[i], "unit", r->quantity[i]->ucum);

		if (v == NULL || json_array_append_new(values, v) != 0) {
			json_decref(values);
			return NULL;
		}
	}
	return values;
}

/* The JSON body for r; NULL with *bad_path (a text is not UTF-8) or
 * *nomem set. */
static json_t *build_body(const struct hl7_reading *r, const char **bad_path, int *nomem)
{
	char time_text[MG_TIME_TEXT_LEN];
	json_t *root, *patient, *values;

	*bad_path = NULL;
	*nomem = 0;
	if ((root = json_object()) == NULL) {
		*nomem = 1;
		return NULL;
	}
	/* json_object_set_new takes patient even when it fails. */
	if ((patient = json_object()) == NULL ||
	    json_object_set_new(root, "patient", patient) != 0) {
		*nomem = 1;
		goto fail;
	}
	if (mg_time_format(r->time_ms, time_text, sizeof(time_text)) != 0)
		time_text[0] = '\0';	/* the validator names the time */
	if (set_string(root, "id", r->device_mid, nomem) != 0) {
		*bad_path = "id";
		goto fail;
	}
	if (set_string(patient, "id", r->patient_id, nomem) != 0) {
		*bad_path = "patient.id";
		goto fail;
	}
	if (set_string(root, "time", time_text, nomem) != 0)
		goto fail;
	if ((values = build_values(r)) == NULL || json_object_set_new(root, "values", values) != 0) {
		*nomem = 1;
		goto fail;
	}
	return root;
fail:
	json_decref(root);
	return NULL;
}

int hl7_reading_validate(const struct hl7_reading *r, int64_t now_ms,
			 struct mg_measurement *out, char *err, size_t errlen)
{
	const char *bad_path;
	json_t *root;
	char *body = NULL;
	size_t size = 0;
	int nomem, rc;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	for (size_t i = 0; i < r->nvalues; i++) {
		if (!isfinite(r->value[i])) {
			(void)snprintf(err, errlen, "values[%zu].value: not a finite number", i);
			return MG_ERR_INVALID;
		}
	}
	if ((root = build_body(r, &bad_path, &nomem)) == NULL) {
		if (nomem) {
			(void)snprintf(err, errlen, "out of memory");
			return MG_ERR_NOMEM;
		}
		(void)snprintf(err, errlen, "%s: not valid UTF-8", bad_path ? bad_path : "encoding");
		return MG_ERR_INVALID;
	}
	size = json_dumpb(root, NULL, 0, JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (size == 0 || (body = malloc(size)) == NULL ||
	    json_dumpb(root, body, size, JSON_COMPACT | JSON_REAL_PRECISION(17)) != size) {
		json_decref(root);
		free(body);
		(void)snprintf(err, errlen, "out of memory");
		return MG_ERR_NOMEM;
	}
	json_decref(root);
	rc = mg_measurement_parse(body, size, now_ms, out, err, errlen);
	sodium_memzero(body, size);	/* it holds the patient id */
	free(body);
	return rc;
}
