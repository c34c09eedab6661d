/* Signed firmware manifests (model/firmware_manifest.h): a manifest signed
 * here parses and verifies; a changed byte, another key, an image of
 * another size or hash are refused; the strict form refuses each way a
 * line can be wrong, naming it. Also the inventory's firmware flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "model/device_model.h"
#include "model/firmware_manifest.h"

static unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
static unsigned char image[1000];

/* A manifest for image with these fields, signed with sk. */
static void signed_text(char *out, size_t outlen, const char *version, const char *sequence,
			const char *expires)
{
	char hash[MG_FIRMWARE_SHA256_LEN + 1], sig[2 * crypto_sign_BYTES + 1];
	unsigned char s[crypto_sign_BYTES];
	int n;

	mg_firmware_sha256_hex(image, sizeof(image), hash);
	n = snprintf(out, outlen,
		     MG_FIRMWARE_MAGIC "model=acme-s100\nversion=%s\nsequence=%s\nsize=%zu\n"
				       "sha256=%s\nexpires=%s\n",
		     version, sequence, sizeof(image), hash, expires);
	crypto_sign_detached(s, NULL, (const unsigned char *)out, (size_t)n, sk);
	mg_hex_encode(s, sizeof(s), MG_HEX_LOWER, sig, sizeof(sig));
	snprintf(out + n, outlen - (size_t)n, "signature=%s\n", sig);
}

static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	crypto_sign_keypair(pk, sk);
	for (size_t i = 0; i < sizeof(image); i++)
		image[i] = (unsigned char)(i * 7);
	return 0;
}

static void test_good(void **state)
{
	struct mg_firmware_manifest m;
	char text[MG_FIRMWARE_MANIFEST_MAX + 1], err[256];

	(void)state;
	signed_text(text, sizeof(text), "2.4.1-rc(7)", "9007199254740991", "2030-01-01T00:00:00Z");
	assert_int_equal(mg_firmware_manifest_parse(text, strlen(text), &m, err, sizeof(err)), 0);
	assert_string_equal(m.model, "acme-s100");
	assert_string_equal(m.version, "2.4.1-rc(7)");
	assert_int_equal(m.sequence, 9007199254740991LL);
	assert_int_equal(m.size, sizeof(image));
	assert_int_equal(m.expires_ms, 1893456000000LL);
	assert_int_equal(mg_firmware_manifest_verify(&m, text, pk), 0);
	assert_int_equal(mg_firmware_image_check(&m, image, sizeof(image), err, sizeof(err)), 0);
}

static void test_tampered(void **state)
{
	struct mg_firmware_manifest m;
	unsigned char other_pk[crypto_sign_PUBLICKEYBYTES], other_sk[crypto_sign_SECRETKEYBYTES];
	char text[MG_FIRMWARE_MANIFEST_MAX + 1], err[256];
	unsigned char changed[sizeof(image)];

	(void)state;
	signed_text(text, sizeof(text), "2.4.1", "7", "2030-01-01T00:00:00Z");
	/* Another key. */
	crypto_sign_keypair(other_pk, other_sk);
	assert_int_equal(mg_firmware_manifest_parse(text, strlen(text), &m, err, sizeof(err)), 0);
	assert_int_equal(mg_firmware_manifest_verify(&m, text, other_pk), MG_ERR_DENIED);
	/* A signed field changed: sequence 7 becomes 8. */
	*strstr(text, "sequence=7") = 's';
	memcpy(strstr(text, "sequence=7"), "sequence=8", 10);
	assert_int_equal(mg_firmware_manifest_parse(text, strlen(text), &m, err, sizeof(err)), 0);
	assert_int_equal(mg_firmware_manifest_verify(&m, text, pk), MG_ERR_DENIED);
	/* The image: one byte changed, or one byte short. */
	memcpy(changed, image, sizeof(image));
	changed[500] ^= 1;
	assert_int_equal(mg_firmware_image_check(&m, changed, sizeof(changed), err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_non_null(strstr(err, "SHA-256"));
	assert_int_equal(mg_firmware_image_check(&m, image, sizeof(image) - 1, err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_non_null(strstr(err, "999 bytes, the manifest says 1000"));
}

static void test_form(void **state)
{
	static const struct {
		const char *from, *to, *says;
	} cases[] = {
		{ "medgate-firmware-manifest 1", "medgate-firmware-manifest 2", "line 1" },
		{ "model=acme-s100", "model=acme s100", "bad value for model" },
		{ "model=acme-s100", "modell=acme-s100", "line 2 must be \"model=" },
		{ "version=2.4.1", "version=", "bad value for version" },
		{ "sequence=7", "sequence=07", "bad value for sequence" },
		{ "sequence=7", "sequence=0", "bad value for sequence" },
		{ "sequence=7", "sequence=9007199254740992", "bad value for sequence" },
		{ "sequence=7", "sequence=-7", "bad value for sequence" },
		{ "size=1000", "size=16777217", "bad value for size" },
		{ "sha256=", "sha256=A", "bad value for sha256" },
		{ "expires=2030-01-01T00:00:00Z", "expires=2030-01-01", "bad value for expires" },
		{ "\nsignature=", "\nsignature=0", "bad value for signature" },
		{ "\nversion=", "\r\nversion=", "bad value for model" },
	};
	struct mg_firmware_manifest m;
	char text[MG_FIRMWARE_MANIFEST_MAX + 1], bad[2 * MG_FIRMWARE_MANIFEST_MAX], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *at;

		signed_text(text, sizeof(text), "2.4.1", "7", "2030-01-01T00:00:00Z");
		at = strstr(text, cases[i].from);
		assert_non_null(at);
		snprintf(bad, sizeof(bad), "%.*s%s%s", (int)(at - text), text, cases[i].to,
			 at + strlen(cases[i].from));
		assert_int_equal(mg_firmware_manifest_parse(bad, strlen(bad), &m, err, sizeof(err)),
				 MG_ERR_INVALID);
		if (strstr(err, cases[i].says) == NULL)
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err, cases[i].says);
	}
	signed_text(text, sizeof(text), "2.4.1", "7", "2030-01-01T00:00:00Z");
	/* Nothing after the signature line, and the signature line ends. */
	snprintf(bad, sizeof(bad), "%s\n", text);
	assert_int_equal(mg_firmware_manifest_parse(bad, strlen(bad), &m, err, sizeof(err)),
			 MG_ERR_INVALID);
	assert_int_equal(mg_firmware_manifest_parse(text, strlen(text) - 1, &m, err, sizeof(err)),
			 MG_ERR_INVALID);
	/* A NUL inside is not text. */
	memcpy(bad, text, strlen(text));
	bad[strstr(text, "version=") - text + 9] = '\0';
	assert_int_equal(mg_firmware_manifest_parse(bad, strlen(text), &m, err, sizeof(err)),
			 MG_ERR_INVALID);
	memset(bad, 'a', MG_FIRMWARE_MANIFEST_MAX + 1);
	assert_int_equal(mg_firmware_manifest_parse(bad, MG_FIRMWARE_MANIFEST_MAX + 1, &m, err,
						    sizeof(err)),
			 MG_ERR_LIMIT);
}

static void test_key_and_flag(void **state)
{
	unsigned char key[MG_FIRMWARE_KEY_LEN];
	struct mg_model_list l;
	char err[256];
	const char *hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

	(void)state;
	assert_int_equal(mg_firmware_key_parse(hex, strlen(hex), key), 0);
	assert_int_equal(key[1], 0x11);
	assert_int_equal(mg_firmware_key_parse(" 0011\n", 6, key), MG_ERR_INVALID);
	assert_int_equal(mg_firmware_key_parse(hex, strlen(hex) - 1, key), MG_ERR_INVALID);

	assert_int_equal(mg_model_list_parse("acme-s100:2.1.0, acme-rod", &l, err, sizeof(err)), 0);
	assert_int_equal(mg_device_firmware_flag(&l, "acme-s100", "2.0.9"), MG_FIRMWARE_BELOW_MINIMUM);
	assert_int_equal(mg_device_firmware_flag(&l, "acme-s100", ""), MG_FIRMWARE_BELOW_MINIMUM);
	assert_int_equal(mg_device_firmware_flag(&l, "acme-s100", "2.1.0"), MG_FIRMWARE_OK);
	assert_int_equal(mg_device_firmware_flag(&l, "acme-s100", "2.10"), MG_FIRMWARE_OK);
	assert_int_equal(mg_device_firmware_flag(&l, "acme-rod", ""), MG_FIRMWARE_UNKNOWN);
	assert_int_equal(mg_device_firmware_flag(&l, "acme-rod", "0.1"), MG_FIRMWARE_OK);
	assert_int_equal(mg_device_firmware_flag(&l, "", "0.1"), MG_FIRMWARE_OK);
	assert_string_equal(mg_firmware_flag_name(MG_FIRMWARE_BELOW_MINIMUM), "below_minimum");
	assert_string_equal(mg_firmware_flag_name(MG_FIRMWARE_UNKNOWN), "unknown");
	assert_null(mg_firmware_flag_name(MG_FIRMWARE_OK));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_key_and_flag),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
