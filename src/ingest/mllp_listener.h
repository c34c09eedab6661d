/* The inbound HL7 port: devices and other gateways send IHE PCD-01
 * ORU^R01 over MLLP inside mutual TLS. One thread runs an epoll loop over
 * non-blocking sockets and GnuTLS sessions; each connection carries any
 * number of messages, one at a time (stop-and-wait). A message is stored
 * like an HTTPS measurement, and answered AA only once the writer says its
 * transaction is durable. docs/internals/mllp.md says how and why. */
#ifndef MG_INGEST_MLLP_LISTENER_H
#define MG_INGEST_MLLP_LISTENER_H

#include "common/metrics.h"

/* Bounds of the port beyond its [mllp] keys (connections in all, per
 * address, seconds without progress) and the HL7 module's message
 * limits (hl7/hl7.h). */
#define MG_MLLP_HANDSHAKE_TIMEOUT_S	10	/* TLS handshake, at most; less if connection_timeout is */
#define MG_MLLP_STOP_GRACE_MS		5000	/* stop: longest wait for answers in flight */

#include "access/switches.h"
#include "common/config.h"
#include "crypto/keyring.h"
#include "ingest/pipeline.h"
#include "store/store.h"

struct mg_mllp_listener;

/* What the port needs; every member must outlive the listener. */
struct mg_mllp_deps {
	const struct mg_listener_config *limits;	/* [mllp] */
	struct mg_store *store;		/* device look-ups */
	struct mg_keyring *keys;	/* the audit trail */
	struct mg_ingest *ingest;	/* where messages go */
	struct mg_switches *switches;	/* may be NULL: always on */
	const char *adt_senders;	/* devices that may send ADT; NULL or "": none */
	const char *cert_pem, *key_pem;	/* the server's */
	const char *ca_pem;		/* the device CA: trust for clients */
	const char *priorities;		/* the TLS profile's GnuTLS priorities */
	struct mg_metrics *metrics;	/* may be NULL: nothing counted */
};

/* Serve the bound, listening socket listen_fd (mg_listen_tcp) with deps
 * (copied). On success the listener owns listen_fd and
 * *out is the caller's (mg_mllp_listener_stop); on failure the error is
 * logged and listen_fd is still the caller's. Returns 0, MG_ERR_TLS
 * (credentials), MG_ERR_IO or MG_ERR_NOMEM. */
int mg_mllp_listener_start(const struct mg_mllp_deps *deps, int listen_fd,
			   struct mg_mllp_listener **out);

/* Begin stopping without waiting: close the listening socket, drop idle
 * connections, and let messages in flight get their answers. Optional
 * (stop does it too); lets the daemon stop its other ports meanwhile.
 * Thread-safe. NULL does nothing. */
void mg_mllp_listener_quiesce(struct mg_mllp_listener *l);

/* Stop: quiesce, wait up to MG_MLLP_STOP_GRACE_MS for messages in flight
 * to be stored and answered, close every connection, join the thread and
 * free. Must run before the writer behind deps->ingest is freed. NULL does
 * nothing. */
void mg_mllp_listener_stop(struct mg_mllp_listener *l);

#endif
