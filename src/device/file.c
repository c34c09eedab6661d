#include "device/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/limits.h"


int mg_device_path_join(char *buf, size_t buflen, const char *dir, const char *name)
{
	int n;

	if (buflen == 0)
		return MG_ERR_LIMIT;
	buf[0] = '\0';
	if (buflen > MG_PATH_MAX)
		buflen = MG_PATH_MAX;
	n = snprintf(buf, buflen, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= buflen) {
		buf[0] = '\0';
		return MG_ERR_LIMIT;
	}
	return 0;
}

int mg_device_file_read(const char *path, size_t max, char **data, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, r;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? MG_ERR_NOT_FOUND :
		       errno == ELOOP ? MG_ERR_INVALID : MG_ERR_IO;
	if (fstat(fd, &st) != 0) {
		r = MG_ERR_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = MG_ERR_INVALID;
		goto out;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
		r = MG_ERR_LIMIT;
		goto out;
	}
	/* One byte more than allowed tells a file that grew meanwhile. */
	if ((buf = malloc(max + 2)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		n = read(fd, buf + got, max + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = MG_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			r = MG_ERR_LIMIT;
			goto out;
		}
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

static int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return MG_ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int mg_device_dir_sync(const char *path)
{
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return MG_ERR_IO;
	if (fsync(fd) != 0)
		r = MG_ERR_IO;
	close(fd);
	return r;
}

/* Write data to a fresh temporary file in dir and fsync it; its path is
 * left in tmp. */
static int temp_write(const char *dir, const char *name, const void *data, size_t len,
		      mode_t mode, char *tmp, size_t tmplen)
{
	char tname[MG_PATH_MAX];
	int fd, r, n;

	n = snprintf(tname, sizeof(tname), MG_DEVICE_TEMP_PREFIX "%s", name);
	if (n < 0 || (size_t)n >= sizeof(tname))
		return MG_ERR_LIMIT;
	if ((r = mg_device_path_join(tmp, tmplen, dir, tname)) != 0)
		return r;
	/* A leftover from a crash is garbage by definition: it was never
	 * renamed into place. Callers hold the lock that serializes writers. */
	if (unlink(tmp) != 0 && errno != ENOENT)
		return MG_ERR_IO;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return MG_ERR_IO;
	r = write_all(fd, data, len);
	if (r == 0 && fsync(fd) != 0)
		r = MG_ERR_IO;
	if (close(fd) != 0 && r == 0)
		r = MG_ERR_IO;
	if (r != 0)
		unlink(tmp);
	return r;
}

int mg_device_file_write(const char *dir, const char *name, const void *data,
			 size_t len, mode_t mode)
{
	char tmp[MG_PATH_MAX], path[MG_PATH_MAX];
	int r;

	if ((r = mg_device_path_join(path, sizeof(path), dir, name)) != 0)
		return r;
	if ((r = temp_write(dir, name, data, len, mode, tmp, sizeof(tmp))) != 0)
		return r;
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return MG_ERR_IO;
	}
	return mg_device_dir_sync(dir);
}

/* rename(2) without replacing: renameat2 where the file system supports
 * it, else link + unlink, which fails on an existing name as well. */
static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST)
		return MG_ERR_EXISTS;
	if (errno != EINVAL && errno != ENOSYS)
		return MG_ERR_IO;
	if (link(from, to) != 0)
		return errno == EEXIST ? MG_ERR_EXISTS : MG_ERR_IO;
	if (unlink(from) != 0)
		return MG_ERR_IO;
	return 0;
}

int mg_device_file_write_new(const char *dir, const char *name, const void *data,
			     size_t len, mode_t mode)
{
	char tmp[MG_PATH_MAX], path[MG_PATH_MAX];
	int r;

	if ((r = mg_device_path_join(path, sizeof(path), dir, name)) != 0)
		return r;
	if (mg_device_path_exists(path))
		return MG_ERR_EXISTS;
	if ((r = temp_write(dir, name, data, len, mode, tmp, sizeof(tmp))) != 0)
		return r;
	if ((r = rename_noreplace(tmp, path)) != 0) {
		unlink(tmp);
		return r;
	}
	return mg_device_dir_sync(dir);
}

int mg_device_file_move(const char *from_dir, const char *name, const char *to_dir,
			const char *to_name)
{
	char from[MG_PATH_MAX], to[MG_PATH_MAX];
	int r;

	if ((r = mg_device_path_join(from, sizeof(from), from_dir, name)) != 0 ||
	    (r = mg_device_path_join(to, sizeof(to), to_dir, to_name)) != 0)
		return r;
	if (rename(from, to) != 0)
		return errno == ENOENT ? MG_ERR_NOT_FOUND : MG_ERR_IO;
	/* One rename changes both folders; syncing both makes it durable. */
	if ((r = mg_device_dir_sync(to_dir)) != 0)
		return r;
	return mg_device_dir_sync(from_dir);
}

int mg_device_file_remove(const char *dir, const char *name)
{
	char path[MG_PATH_MAX];
	int r;

	if ((r = mg_device_path_join(path, sizeof(path), dir, name)) != 0)
		return r;
	if (unlink(path) != 0 && errno != ENOENT)
		return MG_ERR_IO;
	return mg_device_dir_sync(dir);
}

int mg_device_dir_make(const char *path)
{
	struct stat st;

	if (strlen(path) >= MG_PATH_MAX)
		return MG_ERR_LIMIT;
	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return MG_ERR_IO;
	if (lstat(path, &st) != 0)
		return MG_ERR_IO;
	if (!S_ISDIR(st.st_mode))
		return MG_ERR_INVALID;
	return 0;
}

int mg_device_path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}
