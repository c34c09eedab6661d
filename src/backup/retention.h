/* Retention: the daemon erases measurements that reached the gateway more
 * than [retention] keep_days ago, each hour, in bounded batches, under a
 * store lease (one gateway of several at a time), audited per run with a
 * count and no patient data; the count in all is kept in a setting for
 * the security page. docs/patient-rights.md. */
#ifndef MG_BACKUP_RETENTION_H
#define MG_BACKUP_RETENTION_H

#include <stdint.h>

#include "common/config.h"
#include "crypto/keys.h"
#include "store/store.h"

#define MG_RETENTION_BATCH	1000	/* measurements per transaction */
#define MG_RETENTION_BATCHES	100	/* transactions per run at most */

struct mg_retention;

/* One run at now_ms: erase up to MG_RETENTION_BATCH * MG_RETENTION_BATCHES
 * measurements older than keep_days, record it and count it. *erased_out
 * gets how many. MG_ERR_BUSY while another gateway holds the lease. */
int mg_retention_run(struct mg_store *store, const struct mg_master_key *mk, unsigned keep_days,
		     const char *holder, int64_t now_ms, int64_t *erased_out);

/* Start the hourly job (the first run a few seconds after start); *out
 * stays NULL when keep_days is 0. Returns 0 or MG_ERR_NOMEM. */
int mg_retention_start(const struct mg_config *cfg, struct mg_store *store,
		       const struct mg_master_key *mk, struct mg_retention **out);
void mg_retention_stop(struct mg_retention *r);

#endif
