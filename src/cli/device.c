/* medgatectl device: enrolment tokens, listing, blocking and revoking. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/device_model.h"
#include "common/err.h"
#include "common/timefmt.h"

static int device_usage(void)
{
	fprintf(stderr,
		"usage: medgatectl device token --tenant TENANT --name NAME [--ttl SECONDS]\n"
		"       medgatectl device list [--tenant TENANT]\n"
		"       medgatectl device revoke|block|unblock DEVICE-ID\n");
	return 2;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > MG_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return false;
	}
	return true;
}

static int device_token(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "ttl", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tenant = NULL, *name = NULL;
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	char token[MG_TOKEN_TEXT_LEN + 1];
	long long ttl = -1;
	char *details;
	json_t *o;
	int64_t tenant_id, id;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 't': tenant = optarg; break;
		case 'n': name = optarg; break;
		case 'l':
			if (cli_parse_int(optarg, 60, 30 * 86400, &ttl) != 0) {
				fprintf(stderr, "medgatectl: --ttl: expected 60 to 2592000 seconds\n");
				return 2;
			}
			break;
		default: return device_usage();
		}
	}
	if (tenant == NULL || name == NULL || optind != argc)
		return device_usage();
	if (!name_ok(name)) {
		fprintf(stderr, "medgatectl: --name: 1 to %d printable characters\n", MG_NAME_MAX);
		return 2;
	}
	if (cli_open(cli, true) != 0 || cli_tenant_id(cli, tenant, &tenant_id) != 0)
		return 1;
	if (ttl < 0)
		ttl = cli->cfg.enrol_token_ttl;
	o = json_pack("{s:s, s:I}", "device_name", name, "ttl", (json_int_t)ttl);
	details = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (details == NULL)
		return 1;
	/* Recorded first: a token nobody can account for is never made. */
	r = cli_record(cli, "device.token", NULL, 0, tenant_id, MG_AUDIT_SUCCESS, details);
	if (r != 0) {
		free(details);
		return 1;
	}
	if ((r = mg_token_new(cli->master, token, sizeof(token), hash)) != 0 ||
	    (r = mg_store_token_create(cli->store, tenant_id, name, hash,
					  mg_now_ms() + ttl * 1000, &id)) != 0) {
		fprintf(stderr, "medgatectl: cannot create a token: %s\n", mg_strerror(r));
		cli_record(cli, "device.token", NULL, 0, tenant_id, MG_AUDIT_FAILURE, details);
		free(details);
		return 1;
	}
	free(details);
	/* The token alone on stdout, so scripts can take it as it is. */
	printf("%s\n", token);
	fprintf(stderr, "one-time enrolment token for \"%s\" in tenant %s, valid %lld s\n", name,
		tenant, ttl);
	return 0;
}

static int print_device(const struct mg_device *d, void *arg)
{
	char seen[MG_TIME_TEXT_LEN] = "never", expiry[MG_TIME_TEXT_LEN];

	const struct mg_model_list *models = arg;
	const struct mg_model_rule *rule;
	char fw[2 * MG_FIRMWARE_MAX + 2];

	if (d->last_seen_ms != 0)
		mg_time_format(d->last_seen_ms, seen, sizeof(seen));
	mg_time_format(d->cert_not_after_ms, expiry, sizeof(expiry));
	char model[2 * MG_MODEL_MAX + 4];

	if (d->reported_model[0] != '\0')	/* flagged: reports another model */
		snprintf(model, sizeof(model), "%s!%s", d->model, d->reported_model);
	else
		snprintf(model, sizeof(model), "%s", d->model[0] ? d->model : "-");
	/* Flagged firmware: "1.9<2.1.0" below its model's minimum, "?" none
	 * reported ("?<2.1.0" where the model has a minimum). */
	rule = mg_model_list_find(models, d->model);
	switch (mg_device_firmware_flag(models, d->model, d->firmware)) {
	case MG_FIRMWARE_BELOW_MINIMUM:
		snprintf(fw, sizeof(fw), "%s<%s", d->firmware[0] ? d->firmware : "?",
			 rule->min_firmware);
		break;
	case MG_FIRMWARE_UNKNOWN:
		snprintf(fw, sizeof(fw), "?");
		break;
	case MG_FIRMWARE_OK:
		snprintf(fw, sizeof(fw), "%s", d->firmware);
		break;
	}
	printf("%-6lld %-8lld %-8s %-25s %-25s %.16s  %-12s %-16s %s\n", (long long)d->id,
	       (long long)d->tenant_id, mg_device_status_name(d->status), seen, expiry,
	       d->cert_fingerprint, fw, model, d->name);
	return 0;
}

static int device_list(struct cli *cli, int argc, char **argv)
{
	struct mg_model_list models;
	int64_t tenant_id = 0;
	char err[256];
	int r;

	if (argc != 1 && !(argc == 3 && strcmp(argv[1], "--tenant") == 0))
		return device_usage();
	if (cli_open(cli, false) != 0 || (argc == 3 && cli_tenant_id(cli, argv[2], &tenant_id) != 0))
		return 1;
	if (mg_model_list_parse(cli->cfg.device_models, &models, err, sizeof(err)) != 0) {
		fprintf(stderr, "medgatectl: %s\n", err);
		return 1;
	}
	printf("%-6s %-8s %-8s %-25s %-25s %-17s %-12s %-16s %s\n", "ID", "TENANT", "STATUS",
	       "LAST SEEN", "CERTIFICATE EXPIRES", "FINGERPRINT", "FIRMWARE", "MODEL", "NAME");
	if ((r = mg_store_device_list(cli->store, tenant_id, print_device, &models)) != 0) {
		fprintf(stderr, "medgatectl: cannot list devices: %s\n", mg_strerror(r));
		return 1;
	}
	return 0;
}

static int device_set(struct cli *cli, int argc, char **argv, enum mg_device_status status)
{
	const char *action = status == MG_DEVICE_REVOKED ? "device.revoke" : "device.update";
	const char *details = status == MG_DEVICE_BLOCKED ? "{\"status\":\"blocked\"}"
			      : status == MG_DEVICE_ACTIVE ? "{\"status\":\"active\"}"
							   : "{\"status\":\"revoked\"}";
	struct mg_device d;
	long long id;
	int r;

	if (argc != 2 || cli_parse_int(argv[1], 1, INT64_MAX, &id) != 0)
		return device_usage();
	if (cli_open(cli, true) != 0)
		return 1;
	if ((r = mg_store_device_by_id(cli->store, id, &d)) == 0 &&
	    d.status == MG_DEVICE_REVOKED && status != MG_DEVICE_REVOKED) {
		fprintf(stderr, "medgatectl: device %lld is revoked for good; enrol it anew\n", id);
		return 1;
	}
	if (r != 0) {
		fprintf(stderr, "medgatectl: device %lld: %s\n", id,
			r == MG_ERR_NOT_FOUND ? "no such device (or revoked already)" : mg_strerror(r));
		return 1;
	}
	/* Recorded first: an action the trail cannot hold does not happen. */
	if (cli_record(cli, action, "device", id, d.tenant_id, MG_AUDIT_SUCCESS, details) != 0)
		return 1;
	if ((r = mg_store_device_set_status(cli->store, id, status)) != 0) {
		fprintf(stderr, "medgatectl: device %lld: %s\n", id,
			r == MG_ERR_NOT_FOUND ? "no such device (or revoked already)" : mg_strerror(r));
		cli_record(cli, action, "device", id, d.tenant_id, MG_AUDIT_FAILURE, details);
		return 1;
	}
	printf("device %lld %s\n", id, mg_device_status_name(status));
	return 0;
}

int cli_device(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return device_usage();
	if (strcmp(argv[1], "token") == 0)
		return device_token(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return device_list(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "revoke") == 0)
		return device_set(cli, argc - 1, argv + 1, MG_DEVICE_REVOKED);
	if (strcmp(argv[1], "block") == 0)
		return device_set(cli, argc - 1, argv + 1, MG_DEVICE_BLOCKED);
	if (strcmp(argv[1], "unblock") == 0)
		return device_set(cli, argc - 1, argv + 1, MG_DEVICE_ACTIVE);
	return device_usage();
}
