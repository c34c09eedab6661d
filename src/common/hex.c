#include "common/hex.h"

#include "common/err.h"

/* The digit for nibble n (0..15) by arithmetic, not a table (as libsodium's
 * sodium_bin2hex): for n < 10, n - 10 borrows, the shift turns the borrow
 * into a mask, and the mask subtracts to_digits (modulo 256), moving the
 * result from the letters down to '0'..'9'. */
static char nibble_digit(unsigned n, enum mg_hex_case hcase)
{
	unsigned letter_base = hcase == MG_HEX_UPPER ? 'A' - 10U : 'a' - 10U;
	unsigned to_digits = letter_base - '0';

	return (char)(unsigned char)(letter_base + n + (((n - 10U) >> 8) & (0U - to_digits)));
}

void mg_hex_byte(unsigned char b, enum mg_hex_case hcase, char out[2])
{
	out[0] = nibble_digit(b >> 4, hcase);
	out[1] = nibble_digit(b & 0x0fU, hcase);
}

int mg_hex_encode(const void *bin, size_t len, enum mg_hex_case hcase, char *out, size_t outlen)
{
	const unsigned char *b = bin;

	if (outlen == 0)
		return MG_ERR_LIMIT;
	out[0] = '\0';
	if (len > (outlen - 1) / 2)
		return MG_ERR_LIMIT;
	for (size_t i = 0; i < len; i++)
		mg_hex_byte(b[i], hcase, out + 2 * i);
	out[2 * len] = '\0';
	return 0;
}

int mg_hex_digit(char c)
{
	unsigned u = (unsigned char)c;
	unsigned num = u ^ '0';                         /* 0..9 for '0'..'9' */
	unsigned num_mask = ((num - 10U) >> 8) & 0xffU; /* 0xff if a decimal digit */
	unsigned alpha = (u & ~0x20U) - ('A' - 10U);    /* 10..15 for a-f, A-F */
	unsigned alpha_mask = (((alpha - 10U) ^ (alpha - 16U)) >> 8) & 0xffU;

	if ((num_mask | alpha_mask) == 0)
		return -1;
	return (int)((num_mask & num) | (alpha_mask & alpha));
}

int mg_hex_decode(const char *text, size_t textlen, unsigned char *bin, size_t binsize,
		  size_t *binlen_out)
{
	int bad = 0;

	if (binlen_out != NULL)
		*binlen_out = 0;
	if (textlen % 2 != 0)
		return MG_ERR_INVALID;
	if (textlen / 2 > binsize)
		return MG_ERR_LIMIT;
	/* Every digit is read before the verdict, so the time does not say
	 * where a bad one was. */
	for (size_t i = 0; i < textlen / 2; i++) {
		int hi = mg_hex_digit(text[2 * i]), lo = mg_hex_digit(text[2 * i + 1]);

		bad |= hi | lo;
		bin[i] = (unsigned char)(((unsigned)hi << 4) | ((unsigned)lo & 0x0fU));
	}
	if (bad < 0)
		return MG_ERR_INVALID;
	if (binlen_out != NULL)
		*binlen_out = textlen / 2;
	return 0;
}
