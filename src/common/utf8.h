/* UTF-8 (RFC 3629): one decoder for the whole program. */
#ifndef MG_COMMON_UTF8_H
#define MG_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decode the sequence at s (n > 0 bytes left): its length, with the code
 * point in *cp, or 0 if it is not well formed (truncated, overlong forms,
 * surrogates, values above U+10FFFF). */
size_t mg_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Whether len bytes at s are well-formed UTF-8. */
bool mg_utf8_valid(const char *s, size_t len);

#endif
