/* Writing and reading backup files (format: backup/format.h,
 * docs/backup.md). The writer seals a stream of parts to a recovery
 * public key and signs the file; it cannot read what it wrote. The reader
 * checks the header and the signature without any key, and with the
 * recovery secret key decrypts the parts and checks their SHA-256. */
#ifndef MG_BACKUP_ARCHIVE_H
#define MG_BACKUP_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backup/format.h"
#include "crypto/keys.h"

struct mg_backup_writer;

/* Start a backup file that will appear at path (which must not exist:
 * MG_ERR_EXISTS) only when complete; until then it is a temporary file
 * beside it. m (parts, sizes and hashes filled in) goes into the header.
 * Returns 0 or < 0 with the reason in err. */
int mg_backup_writer_open(const char *path, const struct mg_backup_manifest *m,
			  struct mg_backup_writer **out, char *err, size_t errlen);

/* Append len bytes of the parts' contents, in manifest order. */
int mg_backup_writer_put(struct mg_backup_writer *w, const void *data, size_t len);

/* End the stream, sign (instance key from mk), fsync, and move the file
 * to its name without replacing anything. Frees w whatever happens. */
int mg_backup_writer_close(struct mg_backup_writer *w, const struct mg_master_key *mk,
			   char *err, size_t errlen);

/* Give up: remove the temporary file, free w. NULL does nothing. */
void mg_backup_writer_abort(struct mg_backup_writer *w);

struct mg_backup_reader;

/* Open the file at path and check it without a key: header, manifest,
 * length, and the signature over the whole file with the signing key the
 * manifest names. Returns 0, MG_ERR_IO, MG_ERR_INVALID (not a backup,
 * truncated, malformed) or MG_ERR_CRYPTO (changed) with the reason. */
int mg_backup_reader_open(const char *path, struct mg_backup_reader **out, char *err,
			  size_t errlen);
const struct mg_backup_manifest *mg_backup_reader_manifest(const struct mg_backup_reader *r);
void mg_backup_reader_free(struct mg_backup_reader *r);

/* SHA-256 of the first len bytes of the open file fd. Returns 0,
 * MG_ERR_NOMEM or MG_ERR_IO. */
int mg_backup_file_digest(int fd, uint64_t len, unsigned char digest[MG_BACKUP_SHA256_BYTES]);

/* Receives each part's bytes in order: data/len pieces, then one call
 * with last set (len 0) once the part's SHA-256 checked out. Returns 0 to
 * go on, else the error to stop with. */
typedef int (*mg_backup_part_fn)(void *arg, const struct mg_backup_part *part,
				 const unsigned char *data, size_t len, bool last);

/* Decrypt with the recovery secret key and hand every part to fn.
 * MG_ERR_CRYPTO: the key does not fit, or the payload was changed;
 * MG_ERR_INVALID: a part's hash or the stream's end is wrong. A piece
 * given to fn is only trusted once its part's last call came. */
int mg_backup_reader_decrypt(struct mg_backup_reader *r, const unsigned char *secret_key,
			     mg_backup_part_fn fn, void *arg,
			     void (*progress)(void *arg, uint64_t done, uint64_t total),
			     char *err, size_t errlen);

#endif
