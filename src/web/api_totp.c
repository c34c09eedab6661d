/* The own second factor: enrol (secret, otpauth URI, QR code), confirm
 * with a first code (then recovery codes), remove. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/login.h"
#include "access/session.h"
#include "access/totp.h"
#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "crypto/password.h"
#include "web/api_handlers.h"

static void totp_context(int64_t user_id, char *out, size_t outlen)
{
	snprintf(out, outlen, "totp:%lld", (long long)user_id);
}

enum MHD_Result api_totp_begin(struct api_request *rq)
{
	const struct mg_master_key *mk = mg_keyring_master(rq->web->keys);
	unsigned char secret[MG_TOTP_SECRET_BYTES], sealed[MG_TOTP_SECRET_BYTES + MG_SEAL_OVERHEAD];
	char base32[MG_TOTP_BASE32_MAX], uri[MG_TOTP_URI_MAX], context[32];
	char *svg = NULL;
	enum MHD_Result ret;
	int r;

	totp_context(rq->who.user_id, context, sizeof(context));
	if ((r = mg_totp_secret_new(secret)) != 0 ||
	    (r = mg_totp_base32(secret, sizeof(secret), base32, sizeof(base32))) != 0 ||
	    (r = mg_totp_uri(rq->web->cfg->totp_issuer, rq->who.name, base32, uri, sizeof(uri))) != 0 ||
	    (r = mg_qr_svg(uri, &svg)) != 0 ||
	    (r = mg_secret_seal(mk, context, secret, sizeof(secret), sealed, sizeof(sealed))) != 0 ||
	    (r = mg_store_totp_set_pending(rq->web->store, rq->who.user_id, sealed,
						 sizeof(sealed))) != 0) {
		ret = api_store_error(rq, r);
		goto out;
	}
	ret = api_json(rq, MHD_HTTP_OK, json_pack("{s:s, s:s, s:s}", "secret", base32, "uri", uri,
						  "qr_svg", svg));
out:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(base32, sizeof(base32));
	sodium_memzero(uri, sizeof(uri));
	if (svg != NULL) {
		sodium_memzero(svg, strlen(svg));
		free(svg);
	}
	return ret;
}

enum MHD_Result api_totp_confirm(struct api_request *rq)
{
	const struct mg_master_key *mk = mg_keyring_master(rq->web->keys);
	char codes[MG_RECOVERY_CODES][MG_RECOVERY_CODE_LEN + 1], context[32];
	unsigned char hashes[MG_RECOVERY_CODES][MG_TOKEN_HASH_BYTES], secret[64];
	const char *code = NULL;
	struct mg_user u;
	json_t *list;
	size_t len;
	int64_t step;
	int r;

	if (api_string(rq, "code", true, 6, 16, &code) != 0)
		return MHD_YES;
	if ((r = mg_store_user_by_id(rq->web->store, rq->who.user_id, &u)) != 0)
		return api_store_error(rq, r);
	if (u.totp_pending_len == 0)
		return api_error(rq, MHD_HTTP_CONFLICT, "no second-factor enrolment in progress");
	totp_context(u.id, context, sizeof(context));
	if (mg_secret_open(mk, context, u.totp_pending, u.totp_pending_len, secret, sizeof(secret),
			   &len) != 0)
		return api_store_error(rq, MG_ERR_CRYPTO);
	r = mg_totp_check(secret, len, code, mg_now_ms() / 1000, &step);
	sodium_memzero(secret, sizeof(secret));
	if (r != 0)
		return api_field_error(rq, "code", "the code does not match; check the clock of "
						   "the authenticator");
	if (api_audit_first(rq, "totp.enrol", "user", u.id, 0, NULL) != 0)
		return MHD_YES;
	if ((r = mg_store_totp_activate(rq->web->store, u.id, step)) != 0 ||
	    (r = mg_recovery_codes_new(mk, MG_RECOVERY_CODES, codes, hashes)) != 0 ||
	    (r = mg_store_recovery_codes_set(rq->web->store, u.id,
						   (const unsigned char (*)[MG_TOKEN_HASH_BYTES])hashes,
						   MG_RECOVERY_CODES)) != 0) {
		api_audit_act_failed(rq, "totp.enrol", "user", u.id, 0, r);
		return api_store_error(rq, r);
	}
	list = json_array();
	for (size_t i = 0; i < MG_RECOVERY_CODES; i++)
		json_array_append_new(list, json_string(codes[i]));
	sodium_memzero(codes, sizeof(codes));
	mg_log_info("login: account %lld enrolled a second factor", (long long)u.id);
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "recovery_codes", list));
}

enum MHD_Result api_totp_remove(struct api_request *rq)
{
	json_t *password = rq->json ? json_object_get(rq->json, "password") : NULL;
	struct mg_user u;
	bool ok;
	int r;

	if (!json_is_string(password))
		return api_field_error(rq, "password", "required");
	if ((r = mg_login_reverify(rq->web->access, rq->who.user_id, json_string_value(password),
				   json_string_length(password), rq->peer, &ok)) != 0)
		return api_store_error(rq, r);
	if (!ok)
		return api_field_error(rq, "password", "the password is wrong, or the account is locked");
	if ((r = mg_store_user_by_id(rq->web->store, rq->who.user_id, &u)) != 0)
		return api_store_error(rq, r);
	if (u.roles & mg_totp_required_roles(rq->web->access))
		return api_error(rq, MHD_HTTP_CONFLICT,
				 "a second factor is required for one of your roles");
	if (api_audit_first(rq, "totp.remove", "user", u.id, 0, NULL) != 0)
		return MHD_YES;
	if ((r = mg_store_totp_clear(rq->web->store, u.id)) != 0) {
		api_audit_act_failed(rq, "totp.remove", "user", u.id, 0, r);
		return api_store_error(rq, r);
	}
	mg_log_info("login: account %lld removed its second factor", (long long)u.id);
	return api_no_content(rq);
}
