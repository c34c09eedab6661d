/* Accounts, for administrators: list, create, read, change, delete, reset
 * the password, unlock, remove the second factor. No patient data here. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "access/password.h"
#include "access/session.h"
#include "audit/audit.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/password.h"
#include "web/api_handlers.h"

#define PASSWORD_MAX_BYTES 4096

static int add_user(const struct mg_user *u, void *arg)
{
	return json_array_append_new(arg, api_user_json(u)) == 0 ? 0 : MG_ERR_NOMEM;
}

enum MHD_Result api_users_list(struct api_request *rq)
{
	json_t *list = json_array();
	int r;

	if ((r = mg_store_user_list(rq->web->store, add_user, list)) != 0) {
		json_decref(list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "users", list));
}

static bool name_ok(const char *name)
{
	for (const char *p = name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._-@", *p) != NULL))
			return false;
	}
	return true;
}

static bool email_ok(const char *email)
{
	const char *at = strchr(email, '@');

	if (email[0] == '\0')
		return true;
	return at != NULL && at != email && strchr(at + 1, '.') != NULL &&
	       strpbrk(email, " \t\r\n<>,;\"") == NULL && strchr(at + 1, '@') == NULL;
}

/* Hash a password set by an administrator (checked against the policy).
 * 0, or a 400 queued (-1), or a store error queued (-2). */
static int admin_password(struct api_request *rq, const char *user, char *hash, size_t hashlen)
{
	json_t *pw = json_object_get(rq->json, "password");
	struct mg_password_policy policy;
	char why[128];

	if (!json_is_string(pw) || json_string_length(pw) > PASSWORD_MAX_BYTES) {
		api_field_error(rq, "password", "required, at most 4096 bytes");
		return -1;
	}
	mg_password_policy_from_config(rq->web->cfg, &policy);
	if (mg_password_check(&policy, user, json_string_value(pw), json_string_length(pw), why,
			      sizeof(why)) != 0) {
		api_field_error(rq, "password", why);
		return -1;
	}
	if (mg_password_hash(json_string_value(pw), json_string_length(pw), hash, hashlen) != 0) {
		api_store_error(rq, MG_ERR_NOMEM);
		return -2;
	}
	return 0;
}

/* Patient access takes two people: an administrator gives roles, a tenant
 * administrator memberships (PUT /api/v1/tenants/{id}/members/{user}). A
 * body that tries to set memberships here is refused whole. */
static bool tenants_refused(struct api_request *rq)
{
	if (rq->json == NULL || json_object_get(rq->json, "tenants") == NULL)
		return false;
	api_error(rq, MHD_HTTP_FORBIDDEN, "tenant memberships are given by a tenant administrator "
		  "(PUT /api/v1/tenants/{id}/members/{user}), not with the account");
	return true;
}

/* A role set one account may not hold: 409 naming the conflict. */
static bool roles_refused(struct api_request *rq, unsigned roles)
{
	const char *why = mg_roles_conflict(roles);
	char text[160];

	if (why == NULL)
		return false;
	snprintf(text, sizeof(text), "roles conflict: %s (separation of duties)", why);
	api_error(rq, MHD_HTTP_CONFLICT, text);
	return true;
}

enum MHD_Result api_users_create(struct api_request *rq)
{
	struct mg_user_new u;
	char hash[MG_PASSWORD_HASH_MAX];
	int64_t id;
	struct mg_user created;
	char roles[96] = "", details[128];
	int r;

	memset(&u, 0, sizeof(u));
	u.display_name = u.email = "";
	if (api_string(rq, "name", true, 1, MG_NAME_MAX, &u.name) < 0 ||
	    api_string(rq, "display_name", false, 0, MG_NAME_MAX, &u.display_name) < 0 ||
	    api_string(rq, "email", false, 0, MG_EMAIL_MAX, &u.email) < 0 ||
	    api_roles(rq, "roles", &u.roles) < 0 || tenants_refused(rq))
		return MHD_YES;
	if (!name_ok(u.name))
		return api_field_error(rq, "name", "letters, digits and . _ - @ only");
	if (!email_ok(u.email))
		return api_field_error(rq, "email", "not an e-mail address");
	if (u.roles == 0)
		return api_field_error(rq, "roles", "at least one role");
	if (roles_refused(rq, u.roles) || (r = admin_password(rq, u.name, hash, sizeof(hash))) != 0)
		return MHD_YES;
	u.password_hash = hash;
	u.must_change_password = true;	/* a password someone else knows */
	r = mg_store_user_create(rq->web->store, &u, &id);
	sodium_memzero(hash, sizeof(hash));
	if (r == MG_ERR_EXISTS)
		return api_field_error(rq, "name", "an account of this name exists");
	if (r != 0 || (r = mg_store_user_by_id(rq->web->store, id, &created)) != 0)
		return api_store_error(rq, r);
	mg_audit_roles_text(u.roles, roles, sizeof(roles));
	snprintf(details, sizeof(details), "{\"roles_to\":\"%s\"}", roles);
	if (api_audit(rq, "user.create", "user", id, 0, MG_AUDIT_SUCCESS, details) != 0) {
		/* Fail closed: an account the trail does not know does not stay. */
		if ((r = mg_store_user_delete(rq->web->store, id)) != 0)
			mg_log_error("users: account %lld neither recorded nor removed: %s",
				     (long long)id, mg_strerror(r));
		return api_audit_unrecorded(rq);
	}
	mg_log_info("users: account %lld created by account %lld", (long long)id,
		    (long long)rq->who.user_id);
	return api_json(rq, MHD_HTTP_CREATED, api_user_json(&created));
}

/* The account of path parameter 0, or an answer queued. */
static int user_of_path(struct api_request *rq, struct mg_user *u)
{
	int64_t id = api_param_id(rq, 0);
	int r;

	if (id < 0)
		return -1;
	if ((r = mg_store_user_by_id(rq->web->store, id, u)) != 0) {
		api_store_error(rq, r);
		return -1;
	}
	return 0;
}

enum MHD_Result api_users_get(struct api_request *rq)
{
	struct mg_user u;

	if (user_of_path(rq, &u) != 0)
		return MHD_YES;
	return api_json(rq, MHD_HTTP_OK, api_user_json(&u));
}

enum MHD_Result api_users_update(struct api_request *rq)
{
	struct mg_user u;
	const char *display_name, *email;
	unsigned roles;
	bool disabled;
	char details[240];
	int r, has_roles;

	if (user_of_path(rq, &u) != 0)
		return MHD_YES;
	display_name = u.display_name;
	email = u.email;
	disabled = u.disabled;
	roles = u.roles;
	if (api_string(rq, "display_name", false, 0, MG_NAME_MAX, &display_name) < 0 ||
	    api_string(rq, "email", false, 0, MG_EMAIL_MAX, &email) < 0 ||
	    api_bool(rq, "disabled", &disabled) < 0 ||
	    (has_roles = api_roles(rq, "roles", &roles)) < 0 || tenants_refused(rq))
		return MHD_YES;
	if (!email_ok(email))
		return api_field_error(rq, "email", "not an e-mail address");
	if (roles == 0)
		return api_field_error(rq, "roles", "at least one role");
	if (roles != u.roles && roles_refused(rq, roles))
		return MHD_YES;
	if (u.id == rq->who.user_id && (disabled || roles != u.roles))
		return api_error(rq, MHD_HTTP_CONFLICT,
				 "you cannot disable yourself or change your own roles; "
				 "another administrator must");
	if (roles != u.roles) {
		/* A role change is what detection looks for (src/detect/rules.c). */
		char from[96] = "", to[96] = "";

		mg_audit_roles_text(u.roles, from, sizeof(from));
		mg_audit_roles_text(roles, to, sizeof(to));
		snprintf(details, sizeof(details), "{\"roles_from\":\"%s\",\"roles_to\":\"%s\"}",
			 from, to);
	}
	if (api_audit_first(rq, "user.update", "user", u.id, 0,
			    roles != u.roles ? details : NULL) != 0)
		return MHD_YES;
	r = mg_store_user_update_profile(rq->web->store, u.id, display_name, email, disabled);
	if (r == 0 && has_roles == 0 && roles != u.roles)
		r = mg_store_user_set_roles(rq->web->store, u.id, roles);
	if (r != 0) {
		api_audit_act_failed(rq, "user.update", "user", u.id, 0, r);
		return r == MG_ERR_CONFLICT ? (roles_refused(rq, roles), MHD_YES)
					    : api_store_error(rq, r);
	}
	if (disabled)
		mg_session_end_all(rq->web->access, u.id);
	mg_log_info("users: account %lld changed by account %lld", (long long)u.id,
		    (long long)rq->who.user_id);
	if ((r = mg_store_user_by_id(rq->web->store, u.id, &u)) != 0)
		return api_store_error(rq, r);
	return api_json(rq, MHD_HTTP_OK, api_user_json(&u));
}

enum MHD_Result api_users_delete(struct api_request *rq)
{
	struct mg_user u;
	int r;

	if (user_of_path(rq, &u) != 0)
		return MHD_YES;
	if (u.id == rq->who.user_id)
		return api_error(rq, MHD_HTTP_CONFLICT, "you cannot delete your own account");
	if (api_audit_first(rq, "user.delete", "user", u.id, 0, NULL) != 0)
		return MHD_YES;
	if ((r = mg_store_user_delete(rq->web->store, u.id)) != 0) {
		api_audit_act_failed(rq, "user.delete", "user", u.id, 0, r);
		return api_store_error(rq, r);
	}
	mg_log_info("users: account %lld deleted by account %lld", (long long)u.id,
		    (long long)rq->who.user_id);
	return api_no_content(rq);
}

/* An administrator who reset an account's password or second factor knows
 * how to sign in as it: its tenant memberships (its patient access) are
 * suspended, before the reset takes effect, until a tenant administrator
 * confirms them, or until the owner completes a reset through the e-mailed
 * link. Each suspension is recorded first. Returns 0 or the error
 * (MG_ERR_STORE also when the trail could not be written). */
static int suspend_memberships(struct api_request *rq, const struct mg_user *u)
{
	size_t n = 0;
	int r;

	if (u->ntenants == 0)
		return 0;
	for (size_t i = 0; i < u->ntenants; i++) {
		if (api_audit(rq, "tenant.member_suspend", "user", u->id, u->tenants[i],
			      MG_AUDIT_SUCCESS, "{\"reason\":\"reset by an administrator\"}") != 0)
			return MG_ERR_STORE;
	}
	if ((r = mg_store_membership_suspend_all(rq->web->store, u->id, &n)) != 0) {
		api_audit_act_failed(rq, "tenant.member_suspend", "user", u->id, 0, r);
		return r;
	}
	mg_log_info("users: %zu tenant membership%s of account %lld suspended until a tenant "
		    "administrator confirms", n, n == 1 ? "" : "s", (long long)u->id);
	return 0;
}

/* A reset by an administrator (action "user.password_reset" or
 * "user.totp_remove"): recorded, memberships suspended, then done by
 * reset(); every session of the account ends. Answers the request. */
static enum MHD_Result admin_reset(struct api_request *rq, const struct mg_user *u,
				   const char *action, int (*reset)(struct api_request *,
								    const struct mg_user *, void *),
				   void *arg)
{
	int r;

	if (api_audit_first(rq, action, "user", u->id, 0, NULL) != 0)
		return MHD_YES;
	if ((r = suspend_memberships(rq, u)) != 0 || (r = reset(rq, u, arg)) != 0) {
		api_audit_act_failed(rq, action, "user", u->id, 0, r);
		return api_store_error(rq, r);
	}
	mg_session_end_all(rq->web->access, u->id);
	mg_log_info("users: %s of account %lld by account %lld",
		    strcmp(action, "user.password_reset") == 0 ? "password reset"
							       : "second factor removed",
		    (long long)u->id, (long long)rq->who.user_id);
	return api_no_content(rq);
}

static int set_password(struct api_request *rq, const struct mg_user *u, void *hash)
{
	/* Reset by someone else: the owner must choose a new one at sign-in. */
	return mg_store_user_set_password(rq->web->store, u->id, hash, true, mg_now_ms());
}

static int clear_totp(struct api_request *rq, const struct mg_user *u, void *unused)
{
	(void)unused;
	return mg_store_totp_clear(rq->web->store, u->id);
}

enum MHD_Result api_users_password(struct api_request *rq)
{
	char hash[MG_PASSWORD_HASH_MAX];
	struct mg_user u;
	enum MHD_Result ret;

	if (user_of_path(rq, &u) != 0 || admin_password(rq, u.name, hash, sizeof(hash)) != 0)
		return MHD_YES;
	ret = admin_reset(rq, &u, "user.password_reset", set_password, hash);
	sodium_memzero(hash, sizeof(hash));
	return ret;
}

enum MHD_Result api_users_unlock(struct api_request *rq)
{
	struct mg_user u;
	int r;

	if (user_of_path(rq, &u) != 0 ||
	    api_audit_first(rq, "user.unlock", "user", u.id, 0, NULL) != 0)
		return MHD_YES;
	if ((r = mg_store_user_set_lock(rq->web->store, u.id, 0, 0)) != 0 ||
	    (r = mg_store_user_login_succeeded(rq->web->store, u.id)) != 0) {
		api_audit_act_failed(rq, "user.unlock", "user", u.id, 0, r);
		return api_store_error(rq, r);
	}
	mg_log_info("users: account %lld unlocked by account %lld", (long long)u.id,
		    (long long)rq->who.user_id);
	return api_no_content(rq);
}

enum MHD_Result api_users_totp_remove(struct api_request *rq)
{
	struct mg_user u;

	if (user_of_path(rq, &u) != 0)
		return MHD_YES;
	return admin_reset(rq, &u, "user.totp_remove", clear_totp, NULL);
}
