/* libFuzzer harness for the HL7 readers: mg_hl7_parse (and _msh), every
 * accessor, mg_hl7_oru_to_measurement, mg_hl7_adt_decode, mg_hl7_parse_ack, and the ACK
 * written for whatever came in. Beyond "no crash, no leak, no undefined
 * behaviour" it checks their promises:
 *  - a parsed message obeys every bound and starts with MSH;
 *  - error texts are printable ASCII and never copy input bytes (no '@',
 *    which no fixed text contains);
 *  - a measurement read from a message obeys the validator's rules, and
 *    encoding it as PCD-01 and reading that back gives it again;
 *  - an ADT message read into an identity obeys the model's rules (a
 *    valid identifier, an identity mg_patient_identity_check accepts);
 *  - the ACK medgate writes for the message parses and echoes MSH-10. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"
#include "hl7/ack.h"
#include "hl7/adt.h"
#include "hl7/hl7.h"
#include "hl7/pcd01.h"
#include "model/measurement.h"
#include "model/patient.h"
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

static void check_text(const char *text, size_t size)
{
	CHECK(memchr(text, '\0', size) != NULL);
	for (const char *p = text; *p != '\0'; p++) {
		CHECK(*p >= 0x20 && *p <= 0x7e);
		CHECK(*p != '@');
	}
}

static void check_error(const struct mg_hl7_error *e)
{
	check_text(e->text, sizeof(e->text));
	check_text(e->segment, sizeof(e->segment));
	CHECK(e->code != MG_HL7_ACCEPTED);
	CHECK(e->text[0] != '\0');
}

static void check_measurement(const struct mg_measurement *m)
{
	size_t len = strnlen(m->device_mid, sizeof(m->device_mid));

	CHECK(len >= 1 && len <= MG_DEVICE_MID_MAX);
	for (size_t i = 0; i < len; i++)
		CHECK(m->device_mid[i] > 0x20 && m->device_mid[i] < 0x7f);
	len = strnlen(m->patient_id, sizeof(m->patient_id));
	CHECK(len >= 1 && len <= MG_PATIENT_ID_MAX);
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

/* What medgate sends for this measurement reads back as the same one. */
static void check_round_trip(const struct mg_measurement *m)
{
	struct mg_outbound o;
	struct mg_measurement back;
	struct mg_hl7_error e;
	struct mg_hl7_msg *msg;
	char *text;
	size_t len;

	memset(&o, 0, sizeof(o));
	memcpy(o.message_id, m->device_mid, sizeof(m->device_mid));
	memcpy(o.patient_id, m->patient_id, sizeof(o.patient_id));
	o.measured_ms = m->time_ms;
	o.nvalues = m->nvalues;
	memcpy(o.values, m->values, sizeof(o.values));
	memcpy(o.device_eui64, "0123456789ABCDEF", 17);
	CHECK(mg_hl7_encode_oru(&o, NULL, FUZZ_NOW_MS, &text, &len) == 0);
	CHECK(mg_hl7_parse(text, len, &msg, &e) == 0);
	CHECK(mg_hl7_oru_to_measurement(msg, FUZZ_NOW_MS, &back, &e) == 0);
	CHECK(strcmp(back.device_mid, m->device_mid) == 0);
	CHECK(strcmp(back.patient_id, m->patient_id) == 0);
	CHECK(back.time_ms == m->time_ms && back.nvalues == m->nvalues);
	for (size_t i = 0; i < m->nvalues; i++) {
		CHECK(back.values[i].quantity == m->values[i].quantity);
		CHECK(back.values[i].value == m->values[i].value);
	}
	mg_hl7_msg_free(msg);
	mg_hl7_buffer_free(text, len);
}

/* Walk the fields and a few components of every segment. */
static void walk(const struct mg_hl7_msg *m)
{
	char out[64];
	size_t n = mg_hl7_segment_count(m);

	CHECK(n >= 1 && n <= MG_HL7_SEGMENTS_MAX);
	CHECK(strcmp(mg_hl7_segment_id(m, 0), "MSH") == 0);
	CHECK(mg_hl7_segment_id(m, n) == NULL);
	for (size_t s = 0; s < n; s++) {
		unsigned fields = mg_hl7_field_count(m, s);

		CHECK(fields <= MG_HL7_FIELDS_MAX);
		CHECK(strlen(mg_hl7_segment_id(m, s)) == 3);
		/* The first fields and one past the end: enough for coverage,
		 * cheap enough to keep the fuzzer fast on '|'-heavy input. */
		for (unsigned f = 0; f <= fields + 1 && f <= 40; f++) {
			struct mg_hl7_pos pos = { f, 1 + f % 3, 1 + f % 4, 1 + f % 2 };
			int rc = mg_hl7_text_at(m, s, &pos, out, sizeof(out));
			const char *raw;
			size_t len;

			CHECK(rc == 0 || rc == MG_ERR_INVALID || rc == MG_ERR_LIMIT);
			CHECK(rc == 0 || out[0] == '\0');
			CHECK(strlen(out) < sizeof(out));
			mg_hl7_field_raw(m, s, f, &raw, &len);
			CHECK(len <= MG_HL7_SEGMENT_MAX);
		}
	}
}

/* The ACK medgate writes for received (or for an unreadable message). */
static void check_ack(const struct mg_hl7_msg *received, const struct mg_hl7_error *e)
{
	struct mg_hl7_ack ack;
	char *text, id[MG_HL7_CONTROL_ID_MAX + 1], err[128];
	const char *code = e == NULL ? "AA" : e->code == MG_HL7_APPLICATION_INTERNAL_ERROR ?
			   "AE" : "AR";
	size_t len;

	CHECK(mg_hl7_encode_ack(received, code, e, FUZZ_NOW_MS, &text, &len) == 0);
	CHECK(mg_hl7_parse_ack(text, len, &ack, err, sizeof(err)) == 0);
	CHECK(strcmp(ack.code, code) == 0);
	if (received != NULL && mg_hl7_text(received, 0, 10, 1, id, sizeof(id)) == 0)
		CHECK(strcmp(ack.control_id, id) == 0);
	else
		CHECK(ack.control_id[0] == '\0');
	CHECK(ack.error_code == (e == NULL ? 0 : e->code));
	mg_hl7_buffer_free(text, len);
}

static void check_adt(const struct mg_hl7_msg *m)
{
	static const struct mg_adt zero;
	struct mg_hl7_error e;
	struct mg_adt adt;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = mg_hl7_adt_decode(m, FUZZ_NOW_MS, &adt, &e);
	if (rc != 0) {
		CHECK(rc == MG_ERR_INVALID);
		CHECK(memcmp(&adt, &zero, sizeof(adt)) == 0);
		check_error(&e);
		check_ack(m, &e);
		return;
	}
	CHECK(mg_hl7_is_adt(m) && adt.event != MG_ADT_NONE);
	CHECK(mg_patient_id_check(adt.patient_id, strlen(adt.patient_id), NULL, 0) == 0);
	CHECK(adt.event != MG_ADT_A40 ||
	      mg_patient_id_check(adt.prior_id, strlen(adt.prior_id), NULL, 0) == 0);
	CHECK(adt.has_identity || adt.event == MG_ADT_A03);
	if (adt.has_identity)
		CHECK(mg_patient_identity_check(&adt.identity, FUZZ_NOW_MS, NULL, 0) == 0);
	check_ack(m, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct mg_hl7_msg *m = NULL;
	struct mg_hl7_error e;
	struct mg_hl7_ack ack;
	struct mg_measurement meas;
	char err[64];
	int rc;

	memset(&e, 0xa5, sizeof(e));
	rc = mg_hl7_parse(buf, size, &m, &e);
	if (rc != 0) {
		CHECK(rc == MG_ERR_INVALID || rc == MG_ERR_LIMIT);
		CHECK(m == NULL);
		check_error(&e);
		/* Answer it as the listener would: from its MSH if readable. */
		if (mg_hl7_parse_msh(buf, size, &m, NULL) == 0)
			walk(m);
		check_ack(m, &e);
		mg_hl7_msg_free(m);
		m = NULL;
	} else {
		CHECK(e.code == MG_HL7_ACCEPTED && e.text[0] == '\0');
		walk(m);
		memset(&meas, 0xa5, sizeof(meas));
		rc = mg_hl7_oru_to_measurement(m, FUZZ_NOW_MS, &meas, &e);
		if (rc == 0) {
			check_measurement(&meas);
			check_round_trip(&meas);
			check_ack(m, NULL);
		} else {
			static const struct mg_measurement zero;

			CHECK(rc == MG_ERR_INVALID || rc == MG_ERR_RANGE);
			CHECK(memcmp(&meas, &zero, sizeof(meas)) == 0);
			check_error(&e);
			check_ack(m, &e);
		}
		check_adt(m);
		mg_hl7_msg_free(m);
	}

	rc = mg_hl7_parse_ack(buf, size, &ack, err, sizeof(err));
	check_text(err, sizeof(err));
	if (rc == 0) {
		CHECK(err[0] == '\0');
		CHECK(strlen(ack.code) == 2);
		CHECK(strlen(ack.control_id) <= MG_HL7_CONTROL_ID_MAX);
	} else {
		CHECK(rc == MG_ERR_INVALID || rc == MG_ERR_LIMIT);
		CHECK(err[0] != '\0' && ack.code[0] == '\0');
	}
	return 0;
}
