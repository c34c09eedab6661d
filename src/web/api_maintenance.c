/* Remote maintenance (docs/maintenance.md): a service account asks (scope,
 * reason, minutes); an administrator grants, refuses or ends. Each step is
 * recorded before it is done, and detection tells the security contacts
 * (src/detect/rules.c). Texts hold account ids, scopes and times; never
 * patient data. */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "web/api_handlers.h"

#define LIST_MAX 200

static json_t *maintenance_json(const struct mg_maintenance *m, int64_t now)
{
	json_t *scope = json_array();

	for (unsigned bit = 1; bit <= MG_MAINT_SCOPE_ALL; bit <<= 1) {
		if (m->scope & bit)
			json_array_append_new(scope, json_string(mg_maintenance_scope_name(bit)));
	}
	return json_pack("{s:I, s:I, s:o, s:s, s:I, s:s, s:o, s:I, s:o, s:o, s:o, s:o}", "id",
			 (json_int_t)m->id, "user", (json_int_t)m->user_id, "scope", scope,
			 "reason", m->reason, "minutes", (json_int_t)m->minutes, "state",
			 mg_maintenance_state_name(m, now), "requested",
			 api_time_json(m->requested_ms), "decided_by", (json_int_t)m->decided_by,
			 "decided", api_time_json(m->decided_ms), "ends", api_time_json(m->ends_ms),
			 "device", m->device_id ? json_integer(m->device_id) : json_null(),
			 "consent", api_time_json(m->consent_ms));
}

struct listing {
	json_t *list;
	int64_t now;
};

static int add(const struct mg_maintenance *m, void *arg)
{
	struct listing *l = arg;

	return json_array_append_new(l->list, maintenance_json(m, l->now)) == 0 ? 0
										  : MG_ERR_NOMEM;
}

/* Administrators see every request; a service account its own. */
enum MHD_Result api_maintenance_list(struct api_request *rq)
{
	struct listing l = { json_array(), mg_now_ms() };
	int64_t user = (rq->who.roles & MG_ROLE_ADMIN) ? 0 : rq->who.user_id;
	int r;

	if (l.list == NULL)
		return MHD_NO;
	if ((r = mg_store_maintenance_list(rq->web->store, user, LIST_MAX, add, &l)) != 0) {
		json_decref(l.list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK,
			json_pack("{s:o, s:I}", "requests", l.list, "active",
				  (json_int_t)rq->who.maintenance_id));
}

/* Field "scope": a list of scope names; 0 or a 400 queued. */
static int scope_of(struct api_request *rq, unsigned *scope)
{
	json_t *v = json_object_get(rq->json, "scope"), *item;
	size_t i;
	unsigned bit;

	*scope = 0;
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 8)
		return api_field_error(rq, "scope", "a list of diagnostics, devices, device, log, "
				       "self-test, firmware"), -1;
	json_array_foreach(v, i, item) {
		if (!json_is_string(item) ||
		    mg_maintenance_scope_parse(json_string_value(item), &bit) != 0 ||
		    strchr(json_string_value(item), ',') != NULL)
			return api_field_error(rq, "scope", "each is diagnostics, devices, device, "
							    "log, self-test or firmware"), -1;
		*scope |= bit;
	}
	return 0;
}

/* Field name as minutes, 1 to MG_MAINT_MINUTES_MAX; absent gives dflt. */
static int minutes_of(struct api_request *rq, const char *name, unsigned dflt, unsigned *out)
{
	json_t *v = rq->json ? json_object_get(rq->json, name) : NULL;

	*out = dflt;
	if (v == NULL && dflt > 0)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > MG_MAINT_MINUTES_MAX)
		return api_field_error(rq, name, "minutes, 1 to 480"), -1;
	*out = (unsigned)json_integer_value(v);
	return 0;
}

/* Field "device": the enrolled device a "device" scope names, and only
 * then; 0 or a 400 queued. */
static int device_of(struct api_request *rq, unsigned scope, int64_t *device_id)
{
	json_t *v = json_object_get(rq->json, "device");
	struct mg_device d;

	*device_id = 0;
	if (!(scope & MG_MAINT_DEVICE)) {
		if (v != NULL && !json_is_null(v))
			return api_field_error(rq, "device", "only with the scope device"), -1;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    mg_store_device_by_id(rq->web->store, json_integer_value(v), &d) != 0)
		return api_field_error(rq, "device", "the id of an enrolled device"), -1;
	*device_id = d.id;
	return 0;
}

enum MHD_Result api_maintenance_ask(struct api_request *rq)
{
	struct mg_maintenance m;
	const char *reason = NULL;
	char details[128], scope[64];
	int64_t id;
	int r;

	memset(&m, 0, sizeof(m));
	if (scope_of(rq, &m.scope) != 0 || minutes_of(rq, "minutes", 0, &m.minutes) != 0 ||
	    api_string(rq, "reason", true, 1, MG_MAINT_REASON_MAX, &reason) != 0 ||
	    device_of(rq, m.scope, &m.device_id) != 0)
		return MHD_YES;
	snprintf(m.reason, sizeof(m.reason), "%s", reason);
	m.user_id = rq->who.user_id;
	m.state = MG_MAINT_REQUESTED;
	m.requested_ms = mg_now_ms();
	mg_maintenance_scope_text(m.scope, scope, sizeof(scope));
	snprintf(details, sizeof(details), "{\"scope\":\"%s\",\"minutes\":%u,\"device\":%lld}",
		 scope, m.minutes, (long long)m.device_id);
	/* Recorded first; the request's id is not known yet. */
	if (api_audit_first(rq, "maintenance.request", NULL, 0, 0, details) != 0)
		return MHD_YES;
	if ((r = mg_store_maintenance_request(rq->web->store, &m, &id)) != 0) {
		api_audit_act_failed(rq, "maintenance.request", NULL, 0, 0, r);
		return api_store_error(rq, r);
	}
	m.id = id;
	mg_log_info("maintenance: request %lld by account %lld (%s, %u min)", (long long)id,
		    (long long)m.user_id, scope, m.minutes);
	return api_json(rq, MHD_HTTP_CREATED, maintenance_json(&m, m.requested_ms));
}

/* Grant, refuse or end request path parameter 0. */
static enum MHD_Result decide(struct api_request *rq, enum mg_maintenance_state to)
{
	static const char *const actions[] = { [MG_MAINT_GRANTED] = "maintenance.grant",
					       [MG_MAINT_REFUSED] = "maintenance.refuse",
					       [MG_MAINT_ENDED] = "maintenance.end" };
	int64_t id = api_param_id(rq, 0), now = mg_now_ms();
	struct mg_maintenance m;
	unsigned minutes = 0;
	char details[64] = "";
	int r;

	if (id < 0)
		return MHD_YES;
	if ((r = mg_store_maintenance_get(rq->web->store, id, &m)) != 0)
		return api_store_error(rq, r);
	if (to == MG_MAINT_GRANTED) {
		if (minutes_of(rq, "minutes", m.minutes, &minutes) != 0)
			return MHD_YES;
		snprintf(details, sizeof(details), "{\"minutes\":%u}", minutes);
	}
	if (api_audit_first(rq, actions[to], "maintenance", id, 0, details[0] ? details : NULL) != 0)
		return MHD_YES;
	r = mg_store_maintenance_decide(rq->web->store, id, to, rq->who.user_id, now,
					now + (int64_t)minutes * 60000);
	if (r != 0) {
		api_audit_act_failed(rq, actions[to], "maintenance", id, 0, r);
		if (r == MG_ERR_CONFLICT)
			return api_error(rq, MHD_HTTP_CONFLICT,
					 to == MG_MAINT_ENDED ? "this maintenance is not active"
							      : "this request was decided already");
		return api_store_error(rq, r);
	}
	mg_log_info("maintenance: %s of request %lld by account %lld", actions[to] + 12,
		    (long long)id, (long long)rq->who.user_id);
	if ((r = mg_store_maintenance_get(rq->web->store, id, &m)) != 0)
		return api_store_error(rq, r);
	return api_json(rq, MHD_HTTP_OK, maintenance_json(&m, now));
}

enum MHD_Result api_maintenance_grant(struct api_request *rq)
{
	return decide(rq, MG_MAINT_GRANTED);
}

enum MHD_Result api_maintenance_refuse(struct api_request *rq)
{
	return decide(rq, MG_MAINT_REFUSED);
}

enum MHD_Result api_maintenance_end(struct api_request *rq)
{
	return decide(rq, MG_MAINT_ENDED);
}
