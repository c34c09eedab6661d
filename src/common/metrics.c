/* Operational counters (common/metrics.h): atomics only on the paths that
 * count; one mutex guards the destinations' last error texts, which
 * change only when something fails. */
#include "common/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"

/* Upper bounds of the histograms' buckets (le), +Inf implied. */
static const double latency_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
					0.25,  0.5,    1,     2.5,  5,     10};
#define NLATENCY (sizeof(latency_bounds) / sizeof(latency_bounds[0]))
static const double batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
#define NBATCH (sizeof(batch_bounds) / sizeof(batch_bounds[0]))

#define ERROR_SLOTS 16 /* minutes remembered for the error rate */

struct histogram {
	atomic_uint_fast64_t buckets[16]; /* per bound, not cumulative; [n] = +Inf */
	atomic_uint_fast64_t count;
	atomic_uint_fast64_t sum_micro; /* sum in millionths */
};

struct emr_state {
	atomic_uint_fast64_t count[MG_DELIVERY_MAX];
	atomic_int_fast64_t last_ack_ms;
	/* Under the lock. */
	int64_t last_error_ms;
	bool permanent;
	char last_error[MG_METRICS_ERROR_TEXT_MAX + 1];
};

struct mg_metrics {
	int64_t started_ms;
	atomic_uint_fast64_t received[MG_SOURCE_MAX][MG_RESULT_MAX];
	atomic_uint_fast64_t refused[MG_IFACE_MAX][MG_REFUSAL_MAX];
	atomic_uint_fast64_t conn_open[MG_IFACE_MAX], conn_total[MG_IFACE_MAX];
	atomic_uint_fast64_t store_errors;
	struct histogram latency, batch;
	struct emr_state emr[MG_EMR_MAX];
	atomic_int_fast64_t error_minute[ERROR_SLOTS];
	atomic_uint_fast64_t error_count[ERROR_SLOTS];
	pthread_mutex_t lock;
};

int mg_metrics_new(struct mg_metrics **out)
{
	struct mg_metrics *m;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return MG_ERR_NOMEM;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return MG_ERR_NOMEM;
	}
	m->started_ms = mg_now_ms();
	*out = m;
	return 0;
}

void mg_metrics_free(struct mg_metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int64_t mg_metrics_started_ms(const struct mg_metrics *m)
{
	return m != NULL ? m->started_ms : 0;
}

/* One more error in the current minute's slot; a slot of an older minute
 * starts again at 0. Two threads turning a slot over at once may lose one
 * count: a rate for people, not an account. */
static void error_note(struct mg_metrics *m)
{
	int64_t minute = mg_now_ms() / 60000;
	size_t i = (size_t)(minute % ERROR_SLOTS);
	int_fast64_t seen = atomic_load(&m->error_minute[i]);

	if (seen != minute && atomic_compare_exchange_strong(&m->error_minute[i], &seen, minute))
		atomic_store(&m->error_count[i], 0);
	atomic_fetch_add(&m->error_count[i], 1);
}

void mg_metrics_error_rate(struct mg_metrics *m, int64_t now_ms, uint64_t *last_minute,
			   uint64_t *last_ten_minutes)
{
	int64_t minute = now_ms / 60000;

	*last_minute = *last_ten_minutes = 0;
	if (m == NULL)
		return;
	for (int64_t k = 0; k < 10; k++) {
		size_t i = (size_t)((minute - k) % ERROR_SLOTS);
		uint64_t n = atomic_load(&m->error_minute[i]) == minute - k
				 ? atomic_load(&m->error_count[i])
				 : 0;

		/* "The last minute": the one running and the one before. */
		if (k < 2)
			*last_minute += n;
		*last_ten_minutes += n;
	}
}

static void observe(struct histogram *h, const double *bounds, size_t n, double v)
{
	size_t i = 0;

	if (!(v >= 0))
		v = 0; /* NaN or negative: a clock step */
	while (i < n && v > bounds[i])
		i++;
	atomic_fetch_add(&h->buckets[i], 1);
	atomic_fetch_add(&h->count, 1);
	atomic_fetch_add(&h->sum_micro, (uint_fast64_t)llround(v * 1e6));
}

void mg_metrics_received(struct mg_metrics *m, enum mg_metric_source src, enum mg_metric_result res)
{
	if (m == NULL || src >= MG_SOURCE_MAX || res >= MG_RESULT_MAX)
		return;
	atomic_fetch_add(&m->received[src][res], 1);
	if (res != MG_RESULT_STORED && res != MG_RESULT_DUPLICATE)
		error_note(m);
}

void mg_metrics_refused(struct mg_metrics *m, enum mg_metric_interface iface, enum mg_refusal why)
{
	if (m == NULL || iface >= MG_IFACE_MAX || why >= MG_REFUSAL_MAX)
		return;
	atomic_fetch_add(&m->refused[iface][why], 1);
	error_note(m);
}

void mg_metrics_ack_latency(struct mg_metrics *m, double seconds)
{
	if (m != NULL)
		observe(&m->latency, latency_bounds, NLATENCY, seconds);
}

void mg_metrics_batch(struct mg_metrics *m, size_t n)
{
	if (m != NULL)
		observe(&m->batch, batch_bounds, NBATCH, (double)n);
}

void mg_metrics_connection(struct mg_metrics *m, enum mg_metric_interface iface, bool opened)
{
	if (m == NULL || iface >= MG_IFACE_MAX)
		return;
	if (opened) {
		atomic_fetch_add(&m->conn_open[iface], 1);
		atomic_fetch_add(&m->conn_total[iface], 1);
	} else {
		atomic_fetch_sub(&m->conn_open[iface], 1);
	}
}

void mg_metrics_delivery(struct mg_metrics *m, size_t emr, enum mg_metric_delivery verdict,
			 int64_t now_ms, const char *why, bool permanent)
{
	struct emr_state *e;

	if (m == NULL || emr >= MG_EMR_MAX || verdict >= MG_DELIVERY_MAX)
		return;
	e = &m->emr[emr];
	atomic_fetch_add(&e->count[verdict], 1);
	if (verdict == MG_DELIVERY_DELIVERED) {
		atomic_store(&e->last_ack_ms, now_ms);
		return;
	}
	error_note(m);
	pthread_mutex_lock(&m->lock);
	e->last_error_ms = now_ms;
	e->permanent = permanent;
	snprintf(e->last_error, sizeof(e->last_error), "%s", why != NULL ? why : "");
	pthread_mutex_unlock(&m->lock);
}

void mg_metrics_store_error(struct mg_metrics *m)
{
	if (m == NULL)
		return;
	atomic_fetch_add(&m->store_errors, 1);
	error_note(m);
}

void mg_metrics_emr_read(struct mg_metrics *m, size_t emr, struct mg_metrics_emr *out)
{
	struct emr_state *e;

	memset(out, 0, sizeof(*out));
	if (m == NULL || emr >= MG_EMR_MAX)
		return;
	e = &m->emr[emr];
	out->delivered = atomic_load(&e->count[MG_DELIVERY_DELIVERED]);
	out->retried = atomic_load(&e->count[MG_DELIVERY_RETRY]);
	out->rejected = atomic_load(&e->count[MG_DELIVERY_REJECTED]);
	out->last_ack_ms = atomic_load(&e->last_ack_ms);
	pthread_mutex_lock(&m->lock);
	out->last_error_ms = e->last_error_ms;
	out->last_error_permanent = e->permanent;
	memcpy(out->last_error, e->last_error, sizeof(out->last_error));
	pthread_mutex_unlock(&m->lock);
}

uint64_t mg_metrics_received_count(struct mg_metrics *m, enum mg_metric_source src,
				   enum mg_metric_result res)
{
	return m != NULL && src < MG_SOURCE_MAX && res < MG_RESULT_MAX
		   ? atomic_load(&m->received[src][res])
		   : 0;
}

uint64_t mg_metrics_connections_open(struct mg_metrics *m, enum mg_metric_interface iface)
{
	return m != NULL && iface < MG_IFACE_MAX ? atomic_load(&m->conn_open[iface]) : 0;
}

uint64_t mg_metrics_connections_total(struct mg_metrics *m, enum mg_metric_interface iface)
{
	return m != NULL && iface < MG_IFACE_MAX ? atomic_load(&m->conn_total[iface]) : 0;
}

const char *mg_metric_source_name(enum mg_metric_source s)
{
	static const char *const names[] = {"device_https", "mllp"};

	return s < MG_SOURCE_MAX ? names[s] : "?";
}

const char *mg_metric_result_name(enum mg_metric_result r)
{
	static const char *const names[] = {"stored",       "duplicate",   "invalid",
					    "out_of_range", "unavailable", "store_failed"};

	return r < MG_RESULT_MAX ? names[r] : "?";
}

const char *mg_refusal_name(enum mg_refusal r)
{
	static const char *const names[] = {
	    "no_certificate", "certificate_invalid", "device_unknown",
	    "device_blocked", "device_revoked",      "interface_off",
	    "too_large",      "malformed",           "connection_limit",
	    "maintenance",
	};

	return r < MG_REFUSAL_MAX ? names[r] : "?";
}

const char *mg_metric_interface_name(enum mg_metric_interface i)
{
	static const char *const names[] = {"web", "device", "mllp"};

	return i < MG_IFACE_MAX ? names[i] : "?";
}

static void write_histogram(struct histogram *h, const char *name, const char *help,
			    const double *bounds, size_t n, struct mg_textbuf *t)
{
	uint64_t cumulative = 0;

	mg_textbuf_printf(t, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < n; i++) {
		cumulative += atomic_load(&h->buckets[i]);
		mg_textbuf_printf(t, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i],
				  (unsigned long long)cumulative);
	}
	cumulative += atomic_load(&h->buckets[n]);
	mg_textbuf_printf(t, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cumulative);
	mg_textbuf_printf(t, "%s_sum %.6f\n%s_count %llu\n", name,
			  (double)atomic_load(&h->sum_micro) / 1e6, name,
			  (unsigned long long)cumulative);
}

void mg_metrics_write(struct mg_metrics *m, const struct mg_config *cfg, struct mg_textbuf *t)
{
	static const char *const delivery_names[] = {"delivered", "retry", "rejected"};

	mg_textbuf_str(t, "# HELP medgate_measurements_received_total Measurements received, by "
			  "source and what became of them.\n"
			  "# TYPE medgate_measurements_received_total counter\n");
	for (int s = 0; s < MG_SOURCE_MAX; s++)
		for (int r = 0; r < MG_RESULT_MAX; r++)
			mg_textbuf_printf(t,
					  "medgate_measurements_received_total{source=\"%s\","
					  "result=\"%s\"} %llu\n",
					  mg_metric_source_name(s), mg_metric_result_name(r),
					  (unsigned long long)atomic_load(&m->received[s][r]));
	mg_textbuf_str(t, "# HELP medgate_refusals_total Device requests and connections refused "
			  "before their content, by interface and reason.\n"
			  "# TYPE medgate_refusals_total counter\n");
	for (int i = MG_IFACE_DEVICE; i < MG_IFACE_MAX; i++)
		for (int r = 0; r < MG_REFUSAL_MAX; r++)
			mg_textbuf_printf(t,
					  "medgate_refusals_total{interface=\"%s\",reason=\"%s\"} "
					  "%llu\n",
					  mg_metric_interface_name(i), mg_refusal_name(r),
					  (unsigned long long)atomic_load(&m->refused[i][r]));
	write_histogram(&m->latency, "medgate_ack_latency_seconds",
			"Seconds from a measurement's submission to its durable commit.",
			latency_bounds, NLATENCY, t);
	write_histogram(&m->batch, "medgate_group_commit_batch_size",
			"Measurements committed together in one transaction.", batch_bounds, NBATCH,
			t);
	mg_textbuf_str(t, "# HELP medgate_connections_open Connections open now, by interface.\n"
			  "# TYPE medgate_connections_open gauge\n");
	for (int i = 0; i < MG_IFACE_MAX; i++)
		mg_textbuf_printf(t, "medgate_connections_open{interface=\"%s\"} %llu\n",
				  mg_metric_interface_name(i),
				  (unsigned long long)atomic_load(&m->conn_open[i]));
	mg_textbuf_str(t, "# HELP medgate_connections_total Connections accepted, by interface.\n"
			  "# TYPE medgate_connections_total counter\n");
	for (int i = 0; i < MG_IFACE_MAX; i++)
		mg_textbuf_printf(t, "medgate_connections_total{interface=\"%s\"} %llu\n",
				  mg_metric_interface_name(i),
				  (unsigned long long)atomic_load(&m->conn_total[i]));
	mg_textbuf_str(t, "# HELP medgate_emr_messages_total Messages settled with an EMR "
			  "destination, by verdict.\n"
			  "# TYPE medgate_emr_messages_total counter\n");
	for (size_t d = 0; d < cfg->nemr && d < MG_EMR_MAX; d++)
		for (int v = 0; v < MG_DELIVERY_MAX; v++)
			mg_textbuf_printf(t,
					  "medgate_emr_messages_total{destination=\"%s\","
					  "verdict=\"%s\"} %llu\n",
					  cfg->emr[d].name, delivery_names[v],
					  (unsigned long long)atomic_load(&m->emr[d].count[v]));
	mg_textbuf_printf(t,
			  "# HELP medgate_store_errors_total Store operations that failed.\n"
			  "# TYPE medgate_store_errors_total counter\n"
			  "medgate_store_errors_total %llu\n",
			  (unsigned long long)atomic_load(&m->store_errors));
	mg_textbuf_printf(t,
			  "# HELP medgate_start_time_seconds When this medgated started.\n"
			  "# TYPE medgate_start_time_seconds gauge\n"
			  "medgate_start_time_seconds %.3f\n",
			  (double)m->started_ms / 1000.0);
}
