#include "model/firmware_manifest.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/timefmt.h"
#include "model/device_model.h"

/* The keys of the manifest, in their one order. */
static const char *const keys[] = {
	"model", "version", "sequence", "size", "sha256", "expires", "signature",
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* A decimal integer of 1 to 16 digits, no leading zero, in [1, max]. */
static int number_parse(const char *v, size_t n, int64_t max, int64_t *out)
{
	int64_t x = 0;

	if (n == 0 || n > 16 || v[0] == '0')
		return MG_ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return MG_ERR_INVALID;
		x = x * 10 + (v[i] - '0');
	}
	if (x > max)
		return MG_ERR_RANGE;
	*out = x;
	return 0;
}

static bool lower_hex(const char *v, size_t n)
{
	return strspn(v, "0123456789abcdef") >= n;
}

/* One line's value v (n bytes, no newline) for key i into m. */
static int value_set(struct mg_firmware_manifest *m, size_t i, const char *v, size_t n,
		     char *err, size_t errlen)
{
	char text[MG_TIME_TEXT_MAX + 1];

	switch (i) {
	case 0:
		if (n > MG_MODEL_MAX || memchr(v, '\0', n) != NULL)
			break;
		memcpy(m->model, v, n);
		m->model[n] = '\0';
		if (!mg_model_name_valid(m->model))
			break;
		return 0;
	case 1:
		if (n > MG_FIRMWARE_MAX || memchr(v, '\0', n) != NULL)
			break;
		memcpy(m->version, v, n);
		m->version[n] = '\0';
		if (!mg_firmware_version_valid(m->version))
			break;
		return 0;
	case 2:
		if (number_parse(v, n, MG_FIRMWARE_SEQUENCE_MAX, &m->sequence) != 0)
			break;
		return 0;
	case 3:
		if (number_parse(v, n, MG_FIRMWARE_IMAGE_MAX, &m->size) != 0)
			break;
		return 0;
	case 4:
		if (n != MG_FIRMWARE_SHA256_LEN || !lower_hex(v, n))
			break;
		memcpy(m->sha256, v, n);
		m->sha256[n] = '\0';
		return 0;
	case 5:
		if (n > MG_TIME_TEXT_MAX || memchr(v, '\0', n) != NULL)
			break;
		memcpy(text, v, n);
		text[n] = '\0';
		if (mg_time_parse(text, &m->expires_ms) != 0)
			break;
		return 0;
	case 6:
		if (n != 2 * MG_FIRMWARE_SIG_LEN || !lower_hex(v, n) ||
		    mg_hex_decode(v, n, m->signature, sizeof(m->signature), NULL) != 0)
			break;
		return 0;
	}
	snprintf(err, errlen, "firmware manifest: line %zu: bad value for %s%s", i + 2, keys[i],
		 i == 2   ? " (an integer from 1 to 2^53-1, no leading zero)"
		 : i == 3 ? " (the image size in bytes, 1 to 16 MiB)"
		 : i == 4 || i == 6 ? " (lower-case hex digits)"
		 : i == 5 ? " (an RFC 3339 date-time)"
			  : "");
	return MG_ERR_INVALID;
}

int mg_firmware_manifest_parse(const char *text, size_t len, struct mg_firmware_manifest *out,
			       char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	size_t magic = strlen(MG_FIRMWARE_MAGIC);
	int r;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	if (len > MG_FIRMWARE_MANIFEST_MAX) {
		snprintf(err, errlen, "firmware manifest: larger than %d bytes",
			 MG_FIRMWARE_MANIFEST_MAX);
		return MG_ERR_LIMIT;
	}
	if (len < magic || memcmp(text, MG_FIRMWARE_MAGIC, magic) != 0) {
		snprintf(err, errlen, "firmware manifest: line 1 must be \"%.*s\"",
			 (int)magic - 1, MG_FIRMWARE_MAGIC);
		return MG_ERR_INVALID;
	}
	p += magic;
	for (size_t i = 0; i < NKEYS; i++) {
		size_t klen = strlen(keys[i]);
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL || (size_t)(nl - p) <= klen || memcmp(p, keys[i], klen) != 0 ||
		    p[klen] != '=') {
			snprintf(err, errlen,
				 "firmware manifest: line %zu must be \"%s=...\" ending in a "
				 "newline",
				 i + 2, keys[i]);
			return MG_ERR_INVALID;
		}
		if (i == NKEYS - 1)
			out->signed_len = (size_t)(p - text);
		if ((r = value_set(out, i, p + klen + 1, (size_t)(nl - p) - klen - 1, err,
				   errlen)) != 0)
			return r;
		p = nl + 1;
	}
	if (p != end) {
		snprintf(err, errlen, "firmware manifest: text after the signature line");
		return MG_ERR_INVALID;
	}
	return 0;
}

int mg_firmware_manifest_verify(const struct mg_firmware_manifest *m, const char *text,
				const unsigned char key[MG_FIRMWARE_KEY_LEN])
{
	if (m->signed_len == 0)
		return MG_ERR_DENIED;
	return crypto_sign_verify_detached(m->signature, (const unsigned char *)text,
					   m->signed_len, key) == 0
		       ? 0
		       : MG_ERR_DENIED;
}

void mg_firmware_sha256_hex(const void *data, size_t len, char out[MG_FIRMWARE_SHA256_LEN + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, data, len);
	mg_hex_encode(h, sizeof(h), MG_HEX_LOWER, out, MG_FIRMWARE_SHA256_LEN + 1);
}

int mg_firmware_image_check(const struct mg_firmware_manifest *m, const void *image, size_t len,
			    char *err, size_t errlen)
{
	char hash[MG_FIRMWARE_SHA256_LEN + 1];

	if ((int64_t)len != m->size) {
		snprintf(err, errlen, "firmware image: %zu bytes, the manifest says %lld", len,
			 (long long)m->size);
		return MG_ERR_INVALID;
	}
	mg_firmware_sha256_hex(image, len, hash);
	if (sodium_memcmp(hash, m->sha256, MG_FIRMWARE_SHA256_LEN) != 0) {
		snprintf(err, errlen,
			 "firmware image: SHA-256 %.16s... is not the manifest's %.16s...", hash,
			 m->sha256);
		return MG_ERR_INVALID;
	}
	return 0;
}

int mg_firmware_key_parse(const char *text, size_t len, unsigned char key[MG_FIRMWARE_KEY_LEN])
{
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	while (len > 0 && (*text == ' ' || *text == '\t'))
		text++, len--;
	if (len != 2 * MG_FIRMWARE_KEY_LEN ||
	    mg_hex_decode(text, len, key, MG_FIRMWARE_KEY_LEN, NULL) != 0)
		return MG_ERR_INVALID;
	return 0;
}
