/* Recovery keys as text: prefix, hex digits in groups, a check. */
#include "backup/recovery.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"

#define CHECK_BYTES 2
#define PREFIX_LEN 5	/* "MGRK1" */

static const char *prefix_of(bool secret)
{
	return secret ? "MGRK1" : "MGRP1";
}

static void check_of(bool secret, const unsigned char key[MG_RECOVERY_KEY_BYTES],
		     unsigned char out[CHECK_BYTES])
{
	unsigned char h[crypto_generichash_BYTES_MIN];
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)prefix_of(secret), PREFIX_LEN);
	crypto_generichash_update(&st, key, MG_RECOVERY_KEY_BYTES);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(out, h, CHECK_BYTES);
}

int mg_recovery_key_format(bool secret, const unsigned char key[MG_RECOVERY_KEY_BYTES],
			   char *out, size_t outlen)
{
	unsigned char raw[MG_RECOVERY_KEY_BYTES + CHECK_BYTES];
	char hex[MG_HEX_TEXT_LEN(sizeof(raw))];
	size_t n = 0;

	if (outlen < MG_RECOVERY_TEXT_MAX)
		return MG_ERR_LIMIT;
	memcpy(raw, key, MG_RECOVERY_KEY_BYTES);
	check_of(secret, key, raw + MG_RECOVERY_KEY_BYTES);
	mg_hex_encode(raw, sizeof(raw), MG_HEX_UPPER, hex, sizeof(hex));
	sodium_memzero(raw, sizeof(raw));
	memcpy(out, prefix_of(secret), PREFIX_LEN);
	n = PREFIX_LEN;
	for (size_t i = 0; i < 2 * sizeof(raw); i++) {
		if (i % 4 == 0)
			out[n++] = '-';
		out[n++] = hex[i];
	}
	out[n] = '\0';
	sodium_memzero(hex, sizeof(hex));
	return 0;
}

/* The digits after the first prefix of the kind asked for, outside
 * comments: at most max of them into digits. */
static size_t digits_after_prefix(bool secret, const char *text, size_t len, char *digits,
				  size_t max)
{
	const char *want = prefix_of(secret);
	size_t i = 0, n = 0;

	while (i < len) {
		if (text[i] == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (len - i >= PREFIX_LEN && strncasecmp(text + i, want, PREFIX_LEN) == 0)
			break;
		i++;
	}
	if (i >= len)
		return 0;
	for (i += PREFIX_LEN; i < len && n <= max; i++) {
		char c = text[i];

		if (c == '-' || c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (!isxdigit((unsigned char)c))
			break;
		if (n == max)
			return max + 1;
		digits[n++] = c;
	}
	return n;
}

int mg_recovery_key_parse(bool secret, const char *text, size_t len,
			  unsigned char key[MG_RECOVERY_KEY_BYTES])
{
	unsigned char raw[MG_RECOVERY_KEY_BYTES + CHECK_BYTES], check[CHECK_BYTES];
	char digits[2 * sizeof(raw)];
	size_t n = digits_after_prefix(secret, text, len, digits, sizeof(digits));
	int r = 0;

	memset(key, 0, MG_RECOVERY_KEY_BYTES);
	if (n != sizeof(digits) || mg_hex_decode(digits, n, raw, sizeof(raw), NULL) != 0) {
		sodium_memzero(digits, sizeof(digits));
		return MG_ERR_INVALID;
	}
	check_of(secret, raw, check);
	if (sodium_memcmp(check, raw + MG_RECOVERY_KEY_BYTES, CHECK_BYTES) != 0)
		r = MG_ERR_CRYPTO;
	else
		memcpy(key, raw, MG_RECOVERY_KEY_BYTES);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(digits, sizeof(digits));
	return r;
}
