/* The HTTPS listeners: the web/API port and the device port, each a
 * libmicrohttpd daemon with an epoll thread pool on a socket bound earlier
 * (before privileges were dropped). */
#ifndef MG_WEB_SERVER_H
#define MG_WEB_SERVER_H

struct gateway;
struct mg_server;

/* Start the listeners gw->cfg switches on, on gw->web_fd / gw->device_fd.
 * Returns 0 or < 0 (logged). *out is the caller's (mg_server_stop). */
int mg_server_start(struct gateway *gw, struct mg_server **out);

/* Stop accepting connections; requests in flight go on. */
void mg_server_quiesce(struct mg_server *srv);

/* Close every connection, stop the threads and free. NULL is a no-op. */
void mg_server_stop(struct mg_server *srv);

#endif
