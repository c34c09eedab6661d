/* Files: bounded reads, crash-safe creation, key file permission checks. */
#ifndef MG_COMMON_FILE_H
#define MG_COMMON_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Read the whole file at path, at most max bytes, into a new NUL-terminated
 * buffer (*out, caller frees; *len excludes the NUL). Returns 0,
 * MG_ERR_IO (errno kept) or MG_ERR_LIMIT if larger than max. */
int mg_file_read(const char *path, size_t max, char **out, size_t *len);

/* Create path with mode (never overwriting: MG_ERR_EXISTS), write data,
 * fsync the file and its folder. On failure nothing is left behind.
 * Returns 0, MG_ERR_EXISTS or MG_ERR_IO. */
int mg_file_create(const char *path, const void *data, size_t len, mode_t mode);

/* Check that a key file is readable by its owner only. Returns 0,
 * MG_ERR_IO if it cannot be examined, or MG_ERR_DENIED if group or others
 * may read or write it; *mode_out gets its permission bits. */
int mg_file_check_private(const char *path, mode_t *mode_out);

/* fsync the folder that holds path. Returns 0 or MG_ERR_IO. */
int mg_file_sync_dir(const char *path);

#endif
