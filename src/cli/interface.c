/* medgatectl interface: see and switch the interfaces of every gateway on
 * this store. The only way to switch the web port (the web interface
 * cannot, so that nobody locks the administrators out from a browser). A
 * switched-off port closes its listening socket within about two seconds
 * and listens again when switched on. */
#include <stdio.h>
#include <string.h>

#include "access/switches.h"
#include "cli/cli.h"
#include "common/err.h"

static int interface_usage(void)
{
	fprintf(stderr, "usage: medgatectl interface list\n"
			"       medgatectl interface on|off device|enrolment|mllp|emr|web\n");
	return 2;
}

static int interface_list(struct cli *cli, struct mg_switches *sw)
{
	const struct mg_listener_config *ports[MG_IF_COUNT] = {
		[MG_IF_DEVICE] = &cli->cfg.device, [MG_IF_ENROLMENT] = &cli->cfg.device,
		[MG_IF_MLLP] = &cli->cfg.mllp, [MG_IF_WEB] = &cli->cfg.web,
	};

	printf("%-10s %-4s %s\n", "INTERFACE", "RUN", "CONFIGURATION");
	for (unsigned i = 0; i < MG_IF_COUNT; i++) {
		const struct mg_listener_config *port = ports[i];

		printf("%-10s %-4s ", mg_interface_name((enum mg_interface)i),
		       mg_interface_on(sw, (enum mg_interface)i) ? "on" : "off");
		if (port == NULL)
			printf("-\n");
		else if (!port->enabled)
			printf("enabled = off (not bound; a restart with enabled = on opens it)\n");
		else
			printf("port %u\n", port->port);
	}
	return 0;
}

static int interface_set(struct cli *cli, struct mg_switches *sw, const char *name, bool on)
{
	enum mg_interface i;
	char details[64];
	int r;

	if (mg_interface_parse(name, &i) != 0)
		return interface_usage();
	snprintf(details, sizeof(details), "{\"interface\":\"%s\",\"on\":%s}", name,
		 on ? "true" : "false");
	/* Recorded first: a switch the trail cannot hold is not made. */
	if (cli_record(cli, "interface.switch", NULL, 0, 0, MG_AUDIT_SUCCESS, details) != 0)
		return 1;
	if ((r = mg_interface_set(sw, i, on)) != 0) {
		fprintf(stderr, "medgatectl: cannot switch %s: %s\n", name, mg_strerror(r));
		cli_record(cli, "interface.switch", NULL, 0, 0, MG_AUDIT_FAILURE, details);
		return 1;
	}
	printf("interface %s switched %s\n", name, on ? "on" : "off");
	return 0;
}

int cli_interface(struct cli *cli, int argc, char **argv)
{
	struct mg_switches *sw = NULL;
	bool list = argc == 2 && strcmp(argv[1], "list") == 0;
	bool on = argc == 3 && strcmp(argv[1], "on") == 0;
	bool off = argc == 3 && strcmp(argv[1], "off") == 0;
	int status;

	if (!list && !on && !off)
		return interface_usage();
	if (cli_open(cli, !list) != 0)
		return 1;
	if (mg_switches_new(cli->store, &sw) != 0) {
		fprintf(stderr, "medgatectl: out of memory\n");
		return 1;
	}
	status = list ? interface_list(cli, sw) : interface_set(cli, sw, argv[2], on);
	mg_switches_free(sw);
	return status;
}
