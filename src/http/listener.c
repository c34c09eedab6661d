#include "http/listener.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "http/http.h"

struct mg_http_listener {
	struct MHD_Daemon *daemon;
	int fd;			/* the listening socket until quiesced, then -1 */
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

static unsigned threads_or_cores(unsigned threads)
{
	long n = threads ? (long)threads : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (unsigned)n;
}

int mg_http_listener_start(const struct mg_http_listener_params *p,
			   struct mg_http_listener **out)
{
	const unsigned flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD |
			       MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem extra[4];
	struct mg_http_listener *l;
	size_t n = 0;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return MG_ERR_NOMEM;
	/* libmicrohttpd asks for a client certificate when it has a trust. */
	if (p->trust_pem != NULL)
		extra[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
						      (void *)(uintptr_t)p->trust_pem };
	if (p->notify_connection != NULL)
		extra[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
						      (intptr_t)p->notify_connection, NULL };
	if (p->completed != NULL)
		extra[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
						      (intptr_t)p->completed, NULL };
	extra[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	l->fd = p->fd;
	l->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, p->handler, p->handler_cls,
		MHD_OPTION_LISTEN_SOCKET, p->fd,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, mg_http_unescape, NULL,
		MHD_OPTION_HTTPS_MEM_KEY, p->tls->key_pem,
		MHD_OPTION_HTTPS_MEM_CERT, p->tls->cert_pem,
		MHD_OPTION_HTTPS_PRIORITIES, p->tls->priorities,
		MHD_OPTION_THREAD_POOL_SIZE, threads_or_cores(p->threads),
		MHD_OPTION_CONNECTION_TIMEOUT, p->limits->connection_timeout,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, p->limits->connections_per_address,
		MHD_OPTION_CONNECTION_LIMIT, p->limits->max_connections,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, p->connection_memory,
		MHD_OPTION_ARRAY, extra,
		MHD_OPTION_END);
	if (l->daemon == NULL) {
		mg_log_error("cannot start the %s port %u", p->name, p->limits->port);
		free(l);
		return MG_ERR_IO;
	}
	*out = l;
	return 0;
}

void mg_http_listener_quiesce(struct mg_http_listener *l)
{
	MHD_socket fd;

	if (l == NULL || l->fd < 0)
		return;
	/* The listening socket comes back to us: closing it frees the port. */
	if ((fd = MHD_quiesce_daemon(l->daemon)) != MHD_INVALID_SOCKET)
		close(fd);
	l->fd = -1;
}

void mg_http_listener_stop(struct mg_http_listener *l)
{
	if (l == NULL)
		return;
	MHD_stop_daemon(l->daemon);
	free(l);
}
