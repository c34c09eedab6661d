/* `update`: signed firmware (docs/device-agent.md). Ask the gateway for
 * the newest release of this device's model, and trust nothing it says:
 * the manifest must verify with the maker's key this device was given,
 * name this device's model, be unexpired and carry a sequence number
 * higher than any this device installed (rollback protection against a
 * gateway that serves an old, signed release); the image must have the
 * manifest's size and SHA-256. Then "install" (the image into the state
 * folder, the version and sequence into its configuration) and confirm:
 * ask again with the new X-Device-Firmware, which the gateway records
 * and audits (device.firmware_changed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "device/agent.h"
#include "device/device.h"
#include "device/file.h"
#include "device/options.h"
#include "model/firmware_manifest.h"

#define FIRMWARE_PATH "/device/v1/firmware"

static int refuse(const char *why)
{
	fprintf(stderr, MG_DEVICE_PROGRAM ": update refused: %s\n", why);
	return MG_DEVICE_EXIT_ERROR;
}

/* GET path on the gateway into *ans. Returns 0 or prints why not. */
static int get(struct mg_device_agent *a, const char *path, struct mg_device_http_answer *ans)
{
	char url[MG_DEVICE_URL_MAX + 128], err[256];
	size_t len = strlen(a->state.server);

	while (len > 0 && a->state.server[len - 1] == '/')
		len--;
	snprintf(url, sizeof(url), "%.*s%s", (int)len, a->state.server, path);
	if (mg_device_http_request(a->http, url, NULL, NULL, 0, NULL, NULL, ans, err,
				   sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": update: no answer from %s: %s\n",
			a->state.server, err);
		return -1;
	}
	return 0;
}

static int answer_failed(const struct mg_device_http_answer *ans, const char *what)
{
	char msg[256];

	mg_device_http_answer_error(ans, msg, sizeof(msg));
	fprintf(stderr, MG_DEVICE_PROGRAM ": update: %s: %s\n", what, msg);
	return MG_DEVICE_EXIT_ERROR;
}

/* The manifest's checks that need no image. Returns 0 or the exit code. */
static int manifest_check(const struct mg_device_agent *a, const struct mg_firmware_manifest *m,
			  const char *text, const unsigned char key[MG_FIRMWARE_KEY_LEN])
{
	char why[256];

	if (mg_firmware_manifest_verify(m, text, key) != 0)
		return refuse("bad signature: the maker's key does not verify the manifest");
	if (strcmp(m->model, a->state.model) != 0) {
		snprintf(why, sizeof(why), "the manifest is for model %s, this device is %s",
			 m->model, a->state.model);
		return refuse(why);
	}
	if (m->expires_ms <= mg_now_ms())
		return refuse("the manifest has expired");
	if (m->sequence <= a->state.firmware_sequence) {
		snprintf(why, sizeof(why),
			 "rollback: sequence %lld is not higher than %lld, the highest this "
			 "device installed",
			 (long long)m->sequence, a->state.firmware_sequence);
		return refuse(why);
	}
	return 0;
}

/* Download, check and install the image m names. */
static int install(struct mg_device_agent *a, const struct mg_firmware_manifest *m)
{
	struct mg_device_http_answer ans = { 0 };
	char path[128], err[256];
	int status = MG_DEVICE_EXIT_ERROR, r;

	snprintf(path, sizeof(path), FIRMWARE_PATH "/%s", m->sha256);
	if (mg_device_http_set_answer_max(a->http, MG_FIRMWARE_IMAGE_MAX) != 0 ||
	    get(a, path, &ans) != 0)
		goto out;
	if (ans.status != 200) {
		status = answer_failed(&ans, "image");
		goto out;
	}
	if (mg_firmware_image_check(m, ans.body, ans.len, err, sizeof(err)) != 0) {
		status = refuse(err);
		goto out;
	}
	if ((r = mg_device_file_write(a->state.dir, MG_DEVICE_FIRMWARE_FILE, ans.body, ans.len,
				      0600)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": update: cannot install: %s\n",
			mg_strerror(r));
		goto out;
	}
	memcpy(a->state.firmware, m->version, sizeof(a->state.firmware));
	a->state.firmware_sequence = m->sequence;
	if ((r = mg_device_state_save(&a->state)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": update: cannot record the version: %s\n",
			mg_strerror(r));
		goto out;
	}
	status = MG_DEVICE_EXIT_OK;
out:
	mg_device_http_answer_clear(&ans);
	return status;
}

static int update_run(struct mg_device_agent *a, const unsigned char key[MG_FIRMWARE_KEY_LEN])
{
	struct mg_device_http_answer ans = { 0 };
	struct mg_firmware_manifest m;
	char err[256];
	int status;

	if (get(a, FIRMWARE_PATH, &ans) != 0)
		return MG_DEVICE_EXIT_ERROR;
	if (ans.status == 204) {
		printf("no update: firmware %s is current\n",
		       a->state.firmware[0] ? a->state.firmware : "(unknown)");
		status = MG_DEVICE_EXIT_OK;
		goto out;
	}
	if (ans.status != 200) {
		status = answer_failed(&ans, "manifest");
		goto out;
	}
	if (mg_firmware_manifest_parse(ans.body, ans.len, &m, err, sizeof(err)) != 0) {
		status = refuse(err);
		goto out;
	}
	if ((status = manifest_check(a, &m, ans.body, key)) != 0 ||
	    (status = install(a, &m)) != 0)
		goto out;
	printf("installed firmware %s (sequence %lld)\n", m.version, (long long)m.sequence);
	/* Confirm: the gateway records what the device now reports. */
	mg_device_http_answer_clear(&ans);
	if (mg_device_http_set_header(a->http, MG_DEVICE_FIRMWARE_HEADER, m.version) != 0 ||
	    get(a, FIRMWARE_PATH, &ans) != 0 || (ans.status != 204 && ans.status != 200)) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": update: installed, but the gateway did not "
				"take the confirmation; the next request reports it\n");
		status = MG_DEVICE_EXIT_ERROR;
		goto out;
	}
	printf("confirmed: the gateway knows firmware %s\n", m.version);
out:
	mg_device_http_answer_clear(&ans);
	return status;
}

int mg_device_cmd_update(int argc, char **argv)
{
	struct mg_device_update_options o;
	struct mg_device_agent a;
	unsigned char key[MG_FIRMWARE_KEY_LEN];
	char err[256], *text = NULL;
	size_t len;
	int status = MG_DEVICE_EXIT_ERROR;

	if (mg_device_update_options_parse(argc, argv, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM " update: %s\n", err);
		return MG_DEVICE_EXIT_USAGE;
	}
	if (mg_device_file_read(o.maker_key, 1024, &text, &len) != 0 ||
	    mg_firmware_key_parse(text, len, key) != 0) {
		free(text);
		fprintf(stderr, MG_DEVICE_PROGRAM ": update: %s: not a maker key (64 hex digits)\n",
			o.maker_key);
		return MG_DEVICE_EXIT_ERROR;
	}
	free(text);
	if (mg_device_agent_open(&a, o.state_dir, err, sizeof(err)) != 0 ||
	    mg_device_agent_connect(&a, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, MG_DEVICE_PROGRAM ": update: %s\n", err);
		goto out;
	}
	if (a.state.model[0] == '\0') {
		fprintf(stderr, MG_DEVICE_PROGRAM ": update: the device has no model (enroll "
				"--model)\n");
		goto out;
	}
	status = update_run(&a, key);
out:
	mg_device_agent_close(&a);
	return status;
}
