/* The web port: the JSON API under /api/v1/ (src/web/api.c routes it) and
 * a landing page. The web interface's static files arrive with the UI. */
#include "web/web_api.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/gateway.h"
#include "web/api.h"
#include "web/http.h"

static const char landing_page[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	"<title>medgate</title></head><body><main><h1>medgate</h1>"
	"<p>This gateway is running. Devices enrol and send measurements on the device "
	"port; the JSON API is under <code>/api/v1/</code>; operators use "
	"<code>medgatectl</code>.</p></main></body></html>\n";

/* A request that is not for the API: only the landing page exists. */
static int other_marker;

static enum MHD_Result other_request(struct MHD_Connection *c, const char *url,
				     const char *method)
{
	if (strcmp(url, "/") != 0)
		return mg_http_error(c, MHD_HTTP_NOT_FOUND, "no such resource");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return mg_http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	return mg_http_bytes(c, MHD_HTTP_OK, "text/html; charset=utf-8", landing_page,
			     sizeof(landing_page) - 1);
}

enum MHD_Result mg_web_handler(void *cls, struct MHD_Connection *c, const char *url,
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
		if (strncmp(url, "/api/", 5) != 0) {
			*con_cls = &other_marker;
			return other_request(c, url, method);
		}
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rq->gw = cls;
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

void mg_web_request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	if (*con_cls != &other_marker)
		mg_api_request_free(*con_cls);
	*con_cls = NULL;
}
