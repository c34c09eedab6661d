/* The operations figures, read once per request from the counters
 * (common/metrics.h), the store and the file system, for the two views
 * built on them: /metrics (Prometheus text, api_metrics.c) and the admin's
 * health overview (api_health.c). Bounded cost: a handful of counts over
 * indexes, one look per EMR destination, one statvfs. No patient data. */
#ifndef MG_WEB_FIGURES_H
#define MG_WEB_FIGURES_H

#include <stdbool.h>
#include <stdint.h>

#include "access/switches.h"
#include "common/metrics.h"
#include "store/store.h"
#include "web/web.h"

#define MG_CERT_EXPIRY_WARN_DAYS 30 /* "near expiry" */

struct web_destination {
	const char *name; /* [emr.NAME], from the configuration */
	const char *protocol;
	bool enabled;
	bool have_stats; /* the store answered */
	struct mg_outbox_stats st;
	struct mg_metrics_emr live; /* since this gateway started */
};

struct web_figures {
	int64_t now_ms;
	int store_error; /* 0, or the figures' MG_ERR_* */
	struct mg_store_figures store;
	bool interface_on[MG_IF_COUNT];
	size_t ndest;
	struct web_destination dest[MG_EMR_MAX];
	int64_t syslog_backlog;  /* records; -1 without [syslog] or unknown */
	double store_free_bytes; /* NAN where unknown (PostgreSQL) */
	double store_total_bytes;
	double store_free_min_bytes; /* the alert threshold, 0 = none */
	int64_t backup_last_ms;      /* 0: never (or unknown) */
	int64_t drill_last_ms;
	int64_t server_cert_not_after_ms; /* 0: unknown */
};

/* Fill f at now. Never fails as a whole: what cannot be read stays
 * unknown (and f->store_error says whether the store answered). */
void web_figures_read(struct mg_web *web, struct web_figures *f);

#endif
