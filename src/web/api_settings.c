/* System settings changed at run time by administrators: the roles that
 * must use a second factor, and which interfaces are switched on. A PUT
 * may carry either or both; everything is checked before anything
 * changes. Each change is a "config.change" or "interface.switch" audit
 * record (detection raises an alert on it). */
#include <stdio.h>
#include <string.h>

#include "access/session.h"
#include "common/err.h"
#include "common/log.h"
#include "access/switches.h"
#include "model/settings.h"
#include "web/api_handlers.h"

enum MHD_Result api_settings_get(struct api_request *rq)
{
	unsigned roles = mg_totp_required_roles(rq->web->access);
	json_t *list = json_array(), *interfaces = json_object();

	for (unsigned i = 0; i < MG_ROLE_COUNT; i++) {
		if (roles & mg_role_at(i))
			json_array_append_new(list, json_string(mg_role_name(mg_role_at(i))));
	}
	for (unsigned i = 0; i < MG_IF_COUNT; i++)
		json_object_set_new(interfaces, mg_interface_name((enum mg_interface)i),
				    json_boolean(mg_interface_on(rq->web->switches, (enum mg_interface)i)));
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o, s:o}", "require_2fa_roles", list,
						   "interfaces", interfaces));
}

/* {"device": false, ...} into on/set bits; -1 after a 400. */
static int interfaces_read(struct api_request *rq, json_t *obj, unsigned *set, unsigned *on)
{
	const char *key;
	json_t *v;
	enum mg_interface i;

	if (!json_is_object(obj))
		return api_field_error(rq, "interfaces", "an object of interface: true|false"), -1;
	json_object_foreach(obj, key, v) {
		if (mg_interface_parse(key, &i) != 0)
			return api_field_error(rq, "interfaces",
					       "interfaces are device, enrolment, mllp and emr"), -1;
		if (!json_is_boolean(v))
			return api_field_error(rq, "interfaces", "each interface is true or false"),
			       -1;
		*set |= 1u << i;
		if (json_is_true(v))
			*on |= 1u << i;
	}
	return 0;
}

static int roles_save(struct api_request *rq, unsigned roles)
{
	char value[MG_SETTING_VALUE_MAX] = "", details[MG_SETTING_VALUE_MAX + 40];
	size_t len = 0;
	int r;

	for (unsigned i = 0; i < MG_ROLE_COUNT; i++) {
		if (roles & mg_role_at(i))
			len += (size_t)snprintf(value + len, sizeof(value) - len, "%s%s",
						len ? "," : "", mg_role_name(mg_role_at(i)));
	}
	snprintf(details, sizeof(details), "{\"require_2fa_roles\":\"%s\"}", value);
	if (api_audit_first(rq, "config.change", NULL, 0, 0, details) != 0)
		return -1;
	if ((r = mg_store_setting_set(rq->web->store, MG_SETTING_REQUIRE_2FA_ROLES, value)) != 0) {
		api_audit_act_failed(rq, "config.change", NULL, 0, 0, r);
		return api_store_error(rq, r), -1;
	}
	mg_log_info("settings: roles requiring a second factor set to \"%s\" by account %lld",
		    value, (long long)rq->who.user_id);
	return 0;
}

enum MHD_Result api_settings_update(struct api_request *rq)
{
	json_t *interfaces = rq->json ? json_object_get(rq->json, "interfaces") : NULL;
	unsigned roles = 0, set = 0, on = 0;
	char details[64];
	int has_roles, r;

	if ((has_roles = api_roles(rq, "require_2fa_roles", &roles)) < 0 ||
	    (interfaces != NULL && interfaces_read(rq, interfaces, &set, &on) < 0))
		return MHD_YES;
	if (has_roles == 1 && interfaces == NULL)
		return api_field_error(rq, "require_2fa_roles",
				       "require_2fa_roles or interfaces is required");
	if (has_roles == 0 && roles_save(rq, roles) != 0)
		return MHD_YES;
	for (unsigned i = 0; i < MG_IF_COUNT; i++) {
		enum mg_interface itf = (enum mg_interface)i;
		bool want = (on >> i) & 1u;

		if (!((set >> i) & 1u) || mg_interface_on(rq->web->switches, itf) == want)
			continue;
		snprintf(details, sizeof(details), "{\"interface\":\"%s\",\"on\":%s}",
			 mg_interface_name(itf), want ? "true" : "false");
		if (api_audit_first(rq, "interface.switch", NULL, 0, 0, details) != 0)
			return MHD_YES;
		if ((r = mg_interface_set(rq->web->switches, itf, want)) != 0) {
			api_audit_act_failed(rq, "interface.switch", NULL, 0, 0, r);
			return api_store_error(rq, r);
		}
		mg_log_info("settings: interface %s switched %s by account %lld",
			    mg_interface_name(itf), want ? "on" : "off",
			    (long long)rq->who.user_id);
	}
	return api_settings_get(rq);
}
