#include "model/device_model.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

static const char model_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				  "0123456789._+-";
static const char firmware_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789._+-()";

bool mg_model_name_valid(const char *text)
{
	size_t n = strnlen(text, MG_MODEL_MAX + 1);

	return n > 0 && n <= MG_MODEL_MAX && strspn(text, model_chars) == n;
}

bool mg_firmware_version_valid(const char *text)
{
	size_t n = strnlen(text, MG_FIRMWARE_MAX + 1);

	return n > 0 && n <= MG_FIRMWARE_MAX && strspn(text, firmware_chars) == n;
}

/* One item of len bytes at p (trimmed) into rule. */
static int item_parse(const char *p, size_t len, struct mg_model_rule *rule, char *err,
		      size_t errlen)
{
	const char *colon = memchr(p, ':', len), *fw = colon ? colon + 1 : NULL;
	size_t nlen = colon ? (size_t)(colon - p) : len, flen = colon ? len - nlen - 1 : 0;

	memset(rule, 0, sizeof(*rule));
	/* "name : 1.0" reads as "name:1.0". */
	while (nlen > 0 && (p[nlen - 1] == ' ' || p[nlen - 1] == '\t'))
		nlen--;
	while (flen > 0 && (*fw == ' ' || *fw == '\t'))
		fw++, flen--;
	if (nlen == 0 || nlen > MG_MODEL_MAX || strspn(p, model_chars) < nlen) {
		snprintf(err, errlen,
			 "[devices] models: \"%.*s\" is not a model name (1 to %d of "
			 "A-Z a-z 0-9 . _ + -)",
			 (int)(len > 80 ? 80 : len), p, MG_MODEL_MAX);
		return MG_ERR_INVALID;
	}
	if (colon != NULL &&
	    (flen == 0 || flen > MG_FIRMWARE_MAX || strspn(fw, firmware_chars) < flen)) {
		snprintf(err, errlen,
			 "[devices] models: \"%.*s\": the minimum firmware after ':' "
			 "must be 1 to %d of A-Z a-z 0-9 . _ + - ( )",
			 (int)(len > 80 ? 80 : len), p, MG_FIRMWARE_MAX);
		return MG_ERR_INVALID;
	}
	memcpy(rule->name, p, nlen);
	if (colon != NULL)
		memcpy(rule->min_firmware, fw, flen);
	return 0;
}

int mg_model_list_parse(const char *text, struct mg_model_list *out, char *err, size_t errlen)
{
	const char *p = text;
	int r;

	memset(out, 0, sizeof(*out));
	if (strnlen(text, MG_MODELS_TEXT_MAX + 1) > MG_MODELS_TEXT_MAX) {
		snprintf(err, errlen, "[devices] models: longer than %d characters",
			 MG_MODELS_TEXT_MAX);
		return MG_ERR_LIMIT;
	}
	for (bool comma = false;; comma = true) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0) {
			if (end == NULL && !comma)
				break; /* an empty text: the empty list */
			snprintf(err, errlen,
				 "[devices] models: an empty item (a comma with no "
				 "model before or after it)");
			return MG_ERR_INVALID;
		}
		if (out->n == MG_MODELS_MAX) {
			snprintf(err, errlen, "[devices] models: more than %d models",
				 MG_MODELS_MAX);
			return MG_ERR_LIMIT;
		}
		if ((r = item_parse(p, len, &out->rules[out->n], err, errlen)) != 0)
			return r;
		if (mg_model_list_find(out, out->rules[out->n].name) != NULL) {
			snprintf(err, errlen, "[devices] models: %s is listed twice",
				 out->rules[out->n].name);
			return MG_ERR_INVALID;
		}
		out->n++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
}

const struct mg_model_rule *mg_model_list_find(const struct mg_model_list *l, const char *model)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->rules[i].name, model) == 0)
			return &l->rules[i];
	return NULL;
}

enum mg_firmware_flag mg_device_firmware_flag(const struct mg_model_list *l, const char *model,
					      const char *firmware)
{
	const struct mg_model_rule *rule = mg_model_list_find(l, model);

	if (rule != NULL && rule->min_firmware[0] != '\0' &&
	    (firmware[0] == '\0' || mg_firmware_compare(firmware, rule->min_firmware) < 0))
		return MG_FIRMWARE_BELOW_MINIMUM;
	return firmware[0] == '\0' ? MG_FIRMWARE_UNKNOWN : MG_FIRMWARE_OK;
}

const char *mg_firmware_flag_name(enum mg_firmware_flag f)
{
	return f == MG_FIRMWARE_BELOW_MINIMUM ? "below_minimum"
	       : f == MG_FIRMWARE_UNKNOWN     ? "unknown"
					      : NULL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int mg_firmware_compare(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		if (is_digit(*a) && is_digit(*b)) {
			size_t la, lb;

			while (*a == '0' && is_digit(a[1]))
				a++;
			while (*b == '0' && is_digit(b[1]))
				b++;
			for (la = 0; is_digit(a[la]); la++)
				;
			for (lb = 0; is_digit(b[lb]); lb++)
				;
			if (la != lb)
				return la < lb ? -1 : 1;
			for (size_t i = 0; i < la; i++)
				if (a[i] != b[i])
					return a[i] < b[i] ? -1 : 1;
			a += la;
			b += lb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a == *b ? 0 : *a == '\0' ? -1 : 1;
}
