/* Password policy (NIST SP 800-63B 5.1.1.2): a length range in Unicode
 * characters, no composition rule unless configured, and refusal of
 * passwords that are common, easy to guess, tied to this service or to
 * the account's name. Hashing is in crypto/password.h. */
#ifndef MG_ACCESS_PASSWORD_H
#define MG_ACCESS_PASSWORD_H

#include <stddef.h>

struct mg_config;

/* zxcvbn's estimate of the guesses a password needs, in bits, below
 * which it is refused: 2^33 ~ 10^10 guesses, the bound of zxcvbn's score
 * 3 ("safely unguessable"). docs/internals/access.md gives the examples
 * this was chosen from. */
#define MG_PASSWORD_MIN_ENTROPY_BITS	33.0

/* Room a reason for refusal needs in why, NUL included. */
#define MG_PASSWORD_WHY_MAX		96

struct mg_password_policy {
	unsigned min_length;	/* Unicode code points */
	unsigned max_length;	/* Unicode code points */
	unsigned classes;	/* 0 = no composition rule; else how many of 4 */
};

/* The policy of cfg's [access] keys. */
void mg_password_policy_from_config(const struct mg_config *cfg, struct mg_password_policy *out);

/* Check a new password of len bytes for the account user_name (NULL if not
 * known yet; its first MG_NAME_MAX bytes count). Returns 0, or
 * MG_ERR_INVALID with a reason for people in why (at most whylen bytes;
 * why may be NULL): "at least 12 characters", "at most 256 characters",
 * "contains control characters or invalid UTF-8", "must mix at least N
 * of: lower case, upper case, digits, other", "must not contain the user
 * name", "must not contain \"medgate\"", "too common or too easy to
 * guess". MG_ERR_NOMEM if memory ran out. Copies made here are wiped;
 * zxcvbn's own working copies are not (docs/internals/access.md). */
int mg_password_check(const struct mg_password_policy *p, const char *user_name,
		      const char *password, size_t len, char *why, size_t whylen);

#endif
