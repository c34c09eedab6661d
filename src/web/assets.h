/* The web interface's files, compiled into the program from web/ by
 * scripts/embed-web.cmake, and how the web port serves them. */
#ifndef MG_WEB_ASSETS_H
#define MG_WEB_ASSETS_H

#include <microhttpd.h>
#include <stddef.h>

struct mg_web_asset {
	const char *path;	  /* "/index.html", "/js/app.js" */
	const char *content_type; /* with charset for text */
	const char *etag;	  /* quoted: part of the file's SHA-256 */
	const unsigned char *data;
	size_t len;
};

extern const struct mg_web_asset mg_web_assets[];
extern const size_t mg_web_assets_count;

/* The asset of path ("/" is "/index.html"), or NULL: an exact look-up in
 * the compiled table, never a file system path. */
const struct mg_web_asset *mg_web_asset_find(const char *path);

/* Answer a GET or HEAD of a path outside /api/: the asset with its
 * content type, ETag (304 when If-None-Match names it), Cache-Control
 * no-cache and the security headers; 404 or 405 otherwise. */
enum MHD_Result mg_web_asset_serve(struct MHD_Connection *c, const char *url,
				   const char *method);

#endif
