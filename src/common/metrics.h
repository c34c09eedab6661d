/* Operational counters kept in memory: what the gateway received, refused,
 * committed and forwarded since it started. Plain C11 atomics, no lock,
 * so the hot paths (ingest, the writer, the forwarders) only add. The web
 * port writes them in the Prometheus text format (/metrics) next to the
 * gauges it reads from the store at scrape time, and the admin's health
 * page shows the same figures.
 *
 * Every label is an enum below or an [emr.NAME] index (at most
 * MG_EMR_MAX): no label set grows with traffic, and nothing here can hold
 * patient data. A module is handed a struct mg_metrics (or NULL: every
 * function then does nothing), never reaches for a global one. */
#ifndef MG_COMMON_METRICS_H
#define MG_COMMON_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/textbuf.h"

/* Where a measurement came in. */
enum mg_metric_source { MG_SOURCE_DEVICE_HTTPS, MG_SOURCE_MLLP, MG_SOURCE_MAX };

/* What became of it. */
enum mg_metric_result {
	MG_RESULT_STORED,       /* durable, acknowledged */
	MG_RESULT_DUPLICATE,    /* stored earlier, acknowledged again */
	MG_RESULT_INVALID,      /* malformed or against the rules */
	MG_RESULT_OUT_OF_RANGE, /* a value outside its plausible range */
	MG_RESULT_UNAVAILABLE,  /* key, memory or writer: retry later */
	MG_RESULT_STORE_FAILED, /* the transaction failed */
	MG_RESULT_MAX
};

/* Why a device's request or connection was refused before its content. */
enum mg_refusal {
	MG_REFUSAL_NO_CERTIFICATE,
	MG_REFUSAL_CERTIFICATE_INVALID, /* not of the device CA, expired, ... */
	MG_REFUSAL_DEVICE_UNKNOWN,      /* a valid certificate of no enrolled device */
	MG_REFUSAL_DEVICE_BLOCKED,
	MG_REFUSAL_DEVICE_REVOKED,
	MG_REFUSAL_INTERFACE_OFF,
	MG_REFUSAL_TOO_LARGE,
	MG_REFUSAL_MALFORMED, /* framing, media type, headers */
	MG_REFUSAL_LIMIT,     /* connections per address, total */
	MG_REFUSAL_MAINTENANCE, /* a device out of service for maintenance */
	MG_REFUSAL_MAX
};

/* The listening interfaces. */
enum mg_metric_interface { MG_IFACE_WEB, MG_IFACE_DEVICE, MG_IFACE_MLLP, MG_IFACE_MAX };

/* What an EMR destination answered. */
enum mg_metric_delivery {
	MG_DELIVERY_DELIVERED,
	MG_DELIVERY_RETRY,
	MG_DELIVERY_REJECTED,
	MG_DELIVERY_MAX
};

#define MG_METRICS_ERROR_TEXT_MAX 256 /* a destination's last error */
#define MG_METRICS_TOKEN_MIN      32  /* bytes of the bearer token, at least */
#define MG_METRICS_TOKEN_MAX      256

struct mg_metrics;

/* Returns 0 or MG_ERR_NOMEM; *out is the caller's (mg_metrics_free). */
int mg_metrics_new(struct mg_metrics **out);
void mg_metrics_free(struct mg_metrics *m);

/* When the counters started, in ms since the Unix epoch. */
int64_t mg_metrics_started_ms(const struct mg_metrics *m);

/* Counting; m may be NULL (nothing counted). Thread-safe, never blocks. */
void mg_metrics_received(struct mg_metrics *m, enum mg_metric_source src,
			 enum mg_metric_result res);
void mg_metrics_refused(struct mg_metrics *m, enum mg_metric_interface iface, enum mg_refusal why);
/* A measurement acknowledged seconds after it was submitted. */
void mg_metrics_ack_latency(struct mg_metrics *m, double seconds);
/* One group commit of n measurements. */
void mg_metrics_batch(struct mg_metrics *m, size_t n);
void mg_metrics_connection(struct mg_metrics *m, enum mg_metric_interface iface, bool opened);
/* A message of destination index emr (its [emr.NAME] position) settled
 * with verdict at now_ms; why is the error for RETRY and REJECTED (no
 * patient data: the forwarder scrubs it), permanent when retrying will not
 * help (a certificate not trusted, a wrong host name, a refused protocol). */
void mg_metrics_delivery(struct mg_metrics *m, size_t emr, enum mg_metric_delivery verdict,
			 int64_t now_ms, const char *why, bool permanent);
/* A store operation failed (counted by the store's callers that know). */
void mg_metrics_store_error(struct mg_metrics *m);

/* Reading. */
struct mg_metrics_emr {
	uint64_t delivered, retried, rejected;
	int64_t last_ack_ms;   /* 0: none since start */
	int64_t last_error_ms; /* 0: none since start */
	bool last_error_permanent;
	char last_error[MG_METRICS_ERROR_TEXT_MAX + 1];
};
void mg_metrics_emr_read(struct mg_metrics *m, size_t emr, struct mg_metrics_emr *out);
uint64_t mg_metrics_received_count(struct mg_metrics *m, enum mg_metric_source src,
				   enum mg_metric_result res);
uint64_t mg_metrics_connections_open(struct mg_metrics *m, enum mg_metric_interface iface);
uint64_t mg_metrics_connections_total(struct mg_metrics *m, enum mg_metric_interface iface);
/* Errors (refusals, failed and refused measurements, EMR failures, store
 * errors) in the last minute and the last ten minutes. */
void mg_metrics_error_rate(struct mg_metrics *m, int64_t now_ms, uint64_t *last_minute,
			   uint64_t *last_ten_minutes);

/* Names for labels and pages. */
const char *mg_metric_source_name(enum mg_metric_source s);
const char *mg_metric_result_name(enum mg_metric_result r);
const char *mg_refusal_name(enum mg_refusal r);
const char *mg_metric_interface_name(enum mg_metric_interface i);

/* Append the counters and histograms in the Prometheus text format
 * (version 0.0.4) to t; cfg names the destinations. */
void mg_metrics_write(struct mg_metrics *m, const struct mg_config *cfg, struct mg_textbuf *t);

#endif
