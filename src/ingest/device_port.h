/* The device port: HTTPS with client certificates from the device CA.
 * EST (RFC 7030) enrolment without one; measurements only from an enrolled
 * device that is neither blocked nor revoked, handed to the ingest
 * pipeline, with the connection suspended until their transaction is
 * durable (waiting for the disk holds no thread). */
#ifndef MG_INGEST_DEVICE_PORT_H
#define MG_INGEST_DEVICE_PORT_H

#include "access/switches.h"
#include "common/config.h"
#include "crypto/keyring.h"
#include "http/listener.h"
#include "ingest/pipeline.h"
#include "store/store.h"
#include "common/metrics.h"
#include "tls/ca.h"

struct mg_device_port_deps {
	const struct mg_config *cfg;	/* [device] limits, device_body_max, device_cert_days */
	struct mg_store *store;
	struct mg_keyring *keys;	/* enrolment tokens, the audit trail */
	struct mg_ca *device_ca;	/* signs devices at enrolment */
	const char *device_ca_pem;	/* trust for client certificates */
	struct mg_ingest *ingest;
	struct mg_switches *switches;
	struct mg_detector *detector;	/* alerts: a device reporting another model */
	struct mg_metrics *metrics;	/* may be NULL: nothing counted */
};

struct mg_device_port;

/* Make the port (deps' members must outlive it) and start serving on fd
 * (bound and listening; the port's from now on). Returns 0 or < 0
 * (logged). *out is the caller's (mg_device_port_free). */
int mg_device_port_start(const struct mg_device_port_deps *deps, int fd,
			 const struct mg_http_tls *tls, struct mg_device_port **out);

/* Close the listening socket; requests in flight go on. */
void mg_device_port_quiesce(struct mg_device_port *dp);

/* Requests begun and not completed, for a graceful stop. */
long mg_device_port_inflight(struct mg_device_port *dp);

/* Stop, close every connection, free. NULL does nothing. */
void mg_device_port_free(struct mg_device_port *dp);

#endif
