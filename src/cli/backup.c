/* medgatectl backup keygen|create|verify: backups sealed to a recovery
 * key the gateway never holds (docs/backup.md). restore and drill are in
 * backup_restore.c. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup/backup.h"
#include "backup/recovery.h"
#include "cli/cli.h"
#include "cli/backup_cli.h"
#include "common/err.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/run.h"
#include "common/timefmt.h"

static int backup_usage(void)
{
	fprintf(stderr,
		"usage: medgatectl backup keygen --out KEYFILE\n"
		"       medgatectl backup create --out FILE\n"
		"       medgatectl backup verify FILE [--key KEYFILE]\n"
		"       medgatectl backup restore FILE --key KEYFILE --into DIR [--conninfo TEXT]\n"
		"                [--erasures LOG]\n"
		"       medgatectl backup drill [FILE] --key KEYFILE\n");
	return 2;
}

/* A progress line on a terminal; nothing when output goes elsewhere. */
void cli_backup_progress(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	static char last[64];
	char line[64];
	unsigned pct = total ? (unsigned)(done * 100 / total) : 0, bar = pct / 5;

	(void)arg;
	if (!isatty(STDERR_FILENO))
		return;
	snprintf(line, sizeof(line), "%-8s [%.*s%*s] %3u%%", phase, (int)bar,
		 "####################", (int)(20 - bar), "", pct);
	if (strcmp(line, last) == 0)
		return;
	snprintf(last, sizeof(last), "%s", line);
	fprintf(stderr, "\r%s%s", line, done >= total ? "\n" : "");
}

int cli_backup_secret_key(const char *file, unsigned char sk[MG_RECOVERY_KEY_BYTES])
{
	char *text = NULL;
	size_t len = 0;
	int r;

	if (cli_file_read(file, MG_RECOVERY_FILE_MAX, &text, &len) != 0)
		return MG_ERR_IO;
	r = mg_recovery_key_parse(true, text, len, sk);
	sodium_memzero(text, len);
	free(text);
	if (r != 0)
		fprintf(stderr, "medgatectl: %s: %s\n", file,
			r == MG_ERR_CRYPTO ? "the key's check digits do not match (mistyped?)"
					   : "no recovery secret key (MGRK1-...) in it");
	return r;
}

/* The QR code of text in the terminal: two module rows per line. */
static void qr_print(const char *text)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int w, q = 2;

	if (qr == NULL)
		return;
	w = qr->width;
	for (int y = -q; y < w + q; y += 2) {
		printf("  ");
		for (int x = -q; x < w + q; x++) {
			bool top = y >= 0 && y < w && x >= 0 && x < w && (qr->data[y * w + x] & 1);
			bool bottom = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w &&
				      (qr->data[(y + 1) * w + x] & 1);

			fputs(top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ",
			      stdout);
		}
		printf("\n");
	}
	QRcode_free(qr);
}

static void key_sheet(const char *instance_id, const char *secret_text, const char *public_text,
		      const char *file)
{
	char when[40];

	mg_time_format(mg_now_ms(), when, sizeof(when));
	printf("medgate recovery key sheet - shown once, keep it in a safe\n\n"
	       "  instance:    %s\n  made:        %s\n  public key:  %s\n\n"
	       "  SECRET KEY (type it into a file to restore, e.g. with an editor):\n\n"
	       "    %s\n\n", instance_id, when, public_text, secret_text);
	qr_print(secret_text);
	printf("\n  The secret key is also in %s: move it off the gateway, and keep\n"
	       "  it apart from the backups. Without it no backup can be read.\n", file);
}

/* Whether file (not made yet) would lie inside the instance folder. */
bool cli_inside_instance(const struct mg_config *cfg, const char *file)
{
	char copy[MG_PATH_MAX], folder[PATH_MAX], instance[PATH_MAX];
	char *slash;
	size_t n;

	snprintf(copy, sizeof(copy), "%s", file);
	slash = strrchr(copy, '/');
	if (slash == copy)
		copy[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		snprintf(copy, sizeof(copy), ".");
	if (realpath(copy, folder) == NULL || realpath(cfg->dir, instance) == NULL)
		return false;
	n = strlen(instance);
	return strncmp(folder, instance, n) == 0 && (folder[n] == '\0' || folder[n] == '/');
}

static int keygen(struct cli *cli, const char *out)
{
	unsigned char pk[MG_RECOVERY_KEY_BYTES], sk[MG_RECOVERY_KEY_BYTES];
	char secret_text[MG_RECOVERY_TEXT_MAX], public_text[MG_RECOVERY_TEXT_MAX];
	char pub_path[MG_PATH_MAX], file[512], err[512], id[MG_BACKUP_INSTANCE_ID_LEN + 1];
	int n, r;

	if (access(out, F_OK) == 0) {
		fprintf(stderr, "medgatectl: %s exists; refusing to overwrite it\n", out);
		return 1;
	}
	if (cli->config_path == NULL ||
	    mg_config_load(cli->config_path, &cli->cfg, err, sizeof(err)) != 0 ||
	    mg_config_path(&cli->cfg, cli->cfg.backup_recovery_key, pub_path, sizeof(pub_path)) != 0) {
		fprintf(stderr, "medgatectl: %s\n", cli->config_path ? err : "no configuration (-c)");
		return 1;
	}
	if (cli_inside_instance(&cli->cfg, out)) {
		fprintf(stderr, "medgatectl: %s lies in the instance folder %s: the secret key must "
				"never be kept on the gateway's instance; write it elsewhere (a USB "
				"stick, the operator's home) and move it off the machine\n", out,
			cli->cfg.dir);
		return 1;
	}
	if (access(pub_path, F_OK) == 0) {
		fprintf(stderr, "medgatectl: %s exists: this instance has a recovery key already "
				"(remove that file first to make a new one; older backups stay "
				"sealed to the old key)\n", pub_path);
		return 1;
	}
	crypto_box_keypair(pk, sk);
	mg_recovery_key_format(true, sk, secret_text, sizeof(secret_text));
	mg_recovery_key_format(false, pk, public_text, sizeof(public_text));
	sodium_memzero(sk, sizeof(sk));
	/* Written with the caller's rights, before switching to the instance's
	 * account: the secret key is the operator's, not the gateway's. */
	n = snprintf(file, sizeof(file), "# medgate recovery secret key: keep it off the gateway\n"
		     "%s\n", secret_text);
	if ((r = mg_file_create(out, file, (size_t)n, 0600)) != 0) {
		fprintf(stderr, "medgatectl: %s: %s\n", out, mg_strerror(r));
		sodium_memzero(file, sizeof(file));
		return 1;
	}
	sodium_memzero(file, sizeof(file));
	n = snprintf(file, sizeof(file), "# medgate recovery public key (backup keygen)\n%s\n",
		     public_text);
	/* The public key too, before the switch: keys/ is root's when root
	 * made the instance (the daemon reads it, never writes it). */
	if ((r = mg_file_create(pub_path, file, (size_t)n, 0644)) != 0) {
		fprintf(stderr, "medgatectl: %s: %s\n", pub_path, mg_strerror(r));
		unlink(out);
		return 1;
	}
	if (cli_open(cli, true) != 0 || mg_backup_instance_id(cli->store, id) != 0 ||
	    cli_record(cli, "backup.keygen", NULL, 0, 0, MG_AUDIT_SUCCESS, NULL) != 0) {
		unlink(out);
		unlink(pub_path);
		return 1;
	}
	key_sheet(id, secret_text, public_text, out);
	sodium_memzero(secret_text, sizeof(secret_text));
	return 0;
}

void cli_backup_details(char *out, size_t outlen, const char *k1, const char *v1, const char *k2,
			const char *v2)
{
	json_t *o = json_object();
	char *text;

	json_object_set_new(o, k1, json_string(v1));
	if (k2 != NULL)
		json_object_set_new(o, k2, json_string(v2));
	text = json_dumps(o, JSON_COMPACT);
	snprintf(out, outlen, "%s", text != NULL && strlen(text) < outlen ? text : "{}");
	free(text);
	json_decref(o);
}

int cli_backup_create_file(struct cli *cli, const char *out, bool progress,
			   struct mg_backup_manifest *m_out)
{
	unsigned char pk[MG_RECOVERY_KEY_BYTES];
	char err[512], details[MG_PATH_MAX + 64], id[MG_BACKUP_INSTANCE_ID_LEN + 1];
	struct mg_audit_record rec;
	struct mg_audit_event e;
	char buf[MG_AUDIT_DETAILS_MAX + 1];
	int r, version;

	if ((r = mg_backup_recipient_load(&cli->cfg, pk, err, sizeof(err))) != 0 ||
	    (r = mg_backup_instance_id(cli->store, id)) != 0 ||
	    (r = mg_store_migrate(cli->store, &version)) != 0) {
		fprintf(stderr, "medgatectl: %s\n", r == MG_ERR_CONFIG || r == MG_ERR_IO ||
			r == MG_ERR_INVALID || r == MG_ERR_CRYPTO ? err : mg_strerror(r));
		return r;
	}
	cli_backup_details(details, sizeof(details), "file", out, NULL, NULL);
	/* Fail closed: recorded first; the snapshot then holds this record,
	 * and its seq is the backup's sequence number. */
	if ((r = cli_event(cli, &e, "backup.create", "backup", details, buf, sizeof(buf))) != 0 ||
	    (r = mg_audit_append_record(cli->store, cli->master, &e, &rec)) != 0) {
		fprintf(stderr, "medgatectl: cannot record backup.create on the audit trail (%s); "
				"nothing done\n", mg_strerror(r));
		return r;
	}
	struct mg_backup_source src = {
		.cfg = &cli->cfg, .store = cli->store, .mk = cli->master, .recipient = pk,
		.instance_id = id, .schema_version = version, .seq = rec.seq,
		.progress = progress ? cli_backup_progress : NULL,
		.ca_key = cli->ca_key, .ca_key_len = cli->ca_key_len,
	};
	if ((r = mg_backup_create(&src, out, m_out, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: backup failed: %s\n", err);
		cli_backup_details(details, sizeof(details), "file", out, "reason", err);
		cli_record(cli, "backup.create", NULL, 0, 0, MG_AUDIT_FAILURE, details);
	}
	return r;
}

static int create(struct cli *cli, const char *out)
{
	struct mg_backup_manifest *m = malloc(sizeof(*m));
	int r;

	/* Root reads the instance CA's key before the switch. */
	if (m == NULL || cli_ca_key_read(cli) != 0 || cli_open(cli, true) != 0) {
		free(m);
		return 1;
	}
	if (access(out, F_OK) == 0) {
		char details[MG_PATH_MAX + 64];

		fprintf(stderr, "medgatectl: %s exists; a backup never replaces a file\n", out);
		cli_backup_details(details, sizeof(details), "file", out, "reason", "file exists");
		cli_record(cli, "backup.create", NULL, 0, 0, MG_AUDIT_FAILURE, details);
		free(m);
		return 1;
	}
	mg_backup_yield_cpu();
	if ((r = cli_backup_create_file(cli, out, true, m)) == 0)
		printf("backup of instance %s written to %s (audit seq %lld, %zu parts)\n",
		       m->instance_id, out, (long long)m->seq, m->nparts);
	free(m);
	return r == 0 ? 0 : 1;
}

static void manifest_print(const struct mg_backup_manifest *m)
{
	char when[40], key[MG_HEX_TEXT_LEN(32)];
	uint64_t bytes = 0;
	bool ca_key = false;

	for (size_t i = 0; i < m->nparts; i++) {
		bytes += m->parts[i].size;
		ca_key = ca_key || strcmp(m->parts[i].name, MG_BACKUP_PART_CA_KEY) == 0;
	}
	mg_time_format(m->created_ms, when, sizeof(when));
	mg_hex_encode(m->signing_key, sizeof(m->signing_key), MG_HEX_LOWER, key, sizeof(key));
	printf("instance:   %s\ncreated:    %s\naudit seq:  %lld\nschema:     %d\n"
	       "storage:    %s\nparts:      %zu (%llu bytes before encryption)\n"
	       "signed by:  %s (compare: medgatectl audit public-key)\n",
	       m->instance_id, when, (long long)m->seq, m->schema_version, m->storage, m->nparts,
	       (unsigned long long)bytes, key);
	printf("CA key:     %s\n", ca_key ? "in this backup"
				      : "not in this backup (made without root: keep the instance "
					"CA's key from a backup root made, docs/backup.md)");
}

static int verify(struct cli *cli, const char *file, const char *key_file)
{
	unsigned char sk[MG_RECOVERY_KEY_BYTES];
	struct mg_backup_reader *rd = NULL;
	char err[512], dir[] = "/tmp/medgate-verify-XXXXXX";
	const char *server = NULL;
	int r;

	/* With -c naming a PostgreSQL instance, its server lends a scratch
	 * database to check the copy's trail in. */
	if (key_file != NULL && cli->config_path != NULL) {
		if (mg_config_load(cli->config_path, &cli->cfg, err, sizeof(err)) != 0) {
			fprintf(stderr, "medgatectl: %s\n", err);
			return 1;
		}
		if (strcmp(cli->cfg.storage_backend, "postgresql") == 0)
			server = cli->cfg.storage_conninfo;
	}
	if (key_file != NULL && cli_backup_secret_key(key_file, sk) != 0)
		return 1;
	if ((r = mg_backup_reader_open(file, &rd, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: %s: refused: %s\n", file, err);
		sodium_memzero(sk, sizeof(sk));
		return 1;
	}
	manifest_print(mg_backup_reader_manifest(rd));
	printf("signature:  good; manifest and structure intact\n");
	if (key_file != NULL) {
		if (mkdtemp(dir) == NULL) {
			r = MG_ERR_IO;
			fprintf(stderr, "medgatectl: cannot make a folder in /tmp: %s\n",
				strerror(errno));
		} else {
			r = cli_backup_check_copy(rd, sk, dir, server, err, sizeof(err));
			mg_backup_remove_tree(dir);
		}
	}
	sodium_memzero(sk, sizeof(sk));
	mg_backup_reader_free(rd);
	if (r != 0) {
		fprintf(stderr, "medgatectl: %s: refused: %s\n", file, err);
		return 1;
	}
	return 0;
}

int cli_backup(struct cli *cli, int argc, char **argv)
{
	static const char *const out_names[] = { "--out", NULL };
	static const char *const key_names[] = { "--key", NULL };
	const char *sub = argc >= 2 ? argv[1] : "";
	bool bad = false;

	if (strcmp(sub, "keygen") == 0 || strcmp(sub, "create") == 0) {
		const char *out = cli_option(argc - 1, argv + 1, "--out", &bad);

		if (bad || out == NULL || !cli_options_known(argc - 1, argv + 1, out_names))
			return backup_usage();
		return strcmp(sub, "keygen") == 0 ? keygen(cli, out) : create(cli, out);
	}
	if (strcmp(sub, "verify") == 0 && argc >= 3 && argv[2][0] != '-') {
		const char *key = cli_option(argc - 2, argv + 2, "--key", &bad);

		if (bad || !cli_options_known(argc - 2, argv + 2, key_names))
			return backup_usage();
		return verify(cli, argv[2], key);
	}
	if (strcmp(sub, "restore") == 0 && argc >= 3 && argv[2][0] != '-')
		return cli_backup_restore(cli, argc - 2, argv + 2, argv[2]);
	if (strcmp(sub, "drill") == 0)
		return cli_backup_drill(cli, argc - 1, argv + 1);
	return backup_usage();
}
