/* End of life: overwrite files in place, read them back, remove them
 * (NIST SP 800-88 "clear"), and the signed certificate that says what was
 * done (docs/decommission.md). The cryptographic erase itself is the
 * removal of the key files among them: without the master key nothing
 * left in a database, a WAL or a backup can be opened by the gateway. */
#ifndef MG_BACKUP_SANITIZE_H
#define MG_BACKUP_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h"

/* What sanitizing a set of files did and found. */
struct mg_sanitize_tally {
	uint64_t files;		/* regular files overwritten, verified and removed */
	uint64_t bytes;		/* bytes overwritten */
	uint64_t links;		/* symbolic links removed (never followed) */
	uint64_t folders;	/* folders removed */
	uint64_t failures;	/* files not overwritten, not verified, or still there */
	char first_failure[512];	/* the first one, path and reason */
};

/* Overwrite the regular file at path with zeros over its whole length,
 * fsync, read it back and check every byte, then remove it and fsync its
 * folder. A symbolic link is removed, never followed. A path that does
 * not exist counts as nothing. Failures are counted in t, never fatal:
 * the caller goes on with the next file and reports them all. */
void mg_sanitize_file(const char *path, struct mg_sanitize_tally *t);

/* mg_sanitize_file on every file under dir, then remove its folders,
 * dir last. Mount points below dir are left alone (counted as failures). */
void mg_sanitize_tree(const char *dir, struct mg_sanitize_tally *t);

/* The certificate: a JSON object (certificate.c) signed with the
 * instance's Ed25519 key over its canonical text (keys sorted, compact,
 * the "signature" member left out). */
#define MG_CERTIFICATE_MAX	(64 * 1024)

/* Sign the certificate text cert (a JSON object without "signature") with
 * the instance key of mk and write it, pretty and with its signature, to
 * path (a new file, 0644). Returns 0, MG_ERR_INVALID (cert is not a JSON
 * object), MG_ERR_EXISTS or MG_ERR_IO. */
int mg_certificate_write(const struct mg_master_key *mk, const char *cert, const char *path);

/* Check the certificate in text: its signature with the public key it
 * names, and, if expect_key is not NULL (64 hex digits), that this is the
 * key. Returns 0 (the certificate's result, "passed" or "failed", in
 * result), MG_ERR_INVALID (not a certificate) or MG_ERR_CRYPTO (the
 * signature does not verify, or another key signed it), why in err. */
int mg_certificate_verify(const char *text, size_t len, const char *expect_key, char *result,
			  size_t resultlen, char *err, size_t errlen);

#endif
