/* Running a helper program (pg_dump, pg_restore, medgated for a drill)
 * without a shell: argv as given, safe from a threaded process. */
#ifndef MG_COMMON_RUN_H
#define MG_COMMON_RUN_H

#include <stddef.h>
#include <sys/types.h>

/* Run argv[0] (looked up in PATH) with argv and wait for it. Its standard
 * input is /dev/null, its output is discarded, and the last line it wrote
 * to standard error (at most errlen - 1 bytes) lands in err. Returns 0 if
 * it exited with status 0, MG_ERR_IO if it could not be started or failed
 * (err then names the program and, if it said one, its reason). */
int mg_run(const char *const argv[], char *err, size_t errlen);

/* Start argv[0] in the background, its standard output and error appended
 * to log_path (NULL: discarded). *pid_out is the child's; the caller
 * reaps it (waitpid). Returns 0 or MG_ERR_IO. */
int mg_run_start(const char *const argv[], const char *log_path, pid_t *pid_out);

#endif
