/* /.well-known/security.txt (RFC 9116) on the web port: where to report a
 * vulnerability in this installation, from [disclosure] in the
 * configuration (docs/security.md). 404 when no contact is configured. */
#include "web/security_txt.h"

#include <stdio.h>
#include <string.h>

#include "http/http.h"

enum MHD_Result mg_web_security_txt(struct MHD_Connection *c, const char *method,
				    const struct mg_config *cfg)
{
	char text[2048];
	const char *p = cfg->disclosure_contact;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = 0;
	int n;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return mg_http_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	if (cfg->disclosure_contact[0] == '\0')
		return mg_http_error(c, MHD_HTTP_NOT_FOUND, "no such resource");
	/* One Contact line per URI, as configured (checked at load). */
	while (*p != '\0' && len < sizeof(text)) {
		size_t m = strcspn(p, ",");
		const char *uri = p + strspn(p, " ");

		n = snprintf(text + len, sizeof(text) - len, "Contact: %.*s\n",
			     (int)(m - (size_t)(uri - p)), uri);
		len += n > 0 ? (size_t)n : 0;
		p += m + (p[m] == ',');
	}
	if (len < sizeof(text)) {
		n = snprintf(text + len, sizeof(text) - len, "Expires: %s\n%s%s%sPreferred-Languages: "
			     "en, de\nCanonical: %s/.well-known/security.txt\n",
			     cfg->disclosure_expires, cfg->disclosure_policy[0] ? "Policy: " : "",
			     cfg->disclosure_policy, cfg->disclosure_policy[0] ? "\n" : "",
			     cfg->public_url);
		len += n > 0 ? (size_t)n : 0;
	}
	if (len >= sizeof(text))
		return mg_http_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "security.txt too long");
	r = MHD_create_response_from_buffer(strcmp(method, "HEAD") == 0 ? 0 : len, text,
					    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	mg_http_security_headers_cached(r);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}
