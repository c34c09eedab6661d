/* The second factor: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s steps,
 * the parameters every authenticator app supports) through liboath, the
 * QR code that enrols an app (libqrencode), and one-time recovery codes.
 * Secrets are stored sealed (mg_secret_seal), recovery codes as keyed
 * hashes only. */
#ifndef MG_ACCESS_TOTP_H
#define MG_ACCESS_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h"

#define MG_TOTP_SECRET_BYTES	20	/* 160 bits, as RFC 4226 recommends */
#define MG_TOTP_SECRET_MAX	64	/* longest secret mg_totp_check takes */
#define MG_TOTP_DIGITS		6
#define MG_TOTP_STEP_SECONDS	30
#define MG_TOTP_BASE32_MAX	((MG_TOTP_SECRET_MAX * 8 + 4) / 5 + 1)	/* text, NUL */
#define MG_TOTP_URI_MAX		1024	/* otpauth:// URI, NUL included */
#define MG_QR_TEXT_MAX		1024	/* longest text mg_qr_svg encodes */
#define MG_RECOVERY_CODE_LEN	14	/* "abcd-efgh-jkmn" */

/* Fill secret with MG_TOTP_SECRET_BYTES random bytes. Returns 0. */
int mg_totp_secret_new(unsigned char secret[MG_TOTP_SECRET_BYTES]);

/* RFC 4648 base32 of len bytes, upper case and without padding, as
 * authenticator apps expect, into out. Returns 0 or MG_ERR_LIMIT if outlen
 * is too small (it needs (len * 8 + 4) / 5 + 1). */
int mg_totp_base32(const unsigned char *secret, size_t len, char *out, size_t outlen);

/* Check a typed code (6 digits; spaces allowed and ignored) against the
 * secret at now_s (Unix seconds): accepted in now_s's step and one step
 * either side. On success *step_out = the matched step (time / 30); the
 * caller must accept each step only once per account (replay). Returns 0
 * or MG_ERR_DENIED (also for a malformed code or secret). */
int mg_totp_check(const unsigned char *secret, size_t len, const char *code, int64_t now_s,
		  int64_t *step_out);

/* The Key URI authenticator apps read from a QR code:
 * otpauth://totp/Issuer:account?secret=...&issuer=Issuer&algorithm=SHA1&digits=6&period=30
 * with issuer and account percent-encoded (issuer may be "": no prefix).
 * Returns 0, MG_ERR_INVALID (a colon or control character in issuer or
 * account, an empty account, a secret not in base32) or MG_ERR_LIMIT. */
int mg_totp_uri(const char *issuer, const char *account, const char *base32, char *out,
		size_t outlen);

/* Encode text (at most MG_QR_TEXT_MAX bytes) as a QR code (error
 * correction level M) drawn in SVG: black rectangles on white with a
 * quiet zone, no script, no external reference. *svg_out is the caller's
 * (free). Returns 0, MG_ERR_LIMIT, MG_ERR_INVALID or MG_ERR_NOMEM. */
int mg_qr_svg(const char *text, char **svg_out);

/* Make n fresh recovery codes (lower case, from an alphabet without
 * look-alike characters, "abcd-efgh-jkmn", 59 bits each) into codes, and
 * the keyed hash of each (as mg_recovery_code_hash gives) into hashes.
 * Show the codes once; store only the hashes. Returns 0. */
int mg_recovery_codes_new(const struct mg_master_key *mk, size_t n,
			  char (*codes)[MG_RECOVERY_CODE_LEN + 1],
			  unsigned char (*hashes)[MG_TOKEN_HASH_BYTES]);

/* Normalize a typed recovery code (spaces and dashes dropped, upper case
 * lowered) and hash it with the master key. Returns 0, or MG_ERR_INVALID
 * if it cannot be a recovery code (hash is then zeroed). */
int mg_recovery_code_hash(const struct mg_master_key *mk, const char *typed,
			  unsigned char hash[MG_TOKEN_HASH_BYTES]);

#endif
