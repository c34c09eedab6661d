/* medgate-device: a measuring device's agent, also the demo's simulated
 * scale. One subcommand per file; see docs/device-agent.md. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "device/device.h"
#include "device/http.h"

#ifndef MG_VERSION
#define MG_VERSION "0"
#endif

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "enroll", mg_device_cmd_enroll },
	{ "reenroll", mg_device_cmd_reenroll },
	{ "send", mg_device_cmd_send },
	{ "flush", mg_device_cmd_flush },
	{ "status", mg_device_cmd_status },
	{ "cacerts", mg_device_cmd_cacerts },
	{ "consent", mg_device_cmd_consent },
	{ "update", mg_device_cmd_update },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " MG_DEVICE_PROGRAM " COMMAND [OPTIONS]\n"
		"\n"
		"  enroll  --server https://HOST:PORT --ca CA.pem --state DIR\n"
		"          (--token TOKEN | --token-file FILE) [--name NAME] [--force]\n"
		"          [--model MODEL] [--firmware VERSION]\n"
		"  reenroll --state DIR   (a new key and certificate, same device)\n"
		"  send    --state DIR --patient ID [--weight KG] [--height CM] [--bmi X]\n"
		"          [--body-fat PCT] [--value TYPE=NUMBER:UNIT ...] [--count N]\n"
		"          [--interval SECONDS] [--time RFC3339] [--model MODEL]\n"
		"          [--firmware VERSION]\n"
		"  flush   --state DIR\n"
		"  status  --state DIR\n"
		"  cacerts (--state DIR | --server https://HOST:PORT --ca CA.pem)\n"
		"  consent --state DIR   (maintenance consent button: out of service\n"
		"          for the maintenance an administrator granted)\n"
		"  update  --state DIR --maker-key FILE   (signed firmware, see the manual)\n"
		"\n"
		"exit status: 0 done, 1 error, 2 usage, 3 measurements kept queued,\n"
		"4 some measurements rejected by the gateway (see DIR/rejected/)\n");
}

int main(int argc, char **argv)
{
	size_t i;
	int status;

	if (argc < 2) {
		usage(stderr);
		return MG_DEVICE_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return MG_DEVICE_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf(MG_DEVICE_PROGRAM " " MG_VERSION "\n");
		return MG_DEVICE_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		/* Keys and measurements are for this user alone. */
		umask(077);
		/* A closed connection must be an error code, not a dead process. */
		signal(SIGPIPE, SIG_IGN);
		setvbuf(stdout, NULL, _IOLBF, 0);
		if (mg_device_http_global_init() != 0) {
			fprintf(stderr, MG_DEVICE_PROGRAM ": cannot initialise libcurl\n");
			return MG_DEVICE_EXIT_ERROR;
		}
		status = commands[i].run(argc - 1, argv + 1);
		mg_device_http_global_cleanup();
		return status;
	}
	fprintf(stderr, MG_DEVICE_PROGRAM ": unknown command \"%.32s\"\n", argv[1]);
	usage(stderr);
	return MG_DEVICE_EXIT_USAGE;
}
