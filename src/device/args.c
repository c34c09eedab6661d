#include "device/args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"
#include "device/state.h"

int mg_device_parse_number(const char *text, double min, double max, double *out)
{
	char *end = NULL;
	double d;

	*out = 0;
	if (text == NULL || text[0] == '\0' || strlen(text) > 64)
		return MG_ERR_INVALID;
	/* strtod skips leading space and accepts hex, "inf" and "nan"; a
	 * measuring device's number is plain decimal. */
	if (strspn(text, "0123456789.-+eE") != strlen(text))
		return MG_ERR_INVALID;
	errno = 0;
	d = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !isfinite(d))
		return MG_ERR_INVALID;
	if (d < min || d > max)
		return MG_ERR_INVALID;
	*out = d;
	return 0;
}

int mg_device_parse_integer(const char *text, long long min, long long max,
			    long long *out)
{
	char *end = NULL;
	long long v;

	*out = 0;
	if (text == NULL || text[0] == '\0' || strlen(text) > 24)
		return MG_ERR_INVALID;
	if (strspn(text, "0123456789-+") != strlen(text))
		return MG_ERR_INVALID;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
		return MG_ERR_INVALID;
	*out = v;
	return 0;
}

static int is_printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

int mg_device_parse_value(const char *spec, struct mg_device_value *v, char *err,
			  size_t errlen)
{
	const char *eq, *colon;
	char number[65];
	size_t tlen, nlen, ulen;

	memset(v, 0, sizeof(*v));
	if (errlen > 0)
		err[0] = '\0';
	if ((eq = strchr(spec, '=')) == NULL ||
	    (colon = strchr(eq + 1, ':')) == NULL) {
		snprintf(err, errlen, "expected TYPE=NUMBER:UNIT");
		return MG_ERR_INVALID;
	}
	tlen = (size_t)(eq - spec);
	nlen = (size_t)(colon - eq - 1);
	ulen = strlen(colon + 1);
	if (tlen == 0 || tlen > MG_QUANTITY_NAME_MAX ||
	    strspn(spec, "abcdefghijklmnopqrstuvwxyz0123456789_") != tlen) {
		snprintf(err, errlen, "TYPE must be 1 to %d of a-z, 0-9 and _",
			 MG_QUANTITY_NAME_MAX);
		return MG_ERR_INVALID;
	}
	if (nlen == 0 || nlen >= sizeof(number)) {
		snprintf(err, errlen, "NUMBER missing or too long");
		return MG_ERR_INVALID;
	}
	memcpy(number, eq + 1, nlen);
	number[nlen] = '\0';
	if (mg_device_parse_number(number, -1e9, 1e9, &v->value) != 0) {
		snprintf(err, errlen, "NUMBER is not a decimal number in -1e9..1e9");
		memset(v, 0, sizeof(*v));
		return MG_ERR_INVALID;
	}
	if (ulen == 0 || ulen > MG_UNIT_MAX || !is_printable_ascii(colon + 1) ||
	    strchr(colon + 1, ' ') != NULL) {
		snprintf(err, errlen, "UNIT must be 1 to %d printable characters without spaces",
			 MG_UNIT_MAX);
		memset(v, 0, sizeof(*v));
		return MG_ERR_INVALID;
	}
	memcpy(v->type, spec, tlen);
	memcpy(v->unit, colon + 1, ulen + 1);
	return 0;
}

int mg_device_check_patient(const char *id)
{
	size_t len = strlen(id);
	size_t i;

	if (len == 0 || len > MG_PATIENT_ID_MAX)
		return MG_ERR_INVALID;
	/* The gateway judges which characters it takes; here only what could
	 * not travel in JSON or would garble a terminal is refused. */
	for (i = 0; i < len; i++)
		if ((unsigned char)id[i] < 0x20 || (unsigned char)id[i] == 0x7f)
			return MG_ERR_INVALID;
	/* Well-formed, as JSON text must be. */
	return mg_utf8_valid(id, len) ? 0 : MG_ERR_INVALID;
}

int mg_device_check_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > MG_NAME_MAX || !is_printable_ascii(name) ||
	    strchr(name, ':') != NULL)
		return MG_ERR_INVALID;
	return 0;
}

int mg_device_check_token(const char *token)
{
	size_t len = strlen(token);

	if (len == 0 || len > MG_TOKEN_TEXT_MAX || !is_printable_ascii(token) ||
	    strchr(token, ' ') != NULL)
		return MG_ERR_INVALID;
	return 0;
}

int mg_device_check_server_url(const char *url)
{
	static const char scheme[] = "https://";
	size_t len = strlen(url);

	if (len <= sizeof(scheme) - 1 || len > MG_DEVICE_URL_MAX)
		return MG_ERR_INVALID;
	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return MG_ERR_INVALID;
	if (!is_printable_ascii(url) || strpbrk(url, " ?#\\\"'<>") != NULL)
		return MG_ERR_INVALID;
	/* A host is needed: "https:///x" has none. */
	if (url[sizeof(scheme) - 1] == '/')
		return MG_ERR_INVALID;
	return 0;
}

int mg_device_copy_text(char *dst, size_t dstlen, const char *src)
{
	size_t len = strlen(src);

	if (dstlen == 0)
		return MG_ERR_LIMIT;
	if (len >= dstlen) {
		dst[0] = '\0';
		return MG_ERR_LIMIT;
	}
	memcpy(dst, src, len + 1);
	return 0;
}
