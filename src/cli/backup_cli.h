/* What the backup command's two files share (cli/backup.c,
 * cli/backup_restore.c). */
#ifndef MG_CLI_BACKUP_CLI_H
#define MG_CLI_BACKUP_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "backup/backup.h"
#include "backup/recovery.h"
#include "cli/cli.h"

/* Progress on standard error when it is a terminal, else nothing. */
void cli_backup_progress(void *arg, const char *phase, uint64_t done, uint64_t total);

/* Read and decode the recovery secret key file; prints why not. */
int cli_backup_secret_key(const char *file, unsigned char sk[MG_RECOVERY_KEY_BYTES]);

/* A JSON object of one or two text members into out. */
void cli_backup_details(char *out, size_t outlen, const char *k1, const char *v1, const char *k2,
			const char *v2);

/* Record backup.create, then write the backup of the open instance
 * (cli_open(cli, true) done) to out. Prints why not; returns 0 or < 0. */
int cli_backup_create_file(struct cli *cli, const char *out, bool progress,
			   struct mg_backup_manifest *m_out);

/* Decrypt rd into the empty folder dir, lay it out as an instance and
 * check it: every SHA-256, the store's integrity check and audit verify.
 * A PostgreSQL backup is loaded for that into a scratch database on the
 * server of server_conninfo (an instance's; made and dropped here); with
 * server_conninfo NULL only that pg_restore reads the dump is checked. */
int cli_backup_check_copy(struct mg_backup_reader *rd, const unsigned char *sk, const char *dir,
			  const char *server_conninfo, char *err, size_t errlen);

/* PostgreSQL scratch databases (drill, verify): a new name with prefix
 * and 12 random hex digits into name (40 bytes), and CREATE or DROP (IF
 * EXISTS) of name on the server conninfo reaches, through psql. */
void cli_backup_scratch_name(const char *prefix, char name[40]);
int cli_backup_scratch_db(const char *conninfo, const char *name, bool create, char *err,
			  size_t errlen);

/* Unpack rd into the new folder stage as a checked instance: the store
 * where its configuration says (PostgreSQL: loaded into conninfo, or the
 * configured database; emptied first if over), its integrity and audit
 * trail checked, action recorded on its own trail, the erasures the log
 * at erasures (NULL: beside file) names re-applied. cfg gets its
 * configuration. Returns 0 or < 0 with the reason in err. */
int cli_backup_unpack(struct cli *cli, struct mg_backup_reader *rd, const unsigned char *sk,
		      const char *file, const char *stage, const char *conninfo, bool over,
		      const char *action, const char *erasures, struct mg_config *cfg, char *err,
		      size_t errlen);

/* The erasure log beside backup file: its folder's MG_ERASURE_LOG_NAME. */
void cli_backup_erasure_log_default(const char *file, char *out, size_t outlen);

/* Check the erasure log (erasures, or the one beside file) against m's
 * signing key before a restore unpacks anything: 0 if it verifies or
 * there is none, else < 0 with the reason in err. */
int cli_backup_erasures_check(const struct mg_backup_manifest *m, const char *file,
			      const char *erasures, char *err, size_t errlen);

/* Erase again, in the unpacked copy's store (and record on its trail),
 * every patient and tenant the erasure log at log names as erased after
 * m's time (less a minute), checking every line against m's signing key.
 * No log there: says so and returns 0. A log that does not verify, or an
 * erasure that fails: < 0 with the reason in err. */
int cli_backup_erasures_apply(struct cli *cli, struct mg_store *store,
			      const struct mg_master_key *mk, const struct mg_backup_manifest *m,
			      const char *log, char *err, size_t errlen);

/* Write cfg as dir/medgate.conf in place of the one there. */
int cli_backup_config_rewrite(const char *dir, const struct mg_config *cfg, char *err,
			      size_t errlen);

/* Open the unpacked instance cfg names: integrity check, audit verify. */
int cli_backup_copy_verify(const struct mg_config *cfg, char *err, size_t errlen);

int cli_backup_restore(struct cli *cli, int argc, char **argv, const char *file);
int cli_backup_drill(struct cli *cli, int argc, char **argv);

#endif
