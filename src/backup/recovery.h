/* The recovery key pair's text form: what `backup keygen` writes and
 * prints on the key sheet, typeable by hand from paper. A key is
 * "MGRK1-" (secret) or "MGRP1-" (public) and 68 hex digits in groups of
 * four: the 32 key bytes and a 2-byte check that catches a mistyped
 * digit. Dashes, spaces, line breaks and case do not matter when read. */
#ifndef MG_BACKUP_RECOVERY_H
#define MG_BACKUP_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>

#define MG_RECOVERY_KEY_BYTES	32
#define MG_RECOVERY_TEXT_MAX	96	/* prefix, 17 groups, dashes, NUL */
#define MG_RECOVERY_FILE_MAX	4096

/* The text of key (secret or public) into out. Returns 0 or MG_ERR_LIMIT. */
int mg_recovery_key_format(bool secret, const unsigned char key[MG_RECOVERY_KEY_BYTES],
			   char *out, size_t outlen);

/* Find the key of the kind asked for in text (len bytes; lines starting
 * with '#' are comments) and decode it. Returns 0, MG_ERR_INVALID (none,
 * or the other kind) or MG_ERR_CRYPTO (its check does not match: a
 * typing error). */
int mg_recovery_key_parse(bool secret, const char *text, size_t len,
			  unsigned char key[MG_RECOVERY_KEY_BYTES]);

#endif
