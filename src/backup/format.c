/* Encoding and parsing of the backup header, manifest and trailer. */
#include "backup/format.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"

static const char signed_context[24] = "medgate backup v1 signed";

bool mg_backup_part_name_ok(const char *name)
{
	size_t len = strlen(name), components = 1;
	bool start = true;

	if (len == 0 || len > MG_BACKUP_PART_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (c == '/') {
			if (start || ++components > 2)
				return false;
			start = true;
			continue;
		}
		if (start && c == '.')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
		start = false;
	}
	return !start;
}

static int hex_field(json_t *o, const char *key, const unsigned char *bin, size_t len)
{
	char text[MG_HEX_TEXT_LEN(64)];

	if (mg_hex_encode(bin, len, MG_HEX_LOWER, text, sizeof(text)) != 0)
		return MG_ERR_LIMIT;
	return json_object_set_new(o, key, json_string(text)) == 0 ? 0 : MG_ERR_NOMEM;
}

int mg_backup_manifest_encode(const struct mg_backup_manifest *m, char **out, size_t *len)
{
	json_t *o = json_object(), *parts = json_array();
	int r = MG_ERR_NOMEM;

	*out = NULL;
	*len = 0;
	if (o == NULL || parts == NULL ||
	    json_object_set_new(o, "format", json_integer(m->format)) != 0 ||
	    json_object_set_new(o, "instance_id", json_string(m->instance_id)) != 0 ||
	    json_object_set_new(o, "schema_version", json_integer(m->schema_version)) != 0 ||
	    json_object_set_new(o, "seq", json_integer(m->seq)) != 0 ||
	    json_object_set_new(o, "created_ms", json_integer(m->created_ms)) != 0 ||
	    json_object_set_new(o, "storage", json_string(m->storage)) != 0 ||
	    hex_field(o, "signing_key", m->signing_key, sizeof(m->signing_key)) != 0 ||
	    hex_field(o, "recipient", m->recipient, sizeof(m->recipient)) != 0)
		goto out;
	for (size_t i = 0; i < m->nparts; i++) {
		json_t *p = json_object();

		if (p == NULL || json_array_append_new(parts, p) != 0 ||
		    json_object_set_new(p, "name", json_string(m->parts[i].name)) != 0 ||
		    json_object_set_new(p, "size", json_integer((json_int_t)m->parts[i].size)) != 0 ||
		    hex_field(p, "sha256", m->parts[i].sha256, MG_BACKUP_SHA256_BYTES) != 0)
			goto out;
	}
	if (json_object_set(o, "parts", parts) != 0)
		goto out;
	if ((*out = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	*len = strlen(*out);
	r = 0;
	if (*len > MG_BACKUP_MANIFEST_MAX) {
		free(*out);
		*out = NULL;
		*len = 0;
		r = MG_ERR_LIMIT;
	}
out:
	json_decref(parts);
	json_decref(o);
	return r;
}

static int hex_get(json_t *o, const char *key, unsigned char *bin, size_t len)
{
	const char *text = json_string_value(json_object_get(o, key));
	size_t n;

	if (text == NULL || strlen(text) != 2 * len ||
	    mg_hex_decode(text, 2 * len, bin, len, &n) != 0)
		return MG_ERR_INVALID;
	return 0;
}

static int int_get(json_t *o, const char *key, json_int_t min, json_int_t max, json_int_t *v)
{
	json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < min || json_integer_value(j) > max)
		return MG_ERR_INVALID;
	*v = json_integer_value(j);
	return 0;
}

static int part_parse(json_t *p, struct mg_backup_part *out, const char **why)
{
	const char *name = json_string_value(json_object_get(p, "name"));
	json_int_t size;

	if (!json_is_object(p) || name == NULL || !mg_backup_part_name_ok(name)) {
		*why = "a part without a valid name";
		return MG_ERR_INVALID;
	}
	snprintf(out->name, sizeof(out->name), "%s", name);
	if (int_get(p, "size", 0, (json_int_t)MG_BACKUP_PART_SIZE_MAX, &size) != 0 ||
	    hex_get(p, "sha256", out->sha256, MG_BACKUP_SHA256_BYTES) != 0) {
		*why = "a part without a valid size or sha256";
		return MG_ERR_INVALID;
	}
	out->size = (uint64_t)size;
	return 0;
}

static int manifest_fields(json_t *o, struct mg_backup_manifest *out, const char **why)
{
	const char *id = json_string_value(json_object_get(o, "instance_id"));
	const char *storage = json_string_value(json_object_get(o, "storage"));
	json_t *parts = json_object_get(o, "parts");
	json_int_t v;
	size_t i;

	if (int_get(o, "format", MG_BACKUP_FORMAT, MG_BACKUP_FORMAT, &v) != 0)
		return *why = "an unknown format", MG_ERR_INVALID;
	out->format = (unsigned)v;
	if (id == NULL || strlen(id) != MG_BACKUP_INSTANCE_ID_LEN ||
	    strspn(id, "0123456789abcdef") != MG_BACKUP_INSTANCE_ID_LEN)
		return *why = "no valid instance_id", MG_ERR_INVALID;
	memcpy(out->instance_id, id, MG_BACKUP_INSTANCE_ID_LEN + 1);
	if (int_get(o, "schema_version", 1, 1000000, &v) != 0)
		return *why = "no valid schema_version", MG_ERR_INVALID;
	out->schema_version = (int)v;
	if (int_get(o, "seq", 0, INT64_MAX, &v) != 0)
		return *why = "no valid seq", MG_ERR_INVALID;
	out->seq = v;
	if (int_get(o, "created_ms", 0, INT64_MAX, &v) != 0)
		return *why = "no valid created_ms", MG_ERR_INVALID;
	out->created_ms = v;
	if (storage == NULL || (strcmp(storage, "sqlite") != 0 && strcmp(storage, "postgresql") != 0))
		return *why = "no valid storage", MG_ERR_INVALID;
	snprintf(out->storage, sizeof(out->storage), "%s", storage);
	if (hex_get(o, "signing_key", out->signing_key, sizeof(out->signing_key)) != 0 ||
	    hex_get(o, "recipient", out->recipient, sizeof(out->recipient)) != 0)
		return *why = "no valid signing_key or recipient", MG_ERR_INVALID;
	if (!json_is_array(parts) || json_array_size(parts) == 0 ||
	    json_array_size(parts) > MG_BACKUP_PARTS_MAX)
		return *why = "no parts, or too many", MG_ERR_INVALID;
	out->nparts = json_array_size(parts);
	for (i = 0; i < out->nparts; i++) {
		if (part_parse(json_array_get(parts, i), &out->parts[i], why) != 0)
			return MG_ERR_INVALID;
		for (size_t j = 0; j < i; j++)
			if (strcmp(out->parts[j].name, out->parts[i].name) == 0)
				return *why = "a part named twice", MG_ERR_INVALID;
	}
	return 0;
}

int mg_backup_manifest_parse(const char *text, size_t len, struct mg_backup_manifest *out,
			     char *err, size_t errlen)
{
	const char *why = "not a JSON object";
	json_t *o;
	int r = MG_ERR_INVALID;

	memset(out, 0, sizeof(*out));
	if (len <= MG_BACKUP_MANIFEST_MAX &&
	    (o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)) != NULL) {
		if (json_is_object(o))
			r = manifest_fields(o, out, &why);
		json_decref(o);
	}
	if (r != 0) {
		snprintf(err, errlen, "manifest: %s", why);
		memset(out, 0, sizeof(*out));
	}
	return r;
}

static void be_put(unsigned char *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
}

static uint64_t be_get(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

void mg_backup_prefix_encode(size_t manifest_len, unsigned char out[MG_BACKUP_PREFIX_BYTES])
{
	memcpy(out, MG_BACKUP_MAGIC, MG_BACKUP_MAGIC_LEN);
	be_put(out + 8, MG_BACKUP_FORMAT, 2);
	be_put(out + 10, manifest_len, 4);
}

int mg_backup_prefix_parse(const unsigned char *buf, size_t len, size_t *manifest_len,
			   char *err, size_t errlen)
{
	uint64_t version, n;

	*manifest_len = 0;
	if (len < MG_BACKUP_PREFIX_BYTES || memcmp(buf, MG_BACKUP_MAGIC, MG_BACKUP_MAGIC_LEN) != 0) {
		snprintf(err, errlen, "not a medgate backup (no MGBACKUP header)");
		return MG_ERR_INVALID;
	}
	if ((version = be_get(buf + 8, 2)) != MG_BACKUP_FORMAT) {
		snprintf(err, errlen, "backup format %u, this medgatectl reads format %d",
			 (unsigned)version, MG_BACKUP_FORMAT);
		return MG_ERR_INVALID;
	}
	if ((n = be_get(buf + 10, 4)) == 0 || n > MG_BACKUP_MANIFEST_MAX) {
		snprintf(err, errlen, "manifest length %llu out of bounds", (unsigned long long)n);
		return MG_ERR_INVALID;
	}
	*manifest_len = (size_t)n;
	return 0;
}

void mg_backup_trailer_encode(uint64_t payload_len, const unsigned char *sig,
			      unsigned char out[MG_BACKUP_TRAILER_BYTES])
{
	memcpy(out, MG_BACKUP_TRAILER_MAGIC, 8);
	be_put(out + 8, payload_len, 8);
	memcpy(out + 16, sig, MG_BACKUP_SIGNATURE_BYTES);
}

int mg_backup_trailer_parse(const unsigned char in[MG_BACKUP_TRAILER_BYTES],
			    uint64_t *payload_len, unsigned char *sig)
{
	if (memcmp(in, MG_BACKUP_TRAILER_MAGIC, 8) != 0)
		return MG_ERR_INVALID;
	*payload_len = be_get(in + 8, 8);
	memcpy(sig, in + 16, MG_BACKUP_SIGNATURE_BYTES);
	return 0;
}

void mg_backup_signed_message(const unsigned char digest[MG_BACKUP_SHA256_BYTES],
			      unsigned char out[MG_BACKUP_SIGNED_BYTES])
{
	memcpy(out, signed_context, sizeof(signed_context));
	memcpy(out + sizeof(signed_context), digest, MG_BACKUP_SHA256_BYTES);
}
