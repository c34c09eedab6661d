/* HL7 v2 parsing: message shapes (as a table), encoding characters,
 * limits, field/component/subcomponent access, decoding escapes
 * (test_hl7_text.c has the writing side and date-times).
 *
 * Run with arguments it is also the helper of
 * tests/integration/test_hl7_interop.sh:
 *   test_hl7 sample FILE        write an MLLP-framed PCD-01 ORU^R01, print MSH-10
 *   test_hl7 read-ack FILE      read an MLLP-framed ACK, print "code control-id error"
 *   test_hl7 read-oru FILE      read an ORU^R01, print the measurement */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "hl7/ack.h"
#include "hl7/hl7.h"
#include "hl7/mllp.h"
#include "hl7/pcd01.h"
#include "model/quantity.h"

struct parse_case {
	const char *name;
	const char *text;
	size_t len;		/* 0: strlen(text) */
	int rc;
	unsigned code;		/* table 0357 on failure */
	size_t segments;	/* on success */
};

#define MSH "MSH|^~\\&|DEV|WARD|MEDGATE|HOSP|20261122100000+0000||ORU^R01^ORU_R01|42|P|2.6"

static const struct parse_case parse_cases[] = {
	{ "header only", MSH, 0, 0, 0, 1 },
	{ "CR segments", MSH "\rPID|||P1\rOBR|1\r", 0, 0, 0, 3 },
	{ "LF segments", MSH "\nPID|||P1\nOBR|1\n", 0, 0, 0, 3 },
	{ "CR LF segments", MSH "\r\nPID|||P1\r\nOBR|1\r\n", 0, 0, 0, 3 },
	{ "blank lines skipped", MSH "\r\r\rPID|||P1\r\r", 0, 0, 0, 2 },
	{ "last segment without CR", MSH "\rMSA|AA|1", 0, 0, 0, 2 },
	{ "MSH with two fields", "MSH|^~\\&", 0, 0, 0, 1 },
	{ "segment id only", MSH "\rZZ1", 0, 0, 0, 2 },
	{ "odd encoding characters", "MSH#!@$%#DEV#W\rPID###P1!x", 0, 0, 0, 2 },
	{ "UTF-8 and TAB in text", MSH "\rNTE|1||Gr\xc3\xb6\xc3\x9f" "e\tok", 0, 0, 0, 2 },
	{ "empty", "", 0, MG_ERR_INVALID, MG_HL7_SEGMENT_SEQUENCE_ERROR, 0 },
	{ "no MSH", "PID|||P1\r" MSH, 0, MG_ERR_INVALID, MG_HL7_SEGMENT_SEQUENCE_ERROR, 0 },
	{ "leading blank line", "\r" MSH, 0, MG_ERR_INVALID, MG_HL7_SEGMENT_SEQUENCE_ERROR, 0 },
	{ "lower-case msh", "msh|^~\\&|A", 0, MG_ERR_INVALID, MG_HL7_SEGMENT_SEQUENCE_ERROR, 0 },
	{ "MSH too short", "MSH|^~\\", 0, MG_ERR_INVALID, MG_HL7_SEGMENT_SEQUENCE_ERROR, 0 },
	{ "five encoding characters", "MSH|^~\\&#|A", 0, MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, 0 },
	{ "repeated encoding character", "MSH|^^\\&|A", 0, MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, 0 },
	{ "field separator repeated", "MSH|^~\\||A", 0, MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, 0 },
	{ "alphanumeric encoding character", "MSH|A~\\&|A", 0, MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, 0 },
	{ "space as encoding character", "MSH| ~\\&|A", 0, MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, 0 },
	{ "alphanumeric field separator", "MSHX^~\\&XA", 0, MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, 0 },
	{ "second MSH", MSH "\r" MSH, 0, MG_ERR_INVALID, MG_HL7_SEGMENT_SEQUENCE_ERROR, 0 },
	{ "lower-case segment id", MSH "\rpid|||P1", 0, MG_ERR_INVALID,
	  MG_HL7_SEGMENT_SEQUENCE_ERROR, 0 },
	{ "two-letter segment id", MSH "\rPI|||P1", 0, MG_ERR_INVALID,
	  MG_HL7_SEGMENT_SEQUENCE_ERROR, 0 },
	{ "four-letter segment id", MSH "\rPIDX|||P1", 0, MG_ERR_INVALID,
	  MG_HL7_SEGMENT_SEQUENCE_ERROR, 0 },
	{ "digit first in segment id", MSH "\r1ID|||P1", 0, MG_ERR_INVALID,
	  MG_HL7_SEGMENT_SEQUENCE_ERROR, 0 },
	{ "control byte", MSH "\rPID|||P\x01" "1", 0, MG_ERR_INVALID, MG_HL7_DATA_TYPE_ERROR, 0 },
	{ "MLLP start byte inside", MSH "\rPID|||P\x0b" "1", 0, MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, 0 },
	{ "NUL byte", MSH "\rPID|||P\0" "1", sizeof(MSH "\rPID|||P\0" "1") - 1, MG_ERR_INVALID,
	  MG_HL7_DATA_TYPE_ERROR, 0 },
	{ "DEL byte", MSH "\rPID|||P\x7f", 0, MG_ERR_INVALID, MG_HL7_DATA_TYPE_ERROR, 0 },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		struct mg_hl7_msg *m = (struct mg_hl7_msg *)1;
		struct mg_hl7_error e;
		int rc = mg_hl7_parse(c->text, len, &m, &e);

		print_message("case: %s -> %d (%s)\n", c->name, rc, e.text);
		assert_int_equal(rc, c->rc);
		if (rc == 0) {
			assert_non_null(m);
			assert_int_equal(mg_hl7_segment_count(m), c->segments);
			assert_int_equal(e.code, 0);
			assert_string_equal(e.text, "");
		} else {
			assert_null(m);
			assert_int_equal(e.code, c->code);
			assert_true(e.text[0] != '\0');
		}
		mg_hl7_msg_free(m);
	}
}

/* Messages of exactly n bytes: a segment repeated, filled with 'x'. */
static char *filled(size_t n, const char *head, char fill)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	memset(p, fill, n);
	memcpy(p, head, strlen(head));
	p[n] = '\0';
	return p;
}

static void test_limits(void **state)
{
	struct mg_hl7_msg *m;
	struct mg_hl7_error e;
	size_t msh = strlen(MSH "\r");
	char *buf;

	(void)state;
	/* a segment of exactly MG_HL7_SEGMENT_MAX bytes, then one more */
	buf = filled(msh + MG_HL7_SEGMENT_MAX, MSH "\rNTE|1||", 'x');
	assert_int_equal(mg_hl7_parse(buf, msh + MG_HL7_SEGMENT_MAX, &m, &e), 0);
	mg_hl7_msg_free(m);
	free(buf);
	buf = filled(msh + MG_HL7_SEGMENT_MAX + 1, MSH "\rNTE|1||", 'x');
	assert_int_equal(mg_hl7_parse(buf, msh + MG_HL7_SEGMENT_MAX + 1, &m, &e), MG_ERR_LIMIT);
	assert_null(m);
	free(buf);

	/* a whole message over MG_HL7_MESSAGE_MAX, whatever its shape */
	buf = filled(MG_HL7_MESSAGE_MAX + 1, MSH, '\r');
	assert_int_equal(mg_hl7_parse(buf, MG_HL7_MESSAGE_MAX + 1, &m, &e), MG_ERR_LIMIT);
	assert_int_equal(mg_hl7_parse(buf, MG_HL7_MESSAGE_MAX, &m, &e), 0);
	mg_hl7_msg_free(m);
	free(buf);

	/* MG_HL7_SEGMENTS_MAX segments, then one more */
	for (size_t extra = 0; extra < 2; extra++) {
		size_t n = MG_HL7_SEGMENTS_MAX - 1 + extra, len;

		buf = malloc(msh + n * 8);
		assert_non_null(buf);
		memcpy(buf, MSH "\r", msh);
		for (size_t i = 0; i < n; i++)
			memcpy(buf + msh + i * 8, "NTE|1|x\r", 8);
		len = msh + n * 8;
		assert_int_equal(mg_hl7_parse(buf, len, &m, &e), extra ? MG_ERR_LIMIT : 0);
		mg_hl7_msg_free(m);
		free(buf);
	}

	/* MG_HL7_FIELDS_MAX fields in a segment, then one more */
	for (size_t extra = 0; extra < 2; extra++) {
		char seg[MG_HL7_FIELDS_MAX + 16];
		char text[sizeof(MSH) + sizeof(seg) + 2];
		size_t n = MG_HL7_FIELDS_MAX + extra;

		memcpy(seg, "ZFL", 3);
		memset(seg + 3, '|', n);
		seg[3 + n] = '\0';
		(void)snprintf(text, sizeof(text), MSH "\r%s", seg);
		assert_int_equal(mg_hl7_parse(text, strlen(text), &m, &e), extra ? MG_ERR_LIMIT : 0);
		if (m != NULL)
			assert_int_equal(mg_hl7_field_count(m, 1), MG_HL7_FIELDS_MAX);
		mg_hl7_msg_free(m);
	}
}

static struct mg_hl7_msg *parse_ok(const char *text)
{
	struct mg_hl7_msg *m = NULL;
	struct mg_hl7_error e;

	assert_int_equal(mg_hl7_parse(text, strlen(text), &m, &e), 0);
	return m;
}

struct access_case {
	size_t seg;
	struct mg_hl7_pos pos;
	int rc;
	const char *want;
};

static const char access_text[] =
	MSH "\rPID|||P1^^^AUTH&1.2.3&ISO^MR~P2^^^OTHER^PI||Doe^Jo\r"
	"NTE|1||a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f|\\X414243\\|\\H\\bold\\N\\|x\\.br\\y|"
	"open\\F|\\X00\\|\\X4\\|\\Q\\|\\\\";

static const struct access_case access_cases[] = {
	{ 0, { 1, 1, 1, 1 }, 0, "|" },			/* MSH-1 */
	{ 0, { 2, 1, 1, 1 }, 0, "^~\\&" },		/* MSH-2 as it stands */
	{ 0, { 3, 1, 1, 1 }, 0, "DEV" },
	{ 0, { 9, 1, 1, 1 }, 0, "ORU" },
	{ 0, { 9, 1, 2, 1 }, 0, "R01" },
	{ 0, { 9, 1, 3, 1 }, 0, "ORU_R01" },
	{ 0, { 9, 1, 4, 1 }, 0, "" },			/* past the components */
	{ 0, { 10, 0, 0, 0 }, 0, "42" },		/* 0 means 1 */
	{ 0, { 12, 1, 1, 1 }, 0, "2.6" },
	{ 0, { 13, 1, 1, 1 }, 0, "" },			/* past the fields */
	{ 1, { 3, 1, 1, 1 }, 0, "P1" },
	{ 1, { 3, 1, 4, 1 }, 0, "AUTH" },
	{ 1, { 3, 1, 4, 2 }, 0, "1.2.3" },
	{ 1, { 3, 1, 4, 3 }, 0, "ISO" },
	{ 1, { 3, 1, 4, 4 }, 0, "" },
	{ 1, { 3, 1, 5, 1 }, 0, "MR" },
	{ 1, { 3, 2, 1, 1 }, 0, "P2" },
	{ 1, { 3, 2, 5, 1 }, 0, "PI" },
	{ 1, { 3, 3, 1, 1 }, 0, "" },			/* past the repetitions */
	{ 1, { 5, 1, 2, 1 }, 0, "Jo" },
	{ 2, { 3, 1, 1, 1 }, 0, "a|b^c&d~e\\f" },	/* the five escapes */
	{ 2, { 4, 1, 1, 1 }, 0, "ABC" },		/* hex data */
	{ 2, { 5, 1, 1, 1 }, 0, "bold" },		/* highlighting dropped */
	{ 2, { 6, 1, 1, 1 }, MG_ERR_INVALID, "" },	/* formatting escape */
	{ 2, { 7, 1, 1, 1 }, MG_ERR_INVALID, "" },	/* unterminated */
	{ 2, { 8, 1, 1, 1 }, MG_ERR_INVALID, "" },	/* would decode to NUL */
	{ 2, { 9, 1, 1, 1 }, MG_ERR_INVALID, "" },	/* odd hex digits */
	{ 2, { 10, 1, 1, 1 }, MG_ERR_INVALID, "" },	/* unknown escape */
	{ 2, { 11, 1, 1, 1 }, MG_ERR_INVALID, "" },	/* empty escape */
	{ 3, { 1, 1, 1, 1 }, 0, "" },			/* past the segments */
};

static void test_access_table(void **state)
{
	struct mg_hl7_msg *m = parse_ok(access_text);
	char out[64];

	(void)state;
	assert_int_equal(mg_hl7_segment_count(m), 3);
	assert_string_equal(mg_hl7_segment_id(m, 1), "PID");
	assert_null(mg_hl7_segment_id(m, 3));
	assert_int_equal(mg_hl7_field_count(m, 0), 12);
	assert_int_equal(mg_hl7_field_count(m, 1), 5);
	for (size_t i = 0; i < sizeof(access_cases) / sizeof(access_cases[0]); i++) {
		const struct access_case *c = &access_cases[i];

		memset(out, 'z', sizeof(out));
		print_message("seg %zu field %u.%u.%u.%u\n", c->seg, c->pos.field,
			      c->pos.repetition, c->pos.component, c->pos.subcomponent);
		assert_int_equal(mg_hl7_text_at(m, c->seg, &c->pos, out, sizeof(out)), c->rc);
		assert_string_equal(out, c->want);
	}
	mg_hl7_msg_free(m);
}

static void test_find_and_raw(void **state)
{
	struct mg_hl7_msg *m = parse_ok(MSH "\rOBX|1\rNTE|x\rOBX|2\r");
	const char *raw;
	size_t seg, len;

	(void)state;
	assert_int_equal(mg_hl7_segment_find(m, "OBX", 0, &seg), 0);
	assert_int_equal(seg, 1);
	assert_int_equal(mg_hl7_segment_find(m, "OBX", 2, &seg), 0);
	assert_int_equal(seg, 3);
	assert_int_equal(mg_hl7_segment_find(m, "OBX", 4, &seg), MG_ERR_NOT_FOUND);
	assert_int_equal(mg_hl7_segment_find(m, "PID", 0, &seg), MG_ERR_NOT_FOUND);
	mg_hl7_field_raw(m, 0, 9, &raw, &len);
	assert_int_equal(len, strlen("ORU^R01^ORU_R01"));
	assert_memory_equal(raw, "ORU^R01^ORU_R01", len);
	mg_hl7_field_raw(m, 0, 0, &raw, &len);
	assert_int_equal(len, 0);
	mg_hl7_msg_free(m);
}

/* The same values read the same whatever encoding characters carry them. */
static void test_odd_encoding_characters(void **state)
{
	static const char odd[] =
		"MSH#!@$%#DEV#WARD#####ORU!R01#42#P#2.6\r"
		"PID###A$T$!B%1%2!MR@P2\r"
		"NTE#1##x$F$y$S$z$T$w$R$v$E$u";
	struct mg_hl7_msg *m = parse_ok(odd);
	struct mg_hl7_pos sub = { 3, 1, 2, 2 }, rep2 = { 3, 2, 1, 1 };
	char out[64];

	(void)state;
	assert_int_equal(mg_hl7_text(m, 0, 1, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "#");
	assert_int_equal(mg_hl7_text(m, 0, 2, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "!@$%");
	assert_int_equal(mg_hl7_text(m, 0, 9, 2, out, sizeof(out)), 0);
	assert_string_equal(out, "R01");
	assert_int_equal(mg_hl7_text(m, 0, 10, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "42");
	assert_int_equal(mg_hl7_text(m, 1, 3, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "A%");	/* $T$: the subcomponent separator, escaped */
	assert_int_equal(mg_hl7_text_at(m, 1, &sub, out, sizeof(out)), 0);
	assert_string_equal(out, "1");
	assert_int_equal(mg_hl7_text_at(m, 1, &rep2, out, sizeof(out)), 0);
	assert_string_equal(out, "P2");
	assert_int_equal(mg_hl7_text(m, 2, 3, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "x#y!z%w@v$u");
	mg_hl7_msg_free(m);
}

static void test_text_buffer_bounds(void **state)
{
	struct mg_hl7_msg *m = parse_ok(MSH "\rNTE|1||abcdef|\\F\\\\F\\");
	char out[7];

	(void)state;
	assert_int_equal(mg_hl7_text(m, 1, 3, 1, out, 7), 0);
	assert_string_equal(out, "abcdef");
	assert_int_equal(mg_hl7_text(m, 1, 3, 1, out, 6), MG_ERR_LIMIT);
	assert_string_equal(out, "");
	assert_int_equal(mg_hl7_text(m, 1, 4, 1, out, 3), 0);
	assert_string_equal(out, "||");
	assert_int_equal(mg_hl7_text(m, 1, 4, 1, out, 2), MG_ERR_LIMIT);
	assert_int_equal(mg_hl7_text(m, 0, 2, 1, out, 4), MG_ERR_LIMIT);
	assert_int_equal(mg_hl7_text(m, 1, 3, 1, out, 0), MG_ERR_LIMIT);
	mg_hl7_msg_free(m);
}

static void test_parse_msh_only(void **state)
{
	static const char broken[] = MSH "\rPID|||P1\rbad segment\r";
	struct mg_hl7_msg *m;
	struct mg_hl7_error e;
	char out[16];

	(void)state;
	assert_int_equal(mg_hl7_parse(broken, strlen(broken), &m, &e), MG_ERR_INVALID);
	assert_int_equal(mg_hl7_parse_msh(broken, strlen(broken), &m, &e), 0);
	assert_int_equal(mg_hl7_segment_count(m), 1);
	assert_int_equal(mg_hl7_text(m, 0, 10, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "42");
	mg_hl7_msg_free(m);
	assert_int_equal(mg_hl7_parse_msh("PID|", 4, &m, &e), MG_ERR_INVALID);
	assert_null(m);
}

/* ---- the interop helper ---- */

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f != NULL && fwrite(data, 1, len, f) == len;

	if (f != NULL && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : 1;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(MG_HL7_MESSAGE_MAX + 4);

	*len = 0;
	if (f != NULL && buf != NULL)
		*len = fread(buf, 1, MG_HL7_MESSAGE_MAX + 4, f);
	if (f != NULL)
		fclose(f);
	return buf;
}

/* The outbound sample the interop test gives to simple-hl7. */
static int tool_sample(const char *path)
{
	struct mg_outbound o = {
		.message_id = "MG-INTEROP-0001",
		.patient_id = "PAT-0042",
		.measured_ms = INT64_C(1795341600000),
		.device_eui64 = "0123456789ABCDEF",
		.nvalues = 3,
	};
	struct mg_hl7_party party = { .sending_facility = "Ward 3",
				      .receiving_application = "EMR",
				      .receiving_facility = "Hospital" };
	char *msg, *framed;
	size_t len, flen;
	int r;

	o.values[0].quantity = mg_quantity_find("body_weight");
	o.values[0].value = 72.5;
	o.values[1].quantity = mg_quantity_find("bp_systolic");
	o.values[1].value = 128;
	o.values[2].quantity = mg_quantity_find("body_fat");
	o.values[2].value = 21.3;
	if (mg_hl7_encode_oru(&o, &party, mg_now_ms(), &msg, &len) != 0)
		return 2;
	r = mg_mllp_wrap(msg, len, &framed, &flen);
	mg_hl7_buffer_free(msg, len);
	if (r != 0)
		return 2;
	r = write_file(path, framed, flen);
	mg_hl7_buffer_free(framed, flen);
	if (r != 0)
		return 2;
	printf("%s\n", o.message_id);
	return 0;
}

static int tool_read_ack(const char *path)
{
	struct mg_mllp_framer *f = mg_mllp_framer_new(0);
	struct mg_hl7_ack ack;
	const char *msg;
	char err[256];
	size_t len, used, msglen;
	char *buf = read_file(path, &len);
	int r = 2;

	if (f == NULL || buf == NULL)
		goto out;
	r = mg_mllp_framer_feed(f, buf, len, &used, &msg, &msglen);
	if (r != 0 || used != len) {
		fprintf(stderr, "framing: %s (%zu of %zu bytes)\n", mg_strerror(r), used, len);
		r = 1;
		goto out;
	}
	if ((r = mg_hl7_parse_ack(msg, msglen, &ack, err, sizeof(err))) != 0) {
		fprintf(stderr, "ACK: %s: %s\n", mg_strerror(r), err);
		r = 1;
		goto out;
	}
	printf("%s %s %u\n", ack.code, ack.control_id, ack.error_code);
out:
	mg_mllp_framer_free(f);
	free(buf);
	return r;
}

static int tool_read_oru(const char *path)
{
	struct mg_measurement meas;
	struct mg_hl7_error e;
	struct mg_hl7_msg *m = NULL;
	size_t len;
	char *buf = read_file(path, &len);
	int r = 2;

	if (buf == NULL)
		goto out;
	if (mg_hl7_parse(buf, len, &m, &e) != 0 ||
	    mg_hl7_oru_to_measurement(m, mg_now_ms(), &meas, &e) != 0) {
		fprintf(stderr, "%u %s\n", e.code, e.text);
		r = 1;
		goto out;
	}
	printf("id=%s patient=%s time=%lld\n", meas.device_mid, meas.patient_id,
	       (long long)meas.time_ms);
	for (size_t i = 0; i < meas.nvalues; i++)
		printf("%s=%.17g\n", meas.values[i].quantity->name, meas.values[i].value);
	r = 0;
out:
	mg_hl7_msg_free(m);
	free(buf);
	return r;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_access_table),
		cmocka_unit_test(test_find_and_raw),
		cmocka_unit_test(test_odd_encoding_characters),
		cmocka_unit_test(test_text_buffer_bounds),
		cmocka_unit_test(test_parse_msh_only),
	};

	if (argc == 3 && strcmp(argv[1], "sample") == 0)
		return tool_sample(argv[2]);
	if (argc == 3 && strcmp(argv[1], "read-ack") == 0)
		return tool_read_ack(argv[2]);
	if (argc == 3 && strcmp(argv[1], "read-oru") == 0)
		return tool_read_oru(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: %s [sample FILE | read-ack FILE | read-oru FILE]\n", argv[0]);
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
