/* The exporter's connection to the syslog collector: tls/conn.c driven
 * with poll and deadlines, every wait also watching the stop eventfd. */
#include <poll.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "audit/export_internal.h"
#include "common/backoff.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"

void export_unreachable(struct mg_audit_exporter *x, const char *why)
{
	x->retry_ms = mg_monotonic_ms() + mg_backoff_ms(x->failures++, EXPORT_RETRY_MAX_S * 1000);
	if (!x->down)
		mg_log_warning("audit export: syslog collector %s unreachable: %s; records wait in "
			       "the store and follow when it is back", x->address, why);
	else
		mg_log_debug("audit export: syslog collector %s still unreachable: %s", x->address,
			     why);
	x->down = true;
}

void export_conn_drop(struct mg_audit_exporter *x)
{
	mg_tls_conn_free(x->conn);
	x->conn = NULL;
	if (x->sent_seq > x->safe_seq)
		mg_log_debug("audit export: records after seq %lld will be sent again",
			     (long long)x->safe_seq);
	x->sent_seq = x->safe_seq;
	x->candidate_seq = 0;
}

static void conn_lost(struct mg_audit_exporter *x, const char *why)
{
	export_conn_drop(x);
	export_unreachable(x, why);
}

int export_wait(struct mg_audit_exporter *x, int fd, short events, int64_t ms)
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
void export_conn_check(struct mg_audit_exporter *x)
{
	char buf[512], why[160];
	size_t got;
	int r;

	for (int i = 0; i < 16 && x->conn != NULL; i++) {
		r = mg_tls_conn_read(x->conn, buf, sizeof(buf), &got, why, sizeof(why));
		if (r == MG_ERR_AGAIN)
			return;
		if (r != 0)
			conn_lost(x, why);
	}
}

int export_conn_open(struct mg_audit_exporter *x)
{
	int64_t deadline = mg_monotonic_ms() + EXPORT_CONNECT_MS;
	char why[200];
	int r;

	r = mg_tls_conn_connect(x->host, x->port, x->tls, &x->conn, why, sizeof(why));
	if (r != 0) {
		export_unreachable(x, why);
		return r;
	}
	while ((r = mg_tls_conn_establish(x->conn, why, sizeof(why))) == MG_ERR_AGAIN) {
		int64_t left = deadline - mg_monotonic_ms();
		int w = left > 0 ? export_wait(x, mg_tls_conn_fd(x->conn),
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
			export_unreachable(x, why);
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

int export_conn_write(struct mg_audit_exporter *x, const char *buf, size_t len)
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
			conn_lost(x, why);
			return r;
		}
		r = export_wait(x, mg_tls_conn_fd(x->conn), mg_tls_conn_events(x->conn),
			     deadline - mg_monotonic_ms());
		if (r < 0) {
			export_conn_drop(x);
			return MG_ERR_AGAIN;
		}
		if (r == 0 && mg_monotonic_ms() >= deadline) {
			conn_lost(x, "the collector takes no data");
			return MG_ERR_UNAVAILABLE;
		}
	}
	return 0;
}

bool export_conn_acknowledged(const struct mg_audit_exporter *x)
{
	int unacked = 0;

	return ioctl(mg_tls_conn_fd(x->conn), TIOCOUTQ, &unacked) == 0 && unacked == 0;
}
