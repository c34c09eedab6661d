/* One daemon per instance, and commands that must not run beside one
 * (backup restore, decommission) able to tell. medgated holds an flock on
 * up to two files for as long as it runs:
 *   - "<configuration>.lock" beside its configuration, where it can make
 *     one (an instance made by medgatectl init);
 *   - "medgated.lock" in the folder of its SQLite database, which the
 *     service account can always write: under systemd the configuration
 *     sits read-only in /etc and only this one can be made.
 * On PostgreSQL the second does not exist; the database itself tells
 * who is connected (decommission asks it). */
#ifndef MG_COMMON_INSTANCE_LOCK_H
#define MG_COMMON_INSTANCE_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

#define MG_INSTANCE_LOCKS	2

/* The lock files of the instance cfg describes (config_path: the file
 * it was loaded from); returns how many (1 or 2). */
int mg_instance_lock_paths(const struct mg_config *cfg, const char *config_path,
			   char paths[MG_INSTANCE_LOCKS][MG_PATH_MAX]);

/* Take every lock of the instance exclusively, creating the files, and
 * keep them until the process ends. A lock file that cannot be made for
 * want of rights or of its folder (EACCES, EROFS, ENOENT) is passed over
 * with a warning. Returns 0, MG_ERR_BUSY (another process holds one: err
 * names it) or MG_ERR_IO. If write_pid, the pid goes into the files this
 * process may write. */
int mg_instance_lock(const struct mg_config *cfg, const char *config_path, bool write_pid,
		     char *err, size_t errlen);

/* Whether a process holds one of the instance's locks (a medgated runs
 * on it). */
bool mg_instance_running(const struct mg_config *cfg, const char *config_path);

#endif
