/* Static files of the web interface: a look-up in the table compiled from
 * web/ (generated/web_assets.c). Browsers revalidate each file with its
 * ETag, so a new build is seen at the next load and nothing stale stays. */
#include "web/assets.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "http/http.h"

const struct mg_web_asset *mg_web_asset_find(const char *path)
{
	if (strcmp(path, "/") == 0)
		path = "/index.html";
	for (size_t i = 0; i < mg_web_assets_count; i++) {
		if (strcmp(mg_web_assets[i].path, path) == 0)
			return &mg_web_assets[i];
	}
	return NULL;
}

/* Whether If-None-Match names etag (a list, or "*"). */
static bool etag_matches(const char *header, const char *etag)
{
	return header != NULL && (strcmp(header, "*") == 0 || strstr(header, etag) != NULL);
}

enum MHD_Result mg_web_asset_serve(struct MHD_Connection *c, const char *url,
				   const char *method)
{
	const struct mg_web_asset *a = mg_web_asset_find(url);
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;

	if (a == NULL)
		return mg_http_error(c, MHD_HTTP_NOT_FOUND, "no such resource");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return mg_http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	if (etag_matches(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match"),
			 a->etag)) {
		status = MHD_HTTP_NOT_MODIFIED;
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	} else {
		r = MHD_create_response_from_buffer(a->len, (void *)(uintptr_t)a->data,
						    MHD_RESPMEM_PERSISTENT);
	}
	if (r == NULL)
		return MHD_NO;
	if (status == MHD_HTTP_OK)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, a->etag);
	mg_http_security_headers_cached(r);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}
