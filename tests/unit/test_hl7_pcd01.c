/* PCD-01 ORU^R01: the encoder against a golden message, escaping of
 * everything it writes, its contract checks, round trips of values; the
 * inbound reader against a valid device message and a table of broken
 * variants, each with the HL7 error code and location it must give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "hl7/ack.h"
#include "hl7/hl7.h"
#include "hl7/pcd01.h"
#include "model/quantity.h"

#define MEASURED_MS	INT64_C(1795341600000)	/* 2026-11-22T10:00:00Z */
#define NOW_MS		INT64_C(1795341900000)	/* 2026-11-22T10:05:00Z */

static void fill_outbound(struct mg_outbound *o)
{
	static const struct { const char *name; double value; } values[] = {
		{ "body_weight", 72.5 }, { "body_height", 180 }, { "bmi", 22.4 },
		{ "body_fat", 21.3 }, { "bp_systolic", 128 }, { "bp_diastolic", 82 },
	};

	memset(o, 0, sizeof(*o));
	(void)snprintf(o->message_id, sizeof(o->message_id), "MG-1-42");
	(void)snprintf(o->patient_id, sizeof(o->patient_id), "PAT-0042");
	(void)snprintf(o->device_name, sizeof(o->device_name), "Scale | ward 3");
	(void)snprintf(o->device_eui64, sizeof(o->device_eui64), "0123456789ABCDEF");
	o->measured_ms = MEASURED_MS;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		o->values[i].quantity = mg_quantity_find(values[i].name);
		assert_non_null(o->values[i].quantity);
		o->values[i].value = values[i].value;
	}
	o->nvalues = sizeof(values) / sizeof(values[0]);
}

static const struct mg_hl7_party golden_party = {
	.sending_facility = "Ward 3",
	.receiving_application = "EMR",
	.receiving_facility = "Hospital",
	.patient_id_authority = "HOSP",
	.patient_id_type = "MR",
};

#define EQUIPMENT "0123456789ABCDEF^^0123456789ABCDEF^EUI-64"
#define AT "20261122100000.000+0000"

static const char golden[] =
	"MSH|^~\\&|MEDGATE|Ward 3|EMR|Hospital|20261122100500.000+0000||ORU^R01^ORU_R01|"
	"MG-1-42|P|2.6|||AL|NE||UNICODE UTF-8|||"
	"IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO\r"
	"PID|||PAT-0042^^^HOSP^MR||^^^^^^U\r"
	"OBR|1||MG-1-42^MEDGATE|182777000^monitoring of patient^SCT|||" AT "\r"
	"OBX|1||65573^MDC_MOC_VMS_MDS_SIMP^MDC|1.0.0.0|||||||X|||||||" EQUIPMENT "\r"
	"OBX|2|NM|188736^MDC_MASS_BODY_ACTUAL^MDC|1.0.0.1|72.5|263875^MDC_DIM_KILO_G^MDC"
	"|||||R|||" AT "||||" EQUIPMENT "\r"
	"OBX|3|NM|188740^MDC_LEN_BODY_ACTUAL^MDC|1.0.0.2|180|263441^MDC_DIM_CENTI_M^MDC"
	"|||||R|||" AT "||||" EQUIPMENT "\r"
	"OBX|4|NM|188752^MDC_RATIO_MASS_BODY_LEN_SQ^MDC|1.0.0.3|22.4|264096^MDC_DIM_KG_PER_M_SQ^MDC"
	"|||||R|||" AT "||||" EQUIPMENT "\r"
	"OBX|5|NM|188748^MDC_BODY_FAT^MDC|1.0.0.4|21.3|262688^MDC_DIM_PERCENT^MDC"
	"|||||R|||" AT "||||" EQUIPMENT "\r"
	"OBX|6|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.0.0.5|128|266016^MDC_DIM_MMHG^MDC"
	"|||||R|||" AT "||||" EQUIPMENT "\r"
	"OBX|7|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.0.0.6|82|266016^MDC_DIM_MMHG^MDC"
	"|||||R|||" AT "||||" EQUIPMENT "\r";

static void test_encode_golden(void **state)
{
	struct mg_outbound o;
	char *msg;
	size_t len;

	(void)state;
	fill_outbound(&o);
	assert_int_equal(mg_hl7_encode_oru(&o, &golden_party, NOW_MS, &msg, &len), 0);
	assert_int_equal(len, strlen(msg));
	assert_string_equal(msg, golden);
	mg_hl7_buffer_free(msg, len);
}

static void test_encode_defaults_and_no_eui(void **state)
{
	struct mg_outbound o;
	struct mg_hl7_msg *m;
	char *msg, out[64];
	size_t len, seg;

	(void)state;
	fill_outbound(&o);
	o.device_eui64[0] = '\0';
	o.nvalues = 1;
	assert_int_equal(mg_hl7_encode_oru(&o, NULL, NOW_MS, &msg, &len), 0);
	assert_non_null(strstr(msg, "PID|||PAT-0042||^^^^^^U\r"));
	assert_non_null(strstr(msg, "OBX|1||65573^MDC_MOC_VMS_MDS_SIMP^MDC|1.0.0.0|||||||X\r"));
	assert_null(strstr(msg, "EUI-64"));
	assert_int_equal(mg_hl7_parse(msg, len, &m, NULL), 0);
	assert_int_equal(mg_hl7_text(m, 0, 3, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "MEDGATE");
	assert_int_equal(mg_hl7_text(m, 0, 4, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(mg_hl7_text(m, 0, 11, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "P");
	assert_int_equal(mg_hl7_segment_find(m, "OBX", 0, &seg), 0);
	assert_int_equal(mg_hl7_field_count(m, seg), 11);
	mg_hl7_msg_free(m);
	mg_hl7_buffer_free(msg, len);
}

/* A withdrawal (docs/ward.md): its own MSH-10, OBR-2 the posting it
 * withdraws, OBX-11 W on every value; the device row stays X. */
static void test_encode_withdrawal(void **state)
{
	struct mg_outbound o;
	char *msg;
	size_t len;

	(void)state;
	fill_outbound(&o);
	o.nvalues = 2;
	(void)snprintf(o.posting_id, sizeof(o.posting_id), "MG-1-42");
	(void)snprintf(o.message_id, sizeof(o.message_id), "MG-1-42-W");
	o.withdrawn = true;
	assert_int_equal(mg_hl7_encode_oru(&o, NULL, NOW_MS, &msg, &len), 0);
	assert_non_null(strstr(msg, "|ORU^R01^ORU_R01|MG-1-42-W|"));
	assert_non_null(strstr(msg, "\rOBR|1||MG-1-42^MEDGATE|"));
	assert_non_null(strstr(msg, "|||||X|||"));
	assert_null(strstr(msg, "|||||R|||"));
	for (const char *p = msg, *hit; (hit = strstr(p, "|NM|")) != NULL; p = hit + 1) {
		const char *w = strstr(hit, "|||||W|||");

		assert_non_null(w);
		assert_true(strchr(hit, '\r') > w);
	}
	mg_hl7_buffer_free(msg, len);
	/* A posting id too long for OBR-2 is refused. */
	fill_outbound(&o);
	memset(o.posting_id, 'x', sizeof(o.posting_id));
	assert_int_equal(mg_hl7_encode_oru(&o, NULL, NOW_MS, &msg, &len), MG_ERR_INVALID);
}

/* Whatever text goes in, it comes back out of its field and adds no
 * field, component or segment. */
static void test_encode_escapes_everything(void **state)
{
	static const char nasty[] = "A|B^C~D\\E&F\rOBX|9";
	struct mg_hl7_party party = {
		.sending_application = nasty, .sending_facility = nasty,
		.receiving_application = nasty, .receiving_facility = nasty,
		.patient_id_authority = nasty, .patient_id_type = nasty,
		.processing_id = 'T',
	};
	struct mg_hl7_pos authority = { 3, 1, 4, 1 };
	struct mg_outbound o;
	struct mg_hl7_msg *m;
	char *msg, out[64];
	size_t len, seg;

	(void)state;
	fill_outbound(&o);
	(void)snprintf(o.patient_id, sizeof(o.patient_id), "%s", nasty);
	(void)snprintf(o.message_id, sizeof(o.message_id), "%s", nasty);
	assert_int_equal(mg_hl7_encode_oru(&o, &party, NOW_MS, &msg, &len), 0);
	assert_int_equal(mg_hl7_parse(msg, len, &m, NULL), 0);
	assert_int_equal(mg_hl7_segment_count(m), 3 + 1 + o.nvalues);
	for (unsigned f = 3; f <= 6; f++) {
		assert_int_equal(mg_hl7_text(m, 0, f, 1, out, sizeof(out)), 0);
		assert_string_equal(out, nasty);
	}
	assert_int_equal(mg_hl7_text(m, 0, 10, 1, out, sizeof(out)), 0);
	assert_string_equal(out, nasty);
	assert_int_equal(mg_hl7_text(m, 0, 11, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "T");
	assert_int_equal(mg_hl7_field_count(m, 0), 21);
	assert_int_equal(mg_hl7_segment_find(m, "PID", 0, &seg), 0);
	assert_int_equal(mg_hl7_field_count(m, seg), 5);
	assert_int_equal(mg_hl7_text(m, seg, 3, 1, out, sizeof(out)), 0);
	assert_string_equal(out, nasty);
	assert_int_equal(mg_hl7_text_at(m, seg, &authority, out, sizeof(out)), 0);
	assert_string_equal(out, nasty);
	assert_int_equal(mg_hl7_text(m, seg, 3, 5, out, sizeof(out)), 0);
	assert_string_equal(out, nasty);
	assert_int_equal(mg_hl7_segment_find(m, "OBR", 0, &seg), 0);
	assert_int_equal(mg_hl7_text(m, seg, 3, 1, out, sizeof(out)), 0);
	assert_string_equal(out, nasty);
	assert_int_equal(mg_hl7_text(m, seg, 3, 2, out, sizeof(out)), 0);
	assert_string_equal(out, nasty);
	mg_hl7_msg_free(m);
	mg_hl7_buffer_free(msg, len);
}

static void test_encode_contract(void **state)
{
	struct mg_outbound o;
	struct mg_hl7_party bad_processing = { .processing_id = 'X' };
	char *msg;
	size_t len;

	(void)state;
#define REFUSED(change) do { \
		fill_outbound(&o); \
		change; \
		assert_int_equal(mg_hl7_encode_oru(&o, NULL, NOW_MS, &msg, &len), MG_ERR_INVALID); \
		assert_null(msg); \
		assert_int_equal(len, 0); \
	} while (0)
	REFUSED(o.message_id[0] = '\0');
	REFUSED(o.patient_id[0] = '\0');
	REFUSED(o.device_eui64[3] = 'g');
	REFUSED(o.device_eui64[3] = 'a');	/* upper-case hex only */
	REFUSED(o.device_eui64[15] = '\0');
	REFUSED(o.nvalues = 0);
	REFUSED(o.nvalues = MG_VALUES_MAX + 1);
	REFUSED(o.values[2].quantity = NULL);
	REFUSED(o.values[1].value = NAN);
	REFUSED(o.values[1].value = INFINITY);
	REFUSED(o.measured_ms = INT64_C(253402300800000));	/* year 10000 */
#undef REFUSED
	fill_outbound(&o);
	assert_int_equal(mg_hl7_encode_oru(&o, &bad_processing, NOW_MS, &msg, &len),
			 MG_ERR_INVALID);
	assert_int_equal(mg_hl7_encode_oru(&o, NULL, INT64_C(253402300800000), &msg, &len),
			 MG_ERR_INVALID);
}

/* Values come back bit for bit: the shortest text that reads back. */
static void test_value_round_trip(void **state)
{
	static const double weights[] = {
		72.5, 0.2, 700, 72.30000000000001, 99.99999999999999, 123.456789012345,
		0.30000000000000004, 1.0 / 3.0 * 100, 68.1, 80.00000000000001,
	};
	struct mg_outbound o;
	struct mg_measurement meas;
	struct mg_hl7_error e;
	struct mg_hl7_msg *m;
	char *msg;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(weights) / sizeof(weights[0]); i++) {
		fill_outbound(&o);
		o.values[0].value = weights[i];
		assert_int_equal(mg_hl7_encode_oru(&o, NULL, NOW_MS, &msg, &len), 0);
		assert_int_equal(mg_hl7_parse(msg, len, &m, &e), 0);
		assert_int_equal(mg_hl7_oru_to_measurement(m, NOW_MS, &meas, &e), 0);
		assert_string_equal(meas.device_mid, o.message_id);
		assert_string_equal(meas.patient_id, o.patient_id);
		assert_true(meas.time_ms == o.measured_ms);
		assert_int_equal(meas.nvalues, o.nvalues);
		for (size_t k = 0; k < o.nvalues; k++) {
			assert_ptr_equal(meas.values[k].quantity, o.values[k].quantity);
			assert_true(meas.values[k].value == o.values[k].value);
		}
		mg_hl7_msg_free(m);
		mg_hl7_buffer_free(msg, len);
	}
}

/* ---- inbound ---- */

#define DEV_MSH "MSH|^~\\&|SCALE^0123456789ABCDEF^EUI-64|WARD|MEDGATE|HOSP|20261122100001+0000" \
	"||ORU^R01^ORU_R01|SCALE-0001-42|P|2.6|||AL|NE||UNICODE UTF-8|||" \
	"IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO\r"
#define DEV_TIME "20261122100000+0000"

static const char device_message[] =
	DEV_MSH
	"PID|||PAT-0042^^^HOSP^MR||^^^^^^U\r"
	"PV1||O\r"
	"OBR|1||SCALE-0001-42^SCALE|182777000^monitoring of patient^SCT|||" DEV_TIME "\r"
	"OBX|1||65573^MDC_MOC_VMS_MDS_SIMP^MDC|1.0.0.0|||||||X|||||||"
	"0123456789ABCDEF^^0123456789ABCDEF^EUI-64\r"
	"OBX|2|NM|188736^MDC_MASS_BODY_ACTUAL^MDC|1.0.0.1|72.5|263875^MDC_DIM_KILO_G^MDC|||||R|||"
	DEV_TIME "\r"
	"OBX|3|NM|188740^MDC_LEN_BODY_ACTUAL^MDC|1.0.0.2|180|263441^MDC_DIM_CENTI_M^MDC|||||R|||"
	DEV_TIME "\r"
	"NTE|1||measured after breakfast\r"
	"OBX|4|CWE|68220^MDC_TIME_SYNC_PROTOCOL^MDC|0.0.0.1|532224^MDC_TIME_SYNC_NONE^MDC||||||R\r"
	"OBX|5|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.0.0.3|128|266016^MDC_DIM_MMHG^MDC|||||F|||"
	DEV_TIME "\r";

struct variant {
	const char *name;
	const char *from, *to;	/* replace every from by to; NULL: unchanged */
	int rc;
	unsigned code;
	const char *segment;
	unsigned sequence, field;
	const char *text;	/* a part of the error text */
	size_t nvalues;		/* on success */
	const char *from2, *to2;	/* a second replacement, after the first */
};

static const struct variant variants[] = {
	{ "valid", NULL, NULL, 0, 0, "", 0, 0, "", 3, NULL, NULL },
	{ "UCUM unit", "263875^MDC_DIM_KILO_G^MDC", "kg^^UCUM", 0, 0, "", 0, 0, "", 3, NULL, NULL },
	{ "unit without system", "263875^MDC_DIM_KILO_G^MDC", "263875", 0, 0, "", 0, 0, "", 3, NULL, NULL },
	{ "time only in OBR-7", "R|||" DEV_TIME, "R", 0, 0, "", 0, 0, "", 3, NULL, NULL },
	{ "status X row skipped", "|||||R|||" DEV_TIME "\rOBX|3", "|||||X\rOBX|3", 0, 0, "",
	  0, 0, "", 2, NULL, NULL },
	{ "minute precision", DEV_TIME, "202611221000+0000", 0, 0, "", 0, 0, "", 3, NULL, NULL },
	{ "plain + sign", "|72.5|", "|+72.50|", 0, 0, "", 0, 0, "", 3, NULL, NULL },
	{ "ADT message", "ORU^R01^ORU_R01", "ADT^A01^ADT_A01", MG_ERR_INVALID,
	  MG_HL7_UNSUPPORTED_MESSAGE_TYPE, "MSH", 1, 9, "message type is not supported (only ORU^R01)",
	  0, NULL, NULL },
	{ "other event", "ORU^R01^ORU_R01", "ORU^R30^ORU_R30", MG_ERR_INVALID,
	  MG_HL7_UNSUPPORTED_EVENT_CODE, "MSH", 1, 9, "R01", 0, NULL, NULL },
	{ "other structure", "ORU^R01^ORU_R01", "ORU^R01^ORU_R99", MG_ERR_INVALID,
	  MG_HL7_UNSUPPORTED_MESSAGE_TYPE, "MSH", 1, 9, "ORU_R01", 0, NULL, NULL },
	{ "training message", "|P|2.6|", "|T|2.6|", MG_ERR_INVALID,
	  MG_HL7_UNSUPPORTED_PROCESSING_ID, "MSH", 1, 11, "production", 0, NULL, NULL },
	{ "version 3", "|P|2.6|", "|P|3.0|", MG_ERR_INVALID, MG_HL7_UNSUPPORTED_VERSION_ID,
	  "MSH", 1, 12, "2.x", 0, NULL, NULL },
	{ "no version", "|P|2.6|", "|P||", MG_ERR_INVALID, MG_HL7_REQUIRED_FIELD_MISSING,
	  "MSH", 1, 12, "2.x", 0, NULL, NULL },
	{ "no control id", "|SCALE-0001-42|P|", "||P|", MG_ERR_INVALID,
	  MG_HL7_REQUIRED_FIELD_MISSING, "MSH", 1, 10, "empty", 0, NULL, NULL },
	{ "control id too long", "|SCALE-0001-42|P|",
	  "|SCALE-0001-42-0123456789012345678901234567890123456789012345678901|P|",
	  MG_ERR_INVALID, MG_HL7_DATA_TYPE_ERROR, "MSH", 1, 10, "longer than 64", 0, NULL, NULL },
	{ "control id with space", "|SCALE-0001-42|P|", "|SCALE 42|P|", MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, "MSH", 1, 10, "not printable ASCII", 0, NULL, NULL },
	{ "control id not UTF-8", "|SCALE-0001-42|P|", "|SCALE\xff|P|", MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, "MSH", 1, 10, "not printable ASCII", 0, NULL, NULL },
	{ "no PID", "PID|||PAT-0042^^^HOSP^MR||^^^^^^U\r", "", MG_ERR_INVALID,
	  MG_HL7_SEGMENT_SEQUENCE_ERROR, "OBR", 1, 0, "PID", 0, NULL, NULL },
	{ "two PIDs", "PV1||O\r", "PID|||OTHER\r", MG_ERR_INVALID,
	  MG_HL7_SEGMENT_SEQUENCE_ERROR, "PID", 2, 0, "one patient", 0, NULL, NULL },
	{ "empty patient id", "PID|||PAT-0042^^^HOSP^MR", "PID|||^^^HOSP^MR", MG_ERR_INVALID,
	  MG_HL7_REQUIRED_FIELD_MISSING, "PID", 1, 3, "empty", 0, NULL, NULL },
	{ "patient id with space", "PAT-0042^", "PAT 0042^", MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, "PID", 1, 3, "byte 3 is not allowed", 0, NULL, NULL },
	{ "patient id with escaped |", "PAT-0042^", "PAT\\F\\0042^", MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, "PID", 1, 3, "byte 3 is not allowed", 0, NULL, NULL },
	{ "patient id with bad escape", "PAT-0042^", "PAT\\.br\\0042^", MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, "PID", 1, 3, "escape", 0, NULL, NULL },
	{ "OBX before OBR", "OBR|1||SCALE-0001-42^SCALE|", "NTE|1||", MG_ERR_INVALID,
	  MG_HL7_SEGMENT_SEQUENCE_ERROR, "OBX", 1, 0, "before any OBR", 0, NULL, NULL },
	{ "unknown MDC code", "188736^MDC_MASS_BODY_ACTUAL^MDC", "150456^MDC_PULS_OXIM_SAT_O2^MDC",
	  MG_ERR_INVALID, MG_HL7_TABLE_VALUE_NOT_FOUND, "OBX", 2, 3, "150456", 0, NULL, NULL },
	{ "LOINC instead of MDC", "188736^MDC_MASS_BODY_ACTUAL^MDC", "29463-7^Body weight^LN",
	  MG_ERR_INVALID, MG_HL7_TABLE_VALUE_NOT_FOUND, "OBX", 2, 3, "MDC", 0, NULL, NULL },
	{ "no observation id", "188736^MDC_MASS_BODY_ACTUAL^MDC", "", MG_ERR_INVALID,
	  MG_HL7_REQUIRED_FIELD_MISSING, "OBX", 2, 3, "empty", 0, NULL, NULL },
	{ "wrong MDC unit", "263875^MDC_DIM_KILO_G^MDC", "263441^MDC_DIM_CENTI_M^MDC",
	  MG_ERR_INVALID, MG_HL7_TABLE_VALUE_NOT_FOUND, "OBX", 2, 6, "263875", 0, NULL, NULL },
	{ "pounds", "263875^MDC_DIM_KILO_G^MDC", "[lb_av]^^UCUM", MG_ERR_INVALID,
	  MG_HL7_TABLE_VALUE_NOT_FOUND, "OBX", 2, 6, "kg^^UCUM", 0, NULL, NULL },
	{ "MDC unit code under UCUM", "263875^MDC_DIM_KILO_G^MDC", "263875^^UCUM",
	  MG_ERR_INVALID, MG_HL7_TABLE_VALUE_NOT_FOUND, "OBX", 2, 6, "", 0, NULL, NULL },
	{ "no unit", "263875^MDC_DIM_KILO_G^MDC", "", MG_ERR_INVALID,
	  MG_HL7_REQUIRED_FIELD_MISSING, "OBX", 2, 6, "", 0, NULL, NULL },
	{ "decimal comma", "|72.5|", "|72,5|", MG_ERR_INVALID, MG_HL7_DATA_TYPE_ERROR, "OBX",
	  2, 5, "NM", 0, NULL, NULL },
	{ "exponent", "|72.5|", "|7.25e1|", MG_ERR_INVALID, MG_HL7_DATA_TYPE_ERROR, "OBX",
	  2, 5, "NM", 0, NULL, NULL },
	{ "hex number", "|72.5|", "|0x48|", MG_ERR_INVALID, MG_HL7_DATA_TYPE_ERROR, "OBX",
	  2, 5, "NM", 0, NULL, NULL },
	{ "two values", "|72.5|", "|72.5~73|", MG_ERR_INVALID, MG_HL7_DATA_TYPE_ERROR, "OBX",
	  2, 5, "one number", 0, NULL, NULL },
	{ "empty value", "|72.5|", "||", MG_ERR_INVALID, MG_HL7_REQUIRED_FIELD_MISSING, "OBX",
	  2, 5, "empty", 0, NULL, NULL },
	{ "sign only", "|72.5|", "|-|", MG_ERR_INVALID, MG_HL7_DATA_TYPE_ERROR, "OBX",
	  2, 5, "NM", 0, NULL, NULL },
	{ "out of range", "|72.5|", "|900|", MG_ERR_RANGE, MG_HL7_DATA_TYPE_ERROR, "OBX", 2, 5,
	  "900 out of range 0.2..700 for body_weight", 0, NULL, NULL },
	{ "negative", "|180|", "|-180|", MG_ERR_RANGE, MG_HL7_DATA_TYPE_ERROR, "OBX", 3, 5,
	  "out of range", 0, NULL, NULL },
	{ "same quantity twice", "188740^MDC_LEN_BODY_ACTUAL^MDC|1.0.0.2|180|263441^MDC_DIM_CENTI_M",
	  "188736^MDC_MASS_BODY_ACTUAL^MDC|1.0.0.2|70|263875^MDC_DIM_KILO_G", MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, "OBX", 3, 3, "more than once (also OBX(2))", 0, NULL, NULL },
	{ "corrected result", "|||||F|||", "|||||C|||", MG_ERR_INVALID,
	  MG_HL7_TABLE_VALUE_NOT_FOUND, "OBX", 5, 11, "R or F", 0, NULL, NULL },
	{ "no result status", "|||||F|||", "||||||||", MG_ERR_INVALID,
	  MG_HL7_REQUIRED_FIELD_MISSING, "OBX", 5, 11, "R or F", 0, NULL, NULL },
	{ "no time anywhere", "|||" DEV_TIME, "", MG_ERR_INVALID,
	  MG_HL7_REQUIRED_FIELD_MISSING, "OBX", 2, 14, "OBR-7", 0, NULL, NULL },
	{ "time without offset", DEV_TIME, "20261122100000", MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, "OBX", 2, 14, "offset", 0, NULL, NULL },
	{ "OBR-7 without offset", "R|||" DEV_TIME, "R", MG_ERR_INVALID, MG_HL7_DATA_TYPE_ERROR,
	  "OBR", 1, 7, "offset", 0, "SCT|||" DEV_TIME, "SCT|||20261122100000" },
	{ "times differ", "R|||" DEV_TIME "\rNTE", "R|||20261122100001+0000\rNTE", MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, "OBX", 3, 14, "differs", 0, NULL, NULL },
	{ "time in the future", DEV_TIME, "20261122102000+0000",
	  MG_ERR_INVALID, MG_HL7_DATA_TYPE_ERROR, "OBX", 2, 14, "future", 0, NULL, NULL },
	{ "time before 2000", DEV_TIME, "19991231235959+0000",
	  MG_ERR_INVALID, MG_HL7_DATA_TYPE_ERROR, "OBX", 2, 14, "before 2000", 0, NULL, NULL },
	{ "no values", "|NM|", "|ST|", MG_ERR_INVALID, MG_HL7_REQUIRED_FIELD_MISSING, "OBX", 0, 0,
	  "no NM OBX", 0, NULL, NULL },
};

/* base with every from replaced by to (from NULL: a copy). */
static char *substitute(const char *base, const char *from, const char *to)
{
	size_t cap = strlen(base) * 4 + 64, o = 0, nfrom;
	char *out = malloc(cap);
	const char *p = base, *hit;

	assert_non_null(out);
	if (from == NULL) {
		(void)snprintf(out, cap, "%s", base);
		return out;
	}
	nfrom = strlen(from);
	assert_non_null(strstr(base, from));
	while ((hit = strstr(p, from)) != NULL) {
		o += (size_t)snprintf(out + o, cap - o, "%.*s%s", (int)(hit - p), p, to);
		assert_true(o < cap);
		p = hit + nfrom;
	}
	(void)snprintf(out + o, cap - o, "%s", p);
	return out;
}

/* Error texts never carry identifiers from the message. */
static void assert_no_identifiers(const char *text)
{
	assert_null(strstr(text, "PAT"));
	assert_null(strstr(text, "SCALE"));
	for (const char *p = text; *p != '\0'; p++)
		assert_true(*p >= 0x20 && *p <= 0x7e);
}

static void test_inbound_variants(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		const struct variant *v = &variants[i];
		char *first = substitute(device_message, v->from, v->to);
		char *text = v->from2 ? substitute(first, v->from2, v->to2) : first;
		struct mg_measurement meas;
		struct mg_hl7_error e;
		struct mg_hl7_msg *m;
		int rc;

		assert_int_equal(mg_hl7_parse(text, strlen(text), &m, &e), 0);
		memset(&meas, 0xa5, sizeof(meas));
		rc = mg_hl7_oru_to_measurement(m, NOW_MS, &meas, &e);
		print_message("variant %s -> %d %u %s(%u)-%u \"%s\"\n", v->name, rc, e.code,
			      e.segment, e.sequence, e.field, e.text);
		assert_int_equal(rc, v->rc);
		assert_int_equal(e.code, v->code);
		if (rc == 0) {
			assert_string_equal(meas.device_mid, "SCALE-0001-42");
			assert_string_equal(meas.patient_id, "PAT-0042");
			assert_true(meas.time_ms == MEASURED_MS);
			assert_int_equal(meas.nvalues, v->nvalues);
			assert_string_equal(meas.values[0].quantity->name,
					    v->nvalues == 2 ? "body_height" : "body_weight");
			assert_true(meas.values[meas.nvalues - 1].value == 128);
			assert_true(meas.device_id == 0 && meas.tenant_id == 0);
		} else {
			static const struct mg_measurement zero;

			assert_memory_equal(&meas, &zero, sizeof(meas));
			assert_string_equal(e.segment, v->segment);
			assert_int_equal(e.sequence, v->sequence);
			assert_int_equal(e.field, v->field);
			assert_non_null(strstr(e.text, v->text));
			assert_no_identifiers(e.text);
		}
		mg_hl7_msg_free(m);
		if (text != first)
			free(text);
		free(first);
	}
}

/* 17 values, one more than a measurement holds. */
static void test_inbound_too_many_values(void **state)
{
	char text[8192];
	size_t n;
	struct mg_measurement meas;
	struct mg_hl7_error e;
	struct mg_hl7_msg *m;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), DEV_MSH "PID|||PAT-0042\rOBR|1||||||" DEV_TIME
			     "\r");
	for (unsigned i = 0; i < MG_VALUES_MAX + 2; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "OBX|%u|NM|188736^MDC_MASS_BODY_ACTUAL^MDC|1.0.0.%u|70|"
				      "263875^MDC_DIM_KILO_G^MDC|||||R\r", i + 1, i + 1);
	assert_int_equal(mg_hl7_parse(text, n, &m, &e), 0);
	assert_int_equal(mg_hl7_oru_to_measurement(m, NOW_MS, &meas, &e), MG_ERR_INVALID);
	assert_int_equal(e.code, MG_HL7_DATA_TYPE_ERROR);
	assert_string_equal(e.segment, "OBX");
	assert_non_null(strstr(e.text, "more than 16"));
	assert_int_equal(meas.nvalues, 0);
	mg_hl7_msg_free(m);
}

/* The inbound reader takes the message's own encoding characters: here
 * MSH-10 holds an escaped field separator and OBX-6 an escaped
 * subcomponent separator (UCUM "%"). */
static void test_inbound_odd_delimiters(void **state)
{
	static const char odd[] =
		"MSH#!@$%#DEV##MEDGATE##20261122100001+0000##ORU!R01!ORU_R01#ID$F$1#P#2.6\n"
		"PID###PAT-0042!!!HOSP!MR\n"
		"OBR#1######" DEV_TIME "\n"
		"OBX#1#NM#188748!MDC_BODY_FAT!MDC#1.0.0.1#21.3#$T$!!UCUM#####R\n";
	struct mg_measurement meas;
	struct mg_hl7_error e;
	struct mg_hl7_msg *m;

	(void)state;
	assert_int_equal(mg_hl7_parse(odd, strlen(odd), &m, &e), 0);
	assert_int_equal(mg_hl7_oru_to_measurement(m, NOW_MS, &meas, &e), 0);
	assert_string_equal(meas.device_mid, "ID#1");
	assert_string_equal(meas.patient_id, "PAT-0042");
	assert_true(meas.time_ms == MEASURED_MS);
	assert_int_equal(meas.nvalues, 1);
	assert_string_equal(meas.values[0].quantity->name, "body_fat");
	assert_true(meas.values[0].value == 21.3);
	mg_hl7_msg_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_golden),
		cmocka_unit_test(test_encode_defaults_and_no_eui),
		cmocka_unit_test(test_encode_escapes_everything),
		cmocka_unit_test(test_encode_contract),
		cmocka_unit_test(test_encode_withdrawal),
		cmocka_unit_test(test_value_round_trip),
		cmocka_unit_test(test_inbound_variants),
		cmocka_unit_test(test_inbound_too_many_values),
		cmocka_unit_test(test_inbound_odd_delimiters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
