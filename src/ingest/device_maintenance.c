/* Maintenance of a device on the device port (docs/maintenance.md): the
 * consent button (POST /device/v1/maintenance/consent, medgate-device
 * consent) takes the device out of service for the grant an administrator
 * gave; while out of service its measurements are answered 503 with
 * Retry-After and the reason, and the device keeps them until the grant
 * ends. The device row carries the end (maintenance_until_ms), so the
 * check costs nothing on the measurement path. */
#include <stdio.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/timefmt.h"
#include "http/http.h"
#include "ingest/device_internal.h"

bool device_in_maintenance(struct device_request *rq, enum MHD_Result *ret)
{
	int64_t now = mg_now_ms(), until = rq->device.maintenance_until_ms;
	char when[MG_TIME_TEXT_LEN], why[128];

	if (until <= now)
		return false;
	mg_time_format(until, when, sizeof(when));
	snprintf(why, sizeof(why), "device in maintenance until %s: keep the measurement and "
		 "send it then", when);
	mg_metrics_refused(rq->dp->deps.metrics, MG_IFACE_DEVICE, MG_REFUSAL_MAINTENANCE);
	mg_log_debug("device port: device %lld in maintenance, measurement deferred",
		     (long long)rq->device.id);
	rq->answered = true;
	*ret = mg_http_json_retry_after(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
					json_pack("{s:s, s:s}", "error", why, "maintenance_until",
						  when),
					(unsigned)((until - now + 999) / 1000));
	return true;
}

enum MHD_Result mg_device_consent(struct device_request *rq)
{
	char when[MG_TIME_TEXT_LEN];
	struct mg_maintenance m;
	int r = mg_store_maintenance_consent(rq->dp->deps.store, rq->device.id, mg_now_ms(), &m);

	if (r == MG_ERR_NOT_FOUND) {
		device_audit(rq, "maintenance.consent", "device", rq->device.id,
			     rq->device.tenant_id, MG_AUDIT_DENIED, "no maintenance granted");
		return mg_http_error(rq->connection, MHD_HTTP_CONFLICT,
				     "no maintenance of this device is granted now: an "
				     "administrator grants it first");
	}
	if (r != 0) {
		mg_store_fault(rq->dp->deps.store, "maintenance consent",
			       "device port: consent of device %lld not recorded: %s",
			       (long long)rq->device.id, mg_strerror(r));
		return mg_http_error(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "store unavailable, retry later");
	}
	device_audit(rq, "maintenance.consent", "maintenance", m.id, rq->device.tenant_id,
		     MG_AUDIT_SUCCESS, NULL);
	mg_log_info("maintenance: device %lld consented to maintenance %lld", (long long)rq->device.id,
		    (long long)m.id);
	mg_time_format(m.ends_ms, when, sizeof(when));
	return mg_http_json(rq->connection, MHD_HTTP_OK,
			    json_pack("{s:I, s:s, s:s, s:I}", "maintenance", (json_int_t)m.id,
				      "until", when, "reason", m.reason, "service_account",
				      (json_int_t)m.user_id));
}
