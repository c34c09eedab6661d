/* `consent`: the maintenance consent button (docs/device-agent.md). Someone
 * at the device agrees that it be serviced under the grant an administrator
 * gave; from then until the grant ends the gateway keeps the device out of
 * service, and measurements taken meanwhile wait in the queue. The end of
 * the grant is noted in the state folder so that `status` can say why. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "device/agent.h"
#include "device/device.h"
#include "device/file.h"
#include "device/options.h"

#define CONSENT_PATH "/device/v1/maintenance/consent"

/* The answer's "until" noted as DIR/maintenance for status. */
static void note_until(const char *dir, const char *until)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%s\n", until);

	if (n > 0 && (size_t)n < sizeof(line) &&
	    mg_device_file_write(dir, MG_DEVICE_MAINTENANCE_FILE, line, (size_t)n, 0600) != 0)
		fprintf(stderr, MG_DEVICE_PROGRAM ": cannot note the maintenance in %s\n", dir);
}

static int consent(struct mg_device_agent *a, const char *dir)
{
	struct mg_device_http_answer ans = { 0 };
	char url[MG_DEVICE_URL_MAX + sizeof(CONSENT_PATH)], err[512];
	json_t *root = NULL;
	const char *until, *reason;
	int status = MG_DEVICE_EXIT_ERROR;

	snprintf(url, sizeof(url), "%s%s", a->state.server, CONSENT_PATH);
	if (mg_device_http_request(a->http, url, "application/json", "", 0, NULL, NULL, &ans, err,
				   sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": consent: %s\n", err);
		return MG_DEVICE_EXIT_ERROR;
	}
	if (ans.status != 200) {
		mg_device_http_answer_error(&ans, err, sizeof(err));
		fprintf(stderr, MG_DEVICE_PROGRAM ": consent refused: %s\n", err);
		goto out;
	}
	root = json_loadb(ans.body, ans.len, 0, NULL);
	until = json_string_value(json_object_get(root, "until"));
	reason = json_string_value(json_object_get(root, "reason"));
	if (until == NULL || strlen(until) > 40 || reason == NULL) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": consent: the gateway's answer is not one\n");
		goto out;
	}
	note_until(dir, until);
	printf("maintenance %" JSON_INTEGER_FORMAT " consented: this device is out of service "
	       "until %s\nreason: %.200s\nmeasurements taken meanwhile wait here and are sent "
	       "after it\n", json_integer_value(json_object_get(root, "maintenance")), until,
	       reason);
	status = MG_DEVICE_EXIT_OK;
out:
	json_decref(root);
	mg_device_http_answer_clear(&ans);
	return status;
}

int mg_device_cmd_consent(int argc, char **argv)
{
	struct mg_device_agent a;
	char dir[MG_PATH_MAX], err[512];
	int status;

	if (mg_device_state_option_parse(argc, argv, dir, sizeof(dir), err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM " consent: %s\n", err);
		return MG_DEVICE_EXIT_USAGE;
	}
	if (mg_device_agent_open(&a, dir, err, sizeof(err)) != 0 ||
	    mg_device_agent_connect(&a, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": %s\n", err);
		status = MG_DEVICE_EXIT_ERROR;
	} else {
		status = consent(&a, dir);
	}
	mg_device_agent_close(&a);
	return status;
}
