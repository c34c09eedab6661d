/* The assignment queue (docs/ward.md): measurements that came without
 * patient, listed for the clinicians of their tenant, each assigned by one
 * of them to a patient (audited first), after which it is an ordinary
 * measurement of that patient and queued for the EMR. The list carries no
 * patient data (there is none yet). */
#include <sodium.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "ingest/patients.h"
#include "web/api_handlers.h"

#define QUEUE_MAX 200	/* per tenant in one answer */

static int queue_row(const struct mg_measurement_row *row, void *arg)
{
	json_t *list = arg, *values = json_array();

	if (values == NULL)
		return MG_ERR_NOMEM;
	for (size_t i = 0; i < row->nvalues; i++)
		json_array_append_new(values, json_pack("{s:s, s:f, s:s}", "type",
							row->values[i].quantity, "value",
							row->values[i].value, "unit",
							row->values[i].unit));
	return json_array_append_new(list, json_pack(
		"{s:I, s:I, s:o, s:o, s:I, s:s, s:o}", "id", (json_int_t)row->id, "tenant",
		(json_int_t)row->tenant_id, "time", api_time_json(row->measured_ms), "received",
		api_time_json(row->received_ms), "device", (json_int_t)row->device_id,
		"device_name", row->device_name, "values", values)) == 0 ? 0 : MG_ERR_NOMEM;
}

enum MHD_Result api_assignments_list(struct api_request *rq)
{
	json_t *list = json_array();
	int r;

	if (list == NULL)
		return api_store_error(rq, MG_ERR_NOMEM);
	for (size_t i = 0; i < rq->who.ntenants; i++) {
		if (!mg_authz_allows(&rq->who, MG_ACTION_PATIENT_READ, rq->who.tenants[i]))
			continue;
		if ((r = mg_store_unassigned_measurements(rq->web->store, rq->who.tenants[i],
							  QUEUE_MAX, queue_row, list)) != 0) {
			json_decref(list);
			return api_store_error(rq, r);
		}
	}
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:o}", "measurements", list));
}

/* Seal pid for tenant into a (index and sealed id). */
static int seal_for(struct api_request *rq, int64_t tenant, const char *pid,
		    struct mg_assignment *a)
{
	const struct mg_tenant_key *tk;
	size_t n = strlen(pid);
	int r;

	if ((r = mg_keyring_tenant(rq->web->keys, tenant, &tk)) != 0)
		return r;
	mg_patient_blind_index(tk, pid, n, a->blind_index);
	if (mg_patient_seal(tk, pid, n, a->sealed_patient, sizeof(a->sealed_patient)) != 0)
		return MG_ERR_UNAVAILABLE;
	a->sealed_len = n + MG_SEAL_OVERHEAD;
	return 0;
}

enum MHD_Result api_assignment_assign(struct api_request *rq)
{
	const char *pid = NULL, *dest[MG_EMR_MAX];
	struct mg_assignment a;
	int64_t mid, patient = 0;
	int r = MG_ERR_NOT_FOUND;

	if ((mid = api_param_id(rq, 0)) < 0)
		return MHD_YES;
	if (api_string(rq, "patient", true, 1, MG_PATIENT_ID_MAX, &pid) < 0)
		return MHD_YES;
	if (mg_patient_id_check(pid, strlen(pid), NULL, 0) != 0)
		return api_field_error(rq, "patient", "letters, digits and - . _ : / only");
	/* The measurement's tenant is one of the clinician's, or it is not
	 * found: each tenant is tried, sealing the id under its key. */
	for (size_t i = 0; r == MG_ERR_NOT_FOUND && i < rq->who.ntenants; i++) {
		int64_t tenant = rq->who.tenants[i];

		if (!mg_authz_allows(&rq->who, MG_ACTION_PATIENT_WRITE, tenant))
			continue;
		memset(&a, 0, sizeof(a));
		a.measurement_id = mid;
		a.tenant_id = tenant;
		a.user_id = rq->who.user_id;
		a.now_ms = mg_now_ms();
		a.destinations = dest;
		a.ndestinations = rq->web->route != NULL
					  ? rq->web->route(rq->web->route_arg, tenant, dest, MG_EMR_MAX)
					  : 0;
		if ((r = seal_for(rq, tenant, pid, &a)) != 0)
			break;
		if (api_audit_first(rq, "measurement.assign", "measurement", mid, tenant, NULL) != 0) {
			sodium_memzero(&a, sizeof(a));
			return MHD_YES;
		}
		r = mg_store_measurement_assign(rq->web->store, &a, &patient);
		sodium_memzero(&a, sizeof(a));
		if (r != 0)
			api_audit_act_failed(rq, "measurement.assign", "measurement", mid, tenant, r);
	}
	if (r == MG_ERR_NOT_FOUND)
		return api_not_found(rq);
	if (r != 0)
		return api_store_error(rq, r);
	return api_json(rq, MHD_HTTP_OK, json_pack("{s:I, s:s}", "measurement", (json_int_t)mid,
						   "status", "final"));
}
