/* The audit exporter's thread: read the records after the last one the
 * collector is known to have, send them, and move that position once the
 * connection has carried them for a while with every byte acknowledged
 * by the collector's TCP. Anything less certain is sent again after a
 * reconnect (the seq in the structured data tells duplicates apart).
 * docs/internals/audit.md ("Export") explains the choices. */
#include "audit/exporter.h"
#include "audit/export_internal.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "model/settings.h"
#include "tls/conn.h"

#define BATCH_FULL		1	/* collect's "stop walking" */

void mg_audit_export_origin(const struct mg_config *cfg, struct mg_store *s,
			    struct mg_syslog_origin *o)
{
	char site[MG_SYSLOG_SITE_ID_MAX + 1] = "";
	int facility = 10;

	if (mg_syslog_facility(cfg->syslog_facility, &facility) != 0)
		facility = 10;
	/* The instance id the outbox keeps; absent before the first start. */
	if (mg_store_setting_get(s, MG_SETTING_INSTANCE_ID, site, sizeof(site)) != 0)
		site[0] = '\0';
	mg_syslog_origin_init(o, facility, site);
}

int mg_audit_export_position(struct mg_store *s, int64_t *seq_out)
{
	char value[32];
	int r;

	*seq_out = 0;
	r = mg_store_setting_get(s, MG_SETTING_SYSLOG_SENT_SEQ, value, sizeof(value));
	if (r == MG_ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	return mg_setting_seq_parse(value, seq_out);
}

/* ---- the position ---- */

static void position_store(struct mg_audit_exporter *x, int64_t seq)
{
	struct mg_store *s = x->store;
	char value[32];
	int r;

	snprintf(value, sizeof(value), "%lld", (long long)seq);
	if ((r = mg_store_setting_set(s, MG_SETTING_SYSLOG_SENT_SEQ, value)) != 0) {
		mg_log_error("audit export: cannot store the position (seq %lld): %s",
			     (long long)seq, mg_strerror(r));
		return;
	}
	x->safe_seq = seq;
	x->candidate_seq = 0;
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
	export_conn_check(x);
	if (x->conn != NULL && export_conn_acknowledged(x))
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
	struct mg_store *s = x->store;
	struct mg_audit_filter f = { .after_seq = x->sent_seq };
	int r;

	x->nbatch = 0;
	r = mg_store_audit_list(s, &f, collect, x);
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
	return export_conn_write(x, msg - plen, plen + len);
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
 * the lease, renewed well before it runs out. */
static bool lease_held(struct mg_audit_exporter *x)
{
	struct mg_store *s = x->store;
	int64_t now = mg_monotonic_ms(), seq;
	int r;

	if (x->lease_known && now < x->lease_renew_ms)
		return x->leased;
	r = mg_store_lease_acquire(s, MG_AUDIT_EXPORT_LEASE, x->holder, mg_now_ms(),
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
				export_conn_drop(x);
			export_wait(x, -1, 0, 1000);
			continue;
		}
		if (x->conn == NULL && now < x->retry_ms) {
			export_wait(x, -1, 0, x->retry_ms - now < 1000 ? x->retry_ms - now : 1000);
			continue;
		}
		if (x->conn == NULL && export_conn_open(x) != 0)
			continue;
		if ((r = batch_read(x)) != 0) {
			mg_log_error("audit export: cannot read the audit trail: %s", mg_strerror(r));
			export_wait(x, -1, 0, 1000);
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
		    export_wait(x, mg_tls_conn_fd(x->conn), POLLIN, EXPORT_POLL_MS) > 0)
			export_conn_check(x);
	}
	/* A clean stop keeps what the collector surely has. */
	if (x->conn != NULL && x->sent_seq > x->safe_seq && export_conn_acknowledged(x))
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

int mg_audit_exporter_start(const struct mg_config *cfg, struct mg_store *store,
			    const char *tls_priorities, struct mg_audit_exporter **out)
{
	struct mg_audit_exporter *x;
	char err[512], holder[MG_SYSLOG_HOSTNAME_MAX + MG_PATH_MAX + 2];
	size_t n;
	int r;

	*out = NULL;
	if (cfg->syslog_address[0] == '\0')
		return 0;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return MG_ERR_NOMEM;
	x->cfg = cfg;
	x->store = store;
	x->wake_fd = -1;
	memcpy(x->address, cfg->syslog_address, sizeof(x->address));
	if ((r = mg_tls_address_split(cfg->syslog_address, x->host, sizeof(x->host), x->port,
				      sizeof(x->port), err, sizeof(err))) != 0 ||
	    (cfg->syslog_tls && (r = exporter_tls(x, cfg, tls_priorities, err,
						  sizeof(err))) != 0)) {
		mg_log_error("[syslog] %s", err);
		exporter_free(x);
		return r;
	}
	mg_audit_export_origin(cfg, store, &x->origin);
	/* Stable across restarts, so a restarted gateway keeps its own lease;
	 * cut to what the store takes. */
	snprintf(holder, sizeof(holder), "%s:%s", x->origin.hostname, cfg->path);
	n = strnlen(holder, sizeof(x->holder) - 1);
	memcpy(x->holder, holder, n);
	x->holder[n] = '\0';
	if ((r = mg_audit_export_position(store, &x->safe_seq)) != 0) {
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
