/* A backup of a whole instance, and unpacking one. */
#include "backup/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/recovery.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/timefmt.h"
#include "common/log.h"
#include "model/settings.h"

#define INSTANCE_FILE_MAX (1024 * 1024)	/* a key, a certificate, the configuration */
#define COPY_BUF (64 * 1024)

/* One part as it is gathered: small files in memory, the store on disk. */
struct part_source {
	unsigned char *data;	/* the bytes, or NULL: read from path */
	char path[MG_PATH_MAX + MG_BACKUP_PART_NAME_MAX + 2];
};

struct gathered {
	struct mg_backup_manifest m;
	struct part_source src[MG_BACKUP_PARTS_MAX];
};

static void gathered_free(struct gathered *g)
{
	for (size_t i = 0; i < g->m.nparts; i++) {
		if (g->src[i].data != NULL) {
			sodium_memzero(g->src[i].data, g->m.parts[i].size);
			free(g->src[i].data);
		}
	}
	sodium_free(g);
}

static bool part_known(const struct gathered *g, const char *name)
{
	for (size_t i = 0; i < g->m.nparts; i++)
		if (strcmp(g->m.parts[i].name, name) == 0)
			return true;
	return false;
}

/* Part name holding the len bytes of data, which g now owns. */
static int add_data(struct gathered *g, const char *name, unsigned char *data, size_t len)
{
	struct mg_backup_part *p;

	if (g->m.nparts >= MG_BACKUP_PARTS_MAX || !mg_backup_part_name_ok(name)) {
		sodium_memzero(data, len);
		free(data);
		return MG_ERR_LIMIT;
	}
	p = &g->m.parts[g->m.nparts];
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->size = len;
	crypto_hash_sha256(p->sha256, data, len);
	g->src[g->m.nparts].data = data;
	g->m.nparts++;
	return 0;
}

static int add_file(struct gathered *g, const char *name, const char *path, char *err,
		    size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if (part_known(g, name))
		return 0;
	if (g->m.nparts >= MG_BACKUP_PARTS_MAX || !mg_backup_part_name_ok(name)) {
		snprintf(err, errlen, "%s: too many files, or a name a backup cannot hold", path);
		return MG_ERR_LIMIT;
	}
	if ((r = mg_file_read(path, INSTANCE_FILE_MAX, &text, &len)) != 0) {
		snprintf(err, errlen, "%s: %s", path, r == MG_ERR_LIMIT ? "larger than 1 MiB"
							 : strerror(errno));
		return r;
	}
	return add_data(g, name, (unsigned char *)text, len);
}

/* Every regular file in the folder (relative to the instance folder,
 * one level deep, like keys/ and certs/) that holds a configured file. */
static int add_folder_of(struct gathered *g, const struct mg_config *cfg, const char *configured,
			 char *err, size_t errlen)
{
	char path[MG_PATH_MAX], rel[MG_PATH_MAX], file[2 * MG_PATH_MAX + 2], name[MG_PATH_MAX];
	size_t dirlen = strlen(cfg->dir);
	const char *slash;
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (configured[0] == '\0' || mg_config_path(cfg, configured, path, sizeof(path)) != 0)
		return 0;
	if (strncmp(path, cfg->dir, dirlen) != 0 || path[dirlen] != '/') {
		snprintf(err, errlen, "%s lies outside the instance folder %s: a backup holds "
			 "the files under the folder of medgate.conf", path, cfg->dir);
		return MG_ERR_INVALID;
	}
	snprintf(rel, sizeof(rel), "%s", path + dirlen + 1);
	if ((slash = strchr(rel, '/')) == NULL)
		return add_file(g, rel, path, err, errlen);
	rel[slash - rel] = '\0';
	snprintf(file, sizeof(file), "%s/%s", cfg->dir, rel);
	if ((d = opendir(file)) == NULL) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return MG_ERR_IO;
	}
	while (r == 0 && (e = readdir(d)) != NULL) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(name, sizeof(name), "%s/%s", rel, e->d_name) >= (int)sizeof(name) ||
		    snprintf(path, sizeof(path), "%s/%s", file, e->d_name) >= (int)sizeof(path))
			continue;
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || !mg_backup_part_name_ok(name))
			continue;
		/* The instance CA's key is root's alone (docs/backup.md): the
		 * service account backs up what it can read. */
		if (access(path, R_OK) != 0)
			continue;
		r = add_file(g, name, path, err, errlen);
	}
	closedir(d);
	return r;
}

static int hash_file(const char *path, unsigned char out[32], uint64_t *size)
{
	unsigned char *buf = malloc(COPY_BUF);
	crypto_hash_sha256_state h;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*size = 0;
	if (fd < 0 || buf == NULL) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return MG_ERR_IO;
	}
	crypto_hash_sha256_init(&h);
	while ((n = read(fd, buf, COPY_BUF)) > 0) {
		crypto_hash_sha256_update(&h, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	crypto_hash_sha256_final(&h, out);
	free(buf);
	close(fd);
	return n < 0 ? MG_ERR_IO : 0;
}

static void snapshot_progress(void *arg, uint64_t done, uint64_t total)
{
	const struct mg_backup_source *src = arg;

	src->progress(src->arg, "snapshot", done, total);
}

static int add_store(struct gathered *g, const struct mg_backup_source *src, const char *stage,
		     char *err, size_t errlen)
{
	bool pg = strcmp(src->cfg->storage_backend, "postgresql") == 0;
	struct mg_backup_part *p = &g->m.parts[g->m.nparts];
	struct part_source *ps = &g->src[g->m.nparts];
	struct mg_backup_source progress_to = *src;
	int r;

	if (g->m.nparts >= MG_BACKUP_PARTS_MAX)
		return MG_ERR_LIMIT;
	const char *name = pg ? MG_BACKUP_PART_PGDUMP : MG_BACKUP_PART_SQLITE;

	snprintf(p->name, sizeof(p->name), "%s", name);
	if (snprintf(ps->path, sizeof(ps->path), "%s/%s", stage, name) >= (int)sizeof(ps->path))
		return MG_ERR_LIMIT;
	if ((r = mg_store_snapshot(src->store, ps->path, src->progress ? snapshot_progress : NULL,
				   &progress_to, err, errlen)) != 0)
		return r;
	if ((r = hash_file(ps->path, p->sha256, &p->size)) != 0) {
		snprintf(err, errlen, "%s: cannot read the snapshot", ps->path);
		return r;
	}
	g->m.nparts++;
	return 0;
}

static int gather(struct gathered *g, const struct mg_backup_source *src, const char *stage,
		  char *err, size_t errlen)
{
	const struct mg_config *cfg = src->cfg;
	const char *const configured[] = {
		cfg->master_key, cfg->server_key, cfg->device_ca_key, cfg->ca_cert,
		cfg->server_cert, cfg->device_ca_cert, cfg->backup_recovery_key,
	};
	int r;

	if ((r = add_file(g, MG_BACKUP_PART_CONFIG, cfg->path, err, errlen)) != 0)
		return r;
	for (size_t i = 0; i < sizeof(configured) / sizeof(configured[0]); i++)
		if ((r = add_folder_of(g, cfg, configured[i], err, errlen)) != 0)
			return r;
	if (src->ca_key != NULL && !part_known(g, MG_BACKUP_PART_CA_KEY)) {
		unsigned char *copy = malloc(src->ca_key_len ? src->ca_key_len : 1);

		if (copy == NULL)
			return MG_ERR_NOMEM;
		memcpy(copy, src->ca_key, src->ca_key_len);
		if ((r = add_data(g, MG_BACKUP_PART_CA_KEY, copy, src->ca_key_len)) != 0) {
			snprintf(err, errlen, "too many files for a backup");
			return r;
		}
	}
	return add_store(g, src, stage, err, errlen);
}

static int stream_parts(struct mg_backup_writer *w, const struct gathered *g,
			const struct mg_backup_source *src)
{
	uint64_t total = 0, done = 0;
	unsigned char *buf;
	int r = 0;

	for (size_t i = 0; i < g->m.nparts; i++)
		total += g->m.parts[i].size;
	if ((buf = malloc(COPY_BUF)) == NULL)
		return MG_ERR_NOMEM;
	for (size_t i = 0; r == 0 && i < g->m.nparts; i++) {
		uint64_t left = g->m.parts[i].size;
		int fd;

		if (g->src[i].data != NULL) {
			r = mg_backup_writer_put(w, g->src[i].data, left);
			done += left;
			continue;
		}
		if ((fd = open(g->src[i].path, O_RDONLY | O_CLOEXEC)) < 0) {
			r = MG_ERR_IO;
			break;
		}
		while (r == 0 && left > 0) {
			ssize_t n = read(fd, buf, left < COPY_BUF ? (size_t)left : COPY_BUF);

			if (n <= 0) {
				r = MG_ERR_IO;
				break;
			}
			r = mg_backup_writer_put(w, buf, (size_t)n);
			left -= (uint64_t)n;
			done += (uint64_t)n;
			if (src->progress != NULL)
				src->progress(src->arg, "encrypt", done, total);
		}
		close(fd);
	}
	free(buf);
	return r;
}

static int stage_folder(const char *path, char *out, size_t outlen)
{
	char copy[MG_PATH_MAX];

	snprintf(copy, sizeof(copy), "%s", path);
	if (snprintf(out, outlen, "%s/.medgate-backup-XXXXXX", dirname(copy)) >= (int)outlen)
		return MG_ERR_LIMIT;
	return mkdtemp(out) != NULL ? 0 : MG_ERR_IO;
}

int mg_backup_create(const struct mg_backup_source *src, const char *path,
		     struct mg_backup_manifest *m_out, char *err, size_t errlen)
{
	struct mg_backup_writer *w = NULL;
	char stage[MG_PATH_MAX];
	struct gathered *g;
	int r;

	if (strlen(path) >= MG_PATH_MAX - 64) {
		snprintf(err, errlen, "%s: path too long", path);
		return MG_ERR_LIMIT;
	}
	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s exists; a backup never replaces a file", path);
		return MG_ERR_EXISTS;
	}
	if ((r = stage_folder(path, stage, sizeof(stage))) != 0) {
		snprintf(err, errlen, "cannot make a private folder beside %s: %s", path,
			 strerror(errno));
		return r;
	}
	if ((g = sodium_malloc(sizeof(*g))) == NULL) {
		rmdir(stage);
		return MG_ERR_NOMEM;
	}
	memset(g, 0, sizeof(*g));
	g->m.format = MG_BACKUP_FORMAT;
	snprintf(g->m.instance_id, sizeof(g->m.instance_id), "%s", src->instance_id);
	g->m.schema_version = src->schema_version;
	g->m.seq = src->seq;
	g->m.created_ms = mg_now_ms();
	snprintf(g->m.storage, sizeof(g->m.storage), "%s", src->cfg->storage_backend);
	mg_audit_public_key(src->mk, g->m.signing_key);
	memcpy(g->m.recipient, src->recipient, sizeof(g->m.recipient));
	if ((r = gather(g, src, stage, err, errlen)) == 0 &&
	    (r = mg_backup_writer_open(path, &g->m, &w, err, errlen)) == 0) {
		if ((r = stream_parts(w, g, src)) != 0) {
			snprintf(err, errlen, "cannot write the backup: %s", mg_strerror(r));
			mg_backup_writer_abort(w);
		} else {
			r = mg_backup_writer_close(w, src->mk, err, errlen);
		}
	}
	if (r == 0 && m_out != NULL)
		*m_out = g->m;
	if (r == 0) {
		/* For /metrics and the health page: when the last backup was made
		 * (the file is durable; a lost setting only ages the figure). */
		char when[24];

		snprintf(when, sizeof(when), "%lld", (long long)g->m.created_ms);
		if (mg_store_setting_set(src->store, MG_SETTING_BACKUP_LAST_MS, when) != 0)
			mg_log_warning("backup: cannot record when the last backup was made");
	}
	gathered_free(g);
	mg_backup_remove_tree(stage);
	return r;
}

void mg_backup_yield_cpu(void)
{
	if (setpriority(PRIO_PROCESS, 0, 10) != 0)
		errno = 0;	/* a nicer backup is a wish, not a need */
}

int mg_backup_recipient_load(const struct mg_config *cfg, unsigned char pk[32], char *err,
			     size_t errlen)
{
	char path[MG_PATH_MAX], *text = NULL;
	size_t len = 0;
	int r;

	if (cfg->backup_recovery_key[0] == '\0' ||
	    mg_config_path(cfg, cfg->backup_recovery_key, path, sizeof(path)) != 0) {
		snprintf(err, errlen, "[backup] recovery_key is not set: run medgatectl backup "
				      "keygen first");
		return MG_ERR_CONFIG;
	}
	if ((r = mg_file_read(path, MG_RECOVERY_FILE_MAX, &text, &len)) != 0) {
		snprintf(err, errlen, "recovery public key %s: %s%s", path,
			 r == MG_ERR_LIMIT ? "too large" : strerror(errno),
			 errno == ENOENT ? " (run medgatectl backup keygen first)" : "");
		return r;
	}
	r = mg_recovery_key_parse(false, text, len, pk);
	free(text);
	if (r != 0)
		snprintf(err, errlen, "recovery public key %s: %s", path,
			 r == MG_ERR_CRYPTO ? "its check digits do not match" : "no MGRP1- key in it");
	return r;
}

int mg_backup_instance_id(struct mg_store *s, char out[MG_BACKUP_INSTANCE_ID_LEN + 1])
{
	unsigned char raw[MG_BACKUP_INSTANCE_ID_LEN / 2];
	int r;

	r = mg_store_setting_get(s, MG_SETTING_INSTANCE_ID, out, MG_BACKUP_INSTANCE_ID_LEN + 1);
	if (r == 0 && strlen(out) == MG_BACKUP_INSTANCE_ID_LEN)
		return 0;
	if (r != 0 && r != MG_ERR_NOT_FOUND)
		return r;
	randombytes_buf(raw, sizeof(raw));
	mg_hex_encode(raw, sizeof(raw), MG_HEX_LOWER, out, MG_BACKUP_INSTANCE_ID_LEN + 1);
	return mg_store_setting_set(s, MG_SETTING_INSTANCE_ID, out);
}

/* Unpacking: one file open at a time, made as its first bytes come. */
struct extract {
	const char *dir;
	int fd;
	const struct mg_backup_part *part;
	mg_backup_progress_fn progress;
	void *arg;
};

static int extract_open(struct extract *x, const struct mg_backup_part *p)
{
	char path[MG_PATH_MAX], sub[MG_PATH_MAX];
	const char *slash = strchr(p->name, '/');

	if (slash != NULL) {
		snprintf(sub, sizeof(sub), "%s/%.*s", x->dir, (int)(slash - p->name), p->name);
		if (mkdir(sub, 0700) != 0 && errno != EEXIST)
			return MG_ERR_IO;
	}
	if (snprintf(path, sizeof(path), "%s/%s", x->dir, p->name) >= (int)sizeof(path))
		return MG_ERR_LIMIT;
	x->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (x->fd < 0)
		return errno == EEXIST ? MG_ERR_EXISTS : MG_ERR_IO;
	x->part = p;
	return 0;
}

static int extract_part(void *arg, const struct mg_backup_part *p, const unsigned char *data,
			size_t len, bool last)
{
	struct extract *x = arg;
	int r;

	if (x->part != p && (r = extract_open(x, p)) != 0)
		return r;
	while (len > 0) {
		ssize_t n = write(x->fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return MG_ERR_IO;
		data += n;
		len -= (size_t)n;
	}
	if (last) {
		r = fsync(x->fd) == 0 ? 0 : MG_ERR_IO;
		close(x->fd);
		x->fd = -1;
		return r;
	}
	return 0;
}

static void decrypt_progress(void *arg, uint64_t done, uint64_t total)
{
	struct extract *x = arg;

	if (x->progress != NULL)
		x->progress(x->arg, "decrypt", done, total);
}

int mg_backup_extract(struct mg_backup_reader *r, const unsigned char *secret_key,
		      const char *dir, mg_backup_progress_fn progress, void *arg, char *err,
		      size_t errlen)
{
	struct extract x = { .dir = dir, .fd = -1, .progress = progress, .arg = arg };
	int rc;

	rc = mg_backup_reader_decrypt(r, secret_key, extract_part, &x, decrypt_progress, err,
				      errlen);
	if (x.fd >= 0)
		close(x.fd);
	if (rc == 0 && mg_file_sync_dir(dir) != 0)
		rc = MG_ERR_IO;
	return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

int mg_backup_remove_tree(const char *dir)
{
	return nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : MG_ERR_IO;
}
