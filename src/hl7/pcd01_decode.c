/* Reading a device's PCD-01 ORU^R01 into a struct mg_measurement
 * (docs/hl7.md, "What medgate accepts").
 *
 * The HL7 shape is checked here, field by field, and every refusal names
 * the segment occurrence and field in the terms of an ERR segment. The
 * measurement rules (lengths, characters, time window, ranges, each
 * quantity once) are the validator's, applied by hl7_reading_validate;
 * its messages are rewritten from JSON paths to HL7 locations. Error
 * texts never repeat an identifier or free text from the message: only
 * numbers that identify nobody (an unknown MDC code, a value out of range;
 * docs/hl7.md, ERR-8). */
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "hl7/internal.h"
#include "hl7/pcd01.h"

#define NM_TEXT_MAX	64	/* longest OBX-5 number we read */
#define CODE_TEXT_MAX	64	/* codes, units, statuses, versions */

struct reader {
	const struct mg_hl7_msg *m;
	struct mg_hl7_error *error;
	struct hl7_reading reading;
	unsigned obx_seq[MG_VALUES_MAX + 1];	/* OBX occurrence of each value */
	unsigned obr_seq;			/* occurrence of the current OBR */
	unsigned time_seq;			/* OBX or OBR occurrence of the time */
	unsigned time_field;			/* 14 (OBX) or 7 (OBR) */
	char mid[MG_HL7_SEGMENT_MAX + 1];
	char patient[MG_HL7_SEGMENT_MAX + 1];
};

/* Refuse with code at segment(seq)-field (0: unknown) and a text that
 * starts with that location, as "OBX(3)-5: ...". */
__attribute__((format(printf, 6, 7)))
static int fail(struct reader *r, unsigned code, const char *segment, unsigned seq,
		unsigned field, const char *fmt, ...)
{
	char where[48] = "", text[MG_HL7_ERROR_TEXT_MAX + 1];
	va_list ap;
	int n;

	if (segment[0] != '\0' && seq > 0 && field > 0)
		(void)snprintf(where, sizeof(where), "%s(%u)-%u: ", segment, seq, field);
	else if (segment[0] != '\0' && field > 0)
		(void)snprintf(where, sizeof(where), "%s-%u: ", segment, field);
	else if (segment[0] != '\0' && seq > 0)
		(void)snprintf(where, sizeof(where), "%s(%u): ", segment, seq);
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		text[0] = '\0';
	hl7_error_set(r->error, code, segment, seq, field, "%s%s", where, text);
	return MG_ERR_INVALID;
}

/* Decoded text of seg's field.component; a bad escape or an over-long
 * value is a data type error at that place. */
static int read_text(struct reader *r, size_t seg, unsigned seq, unsigned field,
		     unsigned component, char *out, size_t outsize)
{
	int rc = mg_hl7_text(r->m, seg, field, component, out, outsize);

	if (rc == 0)
		return 0;
	return fail(r, MG_HL7_DATA_TYPE_ERROR, mg_hl7_segment_id(r->m, seg), seq, field, "%s",
		    rc == MG_ERR_LIMIT ? "value too long" : "bad escape sequence");
}

static int check_header(struct reader *r)
{
	char text[CODE_TEXT_MAX];
	int rc;

	if ((rc = read_text(r, 0, 1, 9, 1, text, sizeof(text))) != 0)
		return rc;
	if (strcmp(text, "ORU") != 0)
		return fail(r, MG_HL7_UNSUPPORTED_MESSAGE_TYPE, "MSH", 1, 9,
			    "message type is not supported (only ORU^R01)");
	if ((rc = read_text(r, 0, 1, 9, 2, text, sizeof(text))) != 0)
		return rc;
	if (strcmp(text, "R01") != 0)
		return fail(r, MG_HL7_UNSUPPORTED_EVENT_CODE, "MSH", 1, 9,
			    "only trigger event R01 is supported");
	if ((rc = read_text(r, 0, 1, 9, 3, text, sizeof(text))) != 0)
		return rc;
	if (text[0] != '\0' && strcmp(text, "ORU_R01") != 0)
		return fail(r, MG_HL7_UNSUPPORTED_MESSAGE_TYPE, "MSH", 1, 9,
			    "message structure is not ORU_R01");
	if ((rc = read_text(r, 0, 1, 11, 1, text, sizeof(text))) != 0)
		return rc;
	if (strcmp(text, "P") != 0)	/* training or test data is not patient data */
		return fail(r, text[0] ? MG_HL7_UNSUPPORTED_PROCESSING_ID :
			    MG_HL7_REQUIRED_FIELD_MISSING, "MSH", 1, 11,
			    "processing id must be P (production)");
	if ((rc = read_text(r, 0, 1, 12, 1, text, sizeof(text))) != 0)
		return rc;
	if (strncmp(text, "2.", 2) != 0)
		return fail(r, text[0] ? MG_HL7_UNSUPPORTED_VERSION_ID :
			    MG_HL7_REQUIRED_FIELD_MISSING, "MSH", 1, 12,
			    "version must be HL7 2.x (PCD-01 uses 2.6)");
	if ((rc = read_text(r, 0, 1, 10, 1, r->mid, sizeof(r->mid))) != 0)
		return rc;
	if (r->mid[0] == '\0')
		return fail(r, MG_HL7_REQUIRED_FIELD_MISSING, "MSH", 1, 10,
			    "message control id is empty");
	r->reading.device_mid = r->mid;
	return 0;
}

/* HL7 NM: [+|-] digits [. digits], or [+|-] . digits; nothing else. */
static int parse_nm(const char *s, double *out)
{
	const char *p = s;
	size_t digits = 0;
	char *end;

	if (*p == '+' || *p == '-')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (digits == 0 || *p != '\0')
		return MG_ERR_INVALID;
	errno = 0;
	*out = strtod(s, &end);
	return *end == '\0' && errno == 0 ? 0 : MG_ERR_INVALID;
}

static int parse_code(const char *s, uint32_t *code)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 10)
		return MG_ERR_INVALID;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return MG_ERR_INVALID;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > UINT32_MAX)
		return MG_ERR_INVALID;
	*code = (uint32_t)v;
	return 0;
}

static int read_quantity(struct reader *r, size_t seg, unsigned seq,
			 const struct mg_quantity **q)
{
	char code_text[CODE_TEXT_MAX], system[CODE_TEXT_MAX];
	uint32_t code;
	int rc;

	if ((rc = read_text(r, seg, seq, 3, 1, code_text, sizeof(code_text))) != 0 ||
	    (rc = read_text(r, seg, seq, 3, 3, system, sizeof(system))) != 0)
		return rc;
	if (code_text[0] == '\0')
		return fail(r, MG_HL7_REQUIRED_FIELD_MISSING, "OBX", seq, 3,
			    "observation identifier is empty");
	if (strcmp(system, "MDC") != 0 || parse_code(code_text, &code) != 0)
		return fail(r, MG_HL7_TABLE_VALUE_NOT_FOUND, "OBX", seq, 3,
			    "expected an IEEE 11073 code as code^name^MDC");
	if ((*q = mg_quantity_find_mdc(code)) == NULL)
		return fail(r, MG_HL7_TABLE_VALUE_NOT_FOUND, "OBX", seq, 3,
			    "MDC code %lu is not a quantity medgate knows (docs/quantities.md)",
			    (unsigned long)code);
	return 0;
}

/* OBX-6: the quantity's MDC unit code (system MDC) or UCUM unit (system
 * UCUM); with no system given, either. */
static int check_unit(struct reader *r, size_t seg, unsigned seq, const struct mg_quantity *q)
{
	char unit[CODE_TEXT_MAX], system[CODE_TEXT_MAX], mdc[16];
	int rc, is_mdc, is_ucum;

	if ((rc = read_text(r, seg, seq, 6, 1, unit, sizeof(unit))) != 0 ||
	    (rc = read_text(r, seg, seq, 6, 3, system, sizeof(system))) != 0)
		return rc;
	(void)snprintf(mdc, sizeof(mdc), "%lu", (unsigned long)q->mdc_unit_code);
	is_mdc = strcmp(unit, mdc) == 0 && (system[0] == '\0' || strcmp(system, "MDC") == 0);
	is_ucum = strcmp(unit, q->ucum) == 0 && (system[0] == '\0' || strcmp(system, "UCUM") == 0);
	if (is_mdc || is_ucum)
		return 0;
	return fail(r, unit[0] ? MG_HL7_TABLE_VALUE_NOT_FOUND : MG_HL7_REQUIRED_FIELD_MISSING,
		    "OBX", seq, 6, "unit must be %s^%s^MDC or %s^^UCUM for %s", mdc,
		    q->mdc_unit_name, q->ucum, q->mdc_name);
}

static int read_value(struct reader *r, size_t seg, unsigned seq, double *value)
{
	char text[NM_TEXT_MAX];
	const char *raw;
	size_t len;
	int rc;

	mg_hl7_field_raw(r->m, seg, 5, &raw, &len);
	if (memchr(raw, r->m->delimiters.repetition, len) != NULL ||
	    memchr(raw, r->m->delimiters.component, len) != NULL ||
	    memchr(raw, r->m->delimiters.subcomponent, len) != NULL)
		return fail(r, MG_HL7_DATA_TYPE_ERROR, "OBX", seq, 5, "an NM value is one number");
	if ((rc = read_text(r, seg, seq, 5, 1, text, sizeof(text))) != 0)
		return rc;
	if (text[0] == '\0')
		return fail(r, MG_HL7_REQUIRED_FIELD_MISSING, "OBX", seq, 5, "value is empty");
	if (parse_nm(text, value) != 0)
		return fail(r, MG_HL7_DATA_TYPE_ERROR, "OBX", seq, 5,
			    "not an HL7 NM number ([+|-]digits[.digits])");
	return 0;
}

/* OBX-14, else OBR-7 of the OBX's OBR; one time for all values. */
static int read_time(struct reader *r, size_t seg, unsigned seq, size_t obr)
{
	char text[CODE_TEXT_MAX];
	const char *where = "OBX";
	unsigned where_seq = seq, field = 14;
	int64_t ms;
	int rc;

	if ((rc = read_text(r, seg, seq, 14, 1, text, sizeof(text))) != 0)
		return rc;
	if (text[0] == '\0') {
		where = "OBR", where_seq = r->obr_seq, field = 7;
		if ((rc = read_text(r, obr, r->obr_seq, 7, 1, text, sizeof(text))) != 0)
			return rc;
	}
	if (text[0] == '\0')
		return fail(r, MG_HL7_REQUIRED_FIELD_MISSING, "OBX", seq, 14,
			    "no observation time (OBX-14 and OBR-7 are empty)");
	if (hl7_dtm_parse(text, &ms) != 0)
		return fail(r, MG_HL7_DATA_TYPE_ERROR, where, where_seq, field, "expected a "
			    "date-time YYYYMMDDHHMM[SS[.SSSS]] with a UTC offset +/-ZZZZ");
	if (r->reading.nvalues == 0) {
		r->reading.time_ms = ms;
		r->time_seq = where_seq;
		r->time_field = field;
	} else if (ms != r->reading.time_ms) {
		return fail(r, MG_HL7_DATA_TYPE_ERROR, "OBX", seq, 14,
			    "observation time differs from the first value's; send one "
			    "message per measurement");
	}
	return 0;
}

static int read_obx(struct reader *r, size_t seg, unsigned seq, size_t obr)
{
	char type[CODE_TEXT_MAX], status[CODE_TEXT_MAX];
	const struct mg_quantity *q;
	double value = 0;
	int rc;

	if ((rc = read_text(r, seg, seq, 2, 1, type, sizeof(type))) != 0)
		return rc;
	if (strcmp(type, "NM") != 0)
		return 0;	/* device hierarchy rows, CWE, DTM, ST ...: not values */
	if ((rc = read_text(r, seg, seq, 11, 1, status, sizeof(status))) != 0)
		return rc;
	if (strcmp(status, "X") == 0)
		return 0;	/* "results cannot be obtained": no value */
	if (strcmp(status, "R") != 0 && strcmp(status, "F") != 0)
		return fail(r, status[0] ? MG_HL7_TABLE_VALUE_NOT_FOUND :
			    MG_HL7_REQUIRED_FIELD_MISSING, "OBX", seq, 11,
			    "result status must be R or F (HL7 table 0085)");
	if ((rc = read_quantity(r, seg, seq, &q)) != 0 ||
	    (rc = check_unit(r, seg, seq, q)) != 0 ||
	    (rc = read_value(r, seg, seq, &value)) != 0 ||
	    (rc = read_time(r, seg, seq, obr)) != 0)
		return rc;
	if (r->reading.nvalues > MG_VALUES_MAX)
		return 0;	/* already one too many: the rules will say so */
	r->reading.quantity[r->reading.nvalues] = q;
	r->reading.value[r->reading.nvalues] = value;
	r->obx_seq[r->reading.nvalues] = seq;
	r->reading.nvalues++;
	return 0;
}

static int read_pid(struct reader *r, size_t seg)
{
	int rc;

	if ((rc = read_text(r, seg, 1, 3, 1, r->patient, sizeof(r->patient))) != 0)
		return rc;
	if (r->patient[0] == '\0')
		return fail(r, MG_HL7_REQUIRED_FIELD_MISSING, "PID", 1, 3,
			    "patient identifier is empty");
	r->reading.patient_id = r->patient;
	return 0;
}

/* MSH, then one PID, then OBR groups whose OBX rows carry the values.
 * Other segments (SFT, PV1, ORC, NTE, TQ1 ...) are allowed and ignored. */
static int read_segments(struct reader *r)
{
	size_t n = mg_hl7_segment_count(r->m), obr = 0;
	unsigned pids = 0, obxs = 0;
	int rc;

	for (size_t i = 1; i < n; i++) {
		const char *id = mg_hl7_segment_id(r->m, i);

		if (strcmp(id, "PID") == 0) {
			if (pids > 0 || r->obr_seq > 0)
				return fail(r, MG_HL7_SEGMENT_SEQUENCE_ERROR, "PID", pids + 1, 0,
					    "one patient per message, before any OBR");
			pids++;
			if ((rc = read_pid(r, i)) != 0)
				return rc;
		} else if (strcmp(id, "OBR") == 0) {
			if (pids == 0)
				return fail(r, MG_HL7_SEGMENT_SEQUENCE_ERROR, "OBR", 1, 0,
					    "before any PID: PID is required first");
			r->obr_seq++;
			obr = i;
		} else if (strcmp(id, "OBX") == 0) {
			obxs++;
			if (r->obr_seq == 0)
				return fail(r, MG_HL7_SEGMENT_SEQUENCE_ERROR, "OBX", obxs, 0,
					    "before any OBR: OBX rows belong to an OBR");
			if ((rc = read_obx(r, i, obxs, obr)) != 0)
				return rc;
		}
	}
	if (pids == 0)
		return fail(r, MG_HL7_SEGMENT_SEQUENCE_ERROR, "PID", 0, 0, "PID: no PID segment");
	if (r->reading.nvalues == 0)
		return fail(r, MG_HL7_REQUIRED_FIELD_MISSING, "OBX", 0, 0,
			    "OBX: no NM OBX with a value (R or F)");
	return 0;
}

/* The HL7 place of a validator path ("values[2].unit" -> OBX(k)-6). */
static void locate(const struct reader *r, const char *path, size_t pathlen,
		   const char **segment, unsigned *seq, unsigned *field)
{
	size_t index, used = 0;

	*segment = "", *seq = 0, *field = 0;
	if (pathlen == 2 && strncmp(path, "id", 2) == 0) {
		*segment = "MSH", *seq = 1, *field = 10;
	} else if (pathlen >= 7 && strncmp(path, "patient", 7) == 0) {
		*segment = "PID", *seq = 1, *field = 3;
	} else if (pathlen == 4 && strncmp(path, "time", 4) == 0) {
		*segment = r->time_field == 7 ? "OBR" : "OBX";
		*seq = r->time_seq, *field = r->time_field;
	} else if (sscanf(path, "values[%zu]%zn", &index, &used) == 1 && used > 0 &&
		   index < r->reading.nvalues) {
		*segment = "OBX", *seq = r->obx_seq[index];
		*field = strncmp(path + used, ".unit", 5) == 0 ? 6 :
			 strncmp(path + used, ".type", 5) == 0 ? 3 : 5;
	} else if (pathlen == 6 && strncmp(path, "values", 6) == 0) {
		*segment = "OBX";
	}
}

/* Report the validator's "values[3].value: ..." as "OBX(5)-5: ...", with
 * any other "values[i]" in the text turned into "OBX(k)" too. */
static void translate(struct reader *r, const char *message)
{
	const char *colon = strstr(message, ": "), *rest = colon ? colon + 2 : message;
	char text[MG_HL7_ERROR_TEXT_MAX + 1];
	const char *segment;
	unsigned seq, field;
	size_t o = 0;

	locate(r, message, colon ? (size_t)(colon - message) : 0, &segment, &seq, &field);
	while (*rest != '\0' && o + 1 < sizeof(text)) {
		size_t i, used = 0;

		if (sscanf(rest, "values[%zu]%zn", &i, &used) == 1 && used > 0 &&
		    i < r->reading.nvalues) {
			int w = snprintf(text + o, sizeof(text) - o, "OBX(%u)", r->obx_seq[i]);

			if (w < 0 || (size_t)w >= sizeof(text) - o)
				break;
			o += (size_t)w;
			rest += used;
			continue;
		}
		text[o++] = *rest++;
	}
	text[o] = '\0';
	if (segment[0] == '\0')		/* not a rule about the content: our fault */
		(void)fail(r, MG_HL7_APPLICATION_INTERNAL_ERROR, "", 0, 0, "%s", text);
	else
		(void)fail(r, MG_HL7_DATA_TYPE_ERROR, segment, seq, field, "%s%s",
			   seq == 0 && field == 0 ? "NM OBX rows: " : "", text);
}

int mg_hl7_oru_to_measurement(const struct mg_hl7_msg *m, int64_t now_ms,
			      struct mg_measurement *out, struct mg_hl7_error *error)
{
	struct mg_hl7_error scratch;
	char message[MG_HL7_ERROR_TEXT_MAX + 1];
	struct reader *r;
	int rc;

	memset(out, 0, sizeof(*out));
	if (error == NULL)
		error = &scratch;
	hl7_error_set(error, MG_HL7_ACCEPTED, "", 0, 0, "%s", "");
	/* The reader holds two segment-sized buffers: heap, not stack. */
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		hl7_error_set(error, MG_HL7_APPLICATION_INTERNAL_ERROR, "", 0, 0, "out of memory");
		return MG_ERR_NOMEM;
	}
	r->m = m;
	r->error = error;
	if ((rc = check_header(r)) != 0 || (rc = read_segments(r)) != 0)
		goto out;
	rc = hl7_reading_validate(&r->reading, now_ms, out, message, sizeof(message));
	if (rc == MG_ERR_NOMEM)
		hl7_error_set(error, MG_HL7_APPLICATION_INTERNAL_ERROR, "", 0, 0, "out of memory");
	else if (rc != 0)
		translate(r, message);
out:
	sodium_memzero(r, sizeof(*r));	/* it holds the patient id */
	free(r);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
