/* Text built into a caller's fixed buffer: appends past the end set a
 * flag instead of writing, and finishing reports it, so a formatter can
 * append freely and check once (curl's dynbuf with a fixed array). */
#ifndef MG_COMMON_TEXTBUF_H
#define MG_COMMON_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct mg_textbuf {
	char *buf;
	size_t cap;		/* bytes of buf, NUL included */
	size_t len;
	bool overflow;
};

/* Start an empty text in buf of cap > 0 bytes. */
void mg_textbuf_init(struct mg_textbuf *t, char *buf, size_t cap);

/* Append n bytes / a string / printf output; past cap sets overflow. */
void mg_textbuf_add(struct mg_textbuf *t, const void *s, size_t n);
void mg_textbuf_str(struct mg_textbuf *t, const char *s);
void mg_textbuf_printf(struct mg_textbuf *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* NUL-terminate and give the length. Returns 0, or MG_ERR_LIMIT if
 * anything did not fit (buf then holds "" and *len_out is 0). */
int mg_textbuf_finish(struct mg_textbuf *t, size_t *len_out);

#endif
