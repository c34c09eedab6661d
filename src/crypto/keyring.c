#include "crypto/keyring.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/err.h"
#include "store/store.h"

struct entry {
	int64_t tenant_id;
	struct mg_tenant_key *key;
};

struct mg_keyring {
	struct mg_master_key *master;
	struct mg_store *store;
	pthread_mutex_t lock;
	struct entry *entries;
	size_t n, cap;
};

int mg_keyring_new(struct mg_master_key *mk, struct mg_store *store, struct mg_keyring **out)
{
	struct mg_keyring *kr;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return MG_ERR_NOMEM;
	kr->master = mk;
	kr->store = store;
	pthread_mutex_init(&kr->lock, NULL);
	*out = kr;
	return 0;
}

void mg_keyring_free(struct mg_keyring *kr)
{
	if (kr == NULL)
		return;
	for (size_t i = 0; i < kr->n; i++)
		mg_tenant_key_free(kr->entries[i].key);
	free(kr->entries);
	mg_master_key_free(kr->master);
	pthread_mutex_destroy(&kr->lock);
	free(kr);
}

void mg_keyring_set_store(struct mg_keyring *kr, struct mg_store *store)
{
	kr->store = store;
}

const struct mg_master_key *mg_keyring_master(const struct mg_keyring *kr)
{
	return kr->master;
}

int mg_keyring_tenant(struct mg_keyring *kr, int64_t tenant_id,
		      const struct mg_tenant_key **out)
{
	struct mg_tenant tenant;
	struct mg_tenant_key *tk = NULL;
	int r = 0;

	*out = NULL;
	pthread_mutex_lock(&kr->lock);
	for (size_t i = 0; i < kr->n; i++) {
		if (kr->entries[i].tenant_id == tenant_id) {
			*out = kr->entries[i].key;
			goto out;
		}
	}
	if (kr->n == kr->cap) {
		size_t cap = kr->cap ? kr->cap * 2 : 8;
		struct entry *e = realloc(kr->entries, cap * sizeof(*e));

		if (e == NULL) {
			r = MG_ERR_NOMEM;
			goto out;
		}
		kr->entries = e;
		kr->cap = cap;
	}
	if ((r = mg_store_tenant_by_id(kr->store, tenant_id, &tenant)) != 0 ||
	    (r = mg_tenant_key_open(kr->master, tenant.wrapped_key, sizeof(tenant.wrapped_key),
				    &tk)) != 0)
		goto out;
	kr->entries[kr->n].tenant_id = tenant_id;
	kr->entries[kr->n].key = tk;
	kr->n++;
	*out = tk;
out:
	pthread_mutex_unlock(&kr->lock);
	return r;
}
