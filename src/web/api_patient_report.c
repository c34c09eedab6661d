/* A patient's measurements for the clinician, with who the patient is and
 * the interpretation computed here, once, by the model's functions: the
 * BMI (sent or from weight and height) with the WHO adult class from the
 * configured adult age and the WHO BMI-for-age z-score and class below it
 * (model/growth.h), blood pressure by the ESH 2023 classes
 * (model/blood_pressure.h), and each value's change since the previous
 * measurement of that quantity (model/change.h). Without a birth date or
 * sex no class is given, and the answer says why. ("Who accessed my
 * data" is api_patient_access.c.) */
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "ingest/patients.h"
#include "model/blood_pressure.h"
#include "model/change.h"
#include "web/api_handlers.h"

#define PATIENT_MEASUREMENTS_MAX 10000
#define REPORT_QUANTITIES_MAX    32 /* kinds of values compared with their previous */

/* What the rows are read against, and what they carried so far. */
struct report {
	json_t *list;
	int64_t birth_ms; /* MG_TIME_UNKNOWN if not known */
	enum mg_sex sex;
	unsigned adult_age;
	bool have_height;
	double height_cm; /* the latest height up to this row */
	struct {
		char quantity[MG_QUANTITY_NAME_MAX + 1];
		double value;
	} previous[REPORT_QUANTITIES_MAX];
	size_t nprevious;
};

static json_t *time_text(int64_t ms)
{
	char text[MG_TIME_TEXT_LEN];

	return mg_time_format(ms, text, sizeof(text)) == 0 ? json_string(text) : json_null();
}

static json_t *rounded(double v, double unit)
{
	return json_real(round(v / unit) * unit);
}

/* The change of quantity to value since its previous row, then remember
 * value. NULL when there is nothing to compare with. */
static json_t *change_of(struct report *rp, const char *quantity, double value)
{
	struct mg_change c;
	size_t i;
	bool had = false;
	double before = 0;

	for (i = 0; i < rp->nprevious; i++) {
		if (strcmp(rp->previous[i].quantity, quantity) == 0) {
			had = true;
			before = rp->previous[i].value;
			break;
		}
	}
	if (i == rp->nprevious && i < REPORT_QUANTITIES_MAX) {
		snprintf(rp->previous[i].quantity, sizeof(rp->previous[i].quantity), "%s",
			 quantity);
		rp->nprevious++;
	}
	if (i < REPORT_QUANTITIES_MAX)
		rp->previous[i].value = value;
	if (mg_change_compute(value, had, before, &c) != 0 || !c.has_change)
		return NULL;
	return json_pack("{s:o, s:o}", "delta", rounded(c.delta, 0.01), "percent",
			 c.has_percent ? rounded(c.percent, 0.1) : json_null());
}

static json_t *bmi_json(struct report *rp, double bmi, bool computed, int64_t measured_ms)
{
	struct mg_bmi_reading b;
	json_t *o;

	if (mg_bmi_interpret(bmi, rp->birth_ms, rp->sex, measured_ms, rp->adult_age, &b) != 0)
		return NULL;
	o = json_pack("{s:o, s:b, s:s, s:s, s:s, s:s}", "value", rounded(bmi, 0.01), "computed",
		      computed, "reference", mg_bmi_reference_code(b.reference), "reference_name",
		      mg_bmi_reference_name(b.reference), "class",
		      b.has_class ? mg_bmi_class_code(b.cls) : "none", "label",
		      b.has_class ? mg_bmi_class_label(b.cls) : "");
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "zscore", b.has_zscore ? json_real(b.zscore) : json_null());
	json_object_set_new(
	    o, "why_not", b.has_class ? json_null() : json_string(mg_bmi_no_class_code(b.why_not)));
	json_object_set_new(o, "why_not_text",
			    b.has_class ? json_null()
					: json_string(mg_bmi_no_class_text(b.why_not)));
	json_object_set_new(o, "age",
			    b.has_age ? json_pack("{s:i, s:i}", "years", b.age.years, "months",
						  b.age.months_in_year)
				      : json_null());
	return o;
}

static json_t *bp_json(const struct report *rp, double sys, double dia, int64_t measured_ms)
{
	struct mg_bp_reading b;

	if (mg_bp_classify(sys, dia, rp->birth_ms, measured_ms, &b) != 0)
		return NULL;
	return json_pack("{s:f, s:f, s:s, s:s, s:i, s:s, s:s?, s:s?}", "systolic", sys, "diastolic",
			 dia, "guideline", "ESH 2023", "class",
			 b.has_class ? mg_bp_class_code(b.cls) : "none", "grade", b.grade, "label",
			 b.has_class ? mg_bp_class_label(b.cls) : "", "why_not",
			 b.has_class ? NULL : mg_bp_no_class_code(b.why_not), "why_not_text",
			 b.has_class ? NULL : mg_bp_no_class_text(b.why_not));
}

static int add_row(const struct mg_measurement_row *row, void *arg)
{
	struct report *rp = arg;
	json_t *values = json_array(), *changes = json_object(), *m, *c;
	bool has_w = false, has_bmi = false, has_sys = false, has_dia = false;
	double w = 0, bmi = 0, sys = 0, dia = 0;

	if (values == NULL || changes == NULL)
		goto nomem;
	for (size_t i = 0; i < row->nvalues; i++) {
		const __typeof__(row->values[0]) *v = &row->values[i];

		json_array_append_new(values, json_pack("{s:s, s:f, s:s}", "type", v->quantity,
							"value", v->value, "unit", v->unit));
		if (strcmp(v->quantity, "body_height") == 0) {
			rp->have_height = true;
			rp->height_cm = v->value;
		} else if (strcmp(v->quantity, "body_weight") == 0) {
			has_w = true;
			w = v->value;
		} else if (strcmp(v->quantity, "bmi") == 0) {
			has_bmi = true;
			bmi = v->value;
		} else if (strcmp(v->quantity, "bp_systolic") == 0) {
			has_sys = true;
			sys = v->value;
		} else if (strcmp(v->quantity, "bp_diastolic") == 0) {
			has_dia = true;
			dia = v->value;
		}
		if ((c = change_of(rp, v->quantity, v->value)) != NULL)
			json_object_set_new(changes, v->quantity, c);
	}
	m = json_pack("{s:I, s:o, s:o, s:I, s:s, s:o, s:o, s:o, s:o}", "id", (json_int_t)row->id,
		      "time", time_text(row->measured_ms), "received", time_text(row->received_ms),
		      "device", (json_int_t)row->device_id, "device_name", row->device_name,
		      "values", values, "change", changes, "bmi", json_null(), "blood_pressure",
		      json_null());
	values = changes = NULL;
	if (m == NULL)
		goto nomem;
	/* The BMI: as sent, or from this weight and the latest height. */
	if (!has_bmi && has_w && rp->have_height && rp->height_cm > 0) {
		bmi = w / (rp->height_cm / 100 * rp->height_cm / 100);
		if ((c = change_of(rp, "bmi", bmi)) != NULL)
			json_object_set_new(json_object_get(m, "change"), "bmi", c);
	}
	if ((has_bmi || (has_w && rp->have_height)) && bmi > 0 && isfinite(bmi))
		json_object_set_new(m, "bmi", bmi_json(rp, bmi, !has_bmi, row->measured_ms));
	if (has_sys && has_dia)
		json_object_set_new(m, "blood_pressure", bp_json(rp, sys, dia, row->measured_ms));
	return json_array_append_new(rp->list, m) == 0 ? 0 : MG_ERR_NOMEM;
nomem:
	json_decref(values);
	json_decref(changes);
	return MG_ERR_NOMEM;
}

/* Why no class can be given for anyone of this patient, for the page. */
static json_t *interpretation_json(const struct report *rp, bool has_identity)
{
	const char *why = NULL;

	if (!has_identity)
		why = "No identity is recorded for this patient: without birth date and sex no "
		      "BMI or blood pressure class is given.";
	else if (rp->birth_ms == MG_TIME_UNKNOWN)
		why = mg_bmi_no_class_text(MG_BMI_NO_BIRTH_DATE);
	else if (rp->sex == MG_SEX_UNKNOWN)
		why = mg_bmi_no_class_text(MG_BMI_NO_SEX);
	return json_pack("{s:i, s:s?, s:s, s:s}", "bmi_adult_age", (int)rp->adult_age,
			 "no_class_reason", why, "bmi_references",
			 "WHO adult classes; WHO Child Growth Standards 2006 (0-5 y); WHO "
			 "Reference 2007 (5-19 y)",
			 "blood_pressure_guideline", "2023 ESH Guidelines (adults)");
}

enum MHD_Result api_patient_measurements(struct api_request *rq)
{
	int64_t tenant = 0, patient = api_patient_of_path(rq, MG_ACTION_PATIENT_READ, &tenant);
	struct mg_patient_identity p;
	struct mg_patient_row row;
	struct report rp;
	char pid[MG_PATIENT_ID_MAX + 1];
	bool has = false;
	json_t *who;
	int r;

	if (patient == 0)
		return MHD_YES;
	/* Every read of a patient's data is on the trail before it is answered;
	 * no trail, no answer. */
	if (api_audit_first(rq, "patient.read", "patient", patient, tenant, NULL) != 0)
		return MHD_YES;
	memset(&rp, 0, sizeof(rp));
	rp.birth_ms = MG_TIME_UNKNOWN;
	rp.adult_age = rq->web->cfg->bmi_adult_age;
	if ((r = mg_store_patient_get(rq->web->store, patient, &row)) != 0 ||
	    (r = mg_patients_open(rq->web->keys, &row, pid, sizeof(pid), &p, &has)) != 0)
		return api_store_error(rq, r);
	if (has) {
		if (mg_birth_date_ms(p.birth_date, &rp.birth_ms) != 0)
			rp.birth_ms = MG_TIME_UNKNOWN;
		rp.sex = mg_admin_sex_growth(p.sex);
	}
	who = api_patient_json(&row, pid, &p, has);
	sodium_memzero(&p, sizeof(p));
	if (who == NULL || (rp.list = json_array()) == NULL) {
		json_decref(who);
		return MHD_NO;
	}
	r = mg_store_patient_measurements(rq->web->store, patient, PATIENT_MEASUREMENTS_MAX,
					  add_row, &rp);
	if (r != 0) {
		json_decref(who);
		json_decref(rp.list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK,
			json_pack("{s:s, s:I, s:o, s:o, s:o}", "patient", rq->params[0], "tenant",
				  (json_int_t)tenant, "record", who, "interpretation",
				  interpretation_json(&rp, has), "measurements", rp.list));
}
