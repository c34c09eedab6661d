/* The API router: match the route, resume the session, enforce the CSRF
 * token and the forced password change, ask authz, run the handler. */
#include "web/api.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "access/session.h"
#include "common/err.h"
#include "common/log.h"
#include "http/http.h"

#define SESSION_COOKIE "__Host-mg_session"

const char *mg_http_method_name(enum mg_http_method m)
{
	switch (m) {
	case MG_GET: return "GET";
	case MG_POST: return "POST";
	case MG_PUT: return "PUT";
	case MG_PATCH: return "PATCH";
	case MG_DELETE: return "DELETE";
	}
	return "?";
}

/* Match path against pattern; {name} segments become parameters. */
static bool route_match(const char *pattern, const char *path, struct api_request *rq)
{
	size_t n = 0;

	while (*pattern != '\0' && *path != '\0') {
		if (*pattern == '{') {
			const char *end = strchr(path, '/');
			size_t len = end ? (size_t)(end - path) : strlen(path);

			if (len == 0 || n == MG_ROUTE_PARAMS_MAX ||
			    !mg_http_unescape_segment(path, len, rq->params[n],
						      sizeof(rq->params[n])))
				return false;
			n++;
			path += len;
			pattern = strchr(pattern, '}');
			if (pattern == NULL)
				return false;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	if (*pattern != '\0' || *path != '\0')
		return false;
	rq->nparams = n;
	return true;
}

/* Find the route; *method_known tells 405 from 404. */
static const struct mg_route *route_find(struct api_request *rq, const char *path,
					 bool *path_known)
{
	size_t count;
	const struct mg_route *routes = mg_api_routes(&count);

	*path_known = false;
	for (size_t i = 0; i < count; i++) {
		if (!route_match(routes[i].pattern, path, rq))
			continue;
		*path_known = true;
		if (routes[i].method == rq->method)
			return &routes[i];
	}
	return NULL;
}

/* The session cookie's value, if the request carries one. */
static const char *session_cookie(struct api_request *rq)
{
	return MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
}

static bool csrf_ok(struct api_request *rq)
{
	const char *token = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-CSRF-Token");

	return token != NULL && strlen(token) == MG_CSRF_TEXT_LEN &&
	       sodium_memcmp(token, rq->session.csrf, MG_CSRF_TEXT_LEN) == 0;
}

/* A state change must come from a page of this gateway. Browsers say
 * where a request comes from (Sec-Fetch-Site, Origin); a cross-site
 * request is refused whatever its cookie and token, so a stolen CSRF token
 * alone is not enough. Clients that send neither header (curl, scripts)
 * are not browsers and cannot carry a victim's cookie. */
static const char *cross_site(struct api_request *rq)
{
	const char *site = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
	const char *origin = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Host");

	if (site != NULL && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return "cross-site request refused (Sec-Fetch-Site)";
	if (origin == NULL)
		return NULL;
	/* The page's own origin is https:// and the Host it was served by. */
	if (host == NULL || strncmp(origin, "https://", 8) != 0 || strcmp(origin + 8, host) != 0)
		return "cross-site request refused (Origin)";
	return NULL;
}

static enum MHD_Result authenticate(struct api_request *rq, bool *done)
{
	struct mg_session_state st;
	const char *cookie = session_cookie(rq);
	int r;

	*done = false;
	if (cookie == NULL)
		return MHD_YES;
	r = mg_session_resume(rq->web->access, cookie, &st);
	if (r == MG_ERR_NOT_FOUND || r == MG_ERR_INVALID || r == MG_ERR_DENIED)
		return MHD_YES;	/* as if no cookie: public routes still work */
	if (r != 0) {
		*done = true;
		return api_store_error(rq, r);
	}
	rq->has_session = true;
	rq->who = st.who;
	rq->session = st.session;
	memcpy(rq->session_hash, st.hash, sizeof(rq->session_hash));
	rq->must_change_password = st.must_change_password;
	rq->must_enrol_totp = st.must_enrol_totp;
	return MHD_YES;
}
/* What a service account does inside its grant beyond its own session and
 * its requests: each is recorded, with the grant's id, before it is done. */
static bool maintenance_action(const struct mg_route *route)
{
	return route->action != MG_ACTION_PUBLIC && route->action != MG_ACTION_SELF &&
	       route->action != MG_ACTION_MAINTENANCE_ASK &&
	       route->action != MG_ACTION_MAINTENANCE_VIEW;
}

static int maintenance_record(struct api_request *rq, const struct mg_route *route)
{
	char details[192];	/* route patterns are short, plain ASCII */

	if (!(rq->who.roles & MG_ROLE_SERVICE) || rq->who.maintenance_id == 0)
		return 0;
	snprintf(details, sizeof(details), "{\"method\":\"%s\",\"route\":\"%s\"}",
		 mg_http_method_name(rq->method), route->pattern);
	return api_audit_first(rq, "maintenance.action", "maintenance", rq->who.maintenance_id, 0,
			       details);
}


enum MHD_Result mg_api_dispatch(struct api_request *rq)
{
	const struct mg_route *route = rq->route;
	bool done;
	enum MHD_Result ret;

	const char *why;

	if (rq->too_large)
		return api_error(rq, MHD_HTTP_CONTENT_TOO_LARGE, "request body larger than the limit");
	if (rq->method != MG_GET && (why = cross_site(rq)) != NULL)
		return api_error(rq, MHD_HTTP_FORBIDDEN, why);
	ret = authenticate(rq, &done);
	if (done)
		return ret;
	if (route->action != MG_ACTION_PUBLIC && !rq->has_session)
		return api_error(rq, MHD_HTTP_UNAUTHORIZED, "sign in first");
	if (rq->has_session && rq->method != MG_GET && route->action != MG_ACTION_PUBLIC &&
	    !csrf_ok(rq))
		return api_error(rq, MHD_HTTP_FORBIDDEN, "missing or wrong X-CSRF-Token");
	/* The gates hold a signed-in account, not what anybody may do. */
	if (rq->must_change_password && route->action != MG_ACTION_PUBLIC &&
	    !(route->flags & ROUTE_MUST_CHANGE_OK))
		return api_error(rq, MHD_HTTP_FORBIDDEN, "password change required");
	if (rq->must_enrol_totp && route->action != MG_ACTION_PUBLIC &&
	    !(route->flags & (ROUTE_MUST_ENROL_OK | ROUTE_MUST_CHANGE_OK)))
		return api_error(rq, MHD_HTTP_FORBIDDEN, "second factor enrolment required");
	if (!mg_authz_allows(&rq->who, route->action, 0))
		return api_error(rq, MHD_HTTP_FORBIDDEN, "not allowed for your roles");
	if (maintenance_action(route) && maintenance_record(rq, route) != 0)
		return MHD_YES;
	if (rq->len > 0) {
		json_error_t jerr;

		if (!mg_http_content_type_is(rq->conn, "application/json"))
			return api_error(rq, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
					 "Content-Type must be application/json");
		rq->json = json_loadb(rq->body, rq->len, JSON_REJECT_DUPLICATES, &jerr);
		if (rq->json == NULL || !json_is_object(rq->json))
			return api_error(rq, MHD_HTTP_BAD_REQUEST,
					 rq->json ? "the body must be a JSON object"
						  : "malformed JSON");
	}
	return route->handler(rq);
}

/* libmicrohttpd glue: collect the body, then dispatch. */
bool mg_api_begin(struct api_request *rq, const char *method, const char *url)
{
	static const struct { const char *name; enum mg_http_method m; } methods[] = {
		{ "GET", MG_GET }, { "HEAD", MG_GET }, { "POST", MG_POST }, { "PUT", MG_PUT },
		{ "PATCH", MG_PATCH }, { "DELETE", MG_DELETE },
	};
	bool known = false;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (strcmp(method, methods[i].name) == 0)
			rq->method = methods[i].m;
	}
	if (rq->method == 0)
		return false;
	rq->route = route_find(rq, url, &known);
	return rq->route != NULL || known;
}

bool mg_api_body(struct api_request *rq, const char *data, size_t size)
{
	if (rq->too_large || rq->len + size > MG_API_BODY_MAX) {
		rq->too_large = true;
		return true;
	}
	if (rq->body == NULL && (rq->body = malloc(MG_API_BODY_MAX)) == NULL)
		return false;
	memcpy(rq->body + rq->len, data, size);
	rq->len += size;
	return true;
}

void mg_api_request_free(struct api_request *rq)
{
	if (rq == NULL)
		return;
	json_decref(rq->json);
	if (rq->body != NULL) {
		/* Bodies carry passwords. */
		sodium_memzero(rq->body, rq->len);
		free(rq->body);
	}
	sodium_memzero(rq, sizeof(*rq));
	free(rq);
}
