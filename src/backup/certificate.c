/* The sanitization certificate's signature: Ed25519 (the instance's audit
 * checkpoint key) over the certificate's canonical JSON, which is the
 * object without its "signature" member, keys sorted, no spaces. Any JSON
 * reader can re-make that text from the file, so the file itself may be
 * pretty and read by people. */
#include "backup/sanitize.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/file.h"
#include "common/hex.h"

#define CANONICAL	(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)

int mg_certificate_write(const struct mg_master_key *mk, const char *cert, const char *path)
{
	unsigned char sig[MG_AUDIT_SIGNATURE_BYTES], pk[MG_AUDIT_PUBLIC_KEY_BYTES];
	char sig_hex[MG_HEX_TEXT_LEN(sizeof(sig))], pk_hex[MG_HEX_TEXT_LEN(sizeof(pk))];
	json_t *o = json_loads(cert, JSON_REJECT_DUPLICATES, NULL), *s;
	char *canon = NULL, *text = NULL;
	int r = MG_ERR_INVALID;

	if (!json_is_object(o) || json_object_get(o, "signature") != NULL ||
	    (canon = json_dumps(o, CANONICAL)) == NULL)
		goto out;
	mg_audit_sign(mk, (const unsigned char *)canon, strlen(canon), sig);
	mg_audit_public_key(mk, pk);
	mg_hex_encode(sig, sizeof(sig), MG_HEX_LOWER, sig_hex, sizeof(sig_hex));
	mg_hex_encode(pk, sizeof(pk), MG_HEX_LOWER, pk_hex, sizeof(pk_hex));
	s = json_pack("{s:s, s:s, s:s, s:s}", "algorithm", "Ed25519", "public_key", pk_hex,
		      "value", sig_hex, "signed_text",
		      "this object without \"signature\", keys sorted, compact, ASCII");
	if (s == NULL || json_object_set_new(o, "signature", s) != 0 ||
	    (text = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	r = mg_file_create(path, text, strlen(text), 0644);
out:
	free(canon);
	free(text);
	json_decref(o);
	return r;
}

/* The hex member name of o as exactly n bytes. */
static int hex_member(json_t *o, const char *name, unsigned char *out, size_t n)
{
	const char *text = json_string_value(json_object_get(o, name));
	size_t len = 0;

	if (text == NULL || strlen(text) != 2 * n ||
	    mg_hex_decode(text, strlen(text), out, n, &len) != 0 || len != n)
		return MG_ERR_INVALID;
	return 0;
}

int mg_certificate_verify(const char *text, size_t len, const char *expect_key, char *result,
			  size_t resultlen, char *err, size_t errlen)
{
	unsigned char sig[MG_AUDIT_SIGNATURE_BYTES], pk[MG_AUDIT_PUBLIC_KEY_BYTES];
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), *s;
	const char *res, *key_hex, *alg;
	char *canon = NULL;
	int r = MG_ERR_INVALID;

	snprintf(result, resultlen, "%s", "");
	s = json_object_get(o, "signature");
	if (!json_is_object(o) || !json_is_object(s)) {
		snprintf(err, errlen, "not a signed sanitization certificate (no JSON object "
				      "with a \"signature\")");
		goto out;
	}
	alg = json_string_value(json_object_get(s, "algorithm"));
	if (alg == NULL || strcmp(alg, "Ed25519") != 0 ||
	    hex_member(s, "public_key", pk, sizeof(pk)) != 0 ||
	    hex_member(s, "value", sig, sizeof(sig)) != 0) {
		snprintf(err, errlen, "its signature is not an Ed25519 key and value in hex");
		goto out;
	}
	key_hex = json_string_value(json_object_get(s, "public_key"));
	json_incref(s);
	json_object_del(o, "signature");
	canon = json_dumps(o, CANONICAL);
	json_object_set_new(o, "signature", s);
	if (canon == NULL) {
		snprintf(err, errlen, "out of memory");
		r = MG_ERR_NOMEM;
		goto out;
	}
	if (crypto_sign_verify_detached(sig, (const unsigned char *)canon, strlen(canon), pk) != 0) {
		snprintf(err, errlen, "the signature does not verify: the certificate was changed "
				      "after it was signed, or is not signed by the key it names");
		r = MG_ERR_CRYPTO;
		goto out;
	}
	if (expect_key != NULL && strcasecmp(expect_key, key_hex) != 0) {
		snprintf(err, errlen, "signed by %s, not by the expected instance key %s", key_hex,
			 expect_key);
		r = MG_ERR_CRYPTO;
		goto out;
	}
	res = json_string_value(json_object_get(json_object_get(o, "verification"), "result"));
	snprintf(result, resultlen, "%s", res != NULL ? res : "unknown");
	r = 0;
out:
	free(canon);
	json_decref(o);
	return r;
}
