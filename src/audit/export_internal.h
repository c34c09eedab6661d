/* What the audit exporter's two files share: exporter.c (the thread, the
 * position, the lease) and export_conn.c (the connection to the
 * collector). Nothing outside src/audit/ includes this. */
#ifndef MG_AUDIT_EXPORT_INTERNAL_H
#define MG_AUDIT_EXPORT_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

#include "audit/exporter.h"
#include "tls/conn.h"

#define EXPORT_BATCH		64	/* records read per look at the trail */
#define EXPORT_POLL_MS		250	/* a look at the trail this often when idle */
#define EXPORT_CONNECT_MS	10000	/* TCP connect and TLS handshake */
#define EXPORT_WRITE_MS		10000	/* one record's bytes into the socket */
#define EXPORT_SETTLE_MS	1000	/* sent this long ago and acknowledged: arrived */
#define EXPORT_RETRY_MAX_S	30	/* longest wait between connection attempts */
#define EXPORT_LEASE_TTL_MS	15000
#define EXPORT_LEASE_RENEW_MS	5000

struct mg_audit_exporter {
	const struct mg_config *cfg;
	struct mg_store *store;
	char address[sizeof(((struct mg_config *)0)->syslog_address)];
	char host[MG_TLS_HOST_MAX + 1], port[6];
	struct mg_tls_client *tls;		/* NULL: plain TCP */
	struct mg_syslog_origin origin;
	char holder[128];			/* this gateway, for the lease */
	pthread_t thread;
	atomic_bool stopping;
	int wake_fd;
	struct mg_tls_conn *conn;		/* NULL: not connected */
	int64_t sent_seq;			/* written on this connection */
	int64_t safe_seq;			/* stored: the collector has it */
	int64_t candidate_seq, candidate_ms;	/* to store once settled */
	int64_t retry_ms, lease_renew_ms;	/* monotonic */
	unsigned failures;			/* connection attempts failed in a row */
	bool down;				/* reported unreachable */
	bool catching_up;			/* report when the backlog is gone */
	bool leased, lease_known;
	size_t nbatch;
	struct mg_audit_record batch[EXPORT_BATCH];
	char frame[MG_SYSLOG_FRAME_PREFIX_MAX + MG_SYSLOG_MESSAGE_MAX + 1];
};

/* The collector failed (why: for the log): back off before the next try;
 * the first failure after a success is a warning, repeats are debug. */
void export_unreachable(struct mg_audit_exporter *x, const char *why);

/* Close the connection; what was sent and not settled goes again. */
void export_conn_drop(struct mg_audit_exporter *x);

/* Wait for events on fd (fd < 0: only for a stop) up to ms. Returns > 0
 * when fd is ready, 0 on timeout, < 0 when stopping. */
int export_wait(struct mg_audit_exporter *x, int fd, short events, int64_t ms);

/* Read what the collector sent (it should send nothing): a close or an
 * error drops the connection. */
void export_conn_check(struct mg_audit_exporter *x);

/* Connect and handshake within EXPORT_CONNECT_MS. Returns 0 or < 0 (the
 * failure is logged and the next try scheduled). */
int export_conn_open(struct mg_audit_exporter *x);

/* Write all len bytes within EXPORT_WRITE_MS. Returns 0 or < 0 with the
 * connection dropped. */
int export_conn_write(struct mg_audit_exporter *x, const char *buf, size_t len);

/* Every byte written so far acknowledged by the collector's TCP. */
bool export_conn_acknowledged(const struct mg_audit_exporter *x);

#endif
