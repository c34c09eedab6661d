/* The master key and a cache of opened tenant keys, shared by threads. */
#ifndef MG_CRYPTO_KEYRING_H
#define MG_CRYPTO_KEYRING_H

#include <stdint.h>

#include "crypto/keys.h"

struct mg_store;
struct mg_keyring;

/* A keyring over mk (taken over: freed with the keyring) reading wrapped
 * tenant keys from store. *out is the caller's (mg_keyring_free). */
int mg_keyring_new(struct mg_master_key *mk, struct mg_store *store, struct mg_keyring **out);
void mg_keyring_free(struct mg_keyring *kr);

/* Set the store wrapped keys are read from (when it opens after the keys). */
void mg_keyring_set_store(struct mg_keyring *kr, struct mg_store *store);

const struct mg_master_key *mg_keyring_master(const struct mg_keyring *kr);

/* The opened key of tenant_id, valid until the keyring is freed.
 * Returns 0, MG_ERR_NOT_FOUND, or MG_ERR_CRYPTO (wrong master key). */
int mg_keyring_tenant(struct mg_keyring *kr, int64_t tenant_id,
		      const struct mg_tenant_key **out);

#endif
