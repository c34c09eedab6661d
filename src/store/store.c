#include "store/store.h"

#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "store/ops.h"
#include "store/postgres/postgres.h"
#include "store/sqlite/sqlite.h"

/* A back end whose table lacks an op is refused before it opens: better
 * not to start than to crash on the first call of the missing op. */
static int ops_ready(const struct mg_store_ops *ops, char *err, size_t errlen)
{
	const char *missing;
	int r = mg_store_ops_check(ops, &missing);

	if (r != 0)
		snprintf(err, errlen, "[storage] back end %s lacks the store operation %s",
			 ops->name != NULL ? ops->name : "(unnamed)", missing);
	return r;
}

int mg_store_open(const struct mg_config *cfg, bool create, struct mg_store **out, char *err,
		  size_t errlen)
{
	char path[MG_PATH_MAX];
	int r;

	*out = NULL;
	if (strcmp(cfg->storage_backend, "sqlite") == 0) {
		if ((r = ops_ready(&mg_store_sqlite_ops, err, errlen)) != 0)
			return r;
		if (mg_config_path(cfg, cfg->storage_path, path, sizeof(path)) != 0) {
			snprintf(err, errlen, "[storage] path too long");
			return MG_ERR_LIMIT;
		}
		return mg_store_sqlite_open(path, create, out, err, errlen);
	}
	/* The database must exist: making one is the administrator's (or
	 * tests/pg/pg-server.sh's) job, with the owner and locale it needs. */
	if (strcmp(cfg->storage_backend, "postgresql") == 0) {
		if ((r = ops_ready(&mg_store_postgres_ops, err, errlen)) != 0)
			return r;
		return mg_store_postgres_open(cfg->storage_conninfo, out, err, errlen);
	}
	snprintf(err, errlen, "[storage] backend %s is not available in this build",
		 cfg->storage_backend);
	return MG_ERR_CONFIG;
}

void mg_store_close(struct mg_store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

static const char *const status_names[] = {"active", "blocked", "revoked"};

const char *mg_device_status_name(enum mg_device_status st)
{
	return (unsigned)st < 3 ? status_names[st] : "unknown";
}

int mg_device_status_parse(const char *text, enum mg_device_status *out)
{
	for (unsigned i = 0; i < 3; i++) {
		if (strcmp(text, status_names[i]) == 0) {
			*out = (enum mg_device_status)i;
			return 0;
		}
	}
	return MG_ERR_INVALID;
}

static int name_index(const char *const *names, unsigned n, const char *text)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(text, names[i]) == 0)
			return (int)i;
	return MG_ERR_INVALID;
}

static const char *const severity_names[] = {"low", "medium", "high", "critical"};

const char *mg_severity_name(enum mg_alert_severity sev)
{
	return (unsigned)sev < 4 ? severity_names[sev] : "unknown";
}

int mg_severity_parse(const char *text, enum mg_alert_severity *out)
{
	int i = name_index(severity_names, 4, text);

	if (i < 0)
		return i;
	*out = (enum mg_alert_severity)i;
	return 0;
}

const char *mg_alert_state_name(enum mg_alert_state st)
{
	return st == MG_ALERT_OPEN           ? "open"
	       : st == MG_ALERT_ACKNOWLEDGED ? "acknowledged"
					     : "unknown";
}

static const char *const incident_names[] = {"open", "responding", "recovering", "closed"};

const char *mg_incident_status_name(enum mg_incident_status st)
{
	return (unsigned)st < 4 ? incident_names[st] : "unknown";
}

int mg_incident_status_parse(const char *text, enum mg_incident_status *out)
{
	int i = name_index(incident_names, 4, text);

	if (i < 0)
		return i;
	*out = (enum mg_incident_status)i;
	return 0;
}

void mg_store_space(const struct mg_config *cfg, double *free_bytes, double *total_bytes)
{
	char path[MG_PATH_MAX];
	struct statvfs sv;

	*free_bytes = *total_bytes = NAN;
	if (strcmp(cfg->storage_backend, "sqlite") != 0 ||
	    mg_config_path(cfg, cfg->storage_path, path, sizeof(path)) != 0)
		return;
	if (statvfs(dirname(path), &sv) != 0)
		return;
	/* What an unprivileged writer may still use, as df shows it. */
	*free_bytes = (double)sv.f_bavail * (double)sv.f_frsize;
	*total_bytes = (double)sv.f_blocks * (double)sv.f_frsize;
}

void mg_store_fault(struct mg_store *s, const char *cause, const char *fmt, ...)
{
	int64_t now = mg_now_ms();
	struct mg_store_fault *f = NULL, *oldest = &s->faults[0];
	unsigned long left_out = 0;
	bool log = false;
	char text[512];
	va_list ap;

	pthread_mutex_lock(&s->fault_lock);
	for (size_t i = 0; i < MG_STORE_FAULT_CAUSES && f == NULL; i++) {
		if (strncmp(s->faults[i].cause, cause, sizeof(s->faults[i].cause) - 1) == 0)
			f = &s->faults[i];
		else if (s->faults[i].logged_ms < oldest->logged_ms)
			oldest = &s->faults[i];
	}
	if (f == NULL) {
		f = oldest;	/* a cause not seen lately takes the stalest slot */
		memset(f, 0, sizeof(*f));
		snprintf(f->cause, sizeof(f->cause), "%s", cause);
	}
	if (f->logged_ms == 0 || now - f->logged_ms >= MG_STORE_FAULT_EVERY_MS) {
		log = true;
		left_out = f->repeats;
		f->logged_ms = now;
		f->repeats = 0;
	} else {
		f->repeats++;
	}
	pthread_mutex_unlock(&s->fault_lock);
	if (!log)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (left_out > 0)
		mg_log_error("store: %s (%lu more like it in the last %d s not logged)", text,
			     left_out, MG_STORE_FAULT_EVERY_MS / 1000);
	else
		mg_log_error("store: %s", text);
}
