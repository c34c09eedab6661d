/* Hexadecimal text: one encoder and one decoder for the whole program.
 * Both take time independent of the values of the bytes and digits (no
 * table lookups or branches on them), so they serve for keys and MACs as
 * well as for ids and escapes. */
#ifndef MG_COMMON_HEX_H
#define MG_COMMON_HEX_H

#include <stddef.h>

enum mg_hex_case {
	MG_HEX_LOWER, /* "0a1f": ids, hashes, fingerprints */
	MG_HEX_UPPER, /* "0A1F": percent-encoding, HL7 \X..\ escapes */
};

/* Bytes of text, NUL included, that n bytes encode to. */
#define MG_HEX_TEXT_LEN(n) (2 * (n) + 1)

/* Write len bytes at bin as 2 * len digits of the given case plus NUL into
 * out of outlen bytes. Returns 0, or MG_ERR_LIMIT if outlen is smaller than
 * MG_HEX_TEXT_LEN(len) (out is then "" if outlen > 0). */
int mg_hex_encode(const void *bin, size_t len, enum mg_hex_case hcase, char *out, size_t outlen);

/* The two digits of b, high nibble first, into out[0] and out[1]; no NUL.
 * For escapes that put digits inside other text (%XX, \XNN\). */
void mg_hex_byte(unsigned char b, enum mg_hex_case hcase, char out[2]);

/* The value 0..15 of the digit c (either case), or -1 if c is not one. */
int mg_hex_digit(char c);

/* Decode exactly textlen digits (either case, no prefix, no spaces) at text
 * into bin of binsize bytes, and set *binlen_out (if not NULL) to textlen / 2.
 * Returns 0, MG_ERR_INVALID for an odd textlen or a character that is not a
 * digit, or MG_ERR_LIMIT if binsize < textlen / 2; on error *binlen_out is 0
 * and bin holds nothing to rely on. */
int mg_hex_decode(const char *text, size_t textlen, unsigned char *bin, size_t binsize,
		  size_t *binlen_out);

#endif
