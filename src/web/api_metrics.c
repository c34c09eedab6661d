/* /metrics on the web port: the Prometheus text format (version 0.0.4)
 * for a Prometheus server holding the metrics credential, the bearer
 * token of [metrics] token_file. A browser session is no credential here:
 * the route is outside the API and never looks at cookies. The counters
 * come from memory (common/metrics.h), the gauges from the store at
 * scrape time (web/figures.h). Labels are bounded enums and configured
 * names; nothing identifies a patient. */
#include "web/web_api.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/textbuf.h"
#include "http/http.h"
#include "web/figures.h"

#define METRICS_TEXT_MAX     (256 * 1024)
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Whether the request carries the token, compared in constant time (both
 * sides hashed first, so neither length nor content leaks by timing). */
static bool bearer_ok(struct mg_web *web, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	unsigned char want[32], got[32];
	bool ok;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	crypto_generichash(want, sizeof(want), (const unsigned char *)web->metrics_token,
			   strlen(web->metrics_token), NULL, 0);
	crypto_generichash(got, sizeof(got), (const unsigned char *)h, strnlen(h, 4096), NULL, 0);
	ok = sodium_memcmp(want, got, sizeof(want)) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

static void gauge_head(struct mg_textbuf *t, const char *name, const char *help)
{
	mg_textbuf_printf(t, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A value, or NaN for unknown (Prometheus' spelling). */
static void value(struct mg_textbuf *t, double v)
{
	if (isnan(v))
		mg_textbuf_str(t, " NaN\n");
	else
		mg_textbuf_printf(t, " %.17g\n", v);
}

static double age_seconds(int64_t now_ms, int64_t then_ms)
{
	return then_ms > 0 ? (double)(now_ms - then_ms) / 1000.0 : NAN;
}

static void write_destinations(const struct web_figures *f, struct mg_textbuf *t)
{
	gauge_head(t, "medgate_outbox_pending_messages",
		   "Messages waiting for an EMR destination.");
	for (size_t i = 0; i < f->ndest; i++) {
		mg_textbuf_printf(t, "medgate_outbox_pending_messages{destination=\"%s\"}",
				  f->dest[i].name);
		value(t, f->dest[i].have_stats ? (double)f->dest[i].st.pending : NAN);
	}
	gauge_head(t, "medgate_outbox_dead_messages",
		   "Messages an EMR destination refused for good (dead letters).");
	for (size_t i = 0; i < f->ndest; i++) {
		mg_textbuf_printf(t, "medgate_outbox_dead_messages{destination=\"%s\"}",
				  f->dest[i].name);
		value(t, f->dest[i].have_stats ? (double)f->dest[i].st.dead : NAN);
	}
	gauge_head(t, "medgate_outbox_oldest_message_age_seconds",
		   "Age of the oldest message waiting for an EMR destination (0: none waits).");
	for (size_t i = 0; i < f->ndest; i++) {
		const struct web_destination *d = &f->dest[i];

		mg_textbuf_printf(
		    t, "medgate_outbox_oldest_message_age_seconds{destination=\"%s\"}", d->name);
		value(t, !d->have_stats ? NAN
			 : d->st.oldest_pending_ms == 0
			     ? 0
			     : age_seconds(f->now_ms, d->st.oldest_pending_ms));
	}
	gauge_head(t, "medgate_emr_last_ack_age_seconds",
		   "Seconds since an EMR destination last acknowledged a message (NaN: never).");
	for (size_t i = 0; i < f->ndest; i++) {
		const struct web_destination *d = &f->dest[i];
		int64_t last = d->live.last_ack_ms > d->st.last_delivered_ms
				   ? d->live.last_ack_ms
				   : d->st.last_delivered_ms;

		mg_textbuf_printf(t, "medgate_emr_last_ack_age_seconds{destination=\"%s\"}",
				  d->name);
		value(t, age_seconds(f->now_ms, last));
	}
	gauge_head(t, "medgate_emr_failing_permanently",
		   "1 while an EMR destination's last attempt failed for a reason retrying will "
		   "not fix (certificate, host name, TLS protocol).");
	for (size_t i = 0; i < f->ndest; i++) {
		const struct web_destination *d = &f->dest[i];

		mg_textbuf_printf(
		    t, "medgate_emr_failing_permanently{destination=\"%s\"} %d\n", d->name,
		    d->live.last_error_permanent && d->live.last_error_ms > d->live.last_ack_ms);
	}
}

static void write_store_figures(const struct web_figures *f, struct mg_textbuf *t)
{
	static const char *const states[] = {"active", "blocked", "revoked"};
	static const char *const severities[] = {"low", "medium", "high", "critical"};
	double known = f->store_error == 0 ? 0 : NAN;

	gauge_head(t, "medgate_store_up", "1 if the store answered this scrape's questions.");
	mg_textbuf_printf(t, "medgate_store_up %d\n", f->store_error == 0);
	gauge_head(t, "medgate_devices", "Enrolled devices by state.");
	for (int i = 0; i < 3; i++) {
		mg_textbuf_printf(t, "medgate_devices{state=\"%s\"}", states[i]);
		value(t, known + (double)f->store.devices[i]);
	}
	gauge_head(t, "medgate_certificates_expiring",
		   "Certificates that end within 30 days (active devices' and the web port's).");
	mg_textbuf_str(t, "medgate_certificates_expiring{certificate=\"device\"}");
	value(t, known + (double)f->store.device_certs_expiring);
	mg_textbuf_str(t, "medgate_certificates_expiring{certificate=\"server\"}");
	value(t, f->server_cert_not_after_ms == 0 ? NAN
		 : f->server_cert_not_after_ms - f->now_ms <
			 (int64_t)MG_CERT_EXPIRY_WARN_DAYS * 86400 * 1000
		     ? 1
		     : 0);
	gauge_head(t, "medgate_alerts_open", "Alerts not yet acknowledged, by severity.");
	for (int i = 0; i < 4; i++) {
		mg_textbuf_printf(t, "medgate_alerts_open{severity=\"%s\"}", severities[i]);
		value(t, known + (double)f->store.alerts_open[i]);
	}
	gauge_head(t, "medgate_sessions_active", "Web sessions not yet expired.");
	mg_textbuf_str(t, "medgate_sessions_active");
	value(t, known + (double)f->store.sessions_active);
	if (f->syslog_backlog >= 0) {
		gauge_head(t, "medgate_syslog_backlog_records",
			   "Audit records the syslog collector does not have yet.");
		mg_textbuf_printf(t, "medgate_syslog_backlog_records %lld\n",
				  (long long)f->syslog_backlog);
	}
	gauge_head(t, "medgate_backup_age_seconds", "Seconds since the last backup (NaN: none).");
	mg_textbuf_str(t, "medgate_backup_age_seconds");
	value(t, age_seconds(f->now_ms, f->backup_last_ms));
	gauge_head(t, "medgate_restore_drill_age_seconds",
		   "Seconds since the last restore drill passed (NaN: none).");
	mg_textbuf_str(t, "medgate_restore_drill_age_seconds");
	value(t, age_seconds(f->now_ms, f->drill_last_ms));
	gauge_head(t, "medgate_store_free_bytes",
		   "Free bytes of the file system holding the store (NaN: not on this host).");
	mg_textbuf_str(t, "medgate_store_free_bytes");
	value(t, f->store_free_bytes);
	gauge_head(t, "medgate_store_size_bytes",
		   "Size in bytes of the file system holding the store (NaN: not on this host).");
	mg_textbuf_str(t, "medgate_store_size_bytes");
	value(t, f->store_total_bytes);
	gauge_head(
	    t, "medgate_store_free_min_bytes",
	    "The configured free space below which an alert warns ([detect] store_free_min).");
	mg_textbuf_str(t, "medgate_store_free_min_bytes");
	value(t, f->store_free_min_bytes);
}

static void write_interfaces(const struct web_figures *f, struct mg_textbuf *t)
{
	gauge_head(t, "medgate_interface_on", "1 if an interface is switched on at run time.");
	for (int i = 0; i < MG_IF_COUNT; i++)
		mg_textbuf_printf(t, "medgate_interface_on{interface=\"%s\"} %d\n",
				  mg_interface_name((enum mg_interface)i), f->interface_on[i]);
	gauge_head(t, "medgate_build_info", "The running version.");
	mg_textbuf_printf(t, "medgate_build_info{version=\"%s\"} 1\n", MG_VERSION);
}

enum MHD_Result mg_web_metrics_serve(struct mg_web *web, struct MHD_Connection *c,
				     const char *method)
{
	struct web_figures f;
	struct mg_textbuf t;
	enum MHD_Result ret;
	size_t len;
	char *text;

	if (web->metrics_token[0] == '\0' || web->metrics == NULL)
		return mg_http_error(c, MHD_HTTP_NOT_FOUND,
				     "no /metrics: [metrics] token_file is not set");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return mg_http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	if (!bearer_ok(web, c)) {
		struct MHD_Response *r;

		r = MHD_create_response_from_buffer(
		    strlen("{\"error\":\"the metrics bearer token is required\"}"),
		    (void *)"{\"error\":\"the metrics bearer token is required\"}",
		    MHD_RESPMEM_PERSISTENT);
		if (r == NULL)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"medgate metrics\"");
		mg_http_security_headers(r);
		ret = MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED, r);
		MHD_destroy_response(r);
		return ret;
	}
	if ((text = malloc(METRICS_TEXT_MAX)) == NULL)
		return MHD_NO;
	web_figures_read(web, &f);
	mg_textbuf_init(&t, text, METRICS_TEXT_MAX);
	mg_metrics_write(web->metrics, web->cfg, &t);
	write_destinations(&f, &t);
	write_store_figures(&f, &t);
	write_interfaces(&f, &t);
	if (mg_textbuf_finish(&t, &len) != 0) {
		mg_log_error("metrics: the text outgrew %d bytes", METRICS_TEXT_MAX);
		free(text);
		return mg_http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics too large");
	}
	ret = mg_http_bytes(c, MHD_HTTP_OK, METRICS_CONTENT_TYPE, text, len);
	free(text);
	return ret;
}
