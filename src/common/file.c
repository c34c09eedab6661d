#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/limits.h"

int mg_file_read(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t have = 0;
	int fd, r = MG_ERR_IO, saved;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return MG_ERR_IO;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if ((size_t)st.st_size > max) {
		r = MG_ERR_LIMIT;
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	/* Read to the size seen; a file growing meanwhile is cut there. */
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	*out = buf;
	*len = have;
	buf = NULL;
	r = 0;
out:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return r;
}

int mg_file_sync_dir(const char *path)
{
	char dir[MG_PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd, r;

	if (slash == NULL) {
		dir[0] = '.';
		dir[1] = '\0';
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir))
			return MG_ERR_LIMIT;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return MG_ERR_IO;
	r = fsync(fd) == 0 ? 0 : MG_ERR_IO;
	close(fd);
	return r;
}

int mg_file_create(const char *path, const void *data, size_t len, mode_t mode)
{
	const unsigned char *p = data;
	size_t done = 0;
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return errno == EEXIST ? MG_ERR_EXISTS : MG_ERR_IO;
	/* The umask must not widen or narrow what the caller asked for. */
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		done += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return mg_file_sync_dir(path);
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(path);
	errno = saved;
	return MG_ERR_IO;
}

int mg_file_check_private(const char *path, mode_t *mode_out)
{
	struct stat st;

	*mode_out = 0;
	if (stat(path, &st) != 0)
		return MG_ERR_IO;
	*mode_out = st.st_mode & 07777;
	return mg_file_stat_private(&st);
}

int mg_file_stat_private(const struct stat *st)
{
	if ((st->st_mode & 0037) != 0)
		return MG_ERR_DENIED;
	return (st->st_mode & 0040) != 0 && st->st_uid != 0 ? MG_ERR_DENIED : 0;
}

int mg_file_changeable(const char *path, char *why, size_t whylen)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (access(path, F_OK) != 0)
		return MG_ERR_IO;
	if (access(path, W_OK) == 0) {
		snprintf(why, whylen, "%s is writable", path);
		return 1;
	}
	n = slash == NULL ? 1 : slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof(dir))
		return MG_ERR_IO;
	memcpy(dir, slash == NULL ? "." : path, n);
	dir[n] = '\0';
	/* A folder one may write lets one replace the file (unless sticky). */
	if (access(dir, W_OK) == 0) {
		struct stat st;

		if (stat(dir, &st) == 0 && (st.st_mode & S_ISVTX) == 0) {
			snprintf(why, whylen, "its folder %s is writable", dir);
			return 1;
		}
	}
	return 0;
}
