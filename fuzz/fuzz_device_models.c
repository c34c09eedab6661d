/* libFuzzer harness for [devices] models (mg_model_list_parse) and the
 * firmware order: any bytes, cut at the first NUL, are a list text. An
 * accepted list holds valid, distinct names that it finds again, each
 * minimum firmware compares equal to itself, and the order is
 * antisymmetric. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "model/device_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static int sign(int v)
{
	return v > 0 ? 1 : v < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mg_model_list l;
	char *text = malloc(size + 1), err[256];
	int r;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	r = mg_model_list_parse(text, &l, err, sizeof(err));
	CHECK(r == 0 || r == MG_ERR_INVALID || r == MG_ERR_LIMIT);
	if (r != 0) {
		CHECK(err[0] != '\0');
	} else {
		CHECK(l.n <= MG_MODELS_MAX);
		for (size_t i = 0; i < l.n; i++) {
			const struct mg_model_rule *rule = &l.rules[i];

			CHECK(mg_model_name_valid(rule->name));
			CHECK(mg_model_list_find(&l, rule->name) == rule);
			CHECK(strlen(rule->min_firmware) <= MG_FIRMWARE_MAX);
			CHECK(mg_firmware_compare(rule->min_firmware, rule->min_firmware) == 0);
			if (i > 0)
				CHECK(sign(mg_firmware_compare(rule->min_firmware,
							       l.rules[i - 1].min_firmware)) ==
				      -sign(mg_firmware_compare(l.rules[i - 1].min_firmware,
								rule->min_firmware)));
		}
	}
	free(text);
	return 0;
}
