/* One vital-signs Observation per value, and the blood-pressure panel.
 *
 * Every object is built with json_pack(); a NULL anywhere (jansson out of
 * memory) makes the enclosing json_pack() fail and free what it was given
 * with "o", so a NULL result always means out of memory and leaks nothing.
 * Strings from outside were checked by mg_fhir_bundle() before. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fhir/fhir_internal.h"
#include "model/quantity.h"

/* The specific R4 vital-signs profile of a LOINC code, or the base one.
 * The R4 profiles fix these codes (observation-vitalsigns.html); the other
 * quantities of the table (body fat, body water) have none. */
static const struct {
	const char *loinc;
	const char *profile;
} specific_profiles[] = {
	{ "29463-7", FHIR_PROFILE_BASE "bodyweight" },
	{ "8302-2", FHIR_PROFILE_BASE "bodyheight" },
	{ "39156-5", FHIR_PROFILE_BASE "bmi" },
	{ "8867-4", FHIR_PROFILE_BASE "heartrate" },
	{ "9279-1", FHIR_PROFILE_BASE "resprate" },
	{ "8310-5", FHIR_PROFILE_BASE "bodytemp" },
	{ "9843-4", FHIR_PROFILE_BASE "headcircum" },
	{ "2708-6", FHIR_PROFILE_BASE "oxygensat" },
	{ FHIR_BP_LOINC, FHIR_PROFILE_BASE "bp" },
};

static const char *profile_for(const char *loinc)
{
	for (size_t i = 0; i < sizeof(specific_profiles) / sizeof(specific_profiles[0]); i++)
		if (strcmp(specific_profiles[i].loinc, loinc) == 0)
			return specific_profiles[i].profile;
	return FHIR_PROFILE_VITALSIGNS;
}

bool fhir_is_bp(const struct mg_quantity *q)
{
	return strcmp(q->name, "bp_systolic") == 0 || strcmp(q->name, "bp_diastolic") == 0 ||
	       strcmp(q->name, "bp_mean") == 0;
}

/* Quantity.unit is for people: the R4 examples write mmHg for mm[Hg]; the
 * other UCUM codes of the table read well as they are. */
static const char *unit_text(const char *ucum)
{
	return strcmp(ucum, "mm[Hg]") == 0 ? "mmHg" : ucum;
}

/* A decimal: integers without a fraction ("72"), others as jansson prints
 * them with JSON_REAL_PRECISION(15) ("72.4"), the digits a double keeps
 * from a decimal; the dump in bundle.c sets that precision. */
static json_t *decimal(double d)
{
	if (d == floor(d) && fabs(d) < 9007199254740992.0)	/* 2^53 */
		return json_integer((json_int_t)d);
	return json_real(d);
}

static json_t *value_quantity(const struct mg_quantity *q, double d)
{
	return json_pack("{s:o, s:s, s:s, s:s}", "value", decimal(d), "unit", unit_text(q->ucum),
			 "system", FHIR_SYSTEM_UCUM, "code", q->ucum);
}

/* code: LOINC first (what the profiles slice on), then the IEEE 11073 term
 * with its reference id as display, as the PHD IG and PCD-01 do. */
static json_t *code_concept(const char *loinc, const char *loinc_display, uint32_t mdc,
			    const char *mdc_name, const char *text)
{
	char mdc_text[16];

	(void)snprintf(mdc_text, sizeof(mdc_text), "%u", (unsigned)mdc);
	return json_pack("{s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}], s:s}", "coding",
			 "system", FHIR_SYSTEM_LOINC, "code", loinc, "display", loinc_display,
			 "system", FHIR_SYSTEM_MDC, "code", mdc_text, "display", mdc_name,
			 "text", text);
}

static json_t *quantity_code(const struct mg_quantity *q)
{
	return code_concept(q->loinc, q->loinc_display, q->mdc_code, q->mdc_name, q->display);
}

/* The device by its EUI-64 (the 11073 system id) and its name. */
static json_t *device_reference(const struct fhir_ctx *c)
{
	const char *name = c->device_name;
	json_t *ref;

	if (c->eui64[0] != '\0')
		ref = json_pack("{s:s, s:{s:{s:[{s:s, s:s}]}, s:s, s:s}}", "type", "Device",
				"identifier", "type", "coding", "system",
				FHIR_SYSTEM_DEVICE_ID_TYPE, "code", "SYSID", "system",
				FHIR_SYSTEM_EUI64, "value", c->eui64);
	else
		ref = json_pack("{s:s}", "type", "Device");
	if (ref != NULL && name[0] != '\0' &&
	    json_object_set_new(ref, "display", json_string(name)) != 0) {
		json_decref(ref);
		return NULL;
	}
	return ref;
}

/* What every Observation has before its value, in the element order of
 * R4's Observation (value[x], device and component follow). */
static json_t *observation_start(const struct fhir_ctx *c, const char *name,
				 const char *profile, json_t *code)
{
	char ident[MG_MESSAGE_ID_MAX + 1 + MG_QUANTITY_NAME_MAX + 1];
	json_t *obs;

	(void)snprintf(ident, sizeof(ident), "%s-%s",
		       c->o->posting_id[0] != '\0' ? c->o->posting_id : c->o->message_id, name);
	obs = json_pack("{s:s, s:{s:[s]}, s:[{s:s, s:s}], s:s,"
			" s:[{s:[{s:s, s:s, s:s}], s:s}], s:o,"
			" s:{s:s, s:{s:s, s:s}}, s:s}",
			"resourceType", "Observation",
			"meta", "profile", profile,
			"identifier", "system", c->opt->identifier_system, "value", ident,
			"status", c->o->withdrawn ? "entered-in-error" : "final",
			"category", "coding", "system", FHIR_SYSTEM_CATEGORY, "code", "vital-signs",
			"display", "Vital Signs", "text", "Vital Signs",
			"code", code,
			"subject", "type", "Patient", "identifier", "system",
			c->opt->patient_system, "value", c->o->patient_id,
			"effectiveDateTime", c->effective);
	if (obs != NULL && c->issued[0] != '\0' &&
	    json_object_set_new(obs, "issued", json_string(c->issued)) != 0) {
		json_decref(obs);
		return NULL;
	}
	return obs;
}

/* Add the device, if the gateway knows anything about it. */
static int observation_add_device(const struct fhir_ctx *c, json_t *obs)
{
	if (c->eui64[0] == '\0' && c->device_name[0] == '\0')
		return 0;
	return json_object_set_new(obs, "device", device_reference(c));
}

json_t *fhir_observation_single(const struct fhir_ctx *c, const struct mg_value *v)
{
	const struct mg_quantity *q = v->quantity;
	json_t *obs;

	obs = observation_start(c, q->name, profile_for(q->loinc), quantity_code(q));
	if (obs == NULL)
		return NULL;
	if (json_object_set_new(obs, "valueQuantity", value_quantity(q, v->value)) != 0 ||
	    observation_add_device(c, obs) != 0) {
		json_decref(obs);
		return NULL;
	}
	return obs;
}

/* One component: the value, or dataAbsentReason "unknown" for a systolic
 * or diastolic pressure the device did not send (the bp profile needs both
 * components; vs-3 allows either a value or an absent reason). */
static json_t *bp_component(const struct mg_quantity *q, const struct mg_value *v)
{
	json_t *comp = json_pack("{s:o}", "code", quantity_code(q));

	if (comp == NULL)
		return NULL;
	if (v != NULL) {
		if (json_object_set_new(comp, "valueQuantity", value_quantity(q, v->value)) != 0)
			goto fail;
	} else {
		json_t *absent = json_pack("{s:[{s:s, s:s, s:s}], s:s}", "coding", "system",
					   FHIR_SYSTEM_ABSENT, "code", "unknown", "display",
					   "Unknown", "text", "not sent by the device");

		if (json_object_set_new(comp, "dataAbsentReason", absent) != 0)
			goto fail;
	}
	return comp;
fail:
	json_decref(comp);
	return NULL;
}

static const struct mg_value *find_value(const struct mg_outbound *o, const char *name)
{
	for (size_t i = 0; i < o->nvalues; i++)
		if (strcmp(o->values[i].quantity->name, name) == 0)
			return &o->values[i];
	return NULL;
}

json_t *fhir_observation_bp(const struct fhir_ctx *c)
{
	static const char *const parts[] = { "bp_systolic", "bp_diastolic", "bp_mean" };
	json_t *obs, *components;

	obs = observation_start(c, FHIR_BP_NAME, profile_for(FHIR_BP_LOINC),
				code_concept(FHIR_BP_LOINC, FHIR_BP_LOINC_DISPLAY, FHIR_BP_MDC,
					     FHIR_BP_MDC_NAME, FHIR_BP_DISPLAY));
	if (obs == NULL)
		return NULL;
	if (observation_add_device(c, obs) != 0 || (components = json_array()) == NULL)
		goto fail;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const struct mg_value *v = find_value(c->o, parts[i]);
		const struct mg_quantity *q = mg_quantity_find(parts[i]);

		/* The mean is optional in the panel; systolic and diastolic not. */
		if (q == NULL || (v == NULL && i == 2))
			continue;
		if (json_array_append_new(components, bp_component(q, v)) != 0) {
			json_decref(components);
			goto fail;
		}
	}
	if (json_object_set_new(obs, "component", components) != 0)
		goto fail;
	return obs;
fail:
	json_decref(obs);
	return NULL;
}
