/* medgatectl interface: see and switch the interfaces of every gateway on
 * this store, and each EMR destination on its own (emr.NAME). The only way to switch the web port
 * (the web interface cannot, so that nobody locks the administrators out from a browser). A
 * switched-off port closes its listening socket within about two seconds
 * and listens again when switched on. */
#include <stdio.h>
#include <string.h>

#include "access/switches.h"
#include "cli/cli.h"
#include "common/err.h"

static int interface_usage(void)
{
	fprintf(stderr,
		"usage: medgatectl interface list\n"
		"       medgatectl interface on|off device|enrolment|mllp|emr|web|emr.NAME\n");
	return 2;
}

static int interface_list(struct cli *cli, struct mg_switches *sw)
{
	const struct mg_listener_config *ports[MG_IF_COUNT] = {
	    [MG_IF_DEVICE] = &cli->cfg.device,
	    [MG_IF_ENROLMENT] = &cli->cfg.device,
	    [MG_IF_MLLP] = &cli->cfg.mllp,
	    [MG_IF_WEB] = &cli->cfg.web,
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
	for (size_t i = 0; i < cli->cfg.nemr; i++) {
		const struct mg_emr_config *e = &cli->cfg.emr[i];
		char name[MG_EMR_NAME_MAX + 8];

		snprintf(name, sizeof(name), "emr.%s", e->name);
		printf("%-10s %-4s %s %s%s\n", name, mg_destination_on(sw, e->name) ? "on" : "off",
		       e->protocol, e->address[0] ? e->address : e->url,
		       e->enabled ? "" : " (enabled = off: never forwarded to)");
	}
	return 0;
}

/* emr.NAME: one configured destination. */
static int destination_set(struct cli *cli, struct mg_switches *sw, const char *name, bool on)
{
	const char *dest = name + 4;
	char details[96];
	size_t i;
	int r;

	for (i = 0; i < cli->cfg.nemr && strcmp(cli->cfg.emr[i].name, dest) != 0; i++)
		;
	if (i == cli->cfg.nemr) {
		fprintf(stderr, "medgatectl: no [emr.%.40s] in the configuration\n", dest);
		return 2;
	}
	snprintf(details, sizeof(details), "{\"destination\":\"%s\",\"on\":%s}", dest,
		 on ? "true" : "false");
	if (cli_record(cli, "interface.switch", NULL, 0, 0, MG_AUDIT_SUCCESS, details) != 0)
		return 1;
	if ((r = mg_destination_set(sw, dest, on)) != 0) {
		fprintf(stderr, "medgatectl: cannot switch %s: %s\n", name, mg_strerror(r));
		cli_record(cli, "interface.switch", NULL, 0, 0, MG_AUDIT_FAILURE, details);
		return 1;
	}
	printf("EMR destination %s switched %s%s\n", dest, on ? "on" : "off",
	       on ? "" : " (its queue is held)");
	return 0;
}

static int interface_set(struct cli *cli, struct mg_switches *sw, const char *name, bool on)
{
	enum mg_interface i;
	char details[64];
	int r;

	if (strncmp(name, "emr.", 4) == 0)
		return destination_set(cli, sw, name, on);
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
