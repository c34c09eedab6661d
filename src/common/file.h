/* Files: bounded reads, crash-safe creation, key file permission checks. */
#ifndef MG_COMMON_FILE_H
#define MG_COMMON_FILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Read the whole file at path, at most max bytes, into a new NUL-terminated
 * buffer (*out, caller frees; *len excludes the NUL). Returns 0,
 * MG_ERR_IO (errno kept) or MG_ERR_LIMIT if larger than max. */
int mg_file_read(const char *path, size_t max, char **out, size_t *len);

/* Create path with mode (never overwriting: MG_ERR_EXISTS), write data,
 * fsync the file and its folder. On failure nothing is left behind.
 * Returns 0, MG_ERR_EXISTS or MG_ERR_IO. */
int mg_file_create(const char *path, const void *data, size_t len, mode_t mode);

/* Check that a key file is private: readable by its owner only (0600), or
 * owned by root and readable by its group too (0640 root:medgate, so the
 * service account reads what it cannot change). Returns 0, MG_ERR_IO if
 * it cannot be examined, or MG_ERR_DENIED if others may touch it, its
 * group may write it, or a group that is not root's may read it;
 * *mode_out gets its permission bits. MG_FILE_PRIVATE_FIX says how. */
int mg_file_check_private(const char *path, mode_t *mode_out);

/* The same rule on a file's status (for a file already open). */
int mg_file_stat_private(const struct stat *st);
#define MG_FILE_PRIVATE_FIX "chmod 600, or chown root:SERVICE-GROUP and chmod 640"

/* Whether the current account could change path: write it, or replace it
 * through a writable folder that holds it. Returns 1 (names in why what
 * could be written), 0, or MG_ERR_IO if path cannot be examined. */
int mg_file_changeable(const char *path, char *why, size_t whylen);

/* fsync the folder that holds path. Returns 0 or MG_ERR_IO. */
int mg_file_sync_dir(const char *path);

#endif
