#include "common/instance_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

int mg_instance_lock_paths(const struct mg_config *cfg, const char *config_path,
			   char paths[MG_INSTANCE_LOCKS][MG_PATH_MAX])
{
	char db[MG_PATH_MAX];
	int n = 0;

	if (snprintf(paths[n], MG_PATH_MAX, "%s.lock", config_path) < MG_PATH_MAX)
		n++;
	if (strcmp(cfg->storage_backend, "sqlite") == 0 &&
	    mg_config_path(cfg, cfg->storage_path, db, sizeof(db)) == 0 &&
	    snprintf(paths[n], MG_PATH_MAX, "%s/medgated.lock", dirname(db)) < MG_PATH_MAX)
		n++;
	return n;
}

int mg_instance_lock(const struct mg_config *cfg, const char *config_path, bool write_pid,
		     char *err, size_t errlen)
{
	char paths[MG_INSTANCE_LOCKS][MG_PATH_MAX], pid[32];
	int n = mg_instance_lock_paths(cfg, config_path, paths), taken = 0, len;

	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	for (int i = 0; i < n; i++) {
		int fd = open(paths[i], O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

		/* A lock file made by root earlier is read-only to the
		 * service account: flock needs no more than reading. */
		if (fd < 0 && errno == EACCES)
			fd = open(paths[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			if (errno == EACCES || errno == EROFS || errno == ENOENT) {
				mg_log_warning("cannot take the instance lock %s (%s)", paths[i],
					       strerror(errno));
				continue;
			}
			snprintf(err, errlen, "%s: %s", paths[i], strerror(errno));
			return MG_ERR_IO;
		}
		/* Readable whatever the umask: the service account must be able
		 * to lock a file root made, and commands to ask it. */
		if (fchmod(fd, 0644) != 0)
			errno = 0;	/* not ours to change: what it is will do */
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			snprintf(err, errlen, "another process holds %s: a medgated runs on this "
				 "instance", paths[i]);
			close(fd);
			return MG_ERR_BUSY;
		}
		if (write_pid && (ftruncate(fd, 0) != 0 || write(fd, pid, (size_t)len) != len))
			errno = 0;	/* read-only to us: the lock is what counts */
		taken++;	/* fd stays open: the lock lasts as long as the process */
	}
	if (taken == 0)
		mg_log_warning("no instance lock taken: backup restore and decommission cannot "
			       "tell that this instance runs");
	return 0;
}

bool mg_instance_running(const struct mg_config *cfg, const char *config_path)
{
	char paths[MG_INSTANCE_LOCKS][MG_PATH_MAX];
	int n = mg_instance_lock_paths(cfg, config_path, paths);
	bool running = false;

	for (int i = 0; i < n && !running; i++) {
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

		if (fd < 0)
			continue;
		if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK)
			running = true;
		close(fd);
	}
	return running;
}
