/* Password policy: length in code points, UTF-8 and control characters,
 * composition when configured, the user name, the shipped list of
 * banned words (data/banned-passwords.txt, compiled in) and zxcvbn's
 * strength floor. Most cases are rows of one table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/password.h"
#include "common/config.h"
#include "common/err.h"
#include "common/file.h"

/* The compiled-in list; it must be the file in data/, byte for byte. */
extern const char mg_banned_passwords_text[];

#define OK 0
#define BAD MG_ERR_INVALID

struct row {
	const char *user;
	const char *password;
	int expected;
	const char *why;	/* expected reason when refused */
};

static const struct mg_password_policy nist = { 12, 256, 0 };

static const struct row rows[] = {
	/* Strong enough: random strings, passphrases, any language. */
	{ NULL, "correct horse battery staple", OK, NULL },
	{ NULL, "k9#vR2mQ!pLx", OK, NULL },
	{ NULL, "xq7wmz3kfa9p", OK, NULL },
	{ NULL, "hjT5nBz0qLwE", OK, NULL },
	{ NULL, "dragonfly over quiet lake", OK, NULL },
	{ NULL, "the monkey ate seven purple plums", OK, NULL },
	{ NULL, "Grüße aus dem Nordflügel 7", OK, NULL },
	{ NULL, "日本語のパスワードです。", OK, NULL },	/* 12 code points, 36 bytes */
	{ "anna.berg", "xq7wmz3kfa9p", OK, NULL },
	{ "bo", "bo xq7wmz3kfa9p", OK, NULL },	/* names under 4 characters may occur */
	/* Common and breached: zxcvbn's dictionaries and patterns. */
	{ NULL, "password1234", BAD, "must not contain \"password\"" },
	{ NULL, "Password2024!", BAD, "must not contain \"password\"" },
	{ NULL, "qwertyuiop123", BAD, "must not contain \"qwerty\"" },
	{ NULL, "iloveyou1234", BAD, "must not contain \"iloveyou\"" },
	{ NULL, "Sommer2024!!", BAD, "too common or too easy to guess" },
	{ NULL, "Winter2023!!", BAD, "too common or too easy to guess" },
	{ NULL, "ilovemykids2020", BAD, "too common or too easy to guess" },
	{ NULL, "letmein12345", BAD, "too common or too easy to guess" },
	{ NULL, "123456789012", BAD, "too common or too easy to guess" },
	{ NULL, "aaaaaaaaaaaa", BAD, "too common or too easy to guess" },
	{ NULL, "abcdefghijkl", BAD, "too common or too easy to guess" },
	{ NULL, "1q2w3e4r5t6y", BAD, "too common or too easy to guess" },
	{ NULL, "zaq12wsxcde3", BAD, "too common or too easy to guess" },
	{ NULL, "Fussball1234", BAD, "too common or too easy to guess" },
	{ NULL, "trustno1trustno1", BAD, "too common or too easy to guess" },
	/* Context-specific words, also with separators, case and l33t. */
	{ NULL, "I run MedGate daily!", BAD, "must not contain \"medgate\"" },
	{ NULL, "Seca scales rock 42", BAD, "must not contain \"seca\"" },
	{ NULL, "myConnect-103 rocks!", BAD, "must not contain \"connect 103\"" },
	{ NULL, "xAnalytics_125x!!", BAD, "must not contain \"analytics 125\"" },
	{ NULL, "Hospital123!", BAD, "must not contain \"hospital\"" },
	{ NULL, "Klinikum Nord 2024", BAD, "must not contain \"klinik\"" },
	{ NULL, "M3dg4te2024!", BAD, "too common or too easy to guess" },
	{ NULL, "Station3B2024", BAD, "too common or too easy to guess" },
	{ NULL, "Schwester2024!", BAD, "too common or too easy to guess" },
	/* The user name, whole or inside, any case; parts of it to zxcvbn. */
	{ "anna.berg", "anna.berg-2024-xyz!Q", BAD, "must not contain the user name" },
	{ "anna.berg", "ANNA.BERG was here 77", BAD, "must not contain the user name" },
	{ "xylophorbe.k", "Xylophorbe#1945", BAD, "too common or too easy to guess" },
	{ "anna.berg", "Xylophorbe#1945", OK, NULL },	/* strong for anyone else */
	/* Length counts code points, not bytes. */
	{ NULL, "xq7wmz3kfa9", BAD, "at least 12 characters" },
	{ NULL, "äöüäöüäöüäö", BAD, "at least 12 characters" },	/* 22 bytes */
	/* Control characters and invalid UTF-8. */
	{ NULL, "xq7wmz3k\tfa9p", BAD, "contains control characters or invalid UTF-8" },
	{ NULL, "xq7wmz3k\x7f" "fa9p", BAD, "contains control characters or invalid UTF-8" },
	{ NULL, "xq7wmz3k\xc2\x85" "fa9p", BAD, "contains control characters or invalid UTF-8" },
	{ NULL, "xq7wmz3k\xff" "fa9p", BAD, "contains control characters or invalid UTF-8" },
	{ NULL, "xq7wmz3k\xc0\xaf" "fa9p", BAD, "contains control characters or invalid UTF-8" },
	{ NULL, "xq7wmz3k\xed\xa0\x80" "fa9p", BAD, "contains control characters or invalid UTF-8" },
	{ NULL, "xq7wmz3k\xf4\x90\x80\x80" "fa9p", BAD,
	  "contains control characters or invalid UTF-8" },
	{ NULL, "xq7wmz3kfa9p\xe2\x82", BAD, "contains control characters or invalid UTF-8" },
};

static void test_table(void **state)
{
	char why[MG_PASSWORD_WHY_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *t = &rows[i];
		int r = mg_password_check(&nist, t->user, t->password, strlen(t->password), why,
					  sizeof(why));

		if (r != t->expected || (t->why != NULL && strcmp(why, t->why) != 0) ||
		    (t->why == NULL && why[0] != '\0'))
			fail_msg("row %zu \"%s\": got %d \"%s\", expected %d \"%s\"", i, t->password,
				 r, why, t->expected, t->why != NULL ? t->why : "");
	}
}

static void test_nul_inside(void **state)
{
	char why[MG_PASSWORD_WHY_MAX];

	(void)state;
	assert_int_equal(mg_password_check(&nist, NULL, "xq7wmz3k\0fa9pq", 14, why, sizeof(why)),
			 BAD);
	assert_string_equal(why, "contains control characters or invalid UTF-8");
}

static void test_lengths(void **state)
{
	const struct mg_password_policy p = { 15, 128, 0 };
	char pw[1024], why[MG_PASSWORD_WHY_MAX];
	size_t i;

	(void)state;
	assert_int_equal(mg_password_check(&p, NULL, "xq7wmz3kfa9pLx", 14, why, sizeof(why)), BAD);
	assert_string_equal(why, "at least 15 characters");
	assert_int_equal(mg_password_check(&p, NULL, "xq7wmz3kfa9pLx#", 15, why, sizeof(why)), OK);
	/* 128 random-looking characters pass, 129 do not. */
	for (i = 0; i < 129; i++)
		pw[i] = "k9#vR2mQ!pLxq7wmz3kfa9phjT5nBz0qLwE"[(i * 7 + i / 35) % 35];
	assert_int_equal(mg_password_check(&p, NULL, pw, 128, why, sizeof(why)), OK);
	assert_int_equal(mg_password_check(&p, NULL, pw, 129, why, sizeof(why)), BAD);
	assert_string_equal(why, "at most 128 characters");
	/* 128 two-byte characters are 256 bytes and still 128 characters. */
	for (i = 0; i < 256; i += 2)
		memcpy(pw + i, (i / 2) % 3 == 0 ? "\xc3\xa4" : (i / 2) % 3 == 1 ? "\xc3\xb6" : "\xc3\x9f",
		       2);
	assert_int_equal(mg_password_check(&p, NULL, pw, 256, why, sizeof(why)) == OK ||
				 strcmp(why, "too common or too easy to guess") == 0,
			 1);
	/* Far too long is refused before it is read through. */
	memset(pw, 'x', sizeof(pw));
	assert_int_equal(mg_password_check(&p, NULL, pw, sizeof(pw), why, sizeof(why)), BAD);
	assert_string_equal(why, "at most 128 characters");
}

static void test_classes(void **state)
{
	struct mg_password_policy p = { 12, 256, 3 };
	char why[MG_PASSWORD_WHY_MAX];

	(void)state;
	assert_int_equal(mg_password_check(&p, NULL, "xq7wmz3kfa9p", 12, why, sizeof(why)), BAD);
	assert_string_equal(why, "must mix at least 3 of: lower case, upper case, digits, other");
	assert_int_equal(mg_password_check(&p, NULL, "xq7wMz3kfa9p", 12, why, sizeof(why)), OK);
	assert_int_equal(mg_password_check(&p, NULL, "xq7wmz3kfa9ü", 13, why, sizeof(why)), OK);
	p.classes = 4;
	assert_int_equal(mg_password_check(&p, NULL, "xq7wMz3kfa9p", 12, why, sizeof(why)), BAD);
	assert_string_equal(why, "must mix at least 4 of: lower case, upper case, digits, other");
	assert_int_equal(mg_password_check(&p, NULL, "xq7wMz3k fa9p", 13, why, sizeof(why)), OK);
	p.classes = 9;	/* more than there are: all four */
	assert_int_equal(mg_password_check(&p, NULL, "xq7wMz3k fa9p", 13, why, sizeof(why)), OK);
}

static void test_why_buffer(void **state)
{
	char why[8];

	(void)state;
	/* No room for a reason is fine; a small one gets it cut. */
	assert_int_equal(mg_password_check(&nist, NULL, "short", 5, NULL, 0), BAD);
	assert_int_equal(mg_password_check(&nist, NULL, "short", 5, why, sizeof(why)), BAD);
	assert_string_equal(why, "at leas");
	assert_int_equal(mg_password_check(&nist, NULL, "xq7wmz3kfa9p", 12, why, sizeof(why)), OK);
	assert_string_equal(why, "");
}

static void test_from_config(void **state)
{
	struct mg_password_policy p;
	struct mg_config cfg;

	(void)state;
	mg_config_defaults(&cfg);
	mg_password_policy_from_config(&cfg, &p);
	assert_int_equal(p.min_length, 12);
	assert_int_equal(p.max_length, 256);
	assert_int_equal(p.classes, 0);
}

static char ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static bool entry_ok(const char *e)
{
	size_t i;

	for (i = 0; e[i] != '\0'; i++)
		if (!((e[i] >= 'a' && e[i] <= 'z') || (e[i] >= '0' && e[i] <= '9') ||
		      strchr(" @.-_", e[i]) != NULL))
			return false;
	return i <= 64;
}

/* A [refuse-if-contained] entry inside a strong password, upper-cased,
 * its spaces as dashes: refused, naming the entry. */
static void check_contained(const char *entry)
{
	char pw[160], why[MG_PASSWORD_WHY_MAX], expected[MG_PASSWORD_WHY_MAX];
	size_t i;

	snprintf(pw, sizeof(pw), "Zq8#%s#Vx3rT9k", entry);
	for (i = 4; pw[i] != '#'; i++)
		pw[i] = pw[i] == ' ' ? '-' : ascii_upper(pw[i]);
	snprintf(expected, sizeof(expected), "must not contain \"%s\"", entry);
	assert_int_equal(mg_password_check(&nist, NULL, pw, strlen(pw), why, sizeof(why)), BAD);
	assert_string_equal(why, expected);
}

/* A [refuse-if-equal] entry as the whole password, as is and capitalized. */
static void check_equal(const char *entry)
{
	const struct mg_password_policy any = { 1, 256, 0 };
	char pw[160], why[MG_PASSWORD_WHY_MAX];

	assert_int_equal(mg_password_check(&any, NULL, entry, strlen(entry), why, sizeof(why)), BAD);
	snprintf(pw, sizeof(pw), "%s", entry);
	pw[0] = ascii_upper(pw[0]);
	assert_int_equal(mg_password_check(&any, NULL, pw, strlen(pw), why, sizeof(why)), BAD);
}

/* Every entry of the shipped file is refused the way its section says,
 * and the compiled-in copy is the file. */
static void test_banned_file(void **state)
{
	const char *dir = getenv("MG_SOURCE_DIR");
	char path[1024], *text = NULL, *line, *next;
	size_t len, contained = 0, equal = 0;
	int section = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/data/banned-passwords.txt", dir != NULL ? dir : ".");
	assert_int_equal(mg_file_read(path, 1 << 20, &text, &len), 0);
	assert_string_equal(mg_banned_passwords_text, text);
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (strcmp(line, "[refuse-if-contained]") == 0 || strcmp(line, "[refuse-if-equal]") == 0) {
			section = strcmp(line, "[refuse-if-contained]") == 0 ? 1 : 2;
			continue;
		}
		assert_int_not_equal(section, 0);
		if (!entry_ok(line))
			fail_msg("entry \"%s\": lower case ASCII, at most 64 bytes", line);
		if (section == 1) {
			check_contained(line);
			contained++;
		} else {
			check_equal(line);
			equal++;
		}
	}
	free(text);
	assert_true(contained >= 10);
	assert_true(equal >= 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_nul_inside),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_why_buffer),
		cmocka_unit_test(test_from_config),
		cmocka_unit_test(test_banned_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
