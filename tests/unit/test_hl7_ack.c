/* ACKs: what medgate answers to a device (AA, AE with ERR, AR for a
 * message it could not read), and reading what EMRs answer, in the shapes
 * real systems send (a table). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "hl7/ack.h"
#include "hl7/hl7.h"

#define NOW_MS	INT64_C(1795341900000)	/* 2026-11-22T10:05:00Z */

static const char received_text[] =
	"MSH|^~\\&|SCALE^0123456789ABCDEF^EUI-64|WARD|MEDGATE|HOSP|20261122100001+0000||"
	"ORU^R01^ORU_R01|SCALE-0001-42|P|2.6|||AL|NE\r"
	"PID|||PAT-0042\r";

static struct mg_hl7_msg *parse_ok(const char *text, size_t len)
{
	struct mg_hl7_msg *m = NULL;
	struct mg_hl7_error e;

	assert_int_equal(mg_hl7_parse(text, len, &m, &e), 0);
	return m;
}

static void assert_field(const struct mg_hl7_msg *m, size_t seg, unsigned field,
			 unsigned component, const char *want)
{
	char out[256];

	assert_int_equal(mg_hl7_text(m, seg, field, component, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_accept(void **state)
{
	struct mg_hl7_msg *received = parse_ok(received_text, strlen(received_text)), *ack;
	struct mg_hl7_ack parsed;
	char *out, id[32], err[128];
	size_t len;

	(void)state;
	assert_int_equal(mg_hl7_encode_ack(received, "AA", NULL, NOW_MS, &out, &len), 0);
	ack = parse_ok(out, len);
	assert_int_equal(mg_hl7_segment_count(ack), 2);
	assert_field(ack, 0, 3, 1, "MEDGATE");
	assert_field(ack, 0, 4, 1, "HOSP");
	assert_field(ack, 0, 5, 1, "SCALE");
	assert_field(ack, 0, 5, 2, "0123456789ABCDEF");
	assert_field(ack, 0, 5, 3, "EUI-64");
	assert_field(ack, 0, 6, 1, "WARD");
	assert_field(ack, 0, 7, 1, "20261122100500.000+0000");
	assert_field(ack, 0, 9, 1, "ACK");
	assert_field(ack, 0, 9, 2, "R01");
	assert_field(ack, 0, 9, 3, "ACK");
	assert_field(ack, 0, 11, 1, "P");
	assert_field(ack, 0, 12, 1, "2.6");
	assert_int_equal(mg_hl7_text(ack, 0, 10, 1, id, sizeof(id)), 0);
	assert_int_equal(strlen(id), 20);
	assert_int_equal(strncmp(id, "MG", 2), 0);
	assert_int_equal(strspn(id + 2, "0123456789ABCDEF"), 18);
	assert_string_equal(mg_hl7_segment_id(ack, 1), "MSA");
	assert_field(ack, 1, 1, 1, "AA");
	assert_field(ack, 1, 2, 1, "SCALE-0001-42");
	assert_int_equal(mg_hl7_parse_ack(out, len, &parsed, err, sizeof(err)), 0);
	assert_string_equal(parsed.code, "AA");
	assert_string_equal(parsed.control_id, "SCALE-0001-42");
	assert_int_equal(parsed.error_code, 0);
	assert_true(mg_hl7_ack_accepted(&parsed));
	mg_hl7_msg_free(ack);
	mg_hl7_buffer_free(out, len);

	/* two ACKs never share a control id */
	assert_int_equal(mg_hl7_encode_ack(received, "AA", NULL, NOW_MS, &out, &len), 0);
	ack = parse_ok(out, len);
	assert_int_equal(mg_hl7_text(ack, 0, 10, 1, err, sizeof(err)), 0);
	assert_string_not_equal(err, id);
	mg_hl7_msg_free(ack);
	mg_hl7_buffer_free(out, len);
	mg_hl7_msg_free(received);
}

static void test_error_with_err_segment(void **state)
{
	struct mg_hl7_msg *received = parse_ok(received_text, strlen(received_text)), *ack;
	struct mg_hl7_error e = {
		.code = MG_HL7_DATA_TYPE_ERROR, .segment = "OBX", .sequence = 3, .field = 5,
		.text = "OBX(3)-5: unit must be 263875^MDC_DIM_KILO_G^MDC | or kg",
	};
	struct mg_hl7_pos location = { 2, 1, 1, 1 };
	struct mg_hl7_ack parsed;
	char *out, loc[16], err[128];
	size_t len;

	(void)state;
	assert_int_equal(mg_hl7_encode_ack(received, "AE", &e, NOW_MS, &out, &len), 0);
	ack = parse_ok(out, len);
	assert_int_equal(mg_hl7_segment_count(ack), 3);
	assert_field(ack, 1, 1, 1, "AE");
	assert_field(ack, 1, 2, 1, "SCALE-0001-42");
	assert_string_equal(mg_hl7_segment_id(ack, 2), "ERR");
	assert_int_equal(mg_hl7_text_at(ack, 2, &location, loc, sizeof(loc)), 0);
	assert_string_equal(loc, "OBX");
	assert_field(ack, 2, 2, 2, "3");
	assert_field(ack, 2, 2, 3, "5");
	assert_field(ack, 2, 3, 1, "102");
	assert_field(ack, 2, 3, 2, "Data type error");
	assert_field(ack, 2, 3, 3, "HL70357");
	assert_field(ack, 2, 4, 1, "E");
	assert_field(ack, 2, 8, 1, e.text);	/* escaped on the way out */
	assert_int_equal(mg_hl7_field_count(ack, 2), 8);
	assert_int_equal(mg_hl7_parse_ack(out, len, &parsed, err, sizeof(err)), 0);
	assert_string_equal(parsed.code, "AE");
	assert_int_equal(parsed.error_code, 102);
	assert_false(mg_hl7_ack_accepted(&parsed));
	mg_hl7_msg_free(ack);
	mg_hl7_buffer_free(out, len);
	mg_hl7_msg_free(received);
}

/* A message too broken for anything but MSH, and one without even that. */
static void test_reject_unreadable(void **state)
{
	static const char broken[] = "MSH|^~\\&|DEV|W|||x||ORU^R01|A\\F\\B|P|2.5\rbad\r";
	struct mg_hl7_error e = { .code = MG_HL7_SEGMENT_SEQUENCE_ERROR,
				  .text = "segment 2: the id is not 3 upper-case letters" };
	struct mg_hl7_msg *msh, *ack;
	struct mg_hl7_ack parsed;
	char *out, err[128];
	size_t len;

	(void)state;
	assert_int_equal(mg_hl7_parse(broken, strlen(broken), &msh, NULL), MG_ERR_INVALID);
	assert_int_equal(mg_hl7_parse_msh(broken, strlen(broken), &msh, NULL), 0);
	assert_int_equal(mg_hl7_encode_ack(msh, "AR", &e, NOW_MS, &out, &len), 0);
	ack = parse_ok(out, len);
	assert_field(ack, 0, 9, 1, "ACK");
	assert_field(ack, 0, 9, 2, "R01");
	assert_field(ack, 0, 12, 1, "2.5");		/* the sender's version */
	assert_field(ack, 1, 2, 1, "A|B");		/* re-escaped, same value */
	assert_field(ack, 2, 2, 1, "");			/* no location */
	assert_int_equal(mg_hl7_parse_ack(out, len, &parsed, err, sizeof(err)), 0);
	assert_string_equal(parsed.code, "AR");
	assert_string_equal(parsed.control_id, "A|B");
	assert_int_equal(parsed.error_code, 100);
	mg_hl7_msg_free(ack);
	mg_hl7_buffer_free(out, len);
	mg_hl7_msg_free(msh);

	assert_int_equal(mg_hl7_encode_ack(NULL, "AR", &e, NOW_MS, &out, &len), 0);
	ack = parse_ok(out, len);
	assert_field(ack, 0, 3, 1, "MEDGATE");
	assert_field(ack, 0, 9, 1, "ACK");
	assert_field(ack, 0, 9, 2, "");
	assert_field(ack, 0, 12, 1, "2.6");
	assert_field(ack, 1, 1, 1, "AR");
	assert_field(ack, 1, 2, 1, "");
	mg_hl7_msg_free(ack);
	mg_hl7_buffer_free(out, len);
}

static void test_encode_contract(void **state)
{
	struct mg_hl7_error e = { .code = MG_HL7_DATA_TYPE_ERROR, .text = "x" };
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(mg_hl7_encode_ack(NULL, "AA", &e, NOW_MS, &out, &len), MG_ERR_INVALID);
	assert_int_equal(mg_hl7_encode_ack(NULL, "AE", NULL, NOW_MS, &out, &len), MG_ERR_INVALID);
	assert_int_equal(mg_hl7_encode_ack(NULL, "CA", NULL, NOW_MS, &out, &len), MG_ERR_INVALID);
	assert_int_equal(mg_hl7_encode_ack(NULL, NULL, NULL, NOW_MS, &out, &len), MG_ERR_INVALID);
	assert_null(out);
	assert_int_equal(mg_hl7_encode_ack(NULL, "AA", NULL, INT64_C(253402300800000), &out, &len),
			 MG_ERR_INVALID);
}

static void test_condition_names(void **state)
{
	(void)state;
	assert_string_equal(mg_hl7_condition_name(103), "Table value not found");
	assert_string_equal(mg_hl7_condition_name(999), "Application internal error");
}

struct ack_case {
	const char *name;
	const char *text;
	int rc;
	const char *code, *control_id;
	unsigned error_code;
};

static const struct ack_case ack_cases[] = {
	{ "simple-hl7 server ACK",
	  "MSH|^~\\&|EMR|HOSP|MEDGATE|Ward 3|20261122100500||ACK|ACK20261122100500|P|2.3\r"
	  "MSA|AA|MG-1-42", 0, "AA", "MG-1-42", 0 },
	{ "v2.6 ACK with trigger and structure",
	  "MSH|^~\\&|EMR||MEDGATE||20261122100500+0100||ACK^R01^ACK|99|P|2.6\rMSA|AA|MG-1-42\r",
	  0, "AA", "MG-1-42", 0 },
	{ "enhanced mode commit accept",
	  "MSH|^~\\&|EMR||||20261122100500||ACK^R01^ACK|99|P|2.6\rMSA|CA|MG-1-42\r",
	  0, "CA", "MG-1-42", 0 },
	{ "error with v2.5 ERR",
	  "MSH|^~\\&|EMR||||x||ACK^R01^ACK|99|P|2.6\rMSA|AE|MG-1-42\r"
	  "ERR||PID^1^3|204^Unknown key identifier^HL70357|E||||Unknown patient\r",
	  0, "AE", "MG-1-42", 204 },
	{ "reject with v2.3 ERR-1",
	  "MSH|^~\\&|EMR||||x||ACK|99|P|2.3\rMSA|AR|MG-1-42|Database down\r"
	  "ERR|MSH^1^0^207&Application internal error&HL70357\r",
	  0, "AR", "MG-1-42", 207 },
	{ "non-numeric error code",
	  "MSH|^~\\&|EMR||||x||ACK|99|P|2.6\rMSA|AE|MG-1-42\rERR|||X1^Local\r",
	  0, "AE", "MG-1-42", 0 },
	{ "LF segments and odd delimiters",
	  "MSH#!@$%#EMR####x##ACK#99#P#2.6\nMSA#AA#MG$F$42\n", 0, "AA", "MG#42", 0 },
	{ "empty MSA-2", "MSH|^~\\&|EMR||||x||ACK|99|P|2.6\rMSA|AR|\r", 0, "AR", "", 0 },
	{ "not an ACK", "MSH|^~\\&|EMR||||x||ORU^R01|99|P|2.6\rMSA|AA|MG-1-42\r",
	  MG_ERR_INVALID, "", "", 0 },
	{ "no MSA", "MSH|^~\\&|EMR||||x||ACK|99|P|2.6\rERR|||207\r", MG_ERR_INVALID, "", "", 0 },
	{ "MSA not an ack code", "MSH|^~\\&|EMR||||x||ACK|99|P|2.6\rMSA|OK|MG-1-42\r",
	  MG_ERR_INVALID, "", "", 0 },
	{ "MSA-1 lower case", "MSH|^~\\&|EMR||||x||ACK|99|P|2.6\rMSA|aa|MG-1-42\r",
	  MG_ERR_INVALID, "", "", 0 },
	{ "HTML error page", "<html><body>502 Bad Gateway</body></html>", MG_ERR_INVALID,
	  "", "", 0 },
	{ "empty", "", MG_ERR_INVALID, "", "", 0 },
};

static void test_parse_ack_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ack_cases) / sizeof(ack_cases[0]); i++) {
		const struct ack_case *c = &ack_cases[i];
		struct mg_hl7_ack ack;
		char err[128];
		int rc;

		memset(&ack, 0xa5, sizeof(ack));
		rc = mg_hl7_parse_ack(c->text, strlen(c->text), &ack, err, sizeof(err));
		print_message("case %s -> %d %s\n", c->name, rc, err);
		assert_int_equal(rc, c->rc);
		assert_string_equal(ack.code, c->code);
		assert_string_equal(ack.control_id, c->control_id);
		assert_int_equal(ack.error_code, c->error_code);
		if (rc != 0)
			assert_true(err[0] != '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_error_with_err_segment),
		cmocka_unit_test(test_reject_unreadable),
		cmocka_unit_test(test_encode_contract),
		cmocka_unit_test(test_condition_names),
		cmocka_unit_test(test_parse_ack_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
