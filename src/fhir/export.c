/* A patient's data export as a FHIR R4 collection Bundle (fhir.h): the
 * Patient, the Observations exactly as mg_fhir_bundle encodes them for
 * an EMR (taken out of its transaction Bundle, without the request), the
 * Devices, AuditEvents for the deliveries and the accesses, and a Basic
 * resource with the retention period. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "fhir/fhir_internal.h"

#define DCM_SYSTEM	"http://dicom.nema.org/resources/ontology/DCM"

struct mg_fhir_export {
	json_t *bundle;
	json_t *entries;
	const struct mg_fhir_options *opt;
	char patient_url[FHIR_UUID_URN_LEN];
};

static int append(struct mg_fhir_export *x, const char *full_url, json_t *resource)
{
	json_t *e;

	if (resource == NULL)
		return MG_ERR_NOMEM;
	e = full_url != NULL ? json_pack("{s:s, s:o}", "fullUrl", full_url, "resource", resource)
			     : json_pack("{s:o}", "resource", resource);
	return e != NULL && json_array_append_new(x->entries, e) == 0 ? 0 : MG_ERR_NOMEM;
}

int mg_fhir_export_new(const struct mg_fhir_options *opt, const char *patient_id,
		       struct mg_fhir_export **out)
{
	struct mg_fhir_export *x;
	char name[MG_FHIR_SYSTEM_MAX + 2 + MG_PATIENT_ID_MAX];
	int r;

	*out = NULL;
	if (!fhir_system_ok(opt->patient_system) || !fhir_system_ok(opt->identifier_system) ||
	    !fhir_text_ok(patient_id) || patient_id[0] == '\0')
		return MG_ERR_INVALID;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return MG_ERR_NOMEM;
	x->opt = opt;
	(void)snprintf(name, sizeof(name), "%s|%s", opt->patient_system, patient_id);
	if ((r = fhir_uuid5_urn(name, x->patient_url, sizeof(x->patient_url))) != 0) {
		free(x);
		return r;
	}
	x->bundle = json_pack("{s:s, s:s, s:[]}", "resourceType", "Bundle", "type", "collection",
			      "entry");
	x->entries = json_object_get(x->bundle, "entry");
	if (x->entries == NULL ||
	    (r = append(x, x->patient_url,
			json_pack("{s:s, s:[{s:s, s:s}]}", "resourceType", "Patient",
				  "identifier", "system", opt->patient_system, "value",
				  patient_id))) != 0) {
		mg_fhir_export_free(x);
		return MG_ERR_NOMEM;
	}
	*out = x;
	return 0;
}

int mg_fhir_export_measurement(struct mg_fhir_export *x, const struct mg_outbound *o)
{
	char *text = NULL;
	size_t len = 0;
	json_t *tx, *e;
	size_t i;
	int r;

	if ((r = mg_fhir_bundle(o, x->opt, &text, &len)) != 0)
		return r;
	tx = json_loadb(text, len, 0, NULL);
	mg_fhir_free(text, len);
	if (tx == NULL)
		return MG_ERR_NOMEM;
	r = 0;
	json_array_foreach(json_object_get(tx, "entry"), i, e) {
		json_t *res = json_object_get(e, "resource");

		json_incref(res);
		if ((r = append(x, json_string_value(json_object_get(e, "fullUrl")), res)) != 0)
			break;
	}
	json_decref(tx);
	return r;
}

int mg_fhir_export_device(struct mg_fhir_export *x, const char *name, const char *eui64)
{
	char eui[FHIR_EUI64_TEXT_LEN];
	json_t *dev;

	if (fhir_eui64_text(eui64, eui) != 0)
		return MG_ERR_INVALID;
	/* The name is only a label, as in the Observations: left out if it
	 * is no FHIR string rather than stop the export. */
	if (!fhir_text_ok(name))
		name = "";
	dev = json_pack("{s:s}", "resourceType", "Device");
	if (dev == NULL)
		return MG_ERR_NOMEM;
	if (eui[0] != '\0' &&
	    json_object_set_new(dev, "identifier",
				json_pack("[{s:{s:[{s:s, s:s}]}, s:s, s:s}]", "type", "coding",
					  "system", FHIR_SYSTEM_DEVICE_ID_TYPE, "code", "SYSID",
					  "system", FHIR_SYSTEM_EUI64, "value", eui)) != 0)
		goto nomem;
	if (name[0] != '\0' &&
	    json_object_set_new(dev, "deviceName",
				json_pack("[{s:s, s:s}]", "name", name, "type",
					  "user-friendly-name")) != 0)
		goto nomem;
	return append(x, NULL, dev);
nomem:
	json_decref(dev);
	return MG_ERR_NOMEM;
}

/* An AuditEvent about the patient: DICOM event type code/display, when,
 * outcome ("" none), what happened in words, who. */
static int audit_event(struct mg_fhir_export *x, const char *code, const char *display,
		       int64_t time_ms, const char *outcome, const char *desc, const char *who,
		       bool requestor)
{
	char when[MG_TIME_TEXT_LEN];
	json_t *ev;

	if (mg_time_format(time_ms, when, sizeof(when)) != 0 || !fhir_text_ok(desc) ||
	    !fhir_text_ok(who) || who[0] == '\0' || desc[0] == '\0')
		return MG_ERR_INVALID;
	ev = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:s}", "resourceType", "AuditEvent", "type",
		       "system", DCM_SYSTEM, "code", code, "display", display, "action", "R",
		       "recorded", when);
	if (ev == NULL)
		return MG_ERR_NOMEM;
	if ((outcome[0] != '\0' &&
	     json_object_set_new(ev, "outcome", json_string(outcome)) != 0) ||
	    json_object_set_new(ev, "outcomeDesc", json_string(desc)) != 0 ||
	    json_object_set_new(ev, "agent", json_pack("[{s:{s:s}, s:b}]", "who", "display", who,
						       "requestor", requestor)) != 0 ||
	    json_object_set_new(ev, "source", json_pack("{s:{s:s}}", "observer", "display",
							"medgate")) != 0 ||
	    json_object_set_new(ev, "entity", json_pack("[{s:{s:s}}]", "what", "reference",
							x->patient_url)) != 0) {
		json_decref(ev);
		return MG_ERR_NOMEM;
	}
	return append(x, NULL, ev);
}

int mg_fhir_export_delivery(struct mg_fhir_export *x, const char *destination,
			    const char *state, int64_t created_ms, int64_t delivered_ms)
{
	char desc[MG_NAME_MAX + 64];
	const char *outcome = strcmp(state, "delivered") == 0 ? "0"
			      : strcmp(state, "dead") == 0    ? "8" : "";

	(void)snprintf(desc, sizeof(desc), "sent to EMR destination %s: %s", destination, state);
	return audit_event(x, "110106", "Export", delivered_ms > 0 ? delivered_ms : created_ms,
			   outcome, desc, destination, false);
}

int mg_fhir_export_access(struct mg_fhir_export *x, int64_t time_ms, const char *actor,
			  const char *action, bool success)
{
	return audit_event(x, "110110", "Patient Record", time_ms, success ? "0" : "4", action,
			   actor, true);
}

int mg_fhir_export_finish(struct mg_fhir_export *x, const char *retention, char **json_out,
			  size_t *len_out)
{
	char div[512];
	char *text;
	int r = MG_ERR_INVALID;

	*json_out = NULL;
	*len_out = 0;
	/* Our own sentence, but it goes into XHTML: no markup in it. */
	if (!fhir_text_ok(retention) || strpbrk(retention, "<>&") != NULL ||
	    snprintf(div, sizeof(div), "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>%s</p></div>",
		     retention) >= (int)sizeof(div))
		goto out;
	if ((r = append(x, NULL, json_pack("{s:s, s:{s:s, s:s}, s:{s:s}, s:{s:s}}", "resourceType",
					   "Basic", "text", "status", "generated", "div", div,
					   "code", "text", "Retention period", "subject",
					   "reference", x->patient_url))) != 0)
		goto out;
	r = MG_ERR_NOMEM;
	if ((text = json_dumps(x->bundle, BUNDLE_DUMP_FLAGS)) == NULL)
		goto out;
	*json_out = text;
	*len_out = strlen(text);
	r = 0;
out:
	mg_fhir_export_free(x);
	return r;
}

void mg_fhir_export_free(struct mg_fhir_export *x)
{
	if (x == NULL)
		return;
	json_decref(x->bundle);
	free(x);
}
