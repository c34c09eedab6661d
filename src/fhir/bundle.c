/* A measurement as a FHIR R4 transaction Bundle: checks the input, builds
 * one entry per Observation (conditional create on its identifier) and
 * prints the tree. The same input gives the same bytes every time: the
 * fullUrls are name-based UUIDs and nothing depends on the clock. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "fhir/fhir_internal.h"
#include "model/quantity.h"

/* The dump keeps jansson's insertion order; 15 significant digits is what
 * a double holds of a decimal, so "72.4" stays "72.4". */

int fhir_eui64_text(const char *eui, char *out)
{
	size_t pos = 0;

	out[0] = '\0';
	if (eui[0] == '\0')
		return 0;
	if (strlen(eui) != 16)
		return MG_ERR_INVALID;
	for (size_t i = 0; i < 16; i++) {
		char c = eui[i];

		if (mg_hex_digit(c) < 0)
			return MG_ERR_INVALID;
		if (i > 0 && i % 2 == 0)
			out[pos++] = '-';
		out[pos++] = (c >= 'a' && c <= 'f') ? (char)(c - 'a' + 'A') : c;
	}
	out[pos] = '\0';
	return 0;
}

int mg_fhir_options_check(const struct mg_fhir_options *opt, char *err, size_t errlen)
{
	const char *bad = NULL;

	if (opt == NULL)
		bad = "options";
	else if (!fhir_system_ok(opt->patient_system))
		bad = "patient_system";
	else if (!fhir_system_ok(opt->identifier_system))
		bad = "identifier_system";
	if (bad == NULL)
		return 0;
	if (errlen > 0)
		(void)snprintf(err, errlen, "%s: an absolute URI (scheme:...) of at most %d "
			       "printable ASCII characters without space, '|' or '\\' required",
			       bad, MG_FHIR_SYSTEM_MAX);
	return MG_ERR_INVALID;
}

static int check_input(const struct mg_outbound *o, const struct mg_fhir_options *opt)
{
	if (mg_fhir_options_check(opt, NULL, 0) != 0)
		return MG_ERR_INVALID;
	if (memchr(o->message_id, '\0', sizeof(o->message_id)) == NULL ||
	    memchr(o->patient_id, '\0', sizeof(o->patient_id)) == NULL ||
	    memchr(o->device_name, '\0', sizeof(o->device_name)) == NULL ||
	    memchr(o->device_eui64, '\0', sizeof(o->device_eui64)) == NULL)
		return MG_ERR_INVALID;
	if (o->message_id[0] == '\0' || !fhir_text_ok(o->message_id) ||
	    o->patient_id[0] == '\0' || !fhir_text_ok(o->patient_id))
		return MG_ERR_INVALID;
	if (o->nvalues == 0 || o->nvalues > MG_VALUES_MAX)
		return MG_ERR_INVALID;
	for (size_t i = 0; i < o->nvalues; i++) {
		const struct mg_quantity *q = o->values[i].quantity;

		if (q == NULL || !isfinite(o->values[i].value))
			return MG_ERR_INVALID;
		for (size_t j = 0; j < i; j++)
			if (o->values[j].quantity == q)
				return MG_ERR_INVALID;	/* identifiers would clash */
	}
	return 0;
}

json_t *fhir_bundle_entry(const struct mg_fhir_options *opt, json_t *obs, bool withdrawn, int *r)
{
	json_t *ident = json_array_get(json_object_get(obs, "identifier"), 0);
	const char *value = json_string_value(json_object_get(ident, "value"));
	const char *rtype = json_string_value(json_object_get(obs, "resourceType"));
	const char *system = opt->identifier_system;
	char type[32]; /* a copy: json_pack may free obs before it reads the url */
	char urn[FHIR_UUID_URN_LEN], name[MG_FHIR_SYSTEM_MAX + 1 + 128];
	char *query;
	json_t *entry;

	*r = MG_ERR_NOMEM;
	if (value == NULL || rtype == NULL || strlen(rtype) >= sizeof(type)) {
		json_decref(obs);
		return NULL;
	}
	memcpy(type, rtype, strlen(rtype) + 1);
	(void)snprintf(name, sizeof(name), "%s|%s", system, value);
	if ((*r = fhir_uuid5_urn(name, urn, sizeof(urn))) != 0) {
		json_decref(obs);
		return NULL;
	}
	*r = MG_ERR_NOMEM;
	if ((query = fhir_identifier_query(system, value)) == NULL) {
		json_decref(obs);
		return NULL;
	}
	if (withdrawn) {
		/* A withdrawal: a conditional update of the same identifier
		 * (PUT Observation?identifier=...), which marks what the server
		 * has, or makes it marked if the posting never arrived. */
		size_t n = strlen(type) + 2 + strlen(query);
		char *url = malloc(n);

		if (url != NULL)
			(void)snprintf(url, n, "%s?%s", type, query);
		free(query);
		if (url == NULL) {
			json_decref(obs);
			return NULL;
		}
		entry = json_pack("{s:s, s:o, s:{s:s, s:s}}", "fullUrl", urn, "resource", obs,
				  "request", "method", "PUT", "url", url);
		free(url);
	} else {
		entry = json_pack("{s:s, s:o, s:{s:s, s:s, s:s}}", "fullUrl", urn, "resource",
				  obs, "request", "method", "POST", "url", type,
				  "ifNoneExist", query);
		free(query);
	}
	if (entry != NULL)
		*r = 0;
	return entry;
}

int fhir_bundle_add_entries(const struct fhir_ctx *c, json_t *entries)
{
	bool bp_done = false;
	int r;

	for (size_t i = 0; i < c->o->nvalues; i++) {
		const struct mg_value *v = &c->o->values[i];
		json_t *obs;

		if (fhir_is_bp(v->quantity)) {
			if (bp_done)
				continue;
			bp_done = true;
			obs = fhir_observation_bp(c);
		} else {
			obs = fhir_observation_single(c, v);
		}
		if (obs == NULL)
			return MG_ERR_NOMEM;
		if (json_array_append_new(entries, fhir_bundle_entry(c->opt, obs, c->o->withdrawn, &r)) != 0)
			return r != 0 ? r : MG_ERR_NOMEM;
	}
	return 0;
}

int fhir_ctx_init(struct fhir_ctx *c, const struct mg_outbound *o,
		  const struct mg_fhir_options *opt)
{
	int r;

	c->o = o;
	c->opt = opt;
	if ((r = check_input(o, opt)) != 0 || (r = fhir_eui64_text(o->device_eui64, c->eui64)) != 0)
		return r;
	if (mg_time_format(o->measured_ms, c->effective, sizeof(c->effective)) != 0)
		return MG_ERR_INVALID;
	c->issued[0] = '\0';
	if (o->received_ms > 0 && mg_time_format(o->received_ms, c->issued, sizeof(c->issued)) != 0)
		c->issued[0] = '\0';	/* optional: an odd clock is no reason to stop */
	/* The device name is only a label (the EUI-64 names the device): one
	 * that is no valid FHIR string is left out rather than stop delivery. */
	c->device_name = fhir_text_ok(o->device_name) ? o->device_name : "";
	return 0;
}

int mg_fhir_bundle(const struct mg_outbound *o, const struct mg_fhir_options *opt,
		   char **json_out, size_t *len_out)
{
	struct fhir_ctx c = { .o = o, .opt = opt };
	json_t *bundle = NULL, *entries;
	char *text = NULL;
	int r;

	*json_out = NULL;
	*len_out = 0;
	if ((r = fhir_ctx_init(&c, o, opt)) != 0)
		goto out;
	r = MG_ERR_NOMEM;
	bundle = json_pack("{s:s, s:{s:s, s:s}, s:s, s:[]}", "resourceType", "Bundle",
			   "identifier", "system", opt->identifier_system, "value", o->message_id,
			   "type", "transaction", "entry");
	if (bundle == NULL)
		goto out;
	entries = json_object_get(bundle, "entry");
	if ((r = fhir_bundle_add_entries(&c, entries)) != 0)
		goto out;
	r = MG_ERR_NOMEM;
	if ((text = json_dumps(bundle, FHIR_DUMP_FLAGS)) == NULL)
		goto out;
	*len_out = strlen(text);
	*json_out = text;
	r = 0;
out:
	json_decref(bundle);
	explicit_bzero(&c, sizeof(c));
	return r;
}

void mg_fhir_free(char *json, size_t len)
{
	json_malloc_t alloc;
	json_free_t release;

	if (json == NULL)
		return;
	explicit_bzero(json, len);
	json_get_alloc_funcs(&alloc, &release);
	release(json);
}
