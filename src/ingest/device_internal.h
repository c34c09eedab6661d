/* Shared by the handlers of the device port (device_port.c, est_port.c). */
#ifndef MG_INGEST_DEVICE_INTERNAL_H
#define MG_INGEST_DEVICE_INTERNAL_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "ingest/device_port.h"
#include "model/device_model.h"
#include "model/firmware_manifest.h"
#include "ingest/writer.h"
#include "store/store.h"
#include "tls/ca.h"

struct mg_device_port {
	struct mg_device_port_deps deps;
	char *est_cacerts;		/* base64 PKCS#7 of the device CA */
	size_t est_cacerts_len;
	atomic_long inflight;		/* requests begun, not completed */
	struct mg_model_list models;	/* [devices] models; empty: any */
	struct mg_http_listener *listener;
};

enum device_route {
	ROUTE_NONE,
	ROUTE_EST_CACERTS,
	ROUTE_EST_SIMPLEENROLL,
	ROUTE_EST_SIMPLEREENROLL,
	ROUTE_MEASUREMENTS,
	ROUTE_MAINTENANCE_CONSENT,
	ROUTE_FIRMWARE,		/* GET /device/v1/firmware */
	ROUTE_FIRMWARE_IMAGE,	/* GET /device/v1/firmware/<sha256> */
};

/* What one TLS connection proved about its client, checked once. */
struct device_conn {
	bool checked;
	int verdict;		/* 0 or MG_ERR_* */
	char fingerprint[MG_CERT_FINGERPRINT_LEN];
	char reason[96];
	bool firmware_checked;	/* against the minimum, once a connection */
};

/* One request on the device port, from its headers to its answer. */
struct device_request {
	struct mg_device_port *dp;
	struct MHD_Connection *connection;
	enum device_route route;
	char peer[64];		/* client address, for logs */
	char *body;		/* the request body, bounded by body_max */
	size_t len, max, discarded;
	bool too_large;
	bool answered;		/* an early answer was queued */
	bool submitted;		/* handed to the writer, connection suspended */
	bool done;		/* the writer answered */
	struct mg_device device;	/* the authenticated device */
	char image_sha256[MG_FIRMWARE_SHA256_LEN + 1];	/* ROUTE_FIRMWARE_IMAGE */
	struct mg_write_job job;
	char error[256];	/* why the pipeline refused it, for the answer */
};

/* Record an audit event about this device request ("device:<id>" as the
 * actor once the device is known, else "anonymous"). */
void device_audit(struct device_request *rq, const char *action, const char *object_type,
		  int64_t object_id, int64_t tenant_id, int outcome, const char *reason);

/* X-Device-Model of the request into model ("" if absent). Returns 0, or
 * MG_ERR_INVALID for a malformed one. (device_models.c) */
int device_model_of(struct device_request *rq, char model[MG_MODEL_MAX + 1]);

/* Whether a device of model may enrol: 0, or MG_ERR_DENIED with the
 * answer for it in why. */
int device_model_admit(struct mg_device_port *dp, const char *model, char *why, size_t whylen);

/* A measurement's X-Device-Model against the model rq->device enrolled
 * with: another one is recorded and alerted once. */
void device_model_note(struct device_request *rq, const char *model);

/* Maintenance (device_maintenance.c). Whether rq->device is out of
 * service now: if so the 503 answer is queued into *ret. */
bool device_in_maintenance(struct device_request *rq, enum MHD_Result *ret);
/* The consent button: takes the device out of service for its grant. */
enum MHD_Result mg_device_consent(struct device_request *rq);
/* X-Device-Firmware of the request into fw ("" if absent). Returns 0, or
 * MG_ERR_INVALID for a malformed one. (device_firmware.c) */
int device_firmware_of(struct device_request *rq, char fw[MG_FIRMWARE_MAX + 1]);

/* Record the firmware rq->device reports when it changed (audited as
 * device.firmware_changed), and alert once a connection if it is below
 * its model's minimum. Returns 0, or MG_ERR_INVALID for a malformed
 * header (nothing recorded). */
int device_firmware_note(struct device_request *rq);

/* GET /device/v1/firmware: the newest release's manifest of the device's
 * model if unexpired and not what the device runs, else 204.
 * GET /device/v1/firmware/<sha256>: that image of the device's model. */
enum MHD_Result device_firmware_offer(struct device_request *rq);
enum MHD_Result device_firmware_image(struct device_request *rq);

/* EST (RFC 7030) handlers, called on the final call of the request. */
enum MHD_Result mg_est_cacerts(struct device_request *rq);
enum MHD_Result mg_est_simpleenroll(struct device_request *rq);
/* Renewal for the authenticated device rq->device (its current
 * certificate): a new certificate for the same device id. */
enum MHD_Result mg_est_simplereenroll(struct device_request *rq);

/* Build the base64 PKCS#7 of the device CA that cacerts serves into
 * dp->est_cacerts (freed by mg_est_release). Returns 0 or < 0. */
int mg_est_prepare(struct mg_device_port *dp);
void mg_est_release(struct mg_device_port *dp);

#endif
