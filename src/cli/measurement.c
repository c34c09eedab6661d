/* medgatectl measurement list: what was stored, for operators. Shows ids,
 * times, devices and values, never a patient identifier. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/timefmt.h"

static int measurement_usage(void)
{
	fprintf(stderr, "usage: medgatectl measurement list [--tenant TENANT] [--after ID] "
			"[--limit N] [--json|--jsonl]\n"
			"       medgatectl measurement count [--tenant TENANT]\n");
	return 2;
}

/* --json prints one JSON document (an array); --jsonl one object a line. */
enum list_format { LIST_TEXT, LIST_JSON, LIST_JSONL };

struct list_state {
	enum list_format format;
	size_t rows;
};

static int print_row(const struct mg_measurement_row *row, void *arg)
{
	struct list_state *ls = arg;
	char measured[MG_TIME_TEXT_LEN], received[MG_TIME_TEXT_LEN];

	mg_time_format(row->measured_ms, measured, sizeof(measured));
	mg_time_format(row->received_ms, received, sizeof(received));
	if (ls->format != LIST_TEXT) {
		json_t *values = json_array(), *o;
		char *text;

		for (size_t i = 0; i < row->nvalues; i++)
			json_array_append_new(values, json_pack("{s:s, s:f, s:s}", "type",
								row->values[i].quantity, "value",
								row->values[i].value, "unit",
								row->values[i].unit));
		o = json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:o}", "id",
			      (json_int_t)row->id, "tenant", (json_int_t)row->tenant_id, "device",
			      (json_int_t)row->device_id, "device_name", row->device_name,
			      "device_measurement_id", row->device_mid, "time", measured, "received",
			      received, "values", values);
		if (o == NULL || (text = json_dumps(o, JSON_COMPACT)) == NULL) {
			json_decref(o);
			return MG_ERR_NOMEM;
		}
		printf("%s%s\n", ls->format == LIST_JSON && ls->rows > 0 ? "," : "", text);
		ls->rows++;
		free(text);
		json_decref(o);
		return 0;
	}
	ls->rows++;
	printf("%-8lld %-24s %-24s %-6lld %-20s", (long long)row->id, measured, received,
	       (long long)row->device_id, row->device_mid);
	for (size_t i = 0; i < row->nvalues; i++)
		printf(" %s=%g %s", row->values[i].quantity, row->values[i].value,
		       row->values[i].unit);
	printf("\n");
	return 0;
}

static int measurement_list(struct cli *cli, int argc, char **argv, bool count_only)
{
	static const struct option options[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "after", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "jsonl", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	struct list_state ls = { LIST_TEXT, 0 };
	const char *tenant = NULL;
	long long after = 0, limit = 1000, count;
	int64_t tenant_id = 0, n;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 't': tenant = optarg; break;
		case 'a':
			if (cli_parse_int(optarg, 0, INT64_MAX, &after) != 0)
				return measurement_usage();
			break;
		case 'l':
			if (cli_parse_int(optarg, 1, 1000000, &limit) != 0)
				return measurement_usage();
			break;
		case 'j': ls.format = LIST_JSON; break;
		case 'J': ls.format = LIST_JSONL; break;
		default: return measurement_usage();
		}
	}
	if (optind != argc)
		return measurement_usage();
	if (cli_open(cli, true) != 0 || (tenant != NULL && cli_tenant_id(cli, tenant, &tenant_id) != 0))
		return 1;
	if (count_only) {
		if ((r = mg_store_measurement_count(cli->store, tenant_id, &n)) != 0) {
			fprintf(stderr, "medgatectl: cannot count measurements: %s\n", mg_strerror(r));
			return 1;
		}
		count = n;
		printf("%lld\n", count);
		return 0;
	}
	if (ls.format == LIST_JSON)
		printf("[\n");
	else if (ls.format == LIST_TEXT)
		printf("%-8s %-24s %-24s %-6s %-20s %s\n", "ID", "MEASURED", "RECEIVED", "DEVICE",
		       "DEVICE'S ID", "VALUES");
	r = mg_store_measurement_list(cli->store, tenant_id, after, (size_t)limit, print_row,
					 &ls);
	if (r == 0 && ls.format == LIST_JSON)
		printf("]\n");
	if (r != 0) {
		fprintf(stderr, "medgatectl: cannot list measurements: %s\n", mg_strerror(r));
		return 1;
	}
	return 0;
}

int cli_measurement(struct cli *cli, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return measurement_list(cli, argc - 1, argv + 1, false);
	if (argc >= 2 && strcmp(argv[1], "count") == 0)
		return measurement_list(cli, argc - 1, argv + 1, true);
	return measurement_usage();
}

int cli_config_reference(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: medgatectl config-reference\n");
		return 2;
	}
	return mg_config_write_reference(stdout) == 0 ? 0 : 1;
}
