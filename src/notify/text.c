/* Choosing and filling the e-mail texts (notify/text.h). */
#include "notify/text.h"

#include <string.h>

#include "common/err.h"

const struct mg_text_language mg_text_languages[] = {
	{ "en", mg_text_en },
	{ "de", mg_text_de },
};
const size_t mg_text_languages_count = sizeof(mg_text_languages) / sizeof(mg_text_languages[0]);

const char *mg_text(const char *code, enum mg_text_id id)
{
	if ((unsigned)id >= MG_TEXT_COUNT)
		return "";
	for (size_t i = 0; code != NULL && i < mg_text_languages_count; i++) {
		if (strcmp(mg_text_languages[i].code, code) == 0 &&
		    mg_text_languages[i].texts[id] != NULL)
			return mg_text_languages[i].texts[id];
	}
	return mg_text_en[id];
}

static const char *arg_value(const struct mg_text_arg *args, size_t nargs, const char *name,
			     size_t len)
{
	for (size_t i = 0; i < nargs; i++) {
		if (strlen(args[i].name) == len && memcmp(args[i].name, name, len) == 0)
			return args[i].value != NULL ? args[i].value : "";
	}
	return NULL;
}

int mg_text_fill(char *out, size_t size, const char *template, const struct mg_text_arg *args,
		 size_t nargs)
{
	size_t n = 0;
	const char *p = template;

	if (out == NULL || size == 0 || template == NULL)
		return MG_ERR_INVALID;
	out[0] = '\0';
	while (*p != '\0') {
		const char *piece = p, *value;
		size_t len = 1;

		if (*p == '{') {
			const char *end = strchr(p + 1, '}');

			if (end == NULL)
				return MG_ERR_INVALID;
			value = arg_value(args, nargs, p + 1, (size_t)(end - p - 1));
			if (value == NULL) {
				out[0] = '\0';
				return MG_ERR_INVALID;
			}
			piece = value;
			len = strlen(value);
			p = end + 1;
		} else {
			p++;
		}
		if (n + len >= size) {
			out[0] = '\0';
			return MG_ERR_LIMIT;
		}
		memcpy(out + n, piece, len);
		n += len;
		out[n] = '\0';
	}
	return 0;
}
