#include "common/textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"

void mg_textbuf_init(struct mg_textbuf *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->overflow = cap == 0;
	if (cap > 0)
		buf[0] = '\0';
}

void mg_textbuf_add(struct mg_textbuf *t, const void *s, size_t n)
{
	if (t->overflow || n >= t->cap - t->len) {
		t->overflow = true;
		return;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

void mg_textbuf_str(struct mg_textbuf *t, const char *s)
{
	mg_textbuf_add(t, s, strlen(s));
}

void mg_textbuf_printf(struct mg_textbuf *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len) {
		t->buf[t->len] = '\0';
		t->overflow = true;
		return;
	}
	t->len += (size_t)n;
}

int mg_textbuf_finish(struct mg_textbuf *t, size_t *len_out)
{
	*len_out = 0;
	if (t->overflow) {
		if (t->cap > 0)
			t->buf[0] = '\0';
		return MG_ERR_LIMIT;
	}
	t->buf[t->len] = '\0';
	*len_out = t->len;
	return 0;
}
