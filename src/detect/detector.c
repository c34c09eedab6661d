/* The detector: its thread follows the audit trail and runs the scans
 * while this gateway holds the "detect" lease, and judges the stored
 * measurements queued by the ingest path; the ingest hooks themselves
 * (rate, implausible values) run on the request's thread. */
#include "detect/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "model/quantity.h"
#include "model/settings.h"

#define LEASE_NAME	"detect"
#define LEASE_TTL_MS	15000
#define TICK_MS		250
#define RECORDS_PER_TICK 1000

int mg_detect_hours_parse(const char *text, unsigned *from, unsigned *to)
{
	unsigned h1, m1, h2, m2;
	char end;

	*from = *to = 0;
	if (text[0] == '\0')
		return 0;
	if (strlen(text) != 11 ||
	    sscanf(text, "%2u:%2u-%2u:%2u%c", &h1, &m1, &h2, &m2, &end) != 4 || h1 > 24 ||
	    h2 > 24 || m1 > 59 || m2 > 59 || (h1 == 24 && m1 > 0) || (h2 == 24 && m2 > 0))
		return MG_ERR_INVALID;
	*from = h1 * 60 + m1;
	*to = h2 * 60 + m2;
	return 0;
}

bool mg_detect_outside_hours(unsigned minute, unsigned from, unsigned to)
{
	if (from == to)
		return false;
	if (from < to)
		return minute < from || minute >= to;
	return minute < from && minute >= to;	/* wraps midnight */
}

/* "a@b, c@d" into the recipient list. */
static int recipients_parse(struct mg_detector *d, const char *text, char *err, size_t errlen)
{
	char copy[sizeof(d->cfg->alerts_email)], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", text);
	for (char *t = strtok_r(copy, ", ", &save); t != NULL; t = strtok_r(NULL, ", ", &save)) {
		if (d->nrecipients == MG_MAIL_RECIPIENTS_MAX) {
			snprintf(err, errlen, "[alerts] email: more than %d addresses",
				 MG_MAIL_RECIPIENTS_MAX);
			return MG_ERR_CONFIG;
		}
		if (mg_mail_address_check(t) != 0) {
			snprintf(err, errlen, "[alerts] email: \"%s\" is not an e-mail address", t);
			return MG_ERR_CONFIG;
		}
		snprintf(d->recipients[d->nrecipients++], MG_MAIL_ADDRESS_MAX + 1, "%s", t);
	}
	return 0;
}

void mg_detect_device_request(struct mg_detector *d, int64_t device_id, int64_t tenant_id,
			      int64_t now_ms)
{
	const unsigned limit = d ? d->cfg->detect_device_rate : 0;
	struct rate_slot *slot;
	bool over = false;
	unsigned count = 0;
	char subject[32];

	if (limit == 0 || device_id <= 0)
		return;
	pthread_mutex_lock(&d->rate_lock);
	slot = &d->rates[(uint64_t)device_id * 2654435761u % RATE_SLOTS];
	if (slot->device_id != device_id || now_ms - slot->window_ms >= 60000) {
		slot->device_id = device_id;	/* a colliding device takes the slot over */
		slot->window_ms = now_ms;
		slot->count = 0;
	}
	count = ++slot->count;
	over = count == limit + 1;		/* once a minute at most */
	pthread_mutex_unlock(&d->rate_lock);
	if (!over)
		return;
	snprintf(subject, sizeof(subject), "device:%lld", (long long)device_id);
	mg_alert_raise(d, "device.rate", MG_SEVERITY_MEDIUM, subject, tenant_id,
		       "device %lld sent more than %u measurements within a minute",
		       (long long)device_id, limit);
}

void mg_detect_implausible(struct mg_detector *d, int64_t device_id, int64_t tenant_id,
			   const char *quantity)
{
	char subject[32];

	snprintf(subject, sizeof(subject), "device:%lld", (long long)device_id);
	mg_alert_raise(d, "measurement.implausible", MG_SEVERITY_MEDIUM, subject, tenant_id,
		       "device %lld sent a %s outside the physiological range (refused)",
		       (long long)device_id,
		       quantity != NULL && mg_quantity_find(quantity) ? quantity : "value");
}

void mg_detect_stored(struct mg_detector *d, int64_t measurement_id,
		      const struct mg_measurement *m)
{
	const struct mg_quantity *weight = mg_quantity_find("body_weight");
	struct stored *s;

	if (d == NULL || d->cfg->detect_weight_jump_percent == 0)
		return;
	for (size_t i = 0; i < m->nvalues; i++) {
		if (m->values[i].quantity != weight)
			continue;
		pthread_mutex_lock(&d->lock);
		if (d->stored_n == STORED_MAX) {
			d->stored_dropped++;	/* detection is best effort; data is stored */
		} else {
			s = &d->stored[(d->stored_head + d->stored_n) % STORED_MAX];
			*s = (struct stored){ measurement_id, m->device_id, m->tenant_id,
					      m->values[i].value };
			d->stored_n++;
			pthread_cond_signal(&d->wake);
		}
		pthread_mutex_unlock(&d->lock);
		return;
	}
}

struct walk {
	struct mg_detector *d;
	unsigned judged;
};

static int judge(const struct mg_audit_record *rec, void *arg)
{
	struct walk *w = arg;

	detect_record(w->d, rec);
	w->d->cursor = rec->seq;
	return ++w->judged >= RECORDS_PER_TICK ? 1 : 0;	/* the rest next tick */
}

/* Judge the records after the persisted cursor, then move it. The first
 * holder ever starts with the records made since this process started:
 * history is not judged again. */
static void follow_trail(struct mg_detector *d, int64_t started_ms)
{
	struct mg_store *s = d->store;
	struct walk w = { d, 0 };
	struct mg_audit_filter f;
	char text[32];
	int64_t before;

	memset(&f, 0, sizeof(f));
	if (mg_store_setting_get(s, MG_SETTING_DETECT_AUDIT_SEQ, text, sizeof(text)) == 0) {
		d->cursor = strtoll(text, NULL, 10);
		f.after_seq = d->cursor;
	} else {
		d->cursor = 0;
		f.since_ms = started_ms;
	}
	before = d->cursor;
	mg_store_audit_list(s, &f, judge, &w);
	if (d->cursor != before) {
		snprintf(text, sizeof(text), "%lld", (long long)d->cursor);
		if (mg_store_setting_set(s, MG_SETTING_DETECT_AUDIT_SEQ, text) != 0)
			mg_log_error("detect: cannot save the audit position");
	}
}

/* The stored measurements queued by the ingest path, on any gateway: each
 * judges its own. */
static void judge_stored(struct mg_detector *d)
{
	struct stored m;

	pthread_mutex_lock(&d->lock);
	while (d->stored_n > 0) {
		m = d->stored[d->stored_head];
		d->stored_head = (d->stored_head + 1) % STORED_MAX;
		d->stored_n--;
		pthread_mutex_unlock(&d->lock);
		detect_jump(d, &m);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
}

static void *detector_main(void *arg)
{
	struct mg_detector *d = arg;
	const struct mg_config *cfg = d->cfg;
	const int64_t started_ms = mg_now_ms();
	struct timespec until;
	bool held = false;
	int64_t now, renew_ms = 0;
	int r;

	d->next_scan_ms = started_ms + (int64_t)cfg->detect_scan_interval * 1000;
	d->next_verify_ms = started_ms + 5000;	/* soon after start, then by interval */
	for (;;) {
		pthread_mutex_lock(&d->lock);
		if (d->stopping) {
			pthread_mutex_unlock(&d->lock);
			break;
		}
		pthread_mutex_unlock(&d->lock);
		judge_stored(d);
		now = mg_now_ms();
		/* Renew (or try to take over) a third into the lease, not every
		 * tick: each try is a durable write. */
		if (now >= renew_ms) {
			r = mg_store_lease_acquire(d->store, LEASE_NAME, d->holder, now,
							LEASE_TTL_MS);
			if (r == 0 && !held)
				mg_log_info("detect: this gateway runs the detection rules");
			else if (r == MG_ERR_BUSY && held)
				mg_log_info("detect: another gateway runs the detection rules");
			else if (r != 0 && r != MG_ERR_BUSY)
				mg_log_error("detect: cannot renew the detection lease: %s "
					     "(detection paused until the store answers)",
					     mg_strerror(r));
			held = r == 0;
			renew_ms = now + LEASE_TTL_MS / 3;
		}
		if (held) {
			follow_trail(d, started_ms);
			if (now >= d->next_scan_ms) {
				detect_scan(d, now);
				d->next_scan_ms = now + (int64_t)cfg->detect_scan_interval * 1000;
			}
			if (cfg->detect_audit_verify_interval > 0 && now >= d->next_verify_ms) {
				detect_verify(d);
				d->next_verify_ms =
					mg_now_ms() + (int64_t)cfg->detect_audit_verify_interval * 1000;
			}
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&d->lock);
		if (!d->stopping && d->stored_n == 0)
			pthread_cond_timedwait(&d->wake, &d->lock, &until);
		pthread_mutex_unlock(&d->lock);
	}
	return NULL;
}

int mg_detector_start(const struct mg_config *cfg, struct mg_store *store,
		      struct mg_keyring *keys, struct mg_mailer *mailer, struct mg_detector **out,
		      char *err, size_t errlen)
{
	struct mg_detector *d;
	char host[64] = "gateway";
	int r;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return MG_ERR_NOMEM;
	d->cfg = cfg;
	d->store = store;
	d->keys = keys;
	d->mailer = mailer;
	if (mg_detect_hours_parse(cfg->detect_admin_hours, &d->hours_from, &d->hours_to) !=
	    0) {
		snprintf(err, errlen, "[detect] admin_hours: \"%s\" is not HH:MM-HH:MM",
			 cfg->detect_admin_hours);
		free(d);
		return MG_ERR_CONFIG;
	}
	if ((r = recipients_parse(d, cfg->alerts_email, err, errlen)) != 0) {
		free(d);
		return r;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(d->holder, sizeof(d->holder), "%.60s:%ld:%08x", host, (long)getpid(),
		 (unsigned)(mg_now_ms() & 0xffffffff));
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->rate_lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	if (pthread_create(&d->thread, NULL, detector_main, d) != 0)
		goto fail;
	d->started = true;
	*out = d;
	return 0;
fail:
	snprintf(err, errlen, "cannot start the detector's thread");
	mg_detector_stop(d);
	return MG_ERR_NOMEM;
}

void mg_detector_stop(struct mg_detector *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_broadcast(&d->wake);
	pthread_mutex_unlock(&d->lock);
	if (d->started)
		pthread_join(d->thread, NULL);
	if (d->stored_dropped > 0)
		mg_log_warning("detect: %lu measurements not judged (queue full)",
			       d->stored_dropped);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->rate_lock);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
