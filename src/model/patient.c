/* Patient identity: the record's rules, its JSON form (sealed by the
 * caller) and the normalised search tokens. */
#include "model/patient.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/limits.h"
#include "common/timefmt.h"
#include "common/utf8.h"

/* The oldest birth date accepted: nobody alive was born earlier. */
#define BIRTH_DATE_MIN "1880-01-01"

static const char *const sex_names[] = {
    [MG_ADMIN_SEX_UNKNOWN] = "unknown",
    [MG_ADMIN_SEX_FEMALE] = "female",
    [MG_ADMIN_SEX_MALE] = "male",
    [MG_ADMIN_SEX_OTHER] = "other",
};

const char *mg_admin_sex_name(enum mg_admin_sex sex)
{
	return (unsigned)sex < sizeof(sex_names) / sizeof(sex_names[0]) ? sex_names[sex]
									: "unknown";
}

int mg_admin_sex_parse(const char *text, enum mg_admin_sex *out)
{
	for (size_t i = 0; i < sizeof(sex_names) / sizeof(sex_names[0]); i++) {
		if (text != NULL && strcmp(text, sex_names[i]) == 0) {
			*out = (enum mg_admin_sex)i;
			return 0;
		}
	}
	return MG_ERR_INVALID;
}

enum mg_sex mg_admin_sex_growth(enum mg_admin_sex sex)
{
	return sex == MG_ADMIN_SEX_FEMALE ? MG_SEX_FEMALE
	       : sex == MG_ADMIN_SEX_MALE ? MG_SEX_MALE
					  : MG_SEX_UNKNOWN;
}

static int say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return MG_ERR_INVALID;
}

/* Well-formed UTF-8 of at most max bytes, no control characters. */
static bool text_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max || !mg_utf8_valid(s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	}
	return true;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), for any year, so birth dates before 1970 work. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int mg_birth_date_ms(const char *date, int64_t *ms_out)
{
	static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, m, d;

	*ms_out = MG_TIME_UNKNOWN;
	if (date[0] == '\0')
		return 0;
	if (strlen(date) != MG_BIRTH_DATE_LEN || !digits(date, 4) || date[4] != '-' ||
	    !digits(date + 5, 2) || date[7] != '-' || !digits(date + 8, 2))
		return MG_ERR_INVALID;
	y = (unsigned)((date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 +
		       (date[3] - '0'));
	m = (unsigned)((date[5] - '0') * 10 + (date[6] - '0'));
	d = (unsigned)((date[8] - '0') * 10 + (date[9] - '0'));
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
	    (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return MG_ERR_INVALID;
	*ms_out = days_from_civil(y, m, d) * 86400000LL;
	return 0;
}

int mg_date_normalise(const char *text, char out[MG_BIRTH_DATE_LEN + 1])
{
	size_t n = strnlen(text, MG_BIRTH_DATE_LEN + 1);
	int64_t ms;

	out[0] = '\0';
	if (n != MG_BIRTH_DATE_LEN)
		return MG_ERR_INVALID;
	if (digits(text, 4) && text[4] == '-' && digits(text + 5, 2) && text[7] == '-' &&
	    digits(text + 8, 2))
		memcpy(out, text, MG_BIRTH_DATE_LEN + 1);
	else if (digits(text, 2) && text[2] == '.' && digits(text + 3, 2) && text[5] == '.' &&
		 digits(text + 6, 4))
		snprintf(out, MG_BIRTH_DATE_LEN + 1, "%.4s-%.2s-%.2s", text + 6, text + 3, text);
	else
		return MG_ERR_INVALID;
	/* A real calendar date (no 02-30). */
	if (mg_birth_date_ms(out, &ms) != 0) {
		out[0] = '\0';
		return MG_ERR_INVALID;
	}
	return 0;
}

int mg_patient_identity_check(const struct mg_patient_identity *p, int64_t now_ms, char *err,
			      size_t errlen)
{
	char norm[MG_BIRTH_DATE_LEN + 1];
	int64_t birth, min;

	if (!text_ok(p->family, MG_PATIENT_NAME_MAX))
		return say(err, errlen,
			   "family_name: at most %d bytes of text without control "
			   "characters",
			   MG_PATIENT_NAME_MAX);
	if (p->family[0] == '\0')
		return say(err, errlen, "family_name: required");
	if (!text_ok(p->given, MG_PATIENT_NAME_MAX))
		return say(err, errlen,
			   "given_name: at most %d bytes of text without control "
			   "characters",
			   MG_PATIENT_NAME_MAX);
	if (!text_ok(p->case_number, MG_PATIENT_CASE_MAX))
		return say(err, errlen, "case_number: at most %d bytes of text",
			   MG_PATIENT_CASE_MAX);
	if (!text_ok(p->ward, MG_PATIENT_WARD_MAX))
		return say(err, errlen, "ward: at most %d bytes of text", MG_PATIENT_WARD_MAX);
	if ((unsigned)p->sex > MG_ADMIN_SEX_OTHER)
		return say(err, errlen, "sex: one of female, male, other, unknown");
	if (p->birth_date[0] == '\0')
		return 0;
	if (mg_date_normalise(p->birth_date, norm) != 0 || strcmp(norm, p->birth_date) != 0)
		return say(err, errlen, "birth_date: a date YYYY-MM-DD");
	mg_birth_date_ms(BIRTH_DATE_MIN, &min);
	mg_birth_date_ms(p->birth_date, &birth);
	if (birth < min || birth > now_ms)
		return say(err, errlen, "birth_date: not between %s and today", BIRTH_DATE_MIN);
	return 0;
}

int mg_patient_identity_encode(const struct mg_patient_identity *p, char *buf, size_t size,
			       size_t *len)
{
	json_t *o;
	size_t n;

	*len = 0;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "family", p->family, "given", p->given,
		      "birth_date", p->birth_date, "sex", mg_admin_sex_name(p->sex), "case",
		      p->case_number, "ward", p->ward);
	if (o == NULL)
		return MG_ERR_NOMEM;
	n = json_dumpb(o, buf, size, JSON_COMPACT);
	json_decref(o);
	if (n == 0)
		return MG_ERR_NOMEM;
	if (n > size || n > MG_PATIENT_RECORD_MAX)
		return MG_ERR_LIMIT;
	*len = n;
	return 0;
}

static int copy_member(json_t *o, const char *key, char *out, size_t size)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	if (!json_is_string(v) || json_string_length(v) >= size)
		return MG_ERR_INVALID;
	s = json_string_value(v);
	memcpy(out, s, json_string_length(v) + 1);
	return 0;
}

int mg_patient_identity_parse(const char *buf, size_t len, struct mg_patient_identity *out)
{
	char sex[16];
	json_t *o;
	int r;

	memset(out, 0, sizeof(*out));
	if (len > MG_PATIENT_RECORD_MAX || (o = json_loadb(buf, len, 0, NULL)) == NULL)
		return MG_ERR_INVALID;
	r = copy_member(o, "family", out->family, sizeof(out->family));
	if (r == 0)
		r = copy_member(o, "given", out->given, sizeof(out->given));
	if (r == 0)
		r = copy_member(o, "birth_date", out->birth_date, sizeof(out->birth_date));
	if (r == 0)
		r = copy_member(o, "case", out->case_number, sizeof(out->case_number));
	if (r == 0)
		r = copy_member(o, "ward", out->ward, sizeof(out->ward));
	if (r == 0 && (r = copy_member(o, "sex", sex, sizeof(sex))) == 0)
		r = mg_admin_sex_parse(sex, &out->sex);
	json_decref(o);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* ---- search tokens -------------------------------------------------- */

/* The base letters of U+00C0..U+00FF (Latin-1 letters), lower case; "" for
 * the two signs there (multiplication, division). */
static const char *const latin1_fold[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",
};

/* Append the folded form of one code point to tok; false if it ends the
 * token (not a letter or digit). Letters outside Latin-1 are kept as
 * they are (their UTF-8 bytes). */
static bool fold_append(uint32_t cp, const unsigned char *raw, size_t rawlen, char *tok, size_t *n)
{
	const char *add;
	char one[2] = {0, 0};
	size_t alen;

	if (cp < 0x80) {
		if (cp >= 'A' && cp <= 'Z')
			cp += 'a' - 'A';
		if (!((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')))
			return false;
		one[0] = (char)cp;
		add = one;
	} else if (cp >= 0xC0 && cp <= 0xFF) {
		add = latin1_fold[cp - 0xC0];
		if (add[0] == '\0')
			return false;
	} else if (cp < 0xC0) {
		return false; /* Latin-1 punctuation and symbols */
	} else {
		add = (const char *)raw;
	}
	alen = add == (const char *)raw ? rawlen : strlen(add);
	if (*n + alen <= MG_PATIENT_TOKEN_MAX) {
		memcpy(tok + *n, add, alen);
		*n += alen;
	}
	return true;
}

/* German spellings without umlauts: "ae", "oe", "ue" become "a", "o",
 * "u", so "Mueller" and "Müller" give the same token. */
static void fold_umlaut_spellings(char *tok)
{
	size_t w = 0;

	for (size_t r = 0; tok[r] != '\0'; r++) {
		tok[w++] = tok[r];
		if (tok[r + 1] == 'e' && (tok[r] == 'a' || tok[r] == 'o' || tok[r] == 'u'))
			r++;
	}
	tok[w] = '\0';
}

static size_t token_add(char (*tokens)[MG_PATIENT_TOKEN_MAX + 1], size_t count, size_t max,
			char *tok)
{
	fold_umlaut_spellings(tok);
	if (strlen(tok) < 2 || count == max)
		return count;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(tokens[i], tok) == 0)
			return count;
	}
	memcpy(tokens[count], tok, strlen(tok) + 1);
	return count + 1;
}

size_t mg_name_tokens(const char *text, char (*tokens)[MG_PATIENT_TOKEN_MAX + 1], size_t max)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), count = 0, n = 0;
	char tok[MG_PATIENT_TOKEN_MAX + 1];

	for (size_t i = 0; i <= len;) {
		uint32_t cp = 0;
		size_t step = i < len ? mg_utf8_decode(s + i, len - i, &cp) : 1;

		if (step == 0) {
			step = 1; /* not UTF-8: a separator */
			cp = 0;
		}
		if (i == len || !fold_append(cp, s + i, step, tok, &n)) {
			tok[n] = '\0';
			if (n > 0)
				count = token_add(tokens, count, max, tok);
			n = 0;
		}
		i += step;
	}
	return count;
}
