/* The retention job (backup/retention.h). */
#include "backup/retention.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "model/settings.h"

#define RETENTION_LEASE		"retention"
#define RETENTION_LEASE_MS	(10LL * 60 * 1000)	/* longer than a run takes */
#define RETENTION_EVERY_MS	(60LL * 60 * 1000)
#define RETENTION_FIRST_MS	3000
#define DAY_MS			86400000LL

struct mg_retention {
	struct mg_store *store;
	const struct mg_master_key *mk;
	unsigned keep_days;
	char holder[MG_NAME_MAX + 1];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
};

/* Add n to the count in all, and note the time of the run. */
static void count_add(struct mg_store *store, int64_t n, int64_t now_ms)
{
	char value[32];
	int64_t total = 0;

	if (mg_store_setting_get(store, MG_SETTING_RETENTION_ERASED, value, sizeof(value)) == 0)
		mg_setting_seq_parse(value, &total);
	snprintf(value, sizeof(value), "%lld", (long long)(total + n));
	if (n > 0 && mg_store_setting_set(store, MG_SETTING_RETENTION_ERASED, value) != 0)
		mg_log_error("retention: cannot count the erased measurements");
	snprintf(value, sizeof(value), "%lld", (long long)now_ms);
	mg_store_setting_set(store, MG_SETTING_RETENTION_LAST_MS, value);
}

int mg_retention_run(struct mg_store *store, const struct mg_master_key *mk, unsigned keep_days,
		     const char *holder, int64_t now_ms, int64_t *erased_out)
{
	char details[128];
	struct mg_audit_record rec;
	struct mg_audit_event e = {
		.actor = "system", .address = "local", .action = "retention.erase",
		.object = "measurements", .details = details,
	};
	int64_t n = 0, total = 0, before = now_ms - (int64_t)keep_days * DAY_MS;
	int r = 0;

	*erased_out = 0;
	if (keep_days == 0 || before <= 0)
		return 0;
	if ((r = mg_store_lease_acquire(store, RETENTION_LEASE, holder, now_ms,
					RETENTION_LEASE_MS)) != 0)
		return r;
	for (int i = 0; i < MG_RETENTION_BATCHES; i++) {
		if ((r = mg_store_measurement_erase_before(store, before, MG_RETENTION_BATCH, &n)) != 0)
			break;
		total += n;
		if (n < MG_RETENTION_BATCH)
			break;
	}
	if (total > 0 || r != 0) {
		snprintf(details, sizeof(details), "{\"erased\":%lld,\"keep_days\":%u}",
			 (long long)total, keep_days);
		e.outcome = r == 0 ? MG_AUDIT_SUCCESS : MG_AUDIT_FAILURE;
		if (mg_audit_append_record(store, mk, &e, &rec) != 0)
			mg_log_error("retention: cannot record the erasure of %lld measurements",
				     (long long)total);
	}
	count_add(store, total, now_ms);
	if (total > 0)
		mg_log_info("retention: %lld measurements older than %u days erased",
			    (long long)total, keep_days);
	if (r != 0)
		mg_log_error("retention: erasing old measurements failed: %s", mg_strerror(r));
	*erased_out = total;
	return r;
}

static void *retention_main(void *arg)
{
	struct mg_retention *t = arg;
	int64_t due = mg_now_ms() + RETENTION_FIRST_MS, erased;

	pthread_mutex_lock(&t->lock);
	while (!t->stopping) {
		struct timespec ts = { .tv_sec = due / 1000, .tv_nsec = (due % 1000) * 1000000 };

		while (!t->stopping && mg_now_ms() < due)
			pthread_cond_timedwait(&t->wake, &t->lock, &ts);
		if (t->stopping)
			break;
		pthread_mutex_unlock(&t->lock);
		mg_retention_run(t->store, t->mk, t->keep_days, t->holder, mg_now_ms(), &erased);
		pthread_mutex_lock(&t->lock);
		due = mg_now_ms() + RETENTION_EVERY_MS;
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int mg_retention_start(const struct mg_config *cfg, struct mg_store *store,
		       const struct mg_master_key *mk, struct mg_retention **out)
{
	struct mg_retention *t;
	char host[64] = "";

	*out = NULL;
	if (cfg->retention_keep_days == 0)
		return 0;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return MG_ERR_NOMEM;
	t->store = store;
	t->mk = mk;
	t->keep_days = cfg->retention_keep_days;
	gethostname(host, sizeof(host) - 1);
	snprintf(t->holder, sizeof(t->holder), "%.32s:%ld", host, (long)getpid());
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->wake, NULL);
	if (pthread_create(&t->thread, NULL, retention_main, t) != 0) {
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->wake);
		free(t);
		return MG_ERR_NOMEM;
	}
	*out = t;
	return 0;
}

void mg_retention_stop(struct mg_retention *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->wake);
	free(t);
}
