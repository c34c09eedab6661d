/* Response and request helpers shared by the HTTP handlers of both ports
 * (the web port in src/web/, the device port in src/ingest/). */
#ifndef MG_HTTP_HTTP_H
#define MG_HTTP_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

/* Queue a JSON response (takes over body: it is decref'd). Adds the
 * security headers. Returns MHD_YES or MHD_NO. */
enum MHD_Result mg_http_json(struct MHD_Connection *c, unsigned status, json_t *body);
/* The same with a Retry-After of seconds (0: none). */
enum MHD_Result mg_http_json_retry_after(struct MHD_Connection *c, unsigned status, json_t *body,
					 unsigned seconds);

/* Queue {"error": message} with status. message must never hold patient
 * data. */
enum MHD_Result mg_http_error(struct MHD_Connection *c, unsigned status, const char *message);

/* Queue a response from a buffer (copied) with content type. */
enum MHD_Result mg_http_bytes(struct MHD_Connection *c, unsigned status, const char *type,
			      const void *data, size_t len);

/* Add the security headers every medgate response carries. */
void mg_http_security_headers(struct MHD_Response *r);

/* The same security headers for a file the browser may keep if it
 * revalidates it first (Cache-Control: no-cache, with an ETag). */
void mg_http_security_headers_cached(struct MHD_Response *r);

/* Whether the request's Content-Type is mime (parameters such as charset
 * are allowed after ';'). */
bool mg_http_content_type_is(struct MHD_Connection *c, const char *mime);

/* Check the request's framing headers before its body is read: at most one
 * Content-Length, and no Transfer-Encoding but "chunked". Returns 0, or
 * the status to refuse with (400, 501) and the reason in *why. */
unsigned mg_http_framing_check(struct MHD_Connection *c, const char **why);

/* libmicrohttpd's URL unescaper, stricter: %00 does not become a NUL that
 * would cut the path short, but a DEL that matches no route. %2F and %25
 * stay as they are, so an encoded "/" inside a path segment (a patient
 * identifier "WARD/0042") never splits the path: the router decodes them
 * in each segment with mg_http_unescape_segment, and query values with
 * the same function. */
size_t mg_http_unescape(void *cls, struct MHD_Connection *c, char *uri);

/* Decode what mg_http_unescape left, %2F and %25 (any case), from in into
 * out (at most outsize bytes with the NUL). Returns false if out is too
 * small. */
bool mg_http_unescape_segment(const char *in, size_t len, char *out, size_t outsize);

/* The client's address as text ("127.0.0.1", "::1") into buf. */
void mg_http_peer_address(struct MHD_Connection *c, char *buf, size_t buflen);

#endif
