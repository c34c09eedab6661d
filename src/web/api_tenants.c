/* Tenants and their members, for tenant administrators (names readable
 * by the administrators who assign accounts and devices to them). */
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "web/api_handlers.h"

static json_t *tenant_json(const struct mg_tenant *t)
{
	char created[MG_TIME_TEXT_LEN] = "";

	mg_time_format(t->created_ms, created, sizeof(created));
	return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)t->id, "name", t->name, "created",
			 created);
}

static int add_tenant(const struct mg_tenant *t, void *arg)
{
	return json_array_append_new(arg, tenant_json(t)) == 0 ? 0 : MG_ERR_NOMEM;
}

enum MHD_Result api_tenants_list(struct api_request *rq)
{
	json_t *list = json_array();
	int r;

	if ((r = mg_store_tenant_list(rq->web->store, add_tenant, list)) != 0) {
		json_decref(list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "tenants", list));
}

static bool tenant_name_ok(const char *name)
{
	for (const char *p = name; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	}
	return name[0] != ' ' && name[strlen(name) - 1] != ' ';
}

enum MHD_Result api_tenants_create(struct api_request *rq)
{
	unsigned char wrapped[MG_WRAPPED_KEY_BYTES];
	const char *name = NULL;
	struct mg_tenant t;
	int64_t id;
	int r;

	if (api_string(rq, "name", true, 1, MG_NAME_MAX, &name) != 0)
		return MHD_YES;
	if (!tenant_name_ok(name))
		return api_field_error(rq, "name", "no leading or trailing spaces");
	if ((r = mg_keyring_tenant_key_new(rq->web->keys, wrapped)) != 0)
		return api_store_error(rq, r);
	r = mg_store_tenant_create(rq->web->store, name, wrapped, &id);
	if (r == MG_ERR_EXISTS)
		return api_field_error(rq, "name", "a tenant of this name exists");
	if (r != 0 || (r = mg_store_tenant_by_id(rq->web->store, id, &t)) != 0)
		return api_store_error(rq, r);
	if (api_audit(rq, "tenant.create", "tenant", id, id, MG_AUDIT_SUCCESS, NULL) != 0) {
		/* Fail closed: a tenant the trail does not know does not stay. */
		if ((r = mg_store_tenant_delete(rq->web->store, id)) != 0)
			mg_log_error("tenants: tenant %lld neither recorded nor removed: %s",
				     (long long)id, mg_strerror(r));
		return api_audit_unrecorded(rq);
	}
	mg_log_info("tenants: tenant %lld created by account %lld", (long long)id,
		    (long long)rq->who.user_id);
	return api_json(rq, MHD_HTTP_CREATED, tenant_json(&t));
}

static int tenant_of_path(struct api_request *rq, struct mg_tenant *t)
{
	int64_t id = api_param_id(rq, 0);
	int r;

	if (id < 0)
		return -1;
	if ((r = mg_store_tenant_by_id(rq->web->store, id, t)) != 0) {
		api_store_error(rq, r);
		return -1;
	}
	return 0;
}

enum MHD_Result api_tenants_rename(struct api_request *rq)
{
	const char *name = NULL;
	struct mg_tenant t;
	int r;

	if (tenant_of_path(rq, &t) != 0 || api_string(rq, "name", true, 1, MG_NAME_MAX, &name) != 0)
		return MHD_YES;
	if (!tenant_name_ok(name))
		return api_field_error(rq, "name", "no leading or trailing spaces");
	if (api_audit_first(rq, "tenant.rename", "tenant", t.id, t.id, NULL) != 0)
		return MHD_YES;
	r = mg_store_tenant_rename(rq->web->store, t.id, name);
	if (r != 0)
		api_audit_act_failed(rq, "tenant.rename", "tenant", t.id, t.id, r);
	if (r == MG_ERR_EXISTS)
		return api_field_error(rq, "name", "a tenant of this name exists");
	if (r != 0 || (r = mg_store_tenant_by_id(rq->web->store, t.id, &t)) != 0)
		return api_store_error(rq, r);
	mg_log_info("tenants: tenant %lld renamed by account %lld", (long long)t.id,
		    (long long)rq->who.user_id);
	return api_json(rq, MHD_HTTP_OK, tenant_json(&t));
}

enum MHD_Result api_tenants_delete(struct api_request *rq)
{
	struct mg_tenant_usage use;
	struct mg_tenant t;
	char why[256];
	int r;

	if (tenant_of_path(rq, &t) != 0)
		return MHD_YES;
	if ((r = mg_store_tenant_usage(rq->web->store, t.id, &use)) != 0)
		return api_store_error(rq, r);
	if (use.devices || use.measurements || use.patients || use.members || use.tokens) {
		snprintf(why, sizeof(why),
			 "tenant still has %lld devices, %lld measurements of %lld patients, "
			 "%lld members and %lld open enrolment tokens; move or remove them first",
			 (long long)use.devices, (long long)use.measurements,
			 (long long)use.patients, (long long)use.members, (long long)use.tokens);
		return api_json(rq, MHD_HTTP_CONFLICT,
				json_pack("{s:s, s:{s:I, s:I, s:I, s:I, s:I}}", "error", why, "usage",
					  "devices", (json_int_t)use.devices, "measurements",
					  (json_int_t)use.measurements, "patients",
					  (json_int_t)use.patients, "members", (json_int_t)use.members,
					  "tokens", (json_int_t)use.tokens));
	}
	if (api_audit_first(rq, "tenant.delete", "tenant", t.id, t.id, NULL) != 0)
		return MHD_YES;
	if ((r = mg_store_tenant_delete(rq->web->store, t.id)) != 0) {
		api_audit_act_failed(rq, "tenant.delete", "tenant", t.id, t.id, r);
		return api_store_error(rq, r);
	}
	mg_log_info("tenants: tenant %lld deleted by account %lld", (long long)t.id,
		    (long long)rq->who.user_id);
	return api_no_content(rq);
}

struct members {
	int64_t tenant;
	json_t *list;
};

static int member_json(struct members *m, const struct mg_user *u, bool suspended)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:b}", "id", (json_int_t)u->id, "name", u->name,
			      "display_name", u->display_name, "suspended", suspended);

	return o != NULL && json_array_append_new(m->list, o) == 0 ? 0 : MG_ERR_NOMEM;
}

static int add_member(const struct mg_user *u, void *arg)
{
	struct members *m = arg;

	for (size_t i = 0; i < u->ntenants; i++)
		if (u->tenants[i] == m->tenant)
			return member_json(m, u, false);
	for (size_t i = 0; i < u->nsuspended; i++)
		if (u->suspended[i] == m->tenant)
			return member_json(m, u, true);
	return 0;
}

enum MHD_Result api_tenant_members(struct api_request *rq)
{
	struct members m;
	struct mg_tenant t;
	int r;

	if (tenant_of_path(rq, &t) != 0)
		return MHD_YES;
	m.tenant = t.id;
	m.list = json_array();
	if ((r = mg_store_user_list(rq->web->store, add_member, &m)) != 0) {
		json_decref(m.list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "members", m.list));
}

enum member_op { MEMBER_ADD, MEMBER_REMOVE, MEMBER_CONFIRM };
enum member_state { NOT_MEMBER, MEMBER, SUSPENDED };

static enum member_state member_state(const struct mg_user *u, int64_t tenant)
{
	for (size_t i = 0; i < u->ntenants; i++)
		if (u->tenants[i] == tenant)
			return MEMBER;
	for (size_t i = 0; i < u->nsuspended; i++)
		if (u->suspended[i] == tenant)
			return SUSPENDED;
	return NOT_MEMBER;
}

/* Add, remove or confirm again the account of path parameter 1 as a
 * member of the tenant of parameter 0: the tenant administrator's half of
 * patient access (an administrator gives the clinician role). */
static enum MHD_Result member_change(struct api_request *rq, enum member_op op)
{
	static const char *const actions[] = { "tenant.member_add", "tenant.member_remove",
					       "tenant.member_confirm" };
	static const char *const done[] = { "added to", "removed from", "confirmed again in" };
	struct mg_tenant t;
	struct mg_user u;
	int64_t user_id;
	int r;

	if (tenant_of_path(rq, &t) != 0 || (user_id = api_param_id(rq, 1)) < 0)
		return MHD_YES;
	if ((r = mg_store_user_by_id(rq->web->store, user_id, &u)) != 0)
		return api_store_error(rq, r);
	if (op == MEMBER_ADD && u.id == rq->who.user_id)
		return api_error(rq, MHD_HTTP_CONFLICT, "you cannot make yourself a member of a "
				 "tenant; another tenant administrator must");
	if (op == MEMBER_ADD && member_state(&u, t.id) != NOT_MEMBER)
		return api_no_content(rq);	/* a member already: nothing changes */
	if (op != MEMBER_ADD && member_state(&u, t.id) == NOT_MEMBER)
		return api_error(rq, MHD_HTTP_NOT_FOUND, "the account is not a member of this tenant");
	if (api_audit_first(rq, actions[op], "user", u.id, t.id, NULL) != 0)
		return MHD_YES;
	r = op == MEMBER_ADD ? mg_store_membership_add(rq->web->store, u.id, t.id)
	    : op == MEMBER_REMOVE ? mg_store_membership_remove(rq->web->store, u.id, t.id)
				  : mg_store_membership_confirm(rq->web->store, u.id, t.id);
	if (r != 0)
		api_audit_act_failed(rq, actions[op], "user", u.id, t.id, r);
	if (op == MEMBER_ADD && r == MG_ERR_EXISTS)
		return api_no_content(rq);
	if (op == MEMBER_ADD && r == MG_ERR_LIMIT)
		return api_error(rq, MHD_HTTP_CONFLICT, "the account is in too many tenants");
	if (r == MG_ERR_NOT_FOUND && op != MEMBER_ADD)
		return api_error(rq, MHD_HTTP_NOT_FOUND, "the account is not a member of this tenant");
	if (r != 0)
		return api_store_error(rq, r);
	mg_log_info("tenants: account %lld %s tenant %lld by account %lld", (long long)u.id,
		    done[op], (long long)t.id, (long long)rq->who.user_id);
	return api_no_content(rq);
}

enum MHD_Result api_tenant_member_add(struct api_request *rq)
{
	return member_change(rq, MEMBER_ADD);
}

enum MHD_Result api_tenant_member_remove(struct api_request *rq)
{
	return member_change(rq, MEMBER_REMOVE);
}

enum MHD_Result api_tenant_member_confirm(struct api_request *rq)
{
	return member_change(rq, MEMBER_CONFIRM);
}
