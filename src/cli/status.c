/* medgatectl status: what an operator checks first on the host. The
 * instance's configuration (and its fingerprint), the store, and whether
 * the printed emergency handbook still matches the configuration. Exits 0
 * when nothing needs doing, 1 when something does (named), 2 on error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/timefmt.h"
#include "model/settings.h"

int cli_status(struct cli *cli, int argc, char **argv)
{
	char value[MG_SETTING_VALUE_MAX], when[MG_TIME_TEXT_LEN];
	int64_t printed = 0;
	int r, todo = 0;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: medgatectl status\n");
		return 2;
	}
	if (cli_open(cli, false) != 0)
		return 2;
	printf("configuration:  %s (SHA-256 %.16s)\n", cli->cfg.path, cli->cfg.sha256);
	printf("store:          %s\n", cli->cfg.storage_backend);
	r = mg_store_setting_get(cli->store, MG_SETTING_HANDBOOK, value, sizeof(value));
	if (r == MG_ERR_NOT_FOUND) {
		printf("handbook:       never printed: medgatectl handbook --out FILE.html "
		       "--pdf FILE.pdf\n");
		todo = 1;
	} else if (r != 0 || mg_setting_seq_parse(value + 65, &printed) != 0) {
		fprintf(stderr, "medgatectl: cannot read the handbook setting: %s\n",
			mg_strerror(r ? r : MG_ERR_STORE));
		return 2;
	} else if (strncmp(value, cli->cfg.sha256, 64) != 0) {
		mg_time_format(printed, when, sizeof(when));
		printf("handbook:       out of date (printed %s from another configuration): "
		       "print it again\n", when);
		todo = 1;
	} else {
		mg_time_format(printed, when, sizeof(when));
		printf("handbook:       printed %s from this configuration\n", when);
	}
	return todo;
}
