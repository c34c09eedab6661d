/* medgatectl: what an operator does from a shell. */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "audit/audit.h"
#include "common/err.h"
#include "common/file.h"
#include "common/log.h"
#include "common/privileges.h"
#include "crypto/keyring.h"

static const struct {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "init", cli_init, "init DIR [options]        create an instance" },
	{ "device", cli_device, "device token|list|revoke|block|unblock   manage devices" },
	{ "measurement", cli_measurement, "measurement list [options]   list stored measurements" },
	{ "interface", cli_interface,
	  "interface list|on|off NAME   switch ports and forwarding (the web port only here)" },
	{ "outbox", cli_outbox, "outbox status|resend     EMR queues and dead letters" },
	{ "key", cli_key, "key rotate [--finish]     a new master key, tenant keys re-wrapped" },
	{ "user", cli_user, "user add|list|disable|enable|unlock|reset-password   manage accounts" },
	{ "maintenance", cli_maintenance,
	  "maintenance list|grant|refuse|revoke   remote maintenance by service accounts" },
	{ "config", cli_config_export,
	  "config export|import      the configuration record; rebuild from it and a backup" },
	{ "status", cli_status, "status                    configuration, store, handbook up to date" },
	{ "handbook", cli_handbook,
	  "handbook --out FILE.html [--pdf FILE.pdf]   print the emergency handbook" },
	{ "changes", cli_changes, "changes list|review ID --note TEXT   changes to review" },
	{ "security-sheet", cli_security_sheet,
	  "security-sheet [--format text|html] [--out FILE [--pdf FILE]]   product security sheet" },
	{ "report", cli_report,
	  "report --tenant NAME --patient ID --pdf FILE [--clinician NAME]   a patient's report as PDF" },
	{ "audit", cli_audit, "audit verify|checkpoint|public-key|export|status|patient   the audit trail" },
	{ "sbom", cli_sbom, "sbom [--binary PATH ...] [--out FILE]   CycloneDX bill of materials" },
	{ "advisories", cli_advisories,
	  "advisories import FILE|list [--json]   known vulnerabilities of the components" },
	{ "firmware", cli_firmware,
	  "firmware import|keygen|sign   signed device firmware with rollback protection" },
	{ "update-check", cli_update_check,
	  "update-check --feed FILE [--signature FILE]   is a newer medgate released?" },
	{ "backup", cli_backup,
	  "backup keygen|create|verify|restore|drill [--key K] [--into DIR]   sealed backups" },
	{ "patient", cli_patient,
	  "patient export|erase --tenant T --patient ID   a patient's rights (GDPR Art. 15, 17)" },
	{ "tenant", cli_tenant,
	  "tenant export --tenant T --out DIR | erase --tenant T --yes [--export-to DIR]   a tenant's end" },
	{ "decommission", cli_decommission,
	  "decommission --export-to DIR --yes | verify-certificate FILE   end of life" },
	{ "api-routes", cli_api_routes, "api-routes                print the API route table" },
	{ "config-reference", cli_config_reference,
	  "config-reference          print the configuration reference (Markdown)" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: medgatectl [-c CONFIG] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s\n", commands[i].summary);
	fprintf(out, "\n-c CONFIG names the instance's medgate.conf (also $MEDGATE_CONFIG).\n");
}

int cli_parse_int(const char *text, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (text[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return MG_ERR_INVALID;
	*out = v;
	return 0;
}

/* Option NAME's value in argv[1..]: NULL if absent; *bad if given twice
 * or without a value. */
const char *cli_option(int argc, char **argv, const char *name, bool *bad)
{
	const char *value = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], name) != 0)
			continue;
		if (i + 1 >= argc || value != NULL)
			*bad = true;
		else
			value = argv[i + 1];
	}
	return value;
}

/* Every argument is one of the names, each followed by a value. */
bool cli_options_known(int argc, char **argv, const char *const *names)
{
	for (int i = 1; i < argc; i += 2) {
		bool known = false;

		for (const char *const *n = names; *n != NULL; n++)
			known = known || strcmp(argv[i], *n) == 0;
		if (!known || i + 1 >= argc)
			return false;
	}
	return true;
}

int cli_file_read(const char *file, size_t max, char **text, size_t *len)
{
	int r;

	if ((r = mg_file_read(file, max, text, len)) != 0) {
		fprintf(stderr, "medgatectl: %s: %s\n", file,
			r == MG_ERR_LIMIT ? "file too large" : r == MG_ERR_NOMEM ? "out of memory"
			: errno == EINVAL ? "not a regular file" : strerror(errno));
		return r;
	}
	while (*len > 0 && ((*text)[*len - 1] == '\n' || (*text)[*len - 1] == '\r'))
		(*text)[--*len] = '\0';
	return 0;
}

int cli_open(struct cli *cli, bool need_master)
{
	char err[512], path[MG_PATH_MAX];
	int r, version;

	if (cli->config_path == NULL) {
		fprintf(stderr, "medgatectl: no configuration: give -c DIR/medgate.conf\n");
		return MG_ERR_CONFIG;
	}
	if ((r = mg_config_load(cli->config_path, &cli->cfg, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: %s\n", err);
		return r;
	}
	/* Files made while root (SQLite's journal) would lock the daemon out. */
	if (!cli->keep_privileges &&
	    (r = mg_privileges_drop(cli->cfg.user, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: %s\n", err);
		return r;
	}
	if (need_master) {
		if ((r = mg_config_path(&cli->cfg, cli->cfg.master_key, path, sizeof(path))) != 0 ||
		    (r = mg_master_key_load(path, &cli->master)) != 0) {
			fprintf(stderr, "medgatectl: master key %s: %s%s\n", path, mg_strerror(r),
				r == MG_ERR_DENIED ? " (not private; fix: " MG_FILE_PRIVATE_FIX ")" : "");
			return r;
		}
	}
	if ((r = mg_store_open(&cli->cfg, false, &cli->store, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: cannot open the store: %s\n", err);
		return r;
	}
	if ((r = mg_store_migrate(cli->store, &version)) != 0) {
		fprintf(stderr, "medgatectl: cannot bring the store schema up to date\n");
		return r;
	}
	/* The keyring owns its master key: it gets its own copy. */
	if (need_master) {
		struct mg_master_key *mk = NULL;

		if ((r = mg_master_key_load(path, &mk)) != 0 ||
		    (r = mg_keyring_new(mk, &cli->keys)) != 0) {
			mg_master_key_free(mk);
			fprintf(stderr, "medgatectl: master key %s: %s\n", path, mg_strerror(r));
			return r;
		}
		mg_store_set_keyring(cli->store, cli->keys);
	}
	return 0;
}

void cli_close(struct cli *cli)
{
	mg_store_close(cli->store);
	cli->store = NULL;
	mg_keyring_free(cli->keys);
	cli->keys = NULL;
	mg_master_key_free(cli->master);
	cli->master = NULL;
	if (cli->ca_key != NULL) {
		sodium_memzero(cli->ca_key, cli->ca_key_len);
		free(cli->ca_key);
		cli->ca_key = NULL;
	}
}

int cli_ca_key_read(struct cli *cli)
{
	struct mg_config *cfg;
	char err[512], path[MG_PATH_MAX];
	char *data = NULL;
	size_t len = 0;
	int r = 0;

	if (geteuid() != 0 || cli->config_path == NULL)
		return 0;
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return MG_ERR_NOMEM;
	if (mg_config_load(cli->config_path, cfg, err, sizeof(err)) != 0 ||
	    mg_config_path(cfg, "keys/ca.key", path, sizeof(path)) != 0) {
		free(cfg);
		return 0;	/* cli_open says what is wrong with the configuration */
	}
	free(cfg);
	if (access(path, F_OK) != 0)
		return 0;
	if ((r = mg_file_read(path, 64 * 1024, &data, &len)) != 0) {
		fprintf(stderr, "medgatectl: %s: %s\n", path, strerror(errno));
		return r;
	}
	cli->ca_key = (unsigned char *)data;
	cli->ca_key_len = len;
	return 0;
}

/* A plain login name: what useradd accepts by default, nothing to escape. */
static bool login_name_plain(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= 32 && name[0] != '-' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

void cli_operator_init(struct cli *cli)
{
	const struct passwd *pw = getpwuid(getuid());
	const char *sudo_user = getenv("SUDO_USER"), *sudo_uid = getenv("SUDO_UID");
	long long uid;

	if (pw != NULL && login_name_plain(pw->pw_name))
		snprintf(cli->actor, sizeof(cli->actor), "operator:%s", pw->pw_name);
	else
		snprintf(cli->actor, sizeof(cli->actor), "operator:uid-%lu", (unsigned long)getuid());
	cli->sudo_user[0] = '\0';
	if (sudo_user == NULL || sudo_uid == NULL || !login_name_plain(sudo_user) ||
	    cli_parse_int(sudo_uid, 0, UINT32_MAX, &uid) != 0 ||
	    (pw = getpwnam(sudo_user)) == NULL || (long long)pw->pw_uid != uid)
		return;
	snprintf(cli->sudo_user, sizeof(cli->sudo_user), "%s", sudo_user);
}

int cli_event(struct cli *cli, struct mg_audit_event *e, const char *action, const char *object,
	      const char *details, char *buf, size_t buflen)
{
	json_t *o = details != NULL ? json_loads(details, 0, NULL) : json_object();
	size_t n;
	int r = 0;

	memset(e, 0, sizeof(*e));
	if (!json_is_object(o) ||
	    json_object_set_new(o, "via", json_string("medgatectl")) != 0 ||
	    (cli->sudo_user[0] != '\0' &&
	     json_object_set_new(o, "sudo_user", json_string(cli->sudo_user)) != 0))
		r = MG_ERR_INVALID;
	else if ((n = json_dumpb(o, buf, buflen, JSON_COMPACT)) == 0 || n >= buflen ||
		 n > MG_AUDIT_DETAILS_MAX)
		r = MG_ERR_LIMIT;
	else
		buf[n] = '\0';
	json_decref(o);
	e->actor = cli->actor;
	e->roles = "operator";
	e->address = "local";
	e->action = action;
	e->object = object;
	e->outcome = MG_AUDIT_SUCCESS;
	e->details = r == 0 ? buf : NULL;
	return r;
}

int cli_record(struct cli *cli, const char *action, const char *object_type, int64_t object_id,
	       int64_t tenant_id, enum mg_audit_outcome outcome, const char *details)
{
	char object[64] = "", buf[MG_AUDIT_DETAILS_MAX + 1];
	struct mg_audit_event e;
	int r;

	if (object_type != NULL && (r = mg_audit_object(object_type, object_id, object,
							  sizeof(object))) != 0)
		goto out;
	if ((r = cli_event(cli, &e, action, object, details, buf, sizeof(buf))) != 0)
		goto out;
	e.tenant_id = tenant_id;
	e.outcome = outcome;
	r = cli->master != NULL ? mg_audit_append(cli->store, cli->master, &e) : MG_ERR_INVALID;
out:
	if (r != 0)
		fprintf(stderr, "medgatectl: cannot record %s on the audit trail (%s)%s\n", action,
			mg_strerror(r), outcome == MG_AUDIT_SUCCESS ? "; nothing done" : "");
	return r;
}

int cli_tenant_id(struct cli *cli, const char *name, int64_t *id_out)
{
	struct mg_tenant t;
	int r;

	*id_out = 0;
	if ((r = mg_store_tenant_by_name(cli->store, name, &t)) != 0) {
		fprintf(stderr, "medgatectl: tenant %s: %s\n", name,
			r == MG_ERR_NOT_FOUND ? "no such tenant" : mg_strerror(r));
		return r;
	}
	*id_out = t.id;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli;
	int i = 1, status;

	memset(&cli, 0, sizeof(cli));
	cli_operator_init(&cli);
	cli.config_path = getenv("MEDGATE_CONFIG");
	umask(077);
	while (i < argc && argv[i][0] == '-') {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc) {
			cli.config_path = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("medgatectl %s\n", MG_VERSION);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (mg_crypto_init() != 0 || gnutls_global_init() < 0) {
		fprintf(stderr, "medgatectl: cannot initialise the crypto libraries\n");
		return 1;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(argv[i], commands[k].name) == 0) {
			status = commands[k].run(&cli, argc - i, argv + i);
			cli_close(&cli);
			gnutls_global_deinit();
			return status;
		}
	}
	fprintf(stderr, "medgatectl: unknown command %s\n", argv[i]);
	usage(stderr);
	gnutls_global_deinit();
	return 2;
}
