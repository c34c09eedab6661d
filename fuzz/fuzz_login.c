/* libFuzzer harness for what a sign-in or password change reads from
 * outside: the JSON body as the API router parses it, the sign-in fields,
 * and the password policy (UTF-8, lengths, the banned list, zxcvbn). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "access/login.h"
#include "access/password.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_password_policy policy = { 12, 256, 0 };
	struct mg_login_request in;
	json_error_t jerr;
	char why[128];
	json_t *body;

	body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (mg_login_request_read(body, &in)) {
		if (in.password_len < 1 || in.password_len > MG_LOGIN_PASSWORD_MAX ||
		    strlen(in.user) < 1 || strlen(in.user) > MG_NAME_MAX)
			__builtin_trap();
		why[0] = '\0';
		if (mg_password_check(&policy, in.user, in.password, in.password_len, why,
				      sizeof(why)) != 0 &&
		    (memchr(why, '\0', sizeof(why)) == NULL || why[0] == '\0'))
			__builtin_trap();	/* a refusal always says why */
	}
	json_decref(body);
	/* The raw bytes as a password too: invalid UTF-8, NULs, controls. */
	if (size <= 1024)
		mg_password_check(&policy, "nurse.joy", (const char *)data, size, why, sizeof(why));
	return 0;
}
