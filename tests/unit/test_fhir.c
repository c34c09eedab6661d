/* FHIR R4 encoding as tables of inputs and expected outcomes: the Bundles
 * a validator would see (a golden Bundle, every quantity of the table, the
 * blood-pressure panel, text escaping, odd message ids, the device).
 * Single fields, refused input and allocation failures are in
 * test_fhir_fields.c; the answer judge in test_fhir_judge.c.
 *
 * With MG_FHIR_SAMPLES_DIR set, the Bundles made here are also written to
 * that folder, one file each, for tests/integration/test_fhir_validate.sh
 * (which runs this program, test_fhir) to check with independent FHIR
 * validators. */
#include "fhir_fixture.h"

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

/* A withdrawal (docs/ward.md): the posting's Observations, same
 * identifiers, status entered-in-error, each a conditional update. */
static void test_withdrawal(void **state)
{
	struct mg_outbound o;
	char *text;
	size_t len;
	json_t *root, *e;
	size_t i;

	(void)state;
	outbound_init(&o);
	outbound_add(&o, "body_weight", 72.4);
	outbound_add(&o, "bp_systolic", 120);
	outbound_add(&o, "bp_diastolic", 80);
	(void)snprintf(o.posting_id, sizeof(o.posting_id), "%s", o.message_id);
	(void)strncat(o.message_id, "-W", sizeof(o.message_id) - strlen(o.message_id) - 1);
	o.withdrawn = true;
	assert_int_equal(mg_fhir_bundle(&o, &options, &text, &len), 0);
	assert_non_null(root = json_loads(text, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(json_object_get(root, "identifier"),
							      "value")), o.message_id);
	assert_int_equal(json_array_size(json_object_get(root, "entry")), 2);
	json_array_foreach(json_object_get(root, "entry"), i, e) {
		json_t *obs = json_object_get(e, "resource"), *req = json_object_get(e, "request");
		const char *ident = json_string_value(json_object_get(
		    json_array_get(json_object_get(obs, "identifier"), 0), "value"));
		char want[256];

		assert_string_equal(json_string_value(json_object_get(obs, "status")),
				    "entered-in-error");
		assert_string_equal(json_string_value(json_object_get(req, "method")), "PUT");
		assert_null(json_object_get(req, "ifNoneExist"));
		assert_int_equal(strncmp(ident, o.posting_id, strlen(o.posting_id)), 0);
		assert_int_equal(ident[strlen(o.posting_id)], '-');
		(void)snprintf(want, sizeof(want), "Observation?identifier=urn:medgate:message-id|%s",
			       ident);
		assert_string_equal(json_string_value(json_object_get(req, "url")), want);
	}
	json_decref(root);
	mg_fhir_free(text, len);
}

/* 8. A patient's export (GDPR Art. 15): a collection Bundle of the
 * Patient, the Observations as sent, the Device, AuditEvents of a
 * delivery and an access, and the retention period; bad text refused. */
static void test_export(void **state)
{
	struct mg_fhir_export *x = NULL;
	struct mg_outbound o;
	char *text = NULL;
	size_t len = 0;
	json_t *root;

	(void)state;
	outbound_init(&o);
	(void)snprintf(o.device_eui64, sizeof(o.device_eui64), "a0b1c2d3e4f5a6b7");
	outbound_add(&o, "body_weight", 72.4);
	outbound_add(&o, "bp_systolic", 128);
	outbound_add(&o, "bp_diastolic", 82);
	assert_int_equal(mg_fhir_export_new(&options, o.patient_id, &x), 0);
	assert_int_equal(mg_fhir_export_measurement(x, &o), 0);
	assert_int_equal(mg_fhir_export_device(x, "Scale ward 3", "a0b1c2d3e4f5a6b7"), 0);
	assert_int_equal(mg_fhir_export_delivery(x, "emr1", "delivered", 1764000000000LL,
						 1764000001000LL), 0);
	assert_int_equal(mg_fhir_export_delivery(x, "emr2", "pending", 1764000000000LL, 0), 0);
	assert_int_equal(mg_fhir_export_access(x, 1764000002000LL, "user:doc", "patient.read",
					       true), 0);
	assert_int_equal(mg_fhir_export_device(x, "Scale", "00-1B-C5-0C-00-0"), MG_ERR_INVALID);
	assert_int_equal(mg_fhir_export_finish(x, "Kept 30 days.", &text, &len), 0);
	assert_non_null(root = json_loadb(text, len, 0, NULL));
	sample_write("export-collection", text, len);
	assert_string_equal(str_at(root, "type"), "collection");
	assert_string_equal(str_at(root, "entry.0.resource.resourceType"), "Patient");
	assert_string_equal(str_at(root, "entry.0.resource.identifier.0.value"), o.patient_id);
	assert_string_equal(str_at(root, "entry.1.resource.resourceType"), "Observation");
	assert_null(json_object_get(json_array_get(json_object_get(root, "entry"), 1), "request"));
	assert_string_equal(str_at(root, "entry.3.resource.resourceType"), "Device");
	assert_string_equal(str_at(root, "entry.4.resource.outcome"), "0");
	assert_null(json_object_get(entry_resource(root, 5), "outcome"));
	assert_string_equal(str_at(root, "entry.6.resource.type.code"), "110110");
	assert_string_equal(str_at(root, "entry.7.resource.resourceType"), "Basic");
	json_decref(root);
	mg_fhir_free(text, len);

	/* Markup in the retention sentence, an empty patient id: refused. */
	assert_int_equal(mg_fhir_export_new(&options, o.patient_id, &x), 0);
	assert_int_equal(mg_fhir_export_finish(x, "<b>", &text, &len), MG_ERR_INVALID);
	assert_null(text);
	assert_int_equal(mg_fhir_export_new(&options, "", &x), MG_ERR_INVALID);
	assert_null(x);
}

/* 9. The report for the patient file: every measurement's Observations as
 * the outbox sends them, then a DiagnosticReport referring to each; one
 * patient only, never empty. */
static void test_report(void **state)
{
	struct mg_outbound ms[2];
	struct mg_fhir_report rp = { .report_id = "MG0123456789abcdef-report-7-1795341700000",
				     .issued_ms = T_RECEIVED + 100000,
				     .clinician = "Dr. Anna Weber",
				     .facility = "St. Elsewhere Hospital, internal medicine",
				     .conclusion = "BMI 27.4 kg/m2: pre-obese (WHO). Blood pressure "
						   "143/87 mmHg: grade 1 (ESH 2023)." };
	char *text = NULL;
	size_t len = 0;
	json_t *b, *dr, *e;
	size_t i, nobs;

	(void)state;
	outbound_init(&ms[0]);
	outbound_add(&ms[0], "body_weight", 88.6);
	outbound_add(&ms[0], "body_height", 180.0);
	outbound_init(&ms[1]);
	(void)snprintf(ms[1].message_id, sizeof(ms[1].message_id), "MG0123456789abcdef-43");
	ms[1].measured_ms += 120000;
	outbound_add(&ms[1], "bp_systolic", 143);
	outbound_add(&ms[1], "bp_diastolic", 87);
	outbound_add(&ms[1], "pulse_rate", 69);
	assert_int_equal(mg_fhir_report(ms, 2, &rp, &options, &text, &len), 0);
	sample_write("report", text, len);
	assert_non_null(b = json_loads(text, JSON_REJECT_DUPLICATES, NULL));
	mg_fhir_free(text, len);
	/* weight, height; the bp panel, pulse; the report */
	nobs = json_array_size(json_object_get(b, "entry")) - 1;
	assert_int_equal(nobs, 4);
	assert_string_equal(str_at(b, "type"), "transaction");
	dr = entry_resource(b, nobs);
	assert_string_equal(json_string_value(json_object_get(dr, "resourceType")), "DiagnosticReport");
	assert_string_equal(str_at(b, "entry.4.request.url"), "DiagnosticReport");
	assert_string_equal(str_at(dr, "subject.identifier.value"), "P-0042");
	assert_string_equal(str_at(dr, "effectivePeriod.start"), "2026-11-22T10:00:00.123Z");
	assert_string_equal(str_at(dr, "effectivePeriod.end"), "2026-11-22T10:02:00.123Z");
	assert_string_equal(str_at(dr, "performer.1.display"), "Dr. Anna Weber");
	assert_int_equal(json_array_size(json_object_get(dr, "result")), nobs);
	json_array_foreach (json_object_get(dr, "result"), i, e)
		assert_string_equal(json_string_value(json_object_get(e, "reference")),
				    str_at(json_array_get(json_object_get(b, "entry"), i), "fullUrl"));
	/* The Observations are those the outbox sends for each measurement. */
	assert_string_equal(str_at(entry_resource(b, 2), "identifier.0.value"),
			    "MG0123456789abcdef-43-blood_pressure");
	json_decref(b);

	assert_int_equal(mg_fhir_report(ms, 0, &rp, &options, &text, &len), MG_ERR_INVALID);
	assert_null(text);
	(void)snprintf(ms[1].patient_id, sizeof(ms[1].patient_id), "P-0043");
	assert_int_equal(mg_fhir_report(ms, 2, &rp, &options, &text, &len), MG_ERR_INVALID);
	assert_null(text);
	(void)snprintf(ms[1].patient_id, sizeof(ms[1].patient_id), "P-0042");
	rp.clinician = "bad\x01name";
	assert_int_equal(mg_fhir_report(ms, 2, &rp, &options, &text, &len), MG_ERR_INVALID);
	rp.clinician = "";
	rp.facility = "";
	rp.conclusion = "";
	assert_int_equal(mg_fhir_report(ms, 2, &rp, &options, &text, &len), 0);
	assert_null(strstr(text, "performer"));
	assert_null(strstr(text, "conclusion"));
	mg_fhir_free(text, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_every_quantity),
		cmocka_unit_test(test_bp_panel),
		cmocka_unit_test(test_all_quantities),
		cmocka_unit_test(test_text_escaping),
		cmocka_unit_test(test_odd_message_id),
		cmocka_unit_test(test_device),
		cmocka_unit_test(test_withdrawal),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_report),
	};

	mg_json_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
