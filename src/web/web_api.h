/* The web port: the JSON API and the web interface's files on one HTTPS
 * listener. */
#ifndef MG_WEB_WEB_API_H
#define MG_WEB_WEB_API_H

#include "http/listener.h"
#include "web/web.h"

/* Start the web port on fd (bound and listening; the listener's from now
 * on) with web's modules, which must outlive it. Returns 0 or < 0 (logged).
 * *out is the caller's (mg_http_listener_stop). */
int mg_web_port_start(struct mg_web *web, int fd, const struct mg_http_tls *tls,
		      struct mg_http_listener **out);

/* Answer GET /metrics on c: the Prometheus text for the metrics bearer
 * token, 401 without it, 404 when no token is configured. */
enum MHD_Result mg_web_metrics_serve(struct mg_web *web, struct MHD_Connection *c,
				     const char *method);

#endif
