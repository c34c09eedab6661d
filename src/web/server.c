#include "web/server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "tls/profile.h"
#include "daemon/gateway.h"
#include "web/device_api.h"
#include "web/device_internal.h"
#include "web/http.h"
#include "web/web_api.h"

/* Memory libmicrohttpd gives each connection for headers and buffers: a
 * device request's headers are small, and 10,000 idle devices must fit. */
#define DEVICE_CONNECTION_MEMORY (16 * 1024)
#define WEB_CONNECTION_MEMORY (64 * 1024)

struct mg_server {
	struct gateway *gw;
	struct MHD_Daemon *web;
	struct MHD_Daemon *device;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	int n;

	(void)cls;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	/* libmicrohttpd ends its messages with a newline; the log adds one. */
	for (size_t len = strnlen(line, sizeof(line)); len > 0 && line[len - 1] == '\n'; len--)
		line[len - 1] = '\0';
	mg_log_debug("http: %s", line);
}

/* Every TLS session libmicrohttpd makes gets the rest of the profile
 * (tls/profile.h) before its handshake; the device port's own
 * bookkeeping follows (cls marks it). */
static char device_port;	/* only its address is used */

static void connection_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED &&
	    (ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION)) != NULL &&
	    ci->tls_session != NULL)
		mg_tls_session_profile((gnutls_session_t)ci->tls_session);
	if (cls == &device_port)
		mg_device_connection_notify(NULL, c, socket_context, code);
}

static unsigned threads_for(const struct mg_config *cfg)
{
	long n = cfg->threads ? (long)cfg->threads : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (unsigned)n;
}

static struct MHD_Daemon *start_one(struct gateway *gw, const struct mg_listener_config *l,
				    int fd, bool device)
{
	const unsigned flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD |
			       MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls_trust[] = {
		{ MHD_OPTION_HTTPS_MEM_TRUST, 0, gw->device_ca_pem },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)connection_notify, (void *)&device_port },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)mg_device_request_completed, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_OptionItem web_extra[] = {
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)mg_web_request_completed, NULL },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)connection_notify, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};

	return MHD_start_daemon(
		flags, 0, NULL, NULL, device ? mg_device_handler : mg_web_handler, gw,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, mg_http_unescape, NULL,
		MHD_OPTION_HTTPS_MEM_KEY, gw->server_key_pem,
		MHD_OPTION_HTTPS_MEM_CERT, gw->server_cert_pem,
		MHD_OPTION_HTTPS_PRIORITIES, gw->tls_priorities,
		MHD_OPTION_THREAD_POOL_SIZE, threads_for(gw->cfg),
		MHD_OPTION_CONNECTION_TIMEOUT, l->connection_timeout,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, l->connections_per_address,
		MHD_OPTION_CONNECTION_LIMIT, l->max_connections,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)(device ? DEVICE_CONNECTION_MEMORY : WEB_CONNECTION_MEMORY),
		MHD_OPTION_ARRAY, device ? tls_trust : web_extra,
		MHD_OPTION_END);
}

int mg_server_start(struct gateway *gw, struct mg_server **out)
{
	struct mg_server *srv;
	int r;

	*out = NULL;
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return MG_ERR_NOMEM;
	srv->gw = gw;
	if ((r = mg_est_prepare(gw)) != 0) {
		mg_log_error("cannot encode the device CA for EST: %s", mg_strerror(r));
		goto fail;
	}
	if (gw->cfg->web.enabled &&
	    (srv->web = start_one(gw, &gw->cfg->web, gw->web_fd, false)) == NULL) {
		mg_log_error("cannot start the web port %u", gw->cfg->web.port);
		r = MG_ERR_IO;
		goto fail;
	}
	if (gw->cfg->device.enabled &&
	    (srv->device = start_one(gw, &gw->cfg->device, gw->device_fd, true)) == NULL) {
		mg_log_error("cannot start the device port %u", gw->cfg->device.port);
		r = MG_ERR_IO;
		goto fail;
	}
	*out = srv;
	return 0;
fail:
	mg_server_stop(srv);
	return r;
}

void mg_server_quiesce(struct mg_server *srv)
{
	if (srv == NULL)
		return;
	struct MHD_Daemon *daemons[] = { srv->web, srv->device };

	/* The listening sockets come back to us: closing them frees the ports. */
	for (size_t i = 0; i < 2; i++) {
		MHD_socket fd;

		if (daemons[i] != NULL && (fd = MHD_quiesce_daemon(daemons[i])) != MHD_INVALID_SOCKET)
			close(fd);
	}
}

void mg_server_stop(struct mg_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->web != NULL)
		MHD_stop_daemon(srv->web);
	if (srv->device != NULL)
		MHD_stop_daemon(srv->device);
	mg_est_release(srv->gw);
	free(srv);
}
