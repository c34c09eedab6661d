/* struct gateway: what the running daemon holds, in src/daemon/ only. It
 * wires the modules together: each gets the narrow dependencies it needs
 * through its own _new() or _start(), never this struct. There is no
 * other global mutable state (but the log). docs/internals/threads.md
 * says which thread each module runs and who starts and joins it. */
#ifndef MG_DAEMON_GATEWAY_H
#define MG_DAEMON_GATEWAY_H

#include "access/access.h"
#include "access/switches.h"
#include "audit/exporter.h"
#include "backup/schedule.h"
#include "backup/retention.h"
#include "common/config.h"
#include "common/metrics.h"
#include "crypto/keyring.h"
#include "detect/detect.h"
#include "http/listener.h"
#include "ingest/device_port.h"
#include "ingest/mllp_listener.h"
#include "ingest/pipeline.h"
#include "ingest/writer.h"
#include "notify/mailer.h"
#include "outbox/outbox.h"
#include "store/store.h"
#include "tls/ca.h"
#include "web/web.h"

struct gateway {
	const struct mg_config *cfg;
	/* Loaded as root, before the switch to the service account. */
	struct mg_keyring *keys;
	struct mg_ca *device_ca;	/* signs devices at enrolment */
	char *server_cert_pem;		/* for the TLS listeners */
	char *server_key_pem;
	char *device_ca_pem;		/* trust for client certificates */
	struct mg_http_tls tls;		/* the three above with the profile */
	char metrics_token[MG_METRICS_TOKEN_MAX + 1];	/* [metrics] token_file, or "" */
	int web_fd, device_fd, mllp_fd;	/* bound listening sockets, or -1 */
	/* Made after the switch, in this order; freed in reverse. */
	struct mg_metrics *metrics;	/* counters: every module adds, /metrics reads */
	struct mg_store *store;
	struct mg_switches *switches;
	struct mg_mailer *mailer;
	struct mg_writer *writer;
	struct mg_outbox *outbox;	/* EMR forwarding */
	struct mg_audit_exporter *exporter;	/* audit to syslog, or NULL */
	struct mg_detector *detector;	/* detection rules and alerts */
	struct mg_backup_scheduler *backups;	/* scheduled backups, or NULL */
	struct mg_retention *retention;	/* [retention] keep_days job, or NULL */
	struct mg_access *access;	/* sign-in and sessions */
	struct mg_ingest *ingest;	/* the one submit pipeline */
	struct mg_web web;		/* the web port's modules */
	/* Serving. */
	struct mg_http_listener *web_port;
	struct mg_device_port *device_port;
	struct mg_mllp_listener *mllp;	/* the inbound HL7 port, or NULL */
};

#endif
