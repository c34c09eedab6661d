/* The web port: the JSON API under /api/v1/ (src/web/api.c routes it) and
 * the web interface's files (src/web/assets.c) at every other path. */
#include "web/web_api.h"

#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "web/api.h"
#include "web/assets.h"
#include "web/security_txt.h"

/* Memory libmicrohttpd gives each connection for headers and buffers. */
#define WEB_CONNECTION_MEMORY (64 * 1024)

/* A request that is not for the API: a file of the web interface. */
static int other_marker;

static enum MHD_Result web_handler(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_data_size, void **con_cls)
{
	struct api_request *rq = *con_cls;
	const char *why;
	unsigned status;

	(void)version;
	(void)upload_data;
	if (*con_cls == &other_marker) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq == NULL) {
		if ((status = mg_http_framing_check(c, &why)) != 0) {
			*con_cls = &other_marker;
			return mg_http_error(c, status, why);
		}
		if (strcmp(url, "/.well-known/security.txt") == 0) {
			*con_cls = &other_marker;
			return mg_web_security_txt(c, method, ((struct mg_web *)cls)->cfg);
		}
		if (strcmp(url, "/metrics") == 0) {
			*con_cls = &other_marker;
			return mg_web_metrics_serve(cls, c, method);
		}
		if (strncmp(url, "/api/", 5) != 0) {
			*con_cls = &other_marker;
			return mg_web_asset_serve(c, url, method);
		}
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rq->web = cls;
		rq->conn = c;
		mg_http_peer_address(c, rq->peer, sizeof(rq->peer));
		*con_cls = rq;
		if (!mg_api_begin(rq, method, url)) {
			rq->answered = true;
			return mg_http_error(c, MHD_HTTP_NOT_FOUND, "no such resource");
		}
		if (rq->route == NULL) {
			rq->answered = true;
			return mg_http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
		}
		return MHD_YES;
	}
	if (rq->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		bool ok = mg_api_body(rq, upload_data, *upload_data_size);

		*upload_data_size = 0;
		return ok ? MHD_YES : MHD_NO;
	}
	rq->answered = true;
	return mg_api_dispatch(rq);
}

static void web_request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
				  enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	if (*con_cls != &other_marker)
		mg_api_request_free(*con_cls);
	*con_cls = NULL;
}

/* The web port listens while its switch is on (medgatectl interface). */
static bool web_enabled(void *arg)
{
	return mg_interface_on(((struct mg_web *)arg)->switches, MG_IF_WEB);
}

static void web_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			   enum MHD_ConnectionNotificationCode code)
{
	struct mg_web *web = cls;

	(void)c;
	(void)socket_context;
	mg_metrics_connection(web->metrics, MG_IFACE_WEB, code == MHD_CONNECTION_NOTIFY_STARTED);
}

int mg_web_port_start(struct mg_web *web, int fd, const struct mg_http_tls *tls,
		      struct mg_http_listener **out)
{
	const struct mg_http_listener_params p = {
		.name = "web",
		.fd = fd,
		.limits = &web->cfg->web,
		.threads = web->cfg->threads,
		.connection_memory = WEB_CONNECTION_MEMORY,
		.tls = tls,
		.handler = web_handler,
		.handler_cls = web,
		.completed = web_request_completed,
		.enabled = web_enabled,
		.enabled_arg = web,
		.notify_connection = web_connection,
	};

	return mg_http_listener_start(&p, out);
}
