/* The measurement body a device sends over HTTPS, as JSON, into a struct
 * mg_measurement (docs/internals/ingest.md). The rules themselves are the
 * model's (model/measurement.c); this file reads the JSON shape.
 *
 * The body is untrusted. It is parsed with jansson into a tree, then every
 * field is checked against one rule at a time; the first rule that fails
 * names the field by its JSON path in the message for the client. Messages
 * are built from fixed text, numbers, and names that are plain identifiers
 * (object keys, quantity names); they never contain a device or patient
 * identifier, a time stamp, or any text jansson saw near an error. */
#include "ingest/measurement_json.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"
#include "common/timefmt.h"

#define ECHO_NAME_MAX		32	/* longest key or type name a message repeats */

/* JSON_DECODE_ANY lets "[]" or "42" reach our own "expected an object" message;
 * integers become doubles so that a 30-digit integer is "out of range" rather
 * than a parse error. NUL bytes stay rejected: JSON_ALLOW_NUL is not set. */
#define MEASUREMENT_JSON_FLAGS \
	(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL)

static const char *const top_level_keys[] = { "id", "time", "patient", "values", NULL };
static const char *const patient_keys[] = { "id", NULL };
static const char *const value_keys[] = { "type", "value", "unit", NULL };

#define set_err mg_measurement_error

/* True if s may be repeated in a message: a short plain identifier, so
 * that no identifier or free text a device put in a key or type can leak. */
static bool is_echo_safe(const char *s)
{
	size_t len = strnlen(s, ECHO_NAME_MAX + 1);

	if (len == 0 || len > ECHO_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* jansson's error text is "<message> near '<input text>'": keep only the
 * message, and replace the two messages that quote input bytes. */
static void json_message_without_context(const char *text, char *out, size_t outlen)
{
	const char *near = strstr(text, " near ");
	size_t len = near != NULL ? (size_t)(near - text) : strlen(text);
	int r;

	if (strncmp(text, "invalid Unicode", 15) == 0)
		r = snprintf(out, outlen, "invalid Unicode escape");
	else if (strncmp(text, "unable to decode byte", 21) == 0)
		r = snprintf(out, outlen, "invalid UTF-8");
	else if (strncmp(text, "\\u0000 is not allowed", 21) == 0)
		r = snprintf(out, outlen, "\\u0000 (NUL) is not allowed in strings");
	else if (len == 0)
		r = snprintf(out, outlen, "invalid JSON");
	else
		r = snprintf(out, outlen, "%.*s", (int)len, text);
	if (r < 0)	/* no message rather than a wrong one */
		out[0] = '\0';
	for (char *p = out; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
}

static int json_load_failure(const json_error_t *jerr, char *err, size_t errlen)
{
	char message[JSON_ERROR_TEXT_LENGTH];

	if (json_error_code(jerr) == json_error_out_of_memory) {
		set_err(err, errlen, "out of memory");
		return MG_ERR_NOMEM;
	}
	json_message_without_context(jerr->text, message, sizeof(message));
	set_err(err, errlen, "malformed JSON at line %d, column %d (byte %d): %s",
		jerr->line, jerr->column, jerr->position > 0 ? jerr->position - 1 : 0,
		message);
	return MG_ERR_INVALID;
}

static bool key_allowed(const char *key, const char *const *allowed)
{
	for (; *allowed != NULL; allowed++)
		if (strcmp(key, *allowed) == 0)
			return true;
	return false;
}

/* where is the object's path with a trailing ": " ("patient: "), or "". */
static int check_keys(json_t *object, const char *const *allowed,
		      const char *where, char *err, size_t errlen)
{
	const char *key;
	json_t *value;

	json_object_foreach(object, key, value) {
		if (key_allowed(key, allowed))
			continue;
		if (is_echo_safe(key))
			set_err(err, errlen, "%sunknown key \"%s\"", where, key);
		else
			set_err(err, errlen, "%sunknown key (name not shown: not a "
				"plain identifier of 1..%d bytes)", where, ECHO_NAME_MAX);
		return MG_ERR_INVALID;
	}
	return 0;
}

/* The string member key of object, or NULL with err set. */
static json_t *get_string(json_t *object, const char *key, const char *path,
			  char *err, size_t errlen)
{
	json_t *v = json_object_get(object, key);

	if (v == NULL) {
		set_err(err, errlen, "%s: missing", path);
		return NULL;
	}
	if (!json_is_string(v)) {
		set_err(err, errlen, "%s: expected a string", path);
		return NULL;
	}
	return v;
}

static int parse_device_mid(json_t *root, struct mg_measurement *m,
			    char *err, size_t errlen)
{
	json_t *v = get_string(root, "id", "id", err, errlen);
	const char *s;
	size_t len;
	int r;

	if (v == NULL)
		return MG_ERR_INVALID;
	s = json_string_value(v);
	len = json_string_length(v);
	if ((r = mg_device_mid_check(s, len, err, errlen)) != 0)
		return r;
	memcpy(m->device_mid, s, len);
	m->device_mid[len] = '\0';
	return 0;
}

static int parse_time(json_t *root, int64_t now_ms, struct mg_measurement *m,
		      char *err, size_t errlen)
{
	json_t *v = get_string(root, "time", "time", err, errlen);
	int64_t t;
	int r;

	if (v == NULL)
		return MG_ERR_INVALID;
	if (json_string_length(v) > MG_TIME_TEXT_MAX) {
		set_err(err, errlen, "time: longer than %d bytes", MG_TIME_TEXT_MAX);
		return MG_ERR_INVALID;
	}
	if (mg_time_parse(json_string_value(v), &t) != 0) {
		set_err(err, errlen, "time: not an RFC 3339 date-time "
			"(YYYY-MM-DDTHH:MM:SS[.fff] then Z or +HH:MM or -HH:MM)");
		return MG_ERR_INVALID;
	}
	if ((r = mg_measurement_time_check(t, now_ms, err, errlen)) != 0)
		return r;
	m->time_ms = t;
	return 0;
}

static int parse_patient(json_t *root, struct mg_measurement *m,
			 char *err, size_t errlen)
{
	json_t *patient = json_object_get(root, "patient"), *v;
	const char *s;
	size_t len;
	int r;

	if (patient == NULL) {
		/* No patient: stored unassigned, for a clinician to assign
		 * (docs/ward.md). */
		m->patient_id[0] = '\0';
		return 0;
	}
	if (!json_is_object(patient)) {
		set_err(err, errlen, "patient: expected an object");
		return MG_ERR_INVALID;
	}
	if ((r = check_keys(patient, patient_keys, "patient: ", err, errlen)) != 0)
		return r;
	if ((v = get_string(patient, "id", "patient.id", err, errlen)) == NULL)
		return MG_ERR_INVALID;
	s = json_string_value(v);
	len = json_string_length(v);
	if ((r = mg_patient_id_check(s, len, err, errlen)) != 0)
		return r;
	memcpy(m->patient_id, s, len);
	m->patient_id[len] = '\0';
	return 0;
}

static int parse_value_type(json_t *item, size_t i, const struct mg_measurement *m,
			    const struct mg_quantity **out, char *err, size_t errlen)
{
	char path[48];
	json_t *v;
	const char *name;
	const struct mg_quantity *q;

	*out = NULL;
	(void)snprintf(path, sizeof(path), "values[%zu].type", i);
	if ((v = get_string(item, "type", path, err, errlen)) == NULL)
		return MG_ERR_INVALID;
	name = json_string_value(v);
	/* A name with a NUL inside cannot reach here (JSON_ALLOW_NUL is off). */
	if ((q = mg_quantity_find(name)) == NULL) {
		if (is_echo_safe(name))
			set_err(err, errlen, "%s: unknown quantity \"%s\"", path, name);
		else
			set_err(err, errlen, "%s: unknown quantity", path);
		return MG_ERR_INVALID;
	}
	for (size_t j = 0; j < m->nvalues; j++) {
		if (m->values[j].quantity == q) {
			set_err(err, errlen, "%s: %s appears more than once "
				"(also values[%zu])", path, q->name, j);
			return MG_ERR_INVALID;
		}
	}
	*out = q;
	return 0;
}

static int parse_value(json_t *item, size_t i, struct mg_measurement *m,
		       char *err, size_t errlen)
{
	char where[32], path[48];
	const struct mg_quantity *q;
	json_t *v;
	double d;
	int r;

	if (!json_is_object(item)) {
		set_err(err, errlen, "values[%zu]: expected an object", i);
		return MG_ERR_INVALID;
	}
	(void)snprintf(where, sizeof(where), "values[%zu]: ", i);
	if ((r = check_keys(item, value_keys, where, err, errlen)) != 0)
		return r;
	if ((r = parse_value_type(item, i, m, &q, err, errlen)) != 0)
		return r;

	/* The unit before the number: a value in the wrong unit has no range. */
	(void)snprintf(path, sizeof(path), "values[%zu].unit", i);
	if ((v = get_string(item, "unit", path, err, errlen)) == NULL)
		return MG_ERR_INVALID;
	if (json_string_length(v) != strlen(q->ucum) ||
	    strcmp(json_string_value(v), q->ucum) != 0) {
		set_err(err, errlen, "%s: expected \"%s\" for %s", path, q->ucum, q->name);
		return MG_ERR_INVALID;
	}

	(void)snprintf(path, sizeof(path), "values[%zu].value", i);
	if ((v = json_object_get(item, "value")) == NULL) {
		set_err(err, errlen, "%s: missing", path);
		return MG_ERR_INVALID;
	}
	if (!json_is_number(v)) {
		set_err(err, errlen, "%s: expected a number", path);
		return MG_ERR_INVALID;
	}
	d = json_number_value(v);
	if ((r = mg_value_check(i, q, d, err, errlen)) != 0)
		return r;	/* MG_ERR_RANGE: detection tells implausible values apart */
	m->values[m->nvalues].quantity = q;
	m->values[m->nvalues].value = d;
	m->nvalues++;
	return 0;
}

static int parse_values(json_t *root, struct mg_measurement *m,
			char *err, size_t errlen)
{
	json_t *values = json_object_get(root, "values");
	size_t n;
	int r;

	if (values == NULL) {
		set_err(err, errlen, "values: missing");
		return MG_ERR_INVALID;
	}
	if (!json_is_array(values)) {
		set_err(err, errlen, "values: expected an array");
		return MG_ERR_INVALID;
	}
	n = json_array_size(values);
	if (n == 0) {
		set_err(err, errlen, "values: empty, expected 1..%d entries", MG_VALUES_MAX);
		return MG_ERR_INVALID;
	}
	if (n > MG_VALUES_MAX) {
		set_err(err, errlen, "values: more than %d entries", MG_VALUES_MAX);
		return MG_ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++)
		if ((r = parse_value(json_array_get(values, i), i, m, err, errlen)) != 0)
			return r;
	return 0;
}

int mg_measurement_parse(const char *body, size_t len, int64_t now_ms,
			 struct mg_measurement *m, char *err, size_t errlen)
{
	json_t *root = NULL;
	json_error_t jerr;
	int r;

	memset(m, 0, sizeof(*m));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (body == NULL || len == 0) {
		set_err(err, errlen, "empty body, expected a JSON object");
		r = MG_ERR_INVALID;
		goto out;
	}
	/* The caller's body limit is the real bound; this one keeps the
	 * parser's int positions meaningful whatever the caller does. */
	if (len > MG_DEVICE_BODY_MAX_CEILING) {
		set_err(err, errlen, "body larger than %d bytes", MG_DEVICE_BODY_MAX_CEILING);
		r = MG_ERR_INVALID;
		goto out;
	}
	if ((root = json_loadb(body, len, MEASUREMENT_JSON_FLAGS, &jerr)) == NULL) {
		r = json_load_failure(&jerr, err, errlen);
		goto out;
	}
	if (!json_is_object(root)) {
		set_err(err, errlen, "top level: expected a JSON object");
		r = MG_ERR_INVALID;
		goto out;
	}
	if ((r = check_keys(root, top_level_keys, "", err, errlen)) != 0 ||
	    (r = parse_device_mid(root, m, err, errlen)) != 0 ||
	    (r = parse_time(root, now_ms, m, err, errlen)) != 0 ||
	    (r = parse_patient(root, m, err, errlen)) != 0 ||
	    (r = parse_values(root, m, err, errlen)) != 0)
		goto out;
	r = 0;
out:
	json_decref(root);
	if (r != 0)
		memset(m, 0, sizeof(*m));	/* no half-filled struct, no patient id */
	return r;
}
