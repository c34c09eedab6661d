/* libFuzzer harness for the MLLP framer. Input: one byte choosing how
 * the stream is cut into reads, one byte choosing the framer's maximum,
 * then the stream. The stream is framed twice, in one read and in the
 * chosen pieces; both must give the same messages and the same verdict,
 * every message must respect the maximum and hold no VT or FS, and each
 * message wrapped again must frame back to itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "hl7/hl7.h"
#include "hl7/mllp.h"

#define MAX_MESSAGES	64	/* compared one by one; later ones only checked */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

struct seen {
	size_t count;
	uint64_t hash[MAX_MESSAGES];	/* FNV-1a of each message */
	size_t len[MAX_MESSAGES];
	int verdict;
	int pending;
};

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
	return h;
}

static void check_message(const char *msg, size_t len, size_t max)
{
	struct mg_mllp_framer *f;
	const char *again;
	char *framed;
	size_t flen, used, alen;

	CHECK(len <= max);
	CHECK(memchr(msg, MG_MLLP_START, len) == NULL);
	CHECK(memchr(msg, MG_MLLP_END, len) == NULL);
	CHECK(mg_mllp_wrap(msg, len, &framed, &flen) == 0);
	CHECK(flen == len + 3);
	f = mg_mllp_framer_new(max);
	CHECK(f != NULL);
	CHECK(mg_mllp_framer_feed(f, framed, flen, &used, &again, &alen) == 0);
	CHECK(used == flen && alen == len && memcmp(again, msg, len) == 0);
	CHECK(!mg_mllp_framer_pending(f));
	mg_mllp_framer_free(f);
	mg_hl7_buffer_free(framed, flen);
}

/* Frame stream[0..len) in reads whose sizes come from seed. */
static void frame(const char *stream, size_t len, size_t max, unsigned seed, struct seen *s)
{
	struct mg_mllp_framer *f = mg_mllp_framer_new(max);
	size_t off = 0;
	uint32_t x = seed * 2654435761u + 1;

	CHECK(f != NULL);
	memset(s, 0, sizeof(*s));
	s->verdict = MG_ERR_AGAIN;
	while (off < len) {
		size_t n = len - off;

		if (seed != 0) {
			x = x * 1103515245u + 12345u;
			n = 1 + (x >> 16) % (seed % 64 + 1);
			if (n > len - off)
				n = len - off;
		}
		while (n > 0) {
			const char *msg;
			size_t used, msglen;
			int r = mg_mllp_framer_feed(f, stream + off, n, &used, &msg, &msglen);

			CHECK(used <= n);
			off += used;
			n -= used;
			if (r == 0) {
				check_message(msg, msglen, max);
				if (s->count < MAX_MESSAGES) {
					s->hash[s->count] = fnv1a(msg, msglen);
					s->len[s->count] = msglen;
				}
				s->count++;
				continue;
			}
			if (r != MG_ERR_AGAIN) {
				CHECK(r == MG_ERR_INVALID || r == MG_ERR_LIMIT);
				s->verdict = r;
				goto out;
			}
			CHECK(n == 0);
		}
	}
out:
	s->pending = mg_mllp_framer_pending(f);
	mg_mllp_framer_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxima[] = { 0, 1, 16, 100, 1024, MG_HL7_MESSAGE_MAX };
	struct seen whole, pieces;
	size_t max;

	if (size < 2)
		return 0;
	max = maxima[data[1] % (sizeof(maxima) / sizeof(maxima[0]))];
	if (max == 0)
		max = MG_HL7_MESSAGE_MAX;	/* what mg_mllp_framer_new(0) means */
	frame((const char *)data + 2, size - 2, max, 0, &whole);
	frame((const char *)data + 2, size - 2, max, data[0], &pieces);
	CHECK(whole.verdict == pieces.verdict);
	CHECK(whole.count == pieces.count);
	for (size_t i = 0; i < whole.count && i < MAX_MESSAGES; i++)
		CHECK(whole.hash[i] == pieces.hash[i] && whole.len[i] == pieces.len[i]);
	if (whole.verdict == MG_ERR_AGAIN)
		CHECK(whole.pending == pieces.pending);
	return 0;
}
