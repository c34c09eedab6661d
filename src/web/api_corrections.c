/* A clinician corrects a measurement taken for the wrong patient: moves
 * it to another patient of the tenant, or marks it entered in error, with
 * a reason (docs/ward.md). The EMR destinations get the withdrawal of what
 * they have and, for a move, the measurement for the new patient, through
 * the outbox. The audit trail names the measurement and the action, never
 * a patient's id or the reason (which may name someone). */
#include <sodium.h>
#include <string.h>

#include "common/err.h"
#include "common/timefmt.h"
#include "crypto/keyring.h"
#include "ingest/patients.h"
#include "web/api_handlers.h"

#define ACTION_MOVE	"move"
#define ACTION_ERROR	"entered-in-error"

/* The patient of id text in tenant, or 0 after queuing 422 on "to". */
static int64_t target_patient(struct api_request *rq, int64_t tenant, const char *to)
{
	unsigned char index[MG_BLIND_INDEX_BYTES];
	int64_t id = 0;
	int r;

	if (mg_patient_id_check(to, strlen(to), NULL, 0) != 0)
		return api_field_error(rq, "to", "letters, digits and - . _ : / only"), 0;
	if ((r = mg_patients_index(rq->web->keys, tenant, to, index)) != 0)
		return api_store_error(rq, r), 0;
	r = mg_store_patient_find(rq->web->store, tenant, index, &id);
	sodium_memzero(index, sizeof(index));
	if (r == MG_ERR_NOT_FOUND)
		return api_field_error(rq, "to", "no such patient in the measurement's tenant"), 0;
	if (r != 0)
		return api_store_error(rq, r), 0;
	return id;
}

enum MHD_Result api_measurement_correct(struct api_request *rq)
{
	int64_t tenant = 0, patient = api_patient_of_path(rq, MG_ACTION_PATIENT_WRITE, &tenant);
	int64_t mid, revision = 0;
	const char *action = NULL, *reason = NULL, *to = NULL, *dest[MG_EMR_MAX];
	struct mg_correction c = { 0 };
	char details[64];
	bool move;
	int r;

	if (patient == 0 || (mid = api_param_id(rq, 1)) < 0)
		return MHD_YES;
	if (api_string(rq, "action", true, 1, 32, &action) < 0 ||
	    api_string(rq, "reason", true, 1, MG_CORRECTION_REASON_MAX, &reason) < 0)
		return MHD_YES;
	move = strcmp(action, ACTION_MOVE) == 0;
	if (!move && strcmp(action, ACTION_ERROR) != 0)
		return api_field_error(rq, "action", "one of move, entered-in-error");
	if (move) {
		if (api_string(rq, "to", true, 1, MG_PATIENT_ID_MAX, &to) < 0)
			return MHD_YES;
		if ((c.to_patient_id = target_patient(rq, tenant, to)) == 0)
			return MHD_YES;
		if (c.to_patient_id == patient)
			return api_field_error(rq, "to", "the measurement is with this patient");
		if (rq->web->route != NULL)
			c.ndestinations = rq->web->route(rq->web->route_arg, tenant, dest, MG_EMR_MAX);
		c.destinations = dest;
	} else if (rq->json != NULL && json_object_get(rq->json, "to") != NULL) {
		return api_field_error(rq, "to", "only with action move");
	}
	c.measurement_id = mid;
	c.tenant_id = tenant;
	c.from_patient_id = patient;
	c.user_id = rq->who.user_id;
	c.reason = reason;
	c.now_ms = mg_now_ms();
	(void)snprintf(details, sizeof(details), "{\"action\":\"%s\"}", action);
	if (api_audit_first(rq, "measurement.correct", "measurement", mid, tenant, details) != 0)
		return MHD_YES;
	r = mg_store_measurement_correct(rq->web->store, &c, &revision);
	if (r != 0)
		api_audit_act_failed(rq, "measurement.correct", "measurement", mid, tenant, r);
	if (r == MG_ERR_NOT_FOUND)
		return api_not_found(rq);
	if (r == MG_ERR_CONFLICT)
		return api_error(rq, MHD_HTTP_CONFLICT, "the measurement is entered in error already");
	if (r == MG_ERR_INVALID)
		return api_field_error(rq, "to", "not a patient this measurement can move to");
	if (r != 0)
		return api_store_error(rq, r);
	return api_json(rq, MHD_HTTP_OK,
			json_pack("{s:I, s:I, s:s, s:I}", "measurement", (json_int_t)mid, "revision",
				  (json_int_t)revision, "status", move ? "final" : ACTION_ERROR,
				  "destinations", (json_int_t)(move ? c.ndestinations : 0)));
}
