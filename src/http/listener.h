/* One HTTPS listener: a libmicrohttpd daemon with an epoll thread pool on
 * a socket bound earlier (before privileges were dropped). The web port
 * (src/web/) and the device port (src/ingest/) are each one of these, with
 * their own handler, limits and, for devices, client-certificate trust.
 *
 * libmicrohttpd closes a connection only after connection_timeout without
 * any progress, so a client that trickles one header byte every few
 * seconds would keep it forever. The listener therefore watches every
 * connection: the first line of a request must come within
 * connection_timeout + request_timeout of the connection's start or the
 * previous answer (an idle connection is closed after connection_timeout
 * anyway), and the whole request (headers and body) within request_timeout
 * of that line; a connection past its deadline is shut down. Waiting for an answer
 * (a suspended request) has no deadline.
 *
 * A listener can be switched off and on while it runs (params' enabled,
 * asked every REAPER tick): off closes the listening socket, so a connect
 * attempt is refused, while keeping its port bound (mg_listen_close); the
 * libmicrohttpd daemon is quiesced, its idle connections are shut down
 * and it is stopped once its last request is answered. On starts a new
 * daemon on the reopened socket. */
#ifndef MG_HTTP_LISTENER_H
#define MG_HTTP_LISTENER_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

/* The server's TLS material, PEM text owned by the caller (it must outlive
 * the listener), and the GnuTLS priority string of the TLS profile. */
struct mg_http_tls {
	const char *cert_pem;
	const char *key_pem;
	const char *priorities;
};

struct mg_http_listener_params {
	const char *name;			/* "web", "device": for the log */
	int fd;					/* bound, listening; the listener's now */
	const struct mg_listener_config *limits;
	unsigned threads;			/* 0: one per core */
	size_t connection_memory;		/* bytes libmicrohttpd gives a connection */
	const struct mg_http_tls *tls;
	const char *trust_pem;			/* client-certificate CA, or NULL */
	MHD_AccessHandlerCallback handler;
	void *handler_cls;
	MHD_RequestCompletedCallback completed;	/* may be NULL */
	MHD_NotifyConnectionCallback notify_connection;	/* may be NULL */
	/* Whether the port should be open now; NULL: always. Called from the
	 * listener's own thread, a few times a second; must be cheap. */
	bool (*enabled)(void *arg);
	void *enabled_arg;
};

struct mg_http_listener;

/* Start serving on p->fd (closed at once if p->enabled says off). Returns 0
 * or MG_ERR_IO (logged). *out is the caller's (mg_http_listener_stop). */
int mg_http_listener_start(const struct mg_http_listener_params *p,
			   struct mg_http_listener **out);

/* Stop accepting connections and close the listening socket, so its port
 * is free; requests in flight go on. NULL does nothing. */
void mg_http_listener_quiesce(struct mg_http_listener *l);

/* Close every connection, stop the threads and free. NULL does nothing. */
void mg_http_listener_stop(struct mg_http_listener *l);

/* The socket context the params' notify_connection set for c's
 * connection (libmicrohttpd's own slot holds the listener's watch). */
void *mg_http_socket_context(struct MHD_Connection *c);

/* Whether the listening socket is open (not switched off, not quiesced). */
bool mg_http_listener_open(struct mg_http_listener *l);

/* Connections shut down for missing a deadline since the start. */
unsigned long mg_http_listener_timeouts(struct mg_http_listener *l);

#endif
