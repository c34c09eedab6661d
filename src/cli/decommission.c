/* medgatectl decommission: the end of an instance's life (docs/
 * decommission.md). First what must be kept leaves, checked: a backup
 * sealed to the recovery key, the audit trail, the configuration record.
 * Then every key is overwritten and removed (the cryptographic erase), the
 * store's files likewise (PostgreSQL: the database dropped), the instance
 * folder last; and a certificate with what NIST SP 800-88 asks of one,
 * signed with the instance key, which from then on lives only in it. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup/sanitize.h"
#include "cli/backup_cli.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/instance_lock.h"
#include "common/timefmt.h"
#include "store/postgres/postgres.h"

#define EXPORT_BACKUP	"final.mgbackup"
#define EXPORT_TRAIL	"audit-trail.jsonl"
#define EXPORT_RECORD	"configuration.txt"
#define EXPORT_KEY	"instance-public-key.txt"
#define CERTIFICATE	"sanitization-certificate.json"

static int usage(void)
{
	fprintf(stderr,
		"usage: medgatectl -c CONF decommission --export-to DIR --yes\n"
		"           [--name NAME] [--title TITLE] [--organization ORG]\n"
		"       medgatectl decommission verify-certificate FILE [--public-key HEX]\n");
	return 2;
}

struct decom {
	struct cli *cli;
	const char *export_dir;
	const char *name, *title, *organization;
	bool postgres;
	char instance_id[MG_BACKUP_INSTANCE_ID_LEN + 1];
	char public_key[MG_HEX_TEXT_LEN(MG_AUDIT_PUBLIC_KEY_BYTES)];
	char trail_before[200];
	char backup_sha256[MG_HEX_TEXT_LEN(32)];
	int64_t trail_records;
	char database[320];		/* PostgreSQL: what was dropped */
	char keys[MG_EMR_MAX * 2 + 8][MG_PATH_MAX];	/* the key files */
	size_t nkeys;
	struct mg_sanitize_tally tally;
	json_t *checks;			/* [{check, result, detail}] */
	json_t *remaining;		/* [what the erase cannot reach] */
	bool passed;
};

static void check(struct decom *d, const char *what, bool ok, const char *detail)
{
	json_array_append_new(d->checks, json_pack("{s:s, s:s, s:s}", "check", what, "result",
						   ok ? "passed" : "failed", "detail", detail));
	d->passed = d->passed && ok;
}

/* A key file the configuration names (relative to the instance folder). */
static void key_add(struct decom *d, const char *configured)
{
	if (configured[0] != '\0' && d->nkeys < sizeof(d->keys) / sizeof(d->keys[0]) &&
	    mg_config_path(&d->cli->cfg, configured, d->keys[d->nkeys], MG_PATH_MAX) == 0)
		d->nkeys++;
}

/* Every secret the configuration names: the master key (which wraps the
 * tenant keys, which seal the patients), the TLS and CA keys, tokens and
 * passwords kept in files. */
static void keys_collect(struct decom *d)
{
	const struct mg_config *cfg = &d->cli->cfg;

	key_add(d, cfg->master_key);
	key_add(d, cfg->server_key);
	key_add(d, cfg->device_ca_key);
	key_add(d, "keys/ca.key");
	key_add(d, cfg->metrics_token_file);
	key_add(d, cfg->smtp_password_file);
	key_add(d, cfg->syslog_key);
	for (size_t i = 0; i < MG_EMR_MAX; i++) {
		key_add(d, cfg->emr[i].client_key);
		key_add(d, cfg->emr[i].bearer_token_file);
	}
}

/* Whether this account can remove path (write its folder). */
static bool removable(const char *path)
{
	char folder[MG_PATH_MAX], *slash;

	snprintf(folder, sizeof(folder), "%s", path);
	if ((slash = strrchr(folder, '/')) == NULL)
		snprintf(folder, sizeof(folder), ".");
	else if (slash == folder)
		folder[1] = '\0';
	else
		*slash = '\0';
	return access(folder, W_OK) == 0;
}

/* Before anything is recorded or written: the export folder new or empty
 * and off the instance, the keys removable, no medgated on the instance
 * (its lock taken and kept until the process ends, so none starts). */
static int preflight(struct decom *d)
{
	struct mg_config *cfg = &d->cli->cfg;
	unsigned char pk[32];
	char err[512], probe[MG_PATH_MAX];

	if (mg_backup_recipient_load(cfg, pk, err, sizeof(err)) != 0) {
		fprintf(stderr, "medgatectl: %s: the export is a backup sealed to the recovery "
				"key\n", err);
		return 1;
	}
	for (size_t i = 0; i < d->nkeys; i++) {
		if (access(d->keys[i], F_OK) == 0 && !removable(d->keys[i])) {
			fprintf(stderr, "medgatectl: cannot remove %s with this account: run "
					"decommission as root\n", d->keys[i]);
			return 1;
		}
	}
	if (!removable(cfg->dir)) {
		fprintf(stderr, "medgatectl: cannot remove %s with this account: run decommission "
				"as root\n", cfg->dir);
		return 1;
	}
	/* Held until medgatectl exits, so no medgated starts meanwhile. */
	if (mg_instance_lock(cfg, d->cli->config_path, false, err, sizeof(err)) != 0) {
		fprintf(stderr, "medgatectl: %s: stop it first (systemctl stop medgated)\n", err);
		return 1;
	}
	if (mkdir(d->export_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "medgatectl: %s: %s\n", d->export_dir, strerror(errno));
		return 1;
	}
	snprintf(probe, sizeof(probe), "%s/%s", d->export_dir, CERTIFICATE);
	if (cli_inside_instance(cfg, probe)) {
		fprintf(stderr, "medgatectl: %s lies in the instance folder, which decommission "
				"erases: export elsewhere\n", d->export_dir);
		return 1;
	}
	static const char *const names[] = { EXPORT_BACKUP, EXPORT_TRAIL, EXPORT_RECORD,
					     EXPORT_KEY, CERTIFICATE };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(probe, sizeof(probe), "%s/%s", d->export_dir, names[i]);
		if (access(probe, F_OK) == 0) {
			fprintf(stderr, "medgatectl: %s exists: give a new or empty folder\n", probe);
			return 1;
		}
	}
	return 0;
}

/* A new file in the export folder (0600: the trail names accounts). */
static FILE *export_file(struct decom *d, const char *name, char *path, size_t pathlen)
{
	int fd;
	FILE *f;

	snprintf(path, pathlen, "%s/%s", d->export_dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return NULL;
	if ((f = fdopen(fd, "w")) == NULL)
		close(fd);
	return f;
}

static int file_close(FILE *f)
{
	int r = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : MG_ERR_IO;

	return fclose(f) == 0 ? r : MG_ERR_IO;
}

/* What retention asks to keep, out of the instance and checked: the
 * sealed backup (its signature and manifest read back), the audit trail,
 * the configuration record, the key that signs the certificate. */
static int export_all(struct decom *d)
{
	struct cli *cli = d->cli;
	struct mg_backup_manifest *m = calloc(1, sizeof(*m));
	struct mg_backup_reader *rd = NULL;
	char path[MG_PATH_MAX], err[512];
	unsigned char digest[MG_BACKUP_SHA256_BYTES];
	struct stat st;
	FILE *f;
	int fd, r;

	if (m == NULL)
		return MG_ERR_NOMEM;
	snprintf(path, sizeof(path), "%s/%s", d->export_dir, EXPORT_BACKUP);
	r = cli_backup_create_file(cli, path, true, m);
	free(m);
	if (r != 0)
		return r;
	if ((r = mg_backup_reader_open(path, &rd, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: %s does not read back: %s\n", path, err);
		return r;
	}
	mg_backup_reader_free(rd);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return MG_ERR_IO;
	}
	r = mg_backup_file_digest(fd, (uint64_t)st.st_size, digest);
	close(fd);
	if (r != 0)
		return r;
	mg_hex_encode(digest, sizeof(digest), MG_HEX_LOWER, d->backup_sha256,
		      sizeof(d->backup_sha256));
	if ((f = export_file(d, EXPORT_TRAIL, path, sizeof(path))) == NULL ||
	    (r = cli_audit_export_jsonl(cli, f, &d->trail_records)) != 0 ||
	    (r = file_close(f)) != 0) {
		fprintf(stderr, "medgatectl: %s: cannot write the audit trail\n", path);
		return r ? r : MG_ERR_IO;
	}
	if ((f = export_file(d, EXPORT_RECORD, path, sizeof(path))) == NULL ||
	    (r = cli_config_record(f, cli)) != 0 || (r = file_close(f)) != 0) {
		fprintf(stderr, "medgatectl: %s: cannot write the configuration record\n", path);
		return r ? r : MG_ERR_IO;
	}
	snprintf(path, sizeof(path), "%s/%s", d->export_dir, EXPORT_KEY);
	snprintf(err, sizeof(err), "# the Ed25519 key of medgate instance %s: its audit "
		 "checkpoints, backups and sanitization certificate\n%s\n", d->instance_id,
		 d->public_key);
	return mg_file_create(path, err, strlen(err), 0644);
}

/* The erase: keys first (from then on nothing sealed can be opened), then
 * the store, then whatever else the instance folder holds. */
static void erase_all(struct decom *d)
{
	const struct mg_config *cfg = &d->cli->cfg;
	static const char *const sqlite_parts[] = { "", "-wal", "-shm", "-journal" };
	char path[MG_PATH_MAX], err[1024];
	struct stat st;
	bool gone = true;

	for (size_t i = 0; i < d->nkeys; i++)
		mg_sanitize_file(d->keys[i], &d->tally);
	for (size_t i = 0; i < d->nkeys; i++)
		gone = gone && lstat(d->keys[i], &st) != 0 && errno == ENOENT;
	snprintf(err, sizeof(err), "%zu key files named by the configuration, the master key "
		 "(which wraps every tenant key) first, no longer exist", d->nkeys);
	check(d, "keys destroyed", gone, err);
	if (d->postgres) {
		int r = mg_store_postgres_drop(cfg->storage_conninfo, d->database,
					       sizeof(d->database), err, sizeof(err));

		check(d, "database dropped", r == 0,
		      r == 0 ? "DROP DATABASE done; the server's catalogue no longer names it"
			     : err);
	} else if (mg_config_path(cfg, cfg->storage_path, path, sizeof(path)) == 0) {
		size_t n = strlen(path);

		gone = true;
		for (size_t i = 0; i < sizeof(sqlite_parts) / sizeof(sqlite_parts[0]); i++) {
			snprintf(path + n, sizeof(path) - n, "%s", sqlite_parts[i]);
			mg_sanitize_file(path, &d->tally);
			gone = gone && lstat(path, &st) != 0 && errno == ENOENT;
		}
		path[n] = '\0';
		snprintf(d->database, sizeof(d->database), "SQLite database %s", path);
		check(d, "store files removed", gone,
		      "the database file and its WAL, shared-memory and journal files no longer "
		      "exist");
	}
	mg_sanitize_tree(cfg->dir, &d->tally);
	gone = lstat(cfg->dir, &st) != 0 && errno == ENOENT;
	check(d, "instance folder removed", gone, cfg->dir);
	snprintf(err, sizeof(err), "%llu files, %llu bytes, each read back as zeros before "
		 "removal%s%s", (unsigned long long)d->tally.files,
		 (unsigned long long)d->tally.bytes, d->tally.failures ? "; first failure: " : "",
		 d->tally.first_failure);
	check(d, "overwrite verified", d->tally.failures == 0, err);
}

/* What the erase cannot reach, said plainly; asked before the erase,
 * while the instance folder is there to compare paths with. */
static json_t *remaining(const struct decom *d)
{
	const struct mg_config *cfg = &d->cli->cfg;
	json_t *a = json_array();
	char text[MG_PATH_MAX + 200], path[MG_PATH_MAX];

	json_array_append_new(a, json_string(
		"the export folder: a backup readable only with the recovery secret key, the "
		"audit trail and the configuration record (no patient data)"));
	if (d->postgres)
		json_array_append_new(a, json_string(
			"the PostgreSQL server's WAL and WAL archive, base backups and replicas "
			"hold the database's pages until they are recycled or expire; what is "
			"sealed in them cannot be opened without the destroyed keys"));
	if (cfg->backup_folder[0] != '\0' &&
	    mg_config_path(cfg, cfg->backup_folder, path, sizeof(path)) == 0 &&
	    !cli_inside_instance(cfg, path)) {
		snprintf(text, sizeof(text), "scheduled backups in %s, sealed to the recovery key: "
			 "destroy them, or the recovery key, when retention ends", path);
		json_array_append_new(a, json_string(text));
	}
	if (cfg->log_file[0] != '\0' && mg_config_path(cfg, cfg->log_file, path, sizeof(path)) == 0 &&
	    !cli_inside_instance(cfg, path)) {
		snprintf(text, sizeof(text), "the daemon log %s (no patient data)", path);
		json_array_append_new(a, json_string(text));
	}
	json_array_append_new(a, json_string(
		"what the EMR destinations received: theirs to keep under their own retention"));
	json_array_append_new(a, json_string(
		"on flash storage and copy-on-write file systems an overwrite may not reach the "
		"old blocks: the cryptographic erase is the sanitization of record"));
	return a;
}

static int certificate(struct decom *d)
{
	struct cli *cli = d->cli;
	char when[MG_TIME_TEXT_LEN], host[256] = "", path[MG_PATH_MAX], *text;
	json_t *c;
	int r;

	mg_time_format(mg_now_ms(), when, sizeof(when));
	gethostname(host, sizeof(host) - 1);
	c = json_pack(
		"{s:s, s:i, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s},"
		" s:{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s},"
		" s:{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I},"
		" s:{s:s, s:s, s:O, s:s}, s:o}",
		"certificate", "medgate sanitization certificate (NIST SP 800-88 Rev. 1, appendix G)",
		"format", 1, "date", when,
		"performed_by", "operator", cli->actor, "sudo_user", cli->sudo_user, "name",
		d->name ? d->name : "", "title", d->title ? d->title : "", "organization",
		d->organization ? d->organization : "", "location", host,
		"media", "description", "medgate instance: its store, keys and files",
		"instance_id", d->instance_id, "type",
		d->postgres ? "PostgreSQL database and files on the gateway's file system"
			    : "files on the gateway's file system",
		"store", d->database, "instance_folder", cli->cfg.dir, "data_backed_up", 1,
		"backup_location", d->export_dir, "backup_file", EXPORT_BACKUP, "backup_sha256",
		d->backup_sha256,
		"sanitization", "method_type", "purge", "method",
		"cryptographic erase + overwrite", "details",
		"every key file overwritten with zeros, read back, removed (the master key wraps "
		"every tenant key, which seals the patients' identities); the store's files "
		"overwritten and removed, or the database dropped; the instance folder "
		"overwritten file by file and removed",
		"tool", "medgatectl decommission", "tool_version", MG_VERSION,
		"audit_trail_before", d->trail_before, "files_overwritten",
		(json_int_t)d->tally.files, "bytes_overwritten", (json_int_t)d->tally.bytes,
		"audit_records_exported", (json_int_t)d->trail_records,
		"verification", "method", "full: every overwritten file read back; every path "
		"checked absent afterwards; the database catalogue asked", "result",
		d->passed ? "passed" : "failed", "checks", d->checks, "performed_by", cli->actor,
		"remaining", d->remaining);
	d->remaining = NULL;	/* the certificate's now ("o" took it) */
	if (c == NULL || (text = json_dumps(c, JSON_COMPACT)) == NULL) {
		json_decref(c);
		fprintf(stderr, "medgatectl: cannot make the certificate\n");
		return MG_ERR_NOMEM;
	}
	json_decref(c);
	snprintf(path, sizeof(path), "%s/%s", d->export_dir, CERTIFICATE);
	r = mg_certificate_write(cli->master, text, path);
	free(text);
	if (r != 0)
		fprintf(stderr, "medgatectl: %s: %s\n", path, mg_strerror(r));
	else
		printf("sanitization certificate: %s (verification %s)\n", path,
		       d->passed ? "passed" : "FAILED");
	return r;
}

/* On PostgreSQL no other session may use the database: a gateway on
 * another host holds no lock here, and once the keys are gone it is too
 * late to find that DROP DATABASE cannot proceed. Asked with our own
 * store closed, so every session counted is another's. */
static int postgres_alone(struct cli *cli)
{
	char err[512];
	int others = 0, r;

	if (strcmp(cli->cfg.storage_backend, "postgresql") != 0)
		return 0;
	mg_store_close(cli->store);
	cli->store = NULL;
	if ((r = mg_store_postgres_sessions(cli->cfg.storage_conninfo, &others, err,
					    sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: %s\n", err);
		return r;
	}
	if (others > 0) {
		fprintf(stderr, "medgatectl: %d other session%s use%s the database: stop every "
				"gateway of it, here and on other hosts, and other clients first\n",
			others, others == 1 ? "" : "s", others == 1 ? "s" : "");
		return MG_ERR_BUSY;
	}
	if ((r = mg_store_open(&cli->cfg, false, &cli->store, err, sizeof(err))) != 0)
		fprintf(stderr, "medgatectl: cannot open the store again: %s\n", err);
	return r;
}

static int decommission(struct decom *d)
{
	struct cli *cli = d->cli;
	struct mg_audit_verdict v;
	unsigned char pk[MG_AUDIT_PUBLIC_KEY_BYTES];
	char details[MG_PATH_MAX + 64];
	int r;

	/* Root's rights kept: the keys and the instance folder are root's. */
	cli->keep_privileges = true;
	if (cli_open(cli, true) != 0)
		return 1;
	d->postgres = strcmp(cli->cfg.storage_backend, "postgresql") == 0;
	keys_collect(d);
	if (preflight(d) != 0 || postgres_alone(cli) != 0 || mg_backup_instance_id(cli->store, d->instance_id) != 0)
		return 1;
	mg_audit_public_key(cli->master, pk);
	mg_hex_encode(pk, sizeof(pk), MG_HEX_LOWER, d->public_key, sizeof(d->public_key));
	if ((r = mg_audit_verify(cli->store, cli->master, NULL, &v)) != 0) {
		fprintf(stderr, "medgatectl: cannot read the audit trail: %s\n", mg_strerror(r));
		return 1;
	}
	if (v.fault == MG_AUDIT_INTACT)
		snprintf(d->trail_before, sizeof(d->trail_before), "intact, %lld records",
			 (long long)v.records);
	else
		snprintf(d->trail_before, sizeof(d->trail_before), "BROKEN at record %lld: %s",
			 (long long)v.first_bad, mg_audit_fault_name(v.fault));
	cli_backup_details(details, sizeof(details), "export_to", d->export_dir, NULL, NULL);
	if (cli_record(cli, "instance.decommission", NULL, 0, 0, MG_AUDIT_SUCCESS, details) != 0)
		return 1;
	if ((r = export_all(d)) != 0) {
		cli_backup_details(details, sizeof(details), "export_to", d->export_dir, "reason",
				   "export failed; nothing erased");
		cli_record(cli, "instance.decommission", NULL, 0, 0, MG_AUDIT_FAILURE, details);
		fprintf(stderr, "medgatectl: the export failed (%s): nothing erased\n",
			mg_strerror(r));
		return 1;
	}
	printf("exported to %s: %s, %s (%lld records), %s, %s\n", d->export_dir, EXPORT_BACKUP,
	       EXPORT_TRAIL, (long long)d->trail_records, EXPORT_RECORD, EXPORT_KEY);
	mg_store_close(cli->store);
	cli->store = NULL;
	d->checks = json_array();
	d->remaining = remaining(d);
	d->passed = true;
	erase_all(d);
	r = certificate(d);
	/* The instance key leaves memory with the master key (zeroized). */
	mg_master_key_free(cli->master);
	cli->master = NULL;
	if (!d->passed)
		fprintf(stderr, "medgatectl: decommission incomplete: see the failed checks in the "
				"certificate\n");
	return r == 0 && d->passed ? 0 : 1;
}

static int verify_certificate(int argc, char **argv)
{
	static const char *const names[] = { "--public-key", NULL };
	bool bad = false;
	const char *key = cli_option(argc, argv, "--public-key", &bad);
	char *text = NULL, result[32], err[512];
	size_t len = 0;
	int r;

	if (bad || !cli_options_known(argc, argv, names))
		return usage();
	if (cli_file_read(argv[0], MG_CERTIFICATE_MAX, &text, &len) != 0)
		return 1;
	r = mg_certificate_verify(text, len, key, result, sizeof(result), err, sizeof(err));
	free(text);
	if (r != 0) {
		fprintf(stderr, "medgatectl: %s: refused: %s\n", argv[0], err);
		return 1;
	}
	printf("signature: good%s\nverification recorded in it: %s\n",
	       key ? " (the expected instance key)" : " (compare its public_key with the "
						      "instance's, e.g. instance-public-key.txt)",
	       result);
	return strcmp(result, "passed") == 0 ? 0 : 1;
}

int cli_decommission(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "--export-to", "--name", "--title",
					     "--organization", NULL };
	struct decom *d;
	bool bad = false, yes = false;
	int r;

	if (argc >= 3 && strcmp(argv[1], "verify-certificate") == 0)
		return verify_certificate(argc - 2, argv + 2);
	/* --yes stands alone; the rest are pairs. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--yes") == 0) {
			yes = true;
			memmove(argv + i, argv + i + 1, (size_t)(argc - i - 1) * sizeof(*argv));
			argc--;
			break;
		}
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return 1;
	d->cli = cli;
	d->export_dir = cli_option(argc, argv, "--export-to", &bad);
	d->name = cli_option(argc, argv, "--name", &bad);
	d->title = cli_option(argc, argv, "--title", &bad);
	d->organization = cli_option(argc, argv, "--organization", &bad);
	if (bad || d->export_dir == NULL || !cli_options_known(argc, argv, names)) {
		free(d);
		return usage();
	}
	if (!yes) {
		fprintf(stderr, "medgatectl: decommission erases this instance for good; say "
				"--yes to go on\n");
		free(d);
		return 2;
	}
	r = decommission(d);
	json_decref(d->checks);
	json_decref(d->remaining);
	sodium_memzero(d, sizeof(*d));
	free(d);
	return r;
}
