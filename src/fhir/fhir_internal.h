/* Shared by the files of src/fhir/ only: code systems, profile URLs, the
 * encoding context and the text helpers. */
#ifndef MG_FHIR_INTERNAL_H
#define MG_FHIR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/timefmt.h"
#include "fhir/fhir.h"

/* Code systems, as FHIR R4 names them (terminologies.html). */
#define FHIR_SYSTEM_LOINC	"http://loinc.org"
#define FHIR_SYSTEM_MDC		"urn:iso:std:iso:11073:10101"
#define FHIR_SYSTEM_UCUM	"http://unitsofmeasure.org"
#define FHIR_SYSTEM_CATEGORY	"http://terminology.hl7.org/CodeSystem/observation-category"
#define FHIR_SYSTEM_ABSENT	"http://terminology.hl7.org/CodeSystem/data-absent-reason"
/* IEEE EUI-64 ("EUI-64 with OUI assigned by IEEE"), as the HL7 Personal
 * Health Device IG names a device's 11073 system id, with its type code. */
#define FHIR_SYSTEM_EUI64	"urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680"
#define FHIR_SYSTEM_DEVICE_ID_TYPE \
	"http://terminology.hl7.org/CodeSystem/ContinuaDeviceIdentifiers"

/* The R4 vital-signs profiles (observation-vitalsigns.html). */
#define FHIR_PROFILE_BASE	"http://hl7.org/fhir/StructureDefinition/"
#define FHIR_PROFILE_VITALSIGNS	FHIR_PROFILE_BASE "vitalsigns"

/* The blood-pressure panel is not a measured quantity, so it is not in the
 * quantity table: LOINC 85354-9 and the MDC compound it groups. */
#define FHIR_BP_LOINC		"85354-9"
#define FHIR_BP_LOINC_DISPLAY	"Blood pressure panel with all children optional"
#define FHIR_BP_MDC		150020u
#define FHIR_BP_MDC_NAME	"MDC_PRESS_BLD_NONINV"
#define FHIR_BP_DISPLAY		"Blood pressure"
#define FHIR_BP_NAME		"blood_pressure"	/* identifier suffix */

/* How a Bundle is written: compact, numbers to 15 significant digits. */
#define FHIR_DUMP_FLAGS		(JSON_COMPACT | JSON_REAL_PRECISION(15))

#define FHIR_EUI64_TEXT_LEN	24	/* "00-1B-C5-0C-00-00-00-01" + NUL */
#define FHIR_UUID_URN_LEN	46	/* "urn:uuid:" + 36 + NUL */

/* What every Observation of one Bundle shares. */
struct fhir_ctx {
	const struct mg_outbound *o;
	const struct mg_fhir_options *opt;
	const char *device_name;		/* "" if none or not valid text */
	char effective[MG_TIME_TEXT_LEN];	/* measured_ms */
	char issued[MG_TIME_TEXT_LEN];		/* received_ms, "" if unknown */
	char eui64[FHIR_EUI64_TEXT_LEN];	/* "" if the device has none */
};

/* The dump keeps jansson's insertion order; 15 significant digits is what
 * a double holds of a decimal, so "72.4" stays "72.4". */
#define BUNDLE_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* 16 hex digits as "00-1B-C5-0C-00-00-00-01" (the PHD IG's form, upper
 * case) into out (FHIR_EUI64_TEXT_LEN), "" for no EUI-64; MG_ERR_INVALID
 * for anything else. */
int fhir_eui64_text(const char *eui, char *out);

/* The Observation for one value (not a blood pressure, which goes into the
 * panel), or NULL when out of memory. */
json_t *fhir_observation_single(const struct fhir_ctx *c, const struct mg_value *v);

/* The blood-pressure panel for the bp_* values among o's values (at least
 * one), or NULL when out of memory. */
json_t *fhir_observation_bp(const struct fhir_ctx *c);

/* Check o and fill c for encoding o with opt: 0 or MG_ERR_INVALID. */
int fhir_ctx_init(struct fhir_ctx *c, const struct mg_outbound *o,
		  const struct mg_fhir_options *opt);

/* The Observations of c's measurement appended to entries, in the order of
 * its values; the blood-pressure panel takes the place of the first bp_*
 * value. 0, MG_ERR_NOMEM or another MG_ERR_*. */
int fhir_bundle_add_entries(const struct fhir_ctx *c, json_t *entries);

/* One transaction entry for resource (stolen): fullUrl (the UUID of its
 * first identifier), the resource, and its conditional create (POST of its
 * resourceType, ifNoneExist on that identifier), or for a withdrawal
 * (docs/ward.md) the conditional update of that identifier (PUT
 * resourceType?identifier=...). NULL with *r set. */
json_t *fhir_bundle_entry(const struct mg_fhir_options *opt, json_t *resource, bool withdrawn,
			  int *r);

/* True for bp_systolic, bp_diastolic and bp_mean, which go into the panel. */
bool fhir_is_bp(const struct mg_quantity *q);

/* True if s is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates
 * or code points past U+10FFFF) without NUL or other C0/C1 controls. */
bool fhir_text_ok(const char *s);

/* True if s is an absolute URI as mg_fhir_options requires. */
bool fhir_system_ok(const char *s);

/* The name-based (SHA-1, version 5) UUID of name in the URL namespace
 * (RFC 9562), as "urn:uuid:..." into out. Returns 0 or MG_ERR_NOMEM /
 * MG_ERR_CRYPTO / MG_ERR_LIMIT. */
int fhir_uuid5_urn(const char *name, char *out, size_t outlen);

/* The ifNoneExist query "identifier=<system>|<value>", with FHIR search
 * escapes (\ , $ |) inside system and value and percent-encoding of
 * everything but unreserved characters, ':' and '/'. Returns a string the
 * caller frees with free(), or NULL when out of memory. */
char *fhir_identifier_query(const char *system, const char *value);

#endif
