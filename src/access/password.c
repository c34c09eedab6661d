#include "access/password.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zxcvbn.h>

#include "common/config.h"
#include "common/err.h"
#include "common/utf8.h"
#include "common/limits.h"

/* data/banned-passwords.txt, compiled in by scripts/embed-text.cmake. */
extern const char mg_banned_passwords_text[];

#define BANNED_ENTRIES_MAX	1024	/* entries the list may hold */
#define BANNED_ENTRY_MAX	64	/* bytes of one entry */
#define USER_NAME_PARTS_MAX	8	/* parts of a user name given to zxcvbn */
#define USER_NAME_CONTAINED_MIN	4	/* shorter names are refused only as the whole */

enum banned_kind { BANNED_CONTAINED, BANNED_EQUAL };

/* The list, parsed into a private copy of the embedded text; dict is the
 * NULL-terminated word list zxcvbn takes, entries first, then the user
 * name and its parts. */
struct banned {
	char *text;
	const char *dict[BANNED_ENTRIES_MAX + USER_NAME_PARTS_MAX + 2];
	enum banned_kind kind[BANNED_ENTRIES_MAX];
	size_t entries, words;
	char *user;	/* folded user name and its parts, NUL-separated */
	size_t user_size;
};

struct text_stats {
	size_t code_points;
	unsigned classes;	/* bits: lower, upper, digit, other */
};

void mg_password_policy_from_config(const struct mg_config *cfg, struct mg_password_policy *out)
{
	out->min_length = cfg->password_min_length;
	out->max_length = cfg->password_max_length;
	out->classes = cfg->password_classes;
}

__attribute__((format(printf, 3, 4)))
static int refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (why == NULL || whylen == 0)
		return MG_ERR_INVALID;
	va_start(ap, fmt);
	n = vsnprintf(why, whylen, fmt, ap);	/* a too small why gets it cut */
	va_end(ap);
	if (n < 0)
		why[0] = '\0';
	return MG_ERR_INVALID;
}

/* Count the code points and character classes of a password. Returns 0,
 * or MG_ERR_INVALID for invalid UTF-8 or a control character (C0, DEL,
 * C1): they cannot be typed alike everywhere and may end a field early. */
static int text_scan(const char *password, size_t len, struct text_stats *st)
{
	const unsigned char *s = (const unsigned char *)password;
	size_t i = 0, n;
	uint32_t c;

	memset(st, 0, sizeof(*st));
	while (i < len) {
		if ((n = mg_utf8_decode(s + i, len - i, &c)) == 0)
			return MG_ERR_INVALID;
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
			return MG_ERR_INVALID;
		if (c >= 'a' && c <= 'z')
			st->classes |= 1u;
		else if (c >= 'A' && c <= 'Z')
			st->classes |= 2u;
		else if (c >= '0' && c <= '9')
			st->classes |= 4u;
		else
			st->classes |= 8u;	/* punctuation, space, any non-ASCII */
		st->code_points++;
		i += n;
	}
	return 0;
}

static unsigned bits_set(unsigned v)
{
	unsigned n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return n;
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_separator(char c)
{
	return c == ' ' || c == '-' || c == '_' || c == '.';
}

/* Does entry match s (folded, slen bytes) at i? A space in entry matches
 * any run of separators in s, or none. *end gets where the match ends. */
static bool entry_match_at(const char *s, size_t slen, size_t i, const char *entry, size_t *end)
{
	for (; *entry != '\0'; entry++) {
		if (*entry == ' ') {
			while (i < slen && is_separator(s[i]))
				i++;
			continue;
		}
		if (i >= slen || s[i] != *entry)
			return false;
		i++;
	}
	*end = i;
	return true;
}

static bool entry_contained(const char *s, size_t slen, const char *entry)
{
	size_t i, end;

	for (i = 0; i < slen; i++)
		if (entry_match_at(s, slen, i, entry, &end))
			return true;
	return false;
}

static bool entry_equal(const char *s, size_t slen, const char *entry)
{
	size_t end;

	return entry_match_at(s, slen, 0, entry, &end) && end == slen;
}

static void banned_free(struct banned *b)
{
	free(b->text);
	if (b->user != NULL) {
		sodium_memzero(b->user, b->user_size);
		free(b->user);
	}
}

/* Parse the embedded list into b (a private copy, split in place). */
static int banned_load(struct banned *b)
{
	enum banned_kind kind = BANNED_EQUAL;
	char *line, *next, *end;

	memset(b, 0, sizeof(*b));
	if ((b->text = strdup(mg_banned_passwords_text)) == NULL)
		return MG_ERR_NOMEM;
	for (line = b->text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\r' || end[-1] == '\t'))
			*--end = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (strcmp(line, "[refuse-if-contained]") == 0) {
			kind = BANNED_CONTAINED;
		} else if (strcmp(line, "[refuse-if-equal]") == 0) {
			kind = BANNED_EQUAL;
		} else if ((size_t)(end - line) <= BANNED_ENTRY_MAX && line[0] != '[') {
			/* The unit test keeps a list this long from shipping. */
			if (b->entries == BANNED_ENTRIES_MAX)
				return MG_ERR_LIMIT;
			b->kind[b->entries] = kind;
			b->dict[b->entries++] = line;
		}
	}
	b->words = b->entries;
	return 0;
}

/* Give zxcvbn the folded user name and its parts of four or more
 * characters ("anna.berg" gives "anna.berg", "anna", "berg"). */
static int banned_add_user(struct banned *b, const char *name, size_t len)
{
	size_t i, start, parts = 0;
	char *p;

	/* The name, then parts that are disjoint pieces of it: 2 * (len + 1). */
	if ((b->user = malloc(2 * len + 2)) == NULL)
		return MG_ERR_NOMEM;
	b->user_size = 2 * len + 2;
	p = b->user;
	memcpy(p, name, len);
	p[len] = '\0';
	b->dict[b->words++] = p;
	p += len + 1;
	for (i = 0; i <= len && parts < USER_NAME_PARTS_MAX; i = start + 1) {
		start = i;
		while (start < len && ((name[start] >= 'a' && name[start] <= 'z') ||
				       (name[start] >= '0' && name[start] <= '9')))
			start++;
		if (start - i >= USER_NAME_CONTAINED_MIN && start - i < len) {
			memcpy(p, name + i, start - i);
			p[start - i] = '\0';
			b->dict[b->words++] = p;
			p += start - i + 1;
			parts++;
		}
	}
	return 0;
}

/* The folded (ASCII lower case) copy of s, for comparisons. */
static char *fold_new(const char *s, size_t len)
{
	char *f;
	size_t i;

	if ((f = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		f[i] = ascii_lower(s[i]);
	f[len] = '\0';
	return f;
}

static void fold_free(char *f, size_t len)
{
	if (f != NULL) {
		sodium_memzero(f, len);
		free(f);
	}
}

static int check_words(const char *user_name, const char *password, size_t len,
		       char *why, size_t whylen)
{
	struct banned b;
	char *pw = NULL, *name = NULL;
	size_t i, name_len = 0;
	int r;

	if ((r = banned_load(&b)) != 0)
		goto out;
	if ((pw = fold_new(password, len)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	if (user_name != NULL && (name_len = strnlen(user_name, MG_NAME_MAX)) > 0) {
		if ((name = fold_new(user_name, name_len)) == NULL) {
			r = MG_ERR_NOMEM;
			goto out;
		}
		if ((r = banned_add_user(&b, name, name_len)) != 0)
			goto out;
		if (name_len >= USER_NAME_CONTAINED_MIN ? memmem(pw, len, name, name_len) != NULL
							: strcmp(pw, name) == 0) {
			r = refuse(why, whylen, "must not contain the user name");
			goto out;
		}
	}
	for (i = 0; i < b.entries; i++) {
		if (b.kind[i] == BANNED_CONTAINED && entry_contained(pw, len, b.dict[i])) {
			r = refuse(why, whylen, "must not contain \"%s\"", b.dict[i]);
			goto out;
		}
		if (b.kind[i] == BANNED_EQUAL && entry_equal(pw, len, b.dict[i])) {
			r = refuse(why, whylen, "too common or too easy to guess");
			goto out;
		}
	}
	/* zxcvbn wants the password as typed (capitals count), NUL-ended. */
	memcpy(pw, password, len);
	b.dict[b.words] = NULL;
	if (ZxcvbnMatch(pw, b.dict, NULL) < MG_PASSWORD_MIN_ENTROPY_BITS) {
		r = refuse(why, whylen, "too common or too easy to guess");
		goto out;
	}
	r = 0;
out:
	fold_free(pw, len);
	fold_free(name, name_len);
	banned_free(&b);
	return r;
}

int mg_password_check(const struct mg_password_policy *p, const char *user_name,
		      const char *password, size_t len, char *why, size_t whylen)
{
	struct text_stats st;
	unsigned classes;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	/* Four bytes a code point at most: a bound before reading it all. */
	if (len > (size_t)p->max_length * 4)
		return refuse(why, whylen, "at most %u characters", p->max_length);
	if (text_scan(password, len, &st) != 0)
		return refuse(why, whylen, "contains control characters or invalid UTF-8");
	if (st.code_points < p->min_length)
		return refuse(why, whylen, "at least %u characters", p->min_length);
	if (st.code_points > p->max_length)
		return refuse(why, whylen, "at most %u characters", p->max_length);
	classes = p->classes > 4 ? 4 : p->classes;
	if (bits_set(st.classes) < classes)
		return refuse(why, whylen,
			      "must mix at least %u of: lower case, upper case, digits, other",
			      classes);
	return check_words(user_name, password, len, why, whylen);
}
