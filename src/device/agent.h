/* What send, flush and status share: the enrolled state folder opened
 * with its queue and an HTTPS client holding the device certificate. */
#ifndef MG_DEVICE_AGENT_H
#define MG_DEVICE_AGENT_H

#include "device/deliver.h"
#include "device/http.h"
#include "device/queue.h"
#include "device/state.h"

struct mg_device_agent {
	struct mg_device_state state;
	struct mg_device_queue queue;
	struct mg_device_http *http;		/* NULL until mg_device_agent_connect */
	char measurements_url[MG_DEVICE_URL_MAX + 64];
};

/* Load state folder dir and open its queue into *a (cleared first).
 * Returns 0 or < 0 with a message for the user in err. */
int mg_device_agent_open(struct mg_device_agent *a, const char *dir, char *err,
			 size_t errlen);

/* Make a's HTTPS client: server-ca.pem as the only trust anchor, cert.pem
 * and key.pem as the client certificate; stop may be NULL. Returns 0 or < 0
 * with a message in err. */
int mg_device_agent_connect(struct mg_device_agent *a, mg_device_http_stop_fn stop,
			    char *err, size_t errlen);

/* Release everything a holds; safe after a failed open. */
void mg_device_agent_close(struct mg_device_agent *a);

/* One delivery pass under the delivery lock (waiting up to wait_ms for
 * another process that holds it). Returns 0 with *res filled in (res->left
 * > 0 when something has to wait, with res->reason), or < 0 for a local
 * failure. */
int mg_device_agent_deliver(struct mg_device_agent *a, int wait_ms,
			    struct mg_device_delivery *res);

#endif
