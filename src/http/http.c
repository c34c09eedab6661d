#include "http/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/hex.h"

/* The Content-Security-Policy allows only this origin's own scripts,
 * styles and connections: no inline script or style, no third party, no
 * framing. The web interface is written to need nothing more. */
#define CONTENT_SECURITY_POLICY                                                        \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "   \
	"frame-ancestors 'none'"

static void security_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Strict-Transport-Security",
				"max-age=63072000; includeSubDomains");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy", CONTENT_SECURITY_POLICY);
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	MHD_add_response_header(r, "Permissions-Policy",
				"camera=(), microphone=(), geolocation=(), payment=(), usb=()");
}

void mg_http_security_headers(struct MHD_Response *r)
{
	security_headers(r);
	MHD_add_response_header(r, "Cache-Control", "no-store");
}

void mg_http_security_headers_cached(struct MHD_Response *r)
{
	security_headers(r);
	MHD_add_response_header(r, "Cache-Control", "no-cache");
}

enum MHD_Result mg_http_bytes(struct MHD_Connection *c, unsigned status, const char *type,
			      const void *data, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data,
					    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	mg_http_security_headers(r);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result mg_http_json(struct MHD_Connection *c, unsigned status, json_t *body)
{
	return mg_http_json_retry_after(c, status, body, 0);
}

enum MHD_Result mg_http_json_retry_after(struct MHD_Connection *c, unsigned status, json_t *body,
					 unsigned seconds)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text, after[16];

	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (seconds > 0) {
		snprintf(after, sizeof(after), "%u", seconds);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, after);
	}
	mg_http_security_headers(r);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result mg_http_error(struct MHD_Connection *c, unsigned status, const char *message)
{
	return mg_http_json(c, status, json_pack("{s:s}", "error", message));
}

bool mg_http_content_type_is(struct MHD_Connection *c, const char *mime)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	size_t n = strlen(mime);

	if (v == NULL || strncasecmp(v, mime, n) != 0)
		return false;
	v += n;
	while (*v == ' ' || *v == '\t')
		v++;
	return *v == '\0' || *v == ';';
}

void mg_http_peer_address(struct MHD_Connection *c, char *buf, size_t buflen)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	buf[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
			  (socklen_t)buflen);
	else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		/* IPv4 clients of the dual-stack socket are shown as IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], buf, (socklen_t)buflen);
		else
			inet_ntop(AF_INET6, a, buf, (socklen_t)buflen);
	}
}

struct framing {
	unsigned content_lengths;
	unsigned transfer_encodings;
	bool bad_encoding;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (strcasecmp(key, "Content-Length") == 0)
		f->content_lengths++;
	else if (strcasecmp(key, "Transfer-Encoding") == 0) {
		f->transfer_encodings++;
		if (value == NULL || strcasecmp(value, "chunked") != 0)
			f->bad_encoding = true;
	}
	return MHD_YES;
}

unsigned mg_http_framing_check(struct MHD_Connection *c, const char **why)
{
	struct framing f = { 0, 0, false };

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
	if (f.content_lengths > 1 || (f.content_lengths > 0 && f.transfer_encodings > 0)) {
		*why = "conflicting Content-Length or Transfer-Encoding headers";
		return MHD_HTTP_BAD_REQUEST;
	}
	if (f.transfer_encodings > 1 || f.bad_encoding) {
		*why = "only Transfer-Encoding: chunked is supported";
		return MHD_HTTP_NOT_IMPLEMENTED;
	}
	*why = NULL;
	return 0;
}

size_t mg_http_unescape(void *cls, struct MHD_Connection *c, char *uri)
{
	char *out = uri;
	const char *in = uri;

	(void)cls;
	(void)c;
	while (*in != '\0') {
		int hi, lo;

		if (in[0] == '%' && (hi = mg_hex_digit(in[1])) >= 0 &&
		    (lo = mg_hex_digit(in[2])) >= 0 && (hi * 16 + lo == '/' || hi * 16 + lo == '%')) {
			/* Left for the router, segment by segment. */
			memmove(out, in, 3);
			out += 3;
			in += 3;
		} else if (in[0] == '%' && (hi = mg_hex_digit(in[1])) >= 0 &&
			   (lo = mg_hex_digit(in[2])) >= 0) {
			char ch = (char)(hi * 16 + lo);

			*out++ = ch == '\0' ? '\x7f' : ch;
			in += 3;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - uri);
}

bool mg_http_unescape_segment(const char *in, size_t len, char *out, size_t outsize)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int hi = i + 2 < len && in[i] == '%' ? mg_hex_digit(in[i + 1]) : -1;
		int lo = hi >= 0 ? mg_hex_digit(in[i + 2]) : -1;
		char ch = in[i];

		if (lo >= 0 && (hi * 16 + lo == '/' || hi * 16 + lo == '%')) {
			ch = (char)(hi * 16 + lo);
			i += 2;
		}
		if (n + 1 >= outsize)
			return false;
		out[n++] = ch;
	}
	if (outsize == 0)
		return false;
	out[n] = '\0';
	return true;
}
