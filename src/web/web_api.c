/* The web port. For now it answers the health check and a landing page;
 * sign-in, the JSON API and the web interface build on this router. */
#include "web/web_api.h"

#include <string.h>

#include "daemon/gateway.h"
#include "web/http.h"

static const char landing_page[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	"<title>medgate</title></head><body><main><h1>medgate</h1>"
	"<p>This gateway is running. Devices enrol and send measurements on the device "
	"port; operators use <code>medgatectl</code>.</p></main></body></html>\n";

static int marker;	/* con_cls of a request whose first call was seen */

enum MHD_Result mg_web_handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls)
{
	(void)cls;
	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		*con_cls = &marker;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;	/* no route here takes a body yet */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return mg_http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	if (strcmp(url, "/api/v1/health") == 0)
		return mg_http_json(c, MHD_HTTP_OK,
				    json_pack("{s:s, s:s}", "status", "ok", "version", MG_VERSION));
	if (strcmp(url, "/") == 0)
		return mg_http_bytes(c, MHD_HTTP_OK, "text/html; charset=utf-8", landing_page,
				     sizeof(landing_page) - 1);
	return mg_http_error(c, MHD_HTTP_NOT_FOUND, "no such resource");
}

void mg_web_request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	*con_cls = NULL;
}
