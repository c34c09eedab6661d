/* Signed firmware on the device port (docs/device-api.md, "Firmware"): a
 * device asks for the newest release of its model and gets the maker's
 * manifest as imported (signed, unexpired) or 204, then the image by its
 * SHA-256. The device verifies both itself; the gateway only hands out
 * what medgatectl firmware import checked. The firmware a device reports
 * is recorded (a change is audited: the device confirms an update so) and
 * checked against its model's minimum secure version once a connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "audit/audit.h"
#include "detect/detect.h"
#include "http/http.h"
#include "ingest/device_internal.h"

int device_firmware_of(struct device_request *rq, char fw[MG_FIRMWARE_MAX + 1])
{
	const char *v = MHD_lookup_connection_value(rq->connection, MHD_HEADER_KIND,
						    "X-Device-Firmware");

	fw[0] = '\0';
	if (v == NULL)
		return 0;
	if (!mg_firmware_version_valid(v))
		return MG_ERR_INVALID;
	memcpy(fw, v, strlen(v) + 1);
	return 0;
}

/* Below its model's minimum secure version, or reporting none where the
 * model has one: alerted once a connection (a device that keeps its
 * connection open is told about once, one that reconnects each time is
 * grouped by the alert store). */
static void minimum_check(struct device_request *rq, const char *fw)
{
	const struct mg_device *d = &rq->device;
	struct device_conn *dc = mg_http_socket_context(rq->connection);
	char subject[32];

	if (dc == NULL || dc->firmware_checked)
		return;
	dc->firmware_checked = true;
	if (mg_device_firmware_flag(&rq->dp->models, d->model, fw) != MG_FIRMWARE_BELOW_MINIMUM)
		return;
	snprintf(subject, sizeof(subject), "device:%lld", (long long)d->id);
	mg_alert_raise(rq->dp->deps.detector, "device.firmware_below_minimum", MG_SEVERITY_HIGH,
		       subject, d->tenant_id,
		       "device %lld (model %s) runs firmware %s, below the minimum secure "
		       "version %s: update it before trusting it",
		       (long long)d->id, d->model, fw[0] ? fw : "(not reported)",
		       mg_model_list_find(&rq->dp->models, d->model)->min_firmware);
}

int device_firmware_note(struct device_request *rq)
{
	char fw[MG_FIRMWARE_MAX + 1], reason[2 * MG_FIRMWARE_MAX + 16];
	int r;

	if (device_firmware_of(rq, fw) != 0)
		return MG_ERR_INVALID;
	minimum_check(rq, fw[0] ? fw : rq->device.firmware);
	if (fw[0] == '\0' || strcmp(fw, rq->device.firmware) == 0)
		return 0;
	if ((r = mg_store_device_set_firmware(rq->dp->deps.store, rq->device.id, fw)) != 0) {
		mg_log_error("device port: cannot record the firmware of device %lld: %s",
			     (long long)rq->device.id, mg_strerror(r));
		return 0;
	}
	mg_log_info("device %lld reports firmware %s", (long long)rq->device.id, fw);
	snprintf(reason, sizeof(reason), "%s -> %s",
		 rq->device.firmware[0] ? rq->device.firmware : "(none)", fw);
	device_audit(rq, "device.firmware_changed", "device", rq->device.id,
		     rq->device.tenant_id, MG_AUDIT_SUCCESS, reason);
	memcpy(rq->device.firmware, fw, sizeof(fw));
	return 0;
}

enum MHD_Result device_firmware_offer(struct device_request *rq)
{
	struct mg_firmware_release *rel;
	enum MHD_Result ret;
	int r;

	if (device_firmware_note(rq) != 0)
		return mg_http_error(rq->connection, MHD_HTTP_BAD_REQUEST,
				     "X-Device-Firmware: 1 to 64 characters of A-Z a-z 0-9 . _ + - ( )");
	if (rq->device.model[0] == '\0')
		return mg_http_error(rq->connection, MHD_HTTP_NOT_FOUND,
				     "the device enrolled without a model: no firmware for it");
	if ((rel = malloc(sizeof(*rel))) == NULL)
		return mg_http_error(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "out of memory, retry later");
	r = mg_store_firmware_latest(rq->dp->deps.store, rq->device.model, rel);
	if (r == MG_ERR_NOT_FOUND || (r == 0 && rel->expires_ms <= mg_now_ms()) ||
	    (r == 0 && strcmp(rel->version, rq->device.firmware) == 0)) {
		/* Nothing newer: none imported, the newest expired (never an
		 * older one instead), or the device runs it. */
		ret = mg_http_bytes(rq->connection, MHD_HTTP_NO_CONTENT, NULL, "", 0);
	} else if (r != 0) {
		mg_store_fault(rq->dp->deps.store, "firmware lookup",
			       "device port: firmware lookup failed: %s", mg_strerror(r));
		ret = mg_http_error(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				    "store unavailable, retry later");
	} else {
		ret = mg_http_bytes(rq->connection, MHD_HTTP_OK, "text/plain; charset=us-ascii",
				    rel->manifest, strlen(rel->manifest));
	}
	free(rel);
	return ret;
}

enum MHD_Result device_firmware_image(struct device_request *rq)
{
	struct mg_store *s = rq->dp->deps.store;
	void *image = NULL;
	size_t len = 0;
	enum MHD_Result ret;
	int r;

	if (rq->device.model[0] == '\0')
		return mg_http_error(rq->connection, MHD_HTTP_NOT_FOUND,
				     "the device enrolled without a model: no firmware for it");
	/* Its size first, so a request holds only the memory it needs. */
	r = mg_store_firmware_image(s, rq->device.model, rq->image_sha256, NULL, 0, &len);
	if (r == MG_ERR_LIMIT) {
		size_t need = len;

		if (need > MG_FIRMWARE_IMAGE_MAX || (image = malloc(need)) == NULL)
			return mg_http_error(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
					     "out of memory, retry later");
		r = mg_store_firmware_image(s, rq->device.model, rq->image_sha256, image, need,
					    &len);
	}
	if (r == MG_ERR_NOT_FOUND) {
		ret = mg_http_error(rq->connection, MHD_HTTP_NOT_FOUND,
				    "no firmware image with this SHA-256 for the device's model");
	} else if (r != 0) {
		mg_store_fault(rq->dp->deps.store, "firmware image",
			       "device port: firmware image lookup failed: %s", mg_strerror(r));
		ret = mg_http_error(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				    "store unavailable, retry later");
	} else {
		ret = mg_http_bytes(rq->connection, MHD_HTTP_OK, "application/octet-stream",
				    image ? image : "", len);
	}
	free(image);
	return ret;
}
