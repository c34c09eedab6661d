/* What a service technician needs inside a maintenance grant, and an
 * administrator at any time (docs/maintenance.md): the tail of the
 * daemon's log, which holds no patient data by rule, and a self-test that
 * tries the store, the disk, the certificates and the EMR destinations and
 * says pass, warn or fail for each. Both are recorded before they run. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "common/utf8.h"
#include "model/settings.h"
#include "web/api_handlers.h"
#include "web/figures.h"

#define LOG_LINES_DEFAULT 200
#define LOG_LINES_MAX     2000
#define LOG_BYTES_MAX     (256 * 1024)	/* read from the end, at most */

/* The last n lines of the len bytes at text, oldest first. A line that is
 * not UTF-8 (the log is ours, but a disk can lie) is shown as such. */
static json_t *tail_lines(const char *text, size_t len, long n)
{
	json_t *lines = json_array();
	size_t start;
	long count = 0;

	if (len > 0 && text[len - 1] == '\n')
		len--;
	for (start = len; start > 0; start--)
		if (text[start - 1] == '\n' && ++count == n)
			break;
	for (size_t at = start; at < len && lines != NULL;) {
		size_t end = at;

		while (end < len && text[end] != '\n')
			end++;
		json_array_append_new(lines, mg_utf8_valid(text + at, end - at)
						     ? json_stringn(text + at, end - at)
						     : json_string("(a line that is not UTF-8)"));
		at = end + 1;
	}
	return lines;
}

enum MHD_Result api_log_tail(struct api_request *rq)
{
	const char *text = api_query(rq, "lines");
	char path[MG_PATH_MAX], *buf = NULL, *end;
	long n = LOG_LINES_DEFAULT;
	struct stat st;
	off_t from;
	ssize_t got;
	int fd;

	if (text != NULL && ((n = strtol(text, &end, 10)) < 1 || n > LOG_LINES_MAX || *end != '\0'))
		return api_error(rq, MHD_HTTP_BAD_REQUEST, "lines: 1 to 2000");
	if (rq->web->cfg->log_file[0] == '\0' ||
	    mg_config_path(rq->web->cfg, rq->web->cfg->log_file, path, sizeof(path)) != 0)
		return api_error(rq, MHD_HTTP_NOT_FOUND,
				 "the daemon logs to standard error (under systemd: the journal, "
				 "journalctl -u medgated), not to a file this can read");
	if (api_audit_first(rq, "log.read", NULL, 0, 0, NULL) != 0)
		return MHD_YES;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return api_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "the log file cannot be read");
	}
	from = st.st_size > LOG_BYTES_MAX ? st.st_size - LOG_BYTES_MAX : 0;
	if ((buf = malloc(LOG_BYTES_MAX + 1)) == NULL) {
		close(fd);
		return MHD_NO;
	}
	got = pread(fd, buf, (size_t)(st.st_size - from), from);
	close(fd);
	if (got < 0) {
		free(buf);
		return api_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "the log file cannot be read");
	}
	{
		/* Reading from the middle: the first, partial line goes. */
		size_t skip = 0;

		if (from > 0)
			while (skip < (size_t)got && buf[skip++] != '\n')
				;
		json_t *lines = tail_lines(buf + skip, (size_t)got - skip, n);

		free(buf);
		return api_json(rq, MHD_HTTP_OK,
				json_pack("{s:s, s:I, s:o}", "file", path, "size",
					  (json_int_t)st.st_size, "lines", lines));
	}
}

struct checks {
	json_t *list;
	int worst;	/* 0 pass, 1 warn, 2 fail */
};

static void check(struct checks *c, const char *name, int level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void check(struct checks *c, const char *name, int level, const char *fmt, ...)
{
	static const char *const results[] = { "pass", "warn", "fail" };
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	json_array_append_new(c->list, json_pack("{s:s, s:s, s:s}", "check", name, "result",
						 results[level], "detail", detail));
	if (level > c->worst)
		c->worst = level;
}

/* Write a setting and read it back: the store takes writes now. */
static void store_round_trip(struct api_request *rq, struct checks *c, int64_t now)
{
	char want[24], got[24] = "";
	int r;

	snprintf(want, sizeof(want), "%lld", (long long)now);
	if ((r = mg_store_setting_set(rq->web->store, MG_SETTING_SELFTEST_LAST_MS, want)) != 0 ||
	    (r = mg_store_setting_get(rq->web->store, MG_SETTING_SELFTEST_LAST_MS, got,
				      sizeof(got))) != 0)
		check(c, "store", 2, "a write and read back failed: %s", mg_strerror(r));
	else if (strcmp(want, got) != 0)
		check(c, "store", 2, "a value written did not read back the same");
	else
		check(c, "store", 0, "%s: a write read back", rq->web->cfg->storage_backend);
}

static void certificate(struct checks *c, int64_t not_after, int64_t now)
{
	char when[MG_TIME_TEXT_LEN];
	int64_t days = (not_after - now) / 86400000;

	if (not_after == 0) {
		check(c, "server certificate", 1, "its end is not known");
		return;
	}
	mg_time_format(not_after, when, sizeof(when));
	check(c, "server certificate", not_after <= now ? 2 : days < MG_CERT_EXPIRY_WARN_DAYS,
	      "valid until %s (%lld days)", when, (long long)days);
}

static void destinations(struct checks *c, const struct web_figures *f)
{
	for (size_t i = 0; i < f->ndest; i++) {
		const struct web_destination *d = &f->dest[i];
		char name[80];
		int64_t age = d->st.oldest_pending_ms ? (f->now_ms - d->st.oldest_pending_ms) / 1000
						      : 0;

		snprintf(name, sizeof(name), "EMR %s", d->name);
		if (!d->enabled)
			check(c, name, 0, "switched off");
		else if (!d->have_stats)
			check(c, name, 2, "its queue cannot be read");
		else if (d->live.last_error_permanent && d->live.last_error_ms > d->live.last_ack_ms)
			check(c, name, 2, "refuses us for good: %s", d->live.last_error);
		else if (d->st.dead > 0 || age > 3600)
			check(c, name, 1, "%lld waiting (oldest %lld s), %lld dead letters",
			      (long long)d->st.pending, (long long)age, (long long)d->st.dead);
		else
			check(c, name, 0, "%lld waiting, %lld delivered", (long long)d->st.pending,
			      (long long)d->st.delivered);
	}
}

enum MHD_Result api_self_test(struct api_request *rq)
{
	struct checks c = { json_array(), 0 };
	struct web_figures f;
	static const char *const verdicts[] = { "pass", "warn", "fail" };
	int64_t now = mg_now_ms();

	if (c.list == NULL)
		return MHD_NO;
	if (api_audit_first(rq, "selftest.run", NULL, 0, 0, NULL) != 0) {
		json_decref(c.list);
		return MHD_YES;
	}
	store_round_trip(rq, &c, now);
	web_figures_read(rq->web, &f);
	if (isnan(f.store_free_bytes))
		check(&c, "free space", 0, "not on this host (the database server's to watch)");
	else
		check(&c, "free space",
		      f.store_free_min_bytes > 0 && f.store_free_bytes < f.store_free_min_bytes ? 2 : 0,
		      "%.0f MiB free of %.0f MiB", f.store_free_bytes / 1048576,
		      f.store_total_bytes / 1048576);
	certificate(&c, f.server_cert_not_after_ms, now);
	destinations(&c, &f);
	if (f.syslog_backlog > 0)
		check(&c, "syslog", f.syslog_backlog > 1000, "%lld audit records not yet sent",
		      (long long)f.syslog_backlog);
	check(&c, "open alerts", f.store.alerts_open[MG_SEVERITY_CRITICAL] > 0 ? 2 : 0,
	      "%lld critical, %lld high", (long long)f.store.alerts_open[MG_SEVERITY_CRITICAL],
	      (long long)f.store.alerts_open[MG_SEVERITY_HIGH]);
	return api_json(rq, MHD_HTTP_OK,
			json_pack("{s:s, s:o, s:o}", "result", verdicts[c.worst], "time",
				  api_time_json(now), "checks", c.list));
}
