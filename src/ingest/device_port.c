/* The device port (ingest/device_port.h): EST enrolment without a client
 * certificate, everything else only for a device whose certificate the
 * device CA signed and that is neither blocked nor revoked. Measurements go
 * to the ingest pipeline and the connection is suspended until their
 * transaction is durable, so waiting for the disk holds no thread. */
#include "ingest/device_port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "access/switches.h"
#include "ingest/measurement_json.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "audit/audit.h"
#include "crypto/keyring.h"
#include "tls/peer.h"
#include "http/http.h"
#include "ingest/device_internal.h"

static enum device_route route_of(const char *method, const char *url, char *sha256)
{
	static const char image_prefix[] = "/device/v1/firmware/";
	size_t plen = sizeof(image_prefix) - 1;

	if (strcmp(url, "/device/v1/firmware") == 0 && strcmp(method, "GET") == 0)
		return ROUTE_FIRMWARE;
	if (strncmp(url, image_prefix, plen) == 0 && strcmp(method, "GET") == 0 &&
	    strlen(url + plen) == MG_FIRMWARE_SHA256_LEN &&
	    strspn(url + plen, "0123456789abcdef") == MG_FIRMWARE_SHA256_LEN) {
		memcpy(sha256, url + plen, MG_FIRMWARE_SHA256_LEN + 1);
		return ROUTE_FIRMWARE_IMAGE;
	}
	if (strcmp(url, "/.well-known/est/cacerts") == 0 && strcmp(method, "GET") == 0)
		return ROUTE_EST_CACERTS;
	if (strcmp(url, "/.well-known/est/simpleenroll") == 0 && strcmp(method, "POST") == 0)
		return ROUTE_EST_SIMPLEENROLL;
	if (strcmp(url, "/.well-known/est/simplereenroll") == 0 && strcmp(method, "POST") == 0)
		return ROUTE_EST_SIMPLEREENROLL;
	if (strcmp(url, "/device/v1/measurements") == 0 && strcmp(method, "POST") == 0)
		return ROUTE_MEASUREMENTS;
	if (strcmp(url, "/device/v1/maintenance/consent") == 0 && strcmp(method, "POST") == 0)
		return ROUTE_MAINTENANCE_CONSENT;
	return ROUTE_NONE;
}

static void connection_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct mg_device_port *dp = cls;

	(void)c;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = calloc(1, sizeof(struct device_conn));
		mg_metrics_connection(dp->deps.metrics, MG_IFACE_DEVICE, true);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		mg_metrics_connection(dp->deps.metrics, MG_IFACE_DEVICE, false);
		free(*socket_context);
		*socket_context = NULL;
	}
}

static void request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct device_request *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq == NULL)
		return;
	atomic_fetch_sub(&rq->dp->inflight, 1);
	free(rq->body);
	free(rq);
	*con_cls = NULL;
}

void device_audit(struct device_request *rq, const char *action, const char *object_type,
		  int64_t object_id, int64_t tenant_id, int outcome, const char *reason)
{
	const struct mg_audit_device_event e = {
		.device_id = rq->device.id, .address = rq->peer, .action = action,
		.object_type = object_type, .object_id = object_id, .tenant_id = tenant_id,
		.outcome = (enum mg_audit_outcome)outcome, .reason = reason,
	};

	mg_audit_device(rq->dp->deps.store, mg_keyring_master(rq->dp->deps.keys), &e);
}

/* Check the connection's client certificate once; later requests on the
 * same connection reuse the verdict. */
static struct device_conn *conn_verify(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	struct device_conn *dc;
	int64_t not_after;

	if ((dc = mg_http_socket_context(c)) == NULL)
		return NULL;
	if (dc->checked)
		return dc;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL) {
		dc->verdict = MG_ERR_DENIED;
		snprintf(dc->reason, sizeof(dc->reason), "no TLS session");
	} else {
		dc->verdict = mg_tls_peer_verify((gnutls_session_t)ci->tls_session,
						 dc->fingerprint, &not_after, dc->reason,
						 sizeof(dc->reason));
	}
	dc->checked = true;
	return dc;
}

static void refused(struct device_request *rq, enum mg_refusal why)
{
	mg_metrics_refused(rq->dp->deps.metrics, MG_IFACE_DEVICE, why);
}

/* Authenticate the device behind the request. Returns MHD_YES with the
 * device in rq->device, or queues the refusal and sets rq->answered. */
static enum MHD_Result device_authenticate(struct device_request *rq)
{
	struct device_conn *dc = conn_verify(rq->connection);
	const char *why;
	int r;

	if (dc == NULL || dc->verdict != 0) {
		why = dc ? dc->reason : "no connection state";
		refused(rq, strcmp(why, "no client certificate") == 0 ? MG_REFUSAL_NO_CERTIFICATE
								       : MG_REFUSAL_CERTIFICATE_INVALID);
		mg_log_warning("device port: refused request from %s: %s", rq->peer, why);
		device_audit(rq, "device.refused", NULL, 0, 0, MG_AUDIT_DENIED, why);
		rq->answered = true;
		return mg_http_error(rq->connection, MHD_HTTP_UNAUTHORIZED, why);
	}
	r = mg_store_device_by_fingerprint(rq->dp->deps.store, dc->fingerprint, &rq->device);
	if (r == 0 && rq->device.status == MG_DEVICE_ACTIVE)
		return MHD_YES;
	rq->answered = true;
	if (r == MG_ERR_NOT_FOUND) {
		refused(rq, MG_REFUSAL_DEVICE_UNKNOWN);
		mg_log_warning("device port: refused request from %s: certificate %.16s... "
			       "belongs to no enrolled device", rq->peer, dc->fingerprint);
		device_audit(rq, "device.refused", NULL, 0, 0, MG_AUDIT_DENIED,
			     "certificate of no enrolled device");
		return mg_http_error(rq->connection, MHD_HTTP_UNAUTHORIZED,
				     "certificate belongs to no enrolled device");
	}
	if (r != 0) {
		mg_store_fault(rq->dp->deps.store, "device lookup",
			       "device port: device lookup failed: %s", mg_strerror(r));
		return mg_http_error(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "store unavailable, retry later");
	}
	refused(rq, rq->device.status == MG_DEVICE_REVOKED ? MG_REFUSAL_DEVICE_REVOKED
							    : MG_REFUSAL_DEVICE_BLOCKED);
	mg_log_warning("device port: refused request from %s: device %lld is %s", rq->peer,
		       (long long)rq->device.id, mg_device_status_name(rq->device.status));
	device_audit(rq, "device.refused", "device", rq->device.id, rq->device.tenant_id,
		     MG_AUDIT_DENIED, mg_device_status_name(rq->device.status));
	return mg_http_error(rq->connection, MHD_HTTP_FORBIDDEN,
			     rq->device.status == MG_DEVICE_REVOKED ? "device revoked"
								     : "device blocked");
}

/* The first call: headers are in, no body yet. Refuse early what can be. */
static enum MHD_Result request_begin(struct device_request *rq)
{
	struct MHD_Connection *c = rq->connection;
	enum MHD_Result ret;
	const char *length, *why;
	char *end;
	unsigned long long n;
	unsigned status;
	bool device_route;

	if ((status = mg_http_framing_check(c, &why)) != 0) {
		refused(rq, MG_REFUSAL_MALFORMED);
		rq->answered = true;
		return mg_http_error(c, status, why);
	}
	device_route = rq->route == ROUTE_MEASUREMENTS || rq->route == ROUTE_FIRMWARE ||
		       rq->route == ROUTE_FIRMWARE_IMAGE || rq->route == ROUTE_MAINTENANCE_CONSENT;
	if (rq->route != ROUTE_NONE &&
	    !mg_interface_on(rq->dp->deps.switches, device_route ? MG_IF_DEVICE
								 : MG_IF_ENROLMENT)) {
		refused(rq, MG_REFUSAL_INTERFACE_OFF);
		rq->answered = true;
		return mg_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				     rq->route == ROUTE_MEASUREMENTS
					     ? "measurement interface switched off, retry later"
				     : device_route ? "device interface switched off, retry later"
						    : "enrolment switched off, retry later");
	}
	switch (rq->route) {
	case ROUTE_NONE:
		rq->answered = true;
		return mg_http_error(c, MHD_HTTP_NOT_FOUND, "no such resource on the device port");
	case ROUTE_EST_CACERTS:
		return MHD_YES;
	case ROUTE_EST_SIMPLEENROLL:
	case ROUTE_EST_SIMPLEREENROLL:
		rq->max = MG_EST_BODY_MAX;
		/* Renewal: only by the device's current, valid certificate. */
		if (rq->route == ROUTE_EST_SIMPLEREENROLL &&
		    (ret = device_authenticate(rq), rq->answered))
			return ret;
		if (!mg_http_content_type_is(c, "application/pkcs10")) {
			rq->answered = true;
			return mg_http_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
					     "Content-Type must be application/pkcs10");
		}
		break;
	case ROUTE_MAINTENANCE_CONSENT:
		rq->max = 0;	/* no body */
		ret = device_authenticate(rq);
		if (rq->answered)
			return ret;
		break;
	case ROUTE_MEASUREMENTS:
		rq->max = rq->dp->deps.cfg->device_body_max;
		ret = device_authenticate(rq);
		if (rq->answered || device_in_maintenance(rq, &ret))
			return ret;
		if (!mg_http_content_type_is(c, "application/json")) {
			refused(rq, MG_REFUSAL_MALFORMED);
			rq->answered = true;
			return mg_http_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
					     "Content-Type must be application/json");
		}
		break;
	case ROUTE_FIRMWARE:
	case ROUTE_FIRMWARE_IMAGE:
		rq->max = 0;	/* a GET: no body */
		ret = device_authenticate(rq);
		if (rq->answered)
			return ret;
		break;
	}
	length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	if (length != NULL) {
		n = strtoull(length, &end, 10);
		if (*end == '\0' && n > rq->max) {
			refused(rq, MG_REFUSAL_TOO_LARGE);
			rq->answered = true;
			return mg_http_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
					     "request body larger than the limit");
		}
	}
	return MHD_YES;
}

/* Append a piece of the body; past the limit, note it and discard. */
static enum MHD_Result request_body(struct device_request *rq, const char *data, size_t size)
{
	if (rq->too_large || rq->len + size > rq->max) {
		rq->too_large = true;
		rq->discarded += size;
		/* Reading a huge chunked body to its end is work for nothing. */
		return rq->discarded > 4 * (size_t)MG_DEVICE_BODY_MAX_CEILING ? MHD_NO : MHD_YES;
	}
	if (rq->body == NULL && (rq->body = malloc(rq->max + 1)) == NULL)
		return MHD_NO;
	memcpy(rq->body + rq->len, data, size);
	rq->len += size;
	return MHD_YES;
}

static void measurement_stored(struct mg_write_job *job, void *arg)
{
	struct device_request *rq = arg;

	(void)job;
	rq->done = true;
	MHD_resume_connection(rq->connection);
}

static enum MHD_Result measurement_answer(struct device_request *rq)
{
	const struct mg_measurement_put *p = &rq->job.put;
	struct MHD_Connection *c = rq->connection;

	if (p->result == MG_ERR_INVALID || p->result == MG_ERR_RANGE)
		return mg_http_error(c, MHD_HTTP_BAD_REQUEST, rq->error);
	if (p->result != 0) {
		/* The writer logged the batch's failure, once per cause and
		 * minute; a line per refused request would flood the log. */
		mg_log_debug("device port: measurement of device %lld not stored: %s",
			     (long long)rq->device.id, mg_strerror(p->result));
		return mg_http_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "measurement not stored, retry later");
	}
	mg_ingest_stored(rq->dp->deps.ingest, &rq->job);
	return mg_http_json(c, p->duplicate ? MHD_HTTP_OK : MHD_HTTP_CREATED,
			    json_pack("{s:I, s:b}", "id", (json_int_t)p->id, "duplicate",
				      p->duplicate));
}

static enum MHD_Result measurement_submit(struct device_request *rq)
{
	struct mg_ingest *in = rq->dp->deps.ingest;
	char err[256], model[MG_MODEL_MAX + 1];
	int r;

	if (device_firmware_note(rq) != 0)
		return mg_http_error(rq->connection, MHD_HTTP_BAD_REQUEST,
				     "X-Device-Firmware: 1 to 64 characters of A-Z a-z 0-9 . _ + - ( )");
	if (device_model_of(rq, model) != 0)
		return mg_http_error(rq->connection, MHD_HTTP_BAD_REQUEST,
				     "X-Device-Model: 1 to 64 characters of A-Z a-z 0-9 . _ + -");
	device_model_note(rq, model);
	mg_ingest_request(in, &rq->device);
	r = mg_measurement_parse(rq->body ? rq->body : "", rq->len, mg_now_ms(),
				 &rq->job.measurement, err, sizeof(err));
	if (r == MG_ERR_NOMEM)
		return mg_http_error(rq->connection, MHD_HTTP_SERVICE_UNAVAILABLE,
				     "out of memory, retry later");
	if (r != 0) {
		const char *q = strrchr(err, ' ');	/* "... for body_weight" */

		mg_ingest_refused(in, &rq->device, MG_SOURCE_DEVICE_HTTPS, r,
				  r == MG_ERR_RANGE && q ? q + 1 : NULL);
		return mg_http_error(rq->connection, MHD_HTTP_BAD_REQUEST, err);
	}
	/* Suspend before submitting: the writer may answer at once. */
	MHD_suspend_connection(rq->connection);
	rq->submitted = true;
	rq->job.source = MG_SOURCE_DEVICE_HTTPS;
	r = mg_ingest_submit(in, &rq->device, &rq->job, measurement_stored, rq, rq->error,
			     sizeof(rq->error));
	if (r != 0) {
		rq->job.put.result = r;
		rq->done = true;
		MHD_resume_connection(rq->connection);
	}
	return MHD_YES;
}

static enum MHD_Result request_end(struct device_request *rq)
{
	if (rq->too_large)
		return mg_http_error(rq->connection, MHD_HTTP_CONTENT_TOO_LARGE,
				     "request body larger than the limit");
	switch (rq->route) {
	case ROUTE_EST_CACERTS:
		return mg_est_cacerts(rq);
	case ROUTE_EST_SIMPLEENROLL:
		return mg_est_simpleenroll(rq);
	case ROUTE_EST_SIMPLEREENROLL:
		return mg_est_simplereenroll(rq);
	case ROUTE_MEASUREMENTS:
		return rq->submitted ? (rq->done ? measurement_answer(rq) : MHD_YES)
				     : measurement_submit(rq);
	case ROUTE_MAINTENANCE_CONSENT:
		return mg_device_consent(rq);
	case ROUTE_FIRMWARE:
		return device_firmware_offer(rq);
	case ROUTE_FIRMWARE_IMAGE:
		return device_firmware_image(rq);
	case ROUTE_NONE:
		break;
	}
	return MHD_NO;
}

static enum MHD_Result device_handler(void *cls, struct MHD_Connection *c, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct device_request *rq = *con_cls;

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rq->dp = cls;
		atomic_fetch_add(&rq->dp->inflight, 1);
		rq->connection = c;
		rq->route = route_of(method, url, rq->image_sha256);
		mg_http_peer_address(c, rq->peer, sizeof(rq->peer));
		*con_cls = rq;
		return request_begin(rq);
	}
	if (rq->answered) {
		*upload_data_size = 0;	/* the answer is out; drop the rest */
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		enum MHD_Result ret = request_body(rq, upload_data, *upload_data_size);

		*upload_data_size = 0;
		return ret;
	}
	return request_end(rq);
}

/* The port listens while the device interface is on; switched off, it
 * closes (enrolment, on the same port, with it). */
static bool device_enabled(void *arg)
{
	return mg_interface_on(((struct mg_device_port *)arg)->deps.switches, MG_IF_DEVICE);
}

/* Memory libmicrohttpd gives each connection for headers and buffers: a
 * device request's headers are small, and 10,000 idle devices must fit. */
#define DEVICE_CONNECTION_MEMORY (16 * 1024)

int mg_device_port_start(const struct mg_device_port_deps *deps, int fd,
			 const struct mg_http_tls *tls, struct mg_device_port **out)
{
	struct mg_device_port *dp;
	char err[256];
	int r;

	*out = NULL;
	if ((dp = calloc(1, sizeof(*dp))) == NULL)
		return MG_ERR_NOMEM;
	dp->deps = *deps;
	atomic_init(&dp->inflight, 0);
	if ((r = mg_model_list_parse(deps->cfg->device_models, &dp->models, err,
				     sizeof(err))) != 0) {
		mg_log_error("%s", err);
		goto fail;
	}
	if ((r = mg_est_prepare(dp)) != 0) {
		mg_log_error("cannot encode the device CA for EST: %s", mg_strerror(r));
		goto fail;
	}
	const struct mg_http_listener_params p = {
		.name = "device",
		.fd = fd,
		.limits = &deps->cfg->device,
		.threads = deps->cfg->threads,
		.connection_memory = DEVICE_CONNECTION_MEMORY,
		.tls = tls,
		.trust_pem = deps->device_ca_pem,
		.handler = device_handler,
		.handler_cls = dp,
		.completed = request_completed,
		.notify_connection = connection_notify,
		.enabled = device_enabled,
		.enabled_arg = dp,
	};
	if ((r = mg_http_listener_start(&p, &dp->listener)) != 0)
		goto fail;
	*out = dp;
	return 0;
fail:
	mg_device_port_free(dp);
	return r;
}

void mg_device_port_quiesce(struct mg_device_port *dp)
{
	if (dp != NULL)
		mg_http_listener_quiesce(dp->listener);
}

long mg_device_port_inflight(struct mg_device_port *dp)
{
	return dp != NULL ? atomic_load(&dp->inflight) : 0;
}

void mg_device_port_free(struct mg_device_port *dp)
{
	if (dp == NULL)
		return;
	mg_http_listener_stop(dp->listener);
	mg_est_release(dp);
	free(dp);
}
