/* Logging for the daemon and tools: one line per event to a file or
 * stderr. Never pass patient-identifying data to these functions. */
#ifndef MG_COMMON_LOG_H
#define MG_COMMON_LOG_H

enum mg_log_level { MG_LOG_ERROR, MG_LOG_WARNING, MG_LOG_INFO, MG_LOG_DEBUG };

/* Log to path (appending, mode 0640), or to stderr if path is NULL or
 * empty. Returns 0 or MG_ERR_IO. Safe to call again (SIGHUP reopen). */
int mg_log_open(const char *ident, const char *path, enum mg_log_level level);

/* Reopen the log file after rotation. Returns 0 or MG_ERR_IO. */
int mg_log_reopen(void);

/* Parse "error", "warning", "info" or "debug". Returns 0 or MG_ERR_INVALID. */
int mg_log_level_parse(const char *text, enum mg_log_level *out);

void mg_log(enum mg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define mg_log_error(...)	mg_log(MG_LOG_ERROR, __VA_ARGS__)
#define mg_log_warning(...)	mg_log(MG_LOG_WARNING, __VA_ARGS__)
#define mg_log_info(...)	mg_log(MG_LOG_INFO, __VA_ARGS__)
#define mg_log_debug(...)	mg_log(MG_LOG_DEBUG, __VA_ARGS__)

/* Close the log file. */
void mg_log_close(void);

#endif
