/* medgatectl: what an operator does from a shell. */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "audit/audit.h"
#include "common/err.h"
#include "common/file.h"
#include "common/log.h"
#include "daemon/privileges.h"

static const struct {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "init", cli_init, "init DIR [options]        create an instance" },
	{ "device", cli_device, "device token|list|revoke|block|unblock   manage devices" },
	{ "measurement", cli_measurement, "measurement list [options]   list stored measurements" },
	{ "outbox", cli_outbox, "outbox status|resend     EMR queues and dead letters" },
	{ "user", cli_user, "user add|list|disable|enable|unlock|reset-password   manage accounts" },
	{ "audit", cli_audit, "audit verify|checkpoint|public-key|export|status|patient   the audit trail" },
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
	if ((r = mg_privileges_drop(cli->cfg.user, err, sizeof(err))) != 0) {
		fprintf(stderr, "medgatectl: %s\n", err);
		return r;
	}
	if (need_master) {
		if ((r = mg_config_path(&cli->cfg, cli->cfg.master_key, path, sizeof(path))) != 0 ||
		    (r = mg_master_key_load(path, &cli->master)) != 0) {
			fprintf(stderr, "medgatectl: master key %s: %s%s\n", path, mg_strerror(r),
				r == MG_ERR_DENIED ? " (readable by others? fix: chmod 600)" : "");
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
	return 0;
}

void cli_close(struct cli *cli)
{
	mg_store_close(cli->store);
	cli->store = NULL;
	mg_master_key_free(cli->master);
	cli->master = NULL;
}

void cli_record(struct cli *cli, const char *action, const char *object_type, int64_t object_id,
	       int64_t tenant_id, const char *details)
{
	char actor[MG_NAME_MAX], object[64] = "";
	struct mg_audit_event e;
	const struct passwd *pw;
	const char *login = getenv("SUDO_USER");
	int r;

	/* Who ran it: the person behind sudo, else the account itself. */
	if (login == NULL && (pw = getpwuid(getuid())) != NULL)
		login = pw->pw_name;
	snprintf(actor, sizeof(actor), "operator:%s", login ? login : "unknown");
	if (object_type != NULL)
		mg_audit_object(object_type, object_id, object, sizeof(object));
	memset(&e, 0, sizeof(e));
	e.actor = actor;
	e.roles = "operator";
	e.address = "local";
	e.action = action;
	e.object = object;
	e.tenant_id = tenant_id;
	e.outcome = MG_AUDIT_SUCCESS;
	e.details = details;
	if (cli->master == NULL || (r = mg_audit_append(cli->store, cli->master, &e)) != 0)
		fprintf(stderr, "medgatectl: warning: %s not recorded on the audit trail\n", action);
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
