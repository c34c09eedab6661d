#include "crypto/keyring.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/err.h"

struct entry {
	int64_t tenant_id;
	struct mg_tenant_key *key;
};

struct mg_keyring {
	struct mg_master_key *master;
	mg_wrapped_key_fn source;
	void *source_arg;
	pthread_mutex_t lock;
	struct entry *entries;
	size_t n, cap;
};

int mg_keyring_new(struct mg_master_key *mk, struct mg_keyring **out)
{
	struct mg_keyring *kr;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return MG_ERR_NOMEM;
	kr->master = mk;
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

void mg_keyring_set_source(struct mg_keyring *kr, mg_wrapped_key_fn fn, void *arg)
{
	pthread_mutex_lock(&kr->lock);
	kr->source = fn;
	kr->source_arg = arg;
	pthread_mutex_unlock(&kr->lock);
}

const struct mg_master_key *mg_keyring_master(const struct mg_keyring *kr)
{
	return kr->master;
}

int mg_keyring_tenant(struct mg_keyring *kr, int64_t tenant_id,
		      const struct mg_tenant_key **out)
{
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES];
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
	if (kr->source == NULL) {
		r = MG_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = kr->source(kr->source_arg, tenant_id, wrapped, sizeof(wrapped))) != 0 ||
	    (r = mg_tenant_key_open(kr->master, wrapped, sizeof(wrapped), &tk)) != 0)
		goto out;
	kr->entries[kr->n].tenant_id = tenant_id;
	kr->entries[kr->n].key = tk;
	kr->n++;
	*out = tk;
out:
	pthread_mutex_unlock(&kr->lock);
	return r;
}
