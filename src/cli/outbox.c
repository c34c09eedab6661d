/* medgatectl outbox: the EMR queues per destination, and re-sending dead
 * letters once their cause is fixed. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/timefmt.h"

static int outbox_usage(void)
{
	fprintf(stderr, "usage: medgatectl outbox status\n"
			"       medgatectl outbox resend DESTINATION [--id OUTBOX-ID]\n");
	return 2;
}

static int outbox_status(struct cli *cli)
{
	struct mg_outbox_stats st;
	int64_t now = mg_now_ms();
	int r;

	if (cli_open(cli, false) != 0)
		return 1;
	printf("%-16s %-9s %-4s %10s %10s %6s %s\n", "DESTINATION", "PROTOCOL", "ON", "PENDING",
	       "DELIVERED", "DEAD", "OLDEST PENDING");
	for (size_t i = 0; i < cli->cfg.nemr; i++) {
		const struct mg_emr_config *d = &cli->cfg.emr[i];
		char age[32] = "-";

		if ((r = mg_store_outbox_stats(cli->store, d->name, &st)) != 0) {
			fprintf(stderr, "medgatectl: [emr.%s]: %s\n", d->name, mg_strerror(r));
			return 1;
		}
		if (st.oldest_pending_ms != 0)
			snprintf(age, sizeof(age), "%lld s", (long long)((now - st.oldest_pending_ms) / 1000));
		printf("%-16s %-9s %-4s %10lld %10lld %6lld %s\n", d->name, d->protocol,
		       d->enabled ? "on" : "off", (long long)st.pending, (long long)st.delivered,
		       (long long)st.dead, age);
		/* A second, indented line: what the destination last said. */
		if (st.last_delivered_ms != 0)
			printf("  last ACK %lld s ago\n",
			       (long long)((now - st.last_delivered_ms) / 1000));
		if (st.last_error[0] != '\0') {
			/* The EMR's words: no control characters reach the terminal. */
			for (char *p = st.last_error; *p != '\0'; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					*p = '?';
			printf("  last error: %s\n", st.last_error);
		}
	}
	if (cli->cfg.nemr == 0)
		printf("(no [emr.NAME] destinations configured)\n");
	return 0;
}

static int outbox_resend(struct cli *cli, int argc, char **argv)
{
	char details[MG_EMR_NAME_MAX + 64];
	long long id = 0;
	int64_t count;
	bool known = false;
	int r;

	if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--id") == 0 &&
			   cli_parse_int(argv[3], 1, INT64_MAX, &id) == 0))
		return outbox_usage();
	if (cli_open(cli, true) != 0)
		return 1;
	for (size_t i = 0; i < cli->cfg.nemr; i++)
		known = known || strcmp(cli->cfg.emr[i].name, argv[1]) == 0;
	if (!known) {
		fprintf(stderr, "medgatectl: no [emr.%s] in the configuration\n", argv[1]);
		return 1;
	}
	/* The name is a configured [emr.NAME]: a-z 0-9 - _ only. */
	snprintf(details, sizeof(details), "{\"destination\":\"%s\",\"id\":%lld}", argv[1], id);
	if (cli_record(cli, "outbox.resend", NULL, 0, 0, MG_AUDIT_SUCCESS, details) != 0)
		return 1;
	if ((r = mg_store_outbox_resend(cli->store, argv[1], id, mg_now_ms(), &count)) != 0) {
		fprintf(stderr, "medgatectl: %s\n", mg_strerror(r));
		cli_record(cli, "outbox.resend", NULL, 0, 0, MG_AUDIT_FAILURE, details);
		return 1;
	}
	printf("%lld dead letters of [emr.%s] queued again\n", (long long)count, argv[1]);
	return 0;
}

int cli_outbox(struct cli *cli, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "status") == 0)
		return outbox_status(cli);
	if (argc >= 2 && strcmp(argv[1], "resend") == 0)
		return outbox_resend(cli, argc - 1, argv + 1);
	return outbox_usage();
}
