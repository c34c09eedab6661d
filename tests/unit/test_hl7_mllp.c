/* MLLP framing: a table of byte streams, each fed whole and then split
 * at every possible chunk size, must give the same messages and the same
 * final verdict; the wrapper and the size bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "hl7/hl7.h"
#include "hl7/mllp.h"

#define VT "\x0b"
#define FS "\x1c"
#define CR "\r"

struct stream_case {
	const char *name;
	const char *bytes;
	size_t max;		/* framer maximum, 0: default */
	const char *messages;	/* the messages framed, each followed by '#' */
	int final;		/* MG_ERR_AGAIN when the stream just ends */
	int pending;		/* a message started but not ended */
};

static const struct stream_case cases[] = {
	{ "one message", VT "MSH|^~\\&|A" CR "PID|1" CR FS CR, 0, "MSH|^~\\&|A\rPID|1\r#",
	  MG_ERR_AGAIN, 0 },
	{ "two messages back to back", VT "A" FS CR VT "BB" FS CR, 0, "A#BB#", MG_ERR_AGAIN, 0 },
	{ "three, the last cut", VT "A" FS CR VT "B" FS CR VT "C", 0, "A#B#", MG_ERR_AGAIN, 1 },
	{ "empty message", VT FS CR, 0, "#", MG_ERR_AGAIN, 0 },
	{ "nothing", "", 0, "", MG_ERR_AGAIN, 0 },
	{ "end block not yet followed by CR", VT "A" FS, 0, "", MG_ERR_AGAIN, 1 },
	{ "garbage before VT", "x" VT "A" FS CR, 0, "", MG_ERR_INVALID, 0 },
	{ "CR before VT", CR VT "A" FS CR, 0, "", MG_ERR_INVALID, 0 },
	{ "LF between frames", VT "A" FS CR "\n" VT "B" FS CR, 0, "A#", MG_ERR_INVALID, 0 },
	{ "FS without CR", VT "A" FS "B" FS CR, 0, "", MG_ERR_INVALID, 0 },
	{ "FS LF instead of FS CR", VT "A" FS "\n", 0, "", MG_ERR_INVALID, 0 },
	{ "VT inside a message", VT "A" VT "B" FS CR, 0, "", MG_ERR_INVALID, 0 },
	{ "stray FS between frames", VT "A" FS CR FS CR, 0, "A#", MG_ERR_INVALID, 0 },
	{ "at the maximum", VT "0123456789" FS CR, 10, "0123456789#", MG_ERR_AGAIN, 0 },
	{ "over the maximum with its end", VT "0123456789X" FS CR, 10, "", MG_ERR_LIMIT, 0 },
	{ "over the maximum without end", VT "0123456789XYZ", 10, "", MG_ERR_LIMIT, 0 },
	{ "second message over the maximum", VT "AB" FS CR VT "0123456789X", 10, "AB#",
	  MG_ERR_LIMIT, 0 },
};

/* Feed s to a new framer chunk bytes at a time; collect messages into got
 * as "msg#". Returns the first error, or MG_ERR_AGAIN. */
static int feed_all(const struct stream_case *c, size_t len, size_t chunk, char *got,
		    size_t gotsize, int *pending)
{
	struct mg_mllp_framer *f = mg_mllp_framer_new(c->max);
	size_t off = 0, g = 0;
	int r = MG_ERR_AGAIN;

	assert_non_null(f);
	got[0] = '\0';
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;

		while (n > 0) {
			const char *msg;
			size_t used, msglen;

			r = mg_mllp_framer_feed(f, c->bytes + off, n, &used, &msg, &msglen);
			assert_true(used <= n);
			off += used;
			n -= used;
			if (r == 0) {
				assert_true(g + msglen + 2 <= gotsize);
				memcpy(got + g, msg, msglen);
				g += msglen;
				got[g++] = '#';
				got[g] = '\0';
				r = MG_ERR_AGAIN;
				continue;
			}
			if (r != MG_ERR_AGAIN)
				goto out;
			assert_int_equal(n, 0);	/* AGAIN means all consumed */
		}
	}
out:
	*pending = mg_mllp_framer_pending(f);
	if (r != MG_ERR_AGAIN) {
		const char *msg;
		size_t used, msglen;

		/* Errors are final. */
		assert_int_equal(mg_mllp_framer_feed(f, VT "A" FS CR, 4, &used, &msg, &msglen), r);
		assert_int_equal(used, 0);
		assert_null(msg);
	}
	mg_mllp_framer_free(f);
	return r;
}

static void test_stream_table(void **state)
{
	char got[256];
	int pending;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct stream_case *c = &cases[i];
		size_t len = strlen(c->bytes);

		for (size_t chunk = 1; chunk <= len + 1; chunk++) {
			print_message("case %s, chunks of %zu\n", c->name, chunk);
			assert_int_equal(feed_all(c, len, chunk, got, sizeof(got), &pending),
					 c->final);
			assert_string_equal(got, c->messages);
			if (c->final == MG_ERR_AGAIN)
				assert_int_equal(pending, c->pending);
		}
	}
}

/* A message of MG_HL7_MESSAGE_MAX bytes in uneven pieces, then the same
 * plus one byte. */
static void test_large_message(void **state)
{
	size_t len = MG_HL7_MESSAGE_MAX + 3;
	char *stream = malloc(len + 1);
	struct mg_mllp_framer *f;
	const char *msg = NULL;
	size_t off = 0, used, msglen = 0, step = 1;
	int r = MG_ERR_AGAIN;

	(void)state;
	assert_non_null(stream);
	stream[0] = 0x0b;
	for (size_t i = 1; i <= MG_HL7_MESSAGE_MAX; i++)
		stream[i] = (char)('a' + i % 26);
	stream[len - 2] = 0x1c;
	stream[len - 1] = 0x0d;
	f = mg_mllp_framer_new(0);
	assert_non_null(f);
	while (off < len) {
		size_t n = len - off < step ? len - off : step;

		r = mg_mllp_framer_feed(f, stream + off, n, &used, &msg, &msglen);
		off += used;
		step = step * 3 % 1021 + 1;
		if (r != MG_ERR_AGAIN)
			break;
	}
	assert_int_equal(r, 0);
	assert_int_equal(off, len);
	assert_int_equal(msglen, MG_HL7_MESSAGE_MAX);
	assert_memory_equal(msg, stream + 1, msglen);
	mg_mllp_framer_free(f);

	/* one byte more and the framer refuses before the end block */
	f = mg_mllp_framer_new(0);
	r = mg_mllp_framer_feed(f, stream, len - 2, &used, &msg, &msglen);
	assert_int_equal(r, MG_ERR_AGAIN);
	r = mg_mllp_framer_feed(f, "x", 1, &used, &msg, &msglen);
	assert_int_equal(r, MG_ERR_LIMIT);
	mg_mllp_framer_free(f);
	free(stream);
}

static void test_wrap(void **state)
{
	char *out, *big;
	size_t len;
	struct mg_mllp_framer *f;
	const char *msg;
	size_t used, msglen;

	(void)state;
	assert_int_equal(mg_mllp_wrap("MSH|x\r", 6, &out, &len), 0);
	assert_int_equal(len, 9);
	assert_memory_equal(out, VT "MSH|x\r" FS CR, 9);
	f = mg_mllp_framer_new(0);
	assert_int_equal(mg_mllp_framer_feed(f, out, len, &used, &msg, &msglen), 0);
	assert_int_equal(used, len);
	assert_int_equal(msglen, 6);
	assert_memory_equal(msg, "MSH|x\r", 6);
	mg_mllp_framer_free(f);
	mg_hl7_buffer_free(out, len);

	assert_int_equal(mg_mllp_wrap("", 0, &out, &len), 0);
	assert_int_equal(len, 3);
	mg_hl7_buffer_free(out, len);
	assert_int_equal(mg_mllp_wrap("a" VT "b", 3, &out, &len), MG_ERR_INVALID);
	assert_null(out);
	assert_int_equal(mg_mllp_wrap("a" FS "b", 3, &out, &len), MG_ERR_INVALID);
	big = calloc(1, MG_HL7_MESSAGE_MAX + 1);
	assert_non_null(big);
	assert_int_equal(mg_mllp_wrap(big, MG_HL7_MESSAGE_MAX + 1, &out, &len), MG_ERR_LIMIT);
	assert_int_equal(mg_mllp_wrap(big, MG_HL7_MESSAGE_MAX, &out, &len), 0);
	mg_hl7_buffer_free(out, len);
	free(big);
	mg_mllp_framer_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_table),
		cmocka_unit_test(test_large_message),
		cmocka_unit_test(test_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
