/* Writing HL7 text: a bounded output buffer, escaping on the way out and
 * unescaping on the way in (HL7 v2.6 chapter 2, "Use of escape sequences
 * in text fields"). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "hl7/internal.h"

#define OUT_INITIAL	1024

void hl7_out_init(struct hl7_out *o, size_t max)
{
	memset(o, 0, sizeof(*o));
	o->max = max;
}

static int out_reserve(struct hl7_out *o, size_t n)
{
	size_t want, cap;
	char *p;

	if (o->error != 0)
		return o->error;
	if (n > o->max || o->len > o->max - n) {
		o->error = MG_ERR_LIMIT;
		return o->error;
	}
	want = o->len + n + 1;		/* room for the final NUL */
	if (want <= o->cap)
		return 0;
	cap = o->cap ? o->cap : OUT_INITIAL;
	while (cap < want)
		cap *= 2;
	/* Grow by copying so that the old block can be wiped. */
	if ((p = malloc(cap)) == NULL) {
		o->error = MG_ERR_NOMEM;
		return o->error;
	}
	if (o->buf != NULL) {
		memcpy(p, o->buf, o->len);
		sodium_memzero(o->buf, o->cap);
		free(o->buf);
	}
	o->buf = p;
	o->cap = cap;
	return 0;
}

void hl7_out_raw(struct hl7_out *o, const char *s, size_t n)
{
	if (out_reserve(o, n) != 0)
		return;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

void hl7_out_str(struct hl7_out *o, const char *s)
{
	hl7_out_raw(o, s, strlen(s));
}

void hl7_out_text(struct hl7_out *o, const char *s)
{
	const struct hl7_delimiters *d = &hl7_standard_delimiters;
	char hex[] = "\\X00\\";

	for (; *s != '\0'; s++) {
		char c = *s;
		const char *esc = NULL;

		if (c == d->field)
			esc = "\\F\\";
		else if (c == d->component)
			esc = "\\S\\";
		else if (c == d->subcomponent)
			esc = "\\T\\";
		else if (c == d->repetition)
			esc = "\\R\\";
		else if (c == d->escape)
			esc = "\\E\\";
		else if ((unsigned char)c < 0x20 || c == 0x7f) {
			mg_hex_byte((unsigned char)c, MG_HEX_UPPER, hex + 2);
			esc = hex;
		}
		if (esc != NULL)
			hl7_out_str(o, esc);
		else
			hl7_out_raw(o, &c, 1);
	}
}

void hl7_out_printf(struct hl7_out *o, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(small)) {	/* only short items go through here */
		if (o->error == 0)
			o->error = MG_ERR_LIMIT;
		return;
	}
	hl7_out_raw(o, small, (size_t)r);
}

void hl7_out_discard(struct hl7_out *o)
{
	if (o->buf != NULL) {
		sodium_memzero(o->buf, o->cap);
		free(o->buf);
	}
	o->buf = NULL;
	o->len = o->cap = 0;
}

int hl7_out_finish(struct hl7_out *o, char **out, size_t *len)
{
	int r = o->error;

	*out = NULL;
	*len = 0;
	if (r == 0 && o->buf == NULL)
		r = out_reserve(o, 0);
	if (r != 0) {
		hl7_out_discard(o);
		return r;
	}
	o->buf[o->len] = '\0';
	*out = o->buf;
	*len = o->len;
	o->buf = NULL;
	return 0;
}

void mg_hl7_buffer_free(char *buf, size_t len)
{
	if (buf == NULL)
		return;
	sodium_memzero(buf, len);
	free(buf);
}

/* Append the meaning of the escape sequence seq[0..n) (between the two
 * escape characters) to out at *o. */
static int unescape_one(const struct hl7_delimiters *d, const char *seq, size_t n,
			char *out, size_t outsize, size_t *o)
{
	char c;

	if (n == 1) {
		switch (seq[0]) {
		case 'F': c = d->field; break;
		case 'S': c = d->component; break;
		case 'T': c = d->subcomponent; break;
		case 'R': c = d->repetition; break;
		case 'E': c = d->escape; break;
		case 'H': case 'N': return 0;	/* highlighting on/off: no text */
		default: return MG_ERR_INVALID;
		}
		if (*o + 1 >= outsize)
			return MG_ERR_LIMIT;
		out[(*o)++] = c;
		return 0;
	}
	if (n >= 3 && seq[0] == 'X' && (n - 1) % 2 == 0) {
		for (size_t i = 1; i < n; i += 2) {
			int hi = mg_hex_digit(seq[i]), lo = mg_hex_digit(seq[i + 1]);

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return MG_ERR_INVALID;	/* NUL would cut the text */
			if (*o + 1 >= outsize)
				return MG_ERR_LIMIT;
			out[(*o)++] = (char)(hi * 16 + lo);
		}
		return 0;
	}
	return MG_ERR_INVALID;	/* \.br\, \Cxxyy\, \Mxxyyzz\, \Zxx\: not for our fields */
}

int hl7_unescape(const struct hl7_delimiters *d, const char *raw, size_t len,
		 char *out, size_t outsize)
{
	size_t o = 0;
	int r;

	if (outsize == 0)
		return MG_ERR_LIMIT;
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == d->escape) {
			const char *close = memchr(raw + i + 1, d->escape, len - i - 1);

			if (close == NULL) {
				out[0] = '\0';
				return MG_ERR_INVALID;
			}
			r = unescape_one(d, raw + i + 1, (size_t)(close - raw - i - 1), out,
					 outsize, &o);
			if (r != 0) {
				out[0] = '\0';
				return r;
			}
			i = (size_t)(close - raw);
			continue;
		}
		if (o + 1 >= outsize) {
			out[0] = '\0';
			return MG_ERR_LIMIT;
		}
		out[o++] = raw[i];
	}
	out[o] = '\0';
	return 0;
}
