/* Compatible products only: the device models a gateway accepts
 * ([devices] models), each with an optional minimum firmware, and the
 * model name a device reports (X-Device-Model). Pure functions; the list
 * is parsed once at start. */
#ifndef MG_MODEL_DEVICE_MODEL_H
#define MG_MODEL_DEVICE_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/limits.h"

#define MG_MODELS_MAX      32   /* models in [devices] models */
#define MG_MODELS_TEXT_MAX 2048 /* the whole key's value */

struct mg_model_rule {
	char name[MG_MODEL_MAX + 1];
	char min_firmware[MG_FIRMWARE_MAX + 1]; /* "" = any */
};

struct mg_model_list {
	size_t n; /* 0: every model is accepted */
	struct mg_model_rule rules[MG_MODELS_MAX];
};

/* Whether text is a model name: 1 to MG_MODEL_MAX characters of
 * A-Z a-z 0-9 . _ + - (no spaces, commas or colons). */
bool mg_model_name_valid(const char *text);

/* Whether text is a firmware version: 1 to MG_FIRMWARE_MAX characters of
 * A-Z a-z 0-9 . _ + - ( ) (what X-Device-Firmware carries). */
bool mg_firmware_version_valid(const char *text);

/* Parse "MODEL[:MIN_FIRMWARE], ..." (spaces around items allowed, an
 * empty text is the empty list) into *out. Returns 0, or MG_ERR_INVALID /
 * MG_ERR_LIMIT with the reason in err (naming the item). */
int mg_model_list_parse(const char *text, struct mg_model_list *out, char *err, size_t errlen);

/* The rule for model, or NULL if the list does not name it. */
const struct mg_model_rule *mg_model_list_find(const struct mg_model_list *l, const char *model);

/* Order of two firmware versions: runs of digits compare as numbers, other
 * characters one by one ("2.10" > "2.9", "1.0" < "1.0.1"). Returns < 0, 0
 * or > 0. */
int mg_firmware_compare(const char *a, const char *b);

/* What the inventory says about a device's firmware: BELOW_MINIMUM when
 * its model's rule has a minimum and the device reports an older version
 * (mg_firmware_compare) or none, UNKNOWN when it reports none otherwise. */
enum mg_firmware_flag { MG_FIRMWARE_OK, MG_FIRMWARE_UNKNOWN, MG_FIRMWARE_BELOW_MINIMUM };

enum mg_firmware_flag mg_device_firmware_flag(const struct mg_model_list *l, const char *model,
					      const char *firmware);

/* "unknown", "below_minimum", or NULL for MG_FIRMWARE_OK. */
const char *mg_firmware_flag_name(enum mg_firmware_flag f);

#endif
