/* FHIR R4 encoding and the answer judge, as tables of inputs and expected
 * outcomes: a golden Bundle, every quantity of the table, the blood-pressure
 * panel, text escaping, refused input, allocation failures, and the verdict
 * for each kind of server answer.
 *
 * With MG_FHIR_SAMPLES_DIR set, the Bundles made here are also written to
 * that folder, one file each, for tests/integration/test_fhir_validate.sh
 * to check with independent FHIR validators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/json.h"
#include "fhir/fhir.h"
#include "fhir/fhir_internal.h"
#include "model/quantity.h"

#define T_MEASURED INT64_C(1795341600123)	/* 2026-11-22T10:00:00.123Z */
#define T_RECEIVED INT64_C(1795341602000)	/* 2026-11-22T10:00:02.000Z */
#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

static const struct mg_fhir_options options = {
	.patient_system = "urn:medgate:patient-id",
	.identifier_system = "urn:medgate:message-id",
};

static void outbound_init(struct mg_outbound *o)
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

static void outbound_add(struct mg_outbound *o, const char *name, double value)
{
	const struct mg_quantity *q = mg_quantity_find(name);

	assert_non_null(q);
	assert_true(o->nvalues < MG_VALUES_MAX);
	o->values[o->nvalues].quantity = q;
	o->values[o->nvalues].value = value;
	o->nvalues++;
}

/* Write a sample Bundle for the integration test, if it asked for them. */
static void sample_write(const char *name, const char *text, size_t len)
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
static json_t *encode(const struct mg_outbound *o, const char *sample, char **text_out)
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

static json_t *entry_resource(json_t *bundle, size_t i)
{
	return json_object_get(json_array_get(json_object_get(bundle, "entry"), i), "resource");
}

static const char *str_at(json_t *root, const char *path)
{
	char copy[256], *save = NULL;
	json_t *j = root;

	(void)snprintf(copy, sizeof(copy), "%s", path);
	for (char *part = strtok_r(copy, ".", &save); part != NULL; part = strtok_r(NULL, ".", &save))
		j = isdigit((unsigned char)part[0]) ? json_array_get(j, strtoul(part, NULL, 10))
						    : json_object_get(j, part);
	return json_string_value(j);
}

/* 1. One fixed measurement gives exactly this Bundle (order, types and
 * number forms included): body weight, and blood pressure as one panel. */
static const char golden[] =
	"{\n"
	"  \"resourceType\": \"Bundle\",\n"
	"  \"identifier\": {\n"
	"    \"system\": \"urn:medgate:message-id\",\n"
	"    \"value\": \"MG0123456789abcdef-42\"\n"
	"  },\n"
	"  \"type\": \"transaction\",\n"
	"  \"entry\": [\n"
	"    {\n"
	"      \"fullUrl\": \"urn:uuid:e3ed84d9-8df7-5eec-908f-40c8bea7aec3\",\n"
	"      \"resource\": {\n"
	"        \"resourceType\": \"Observation\",\n"
	"        \"meta\": {\"profile\": [\"http://hl7.org/fhir/StructureDefinition/bodyweight\"]},\n"
	"        \"identifier\": [\n"
	"          {\n"
	"            \"system\": \"urn:medgate:message-id\",\n"
	"            \"value\": \"MG0123456789abcdef-42-body_weight\"\n"
	"          }\n"
	"        ],\n"
	"        \"status\": \"final\",\n"
	"        \"category\": [\n"
	"          {\n"
	"            \"coding\": [\n"
	"              {\n"
	"                \"system\": \"http://terminology.hl7.org/CodeSystem/observation-category\",\n"
	"                \"code\": \"vital-signs\",\n"
	"                \"display\": \"Vital Signs\"\n"
	"              }\n"
	"            ],\n"
	"            \"text\": \"Vital Signs\"\n"
	"          }\n"
	"        ],\n"
	"        \"code\": {\n"
	"          \"coding\": [\n"
	"            {\n"
	"              \"system\": \"http://loinc.org\",\n"
	"              \"code\": \"29463-7\",\n"
	"              \"display\": \"Body weight\"\n"
	"            },\n"
	"            {\n"
	"              \"system\": \"urn:iso:std:iso:11073:10101\",\n"
	"              \"code\": \"188736\",\n"
	"              \"display\": \"MDC_MASS_BODY_ACTUAL\"\n"
	"            }\n"
	"          ],\n"
	"          \"text\": \"Body weight\"\n"
	"        },\n"
	"        \"subject\": {\n"
	"          \"type\": \"Patient\",\n"
	"          \"identifier\": {\"system\": \"urn:medgate:patient-id\", \"value\": \"P-0042\"}\n"
	"        },\n"
	"        \"effectiveDateTime\": \"2026-11-22T10:00:00.123Z\",\n"
	"        \"issued\": \"2026-11-22T10:00:02.000Z\",\n"
	"        \"valueQuantity\": {\n"
	"          \"value\": 72.4,\n"
	"          \"unit\": \"kg\",\n"
	"          \"system\": \"http://unitsofmeasure.org\",\n"
	"          \"code\": \"kg\"\n"
	"        },\n"
	"        \"device\": {\n"
	"          \"type\": \"Device\",\n"
	"          \"identifier\": {\n"
	"            \"type\": {\n"
	"              \"coding\": [\n"
	"                {\n"
	"                  \"system\": \"http://terminology.hl7.org/CodeSystem/ContinuaDeviceIdentifiers\",\n"
	"                  \"code\": \"SYSID\"\n"
	"                }\n"
	"              ]\n"
	"            },\n"
	"            \"system\": \"urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680\",\n"
	"            \"value\": \"00-1B-C5-0C-00-00-00-01\"\n"
	"          },\n"
	"          \"display\": \"Scale ward 3\"\n"
	"        }\n"
	"      },\n"
	"      \"request\": {\n"
	"        \"method\": \"POST\",\n"
	"        \"url\": \"Observation\",\n"
	"        \"ifNoneExist\": \"identifier=urn:medgate:message-id|MG0123456789abcdef-42-body_weight\"\n"
	"      }\n"
	"    },\n"
	"    {\n"
	"      \"fullUrl\": \"urn:uuid:d02209ff-98c6-5f32-8ef2-4fc5b231f6ee\",\n"
	"      \"resource\": {\n"
	"        \"resourceType\": \"Observation\",\n"
	"        \"meta\": {\"profile\": [\"http://hl7.org/fhir/StructureDefinition/bp\"]},\n"
	"        \"identifier\": [\n"
	"          {\n"
	"            \"system\": \"urn:medgate:message-id\",\n"
	"            \"value\": \"MG0123456789abcdef-42-blood_pressure\"\n"
	"          }\n"
	"        ],\n"
	"        \"status\": \"final\",\n"
	"        \"category\": [\n"
	"          {\n"
	"            \"coding\": [\n"
	"              {\n"
	"                \"system\": \"http://terminology.hl7.org/CodeSystem/observation-category\",\n"
	"                \"code\": \"vital-signs\",\n"
	"                \"display\": \"Vital Signs\"\n"
	"              }\n"
	"            ],\n"
	"            \"text\": \"Vital Signs\"\n"
	"          }\n"
	"        ],\n"
	"        \"code\": {\n"
	"          \"coding\": [\n"
	"            {\n"
	"              \"system\": \"http://loinc.org\",\n"
	"              \"code\": \"85354-9\",\n"
	"              \"display\": \"Blood pressure panel with all children optional\"\n"
	"            },\n"
	"            {\n"
	"              \"system\": \"urn:iso:std:iso:11073:10101\",\n"
	"              \"code\": \"150020\",\n"
	"              \"display\": \"MDC_PRESS_BLD_NONINV\"\n"
	"            }\n"
	"          ],\n"
	"          \"text\": \"Blood pressure\"\n"
	"        },\n"
	"        \"subject\": {\n"
	"          \"type\": \"Patient\",\n"
	"          \"identifier\": {\"system\": \"urn:medgate:patient-id\", \"value\": \"P-0042\"}\n"
	"        },\n"
	"        \"effectiveDateTime\": \"2026-11-22T10:00:00.123Z\",\n"
	"        \"issued\": \"2026-11-22T10:00:02.000Z\",\n"
	"        \"device\": {\n"
	"          \"type\": \"Device\",\n"
	"          \"identifier\": {\n"
	"            \"type\": {\n"
	"              \"coding\": [\n"
	"                {\n"
	"                  \"system\": \"http://terminology.hl7.org/CodeSystem/ContinuaDeviceIdentifiers\",\n"
	"                  \"code\": \"SYSID\"\n"
	"                }\n"
	"              ]\n"
	"            },\n"
	"            \"system\": \"urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680\",\n"
	"            \"value\": \"00-1B-C5-0C-00-00-00-01\"\n"
	"          },\n"
	"          \"display\": \"Scale ward 3\"\n"
	"        },\n"
	"        \"component\": [\n"
	"          {\n"
	"            \"code\": {\n"
	"              \"coding\": [\n"
	"                {\n"
	"                  \"system\": \"http://loinc.org\",\n"
	"                  \"code\": \"8480-6\",\n"
	"                  \"display\": \"Systolic blood pressure\"\n"
	"                },\n"
	"                {\n"
	"                  \"system\": \"urn:iso:std:iso:11073:10101\",\n"
	"                  \"code\": \"150021\",\n"
	"                  \"display\": \"MDC_PRESS_BLD_NONINV_SYS\"\n"
	"                }\n"
	"              ],\n"
	"              \"text\": \"Systolic blood pressure\"\n"
	"            },\n"
	"            \"valueQuantity\": {\n"
	"              \"value\": 120,\n"
	"              \"unit\": \"mmHg\",\n"
	"              \"system\": \"http://unitsofmeasure.org\",\n"
	"              \"code\": \"mm[Hg]\"\n"
	"            }\n"
	"          },\n"
	"          {\n"
	"            \"code\": {\n"
	"              \"coding\": [\n"
	"                {\n"
	"                  \"system\": \"http://loinc.org\",\n"
	"                  \"code\": \"8462-4\",\n"
	"                  \"display\": \"Diastolic blood pressure\"\n"
	"                },\n"
	"                {\n"
	"                  \"system\": \"urn:iso:std:iso:11073:10101\",\n"
	"                  \"code\": \"150022\",\n"
	"                  \"display\": \"MDC_PRESS_BLD_NONINV_DIA\"\n"
	"                }\n"
	"              ],\n"
	"              \"text\": \"Diastolic blood pressure\"\n"
	"            },\n"
	"            \"valueQuantity\": {\n"
	"              \"value\": 80,\n"
	"              \"unit\": \"mmHg\",\n"
	"              \"system\": \"http://unitsofmeasure.org\",\n"
	"              \"code\": \"mm[Hg]\"\n"
	"            }\n"
	"          }\n"
	"        ]\n"
	"      },\n"
	"      \"request\": {\n"
	"        \"method\": \"POST\",\n"
	"        \"url\": \"Observation\",\n"
	"        \"ifNoneExist\": \"identifier=urn:medgate:message-id|MG0123456789abcdef-42-blood_pressure\"\n"
	"      }\n"
	"    }\n"
	"  ]\n"
	"}\n";

static void test_golden(void **state)
{
	struct mg_outbound o;
	char *text, *again, *want;
	size_t len;
	json_t *expected, *got;

	(void)state;
	outbound_init(&o);
	outbound_add(&o, "body_weight", 72.4);
	outbound_add(&o, "bp_systolic", 120);
	outbound_add(&o, "bp_diastolic", 80);
	got = encode(&o, "golden", &text);
	assert_non_null(expected = json_loads(golden, 0, NULL));
	assert_non_null(want = json_dumps(expected, DUMP_FLAGS));
	assert_string_equal(text, want);
	assert_true(json_equal(expected, got));
	/* The same input, the same bytes: a resend is the same message. */
	assert_int_equal(mg_fhir_bundle(&o, &options, &again, &len), 0);
	assert_string_equal(text, again);
	mg_fhir_free(again, len);
	mg_fhir_free(text, strlen(text));
	free(want);
	json_decref(expected);
	json_decref(got);
}

/* 2. Every quantity of the table, alone: its profile (a specific R4 vital-
 * signs profile where one exists), its codes and unit. A quantity added to
 * the table fails here until its profile is decided. */
struct quantity_case {
	const char *name;
	const char *profile;	/* after .../StructureDefinition/ */
	const char *unit;	/* Quantity.unit */
};

static const struct quantity_case quantity_cases[] = {
	{ "body_weight", "bodyweight", "kg" },
	{ "body_height", "bodyheight", "cm" },
	{ "bmi", "bmi", "kg/m2" },
	{ "body_fat", "vitalsigns", "%" },
	{ "body_water", "vitalsigns", "kg" },
	{ "bp_systolic", "bp", "mmHg" },
	{ "bp_diastolic", "bp", "mmHg" },
	{ "bp_mean", "bp", "mmHg" },
	{ "pulse_rate", "heartrate", "/min" },
};

static const struct quantity_case *quantity_case_of(const char *name)
{
	for (size_t i = 0; i < sizeof(quantity_cases) / sizeof(quantity_cases[0]); i++)
		if (strcmp(quantity_cases[i].name, name) == 0)
			return &quantity_cases[i];
	return NULL;
}

static void test_every_quantity(void **state)
{
	(void)state;
	for (size_t i = 0; i < mg_quantity_count(); i++) {
		const struct mg_quantity *q = mg_quantity_at(i);
		const struct quantity_case *c = quantity_case_of(q->name);
		bool bp = strncmp(q->name, "bp_", 3) == 0;
		char profile[128], ident[128], mdc[16], query[256], sample[64];
		struct mg_outbound o;
		json_t *root, *obs, *quantity;

		if (c == NULL)
			fail_msg("quantity %s: no expected profile in quantity_cases", q->name);
		outbound_init(&o);
		outbound_add(&o, q->name, (q->min + q->max) / 2);
		(void)snprintf(sample, sizeof(sample), "quantity-%s", q->name);
		root = encode(&o, sample, NULL);
		assert_int_equal(json_array_size(json_object_get(root, "entry")), 1);
		obs = entry_resource(root, 0);
		(void)snprintf(profile, sizeof(profile), "http://hl7.org/fhir/StructureDefinition/%s",
			       c->profile);
		assert_string_equal(str_at(obs, "meta.profile.0"), profile);
		assert_string_equal(str_at(obs, "status"), "final");
		assert_string_equal(str_at(obs, "category.0.coding.0.code"), "vital-signs");
		(void)snprintf(ident, sizeof(ident), "MG0123456789abcdef-42-%s",
			       bp ? "blood_pressure" : q->name);
		assert_string_equal(str_at(obs, "identifier.0.value"), ident);
		(void)snprintf(query, sizeof(query), "identifier=urn:medgate:message-id|%s", ident);
		assert_string_equal(str_at(root, "entry.0.request.ifNoneExist"), query);
		(void)snprintf(mdc, sizeof(mdc), "%u", (unsigned)q->mdc_code);
		if (bp) {
			json_t *comp = json_array_get(json_object_get(obs, "component"),
						      strcmp(q->name, "bp_diastolic") == 0 ? 1
						      : strcmp(q->name, "bp_mean") == 0 ? 2 : 0);

			assert_null(json_object_get(obs, "valueQuantity"));
			assert_string_equal(str_at(obs, "code.coding.0.code"), "85354-9");
			assert_string_equal(str_at(comp, "code.coding.0.code"), q->loinc);
			assert_string_equal(str_at(comp, "code.coding.1.code"), mdc);
			quantity = json_object_get(comp, "valueQuantity");
		} else {
			assert_string_equal(str_at(obs, "code.coding.0.system"), "http://loinc.org");
			assert_string_equal(str_at(obs, "code.coding.0.code"), q->loinc);
			assert_string_equal(str_at(obs, "code.coding.0.display"), q->loinc_display);
			assert_string_equal(str_at(obs, "code.coding.1.system"),
					    "urn:iso:std:iso:11073:10101");
			assert_string_equal(str_at(obs, "code.coding.1.code"), mdc);
			assert_string_equal(str_at(obs, "code.coding.1.display"), q->mdc_name);
			quantity = json_object_get(obs, "valueQuantity");
		}
		assert_string_equal(str_at(quantity, "system"), "http://unitsofmeasure.org");
		assert_string_equal(str_at(quantity, "code"), q->ucum);
		assert_string_equal(str_at(quantity, "unit"), c->unit);
		assert_true(fabs(json_number_value(json_object_get(quantity, "value")) -
				 (q->min + q->max) / 2) < 1e-9);
		json_decref(root);
	}
}

/* 3. Blood pressure: one panel wherever the first bp_* value stands, the
 * mean as a third component, a missing systolic or diastolic pressure as a
 * component with dataAbsentReason (the bp profile needs both). */
struct bp_case {
	const char *sample;
	const char *values;	/* names in order, space separated */
	size_t entries;
	size_t panel_at;
	const char *components;	/* per component: v (value) or a (absent) */
};

static const struct bp_case bp_cases[] = {
	{ "bp-full", "bp_systolic bp_diastolic bp_mean pulse_rate", 2, 0, "vvv" },
	{ "bp-after-pulse", "pulse_rate bp_diastolic bp_systolic", 2, 1, "vv" },
	{ "bp-systolic-only", "bp_systolic", 1, 0, "va" },
	{ "bp-diastolic-only", "bp_diastolic pulse_rate", 2, 0, "av" },
	{ "bp-mean-only", "bp_mean", 1, 0, "aav" },
	{ "bp-with-weight", "body_weight bp_mean bp_systolic bp_diastolic pulse_rate", 3, 1, "vvv" },
};

static void test_bp_panel(void **state)
{
	static const char *const loinc[] = { "8480-6", "8462-4", "8478-0" };

	(void)state;
	for (size_t i = 0; i < sizeof(bp_cases) / sizeof(bp_cases[0]); i++) {
		const struct bp_case *c = &bp_cases[i];
		char names[128], *save = NULL;
		struct mg_outbound o;
		json_t *root, *panel, *components;
		double value = 100;

		outbound_init(&o);
		(void)snprintf(names, sizeof(names), "%s", c->values);
		for (char *n = strtok_r(names, " ", &save); n != NULL; n = strtok_r(NULL, " ", &save))
			outbound_add(&o, n, value++);
		root = encode(&o, c->sample, NULL);
		assert_int_equal(json_array_size(json_object_get(root, "entry")), c->entries);
		panel = entry_resource(root, c->panel_at);
		assert_string_equal(str_at(panel, "meta.profile.0"),
				    "http://hl7.org/fhir/StructureDefinition/bp");
		assert_string_equal(str_at(panel, "code.coding.0.code"), "85354-9");
		assert_string_equal(str_at(panel, "code.coding.1.code"), "150020");
		assert_null(json_object_get(panel, "valueQuantity"));
		components = json_object_get(panel, "component");
		assert_int_equal(json_array_size(components), strlen(c->components));
		for (size_t k = 0; k < strlen(c->components); k++) {
			json_t *comp = json_array_get(components, k);

			assert_string_equal(str_at(comp, "code.coding.0.code"), loinc[k]);
			if (c->components[k] == 'v') {
				assert_non_null(json_object_get(comp, "valueQuantity"));
				assert_null(json_object_get(comp, "dataAbsentReason"));
			} else {
				assert_null(json_object_get(comp, "valueQuantity"));
				assert_string_equal(str_at(comp, "dataAbsentReason.coding.0.code"),
						    "unknown");
			}
		}
		json_decref(root);
	}
}

/* Every quantity at once: the largest Bundle a measurement can make. */
static void test_all_quantities(void **state)
{
	struct mg_outbound o;
	json_t *root;

	(void)state;
	outbound_init(&o);
	for (size_t i = 0; i < mg_quantity_count(); i++) {
		const struct mg_quantity *q = mg_quantity_at(i);

		outbound_add(&o, q->name, q->min);
	}
	root = encode(&o, "all-quantities", NULL);
	assert_int_equal(json_array_size(json_object_get(root, "entry")), mg_quantity_count() - 2);
	json_decref(root);
}

/* 4. Numbers: integers without a fraction, others with the digits the
 * device sent, never a binary artefact like 72.400000000000006. */
struct number_case {
	double value;
	const char *text;
};

static const struct number_case number_cases[] = {
	{ 72.4, "72.4" },
	{ 80.0, "80" },
	{ 0.1 + 0.2, "0.3" },
	{ 72.405, "72.405" },
	{ 14481 * 0.005, "72.405" },	/* a Bluetooth weight, 0.005 kg steps */
	{ 123.456789, "123.456789" },
	{ 0.2, "0.2" },
	{ 699.999, "699.999" },
};

static void test_numbers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(number_cases) / sizeof(number_cases[0]); i++) {
		struct mg_outbound o;
		char *text, want[64];
		json_t *root;

		outbound_init(&o);
		outbound_add(&o, "body_weight", number_cases[i].value);
		root = encode(&o, NULL, &text);
		(void)snprintf(want, sizeof(want), "\"valueQuantity\":{\"value\":%s,",
			       number_cases[i].text);
		if (strstr(text, want) == NULL)
			fail_msg("%.17g: %s not in %s", number_cases[i].value, want, text);
		mg_fhir_free(text, strlen(text));
		json_decref(root);
	}
}

/* 5. Text from outside is JSON-escaped by jansson and reads back the same;
 * what FHIR strings cannot hold is refused (ids) or left out (a name). */
struct text_case {
	const char *sample;	/* NULL: no sample */
	const char *patient_id;
	const char *device_name;
	int rc;
	const char *raw;	/* must appear in the text as is, if set */
};

static const struct text_case text_cases[] = {
	{ "escape-quote", "P\"0042", "Scale \"north\"", 0, "P\\\"0042" },
	{ "escape-backslash", "P\\0042", "C:\\scale", 0, "P\\\\0042" },
	{ "escape-unicode", "Pé-0042-ÄÖÜ-日本-😀", "Waage Süd", 0, NULL },
	{ "escape-html", "</script><b>", "<i>&amp;", 0, NULL },
	{ "escape-slash-colon", "urn:x/p:1", "a/b", 0, NULL },
	{ NULL, "P\x01" "0042", "Scale", MG_ERR_INVALID, NULL },	/* control character */
	{ NULL, "P\t0042", "Scale", MG_ERR_INVALID, NULL },
	{ NULL, "P\x7f", "Scale", MG_ERR_INVALID, NULL },
	{ NULL, "P\xc2\x85", "Scale", MG_ERR_INVALID, NULL },		/* C1 NEL */
	{ NULL, "P\xff", "Scale", MG_ERR_INVALID, NULL },		/* not UTF-8 */
	{ NULL, "P\xc0\xaf", "Scale", MG_ERR_INVALID, NULL },		/* overlong '/' */
	{ NULL, "P\xed\xa0\x80", "Scale", MG_ERR_INVALID, NULL },	/* surrogate */
	{ NULL, "P\xf4\x90\x80\x80", "Scale", MG_ERR_INVALID, NULL },	/* past U+10FFFF */
	{ NULL, "P\xe2\x82", "Scale", MG_ERR_INVALID, NULL },		/* cut short */
	{ NULL, "", "Scale", MG_ERR_INVALID, NULL },			/* no patient */
	{ "device-name-invalid", "P-0042", "Scale\xff", 0, NULL },	/* name left out */
	{ "device-name-control", "P-0042", "Scale\n2", 0, NULL },
};

static void test_text_escaping(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		const struct text_case *c = &text_cases[i];
		bool name_ok = strchr(c->device_name, '\xff') == NULL &&
			       strchr(c->device_name, '\n') == NULL;
		struct mg_outbound o;
		char *text = (char *)1;
		size_t len = 1;
		json_t *root, *obs;

		outbound_init(&o);
		(void)snprintf(o.patient_id, sizeof(o.patient_id), "%s", c->patient_id);
		(void)snprintf(o.device_name, sizeof(o.device_name), "%s", c->device_name);
		outbound_add(&o, "body_height", 170);
		if (c->rc != 0) {
			assert_int_equal(mg_fhir_bundle(&o, &options, &text, &len), c->rc);
			assert_null(text);
			assert_int_equal(len, 0);
			continue;
		}
		root = encode(&o, c->sample, &text);
		obs = entry_resource(root, 0);
		assert_string_equal(str_at(obs, "subject.identifier.value"), c->patient_id);
		if (name_ok)
			assert_string_equal(str_at(obs, "device.display"), c->device_name);
		else
			assert_null(json_object_get(json_object_get(obs, "device"), "display"));
		if (c->raw != NULL && strstr(text, c->raw) == NULL)
			fail_msg("%s not in %s", c->raw, text);
		mg_fhir_free(text, strlen(text));
		json_decref(root);
	}
}

/* The ifNoneExist search: FHIR escapes (\ | , $) and percent-encoding of
 * all but unreserved characters, ':' and '/', for ids of any shape. */
struct query_case {
	const char *system;
	const char *value;
	const char *query;
};

static const struct query_case query_cases[] = {
	{ "urn:medgate:message-id", "MG1-2", "identifier=urn:medgate:message-id|MG1-2" },
	{ "https://h.example/ids", "a|b", "identifier=https://h.example/ids|a%5C%7Cb" },
	{ "urn:x", "a,b$c\\d", "identifier=urn:x|a%5C%2Cb%5C%24c%5C%5Cd" },
	{ "urn:x", "a&b=c#d e%f?g+h", "identifier=urn:x|a%26b%3Dc%23d%20e%25f%3Fg%2Bh" },
	{ "https://h.example/ids?x=1&y=2", "v", "identifier=https://h.example/ids%3Fx%3D1%26y%3D2|v" },
	{ "urn:x", "é", "identifier=urn:x|%C3%A9" },
	{ "urn:x", "A-Z_a.z~0:9/", "identifier=urn:x|A-Z_a.z~0:9/" },
};

static void test_identifier_query(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
		char *q = fhir_identifier_query(query_cases[i].system, query_cases[i].value);

		assert_non_null(q);
		assert_string_equal(q, query_cases[i].query);
		free(q);
	}
}

/* A message id with search specials still gives a valid Bundle. */
static void test_odd_message_id(void **state)
{
	struct mg_outbound o;
	json_t *root;

	(void)state;
	outbound_init(&o);
	(void)snprintf(o.message_id, sizeof(o.message_id), "MG|1,2$3\\4&5 6%%7");
	outbound_add(&o, "body_weight", 70);
	root = encode(&o, "odd-message-id", NULL);
	assert_string_equal(str_at(root, "entry.0.request.ifNoneExist"),
			    "identifier=urn:medgate:message-id|"
			    "MG%5C%7C1%5C%2C2%5C%243%5C%5C4%265%206%257-body_weight");
	json_decref(root);
}

/* fullUrl: the RFC 9562 version-5 UUID of "<system>|<value>" in the URL
 * namespace (expected values from Python's uuid.uuid5). */
static void test_uuid5(void **state)
{
	char urn[FHIR_UUID_URN_LEN];

	(void)state;
	assert_int_equal(fhir_uuid5_urn("urn:medgate:message-id|MG0123456789abcdef-42-body_weight",
					urn, sizeof(urn)), 0);
	assert_string_equal(urn, "urn:uuid:e3ed84d9-8df7-5eec-908f-40c8bea7aec3");
	assert_int_equal(fhir_uuid5_urn("http://python.org/", urn, sizeof(urn)), 0);
	assert_string_equal(urn, "urn:uuid:4c565f0d-3f5a-5890-b41b-20cf47701c5e");
	assert_int_equal(fhir_uuid5_urn("x", urn, FHIR_UUID_URN_LEN - 1), MG_ERR_LIMIT);
}

/* 6. The device: EUI-64 in the PHD IG's form, upper case; parts left out
 * when unknown; a malformed EUI-64 refused (it names the device). */
static void test_device(void **state)
{
	struct mg_outbound o;
	char *text = NULL;
	size_t len = 0;
	json_t *root, *obs;

	(void)state;
	outbound_init(&o);
	(void)snprintf(o.device_eui64, sizeof(o.device_eui64), "a0b1c2d3e4f5a6b7");
	outbound_add(&o, "pulse_rate", 61);
	root = encode(&o, NULL, NULL);
	obs = entry_resource(root, 0);
	assert_string_equal(str_at(obs, "device.identifier.value"), "A0-B1-C2-D3-E4-F5-A6-B7");
	assert_string_equal(str_at(obs, "device.identifier.system"),
			    "urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680");
	assert_string_equal(str_at(obs, "device.identifier.type.coding.0.code"), "SYSID");
	json_decref(root);

	o.device_eui64[0] = '\0';
	root = encode(&o, "device-without-eui64", NULL);
	obs = entry_resource(root, 0);
	assert_null(json_object_get(json_object_get(obs, "device"), "identifier"));
	assert_string_equal(str_at(obs, "device.display"), "Scale ward 3");
	json_decref(root);

	o.device_name[0] = '\0';
	o.received_ms = 0;
	root = encode(&o, "device-unknown", NULL);
	obs = entry_resource(root, 0);
	assert_null(json_object_get(obs, "device"));
	assert_null(json_object_get(obs, "issued"));
	json_decref(root);

	static const char *const bad[] = { "001BC50C0000000", "001BC50C0000000 ",
					   "001BC50C0000000G", "00-1B-C5-0C-00-0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		outbound_init(&o);
		outbound_add(&o, "pulse_rate", 61);
		(void)snprintf(o.device_eui64, sizeof(o.device_eui64), "%s", bad[i]);
		assert_int_equal(mg_fhir_bundle(&o, &options, &text, &len), MG_ERR_INVALID);
		assert_null(text);
	}
}

/* 7. Input the encoder refuses, with its outputs cleared. */
enum bad_kind {
	BAD_NONE, BAD_NO_VALUES, BAD_TOO_MANY, BAD_NAN, BAD_INF, BAD_DUPLICATE, BAD_NULL_QUANTITY,
	BAD_NO_MESSAGE_ID, BAD_TIME, BAD_UNTERMINATED,
};

struct bad_case {
	const char *what;
	enum bad_kind kind;
	const char *patient_system;
	const char *identifier_system;
	int rc;
};

static const struct bad_case bad_cases[] = {
	{ "valid", BAD_NONE, "urn:a", "https://h.example/id", 0 },
	{ "oid system", BAD_NONE, "urn:oid:1.2.3", "urn:oid:1.2.4", 0 },
	{ "no values", BAD_NO_VALUES, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "too many values", BAD_TOO_MANY, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "NaN", BAD_NAN, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "infinity", BAD_INF, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "same quantity twice", BAD_DUPLICATE, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "no quantity", BAD_NULL_QUANTITY, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "no message id", BAD_NO_MESSAGE_ID, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "year 10000", BAD_TIME, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "unterminated text", BAD_UNTERMINATED, "urn:a", "urn:b", MG_ERR_INVALID },
	{ "no patient system", BAD_NONE, NULL, "urn:b", MG_ERR_INVALID },
	{ "empty system", BAD_NONE, "", "urn:b", MG_ERR_INVALID },
	{ "relative system", BAD_NONE, "patients", "urn:b", MG_ERR_INVALID },
	{ "scheme only", BAD_NONE, "urn:", "urn:b", MG_ERR_INVALID },
	{ "scheme starts with digit", BAD_NONE, "1urn:a", "urn:b", MG_ERR_INVALID },
	{ "space in system", BAD_NONE, "urn:a b", "urn:b", MG_ERR_INVALID },
	{ "bar in system", BAD_NONE, "urn:a", "urn:b|c", MG_ERR_INVALID },
	{ "backslash in system", BAD_NONE, "urn:a", "urn:b\\c", MG_ERR_INVALID },
	{ "non-ASCII system", BAD_NONE, "urn:é", "urn:b", MG_ERR_INVALID },
	{ "no identifier system", BAD_NONE, "urn:a", NULL, MG_ERR_INVALID },
};

static void test_bad_input(void **state)
{
	char long_system[MG_FHIR_SYSTEM_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct mg_fhir_options opt = { c->patient_system, c->identifier_system };
		struct mg_outbound o;
		char *text = (char *)1, err[256];
		size_t len = 1;

		outbound_init(&o);
		outbound_add(&o, "body_weight", 70);
		switch (c->kind) {
		case BAD_NONE:
			break;
		case BAD_NO_VALUES:
			o.nvalues = 0;
			break;
		case BAD_TOO_MANY:
			o.nvalues = MG_VALUES_MAX + 1;
			break;
		case BAD_NAN:
			o.values[0].value = NAN;
			break;
		case BAD_INF:
			o.values[0].value = INFINITY;
			break;
		case BAD_DUPLICATE:
			outbound_add(&o, "body_weight", 71);
			break;
		case BAD_NULL_QUANTITY:
			o.values[0].quantity = NULL;
			break;
		case BAD_NO_MESSAGE_ID:
			o.message_id[0] = '\0';
			break;
		case BAD_TIME:
			o.measured_ms = INT64_C(253402300800000);	/* 10000-01-01 */
			break;
		case BAD_UNTERMINATED:
			memset(o.device_name, 'x', sizeof(o.device_name));
			break;
		}
		if (mg_fhir_bundle(&o, &opt, &text, &len) != c->rc)
			fail_msg("%s: expected %d", c->what, c->rc);
		if (c->rc == 0) {
			mg_fhir_free(text, len);
		} else {
			assert_null(text);
			assert_int_equal(len, 0);
		}
		if (c->kind == BAD_NONE)
			assert_int_equal(mg_fhir_options_check(&opt, err, sizeof(err)), c->rc);
	}
	memset(long_system, 'a', sizeof(long_system) - 1);
	memcpy(long_system, "urn:", 4);
	long_system[sizeof(long_system) - 1] = '\0';
	assert_false(fhir_system_ok(long_system));
	long_system[sizeof(long_system) - 2] = '\0';
	assert_true(fhir_system_ok(long_system));
	assert_int_equal(mg_fhir_options_check(NULL, NULL, 0), MG_ERR_INVALID);
	mg_fhir_free(NULL, 0);
}

/* 8. Allocation failures anywhere: MG_ERR_NOMEM, outputs cleared, nothing
 * leaked (ASan), and success once memory suffices. */
static long allocations_left;

static void *failing_malloc(size_t size)
{
	if (allocations_left == 0)
		return NULL;
	if (allocations_left > 0)
		allocations_left--;
	return malloc(size);
}

static void test_allocation_failures(void **state)
{
	struct mg_outbound o;
	char *text;
	size_t len;
	long n;
	int r;

	(void)state;
	outbound_init(&o);
	outbound_add(&o, "body_weight", 72.4);
	outbound_add(&o, "bp_systolic", 120);
	outbound_add(&o, "pulse_rate", 60);
	json_set_alloc_funcs(failing_malloc, free);
	for (n = 0; n < 100000; n++) {
		allocations_left = n;
		text = (char *)1;
		len = 1;
		r = mg_fhir_bundle(&o, &options, &text, &len);
		if (r == 0)
			break;
		assert_int_equal(r, MG_ERR_NOMEM);
		assert_null(text);
		assert_int_equal(len, 0);
	}
	allocations_left = -1;
	assert_int_equal(r, 0);
	assert_true(n > 50);
	mg_fhir_free(text, len);
	/* The judge under the same starvation: never delivered by accident. */
	for (n = 0; n < 200; n++) {
		static const char body[] = "{\"resourceType\":\"Bundle\",\"type\":\"transaction-response\","
					   "\"entry\":[{\"response\":{\"status\":\"201 Created\"}}]}";
		char why[128];

		allocations_left = n;
		if (mg_fhir_judge(200, body, sizeof(body) - 1, "P", why, sizeof(why)) ==
		    MG_FHIR_DELIVERED)
			break;
	}
	allocations_left = -1;
	assert_true(n < 200);
	mg_json_init();
}

/* 9. The judge: status × body → verdict, and what the reason says. */
#define TR(entries) "{\"resourceType\":\"Bundle\",\"type\":\"transaction-response\",\"entry\":[" entries "]}"
#define E(status) "{\"response\":{\"status\":\"" status "\"}}"
#define OO(diag) "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\"," \
		 "\"code\":\"processing\",\"diagnostics\":\"" diag "\"}]}"

struct judge_case {
	long status;
	const char *body;	/* NULL: no body */
	enum mg_fhir_verdict verdict;
	const char *why;	/* must be in the reason */
};

static const struct judge_case judge_cases[] = {
	/* delivered */
	{ 200, TR(E("201 Created") "," E("201 Created")), MG_FHIR_DELIVERED, "2 entries, 2 created, 0 already" },
	{ 200, TR(E("201") "," E("200 OK")), MG_FHIR_DELIVERED, "1 created, 1 already there" },
	{ 200, TR(E("200 OK")), MG_FHIR_DELIVERED, "0 created, 1 already there" },
	{ 200, TR("{\"fullUrl\":\"Observation/1\",\"response\":{\"status\":\"201 Created\","
		  "\"location\":\"Observation/1/_history/1\",\"etag\":\"W/\\\"1\\\"\"}}"),
	  MG_FHIR_DELIVERED, "1 created" },
	{ 201, TR(E("201 Created")), MG_FHIR_DELIVERED, "HTTP 201" },
	/* a 2xx that proves nothing: resend (conditional creates make it safe) */
	{ 200, NULL, MG_FHIR_RETRY, "without a transaction-response" },
	{ 200, "", MG_FHIR_RETRY, "without a transaction-response" },
	{ 200, "<html>OK</html>", MG_FHIR_RETRY, "without a transaction-response" },
	{ 200, "{\"resourceType\":\"Bundle\",\"type\":\"transaction-response\"", MG_FHIR_RETRY, "without" },
	{ 200, TR(""), MG_FHIR_RETRY, "without a transaction-response" },
	{ 200, "{\"resourceType\":\"Bundle\",\"type\":\"batch-response\",\"entry\":[" E("201") "]}",
	  MG_FHIR_RETRY, "without a transaction-response" },
	{ 200, OO("all good"), MG_FHIR_RETRY, "without a transaction-response" },
	{ 200, "[1,2,3]", MG_FHIR_RETRY, "without" },
	{ 202, "", MG_FHIR_RETRY, "HTTP 202 without" },
	{ 204, NULL, MG_FHIR_RETRY, "HTTP 204 without" },
	{ 200, TR(E("201") "," "{\"response\":{}}"), MG_FHIR_RETRY, "entry 1 without a response status" },
	{ 200, TR(E("201") "," E("20")), MG_FHIR_RETRY, "entry 1 without a response status" },
	{ 200, TR(E("201") "," E("2010")), MG_FHIR_RETRY, "entry 1 without a response status" },
	{ 200, TR(E("500 Internal Server Error")), MG_FHIR_RETRY, "entry 0 answered 500" },
	{ 200, TR(E("429 Too Many Requests")), MG_FHIR_RETRY, "entry 0 answered 429" },
	{ 200, TR(E("201") ",{\"response\":{\"status\":\"412 Precondition Failed\",\"outcome\":"
		  OO("Multiple resources match this search") "}}"),
	  MG_FHIR_REJECTED, "entry 1 refused with 412: error processing: Multiple resources match" },
	{ 200, TR("{\"response\":{\"status\":\"400\"}}"), MG_FHIR_REJECTED, "entry 0 refused with 400" },
	/* the FHIR server's word on this message: refused for good */
	{ 400, OO("Unable to parse resource"), MG_FHIR_REJECTED, "HTTP 400: error processing: Unable to parse" },
	{ 422, OO("Observation.code: minimum required = 1"), MG_FHIR_REJECTED, "HTTP 422: error" },
	{ 412, OO("Multiple resources match"), MG_FHIR_REJECTED, "HTTP 412" },
	{ 410, OO("gone"), MG_FHIR_REJECTED, "HTTP 410" },
	{ 413, OO("too large"), MG_FHIR_REJECTED, "HTTP 413" },
	{ 400, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":"
	       "\"invalid\",\"details\":{\"text\":\"Bad subject\"},\"expression\":[\"Bundle.entry[0]\"]}]}",
	  MG_FHIR_REJECTED, "HTTP 400: error invalid: Bad subject (at Bundle.entry[0])" },
	{ 400, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":"
	       "\"invalid\",\"details\":{\"coding\":[{\"code\":\"MSG_BAD\"}]}}]}",
	  MG_FHIR_REJECTED, "error invalid: MSG_BAD" },
	{ 400, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"warning\",\"code\":"
	       "\"informational\",\"diagnostics\":\"just a note\"},{\"severity\":\"error\",\"code\":"
	       "\"required\",\"diagnostics\":\"subject missing\"}]}",
	  MG_FHIR_REJECTED, "HTTP 400: error required: subject missing" },
	{ 400, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\"},"
	       "{\"severity\":\"error\"},{\"severity\":\"error\"},{\"severity\":\"error\"}]}",
	  MG_FHIR_REJECTED, "error; error; error; ..." },
	{ 400, "{\"resourceType\":\"OperationOutcome\"}", MG_FHIR_REJECTED, "HTTP 400" },
	/* 4xx not from the FHIR server itself (a proxy): retried */
	{ 400, "<html><h1>400 Bad Request</h1></html>", MG_FHIR_RETRY, "HTTP 400 without an OperationOutcome" },
	{ 400, NULL, MG_FHIR_RETRY, "HTTP 400 without an OperationOutcome" },
	{ 422, "{\"error\":\"nope\"}", MG_FHIR_RETRY, "HTTP 422 without an OperationOutcome" },
	/* access, endpoint, negotiation, load: retried, even with an outcome */
	{ 401, OO("token expired"), MG_FHIR_RETRY, "HTTP 401: error processing: token expired" },
	{ 403, OO("insufficient scope"), MG_FHIR_RETRY, "HTTP 403" },
	{ 404, OO("Unknown resource type"), MG_FHIR_RETRY, "HTTP 404" },
	{ 405, NULL, MG_FHIR_RETRY, "HTTP 405" },
	{ 406, NULL, MG_FHIR_RETRY, "HTTP 406" },
	{ 407, NULL, MG_FHIR_RETRY, "HTTP 407" },
	{ 408, OO("timeout"), MG_FHIR_RETRY, "HTTP 408" },
	{ 409, OO("version conflict"), MG_FHIR_RETRY, "HTTP 409" },
	{ 415, NULL, MG_FHIR_RETRY, "HTTP 415" },
	{ 421, NULL, MG_FHIR_RETRY, "HTTP 421" },
	{ 423, NULL, MG_FHIR_RETRY, "HTTP 423" },
	{ 425, NULL, MG_FHIR_RETRY, "HTTP 425" },
	{ 429, OO("slow down"), MG_FHIR_RETRY, "HTTP 429" },
	{ 500, OO("NullPointerException"), MG_FHIR_RETRY, "HTTP 500: error processing: NullPointer" },
	{ 500, "<html>oops</html>", MG_FHIR_RETRY, "HTTP 500" },
	{ 502, NULL, MG_FHIR_RETRY, "HTTP 502" },
	{ 503, "", MG_FHIR_RETRY, "HTTP 503" },
	{ 504, NULL, MG_FHIR_RETRY, "HTTP 504" },
	{ 501, OO("transactions not supported"), MG_FHIR_RETRY, "HTTP 501" },
	{ 100, NULL, MG_FHIR_RETRY, "HTTP 100" },
	{ 301, NULL, MG_FHIR_RETRY, "HTTP 301 (redirects are not followed" },
	{ 302, TR(E("201")), MG_FHIR_RETRY, "HTTP 302" },
	{ 0, NULL, MG_FHIR_RETRY, "no HTTP answer" },
	{ -1, TR(E("201")), MG_FHIR_RETRY, "no HTTP answer" },
	{ 99, NULL, MG_FHIR_RETRY, "HTTP status 99 is not valid" },
	{ 600, NULL, MG_FHIR_RETRY, "HTTP status 600 is not valid" },
};

static void test_judge_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(judge_cases) / sizeof(judge_cases[0]); i++) {
		const struct judge_case *c = &judge_cases[i];
		char why[256];
		enum mg_fhir_verdict v;

		memset(why, 'x', sizeof(why));
		v = mg_fhir_judge(c->status, c->body, c->body != NULL ? strlen(c->body) : 0,
				  "P-0042", why, sizeof(why));
		if (v != c->verdict || strstr(why, c->why) == NULL)
			fail_msg("case %zu (HTTP %ld): %s \"%s\", expected %s with \"%s\"", i, c->status,
				 mg_fhir_verdict_name(v), why, mg_fhir_verdict_name(c->verdict), c->why);
	}
}

/* A body not NUL-terminated, and one past MG_FHIR_RESPONSE_MAX. */
static void test_judge_lengths(void **state)
{
	static const char body[] = TR(E("201 Created"));
	size_t big = MG_FHIR_RESPONSE_MAX + 1;
	char *copy = malloc(sizeof(body) - 1), *huge = malloc(big), why[128];

	(void)state;
	assert_non_null(copy);
	assert_non_null(huge);
	memcpy(copy, body, sizeof(body) - 1);	/* no NUL after it */
	assert_int_equal(mg_fhir_judge(200, copy, sizeof(body) - 1, NULL, why, sizeof(why)),
			 MG_FHIR_DELIVERED);
	assert_int_equal(mg_fhir_judge(200, copy, sizeof(body) - 2, NULL, why, sizeof(why)),
			 MG_FHIR_RETRY);
	memset(huge, ' ', big);
	memcpy(huge, body, sizeof(body) - 1);
	assert_int_equal(mg_fhir_judge(200, huge, big, NULL, why, sizeof(why)), MG_FHIR_RETRY);
	assert_non_null(strstr(why, "not read"));
	assert_int_equal(mg_fhir_judge(200, huge, big - 1, NULL, why, sizeof(why)),
			 MG_FHIR_DELIVERED);
	/* No reason wanted: still judged. */
	assert_int_equal(mg_fhir_judge(200, copy, sizeof(body) - 1, NULL, NULL, 0),
			 MG_FHIR_DELIVERED);
	free(copy);
	free(huge);
}

/* 10. Never a patient id in the reason: as sent, in other case, percent-
 * encoded (either hex case), and not even part of it when cut short. */
static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

struct scrub_case {
	const char *patient;
	const char *diagnostics;
	const char *why;	/* expected reason, after "HTTP 422: error processing: " */
};

static const struct scrub_case scrub_cases[] = {
	{ "Zq9-Xw7", "No Patient with identifier urn:p|Zq9-Xw7", "No Patient with identifier urn:p|***" },
	{ "Zq9-Xw7", "zq9-xw7 and ZQ9-XW7 unknown", "*** and *** unknown" },
	{ "Zq9-Xw7", "Zq9-Xw7Zq9-Xw7", "******" },
	{ "urn:x/Zq9", "search identifier=urn%3Ax%2FZq9 failed", "search identifier=*** failed" },
	{ "urn:x/Zq9", "search identifier=urn%3ax%2fzq9 failed", "search identifier=*** failed" },
	{ "urn:x/Zq9", "search urn:x/Zq9 failed", "search *** failed" },
	{ "Zq9", "line one\nline\ttwo\r", "line one line two " },
};

static void test_judge_scrub(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(scrub_cases) / sizeof(scrub_cases[0]); i++) {
		const struct scrub_case *c = &scrub_cases[i];
		json_t *oo = json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "resourceType", "OperationOutcome",
				       "issue", "severity", "error", "code", "processing",
				       "diagnostics", c->diagnostics);
		char *body = json_dumps(oo, 0), why[256], want[256];

		assert_non_null(body);
		assert_int_equal(mg_fhir_judge(422, body, strlen(body), c->patient, why, sizeof(why)),
				 MG_FHIR_REJECTED);
		(void)snprintf(want, sizeof(want), "HTTP 422: error processing: %s", c->why);
		assert_string_equal(why, want);
		assert_false(contains_nocase(why, c->patient));
		free(body);
		json_decref(oo);
	}
}

static void test_judge_cut(void **state)
{
	static const char body[] = OO("patient Zq9Xw7 unknown: ééééééééé😀😀😀");
	const char *prefixes[] = { "Zq9", "Zq9X", "Zq9Xw" };

	(void)state;
	for (size_t size = 1; size <= 96; size++) {
		char why[96 + 1];

		memset(why, 'x', sizeof(why));
		assert_int_equal(mg_fhir_judge(400, body, sizeof(body) - 1, "Zq9Xw7", why, size),
				 MG_FHIR_REJECTED);
		assert_true(strlen(why) < size);
		assert_true(fhir_text_ok(why));	/* whole UTF-8 characters only */
		for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++)
			if (strstr(why, prefixes[k]) != NULL)
				fail_msg("size %zu: part of the patient id in \"%s\"", size, why);
	}
}

static void test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(mg_fhir_verdict_name(MG_FHIR_DELIVERED), "delivered");
	assert_string_equal(mg_fhir_verdict_name(MG_FHIR_RETRY), "retry");
	assert_string_equal(mg_fhir_verdict_name(MG_FHIR_REJECTED), "rejected");
	assert_string_equal(mg_fhir_verdict_name((enum mg_fhir_verdict)42), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_every_quantity),
		cmocka_unit_test(test_bp_panel),
		cmocka_unit_test(test_all_quantities),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_text_escaping),
		cmocka_unit_test(test_identifier_query),
		cmocka_unit_test(test_odd_message_id),
		cmocka_unit_test(test_uuid5),
		cmocka_unit_test(test_device),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_allocation_failures),
		cmocka_unit_test(test_judge_table),
		cmocka_unit_test(test_judge_lengths),
		cmocka_unit_test(test_judge_scrub),
		cmocka_unit_test(test_judge_cut),
		cmocka_unit_test(test_verdict_names),
	};

	mg_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
