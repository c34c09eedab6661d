/* The audit exporter's thread: read the records after the last one the
 * collector is known to have, send them, and move that position once the
 * connection has carried them for a while with every byte acknowledged
 * by the collector's TCP. Anything less certain is sent again after a
 * reconnect (the seq in the structured data tells duplicates apart).
 * docs/internals/audit.md ("Export") explains the choices. */
#include "audit/exporter.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "daemon/gateway.h"
#include "outbox/forwarder.h"
#include "tls/conn.h"

#define EXPORT_BATCH		64	/* records read per look at the trail */
#define EXPORT_POLL_MS		250	/* a look at the trail this often when idle */
#define EXPORT_CONNECT_MS	10000	/* TCP connect and TLS handshake */
#define EXPORT_WRITE_MS		10000	/* one record's bytes into the socket */
#define EXPORT_SETTLE_MS	1000	/* sent this long ago and acknowledged: arrived */
#define EXPORT_RETRY_MAX_S	30	/* longest wait between connection attempts */
#define EXPORT_LEASE_TTL_MS	15000
#define EXPORT_LEASE_RENEW_MS	5000
#define BATCH_FULL		1	/* collect's "stop walking" */

struct mg_audit_exporter {
	struct gateway *gw;
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

void mg_audit_export_origin(const struct mg_config *cfg, struct mg_store *s,
			    struct mg_syslog_origin *o)
{
	char site[MG_SYSLOG_SITE_ID_MAX + 1] = "";
	int facility = 10;

	if (mg_syslog_facility(cfg->syslog_facility, &facility) != 0)
		facility = 10;
	/* The instance id the outbox keeps; absent before the first start. */
	if (s->setting_get(s, "instance_id", site, sizeof(site)) != 0)
		site[0] = '\0';
	mg_syslog_origin_init(o, facility, site);
}

int mg_audit_export_position(struct mg_store *s, int64_t *seq_out)
{
	char value[32], *end;
	long long seq;
	int r;

	*seq_out = 0;
	r = s->setting_get(s, MG_AUDIT_EXPORT_SETTING, value, sizeof(value));
	if (r == MG_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	errno = 0;
	seq = strtoll(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || seq < 0)
		return MG_ERR_INVALID;
	*seq_out = seq;
	return 0;
}

/* ---- the connection ---- */

static void collector_unreachable(struct mg_audit_exporter *x, const char *why)
{
	x->retry_ms = mg_monotonic_ms() + mg_forward_backoff_ms(x->failures++, EXPORT_RETRY_MAX_S);
	if (!x->down)
		mg_log_warning("audit export: syslog collector %s unreachable: %s; records wait in "
			       "the store and follow when it is back", x->address, why);
	else
		mg_log_debug("audit export: syslog collector %s still unreachable: %s", x->address,
			     why);
	x->down = true;
}

/* Close the connection; what was sent and not settled goes again. */
static void connection_drop(struct mg_audit_exporter *x)
{
	mg_tls_conn_free(x->conn);
	x->conn = NULL;
	if (x->sent_seq > x->safe_seq)
		mg_log_debug("audit export: records after seq %lld will be sent again",
			     (long long)x->safe_seq);
	x->sent_seq = x->safe_seq;
	x->candidate_seq = 0;
}

static void connection_lost(struct mg_audit_exporter *x, const char *why)
{
	connection_drop(x);
	collector_unreachable(x, why);
}

/* Wait for events on fd (or only for a stop if fd < 0). Returns > 0 when
 * fd is ready, 0 on timeout, < 0 when stopping. */
static int wait_for(struct mg_audit_exporter *x, int fd, short events, int64_t ms)
{
	struct pollfd p[2] = { { .fd = x->wake_fd, .events = POLLIN },
			       { .fd = fd, .events = events } };
	int r;

	if (atomic_load(&x->stopping))
		return -1;
	r = poll(p, fd >= 0 ? 2 : 1, (int)(ms > 0 ? ms : 0));
	if (atomic_load(&x->stopping))
		return -1;
	return r > 0 && fd >= 0 && p[1].revents != 0 ? 1 : 0;
}

/* The collector sends nothing (RFC 5425): a readable socket is a close,
 * an error, or TLS housekeeping (session tickets). */
static void connection_check(struct mg_audit_exporter *x)
{
	char buf[512], why[160];
	size_t got;
	int r;

	for (int i = 0; i < 16 && x->conn != NULL; i++) {
		r = mg_tls_conn_read(x->conn, buf, sizeof(buf), &got, why, sizeof(why));
		if (r == MG_ERR_AGAIN)
			return;
		if (r != 0)
			connection_lost(x, why);
	}
}

static int connection_open(struct mg_audit_exporter *x)
{
	int64_t deadline = mg_monotonic_ms() + EXPORT_CONNECT_MS;
	char why[200];
	int r;

	r = mg_tls_conn_connect(x->host, x->port, x->tls, &x->conn, why, sizeof(why));
	if (r != 0) {
		collector_unreachable(x, why);
		return r;
	}
	while ((r = mg_tls_conn_establish(x->conn, why, sizeof(why))) == MG_ERR_AGAIN) {
		int64_t left = deadline - mg_monotonic_ms();
		int w = left > 0 ? wait_for(x, mg_tls_conn_fd(x->conn),
					    mg_tls_conn_events(x->conn), left) : 0;

		if (w < 0 || left <= 0) {
			snprintf(why, sizeof(why), "no connection within %d s",
				 EXPORT_CONNECT_MS / 1000);
			break;
		}
	}
	if (r != 0) {
		mg_tls_conn_free(x->conn);
		x->conn = NULL;
		if (!atomic_load(&x->stopping))
			collector_unreachable(x, why);
		return r == MG_ERR_AGAIN ? MG_ERR_UNAVAILABLE : r;
	}
	x->failures = 0;
	if (x->down)
		mg_log_info("audit export: syslog collector %s reachable again; sending from seq "
			    "%lld", x->address, (long long)x->safe_seq + 1);
	x->down = false;
	x->catching_up = true;
	return 0;
}

static int write_all(struct mg_audit_exporter *x, const char *buf, size_t len)
{
	int64_t deadline = mg_monotonic_ms() + EXPORT_WRITE_MS;
	char why[200];
	size_t done = 0, n;
	int r;

	while (done < len) {
		r = mg_tls_conn_write(x->conn, buf + done, len - done, &n, why, sizeof(why));
		if (r == 0) {
			done += n;
			continue;
		}
		if (r != MG_ERR_AGAIN) {
			connection_lost(x, why);
			return r;
		}
		r = wait_for(x, mg_tls_conn_fd(x->conn), mg_tls_conn_events(x->conn),
			     deadline - mg_monotonic_ms());
		if (r < 0) {
			connection_drop(x);
			return MG_ERR_AGAIN;
		}
		if (r == 0 && mg_monotonic_ms() >= deadline) {
			connection_lost(x, "the collector takes no data");
			return MG_ERR_UNAVAILABLE;
		}
	}
	return 0;
}

/* ---- the position ---- */

static void position_store(struct mg_audit_exporter *x, int64_t seq)
{
	struct mg_store *s = x->gw->store;
	char value[32];
	int r;

	snprintf(value, sizeof(value), "%lld", (long long)seq);
	if ((r = s->setting_set(s, MG_AUDIT_EXPORT_SETTING, value)) != 0) {
		mg_log_error("audit export: cannot store the position (seq %lld): %s",
			     (long long)seq, mg_strerror(r));
		return;
	}
	x->safe_seq = seq;
	x->candidate_seq = 0;
}

/* Every byte written so far acknowledged by the collector's TCP. */
static bool all_acknowledged(const struct mg_audit_exporter *x)
{
	int unacked = 0;

	return ioctl(mg_tls_conn_fd(x->conn), TIOCOUTQ, &unacked) == 0 && unacked == 0;
}

/* Store the position of records sent a while ago on a connection that is
 * still open and has nothing unacknowledged. */
static void position_settle(struct mg_audit_exporter *x)
{
	int64_t now = mg_monotonic_ms();

	if (x->conn == NULL)
		return;
	if (x->candidate_seq == 0 && x->sent_seq > x->safe_seq) {
		x->candidate_seq = x->sent_seq;
		x->candidate_ms = now;
	}
	if (x->candidate_seq == 0 || now - x->candidate_ms < EXPORT_SETTLE_MS)
		return;
	connection_check(x);
	if (x->conn != NULL && all_acknowledged(x))
		position_store(x, x->candidate_seq);
}

/* ---- records ---- */

static int collect(const struct mg_audit_record *rec, void *arg)
{
	struct mg_audit_exporter *x = arg;

	x->batch[x->nbatch++] = *rec;
	return x->nbatch == EXPORT_BATCH ? BATCH_FULL : 0;
}

static int batch_read(struct mg_audit_exporter *x)
{
	struct mg_store *s = x->gw->store;
	struct mg_audit_filter f = { .after_seq = x->sent_seq };
	int r;

	x->nbatch = 0;
	r = s->audit_list(s, &f, collect, x);
	return r == BATCH_FULL ? 0 : r;
}

static int record_send(struct mg_audit_exporter *x, const struct mg_audit_record *rec)
{
	char *msg = x->frame + MG_SYSLOG_FRAME_PREFIX_MAX, prefix[MG_SYSLOG_FRAME_PREFIX_MAX];
	size_t len, plen;
	int r;

	if ((r = mg_syslog_format(rec, &x->origin, msg, MG_SYSLOG_MESSAGE_MAX + 1, &len)) != 0) {
		/* Cannot happen for a record the trail accepted (test_syslog
		 * checks the largest); skipping beats stopping the export. */
		mg_log_error("audit export: record %lld cannot be formatted; skipped",
			     (long long)rec->seq);
		return 0;
	}
	plen = mg_syslog_frame_prefix(len, prefix);
	memcpy(msg - plen, prefix, plen);
	return write_all(x, msg - plen, plen + len);
}

static void batch_send(struct mg_audit_exporter *x)
{
	for (size_t i = 0; i < x->nbatch && x->conn != NULL; i++) {
		if (record_send(x, &x->batch[i]) != 0)
			break;
		x->sent_seq = x->batch[i].seq;
	}
	memset(x->batch, 0, x->nbatch * sizeof(x->batch[0]));
}

/* ---- the thread ---- */

/* With several gateways on one database, one exports: the one holding
 * the lease, renewed well before it runs out. A store without leases
 * (one gateway) always grants it. */
static bool lease_held(struct mg_audit_exporter *x)
{
	struct mg_store *s = x->gw->store;
	int64_t now = mg_monotonic_ms(), seq;
	int r;

	if (s->lease_acquire == NULL)
		return true;
	if (x->lease_known && now < x->lease_renew_ms)
		return x->leased;
	r = s->lease_acquire(s, MG_AUDIT_EXPORT_LEASE, x->holder, mg_now_ms(),
			     EXPORT_LEASE_TTL_MS);
	x->lease_renew_ms = now + EXPORT_LEASE_RENEW_MS;
	if (r != 0 && r != MG_ERR_BUSY)
		mg_log_error("audit export: cannot take the export lease: %s", mg_strerror(r));
	if (r == 0 && (!x->leased || !x->lease_known)) {
		/* Another gateway may have moved the position meanwhile. */
		if (mg_audit_export_position(s, &seq) == 0)
			x->safe_seq = x->sent_seq = seq;
		mg_log_info("audit export: this gateway exports the audit trail");
	} else if (r == MG_ERR_BUSY && (x->leased || !x->lease_known)) {
		mg_log_info("audit export: another gateway exports the audit trail; standing by");
	}
	x->leased = r == 0;
	x->lease_known = true;
	return x->leased;
}

static void *exporter_main(void *arg)
{
	struct mg_audit_exporter *x = arg;
	int r;

	while (!atomic_load(&x->stopping)) {
		int64_t now = mg_monotonic_ms();

		if (!lease_held(x)) {
			if (x->conn != NULL)
				connection_drop(x);
			wait_for(x, -1, 0, 1000);
			continue;
		}
		if (x->conn == NULL && now < x->retry_ms) {
			wait_for(x, -1, 0, x->retry_ms - now < 1000 ? x->retry_ms - now : 1000);
			continue;
		}
		if (x->conn == NULL && connection_open(x) != 0)
			continue;
		if ((r = batch_read(x)) != 0) {
			mg_log_error("audit export: cannot read the audit trail: %s", mg_strerror(r));
			wait_for(x, -1, 0, 1000);
			continue;
		}
		batch_send(x);
		position_settle(x);
		if (x->conn != NULL && x->nbatch == 0 && x->catching_up &&
		    x->safe_seq == x->sent_seq) {
			mg_log_info("audit export: caught up; the collector has every record up to "
				    "seq %lld", (long long)x->safe_seq);
			x->catching_up = false;
		}
		if (x->conn != NULL && x->nbatch < EXPORT_BATCH &&
		    wait_for(x, mg_tls_conn_fd(x->conn), POLLIN, EXPORT_POLL_MS) > 0)
			connection_check(x);
	}
	/* A clean stop keeps what the collector surely has. */
	if (x->conn != NULL && x->sent_seq > x->safe_seq && all_acknowledged(x))
		position_store(x, x->sent_seq);
	return NULL;
}

static int exporter_tls(struct mg_audit_exporter *x, const struct mg_config *cfg,
			const char *priorities, char *err, size_t errlen)
{
	char ca[MG_PATH_MAX] = "", cert[MG_PATH_MAX], key[MG_PATH_MAX];
	bool own = cfg->syslog_cert[0] != '\0';

	if ((cfg->syslog_ca[0] != '\0' && mg_config_path(cfg, cfg->syslog_ca, ca, sizeof(ca)) != 0) ||
	    mg_config_path(cfg, own ? cfg->syslog_cert : cfg->server_cert, cert, sizeof(cert)) != 0 ||
	    mg_config_path(cfg, own ? cfg->syslog_key : cfg->server_key, key, sizeof(key)) != 0) {
		snprintf(err, errlen, "path too long");
		return MG_ERR_CONFIG;
	}
	return mg_tls_client_new(x->host, ca, cert, key, priorities, &x->tls, err, errlen);
}

static void exporter_free(struct mg_audit_exporter *x)
{
	mg_tls_conn_free(x->conn);
	mg_tls_client_free(x->tls);
	if (x->wake_fd >= 0)
		close(x->wake_fd);
	free(x);
}

int mg_audit_exporter_start(struct gateway *gw, struct mg_audit_exporter **out)
{
	const struct mg_config *cfg = gw->cfg;
	struct mg_audit_exporter *x;
	char err[512];
	int r;

	*out = NULL;
	if (cfg->syslog_address[0] == '\0')
		return 0;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return MG_ERR_NOMEM;
	x->gw = gw;
	x->wake_fd = -1;
	memcpy(x->address, cfg->syslog_address, sizeof(x->address));
	if ((r = mg_tls_address_split(cfg->syslog_address, x->host, sizeof(x->host), x->port,
				      sizeof(x->port), err, sizeof(err))) != 0 ||
	    (cfg->syslog_tls && (r = exporter_tls(x, cfg, gw->tls_priorities, err,
						  sizeof(err))) != 0)) {
		mg_log_error("[syslog] %s", err);
		exporter_free(x);
		return r;
	}
	mg_audit_export_origin(cfg, gw->store, &x->origin);
	snprintf(x->holder, sizeof(x->holder), "%s:%s", x->origin.hostname, cfg->path);
	if ((r = mg_audit_export_position(gw->store, &x->safe_seq)) != 0) {
		mg_log_error("audit export: cannot read the position: %s", mg_strerror(r));
		exporter_free(x);
		return r;
	}
	x->sent_seq = x->safe_seq;
	if ((x->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		exporter_free(x);
		return MG_ERR_IO;
	}
	mg_log_info("audit export: to syslog collector %s (%s), from seq %lld", x->address,
		    x->tls != NULL ? "TLS" : "plain TCP", (long long)x->safe_seq + 1);
	if (pthread_create(&x->thread, NULL, exporter_main, x) != 0) {
		exporter_free(x);
		return MG_ERR_NOMEM;
	}
	*out = x;
	return 0;
}

void mg_audit_exporter_stop(struct mg_audit_exporter *x)
{
	uint64_t one = 1;

	if (x == NULL)
		return;
	atomic_store(&x->stopping, true);
	if (write(x->wake_fd, &one, sizeof(one)) < 0)
		mg_log_debug("audit export: wake failed");	/* the poll times out anyway */
	pthread_join(x->thread, NULL);
	exporter_free(x);
}
