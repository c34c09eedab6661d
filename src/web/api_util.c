/* Answers and body-field helpers shared by the API handlers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "crypto/keyring.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "web/api.h"
#include "http/http.h"

enum MHD_Result api_json(struct api_request *rq, unsigned status, json_t *body)
{
	return mg_http_json(rq->conn, status, body);
}

enum MHD_Result api_error(struct api_request *rq, unsigned status, const char *message)
{
	return mg_http_error(rq->conn, status, message);
}

enum MHD_Result api_field_error(struct api_request *rq, const char *field, const char *message)
{
	return mg_http_json(rq->conn, MHD_HTTP_BAD_REQUEST,
			    json_pack("{s:s, s:s}", "error", message, "field", field));
}

enum MHD_Result api_no_content(struct api_request *rq)
{
	return mg_http_bytes(rq->conn, MHD_HTTP_NO_CONTENT, NULL, "", 0);
}

enum MHD_Result api_not_found(struct api_request *rq)
{
	return api_error(rq, MHD_HTTP_NOT_FOUND, "not found");
}

enum MHD_Result api_store_error(struct api_request *rq, int err)
{
	switch (err) {
	case MG_ERR_NOT_FOUND:
		return api_not_found(rq);
	case MG_ERR_EXISTS:
		return api_error(rq, MHD_HTTP_CONFLICT, "exists already");
	case MG_ERR_BUSY:
		return api_error(rq, MHD_HTTP_CONFLICT, "still in use");
	default:
		mg_log_error("api: %s %s failed: %s", mg_http_method_name(rq->method),
			     rq->route ? rq->route->pattern : "?", mg_strerror(err));
		return api_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "store unavailable, retry later");
	}
}

static bool printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	}
	return true;
}

int api_string(struct api_request *rq, const char *field, bool required, size_t min,
	       size_t max, const char **out)
{
	json_t *v = rq->json ? json_object_get(rq->json, field) : NULL;
	char msg[96];
	size_t len;

	if (v == NULL) {
		if (!required)
			return 1;
		api_field_error(rq, field, "required");
		return -1;
	}
	if (!json_is_string(v)) {
		api_field_error(rq, field, "must be a string");
		return -1;
	}
	len = json_string_length(v);
	if (len < min || len > max) {
		snprintf(msg, sizeof(msg), "must be %zu to %zu bytes long", min, max);
		api_field_error(rq, field, msg);
		return -1;
	}
	if (memchr(json_string_value(v), '\0', len) != NULL ||
	    !printable(json_string_value(v), len)) {
		api_field_error(rq, field, "must not contain control characters");
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int api_bool(struct api_request *rq, const char *field, bool *out)
{
	json_t *v = rq->json ? json_object_get(rq->json, field) : NULL;

	if (v == NULL)
		return 1;
	if (!json_is_boolean(v)) {
		api_field_error(rq, field, "must be true or false");
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

int api_roles(struct api_request *rq, const char *field, unsigned *out)
{
	json_t *v = rq->json ? json_object_get(rq->json, field) : NULL, *e;
	unsigned roles = 0, role;
	size_t i;

	if (v == NULL)
		return 1;
	if (!json_is_array(v) || json_array_size(v) > MG_ROLE_COUNT) {
		api_field_error(rq, field, "must be a list of roles");
		return -1;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || mg_role_parse(json_string_value(e), &role) != 0) {
			api_field_error(rq, field, "unknown role (clinician, admin, tenant-admin, "
						   "device-admin, service)");
			return -1;
		}
		roles |= role;
	}
	*out = roles;
	return 0;
}

int api_tenant_ids(struct api_request *rq, const char *field, int64_t *ids, size_t *n)
{
	json_t *v = rq->json ? json_object_get(rq->json, field) : NULL, *e;
	size_t i;

	if (v == NULL)
		return 1;
	if (!json_is_array(v) || json_array_size(v) > MG_USER_TENANTS_MAX) {
		api_field_error(rq, field, "must be a list of at most 64 tenant ids");
		return -1;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_integer(e) || json_integer_value(e) <= 0) {
			api_field_error(rq, field, "tenant ids are positive integers");
			return -1;
		}
		ids[i] = json_integer_value(e);
	}
	*n = json_array_size(v);
	return 0;
}

int64_t api_param_id(struct api_request *rq, size_t i)
{
	char *end;
	long long v;

	if (i >= rq->nparams)
		goto bad;
	errno = 0;
	v = strtoll(rq->params[i], &end, 10);
	if (rq->params[i][0] < '1' || rq->params[i][0] > '9' || *end != '\0' || errno != 0)
		goto bad;
	return v;
bad:
	api_not_found(rq);
	return -1;
}

json_t *api_time_json(int64_t ms)
{
	char text[MG_TIME_TEXT_LEN];

	if (ms == 0 || mg_time_format(ms, text, sizeof(text)) != 0)
		return json_null();
	return json_string(text);
}

json_t *api_user_json(const struct mg_user *u)
{
	json_t *roles = json_array(), *tenants = json_array();

	for (unsigned i = 0; i < MG_ROLE_COUNT; i++) {
		if (u->roles & mg_role_at(i))
			json_array_append_new(roles, json_string(mg_role_name(mg_role_at(i))));
	}
	json_t *suspended = json_array();

	for (size_t i = 0; i < u->ntenants; i++)
		json_array_append_new(tenants, json_integer(u->tenants[i]));
	for (size_t i = 0; i < u->nsuspended; i++)
		json_array_append_new(suspended, json_integer(u->suspended[i]));
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:b, s:b, s:o, s:o}", "id",
			 (json_int_t)u->id, "name", u->name, "display_name", u->display_name,
			 "email", u->email, "roles", roles, "tenants", tenants,
			 "suspended_tenants", suspended, "disabled",
			 u->disabled, "must_change_password", u->must_change_password,
			 "second_factor", u->totp_len > 0, "locked_until",
			 api_time_json(u->locked_until_ms > mg_now_ms() ? u->locked_until_ms : 0),
			 "created", api_time_json(u->created_ms));
}

json_t *api_device_json(const struct mg_device *d, const struct mg_model_list *models)
{
	const char *flag = mg_firmware_flag_name(mg_device_firmware_flag(models, d->model,
									 d->firmware));

	return json_pack("{s:o, s:o, s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:b}",
			 "firmware_flag", flag ? json_string(flag) : json_null(),
			 "firmware", d->firmware[0] ? json_string(d->firmware) : json_null(), "id",
			 (json_int_t)d->id, "tenant", (json_int_t)d->tenant_id, "name", d->name,
			 "status", mg_device_status_name(d->status), "certificate_fingerprint",
			 d->cert_fingerprint, "certificate_expires", api_time_json(d->cert_not_after_ms),
			 "last_seen", api_time_json(d->last_seen_ms), "enrolled", api_time_json(d->created_ms),
			 "model", d->model[0] ? json_string(d->model) : json_null(), "reported_model",
			 d->reported_model[0] ? json_string(d->reported_model) : json_null(),
			 "model_mismatch", d->reported_model[0] != '\0');
}

int api_audit(struct api_request *rq, const char *action, const char *object_type,
	      int64_t object_id, int64_t tenant_id, enum mg_audit_outcome outcome,
	      const char *details)
{
	char roles[96] = "", object[64] = "";
	struct mg_audit_event e;
	int r;

	memset(&e, 0, sizeof(e));
	mg_audit_roles_text(rq->who.roles, roles, sizeof(roles));
	if (object_type != NULL)
		mg_audit_object(object_type, object_id, object, sizeof(object));
	e.actor_id = rq->who.user_id;
	e.actor = rq->who.user_id ? rq->who.name : "anonymous";
	e.roles = roles;
	e.address = rq->peer;
	e.action = action;
	e.object = object;
	e.tenant_id = tenant_id;
	e.outcome = outcome;
	e.details = details;
	if ((r = mg_audit_append(rq->web->store, mg_keyring_master(rq->web->keys), &e)) != 0)
		mg_log_error("audit: cannot record %s: %s", action, mg_strerror(r));
	return r;
}

int api_audit_first(struct api_request *rq, const char *action, const char *object_type,
		    int64_t object_id, int64_t tenant_id, const char *details)
{
	int r = api_audit(rq, action, object_type, object_id, tenant_id, MG_AUDIT_SUCCESS, details);

	if (r != 0)
		api_audit_unrecorded(rq);
	return r;
}

enum MHD_Result api_audit_unrecorded(struct api_request *rq)
{
	return api_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE,
			 "cannot record this action on the audit trail; nothing done");
}

void api_audit_act_failed(struct api_request *rq, const char *action, const char *object_type,
			  int64_t object_id, int64_t tenant_id, int err)
{
	char details[96];

	snprintf(details, sizeof(details), "{\"act_failed\":\"%s\"}", mg_strerror(err));
	api_audit(rq, action, object_type, object_id, tenant_id, MG_AUDIT_FAILURE, details);
}

const char *api_query(struct api_request *rq, const char *name)
{
	const char *v = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
	char *out = rq->query_text + rq->query_used;
	size_t room = sizeof(rq->query_text) - rq->query_used;

	if (v == NULL || strchr(v, '%') == NULL)
		return v;
	if (!mg_http_unescape_segment(v, strlen(v), out, room))
		return NULL;
	rq->query_used += strlen(out) + 1;
	return out;
}
