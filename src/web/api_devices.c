/* Devices and enrolment tokens, for device administrators: list, read,
 * move to a tenant, block, unblock, revoke, make a token. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "web/api_handlers.h"

/* [devices] models, for the firmware flags; checked at start, so a
 * failure here leaves the list empty (no flag but "unknown"). */
static void models_of(struct api_request *rq, struct mg_model_list *models)
{
	char err[256];

	if (mg_model_list_parse(rq->web->cfg->device_models, models, err, sizeof(err)) != 0)
		memset(models, 0, sizeof(*models));
}

struct device_walk {
	json_t *list;
	struct mg_model_list models;
};

static int add_device(const struct mg_device *d, void *arg)
{
	struct device_walk *w = arg;

	return json_array_append_new(w->list, api_device_json(d, &w->models)) == 0 ? 0
										    : MG_ERR_NOMEM;
}

static json_t *device_json(struct api_request *rq, const struct mg_device *d)
{
	struct mg_model_list models;

	models_of(rq, &models);
	return api_device_json(d, &models);
}

enum MHD_Result api_devices_list(struct api_request *rq)
{
	struct device_walk *w = calloc(1, sizeof(*w));
	json_t *list = json_array();
	int r;

	if (w == NULL) {
		json_decref(list);
		return api_store_error(rq, MG_ERR_NOMEM);
	}
	w->list = list;
	models_of(rq, &w->models);
	r = mg_store_device_list(rq->web->store, 0, add_device, w);
	free(w);
	if (r != 0) {
		json_decref(list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "devices", list));
}

static int device_of_path(struct api_request *rq, struct mg_device *d)
{
	int64_t id = api_param_id(rq, 0);
	int r;

	if (id < 0)
		return -1;
	if ((r = mg_store_device_by_id(rq->web->store, id, d)) != 0) {
		api_store_error(rq, r);
		return -1;
	}
	return 0;
}

enum MHD_Result api_devices_get(struct api_request *rq)
{
	struct mg_device d;

	if (device_of_path(rq, &d) != 0)
		return MHD_YES;
	return api_json(rq, MHD_HTTP_OK, device_json(rq, &d));
}

enum MHD_Result api_devices_update(struct api_request *rq)
{
	json_t *tenant = json_object_get(rq->json, "tenant");
	const char *status_text = NULL;
	enum mg_device_status status;
	struct mg_tenant t;
	struct mg_device d;
	const char *action;
	char details[96];
	int r;

	if (device_of_path(rq, &d) != 0 ||
	    api_string(rq, "status", false, 1, 16, &status_text) < 0)
		return MHD_YES;
	if (status_text != NULL && mg_device_status_parse(status_text, &status) != 0)
		return api_field_error(rq, "status", "one of active, blocked, revoked");
	if (status_text != NULL && d.status == MG_DEVICE_REVOKED && status != MG_DEVICE_REVOKED)
		return api_error(rq, MHD_HTTP_CONFLICT, "a revoked device stays revoked; enrol it anew");
	if (tenant != NULL) {
		if (!json_is_integer(tenant) || json_integer_value(tenant) <= 0)
			return api_field_error(rq, "tenant", "a tenant id");
		if (mg_store_tenant_by_id(rq->web->store, json_integer_value(tenant), &t) != 0)
			return api_field_error(rq, "tenant", "no such tenant");
	}
	action = status_text && status == MG_DEVICE_REVOKED ? "device.revoke" : "device.update";
	snprintf(details, sizeof(details), "{\"status\":\"%s\",\"tenant\":%lld}",
		 status_text ? status_text : mg_device_status_name(d.status),
		 (long long)(tenant ? t.id : d.tenant_id));
	if (api_audit_first(rq, action, "device", d.id, d.tenant_id, details) != 0)
		return MHD_YES;
	r = tenant != NULL ? mg_store_device_set_tenant(rq->web->store, d.id, t.id) : 0;
	if (r == 0 && status_text != NULL && status != d.status)
		r = mg_store_device_set_status(rq->web->store, d.id, status);
	if (r != 0) {
		api_audit_act_failed(rq, action, "device", d.id, d.tenant_id, r);
		return api_store_error(rq, r);
	}
	mg_log_info("devices: device %lld changed by account %lld%s%s", (long long)d.id,
		    (long long)rq->who.user_id, status_text ? ", status " : "",
		    status_text ? status_text : "");
	if ((r = mg_store_device_by_id(rq->web->store, d.id, &d)) != 0)
		return api_store_error(rq, r);
	return api_json(rq, MHD_HTTP_OK, device_json(rq, &d));
}

enum MHD_Result api_devices_token(struct api_request *rq)
{
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	char token[MG_TOKEN_TEXT_LEN + 1], expires[MG_TIME_TEXT_LEN];
	const char *name = NULL;
	json_t *tenant = json_object_get(rq->json, "tenant");
	struct mg_tenant t;
	int64_t id, until;
	int r;

	if (api_string(rq, "name", true, 1, MG_NAME_MAX, &name) != 0)
		return MHD_YES;
	if (!json_is_integer(tenant) ||
	    mg_store_tenant_by_id(rq->web->store, json_integer_value(tenant), &t) != 0)
		return api_field_error(rq, "tenant", "an existing tenant's id");
	/* Recorded first (fail closed); the token's row id is not known yet,
	 * the record names its tenant. */
	if (api_audit_first(rq, "device.token", NULL, 0, t.id, NULL) != 0)
		return MHD_YES;
	until = mg_now_ms() + (int64_t)rq->web->cfg->enrol_token_ttl * 1000;
	if ((r = mg_token_new(mg_keyring_master(rq->web->keys), token, sizeof(token), hash)) != 0 ||
	    (r = mg_store_token_create(rq->web->store, t.id, name, hash, until, &id)) != 0) {
		api_audit_act_failed(rq, "device.token", NULL, 0, t.id, r);
		return api_store_error(rq, r);
	}
	mg_time_format(until, expires, sizeof(expires));
	mg_log_info("devices: enrolment token %lld for tenant %lld made by account %lld",
		    (long long)id, (long long)t.id, (long long)rq->who.user_id);
	return api_json(rq, MHD_HTTP_CREATED, json_pack("{s:s, s:s, s:I, s:s}", "token", token,
							"name", name, "tenant",
							(json_int_t)t.id, "expires", expires));
}
