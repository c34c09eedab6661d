/* Password hashing with Argon2id (libsodium). */
#ifndef MG_CRYPTO_PASSWORD_H
#define MG_CRYPTO_PASSWORD_H

#include <stddef.h>

#define MG_PASSWORD_HASH_MAX 128	/* crypto_pwhash_STRBYTES */

/* Hash password into out (a NUL-terminated PHC string). Returns 0,
 * MG_ERR_NOMEM (the hash needs 64 MiB) or MG_ERR_LIMIT. */
int mg_password_hash(const char *password, size_t len, char *out, size_t outlen);

/* Returns 0 if password matches hash, MG_ERR_DENIED otherwise. */
int mg_password_verify(const char *hash, const char *password, size_t len);

/* Make a random password of 20 characters for one-time use into out. */
int mg_password_random(char *out, size_t outlen);

#endif
