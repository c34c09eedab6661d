/* The report for the patient file as FHIR R4, for the EMR: a transaction
 * Bundle of the newest measurements' Observations and a DiagnosticReport
 * referring to them (fhir/report.c), with the facility, the clinician who
 * asked and the latest interpretation as its conclusion. Encoded with the
 * systems of the first FHIR destination ([emr.NAME] protocol = fhir), so
 * the Observations carry the identifiers the outbox gives them and a
 * server that has them already creates nothing twice. Offered as a
 * download; it is not queued to the outbox (which sends measurements, one
 * Bundle each). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "fhir/fhir.h"
#include "http/http.h"
#include "model/quantity.h"
#include "model/settings.h"
#include "outbox/outbox.h"
#include "web/api_handlers.h"
#include "web/api_patient_rows.h"

#define FHIR_REPORT_MAX 200 /* the newest measurements in the report */

/* The newest FHIR_REPORT_MAX measurements, in a ring. */
struct collect {
	struct mg_outbound *ring;
	size_t n, next;
	const char *instance_id;
};

static int collect_row(const struct mg_measurement_row *row, void *arg)
{
	struct collect *c = arg;
	struct mg_outbound *o = &c->ring[c->next];

	memset(o, 0, sizeof(*o));
	mg_outbox_message_id(c->instance_id, row->id, o->message_id, sizeof(o->message_id));
	o->measurement_id = row->id;
	o->measured_ms = row->measured_ms;
	o->received_ms = row->received_ms;
	o->device_id = row->device_id;
	memcpy(o->device_name, row->device_name, sizeof(o->device_name));
	for (size_t i = 0; i < row->nvalues && o->nvalues < MG_VALUES_MAX; i++) {
		const struct mg_quantity *q = mg_quantity_find(row->values[i].quantity);

		if (q == NULL)
			continue; /* a quantity this version no longer knows */
		o->values[o->nvalues].quantity = q;
		o->values[o->nvalues].value = row->values[i].value;
		o->nvalues++;
	}
	if (o->nvalues == 0)
		return 0;
	c->next = (c->next + 1) % FHIR_REPORT_MAX;
	if (c->n < FHIR_REPORT_MAX)
		c->n++;
	return 0;
}

/* Whether interpretation o gave a class. */
static bool has_class(json_t *o)
{
	const char *cls = json_string_value(json_object_get(o, "class"));

	return cls != NULL && strcmp(cls, "none") != 0;
}

/* The latest BMI and blood pressure classes, as one sentence each. */
static void conclusion(json_t *list, char *out, size_t outlen)
{
	json_t *bmi = NULL, *bp = NULL, *m;
	size_t i, used = 0;

	out[0] = '\0';
	json_array_foreach (list, i, m) {
		if (json_is_object(json_object_get(m, "bmi")))
			bmi = json_object_get(m, "bmi");
		if (json_is_object(json_object_get(m, "blood_pressure")))
			bp = json_object_get(m, "blood_pressure");
	}
	if (bmi != NULL && has_class(bmi))
		used += (size_t)snprintf(out, outlen, "BMI %.1f kg/m2: %s (%s). ",
					 json_number_value(json_object_get(bmi, "value")),
					 json_string_value(json_object_get(bmi, "label")),
					 json_string_value(json_object_get(bmi, "reference_name")));
	if (bp != NULL && used < outlen && has_class(bp))
		snprintf(out + used, outlen - used, "Blood pressure %.0f/%.0f mmHg: %s (%s).",
			 json_number_value(json_object_get(bp, "systolic")),
			 json_number_value(json_object_get(bp, "diastolic")),
			 json_string_value(json_object_get(bp, "label")),
			 json_string_value(json_object_get(bp, "guideline")));
}

static const struct mg_emr_config *fhir_destination(const struct mg_config *cfg)
{
	for (size_t i = 0; i < cfg->nemr; i++)
		if (strcmp(cfg->emr[i].protocol, "fhir") == 0)
			return &cfg->emr[i];
	return NULL;
}

enum MHD_Result api_patient_report_fhir(struct api_request *rq)
{
	const struct mg_config *cfg = rq->web->cfg;
	const struct mg_emr_config *d = fhir_destination(cfg);
	char instance[MG_SETTING_INSTANCE_ID_LEN + 1], report_id[MG_MESSAGE_ID_MAX + 1];
	char why[512], *text = NULL;
	struct api_patient_read pr;
	struct collect c = { 0 };
	struct mg_fhir_report rp;
	struct mg_user me;
	size_t len = 0, first;
	int r;

	if (d == NULL)
		return api_error(rq, MHD_HTTP_CONFLICT,
				 "no FHIR destination is configured ([emr.NAME] protocol = fhir "
				 "names the patient and identifier systems)");
	if ((r = mg_store_setting_get(rq->web->store, MG_SETTING_INSTANCE_ID, instance,
				      sizeof(instance))) != 0)
		return api_store_error(rq, r);
	if ((c.ring = calloc(FHIR_REPORT_MAX, sizeof(*c.ring))) == NULL)
		return MHD_NO;
	c.instance_id = instance;
	memset(&pr, 0, sizeof(pr));
	pr.also = collect_row;
	pr.also_arg = &c;
	if ((r = api_patient_read(rq, &pr)) != 0) {
		free(c.ring);
		return r == -2 ? MHD_NO : MHD_YES;
	}
	if (c.n == 0) {
		r = -1;
		api_error(rq, MHD_HTTP_CONFLICT, "no measurements to report");
		goto out;
	}
	/* The ring in time order, then the patient in each. */
	first = c.n < FHIR_REPORT_MAX ? 0 : c.next;
	if (first != 0) {
		struct mg_outbound *sorted = calloc(FHIR_REPORT_MAX, sizeof(*sorted));

		if (sorted == NULL) {
			r = -2;
			goto out;
		}
		for (size_t i = 0; i < c.n; i++)
			sorted[i] = c.ring[(first + i) % FHIR_REPORT_MAX];
		sodium_memzero(c.ring, FHIR_REPORT_MAX * sizeof(*c.ring));
		free(c.ring);
		c.ring = sorted;
	}
	for (size_t i = 0; i < c.n; i++)
		memcpy(c.ring[i].patient_id, pr.pid, sizeof(c.ring[i].patient_id));
	memset(&me, 0, sizeof(me));
	if (mg_store_user_by_id(rq->web->store, rq->who.user_id, &me) != 0)
		snprintf(me.display_name, sizeof(me.display_name), "%s", rq->who.name);
	conclusion(pr.list, why, sizeof(why));
	snprintf(report_id, sizeof(report_id), "MG%s-report-%lld-%lld", instance,
		 (long long)c.ring[c.n - 1].measurement_id, (long long)mg_now_ms());
	rp = (struct mg_fhir_report){
		.report_id = report_id,
		.issued_ms = mg_now_ms(),
		.clinician = me.display_name[0] ? me.display_name : rq->who.name,
		.facility = cfg->report_facility[0] ? cfg->report_facility
						    : cfg->handbook_organisation,
		.conclusion = why,
	};
	{
		struct mg_fhir_options opt = { d->patient_system, d->identifier_system };

		r = mg_fhir_report(c.ring, c.n, &rp, &opt, &text, &len);
	}
	sodium_memzero(&me, sizeof(me));
	if (r != 0) {
		api_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
			  "the report could not be encoded as FHIR");
		r = -1;
		goto out;
	}
	if (mg_http_bytes(rq->conn, MHD_HTTP_OK, MG_FHIR_CONTENT_TYPE, text, len) != MHD_YES)
		r = -2;
	mg_fhir_free(text, len);
out:
	sodium_memzero(c.ring, FHIR_REPORT_MAX * sizeof(*c.ring));
	free(c.ring);
	sodium_memzero(pr.pid, sizeof(pr.pid));
	json_decref(pr.record);
	json_decref(pr.interpretation);
	json_decref(pr.list);
	return r == -2 ? MHD_NO : MHD_YES;
}
