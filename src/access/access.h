/* What sign-in and sessions need, made once by the daemon and handed to
 * the web port: the configuration's [access] limits, the store, the keys,
 * and the hash unknown accounts are checked against (so they take as long
 * as known ones). Read-only after mg_access_new, so any thread may use it. */
#ifndef MG_ACCESS_ACCESS_H
#define MG_ACCESS_ACCESS_H

#include "common/config.h"
#include "crypto/keyring.h"
#include "store/store.h"

struct mg_access {
	const struct mg_config *cfg;
	struct mg_store *store;
	struct mg_keyring *keys;
	char dummy_hash[128];
};

/* cfg, store and keys must outlive the result. Returns 0, MG_ERR_NOMEM or
 * MG_ERR_CRYPTO. *out is the caller's (mg_access_free). */
int mg_access_new(const struct mg_config *cfg, struct mg_store *store, struct mg_keyring *keys,
		  struct mg_access **out);
void mg_access_free(struct mg_access *ax);

#endif
