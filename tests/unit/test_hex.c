/* common/hex: encoding and decoding as tables of text and expected outcome. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/err.h"
#include "common/hex.h"

struct encode_case {
	const char *bin; /* bytes to encode */
	size_t len;
	enum mg_hex_case hcase;
	size_t outlen; /* room given */
	int rc;
	const char *text; /* expected text ("" on error) */
};

static const struct encode_case encode_cases[] = {
    {"", 0, MG_HEX_LOWER, 1, 0, ""},
    {"\x00", 1, MG_HEX_LOWER, 3, 0, "00"},
    {"\x09\x0a\x0f\x10", 4, MG_HEX_LOWER, 9, 0, "090a0f10"},
    {"\x09\x0a\x0f\x10", 4, MG_HEX_UPPER, 9, 0, "090A0F10"},
    {"\xde\xad\xbe\xef", 4, MG_HEX_LOWER, 64, 0, "deadbeef"},
    {"\xde\xad\xbe\xef", 4, MG_HEX_UPPER, 64, 0, "DEADBEEF"},
    {"\x01\x23\x45\x67\x89\xab\xcd\xef", 8, MG_HEX_LOWER, 17, 0, "0123456789abcdef"},
    {"\xff\x7f\x80", 3, MG_HEX_UPPER, 7, 0, "FF7F80"},
    /* buffer too small: the NUL needs its byte too */
    {"\xde\xad", 2, MG_HEX_LOWER, 4, MG_ERR_LIMIT, ""},
    {"\xde\xad", 2, MG_HEX_LOWER, 1, MG_ERR_LIMIT, ""},
};

struct decode_case {
	const char *text;
	size_t binsize;
	int rc;
	const char *bin; /* expected bytes on success */
	size_t len;
};

static const struct decode_case decode_cases[] = {
    {"", 0, 0, "", 0},
    {"00", 1, 0, "\x00", 1},
    {"deadbeef", 4, 0, "\xde\xad\xbe\xef", 4},
    {"DEADBEEF", 4, 0, "\xde\xad\xbe\xef", 4},
    {"DeAdBeEf", 8, 0, "\xde\xad\xbe\xef", 4},
    {"0123456789abcdefABCDEF", 11, 0, "\x01\x23\x45\x67\x89\xab\xcd\xef\xab\xcd\xef", 11},
    /* odd length */
    {"a", 4, MG_ERR_INVALID, NULL, 0},
    {"abc", 4, MG_ERR_INVALID, NULL, 0},
    /* bad digits, including the neighbours of the ranges */
    {"0g", 4, MG_ERR_INVALID, NULL, 0},
    {"G0", 4, MG_ERR_INVALID, NULL, 0},
    {"/0", 4, MG_ERR_INVALID, NULL, 0},
    {":0", 4, MG_ERR_INVALID, NULL, 0},
    {"@0", 4, MG_ERR_INVALID, NULL, 0},
    {"`0", 4, MG_ERR_INVALID, NULL, 0},
    {" 0", 4, MG_ERR_INVALID, NULL, 0},
    {"0x", 4, MG_ERR_INVALID, NULL, 0},
    {"00\xff"
     "0",
     4, MG_ERR_INVALID, NULL, 0},
    {"abcdef0z", 4, MG_ERR_INVALID, NULL, 0},
    /* buffer too small */
    {"deadbeef", 3, MG_ERR_LIMIT, NULL, 0},
    {"00", 0, MG_ERR_LIMIT, NULL, 0},
};

static void test_encode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(encode_cases) / sizeof(encode_cases[0]); i++) {
		const struct encode_case *c = &encode_cases[i];
		char out[64];

		memset(out, 'x', sizeof(out));
		assert_true(c->outlen <= sizeof(out));
		assert_int_equal(mg_hex_encode(c->bin, c->len, c->hcase, out, c->outlen), c->rc);
		assert_string_equal(out, c->text);
	}
}

static void test_decode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		const struct decode_case *c = &decode_cases[i];
		unsigned char bin[16];
		size_t len = 99;

		assert_true(c->binsize <= sizeof(bin));
		assert_int_equal(mg_hex_decode(c->text, strlen(c->text), bin, c->binsize, &len),
				 c->rc);
		if (c->rc != 0) {
			assert_int_equal(len, 0);
			continue;
		}
		assert_int_equal(len, c->len);
		assert_memory_equal(bin, c->bin, c->len);
	}
}

/* Every byte and every character: the arithmetic agrees with the obvious
 * definitions, and decoding undoes encoding in both cases. */
static void test_every_value(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		int want = c >= '0' && c <= '9'   ? (int)c - '0'
			   : c >= 'a' && c <= 'f' ? (int)c - 'a' + 10
			   : c >= 'A' && c <= 'F' ? (int)c - 'A' + 10
						  : -1;

		assert_int_equal(mg_hex_digit((char)c), want);
	}
	for (unsigned b = 0; b < 256; b++) {
		unsigned char in = (unsigned char)b, back[1];
		char lower[3], upper[3], pair[2];
		size_t len;

		assert_int_equal(mg_hex_encode(&in, 1, MG_HEX_LOWER, lower, sizeof(lower)), 0);
		assert_int_equal(mg_hex_encode(&in, 1, MG_HEX_UPPER, upper, sizeof(upper)), 0);
		mg_hex_byte(in, MG_HEX_UPPER, pair);
		assert_memory_equal(pair, upper, 2);
		assert_int_equal(mg_hex_decode(lower, 2, back, 1, &len), 0);
		assert_int_equal(back[0], in);
		assert_int_equal(mg_hex_decode(upper, 2, back, 1, NULL), 0);
		assert_int_equal(back[0], in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_table),
	    cmocka_unit_test(test_decode_table),
	    cmocka_unit_test(test_every_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
