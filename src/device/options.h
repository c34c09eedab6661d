/* Command-line options of the commands that take many (send, enroll),
 * parsed and checked in one place so the rules are unit-tested. Nothing
 * here touches files or the network. */
#ifndef MG_DEVICE_OPTIONS_H
#define MG_DEVICE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "device/measure.h"
#include "device/state.h"

#define MG_DEVICE_COUNT_MAX		1000000		/* --count */
#define MG_DEVICE_INTERVAL_MIN_MS	50		/* --interval */
#define MG_DEVICE_INTERVAL_MAX_MS	(86400LL * 1000)
#define MG_DEVICE_TIME_STEP_MS		60000	/* --time readings apart, no --interval */

struct mg_device_send_options {
	char state_dir[MG_PATH_MAX];
	struct mg_device_reading base;	/* patient and values as given */
	long long count;		/* measurements to make; -1 = until stopped */
	int64_t interval_ms;		/* 0: make all, deliver once, exit */
	int64_t time_ms;		/* first measurement's time; 0 = at measuring */
	char model[MG_MODEL_MAX + 1];	/* --model: sent instead of the enrolled one */
	char firmware[MG_FIRMWARE_MAX + 1];	/* --firmware: sent instead of the state's */
};

struct mg_device_enroll_options {
	char state_dir[MG_PATH_MAX];
	char server[MG_DEVICE_URL_MAX + 1];
	char ca_file[MG_PATH_MAX];
	char token[MG_TOKEN_TEXT_MAX + 1];	/* from --token, or "" */
	char token_file[MG_PATH_MAX];		/* from --token-file, or "" */
	char name[MG_NAME_MAX + 1];		/* from --name, or "" */
	char model[MG_MODEL_MAX + 1];		/* from --model, or "" */
	char firmware[MG_FIRMWARE_MAX + 1];	/* from --firmware, or "" */
	int force;
};

struct mg_device_update_options {
	char state_dir[MG_PATH_MAX];
	char maker_key[MG_PATH_MAX];	/* the maker's Ed25519 public key, hex */
};

/* Parse the arguments of `send` (argv[0] is "send") into *o (cleared
 * first). Returns 0 or MG_ERR_INVALID with a message for the user in err. */
int mg_device_send_options_parse(int argc, char **argv, struct mg_device_send_options *o,
				 char *err, size_t errlen);

/* Parse the arguments of `enroll` into *o (cleared first). Returns 0 or
 * MG_ERR_INVALID with a message for the user in err. */
int mg_device_enroll_options_parse(int argc, char **argv,
				   struct mg_device_enroll_options *o, char *err,
				   size_t errlen);

/* Parse the arguments of `update` into *o (cleared first). Returns 0 or
 * MG_ERR_INVALID with a message for the user in err. */
int mg_device_update_options_parse(int argc, char **argv, struct mg_device_update_options *o,
				   char *err, size_t errlen);

/* Parse arguments that are only --state DIR (flush, status) into dir of
 * dirlen bytes. Returns 0 or MG_ERR_INVALID with a message in err. */
int mg_device_state_option_parse(int argc, char **argv, char *dir, size_t dirlen, char *err,
				 size_t errlen);

#endif
