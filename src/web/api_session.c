/* Sign-in, sign-out, the own session and password, password reset. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/login.h"
#include "access/password.h"
#include "access/session.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "crypto/password.h"
#include "notify/mailer.h"
#include "notify/text.h"
#include "web/api_handlers.h"
#include "http/http.h"

#define SESSION_COOKIE "__Host-mg_session"
#define LOGIN_FAILED "invalid credentials or locked"
#define PASSWORD_MAX_BYTES MG_LOGIN_PASSWORD_MAX

enum MHD_Result api_health(struct api_request *rq)
{
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:s, s:s}", "status", "ok", "version",
						   MG_VERSION));
}

static enum MHD_Result login_failed(struct api_request *rq)
{
	return api_error(rq, MHD_HTTP_UNAUTHORIZED, LOGIN_FAILED);
}

static json_t *session_json(struct api_request *rq, const struct mg_session_state *st,
			    const struct mg_user *u)
{
	char expires[MG_TIME_TEXT_LEN];

	mg_time_format(st->session.expires_ms, expires, sizeof(expires));
	(void)rq;
	return json_pack("{s:s, s:b, s:b, s:o, s:I, s:s}", "csrf", st->session.csrf,
			 "must_change_password", st->must_change_password,
			 "must_enrol_second_factor", st->must_enrol_totp, "user", api_user_json(u),
			 "idle_timeout", (json_int_t)rq->web->cfg->session_idle_timeout, "expires",
			 expires);
}

static enum MHD_Result with_cookie(struct api_request *rq, unsigned status, json_t *body,
				   const char *value, unsigned max_age)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char cookie[160], *text;

	snprintf(cookie, sizeof(cookie),
		 SESSION_COOKIE "=%s; Path=/; Max-Age=%u; Secure; HttpOnly; SameSite=Strict",
		 value, max_age);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	mg_http_security_headers(r);
	ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	sodium_memzero(cookie, sizeof(cookie));
	return ret;
}

enum MHD_Result api_session_create(struct api_request *rq)
{
	struct mg_login_request in;
	struct mg_login_result *res;
	struct mg_session_state st;
	char token[MG_SESSION_TOKEN_LEN + 1];
	enum MHD_Result ret;
	int r;

	if (!mg_login_request_read(rq->json, &in)) {
		mg_log_info("login: malformed sign-in from %s", rq->peer);
		return login_failed(rq);
	}
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return MHD_NO;
	if ((r = mg_login(rq->web->access, in.user, in.password, in.password_len, in.code, rq->peer,
			  res)) != 0) {
		ret = api_store_error(rq, r);
		goto out;
	}
	if (res->outcome == MG_LOGIN_FAILED) {
		char details[96];

		mg_log_info("login: failed from %s, account %lld: %s", rq->peer,
			    (long long)res->user.id, mg_login_failure_name(res->failure));
		snprintf(details, sizeof(details), "{\"reason\":\"%s\"}",
			 mg_login_failure_name(res->failure));
		api_audit(rq, res->failure == MG_LOGIN_FAILURE_LOCKED_NOW ? "login.lockout"
									   : "login.failure",
			  res->user.id ? "user" : NULL, res->user.id, 0,
			  res->failure == MG_LOGIN_FAILURE_THROTTLED ? MG_AUDIT_DENIED
								     : MG_AUDIT_FAILURE, details);
		/* The one failure the client may be told apart: the password and
		 * the code were right, but the code was used (for instance to
		 * confirm the enrolment a moment ago). Wrong codes stay generic. */
		ret = res->failure == MG_LOGIN_FAILURE_CODE_REUSED
			      ? api_error(rq, MHD_HTTP_UNAUTHORIZED,
					  "code already used: wait for the next one (a new code "
					  "comes every 30 seconds)")
			      : login_failed(rq);
		goto out;
	}
	if (res->outcome == MG_LOGIN_SECOND_FACTOR) {
		ret = api_json(rq, MHD_HTTP_OK, json_pack("{s:b}", "second_factor_required", 1));
		goto out;
	}
	/* No session the trail does not know of (fail closed). */
	rq->who.user_id = res->user.id;
	snprintf(rq->who.name, sizeof(rq->who.name), "%s", res->user.name);
	rq->who.roles = res->user.roles;
	if (api_audit_first(rq, "login.success", "user", res->user.id, 0,
			    res->user.totp_len ? "{\"second_factor\":true}"
					       : "{\"second_factor\":false}") != 0) {
		ret = MHD_YES;
		goto out;
	}
	if ((r = mg_session_begin(rq->web->access, &res->user, rq->peer, token, sizeof(token), &st)) != 0) {
		api_audit_act_failed(rq, "login.success", "user", res->user.id, 0, r);
		ret = api_store_error(rq, r);
		goto out;
	}
	mg_log_info("login: account %lld signed in from %s", (long long)res->user.id, rq->peer);
	rq->who = st.who;
	ret = with_cookie(rq, MHD_HTTP_OK, session_json(rq, &st, &res->user), token,
			  rq->web->cfg->session_lifetime);
	sodium_memzero(token, sizeof(token));
out:
	sodium_memzero(res, sizeof(*res));
	free(res);
	return ret;
}

enum MHD_Result api_session_get(struct api_request *rq)
{
	struct mg_session_state st;
	struct mg_user u;
	int r;

	if ((r = mg_store_user_by_id(rq->web->store, rq->who.user_id, &u)) != 0)
		return api_store_error(rq, r);
	memset(&st, 0, sizeof(st));
	st.session = rq->session;
	st.must_change_password = rq->must_change_password;
	st.must_enrol_totp = rq->must_enrol_totp;
	return api_json(rq, MHD_HTTP_OK, session_json(rq, &st, &u));
}

enum MHD_Result api_session_delete(struct api_request *rq)
{
	int r = mg_session_end(rq->web->access, rq->session_hash);

	if (r != 0 && r != MG_ERR_NOT_FOUND)
		return api_store_error(rq, r);
	mg_log_info("login: account %lld signed out", (long long)rq->who.user_id);
	/* Signing out is never refused, recorded or not. */
	api_audit(rq, "session.logout", "user", rq->who.user_id, 0, MG_AUDIT_SUCCESS, NULL);
	return with_cookie(rq, MHD_HTTP_OK, json_pack("{s:b}", "signed_out", 1), "", 0);
}

/* Check new against the policy for account name; 0, or a 400 queued. */
static int policy_ok(struct api_request *rq, const char *field, const char *name,
		     const char *password, size_t len)
{
	struct mg_password_policy policy;
	char why[128];

	mg_password_policy_from_config(rq->web->cfg, &policy);
	if (mg_password_check(&policy, name, password, len, why, sizeof(why)) == 0)
		return 0;
	api_field_error(rq, field, why);
	return -1;
}

static int set_password(struct api_request *rq, int64_t user_id, const char *password,
			size_t len, bool must_change)
{
	char hash[MG_PASSWORD_HASH_MAX];
	int r;

	if ((r = mg_password_hash(password, len, hash, sizeof(hash))) != 0)
		return r;
	return mg_store_user_set_password(rq->web->store, user_id, hash, must_change,
						mg_now_ms());
}

enum MHD_Result api_session_password(struct api_request *rq)
{
	json_t *old = rq->json ? json_object_get(rq->json, "old") : NULL;
	json_t *new = rq->json ? json_object_get(rq->json, "new") : NULL;
	struct mg_user u;
	bool ok;
	int r;

	if (!json_is_string(old))
		return api_field_error(rq, "old", "required");
	if (!json_is_string(new) || json_string_length(new) > PASSWORD_MAX_BYTES)
		return api_field_error(rq, "new", "required, at most 4096 bytes");
	if ((r = mg_login_reverify(rq->web->access, rq->who.user_id, json_string_value(old),
				   json_string_length(old), rq->peer, &ok)) != 0)
		return api_store_error(rq, r);
	if (!ok) {
		mg_log_info("login: account %lld gave a wrong current password", (long long)rq->who.user_id);
		api_audit(rq, "password.change", "user", rq->who.user_id, 0, MG_AUDIT_FAILURE,
			  "{\"reason\":\"wrong current password\"}");
		return api_field_error(rq, "old", "the current password is wrong, or the account is locked");
	}
	if ((r = mg_store_user_by_id(rq->web->store, rq->who.user_id, &u)) != 0)
		return api_store_error(rq, r);
	if (json_string_length(new) == json_string_length(old) &&
	    sodium_memcmp(json_string_value(new), json_string_value(old),
			  json_string_length(new)) == 0)
		return api_field_error(rq, "new", "must differ from the current password");
	if (policy_ok(rq, "new", u.name, json_string_value(new), json_string_length(new)) != 0 ||
	    api_audit_first(rq, "password.change", "user", u.id, 0, NULL) != 0)
		return MHD_YES;
	if ((r = set_password(rq, u.id, json_string_value(new), json_string_length(new), false)) != 0) {
		api_audit_act_failed(rq, "password.change", "user", u.id, 0, r);
		return api_store_error(rq, r);
	}
	/* Other sessions of the account end; this one goes on. */
	mg_session_end_all(rq->web->access, u.id);
	{
		struct mg_session_state st;
		char token[MG_SESSION_TOKEN_LEN + 1];
		enum MHD_Result ret;

		u.must_change_password = false;
		if ((r = mg_session_begin(rq->web->access, &u, rq->peer, token, sizeof(token), &st)) != 0)
			return api_store_error(rq, r);
		mg_log_info("login: account %lld changed its password", (long long)u.id);
		ret = with_cookie(rq, MHD_HTTP_OK, session_json(rq, &st, &u), token,
				  rq->web->cfg->session_lifetime);
		sodium_memzero(token, sizeof(token));
		return ret;
	}
}

enum MHD_Result api_password_reset_request(struct api_request *rq)
{
	const struct mg_master_key *mk = mg_keyring_master(rq->web->keys);
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	char token[MG_TOKEN_TEXT_LEN + 1];
	const char *name = NULL, *to[1];
	const char *lang = rq->web->cfg->mail_language;
	char body[2048], minutes[16], link[sizeof(rq->web->cfg->public_url) + MG_TOKEN_TEXT_LEN + 16];
	struct mg_user u;
	int64_t now = mg_now_ms();
	int r;

	/* The same answer whether or not the account exists. */
	if (api_string(rq, "user", true, 1, MG_NAME_MAX, &name) != 0)
		return MHD_YES;
	if ((r = mg_store_user_by_name(rq->web->store, name, &u)) != 0 || u.disabled ||
	    u.email[0] == '\0' || rq->web->cfg->smtp_url[0] == '\0' || rq->web->mailer == NULL)
		goto answer;
	/* Recorded first: no link goes out that the trail does not know of (the
	 * answer stays the same, so nobody learns whether an account exists). */
	if (api_audit(rq, "password.reset_request", "user", u.id, 0, MG_AUDIT_SUCCESS, NULL) != 0)
		goto answer;
	if (mg_token_new(mk, token, sizeof(token), hash) != 0 ||
	    mg_store_reset_create(rq->web->store, hash, u.id, now,
				  now + (int64_t)rq->web->cfg->reset_token_ttl * 1000) != 0)
		goto answer;
	/* In [mail] language: accounts keep no language of their own on the
	 * server (the web interface's choice stays in the browser). */
	snprintf(minutes, sizeof(minutes), "%u", rq->web->cfg->reset_token_ttl / 60);
	snprintf(link, sizeof(link), "%s/#reset=%s", rq->web->cfg->public_url, token);
	sodium_memzero(token, sizeof(token));
	{
		const struct mg_text_arg args[] = {
			{ "account", u.name }, { "minutes", minutes }, { "link", link },
		};

		r = mg_text_fill(body, sizeof(body), mg_text(lang, MG_TEXT_RESET_BODY), args,
				 sizeof(args) / sizeof(args[0]));
		sodium_memzero(link, sizeof(link));
		if (r != 0) {
			mg_log_error("password reset: cannot write the e-mail: %s", mg_strerror(r));
			goto answer;
		}
	}
	/* Sending takes as long as the mail server wants: the mailer's
	 * thread does it, not this one, and not in the answer's timing. */
	to[0] = u.email;
	(void)mg_mailer_queue(rq->web->mailer, "password reset", to, 1,
			      mg_text(lang, MG_TEXT_RESET_SUBJECT), body);
	sodium_memzero(body, sizeof(body));
	mg_log_info("password reset: link issued for account %lld", (long long)u.id);
answer:
	return api_json(rq, MHD_HTTP_ACCEPTED,
			json_pack("{s:s}", "status",
				  "if the account exists and has an e-mail address, a link was sent"));
}

enum MHD_Result api_password_reset_confirm(struct api_request *rq)
{
	const struct mg_master_key *mk = mg_keyring_master(rq->web->keys);
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	const char *token = NULL;
	struct mg_user u;
	json_t *new;
	int64_t user_id;
	int r;

	if (api_string(rq, "token", true, 1, MG_TOKEN_TEXT_MAX, &token) != 0)
		return MHD_YES;
	new = json_object_get(rq->json, "new");
	if (!json_is_string(new) || json_string_length(new) > PASSWORD_MAX_BYTES)
		return api_field_error(rq, "new", "required, at most 4096 bytes");
	if (policy_ok(rq, "new", "", json_string_value(new), json_string_length(new)) != 0)
		return MHD_YES;
	mg_token_hash(mk, token, strlen(token), hash);
	r = mg_store_reset_consume(rq->web->store, hash, mg_now_ms(), &user_id);
	if (r == MG_ERR_NOT_FOUND)
		return api_field_error(rq, "token", "reset link invalid, used or expired");
	if (r != 0 || (r = mg_store_user_by_id(rq->web->store, user_id, &u)) != 0)
		return api_store_error(rq, r);
	if (policy_ok(rq, "new", u.name, json_string_value(new), json_string_length(new)) != 0 ||
	    api_audit_first(rq, "password.reset", "user", u.id, 0, NULL) != 0)
		return MHD_YES;
	if ((r = set_password(rq, u.id, json_string_value(new), json_string_length(new), false)) != 0) {
		api_audit_act_failed(rq, "password.reset", "user", u.id, 0, r);
		return api_store_error(rq, r);
	}
	mg_session_end_all(rq->web->access, u.id);
	mg_log_info("password reset: account %lld set a new password", (long long)u.id);
	/* The owner proved the mailbox with a link no administrator saw: the
	 * memberships an administrator's reset suspended come back (each
	 * recorded first; one that cannot be stays suspended). */
	for (size_t i = 0; i < u.nsuspended; i++) {
		if (api_audit(rq, "tenant.member_confirm", "user", u.id, u.suspended[i],
			      MG_AUDIT_SUCCESS,
			      "{\"reason\":\"reset through the e-mailed link\"}") != 0)
			return api_no_content(rq);
	}
	if (u.nsuspended > 0 && (r = mg_store_membership_confirm_all(rq->web->store, u.id)) != 0)
		api_audit_act_failed(rq, "tenant.member_confirm", "user", u.id, 0, r);
	return api_no_content(rq);
}
