#include "device/options.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "device/args.h"
#include "model/device_model.h"

#define TIME_MIN_MS 946684800000LL	/* 2000-01-01T00:00:00Z */

enum {
	OPT_STATE = 256, OPT_PATIENT, OPT_WEIGHT, OPT_HEIGHT, OPT_BMI, OPT_BODY_FAT,
	OPT_VALUE, OPT_COUNT, OPT_INTERVAL, OPT_TIME, OPT_SERVER, OPT_CA, OPT_TOKEN,
	OPT_TOKEN_FILE, OPT_NAME, OPT_FORCE, OPT_MODEL, OPT_FIRMWARE, OPT_MAKER_KEY,
};

/* Named options of `send` and the value each one adds. */
static const struct {
	int opt;
	const char *option, *type, *unit;
} named_values[] = {
	{ OPT_WEIGHT, "--weight", "body_weight", "kg" },
	{ OPT_HEIGHT, "--height", "body_height", "cm" },
	{ OPT_BMI, "--bmi", "bmi", "kg/m2" },
	{ OPT_BODY_FAT, "--body-fat", "body_fat", "%" },
};

/* getopt keeps its position in globals: start over for each parse, and
 * report problems ourselves. */
static void getopt_restart(void)
{
	optind = 0;
	opterr = 0;
}

static void bad_option(int argc, char **argv, char *err, size_t errlen)
{
	const char *arg = optind - 1 < argc && optind > 0 ? argv[optind - 1] : "?";

	snprintf(err, errlen, "unknown option or missing argument: %.64s", arg);
}

static int set_text(char *dst, size_t dstlen, const char *src, const char *option,
		    char *err, size_t errlen)
{
	if (src[0] == '\0' || mg_device_copy_text(dst, dstlen, src) != 0) {
		snprintf(err, errlen, "%s: empty or longer than %zu bytes", option, dstlen - 1);
		return MG_ERR_INVALID;
	}
	return 0;
}

/* --firmware: the version the device runs (X-Device-Firmware). */
static int set_firmware(char *fw, size_t len, const char *arg, char *err, size_t errlen)
{
	if (!mg_firmware_version_valid(arg)) {
		snprintf(err, errlen, "--firmware: 1 to %d characters of A-Z a-z 0-9 . _ + - ( )",
			 MG_FIRMWARE_MAX);
		return MG_ERR_INVALID;
	}
	return set_text(fw, len, arg, "--firmware", err, errlen);
}

/* --model: the name the device gives its model (X-Device-Model). */
static int set_model(char *model, size_t len, const char *arg, char *err, size_t errlen)
{
	if (!mg_model_name_valid(arg)) {
		snprintf(err, errlen, "--model: 1 to %d characters of A-Z a-z 0-9 . _ + -",
			 MG_MODEL_MAX);
		return MG_ERR_INVALID;
	}
	return set_text(model, len, arg, "--model", err, errlen);
}

static int add_named_value(struct mg_device_send_options *o, int opt, const char *arg,
			   char *err, size_t errlen)
{
	double v;
	size_t i;

	for (i = 0; i < sizeof(named_values) / sizeof(named_values[0]); i++) {
		if (named_values[i].opt != opt)
			continue;
		if (mg_device_parse_number(arg, -1e9, 1e9, &v) != 0) {
			snprintf(err, errlen, "%s: not a decimal number", named_values[i].option);
			return MG_ERR_INVALID;
		}
		if (mg_device_reading_add(&o->base, named_values[i].type, v,
					  named_values[i].unit) != 0) {
			snprintf(err, errlen, "more than %d values", MG_VALUES_MAX);
			return MG_ERR_INVALID;
		}
		return 0;
	}
	return MG_ERR_INVALID;
}

static int add_spec_value(struct mg_device_send_options *o, const char *arg, char *err,
			  size_t errlen)
{
	struct mg_device_value v;
	char why[128];

	if (mg_device_parse_value(arg, &v, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "--value: %s", why);
		return MG_ERR_INVALID;
	}
	if (mg_device_reading_add(&o->base, v.type, v.value, v.unit) != 0) {
		snprintf(err, errlen, "more than %d values", MG_VALUES_MAX);
		return MG_ERR_INVALID;
	}
	return 0;
}

/* Rules that involve more than one option. */
static int send_check(struct mg_device_send_options *o, int have_count, char *err,
		      size_t errlen)
{
	size_t i, j;

	if (o->state_dir[0] == '\0') {
		snprintf(err, errlen, "--state is required");
		return MG_ERR_INVALID;
	}
	if (o->base.patient[0] == '\0') {
		snprintf(err, errlen, "--patient is required");
		return MG_ERR_INVALID;
	}
	if (o->base.nvalues == 0) {
		snprintf(err, errlen, "give at least one value (--weight, --height, --bmi, "
			 "--body-fat or --value)");
		return MG_ERR_INVALID;
	}
	for (i = 0; i < o->base.nvalues; i++)
		for (j = i + 1; j < o->base.nvalues; j++)
			if (strcmp(o->base.values[i].type, o->base.values[j].type) == 0) {
				snprintf(err, errlen, "value %s given twice",
					 o->base.values[i].type);
				return MG_ERR_INVALID;
			}
	if (!have_count)
		o->count = o->interval_ms > 0 ? -1 : 1;
	return 0;
}

int mg_device_send_options_parse(int argc, char **argv, struct mg_device_send_options *o,
				 char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, OPT_STATE },
		{ "patient", required_argument, NULL, OPT_PATIENT },
		{ "weight", required_argument, NULL, OPT_WEIGHT },
		{ "height", required_argument, NULL, OPT_HEIGHT },
		{ "bmi", required_argument, NULL, OPT_BMI },
		{ "body-fat", required_argument, NULL, OPT_BODY_FAT },
		{ "value", required_argument, NULL, OPT_VALUE },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "model", required_argument, NULL, OPT_MODEL },
		{ "firmware", required_argument, NULL, OPT_FIRMWARE },
		{ NULL, 0, NULL, 0 },
	};
	long long count;
	double seconds;
	int have_count = 0, c;

	memset(o, 0, sizeof(*o));
	if (errlen > 0)
		err[0] = '\0';
	getopt_restart();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_STATE:
			if (set_text(o->state_dir, sizeof(o->state_dir), optarg, "--state",
				     err, errlen) != 0)
				return MG_ERR_INVALID;
			break;
		case OPT_PATIENT:
			if (mg_device_check_patient(optarg) != 0) {
				snprintf(err, errlen, "--patient: 1 to %d bytes of UTF-8 without "
					 "control characters", MG_PATIENT_ID_MAX);
				return MG_ERR_INVALID;
			}
			memcpy(o->base.patient, optarg, strlen(optarg) + 1);
			break;
		case OPT_WEIGHT:
		case OPT_HEIGHT:
		case OPT_BMI:
		case OPT_BODY_FAT:
			if (add_named_value(o, c, optarg, err, errlen) != 0)
				return MG_ERR_INVALID;
			break;
		case OPT_VALUE:
			if (add_spec_value(o, optarg, err, errlen) != 0)
				return MG_ERR_INVALID;
			break;
		case OPT_COUNT:
			if (mg_device_parse_integer(optarg, 1, MG_DEVICE_COUNT_MAX, &count) != 0) {
				snprintf(err, errlen, "--count: a whole number from 1 to %d",
					 MG_DEVICE_COUNT_MAX);
				return MG_ERR_INVALID;
			}
			o->count = count;
			have_count = 1;
			break;
		case OPT_INTERVAL:
			if (mg_device_parse_number(optarg, MG_DEVICE_INTERVAL_MIN_MS / 1000.0,
						   MG_DEVICE_INTERVAL_MAX_MS / 1000.0,
						   &seconds) != 0) {
				snprintf(err, errlen, "--interval: seconds from %.2f to %lld",
					 MG_DEVICE_INTERVAL_MIN_MS / 1000.0,
					 MG_DEVICE_INTERVAL_MAX_MS / 1000);
				return MG_ERR_INVALID;
			}
			o->interval_ms = (int64_t)(seconds * 1000.0 + 0.5);
			break;
		case OPT_MODEL:
			if (set_model(o->model, sizeof(o->model), optarg, err, errlen) != 0)
				return MG_ERR_INVALID;
			break;
		case OPT_FIRMWARE:
			if (set_firmware(o->firmware, sizeof(o->firmware), optarg, err,
					 errlen) != 0)
				return MG_ERR_INVALID;
			break;
		case OPT_TIME:
			if (strlen(optarg) > MG_TIME_TEXT_MAX ||
			    mg_time_parse(optarg, &o->time_ms) != 0 || o->time_ms < TIME_MIN_MS) {
				o->time_ms = 0;
				snprintf(err, errlen, "--time: an RFC 3339 date-time from 2000 on, "
					 "like 2026-11-22T10:00:00Z");
				return MG_ERR_INVALID;
			}
			break;
		default:
			bad_option(argc, argv, err, errlen);
			return MG_ERR_INVALID;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument: %.64s", argv[optind]);
		return MG_ERR_INVALID;
	}
	return send_check(o, have_count, err, errlen);
}

static int enroll_check(struct mg_device_enroll_options *o, char *err, size_t errlen)
{
	if (o->state_dir[0] == '\0' || o->server[0] == '\0' || o->ca_file[0] == '\0') {
		snprintf(err, errlen, "--server, --ca and --state are required");
		return MG_ERR_INVALID;
	}
	if ((o->token[0] == '\0') == (o->token_file[0] == '\0')) {
		snprintf(err, errlen, "give exactly one of --token and --token-file");
		return MG_ERR_INVALID;
	}
	return 0;
}

int mg_device_enroll_options_parse(int argc, char **argv,
				   struct mg_device_enroll_options *o, char *err,
				   size_t errlen)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, OPT_STATE },
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "ca", required_argument, NULL, OPT_CA },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "model", required_argument, NULL, OPT_MODEL },
		{ "firmware", required_argument, NULL, OPT_FIRMWARE },
		{ NULL, 0, NULL, 0 },
	};
	int c, r = 0;

	memset(o, 0, sizeof(*o));
	if (errlen > 0)
		err[0] = '\0';
	getopt_restart();
	while (r == 0 && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_STATE:
			r = set_text(o->state_dir, sizeof(o->state_dir), optarg, "--state", err,
				     errlen);
			break;
		case OPT_SERVER:
			if (mg_device_check_server_url(optarg) != 0) {
				snprintf(err, errlen, "--server: an https:// URL of at most %d "
					 "bytes, without query", MG_DEVICE_URL_MAX);
				return MG_ERR_INVALID;
			}
			r = set_text(o->server, sizeof(o->server), optarg, "--server", err, errlen);
			break;
		case OPT_CA:
			r = set_text(o->ca_file, sizeof(o->ca_file), optarg, "--ca", err, errlen);
			break;
		case OPT_TOKEN:
			if (mg_device_check_token(optarg) != 0) {
				snprintf(err, errlen, "--token: 1 to %d printable characters",
					 MG_TOKEN_TEXT_MAX);
				return MG_ERR_INVALID;
			}
			r = set_text(o->token, sizeof(o->token), optarg, "--token", err, errlen);
			break;
		case OPT_TOKEN_FILE:
			r = set_text(o->token_file, sizeof(o->token_file), optarg, "--token-file",
				     err, errlen);
			break;
		case OPT_NAME:
			if (mg_device_check_name(optarg) != 0) {
				snprintf(err, errlen, "--name: 1 to %d printable characters "
					 "without ':'", MG_NAME_MAX);
				return MG_ERR_INVALID;
			}
			r = set_text(o->name, sizeof(o->name), optarg, "--name", err, errlen);
			break;
		case OPT_FORCE:
			o->force = 1;
			break;
		case OPT_MODEL:
			r = set_model(o->model, sizeof(o->model), optarg, err, errlen);
			break;
		case OPT_FIRMWARE:
			r = set_firmware(o->firmware, sizeof(o->firmware), optarg, err, errlen);
			break;
		default:
			bad_option(argc, argv, err, errlen);
			return MG_ERR_INVALID;
		}
	}
	if (r != 0)
		return r;
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument: %.64s", argv[optind]);
		return MG_ERR_INVALID;
	}
	return enroll_check(o, err, errlen);
}

int mg_device_state_option_parse(int argc, char **argv, char *dir, size_t dirlen, char *err,
				 size_t errlen)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, OPT_STATE },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	if (dirlen > 0)
		dir[0] = '\0';
	if (errlen > 0)
		err[0] = '\0';
	getopt_restart();
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c != OPT_STATE) {
			bad_option(argc, argv, err, errlen);
			return MG_ERR_INVALID;
		}
		if (set_text(dir, dirlen, optarg, "--state", err, errlen) != 0)
			return MG_ERR_INVALID;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument: %.64s", argv[optind]);
		return MG_ERR_INVALID;
	}
	if (dir[0] == '\0') {
		snprintf(err, errlen, "--state is required");
		return MG_ERR_INVALID;
	}
	return 0;
}

int mg_device_update_options_parse(int argc, char **argv, struct mg_device_update_options *o,
				   char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, OPT_STATE },
		{ "maker-key", required_argument, NULL, OPT_MAKER_KEY },
		{ NULL, 0, NULL, 0 },
	};
	int c, r = 0;

	memset(o, 0, sizeof(*o));
	if (errlen > 0)
		err[0] = '\0';
	getopt_restart();
	while (r == 0 && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_STATE:
			r = set_text(o->state_dir, sizeof(o->state_dir), optarg, "--state", err,
				     errlen);
			break;
		case OPT_MAKER_KEY:
			r = set_text(o->maker_key, sizeof(o->maker_key), optarg, "--maker-key",
				     err, errlen);
			break;
		default:
			bad_option(argc, argv, err, errlen);
			return MG_ERR_INVALID;
		}
	}
	if (r != 0)
		return r;
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument: %.64s", argv[optind]);
		return MG_ERR_INVALID;
	}
	if (o->state_dir[0] == '\0' || o->maker_key[0] == '\0') {
		snprintf(err, errlen, "--state and --maker-key are required");
		return MG_ERR_INVALID;
	}
	return 0;
}
