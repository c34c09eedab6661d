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
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "ingest/patients.h"
#include "model/blood_pressure.h"
#include "model/change.h"
#include "model/jump.h"
#include "outbox/patient_export.h"
#include "http/http.h"
#include "web/api_handlers.h"
#include "web/api_patient_rows.h"

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
		int64_t measured_ms;
	} previous[REPORT_QUANTITIES_MAX];
	int64_t row_ms;		/* measured_ms of the row being read */
	size_t nprevious;
	size_t jumps;		/* implausible jumps seen (model/jump.h) */
	int64_t *times; /* each row's measured time, in list order */
	size_t ntimes, times_cap;
	mg_measurement_cb also; /* called with every row too (NULL: none) */
	void *also_arg;
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
	bool had = false, jump;
	double before = 0;
	int64_t before_ms = 0;

	for (i = 0; i < rp->nprevious; i++) {
		if (strcmp(rp->previous[i].quantity, quantity) == 0) {
			had = true;
			before = rp->previous[i].value;
			before_ms = rp->previous[i].measured_ms;
			break;
		}
	}
	if (i == rp->nprevious && i < REPORT_QUANTITIES_MAX) {
		snprintf(rp->previous[i].quantity, sizeof(rp->previous[i].quantity), "%s",
			 quantity);
		rp->nprevious++;
	}
	if (i < REPORT_QUANTITIES_MAX) {
		rp->previous[i].value = value;
		rp->previous[i].measured_ms = rp->row_ms;
	}
	if (mg_change_compute(value, had, before, &c) != 0 || !c.has_change)
		return NULL;
	jump = c.has_percent && mg_jump_is(quantity, c.percent, before_ms, rp->row_ms);
	if (jump)
		rp->jumps++;
	return json_pack("{s:o, s:o, s:b}", "delta", rounded(c.delta, 0.01), "percent",
			 c.has_percent ? rounded(c.percent, 0.1) : json_null(), "jump", jump);
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
	rp->row_ms = row->measured_ms;
	if (rp->also != NULL) {
		int r = rp->also(row, rp->also_arg);

		if (r != 0) {
			json_decref(values);
			json_decref(changes);
			return r;
		}
	}
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
	if (rp->ntimes == rp->times_cap) {
		size_t cap = rp->times_cap ? rp->times_cap * 2 : 64;
		int64_t *t = realloc(rp->times, cap * sizeof(*t));

		if (t == NULL) {
			json_decref(m);
			return MG_ERR_NOMEM;
		}
		rp->times = t;
		rp->times_cap = cap;
	}
	rp->times[rp->ntimes++] = row->measured_ms;
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

/* Read patient path parameter 0 for the caller (on the trail first): who
 * it is, the interpretation, and every measurement oldest first in
 * *list_out with their times in rp->times. 0, or the answer is queued. */
/* Read patient row id patient (no access check, no trail: the caller's):
 * who it is, the interpretation, every measurement oldest first in
 * rp->list with their times in rp->times. 0 or MG_ERR_*. */
static int load_core(const struct mg_config *cfg, struct mg_store *store, struct mg_keyring *keys,
		     int64_t patient, struct report *rp, json_t **who_out, json_t **interp_out,
		     struct api_patient_read *also)
{
	struct mg_patient_identity p;
	struct mg_patient_row row;
	char pid[MG_PATIENT_ID_MAX + 1];
	bool has = false;
	json_t *who;
	int r;

	memset(rp, 0, sizeof(*rp));
	rp->birth_ms = MG_TIME_UNKNOWN;
	if (also != NULL) {
		rp->also = also->also;
		rp->also_arg = also->also_arg;
	}
	rp->adult_age = cfg->bmi_adult_age;
	if ((r = mg_store_patient_get(store, patient, &row)) != 0 ||
	    (r = mg_patients_open(keys, &row, pid, sizeof(pid), &p, &has)) != 0)
		return r;
	if (has) {
		if (mg_birth_date_ms(p.birth_date, &rp->birth_ms) != 0)
			rp->birth_ms = MG_TIME_UNKNOWN;
		rp->sex = mg_admin_sex_growth(p.sex);
	}
	who = api_patient_json(&row, pid, &p, has);
	sodium_memzero(&p, sizeof(p));
	if (also != NULL)
		memcpy(also->pid, pid, sizeof(also->pid));
	sodium_memzero(pid, sizeof(pid));
	if (who == NULL || (rp->list = json_array()) == NULL) {
		json_decref(who);
		return MG_ERR_NOMEM;
	}
	r = mg_store_patient_measurements(store, patient, PATIENT_MEASUREMENTS_MAX, add_row, rp);
	if (r != 0) {
		json_decref(who);
		json_decref(rp->list);
		free(rp->times);
		return r;
	}
	*who_out = who;
	*interp_out = interpretation_json(rp, has);
	return 0;
}

/* Read patient path parameter 0 for the caller (on the trail first), as
 * load_core. 0, -1 with the answer queued, or -2 (out of memory). */
static int load(struct api_request *rq, struct report *rp, int64_t *tenant, json_t **who_out,
		json_t **interp_out, struct api_patient_read *also)
{
	int64_t patient = api_patient_of_path(rq, MG_ACTION_PATIENT_READ, tenant);
	int r;

	if (patient == 0)
		return -1;
	/* Every read of a patient's data is on the trail before it is answered;
	 * no trail, no answer. */
	if (api_audit_first(rq, "patient.read", "patient", patient, *tenant, NULL) != 0)
		return -1;
	r = load_core(rq->web->cfg, rq->web->store, rq->web->keys, patient, rp, who_out,
		      interp_out, also);
	if (r == MG_ERR_NOMEM)
		return -2;
	if (r != 0) {
		api_store_error(rq, r);
		return -1;
	}
	/* For the ward page's "recently viewed"; best effort. */
	if (mg_store_view_note(rq->web->store, rq->who.user_id, patient, mg_now_ms()) != 0)
		mg_log_warning("api: the view of a patient by account %lld not noted",
			       (long long)rq->who.user_id);
	return 0;
}

int api_patient_read(struct api_request *rq, struct api_patient_read *pr)
{
	struct report rp;
	int r = load(rq, &rp, &pr->tenant, &pr->record, &pr->interpretation, pr);

	if (r != 0)
		return r;
	pr->list = rp.list;
	free(rp.times);
	return 0;
}

enum MHD_Result api_patient_measurements(struct api_request *rq)
{
	struct report rp;
	int64_t tenant = 0;
	json_t *who, *interp;
	int r = load(rq, &rp, &tenant, &who, &interp, NULL);

	if (r != 0)
		return r == -2 ? MHD_NO : MHD_YES;
	free(rp.times);
	return api_json(rq, MHD_HTTP_OK,
			json_pack("{s:s, s:I, s:o, s:o, s:o, s:I}", "patient", rq->params[0], "tenant",
				  (json_int_t)tenant, "record", who, "interpretation", interp,
				  "measurements", rp.list, "jumps", (json_int_t)rp.jumps));
}

/* The patient page and the printed report: who, the facility, the
 * interpretation, a page of rows (one per time of measurement, newest
 * first) and the series for the charts. */
int api_patient_page_json(const struct mg_config *cfg, struct mg_store *store,
			  struct mg_keyring *keys, int64_t patient,
			  const struct api_patient_page *pg, json_t **out)
{
	struct report rp;
	json_t *who, *interp, *rows, *head;
	int r;

	*out = NULL;
	if ((r = load_core(cfg, store, keys, patient, &rp, &who, &interp, NULL)) != 0)
		return r;
	rows = api_patient_rows_json(rp.list, rp.times, rp.ntimes, pg);
	json_decref(rp.list);
	free(rp.times);
	head = json_pack("{s:O?, s:I, s:o, s:o, s:s}", "patient", json_object_get(who, "id"),
			 "tenant", json_integer_value(json_object_get(who, "tenant")), "record", who,
			 "interpretation", interp, "facility",
			 cfg->report_facility[0] ? cfg->report_facility : cfg->handbook_organisation);
	if (rows == NULL || head == NULL || json_object_update(rows, head) != 0) {
		json_decref(head);
		json_decref(rows);
		return MG_ERR_NOMEM;
	}
	json_decref(head);
	*out = rows;
	return 0;
}

/* The patient page and the printed report: who, the facility, the
 * interpretation, a page of rows (one per time of measurement, newest
 * first) and the series for the charts. */
enum MHD_Result api_patient_report(struct api_request *rq)
{
	struct api_patient_page pg;
	int64_t tenant = 0, patient;
	json_t *page;
	int r;

	if (api_patient_page_of(rq, &pg) != 0)
		return MHD_YES;
	if ((patient = api_patient_of_path(rq, MG_ACTION_PATIENT_READ, &tenant)) == 0)
		return MHD_YES;
	if (api_audit_first(rq, "patient.read", "patient", patient, tenant, NULL) != 0)
		return MHD_YES;
	r = api_patient_page_json(rq->web->cfg, rq->web->store, rq->web->keys, patient, &pg, &page);
	if (r == MG_ERR_NOMEM)
		return MHD_NO;
	if (r != 0)
		return api_store_error(rq, r);
	return api_json(rq, MHD_HTTP_OK, page);
}

/* The patient's data export (GDPR Art. 15), the same FHIR Bundle as
 * medgatectl patient export; recorded first as a read of the patient. */
enum MHD_Result api_patient_export(struct api_request *rq)
{
	int64_t tenant = 0, patient = api_patient_of_path(rq, MG_ACTION_PATIENT_READ, &tenant);
	struct mg_patient_export_source src = {
		.store = rq->web->store, .cfg = rq->web->cfg, .tenant_id = tenant,
		.patient_id = patient, .pid = rq->params[0],
	};
	enum MHD_Result ret;
	char *json = NULL;
	size_t len = 0;
	int r;

	if (patient == 0)
		return MHD_YES;
	if (api_audit_first(rq, "patient.export", "patient", patient, tenant, NULL) != 0)
		return MHD_YES;
	if ((r = mg_patient_export_build(&src, &json, &len)) != 0) {
		api_audit_act_failed(rq, "patient.export", "patient", patient, tenant, r);
		return api_store_error(rq, r);
	}
	ret = mg_http_bytes(rq->conn, MHD_HTTP_OK, MG_FHIR_CONTENT_TYPE, json, len);
	mg_fhir_free(json, len);
	return ret;
}
