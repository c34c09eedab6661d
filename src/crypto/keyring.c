#include "crypto/keyring.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/limits.h"

struct entry {
	int64_t tenant_id;
	struct mg_tenant_key *key;
};

struct mg_keyring {
	struct mg_master_key *master;	/* read with atomics: swapped on reload */
	struct mg_master_key **retired;	/* replaced by a reload, freed at the end */
	size_t nretired;
	char path[MG_PATH_MAX];		/* "" if not watched */
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
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
	for (size_t i = 0; i < kr->nretired; i++)
		mg_master_key_free(kr->retired[i]);
	free(kr->retired);
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

void mg_keyring_watch(struct mg_keyring *kr, const char *path)
{
	struct stat st;

	pthread_mutex_lock(&kr->lock);
	if ((size_t)snprintf(kr->path, sizeof(kr->path), "%s", path) >= sizeof(kr->path))
		kr->path[0] = '\0';
	if (kr->path[0] != '\0' && stat(kr->path, &st) == 0) {
		kr->dev = st.st_dev;
		kr->ino = st.st_ino;
		kr->mtime = st.st_mtim;
	}
	pthread_mutex_unlock(&kr->lock);
}

const struct mg_master_key *mg_keyring_master(const struct mg_keyring *kr)
{
	return __atomic_load_n(&kr->master, __ATOMIC_ACQUIRE);
}

/* Load the watched file again if it is another file than the one loaded
 * (rotation renames a new file into place). Holding kr->lock. Returns 1
 * if the master key changed, else 0. */
static int refresh_locked(struct mg_keyring *kr)
{
	struct mg_master_key *mk = NULL, **retired;
	struct stat st;

	if (kr->path[0] == '\0' || stat(kr->path, &st) != 0)
		return 0;
	if (st.st_dev == kr->dev && st.st_ino == kr->ino &&
	    st.st_mtim.tv_sec == kr->mtime.tv_sec && st.st_mtim.tv_nsec == kr->mtime.tv_nsec)
		return 0;
	retired = realloc(kr->retired, (kr->nretired + 1) * sizeof(*retired));
	if (retired == NULL)
		return 0;
	kr->retired = retired;
	if (mg_master_key_load(kr->path, &mk) != 0)
		return 0;	/* a half-written file is not taken; the next try looks again */
	kr->retired[kr->nretired++] = kr->master;
	__atomic_store_n(&kr->master, mk, __ATOMIC_RELEASE);
	kr->dev = st.st_dev;
	kr->ino = st.st_ino;
	kr->mtime = st.st_mtim;
	return 1;
}

int mg_keyring_patient(struct mg_keyring *kr, int64_t tenant_id, const unsigned char *wrapped,
		       size_t wrapped_len, const struct mg_tenant_key **key,
		       struct mg_tenant_key **owned)
{
	const struct mg_tenant_key *tk;
	int r;

	*key = NULL;
	*owned = NULL;
	if ((r = mg_keyring_tenant(kr, tenant_id, &tk)) != 0)
		return r;
	if (wrapped_len == 0) {
		*key = tk;
		return 0;
	}
	if ((r = mg_patient_key_open(tk, wrapped, wrapped_len, owned)) == 0)
		*key = *owned;
	return r;
}

int mg_keyring_tenant_key_new(struct mg_keyring *kr, unsigned char *wrapped)
{
	int r;

	pthread_mutex_lock(&kr->lock);
	refresh_locked(kr);
	r = mg_tenant_key_new(kr->master, wrapped);
	pthread_mutex_unlock(&kr->lock);
	return r;
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
	if ((r = kr->source(kr->source_arg, tenant_id, wrapped, sizeof(wrapped))) != 0)
		goto out;
	r = mg_tenant_key_open(kr->master, wrapped, sizeof(wrapped), &tk);
	/* Wrapped under a master key rotated in since: load the new file. */
	if (r == MG_ERR_CRYPTO && refresh_locked(kr))
		r = mg_tenant_key_open(kr->master, wrapped, sizeof(wrapped), &tk);
	if (r != 0)
		goto out;
	kr->entries[kr->n].tenant_id = tenant_id;
	kr->entries[kr->n].key = tk;
	kr->n++;
	*out = tk;
out:
	pthread_mutex_unlock(&kr->lock);
	return r;
}
