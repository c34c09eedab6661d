/* The report for the patient file as FHIR R4: one transaction Bundle of
 * the measurements' Observations (as bundle.c makes them for the outbox)
 * and a DiagnosticReport that refers to each of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "fhir/fhir_internal.h"

#define REPORT_LOINC	     "85353-1"
#define REPORT_LOINC_DISPLAY "Vital signs, weight, height, head circumference, oxygen saturation " \
			     "and BMI panel"

static bool text_ok(const char *s)
{
	return s != NULL && fhir_text_ok(s);
}

/* The DiagnosticReport itself, its result references from entries. */
static json_t *diagnostic_report(const struct mg_fhir_report *rp,
				 const struct mg_fhir_options *opt, const char *patient_id,
				 const char *start, const char *end, const char *issued,
				 json_t *entries)
{
	json_t *dr, *results = json_array(), *performers = json_array(), *e;
	size_t i;

	if (results == NULL || performers == NULL)
		goto nomem;
	json_array_foreach (entries, i, e)
		if (json_array_append_new(results,
					  json_pack("{s:O}", "reference",
						    json_object_get(e, "fullUrl"))) != 0)
			goto nomem;
	if (rp->facility[0] != '\0' &&
	    json_array_append_new(performers, json_pack("{s:s, s:s}", "type", "Organization",
							"display", rp->facility)) != 0)
		goto nomem;
	if (rp->clinician[0] != '\0' &&
	    json_array_append_new(performers, json_pack("{s:s, s:s}", "type", "Practitioner",
							"display", rp->clinician)) != 0)
		goto nomem;
	dr = json_pack("{s:s, s:[{s:s, s:s}], s:s, s:{s:[{s:s, s:s, s:s}], s:s},"
		       " s:{s:s, s:{s:s, s:s}}, s:{s:s, s:s}, s:s}",
		       "resourceType", "DiagnosticReport",
		       "identifier", "system", opt->identifier_system, "value", rp->report_id,
		       "status", "final",
		       "code", "coding", "system", FHIR_SYSTEM_LOINC, "code", REPORT_LOINC,
		       "display", REPORT_LOINC_DISPLAY, "text", "Measurement report",
		       "subject", "type", "Patient", "identifier", "system", opt->patient_system,
		       "value", patient_id,
		       "effectivePeriod", "start", start, "end", end,
		       "issued", issued);
	if (dr == NULL)
		goto nomem;
	if ((json_array_size(performers) > 0 && json_object_set(dr, "performer", performers) != 0) ||
	    json_object_set(dr, "result", results) != 0 ||
	    (rp->conclusion[0] != '\0' &&
	     json_object_set_new(dr, "conclusion", json_string(rp->conclusion)) != 0)) {
		json_decref(dr);
		goto nomem;
	}
	json_decref(results);
	json_decref(performers);
	return dr;
nomem:
	json_decref(results);
	json_decref(performers);
	return NULL;
}

int mg_fhir_report(const struct mg_outbound *ms, size_t n, const struct mg_fhir_report *rp,
		   const struct mg_fhir_options *opt, char **json_out, size_t *len_out)
{
	char start[MG_TIME_TEXT_LEN] = "", end[MG_TIME_TEXT_LEN] = "", issued[MG_TIME_TEXT_LEN];
	int64_t first = 0, last = 0;
	json_t *bundle = NULL, *entries = NULL, *dr, *e;
	struct fhir_ctx c;
	char *text = NULL;
	int r = MG_ERR_INVALID;

	*json_out = NULL;
	*len_out = 0;
	if (n == 0 || rp == NULL || !text_ok(rp->report_id) || rp->report_id[0] == '\0' ||
	    !text_ok(rp->clinician) || !text_ok(rp->facility) || !text_ok(rp->conclusion) ||
	    mg_time_format(rp->issued_ms, issued, sizeof(issued)) != 0)
		return MG_ERR_INVALID;
	if ((entries = json_array()) == NULL)
		return MG_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		memset(&c, 0, sizeof(c));
		if ((r = fhir_ctx_init(&c, &ms[i], opt)) != 0)
			goto out;
		r = MG_ERR_INVALID;
		if (strcmp(ms[i].patient_id, ms[0].patient_id) != 0)
			goto out;	/* one report, one patient */
		if (i == 0 || ms[i].measured_ms < first)
			first = ms[i].measured_ms;
		if (i == 0 || ms[i].measured_ms > last)
			last = ms[i].measured_ms;
		if ((r = fhir_bundle_add_entries(&c, entries)) != 0)
			goto out;
	}
	if (mg_time_format(first, start, sizeof(start)) != 0 ||
	    mg_time_format(last, end, sizeof(end)) != 0) {
		r = MG_ERR_INVALID;
		goto out;
	}
	r = MG_ERR_NOMEM;
	dr = diagnostic_report(rp, opt, ms[0].patient_id, start, end, issued, entries);
	if (dr == NULL || (e = fhir_bundle_entry(opt, dr, false, &r)) == NULL ||
	    json_array_append_new(entries, e) != 0)
		goto out;
	r = MG_ERR_NOMEM;
	bundle = json_pack("{s:s, s:{s:s, s:s}, s:s, s:O}", "resourceType", "Bundle",
			   "identifier", "system", opt->identifier_system, "value", rp->report_id,
			   "type", "transaction", "entry", entries);
	if (bundle == NULL || (text = json_dumps(bundle, FHIR_DUMP_FLAGS)) == NULL)
		goto out;
	*len_out = strlen(text);
	*json_out = text;
	r = 0;
out:
	json_decref(entries);
	json_decref(bundle);
	explicit_bzero(&c, sizeof(c));
	return r;
}
