/* The JSON API on the web port: a route table, one request struct, and the
 * helpers handlers share. The router authenticates the session, checks the
 * CSRF token on state changes and asks mg_authz_allows() before any
 * handler runs; handlers ask again for the tenant of what they touch. */
#ifndef MG_WEB_API_H
#define MG_WEB_API_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>

#include "access/authz.h"
#include "audit/audit.h"
#include "web/web.h"
#include "model/device_model.h"
#include "store/store.h"

#define MG_API_BODY_MAX		(64 * 1024)	/* JSON request bodies */
#define MG_ROUTE_PARAMS_MAX	2
#define MG_ROUTE_PARAM_MAX	128
#define MG_API_QUERY_TEXT_MAX	1024	/* decoded query values of one request */

enum mg_http_method { MG_GET = 1, MG_POST = 2, MG_PUT = 4, MG_PATCH = 8, MG_DELETE = 16 };

/* Route flags. */
#define ROUTE_MUST_CHANGE_OK	1u	/* allowed while a password change is due */
#define ROUTE_MUST_ENROL_OK	2u	/* allowed while 2FA enrolment is due */

struct api_request;
typedef enum MHD_Result (*mg_api_handler)(struct api_request *rq);

struct mg_route {
	enum mg_http_method method;
	const char *pattern;		/* "/api/v1/users/{id}" */
	enum mg_action action;		/* what the router asks authz */
	unsigned flags;
	mg_api_handler handler;
	const char *summary;
};

struct api_request {
	struct mg_web *web;
	struct MHD_Connection *conn;
	const struct mg_route *route;
	enum mg_http_method method;
	char peer[64];
	char *body;			/* request body, bounded */
	size_t len;
	bool too_large;
	bool answered;			/* an answer is queued */
	json_t *json;			/* the body parsed, if it was JSON */
	size_t nparams;
	char params[MG_ROUTE_PARAMS_MAX][MG_ROUTE_PARAM_MAX + 1];	/* decoded */
	char query_text[MG_API_QUERY_TEXT_MAX];	/* decoded query values (api_query) */
	size_t query_used;
	struct mg_principal who;	/* user_id 0 when nobody signed in */
	bool has_session;
	unsigned char session_hash[MG_TOKEN_HASH_BYTES];
	struct mg_session session;
	bool must_change_password;
	bool must_enrol_totp;
};

/* The route table, for the router, the permission test and the docs. */
const struct mg_route *mg_api_routes(size_t *count);
const char *mg_http_method_name(enum mg_http_method m);

/* Request life cycle, driven by web_api.c: begin (false: no such path or
 * method), body pieces (false: out of memory), dispatch once the body is
 * in, free. */
bool mg_api_begin(struct api_request *rq, const char *method, const char *url);
bool mg_api_body(struct api_request *rq, const char *data, size_t size);
enum MHD_Result mg_api_dispatch(struct api_request *rq);
void mg_api_request_free(struct api_request *rq);

/* Answers. */
enum MHD_Result api_json(struct api_request *rq, unsigned status, json_t *body);
enum MHD_Result api_error(struct api_request *rq, unsigned status, const char *message);
/* 400 naming the field: {"error": message, "field": field}. */
enum MHD_Result api_field_error(struct api_request *rq, const char *field, const char *message);
enum MHD_Result api_no_content(struct api_request *rq);
/* The same 404 for what does not exist and what the caller may not see. */
enum MHD_Result api_not_found(struct api_request *rq);
enum MHD_Result api_store_error(struct api_request *rq, int err);

/* Body fields. Each returns 0, or queues a 400 naming the field and
 * returns -1 (the handler then returns MHD_YES). A missing optional field
 * leaves *out as it was and returns 1. */
int api_string(struct api_request *rq, const char *field, bool required, size_t min,
	       size_t max, const char **out);
int api_bool(struct api_request *rq, const char *field, bool *out);
int api_roles(struct api_request *rq, const char *field, unsigned *out);
int api_tenant_ids(struct api_request *rq, const char *field, int64_t *ids, size_t *n);

/* Path parameter i as a positive id; -1 after queuing 404 if not one. */
int64_t api_param_id(struct api_request *rq, size_t i);

/* Record an audit event for this request (actor, roles and address from
 * the session), before its answer goes out: action like "user.create",
 * object type and id ("user", 7; type NULL for none), the object's tenant
 * (0 if none), the outcome, details a JSON object or NULL. Returns 0, or
 * < 0 (logged) if the trail could not be written. */
int api_audit(struct api_request *rq, const char *action, const char *object_type,
	      int64_t object_id, int64_t tenant_id, enum mg_audit_outcome outcome,
	      const char *details);

/* Fail closed: record action as done before doing it (outcome success).
 * Returns 0; or, when the trail cannot be written, queues 503 "cannot
 * record this action on the audit trail; nothing done" and returns < 0,
 * and the handler must not act. */
int api_audit_first(struct api_request *rq, const char *action, const char *object_type,
		    int64_t object_id, int64_t tenant_id, const char *details);

/* Queues that 503 answer (for a created object whose record failed and
 * which the handler removed again). */
enum MHD_Result api_audit_unrecorded(struct api_request *rq);

/* After api_audit_first, the act itself failed with err: a failure record
 * for the same action and object follows the first one (details
 * {"act_failed": "<error>"}), so the trail never claims what did not
 * happen. Best effort: a trail that cannot be written is logged. */
void api_audit_act_failed(struct api_request *rq, const char *action, const char *object_type,
			  int64_t object_id, int64_t tenant_id, int err);

/* A time as RFC 3339 UTC text, or null for 0. */
json_t *api_time_json(int64_t ms);

/* Query parameter name of the request (%2F and %25 decoded), or NULL
 * (also when the request's decoded values exceed MG_API_QUERY_TEXT_MAX). */
const char *api_query(struct api_request *rq, const char *name);

/* The tenant / user / device as JSON for answers (no patient data). */
json_t *api_user_json(const struct mg_user *u);
/* A device's firmware_flag (model/device_model.h) comes from models, the
 * gateway's [devices] models. */
json_t *api_device_json(const struct mg_device *d, const struct mg_model_list *models);

#endif
