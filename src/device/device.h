/* medgate-device, the device agent and simulator: exit codes and the entry
 * point of each subcommand (one file per command, see docs/device-agent.md
 * and docs/internals/device.md). */
#ifndef MG_DEVICE_DEVICE_H
#define MG_DEVICE_DEVICE_H

#define MG_DEVICE_PROGRAM "medgate-device"

/* Process exit statuses; scripts and the demo rely on them. */
enum mg_device_exit {
	MG_DEVICE_EXIT_OK = 0,		/* done; everything queued was delivered */
	MG_DEVICE_EXIT_ERROR = 1,	/* failed (state, files, TLS, refused) */
	MG_DEVICE_EXIT_USAGE = 2,	/* bad command line */
	MG_DEVICE_EXIT_QUEUED = 3,	/* measurements kept queued, not delivered */
	MG_DEVICE_EXIT_REJECTED = 4,	/* queue empty, but the gateway rejected some */
};

/* Each command takes the arguments after its name (argv[0] is the command
 * name) and returns an enum mg_device_exit value. */
int mg_device_cmd_enroll(int argc, char **argv);
int mg_device_cmd_reenroll(int argc, char **argv);
int mg_device_cmd_cacerts(int argc, char **argv);
int mg_device_cmd_send(int argc, char **argv);
int mg_device_cmd_flush(int argc, char **argv);
int mg_device_cmd_status(int argc, char **argv);
int mg_device_cmd_consent(int argc, char **argv);
int mg_device_cmd_update(int argc, char **argv);

#endif
