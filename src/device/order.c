/* `order`: the device's open "measure now" order (docs/device-agent.md):
 * whom the next measurement sent without --patient goes to, as the
 * gateway says (the patient's initials and id), and until when. The
 * gateway does the assignment; this only shows it to the person at the
 * device. Nothing of the answer is kept. */
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "device/agent.h"
#include "device/device.h"
#include "device/options.h"

#define ORDER_PATH "/device/v1/order"

/* Printable ASCII or UTF-8 letters only go to the terminal. */
static bool printable(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int order(struct mg_device_agent *a)
{
	struct mg_device_http_answer ans = { 0 };
	char url[MG_DEVICE_URL_MAX + sizeof(ORDER_PATH)], err[512];
	json_t *root = NULL, *p;
	const char *id, *ini, *expires;
	int status = MG_DEVICE_EXIT_ERROR;

	snprintf(url, sizeof(url), "%s%s", a->state.server, ORDER_PATH);
	if (mg_device_http_request(a->http, url, NULL, NULL, 0, NULL, NULL, &ans, err,
				   sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": order: %s\n", err);
		return MG_DEVICE_EXIT_ERROR;
	}
	if (ans.status == 204) {
		printf("no open order: a measurement sent without --patient waits at the gateway "
		       "for a clinician to assign it\n");
		status = MG_DEVICE_EXIT_OK;
		goto out;
	}
	if (ans.status != 200) {
		mg_device_http_answer_error(&ans, err, sizeof(err));
		fprintf(stderr, MG_DEVICE_PROGRAM ": order: %s\n", err);
		goto out;
	}
	root = json_loadb(ans.body, ans.len, JSON_REJECT_DUPLICATES, NULL);
	p = json_object_get(root, "patient");
	id = json_string_value(json_object_get(p, "id"));
	ini = json_string_value(json_object_get(p, "initials"));
	expires = json_string_value(json_object_get(root, "expires"));
	if (!json_is_integer(json_object_get(root, "order")) || id == NULL || ini == NULL ||
	    expires == NULL || !printable(id, MG_PATIENT_ID_MAX) || !printable(ini, 32) ||
	    !printable(expires, 40)) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": order: the gateway's answer is not one\n");
		goto out;
	}
	printf("order %" JSON_INTEGER_FORMAT ": the next measurement sent without --patient goes "
	       "to %s (id %s), until %s\n", json_integer_value(json_object_get(root, "order")),
	       ini[0] ? ini : "a patient without recorded name", id, expires);
	status = MG_DEVICE_EXIT_OK;
out:
	json_decref(root);
	if (ans.body != NULL)
		sodium_memzero(ans.body, ans.len);
	mg_device_http_answer_clear(&ans);
	return status;
}

int mg_device_cmd_order(int argc, char **argv)
{
	struct mg_device_agent a;
	char dir[MG_PATH_MAX], err[512];
	int status;

	if (mg_device_state_option_parse(argc, argv, dir, sizeof(dir), err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM " order: %s\n", err);
		return MG_DEVICE_EXIT_USAGE;
	}
	if (mg_device_agent_open(&a, dir, err, sizeof(err)) != 0 ||
	    mg_device_agent_connect(&a, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": %s\n", err);
		status = MG_DEVICE_EXIT_ERROR;
	} else {
		status = order(&a);
	}
	mg_device_agent_close(&a);
	return status;
}
