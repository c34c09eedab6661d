/* medgatectl backup restore and backup drill: a backup back into a
 * folder, checked before it is put in place; a drill restores into a
 * scratch folder, starts it on loopback and measures how long it took. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "cli/backup_cli.h"
#include "common/err.h"
#include "common/instance_lock.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/run.h"
#include "common/timefmt.h"
#include "model/settings.h"

/* Whether a medgated runs on the instance in dir (common/instance_lock.h);
 * a folder without a configuration holds no instance to run. */
static bool instance_running(const char *dir)
{
	struct mg_config *cfg = calloc(1, sizeof(*cfg));
	char path[MG_PATH_MAX], err[512];
	bool running = false;

	snprintf(path, sizeof(path), "%s/medgate.conf", dir);
	if (cfg != NULL && mg_config_load(path, cfg, err, sizeof(err)) == 0)
		running = mg_instance_running(cfg, path);
	free(cfg);
	return running;
}

/* Lay the unpacked parts out as an instance: the store file where the
 * configuration wants it, the log folder. */
static int layout(const char *dir, struct mg_config *cfg, char *err, size_t errlen)
{
	char path[MG_PATH_MAX], from[MG_PATH_MAX], parent[MG_PATH_MAX];
	char *slash;

	snprintf(path, sizeof(path), "%s/%s", dir, MG_BACKUP_PART_CONFIG);
	if (mg_config_load(path, cfg, err, errlen) != 0)
		return MG_ERR_CONFIG;
	if (cfg->log_file[0] != '\0' && cfg->log_file[0] != '/' &&
	    mg_config_path(cfg, cfg->log_file, parent, sizeof(parent)) == 0 &&
	    (slash = strrchr(parent, '/')) != NULL) {
		*slash = '\0';
		mkdir(parent, 0750);
	}
	if (strcmp(cfg->storage_backend, "sqlite") != 0)
		return 0;
	if (cfg->storage_path[0] == '/' ||
	    mg_config_path(cfg, cfg->storage_path, path, sizeof(path)) != 0) {
		snprintf(err, errlen, "[storage] path %s is absolute: restore puts the store under "
			 "the instance folder only", cfg->storage_path);
		return MG_ERR_CONFIG;
	}
	snprintf(parent, sizeof(parent), "%s", path);
	if ((slash = strrchr(parent, '/')) != NULL) {
		*slash = '\0';
		if (mkdir(parent, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", parent, strerror(errno));
			return MG_ERR_IO;
		}
	}
	snprintf(from, sizeof(from), "%s/%s", dir, MG_BACKUP_PART_SQLITE);
	if (rename(from, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return MG_ERR_IO;
	}
	return 0;
}

/* Open the unpacked instance's store and master key. */
static int copy_open(const struct mg_config *cfg, struct mg_store **store,
		     struct mg_master_key **mk, char *err, size_t errlen)
{
	char path[MG_PATH_MAX];
	int r;

	if ((r = mg_store_open(cfg, false, store, err, errlen)) != 0)
		return r;
	if ((r = mg_config_path(cfg, cfg->master_key, path, sizeof(path))) != 0 ||
	    (r = mg_master_key_load(path, mk)) != 0)
		snprintf(err, errlen, "the backup's master key: %s", mg_strerror(r));
	return r;
}

/* The store's integrity check and audit verify on an opened copy. */
static int copy_check(struct mg_store *store, const struct mg_master_key *mk, char *err,
		      size_t errlen)
{
	struct mg_audit_verdict v;
	char problem[256];
	int r;

	if ((r = mg_store_integrity_check(store, problem, sizeof(problem))) != 0) {
		snprintf(err, errlen, "the store's integrity check failed: %s", problem);
		return r;
	}
	if ((r = mg_audit_verify(store, mk, NULL, &v)) != 0 || v.fault != MG_AUDIT_INTACT) {
		snprintf(err, errlen, "audit verify on the copy: %s",
			 r != 0 ? mg_strerror(r) : v.reason);
		return r != 0 ? r : MG_ERR_CRYPTO;
	}
	printf("store:      integrity check ok; audit trail intact (%lld records)\n",
	       (long long)v.records);
	return 0;
}


static uid_t chown_uid;
static gid_t chown_gid;

static int chown_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return lchown(path, chown_uid, chown_gid) == 0 ? 0 : -1;
}

/* Run as root, the restored files go to the instance's account. */
static int give_to_account(const char *dir, const struct mg_config *cfg, char *err,
			   size_t errlen)
{
	const struct passwd *pw;

	if (geteuid() != 0 || cfg->user[0] == '\0')
		return 0;	/* files stay the caller's, who runs the daemon */
	if ((pw = getpwnam(cfg->user)) == NULL) {
		snprintf(err, errlen, "the instance's account %s does not exist here", cfg->user);
		return MG_ERR_INVALID;
	}
	chown_uid = pw->pw_uid;
	chown_gid = pw->pw_gid;
	if (nftw(dir, chown_entry, 8, FTW_PHYS) != 0) {
		snprintf(err, errlen, "cannot hand %s to %s: %s", dir, cfg->user, strerror(errno));
		return MG_ERR_IO;
	}
	/* Then back to root what the daemon must not change, as init makes it. */
	if (cli_instance_secure(dir, pw) != 0) {
		snprintf(err, errlen, "cannot make the configuration and keys in %s root's", dir);
		return MG_ERR_IO;
	}
	return 0;
}

/* Rewrite the unpacked configuration with cfg's values (a drill's ports,
 * a restore's --conninfo). */
static int config_rewrite(const char *dir, const struct mg_config *cfg, char *err, size_t errlen)
{
	char path[MG_PATH_MAX], tmp[MG_PATH_MAX];
	FILE *f;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, MG_BACKUP_PART_CONFIG) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return MG_ERR_LIMIT;
	}
	if ((f = fopen(tmp, "wx")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return MG_ERR_IO;
	}
	r = mg_config_write(cfg, f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		r = MG_ERR_IO;
	fclose(f);
	if (r != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rewrite %s", path);
		unlink(tmp);
		return MG_ERR_IO;
	}
	return 0;
}

/* PostgreSQL: the dump into the database cfg names (emptied first when
 * restoring over the same instance). */
static int pg_load(const char *dir, const struct mg_config *cfg, bool clean, char *err,
		   size_t errlen)
{
	char dump[MG_PATH_MAX];
	const char *argv[] = {
		"pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
		"--single-transaction", "--dbname", cfg->storage_conninfo, dump,
		clean ? "--clean" : NULL, "--if-exists", NULL,
	};

	snprintf(dump, sizeof(dump), "%s/%s", dir, MG_BACKUP_PART_PGDUMP);
	if (mg_run(argv, err, errlen) != 0)
		return MG_ERR_IO;
	return unlink(dump) == 0 ? 0 : MG_ERR_IO;
}

void cli_backup_scratch_name(const char *prefix, char name[40])
{
	unsigned char raw[6];
	size_t n = strlen(prefix) < 26 ? strlen(prefix) : 26;

	randombytes_buf(raw, sizeof(raw));
	memcpy(name, prefix, n);
	mg_hex_encode(raw, sizeof(raw), MG_HEX_LOWER, name + n, 40 - n);
}

int cli_backup_scratch_db(const char *conninfo, const char *name, bool create, char *err,
			  size_t errlen)
{
	char sql[128];
	const char *const argv[] = {
		"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--dbname", conninfo, "-c", sql, NULL,
	};

	snprintf(sql, sizeof(sql), create ? "CREATE DATABASE %s" : "DROP DATABASE IF EXISTS %s",
		 name);
	return mg_run(argv, err, errlen);
}

/* A PostgreSQL copy in a scratch database of server_conninfo's server:
 * loaded, opened, checked, dropped. */
static int pg_check(const char *dir, struct mg_config *cfg, const char *server_conninfo,
		    char *err, size_t errlen)
{
	struct mg_master_key *mk = NULL;
	struct mg_store *store = NULL;
	char db[40], e2[256];
	int r;

	cli_backup_scratch_name("medgate_verify_", db);
	if ((r = layout(dir, cfg, err, errlen)) != 0)
		return r;
	if ((size_t)snprintf(cfg->storage_conninfo, sizeof(cfg->storage_conninfo), "%s dbname=%s",
			     server_conninfo, db) >= sizeof(cfg->storage_conninfo)) {
		snprintf(err, errlen, "the instance's conninfo is too long for a scratch database");
		return MG_ERR_LIMIT;
	}
	if ((r = cli_backup_scratch_db(server_conninfo, db, true, err, errlen)) != 0)
		return r;
	if ((r = pg_load(dir, cfg, false, err, errlen)) == 0 &&
	    (r = copy_open(cfg, &store, &mk, err, errlen)) == 0)
		r = copy_check(store, mk, err, errlen);
	mg_store_close(store);
	mg_master_key_free(mk);
	if (cli_backup_scratch_db(server_conninfo, db, false, e2, sizeof(e2)) != 0)
		fprintf(stderr, "medgatectl: drop the scratch database %s by hand: %s\n", db, e2);
	return r;
}

int cli_backup_check_copy(struct mg_backup_reader *rd, const unsigned char *sk, const char *dir,
			  const char *server_conninfo, char *err, size_t errlen)
{
	const struct mg_backup_manifest *m = mg_backup_reader_manifest(rd);
	struct mg_master_key *mk = NULL;
	struct mg_store *store = NULL;
	struct mg_config *cfg = calloc(1, sizeof(*cfg));
	char dump[MG_PATH_MAX];
	int r;

	if (cfg == NULL)
		return MG_ERR_NOMEM;
	if ((r = mg_backup_extract(rd, sk, dir, cli_backup_progress, NULL, err, errlen)) != 0)
		goto out;
	printf("contents:   decrypted; every part's SHA-256 matches\n");
	if (strcmp(m->storage, "postgresql") == 0 && server_conninfo != NULL) {
		r = pg_check(dir, cfg, server_conninfo, err, errlen);
		goto out;
	}
	if (strcmp(m->storage, "postgresql") == 0) {
		const char *const argv[] = { "pg_restore", "--list", dump, NULL };

		snprintf(dump, sizeof(dump), "%s/%s", dir, MG_BACKUP_PART_PGDUMP);
		if ((r = mg_run(argv, err, errlen)) == 0)
			printf("store:      pg_restore reads the dump (name a PostgreSQL instance "
			       "with -c to load it into a scratch database and check its "
			       "integrity and audit trail)\n");
		goto out;
	}
	if ((r = layout(dir, cfg, err, errlen)) != 0 ||
	    (r = copy_open(cfg, &store, &mk, err, errlen)) != 0)
		goto out;
	r = copy_check(store, mk, err, errlen);
out:
	mg_store_close(store);
	mg_master_key_free(mk);
	free(cfg);
	return r;
}

/* Print why, and if an instance is named (-c), record the refusal on its
 * trail. Returns the exit status. */
static int refuse(struct cli *cli, const char *action, const char *file, const char *reason)
{
	char details[1024];

	fprintf(stderr, "medgatectl: %s: refused: %s\n", file, reason);
	if (cli->config_path != NULL && cli->store == NULL && cli_open(cli, true) == 0) {
		cli_backup_details(details, sizeof(details), "file", file, "reason", reason);
		cli_record(cli, action, NULL, 0, 0, MG_AUDIT_FAILURE, details);
	}
	return 1;
}

/* The id of the instance that lives in dir, into id. */
static int instance_id_of(const char *dir, char *id, char *err, size_t errlen)
{
	struct mg_config *cfg = calloc(1, sizeof(*cfg));
	struct mg_store *store = NULL;
	char path[MG_PATH_MAX];
	int r;

	if (cfg == NULL)
		return MG_ERR_NOMEM;
	snprintf(path, sizeof(path), "%s/medgate.conf", dir);
	if ((r = mg_config_load(path, cfg, err, errlen)) == 0 &&
	    (r = mg_store_open(cfg, false, &store, err, errlen)) == 0 &&
	    (r = mg_store_setting_get(store, MG_SETTING_INSTANCE_ID, id,
				      MG_BACKUP_INSTANCE_ID_LEN + 1)) != 0)
		snprintf(err, errlen, "its instance id: %s", mg_strerror(r));
	mg_store_close(store);
	free(cfg);
	return r;
}

/* Check the target: not running, empty, or the same instance. */
static int target_check(const char *into, const char *instance_id, bool *over, char *err,
			size_t errlen)
{
	char path[MG_PATH_MAX], id[MG_BACKUP_INSTANCE_ID_LEN + 1] = "";
	DIR *d;

	*over = false;
	if (instance_running(into)) {
		snprintf(err, errlen, "a medgated runs on %s (it holds the instance lock): stop it "
			 "first", into);
		return MG_ERR_BUSY;
	}
	snprintf(path, sizeof(path), "%s/medgate.conf", into);
	if (access(path, F_OK) == 0) {
		if (instance_id_of(into, id, err, errlen) != 0)
			return MG_ERR_INVALID;
		if (strcmp(id, instance_id) != 0) {
			snprintf(err, errlen, "%s holds instance %s, the backup is of instance %s "
				 "(another instance's backup)", into, id, instance_id);
			return MG_ERR_INVALID;
		}
		*over = true;
		return 0;
	}
	if ((d = opendir(into)) == NULL)
		return mkdir(into, 0750) == 0 ? 0 : (snprintf(err, errlen, "%s: %s", into,
							      strerror(errno)), MG_ERR_IO);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			closedir(d);
			snprintf(err, errlen, "%s holds files but no instance: give an empty or new "
				 "folder", into);
			return MG_ERR_EXISTS;
		}
	}
	closedir(d);
	return 0;
}

/* Move every entry of from (but skip) into to. */
static int move_entries(const char *from, const char *to, const char *skip1, const char *skip2)
{
	char a[MG_PATH_MAX], b[MG_PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(from);
	int r = 0;

	if (d == NULL)
		return MG_ERR_IO;
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, skip1) == 0 || strcmp(e->d_name, skip2) == 0 ||
		    strcmp(e->d_name, "medgate.conf.lock") == 0)
			continue;
		snprintf(a, sizeof(a), "%s/%s", from, e->d_name);
		snprintf(b, sizeof(b), "%s/%s", to, e->d_name);
		if (rename(a, b) != 0)
			r = MG_ERR_IO;
	}
	closedir(d);
	return r;
}

/* Open the unpacked copy, check it, and record the restore on its own
 * trail before it is put in place (fail closed). */
static int copy_accept(struct cli *cli, const struct mg_config *cfg, const char *file,
		       const char *action, const struct mg_backup_manifest *m,
		       const char *erasures, char *err, size_t errlen)
{
	char log[MG_PATH_MAX];
	struct mg_master_key *mk = NULL;
	struct mg_store *store = NULL;
	char details[1024], buf[MG_AUDIT_DETAILS_MAX + 1];
	struct mg_audit_event e;
	int r;

	cli_backup_details(details, sizeof(details), "file", file, NULL, NULL);
	if ((r = copy_open(cfg, &store, &mk, err, errlen)) == 0 &&
	    (r = copy_check(store, mk, err, errlen)) == 0 &&
	    (r = cli_event(cli, &e, action, "backup", details, buf, sizeof(buf))) == 0 &&
	    (r = mg_audit_append(store, mk, &e)) != 0)
		snprintf(err, errlen, "cannot record %s on the restored trail: %s", action,
			 mg_strerror(r));
	if (r == 0) {
		if (erasures == NULL)
			cli_backup_erasure_log_default(file, log, sizeof(log));
		else
			snprintf(log, sizeof(log), "%s", erasures);
		r = cli_backup_erasures_apply(cli, store, mk, m, log, err, errlen);
	}
	mg_store_close(store);
	mg_master_key_free(mk);
	return r;
}

struct restore_options {
	const char *file, *key, *into, *conninfo, *erasures;
};

int cli_backup_copy_verify(const struct mg_config *cfg, char *err, size_t errlen)
{
	struct mg_master_key *mk = NULL;
	struct mg_store *store = NULL;
	int r;

	if ((r = copy_open(cfg, &store, &mk, err, errlen)) == 0)
		r = copy_check(store, mk, err, errlen);
	mg_store_close(store);
	mg_master_key_free(mk);
	return r;
}

int cli_backup_config_rewrite(const char *dir, const struct mg_config *cfg, char *err,
			      size_t errlen)
{
	return config_rewrite(dir, cfg, err, errlen);
}

int cli_backup_unpack(struct cli *cli, struct mg_backup_reader *rd, const unsigned char *sk,
		      const char *file, const char *stage, const char *conninfo, bool over,
		      const char *action, const char *erasures, struct mg_config *cfg, char *err,
		      size_t errlen)
{
	bool pg = strcmp(mg_backup_reader_manifest(rd)->storage, "postgresql") == 0;
	int r;

	/* A log that does not verify refuses the restore before anything is
	 * unpacked or loaded. */
	if ((r = cli_backup_erasures_check(mg_backup_reader_manifest(rd), file, erasures, err,
					   errlen)) != 0)
		return r;
	if ((r = mg_backup_extract(rd, sk, stage, cli_backup_progress, NULL, err, errlen)) != 0 ||
	    (r = layout(stage, cfg, err, errlen)) != 0)
		return r;
	if (conninfo != NULL) {
		if (!pg || strlen(conninfo) >= sizeof(cfg->storage_conninfo)) {
			snprintf(err, errlen, "--conninfo goes with a PostgreSQL backup only "
					      "(and must be shorter than %zu bytes)",
				 sizeof(cfg->storage_conninfo));
			return MG_ERR_INVALID;
		}
		snprintf(cfg->storage_conninfo, sizeof(cfg->storage_conninfo), "%s", conninfo);
		if ((r = config_rewrite(stage, cfg, err, errlen)) != 0)
			return r;
	}
	if (pg && (r = pg_load(stage, cfg, over, err, errlen)) != 0)
		return r;
	if ((r = copy_accept(cli, cfg, file, action, mg_backup_reader_manifest(rd), erasures, err,
			     errlen)) != 0)
		return r;
	return give_to_account(stage, cfg, err, errlen);
}

static int restore_into(struct cli *cli, struct mg_backup_reader *rd, const unsigned char *sk,
			const struct restore_options *o, char *err, size_t errlen)
{
	const struct mg_backup_manifest *m = mg_backup_reader_manifest(rd);
	struct mg_config *cfg = calloc(1, sizeof(*cfg));
	char stage[MG_PATH_MAX], aside[MG_PATH_MAX];
	const char *stage_name, *aside_name = "";
	bool over;
	int r;

	if (cfg == NULL)
		return MG_ERR_NOMEM;
	if ((r = target_check(o->into, m->instance_id, &over, err, errlen)) != 0)
		goto out;
	snprintf(stage, sizeof(stage), "%s/.restore-XXXXXX", o->into);
	if (mkdtemp(stage) == NULL) {
		snprintf(err, errlen, "cannot make a folder in %s: %s", o->into, strerror(errno));
		r = MG_ERR_IO;
		goto out;
	}
	stage_name = strrchr(stage, '/') + 1;
	if ((r = cli_backup_unpack(cli, rd, sk, o->file, stage, o->conninfo, over,
				   "backup.restore", o->erasures, cfg, err, errlen)) != 0) {
		mg_backup_remove_tree(stage);
		goto out;
	}
	if (over) {
		snprintf(aside, sizeof(aside), "%s/.before-restore-%lld", o->into,
			 (long long)mg_now_ms());
		aside_name = strrchr(aside, '/') + 1;
		if (mkdir(aside, 0700) != 0 || move_entries(o->into, aside, stage_name, aside_name)) {
			snprintf(err, errlen, "cannot move the old files aside: %s", strerror(errno));
			r = MG_ERR_IO;
			goto out;
		}
	}
	/* A folder made here as root must be reachable by the daemon's
	 * account, like the one init makes. */
	if (!over && geteuid() == 0 && cfg->user[0] != '\0') {
		const struct passwd *pw = getpwnam(cfg->user);

		if (pw == NULL || chown(o->into, 0, pw->pw_gid) != 0 || chmod(o->into, 0750) != 0) {
			snprintf(err, errlen, "cannot hand %s to %s", o->into, cfg->user);
			r = MG_ERR_IO;
			goto out;
		}
	}
	if (move_entries(stage, o->into, "", "") != 0 || rmdir(stage) != 0 ||
	    mg_file_sync_dir(stage) != 0) {
		snprintf(err, errlen, "cannot move the restored files into %s: %s", o->into,
			 strerror(errno));
		r = MG_ERR_IO;
		goto out;
	}
	printf("restored instance %s (audit seq %lld) into %s%s%s\nstart it with: medgated -c "
	       "%s/medgate.conf\n", m->instance_id, (long long)m->seq, o->into,
	       over ? "; the files it replaced are in " : "", over ? aside : "", o->into);
out:
	free(cfg);
	return r;
}

int cli_backup_restore(struct cli *cli, int argc, char **argv, const char *file)
{
	static const char *const names[] = { "--key", "--into", "--conninfo", "--erasures", NULL };
	struct restore_options o = { .file = file };
	unsigned char sk[MG_RECOVERY_KEY_BYTES];
	struct mg_backup_reader *rd = NULL;
	char err[1024];
	bool bad = false;
	int r;

	o.key = cli_option(argc, argv, "--key", &bad);
	o.into = cli_option(argc, argv, "--into", &bad);
	o.conninfo = cli_option(argc, argv, "--conninfo", &bad);
	o.erasures = cli_option(argc, argv, "--erasures", &bad);
	if (bad || o.key == NULL || o.into == NULL || !cli_options_known(argc, argv, names)) {
		fprintf(stderr, "usage: medgatectl backup restore FILE --key KEYFILE --into DIR "
				"[--conninfo TEXT] [--erasures FILE]\n");
		return 2;
	}
	if (cli_backup_secret_key(o.key, sk) != 0)
		return 1;
	if ((r = mg_backup_reader_open(file, &rd, err, sizeof(err))) == 0)
		r = restore_into(cli, rd, sk, &o, err, sizeof(err));
	sodium_memzero(sk, sizeof(sk));
	mg_backup_reader_free(rd);
	return r == 0 ? 0 : refuse(cli, "backup.restore", file, err);
}

