/* libFuzzer harness for signed firmware manifests
 * (mg_firmware_manifest_parse, model/firmware_manifest.h): any bytes. An
 * accepted manifest has valid fields in range, a signed part that ends
 * right before the signature line, and a signature that a key of zeros
 * does not verify; a refusal says why. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "model/device_model.h"
#include "model/firmware_manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char zero_key[MG_FIRMWARE_KEY_LEN];
	struct mg_firmware_manifest m;
	char *text = malloc(size + 1), err[256];
	int r;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	r = mg_firmware_manifest_parse(text, size, &m, err, sizeof(err));
	CHECK(r == 0 || r == MG_ERR_INVALID || r == MG_ERR_LIMIT);
	if (r != 0) {
		CHECK(err[0] != '\0');
	} else {
		CHECK(size <= MG_FIRMWARE_MANIFEST_MAX);
		CHECK(mg_model_name_valid(m.model));
		CHECK(mg_firmware_version_valid(m.version));
		CHECK(m.sequence >= 1 && m.sequence <= MG_FIRMWARE_SEQUENCE_MAX);
		CHECK(m.size >= 1 && m.size <= MG_FIRMWARE_IMAGE_MAX);
		CHECK(strlen(m.sha256) == MG_FIRMWARE_SHA256_LEN);
		CHECK(m.signed_len > 0 && m.signed_len < size);
		CHECK(memcmp(text + m.signed_len, "signature=", 10) == 0);
		CHECK(text[m.signed_len - 1] == '\n');
		CHECK(mg_firmware_manifest_verify(&m, text, zero_key) == MG_ERR_DENIED);
	}
	free(text);
	return 0;
}
