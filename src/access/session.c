#include "access/session.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "model/settings.h"


void mg_principal_of(const struct mg_user *u, struct mg_principal *out)
{
	memset(out, 0, sizeof(*out));
	out->user_id = u->id;
	memcpy(out->name, u->name, sizeof(out->name));
	out->roles = u->roles;
	out->ntenants = u->ntenants < MG_PRINCIPAL_TENANTS_MAX ? u->ntenants
							       : MG_PRINCIPAL_TENANTS_MAX;
	memcpy(out->tenants, u->tenants, out->ntenants * sizeof(out->tenants[0]));
}

/* A service account's grant, looked up on every request: a grant that ran
 * out or was ended stops counting at once. A store error gives no grant. */
static void maintenance_of(struct mg_access *ax, struct mg_principal *who)
{
	struct mg_maintenance m;

	if (!(who->roles & MG_ROLE_SERVICE) ||
	    mg_store_maintenance_active(ax->store, who->user_id, mg_now_ms(), &m) != 0)
		return;
	who->maintenance_id = m.id;
	who->maintenance_scope = m.scope;
}

unsigned mg_totp_required_roles(struct mg_access *ax)
{
	return mg_totp_roles_of(ax->store);
}

unsigned mg_totp_roles_of(struct mg_store *store)
{
	char value[MG_SETTING_VALUE_MAX], *save = NULL, *name;
	unsigned roles = 0, role;

	if (mg_store_setting_get(store, MG_SETTING_REQUIRE_2FA_ROLES, value, sizeof(value)) != 0)
		return 0;
	for (name = strtok_r(value, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (mg_role_parse(name, &role) == 0)
			roles |= role;
	}
	return roles;
}

bool mg_session_totp_due(struct mg_access *ax, const struct mg_user *u)
{
	return u->totp_len == 0 && (u->roles & mg_totp_required_roles(ax)) != 0;
}

static void state_fill(struct mg_access *ax, const struct mg_user *u, struct mg_session_state *st)
{
	mg_principal_of(u, &st->who);
	maintenance_of(ax, &st->who);
	st->must_change_password = u->must_change_password;
	st->must_enrol_totp = mg_session_totp_due(ax, u);
}

static void random_text(char *out, size_t outlen)
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, outlen, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

int mg_session_begin(struct mg_access *ax, const struct mg_user *u, const char *address,
		     char *token, size_t tokenlen, struct mg_session_state *out)
{
	const struct mg_master_key *mk = mg_keyring_master(ax->keys);
	int64_t now = mg_now_ms();
	int r;

	memset(out, 0, sizeof(*out));
	if (tokenlen < MG_SESSION_TOKEN_LEN + 1)
		return MG_ERR_LIMIT;
	random_text(token, tokenlen);
	mg_token_hash(mk, token, strlen(token), out->hash);
	random_text(out->session.csrf, sizeof(out->session.csrf));
	out->session.user_id = u->id;
	snprintf(out->session.address, sizeof(out->session.address), "%s", address);
	out->session.created_ms = out->session.last_seen_ms = now;
	out->session.expires_ms = now + (int64_t)ax->cfg->session_lifetime * 1000;
	if ((r = mg_store_session_create(ax->store, out->hash, &out->session,
					   ax->cfg->sessions_per_user)) != 0) {
		sodium_memzero(token, tokenlen);
		return r;
	}
	state_fill(ax, u, out);
	return 0;
}

int mg_session_resume(struct mg_access *ax, const char *token, struct mg_session_state *out)
{
	const struct mg_master_key *mk = mg_keyring_master(ax->keys);
	struct mg_user u;
	int r;

	memset(out, 0, sizeof(*out));
	if (strlen(token) != MG_SESSION_TOKEN_LEN)
		return MG_ERR_INVALID;
	mg_token_hash(mk, token, MG_SESSION_TOKEN_LEN, out->hash);
	r = mg_store_session_get(ax->store, out->hash, mg_now_ms(),
				   (int64_t)ax->cfg->session_idle_timeout * 1000, &out->session);
	if (r == MG_ERR_EXPIRED) {
		mg_session_audit_timeout(ax->store, ax->keys, out->session.user_id, out->session.address, "expired");
		memset(out, 0, sizeof(*out));
		return MG_ERR_NOT_FOUND;	/* to the client: no session */
	}
	if (r != 0)
		return r;
	if ((r = mg_store_user_by_id(ax->store, out->session.user_id, &u)) == MG_ERR_NOT_FOUND ||
	    (r == 0 && u.disabled)) {
		mg_store_session_delete(ax->store, out->hash);
		return MG_ERR_DENIED;
	}
	if (r != 0)
		return r;
	state_fill(ax, &u, out);
	sodium_memzero(&u, sizeof(u));
	return 0;
}

int mg_session_end(struct mg_access *ax, const unsigned char hash[MG_TOKEN_HASH_BYTES])
{
	return mg_store_session_delete(ax->store, hash);
}

int mg_session_end_all(struct mg_access *ax, int64_t user_id)
{
	return mg_store_session_delete_user(ax->store, user_id);
}

void mg_session_audit_timeout(struct mg_store *store, struct mg_keyring *keys, int64_t user_id,
			      const char *address, const char *reason)
{
	char object[48], details[48];
	struct mg_audit_event e;
	struct mg_user u;
	int r;

	if (mg_store_user_by_id(store, user_id, &u) != 0)
		snprintf(u.name, sizeof(u.name), "user:%lld", (long long)user_id);
	mg_audit_object("user", user_id, object, sizeof(object));
	snprintf(details, sizeof(details), "{\"reason\":\"%s\"}", reason);
	memset(&e, 0, sizeof(e));
	e.actor_id = user_id;
	e.actor = u.name;
	e.address = address[0] ? address : "unknown";
	e.action = "session.timeout";
	e.object = object;
	e.outcome = MG_AUDIT_SUCCESS;
	e.details = details;
	if ((r = mg_audit_append(store, mg_keyring_master(keys), &e)) != 0)
		mg_log_error("audit: cannot record a session timeout: %s", mg_strerror(r));
	sodium_memzero(&u, sizeof(u));
}
