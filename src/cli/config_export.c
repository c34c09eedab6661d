/* medgatectl config export [--out FILE]: the configuration record the
 * white paper asks to keep (issue 13): the live configuration as the
 * daemon reads it, every key commented, followed by the run-time state an
 * administrator set (interface switches, second-factor roles) and the
 * inventory (tenants, devices with firmware and certificate end, accounts
 * with roles and second factor), as comments. Never a secret: keys and
 * passwords appear only as the files that hold them, and a password
 * written into [storage] conninfo is masked. The record parses as a
 * configuration again (test_config_export checks it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "access/switches.h"
#include "audit/audit.h"
#include "cli/cli.h"
#include "common/err.h"
#include "common/timefmt.h"
#include "model/settings.h"

/* conninfo with any password=VALUE masked (libpq keyword/value form). */
static void mask_password(char *conninfo)
{
	char *p = conninfo;

	while ((p = strstr(p, "password")) != NULL) {
		char *v = p + strlen("password");

		while (*v == ' ')
			v++;
		if ((p != conninfo && p[-1] != ' ') || *v != '=') {
			p = v;
			continue;
		}
		v++;
		while (*v == ' ')
			v++;
		{
			size_t n = *v == '\'' ? strcspn(v + 1, "'") + 2 : strcspn(v, " ");
			size_t rest = strlen(v + n);

			if (n > strlen(v))
				n = strlen(v);
			memmove(v + 3, v + n, rest + 1);
			memcpy(v, "***", 3);
		}
		p = v + 3;
	}
}

/* A name inside a comment line: control characters (a line break would
 * end the comment and start configuration) become '?'. */
static void put_name(FILE *f, const char *name)
{
	for (; *name != '\0'; name++)
		fputc((unsigned char)*name < 0x20 || *name == 0x7f ? '?' : *name, f);
}

static int tenant_line(const struct mg_tenant *t, void *arg)
{
	fprintf(arg, "#   tenant %lld: ", (long long)t->id);
	put_name(arg, t->name);
	fputc('\n', arg);
	return 0;
}

static int device_line(const struct mg_device *d, void *arg)
{
	char until[MG_TIME_TEXT_LEN] = "-";

	if (d->cert_not_after_ms)
		mg_time_format(d->cert_not_after_ms, until, sizeof(until));
	fprintf(arg, "#   device %lld \"", (long long)d->id);
	put_name(arg, d->name);
	fprintf(arg, "\": tenant %lld, %s, firmware ", (long long)d->tenant_id,
		mg_device_status_name(d->status));
	put_name(arg, d->firmware[0] ? d->firmware : "unknown");
	fprintf(arg, ", certificate until %s, fingerprint %.16s\n", until, d->cert_fingerprint);
	return 0;
}

static int account_line(const struct mg_user *u, void *arg)
{
	char roles[96] = "";

	mg_audit_roles_text(u->roles, roles, sizeof(roles));
	fprintf(arg, "#   account ");
	put_name(arg, u->name);
	fprintf(arg, ": %s; second factor %s%s\n", roles, u->totp_len ? "yes" : "no",
		u->disabled ? "; disabled" : "");
	return 0;
}

int cli_config_inventory(FILE *f, struct cli *cli)
{
	int r;

	fprintf(f, "# tenants:\n");
	if ((r = mg_store_tenant_list(cli->store, tenant_line, f)) != 0)
		return r;
	fprintf(f, "# devices:\n");
	if ((r = mg_store_device_list(cli->store, 0, device_line, f)) != 0)
		return r;
	fprintf(f, "# accounts:\n");
	return mg_store_user_list(cli->store, account_line, f);
}

int cli_config_record(FILE *f, struct cli *cli)
{
	struct mg_config shown = cli->cfg;
	char when[MG_TIME_TEXT_LEN], value[MG_SETTING_VALUE_MAX];
	char id[MG_SETTING_INSTANCE_ID_LEN + 1] = "";
	struct mg_switches *sw = NULL;
	int r;

	mask_password(shown.storage_conninfo);
	mg_time_format(mg_now_ms(), when, sizeof(when));
	r = mg_store_setting_get(cli->store, MG_SETTING_INSTANCE_ID, id, sizeof(id));
	if (r != 0 && r != MG_ERR_NOT_FOUND)
		return r;
	fprintf(f, "# Configuration record of %s\n# exported %s by %s; configuration SHA-256 %s\n"
		   "# instance %s\n"
		   "# No secrets: keys and passwords are named by their files only.\n#\n",
		cli->cfg.path, when, cli->actor, cli->cfg.sha256, id[0] ? id : "(none yet)");
	if ((r = mg_config_write(&shown, f)) != 0)
		return r;
	fprintf(f, "\n# ---- Run-time state and inventory (not configuration; for the record) ----\n");
	if ((r = mg_switches_new(cli->store, &sw)) != 0)
		return r;
	fprintf(f, "# interfaces switched at run time:");
	for (unsigned i = 0; i < MG_IF_COUNT; i++)
		fprintf(f, " %s %s%s", mg_interface_name((enum mg_interface)i),
			mg_interface_on(sw, (enum mg_interface)i) ? "on" : "off",
			i + 1 < MG_IF_COUNT ? "," : "\n");
	mg_switches_free(sw);
	r = mg_store_setting_get(cli->store, MG_SETTING_REQUIRE_2FA_ROLES, value, sizeof(value));
	if (r != 0 && r != MG_ERR_NOT_FOUND)
		return r;
	fprintf(f, "# roles that must use a second factor: %s\n",
		r == 0 && value[0] ? value : "(none set)");
	if ((r = cli_config_inventory(f, cli)) != 0)
		return r;
	return fflush(f) == 0 && !ferror(f) ? 0 : MG_ERR_IO;
}

int cli_config_export(struct cli *cli, int argc, char **argv)
{
	const char *out = NULL;
	FILE *f = stdout;
	int fd, r;

	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return cli_config_import(cli, argc - 1, argv + 1);
	if (argc == 4 && strcmp(argv[1], "export") == 0 && strcmp(argv[2], "--out") == 0)
		out = argv[3];
	else if (!(argc == 2 && strcmp(argv[1], "export") == 0)) {
		fprintf(stderr, "usage: medgatectl config export [--out FILE]\n"
				"       medgatectl config import RECORD --backup FILE --key KEYFILE "
				"--into DIR [--conninfo TEXT]\n");
		return 2;
	}
	/* Made before the switch to the service account, never over a file. */
	if (out != NULL) {
		if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
		    (f = fdopen(fd, "w")) == NULL) {
			fprintf(stderr, "medgatectl: %s: %s\n", out,
				errno == EEXIST ? "exists; never overwritten" : strerror(errno));
			return 1;
		}
	}
	if ((r = cli_open(cli, true)) != 0 ||
	    (r = cli_record(cli, "config.export", NULL, 0, 0, MG_AUDIT_SUCCESS, NULL)) != 0 ||
	    (r = cli_config_record(f, cli)) != 0 || (out != NULL && fsync(fileno(f)) != 0)) {
		if (r != 0)
			fprintf(stderr, "medgatectl: cannot export the configuration: %s\n",
				mg_strerror(r ? r : MG_ERR_IO));
		if (out != NULL) {
			fclose(f);
			unlink(out);
		}
		return 1;
	}
	if (out != NULL && fclose(f) != 0) {
		unlink(out);
		return 1;
	}
	return 0;
}
