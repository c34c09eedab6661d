/* Sessions: a random 256-bit token in a cookie, known to the store only
 * by its keyed hash, with a CSRF token, idle and absolute timeouts. */
#ifndef MG_ACCESS_SESSION_H
#define MG_ACCESS_SESSION_H

#include <stdbool.h>

#include "access/authz.h"
#include "access/access.h"
#include "store/store.h"

#define MG_SESSION_TOKEN_LEN MG_TOKEN_TEXT_LEN	/* base64url of 32 bytes */

/* What a resumed session tells about its request. */
struct mg_session_state {
	struct mg_principal who;
	struct mg_session session;
	unsigned char hash[MG_TOKEN_HASH_BYTES];
	bool must_change_password;	/* only the password change is open */
	bool must_enrol_totp;		/* a role needs 2FA the account lacks */
};

/* Start a session for u from address: token gets the cookie value
 * (MG_SESSION_TOKEN_LEN + 1 bytes), out the state. Returns 0 or < 0. */
int mg_session_begin(struct mg_access *ax, const struct mg_user *u, const char *address,
		     char *token, size_t tokenlen, struct mg_session_state *out);

/* Resume the session of a cookie value. MG_ERR_NOT_FOUND if unknown,
 * expired or idle too long, MG_ERR_INVALID for a malformed value,
 * MG_ERR_DENIED if its account is disabled or gone. */
int mg_session_resume(struct mg_access *ax, const char *token, struct mg_session_state *out);

/* End one session / every session of an account. */
int mg_session_end(struct mg_access *ax, const unsigned char hash[MG_TOKEN_HASH_BYTES]);
int mg_session_end_all(struct mg_access *ax, int64_t user_id);

/* Record on store's trail (keys' master key) that a session of user_id
 * from address ended by timeout: reason
 * "idle", "lifetime", or "expired" (seen expired, either). */
void mg_session_audit_timeout(struct mg_store *store, struct mg_keyring *keys, int64_t user_id,
			      const char *address, const char *reason);

/* The principal of account u (roles, tenants, consent). */
void mg_principal_of(const struct mg_user *u, struct mg_principal *out);

/* Whether one of u's roles must use a second factor it has not enrolled
 * (the setting MG_SETTING_REQUIRE_2FA_ROLES, model/settings.h). */
bool mg_session_totp_due(struct mg_access *ax, const struct mg_user *u);

/* The roles that must use a second factor, from the store's settings. */
unsigned mg_totp_required_roles(struct mg_access *ax);
/* The same, read from store (medgatectl, which has no mg_access). */
unsigned mg_totp_roles_of(struct mg_store *store);

#endif
