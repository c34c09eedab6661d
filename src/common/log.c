#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/timefmt.h"

/* The one piece of process-wide state outside struct gateway: log lines
 * can come from any thread, including library callbacks. */
static struct {
	pthread_mutex_t lock;
	int fd;
	char ident[32];
	char path[1024];
	enum mg_log_level level;
} logger = { PTHREAD_MUTEX_INITIALIZER, STDERR_FILENO, "medgate", "", MG_LOG_INFO };

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static int log_open_locked(void)
{
	int fd;

	if (logger.path[0] == '\0') {
		logger.fd = STDERR_FILENO;
		return 0;
	}
	fd = open(logger.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return MG_ERR_IO;
	if (logger.fd != STDERR_FILENO)
		close(logger.fd);
	logger.fd = fd;
	return 0;
}

int mg_log_open(const char *ident, const char *path, enum mg_log_level level)
{
	int r;

	pthread_mutex_lock(&logger.lock);
	snprintf(logger.ident, sizeof(logger.ident), "%s", ident);
	if (path == NULL)
		path = "";
	if (strlen(path) >= sizeof(logger.path)) {
		pthread_mutex_unlock(&logger.lock);
		return MG_ERR_LIMIT;
	}
	memcpy(logger.path, path, strlen(path) + 1);
	logger.level = level;
	r = log_open_locked();
	pthread_mutex_unlock(&logger.lock);
	return r;
}

int mg_log_reopen(void)
{
	int r;

	pthread_mutex_lock(&logger.lock);
	r = log_open_locked();
	pthread_mutex_unlock(&logger.lock);
	return r;
}

void mg_log_close(void)
{
	pthread_mutex_lock(&logger.lock);
	if (logger.fd != STDERR_FILENO)
		close(logger.fd);
	logger.fd = STDERR_FILENO;
	logger.path[0] = '\0';
	pthread_mutex_unlock(&logger.lock);
}

int mg_log_level_parse(const char *text, enum mg_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(text, level_names[i]) == 0) {
			*out = (enum mg_log_level)i;
			return 0;
		}
	}
	return MG_ERR_INVALID;
}

void mg_log(enum mg_log_level level, const char *fmt, ...)
{
	char line[2048], stamp[MG_TIME_TEXT_LEN];
	va_list ap;
	int n, m;

	if (level > logger.level)
		return;
	if (mg_time_format(mg_now_ms(), stamp, sizeof(stamp)) != 0)
		stamp[0] = '\0';
	n = snprintf(line, sizeof(line), "%s %s[%ld] %s: ", stamp, logger.ident,
		     (long)getpid(), level_names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	/* A long message is cut at the line size, marked by its newline. */
	n += (size_t)m < sizeof(line) - (size_t)n - 1 ? m : (int)(sizeof(line) - (size_t)n - 2);
	line[n++] = '\n';
	pthread_mutex_lock(&logger.lock);
	if (write(logger.fd, line, (size_t)n) < 0) {
		/* Nowhere left to report a failing log; drop the line. */
	}
	pthread_mutex_unlock(&logger.lock);
}
