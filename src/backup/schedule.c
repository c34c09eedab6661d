/* The scheduled backups' thread. */
#include "backup/schedule.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "backup/backup.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"

#define SCHEDULE_LEASE		"backup"
#define SCHEDULE_LEASE_MS	(60LL * 60 * 1000)	/* longer than a backup takes */
#define SCHEDULE_FIRST_MS	5000	/* the first interval backup after start, if none yet */
#define SCHEDULE_FILES_MAX	4096

struct mg_backup_scheduler {
	const struct mg_config *cfg;
	struct mg_store *store;
	const struct mg_master_key *mk;
	unsigned char recipient[32];
	unsigned every_s;
	int daily_minute;
	char folder[MG_PATH_MAX];
	char holder[MG_NAME_MAX + 1];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
};

int mg_backup_file_name(const char *instance_id, int64_t ms, char *out, size_t outlen)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char when[32];

	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm) == 0)
		return MG_ERR_INVALID;
	return snprintf(out, outlen, "medgate-%s-%s%s", instance_id, when, MG_BACKUP_SUFFIX) <
			       (int)outlen ? 0 : MG_ERR_LIMIT;
}

static int names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The scheduled backups in the folder (names of our pattern), oldest
 * first; *n of them, the caller frees each and the array. */
static char **backups_list(const char *folder, size_t *n)
{
	char **names = NULL;
	struct dirent *e;
	DIR *d = opendir(folder);
	size_t suffix = strlen(MG_BACKUP_SUFFIX);

	*n = 0;
	if (d == NULL || (names = calloc(SCHEDULE_FILES_MAX, sizeof(*names))) == NULL) {
		if (d != NULL)
			closedir(d);
		return NULL;
	}
	while ((e = readdir(d)) != NULL && *n < SCHEDULE_FILES_MAX) {
		size_t len = strlen(e->d_name);

		if (strncmp(e->d_name, "medgate-", 8) == 0 && len > suffix &&
		    strcmp(e->d_name + len - suffix, MG_BACKUP_SUFFIX) == 0 &&
		    (names[*n] = strdup(e->d_name)) != NULL)
			(*n)++;
	}
	closedir(d);
	qsort(names, *n, sizeof(*names), names_cmp);
	return names;
}

static void record(struct mg_backup_scheduler *s, const char *action, enum mg_audit_outcome outcome,
		   const char *file, const char *reason, struct mg_audit_record *rec)
{
	char details[MG_AUDIT_DETAILS_MAX + 1];
	json_t *o = json_pack("{ss sb}", "file", file, "scheduled", 1);
	char *text;
	struct mg_audit_record ignored;
	struct mg_audit_event e = {
		.actor = "system", .address = "local", .action = action, .object = "backup",
		.outcome = outcome, .details = details,
	};

	if (o != NULL && reason != NULL)
		json_object_set_new(o, "reason", json_string(reason));
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	snprintf(details, sizeof(details), "%s", text != NULL && strlen(text) < sizeof(details)
						 ? text : "{}");
	free(text);
	json_decref(o);
	if (mg_audit_append_record(s->store, s->mk, &e, rec != NULL ? rec : &ignored) != 0) {
		mg_log_error("backup: cannot record %s on the audit trail", action);
		if (rec != NULL)
			rec->seq = -1;
	}
}

/* Delete the oldest scheduled backups beyond keep. */
static void prune(struct mg_backup_scheduler *s)
{
	char path[MG_PATH_MAX];
	size_t n;
	char **names = backups_list(s->folder, &n);

	for (size_t i = 0; names != NULL && i < n; i++) {
		if (i + s->cfg->backup_keep < n &&
		    snprintf(path, sizeof(path), "%s/%s", s->folder, names[i]) < (int)sizeof(path)) {
			if (unlink(path) == 0)
				record(s, "backup.delete", MG_AUDIT_SUCCESS, path, "beyond keep", NULL);
			else
				mg_log_error("backup: cannot delete %s: %s", path, strerror(errno));
		}
		free(names[i]);
	}
	free(names);
}

static void backup_once(struct mg_backup_scheduler *s)
{
	char id[MG_BACKUP_INSTANCE_ID_LEN + 1], name[128], path[MG_PATH_MAX], err[512];
	struct mg_audit_record rec;
	int version, r;

	if (mg_store_lease_acquire(s->store, SCHEDULE_LEASE, s->holder, mg_now_ms(),
				   SCHEDULE_LEASE_MS) != 0)
		return;	/* another gateway's turn */
	if ((r = mg_backup_instance_id(s->store, id)) != 0 ||
	    (r = mg_store_migrate(s->store, &version)) != 0 ||
	    (r = mg_backup_file_name(id, mg_now_ms(), name, sizeof(name))) != 0) {
		mg_log_error("backup: cannot begin: %s", mg_strerror(r));
		return;
	}
	if (snprintf(path, sizeof(path), "%s/%s", s->folder, name) >= (int)sizeof(path)) {
		mg_log_error("backup: [backup] folder path too long");
		return;
	}
	record(s, "backup.create", MG_AUDIT_SUCCESS, path, NULL, &rec);
	if (rec.seq < 0)
		return;	/* fail closed: nothing unrecorded */
	const struct mg_backup_source src = {
		.cfg = s->cfg, .store = s->store, .mk = s->mk, .recipient = s->recipient,
		.instance_id = id, .schema_version = version, .seq = rec.seq,
	};
	if ((r = mg_backup_create(&src, path, NULL, err, sizeof(err))) != 0) {
		mg_log_error("backup: %s", err);
		record(s, "backup.create", MG_AUDIT_FAILURE, path, err, NULL);
		return;
	}
	mg_log_info("backup: %s written", path);
	prune(s);
}

/* When the next backup is due (wall clock, ms). */
static int64_t next_due(const struct mg_backup_scheduler *s, int64_t now)
{
	char newest[MG_PATH_MAX] = "";
	struct stat st;
	size_t n;
	char **names;

	if (s->every_s == 0) {
		int64_t day = now - now % 86400000, at = day + (int64_t)s->daily_minute * 60000;

		return at > now ? at : at + 86400000;
	}
	if ((names = backups_list(s->folder, &n)) != NULL) {
		if (n > 0 && snprintf(newest, sizeof(newest), "%s/%s", s->folder, names[n - 1]) >=
				     (int)sizeof(newest))
			newest[0] = '\0';
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	if (newest[0] == '\0' || stat(newest, &st) != 0)
		return now + SCHEDULE_FIRST_MS;
	return (int64_t)st.st_mtime * 1000 + (int64_t)s->every_s * 1000;
}

static void *scheduler_main(void *arg)
{
	struct mg_backup_scheduler *s = arg;

	mg_backup_yield_cpu();
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		int64_t due = next_due(s, mg_now_ms());
		struct timespec ts = { .tv_sec = due / 1000, .tv_nsec = (due % 1000) * 1000000 };

		while (!s->stopping && mg_now_ms() < due)
			pthread_cond_timedwait(&s->wake, &s->lock, &ts);
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->lock);
		backup_once(s);
		pthread_mutex_lock(&s->lock);
		if (s->every_s == 0 && !s->stopping) {
			/* Past today's time now: the next is tomorrow's. */
			int64_t after = mg_now_ms() + 61000;
			struct timespec t2 = { .tv_sec = after / 1000 };

			pthread_cond_timedwait(&s->wake, &s->lock, &t2);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int mg_backup_scheduler_start(const struct mg_config *cfg, struct mg_store *store,
			      const struct mg_master_key *mk, struct mg_backup_scheduler **out,
			      char *err, size_t errlen)
{
	struct mg_backup_scheduler *s;
	char host[64] = "";

	*out = NULL;
	err[0] = '\0';
	if (cfg->backup_schedule[0] == '\0')
		return 0;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MG_ERR_NOMEM;
	s->cfg = cfg;
	s->store = store;
	s->mk = mk;
	if (mg_config_schedule_parse(cfg->backup_schedule, &s->every_s, &s->daily_minute) != 0 ||
	    mg_backup_recipient_load(cfg, s->recipient, err, errlen) != 0 ||
	    mg_config_path(cfg, cfg->backup_folder, s->folder, sizeof(s->folder)) != 0 ||
	    (mkdir(s->folder, 0700) != 0 && errno != EEXIST)) {
		if (err[0] == '\0')
			snprintf(err, errlen, "[backup] folder %s: %s", s->folder, strerror(errno));
		free(s);
		return MG_ERR_CONFIG;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(s->holder, sizeof(s->holder), "%.32s:%ld", host, (long)getpid());
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return MG_ERR_NOMEM;
	}
	*out = s;
	return 0;
}

void mg_backup_scheduler_stop(struct mg_backup_scheduler *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	sodium_memzero(s->recipient, sizeof(s->recipient));
	free(s);
}
