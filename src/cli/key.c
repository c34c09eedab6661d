/* medgatectl key rotate: a new master key wraps every tenant key, while
 * the daemon runs (docs/keys.md). The new file is written beside the old
 * one first (path.new), the tenant keys are replaced in one store
 * transaction, then the file is renamed over the old one: the daemon's
 * keyring loads it when a tenant key no longer opens under the key it
 * holds, or before it makes a tenant key (mg_keyring_watch).
 *
 * The key folder is root's (the service account must not change its
 * keys), the store is the service account's: the files are handled with
 * the caller's rights, the store by a child process that switched to
 * the service account (cli_open), as every other command does. */
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/file.h"
#include "common/limits.h"
#include "common/privileges.h"

struct rekey {
	const struct mg_master_key *from, *to;
	struct mg_tenant_key_change *ch;
	size_t n, cap;
	size_t moved;		/* re-wrapped (the others opened under to already) */
	int64_t failed_id;	/* a tenant neither key opens */
};

/* A tenant's key under to: re-wrapped from from, or kept if to opens it
 * already (a sweep after an interrupted or raced rotation). */
static int rekey_one(const struct mg_tenant *t, void *arg)
{
	struct rekey *k = arg;
	struct mg_tenant_key_change *c;
	struct mg_tenant_key *tk = NULL;

	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 16;

		if (cap > MG_TENANT_KEYS_MAX ||
		    (c = realloc(k->ch, cap * sizeof(*c))) == NULL)
			return MG_ERR_LIMIT;
		k->ch = c;
		k->cap = cap;
	}
	c = &k->ch[k->n];
	c->tenant_id = t->id;
	memcpy(c->from, t->wrapped_key, sizeof(c->from));
	if (mg_tenant_key_open(k->to, t->wrapped_key, sizeof(t->wrapped_key), &tk) == 0) {
		mg_tenant_key_free(tk);
		memcpy(c->to, t->wrapped_key, sizeof(c->to));
	} else if (mg_tenant_key_rewrap(k->from, k->to, t->wrapped_key, sizeof(t->wrapped_key),
					c->to) == 0) {
		k->moved++;
	} else {
		k->failed_id = t->id;
		return MG_ERR_CRYPTO;
	}
	k->n++;
	return 0;
}

/* Re-wrap every tenant key of the store under to, in one transaction. */
static int rekey_all(struct cli *cli, const struct mg_master_key *from,
		     const struct mg_master_key *to, size_t *n, size_t *moved)
{
	struct rekey k = { .from = from, .to = to };
	int r;

	if ((r = mg_store_tenant_list(cli->store, rekey_one, &k)) == 0)
		r = mg_store_tenant_keys_replace(cli->store, k.ch, k.n);
	if (r == MG_ERR_CRYPTO)
		fprintf(stderr, "medgatectl: the key of tenant %lld opens under neither master key\n",
			(long long)k.failed_id);
	*n = k.n;
	*moved = k.moved;
	if (k.ch != NULL) {
		memset(k.ch, 0, k.cap * sizeof(*k.ch));
		free(k.ch);
	}
	return r;
}

/* The child's part: record, then replace every tenant key in one
 * transaction. Exit status 0, or 1 with nothing changed. */
static int rekey_child(struct cli *cli, const struct mg_master_key *old,
		       const struct mg_master_key *fresh, const char *details)
{
	size_t n = 0, moved = 0;
	int r;

	if (cli_open(cli, true) != 0 ||
	    cli_record(cli, "key.rotate", NULL, 0, 0, MG_AUDIT_SUCCESS, details) != 0)
		return 1;
	if ((r = rekey_all(cli, old, fresh, &n, &moved)) != 0) {
		fprintf(stderr, "medgatectl: tenant keys not replaced (nothing changed): %s%s\n",
			mg_strerror(r), r == MG_ERR_CONFLICT ? "; a tenant was made meanwhile, run"
			" it again" : "");
		cli_record(cli, "key.rotate", NULL, 0, 0, MG_AUDIT_FAILURE, details);
		return 1;
	}
	printf("%zu tenant keys re-wrapped under the new master key\n", moved);
	return 0;
}

/* The new key file beside the old one, with the old one's owner, group
 * and (at most) mode, so the service account reads it as it read the old. */
static int new_key_file(const char *path, const char *next)
{
	struct stat st;
	int r;

	if (stat(path, &st) != 0)
		return MG_ERR_IO;
	if ((r = mg_master_key_create_rotated(path, next)) != 0)
		return r;
	if (chown(next, st.st_uid, st.st_gid) != 0 || chmod(next, st.st_mode & 0640) != 0) {
		unlink(next);
		return MG_ERR_IO;
	}
	return 0;
}

static int key_rotate(struct cli *cli, bool finish)
{
	const char *details = finish ? "{\"finish\":true}" : NULL;
	char path[MG_PATH_MAX], next[MG_PATH_MAX + 8], err[512];
	struct mg_master_key *old = NULL, *fresh = NULL;
	size_t n = 0, swept = 0;
	int r, status = 0;
	pid_t pid;

	if (cli->config_path == NULL ||
	    mg_config_load(cli->config_path, &cli->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "medgatectl: %s\n", cli->config_path == NULL ?
			"no configuration: give -c DIR/medgate.conf" : err);
		return 1;
	}
	if (mg_config_path(&cli->cfg, cli->cfg.master_key, path, sizeof(path)) != 0 ||
	    (size_t)snprintf(next, sizeof(next), "%s.new", path) >= sizeof(next)) {
		fprintf(stderr, "medgatectl: master key path too long\n");
		return 1;
	}
	if ((r = mg_master_key_load(path, &old)) != 0) {
		fprintf(stderr, "medgatectl: master key %s: %s\n", path, mg_strerror(r));
		return 1;
	}
	if (!finish && access(next, F_OK) == 0) {
		fprintf(stderr, "medgatectl: %s exists: a rotation was interrupted, or runs now. If"
			" none runs: medgatectl key rotate --finish completes it with that key, or"
			" remove it\n", next);
		goto out;
	}
	/* First the new file: a folder we cannot write stops it here,
	 * before any tenant key changes. */
	if ((!finish && (r = new_key_file(path, next)) != 0) ||
	    (r = mg_master_key_load(next, &fresh)) != 0) {
		fprintf(stderr, "medgatectl: %s: %s\n", next,
			r == MG_ERR_IO ? strerror(errno) : mg_strerror(r));
		goto out;
	}
	fflush(stdout);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "medgatectl: fork: %s\n", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		r = rekey_child(cli, old, fresh, details);
		fflush(stdout);
		_exit(r);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (!finish)
			unlink(next);	/* nothing changed: the old key stays */
		goto out;
	}
	if (rename(next, path) != 0 || mg_file_sync_dir(path) != 0) {
		fprintf(stderr, "medgatectl: the tenant keys are wrapped by %s now, but it could not"
			" replace %s (%s): move it there by hand before anything restarts\n", next,
			path, strerror(errno));
		goto out;
	}
	/* A tenant a running daemon made between the commit and the rename
	 * is wrapped by the old key still: bring it over too. */
	if (cli_open(cli, true) != 0 || (r = rekey_all(cli, old, fresh, &n, &swept)) != 0) {
		fprintf(stderr, "medgatectl: the sweep after the rotation failed: run medgatectl"
			" key rotate again\n");
		goto out;
	}
	if (swept > 0)
		printf("%zu tenant keys made meanwhile re-wrapped too\n", swept);
	printf("master key rotated: %s holds the new key, and the old one opens no tenant key."
	       " Copy it to every other gateway of this instance; older backups keep the key"
	       " they were made with.\n", path);
	mg_master_key_free(old);
	mg_master_key_free(fresh);
	return 0;
out:
	mg_master_key_free(old);
	mg_master_key_free(fresh);
	return 1;
}

int cli_key(struct cli *cli, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "rotate") == 0)
		return key_rotate(cli, false);
	if (argc == 3 && strcmp(argv[1], "rotate") == 0 && strcmp(argv[2], "--finish") == 0)
		return key_rotate(cli, true);
	fprintf(stderr, "usage: medgatectl key rotate [--finish]\n");
	return 2;
}
