#include "crypto/password.h"

#include <sodium.h>
#include <string.h>

#include "common/err.h"

/* OWASP's Argon2id minimum is 19 MiB, 2 passes; libsodium's interactive
 * limits (64 MiB, 2 passes) are above it and keep a login near 50 ms. */
#define PW_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

int mg_password_hash(const char *password, size_t len, char *out, size_t outlen)
{
	if (outlen < crypto_pwhash_STRBYTES)
		return MG_ERR_LIMIT;
	if (crypto_pwhash_str_alg(out, password, len, PW_OPSLIMIT, PW_MEMLIMIT,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return MG_ERR_NOMEM;
	return 0;
}

int mg_password_verify(const char *hash, const char *password, size_t len)
{
	return crypto_pwhash_str_verify(hash, password, len) == 0 ? 0 : MG_ERR_DENIED;
}

int mg_password_random(char *out, size_t outlen)
{
	/* No look-alike characters: people type this from a terminal. */
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	const size_t n = 20;

	if (outlen < n + 1)
		return MG_ERR_LIMIT;
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[n] = '\0';
	return 0;
}
