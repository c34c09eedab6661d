/* The operations overview for administrators (GET /api/v1/health/overview):
 * the figures /metrics shows, as one JSON document the health page draws,
 * with names instead of ids. No patient data. */
#include <math.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "web/api_handlers.h"
#include "web/figures.h"

#define LISTED_DEVICES_MAX 50 /* silent devices, certificates ending: the first ones */

static json_t *number_or_null(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static json_t *interfaces_json(struct api_request *rq, const struct web_figures *f)
{
	const struct mg_config *cfg = rq->web->cfg;
	struct mg_metrics *m = rq->web->metrics;
	json_t *list = json_array();
	struct {
		const char *name;
		bool configured, on;
		int iface;  /* enum mg_metric_interface, -1: none */
		int source; /* enum mg_metric_source, -1: none */
	} rows[] = {
	    {"web", cfg->web.enabled, true, MG_IFACE_WEB, -1},
	    {"device", cfg->device.enabled, f->interface_on[MG_IF_DEVICE], MG_IFACE_DEVICE,
	     MG_SOURCE_DEVICE_HTTPS},
	    {"enrolment", cfg->device.enabled, f->interface_on[MG_IF_ENROLMENT], -1, -1},
	    {"mllp", cfg->mllp.enabled, f->interface_on[MG_IF_MLLP], MG_IFACE_MLLP, MG_SOURCE_MLLP},
	    {"emr", cfg->nemr > 0, f->interface_on[MG_IF_EMR], -1, -1},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *o = json_pack("{s:s, s:b, s:b}", "name", rows[i].name, "configured",
				      rows[i].configured, "on", rows[i].configured && rows[i].on);

		if (rows[i].iface >= 0) {
			json_object_set_new(o, "connections_open",
					    json_integer((json_int_t)mg_metrics_connections_open(
						m, (enum mg_metric_interface)rows[i].iface)));
			json_object_set_new(o, "connections_total",
					    json_integer((json_int_t)mg_metrics_connections_total(
						m, (enum mg_metric_interface)rows[i].iface)));
		}
		if (rows[i].source >= 0) {
			json_t *counts = json_object();

			for (int r = 0; r < MG_RESULT_MAX; r++)
				json_object_set_new(
				    counts, mg_metric_result_name(r),
				    json_integer((json_int_t)mg_metrics_received_count(
					m, (enum mg_metric_source)rows[i].source,
					(enum mg_metric_result)r)));
			json_object_set_new(o, "measurements", counts);
		}
		json_array_append_new(list, o);
	}
	return list;
}

/* A peer's text (an EMR's error) as JSON: a string, or a note if it is
 * not UTF-8, which must not take the whole overview down. */
static json_t *peer_text(const char *text)
{
	json_t *s = json_string(text);

	return s != NULL ? s : json_string("(not UTF-8)");
}

static json_t *destinations_json(const struct web_figures *f)
{
	json_t *list = json_array();

	for (size_t i = 0; i < f->ndest; i++) {
		const struct web_destination *d = &f->dest[i];
		int64_t last_ack = d->live.last_ack_ms > d->st.last_delivered_ms
				       ? d->live.last_ack_ms
				       : d->st.last_delivered_ms;
		/* The live error is newer and says whether retrying helps; after
		 * a restart, the store's is all there is. */
		const char *error = d->live.last_error_ms > last_ack ? d->live.last_error
				    : d->live.last_error_ms == 0     ? d->st.last_error
								     : "";

		json_array_append_new(
		    list,
		    json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "name",
			      d->name, "protocol", d->protocol, "enabled", d->enabled, "pending",
			      d->have_stats ? json_integer(d->st.pending) : json_null(), "dead",
			      d->have_stats ? json_integer(d->st.dead) : json_null(), "delivered",
			      d->have_stats ? json_integer(d->st.delivered) : json_null(),
			      "oldest_pending_seconds",
			      d->st.oldest_pending_ms
				  ? json_integer((f->now_ms - d->st.oldest_pending_ms) / 1000)
				  : json_null(),
			      "last_ack", api_time_json(last_ack), "last_error", peer_text(error),
			      "last_error_time",
			      api_time_json(error[0] == '\0'        ? 0
					    : d->live.last_error_ms ? d->live.last_error_ms
								    : 0),
			      "failing_permanently",
			      d->live.last_error_permanent && d->live.last_error_ms > last_ack));
	}
	return list;
}

struct device_walk {
	struct api_request *rq;
	int64_t now_ms, silent_ms, expiring_before_ms;
	json_t *silent, *expiring;
};

static json_t *device_row(struct device_walk *w, const struct mg_device *d, int64_t time_ms,
			  const char *time_name)
{
	struct mg_tenant t;
	const char *tenant =
	    mg_store_tenant_by_id(w->rq->web->store, d->tenant_id, &t) == 0 ? t.name : "";

	return json_pack("{s:s, s:s, s:o}", "name", d->name, "tenant", tenant, time_name,
			 api_time_json(time_ms));
}

static int device_look(const struct mg_device *d, void *arg)
{
	struct device_walk *w = arg;
	int64_t seen = d->last_seen_ms ? d->last_seen_ms : d->created_ms;

	if (d->status != MG_DEVICE_ACTIVE)
		return 0;
	if (w->silent_ms > 0 && w->now_ms - seen >= w->silent_ms &&
	    json_array_size(w->silent) < LISTED_DEVICES_MAX)
		json_array_append_new(w->silent, device_row(w, d, d->last_seen_ms, "last_seen"));
	if (d->cert_not_after_ms < w->expiring_before_ms &&
	    json_array_size(w->expiring) < LISTED_DEVICES_MAX)
		json_array_append_new(w->expiring,
				      device_row(w, d, d->cert_not_after_ms, "not_after"));
	return 0;
}

static int chain_alert(const struct mg_alert *a, void *arg)
{
	if (strcmp(a->kind, "audit.chain") == 0)
		*(const char **)arg = "broken";
	return 0;
}

enum MHD_Result api_health_overview(struct api_request *rq)
{
	const struct mg_config *cfg = rq->web->cfg;
	const int64_t warn_ms = (int64_t)MG_CERT_EXPIRY_WARN_DAYS * 86400 * 1000;
	struct mg_alert_filter open = {.state = MG_ALERT_OPEN, .limit = 1000};
	struct web_figures f;
	struct device_walk w = {0};
	const char *chain = "intact";
	uint64_t minute, ten;
	json_t *body;

	web_figures_read(rq->web, &f);
	w = (struct device_walk){rq,
				 f.now_ms,
				 (int64_t)cfg->detect_device_silent * 1000,
				 f.now_ms + warn_ms,
				 json_array(),
				 json_array()};
	mg_store_device_list(rq->web->store, 0, device_look, &w);
	if (mg_store_alert_list(rq->web->store, &open, chain_alert, &chain) != 0)
		chain = "unknown";
	mg_metrics_error_rate(rq->web->metrics, f.now_ms, &minute, &ten);
	body = json_pack(
	    "{s:s, s:o, s:{s:b, s:s, s:o, s:o, s:o, s:b}, s:o, s:{s:I, s:I}, s:o,"
	    " s:{s:I, s:I, s:I, s:o, s:o}, s:{s:o, s:b, s:I}, s:{s:I, s:I, s:I, s:I},"
	    " s:{s:s, s:I, s:o}, s:{s:o, s:o}, s:I}",
	    "version", MG_VERSION, "time", api_time_json(f.now_ms), "store", "ok",
	    f.store_error == 0, "backend", cfg->storage_backend, "free_bytes",
	    number_or_null(f.store_free_bytes), "total_bytes", number_or_null(f.store_total_bytes),
	    "free_min_bytes", json_real(f.store_free_min_bytes), "low",
	    f.store_free_min_bytes > 0 && !isnan(f.store_free_bytes) &&
		f.store_free_bytes < f.store_free_min_bytes,
	    "interfaces", interfaces_json(rq, &f), "errors", "last_minute", (json_int_t)minute,
	    "last_ten_minutes", (json_int_t)ten, "destinations", destinations_json(&f), "devices",
	    "active", (json_int_t)f.store.devices[MG_DEVICE_ACTIVE], "blocked",
	    (json_int_t)f.store.devices[MG_DEVICE_BLOCKED], "revoked",
	    (json_int_t)f.store.devices[MG_DEVICE_REVOKED], "silent", w.silent,
	    "certificates_expiring", w.expiring, "server_certificate", "not_after",
	    api_time_json(f.server_cert_not_after_ms), "expiring",
	    f.server_cert_not_after_ms != 0 && f.server_cert_not_after_ms < f.now_ms + warn_ms,
	    "devices_expiring", (json_int_t)f.store.device_certs_expiring, "alerts_open", "low",
	    (json_int_t)f.store.alerts_open[MG_SEVERITY_LOW], "medium",
	    (json_int_t)f.store.alerts_open[MG_SEVERITY_MEDIUM], "high",
	    (json_int_t)f.store.alerts_open[MG_SEVERITY_HIGH], "critical",
	    (json_int_t)f.store.alerts_open[MG_SEVERITY_CRITICAL], "audit", "chain", chain,
	    "records", (json_int_t)f.store.audit_head_seq, "syslog_backlog",
	    f.syslog_backlog >= 0 ? json_integer(f.syslog_backlog) : json_null(), "backup", "last",
	    api_time_json(f.backup_last_ms), "drill", api_time_json(f.drill_last_ms),
	    "sessions_active", (json_int_t)f.store.sessions_active);
	if (body == NULL)
		return api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot build the overview");
	return api_json(rq, MHD_HTTP_OK, body);
}
