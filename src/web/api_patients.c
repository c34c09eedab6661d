/* The clinician's read of one patient: found by blind index in the
 * clinician's own tenants only, so a patient of another tenant is as
 * unknown as one that does not exist. */
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "web/api_handlers.h"

#define PATIENT_MEASUREMENTS_MAX 10000

static bool patient_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > MG_PATIENT_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = id[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || strchr("-._:", ch) != NULL))
			return false;
	}
	return true;
}

static json_t *time_text(int64_t ms)
{
	char text[MG_TIME_TEXT_LEN];

	return mg_time_format(ms, text, sizeof(text)) == 0 ? json_string(text) : json_null();
}

static int add_row(const struct mg_measurement_row *row, void *arg)
{
	json_t *list = arg, *values = json_array();

	for (size_t i = 0; i < row->nvalues; i++)
		json_array_append_new(values, json_pack("{s:s, s:f, s:s}", "type",
							row->values[i].quantity, "value",
							row->values[i].value, "unit",
							row->values[i].unit));
	return json_array_append_new(list, json_pack("{s:I, s:o, s:o, s:I, s:s, s:o}", "id",
						     (json_int_t)row->id, "time",
						     time_text(row->measured_ms), "received",
						     time_text(row->received_ms), "device",
						     (json_int_t)row->device_id, "device_name",
						     row->device_name, "values", values)) == 0
		       ? 0
		       : MG_ERR_NOMEM;
}

/* The patient of the path in the caller's own tenants: its row id and
 * tenant, or 0 after queuing the answer (404 for unknown and foreign
 * alike). */
static int64_t patient_of_path(struct api_request *rq, int64_t *tenant_out)
{
	const char *pid = rq->params[0];
	unsigned char index[MG_BLIND_INDEX_BYTES];
	const struct mg_tenant_key *tk;
	int64_t patient = 0, tenant = 0;
	int r;

	if (!patient_id_ok(pid))
		return api_not_found(rq), 0;
	for (size_t i = 0; i < rq->who.ntenants && patient == 0; i++) {
		if (!mg_authz_allows(&rq->who, MG_ACTION_PATIENT_READ, rq->who.tenants[i]))
			continue;
		if ((r = mg_keyring_tenant(rq->web->keys, rq->who.tenants[i], &tk)) != 0)
			return api_store_error(rq, r), 0;
		mg_patient_blind_index(tk, pid, strlen(pid), index);
		r = mg_store_patient_find(rq->web->store, rq->who.tenants[i], index, &patient);
		if (r == 0)
			tenant = rq->who.tenants[i];
		else if (r != MG_ERR_NOT_FOUND)
			return api_store_error(rq, r), 0;
	}
	if (patient == 0 || !mg_authz_allows(&rq->who, MG_ACTION_PATIENT_READ, tenant))
		return api_not_found(rq), 0;
	*tenant_out = tenant;
	return patient;
}

enum MHD_Result api_patient_measurements(struct api_request *rq)
{
	int64_t tenant = 0, patient = patient_of_path(rq, &tenant);
	json_t *list;
	int r;

	if (patient == 0)
		return MHD_YES;
	/* Every read of a patient's data is on the trail before it is answered;
	 * no trail, no answer. */
	if (api_audit_first(rq, "patient.read", "patient", patient, tenant, NULL) != 0)
		return MHD_YES;
	if ((list = json_array()) == NULL)
		return MHD_NO;
	r = mg_store_patient_measurements(rq->web->store, patient, PATIENT_MEASUREMENTS_MAX,
						add_row, list);
	if (r != 0) {
		json_decref(list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:s, s:I, s:o}", "patient", rq->params[0],
						   "tenant", (json_int_t)tenant, "measurements",
						   list));
}

static int add_access(const struct mg_audit_record *rec, void *arg)
{
	char time[MG_TIME_TEXT_LEN] = "";

	if (rec->malformed)
		return 0;	/* audit verify reports it */
	mg_time_format(rec->time_ms, time, sizeof(time));
	return json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "time", time,
						    "actor", rec->actor, "roles", rec->roles,
						    "address", rec->address, "action", rec->action,
						    "outcome", rec->outcome)) == 0
		       ? 0
		       : MG_ERR_NOMEM;
}

/* "Who accessed my data": every audit record about this patient, oldest
 * first, for the clinician to hand to the patient. Asking is itself
 * recorded. */
enum MHD_Result api_patient_accesses(struct api_request *rq)
{
	int64_t tenant = 0, patient = patient_of_path(rq, &tenant);
	struct mg_audit_filter f;
	char object[64];
	json_t *list;
	int r;

	if (patient == 0)
		return MHD_YES;
	if (api_audit_first(rq, "audit.patient_report", "patient", patient, tenant, NULL) != 0)
		return MHD_YES;
	mg_audit_object("patient", patient, object, sizeof(object));
	memset(&f, 0, sizeof(f));
	f.tenant_id = tenant;
	f.object = object;
	if ((list = json_array()) == NULL)
		return MHD_NO;
	if ((r = mg_store_audit_list(rq->web->store, &f, add_access, list)) != 0) {
		json_decref(list);
		return api_store_error(rq, r);
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:s, s:o}", "patient", rq->params[0],
						   "accesses", list));
}
