#include "access/login.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/totp.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "crypto/password.h"

int mg_access_new(const struct mg_config *cfg, struct mg_store *store, struct mg_keyring *keys,
		  struct mg_access **out)
{
	struct mg_access *ax;
	char password[32];
	int r;

	*out = NULL;
	if ((ax = calloc(1, sizeof(*ax))) == NULL)
		return MG_ERR_NOMEM;
	ax->cfg = cfg;
	ax->store = store;
	ax->keys = keys;
	if (mg_password_random(password, sizeof(password)) != 0 ||
	    (r = mg_password_hash(password, strlen(password), ax->dummy_hash,
				  sizeof(ax->dummy_hash))) != 0) {
		free(ax);
		return MG_ERR_CRYPTO;
	}
	sodium_memzero(password, sizeof(password));
	*out = ax;
	return 0;
}

void mg_access_free(struct mg_access *ax)
{
	free(ax);
}

const char *mg_login_failure_name(enum mg_login_failure f)
{
	static const char *const names[] = {
		"none", "address throttled", "unknown user", "account disabled",
		"account locked", "wrong password", "wrong second factor",
		"wrong password, account locked now",
		"second-factor code used before",
	};

	return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "unknown";
}

/* The lockout after the n-th lockout in a row: base, doubled each time. */
static int64_t lockout_ms(const struct mg_config *cfg, unsigned lockouts)
{
	int64_t ms = (int64_t)cfg->lockout_seconds * 1000;
	const int64_t max = (int64_t)cfg->lockout_max_seconds * 1000;

	for (unsigned i = 0; i < lockouts && ms < max; i++)
		ms *= 2;
	return ms < max ? ms : max;
}

static int count_failure(struct mg_access *ax, struct mg_login_result *out, const char *address,
			 int64_t now)
{
	unsigned failures, n;
	int r;

	if ((r = mg_store_address_failed(ax->store, address, now,
					   (int64_t)ax->cfg->address_window * 1000, &n)) != 0)
		return r;
	/* Guesses at a locked account count against the address only: they
	 * must not stretch the lock without end. */
	if (out->user.id == 0 || out->user.locked_until_ms > now)
		return 0;
	if ((r = mg_store_user_login_failed(ax->store, out->user.id, &failures)) != 0)
		return r;
	if (failures >= ax->cfg->lockout_threshold) {
		int64_t until = now + lockout_ms(ax->cfg, out->user.lockouts);

		if ((r = mg_store_user_set_lock(ax->store, out->user.id, until,
						  out->user.lockouts + 1)) != 0)
			return r;
		out->failure = MG_LOGIN_FAILURE_LOCKED_NOW;
		mg_log_warning("login: account %lld locked for %lld s after %u failures",
			       (long long)out->user.id, (long long)((until - now) / 1000), failures);
	}
	return 0;
}

/* Check code as a TOTP code, else as a recovery code. */
static int second_factor_ok(struct mg_access *ax, const struct mg_user *u, const char *code,
			    int64_t now, bool *ok, bool *reused)
{
	const struct mg_master_key *mk = mg_keyring_master(ax->keys);
	unsigned char secret[64], hash[MG_TOKEN_HASH_BYTES];
	char context[32];
	size_t len;
	int64_t step;
	int r;

	*ok = *reused = false;
	snprintf(context, sizeof(context), "totp:%lld", (long long)u->id);
	if (mg_secret_open(mk, context, u->totp_sealed, u->totp_len, secret, sizeof(secret),
			   &len) != 0)
		return MG_ERR_CRYPTO;
	r = mg_totp_check(secret, len, code, now / 1000, &step);
	sodium_memzero(secret, sizeof(secret));
	if (r == 0) {
		/* Accept each time step once: a seen code is a replayed code. */
		r = mg_store_totp_use_step(ax->store, u->id, step);
		*ok = r == 0;
		*reused = r == MG_ERR_DENIED;
		return r == MG_ERR_DENIED ? 0 : r;
	}
	if (mg_recovery_code_hash(mk, code, hash) != 0)
		return 0;
	r = mg_store_recovery_code_use(ax->store, u->id, hash, now);
	*ok = r == 0;
	return r == MG_ERR_NOT_FOUND ? 0 : r;
}

int mg_login(struct mg_access *ax, const char *name, const char *password, size_t password_len,
	     const char *code, const char *address, struct mg_login_result *out)
{
	int64_t now = mg_now_ms();
	unsigned throttled;
	bool password_ok, factor_ok, reused;
	int r;

	memset(out, 0, sizeof(*out));
	out->outcome = MG_LOGIN_FAILED;
	if ((r = mg_store_address_failures(ax->store, address, now,
					     (int64_t)ax->cfg->address_window * 1000,
					     &throttled)) != 0)
		return r;
	if (throttled >= ax->cfg->address_failures_max) {
		/* No hashing for a throttled address: it costs us, not them. */
		out->failure = MG_LOGIN_FAILURE_THROTTLED;
		return 0;
	}
	r = mg_store_user_by_name(ax->store, name, &out->user);
	if (r != 0 && r != MG_ERR_NOT_FOUND)
		return r;
	/* Unknown accounts take as long as known ones. */
	password_ok = mg_password_verify(r == 0 ? out->user.password_hash : ax->dummy_hash,
					 password, password_len) == 0 && r == 0;
	if (r == MG_ERR_NOT_FOUND)
		out->failure = MG_LOGIN_FAILURE_UNKNOWN_USER;
	else if (out->user.disabled)
		out->failure = MG_LOGIN_FAILURE_DISABLED;
	else if (out->user.locked_until_ms > now)
		out->failure = MG_LOGIN_FAILURE_LOCKED;
	else if (!password_ok)
		out->failure = MG_LOGIN_FAILURE_PASSWORD;
	if (out->failure != MG_LOGIN_FAILURE_NONE) {
		/* A locked account's right password is not counted against it. */
		if (out->failure != MG_LOGIN_FAILURE_LOCKED || !password_ok)
			return count_failure(ax, out, address, now);
		return 0;
	}
	if (out->user.totp_len > 0) {
		if (code == NULL || code[0] == '\0') {
			out->outcome = MG_LOGIN_SECOND_FACTOR;
			return 0;
		}
		if ((r = second_factor_ok(ax, &out->user, code, now, &factor_ok, &reused)) != 0)
			return r;
		if (!factor_ok) {
			out->failure = reused ? MG_LOGIN_FAILURE_CODE_REUSED
					      : MG_LOGIN_FAILURE_SECOND_FACTOR;
			return count_failure(ax, out, address, now);
		}
	}
	if ((r = mg_store_user_login_succeeded(ax->store, out->user.id)) != 0)
		return r;
	out->outcome = MG_LOGIN_OK;
	return 0;
}

int mg_login_reverify(struct mg_access *ax, int64_t user_id, const char *password, size_t len,
		      const char *address, bool *ok)
{
	struct mg_login_result *res;
	int64_t now = mg_now_ms();
	unsigned throttled;
	int r;

	*ok = false;
	if ((r = mg_store_address_failures(ax->store, address, now,
					     (int64_t)ax->cfg->address_window * 1000,
					     &throttled)) != 0)
		return r;
	if (throttled >= ax->cfg->address_failures_max)
		return 0;
	if ((res = calloc(1, sizeof(*res))) == NULL)
		return MG_ERR_NOMEM;
	if ((r = mg_store_user_by_id(ax->store, user_id, &res->user)) != 0)
		goto out;
	if (res->user.locked_until_ms > now) {
		r = 0;
		goto out;
	}
	if (mg_password_verify(res->user.password_hash, password, len) == 0) {
		*ok = true;
		r = mg_store_user_login_succeeded(ax->store, user_id);
		goto out;
	}
	res->failure = MG_LOGIN_FAILURE_PASSWORD;
	r = count_failure(ax, res, address, now);
out:
	sodium_memzero(res, sizeof(*res));
	free(res);
	return r;
}

bool mg_login_request_read(const json_t *body, struct mg_login_request *out)
{
	const json_t *u, *p, *c;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return false;
	u = json_object_get(body, "user");
	p = json_object_get(body, "password");
	c = json_object_get(body, "totp");
	if (!json_is_string(u) || !json_is_string(p) ||
	    (c != NULL && !json_is_string(c) && !json_is_null(c)))
		return false;
	out->user = json_string_value(u);
	out->password = json_string_value(p);
	out->password_len = json_string_length(p);
	out->code = json_is_string(c) ? json_string_value(c) : NULL;
	/* A user name with a NUL inside would be cut short: refuse it. */
	return json_string_length(u) >= 1 && json_string_length(u) <= MG_NAME_MAX &&
	       strlen(out->user) == json_string_length(u) && out->password_len >= 1 &&
	       out->password_len <= MG_LOGIN_PASSWORD_MAX &&
	       (out->code == NULL || (strlen(out->code) <= 32 &&
				      strlen(out->code) == json_string_length(c)));
}
