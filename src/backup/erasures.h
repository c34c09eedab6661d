/* The erasure log: one signed line per patient erasure, kept beside the
 * backups (not inside them), so that a restore can erase again every
 * patient erased after the backup was taken. Each line names the time,
 * the tenant id and the patient's blind index under the tenant key (the
 * restored store has the same tenant keys, so the index finds the same
 * patient there; it is no identifier in clear), chains to the line before
 * by its SHA-256 and is signed with the instance's Ed25519 key (the one
 * that signs backups and audit checkpoints). docs/patient-rights.md. */
#ifndef MG_BACKUP_ERASURES_H
#define MG_BACKUP_ERASURES_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "crypto/keys.h"

#define MG_ERASURE_LOG_NAME	"erasures.log"
#define MG_ERASURE_LOG_MAX	(64u << 20)	/* bytes read at most */

struct mg_erasure {
	int64_t seq;			/* 1, 2, ... */
	int64_t time_ms;
	int64_t tenant_id;
	unsigned char patient[MG_BLIND_INDEX_BYTES];	/* blind index */
};

typedef int (*mg_erasure_cb)(const struct mg_erasure *e, void *arg);

/* The log of this instance: MG_ERASURE_LOG_NAME in the [backup] folder
 * (made if missing). Returns 0 or < 0 with the reason in err. */
int mg_erasure_log_path(const struct mg_config *cfg, char *out, size_t outlen, char *err,
			size_t errlen);

/* Check the whole log at path under a lock, then append e (its seq is
 * set here) signed with mk's key, and sync it. A log whose chain or
 * signatures do not hold is refused (MG_ERR_CRYPTO), so nothing is added
 * to a log that was tampered with. Returns 0 or < 0 with the reason. */
int mg_erasure_log_append(const char *path, const struct mg_master_key *mk,
			  struct mg_erasure *e, char *err, size_t errlen);

/* Walk the log at path in order, checking each line's signature with
 * public_key and its link to the line before; cb for each (non-zero stops
 * and is returned). MG_ERR_NOT_FOUND if there is no log, MG_ERR_CRYPTO
 * (the line named in err) if a line is altered, missing, moved or not
 * signed by public_key, MG_ERR_INVALID if it is not an erasure line. */
int mg_erasure_log_walk(const char *path, const unsigned char public_key[32], mg_erasure_cb cb,
			void *arg, char *err, size_t errlen);

/* The same on a log's text (len bytes): what walk does once it has read
 * the file, and what fuzz/fuzz_erasure_log.c feeds. */
int mg_erasure_log_check(const char *text, size_t len, const unsigned char public_key[32],
			 mg_erasure_cb cb, void *arg, char *err, size_t errlen);

#endif
