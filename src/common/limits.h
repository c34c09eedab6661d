/* Every bound on outside input, in one place (docs/limits.md lists them).
 * Checked before allocating; exceeding one is an error, never a silent
 * truncation. */
#ifndef MG_COMMON_LIMITS_H
#define MG_COMMON_LIMITS_H

#define MG_DEVICE_BODY_MAX_DEFAULT	(64 * 1024)	/* measurement body, bytes */
#define MG_DEVICE_BODY_MAX_CEILING	(1024 * 1024)	/* highest configurable */
#define MG_EST_BODY_MAX			(16 * 1024)	/* base64 PKCS#10 request */
#define MG_DEVICE_MID_MAX		64	/* device's own measurement id */
#define MG_FIRMWARE_MAX			64	/* a device's firmware version text */
#define MG_MODEL_MAX			64	/* a device model name */
#define MG_PATIENT_ID_MAX		64	/* patient identifier */
#define MG_VALUES_MAX			16	/* values in one measurement */
#define MG_QUANTITY_NAME_MAX		32	/* "body_weight" */
#define MG_UNIT_MAX			16	/* UCUM unit string */
#define MG_TIME_TEXT_MAX		40	/* ISO 8601 date-time */
#define MG_NAME_MAX			128	/* device, tenant, user names */
#define MG_TOKEN_TEXT_MAX		128	/* enrolment token as typed */
#define MG_CONFIG_LINE_MAX		1024	/* one line of medgate.conf */
#define MG_CONFIG_FILE_MAX		(256 * 1024)
#define MG_PATH_MAX			1024
#define MG_WRITER_BATCH_MAX		1024	/* measurements per group commit */
#define MG_CONN_TIMEOUT_DEFAULT		30	/* seconds without progress */
#define MG_CONN_PER_IP_DEFAULT		256	/* concurrent connections per address */
#define MG_CONN_MAX_DEFAULT		20000	/* concurrent connections per port */
#define MG_MEASUREMENT_FUTURE_SKEW_MS	(10LL * 60 * 1000) /* clock skew allowed */

#endif
