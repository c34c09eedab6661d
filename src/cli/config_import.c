/* medgatectl config import RECORD --backup FILE --key KEYFILE --into DIR:
 * the white paper's "restore a documented configuration". The backup gives
 * the data and the keys; the configuration record (config export) gives
 * the configuration the operator documented, which may be newer than the
 * backup's. The backup is restored into DIR as backup restore does, the
 * record becomes DIR's medgate.conf, and the result is checked: the store
 * opens with the record's paths, its integrity and audit trail hold. If
 * not, DIR keeps the backup's own configuration and the command says why.
 * Then the record's inventory is compared with what the backup holds. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/backup_cli.h"
#include "cli/cli.h"
#include "common/err.h"

struct import {
	const char *record, *backup, *key, *into, *conninfo;
	struct mg_config *rec;		/* the record, loaded as a configuration */
	char instance[MG_BACKUP_INSTANCE_ID_LEN + 1];	/* the record's "# instance" */
};

/* The record's "# instance ID" line, if any. */
static void record_instance(const char *text, char *id, size_t idlen)
{
	const char *at = strstr(text, "\n# instance ");

	id[0] = '\0';
	if (at != NULL)
		snprintf(id, idlen, "%.*s", (int)strspn(at + 12, "0123456789abcdef"), at + 12);
}

/* The record loads as a configuration, its storage matches the backup's,
 * its instance is the backup's, a masked password is given again. */
static int preflight(struct import *im, char *err, size_t errlen)
{
	const struct mg_backup_manifest *m;
	struct mg_backup_reader *rd = NULL;
	char *text = NULL;
	size_t len = 0;
	int r;

	if ((r = mg_config_load(im->record, im->rec, err, errlen)) != 0)
		return r;
	if (cli_file_read(im->record, 1 << 20, &text, &len) != 0)
		return MG_ERR_IO;
	record_instance(text, im->instance, sizeof(im->instance));
	free(text);
	if ((r = mg_backup_reader_open(im->backup, &rd, err, errlen)) != 0)
		return r;
	m = mg_backup_reader_manifest(rd);
	if (strcmp(m->storage, im->rec->storage_backend) != 0) {
		snprintf(err, errlen, "the record's storage is %s, the backup's %s",
			 im->rec->storage_backend, m->storage);
		r = MG_ERR_INVALID;
	} else if (im->instance[0] != '\0' && strcmp(im->instance, m->instance_id) != 0) {
		snprintf(err, errlen, "the record is of instance %s, the backup of instance %s",
			 im->instance, m->instance_id);
		r = MG_ERR_INVALID;
	} else if (strcmp(im->rec->storage_backend, "postgresql") == 0 &&
		   strstr(im->rec->storage_conninfo, "=***") != NULL && im->conninfo == NULL) {
		snprintf(err, errlen, "the record masks the database password: give the "
				      "connection again with --conninfo");
		r = MG_ERR_INVALID;
	}
	mg_backup_reader_free(rd);
	return r;
}

/* Run as root: the new configuration root's and read-only to the
 * service account, like every file init and restore make. */
static int secure(const struct import *im, char *err, size_t errlen)
{
	const struct passwd *pw;

	if (geteuid() != 0 || im->rec->user[0] == '\0')
		return 0;
	if ((pw = getpwnam(im->rec->user)) == NULL || cli_instance_secure(im->into, pw) != 0) {
		snprintf(err, errlen, "cannot hand the configuration in %s to root and %s",
			 im->into, im->rec->user);
		return MG_ERR_IO;
	}
	return 0;
}

/* The record as DIR's configuration, checked; the backup's put back if it
 * does not fit. */
static int configure(struct import *im, char *err, size_t errlen)
{
	struct mg_config *cfg = calloc(1, sizeof(*cfg));
	char conf[MG_PATH_MAX], kept[MG_PATH_MAX + 16], why[512];
	int r;

	if (cfg == NULL)
		return MG_ERR_NOMEM;
	snprintf(conf, sizeof(conf), "%s/medgate.conf", im->into);
	snprintf(kept, sizeof(kept), "%s.from-backup", conf);
	if (im->conninfo != NULL)
		snprintf(im->rec->storage_conninfo, sizeof(im->rec->storage_conninfo), "%s",
			 im->conninfo);
	if (link(conf, kept) != 0) {
		snprintf(err, errlen, "%.900s: %.100s", kept, strerror(errno));
		free(cfg);
		return MG_ERR_IO;
	}
	if ((r = cli_backup_config_rewrite(im->into, im->rec, err, errlen)) == 0 &&
	    (r = secure(im, err, errlen)) == 0 && (r = mg_config_load(conf, cfg, err, errlen)) == 0)
		r = cli_backup_copy_verify(cfg, err, errlen);
	if (r != 0) {
		snprintf(why, sizeof(why), "%.500s", err);
		snprintf(err, errlen, "the record does not fit the backup (%.500s); %.400s keeps "
			 "the backup's own configuration", why, im->into);
		if (rename(kept, conf) != 0)
			snprintf(err, errlen, "the record does not fit the backup (%.500s), and the "
				 "backup's configuration could not be put back from %.400s", why,
				 kept);
	} else {
		unlink(kept);
	}
	free(cfg);
	return r;
}

/* Inventory lines ("#   device ...", "#   account ...") of a that b
 * lacks, printed after label; how many. */
static size_t missing(const char *a, const char *b, const char *label)
{
	size_t n = 0;

	for (const char *line = a; *line != '\0';) {
		size_t len = strcspn(line, "\n");
		const char *at = b;
		bool found = false;

		if (strncmp(line, "#   device ", 11) == 0 || strncmp(line, "#   account ", 12) == 0) {
			while (!found && (at = strstr(at, "\n")) != NULL) {
				at++;
				found = strncmp(at, line, len) == 0 &&
					(at[len] == '\n' || at[len] == '\0');
			}
			if (!found) {
				printf("  %s %.*s\n", label, (int)(len - 4), line + 4);
				n++;
			}
		}
		line += len + (line[len] == '\n');
	}
	return n;
}

/* Record config.import on the new instance's trail, and compare the
 * record's inventory with the one restored. */
static int settle(struct cli *parent, struct import *im)
{
	struct cli c = *parent;
	char conf[MG_PATH_MAX], details[MG_PATH_MAX * 2 + 64], *record = NULL, *now = NULL;
	size_t len = 0, nowlen = 0, differ;
	FILE *f;
	int r;

	snprintf(conf, sizeof(conf), "%s/medgate.conf", im->into);
	c.config_path = conf;
	c.store = NULL;
	c.master = NULL;
	c.keep_privileges = false;
	if (cli_file_read(im->record, 1 << 20, &record, &len) != 0)
		return 1;
	cli_backup_details(details, sizeof(details), "record", im->record, "backup", im->backup);
	if (cli_open(&c, true) != 0 ||
	    cli_record(&c, "config.import", NULL, 0, 0, MG_AUDIT_SUCCESS, details) != 0 ||
	    (f = open_memstream(&now, &nowlen)) == NULL) {
		free(record);
		cli_close(&c);
		return 1;
	}
	r = cli_config_inventory(f, &c);
	fclose(f);
	cli_close(&c);
	if (r != 0 || now == NULL) {
		fprintf(stderr, "medgatectl: cannot read the restored inventory: %s\n",
			mg_strerror(r));
		free(record);
		free(now);
		return 1;
	}
	printf("configured from the record %s\n", im->record);
	differ = missing(record, now, "in the record, not in the backup:") +
		 missing(now, record, "in the backup, not in the record:");
	if (differ == 0)
		printf("the record's inventory (devices, accounts) matches the backup's\n");
	else
		printf("%zu inventory line%s differ: the record and the backup were made at "
		       "different times\n", differ, differ == 1 ? "" : "s");
	free(record);
	free(now);
	return 0;
}

/* backup restore FILE --key K --into DIR [--conninfo C], with an argument
 * vector of its own as cli_backup hands it over (argv[0] the file). */
static int restore(struct cli *cli, const struct import *im)
{
	const char *given[] = { im->backup, "--key", im->key, "--into", im->into, "--conninfo",
				im->conninfo };
	int argc = im->conninfo ? 7 : 5, r = 1;
	char *args[8] = { NULL };

	for (int i = 0; i < argc; i++)
		if ((args[i] = strdup(given[i])) == NULL)
			goto out;
	r = cli_backup_restore(cli, argc, args, args[0]);
out:
	for (int i = 0; i < argc; i++)
		free(args[i]);
	return r;
}

int cli_config_import(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = { "--backup", "--key", "--into", "--conninfo", NULL };
	struct import im = { 0 };
	char err[1024];
	bool bad = false;
	int r;

	if (argc >= 2 && argv[1][0] != '-') {
		im.record = argv[1];
		argc--;
		argv++;
	}
	im.backup = cli_option(argc, argv, "--backup", &bad);
	im.key = cli_option(argc, argv, "--key", &bad);
	im.into = cli_option(argc, argv, "--into", &bad);
	im.conninfo = cli_option(argc, argv, "--conninfo", &bad);
	if (bad || im.record == NULL || im.backup == NULL || im.key == NULL || im.into == NULL ||
	    !cli_options_known(argc, argv, names)) {
		fprintf(stderr, "usage: medgatectl config import RECORD --backup FILE --key KEYFILE "
				"--into DIR [--conninfo TEXT]\n");
		return 2;
	}
	if ((im.rec = calloc(1, sizeof(*im.rec))) == NULL)
		return 1;
	if ((r = preflight(&im, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: %s: refused: %s\n", im.record, err);
		free(im.rec);
		return 1;
	}
	if (restore(cli, &im) != 0) {
		free(im.rec);
		return 1;
	}
	if ((r = configure(&im, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: %s: %s\n", im.record, err);
		free(im.rec);
		return 1;
	}
	free(im.rec);
	return settle(cli, &im);
}
