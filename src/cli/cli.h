/* medgatectl: one file per command group, sharing this context. */
#ifndef MG_CLI_CLI_H
#define MG_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "audit/audit.h"
#include "common/config.h"
#include "crypto/keys.h"
#include "store/store.h"

struct cli {
	const char *config_path;	/* -c; NULL until given */
	struct mg_config cfg;
	struct mg_store *store;
	struct mg_master_key *master;
	struct mg_keyring *keys;	/* over a copy of master; set on the store */
	/* Who runs medgatectl, fixed at start (cli_operator_init), before
	 * cli_open may switch accounts: "operator:<login of the real uid>",
	 * and the sudo caller if checked (else ""). */
	char actor[MG_NAME_MAX + 16];
	char sudo_user[33];
	/* cli_open keeps root's rights instead of switching to the service
	 * account: only for commands that must change root's files after
	 * opening the store (decommission). */
	bool keep_privileges;
	/* keys/ca.key as root read it before the switch (cli_ca_key_read),
	 * for a backup to hold; NULL if not read. Wiped by cli_close. */
	unsigned char *ca_key;
	size_t ca_key_len;
};

/* Fix cli->actor from the real uid and cli->sudo_user from SUDO_USER, the
 * latter only if it is a plain user name of an existing account whose uid
 * is SUDO_UID: the environment is the caller's to forge. */
void cli_operator_init(struct cli *cli);

/* Load the configuration, switch to the instance's account when run as
 * root (so files stay the daemon's), open the store and, if need_master,
 * the master key. Prints the reason and returns < 0 on failure. */
int cli_open(struct cli *cli, bool need_master);
void cli_close(struct cli *cli);

/* Run as root, before cli_open: read the instance CA's key, which the
 * service account cannot, into cli->ca_key for a backup. Nothing to do
 * (0) when not root or when the instance has none. Prints why on failure. */
int cli_ca_key_read(struct cli *cli);

/* Fill e as an event of the operator: actor cli->actor, role "operator",
 * address "local", details the JSON object given (or none) with
 * "via":"medgatectl" (the host's break-glass path) and the checked
 * "sudo_user" added, written into buf. Returns 0 or MG_ERR_LIMIT /
 * MG_ERR_INVALID (details not a JSON object, or too long). */
int cli_event(struct cli *cli, struct mg_audit_event *e, const char *action, const char *object,
	      const char *details, char *buf, size_t buflen);

/* Record an operator's action on the audit trail; needs the master key
 * (cli_open(cli, true)). Fail closed: call it before the action, and do
 * not act unless it returns 0 (it prints why it could not). After a
 * recorded action failed, record it again with MG_AUDIT_FAILURE. */
int cli_record(struct cli *cli, const char *action, const char *object_type, int64_t object_id,
	       int64_t tenant_id, enum mg_audit_outcome outcome, const char *details);

/* Read a file named on the command line (a password, a checkpoint) into
 * *text, NUL-terminated, trailing newlines cut; the caller wipes and frees
 * it. Call it before cli_open: run as root, medgatectl reads with the
 * rights of whoever called it, before switching to the instance's account,
 * as init does. Prints why it cannot (naming the file) and returns < 0. */
int cli_file_read(const char *file, size_t max, char **text, size_t *len);

/* Option NAME's value in argv[1..]: NULL if absent; *bad if given twice
 * or without a value. */
const char *cli_option(int argc, char **argv, const char *name, bool *bad);

/* Every argument is one of the names, each followed by a value. */
bool cli_options_known(int argc, char **argv, const char *const *names);

/* Resolve a tenant name to its id; prints the reason on failure. */
int cli_tenant_id(struct cli *cli, const char *name, int64_t *id_out);

/* Parse a whole decimal number in [min, max]; 0 or MG_ERR_INVALID. */
int cli_parse_int(const char *text, long long min, long long max, long long *out);

/* Command groups: argv[0] is the group's name. Return the exit status. */
int cli_init(struct cli *cli, int argc, char **argv);

struct passwd;
/* Made by root for service account pw (NULL: nothing to do): the instance
 * folder dir, keys/ and certs/ become root's (group pw's), medgate.conf and
 * the keys root:GROUP 0640, certificates 0644, keys/ca.key root's 0600; the
 * daemon reads what it needs and changes none of it. Returns 0 or < 0
 * (said on stderr). */
int cli_instance_secure(const char *dir, const struct passwd *pw);
int cli_device(struct cli *cli, int argc, char **argv);
int cli_measurement(struct cli *cli, int argc, char **argv);
int cli_config_reference(struct cli *cli, int argc, char **argv);
int cli_user(struct cli *cli, int argc, char **argv);
int cli_outbox(struct cli *cli, int argc, char **argv);
int cli_api_routes(struct cli *cli, int argc, char **argv);
int cli_audit(struct cli *cli, int argc, char **argv);
int cli_maintenance(struct cli *cli, int argc, char **argv);
int cli_handbook(struct cli *cli, int argc, char **argv);
int cli_report(struct cli *cli, int argc, char **argv);
int cli_status(struct cli *cli, int argc, char **argv);
int cli_config_export(struct cli *cli, int argc, char **argv);
int cli_sbom(struct cli *cli, int argc, char **argv);
int cli_advisories(struct cli *cli, int argc, char **argv);
int cli_firmware(struct cli *cli, int argc, char **argv);
int cli_changes(struct cli *cli, int argc, char **argv);
int cli_security_sheet(struct cli *cli, int argc, char **argv);
int cli_update_check(struct cli *cli, int argc, char **argv);

struct mg_sbom;
/* The inventory of the programs named by "--binary PATH" options from
 * argv[*argi] on (which it steps over), else of medgate's programs beside
 * this medgatectl. Prints why it cannot; returns 0 or < 0. */
int cli_sbom_collect(int *argi, int argc, char **argv, struct mg_sbom **out);
int cli_interface(struct cli *cli, int argc, char **argv);
int cli_backup(struct cli *cli, int argc, char **argv);
int cli_patient(struct cli *cli, int argc, char **argv);
int cli_tenant(struct cli *cli, int argc, char **argv);
int cli_key(struct cli *cli, int argc, char **argv);
int cli_decommission(struct cli *cli, int argc, char **argv);

/* The configuration record of the open instance (config export) to f,
 * and its inventory part alone (tenants, devices, accounts, as comment
 * lines "#   tenant ...", "#   device ...", "#   account ..."). */
int cli_config_record(FILE *f, struct cli *cli);
int cli_config_inventory(FILE *f, struct cli *cli);

/* config import RECORD --backup FILE --key KEYFILE --into DIR: a new
 * instance from a backup, configured as the record says. */
int cli_config_import(struct cli *cli, int argc, char **argv);

/* Every record of the open instance's audit trail to f as JSON lines;
 * *count gets how many. Returns 0 or < 0. */
int cli_audit_export_jsonl(struct cli *cli, FILE *f, int64_t *count);

/* Whether path (a file or folder, existing or not) lies in the instance
 * folder of cfg. */
bool cli_inside_instance(const struct mg_config *cfg, const char *path);

#endif
