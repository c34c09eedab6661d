/* The device agent's state folder: its file names and its small
 * configuration file (`key = value` lines) written at enrolment. */
#ifndef MG_DEVICE_STATE_H
#define MG_DEVICE_STATE_H

#include <stddef.h>

#include "common/limits.h"

#define MG_DEVICE_KEY_FILE	"key.pem"	/* device private key, 0600 */
#define MG_DEVICE_CERT_FILE	"cert.pem"	/* issued certificate */
#define MG_DEVICE_CA_FILE	"server-ca.pem"	/* trust anchor for the server */
#define MG_DEVICE_CONFIG_FILE	"config"
#define MG_DEVICE_MAINTENANCE_FILE "maintenance"	/* until when out of service */
#define MG_DEVICE_URL_MAX	512	/* server URL, bytes */
#define MG_DEVICE_PREFIX_LEN	16	/* hex digits of the measurement id prefix */
#define MG_DEVICE_CERT_FILE_MAX	(64 * 1024)	/* PEM files we read */
#define MG_DEVICE_DEFAULT_NAME	"medgate-device"
#define MG_DEVICE_DEFAULT_USER	"device"
#define MG_DEVICE_MODEL_HEADER	"X-Device-Model"	/* the model, at enrolment and after */
#define MG_DEVICE_FIRMWARE_HEADER "X-Device-Firmware"	/* the firmware it runs */
#define MG_DEVICE_FIRMWARE_FILE	"firmware.bin"	/* the installed image (update) */

struct mg_device_state {
	char dir[MG_PATH_MAX];				/* the state folder */
	char server[MG_DEVICE_URL_MAX + 1];		/* "https://host:8444" */
	char name[MG_NAME_MAX + 1];			/* certificate CN */
	char id_prefix[MG_DEVICE_PREFIX_LEN + 1];	/* random, hex, from enrolment */
	char model[MG_MODEL_MAX + 1];			/* X-Device-Model; "" none */
	char firmware[MG_FIRMWARE_MAX + 1];		/* X-Device-Firmware; "" none */
	long long firmware_sequence;	/* highest manifest sequence installed; 0 none */
};

/* Parse configuration text of len bytes into st (its dir is kept). Unknown
 * keys are errors. Returns 0 or MG_ERR_INVALID with a message in err. */
int mg_device_config_parse(const char *text, size_t len, struct mg_device_state *st,
			   char *err, size_t errlen);

/* The configuration text for st into buf. Returns 0 or MG_ERR_LIMIT. */
int mg_device_config_format(const struct mg_device_state *st, char *buf, size_t buflen);

/* Load dir/config into *st (cleared first). Returns 0, MG_ERR_NOT_FOUND if
 * the folder holds no configuration (not enrolled), MG_ERR_INVALID with a
 * message in err, or another error. */
int mg_device_state_load(const char *dir, struct mg_device_state *st, char *err,
			 size_t errlen);

/* Write st's configuration crash-safely into st->dir. Returns 0 or < 0. */
int mg_device_state_save(const struct mg_device_state *st);

/* Path of file in the state folder dir into buf. 0 or MG_ERR_LIMIT. */
int mg_device_state_path(const char *dir, const char *file, char *buf, size_t buflen);

/* 1 if prefix is MG_DEVICE_PREFIX_LEN lower-case hex digits, else 0. */
int mg_device_prefix_valid(const char *prefix);

#endif
