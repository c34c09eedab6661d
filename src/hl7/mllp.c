/* MLLP framing (HL7 v2 Transport Specification: MLLP, release 2): a
 * strict state machine over the byte stream. Anything that is not a well
 * formed frame ends the connection rather than being skipped, so no two
 * readers of the same stream can disagree about where a message starts. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "hl7/hl7.h"
#include "hl7/mllp.h"

#define FRAMER_INITIAL	4096	/* most messages fit; grown on demand */

enum framer_state {
	FRAMER_IDLE,		/* between frames: expect VT */
	FRAMER_BODY,		/* inside a frame: message bytes until FS */
	FRAMER_END,		/* FS seen: expect CR */
	FRAMER_DONE,		/* a message was handed out; reset on next call */
	FRAMER_FAILED,
};

struct mg_mllp_framer {
	enum framer_state state;
	int error;
	char *buf;
	size_t len, cap, max;
};

int mg_mllp_wrap(const char *msg, size_t len, char **out, size_t *outlen)
{
	char *p;

	*out = NULL;
	*outlen = 0;
	if (len > MG_HL7_MESSAGE_MAX)
		return MG_ERR_LIMIT;
	if (memchr(msg, MG_MLLP_START, len) != NULL || memchr(msg, MG_MLLP_END, len) != NULL)
		return MG_ERR_INVALID;
	if ((p = malloc(len + 3)) == NULL)
		return MG_ERR_NOMEM;
	p[0] = MG_MLLP_START;
	memcpy(p + 1, msg, len);
	p[len + 1] = MG_MLLP_END;
	p[len + 2] = MG_MLLP_CR;
	*out = p;
	*outlen = len + 3;
	return 0;
}

struct mg_mllp_framer *mg_mllp_framer_new(size_t max)
{
	struct mg_mllp_framer *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->max = max == 0 || max > MG_HL7_MESSAGE_MAX ? MG_HL7_MESSAGE_MAX : max;
	f->state = FRAMER_IDLE;
	return f;
}

void mg_mllp_framer_free(struct mg_mllp_framer *f)
{
	if (f == NULL)
		return;
	if (f->buf != NULL) {
		sodium_memzero(f->buf, f->cap);
		free(f->buf);
	}
	free(f);
}

int mg_mllp_framer_pending(const struct mg_mllp_framer *f)
{
	return f->state == FRAMER_BODY || f->state == FRAMER_END;
}

static int fail(struct mg_mllp_framer *f, int error)
{
	f->state = FRAMER_FAILED;
	f->error = error;
	return error;
}

/* Make room for n more message bytes, doubling up to the maximum. */
static int reserve(struct mg_mllp_framer *f, size_t n)
{
	size_t cap;
	char *p;

	if (n > f->max - f->len)
		return fail(f, MG_ERR_LIMIT);
	if (f->len + n <= f->cap)
		return 0;
	cap = f->cap ? f->cap : FRAMER_INITIAL;
	while (cap < f->len + n)
		cap *= 2;
	if (cap > f->max)
		cap = f->max;
	if ((p = malloc(cap)) == NULL)
		return fail(f, MG_ERR_NOMEM);
	if (f->buf != NULL) {
		memcpy(p, f->buf, f->len);
		sodium_memzero(f->buf, f->cap);
		free(f->buf);
	}
	f->buf = p;
	f->cap = cap;
	return 0;
}

/* Copy the run of plain message bytes at the start of data[0..len). */
static int take_body(struct mg_mllp_framer *f, const char *data, size_t len, size_t *i)
{
	size_t n = 0;
	int r;

	while (n < len - *i && data[*i + n] != MG_MLLP_END && data[*i + n] != MG_MLLP_START)
		n++;
	if (n > 0) {
		if ((r = reserve(f, n)) != 0)
			return r;
		memcpy(f->buf + f->len, data + *i, n);
		f->len += n;
		*i += n;
	}
	return 0;
}

int mg_mllp_framer_feed(struct mg_mllp_framer *f, const char *data, size_t len,
			size_t *used, const char **msg, size_t *msglen)
{
	size_t i = 0;
	int r;

	*used = 0;
	*msg = NULL;
	*msglen = 0;
	if (f->state == FRAMER_FAILED)
		return f->error;
	if (f->state == FRAMER_DONE) {
		sodium_memzero(f->buf, f->len);
		f->len = 0;
		f->state = FRAMER_IDLE;
	}
	while (i < len) {
		char c = data[i];

		switch (f->state) {
		case FRAMER_IDLE:
			if (c != MG_MLLP_START)
				return fail(f, MG_ERR_INVALID);
			f->state = FRAMER_BODY;
			i++;
			break;
		case FRAMER_BODY:
			if (c == MG_MLLP_START)
				return fail(f, MG_ERR_INVALID);
			if (c == MG_MLLP_END) {
				f->state = FRAMER_END;
				i++;
				break;
			}
			if ((r = take_body(f, data, len, &i)) != 0)
				return r;
			break;
		case FRAMER_END:
			if (c != MG_MLLP_CR)
				return fail(f, MG_ERR_INVALID);
			i++;
			f->state = FRAMER_DONE;
			*used = i;
			*msg = f->buf != NULL ? f->buf : "";
			*msglen = f->len;
			return 0;
		case FRAMER_DONE:
		case FRAMER_FAILED:
			return fail(f, MG_ERR_INVALID);	/* not reached */
		}
	}
	*used = i;
	return MG_ERR_AGAIN;
}
