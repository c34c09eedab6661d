#include "device/agent.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "device/file.h"

int mg_device_agent_open(struct mg_device_agent *a, const char *dir, char *err,
			 size_t errlen)
{
	size_t len;
	int r, n;

	memset(a, 0, sizeof(*a));
	a->queue.delivery_lock = -1;
	if ((r = mg_device_state_load(dir, &a->state, err, errlen)) != 0)
		return r;
	if ((r = mg_device_queue_open(&a->queue, dir)) != 0) {
		snprintf(err, errlen, "cannot open the queue in %s: %s", dir, mg_strerror(r));
		return r;
	}
	len = strlen(a->state.server);
	while (len > 0 && a->state.server[len - 1] == '/')
		len--;
	n = snprintf(a->measurements_url, sizeof(a->measurements_url), "%.*s%s", (int)len,
		     a->state.server, MG_DEVICE_MEASUREMENTS_PATH);
	if (n < 0 || (size_t)n >= sizeof(a->measurements_url)) {
		snprintf(err, errlen, "server URL too long");
		return MG_ERR_LIMIT;
	}
	return 0;
}

int mg_device_agent_connect(struct mg_device_agent *a, mg_device_http_stop_fn stop,
			    char *err, size_t errlen)
{
	char ca[MG_PATH_MAX], cert[MG_PATH_MAX], key[MG_PATH_MAX];
	int r;

	if ((r = mg_device_state_path(a->state.dir, MG_DEVICE_CA_FILE, ca, sizeof(ca))) != 0 ||
	    (r = mg_device_state_path(a->state.dir, MG_DEVICE_CERT_FILE, cert,
				      sizeof(cert))) != 0 ||
	    (r = mg_device_state_path(a->state.dir, MG_DEVICE_KEY_FILE, key, sizeof(key))) != 0) {
		snprintf(err, errlen, "state folder path too long");
		return r;
	}
	if (!mg_device_path_exists(cert) || !mg_device_path_exists(key) ||
	    !mg_device_path_exists(ca)) {
		snprintf(err, errlen, "not enrolled: %s, %s or %s missing in %s",
			 MG_DEVICE_CERT_FILE, MG_DEVICE_KEY_FILE, MG_DEVICE_CA_FILE, a->state.dir);
		return MG_ERR_NOT_FOUND;
	}
	if ((r = mg_device_http_new(ca, cert, key, stop, &a->http)) != 0) {
		snprintf(err, errlen, "cannot set up HTTPS: %s", mg_strerror(r));
		return r;
	}
	if (a->state.model[0] != '\0' &&
	    (r = mg_device_http_set_header(a->http, MG_DEVICE_MODEL_HEADER, a->state.model)) != 0) {
		snprintf(err, errlen, "model %s: %s", a->state.model, mg_strerror(r));
		return r;
	}
	if (a->state.firmware[0] != '\0' &&
	    (r = mg_device_http_set_header(a->http, MG_DEVICE_FIRMWARE_HEADER,
					   a->state.firmware)) != 0) {
		snprintf(err, errlen, "firmware %s: %s", a->state.firmware, mg_strerror(r));
		return r;
	}
	return 0;
}

void mg_device_agent_close(struct mg_device_agent *a)
{
	mg_device_http_free(a->http);
	a->http = NULL;
	mg_device_queue_close(&a->queue);
}

int mg_device_agent_deliver(struct mg_device_agent *a, int wait_ms,
			    struct mg_device_delivery *res)
{
	int r;

	memset(res, 0, sizeof(*res));
	r = mg_device_queue_lock_delivery(&a->queue, wait_ms);
	if (r == MG_ERR_BUSY) {
		mg_device_queue_count(&a->queue, &res->left, NULL);
		snprintf(res->reason, sizeof(res->reason),
			 "another medgate-device process is delivering this queue");
		return 0;
	}
	if (r != 0)
		return r;
	r = mg_device_deliver(&a->queue, a->http, a->measurements_url, res);
	mg_device_queue_unlock_delivery(&a->queue);
	return r;
}
