/* Backups of a whole instance: the store (a consistent snapshot), the
 * configuration, the certificates and keys, sealed to the recovery key
 * and signed (backup/archive.h); and unpacking one into a folder.
 * docs/backup.md says what a backup holds and how to restore it. */
#ifndef MG_BACKUP_BACKUP_H
#define MG_BACKUP_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "backup/archive.h"
#include "common/config.h"
#include "crypto/keys.h"
#include "store/store.h"

/* Progress of a long step ("snapshot", "encrypt", "decrypt"). */
typedef void (*mg_backup_progress_fn)(void *arg, const char *phase, uint64_t done,
				      uint64_t total);

struct mg_backup_source {
	const struct mg_config *cfg;	/* the instance's files, relative to cfg->dir */
	struct mg_store *store;
	const struct mg_master_key *mk;	/* signs; never goes into the manifest */
	const unsigned char *recipient;	/* recovery public key, 32 bytes */
	const char *instance_id;	/* 16 hex digits */
	int schema_version;
	int64_t seq;			/* the backup.create record's */
	mg_backup_progress_fn progress;	/* may be NULL */
	void *arg;
	/* keys/ca.key, the instance CA's key, read by root before medgatectl
	 * switched to the service account, which cannot read it; NULL: the
	 * backup holds it only if this process can read the file itself. */
	const unsigned char *ca_key;
	size_t ca_key_len;
};

/* Lower the calling thread's CPU priority (nice 10; on Linux a thread's
 * own, and inherited by pg_dump started from it), so that a backup gives
 * way to ingest on a busy machine. */
void mg_backup_yield_cpu(void);

/* Write a backup of the instance to path (never replacing a file). The
 * staged snapshot lies in a private folder beside path while it is made
 * and is removed after. Returns 0 (manifest in *m_out if not NULL) or < 0
 * with the reason in err. */
int mg_backup_create(const struct mg_backup_source *src, const char *path,
		     struct mg_backup_manifest *m_out, char *err, size_t errlen);

/* The recovery public key the configuration names. Returns 0, or < 0
 * with the reason (missing: run backup keygen) in err. */
int mg_backup_recipient_load(const struct mg_config *cfg, unsigned char pk[32], char *err,
			     size_t errlen);

/* This instance's id (the setting instance_id), made if it has none. */
int mg_backup_instance_id(struct mg_store *s, char out[MG_BACKUP_INSTANCE_ID_LEN + 1]);

/* Decrypt r with the recovery secret key into the existing folder dir:
 * medgate.conf, the key and certificate folders by their part names, and
 * the store as store.sqlite or store.pgdump. Files are made 0600 and
 * synced. Returns 0 or < 0 with the reason in err. */
int mg_backup_extract(struct mg_backup_reader *r, const unsigned char *secret_key,
		      const char *dir, mg_backup_progress_fn progress, void *arg, char *err,
		      size_t errlen);

/* Remove a folder tree that a backup step made (files first, depth 2 at
 * most, as extract makes them). Returns 0 or MG_ERR_IO. */
int mg_backup_remove_tree(const char *dir);

#endif
