/* Overwrite, read back, remove: the "clear" half of decommissioning. On
 * flash and copy-on-write file systems an overwrite in place may land in
 * new blocks and leave the old ones to the drive; that is why the keys go
 * with the files, and why docs/decommission.md calls the cryptographic
 * erase the sanitization of record and the overwrite a second measure. */
#include "backup/sanitize.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"

#define CHUNK	(64 * 1024)

static const unsigned char zeros[CHUNK];

static void fail(struct mg_sanitize_tally *t, const char *path, const char *why)
{
	if (t->failures++ == 0)
		snprintf(t->first_failure, sizeof(t->first_failure), "%s: %s", path, why);
}

/* Zeros over [0, size), flushed to the device. */
static int overwrite(int fd, off_t size)
{
	for (off_t off = 0; off < size;) {
		size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		ssize_t w = pwrite(fd, zeros, n, off);

		if (w <= 0)
			return -1;
		off += w;
	}
	return fsync(fd);
}

/* Every byte of [0, size) reads back as zero. */
static bool reads_zero(int fd, off_t size)
{
	unsigned char buf[CHUNK];

	for (off_t off = 0; off < size;) {
		size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		ssize_t got = pread(fd, buf, n, off);

		if (got <= 0 || memcmp(buf, zeros, (size_t)got) != 0)
			return false;
		off += got;
	}
	return true;
}

void mg_sanitize_file(const char *path, struct mg_sanitize_tally *t)
{
	struct stat st;
	off_t size;
	int fd;

	if (lstat(path, &st) != 0) {
		if (errno != ENOENT)
			fail(t, path, strerror(errno));
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		if (unlink(path) != 0)
			fail(t, path, strerror(errno));
		else
			t->links++;
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(t, path, "not a regular file; left alone");
		return;
	}
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		fail(t, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	size = st.st_size;
	if (overwrite(fd, size) != 0) {
		fail(t, path, "cannot overwrite");
		close(fd);
		return;
	}
	/* Read through a cache that fsync has made agree with the device;
	 * dropping the cached pages first makes the read go to it. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (!reads_zero(fd, size)) {
		fail(t, path, "does not read back as zeros");
		close(fd);
		return;
	}
	close(fd);
	if (unlink(path) != 0 || mg_file_sync_dir(path) != 0 || lstat(path, &st) == 0) {
		fail(t, path, "overwritten but not removed");
		return;
	}
	t->files++;
	t->bytes += (uint64_t)size;
}

/* nftw passes no argument: the tally of the walk under way. One walk at a
 * time per thread. */
static _Thread_local struct mg_sanitize_tally *walk_tally;

static int tree_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP) {
		if (rmdir(path) != 0)
			fail(walk_tally, path, strerror(errno));
		else
			walk_tally->folders++;
	} else if (flag == FTW_DNR || flag == FTW_NS) {
		fail(walk_tally, path, "cannot be read");
	} else {
		mg_sanitize_file(path, walk_tally);
	}
	return 0;
}

void mg_sanitize_tree(const char *dir, struct mg_sanitize_tally *t)
{
	struct stat st;

	if (lstat(dir, &st) != 0 && errno == ENOENT)
		return;
	walk_tally = t;
	/* FTW_MOUNT: a file system mounted below dir is not ours to clear;
	 * its mount point stays, and the rmdir of it counts as a failure. */
	if (nftw(dir, tree_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		fail(t, dir, strerror(errno));
	walk_tally = NULL;
}
