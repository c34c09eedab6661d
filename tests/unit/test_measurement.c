/* The measurement validator, as a table of bodies and expected outcomes
 * (error text prefix, and where that is not enough, a part it must contain),
 * plus the invariants every outcome must keep: err NUL-terminated, *m
 * zeroed on error, no device or patient identifier in err. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"
#include "ingest/measurement_json.h"

#define NOW_MS INT64_C(1795341900000)	/* 2026-11-22T10:05:00Z */

/* Bodies are written as literals; BODY() passes the length too, so that
 * bodies with NUL bytes keep them. */
#define BODY(s)	s, sizeof(s) - 1

#define ID_TIME	"\"id\": \"m-000123\", \"time\": \"2026-11-22T10:00:00Z\", "
#define PATIENT	"\"patient\": {\"id\": \"MRN-0001\"}, "
#define WEIGHT	"{\"type\": \"body_weight\", \"value\": 72.4, \"unit\": \"kg\"}"
#define HEIGHT	"{\"type\": \"body_height\", \"value\": 180.0, \"unit\": \"cm\"}"
#define WITH_VALUES(v)	"{" ID_TIME PATIENT "\"values\": [" v "]}"
#define ONE_VALUE(type, value, unit) \
	WITH_VALUES("{\"type\": " type ", \"value\": " value ", \"unit\": " unit "}")
#define WITH_ID(id) \
	"{\"id\": " id ", \"time\": \"2026-11-22T10:00:00Z\", " PATIENT \
	"\"values\": [" WEIGHT "]}"
#define WITH_TIME(t) \
	"{\"id\": \"m-000123\", \"time\": " t ", " PATIENT "\"values\": [" WEIGHT "]}"
#define WITH_PATIENT(p) "{" ID_TIME "\"patient\": " p ", \"values\": [" WEIGHT "]}"
#define WITH_PATIENT_ID(id) WITH_PATIENT("{\"id\": " id "}")

#define ALL9 \
	WEIGHT ", " HEIGHT ", " \
	"{\"type\": \"bmi\", \"value\": 22.3, \"unit\": \"kg/m2\"}, " \
	"{\"type\": \"body_fat\", \"value\": 18.5, \"unit\": \"%\"}, " \
	"{\"type\": \"body_water\", \"value\": 41.2, \"unit\": \"kg\"}, " \
	"{\"type\": \"bp_systolic\", \"value\": 128, \"unit\": \"mm[Hg]\"}, " \
	"{\"type\": \"bp_diastolic\", \"value\": 84, \"unit\": \"mm[Hg]\"}, " \
	"{\"type\": \"bp_mean\", \"value\": 99, \"unit\": \"mm[Hg]\"}, " \
	"{\"type\": \"pulse_rate\", \"value\": 64, \"unit\": \"/min\"}"

#define W2 WEIGHT ", " WEIGHT
#define W4 W2 ", " W2
#define W8 W4 ", " W4
#define W16 W8 ", " W8

#define X8	"abcdefgh"
#define X64	X8 X8 X8 X8 X8 X8 X8 X8

struct parse_case {
	const char *name;
	const char *body;
	size_t len;
	int rc;
	const char *err_prefix;		/* NULL: success */
	const char *err_contains;	/* NULL: no further check */
};

static const struct parse_case cases[] = {
	/* accepted */
	{ "two values", BODY(WITH_VALUES(WEIGHT ", " HEIGHT)), 0, NULL, NULL },
	{ "every quantity once", BODY(WITH_VALUES(ALL9)), 0, NULL, NULL },
	{ "integer value", BODY(ONE_VALUE("\"body_weight\"", "72", "\"kg\"")), 0, NULL, NULL },
	{ "exponent value", BODY(ONE_VALUE("\"body_weight\"", "7.24e1", "\"kg\"")), 0, NULL, NULL },
	{ "value at minimum", BODY(ONE_VALUE("\"body_weight\"", "0.2", "\"kg\"")), 0, NULL, NULL },
	{ "value at maximum", BODY(ONE_VALUE("\"body_weight\"", "700", "\"kg\"")), 0, NULL, NULL },
	{ "whitespace around", BODY(" \r\n\t" WITH_VALUES(WEIGHT) " \n"), 0, NULL, NULL },
	{ "keys in another order",
	  BODY("{\"values\": [" WEIGHT "], " PATIENT "\"time\": \"2026-11-22T10:00:00Z\", "
	       "\"id\": \"m-1\"}"), 0, NULL, NULL },
	{ "escaped key", BODY("{\"\\u0069d\": \"m-1\", \"time\": \"2026-11-22T10:00:00Z\", "
			      PATIENT "\"values\": [" WEIGHT "]}"), 0, NULL, NULL },
	{ "time with offset", BODY(WITH_TIME("\"2026-11-22T11:00:00+01:00\"")), 0, NULL, NULL },
	{ "time with fraction", BODY(WITH_TIME("\"2026-11-22T10:00:00.250Z\"")), 0, NULL, NULL },
	{ "time lowercase", BODY(WITH_TIME("\"2026-11-22t10:00:00z\"")), 0, NULL, NULL },
	{ "time leap day", BODY(WITH_TIME("\"2024-02-29T10:00:00Z\"")), 0, NULL, NULL },
	{ "time 2000-01-01", BODY(WITH_TIME("\"2000-01-01T00:00:00Z\"")), 0, NULL, NULL },
	{ "time at skew limit", BODY(WITH_TIME("\"2026-11-22T10:15:00.000Z\"")), 0, NULL, NULL },
	{ "id 64 bytes", BODY(WITH_ID("\"" X64 "\"")), 0, NULL, NULL },
	{ "id printable punctuation", BODY(WITH_ID("\"m|1^2~3\\\\4&5{}\"")), 0, NULL, NULL },
	{ "patient id 64 bytes", BODY(WITH_PATIENT_ID("\"" X64 "\"")), 0, NULL, NULL },
	{ "patient id all allowed characters",
	  BODY(WITH_PATIENT_ID("\"AZaz09-._:/\"")), 0, NULL, NULL },

	/* malformed JSON */
	{ "empty body", BODY(""), MG_ERR_INVALID, "empty body, expected a JSON object", NULL },
	{ "only whitespace", BODY("  \n"), MG_ERR_INVALID,
	  "malformed JSON at line 2, column 0 (byte 2): unexpected token", NULL },
	{ "bare word", BODY("{\"id\": x}"), MG_ERR_INVALID,
	  "malformed JSON at line 1, column 8 (byte 7): invalid token", NULL },
	{ "truncated", BODY("{\"id\": \"m-1\""), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "'}' expected" },
	{ "trailing garbage", BODY(WITH_VALUES(WEIGHT) " x"), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "end of file expected" },
	{ "two objects", BODY(WITH_VALUES(WEIGHT) WITH_VALUES(WEIGHT)), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "end of file expected" },
	{ "trailing NUL byte", BODY(WITH_VALUES(WEIGHT) "\0"), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "end of file expected" },
	{ "leading NUL byte", BODY("\0" WITH_VALUES(WEIGHT)), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "invalid token" },
	{ "NUL byte in string", BODY(WITH_PATIENT_ID("\"MRN\0-0001\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "control character 0x0" },
	{ "escaped NUL in string", BODY(WITH_PATIENT_ID("\"MRN\\u0000-0001\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "\\u0000 (NUL) is not allowed in strings" },
	{ "escaped NUL in key", BODY("{\"i\\u0000d\": \"m-1\"}"), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "NUL" },
	{ "control character in string", BODY(WITH_ID("\"m\x01\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "control character 0x1" },
	{ "invalid UTF-8", BODY(WITH_PATIENT_ID("\"MRN\xc3\x28\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "invalid UTF-8" },
	{ "lone surrogate", BODY(WITH_PATIENT_ID("\"\\ud800SECRET\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "invalid Unicode escape" },
	{ "invalid escape", BODY(WITH_PATIENT_ID("\"SECRET\\q\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "invalid escape" },
	{ "duplicate top-level key", BODY("{\"id\": \"a\", \"id\": \"b\"}"), MG_ERR_INVALID,
	  "malformed JSON at line 1, column 16 (byte 15): duplicate object key", NULL },
	{ "duplicate patient key", BODY(WITH_PATIENT("{\"id\": \"A\", \"id\": \"B\"}")),
	  MG_ERR_INVALID, "malformed JSON at line 1, column ", "duplicate object key" },
	{ "duplicate value key",
	  BODY(WITH_VALUES("{\"type\": \"bmi\", \"type\": \"bmi\", \"value\": 1, \"unit\": \"kg/m2\"}")),
	  MG_ERR_INVALID, "malformed JSON at line 1, column ", "duplicate object key" },
	{ "NaN", BODY(ONE_VALUE("\"body_weight\"", "NaN", "\"kg\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "invalid token" },
	{ "Infinity", BODY(ONE_VALUE("\"body_weight\"", "Infinity", "\"kg\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "invalid token" },
	{ "-Infinity", BODY(ONE_VALUE("\"body_weight\"", "-Infinity", "\"kg\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "invalid token" },
	{ "huge exponent", BODY(ONE_VALUE("\"body_weight\"", "1e400", "\"kg\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "real number overflow" },
	{ "hex number", BODY(ONE_VALUE("\"body_weight\"", "0x48", "\"kg\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", NULL },
	{ "leading zero", BODY(ONE_VALUE("\"body_weight\"", "072", "\"kg\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", NULL },
	{ "leading plus", BODY(ONE_VALUE("\"body_weight\"", "+72", "\"kg\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "invalid token" },
	{ "leading dot", BODY(ONE_VALUE("\"body_weight\"", ".5", "\"kg\"")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", "invalid token" },
	{ "trailing comma", BODY(WITH_VALUES(WEIGHT ",")), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", NULL },
	{ "single quotes", BODY("{'id': 'm-1'}"), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", NULL },
	{ "comment", BODY("{/* c */\"id\": \"m-1\"}"), MG_ERR_INVALID,
	  "malformed JSON at line 1, column ", NULL },
	{ "position on a later line", BODY("{\n\"id\":\n\"\xc3\xa9\xc3\xa9\" x}"), MG_ERR_INVALID,
	  "malformed JSON at line 3, column 6 (byte 15): '}' expected", NULL },

	/* top level */
	{ "array", BODY("[]"), MG_ERR_INVALID, "top level: expected a JSON object", NULL },
	{ "null", BODY("null"), MG_ERR_INVALID, "top level: expected a JSON object", NULL },
	{ "number", BODY("42"), MG_ERR_INVALID, "top level: expected a JSON object", NULL },
	{ "string", BODY("\"MRN-0001\""), MG_ERR_INVALID, "top level: expected a JSON object", NULL },
	{ "empty object", BODY("{}"), MG_ERR_INVALID, "id: missing", NULL },
	{ "unknown key", BODY("{\"id\": \"m-1\", \"extra\": 1}"), MG_ERR_INVALID,
	  "unknown key \"extra\"", NULL },
	{ "unknown key not an identifier", BODY("{\"SECRET@MRN 0001\": 1}"), MG_ERR_INVALID,
	  "unknown key (name not shown", NULL },
	{ "unknown key too long", BODY("{\"" X64 "\": 1}"), MG_ERR_INVALID,
	  "unknown key (name not shown", NULL },
	{ "unknown key empty", BODY("{\"\": 1}"), MG_ERR_INVALID,
	  "unknown key (name not shown", NULL },

	/* id */
	{ "id missing", BODY("{\"time\": \"2026-11-22T10:00:00Z\"}"), MG_ERR_INVALID,
	  "id: missing", NULL },
	{ "id number", BODY(WITH_ID("123")), MG_ERR_INVALID, "id: expected a string", NULL },
	{ "id null", BODY(WITH_ID("null")), MG_ERR_INVALID, "id: expected a string", NULL },
	{ "id object", BODY(WITH_ID("{\"a\": 1}")), MG_ERR_INVALID, "id: expected a string", NULL },
	{ "id empty", BODY(WITH_ID("\"\"")), MG_ERR_INVALID, "id: empty", NULL },
	{ "id 65 bytes", BODY(WITH_ID("\"" X64 "z\"")), MG_ERR_INVALID,
	  "id: longer than 64 bytes", NULL },
	{ "id with space", BODY(WITH_ID("\"SECRET 1\"")), MG_ERR_INVALID,
	  "id: byte 6 is not printable ASCII", NULL },
	{ "id with tab escape", BODY(WITH_ID("\"m\\t1\"")), MG_ERR_INVALID,
	  "id: byte 1 is not printable ASCII", NULL },
	{ "id non-ASCII", BODY(WITH_ID("\"m-\xc3\xa9\"")), MG_ERR_INVALID,
	  "id: byte 2 is not printable ASCII", NULL },
	{ "id DEL", BODY(WITH_ID("\"m\x7f\"")), MG_ERR_INVALID,
	  "id: byte 1 is not printable ASCII", NULL },

	/* time */
	{ "time missing", BODY("{\"id\": \"m-1\"}"), MG_ERR_INVALID, "time: missing", NULL },
	{ "time number", BODY(WITH_TIME("1795341600")), MG_ERR_INVALID,
	  "time: expected a string", NULL },
	{ "time not a date", BODY(WITH_TIME("\"SECRET\"")), MG_ERR_INVALID,
	  "time: not an RFC 3339 date-time", NULL },
	{ "time without offset", BODY(WITH_TIME("\"2026-11-22T10:00:00\"")), MG_ERR_INVALID,
	  "time: not an RFC 3339 date-time", NULL },
	{ "time with space", BODY(WITH_TIME("\"2026-11-22 10:00:00Z\"")), MG_ERR_INVALID,
	  "time: not an RFC 3339 date-time", NULL },
	{ "time date only", BODY(WITH_TIME("\"2026-11-22\"")), MG_ERR_INVALID,
	  "time: not an RFC 3339 date-time", NULL },
	{ "time not a leap day", BODY(WITH_TIME("\"2025-02-29T10:00:00Z\"")), MG_ERR_INVALID,
	  "time: not an RFC 3339 date-time", NULL },
	{ "time hour 24", BODY(WITH_TIME("\"2026-11-22T24:00:00Z\"")), MG_ERR_INVALID,
	  "time: not an RFC 3339 date-time", NULL },
	{ "time too long", BODY(WITH_TIME("\"2026-11-22T10:00:00.00000000000000000000Z\"")),
	  MG_ERR_INVALID, "time: longer than 40 bytes", NULL },
	{ "time before 2000", BODY(WITH_TIME("\"1999-12-31T23:59:59.999Z\"")), MG_ERR_INVALID,
	  "time: before 2000-01-01T00:00:00Z", NULL },
	{ "time in the future", BODY(WITH_TIME("\"2026-11-22T10:15:00.001Z\"")), MG_ERR_INVALID,
	  "time: more than 600 s in the future", NULL },
	{ "time far in the future", BODY(WITH_TIME("\"9999-12-31T23:59:59Z\"")), MG_ERR_INVALID,
	  "time: more than 600 s in the future", NULL },

	/* patient */
	/* Without patient: accepted, stored unassigned (docs/ward.md). */
	{ "patient missing", BODY("{" ID_TIME "\"values\": [" WEIGHT "]}"), 0, NULL, NULL },
	{ "patient string", BODY(WITH_PATIENT("\"MRN-0001\"")), MG_ERR_INVALID,
	  "patient: expected an object", NULL },
	{ "patient array", BODY(WITH_PATIENT("[\"MRN-0001\"]")), MG_ERR_INVALID,
	  "patient: expected an object", NULL },
	{ "patient null", BODY(WITH_PATIENT("null")), MG_ERR_INVALID,
	  "patient: expected an object", NULL },
	{ "patient unknown key", BODY(WITH_PATIENT("{\"id\": \"MRN-0001\", \"name\": \"SECRET\"}")),
	  MG_ERR_INVALID, "patient: unknown key \"name\"", NULL },
	{ "patient id missing", BODY(WITH_PATIENT("{}")), MG_ERR_INVALID,
	  "patient.id: missing", NULL },
	{ "patient id number", BODY(WITH_PATIENT_ID("1234")), MG_ERR_INVALID,
	  "patient.id: expected a string", NULL },
	{ "patient id nested", BODY(WITH_PATIENT_ID("[[[[[[[[[[\"MRN-0001\"]]]]]]]]]]")),
	  MG_ERR_INVALID, "patient.id: expected a string", NULL },
	{ "patient id empty", BODY(WITH_PATIENT_ID("\"\"")), MG_ERR_INVALID,
	  "patient.id: empty", NULL },
	{ "patient id 65 bytes", BODY(WITH_PATIENT_ID("\"SECRET" X64 "\"")), MG_ERR_INVALID,
	  "patient.id: longer than 64 bytes", NULL },
	{ "patient id with space", BODY(WITH_PATIENT_ID("\"SECRET 1\"")), MG_ERR_INVALID,
	  "patient.id: byte 6 is not allowed (only A-Z a-z 0-9 - . _ : /)", NULL },
	{ "patient id with HL7 delimiter", BODY(WITH_PATIENT_ID("\"SECRET|1\"")), MG_ERR_INVALID,
	  "patient.id: byte 6 is not allowed", NULL },
	{ "patient id with caret", BODY(WITH_PATIENT_ID("\"SECRET^1\"")), MG_ERR_INVALID,
	  "patient.id: byte 6 is not allowed", NULL },
	{ "patient id non-ASCII", BODY(WITH_PATIENT_ID("\"M\xc3\xbcller\"")), MG_ERR_INVALID,
	  "patient.id: byte 1 is not allowed", NULL },

	/* values */
	{ "unknown key instead of values", BODY("{" ID_TIME PATIENT "\"x\": 1}"), MG_ERR_INVALID,
	  "unknown key \"x\"", NULL },
	{ "values absent", BODY("{" ID_TIME "\"patient\": {\"id\": \"MRN-0001\"}}"),
	  MG_ERR_INVALID, "values: missing", NULL },
	{ "values object", BODY("{" ID_TIME PATIENT "\"values\": " WEIGHT "}"), MG_ERR_INVALID,
	  "values: expected an array", NULL },
	{ "values string", BODY("{" ID_TIME PATIENT "\"values\": \"72.4 kg\"}"), MG_ERR_INVALID,
	  "values: expected an array", NULL },
	{ "values empty", BODY(WITH_VALUES("")), MG_ERR_INVALID,
	  "values: empty, expected 1..16 entries", NULL },
	{ "17 values", BODY(WITH_VALUES(W16 ", " WEIGHT)), MG_ERR_INVALID,
	  "values: more than 16 entries", NULL },
	{ "16 values, duplicates", BODY(WITH_VALUES(W16)), MG_ERR_INVALID,
	  "values[1].type: body_weight appears more than once (also values[0])", NULL },
	{ "10 values, tenth repeats", BODY(WITH_VALUES(ALL9 ", " HEIGHT)), MG_ERR_INVALID,
	  "values[9].type: body_height appears more than once (also values[1])", NULL },
	{ "value not an object", BODY(WITH_VALUES(WEIGHT ", 72.4")), MG_ERR_INVALID,
	  "values[1]: expected an object", NULL },
	{ "value array", BODY(WITH_VALUES("[\"body_weight\", 72.4, \"kg\"]")), MG_ERR_INVALID,
	  "values[0]: expected an object", NULL },
	{ "value unknown key",
	  BODY(WITH_VALUES("{\"type\": \"bmi\", \"value\": 22, \"unit\": \"kg/m2\", \"status\": 1}")),
	  MG_ERR_INVALID, "values[0]: unknown key \"status\"", NULL },
	{ "type missing", BODY(WITH_VALUES("{\"value\": 72.4, \"unit\": \"kg\"}")), MG_ERR_INVALID,
	  "values[0].type: missing", NULL },
	{ "type number", BODY(ONE_VALUE("188736", "72.4", "\"kg\"")), MG_ERR_INVALID,
	  "values[0].type: expected a string", NULL },
	{ "type unknown", BODY(ONE_VALUE("\"weight\"", "72.4", "\"kg\"")), MG_ERR_INVALID,
	  "values[0].type: unknown quantity \"weight\"", NULL },
	{ "type unknown, case", BODY(ONE_VALUE("\"Body_Weight\"", "72.4", "\"kg\"")),
	  MG_ERR_INVALID, "values[0].type: unknown quantity \"Body_Weight\"", NULL },
	{ "type unknown, not an identifier", BODY(ONE_VALUE("\"SECRET MRN\"", "72.4", "\"kg\"")),
	  MG_ERR_INVALID, "values[0].type: unknown quantity", NULL },
	{ "unit missing", BODY(WITH_VALUES("{\"type\": \"body_weight\", \"value\": 72.4}")),
	  MG_ERR_INVALID, "values[0].unit: missing", NULL },
	{ "unit number", BODY(ONE_VALUE("\"body_weight\"", "72.4", "1")), MG_ERR_INVALID,
	  "values[0].unit: expected a string", NULL },
	{ "unit wrong", BODY(WITH_VALUES(WEIGHT ", {\"type\": \"body_fat\", \"value\": 20, "
					 "\"unit\": \"kg\"}")), MG_ERR_INVALID,
	  "values[1].unit: expected \"%\" for body_fat", NULL },
	{ "unit grams", BODY(WITH_VALUES(HEIGHT ", {\"type\": \"body_weight\", \"value\": 72400, "
					 "\"unit\": \"g\"}")), MG_ERR_INVALID,
	  "values[1].unit: expected \"kg\" for body_weight", NULL },
	{ "unit case", BODY(ONE_VALUE("\"body_weight\"", "72.4", "\"KG\"")), MG_ERR_INVALID,
	  "values[0].unit: expected \"kg\" for body_weight", NULL },
	{ "unit with space", BODY(ONE_VALUE("\"body_weight\"", "72.4", "\"kg \"")), MG_ERR_INVALID,
	  "values[0].unit: expected \"kg\" for body_weight", NULL },
	{ "unit mmHg not UCUM", BODY(ONE_VALUE("\"bp_systolic\"", "120", "\"mmHg\"")),
	  MG_ERR_INVALID, "values[0].unit: expected \"mm[Hg]\" for bp_systolic", NULL },
	{ "unit bpm not UCUM", BODY(ONE_VALUE("\"pulse_rate\"", "60", "\"bpm\"")),
	  MG_ERR_INVALID, "values[0].unit: expected \"/min\" for pulse_rate", NULL },
	{ "value missing", BODY(WITH_VALUES("{\"type\": \"body_weight\", \"unit\": \"kg\"}")),
	  MG_ERR_INVALID, "values[0].value: missing", NULL },
	{ "value string", BODY(ONE_VALUE("\"body_weight\"", "\"72.4\"", "\"kg\"")), MG_ERR_INVALID,
	  "values[0].value: expected a number", NULL },
	{ "value true", BODY(ONE_VALUE("\"body_weight\"", "true", "\"kg\"")), MG_ERR_INVALID,
	  "values[0].value: expected a number", NULL },
	{ "value null", BODY(ONE_VALUE("\"body_weight\"", "null", "\"kg\"")), MG_ERR_INVALID,
	  "values[0].value: expected a number", NULL },
	{ "value array", BODY(ONE_VALUE("\"body_weight\"", "[72.4]", "\"kg\"")), MG_ERR_INVALID,
	  "values[0].value: expected a number", NULL },
	{ "value too high", BODY(ONE_VALUE("\"body_weight\"", "900", "\"kg\"")), MG_ERR_RANGE,
	  "values[0].value: 900 out of range 0.2..700 for body_weight", NULL },
	{ "value too low", BODY(ONE_VALUE("\"body_weight\"", "0.1", "\"kg\"")), MG_ERR_RANGE,
	  "values[0].value: 0.1 out of range 0.2..700 for body_weight", NULL },
	{ "value zero", BODY(ONE_VALUE("\"body_height\"", "0", "\"cm\"")), MG_ERR_RANGE,
	  "values[0].value: 0 out of range 20..280 for body_height", NULL },
	{ "value negative", BODY(ONE_VALUE("\"body_fat\"", "-5", "\"%\"")), MG_ERR_RANGE,
	  "values[0].value: -5 out of range 1..80 for body_fat", NULL },
	{ "value just above", BODY(ONE_VALUE("\"body_weight\"", "700.0000000000001", "\"kg\"")),
	  MG_ERR_RANGE, "values[0].value: 700.0000000000001 out of range 0.2..700", NULL },
	{ "value huge integer",
	  BODY(ONE_VALUE("\"body_weight\"", "123456789012345678901234567890", "\"kg\"")),
	  MG_ERR_RANGE,
	  "values[0].value: 1.2345678901234568e+29 out of range 0.2..700 for body_weight", NULL },
	{ "value tiny", BODY(ONE_VALUE("\"body_weight\"", "1e-400", "\"kg\"")), MG_ERR_RANGE,
	  "values[0].value: 0 out of range 0.2..700 for body_weight", NULL },
	{ "value in second entry", BODY(WITH_VALUES(WEIGHT ", {\"type\": \"pulse_rate\", "
					"\"value\": 400, \"unit\": \"/min\"}")), MG_ERR_RANGE,
	  "values[1].value: 400 out of range 20..300 for pulse_rate", NULL },
};

#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* What every outcome must keep, whatever the body. */
static void check_invariants(const char *name, int rc, const struct mg_measurement *m,
			     const char *err, size_t errlen)
{
	assert_non_null(memchr(err, '\0', errlen));
	for (const char *p = err; *p != '\0'; p++)
		assert_true(*p >= 0x20 && *p <= 0x7e);
	if (rc != 0) {
		if (!all_zero(m, sizeof(*m)))
			print_error("case \"%s\": struct not zeroed on error\n", name);
		assert_true(all_zero(m, sizeof(*m)));
		assert_true(err[0] != '\0');
		/* identifiers, times and unsafe names never reach the message */
		assert_null(strstr(err, "MRN-0001"));
		assert_null(strstr(err, "m-000123"));
		assert_null(strstr(err, "SECRET"));
		assert_null(strstr(err, "2026-11-22T"));
	} else {
		assert_int_equal(err[0], '\0');
		assert_true(m->nvalues >= 1 && m->nvalues <= MG_VALUES_MAX);
		assert_true(strlen(m->device_mid) >= 1);
		/* "" only for a body without patient (stored unassigned) */
		assert_true(strlen(m->patient_id) >= 1 || strcmp(name, "patient missing") == 0);
		assert_int_equal(m->device_id, 0);
		assert_int_equal(m->tenant_id, 0);
	}
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < CASE_COUNT; i++) {
		const struct parse_case *c = &cases[i];
		struct mg_measurement m;
		char err[256];
		int rc;

		memset(&m, 0xa5, sizeof(m));
		memset(err, 'x', sizeof(err));
		rc = mg_measurement_parse(c->body, c->len, NOW_MS, &m, err, sizeof(err));
		if (rc != c->rc ||
		    (c->err_prefix != NULL && strncmp(err, c->err_prefix, strlen(c->err_prefix)) != 0) ||
		    (c->err_contains != NULL && strstr(err, c->err_contains) == NULL))
			print_error("case %zu \"%s\": rc %d err \"%s\"; expected rc %d err \"%s...\"%s%s\n",
				    i, c->name, rc, memchr(err, '\0', sizeof(err)) ? err : "(unterminated)",
				    c->rc, c->err_prefix ? c->err_prefix : "",
				    c->err_contains ? " containing " : "",
				    c->err_contains ? c->err_contains : "");
		assert_int_equal(rc, c->rc);
		check_invariants(c->name, rc, &m, err, sizeof(err));
		if (c->err_prefix != NULL)
			assert_true(strncmp(err, c->err_prefix, strlen(c->err_prefix)) == 0);
		if (c->err_contains != NULL)
			assert_non_null(strstr(err, c->err_contains));
	}
}

static void test_fields(void **state)
{
	static const char body[] = WITH_VALUES(WEIGHT ", " HEIGHT);
	struct mg_measurement m;
	char err[128] = "left over";

	(void)state;
	assert_int_equal(mg_measurement_parse(body, strlen(body), NOW_MS, &m, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(m.device_mid, "m-000123");
	assert_string_equal(m.patient_id, "MRN-0001");
	assert_int_equal(m.time_ms, INT64_C(1795341600000));
	assert_int_equal(m.nvalues, 2);
	assert_string_equal(m.values[0].quantity->name, "body_weight");
	assert_true(m.values[0].value == 72.4);
	assert_string_equal(m.values[1].quantity->name, "body_height");
	assert_true(m.values[1].value == 180.0);
	assert_int_equal(m.device_id, 0);
	assert_int_equal(m.tenant_id, 0);
}

/* The body is used by length only: bytes past len are never read. */
static void test_length_not_terminator(void **state)
{
	static const char body[] = WITH_VALUES(WEIGHT) "garbage";
	struct mg_measurement m;
	char err[128];
	size_t len = strlen(body) - strlen("garbage");
	char *copy = malloc(len);

	(void)state;
	assert_non_null(copy);
	memcpy(copy, body, len);	/* not NUL-terminated: ASan sees an overread */
	assert_int_equal(mg_measurement_parse(copy, len, NOW_MS, &m, err, sizeof(err)), 0);
	assert_int_equal(mg_measurement_parse(body, len + 3, NOW_MS, &m, err, sizeof(err)),
			 MG_ERR_INVALID);
	free(copy);
}

/* Each quantity accepts its bounds and refuses the next double outside. */
static void test_range_bounds(void **state)
{
	const struct mg_quantity *q;

	(void)state;
	for (size_t i = 0; (q = mg_quantity_at(i)) != NULL; i++) {
		const double probes[4] = { q->min, q->max, nextafter(q->min, -INFINITY),
					   nextafter(q->max, INFINITY) };

		for (int k = 0; k < 4; k++) {
			char body[512], err[256];
			struct mg_measurement m;
			int n, rc;

			n = snprintf(body, sizeof(body), "{" ID_TIME PATIENT "\"values\": [{\"type\": "
				     "\"%s\", \"value\": %.17g, \"unit\": \"%s\"}]}",
				     q->name, probes[k], q->ucum);
			assert_true(n > 0 && (size_t)n < sizeof(body));
			rc = mg_measurement_parse(body, (size_t)n, NOW_MS, &m, err, sizeof(err));
			check_invariants(q->name, rc, &m, err, sizeof(err));
			if (k < 2) {
				assert_int_equal(rc, 0);
				assert_ptr_equal(m.values[0].quantity, q);
				assert_true(m.values[0].value == probes[k]);
			} else {
				assert_int_equal(rc, MG_ERR_RANGE);
				assert_non_null(strstr(err, "out of range"));
			}
		}
	}
}

static void test_deep_nesting(void **state)
{
	static const char head[] = "{\"id\": ";
	size_t depth = 100000, len = strlen(head) + depth;
	char *body = malloc(len), err[256];
	struct mg_measurement m;

	(void)state;
	assert_non_null(body);
	memcpy(body, head, strlen(head));
	memset(body + strlen(head), '[', depth);
	assert_int_equal(mg_measurement_parse(body, len, NOW_MS, &m, err, sizeof(err)),
			 MG_ERR_INVALID);
	check_invariants("deep nesting", MG_ERR_INVALID, &m, err, sizeof(err));
	assert_true(strncmp(err, "malformed JSON at line 1, column ", 33) == 0);
	assert_non_null(strstr(err, "maximum parsing depth reached"));
	free(body);
}

static void test_body_limit(void **state)
{
	size_t len = MG_DEVICE_BODY_MAX_CEILING + 1;
	char *body = malloc(len), err[128];
	struct mg_measurement m;

	(void)state;
	assert_non_null(body);
	memset(body, ' ', len);
	assert_int_equal(mg_measurement_parse(body, len, NOW_MS, &m, err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_string_equal(err, "body larger than 1048576 bytes");
	free(body);
}

static void test_null_body(void **state)
{
	struct mg_measurement m;
	char err[128];

	(void)state;
	assert_int_equal(mg_measurement_parse(NULL, 10, NOW_MS, &m, err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_string_equal(err, "empty body, expected a JSON object");
}

/* A short err buffer still ends in NUL, and shows it was cut. */
static void test_short_err_buffer(void **state)
{
	static const char body[] = ONE_VALUE("\"body_weight\"", "900", "\"kg\"");
	struct mg_measurement m;
	char err[16];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(mg_measurement_parse(body, strlen(body), NOW_MS, &m, err, 12),
			 MG_ERR_RANGE);
	assert_string_equal(err, "values[0...");
	assert_int_equal(err[12], 'x');
	assert_int_equal(mg_measurement_parse(body, strlen(body), NOW_MS, &m, err, 1),
			 MG_ERR_RANGE);
	assert_string_equal(err, "");
	assert_int_equal(mg_measurement_parse(body, strlen(body), NOW_MS, &m, NULL, 0),
			 MG_ERR_RANGE);
}

/* A clock near the end of int64 must not overflow the skew check. */
static void test_extreme_now(void **state)
{
	static const char body[] = WITH_VALUES(WEIGHT);
	struct mg_measurement m;
	char err[128];

	(void)state;
	assert_int_equal(mg_measurement_parse(body, strlen(body), INT64_MAX, &m, err,
					      sizeof(err)), 0);
	assert_int_equal(mg_measurement_parse(body, strlen(body), INT64_MIN, &m, err,
					      sizeof(err)), MG_ERR_INVALID);
	assert_string_equal(err, "time: more than 600 s in the future");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_length_not_terminator),
		cmocka_unit_test(test_range_bounds),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_null_body),
		cmocka_unit_test(test_short_err_buffer),
		cmocka_unit_test(test_extreme_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
