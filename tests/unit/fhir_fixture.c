/* The src/fhir/ suites' shared fixture; see fhir_fixture.h. */
#include "fhir_fixture.h"

const struct mg_fhir_options options = {
	.patient_system = "urn:medgate:patient-id",
	.identifier_system = "urn:medgate:message-id",
};

void outbound_init(struct mg_outbound *o)
{
	memset(o, 0, sizeof(*o));
	(void)snprintf(o->message_id, sizeof(o->message_id), "MG0123456789abcdef-42");
	o->measurement_id = 42;
	(void)snprintf(o->patient_id, sizeof(o->patient_id), "P-0042");
	o->measured_ms = T_MEASURED;
	o->received_ms = T_RECEIVED;
	o->device_id = 7;
	(void)snprintf(o->device_name, sizeof(o->device_name), "Scale ward 3");
	(void)snprintf(o->device_eui64, sizeof(o->device_eui64), "001BC50C00000001");
	(void)snprintf(o->tenant_name, sizeof(o->tenant_name), "Ward 3");
}

void outbound_add(struct mg_outbound *o, const char *name, double value)
{
	const struct mg_quantity *q = mg_quantity_find(name);

	assert_non_null(q);
	assert_true(o->nvalues < MG_VALUES_MAX);
	o->values[o->nvalues].quantity = q;
	o->values[o->nvalues].value = value;
	o->nvalues++;
}

/* Write a sample Bundle for the integration test, if it asked for them. */
void sample_write(const char *name, const char *text, size_t len)
{
	const char *dir = getenv("MG_FHIR_SAMPLES_DIR");
	char path[1024];
	FILE *f;

	if (dir == NULL || dir[0] == '\0')
		return;
	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s.json", dir, name) < sizeof(path));
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Encode o, check the text is what jansson reads back, keep a sample. */
json_t *encode(const struct mg_outbound *o, const char *sample, char **text_out)
{
	char *text = NULL;
	size_t len = 0;
	json_error_t error;
	json_t *root;

	assert_int_equal(mg_fhir_bundle(o, &options, &text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL)
		fail_msg("not JSON: %s", error.text);
	if (sample != NULL)
		sample_write(sample, text, len);
	if (text_out != NULL)
		*text_out = text;
	else
		mg_fhir_free(text, len);
	return root;
}

json_t *entry_resource(json_t *bundle, size_t i)
{
	return json_object_get(json_array_get(json_object_get(bundle, "entry"), i), "resource");
}

const char *str_at(json_t *root, const char *path)
{
	char copy[256], *save = NULL;
	json_t *j = root;

	(void)snprintf(copy, sizeof(copy), "%s", path);
	for (char *part = strtok_r(copy, ".", &save); part != NULL; part = strtok_r(NULL, ".", &save))
		j = isdigit((unsigned char)part[0]) ? json_array_get(j, strtoul(part, NULL, 10))
						    : json_object_get(j, part);
	return json_string_value(j);
}
