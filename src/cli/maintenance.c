/* medgatectl maintenance: remote maintenance from the host, the local
 * administrator's path (docs/maintenance.md). list shows requests and
 * grants; grant decides a request, or grants a service account directly;
 * refuse and revoke end them. Each step is recorded before it is done. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/timefmt.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: medgatectl maintenance list\n"
		"       medgatectl maintenance grant --request ID [--minutes N]\n"
		"       medgatectl maintenance grant --user NAME --scope S[,S] --minutes N "
		"--reason TEXT [--device ID]\n"
		"       medgatectl maintenance refuse --request ID\n"
		"       medgatectl maintenance revoke --grant ID\n"
		"scopes: diagnostics (health, EMR queues), devices (device inventory),\n"
		"        device (service of the device --device names: out of service from\n"
		"        its consent, medgate-device consent, until the grant ends),\n"
		"        log (the daemon's log), self-test (run the self-test),\n"
		"        firmware (the firmware releases, to watch a rollout)\n"
		"minutes: 1 to %d\n", MG_MAINT_MINUTES_MAX);
	return 2;
}

static int print_one(const struct mg_maintenance *m, void *arg)
{
	char scope[96], requested[MG_TIME_TEXT_LEN] = "-", ends[MG_TIME_TEXT_LEN] = "-";
	int64_t now = *(const int64_t *)arg;
	size_t n;

	mg_maintenance_scope_text(m->scope, scope, sizeof(scope));
	n = strlen(scope);
	if (m->device_id)
		snprintf(scope + n, sizeof(scope) - n, ":%lld%s", (long long)m->device_id,
			 m->consent_ms ? "+consent" : "");
	mg_time_format(m->requested_ms, requested, sizeof(requested));
	if (m->ends_ms)
		mg_time_format(m->ends_ms, ends, sizeof(ends));
	printf("%-6lld %-7lld %-10s %-20s %7u %-24s %-24s %s\n", (long long)m->id,
	       (long long)m->user_id, mg_maintenance_state_name(m, now), scope, m->minutes,
	       requested, ends, m->reason);
	return 0;
}

static int list(struct cli *cli)
{
	int64_t now = mg_now_ms();
	int r;

	if (cli_open(cli, false) != 0)
		return 1;
	printf("%-6s %-7s %-10s %-20s %7s %-24s %-24s %s\n", "ID", "ACCOUNT", "STATE", "SCOPE",
	       "MINUTES", "REQUESTED", "ENDS", "REASON");
	if ((r = mg_store_maintenance_list(cli->store, 0, MG_MAINT_LIST_MAX, print_one, &now)) != 0) {
		fprintf(stderr, "medgatectl: %s\n", mg_strerror(r));
		return 1;
	}
	return 0;
}

/* Record, decide, and record a failure: the host's operator decides
 * (decided_by 0, the actor on the trail is the operator). */
static int decide(struct cli *cli, int64_t id, enum mg_maintenance_state to, unsigned minutes)
{
	static const char *const actions[] = { [MG_MAINT_GRANTED] = "maintenance.grant",
					       [MG_MAINT_REFUSED] = "maintenance.refuse",
					       [MG_MAINT_ENDED] = "maintenance.end" };
	int64_t now = mg_now_ms();
	struct mg_maintenance m;
	char details[64] = "";
	int r;

	if (cli_open(cli, true) != 0)
		return 1;
	if ((r = mg_store_maintenance_get(cli->store, id, &m)) != 0) {
		fprintf(stderr, "medgatectl: maintenance %lld: %s\n", (long long)id,
			r == MG_ERR_NOT_FOUND ? "no such request" : mg_strerror(r));
		return 1;
	}
	if (to == MG_MAINT_GRANTED) {
		if (minutes == 0)
			minutes = m.minutes;
		snprintf(details, sizeof(details), "{\"minutes\":%u}", minutes);
	}
	if (cli_record(cli, actions[to], "maintenance", id, 0, MG_AUDIT_SUCCESS,
		       details[0] ? details : NULL) != 0)
		return 1;
	r = mg_store_maintenance_decide(cli->store, id, to, 0, now, now + (int64_t)minutes * 60000);
	if (r != 0) {
		cli_record(cli, actions[to], "maintenance", id, 0, MG_AUDIT_FAILURE, NULL);
		fprintf(stderr, "medgatectl: maintenance %lld: %s\n", (long long)id,
			r != MG_ERR_CONFLICT ? mg_strerror(r)
			: to == MG_MAINT_ENDED ? "not active (ended, expired, refused or not granted)"
					       : "decided already");
		return 1;
	}
	if (to == MG_MAINT_GRANTED)
		printf("maintenance %lld granted for %u minutes\n", (long long)id, minutes);
	else
		printf("maintenance %lld %s\n", (long long)id,
		       to == MG_MAINT_REFUSED ? "refused" : "ended");
	return 0;
}

/* A grant made here and now for a service account, without its request. */
static int grant_direct(struct cli *cli, const char *user, const char *scope_text,
			unsigned minutes, const char *reason, int64_t device)
{
	struct mg_maintenance m;
	struct mg_device d;
	struct mg_user u;
	char details[160];
	int64_t id;
	int r;

	memset(&m, 0, sizeof(m));
	if (mg_maintenance_scope_parse(scope_text, &m.scope) != 0) {
		fprintf(stderr, "medgatectl: --scope %s: expected diagnostics, devices, device, "
				"log, self-test and/or firmware, comma-separated\n", scope_text);
		return 2;
	}
	if (!(m.scope & MG_MAINT_DEVICE) != (device == 0)) {
		fprintf(stderr, "medgatectl: --device goes with the scope device, and it with "
				"--device\n");
		return 2;
	}
	if (strlen(reason) == 0 || strlen(reason) > MG_MAINT_REASON_MAX) {
		fprintf(stderr, "medgatectl: --reason: 1 to %d characters\n", MG_MAINT_REASON_MAX);
		return 2;
	}
	if (cli_open(cli, true) != 0)
		return 1;
	if (device != 0 && (r = mg_store_device_by_id(cli->store, device, &d)) != 0) {
		fprintf(stderr, "medgatectl: --device %lld: %s\n", (long long)device,
			r == MG_ERR_NOT_FOUND ? "no such device" : mg_strerror(r));
		return 1;
	}
	if ((r = mg_store_user_by_name(cli->store, user, &u)) != 0 ||
	    !(u.roles & MG_ROLE_SERVICE)) {
		fprintf(stderr, "medgatectl: %s: %s\n", user,
			r == 0 ? "not a service account" : r == MG_ERR_NOT_FOUND ? "no such account"
							 : mg_strerror(r));
		return 1;
	}
	snprintf(m.reason, sizeof(m.reason), "%s", reason);
	m.user_id = u.id;
	m.device_id = device;
	m.minutes = minutes;
	m.state = MG_MAINT_GRANTED;
	m.requested_ms = m.decided_ms = mg_now_ms();
	m.ends_ms = m.requested_ms + (int64_t)minutes * 60000;
	snprintf(details, sizeof(details),
		 "{\"user\":%lld,\"scope\":\"%s\",\"minutes\":%u,\"device\":%lld}",
		 (long long)u.id, scope_text, minutes, (long long)device);
	if (cli_record(cli, "maintenance.grant", NULL, 0, 0, MG_AUDIT_SUCCESS, details) != 0)
		return 1;
	if ((r = mg_store_maintenance_request(cli->store, &m, &id)) != 0) {
		cli_record(cli, "maintenance.grant", NULL, 0, 0, MG_AUDIT_FAILURE, details);
		fprintf(stderr, "medgatectl: %s\n", mg_strerror(r));
		return 1;
	}
	printf("maintenance %lld granted to %s for %u minutes (%s)\n", (long long)id, u.name,
	       minutes, scope_text);
	return 0;
}

int cli_maintenance(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "request", required_argument, NULL, 'q' }, { "grant", required_argument, NULL, 'g' },
		{ "minutes", required_argument, NULL, 'm' }, { "user", required_argument, NULL, 'u' },
		{ "scope", required_argument, NULL, 's' }, { "reason", required_argument, NULL, 'r' },
		{ "device", required_argument, NULL, 'd' }, { NULL, 0, NULL, 0 },
	};
	const char *user = NULL, *scope = NULL, *reason = NULL, *what;
	long long request = 0, grant = 0, minutes = 0, device = 0;
	int c;

	if (argc < 2)
		return usage();
	what = argv[1];
	if (strcmp(what, "list") == 0)
		return argc == 2 ? list(cli) : usage();
	optind = 2;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'q':
			if (cli_parse_int(optarg, 1, INT64_MAX, &request) != 0)
				return usage();
			break;
		case 'g':
			if (cli_parse_int(optarg, 1, INT64_MAX, &grant) != 0)
				return usage();
			break;
		case 'm':
			if (cli_parse_int(optarg, 1, MG_MAINT_MINUTES_MAX, &minutes) != 0) {
				fprintf(stderr, "medgatectl: --minutes: 1 to %d\n",
					MG_MAINT_MINUTES_MAX);
				return 2;
			}
			break;
		case 'd':
			if (cli_parse_int(optarg, 1, INT64_MAX, &device) != 0)
				return usage();
			break;
		case 'u': user = optarg; break;
		case 's': scope = optarg; break;
		case 'r': reason = optarg; break;
		default: return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (strcmp(what, "grant") == 0 && request > 0 && !user && !scope && !reason && !device)
		return decide(cli, request, MG_MAINT_GRANTED, (unsigned)minutes);
	if (strcmp(what, "grant") == 0 && request == 0 && user && scope && reason && minutes > 0)
		return grant_direct(cli, user, scope, (unsigned)minutes, reason, device);
	if (strcmp(what, "refuse") == 0 && request > 0 && !grant && !minutes && !user)
		return decide(cli, request, MG_MAINT_REFUSED, 0);
	if (strcmp(what, "revoke") == 0 && grant > 0 && !request && !minutes && !user)
		return decide(cli, grant, MG_MAINT_ENDED, 0);
	return usage();
}
