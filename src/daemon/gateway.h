/* struct gateway: everything the running daemon holds, passed down to
 * every module. There is no other global mutable state (but the log). */
#ifndef MG_DAEMON_GATEWAY_H
#define MG_DAEMON_GATEWAY_H

#include <stdatomic.h>
#include <stddef.h>

#include "common/config.h"
#include "crypto/keyring.h"
#include "ingest/writer.h"
#include "store/store.h"

struct mg_ca;
struct mg_server;
struct mg_mllp_listener;
struct mg_detector;
struct mg_audit_exporter;

struct gateway {
	const struct mg_config *cfg;
	struct mg_store *store;
	struct mg_keyring *keys;
	struct mg_writer *writer;
	struct mg_ca *device_ca;	/* signs devices at enrolment */
	char *server_cert_pem;		/* for the TLS listeners */
	char *server_key_pem;
	char *device_ca_pem;		/* trust for client certificates */
	char *est_cacerts;		/* base64 PKCS#7 of the device CA */
	size_t est_cacerts_len;
	const char *tls_priorities;
	int web_fd, device_fd, mllp_fd;	/* bound listening sockets, or -1 */
	struct mg_server *server;
	struct mg_outbox *outbox;	/* EMR forwarding */
	struct mg_mllp_listener *mllp;	/* the inbound HL7 port, or NULL */
	struct mg_detector *detector;	/* detection rules and alerts (NULL: none) */
	struct mg_audit_exporter *exporter;	/* audit to syslog, or NULL */
	atomic_long inflight;		/* device requests begun, not completed */
	atomic_uint switches_off;	/* interfaces switched off (daemon/switches.h) */
	atomic_llong switches_read_ms;	/* when they were last read, monotonic */
	char dummy_hash[128];		/* unknown accounts are checked against it */
};

#endif
