/* Small, bounded, crash-safe file helpers for the device agent's state
 * folder. Every path is checked against MG_PATH_MAX; every read is capped. */
#ifndef MG_DEVICE_FILE_H
#define MG_DEVICE_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Temporary files start with this; nothing that reads the state folder
 * takes them for real data. */
#define MG_DEVICE_TEMP_PREFIX ".tmp-"

/* Join dir and name with '/' into buf of buflen bytes. Returns 0 or
 * MG_ERR_LIMIT if the result does not fit (buf is then ""). */
int mg_device_path_join(char *buf, size_t buflen, const char *dir, const char *name);

/* Read the whole regular file path (no symlink followed at the last
 * component) into *data, NUL-terminated, at most max bytes. *data is the
 * caller's (free). Returns 0, MG_ERR_NOT_FOUND, MG_ERR_LIMIT if larger than
 * max, MG_ERR_INVALID if not a regular file, or MG_ERR_IO. */
int mg_device_file_read(const char *path, size_t max, char **data, size_t *len);

/* Store data as dir/name crash-safely: write dir/.tmp-name with mode, fsync,
 * rename over dir/name (replacing it), fsync dir. Readers see either the old
 * file or the whole new one, never a part. Returns 0, MG_ERR_LIMIT or
 * MG_ERR_IO. */
int mg_device_file_write(const char *dir, const char *name, const void *data,
			 size_t len, mode_t mode);

/* Like mg_device_file_write but never replaces: MG_ERR_EXISTS if dir/name
 * exists already (nothing is changed then). */
int mg_device_file_write_new(const char *dir, const char *name, const void *data,
			     size_t len, mode_t mode);

/* Rename from_dir/name to to_dir/to_name, then fsync both folders so the
 * move survives a crash. Returns 0, MG_ERR_NOT_FOUND, MG_ERR_LIMIT or
 * MG_ERR_IO. */
int mg_device_file_move(const char *from_dir, const char *name, const char *to_dir,
			const char *to_name);

/* Remove dir/name and fsync dir. A missing file is not an error. */
int mg_device_file_remove(const char *dir, const char *name);

/* fsync the folder path so renames and removals in it are durable. */
int mg_device_dir_sync(const char *path);

/* Make folder path with mode 0700 if missing; an existing path must be a
 * real folder (not a symlink). Returns 0, MG_ERR_INVALID or MG_ERR_IO. */
int mg_device_dir_make(const char *path);

/* 1 if path exists (any kind, not following a final symlink), else 0. */
int mg_device_path_exists(const char *path);

#endif
