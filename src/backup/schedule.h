/* Scheduled backups: one thread in medgated that makes a backup when
 * [backup] schedule says, into [backup] folder under unique names, keeps
 * the newest [backup] keep of them, and records each outcome on the audit
 * trail. Several gateways on one database take turns through the store
 * lease "backup". docs/backup.md, docs/internals/threads.md. */
#ifndef MG_BACKUP_SCHEDULE_H
#define MG_BACKUP_SCHEDULE_H

#include <stddef.h>

#include "common/config.h"
#include "crypto/keys.h"
#include "store/store.h"

struct mg_backup_scheduler;

/* Start the thread if cfg has a schedule (else *out is NULL and 0 is
 * returned). Refuses (MG_ERR_CONFIG, reason in err) a schedule without a
 * readable recovery public key or a folder it cannot make. cfg, store and
 * mk must outlive the scheduler. */
int mg_backup_scheduler_start(const struct mg_config *cfg, struct mg_store *store,
			      const struct mg_master_key *mk, struct mg_backup_scheduler **out,
			      char *err, size_t errlen);

/* Stop and join the thread (a backup under way is finished first). NULL
 * does nothing. */
void mg_backup_scheduler_stop(struct mg_backup_scheduler *s);

/* The file name of a scheduled backup made at ms: names sort by time.
 * Returns 0 or MG_ERR_LIMIT. */
#define MG_BACKUP_SUFFIX ".mgbackup"
int mg_backup_file_name(const char *instance_id, int64_t ms, char *out, size_t outlen);

#endif
