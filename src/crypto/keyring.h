/* The master key and a cache of opened tenant keys, shared by threads. */
#ifndef MG_CRYPTO_KEYRING_H
#define MG_CRYPTO_KEYRING_H

#include <stdint.h>

#include "crypto/keys.h"

struct mg_keyring;

/* Where wrapped tenant keys come from (the store, which sits above
 * crypto/): fill wrapped (len = MG_WRAPPED_KEY_BYTES) with tenant_id's.
 * Returns 0, MG_ERR_NOT_FOUND or another MG_ERR_*. */
typedef int (*mg_wrapped_key_fn)(void *arg, int64_t tenant_id, unsigned char *wrapped,
				 size_t len);

/* A keyring over mk (taken over: freed with the keyring). *out is the
 * caller's (mg_keyring_free). */
int mg_keyring_new(struct mg_master_key *mk, struct mg_keyring **out);
void mg_keyring_free(struct mg_keyring *kr);

/* Read wrapped tenant keys through fn(arg, ...) from now on (set once,
 * when the store opens after the keys were loaded, before any thread asks
 * for a tenant key). Without it, mg_keyring_tenant answers MG_ERR_NOT_FOUND. */
void mg_keyring_set_source(struct mg_keyring *kr, mg_wrapped_key_fn fn, void *arg);

/* Follow the master key file at path (the one mk was loaded from): when
 * a tenant key does not open, or before a new tenant key is made, the
 * keyring loads the file again if it was replaced since (medgatectl key
 * rotate), so a running daemon follows a rotation without a restart.
 * The master key it had stays valid until the keyring is freed (threads
 * may hold it; what they use it for is the same in both). */
void mg_keyring_watch(struct mg_keyring *kr, const char *path);

/* The current master key, valid until the keyring is freed. */
const struct mg_master_key *mg_keyring_master(const struct mg_keyring *kr);

/* The key a patient's identifier or identity record is sealed under: the
 * patient key in wrapped (wrapped_len MG_WRAPPED_KEY_BYTES), opened with
 * tenant_id's key, or with wrapped_len 0 (rows sealed before patient
 * keys) the tenant key itself. *key is valid until mg_tenant_key_free of
 * *owned (NULL when it is the tenant's, which the keyring keeps).
 * Returns 0, the keyring's error, or MG_ERR_CRYPTO. */
int mg_keyring_patient(struct mg_keyring *kr, int64_t tenant_id, const unsigned char *wrapped,
		       size_t wrapped_len, const struct mg_tenant_key **key,
		       struct mg_tenant_key **owned);

/* Make a new tenant data key wrapped by the current master key (the file
 * reloaded first if it changed). Returns 0 or MG_ERR_*. */
int mg_keyring_tenant_key_new(struct mg_keyring *kr, unsigned char *wrapped);

/* The opened key of tenant_id, valid until the keyring is freed.
 * Returns 0, MG_ERR_NOT_FOUND, or MG_ERR_CRYPTO (wrong master key). */
int mg_keyring_tenant(struct mg_keyring *kr, int64_t tenant_id,
		      const struct mg_tenant_key **out);

#endif
