/* Incidents: opened from alerts, moved through open, responding,
 * recovering and closed, with a timeline of notes and the response
 * actions at hand (lock an account, block a device, switch an interface
 * off). Every step is in the audit trail and in the incident's timeline. */
#include <stdio.h>
#include <string.h>

#include "access/session.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "access/switches.h"
#include "web/api_handlers.h"

#define INCIDENT_ALERTS_MAX 64

static json_t *incident_json(const struct mg_incident *inc)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:I, s:o, s:o, s:o}", "id", (json_int_t)inc->id,
			 "title", inc->title, "severity", mg_severity_name(inc->severity),
			 "status", mg_incident_status_name(inc->status), "opened_by",
			 (json_int_t)inc->opened_by, "opened", api_time_json(inc->opened_ms),
			 "updated", api_time_json(inc->updated_ms), "closed",
			 api_time_json(inc->closed_ms));
}

static int add_incident(const struct mg_incident *inc, void *arg)
{
	return json_array_append_new(arg, incident_json(inc)) == 0 ? 0 : MG_ERR_NOMEM;
}

static int add_alert(const struct mg_alert *a, void *arg)
{
	return json_array_append_new(arg, api_alert_json(a)) == 0 ? 0 : MG_ERR_NOMEM;
}

static int add_entry(const struct mg_incident_entry *e, void *arg)
{
	return json_array_append_new(arg, json_pack("{s:o, s:o, s:s, s:s}", "time",
						     api_time_json(e->time_ms), "user",
						     e->user_id ? json_integer(e->user_id)
								: json_null(),
						     "kind", e->kind, "text", e->text)) == 0
		       ? 0
		       : MG_ERR_NOMEM;
}

enum MHD_Result api_incidents_list(struct api_request *rq)
{
	json_t *list = json_array();
	int r;

	if ((r = mg_store_incident_list(rq->web->store, add_incident, list)) != 0) {
		json_decref(list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "incidents", list));
}

/* The incident with its alerts and timeline. */
static enum MHD_Result incident_answer(struct api_request *rq, int64_t id, unsigned status)
{
	struct mg_store *s = rq->web->store;
	struct mg_alert_filter f = { .state = -1, .incident_id = id };
	struct mg_incident inc;
	json_t *alerts, *timeline, *body;
	int r;

	if ((r = mg_store_incident_get(s, id, &inc)) != 0)
		return r == MG_ERR_NOT_FOUND ? api_not_found(rq) : api_store_error(rq, r);
	alerts = json_array();
	timeline = json_array();
	if ((r = mg_store_alert_list(s, &f, add_alert, alerts)) != 0 ||
	    (r = mg_store_incident_entries(s, id, add_entry, timeline)) != 0) {
		json_decref(alerts);
		json_decref(timeline);
		return api_store_error(rq, r);
	}
	body = incident_json(&inc);
	json_object_set_new(body, "alerts", alerts);
	json_object_set_new(body, "timeline", timeline);
	return api_json(rq, status, body);
}

enum MHD_Result api_incidents_get(struct api_request *rq)
{
	int64_t id = api_param_id(rq, 0);

	return id < 0 ? MHD_YES : incident_answer(rq, id, MHD_HTTP_OK);
}

enum MHD_Result api_incidents_create(struct api_request *rq)
{
	const char *title = NULL, *severity = "medium";
	enum mg_alert_severity sev;
	int64_t ids[INCIDENT_ALERTS_MAX], id;
	json_t *alerts = rq->json ? json_object_get(rq->json, "alerts") : NULL;
	size_t n = 0, i;
	char details[96];
	json_t *v;
	int r;

	if (api_string(rq, "title", true, 1, MG_INCIDENT_TITLE_MAX, &title) < 0 ||
	    api_string(rq, "severity", false, 1, 16, &severity) < 0)
		return MHD_YES;
	if (mg_severity_parse(severity, &sev) != 0)
		return api_field_error(rq, "severity", "low, medium, high or critical");
	if (alerts != NULL) {
		if (!json_is_array(alerts) || json_array_size(alerts) > INCIDENT_ALERTS_MAX)
			return api_field_error(rq, "alerts", "a list of at most 64 alert ids");
		json_array_foreach(alerts, i, v) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0)
				return api_field_error(rq, "alerts", "alert ids are positive numbers");
			ids[n++] = json_integer_value(v);
		}
	}
	/* Recorded first (fail closed); the new incident's id is not known yet,
	 * the record names its severity and alert count. */
	snprintf(details, sizeof(details), "{\"severity\":\"%s\",\"alerts\":%zu}",
		 mg_severity_name(sev), n);
	if (api_audit_first(rq, "incident.open", NULL, 0, 0, details) != 0)
		return MHD_YES;
	r = mg_store_incident_create(rq->web->store, title, sev, rq->who.user_id, mg_now_ms(),
					   ids, n, &id);
	if (r != 0)
		api_audit_act_failed(rq, "incident.open", NULL, 0, 0, r);
	if (r == MG_ERR_NOT_FOUND)
		return api_field_error(rq, "alerts", "no such alert");
	if (r == MG_ERR_EXISTS)
		return api_field_error(rq, "alerts", "an alert already belongs to an incident");
	if (r != 0)
		return api_store_error(rq, r);
	mg_log_info("incidents: incident %lld opened by account %lld with %zu alert%s",
		    (long long)id, (long long)rq->who.user_id, n, n == 1 ? "" : "s");
	return incident_answer(rq, id, MHD_HTTP_CREATED);
}

struct own_walk {
	int64_t user_id;
	bool found;
};

static int own_alert(const struct mg_alert *a, void *arg)
{
	struct own_walk *w = arg;

	if (a->caused_by != 0 && a->caused_by == w->user_id)
		w->found = true;
	return 0;
}

/* Whether incident id holds an alert about an action of the caller (a
 * store failure counts as yes: closing is refused rather than allowed). */
static bool own_alert_in(struct api_request *rq, int64_t id)
{
	struct mg_alert_filter f = { .state = -1, .incident_id = id };
	struct own_walk w = { rq->who.user_id, false };

	if (mg_store_alert_list(rq->web->store, &f, own_alert, &w) != 0)
		return true;
	return w.found;
}

enum MHD_Result api_incidents_update(struct api_request *rq)
{
	int64_t id = api_param_id(rq, 0);
	const char *status = NULL, *note = "";
	enum mg_incident_status st;
	json_t *alert = rq->json ? json_object_get(rq->json, "alert") : NULL;
	char details[96];
	int r;

	if (id < 0 || api_string(rq, "status", false, 1, 16, &status) < 0 ||
	    api_string(rq, "note", false, 0, MG_INCIDENT_TEXT_MAX, &note) < 0)
		return MHD_YES;
	if (status == NULL && alert == NULL)
		return api_field_error(rq, "status", "status or alert is required");
	if (status != NULL && mg_incident_status_parse(status, &st) != 0)
		return api_field_error(rq, "status", "open, responding, recovering or closed");
	if (alert != NULL && (!json_is_integer(alert) || json_integer_value(alert) <= 0))
		return api_field_error(rq, "alert", "an alert id");
	if (status != NULL && st == MG_INCIDENT_CLOSED && own_alert_in(rq, id)) {
		api_audit(rq, "incident.update", "incident", id, 0, MG_AUDIT_DENIED,
			  "{\"reason\":\"own action\"}");
		return api_error(rq, MHD_HTTP_FORBIDDEN, "this incident holds an alert about your own "
				 "action: another security officer must close it");
	}
	snprintf(details, sizeof(details), "{\"status\":\"%s\",\"alert\":%lld}",
		 status ? status : "", (long long)(alert ? json_integer_value(alert) : 0));
	if (api_audit_first(rq, "incident.update", "incident", id, 0, details) != 0)
		return MHD_YES;
	r = alert == NULL ? 0
			  : mg_store_incident_link_alert(rq->web->store, id, json_integer_value(alert),
							rq->who.user_id, mg_now_ms());
	if (r == 0 && status != NULL)
		r = mg_store_incident_set_status(rq->web->store, id, st, rq->who.user_id,
						 mg_now_ms(), note[0] ? note : status);
	if (r != 0) {
		api_audit_act_failed(rq, "incident.update", "incident", id, 0, r);
		if (r == MG_ERR_EXISTS)
			return api_field_error(rq, "alert", "the alert belongs to another incident");
		return r == MG_ERR_NOT_FOUND ? api_not_found(rq) : api_store_error(rq, r);
	}
	return incident_answer(rq, id, MHD_HTTP_OK);
}

enum MHD_Result api_incidents_note(struct api_request *rq)
{
	int64_t id = api_param_id(rq, 0);
	const char *text = NULL;
	int r;

	if (id < 0 || api_string(rq, "text", true, 1, MG_INCIDENT_TEXT_MAX, &text) < 0 ||
	    api_audit_first(rq, "incident.note", "incident", id, 0, NULL) != 0)
		return MHD_YES;
	r = mg_store_incident_add_entry(rq->web->store, id, rq->who.user_id, mg_now_ms(),
					      "note", text);
	if (r != 0) {
		api_audit_act_failed(rq, "incident.note", "incident", id, 0, r);
		return r == MG_ERR_NOT_FOUND ? api_not_found(rq) : api_store_error(rq, r);
	}
	return incident_answer(rq, id, MHD_HTTP_OK);
}

/* The response actions. Each changes what it names, then writes the
 * timeline entry; text gets what was done, for the entry. Returns 0, or
 * -1 after queuing an answer. */
static int act_lock_user(struct api_request *rq, int64_t target, char *text, size_t len)
{
	struct mg_user u;
	int r;

	if ((r = mg_store_user_by_id(rq->web->store, target, &u)) != 0)
		return api_field_error(rq, "target", "no such account"), -1;
	if (u.id == rq->who.user_id)
		return api_field_error(rq, "target", "you cannot lock yourself out"), -1;
	if (api_audit_first(rq, "user.update", "user", u.id, 0, "{\"disabled\":true}") != 0)
		return -1;
	if ((r = mg_store_user_update_profile(rq->web->store, u.id, u.display_name, u.email,
						    true)) != 0) {
		api_audit_act_failed(rq, "user.update", "user", u.id, 0, r);
		return api_store_error(rq, r), -1;
	}
	mg_session_end_all(rq->web->access, u.id);
	snprintf(text, len, "account %lld disabled and signed out", (long long)u.id);
	return 0;
}

static int act_block_device(struct api_request *rq, int64_t target, char *text, size_t len)
{
	struct mg_device d;
	int r;

	if ((r = mg_store_device_by_id(rq->web->store, target, &d)) != 0)
		return api_field_error(rq, "target", "no such device"), -1;
	if (api_audit_first(rq, "device.block", "device", d.id, d.tenant_id, NULL) != 0)
		return -1;
	if (d.status == MG_DEVICE_ACTIVE &&
	    (r = mg_store_device_set_status(rq->web->store, d.id, MG_DEVICE_BLOCKED)) != 0) {
		api_audit_act_failed(rq, "device.block", "device", d.id, d.tenant_id, r);
		return api_store_error(rq, r), -1;
	}
	snprintf(text, len, "device %lld blocked", (long long)d.id);
	return 0;
}

static int act_interface_off(struct api_request *rq, const char *target, char *text,
			     size_t len)
{
	enum mg_interface i;
	char details[64];
	int r;

	if (target == NULL || mg_interface_parse(target, &i) != 0)
		return api_field_error(rq, "target", "device, enrolment, mllp or emr"), -1;
	snprintf(details, sizeof(details), "{\"interface\":\"%s\",\"on\":false}",
		 mg_interface_name(i));
	if (api_audit_first(rq, "interface.switch", NULL, 0, 0, details) != 0)
		return -1;
	if ((r = mg_interface_set(rq->web->switches, i, false)) != 0) {
		api_audit_act_failed(rq, "interface.switch", NULL, 0, 0, r);
		return api_store_error(rq, r), -1;
	}
	snprintf(text, len, "interface %s switched off", mg_interface_name(i));
	return 0;
}

enum MHD_Result api_incidents_action(struct api_request *rq)
{
	int64_t id = api_param_id(rq, 0);
	const char *action = NULL;
	json_t *target = rq->json ? json_object_get(rq->json, "target") : NULL;
	struct mg_incident inc;
	char text[128], details[160];
	int r;

	if (id < 0 || api_string(rq, "action", true, 1, 32, &action) < 0)
		return MHD_YES;
	if ((r = mg_store_incident_get(rq->web->store, id, &inc)) != 0)
		return r == MG_ERR_NOT_FOUND ? api_not_found(rq) : api_store_error(rq, r);
	if (strcmp(action, "interface_off") == 0) {
		r = act_interface_off(rq, json_string_value(target), text, sizeof(text));
	} else if (strcmp(action, "lock_user") == 0 || strcmp(action, "block_device") == 0) {
		if (!json_is_integer(target) || json_integer_value(target) <= 0)
			return api_field_error(rq, "target", "an id");
		r = action[0] == 'l'
			    ? act_lock_user(rq, json_integer_value(target), text, sizeof(text))
			    : act_block_device(rq, json_integer_value(target), text, sizeof(text));
	} else {
		return api_field_error(rq, "action", "lock_user, block_device or interface_off");
	}
	if (r != 0)
		return MHD_YES;
	/* The act itself is on the trail already (recorded before it was done);
	 * this record ties it to the incident. */
	snprintf(details, sizeof(details), "{\"action\":\"%s\"}", action);
	api_audit(rq, "incident.action", "incident", id, 0, MG_AUDIT_SUCCESS, details);
	if ((r = mg_store_incident_add_entry(rq->web->store, id, rq->who.user_id, mg_now_ms(),
						   "action", text)) != 0)
		return api_store_error(rq, r);
	mg_log_info("incidents: incident %lld: %s by account %lld", (long long)id, text,
		    (long long)rq->who.user_id);
	return incident_answer(rq, id, MHD_HTTP_OK);
}
