/* Text checks and the two derived strings of a Bundle entry: its fullUrl
 * (a name-based UUID) and its ifNoneExist search. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/utf8.h"
#include "fhir/fhir_internal.h"

bool fhir_text_ok(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t left = strlen(text);

	while (left > 0) {
		uint32_t cp;
		size_t n = mg_utf8_decode(s, left, &cp);

		/* No C0 controls, DEL, or C1 controls (U+0080..U+009F). */
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return false;
		s += n;
		left -= n;
	}
	return true;
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool fhir_system_ok(const char *s)
{
	size_t len, i;

	if (s == NULL || (len = strlen(s)) == 0 || len > MG_FHIR_SYSTEM_MAX || !is_alpha(s[0]))
		return false;
	for (i = 1; i < len && s[i] != ':'; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.')
			return false;
	if (i == len || i + 1 == len)	/* no ':' or nothing after it */
		return false;
	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '|' || s[i] == '\\')
			return false;
	return true;
}

/* RFC 9562 appendix A: the namespace for names that are URLs. */
static const unsigned char namespace_url[16] = {
	0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
	0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
};

#define UUID_NAME_MAX 1024

int fhir_uuid5_urn(const char *name, char *out, size_t outlen)
{
	unsigned char buf[sizeof(namespace_url) + UUID_NAME_MAX];
	unsigned char digest[20];
	size_t len = strlen(name), pos;

	if (outlen < FHIR_UUID_URN_LEN || len > UUID_NAME_MAX)
		return MG_ERR_LIMIT;
	memcpy(buf, namespace_url, sizeof(namespace_url));
	memcpy(buf + sizeof(namespace_url), name, len);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA1, buf, sizeof(namespace_url) + len, digest) != 0)
		return MG_ERR_CRYPTO;
	digest[6] = (unsigned char)((digest[6] & 0x0f) | 0x50);	/* version 5 */
	digest[8] = (unsigned char)((digest[8] & 0x3f) | 0x80);	/* RFC variant */
	memcpy(out, "urn:uuid:", 9);
	pos = 9;
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[pos++] = '-';
		mg_hex_byte(digest[i], MG_HEX_LOWER, out + pos);
		pos += 2;
	}
	out[pos] = '\0';
	return 0;
}

static bool query_literal(unsigned char c)
{
	return is_alpha((char)c) || is_digit((char)c) || c == '-' || c == '.' || c == '_' ||
	       c == '~' || c == ':' || c == '/';
}

/* Append s with FHIR search escapes and percent-encoding at out + pos. */
static size_t query_append(char *out, size_t pos, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		unsigned char escaped[2];
		size_t n = 0;

		if (*p == '\\' || *p == '|' || *p == ',' || *p == '$')
			escaped[n++] = '\\';
		escaped[n++] = *p;
		for (size_t i = 0; i < n; i++) {
			if (query_literal(escaped[i])) {
				out[pos++] = (char)escaped[i];
			} else {
				out[pos++] = '%';
				mg_hex_byte(escaped[i], MG_HEX_UPPER, out + pos);
				pos += 2;
			}
		}
	}
	return pos;
}

char *fhir_identifier_query(const char *system, const char *value)
{
	static const char prefix[] = "identifier=";
	/* Each byte becomes at most "\" and itself, both percent-encoded. */
	size_t max = sizeof(prefix) + 6 * (strlen(system) + strlen(value)) + 1;
	char *out = malloc(max);
	size_t pos;

	if (out == NULL)
		return NULL;
	memcpy(out, prefix, sizeof(prefix) - 1);
	pos = query_append(out, sizeof(prefix) - 1, system);
	out[pos++] = '|';
	pos = query_append(out, pos, value);
	out[pos] = '\0';
	return out;
}
