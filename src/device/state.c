#include "device/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "model/device_model.h"
#include "model/firmware_manifest.h"
#include "device/args.h"
#include "device/file.h"

#define CONFIG_FILE_MAX (16 * 1024)

int mg_device_prefix_valid(const char *prefix)
{
	return strlen(prefix) == MG_DEVICE_PREFIX_LEN &&
	       strspn(prefix, "0123456789abcdef") == MG_DEVICE_PREFIX_LEN;
}

int mg_device_state_path(const char *dir, const char *file, char *buf, size_t buflen)
{
	return mg_device_path_join(buf, buflen, dir, file);
}

static void trim(const char **start, const char **end)
{
	while (*start < *end && (**start == ' ' || **start == '\t'))
		(*start)++;
	while (*end > *start && ((*end)[-1] == ' ' || (*end)[-1] == '\t' || (*end)[-1] == '\r'))
		(*end)--;
}

/* Store one `key = value` pair into st; seen marks keys given already. */
static int config_set(struct mg_device_state *st, const char *key, const char *value,
		      unsigned *seen, char *err, size_t errlen)
{
	unsigned bit;
	int r;

	if (strcmp(key, "server") == 0) {
		bit = 1;
		r = mg_device_check_server_url(value);
		if (r == 0)
			r = mg_device_copy_text(st->server, sizeof(st->server), value);
	} else if (strcmp(key, "name") == 0) {
		bit = 2;
		r = mg_device_check_name(value);
		if (r == 0)
			r = mg_device_copy_text(st->name, sizeof(st->name), value);
	} else if (strcmp(key, "model") == 0) {
		bit = 8;
		r = mg_model_name_valid(value) ? 0 : MG_ERR_INVALID;
		if (r == 0)
			r = mg_device_copy_text(st->model, sizeof(st->model), value);
	} else if (strcmp(key, "firmware") == 0) {
		bit = 16;
		r = mg_firmware_version_valid(value) ? 0 : MG_ERR_INVALID;
		if (r == 0)
			r = mg_device_copy_text(st->firmware, sizeof(st->firmware), value);
	} else if (strcmp(key, "firmware_sequence") == 0) {
		bit = 32;
		r = mg_device_parse_integer(value, 0, MG_FIRMWARE_SEQUENCE_MAX,
					    &st->firmware_sequence);
	} else if (strcmp(key, "id_prefix") == 0) {
		bit = 4;
		r = mg_device_prefix_valid(value) ? 0 : MG_ERR_INVALID;
		if (r == 0)
			r = mg_device_copy_text(st->id_prefix, sizeof(st->id_prefix), value);
	} else {
		snprintf(err, errlen, "unknown key \"%.32s\"", key);
		return MG_ERR_INVALID;
	}
	if (*seen & bit) {
		snprintf(err, errlen, "key \"%s\" given twice", key);
		return MG_ERR_INVALID;
	}
	*seen |= bit;
	if (r != 0) {
		snprintf(err, errlen, "bad value for \"%s\"", key);
		return MG_ERR_INVALID;
	}
	return 0;
}

int mg_device_config_parse(const char *text, size_t len, struct mg_device_state *st,
			   char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *nl, *eq, *ks, *ke, *vs, *ve;
	char key[33], value[MG_CONFIG_LINE_MAX + 1];
	unsigned seen = 0, lineno = 0;
	int r;

	if (errlen > 0)
		err[0] = '\0';
	st->server[0] = st->name[0] = st->id_prefix[0] = st->model[0] = st->firmware[0] = '\0';
	st->firmware_sequence = 0;
	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((size_t)(nl - p) > MG_CONFIG_LINE_MAX || memchr(p, '\0', (size_t)(nl - p))) {
			snprintf(err, errlen, "line %u: too long or not text", lineno);
			return MG_ERR_INVALID;
		}
		ks = p;
		ve = nl;
		p = nl < end ? nl + 1 : end;
		trim(&ks, &ve);
		if (ks == ve || *ks == '#')
			continue;
		if ((eq = memchr(ks, '=', (size_t)(ve - ks))) == NULL) {
			snprintf(err, errlen, "line %u: expected key = value", lineno);
			return MG_ERR_INVALID;
		}
		ke = eq;
		vs = eq + 1;
		trim(&ks, &ke);
		trim(&vs, &ve);
		if (ke == ks || (size_t)(ke - ks) >= sizeof(key) ||
		    (size_t)(ve - vs) >= sizeof(value)) {
			snprintf(err, errlen, "line %u: bad key or value", lineno);
			return MG_ERR_INVALID;
		}
		memcpy(key, ks, (size_t)(ke - ks));
		key[ke - ks] = '\0';
		memcpy(value, vs, (size_t)(ve - vs));
		value[ve - vs] = '\0';
		if ((r = config_set(st, key, value, &seen, err, errlen)) != 0)
			return r;
	}
	if ((seen & 7) != 7) {
		snprintf(err, errlen, "missing %s", !(seen & 1) ? "server" :
			 !(seen & 2) ? "name" : "id_prefix");
		return MG_ERR_INVALID;
	}
	return 0;
}

int mg_device_config_format(const struct mg_device_state *st, char *buf, size_t buflen)
{
	int n, m = 0;

	n = snprintf(buf, buflen,
		     "# medgate-device state, written at enrolment\n"
		     "server = %s\n"
		     "name = %s\n"
		     "id_prefix = %s\n%s%s%s",
		     st->server, st->name, st->id_prefix, st->model[0] ? "model = " : "",
		     st->model, st->model[0] ? "\n" : "");
	if (n < 0 || (size_t)n >= buflen)
		return MG_ERR_LIMIT;
	if (st->firmware[0] != '\0')
		m = snprintf(buf + n, buflen - (size_t)n, "firmware = %s\n", st->firmware);
	if (m < 0 || (size_t)(n += m) >= buflen)
		return MG_ERR_LIMIT;
	m = 0;
	if (st->firmware_sequence > 0)
		m = snprintf(buf + n, buflen - (size_t)n, "firmware_sequence = %lld\n",
			     st->firmware_sequence);
	if (m < 0 || (size_t)(n + m) >= buflen)
		return MG_ERR_LIMIT;
	return 0;
}

int mg_device_state_load(const char *dir, struct mg_device_state *st, char *err,
			 size_t errlen)
{
	char path[MG_PATH_MAX];
	char *text = NULL;
	size_t len;
	int r;

	memset(st, 0, sizeof(*st));
	if (errlen > 0)
		err[0] = '\0';
	if ((r = mg_device_copy_text(st->dir, sizeof(st->dir), dir)) != 0 ||
	    (r = mg_device_state_path(dir, MG_DEVICE_CONFIG_FILE, path, sizeof(path))) != 0) {
		snprintf(err, errlen, "state folder path too long");
		goto out;
	}
	if ((r = mg_device_file_read(path, CONFIG_FILE_MAX, &text, &len)) != 0) {
		snprintf(err, errlen, "%s", r == MG_ERR_NOT_FOUND ?
			 "not enrolled (no configuration in the state folder)" :
			 "cannot read the configuration file");
		goto out;
	}
	r = mg_device_config_parse(text, len, st, err, errlen);
out:
	free(text);
	return r;
}

int mg_device_state_save(const struct mg_device_state *st)
{
	char buf[MG_DEVICE_URL_MAX + MG_NAME_MAX + MG_DEVICE_PREFIX_LEN + MG_MODEL_MAX +
		 MG_FIRMWARE_MAX + 320];
	int r;

	if ((r = mg_device_config_format(st, buf, sizeof(buf))) != 0)
		return r;
	return mg_device_file_write(st->dir, MG_DEVICE_CONFIG_FILE, buf, strlen(buf), 0600);
}
