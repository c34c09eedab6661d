/* Sign-in: password (Argon2id), lockout per account, throttling per
 * address, second factor (TOTP or a recovery code). Every failure looks
 * the same from outside. */
#ifndef MG_ACCESS_LOGIN_H
#define MG_ACCESS_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "access/access.h"
#include "store/store.h"

enum mg_login_outcome {
	MG_LOGIN_OK,
	MG_LOGIN_SECOND_FACTOR,	/* password right; a code is needed too */
	MG_LOGIN_FAILED,	/* wrong, unknown, locked, disabled, throttled */
};

/* Why a login failed, for the log and the audit trail only (never for the
 * client, which sees one answer for all). */
enum mg_login_failure {
	MG_LOGIN_FAILURE_NONE,
	MG_LOGIN_FAILURE_THROTTLED,
	MG_LOGIN_FAILURE_UNKNOWN_USER,
	MG_LOGIN_FAILURE_DISABLED,
	MG_LOGIN_FAILURE_LOCKED,
	MG_LOGIN_FAILURE_PASSWORD,
	MG_LOGIN_FAILURE_SECOND_FACTOR,
	MG_LOGIN_FAILURE_LOCKED_NOW,	/* this failure locked the account */
	MG_LOGIN_FAILURE_CODE_REUSED,	/* password right, TOTP code right but used
					 * before: the client may say so */
};

struct mg_login_result {
	enum mg_login_outcome outcome;
	enum mg_login_failure failure;
	struct mg_user user;		/* the account, when it exists */
};

/* Try to sign in name from address with password and, if the account
 * has a second factor, code (TOTP or recovery code; NULL or "" if not
 * given). Returns 0 with the outcome in *out, or < 0 if the store
 * failed. */
int mg_login(struct mg_access *ax, const char *name, const char *password, size_t password_len,
	     const char *code, const char *address, struct mg_login_result *out);

/* Check the password of a signed-in account again (before changing the
 * password or removing the second factor), with the same lockout and
 * address throttling as a sign-in, so a stolen session cannot guess it.
 * *ok is true only for the right password of an unlocked account.
 * Returns 0 or < 0 if the store failed. */
int mg_login_reverify(struct mg_access *ax, int64_t user_id, const char *password, size_t len,
		      const char *address, bool *ok);

/* The fields of a sign-in body {"user", "password", "totp"}, pointing
 * into the parsed JSON. */
struct mg_login_request {
	const char *user;
	const char *password;
	size_t password_len;	/* may hold NUL bytes: compared as bytes */
	const char *code;	/* NULL when absent */
};

#define MG_LOGIN_PASSWORD_MAX 4096	/* bytes; the policy counts characters */

/* Read the sign-in fields from body (a JSON object, or NULL). Returns true
 * if they are there and within bounds; anything else is just a failed
 * sign-in to the caller. */
bool mg_login_request_read(const json_t *body, struct mg_login_request *out);

/* The failure's name for logs. */
const char *mg_login_failure_name(enum mg_login_failure f);

#endif
