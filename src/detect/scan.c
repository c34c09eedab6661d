/* The periodic scans (stale EMR queues, silent devices, device
 * certificates close to expiry, the audit chain) and the jump rule for
 * stored measurements. */
#include "detect/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "access/session.h"
#include "audit/audit.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"

static void scan_outbox(struct mg_detector *d, int64_t now_ms)
{
	const struct mg_config *cfg = d->cfg;
	const int64_t limit = (int64_t)cfg->detect_emr_queue_age * 1000;
	struct mg_outbox_stats st;
	char subject[MG_NAME_MAX + 8];

	if (limit == 0)
		return;
	for (size_t i = 0; i < cfg->nemr; i++) {
		const char *name = cfg->emr[i].name;

		if (mg_store_outbox_stats(d->store, name, &st) != 0 ||
		    st.oldest_pending_ms == 0 || now_ms - st.oldest_pending_ms < limit)
			continue;
		snprintf(subject, sizeof(subject), "emr:%s", name);
		mg_alert_raise(d, "emr.queue_age", MG_SEVERITY_HIGH, subject, 0,
			       "the oldest of %lld messages for EMR %s has waited %lld s (limit "
			       "%u s)", (long long)st.pending, name,
			       (long long)((now_ms - st.oldest_pending_ms) / 1000),
			       cfg->detect_emr_queue_age);
	}
}

struct device_walk {
	struct mg_detector *d;
	int64_t now_ms, silent_ms, expiry_ms;	/* 0: that rule is off */
};

static void silent_device(const struct device_walk *w, const struct mg_device *dev,
			  const char *subject)
{
	int64_t seen = dev->last_seen_ms ? dev->last_seen_ms : dev->created_ms;

	if (w->silent_ms == 0 || w->now_ms - seen < w->silent_ms)
		return;
	mg_alert_raise(w->d, "device.silent", MG_SEVERITY_LOW, subject, dev->tenant_id,
		       "device %lld has not been seen for %lld s (limit %lld s)",
		       (long long)dev->id, (long long)((w->now_ms - seen) / 1000),
		       (long long)(w->silent_ms / 1000));
}

/* A certificate that expires within the configured days: the device must
 * renew it (EST simplereenroll) or it can no longer deliver. */
static void expiring_device(const struct device_walk *w, const struct mg_device *dev,
			    const char *subject)
{
	int64_t left = dev->cert_not_after_ms - w->now_ms;
	char when[MG_TIME_TEXT_LEN];

	if (w->expiry_ms == 0 || left > w->expiry_ms)
		return;
	mg_time_format(dev->cert_not_after_ms, when, sizeof(when));
	mg_alert_raise(w->d, "device.certificate_expiry",
		       left <= 0 ? MG_SEVERITY_HIGH : MG_SEVERITY_MEDIUM, subject, dev->tenant_id,
		       left <= 0 ? "the certificate of device %lld expired on %s: enrol it anew"
				 : "the certificate of device %lld expires on %s: renew it "
				   "(medgate-device reenroll, EST simplereenroll)",
		       (long long)dev->id, when);
}

static int scan_device(const struct mg_device *dev, void *arg)
{
	struct device_walk *w = arg;
	char subject[32];

	if (dev->status != MG_DEVICE_ACTIVE)
		return 0;
	snprintf(subject, sizeof(subject), "device:%lld", (long long)dev->id);
	silent_device(w, dev, subject);
	expiring_device(w, dev, subject);
	return 0;
}

static void session_gone(int64_t user_id, const char *address, bool idle, void *arg)
{
	struct mg_detector *d = arg;

	mg_session_audit_timeout(d->store, d->keys, user_id, address, idle ? "idle" : "lifetime");
}

/* Warn while the disk can still take the repair: below [detect]
 * store_free_min MiB free where the SQLite store lives. */
static void scan_store_space(struct mg_detector *d)
{
	const double min = (double)d->cfg->detect_store_free_min * 1024.0 * 1024.0;
	double free_bytes, total;

	if (min == 0)
		return;
	mg_store_space(d->cfg, &free_bytes, &total);
	if (isnan(free_bytes) || free_bytes >= min)
		return;
	mg_alert_raise(d, "store.free_space", MG_SEVERITY_HIGH, "store", 0,
		       "only %.0f MiB free where the store lives (limit %u MiB of %.0f MiB): "
		       "free space or move the store before it is full",
		       free_bytes / 1048576.0, d->cfg->detect_store_free_min, total / 1048576.0);
}

void detect_scan(struct mg_detector *d, int64_t now_ms)
{
	struct device_walk w = { d, now_ms, (int64_t)d->cfg->detect_device_silent * 1000,
				 (int64_t)d->cfg->detect_certificate_expiry * 86400 * 1000 };

	/* Sessions nobody came back to end here, on the trail like the rest. */
	mg_store_session_sweep(d->store, now_ms,
				    (int64_t)d->cfg->session_idle_timeout * 1000, session_gone, d);
	scan_outbox(d, now_ms);
	scan_store_space(d);
	if (w.silent_ms > 0 || w.expiry_ms > 0)
		mg_store_device_list(d->store, 0, scan_device, &w);
}

void detect_verify(struct mg_detector *d)
{
	struct mg_audit_verdict v;
	int r = mg_audit_verify(d->store, mg_keyring_master(d->keys), NULL, &v);

	if (r != 0) {
		mg_log_error("detect: cannot verify the audit trail: %s", mg_strerror(r));
		return;
	}
	if (v.fault == MG_AUDIT_INTACT) {
		mg_log_debug("detect: audit trail of %lld records verified", (long long)v.records);
		return;
	}
	mg_alert_raise(d, "audit.chain", MG_SEVERITY_CRITICAL, "audit", 0,
		       "the audit trail fails verification at record %lld (%s): %s",
		       (long long)v.first_bad, mg_audit_fault_name(v.fault), v.reason);
}

void detect_jump(struct mg_detector *d, const struct stored *m)
{
	const struct mg_config *cfg = d->cfg;
	double prev, change;
	int64_t prev_ms;
	char subject[32];

	if (mg_store_measurement_previous_value(d->store, m->measurement_id,
						     "body_weight",
						     (int64_t)cfg->detect_jump_window * 1000, &prev,
						     &prev_ms) != 0 ||
	    prev <= 0)
		return;
	change = fabs(m->weight - prev) / prev * 100.0;
	if (change <= (double)cfg->detect_weight_jump_percent)
		return;
	snprintf(subject, sizeof(subject), "device:%lld", (long long)m->device_id);
	/* Administrators and security officers read this: what happened and
	 * where, not the clinical fact (the clinician sees that with the
	 * patient's measurements). */
	mg_alert_raise(d, "measurement.jump", MG_SEVERITY_MEDIUM, subject, m->tenant_id,
		       "implausible jump in a measured value on device %lld (measurement %lld, "
		       "beyond the configured limit within %u s): possible manipulation or "
		       "mix-up", (long long)m->device_id, (long long)m->measurement_id,
		       cfg->detect_jump_window);
}
