/* The inbound HL7 port: devices and other gateways send IHE PCD-01
 * ORU^R01 over MLLP inside mutual TLS. One thread runs an epoll loop over
 * non-blocking sockets and GnuTLS sessions; each connection carries any
 * number of messages, one at a time (stop-and-wait). A message is stored
 * like an HTTPS measurement, and answered AA only once the writer says its
 * transaction is durable. docs/internals/mllp.md says how and why. */
#ifndef MG_INGEST_MLLP_LISTENER_H
#define MG_INGEST_MLLP_LISTENER_H

/* Bounds of the port beyond its [mllp] keys (connections in all, per
 * address, seconds without progress) and the HL7 module's message
 * limits (hl7/hl7.h). */
#define MG_MLLP_HANDSHAKE_TIMEOUT_S	10	/* TLS handshake, at most; less if connection_timeout is */
#define MG_MLLP_STOP_GRACE_MS		5000	/* stop: longest wait for answers in flight */

struct gateway;
struct mg_mllp_listener;

/* Serve the bound, listening socket listen_fd (mg_listen_tcp) for gw,
 * with the limits of gw->cfg->mllp, the server certificate and key, the
 * device CA as trust and gw->tls_priorities. gw->store, gw->keys and
 * gw->writer must exist and outlive the listener (gw->outbox may be
 * NULL: no EMR destinations). On success the listener owns listen_fd and
 * *out is the caller's (mg_mllp_listener_stop); on failure the error is
 * logged and listen_fd is still the caller's. Returns 0, MG_ERR_TLS
 * (credentials), MG_ERR_IO or MG_ERR_NOMEM. */
int mg_mllp_listener_start(struct gateway *gw, int listen_fd, struct mg_mllp_listener **out);

/* Begin stopping without waiting: close the listening socket, drop idle
 * connections, and let messages in flight get their answers. Optional
 * (stop does it too); lets the daemon stop its other ports meanwhile.
 * Thread-safe. NULL does nothing. */
void mg_mllp_listener_quiesce(struct mg_mllp_listener *l);

/* Stop: quiesce, wait up to MG_MLLP_STOP_GRACE_MS for messages in flight
 * to be stored and answered, close every connection, join the thread and
 * free. Must run before gw->writer is freed. NULL does nothing. */
void mg_mllp_listener_stop(struct mg_mllp_listener *l);

#endif
